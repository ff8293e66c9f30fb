/* simd.h: the v128 value of the interpreter and the lane arithmetic of interp_simd.h.
 * Included by interp.c after its scalar numeric helpers (fmin32, sat_i32_f32, ...), which
 * the float lanes reuse so scalar and vector results agree bit for bit.
 *
 * A v128 lives in two frame slots, lane 0 in the lowest byte (wasm lanes are
 * little-endian, as is the host: internal.h). Handlers copy it into a `v128` (one 16-byte
 * load), compute with GCC/clang vector extensions (plain C lanes where the spec's rules
 * differ from what a vector instruction does), and copy it back. SSE2, part of every
 * x86-64, supplies the few operations the vector extensions cannot express in one
 * instruction (saturation, packs, pmaddwd, movemask); other targets, and builds with
 * -DELVM_SIMD_PORTABLE (to test them), use the C loops. */
#ifndef ELVM_SIMD_H
#define ELVM_SIMD_H

#if defined(__SSE2__) && !defined(ELVM_SIMD_PORTABLE)
#include <emmintrin.h>
#include <tmmintrin.h>
#include <cpuid.h>
#include <stdatomic.h>
#define ELVM_SSE2 1
#endif

#define VEC(T) __attribute__((vector_size(16))) T
typedef VEC(int8_t) vi8;
typedef VEC(uint8_t) vu8;
typedef VEC(int16_t) vi16;
typedef VEC(uint16_t) vu16;
typedef VEC(int32_t) vi32;
typedef VEC(uint32_t) vu32;
typedef VEC(int64_t) vi64;
typedef VEC(uint64_t) vu64;
typedef VEC(float) vf32;
typedef VEC(double) vf64;
#undef VEC

typedef union v128 {
    vi8 i8;
    vu8 u8;
    vi16 i16;
    vu16 u16;
    vi32 i32;
    vu32 u32;
    vi64 i64;
    vu64 u64;
    vf32 f32;
    vf64 f64;
#ifdef ELVM_SSE2
    __m128i m;
    __m128 mf;
    __m128d md;
#endif
} v128;

static inline v128 v128_get(const slot *p) {
    v128 v;
    memcpy(&v, p, 16);
    return v;
}

static inline void v128_put(slot *p, v128 v) { memcpy(p, &v, 16); }

/* lane-wise a ? b : c on a mask of all-ones / all-zeros lanes */
static inline vu64 v128_blend(vu64 mask, vu64 t, vu64 f) { return (t & mask) | (f & ~mask); }

/* ---- integer lanes --------------------------------------------------------------------- */

static inline int8_t sat_s8(int32_t x) { return (int8_t)(x < -128 ? -128 : x > 127 ? 127 : x); }
static inline uint8_t sat_u8(int32_t x) { return (uint8_t)(x < 0 ? 0 : x > 255 ? 255 : x); }
static inline int16_t sat_s16(int32_t x) {
    return (int16_t)(x < -32768 ? -32768 : x > 32767 ? 32767 : x);
}
static inline uint16_t sat_u16(int32_t x) { return (uint16_t)(x < 0 ? 0 : x > 65535 ? 65535 : x); }

/* q15mulr_sat_s: (a * b + 2^14) >> 15, saturated (only -1 * -1 overflows) */
static inline int16_t q15mulr(int16_t a, int16_t b) {
    int32_t p = ((int32_t)a * b + 0x4000) >> 15;
    return (int16_t)(p > 32767 ? 32767 : p);
}

/* top bit of each lane, lane 0 in bit 0 */
#define V_BITMASK(v, field, lanes, bits)                                      \
    ({                                                                        \
        uint32_t m_ = 0;                                                      \
        for (int i_ = 0; i_ < (lanes); i_++)                                  \
            m_ |= (uint32_t)((v).field[i_] >> ((bits) - 1)) << i_;            \
        m_;                                                                   \
    })

#define V_ALL_TRUE(v, field, lanes)                                           \
    ({                                                                        \
        int ok_ = 1;                                                          \
        for (int i_ = 0; i_ < (lanes); i_++) ok_ &= (v).field[i_] != 0;       \
        ok_;                                                                  \
    })

/* ---- byte shuffles --------------------------------------------------------------------- */

/* i8x16.shuffle lane bytes as the compiler stores them: bits 0-3 pick a byte, bit 7 says
 * it comes from the second operand (pshufb's encoding: bit 7 zeroes the byte). */
static inline v128 shuffle_bytes(v128 a, v128 b, v128 m) {
    uint64_t half[2] = {0, 0};
    for (int i = 0; i < 16; i++) {
        uint8_t k = m.u8[i];
        uint8_t x = k & 0x80 ? b.u8[k & 15] : a.u8[k & 15];
        half[i >> 3] |= (uint64_t)x << (8 * (i & 7)); /* built in registers: no byte stores */
    }
    v128 r;
    r.u64 = (vu64){half[0], half[1]};
    return r;
}

/* i8x16.swizzle: lanes of a picked by b, 0 where b's lane is 16 or more */
static inline v128 swizzle_bytes(v128 a, v128 b) {
    uint64_t half[2] = {0, 0};
    for (int i = 0; i < 16; i++)
        if (b.u8[i] < 16) half[i >> 3] |= (uint64_t)a.u8[b.u8[i]] << (8 * (i & 7));
    v128 r;
    r.u64 = (vu64){half[0], half[1]};
    return r;
}

#ifdef ELVM_SSE2
/* SSSE3's pshufb does a shuffle in two instructions; it is not in baseline x86-64, so it
 * is compiled for SSSE3 alone and used when the CPU has it. One cpuid finds out, on the
 * first shuffle or swizzle: libgcc's __builtin_cpu_init, run by a load-time constructor
 * before, executed ~20 cpuid instructions (each a VM exit under a hypervisor) at every
 * start of every program linking libelvm. */
static bool simd_have_ssse3(void) {
    static _Atomic int have; /* 0: not asked yet, 1: no, 2: yes (racing askers agree) */
    int h = atomic_load_explicit(&have, memory_order_relaxed);
    if (!h) {
        unsigned a, b, c, d;
        h = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSSE3) ? 2 : 1;
        atomic_store_explicit(&have, h, memory_order_relaxed);
    }
    return h == 2;
}

__attribute__((target("ssse3"))) static v128 shuffle_ssse3(v128 a, v128 b, v128 m) {
    v128 r;
    r.m = _mm_or_si128(_mm_shuffle_epi8(a.m, m.m),
                       _mm_shuffle_epi8(b.m, _mm_xor_si128(m.m, _mm_set1_epi8((char)0x80))));
    return r;
}

/* indices of 16 and more saturate to 0x80 and up, which pshufb turns into zeros */
__attribute__((target("ssse3"))) static v128 swizzle_ssse3(v128 a, v128 b) {
    v128 r;
    r.m = _mm_shuffle_epi8(a.m, _mm_adds_epu8(b.m, _mm_set1_epi8(0x70)));
    return r;
}

#define V_SHUFFLE(a, b, m) (simd_have_ssse3() ? shuffle_ssse3(a, b, m) : shuffle_bytes(a, b, m))
#define V_SWIZZLE(a, b) (simd_have_ssse3() ? swizzle_ssse3(a, b) : swizzle_bytes(a, b))
#else
#define V_SHUFFLE(a, b, m) shuffle_bytes(a, b, m)
#define V_SWIZZLE(a, b) swizzle_bytes(a, b)
#endif

/* ---- float lanes ---------------------------------------------------------------------- */

/* Rounding (spec 4.3.3 fceil, ffloor, ftrunc, fnearest), for scalars and lanes: a NaN
 * comes back quiet, through x + x, as libm may return a signalling one unchanged. */
static inline float f32_ceil(float x) { return x != x ? x + x : ceilf(x); }
static inline float f32_floor(float x) { return x != x ? x + x : floorf(x); }
static inline float f32_trunc(float x) { return x != x ? x + x : truncf(x); }
static inline double f64_ceil(double x) { return x != x ? x + x : ceil(x); }
static inline double f64_floor(double x) { return x != x ? x + x : floor(x); }
static inline double f64_trunc(double x) { return x != x ? x + x : trunc(x); }
/* fnearest, ties to even, without libm's nearbyint (a call, where the others inline):
 * below 2^23 (2^52), adding and taking away 2^23 leaves a sum whose ulp is 1, so the
 * addition rounds the fraction away to nearest even (wasm never changes the rounding
 * mode); at or above it every value is an integer already. copysign keeps the sign
 * of results such as -0.4 -> -0. */
static inline float f32_nearest(float x) {
    if (x != x) return x + x;
    float a = fabsf(x);
    if (!(a < 0x1p23f)) return x;
    return copysignf((a + 0x1p23f) - 0x1p23f, x);
}
static inline double f64_nearest(double x) {
    if (x != x) return x + x;
    double a = fabs(x);
    if (!(a < 0x1p52)) return x;
    return copysign((a + 0x1p52) - 0x1p52, x);
}

#endif
