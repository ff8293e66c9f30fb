/* toml_lazy.c: cli_toml_parse (toml.h), loaded on first use from libelvm-toml.so, the
 * C++ TOML reader (cli/toml.cpp with toml++) that the build puts beside the elvm
 * executable. Linking it in meant linking libstdc++ too, whose load-time relocations and
 * pages cost every `elvm run` about 0.34 ms (hello-world, 201 alternating runs: 3.37 ms
 * with it, 3.03 ms without), though only a TOML manifest needs it. If the reader cannot be
 * loaded when a TOML manifest needs it, elvm says so on one line and exits with status 1;
 * JSON manifests and plain runs do not need it. */
#include <dlfcn.h>
#include <linux/limits.h> /* PATH_MAX (<limits.h> would find vm/limits.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "toml.h"

#define TOML_PLUGIN "libelvm-toml.so"

typedef cJSON *parse_fn(const char *text, size_t len, char *why, size_t n, int *line, int *col);

/* The reader's path: the directory of the running executable, then TOML_PLUGIN. Empty
 * (and the reason in `why`) if the executable's path is unknown or too long. */
static void plugin_path(char *path, size_t size, char *why, size_t n) {
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    path[0] = 0;
    if (len <= 0) {
        snprintf(why, n, "cannot find the elvm executable (/proc/self/exe)");
        return;
    }
    exe[len] = 0;
    char *slash = strrchr(exe, '/');
    if (slash) slash[1] = 0;
    if ((size_t)snprintf(path, size, "%s%s", slash ? exe : "", TOML_PLUGIN) >= size) {
        path[0] = 0;
        snprintf(why, n, "the path of %s is too long", TOML_PLUGIN);
    }
}

/* Loads the reader once; on failure, the error line and exit 1. */
static parse_fn *load(void) {
    static parse_fn *parse;
    if (parse) return parse;
    char path[PATH_MAX], why[PATH_MAX + 64];
    plugin_path(path, sizeof path, why, sizeof why);
    if (!path[0]) {
        cli_error(NULL, "cannot load the TOML reader (TOML manifests need it): %s", why);
        exit(CLI_EXIT_ERROR);
    }
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        cli_error(NULL, "cannot load the TOML reader (TOML manifests need it): %s", dlerror());
        exit(CLI_EXIT_ERROR);
    }
    *(void **)&parse = dlsym(lib, "cli_toml_parse");
    if (!parse) {
        cli_error(NULL, "%s lacks cli_toml_parse", path);
        exit(CLI_EXIT_ERROR);
    }
    return parse;
}

cJSON *cli_toml_parse(const char *text, size_t len, char *why, size_t n, int *line, int *col) {
    return load()(text, len, why, n, line, col);
}
