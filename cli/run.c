/* run.c: `elvm run`: instantiate a module with WASI and call _start or --invoke NAME. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "wasi.h"

typedef struct run_opts {
    elvm_wasi_preopen *dirs;
    uint32_t ndirs;
    char **env; /* "NAME=VALUE", owned */
    uint32_t nenv;
    uint64_t fuel;
    int has_fuel, stats, trace_wasi;
    const char *invoke;
    const char *file;
    char **args; /* after FILE: the guest's argv[1..], or --invoke's values */
    int nargs;
} run_opts;

static void opts_free(run_opts *o) {
    for (uint32_t i = 0; i < o->ndirs; i++) free((char *)o->dirs[i].host_path);
    for (uint32_t i = 0; i < o->nenv; i++) free(o->env[i]);
    free(o->dirs);
    free(o->env);
}

/* "HOST" or "HOST::GUEST". */
static int add_dir(run_opts *o, const char *spec) {
    const char *sep = strstr(spec, "::");
    size_t hlen = sep ? (size_t)(sep - spec) : strlen(spec);
    const char *guest = sep ? sep + 2 : NULL;
    if (hlen == 0 || (guest && !*guest)) {
        cli_error(NULL, "--dir '%s': expected HOST or HOST::GUEST", spec);
        return -1;
    }
    elvm_wasi_preopen *d = realloc(o->dirs, (o->ndirs + 1) * sizeof *d);
    if (!d) return -1;
    o->dirs = d;
    char *host = strndup(spec, hlen);
    if (!host) return -1;
    d[o->ndirs].host_path = host;
    d[o->ndirs].guest_path = guest ? guest : host;
    o->ndirs++;
    return 0;
}

/* "NAME=VALUE", or "NAME" for the host's value (skipped if the host has none). */
static int add_env(run_opts *o, const char *spec) {
    const char *eq = strchr(spec, '=');
    if (eq == spec || !*spec) {
        cli_error(NULL, "--env '%s': expected NAME=VALUE or NAME", spec);
        return -1;
    }
    const char *host = eq ? NULL : getenv(spec);
    if (!eq && !host) return 0;
    char **e = realloc(o->env, (o->nenv + 1) * sizeof *e);
    if (!e) return -1;
    o->env = e;
    size_t n = strlen(spec) + (host ? strlen(host) + 2 : 1);
    char *s = malloc(n);
    if (!s) return -1;
    if (host) snprintf(s, n, "%s=%s", spec, host);
    else memcpy(s, spec, n);
    e[o->nenv++] = s;
    return 0;
}

static int parse_u64(const char *s, uint64_t *out) {
    char *end;
    if (*s < '0' || *s > '9') return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno) return -1;
    *out = v;
    return 0;
}

/* Returns 0, or an exit code + 1 (help: 1 -> exit 0; error: 2 -> exit 1). */
static int parse_opts(int argc, char **argv, run_opts *o) {
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        int r;
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (a[0] != '-' || !a[1]) break;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            cli_help("run");
            return 1;
        }
        if (!strcmp(a, "--stats")) {
            o->stats = 1;
            continue;
        }
        if (!strcmp(a, "--trace-wasi")) {
            o->trace_wasi = 1;
            continue;
        }
        if ((r = cli_opt_value(argc, argv, &i, "--dir", &v))) {
            if (r < 0 || add_dir(o, v)) return 2;
        } else if ((r = cli_opt_value(argc, argv, &i, "--env", &v))) {
            if (r < 0 || add_env(o, v)) return 2;
        } else if ((r = cli_opt_value(argc, argv, &i, "--fuel", &v))) {
            if (r < 0) return 2;
            if (parse_u64(v, &o->fuel)) {
                cli_error(NULL, "--fuel '%s': expected a number of instructions", v);
                return 2;
            }
            o->has_fuel = 1;
        } else if ((r = cli_opt_value(argc, argv, &i, "--invoke", &v))) {
            if (r < 0) return 2;
            o->invoke = v;
        } else {
            cli_error(NULL, "unknown option '%s' (see 'elvm help run')", a);
            return 2;
        }
    }
    if (i >= argc) {
        cli_error(NULL, "run: no module given (usage: elvm run [OPTIONS] FILE.wasm [ARGS...])");
        return 2;
    }
    o->file = argv[i];
    o->args = argv + i + 1;
    o->nargs = argc - i - 1;
    return 0;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "elvm: trap: MESSAGE" and the store's backtrace, on stderr. */
static void print_trap(elvm_store *store, const elvm_error *err) {
    char small[2048], *bt = small;
    size_t want = elvm_store_backtrace(store, small, sizeof small);
    if (want >= sizeof small && (bt = malloc(want + 1)) != NULL)
        elvm_store_backtrace(store, bt, want + 1);
    if (!bt) bt = small;
    fflush(stdout);
    fprintf(stderr, "elvm: trap: %s\n", err->msg[0] ? err->msg : elvm_trap_message(err->trap));
    if (bt[0]) fprintf(stderr, "%s%s", bt, bt[strlen(bt) - 1] == '\n' ? "" : "\n");
    if (bt != small) free(bt);
}

/* The exit code for how the guest ended (status from instantiation or the call). */
static int outcome(const run_opts *o, elvm_store *store, const elvm_error *err) {
    switch (err->status) {
    case ELVM_OK: return CLI_EXIT_OK;
    case ELVM_EXIT: return err->exit_code;
    case ELVM_TRAP: print_trap(store, err); return CLI_EXIT_TRAP;
    case ELVM_UNINSTANTIABLE:
        if (err->trap != ELVM_TRAP_NONE) {
            print_trap(store, err);
            return CLI_EXIT_TRAP;
        }
        break;
    default: break;
    }
    cli_error(o->file, "%s", err->msg[0] ? err->msg : elvm_strerror(err->status));
    return CLI_EXIT_ERROR;
}

/* Calls `f` with o->args parsed by its parameter types; prints the results. */
static int invoke(const run_opts *o, elvm_store *store, elvm_func *f, elvm_error *err) {
    elvm_externtype t;
    elvm_func_type(f, &t);
    if ((uint32_t)o->nargs != t.nparams) {
        cli_error(o->file, "'%s' takes %u argument%s, %d given", o->invoke, t.nparams,
                  t.nparams == 1 ? "" : "s", o->nargs);
        return -1;
    }
    elvm_val *args = calloc(t.nparams + 1, sizeof *args);
    elvm_val *results = calloc(t.nresults + 1, sizeof *results);
    if (!args || !results) {
        free(args);
        free(results);
        cli_error(o->file, "out of host memory");
        return -1;
    }
    for (uint32_t i = 0; i < t.nparams; i++) {
        char why[256];
        if (cli_parse_value(t.params[i], o->args[i], &args[i], why, sizeof why)) {
            cli_error(o->file, "argument %u of '%s': %s", i + 1, o->invoke, why);
            free(args);
            free(results);
            return -1;
        }
    }
    elvm_func_call(store, f, args, t.nparams, results, t.nresults, err);
    if (err->status == ELVM_OK) {
        for (uint32_t i = 0; i < t.nresults; i++) {
            char buf[128];
            cli_format_value(&results[i], buf, sizeof buf);
            printf("%s\n", buf);
        }
        fflush(stdout);
    }
    free(args);
    free(results);
    return 0;
}

static void print_stats(elvm_store *store, double seconds) {
    fprintf(stderr, "elvm: stats: instructions executed: %" PRIu64 "\n",
            elvm_store_fuel_consumed(store));
    fprintf(stderr, "elvm: stats: wall time: %.6f s\n", seconds);
    fprintf(stderr, "elvm: stats: peak linear memory: %" PRIu64 " bytes\n",
            elvm_store_peak_memory(store));
}

static int run_module(const run_opts *o) {
    int code = CLI_EXIT_ERROR;
    elvm_engine *engine = NULL;
    elvm_module *module = NULL;
    elvm_store *store = NULL;
    elvm_linker *linker = NULL;
    elvm_wasi *wasi = NULL;
    const char **argv = NULL;
    elvm_error err;
    memset(&err, 0, sizeof err);

    elvm_config cfg;
    elvm_config_default(&cfg);
    cfg.fuel = o->has_fuel || o->stats;
    engine = elvm_engine_new(&cfg);
    if (!engine) goto nomem;
    module = cli_load_module(engine, o->file);
    if (!module) goto out;
    store = elvm_store_new(engine);
    linker = store ? elvm_linker_new(store) : NULL;
    if (!linker) goto nomem;
    if (cfg.fuel) elvm_store_set_fuel(store, o->has_fuel ? o->fuel : UINT64_MAX);

    /* The guest's argv: the module's name, then ARGS (none with --invoke, whose words
     * are the function's arguments). */
    uint32_t argc = 1 + (o->invoke ? 0 : (uint32_t)o->nargs);
    argv = calloc(argc, sizeof *argv);
    if (!argv) goto nomem;
    argv[0] = o->file;
    for (uint32_t i = 1; i < argc; i++) argv[i] = o->args[i - 1];
    elvm_wasi_config wc;
    elvm_wasi_config_default(&wc);
    wc.argv = argv;
    wc.argc = argc;
    wc.env = (const char *const *)o->env;
    wc.envc = o->nenv;
    wc.preopens = o->dirs;
    wc.npreopens = o->ndirs;
    wc.trace = o->trace_wasi;
    wc.force_path_walk = getenv("ELVM_WASI_PATH_WALK") != NULL; /* testing aid */
    wasi = elvm_wasi_new(&wc, &err);
    if (!wasi) {
        cli_error(NULL, "%s", err.msg);
        goto out;
    }
    if (elvm_wasi_define(wasi, store, linker) != ELVM_OK) goto nomem;

    double t0 = now_s();
    elvm_instance *inst = elvm_linker_instantiate(linker, module, &err);
    if (inst) {
        elvm_extern ext;
        const char *name = o->invoke ? o->invoke : "_start";
        if (!elvm_instance_export(inst, name, &ext) || ext.kind != ELVM_EXTERN_FUNC) {
            if (o->invoke)
                cli_error(o->file, "no exported function '%s'", name);
            else
                cli_error(o->file, "no exported function '_start' (not a WASI command; use "
                                   "--invoke NAME to call an export)");
            goto out;
        }
        elvm_extern init;
        if (o->invoke && elvm_instance_export(inst, "_initialize", &init) &&
            init.kind == ELVM_EXTERN_FUNC) {
            /* A WASI reactor: initialize it before calling into it. */
            elvm_func_call(store, init.of.func, NULL, 0, NULL, 0, &err);
        }
        if (err.status == ELVM_OK) {
            if (o->invoke) {
                if (invoke(o, store, ext.of.func, &err)) goto out;
            } else {
                elvm_func_call(store, ext.of.func, NULL, 0, NULL, 0, &err);
            }
        }
    }
    double t1 = now_s();
    code = outcome(o, store, &err);
    if (o->stats) print_stats(store, t1 - t0);
    goto out;
nomem:
    cli_error(o->file, "out of host memory");
out:
    if (linker) elvm_linker_free(linker);
    if (store) elvm_store_free(store);
    elvm_wasi_free(wasi); /* after the store: its functions point at `wasi` */
    if (module) elvm_module_free(module);
    if (engine) elvm_engine_free(engine);
    free(argv);
    return code;
}

int cli_run(int argc, char **argv) {
    run_opts o;
    memset(&o, 0, sizeof o);
    int r = parse_opts(argc, argv, &o);
    int code = r == 1 ? CLI_EXIT_OK : r ? CLI_EXIT_ERROR : run_module(&o);
    opts_free(&o);
    return code;
}
