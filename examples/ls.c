/* ls.c: lists a directory, sorted, with each entry's kind and size. Under elvm:
 *   elvm run --dir examples/data::/data build/examples/ls.wasm /data
 * It uses opendir/readdir (path_open, fd_readdir) and open + fstat on each entry. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : ".";
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "ls: %s: %s\n", path, strerror(errno));
        return 1;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char **more = realloc(names, (n + 1) * sizeof *names);
        if (!more || !(more[n] = strdup(de->d_name))) return 1;
        names = more;
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        char full[4096];
        struct stat st;
        snprintf(full, sizeof full, "%s/%s", path, names[i]);
        int fd = open(full, O_RDONLY);
        if (fd < 0 || fstat(fd, &st) != 0) {
            printf("?  %s (%s)\n", names[i], strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            printf("d  %s/\n", names[i]);
        } else {
            printf("f  %-12s %6lld bytes\n", names[i], (long long)st.st_size);
        }
        if (fd >= 0) close(fd);
        free(names[i]);
    }
    free(names);
    printf("%zu entries\n", n);
    return 0;
}
