/* simd_blur.c: a 3x3 Gaussian blur ([1 2 1] x [1 2 1] / 16) of an 8-bit grayscale image,
 * repeated; plain C loops that clang vectorizes with -msimd128 (16-bit lanes: i16x8 adds,
 * shifts, widening loads, narrowing), and that still build without SIMD.
 *   simd_blur [REPS [W [H]]]   REPS blurs (default 500) of a W x H image (default 512 x 512) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* one blur of src into dst (w x h); the border pixels are copied */
static void blur(const uint8_t *restrict src, uint8_t *restrict dst, uint16_t *restrict col,
                 uint32_t w, uint32_t h) {
    for (uint32_t x = 0; x < w; x++) dst[x] = src[x];
    for (uint32_t y = 1; y + 1 < h; y++) {
        const uint8_t *r0 = src + (y - 1) * w, *r1 = src + y * w, *r2 = src + (y + 1) * w;
        uint8_t *out = dst + y * w;
        /* vertical pass: 1 2 1 */
        for (uint32_t x = 0; x < w; x++) col[x] = (uint16_t)(r0[x] + 2 * r1[x] + r2[x]);
        /* horizontal pass: 1 2 1, rounded, / 16 */
        out[0] = r1[0];
        for (uint32_t x = 1; x + 1 < w; x++)
            out[x] = (uint8_t)((col[x - 1] + 2 * col[x] + col[x + 1] + 8) >> 4);
        out[w - 1] = r1[w - 1];
    }
    for (uint32_t x = 0; x < w; x++) dst[(h - 1) * w + x] = src[(h - 1) * w + x];
}

int main(int argc, char **argv) {
    uint32_t reps = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 500;
    uint32_t w = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 512;
    uint32_t h = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 512;
    if (w < 3 || h < 3) {
        fprintf(stderr, "simd_blur: the image must be at least 3 x 3\n");
        return 1;
    }
    uint8_t *a = malloc((size_t)w * h), *b = malloc((size_t)w * h);
    uint16_t *col = malloc(sizeof(uint16_t) * w);
    if (!a || !b || !col) {
        fprintf(stderr, "simd_blur: out of memory\n");
        return 1;
    }
    /* a test card: gradients, a checkerboard and some noise */
    uint32_t seed = 12345;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            seed = seed * 1103515245u + 12345u;
            uint32_t v = (x * 255 / w + y * 255 / h) / 2 + (((x / 16) ^ (y / 16)) & 1) * 60;
            a[y * w + x] = (uint8_t)((v + (seed >> 27)) & 0xFF);
        }
    for (uint32_t r = 0; r < reps; r++) {
        blur(a, b, col, w, h);
        /* sharpen the center pixel back a little each round so rounds differ */
        b[(h / 2) * w + w / 2] ^= (uint8_t)r;
        uint8_t *t = a;
        a = b;
        b = t;
    }
    uint64_t sum = 0, hash = 1469598103934665603ull;
    for (uint32_t i = 0; i < w * h; i++) {
        sum += a[i];
        hash = (hash ^ a[i]) * 1099511628211ull;
    }
    printf("%u blurs of %u x %u: pixel sum %llu\n", reps, w, h, (unsigned long long)sum);
    printf("checksum: %016llx\n", (unsigned long long)hash);
    free(a);
    free(b);
    free(col);
    return 0;
}
