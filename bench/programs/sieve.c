/* sieve.c: sieve of Eratosthenes over a byte array; stresses byte loads/stores and loops.
 *   sieve [REPS [LIMIT]]   REPS sieves (default 10) of the numbers up to LIMIT (default 8M) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    uint32_t reps = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 10;
    uint32_t limit = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 8u << 20;
    uint8_t *flags = malloc((size_t)limit + 1);
    if (!flags) {
        fprintf(stderr, "sieve: out of memory\n");
        return 1;
    }
    uint32_t count = 0, hash = 2166136261u;
    for (uint32_t r = 0; r < reps; r++) {
        /* Each repetition sieves a slightly different range so no work can be reused. */
        uint32_t n = limit - r;
        memset(flags, 1, (size_t)n + 1);
        flags[0] = flags[1] = 0;
        for (uint32_t i = 2; i * i <= n; i++)
            if (flags[i])
                for (uint32_t j = i * i; j <= n; j += i) flags[j] = 0;
        count = 0;
        for (uint32_t i = 0; i <= n; i++)
            if (flags[i]) {
                count++;
                hash = (hash ^ i) * 16777619u;
            }
    }
    free(flags);
    printf("primes up to %u: %u\n", limit - (reps ? reps - 1 : 0), count);
    printf("checksum: %08x\n", hash ^ count);
    return 0;
}
