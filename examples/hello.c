/* hello.c: the smallest WASI command: a greeting, its arguments and one environment
 * variable. Under elvm:  elvm run --env NAME=you build/examples/hello.wasm a b */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    const char *name = getenv("NAME"); /* the guest sees only what --env passes */
    printf("Hello, %s!\n", name ? name : "world");
    printf("I was given %d argument%s%s\n", argc - 1, argc == 2 ? "" : "s", argc > 1 ? ":" : ".");
    for (int i = 1; i < argc; i++) printf("  argv[%d] = \"%s\"\n", i, argv[i]);
    return 0;
}
