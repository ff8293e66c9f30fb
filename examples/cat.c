/* cat.c: prints a file, then a summary: lines, bytes and an FNV-1a checksum. Under
 * elvm the file must be inside a directory given with --dir:
 *   elvm run --dir examples/data::/data build/examples/cat.wasm /data/poem.txt
 * It uses fopen (path_open), fstat (fd_filestat_get), fseek/ftell (fd_seek) and
 * fread (fd_read). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: cat FILE\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        fprintf(stderr, "cat: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || fseek(f, 0, SEEK_END) != 0) {
        fprintf(stderr, "cat: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    long size = ftell(f);
    rewind(f);

    char buf[4096];
    size_t n, bytes = 0, lines = 0;
    uint32_t hash = 2166136261u; /* FNV-1a */
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        fwrite(buf, 1, n, stdout);
        for (size_t i = 0; i < n; i++) {
            hash = (hash ^ (uint8_t)buf[i]) * 16777619u;
            lines += buf[i] == '\n';
        }
        bytes += n;
    }
    if (ferror(f)) {
        fprintf(stderr, "cat: %s: read error\n", argv[1]);
        return 1;
    }
    fclose(f);
    printf("--- %zu lines, %zu bytes (stat: %lld, seek: %ld), fnv1a %08x\n", lines, bytes,
           (long long)st.st_size, size, (unsigned)hash);
    return 0;
}
