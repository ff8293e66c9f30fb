/* run.c: `elvm run`: the flags, then the run itself: load, check the import policy,
 * instantiate with WASI under the limits, call _start or --invoke NAME, and report how
 * the guest ended (exit status, stderr, and the --log events). */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"
#ifdef ELVM_CLI_HAL
#include "hal.h"
#include "sevsnp.h"
#endif

/* ---- flags -------------------------------------------------------------------------------- */

/* Reports a bad value of `flag` and returns 2 (an error, for parse_flags). */
static int bad_value(const char *flag, const char *value, const char *why) {
    cli_error(NULL, "%s '%s': %s", flag, value, why);
    return 2;
}

static int set_str(char **dst, const char *v) {
    free(*dst);
    *dst = strdup(v);
    return *dst ? 0 : -1;
}

/* One option with a value; returns 0 if `a` is none of them, 1 if handled, 2 on error. */
static int value_flag(int argc, char **argv, int *i, run_opts *o) {
    static const char *const names[] = {
        "--dir", "--env", "--tcplisten", "--fuel", "--max-memory", "--timeout", "--max-stack",
        "--max-stack-slots", "--manifest", "--log", "--allow-import", "--deny-import",
        "--imports-default", "--invoke", "--hal", "--hal-storage", "--hal-storage-key",
        "--hal-snp", "--hal-sim-keys", "--hal-tls-ca", "--hal-net-allow", "--hal-gpu", NULL,
    };
    const char *v = NULL, *name = NULL;
    for (int k = 0; names[k] && !name; k++) {
        int r = cli_opt_value(argc, argv, i, names[k], &v);
        if (r < 0) return 2;
        if (r) name = names[k];
    }
    if (!name) return 0;
    char why[512];
    uint64_t u;
    if (!strcmp(name, "--dir")) {
        if (opts_add_dir_spec(o, v, NULL, why, sizeof why)) return bad_value(name, v, why);
    } else if (!strcmp(name, "--env")) {
        if (opts_add_env(o, v, 1, why, sizeof why)) return bad_value(name, v, why);
    } else if (!strcmp(name, "--tcplisten")) {
        if (opts_add_tcp(o, v, why, sizeof why)) return bad_value(name, v, why);
    } else if (!strcmp(name, "--fuel")) {
        if (cli_parse_u64(v, &o->fuel))
            return bad_value(name, v, "expected a number of instructions");
        o->limits |= LIM_FUEL;
    } else if (!strcmp(name, "--max-memory")) {
        if (cli_parse_size(v, &o->max_memory))
            return bad_value(name, v, "expected bytes, optionally with a suffix K, M, G "
                                      "(powers of 1000) or Ki, Mi, Gi (powers of 1024)");
        o->limits |= LIM_MEMORY;
    } else if (!strcmp(name, "--timeout")) {
        if (cli_parse_seconds(v, &o->timeout))
            return bad_value(name, v, "expected a positive number of seconds, e.g. 2.5");
        o->limits |= LIM_TIMEOUT;
    } else if (!strcmp(name, "--max-stack")) {
        if (cli_parse_u64(v, &u) || cli_check_stack(u, &o->max_stack, why, sizeof why))
            return bad_value(name, v, cli_parse_u64(v, &u) ? "expected a number of frames" : why);
        o->limits |= LIM_STACK;
    } else if (!strcmp(name, "--max-stack-slots")) {
        if (cli_parse_u64(v, &u) || cli_check_slots(u, &o->max_stack_slots, why, sizeof why))
            return bad_value(name, v, cli_parse_u64(v, &u) ? "expected a number of slots" : why);
        o->limits |= LIM_SLOTS;
    } else if (!strcmp(name, "--allow-import") || !strcmp(name, "--deny-import")) {
        policy_action a = name[2] == 'a' ? POLICY_ALLOW : POLICY_DENY;
        if (policy_add(&o->imports, a, v, name, 1, why, sizeof why))
            return bad_value(name, v, why);
    } else if (!strcmp(name, "--imports-default")) {
        if (strcmp(v, "allow") && strcmp(v, "deny"))
            return bad_value(name, v, "expected allow or deny");
        o->imports.dflt = v[0] == 'a' ? POLICY_ALLOW : POLICY_DENY;
        if (set_str(&o->imports.dflt_where, name)) return 2;
    } else if (!strcmp(name, "--hal-net-allow")) {
        if (opts_add_str(&o->hal_net_allow, &o->nhal_net_allow, v)) return 2;
    } else if (!strcmp(name, "--hal-gpu")) {
        if (strcmp(v, "on") && strcmp(v, "off")) return bad_value(name, v, "expected on or off");
        o->hal_gpu = v[1] == 'n' ? 1 : 2;
    } else {
        char **dst = !strcmp(name, "--manifest")        ? &o->manifest
                   : !strcmp(name, "--log")             ? &o->log_path
                   : !strcmp(name, "--hal")             ? &o->hal_profile
                   : !strcmp(name, "--hal-storage")     ? &o->hal_storage
                   : !strcmp(name, "--hal-storage-key") ? &o->hal_storage_key
                   : !strcmp(name, "--hal-snp")         ? &o->hal_snp
                   : !strcmp(name, "--hal-sim-keys")    ? &o->hal_sim_keys
                   : !strcmp(name, "--hal-tls-ca")      ? &o->hal_tls_ca
                                                        : &o->invoke;
        if (set_str(dst, v)) return 2;
    }
    return 1;
}

/* Returns 0, or an exit code + 1 (help: 1 -> exit 0; error: 2 -> exit 1). */
static int parse_flags(int argc, char **argv, run_opts *o) {
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
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
        int c = cli_opt_compile(argc, argv, &i, &o->compile);
        if (c < 0) return 2;
        if (c > 0) continue;
        int r = value_flag(argc, argv, &i, o);
        if (r == 2) return 2;
        if (r == 0) {
            cli_error(NULL, "unknown option '%s' (see 'elvm help run')", a);
            return 2;
        }
    }
    /* With --manifest the module comes from it and every word is an argument. */
    if (!o->manifest) {
        if (i >= argc) {
            cli_error(NULL, "run: no module given (usage: elvm run [OPTIONS] FILE.wasm "
                            "[ARGS...], or elvm run --manifest APP.json [ARGS...])");
            return 2;
        }
        if (set_str(&o->file, argv[i++])) return 2;
    }
    if (i < argc && opts_set_args(o, argv + i, argc - i)) return 2;
    return 0;
}

/* ---- the run -------------------------------------------------------------------------------- */

/* Everything one run holds, freed by run_free (or kept until exit: run_end). */
typedef struct run {
    const run_opts *o;
    cli_log *log;
    elvm_engine *engine;
    elvm_module *module;
    elvm_store *store;
    elvm_linker *linker;
    elvm_wasi *wasi;
    const char **argv;
    cli_timer *timer;
#ifdef ELVM_CLI_HAL
    elvm_hal *hal;
#endif
} run;

static void run_free(run *r) {
    cli_timer_stop(r->timer, NULL);
    if (r->linker) elvm_linker_free(r->linker);
    if (r->store) elvm_store_free(r->store);
    elvm_wasi_free(r->wasi); /* after the store: its functions point at it */
#ifdef ELVM_CLI_HAL
    elvm_hal_free(r->hal);
#endif
    if (r->module) elvm_module_free(r->module);
    if (r->engine) elvm_engine_free(r->engine);
    free(r->argv);
    cli_log_close(r->log);
}

/* The end of a run, just before the process exits. The kernel takes back a store's
 * mappings (its linear memory's reservation, value stack and frames) faster at exit than
 * munmap does one by one: keeping them saves 0.13 ms of an `elvm run` of hello-world here
 * (2.39 vs 2.53 ms, 201 alternating runs). So a plain run keeps what it holds (`r` is
 * static storage: leak checkers see it reachable) and closes only the log, which flushes
 * it. A run with the HAL frees everything: the HAL ends its watchdog, TLS sessions and
 * storage in order. So do sanitizer builds, so the library's teardown stays checked by
 * every CLI test. */
static bool free_at_exit(const run *r) {
#if defined(__SANITIZE_ADDRESS__)
    (void)r;
    return true;
#elif defined(ELVM_CLI_HAL)
    return r->hal != NULL;
#else
    (void)r;
    return false;
#endif
}

static void run_end(run *r) {
    if (free_at_exit(r)) {
        run_free(r);
        return;
    }
    cli_timer_stop(r->timer, NULL);
    cli_log_close(r->log);
    r->timer = NULL;
    r->log = NULL;
}

/* An error line on stderr and an "error" event. */
static void run_error(run *r, const char *msg) {
    cli_error(r->o->file, "%s", msg);
    cJSON *ev = cli_log_begin(r->log, "error");
    cJSON_AddStringToObject(ev, "message", msg);
    cli_log_end(r->log, ev);
}

/* Reads and compiles the module, logging its size and sha256. */
static int load(run *r) {
    uint8_t *bytes;
    size_t len;
    elvm_bytes_release release;
    if (cli_module_bytes(r->o->file, &bytes, &len, &release)) return -1;
    if (r->log) {
        char sha[65];
        cli_sha256_hex(bytes, len, sha);
        cJSON *ev = cli_log_begin(r->log, "load");
        cJSON_AddStringToObject(ev, "path", r->o->file);
        cJSON_AddNumberToObject(ev, "size", (double)len);
        cJSON_AddStringToObject(ev, "sha256", sha);
        cli_log_end(r->log, ev);
    }
    elvm_error err;
    memset(&err, 0, sizeof err);
    /* the module keeps the mapping (its data segments stay there): no copy */
    r->module = elvm_module_new_take(r->engine, bytes, len, release, NULL, &err);
    if (!r->module) run_error(r, err.msg[0] ? err.msg : elvm_strerror(err.status));
    return r->module ? 0 : -1;
}

/* The WASI host with the grants; the guest's argv is the module's name, then ARGS (none
 * with --invoke, whose words are the function's arguments). */
static int setup_wasi(run *r) {
    const run_opts *o = r->o;
    uint32_t argc = 1 + (o->invoke ? 0 : (uint32_t)o->nargs);
    r->argv = calloc(argc, sizeof *r->argv);
    if (!r->argv) return -1;
    r->argv[0] = o->file;
    for (uint32_t i = 1; i < argc; i++) r->argv[i] = o->args[i - 1];
    elvm_wasi_config wc;
    elvm_wasi_config_default(&wc);
    wc.argv = r->argv;
    wc.argc = argc;
    wc.env = (const char *const *)o->env;
    wc.envc = o->nenv;
    wc.preopens = o->dirs;
    wc.npreopens = o->ndirs;
    wc.tcp_listen = (const char *const *)o->tcp_listen;
    wc.ntcp_listen = o->ntcp;
    if (r->log) {
        wc.log = cli_log_wasi;
        wc.log_ctx = r->log;
    }
    wc.trace = o->trace_wasi;
    wc.force_path_walk = getenv("ELVM_WASI_PATH_WALK") != NULL; /* testing aid */
    elvm_error err;
    memset(&err, 0, sizeof err);
    r->wasi = elvm_wasi_new(&wc, &err);
    if (!r->wasi) {
        cli_error(NULL, "%s", err.msg);
        return -1;
    }
    if (elvm_wasi_define_for(r->wasi, r->store, r->linker, r->module) != ELVM_OK) {
        cli_error(o->file, "out of host memory");
        return -1;
    }
    return 0;
}

#ifdef ELVM_CLI_HAL
static void hal_log(void *ctx, const char *kind, const char *detail) {
    cJSON *ev = cli_log_begin(ctx, kind);
    cJSON_AddStringToObject(ev, "source", "hal");
    cJSON_AddStringToObject(ev, "detail", detail ? detail : "");
    cli_log_end(ctx, ev);
}

/* The HAL world chosen by --hal / the manifest, with its grants. */
static int setup_hal(run *r, int fuel) {
    const run_opts *o = r->o;
    elvm_hal_config hc;
    elvm_hal_config_default(&hc);
    hc.profile = o->hal_profile;
    if (o->hal_snp) {
        int b = elvm_snp_backend_parse(o->hal_snp);
        if (b < 0) {
            cli_error(NULL, "--hal-snp '%s': expected auto, sev-guest, tsm or simulated", o->hal_snp);
            return -1;
        }
        hc.snp_backend = b;
    }
    hc.snp_sim_keys_dir = o->hal_sim_keys;
    hc.storage_dir = o->hal_storage;
    hc.storage_key_file = o->hal_storage_key;
    hc.net_allow = (const char *const *)o->hal_net_allow;
    hc.nnet_allow = o->nhal_net_allow;
    hc.tls_ca_file = o->hal_tls_ca;
    hc.memory_granted = o->limits & LIM_MEMORY ? o->max_memory : 0;
    hc.fuel_granted = o->limits & LIM_FUEL ? o->fuel : 0;
    hc.fuel_enabled = fuel;
    hc.time_granted_ms = o->limits & LIM_TIMEOUT ? (uint64_t)(o->timeout * 1000) : 0;
    hc.gpu_enabled = o->hal_gpu != 2;
    if (r->log) {
        hc.log = hal_log;
        hc.log_ctx = r->log;
    }
    elvm_error err;
    memset(&err, 0, sizeof err);
    if (!(r->hal = elvm_hal_new(&hc, &err))) {
        cli_error(NULL, "--hal: %s", err.msg);
        return -1;
    }
    if (elvm_hal_check_imports(r->hal, r->module, &err) != ELVM_OK) {
        run_error(r, err.msg);
        return -1;
    }
    if (elvm_hal_define(r->hal, r->store, r->linker) != ELVM_OK) {
        run_error(r, "out of host memory");
        return -1;
    }
    return 0;
}
#endif

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

/* A "limit" event when a trap is one of the limits. */
static void log_limit(run *r, elvm_trap_kind trap, double late_s) {
    const run_opts *o = r->o;
    cJSON *ev = NULL;
    if (trap == ELVM_TRAP_OUT_OF_FUEL) {
        ev = cli_log_begin(r->log, "limit");
        cJSON_AddStringToObject(ev, "limit", "fuel");
        cJSON_AddNumberToObject(ev, "fuel", (double)o->fuel);
    } else if (trap == ELVM_TRAP_TIMEOUT) {
        ev = cli_log_begin(r->log, "limit");
        cJSON_AddStringToObject(ev, "limit", "timeout");
        cJSON_AddNumberToObject(ev, "seconds", o->timeout);
        cJSON_AddNumberToObject(ev, "late_ms", cli_ms(late_s)); /* after the deadline */
    } else if (trap == ELVM_TRAP_STACK_EXHAUSTED) {
        ev = cli_log_begin(r->log, "limit");
        cJSON_AddStringToObject(ev, "limit", "stack");
        cJSON_AddNumberToObject(ev, "max_stack", (double)(o->limits & LIM_STACK ? o->max_stack : 0));
    }
    cli_log_end(r->log, ev);
}

/* The exit code for how the guest ended, with its events. */
static int outcome(run *r, const elvm_error *err, double late_s) {
    const char *msg = err->msg[0] ? err->msg : elvm_strerror(err->status);
    cJSON *ev;
    /* memory the limit refused: the initial size (instantiation fails with ELVM_LIMIT)
     * or memory.grow returning -1 */
    uint64_t hits = r->store ? elvm_store_memory_limit_hits(r->store) : 0;
    if (hits) {
        ev = cli_log_begin(r->log, "limit");
        cJSON_AddStringToObject(ev, "limit", "memory");
        cJSON_AddNumberToObject(ev, "max_memory", (double)r->o->max_memory);
        cJSON_AddNumberToObject(ev, "refused", (double)hits);
        cli_log_end(r->log, ev);
    }
    switch (err->status) {
    case ELVM_OK:
    case ELVM_EXIT:
        ev = cli_log_begin(r->log, "exit");
        cJSON_AddNumberToObject(ev, "code", err->status == ELVM_OK ? 0 : err->exit_code);
        cli_log_end(r->log, ev);
        return err->status == ELVM_OK ? CLI_EXIT_OK : err->exit_code;
    case ELVM_TRAP:
    case ELVM_UNINSTANTIABLE:
        if (err->trap == ELVM_TRAP_NONE) break; /* a failed allocation, not a trap */
        log_limit(r, err->trap, late_s);
        ev = cli_log_begin(r->log, "trap");
        cJSON_AddStringToObject(ev, "message", msg);
        if (err->status == ELVM_UNINSTANTIABLE) cJSON_AddStringToObject(ev, "during", "start");
        cli_log_end(r->log, ev);
        print_trap(r->store, err);
        return CLI_EXIT_TRAP;
    default: break;
    }
    run_error(r, msg);
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

/* Instantiates and calls _start or --invoke's function; returns -1 on an error already
 * reported, else 0 with how it went in `err`. */
static int call_guest(run *r, elvm_error *err) {
    const run_opts *o = r->o;
    /* the clock only when a log wants the time: its first read faults in the vDSO's two
     * pages, ~25 us here */
    double t0 = r->log ? cli_now() : 0;
    elvm_instance *inst = elvm_linker_instantiate(r->linker, r->module, err);
    if (!inst) return 0;
#ifdef ELVM_CLI_HAL
    /* the HAL needs the guest's cabi_realloc and memory, and starts its time watchdog */
    if (r->hal && elvm_hal_bind(r->hal, inst, err) != ELVM_OK) return 0;
#endif
    if (r->log) {
        cJSON *ev = cli_log_begin(r->log, "instantiate");
        cJSON_AddNumberToObject(ev, "ms", cli_ms(cli_now() - t0));
        cli_log_end(r->log, ev);
    }
    elvm_extern ext;
    const char *name = o->invoke ? o->invoke : "_start";
    if (!elvm_instance_export(inst, name, &ext) || ext.kind != ELVM_EXTERN_FUNC) {
        char msg[400];
        if (o->invoke)
            snprintf(msg, sizeof msg, "no exported function '%s'", name);
        else
            snprintf(msg, sizeof msg, "no exported function '_start' (not a WASI command; use "
                                      "--invoke NAME to call an export)");
        run_error(r, msg);
        return -1;
    }
    elvm_extern init;
    if (o->invoke && elvm_instance_export(inst, "_initialize", &init) &&
        init.kind == ELVM_EXTERN_FUNC) {
        /* A WASI reactor: initialize it before calling into it. */
        elvm_func_call(r->store, init.of.func, NULL, 0, NULL, 0, err);
        if (err->status != ELVM_OK) return 0;
    }
    if (o->invoke) return invoke(o, r->store, ext.of.func, err);
    elvm_func_call(r->store, ext.of.func, NULL, 0, NULL, 0, err);
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
    static run r; /* kept until exit (run_end); one run per process */
    memset(&r, 0, sizeof r);
    r.o = o;
    int code = CLI_EXIT_ERROR;
    if (o->log_path && !(r.log = cli_log_open(o->log_path))) return CLI_EXIT_ERROR;

    elvm_config cfg;
    elvm_config_default(&cfg);
    cfg.fuel = (o->limits & LIM_FUEL) || o->stats;
    cfg.compile = o->compile;
    if (o->limits & LIM_STACK) cfg.max_call_depth = o->max_stack;
    if (o->limits & LIM_SLOTS) cfg.value_stack_slots = o->max_stack_slots;
    if (!(r.engine = elvm_engine_new(&cfg))) goto nomem;
    if (load(&r)) goto out;
    r.store = elvm_store_new(r.engine);
    r.linker = r.store ? elvm_linker_new(r.store) : NULL;
    if (!r.linker) goto nomem;
    if (cfg.fuel) elvm_store_set_fuel(r.store, o->limits & LIM_FUEL ? o->fuel : UINT64_MAX);
    /* 0 would mean "no limit" to the store; 1 byte allows what 0 does: no page at all. */
    if (o->limits & LIM_MEMORY)
        elvm_store_set_memory_limit(r.store, o->max_memory ? o->max_memory : 1);
    if (policy_check(&o->imports, r.module, o->file, r.log)) goto out;
    if (setup_wasi(&r)) goto out;
#ifdef ELVM_CLI_HAL
    if (o->hal_profile && setup_hal(&r, cfg.fuel)) goto out;
#endif

    /* The deadline covers instantiation too: a start function may loop forever. */
    if ((o->limits & LIM_TIMEOUT) && !(r.timer = cli_timer_start(r.store, o->timeout, r.log)))
        goto out;
    elvm_error err;
    memset(&err, 0, sizeof err);
    double t0 = o->stats ? cli_now() : 0;
    int failed = call_guest(&r, &err);
    double t1 = o->stats ? cli_now() : 0, late_s = 0;
    cli_timer_stop(r.timer, &late_s);
    r.timer = NULL;
    if (!failed) code = outcome(&r, &err, late_s);
    if (o->stats) print_stats(r.store, t1 - t0);
    goto out;
nomem:
    run_error(&r, "out of host memory");
out:
    run_end(&r);
    return code;
}

#ifndef ELVM_CLI_HAL
/* Replaces this process with the sibling program `name` running `elvm run` with the same
 * words (argv[0] is "run"); returns only on failure, reported with `why` it was needed. */
static int hand_to(const char *name, const char *why, int argc, char **argv) {
    char **av = calloc((size_t)argc + 2, sizeof *av);
    if (!av) {
        cli_error(NULL, "out of host memory");
        return CLI_EXIT_ERROR;
    }
    av[0] = (char *)name;
    for (int i = 0; i < argc; i++) av[i + 1] = argv[i];
    int code = cli_exec_sibling(name, why, av);
    free(av);
    return code;
}
#endif

/* A run with the HAL: elvm-hal, which links OpenSSL and OpenCL, does it (elvm itself
 * stays small and quick to start). */
static int hand_to_hal(int argc, char **argv, const run_opts *o) {
#ifdef ELVM_CLI_HAL
    (void)argc, (void)argv;
    return run_module(o);
#else
    (void)o;
    return hand_to("elvm-hal", "runs with --hal", argc, argv);
#endif
}

int cli_run(int argc, char **argv) {
    run_opts f, m;
    memset(&f, 0, sizeof f);
    memset(&m, 0, sizeof m);
    int r = parse_flags(argc, argv, &f), code;
    if (r) {
        code = r == 1 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
#ifdef ELVM_CLI_STATIC
    } else if (f.hal_profile) {
        code = hand_to_hal(argc, argv, &f); /* --hal wins over a manifest's world */
    } else if (f.manifest || f.log_path) {
        /* Both load shared libraries (dl.c), which the static elvm cannot: nothing has
         * happened yet, so elvm-dyn can do the whole run (and hands it on to elvm-hal if
         * the manifest asks for the HAL). */
        code = hand_to("elvm-dyn", "manifests and --log", argc, argv);
#endif
    } else if (f.manifest) {
        /* The manifest first, then the flags over it. */
        if (cli_manifest_load(f.manifest, &m) || opts_merge(&m, &f))
            code = CLI_EXIT_ERROR;
        else
            code = m.hal_profile ? hand_to_hal(argc, argv, &m) : run_module(&m);
    } else {
        code = f.hal_profile ? hand_to_hal(argc, argv, &f) : run_module(&f);
    }
    opts_free(&f);
    opts_free(&m);
    return code;
}
