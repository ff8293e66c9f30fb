/* dl.c: the one place the CLI opens shared libraries, each on first use: libcjson.so.1
 * (manifests and --log), libcrypto.so.3 (the module's sha256 in --log) and the TOML
 * reader plugin libelvm-toml.so.
 *
 * build/elvm is linked statically (ELVM_CLI_STATIC): no dynamic loader runs at its start,
 * which took 0.46 ms of a 2.5 ms hello-world run here (cli/cli.mk). A static program cannot safely load a
 * shared library (it would bring a second C library), so that elvm opens none: cli_run
 * hands every run that needs one to elvm-dyn, the same CLI linked dynamically, before
 * doing anything else. In the static elvm these functions therefore only fail, with a
 * reason naming elvm-dyn. elvm-dyn, elvm-hal and the sanitizer build's elvm are dynamic
 * and load the libraries here. */
#include "cli.h"

#ifdef ELVM_CLI_STATIC

void *cli_dlopen(const char *file) {
    (void)file;
    return NULL;
}

void *cli_dlsym(void *lib, const char *name) {
    (void)lib, (void)name;
    return NULL;
}

const char *cli_dlerror(void) {
    return "this elvm is linked statically and opens no shared library (elvm-dyn does)";
}

#else

#include <dlfcn.h>

void *cli_dlopen(const char *file) { return dlopen(file, RTLD_NOW | RTLD_LOCAL); }

void *cli_dlsym(void *lib, const char *name) { return dlsym(lib, name); }

const char *cli_dlerror(void) {
    const char *e = dlerror();
    return e ? e : "unknown error";
}

#endif
