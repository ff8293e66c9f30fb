/* toml_lazy.c: cli_toml_parse (toml.h), loaded on first use from libelvm-toml.so, the
 * C++ TOML reader (cli/toml.cpp with toml++) that the build puts beside the elvm
 * executable. Linking it in meant linking libstdc++ too, whose load-time relocations and
 * pages cost every `elvm run` about 0.34 ms (hello-world, 201 alternating runs: 3.37 ms
 * with it, 3.03 ms without), though only a TOML manifest needs it. If the reader cannot be
 * loaded when a TOML manifest needs it, elvm says so on one line and exits with status 1;
 * JSON manifests and plain runs do not need it. */
#include <errno.h>
#include <linux/limits.h> /* PATH_MAX (<limits.h> would find vm/limits.h) */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "toml.h"

#define TOML_PLUGIN "libelvm-toml.so"

typedef cJSON *parse_fn(const char *text, size_t len, char *why, size_t n, int *line, int *col);

/* Loads the reader once; on failure, the error line and exit 1. */
static parse_fn *load(void) {
    static parse_fn *parse;
    if (parse) return parse;
    char path[PATH_MAX];
    if (cli_sibling_path(TOML_PLUGIN, path, sizeof path)) {
        cli_error(NULL, "cannot load the TOML reader (TOML manifests need it): %s",
                  errno == ENAMETOOLONG ? "the path of " TOML_PLUGIN " is too long"
                                        : "cannot find the elvm executable (/proc/self/exe)");
        exit(CLI_EXIT_ERROR);
    }
    void *lib = cli_dlopen(path);
    if (!lib) {
        cli_error(NULL, "cannot load the TOML reader (TOML manifests need it): %s", cli_dlerror());
        exit(CLI_EXIT_ERROR);
    }
    *(void **)&parse = cli_dlsym(lib, "cli_toml_parse");
    if (!parse) {
        cli_error(NULL, "%s lacks cli_toml_parse", path);
        exit(CLI_EXIT_ERROR);
    }
    return parse;
}

cJSON *cli_toml_parse(const char *text, size_t len, char *why, size_t n, int *line, int *col) {
    return load()(text, len, why, n, line, col);
}
