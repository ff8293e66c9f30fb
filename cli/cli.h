/* cli.h: private to cli/: the commands of build/elvm and the helpers they share. */
#ifndef ELVM_CLI_H
#define ELVM_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "elvm.h"

#define ELVM_CLI_VERSION "0.1.0"

/* Exit codes (docs/CLI.md): a WASI command's own code passes through unchanged. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_ERROR = 1,  /* bad usage, unreadable/malformed/invalid module, link error */
    CLI_EXIT_TRAP = 134, /* the guest trapped (128 + SIGABRT, as a crashed native program) */
};

/* Commands: argv[0] is the command's name. Each returns the process exit code. */
int cli_run(int argc, char **argv);
int cli_validate(int argc, char **argv);
int cli_inspect(int argc, char **argv);

/* alloc.c: gives the library the static elvm's start-up region allocator; call before
 * anything else uses the library. */
void cli_alloc_install(void);

/* Prints the help of `cmd` ("run", ...) to stdout; returns 0, or -1 if there is no
 * such command. */
int cli_help(const char *cmd);

/* "elvm: error: WHERE: MESSAGE" on stderr, on one line (WHERE may be NULL). */
void cli_error(const char *where, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reads a whole file into a malloc'd buffer. On failure prints the error line and
 * returns -1. */
int cli_read_file(const char *path, uint8_t **data, size_t *len);
/* free() as an elvm_bytes_release, for a buffer of cli_read_file. */
void cli_free_bytes(uint8_t *bytes, size_t len, void *ud);
/* modfile.c: the bytes of module file `path` for elvm_module_new_take, with the release
 * function to pass it: a regular file is mapped read-only (a SIGBUS from its truncation
 * by another process becomes a one-line error and exit status 1), anything else is read.
 * On failure prints the error line and returns -1. */
int cli_module_bytes(const char *path, uint8_t **bytes, size_t *len, elvm_bytes_release *release);

/* Reads and compiles `path`; on failure prints the error line and returns NULL. */
elvm_module *cli_load_module(elvm_engine *engine, const char *path);

/* Matches "--name VALUE" and "--name=VALUE" at argv[*i]; on a match stores VALUE,
 * advances *i past it and returns 1. A missing VALUE prints an error and returns -1. */
int cli_opt_value(int argc, char **argv, int *i, const char *name, const char **value);
/* cli_opt_value for "--compile auto|eager|lazy": stores ELVM_COMPILE_* in *mode. 1 on a
 * match, 0 for another option, -1 (reported) for a missing or unknown mode. */
int cli_opt_compile(int argc, char **argv, int *i, int *mode);

/* Values (values.c). Parses text as a value of type `t` for --invoke; returns 0, or -1
 * with the reason in `why`. */
int cli_parse_value(elvm_valtype t, const char *text, elvm_val *out, char *why, size_t n);
/* Formats `v` as "TYPE:VALUE" (docs/CLI.md) into buf. */
void cli_format_value(const elvm_val *v, char *buf, size_t n);
/* Formats a function type as "(i32, i64) -> (f32)". */
void cli_format_functype(const elvm_externtype *t, char *buf, size_t n);

/* The path of the file `name` beside the running executable (/proc/self/exe's
 * directory), in `path` of `size` bytes. 0, or -1 with errno (ENAMETOOLONG if it does
 * not fit). */
int cli_sibling_path(const char *name, char *path, size_t size);
/* Replaces this process with the program `name` that sits beside it (elvm-attest and
 * elvm-hal carry OpenSSL and OpenCL, and elvm-dyn loads shared libraries, all of which
 * the static `elvm` does without, so that it stays small and quick to start). argv[0] is
 * overwritten with its path; argv ends with NULL. Returns only on failure, with
 * CLI_EXIT_ERROR, reported on one line that names `needed_by` (what needs the program,
 * e.g. "runs with --hal") when it is not NULL. */
int cli_exec_sibling(const char *name, const char *needed_by, char **argv);

/* Shared libraries opened on first use (dl.c): cli_dlopen(file) is dlopen with RTLD_NOW |
 * RTLD_LOCAL, cli_dlsym(lib, name) is dlsym; NULL on failure, with the reason from
 * cli_dlerror() (never NULL). The static elvm opens none: there both always fail. */
void *cli_dlopen(const char *file);
void *cli_dlsym(void *lib, const char *name);
const char *cli_dlerror(void);

#endif /* ELVM_CLI_H */
