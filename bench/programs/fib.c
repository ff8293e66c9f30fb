/* fib.c: naive recursive Fibonacci; stresses calls, returns and small integer ops.
 *   fib [N]   computes fib(N) (default 40) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint32_t fib(uint32_t n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char **argv) {
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 40;
    uint32_t r = fib(n);
    printf("fib(%u) = %u\n", n, r);
    printf("checksum: %08x\n", r);
    return 0;
}
