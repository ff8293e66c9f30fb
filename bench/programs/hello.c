/* hello.c: prints one line and exits; the harness times start-to-exit and peak RSS. */
#include <stdio.h>

int main(void) {
    puts("hello, world");
    return 0;
}
