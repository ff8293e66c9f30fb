/* main.c: build/elvm's entry point: command dispatch, help and the shared helpers. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* The largest module file read, in bytes. */
#define CLI_MAX_FILE (1 << 30)

static const char usage[] =
    "usage: elvm COMMAND [OPTIONS] ...\n"
    "\n"
    "elvm runs WebAssembly modules (wasm 2.0) with a WASI preview 1 host.\n"
    "\n"
    "commands:\n"
    "  run       run a WASI command, or call one exported function (--invoke)\n"
    "  validate  check that a module decodes and validates\n"
    "  inspect   list a module's imports, exports and section sizes\n"
    "  attest    AMD SEV-SNP attestation: report, show, verify, simulate-keys\n"
    "            (elvm attest --help)\n"
    "  help CMD  show the help of CMD\n"
    "\n"
    "options:\n"
    "  -h, --help     show this help\n"
    "  -V, --version  show the version\n"
    "\n"
    "exit status: 0 success; 1 error (bad usage, unreadable or invalid module, link\n"
    "error); 134 the guest trapped; otherwise the WASI command's proc_exit code.\n"
    "docs/CLI.md has the details.\n";

static const char help_run[] =
    "usage: elvm run [OPTIONS] FILE.wasm [ARGS...]\n"
    "       elvm run [OPTIONS] --invoke NAME FILE.wasm [VALUES...]\n"
    "       elvm run --manifest APP.json|APP.toml [OPTIONS] [ARGS...]\n"
    "\n"
    "Instantiates FILE.wasm with the WASI preview 1 imports (wasi_snapshot_preview1)\n"
    "and calls its _start; ARGS become the guest's argv[1..] (argv[0] is FILE.wasm).\n"
    "The exit status is the guest's proc_exit code, or 0 if _start returns.\n"
    "The guest gets nothing it is not granted: no directory, variable or socket.\n"
    "\n"
    "grants:\n"
    "  --dir HOST[::GUEST][:ro]  give the guest the host directory HOST, named GUEST\n"
    "                       (default: HOST); it cannot reach outside it. :ro makes it\n"
    "                       read-only. Repeatable.\n"
    "  --env NAME=VALUE     set a guest environment variable; --env NAME copies the\n"
    "                       host's. Repeatable.\n"
    "  --tcplisten ADDR:PORT  a listening TCP socket (IPv4, or [IPv6]) as a preopened\n"
    "                       fd after the directories. Repeatable.\n"
    "  --allow-import MOD.NAME, --deny-import MOD.NAME  allow or deny linking an import\n"
    "                       (wildcards: wasi_snapshot_preview1.sock_*). A denied import\n"
    "                       fails instantiation (\"unlinkable\"). Repeatable.\n"
    "  --imports-default allow|deny  what the rules do not name (default: allow)\n"
    "\n"
    "limits:\n"
    "  --fuel N             trap \"out of fuel\" after N wasm instructions\n"
    "  --timeout SECONDS    trap \"timeout\" SECONDS (e.g. 0.5) after instantiation starts\n"
    "  --max-memory BYTES   memory.grow past BYTES returns -1; a module whose initial\n"
    "                       memory is over it does not instantiate. Suffixes: K, M, G\n"
    "                       (x1000) and Ki, Mi, Gi (x1024), e.g. 64Mi\n"
    "  --max-stack N        call depth in frames (default 10000); deeper traps \"call\n"
    "                       stack exhausted\"\n"
    "  --max-stack-slots N  value-stack size in 8-byte slots (default 1048576)\n"
    "\n"
    "other options:\n"
    "  --manifest FILE      take the module, args and every grant and limit from FILE\n"
    "                       (JSON, or TOML if it ends in .toml; docs/MANIFEST.md); flags\n"
    "                       given too override it, and words after the options replace\n"
    "                       its args\n"
    "  --log FILE           append JSON lines to FILE: load (with sha256), instantiate,\n"
    "                       exit or trap, each limit hit and each sandbox denial\n"
    "  --stats              print instructions executed, wall time and peak linear\n"
    "                       memory to stderr at the end\n"
    "  --invoke NAME        call the exported function NAME instead of _start; the\n"
    "                       words after FILE are its arguments, one per parameter\n"
    "                       (ints: decimal or 0x hex; floats: decimal, hex float, inf,\n"
    "                       nan, nan:0xPAYLOAD). Each result is printed on its own line\n"
    "                       as TYPE:VALUE, e.g. i32:-7 or f64:0x1.8p+1.\n"
    "  --trace-wasi         log each WASI call and its errno to stderr\n"
    "  --compile auto|eager|lazy  when functions compile: all at load (eager), each on\n"
    "                       its first call (lazy), or eager below 1 MiB of wasm code and\n"
    "                       lazy from there (auto, the default)\n"
    "  -h, --help           show this help\n"
    "\n"
    "A trap prints \"elvm: trap: MESSAGE\" and a backtrace to stderr and exits 134.\n";

static const char help_validate[] =
    "usage: elvm validate [--compile auto|eager|lazy] FILE.wasm\n"
    "\n"
    "Decodes and validates FILE.wasm. Prints \"FILE.wasm: valid\" and exits 0, or prints\n"
    "\"elvm: error: FILE.wasm: REASON\" and exits 1.\n"
    "  --compile eager  also compile every function, as modules under 1 MiB of code are\n"
    "                   when loaded (lazy: compile none, as bigger ones are; auto: as\n"
    "                   `elvm run` would, the default)\n";

static const char help_inspect[] =
    "usage: elvm inspect FILE.wasm\n"
    "\n"
    "Prints the module's counts of types and functions, the size of each section,\n"
    "its code size before and after compilation, and its imports and exports with\n"
    "their types.\n";

static const char help_help[] =
    "usage: elvm help [COMMAND]\n"
    "\n"
    "Shows the help of COMMAND (run, validate, inspect), or the overview.\n";

int cli_help(const char *cmd) {
    const char *text = NULL;
    if (!cmd) text = usage;
    else if (!strcmp(cmd, "run")) text = help_run;
    else if (!strcmp(cmd, "validate")) text = help_validate;
    else if (!strcmp(cmd, "inspect")) text = help_inspect;
    else if (!strcmp(cmd, "help")) text = help_help;
    if (!text) return -1;
    fputs(text, stdout);
    return 0;
}

void cli_error(const char *where, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' '; /* always one line */
    fflush(stdout);
    if (where) fprintf(stderr, "elvm: error: %s: %s\n", where, msg);
    else fprintf(stderr, "elvm: error: %s\n", msg);
}

int cli_read_file(const char *path, uint8_t **data, size_t *len) {
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f) {
        cli_error(path, "cannot open: %s", strerror(errno));
        return -1;
    }
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        cli_error(path, "is a directory");
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        if (cap >= CLI_MAX_FILE) { /* /dev/zero, a runaway pipe: not a module */
            free(buf);
            fclose(f);
            cli_error(path, "larger than %d MiB", CLI_MAX_FILE >> 20);
            return -1;
        }
        uint8_t *bigger = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    if (!buf || ferror(f)) {
        int e = buf ? errno : ENOMEM;
        free(buf);
        fclose(f);
        cli_error(path, "cannot read: %s", strerror(e));
        return -1;
    }
    fclose(f);
    *data = buf;
    *len = n;
    return 0;
}

void cli_free_bytes(uint8_t *bytes, size_t len, void *ud) {
    (void)len;
    (void)ud;
    free(bytes);
}

elvm_module *cli_load_module(elvm_engine *engine, const char *path) {
    uint8_t *bytes;
    size_t len;
    elvm_bytes_release release;
    if (cli_module_bytes(path, &bytes, &len, &release)) return NULL;
    elvm_error err;
    memset(&err, 0, sizeof err);
    elvm_module *m = elvm_module_new_take(engine, bytes, len, release, NULL, &err);
    if (!m) cli_error(path, "%s", err.msg[0] ? err.msg : elvm_strerror(err.status));
    return m;
}

int cli_opt_value(int argc, char **argv, int *i, const char *name, const char **value) {
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0) return 0;
    if (a[n] == '=') {
        *value = a + n + 1;
        return 1;
    }
    if (a[n] != '\0') return 0;
    if (*i + 1 >= argc) {
        cli_error(NULL, "option '%s' needs a value (see 'elvm help %s')", name, argv[0]);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

int cli_opt_compile(int argc, char **argv, int *i, int *mode) {
    static const char *const modes[] = {"auto", "eager", "lazy"}; /* ELVM_COMPILE_* order */
    const char *v;
    int r = cli_opt_value(argc, argv, i, "--compile", &v);
    if (r <= 0) return r;
    for (int k = 0; k < 3; k++)
        if (!strcmp(v, modes[k])) {
            *mode = k;
            return 1;
        }
    cli_error(NULL, "--compile takes auto, eager or lazy, not '%s'", v);
    return -1;
}

static int is_help(const char *a) { return !strcmp(a, "-h") || !strcmp(a, "--help"); }

int cli_sibling_path(const char *name, char *path, size_t size) {
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return -1;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash) *slash = '\0';
    if ((size_t)snprintf(path, size, "%s/%s", slash ? self : ".", name) >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int cli_exec_sibling(const char *name, const char *needed_by, char **argv) {
    char path[4200];
    if (cli_sibling_path(name, path, sizeof path)) {
        if (needed_by)
            cli_error(NULL, "%s need %s beside elvm: cannot find it: /proc/self/exe: %s",
                      needed_by, name, strerror(errno));
        else
            cli_error(NULL, "cannot find %s: /proc/self/exe: %s", name, strerror(errno));
        return CLI_EXIT_ERROR;
    }
    argv[0] = path;
    execv(path, argv);
    if (needed_by)
        cli_error(NULL, "%s need %s beside elvm: cannot run %s: %s", needed_by, name, path,
                  strerror(errno));
    else
        cli_error(NULL, "cannot run %s: %s", path, strerror(errno));
    return CLI_EXIT_ERROR;
}

int main(int argc, char **argv) {
#ifdef ELVM_CLI_STATIC
    cli_alloc_install(); /* cli/alloc.c says why elvm-dyn and sanitizer builds do not */
#endif
    if (argc < 2) {
        fputs(usage, stderr);
        return CLI_EXIT_ERROR;
    }
    const char *cmd = argv[1];
    if (is_help(cmd)) return cli_help(NULL), CLI_EXIT_OK;
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("elvm %s\n", ELVM_CLI_VERSION);
        return CLI_EXIT_OK;
    }
    if (!strcmp(cmd, "help")) {
        if (argc > 3) {
            cli_error(NULL, "'help' takes one command name");
            return CLI_EXIT_ERROR;
        }
        if (cli_help(argc == 3 ? argv[2] : NULL)) {
            cli_error(NULL, "no command '%s' (see 'elvm --help')", argv[2]);
            return CLI_EXIT_ERROR;
        }
        return CLI_EXIT_OK;
    }
    int (*fn)(int, char **) = NULL;
    if (!strcmp(cmd, "run")) fn = cli_run;
    else if (!strcmp(cmd, "validate")) fn = cli_validate;
    else if (!strcmp(cmd, "inspect")) fn = cli_inspect;
    else if (!strcmp(cmd, "attest")) return cli_exec_sibling("elvm-attest", NULL, argv + 1);
    if (!fn) {
        cli_error(NULL, "unknown command '%s' (see 'elvm --help')", cmd);
        return CLI_EXIT_ERROR;
    }
    return fn(argc - 1, argv + 1); /* each command handles its own -h/--help */
}
