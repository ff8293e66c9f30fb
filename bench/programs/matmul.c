/* matmul.c: dense double-precision matrix multiply; stresses f64 arithmetic and array indexing.
 *   matmul [REPS [N]]   REPS products (default 40) of N x N matrices (default 200) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    uint32_t reps = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 40;
    uint32_t n = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 200;
    double *a = malloc(sizeof(double) * n * n);
    double *b = malloc(sizeof(double) * n * n);
    double *c = malloc(sizeof(double) * n * n);
    if (!a || !b || !c) {
        fprintf(stderr, "matmul: out of memory\n");
        return 1;
    }
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < n; j++) {
            a[i * n + j] = (double)((i * 7 + j * 13) % 17) / 8.0 - 1.0;
            b[i * n + j] = (double)((i * 11 + j * 5) % 19) / 9.0 - 1.0;
        }
    double trace = 0.0;
    for (uint32_t r = 0; r < reps; r++) {
        /* Change A a little each round so the products differ. */
        a[(r % n) * n + (r * 3) % n] += 0.5;
        memset(c, 0, sizeof(double) * n * n);
        for (uint32_t i = 0; i < n; i++)
            for (uint32_t k = 0; k < n; k++) {
                double aik = a[i * n + k];
                for (uint32_t j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
            }
        for (uint32_t i = 0; i < n; i++) trace += c[i * n + i];
    }
    double sum = 0.0;
    for (uint32_t i = 0; i < n * n; i++) sum += c[i];
    uint64_t bits_t, bits_s;
    memcpy(&bits_t, &trace, 8);
    memcpy(&bits_s, &sum, 8);
    printf("trace sum %.6f, last matrix sum %.6f\n", trace, sum);
    printf("checksum: %016llx %016llx\n", (unsigned long long)bits_t, (unsigned long long)bits_s);
    free(a);
    free(b);
    free(c);
    return 0;
}
