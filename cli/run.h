/* run.h: private to cli/: the options of `elvm run` and the files that fill and use them:
 * opts.c (grants and limits from flags or a manifest), manifest.c (JSON/TOML manifests),
 * policy.c (the import policy), limits.c (the wall-clock timeout), log.c (--log). */
#ifndef ELVM_CLI_RUN_H
#define ELVM_CLI_RUN_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "wasi.h"

/* ---- the import policy (policy.c) ------------------------------------------------------- */

typedef enum { POLICY_UNSET = 0, POLICY_ALLOW, POLICY_DENY } policy_action;

/* "MODULE.NAME" with fnmatch(3) wildcards in either part, split at the first '.'. */
typedef struct policy_rule {
    char *module, *name;
    char *where;  /* where it was given, for messages: "--deny-import", "imports.deny[2]" */
    char *text;   /* the pattern as written */
    policy_action action;
    int exact;    /* no wildcard: beats any wildcard rule */
    int layer;    /* 1: a flag, 0: the manifest; flags win */
} policy_rule;

typedef struct policy {
    policy_rule *rules;
    uint32_t nrules;
    policy_action dflt; /* unset means allow */
    char *dflt_where;
} policy;

/* Adds a rule; returns -1 with the reason in `why` if the pattern is not MODULE.NAME. */
int policy_add(policy *p, policy_action a, const char *pattern, const char *where, int layer,
               char *why, size_t n);
void policy_free(policy *p);

/* ---- options ------------------------------------------------------------------------------ */

/* Which limits were given: where a flag gives one, it beats the manifest. */
enum { LIM_FUEL = 1, LIM_MEMORY = 2, LIM_TIMEOUT = 4, LIM_STACK = 8, LIM_SLOTS = 16 };

/* Bounds the engine accepts (vm/store.c raises smaller values to its minimums). */
#define CLI_MIN_STACK 16u
#define CLI_MAX_STACK 10000000u
#define CLI_MIN_SLOTS 1024u
#define CLI_MAX_SLOTS (1u << 28) /* 2 GiB of value stack */

/* Everything `elvm run` was asked to do. Every string is owned (malloc'd). */
typedef struct run_opts {
    char *file;                /* the module */
    char **args;               /* the guest's argv[1..], or --invoke's values */
    int nargs, has_args;       /* has_args: given (so a flag's list replaces the manifest's) */
    elvm_wasi_preopen *dirs;   /* host_path and guest_path owned */
    uint32_t ndirs;
    char **env;                /* "NAME=VALUE" */
    uint32_t nenv;
    char **tcp_listen;         /* "ADDR:PORT" */
    uint32_t ntcp;
    unsigned limits;           /* LIM_* given */
    uint64_t fuel, max_memory; /* max_memory in bytes */
    double timeout;            /* seconds */
    uint32_t max_stack, max_stack_slots;
    policy imports;
    /* the ELASTIC TEE HAL (elvm-hal only; elvm hands such runs to it) */
    char *hal_profile, *hal_storage, *hal_storage_key, *hal_snp, *hal_sim_keys, *hal_tls_ca;
    char **hal_net_allow;      /* "HOST:PORT" */
    uint32_t nhal_net_allow;
    int hal_gpu;               /* 0 unset (on), 1 on, 2 off */
    /* flags only */
    char *invoke, *log_path, *manifest;
    int stats, trace_wasi;
    int compile;               /* ELVM_COMPILE_*: --compile */
} run_opts;

void opts_free(run_opts *o);
/* Appends a string to a list (the HAL's allow-list); -1 when out of memory. */
int opts_add_str(char ***list, uint32_t *n, const char *s);

/* Each returns 0, or -1 with the reason in `why` (the caller says where it came from). */
/* "HOST[::GUEST][:ro|:rw]". `base` (may be NULL) is prefixed to a relative HOST. */
int opts_add_dir_spec(run_opts *o, const char *spec, const char *base, char *why, size_t n);
int opts_add_dir(run_opts *o, const char *host, const char *guest, int readonly,
                 const char *base, char *why, size_t n);
/* "NAME=VALUE", or "NAME" alone for the host's value when `host_copy`; replaces NAME. */
int opts_add_env(run_opts *o, const char *spec, int host_copy, char *why, size_t n);
/* "ADDR:PORT" or "[ADDR6]:PORT". */
int opts_add_tcp(run_opts *o, const char *spec, char *why, size_t n);
int opts_set_args(run_opts *o, char *const *args, int nargs);

/* Limits' values. A size is a whole number with an optional suffix: K, M, G, T (powers of
 * 1000) or Ki, Mi, Gi, Ti (powers of 1024), optionally followed by B. */
int cli_parse_size(const char *s, uint64_t *out);
int cli_parse_u64(const char *s, uint64_t *out);
int cli_parse_seconds(const char *s, double *out); /* positive, fractional allowed */
int cli_check_stack(uint64_t v, uint32_t *out, char *why, size_t n);
int cli_check_slots(uint64_t v, uint32_t *out, char *why, size_t n);

/* Lays the flags `f` over the manifest's options `m` (flags win; lists merge: an --env
 * replaces the manifest's variable of its name, a --dir its preopen of the same guest
 * name). Takes what it needs from `f`, which is left to be freed. */
int opts_merge(run_opts *m, run_opts *f);

/* ---- manifests (manifest.c) ----------------------------------------------------------------- */

/* Reads the manifest at `path` (TOML if it ends in .toml, otherwise JSON) into `o`. On
 * failure prints "elvm: error: manifest PATH: KEY.PATH: why" and returns -1. */
int cli_manifest_load(const char *path, run_opts *o);
/* The same for `len` bytes of manifest text already read; `path` names it in messages,
 * chooses the format and is what relative paths are relative to. */
int cli_manifest_parse(const char *path, const char *text, size_t len, run_opts *o);

/* ---- the log (log.c) ------------------------------------------------------------------------ */

typedef struct cli_log cli_log;

/* Opens FILE for appending JSON lines; prints the error and returns NULL on failure. */
cli_log *cli_log_open(const char *path);
void cli_log_close(cli_log *log);
/* A new event object with "ts" (ISO-8601 UTC, milliseconds), "event" and "pid" filled in,
 * for the caller to add fields to; NULL (which every cJSON_Add* accepts) if log is NULL. */
cJSON *cli_log_begin(cli_log *log, const char *event);
/* Writes `ev` as one line and frees it. Thread-safe; NULL is allowed. */
void cli_log_end(cli_log *log, cJSON *ev);
/* The WASI host's hook (elvm_wasi_log_fn), with the cli_log as ctx. */
void cli_log_wasi(void *ctx, const char *kind, const char *detail);
/* Lowercase hex SHA-256 of `data`, into out[65]. */
void cli_sha256_hex(const uint8_t *data, size_t len, char out[65]);

/* ---- the import policy, applied (policy.c) -------------------------------------------------- */

/* Checks every import of `m` against the policy. Logs each denied import; if any, prints
 * "elvm: error: FILE: unlinkable: import "M" "N" denied by policy (...)" and returns -1. */
int policy_check(const policy *p, const elvm_module *m, const char *file, cli_log *log);

/* ---- the wall-clock timeout (limits.c) ----------------------------------------------------- */

typedef struct cli_timer cli_timer;

/* Starts a thread that interrupts `store` `seconds` from now (elvm_store_interrupt), and
 * again every millisecond after that until stopped (an interrupt raised between two calls
 * into the store is cleared by the next one). A guest still running CLI_TIMEOUT_GRACE after
 * the deadline is blocked in a host call: the thread logs the trap and ends the process
 * with exit status 134. Returns NULL (after printing why) if the thread cannot start. */
cli_timer *cli_timer_start(elvm_store *store, double seconds, cli_log *log);
/* Stops the thread (the guest is done) and frees the timer. Returns 1 if the deadline had
 * passed, with how long after it this was in *late_s. NULL is allowed (returns 0). */
int cli_timer_stop(cli_timer *t, double *late_s);

#define CLI_TIMEOUT_GRACE 0.1 /* seconds */

double cli_now(void); /* CLOCK_MONOTONIC seconds */
/* seconds -> milliseconds, rounded to the microsecond, for the --log events (no libm:
 * `elvm` starts faster with one shared library less) */
double cli_ms(double seconds);

#endif /* ELVM_CLI_RUN_H */
