/* simd_dot.c: dot products of f32 and of i16 vectors, repeated. Built with -msimd128 it
 * uses wasm_simd128.h (f32x4 multiply-adds, i32x4.dot_i16x8_s); without, plain C loops with
 * the same partial sums, so both builds (and native) print the same bits.
 *   simd_dot [REPS [N]]   REPS rounds (default 40000) over vectors of N elements (default 4096) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

/* sum of a[i] * b[i] (n a multiple of 8): lane k of four partial sums takes the elements i
 * with i % 4 == k, then the lanes are added pairwise */
static float dot_f32(const float *restrict a, const float *restrict b, uint32_t n) {
#ifdef __wasm_simd128__
    v128_t s = wasm_f32x4_splat(0);
    for (uint32_t i = 0; i < n; i += 4)
        s = wasm_f32x4_add(s, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    return (wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1)) +
           (wasm_f32x4_extract_lane(s, 2) + wasm_f32x4_extract_lane(s, 3));
#else
    float s[4] = {0, 0, 0, 0};
    for (uint32_t i = 0; i < n; i += 4)
        for (uint32_t k = 0; k < 4; k++) s[k] += a[i + k] * b[i + k];
    return (s[0] + s[1]) + (s[2] + s[3]);
#endif
}

/* the same in integers: 16-bit inputs, wrapping 32-bit sums (any order gives the same) */
static uint32_t dot_i16(const int16_t *restrict a, const int16_t *restrict b, uint32_t n) {
#ifdef __wasm_simd128__
    v128_t s = wasm_i32x4_splat(0);
    for (uint32_t i = 0; i < n; i += 8)
        s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    return (uint32_t)wasm_i32x4_extract_lane(s, 0) + (uint32_t)wasm_i32x4_extract_lane(s, 1) +
           (uint32_t)wasm_i32x4_extract_lane(s, 2) + (uint32_t)wasm_i32x4_extract_lane(s, 3);
#else
    uint32_t s = 0;
    for (uint32_t i = 0; i < n; i++) s += (uint32_t)(a[i] * b[i]);
    return s;
#endif
}

int main(int argc, char **argv) {
    uint32_t reps = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 40000;
    uint32_t n = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 4096;
    n &= ~7u;
    float *fa = malloc(sizeof(float) * n), *fb = malloc(sizeof(float) * n);
    int16_t *ia = malloc(sizeof(int16_t) * n), *ib = malloc(sizeof(int16_t) * n);
    if (!fa || !fb || !ia || !ib) {
        fprintf(stderr, "simd_dot: out of memory\n");
        return 1;
    }
    uint32_t seed = 7;
    for (uint32_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        fa[i] = (float)(seed >> 8) / 16777216.0f - 0.5f;
        ia[i] = (int16_t)(seed >> 16);
        seed = seed * 1664525u + 1013904223u;
        fb[i] = (float)(seed >> 8) / 16777216.0f - 0.5f;
        ib[i] = (int16_t)(seed >> 16);
    }
    float facc = 0;
    uint32_t iacc = 0;
    for (uint32_t r = 0; r < reps; r++) {
        /* nudge one element each round so the rounds differ */
        fa[r % n] += 0.001f;
        ia[(r * 7) % n] += 1;
        facc += dot_f32(fa, fb, n);
        iacc = iacc * 31 + dot_i16(ia, ib, n);
    }
    uint32_t fbits;
    memcpy(&fbits, &facc, 4);
    printf("%u rounds of %u elements: f32 %.6f, i16 %u\n", reps, n, (double)facc, iacc);
    printf("checksum: %08x %08x\n", fbits, iacc);
    free(fa);
    free(fb);
    free(ia);
    free(ib);
    return 0;
}
