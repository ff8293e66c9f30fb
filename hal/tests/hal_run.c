/* hal_run.c: the HAL's test host: runs wasm32-wasi commands with WASI and the ELASTIC
 * HAL, each instance on its own thread, all sharing one hub (channels, events).
 *
 *   hal_run [OPTIONS] MODULE.wasm [ARGS...] [++ MODULE.wasm [ARGS...]]...
 *
 * Options (each grant as elvm_hal_config names it):
 *   --profile P          world to link (default elastic-tee-hal)
 *   --storage DIR        storage grant;  --storage-key FILE  operator sealing key
 *   --snp B              auto|sev-guest|tsm|simulated|none;  --snp-sim-keys DIR
 *   --allow HOST:PORT    connect allow-list entry;  --listen ADDR:PORT  listen grant
 *   --ca FILE            TLS roots
 *   --channel NAME[:CAP[:MAX[:rw|r|w]]]  a communication channel grant
 *   --memory BYTES  --fuel N  --time-ms MS   budgets granted (and enforced)
 *   --no-gpu             hide OpenCL devices
 *   --dir HOST[::GUEST]  a WASI preopen;  --env K=V  a WASI environment variable
 *   --log                print the HAL's log lines on stderr ("hal-log: KIND: DETAIL")
 *   --no-check           skip elvm_hal_check_imports (the linker reports instead)
 *   --snp-sim-keygen DIR write the SEV-SNP simulator's keys to DIR and exit
 * Exit status: the first non-zero status of the instances (a trap or error is 70). */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elvm.h"
#include "hal.h"
#include "wasi.h"

#if defined(__has_include) && !defined(HAL_NO_SEVSNP)
#if __has_include("../../sevsnp/sevsnp.h")
#include "../../sevsnp/sevsnp.h"
#define HAVE_SEVSNP 1
#endif
#endif

#define MAX_LIST 32

typedef struct opts {
    elvm_hal_config hal;
    const char *allow[MAX_LIST], *listen[MAX_LIST], *env[MAX_LIST];
    elvm_hal_channel_grant chans[MAX_LIST];
    elvm_wasi_preopen dirs[MAX_LIST];
    uint32_t ndirs, nenv;
    uint64_t fuel, memory;
    int log, no_check;
} opts;

typedef struct job {
    const opts *o;
    char **argv; /* module, args */
    int argc;
    int code;
} job;

static void log_line(void *ctx, const char *kind, const char *detail) {
    (void)ctx;
    fprintf(stderr, "hal-log: %s: %s\n", kind, detail);
}

static int read_file(const char *path, uint8_t **buf, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *buf = malloc(n > 0 ? (size_t)n : 1);
    *len = *buf && n >= 0 ? fread(*buf, 1, (size_t)n, f) : 0;
    fclose(f);
    return *buf && (long)*len == n ? 0 : -1;
}

/* Runs one instance; returns its exit status. */
static int run_one(const opts *o, char **argv, int argc) {
    int code = 70;
    uint8_t *bytes = NULL;
    size_t len;
    elvm_error err;
    memset(&err, 0, sizeof err);
    elvm_config cfg;
    elvm_config_default(&cfg);
    cfg.fuel = o->fuel != 0;
    elvm_engine *engine = elvm_engine_new(&cfg);
    elvm_module *m = NULL;
    elvm_store *store = NULL;
    elvm_linker *linker = NULL;
    elvm_wasi *wasi = NULL;
    elvm_hal *hal = NULL;
    if (read_file(argv[0], &bytes, &len)) {
        fprintf(stderr, "hal_run: %s: cannot read\n", argv[0]);
        goto out;
    }
    if (!(m = elvm_module_new(engine, bytes, len, &err))) goto fail;
    store = elvm_store_new(engine);
    linker = elvm_linker_new(store);
    if (o->fuel) elvm_store_set_fuel(store, o->fuel);
    if (o->memory) elvm_store_set_memory_limit(store, o->memory);

    elvm_wasi_config wc;
    elvm_wasi_config_default(&wc);
    wc.argv = (const char *const *)argv;
    wc.argc = (uint32_t)argc;
    wc.env = o->env;
    wc.envc = o->nenv;
    wc.preopens = o->dirs;
    wc.npreopens = o->ndirs;
    if (!(wasi = elvm_wasi_new(&wc, &err))) goto fail;
    elvm_wasi_define(wasi, store, linker);

    if (!(hal = elvm_hal_new(&o->hal, &err))) goto fail;
    if (!o->no_check && elvm_hal_check_imports(hal, m, &err) != ELVM_OK) goto fail;
    if (elvm_hal_define(hal, store, linker) != ELVM_OK) {
        fprintf(stderr, "hal_run: out of host memory\n");
        goto out;
    }
    elvm_instance *inst = elvm_linker_instantiate(linker, m, &err);
    if (!inst || elvm_hal_bind(hal, inst, &err) != ELVM_OK) goto fail;
    elvm_extern start;
    if (!elvm_instance_export(inst, "_start", &start) || start.kind != ELVM_EXTERN_FUNC) {
        fprintf(stderr, "hal_run: %s: no _start\n", argv[0]);
        goto out;
    }
    elvm_status st = elvm_func_call(store, start.of.func, NULL, 0, NULL, 0, &err);
    if (st == ELVM_OK) code = 0;
    else if (st == ELVM_EXIT) code = err.exit_code;
    else goto fail;
    goto out;
fail:
    fflush(stdout);
    fprintf(stderr, "hal_run: %s: %s\n", argv[0], err.msg[0] ? err.msg : elvm_strerror(err.status));
out:
    fflush(stdout);
    if (linker) elvm_linker_free(linker);
    if (store) elvm_store_free(store);
    elvm_hal_free(hal);
    elvm_wasi_free(wasi);
    if (m) elvm_module_free(m);
    elvm_engine_free(engine);
    free(bytes);
    return code;
}

static void *job_main(void *p) {
    job *j = p;
    j->code = run_one(j->o, j->argv, j->argc);
    return NULL;
}

static int parse_backend(const char *v) {
    static const char *const names[] = {"auto", "sev-guest", "tsm", "simulated", "none"};
    for (int i = 0; i < 5; i++)
        if (!strcmp(v, names[i])) return i;
    fprintf(stderr, "hal_run: --snp %s: expected auto|sev-guest|tsm|simulated|none\n", v);
    exit(2);
}

static void parse_channel(elvm_hal_channel_grant *g, char *spec) {
    memset(g, 0, sizeof *g);
    g->can_send = g->can_receive = 1;
    char *f[4] = {spec, NULL, NULL, NULL};
    for (int i = 1; i < 4; i++) {
        char *colon = f[i - 1] ? strchr(f[i - 1], ':') : NULL;
        if (colon) {
            *colon = 0;
            f[i] = colon + 1;
        }
    }
    g->name = f[0];
    if (f[1]) g->capacity = (uint32_t)strtoul(f[1], NULL, 10);
    if (f[2]) g->max_message = (uint32_t)strtoul(f[2], NULL, 10);
    if (f[3]) {
        g->can_send = strchr(f[3], 'w') != NULL;
        g->can_receive = strchr(f[3], 'r') != NULL;
    }
}

int main(int argc, char **argv) {
    static opts o;
    elvm_hal_config_default(&o.hal);
    uint32_t nallow = 0, nlisten = 0, nchan = 0;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (!strcmp(a, "--log")) o.log = 1, takes = 0;
        else if (!strcmp(a, "--no-check")) o.no_check = 1, takes = 0;
        else if (!strcmp(a, "--no-gpu")) o.hal.gpu_enabled = 0, takes = 0;
        else if (!v) {
            fprintf(stderr, "hal_run: %s needs a value\n", a);
            return 2;
        } else if (!strcmp(a, "--snp-sim-keygen")) {
#ifdef HAVE_SEVSNP
            char why[256];
            if (elvm_snp_sim_keys_generate(v, why, sizeof why)) {
                fprintf(stderr, "hal_run: %s\n", why);
                return 1;
            }
            return 0;
#else
            fprintf(stderr, "hal_run: built without sevsnp/\n");
            return 1;
#endif
        } else if (!strcmp(a, "--profile")) o.hal.profile = v;
        else if (!strcmp(a, "--storage")) o.hal.storage_dir = v;
        else if (!strcmp(a, "--storage-key")) o.hal.storage_key_file = v;
        else if (!strcmp(a, "--snp")) o.hal.snp_backend = parse_backend(v);
        else if (!strcmp(a, "--snp-sim-keys")) o.hal.snp_sim_keys_dir = v;
        else if (!strcmp(a, "--allow") && nallow < MAX_LIST) o.allow[nallow++] = v;
        else if (!strcmp(a, "--listen") && nlisten < MAX_LIST) o.listen[nlisten++] = v;
        else if (!strcmp(a, "--ca")) o.hal.tls_ca_file = v;
        else if (!strcmp(a, "--channel") && nchan < MAX_LIST) parse_channel(&o.chans[nchan++], argv[i + 1]);
        else if (!strcmp(a, "--memory")) o.memory = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--fuel")) o.fuel = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--time-ms")) o.hal.time_granted_ms = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--env") && o.nenv < MAX_LIST) o.env[o.nenv++] = v;
        else if (!strcmp(a, "--dir") && o.ndirs < MAX_LIST) {
            char *d = strdup(v), *sep = strstr(d, "::");
            if (sep) *sep = 0;
            o.dirs[o.ndirs].host_path = d;
            o.dirs[o.ndirs++].guest_path = sep ? sep + 2 : d;
        } else {
            fprintf(stderr, "hal_run: unknown option %s\n", a);
            return 2;
        }
        i += takes;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: hal_run [OPTIONS] MODULE.wasm [ARGS...] [++ MODULE [ARGS...]]...\n");
        return 2;
    }
    o.hal.net_allow = o.allow;
    o.hal.nnet_allow = nallow;
    o.hal.net_listen = o.listen;
    o.hal.nnet_listen = nlisten;
    o.hal.channels = o.chans;
    o.hal.nchannels = nchan;
    o.hal.memory_granted = o.memory;
    o.hal.fuel_granted = o.fuel;
    o.hal.fuel_enabled = o.fuel != 0;
    if (o.log) o.hal.log = log_line;
    o.hal.hub = elvm_hal_hub_new();

    job jobs[16];
    int njobs = 0;
    while (i < argc && njobs < 16) {
        int start = i;
        while (i < argc && strcmp(argv[i], "++")) i++;
        jobs[njobs] = (job){.o = &o, .argv = argv + start, .argc = i - start};
        njobs++;
        if (i < argc) argv[i++] = NULL;
    }
    pthread_t th[16];
    for (int k = 1; k < njobs; k++) pthread_create(&th[k], NULL, job_main, &jobs[k]);
    job_main(&jobs[0]);
    int code = jobs[0].code;
    for (int k = 1; k < njobs; k++) {
        pthread_join(th[k], NULL);
        if (!code) code = jobs[k].code;
    }
    elvm_hal_hub_free(o.hal.hub);
    return code;
}
