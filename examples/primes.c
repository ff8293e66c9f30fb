/* primes.c: a little compute: a sieve of Eratosthenes up to N (default 1000000).
 *   elvm run --stats build/examples/primes.wasm 1000000
 * A bad N exits with status 2. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long n = 1000000;
    if (argc > 1) {
        char *end;
        n = strtol(argv[1], &end, 10);
        if (*end || n < 2 || n > 100000000) {
            fprintf(stderr, "primes: N must be a number from 2 to 100000000\n");
            return 2;
        }
    }
    unsigned char *composite = calloc((size_t)n + 1, 1);
    if (!composite) return 1;
    for (long i = 2; i * i <= n; i++)
        if (!composite[i])
            for (long j = i * i; j <= n; j += i) composite[j] = 1;
    long count = 0, last = 0;
    uint64_t sum = 0;
    printf("first primes:");
    for (long i = 2; i <= n; i++) {
        if (composite[i]) continue;
        if (count < 10) printf(" %ld", i);
        count++;
        sum += (uint64_t)i;
        last = i;
    }
    printf("\n%ld primes up to %ld; the largest is %ld; their sum is %llu\n", count, n, last,
           (unsigned long long)sum);
    free(composite);
    return 0;
}
