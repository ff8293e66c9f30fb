/* memchase.c: memory-bound work over tens of MB: a dependent random pointer chase through a
 * 32 MiB permutation (cache and TLB misses), then streaming copy-and-sum passes over it.
 *   memchase [ROUNDS [MIB]]   ROUNDS rounds (default 3) over a MIB-mebibyte table (default 32) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint32_t rng_state = 88172645u;
static uint32_t xorshift32(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

int main(int argc, char **argv) {
    uint32_t rounds = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 3;
    uint32_t mib = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 32;
    uint32_t n = mib << 18; /* 4-byte entries */
    uint32_t *next = malloc((size_t)n * 4), *copy = malloc((size_t)n * 4);
    if (!next || !copy || n < 2) {
        fprintf(stderr, "memchase: out of memory\n");
        return 1;
    }
    /* Sattolo's algorithm: a random permutation that is a single cycle through every entry. */
    for (uint32_t i = 0; i < n; i++) next[i] = i;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = xorshift32() % i;
        uint32_t t = next[i];
        next[i] = next[j];
        next[j] = t;
    }
    uint32_t pos = 0;
    uint64_t sum = 0;
    for (uint32_t r = 0; r < rounds; r++) {
        /* Each load depends on the previous one, so the chase runs at memory latency. */
        for (uint32_t s = 0; s < n / 3; s++) {
            pos = next[pos];
            sum += pos;
        }
        /* Streaming: copy with a twist, then read the copy back backwards. */
        uint32_t salt = r * 0x9e3779b9u;
        for (uint32_t i = 0; i < n; i++) copy[i] = next[i] ^ salt;
        uint32_t acc = 0;
        for (uint32_t i = n; i-- > 0;) acc = (acc + copy[i]) * 3u;
        sum += acc;
    }
    free(next);
    free(copy);
    printf("%u rounds over %u MiB: position %u\n", rounds, mib, pos);
    printf("checksum: %016llx\n", (unsigned long long)sum);
    return 0;
}
