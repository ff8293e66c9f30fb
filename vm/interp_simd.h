/* interp_simd.h: the handlers of every SIMD instruction (simd.def), included by interp.c
 * inside its handler switch, so it sees the loop's registers (pc, fp, mem, memsz) and
 * macros (OP, NEXT, TRAP, A1/B1/A2/B2). Lane helpers and the v128 type: simd.h.
 *
 * A v128 operand is named by its first slot; it spans that slot and the next. Layouts:
 *   unary, splat, test        [h][d|a]
 *   binary, shift             [h][d|a][b|0]
 *   shift by a constant       [h][d|a][count|0]
 *   bitselect                 [h][d|a][b|c]
 *   extract lane              [h][d|a][lane|0]
 *   replace lane              [h][d|a][b|lane]
 *   const                     [h][d|0][low 8 bytes][high 8 bytes]
 *   shuffle                   [h][d|a][b|0][lanes 0-7][lanes 8-15]  (pshufb-style bytes)
 *   load                      [h][d|addr][offset]
 *   load lane                 [h][d|addr][offset][v|lane]
 *   store                     [h][addr|v][offset]
 *   store lane                [h][addr|v][offset][lane|0]
 * Every handler reads all its operands before writing its result, so the compiler may
 * give the result the slots of an operand (or point it at a local). */

/* GCC's uninitialized-use analysis gives up in a function this large and flags lane
 * writes into a zeroed v128 (false positives): not for these lines. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#define VGET(i) v128_get(fp + (i))
#define VPUT(i, v) v128_put(fp + (i), (v))
/* results start as zeros: lane loops need not write every lane (the "_zero" ops) */
#define V_ZERO ((v128){.u64 = {0, 0}})
/* [h][d|a]: r from a (the body is variadic: it may hold commas) */
#define V_UN(name, ...)                                                       \
    OP(name) { v128 a = VGET(B1), r = V_ZERO; __VA_ARGS__; VPUT(A1, r); NEXT(2); }
/* [h][d|a][b|0]: r from a and b */
#define V_BIN(name, ...)                                                      \
    OP(name) { v128 a = VGET(B1), b = VGET(A2), r = V_ZERO; __VA_ARGS__; VPUT(A1, r); NEXT(3); }
/* one result lane from the same lane of a (and b), for the shape's `lanes` lanes */
#define V_MAP(name, field, lanes, expr)                                       \
    V_UN(name, for (int i = 0; i < (lanes); i++) { __auto_type x = a.field[i]; r.field[i] = (expr); })
#define V_ZIP(name, field, lanes, expr)                                       \
    V_BIN(name, for (int i = 0; i < (lanes); i++) {                           \
        __auto_type x = a.field[i]; __auto_type y = b.field[i]; r.field[i] = (expr); })
/* [h][d|a][b|0]: shift every lane by b modulo the lane width; name_IMM:
 * [h][d|a][count|0], the count a constant already reduced */
#define V_SHIFT(name, field, bits, op)                                        \
    OP(name) {                                                                \
        v128 a = VGET(B1), r;                                                 \
        r.field = a.field op (int)(fp[A2].u32 & ((bits) - 1));                \
        VPUT(A1, r);                                                          \
        NEXT(3);                                                              \
    }                                                                         \
    OP(name##_IMM) {                                                          \
        v128 a = VGET(B1), r;                                                 \
        r.field = a.field op (int)A2;                                         \
        VPUT(A1, r);                                                          \
        NEXT(3);                                                              \
    }
/* lane-wise compare: all ones where `a op b` holds (a vector compare gives exactly that) */
#define V_CMP(name, field, op) V_BIN(name, r.u64 = (vu64)(a.field op b.field))
/* integer min/max: a where `a op b`, else b */
#define V_PICK(name, field, op) V_BIN(name, r.u64 = v128_blend((vu64)(a.field op b.field), a.u64, b.u64))

/* ---- memory -------------------------------------------------------------------------- */

/* the effective address of an access of N bytes at [h][x|addr]...[offset], or a trap */
#define V_EA(addr, N)                                                         \
    ({                                                                        \
        uint64_t ea_ = (uint64_t)(addr) + pc[2].u64;                          \
        if (UNLIKELY(ea_ + (N) > memsz)) TRAP(MEMORY_OOB);                    \
        ea_;                                                                  \
    })
OP(V128_LOAD) {
    uint64_t ea = V_EA(fp[B1].u32, 16);
    v128 r;
    memcpy(&r, mem + ea, 16);
    VPUT(A1, r);
    NEXT(3);
}
/* load N lanes of type S (S bytes each) and widen them into the lanes of `field` */
#define V_LOAD_EXT(name, S, field, lanes)                                     \
    OP(name) {                                                                \
        uint64_t ea = V_EA(fp[B1].u32, 8);                                    \
        S in[lanes];                                                          \
        memcpy(in, mem + ea, 8);                                              \
        v128 r = V_ZERO;                                                      \
        for (int i = 0; i < (lanes); i++) r.field[i] = in[i];                 \
        VPUT(A1, r);                                                          \
        NEXT(3);                                                              \
    }
V_LOAD_EXT(V128_LOAD8X8_S, int8_t, i16, 8)
V_LOAD_EXT(V128_LOAD8X8_U, uint8_t, u16, 8)
V_LOAD_EXT(V128_LOAD16X4_S, int16_t, i32, 4)
V_LOAD_EXT(V128_LOAD16X4_U, uint16_t, u32, 4)
V_LOAD_EXT(V128_LOAD32X2_S, int32_t, i64, 2)
V_LOAD_EXT(V128_LOAD32X2_U, uint32_t, u64, 2)
/* one lane of type T, into every lane (splat) or into lane 0 of zeros */
#define V_LOAD_ONE(name, T, field, splat)                                     \
    OP(name) {                                                                \
        uint64_t ea = V_EA(fp[B1].u32, sizeof(T));                            \
        T x;                                                                  \
        memcpy(&x, mem + ea, sizeof(T));                                      \
        v128 r = V_ZERO;                                                      \
        if (splat) r.field += x;                                              \
        else r.field[0] = x;                                                  \
        VPUT(A1, r);                                                          \
        NEXT(3);                                                              \
    }
V_LOAD_ONE(V128_LOAD8_SPLAT, uint8_t, u8, 1)
V_LOAD_ONE(V128_LOAD16_SPLAT, uint16_t, u16, 1)
V_LOAD_ONE(V128_LOAD32_SPLAT, uint32_t, u32, 1)
V_LOAD_ONE(V128_LOAD64_SPLAT, uint64_t, u64, 1)
V_LOAD_ONE(V128_LOAD32_ZERO, uint32_t, u32, 0)
V_LOAD_ONE(V128_LOAD64_ZERO, uint64_t, u64, 0)
OP(V128_STORE) {
    uint64_t ea = V_EA(fp[A1].u32, 16);
    memcpy(mem + ea, fp + B1, 16);
    NEXT(3);
}
/* lane `lane` (N bytes) of v: [h][d|addr][offset][v|lane] and [h][addr|v][offset][lane|0] */
#define V_LOAD_LANE(name, N)                                                  \
    OP(name) {                                                                \
        uint64_t ea = V_EA(fp[B1].u32, N);                                    \
        v128 r = VGET(pc[3].s.a);                                             \
        memcpy((uint8_t *)&r + pc[3].s.b * (N), mem + ea, N);                 \
        VPUT(A1, r);                                                          \
        NEXT(4);                                                              \
    }
#define V_STORE_LANE(name, N)                                                 \
    OP(name) {                                                                \
        uint64_t ea = V_EA(fp[A1].u32, N);                                    \
        memcpy(mem + ea, (uint8_t *)(fp + B1) + pc[3].s.a * (N), N);          \
        NEXT(4);                                                              \
    }
V_LOAD_LANE(V128_LOAD8_LANE, 1)
V_LOAD_LANE(V128_LOAD16_LANE, 2)
V_LOAD_LANE(V128_LOAD32_LANE, 4)
V_LOAD_LANE(V128_LOAD64_LANE, 8)
V_STORE_LANE(V128_STORE8_LANE, 1)
V_STORE_LANE(V128_STORE16_LANE, 2)
V_STORE_LANE(V128_STORE32_LANE, 4)
V_STORE_LANE(V128_STORE64_LANE, 8)

/* ---- moves, constants, lanes ----------------------------------------------------------- */

OP(V128_COPY) { VPUT(A1, VGET(B1)); NEXT(2); }
OP(V128_SELECT) { VPUT(A1, fp[B1].u32 ? VGET(A2) : VGET(B2)); NEXT(3); }
/* v128 results are written with one 16-byte store: a reader loading 16 bytes from two
 * 8-byte stores would wait for them (no store-to-load forwarding) */
OP(V128_GLOBAL_GET) {
    const elvm_global *g = inst->globals[B1];
    v128 r;
    r.u64 = (vu64){g->val.u64, g->val_hi.u64};
    VPUT(A1, r);
    NEXT(2);
}
OP(V128_GLOBAL_SET) {
    elvm_global *g = inst->globals[B1];
    g->val = fp[A1];
    g->val_hi = fp[A1 + 1];
    NEXT(2);
}
OP(V128_CONST) {
    memcpy(fp + A1, pc + 2, 16);
    NEXT(4);
}
/* the lane bytes in pc[3..4] are in pshufb's encoding (simd.h shuffle_bytes) */
OP(I8X16_SHUFFLE) {
    v128 m;
    memcpy(&m, pc + 3, 16);
    VPUT(A1, V_SHUFFLE(VGET(B1), VGET(A2), m));
    NEXT(5);
}
V_BIN(I8X16_SWIZZLE, r = V_SWIZZLE(a, b))
/* [h][d|a]: a scalar in every lane */
#define V_SPLAT(name, field, T, in)                                           \
    OP(name) {                                                                \
        v128 r = V_ZERO;                                                      \
        r.field += (T)fp[B1].in;                                              \
        VPUT(A1, r);                                                          \
        NEXT(2);                                                              \
    }
V_SPLAT(I8X16_SPLAT, u8, uint8_t, u32)
V_SPLAT(I16X8_SPLAT, u16, uint16_t, u32)
V_SPLAT(I32X4_SPLAT, u32, uint32_t, u32)
V_SPLAT(I64X2_SPLAT, u64, uint64_t, u64)
V_SPLAT(F32X4_SPLAT, u32, uint32_t, u32)
V_SPLAT(F64X2_SPLAT, u64, uint64_t, u64)
/* [h][d|a][lane|0] and [h][d|a][b|lane]; the compiler checked the lane index */
#define V_EXTRACT(name, field, out, T)                                        \
    OP(name) { v128 a = VGET(B1); fp[A1].out = (T)a.field[A2]; NEXT(3); }
#define V_REPLACE(name, field, in, T)                                         \
    OP(name) { v128 r = VGET(B1); r.field[B2] = (T)fp[A2].in; VPUT(A1, r); NEXT(3); }
V_EXTRACT(I8X16_EXTRACT_LANE_S, i8, i32, int32_t)
V_EXTRACT(I8X16_EXTRACT_LANE_U, u8, u32, uint32_t)
V_EXTRACT(I16X8_EXTRACT_LANE_S, i16, i32, int32_t)
V_EXTRACT(I16X8_EXTRACT_LANE_U, u16, u32, uint32_t)
V_EXTRACT(I32X4_EXTRACT_LANE, u32, u32, uint32_t)
V_EXTRACT(I64X2_EXTRACT_LANE, u64, u64, uint64_t)
V_EXTRACT(F32X4_EXTRACT_LANE, u32, u32, uint32_t)
V_EXTRACT(F64X2_EXTRACT_LANE, u64, u64, uint64_t)
V_REPLACE(I8X16_REPLACE_LANE, u8, u32, uint8_t)
V_REPLACE(I16X8_REPLACE_LANE, u16, u32, uint16_t)
V_REPLACE(I32X4_REPLACE_LANE, u32, u32, uint32_t)
V_REPLACE(I64X2_REPLACE_LANE, u64, u64, uint64_t)
V_REPLACE(F32X4_REPLACE_LANE, u32, u32, uint32_t)
V_REPLACE(F64X2_REPLACE_LANE, u64, u64, uint64_t)

/* ---- comparisons ----------------------------------------------------------------------- */

V_CMP(I8X16_EQ, i8, ==)
V_CMP(I8X16_NE, i8, !=)
V_CMP(I8X16_LT_S, i8, <)
V_CMP(I8X16_LT_U, u8, <)
V_CMP(I8X16_GT_S, i8, >)
V_CMP(I8X16_GT_U, u8, >)
V_CMP(I8X16_LE_S, i8, <=)
V_CMP(I8X16_LE_U, u8, <=)
V_CMP(I8X16_GE_S, i8, >=)
V_CMP(I8X16_GE_U, u8, >=)
V_CMP(I16X8_EQ, i16, ==)
V_CMP(I16X8_NE, i16, !=)
V_CMP(I16X8_LT_S, i16, <)
V_CMP(I16X8_LT_U, u16, <)
V_CMP(I16X8_GT_S, i16, >)
V_CMP(I16X8_GT_U, u16, >)
V_CMP(I16X8_LE_S, i16, <=)
V_CMP(I16X8_LE_U, u16, <=)
V_CMP(I16X8_GE_S, i16, >=)
V_CMP(I16X8_GE_U, u16, >=)
V_CMP(I32X4_EQ, i32, ==)
V_CMP(I32X4_NE, i32, !=)
V_CMP(I32X4_LT_S, i32, <)
V_CMP(I32X4_LT_U, u32, <)
V_CMP(I32X4_GT_S, i32, >)
V_CMP(I32X4_GT_U, u32, >)
V_CMP(I32X4_LE_S, i32, <=)
V_CMP(I32X4_LE_U, u32, <=)
V_CMP(I32X4_GE_S, i32, >=)
V_CMP(I32X4_GE_U, u32, >=)
V_CMP(I64X2_EQ, i64, ==)
V_CMP(I64X2_NE, i64, !=)
V_CMP(I64X2_LT_S, i64, <)
V_CMP(I64X2_GT_S, i64, >)
V_CMP(I64X2_LE_S, i64, <=)
V_CMP(I64X2_GE_S, i64, >=)
/* IEEE compares: false for NaN, except ne */
V_CMP(F32X4_EQ, f32, ==)
V_CMP(F32X4_NE, f32, !=)
V_CMP(F32X4_LT, f32, <)
V_CMP(F32X4_GT, f32, >)
V_CMP(F32X4_LE, f32, <=)
V_CMP(F32X4_GE, f32, >=)
V_CMP(F64X2_EQ, f64, ==)
V_CMP(F64X2_NE, f64, !=)
V_CMP(F64X2_LT, f64, <)
V_CMP(F64X2_GT, f64, >)
V_CMP(F64X2_LE, f64, <=)
V_CMP(F64X2_GE, f64, >=)

/* ---- bitwise ------------------------------------------------------------------------- */

V_UN(V128_NOT, r.u64 = ~a.u64)
V_BIN(V128_AND, r.u64 = a.u64 & b.u64)
V_BIN(V128_ANDNOT, r.u64 = a.u64 & ~b.u64)
V_BIN(V128_OR, r.u64 = a.u64 | b.u64)
V_BIN(V128_XOR, r.u64 = a.u64 ^ b.u64)
/* [h][d|a][b|c]: bits of a where c is 1, of b where it is 0 */
OP(V128_BITSELECT) {
    v128 a = VGET(B1), b = VGET(A2), c = VGET(B2), r;
    r.u64 = v128_blend(c.u64, a.u64, b.u64);
    VPUT(A1, r);
    NEXT(3);
}
/* [h][d|a]: an i32 from a v128 */
#define V_TEST(name, expr) OP(name) { v128 a = VGET(B1); fp[A1].u32 = (uint32_t)(expr); NEXT(2); }
V_TEST(V128_ANY_TRUE, (a.u64[0] | a.u64[1]) != 0)
V_TEST(I8X16_ALL_TRUE, V_ALL_TRUE(a, u8, 16))
V_TEST(I16X8_ALL_TRUE, V_ALL_TRUE(a, u16, 8))
V_TEST(I32X4_ALL_TRUE, V_ALL_TRUE(a, u32, 4))
V_TEST(I64X2_ALL_TRUE, V_ALL_TRUE(a, u64, 2))
#ifdef ELVM_SSE2
V_TEST(I8X16_BITMASK, _mm_movemask_epi8(a.m))
V_TEST(I32X4_BITMASK, _mm_movemask_ps(a.mf))
V_TEST(I64X2_BITMASK, _mm_movemask_pd(a.md))
#else
V_TEST(I8X16_BITMASK, V_BITMASK(a, u8, 16, 8))
V_TEST(I32X4_BITMASK, V_BITMASK(a, u32, 4, 32))
V_TEST(I64X2_BITMASK, V_BITMASK(a, u64, 2, 64))
#endif
V_TEST(I16X8_BITMASK, V_BITMASK(a, u16, 8, 16))

/* ---- integer arithmetic (unsigned lanes: wrapping) ----------------------------------------- */

V_UN(I8X16_ABS, vi8 m = a.i8 >> 7; r.u8 = (a.u8 ^ (vu8)m) - (vu8)m)
V_UN(I16X8_ABS, vi16 m = a.i16 >> 15; r.u16 = (a.u16 ^ (vu16)m) - (vu16)m)
V_UN(I32X4_ABS, vi32 m = a.i32 >> 31; r.u32 = (a.u32 ^ (vu32)m) - (vu32)m)
V_UN(I64X2_ABS, vi64 m = a.i64 >> 63; r.u64 = (a.u64 ^ (vu64)m) - (vu64)m)
V_UN(I8X16_NEG, r.u8 = -a.u8)
V_UN(I16X8_NEG, r.u16 = -a.u16)
V_UN(I32X4_NEG, r.u32 = -a.u32)
V_UN(I64X2_NEG, r.u64 = -a.u64)
V_UN(I8X16_POPCNT, vu8 x = a.u8 - ((a.u8 >> 1) & 0x55); x = (x & 0x33) + ((x >> 2) & 0x33);
     r.u8 = (x + (x >> 4)) & 0x0F)

V_SHIFT(I8X16_SHL, u8, 8, <<)
V_SHIFT(I8X16_SHR_S, i8, 8, >>)
V_SHIFT(I8X16_SHR_U, u8, 8, >>)
V_SHIFT(I16X8_SHL, u16, 16, <<)
V_SHIFT(I16X8_SHR_S, i16, 16, >>)
V_SHIFT(I16X8_SHR_U, u16, 16, >>)
V_SHIFT(I32X4_SHL, u32, 32, <<)
V_SHIFT(I32X4_SHR_S, i32, 32, >>)
V_SHIFT(I32X4_SHR_U, u32, 32, >>)
V_SHIFT(I64X2_SHL, u64, 64, <<)
V_SHIFT(I64X2_SHR_S, i64, 64, >>)
V_SHIFT(I64X2_SHR_U, u64, 64, >>)

V_BIN(I8X16_ADD, r.u8 = a.u8 + b.u8)
V_BIN(I16X8_ADD, r.u16 = a.u16 + b.u16)
V_BIN(I32X4_ADD, r.u32 = a.u32 + b.u32)
V_BIN(I64X2_ADD, r.u64 = a.u64 + b.u64)
V_BIN(I8X16_SUB, r.u8 = a.u8 - b.u8)
V_BIN(I16X8_SUB, r.u16 = a.u16 - b.u16)
V_BIN(I32X4_SUB, r.u32 = a.u32 - b.u32)
V_BIN(I64X2_SUB, r.u64 = a.u64 - b.u64)
V_BIN(I16X8_MUL, r.u16 = a.u16 * b.u16)
V_BIN(I32X4_MUL, r.u32 = a.u32 * b.u32)
V_BIN(I64X2_MUL, r.u64 = a.u64 * b.u64)
#ifdef ELVM_SSE2
V_BIN(I8X16_ADD_SAT_S, r.m = _mm_adds_epi8(a.m, b.m))
V_BIN(I8X16_ADD_SAT_U, r.m = _mm_adds_epu8(a.m, b.m))
V_BIN(I8X16_SUB_SAT_S, r.m = _mm_subs_epi8(a.m, b.m))
V_BIN(I8X16_SUB_SAT_U, r.m = _mm_subs_epu8(a.m, b.m))
V_BIN(I16X8_ADD_SAT_S, r.m = _mm_adds_epi16(a.m, b.m))
V_BIN(I16X8_ADD_SAT_U, r.m = _mm_adds_epu16(a.m, b.m))
V_BIN(I16X8_SUB_SAT_S, r.m = _mm_subs_epi16(a.m, b.m))
V_BIN(I16X8_SUB_SAT_U, r.m = _mm_subs_epu16(a.m, b.m))
#else
V_ZIP(I8X16_ADD_SAT_S, i8, 16, sat_s8(x + y))
V_ZIP(I8X16_ADD_SAT_U, u8, 16, sat_u8(x + y))
V_ZIP(I8X16_SUB_SAT_S, i8, 16, sat_s8(x - y))
V_ZIP(I8X16_SUB_SAT_U, u8, 16, sat_u8(x - y))
V_ZIP(I16X8_ADD_SAT_S, i16, 8, sat_s16(x + y))
V_ZIP(I16X8_ADD_SAT_U, u16, 8, sat_u16(x + y))
V_ZIP(I16X8_SUB_SAT_S, i16, 8, sat_s16(x - y))
V_ZIP(I16X8_SUB_SAT_U, u16, 8, sat_u16(x - y))
#endif
V_PICK(I8X16_MIN_S, i8, <)
V_PICK(I8X16_MIN_U, u8, <)
V_PICK(I8X16_MAX_S, i8, >)
V_PICK(I8X16_MAX_U, u8, >)
V_PICK(I16X8_MIN_S, i16, <)
V_PICK(I16X8_MIN_U, u16, <)
V_PICK(I16X8_MAX_S, i16, >)
V_PICK(I16X8_MAX_U, u16, >)
V_PICK(I32X4_MIN_S, i32, <)
V_PICK(I32X4_MIN_U, u32, <)
V_PICK(I32X4_MAX_S, i32, >)
V_PICK(I32X4_MAX_U, u32, >)
/* (a + b + 1) >> 1 without the carry out: (a | b) - ((a ^ b) >> 1) */
V_BIN(I8X16_AVGR_U, r.u8 = (a.u8 | b.u8) - ((a.u8 ^ b.u8) >> 1))
V_BIN(I16X8_AVGR_U, r.u16 = (a.u16 | b.u16) - ((a.u16 ^ b.u16) >> 1))
V_ZIP(I16X8_Q15MULR_SAT_S, i16, 8, q15mulr(x, y))

/* ---- narrowing and widening ---------------------------------------------------------- */

#ifdef ELVM_SSE2
V_BIN(I8X16_NARROW_I16X8_S, r.m = _mm_packs_epi16(a.m, b.m))
V_BIN(I8X16_NARROW_I16X8_U, r.m = _mm_packus_epi16(a.m, b.m))
V_BIN(I16X8_NARROW_I32X4_S, r.m = _mm_packs_epi32(a.m, b.m))
#else
V_BIN(I8X16_NARROW_I16X8_S, for (int i = 0; i < 8; i++) {
    r.i8[i] = sat_s8(a.i16[i]); r.i8[i + 8] = sat_s8(b.i16[i]); })
V_BIN(I8X16_NARROW_I16X8_U, for (int i = 0; i < 8; i++) {
    r.u8[i] = sat_u8(a.i16[i]); r.u8[i + 8] = sat_u8(b.i16[i]); })
V_BIN(I16X8_NARROW_I32X4_S, for (int i = 0; i < 4; i++) {
    r.i16[i] = sat_s16(a.i32[i]); r.i16[i + 4] = sat_s16(b.i32[i]); })
#endif
V_BIN(I16X8_NARROW_I32X4_U, for (int i = 0; i < 4; i++) {
    r.u16[i] = sat_u16(a.i32[i]); r.u16[i + 4] = sat_u16(b.i32[i]); })
/* lanes `from` .. from + lanes - 1 of a, widened */
#define V_EXTEND(name, wide, narrow, lanes, from)                             \
    V_UN(name, for (int i = 0; i < (lanes); i++) r.wide[i] = a.narrow[i + (from)])
V_EXTEND(I16X8_EXTEND_LOW_I8X16_S, i16, i8, 8, 0)
V_EXTEND(I16X8_EXTEND_HIGH_I8X16_S, i16, i8, 8, 8)
V_EXTEND(I16X8_EXTEND_LOW_I8X16_U, u16, u8, 8, 0)
V_EXTEND(I16X8_EXTEND_HIGH_I8X16_U, u16, u8, 8, 8)
V_EXTEND(I32X4_EXTEND_LOW_I16X8_S, i32, i16, 4, 0)
V_EXTEND(I32X4_EXTEND_HIGH_I16X8_S, i32, i16, 4, 4)
V_EXTEND(I32X4_EXTEND_LOW_I16X8_U, u32, u16, 4, 0)
V_EXTEND(I32X4_EXTEND_HIGH_I16X8_U, u32, u16, 4, 4)
V_EXTEND(I64X2_EXTEND_LOW_I32X4_S, i64, i32, 2, 0)
V_EXTEND(I64X2_EXTEND_HIGH_I32X4_S, i64, i32, 2, 2)
V_EXTEND(I64X2_EXTEND_LOW_I32X4_U, u64, u32, 2, 0)
V_EXTEND(I64X2_EXTEND_HIGH_I32X4_U, u64, u32, 2, 2)
/* products of lanes `from` .. of a and b, in lanes of twice the width (no overflow: the
 * unsigned ones multiply in the wide unsigned type, not in int) */
#define V_EXTMUL(name, wide, WT, narrow, lanes, from)                         \
    V_BIN(name, for (int i = 0; i < (lanes); i++)                             \
        r.wide[i] = (WT)a.narrow[i + (from)] * (WT)b.narrow[i + (from)])
V_EXTMUL(I16X8_EXTMUL_LOW_I8X16_S, i16, int16_t, i8, 8, 0)
V_EXTMUL(I16X8_EXTMUL_HIGH_I8X16_S, i16, int16_t, i8, 8, 8)
V_EXTMUL(I16X8_EXTMUL_LOW_I8X16_U, u16, uint32_t, u8, 8, 0)
V_EXTMUL(I16X8_EXTMUL_HIGH_I8X16_U, u16, uint32_t, u8, 8, 8)
V_EXTMUL(I32X4_EXTMUL_LOW_I16X8_S, i32, int32_t, i16, 4, 0)
V_EXTMUL(I32X4_EXTMUL_HIGH_I16X8_S, i32, int32_t, i16, 4, 4)
V_EXTMUL(I32X4_EXTMUL_LOW_I16X8_U, u32, uint32_t, u16, 4, 0)
V_EXTMUL(I32X4_EXTMUL_HIGH_I16X8_U, u32, uint32_t, u16, 4, 4)
V_EXTMUL(I64X2_EXTMUL_LOW_I32X4_S, i64, int64_t, i32, 2, 0)
V_EXTMUL(I64X2_EXTMUL_HIGH_I32X4_S, i64, int64_t, i32, 2, 2)
V_EXTMUL(I64X2_EXTMUL_LOW_I32X4_U, u64, uint64_t, u32, 2, 0)
V_EXTMUL(I64X2_EXTMUL_HIGH_I32X4_U, u64, uint64_t, u32, 2, 2)
/* sums of adjacent lane pairs, in lanes of twice the width */
#define V_PAIRWISE(name, wide, WT, narrow, lanes)                             \
    V_UN(name, for (int i = 0; i < (lanes); i++)                              \
        r.wide[i] = (WT)((WT)a.narrow[2 * i] + (WT)a.narrow[2 * i + 1]))
V_PAIRWISE(I16X8_EXTADD_PAIRWISE_I8X16_S, i16, int16_t, i8, 8)
V_PAIRWISE(I16X8_EXTADD_PAIRWISE_I8X16_U, u16, uint16_t, u8, 8)
V_PAIRWISE(I32X4_EXTADD_PAIRWISE_I16X8_S, i32, int32_t, i16, 4)
V_PAIRWISE(I32X4_EXTADD_PAIRWISE_I16X8_U, u32, uint32_t, u16, 4)
/* two products summed per i32 lane; only (-2^15)^2 * 2 overflows, and wraps */
#ifdef ELVM_SSE2
V_BIN(I32X4_DOT_I16X8_S, r.m = _mm_madd_epi16(a.m, b.m))
#else
V_BIN(I32X4_DOT_I16X8_S, for (int i = 0; i < 4; i++)
    r.u32[i] = (uint32_t)((int32_t)a.i16[2 * i] * b.i16[2 * i]) +
               (uint32_t)((int32_t)a.i16[2 * i + 1] * b.i16[2 * i + 1]))
#endif

/* ---- floating point ---------------------------------------------------------------------- */

V_UN(F32X4_ABS, r.u32 = a.u32 & 0x7FFFFFFFu)
V_UN(F32X4_NEG, r.u32 = a.u32 ^ 0x80000000u)
V_UN(F64X2_ABS, r.u64 = a.u64 & 0x7FFFFFFFFFFFFFFFull)
V_UN(F64X2_NEG, r.u64 = a.u64 ^ 0x8000000000000000ull)
V_BIN(F32X4_ADD, r.f32 = a.f32 + b.f32)
V_BIN(F32X4_SUB, r.f32 = a.f32 - b.f32)
V_BIN(F32X4_MUL, r.f32 = a.f32 * b.f32)
V_BIN(F32X4_DIV, r.f32 = a.f32 / b.f32)
V_BIN(F64X2_ADD, r.f64 = a.f64 + b.f64)
V_BIN(F64X2_SUB, r.f64 = a.f64 - b.f64)
V_BIN(F64X2_MUL, r.f64 = a.f64 * b.f64)
V_BIN(F64X2_DIV, r.f64 = a.f64 / b.f64)
#ifdef ELVM_SSE2
V_UN(F32X4_SQRT, r.mf = _mm_sqrt_ps(a.mf))
V_UN(F64X2_SQRT, r.md = _mm_sqrt_pd(a.md))
#else
V_MAP(F32X4_SQRT, f32, 4, sqrtf(x))
V_MAP(F64X2_SQRT, f64, 2, sqrt(x))
#endif
/* min/max propagate NaN and order -0 below +0, lane by lane as the scalar ops */
V_ZIP(F32X4_MIN, f32, 4, fmin32(x, y))
V_ZIP(F32X4_MAX, f32, 4, fmax32(x, y))
V_ZIP(F64X2_MIN, f64, 2, fmin64(x, y))
V_ZIP(F64X2_MAX, f64, 2, fmax64(x, y))
/* pseudo-min/max: b < a ? b : a and a < b ? b : a, exactly (NaN and -0 included) */
V_BIN(F32X4_PMIN, r.u64 = v128_blend((vu64)(b.f32 < a.f32), b.u64, a.u64))
V_BIN(F32X4_PMAX, r.u64 = v128_blend((vu64)(a.f32 < b.f32), b.u64, a.u64))
V_BIN(F64X2_PMIN, r.u64 = v128_blend((vu64)(b.f64 < a.f64), b.u64, a.u64))
V_BIN(F64X2_PMAX, r.u64 = v128_blend((vu64)(a.f64 < b.f64), b.u64, a.u64))
V_MAP(F32X4_CEIL, f32, 4, f32_ceil(x))
V_MAP(F32X4_FLOOR, f32, 4, f32_floor(x))
V_MAP(F32X4_TRUNC, f32, 4, f32_trunc(x))
V_MAP(F32X4_NEAREST, f32, 4, f32_nearest(x))
V_MAP(F64X2_CEIL, f64, 2, f64_ceil(x))
V_MAP(F64X2_FLOOR, f64, 2, f64_floor(x))
V_MAP(F64X2_TRUNC, f64, 2, f64_trunc(x))
V_MAP(F64X2_NEAREST, f64, 2, f64_nearest(x))

/* ---- conversions ---------------------------------------------------------------------- */

V_UN(I32X4_TRUNC_SAT_F32X4_S, for (int i = 0; i < 4; i++) r.i32[i] = sat_i32_f32(a.f32[i]))
V_UN(I32X4_TRUNC_SAT_F32X4_U, for (int i = 0; i < 4; i++) r.u32[i] = sat_u32_f32(a.f32[i]))
V_UN(F32X4_CONVERT_I32X4_S, for (int i = 0; i < 4; i++) r.f32[i] = (float)a.i32[i])
V_UN(F32X4_CONVERT_I32X4_U, for (int i = 0; i < 4; i++) r.f32[i] = (float)a.u32[i])
/* the two f64 lanes into lanes 0 and 1; lanes 2 and 3 are zero */
V_UN(I32X4_TRUNC_SAT_F64X2_S_ZERO, for (int i = 0; i < 2; i++) r.i32[i] = sat_i32_f64(a.f64[i]))
V_UN(I32X4_TRUNC_SAT_F64X2_U_ZERO, for (int i = 0; i < 2; i++) r.u32[i] = sat_u32_f64(a.f64[i]))
V_UN(F32X4_DEMOTE_F64X2_ZERO, for (int i = 0; i < 2; i++) r.f32[i] = (float)a.f64[i])
/* lanes 0 and 1, widened */
V_UN(F64X2_PROMOTE_LOW_F32X4, for (int i = 0; i < 2; i++) r.f64[i] = (double)a.f32[i])
V_UN(F64X2_CONVERT_LOW_I32X4_S, for (int i = 0; i < 2; i++) r.f64[i] = (double)a.i32[i])
V_UN(F64X2_CONVERT_LOW_I32X4_U, for (int i = 0; i < 2; i++) r.f64[i] = (double)a.u32[i])

#undef VGET
#undef VPUT
#undef V_ZERO
#undef V_UN
#undef V_BIN
#undef V_MAP
#undef V_ZIP
#undef V_SHIFT
#undef V_CMP
#undef V_PICK
#undef V_EA
#undef V_LOAD_EXT
#undef V_LOAD_ONE
#undef V_LOAD_LANE
#undef V_STORE_LANE
#undef V_SPLAT
#undef V_EXTRACT
#undef V_REPLACE
#undef V_TEST
#undef V_EXTEND
#undef V_EXTMUL
#undef V_PAIRWISE

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
