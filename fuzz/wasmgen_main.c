/* wasmgen_main.c: the generator as a command, for the differential tests and by hand:
 *   wasmgen [-hang] [-log] [-imports] [-ref] [-denan] [-simd] IN OUT.wasm
 * reads IN (any bytes, e.g. from /dev/urandom) and writes a valid module to OUT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasmgen.h"

int main(int argc, char **argv) {
    wg_options o = {0};
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-hang")) o.hang_guard = 1;
        else if (!strcmp(argv[i], "-log")) o.log_imports = 1;
        else if (!strcmp(argv[i], "-imports")) o.other_imports = 1;
        else if (!strcmp(argv[i], "-ref")) o.ref_types = 1;
        else if (!strcmp(argv[i], "-denan")) o.denan = 1;
        else if (!strcmp(argv[i], "-simd")) o.simd = 1;
        else {
            fprintf(stderr, "wasmgen: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (argc - i != 2) {
        fprintf(stderr, "usage: wasmgen [-hang] [-log] [-imports] [-ref] [-denan] [-simd] IN OUT.wasm\n");
        return 2;
    }
    FILE *f = fopen(argv[i], "rb");
    if (!f) {
        perror(argv[i]);
        return 1;
    }
    static uint8_t in[1 << 20];
    size_t n = fread(in, 1, sizeof in, f);
    fclose(f);
    uint8_t *out;
    size_t outlen;
    wasmgen(in, n, &o, &out, &outlen);
    f = fopen(argv[i + 1], "wb");
    if (!f || fwrite(out, 1, outlen, f) != outlen || fclose(f) != 0) {
        perror(argv[i + 1]);
        return 1;
    }
    free(out);
    return 0;
}
