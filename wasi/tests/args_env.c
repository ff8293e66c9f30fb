/* args_env.c: args_get/args_sizes_get and environ_get/environ_sizes_get through main's
 * argv and getenv, and raw: the sizes count the NULs, the pointers point into the block
 * the guest gave, and nothing of the host's environment comes in but what was granted.
 * ARGS: one "two words" 'it''s' ""
 * ENV: GREETING=hello EMPTY= WITH_EQUALS=a=b
 */
#include <stdlib.h>

#include "t.h"

int main(int argc, char **argv) {
    printf("argc %d\n", argc);
    const char *slash = strrchr(argv[0], '/');
    printf("argv[0] %s\n", slash ? slash + 1 : argv[0]);
    for (int i = 1; i < argc; i++) printf("argv[%d] '%s'\n", i, argv[i]);
    printf("GREETING '%s'\n", getenv("GREETING"));
    printf("EMPTY '%s'\n", getenv("EMPTY"));
    printf("WITH_EQUALS '%s'\n", getenv("WITH_EQUALS"));
    printf("PATH set: %d, HOME set: %d\n", getenv("PATH") != NULL, getenv("HOME") != NULL);

    __wasi_size_t n, size;
    W("environ_sizes_get", __wasi_environ_sizes_get(&n, &size));
    printf("environ: %u strings, %u bytes\n", (unsigned)n, (unsigned)size);
    static char *vec[16];
    static char block[256];
    if (n <= 16 && size <= sizeof block) {
        W("environ_get", __wasi_environ_get((uint8_t **)vec, (uint8_t *)block));
        for (__wasi_size_t i = 0; i < n; i++)
            printf("environ[%u] '%s' in block %d\n", (unsigned)i, vec[i],
                   vec[i] >= block && vec[i] < block + size);
    }
    W("args_sizes_get", __wasi_args_sizes_get(&n, &size));
    printf("args: %u strings\n", (unsigned)n);
    return 0;
}
