/* opts.c: the grants and limits of `elvm run`, whichever way they come (flags or a
 * manifest): parsing their values, adding them to a run_opts, and laying flags over a
 * manifest. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

static void free_strs(char **v, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

void opts_free(run_opts *o) {
    free(o->hal_profile);
    free(o->hal_storage);
    free(o->hal_storage_key);
    free(o->hal_snp);
    free(o->hal_sim_keys);
    free(o->hal_tls_ca);
    for (uint32_t i = 0; i < o->nhal_net_allow; i++) free(o->hal_net_allow[i]);
    free(o->hal_net_allow);
    for (uint32_t i = 0; i < o->ndirs; i++) {
        free((char *)o->dirs[i].host_path);
        free((char *)o->dirs[i].guest_path);
    }
    free(o->dirs);
    free_strs(o->env, o->nenv);
    free_strs(o->tcp_listen, o->ntcp);
    free_strs(o->args, (uint32_t)o->nargs);
    policy_free(&o->imports);
    free(o->file);
    free(o->invoke);
    free(o->log_path);
    free(o->manifest);
    memset(o, 0, sizeof *o);
}

/* Appends an owned string to a growing array; returns -1 when out of memory. */
static int push_str(char ***v, uint32_t *n, char *s) {
    if (!s) return -1;
    char **bigger = realloc(*v, (*n + 1) * sizeof *bigger);
    if (!bigger) {
        free(s);
        return -1;
    }
    bigger[(*n)++] = s;
    *v = bigger;
    return 0;
}

static int nomem(char *why, size_t n) {
    snprintf(why, n, "out of host memory");
    return -1;
}

/* ---- grants ------------------------------------------------------------------------------ */

int opts_add_dir(run_opts *o, const char *host, const char *guest, int readonly,
                 const char *base, char *why, size_t n) {
    if (!*host) {
        snprintf(why, n, "empty host directory");
        return -1;
    }
    if (guest && !*guest) {
        snprintf(why, n, "empty guest name");
        return -1;
    }
    char *h;
    if (base && *base && host[0] != '/') {
        size_t len = strlen(base) + strlen(host) + 2;
        h = malloc(len);
        if (h) snprintf(h, len, "%s/%s", base, host);
    } else {
        h = strdup(host);
    }
    char *g = strdup(guest ? guest : host);
    if (!h || !g) {
        free(h);
        free(g);
        return nomem(why, n);
    }
    /* A later grant of the same guest name replaces the earlier one (a --dir over the
     * manifest's), so the guest never sees two preopens of one name. */
    for (uint32_t i = 0; i < o->ndirs; i++) {
        if (strcmp(o->dirs[i].guest_path, g) == 0) {
            free((char *)o->dirs[i].host_path);
            free((char *)o->dirs[i].guest_path);
            o->dirs[i].host_path = h;
            o->dirs[i].guest_path = g;
            o->dirs[i].readonly = readonly;
            return 0;
        }
    }
    elvm_wasi_preopen *d = realloc(o->dirs, (o->ndirs + 1) * sizeof *d);
    if (!d) {
        free(h);
        free(g);
        return nomem(why, n);
    }
    o->dirs = d;
    d[o->ndirs].host_path = h;
    d[o->ndirs].guest_path = g;
    d[o->ndirs].readonly = readonly;
    o->ndirs++;
    return 0;
}

/* HOST[::GUEST][:ro|:rw]: a trailing ":ro" or ":rw" is always the mode. */
int opts_add_dir_spec(run_opts *o, const char *spec, const char *base, char *why, size_t n) {
    size_t len = strlen(spec);
    int readonly = 0;
    if (len >= 3 && (!strcmp(spec + len - 3, ":ro") || !strcmp(spec + len - 3, ":rw"))) {
        readonly = spec[len - 1] == 'o';
        len -= 3;
    }
    char *copy = strndup(spec, len);
    if (!copy) return nomem(why, n);
    char *sep = strstr(copy, "::");
    const char *guest = NULL;
    if (sep) {
        *sep = '\0';
        guest = sep + 2;
    }
    int r = -1;
    if (!*copy || (guest && !*guest))
        snprintf(why, n, "expected HOST, HOST::GUEST, HOST:ro or HOST::GUEST:ro");
    else
        r = opts_add_dir(o, copy, guest, readonly, base, why, n);
    free(copy);
    return r;
}

int opts_add_env(run_opts *o, const char *spec, int host_copy, char *why, size_t n) {
    const char *eq = strchr(spec, '=');
    if (eq == spec || !*spec || (!eq && !host_copy)) {
        snprintf(why, n, host_copy ? "expected NAME=VALUE or NAME" : "expected NAME=VALUE");
        return -1;
    }
    char *s;
    if (eq) {
        s = strdup(spec);
    } else {
        const char *host = getenv(spec);
        if (!host) return 0; /* the host has none: the guest gets none */
        size_t len = strlen(spec) + strlen(host) + 2;
        s = malloc(len);
        if (s) snprintf(s, len, "%s=%s", spec, host);
    }
    if (!s) return nomem(why, n);
    size_t name_len = (size_t)(strchr(s, '=') - s);
    for (uint32_t i = 0; i < o->nenv; i++) {
        if (strncmp(o->env[i], s, name_len) == 0 && o->env[i][name_len] == '=') {
            free(o->env[i]);
            o->env[i] = s;
            return 0;
        }
    }
    return push_str(&o->env, &o->nenv, s) ? nomem(why, n) : 0;
}

int opts_add_tcp(run_opts *o, const char *spec, char *why, size_t n) {
    const char *colon = strrchr(spec, ':');
    uint64_t port;
    int ok = colon && colon != spec && !cli_parse_u64(colon + 1, &port) && port <= 65535;
    if (ok && spec[0] == '[') ok = colon[-1] == ']' && colon - spec > 2;
    else if (ok) ok = memchr(spec, ':', (size_t)(colon - spec)) == NULL; /* IPv6 needs [] */
    if (!ok) {
        snprintf(why, n, "expected ADDR:PORT (an IPv4 address, or [IPv6], and a port 0-65535)");
        return -1;
    }
    for (uint32_t i = 0; i < o->ntcp; i++)
        if (!strcmp(o->tcp_listen[i], spec)) return 0;
    return push_str(&o->tcp_listen, &o->ntcp, strdup(spec)) ? nomem(why, n) : 0;
}

int opts_set_args(run_opts *o, char *const *args, int nargs) {
    free_strs(o->args, (uint32_t)o->nargs);
    o->args = NULL;
    o->nargs = 0;
    o->has_args = 1;
    for (int i = 0; i < nargs; i++) {
        uint32_t k = (uint32_t)o->nargs;
        if (push_str(&o->args, &k, strdup(args[i]))) return -1;
        o->nargs = (int)k;
    }
    return 0;
}

/* ---- limits' values ------------------------------------------------------------------------ */

int cli_parse_u64(const char *s, uint64_t *out) {
    char *end;
    if (*s < '0' || *s > '9') return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno) return -1;
    *out = v;
    return 0;
}

int cli_parse_size(const char *s, uint64_t *out) {
    static const struct { const char *suffix; uint64_t mult; } units[] = {
        {"", 1},
        {"K", 1000}, {"M", 1000000}, {"G", 1000000000}, {"T", 1000000000000},
        {"Ki", 1ull << 10}, {"Mi", 1ull << 20}, {"Gi", 1ull << 30}, {"Ti", 1ull << 40},
    };
    char *end;
    if (*s < '0' || *s > '9') return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno) return -1;
    size_t len = strlen(end);
    if (len && end[len - 1] == 'B') len--; /* "64MiB", "100B" */
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        const char *u = units[i].suffix;
        int match = strlen(u) == len && strncmp(end, u, len) == 0;
        if (!match && len == 1 && u[0] == 'K' && !u[1]) match = end[0] == 'k'; /* "64k" */
        if (!match) continue;
        if (v > UINT64_MAX / units[i].mult) return -1;
        *out = v * units[i].mult;
        return 0;
    }
    return -1;
}

int cli_parse_seconds(const char *s, double *out) {
    char *end;
    if (!((*s >= '0' && *s <= '9') || *s == '.')) return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno || !isfinite(v) || v <= 0 || v > 1e9) return -1;
    *out = v;
    return 0;
}

int cli_check_stack(uint64_t v, uint32_t *out, char *why, size_t n) {
    if (v < CLI_MIN_STACK || v > CLI_MAX_STACK) {
        snprintf(why, n, "expected a call depth from %u to %u frames", CLI_MIN_STACK,
                 CLI_MAX_STACK);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

int cli_check_slots(uint64_t v, uint32_t *out, char *why, size_t n) {
    if (v < CLI_MIN_SLOTS || v > CLI_MAX_SLOTS) {
        snprintf(why, n, "expected a value-stack size from %u to %u slots", CLI_MIN_SLOTS,
                 CLI_MAX_SLOTS);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

/* ---- flags over a manifest -------------------------------------------------------------------- */

static char *take(char **p) {
    char *s = *p;
    *p = NULL;
    return s;
}

int opts_add_str(char ***list, uint32_t *n, const char *s) {
    char **l = realloc(*list, (*n + 1) * sizeof *l);
    if (!l) return -1;
    *list = l;
    if (!(l[*n] = strdup(s))) return -1;
    (*n)++;
    return 0;
}

/* A flag's string replaces the manifest's. */
static void take_over(char **m, char **f) {
    if (!*f) return;
    free(*m);
    *m = *f;
    *f = NULL;
}

int opts_merge(run_opts *m, run_opts *f) {
    char why[256];
    take_over(&m->hal_profile, &f->hal_profile);
    take_over(&m->hal_storage, &f->hal_storage);
    take_over(&m->hal_storage_key, &f->hal_storage_key);
    take_over(&m->hal_snp, &f->hal_snp);
    take_over(&m->hal_sim_keys, &f->hal_sim_keys);
    take_over(&m->hal_tls_ca, &f->hal_tls_ca);
    for (uint32_t i = 0; i < f->nhal_net_allow; i++)
        if (opts_add_str(&m->hal_net_allow, &m->nhal_net_allow, f->hal_net_allow[i])) return -1;
    if (f->hal_gpu) m->hal_gpu = f->hal_gpu;
    if (f->has_args) {
        free_strs(m->args, (uint32_t)m->nargs);
        m->args = f->args;
        m->nargs = f->nargs;
        m->has_args = 1;
        f->args = NULL;
        f->nargs = 0;
    }
    for (uint32_t i = 0; i < f->ndirs; i++)
        if (opts_add_dir(m, f->dirs[i].host_path, f->dirs[i].guest_path, f->dirs[i].readonly,
                         NULL, why, sizeof why))
            return -1;
    for (uint32_t i = 0; i < f->nenv; i++)
        if (opts_add_env(m, f->env[i], 0, why, sizeof why)) return -1;
    for (uint32_t i = 0; i < f->ntcp; i++)
        if (opts_add_tcp(m, f->tcp_listen[i], why, sizeof why)) return -1;
    if (f->limits & LIM_FUEL) m->fuel = f->fuel;
    if (f->limits & LIM_MEMORY) m->max_memory = f->max_memory;
    if (f->limits & LIM_TIMEOUT) m->timeout = f->timeout;
    if (f->limits & LIM_STACK) m->max_stack = f->max_stack;
    if (f->limits & LIM_SLOTS) m->max_stack_slots = f->max_stack_slots;
    m->limits |= f->limits;
    /* Flag rules are layer 1 and win over the manifest's; so does a flag's default. */
    policy_rule *r = realloc(m->imports.rules,
                             (m->imports.nrules + f->imports.nrules + 1) * sizeof *r);
    if (!r) return -1;
    m->imports.rules = r;
    for (uint32_t i = 0; i < f->imports.nrules; i++) r[m->imports.nrules++] = f->imports.rules[i];
    f->imports.nrules = 0;
    if (f->imports.dflt != POLICY_UNSET) {
        m->imports.dflt = f->imports.dflt;
        free(m->imports.dflt_where);
        m->imports.dflt_where = take(&f->imports.dflt_where);
    }
    m->invoke = take(&f->invoke);
    m->log_path = take(&f->log_path);
    m->manifest = take(&f->manifest);
    m->stats = f->stats;
    m->trace_wasi = f->trace_wasi;
    m->compile = f->compile;
    return 0;
}
