/* manifest.c: `elvm run --manifest app.json|app.toml`: reads a run manifest (the schema is
 * docs/MANIFEST.md) into the same run_opts the flags fill. JSON is parsed by cJSON, TOML by
 * toml++ into a cJSON tree (toml.cpp), and one check below walks either: an unknown key or
 * a value of the wrong type is an error naming the key's path ("limits.max_memory"). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"
#include "toml.h"

#define MAX_EXACT 9007199254740992.0 /* 2^53: every integer up to here is a double */

typedef struct mctx {
    char where[1100]; /* "manifest PATH" */
    char *base;       /* the manifest's directory, or NULL for "." */
    run_opts *o;
} mctx;

static int fail(const mctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(const mctx *c, const char *path, const char *fmt, ...) {
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cli_error(c->where, "%s: %s", path, msg);
    return -1;
}

static const char *type_of(const cJSON *v) {
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsNull(v)) return "null";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsObject(v)) return "an object";
    if (cJSON_IsRaw(v)) return "a date/time";
    return "an unknown value";
}

/* "PARENT.KEY", or "KEY" at the top. */
static void key_path(char *buf, size_t n, const char *parent, const char *key) {
    int k = parent && *parent ? snprintf(buf, n, "%s.%s", parent, key)
                              : snprintf(buf, n, "%s", key);
    if (k >= (int)n) memcpy(buf + n - 4, "...", 4); /* a path that long is cut in messages */
}

/* Rejects keys not in `known` (NULL-terminated) and keys given twice. */
static int check_keys(const mctx *c, const cJSON *obj, const char *path,
                      const char *const known[]) {
    for (const cJSON *it = obj->child; it; it = it->next) {
        char p[300];
        key_path(p, sizeof p, path, it->string);
        int ok = 0;
        for (size_t i = 0; known[i] && !ok; i++) ok = strcmp(it->string, known[i]) == 0;
        if (!ok) {
            char list[300] = "";
            for (size_t i = 0; known[i]; i++) {
                size_t k = strlen(list);
                snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", known[i]);
            }
            return fail(c, p, "unknown key (expected one of: %s)", list);
        }
        for (const cJSON *prev = obj->child; prev != it; prev = prev->next)
            if (!strcmp(prev->string, it->string)) return fail(c, p, "duplicate key");
    }
    return 0;
}

static int want(const mctx *c, const char *path, const cJSON *v, int ok, const char *what) {
    return ok ? 0 : fail(c, path, "expected %s, got %s", what, type_of(v));
}

/* A whole number: a JSON number up to 2^53, or a string (TOML writes larger integers as
 * strings, and so may JSON) that `parse` accepts. */
static int get_u64(const mctx *c, const char *path, const cJSON *v, const char *what,
                   int (*parse)(const char *, uint64_t *), uint64_t *out) {
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d < 0 || d != floor(d) || d > MAX_EXACT)
            return fail(c, path, "expected %s, got %g", what, d);
        *out = (uint64_t)d;
        return 0;
    }
    if (cJSON_IsString(v)) {
        if (parse(v->valuestring, out))
            return fail(c, path, "expected %s, got \"%s\"", what, v->valuestring);
        return 0;
    }
    return want(c, path, v, 0, what);
}

static int get_strings(const mctx *c, const char *path, const cJSON *v, const cJSON **first) {
    if (want(c, path, v, cJSON_IsArray(v), "an array of strings")) return -1;
    int i = 0;
    for (const cJSON *it = v->child; it; it = it->next, i++) {
        char p[300];
        snprintf(p, sizeof p, "%s[%d]", path, i);
        if (want(c, p, it, cJSON_IsString(it), "a string")) return -1;
    }
    *first = v->child;
    return 0;
}

/* ---- sections ------------------------------------------------------------------------------ */

static int read_args(const mctx *c, const cJSON *v) {
    const cJSON *it;
    if (get_strings(c, "args", v, &it)) return -1;
    int n = cJSON_GetArraySize(v);
    char **tmp = calloc((size_t)n + 1, sizeof *tmp);
    if (!tmp) return fail(c, "args", "out of host memory");
    for (int i = 0; it; it = it->next) tmp[i++] = it->valuestring;
    int r = opts_set_args(c->o, tmp, n);
    free(tmp);
    return r ? fail(c, "args", "out of host memory") : 0;
}

static int read_env(const mctx *c, const cJSON *v) {
    if (want(c, "env", v, cJSON_IsObject(v), "an object of NAME = \"VALUE\"")) return -1;
    for (const cJSON *it = v->child; it; it = it->next) {
        char p[300], why[256];
        key_path(p, sizeof p, "env", it->string);
        if (want(c, p, it, cJSON_IsString(it), "a string")) return -1;
        if (!it->string[0] || strchr(it->string, '='))
            return fail(c, p, "a variable's name must be non-empty and without '='");
        for (const cJSON *prev = v->child; prev != it; prev = prev->next)
            if (!strcmp(prev->string, it->string)) return fail(c, p, "duplicate key");
        size_t len = strlen(it->string) + strlen(it->valuestring) + 2;
        char *spec = malloc(len);
        if (!spec) return fail(c, p, "out of host memory");
        snprintf(spec, len, "%s=%s", it->string, it->valuestring);
        int r = opts_add_env(c->o, spec, 0, why, sizeof why);
        free(spec);
        if (r) return fail(c, p, "%s", why);
    }
    return 0;
}

static int read_dir(const mctx *c, const char *path, const cJSON *d) {
    char why[256];
    if (cJSON_IsString(d)) {
        if (opts_add_dir_spec(c->o, d->valuestring, c->base, why, sizeof why))
            return fail(c, path, "%s", why);
        return 0;
    }
    if (want(c, path, d, cJSON_IsObject(d), "an object {host, guest, mode} or a string "
                                            "\"HOST::GUEST:ro\""))
        return -1;
    static const char *const keys[] = {"host", "guest", "mode", NULL};
    if (check_keys(c, d, path, keys)) return -1;
    const cJSON *host = cJSON_GetObjectItemCaseSensitive(d, "host");
    const cJSON *guest = cJSON_GetObjectItemCaseSensitive(d, "guest");
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(d, "mode");
    char p[300];
    key_path(p, sizeof p, path, "host");
    if (!host) return fail(c, p, "missing (the host directory to grant)");
    if (want(c, p, host, cJSON_IsString(host), "a string")) return -1;
    key_path(p, sizeof p, path, "guest");
    if (guest && want(c, p, guest, cJSON_IsString(guest), "a string")) return -1;
    key_path(p, sizeof p, path, "mode");
    int readonly = 0;
    if (mode) {
        if (!cJSON_IsString(mode) ||
            (strcmp(mode->valuestring, "ro") && strcmp(mode->valuestring, "rw")))
            return cJSON_IsString(mode)
                       ? fail(c, p, "expected \"ro\" or \"rw\", got \"%s\"", mode->valuestring)
                       : want(c, p, mode, 0, "\"ro\" or \"rw\"");
        readonly = mode->valuestring[1] == 'o';
    }
    if (opts_add_dir(c->o, host->valuestring, guest ? guest->valuestring : NULL, readonly,
                     c->base, why, sizeof why))
        return fail(c, path, "%s", why);
    return 0;
}

static int read_dirs(const mctx *c, const cJSON *v) {
    if (want(c, "dirs", v, cJSON_IsArray(v), "an array")) return -1;
    int i = 0;
    for (const cJSON *it = v->child; it; it = it->next, i++) {
        char p[300];
        snprintf(p, sizeof p, "dirs[%d]", i);
        if (read_dir(c, p, it)) return -1;
    }
    return 0;
}

static int read_tcp(const mctx *c, const cJSON *v) {
    const cJSON *it;
    if (get_strings(c, "tcp_listen", v, &it)) return -1;
    for (int i = 0; it; it = it->next, i++) {
        char p[300], why[256];
        snprintf(p, sizeof p, "tcp_listen[%d]", i);
        if (opts_add_tcp(c->o, it->valuestring, why, sizeof why)) return fail(c, p, "%s", why);
    }
    return 0;
}

static int read_limits(const mctx *c, const cJSON *v) {
    if (want(c, "limits", v, cJSON_IsObject(v), "an object")) return -1;
    static const char *const keys[] = {"max_memory", "fuel", "timeout", "max_stack",
                                       "max_stack_slots", NULL};
    if (check_keys(c, v, "limits", keys)) return -1;
    run_opts *o = c->o;
    for (const cJSON *it = v->child; it; it = it->next) {
        char p[300], why[256];
        uint64_t u;
        key_path(p, sizeof p, "limits", it->string);
        if (!strcmp(it->string, "max_memory")) {
            if (!cJSON_IsNumber(it) && !cJSON_IsString(it))
                return want(c, p, it, 0, "a number or a size string");
            if (get_u64(c, p, it, "a number of bytes or a size string (\"64Mi\")",
                        cli_parse_size, &u))
                return -1;
            o->max_memory = u;
            o->limits |= LIM_MEMORY;
        } else if (!strcmp(it->string, "fuel")) {
            if (get_u64(c, p, it, "a whole number of instructions", cli_parse_u64, &u))
                return -1;
            o->fuel = u;
            o->limits |= LIM_FUEL;
        } else if (!strcmp(it->string, "timeout")) {
            double d = it->valuedouble;
            if (!cJSON_IsNumber(it)) return want(c, p, it, 0, "a number of seconds");
            if (!isfinite(d) || d <= 0 || d > 1e9)
                return fail(c, p, "expected a positive number of seconds, got %g", d);
            o->timeout = d;
            o->limits |= LIM_TIMEOUT;
        } else if (!strcmp(it->string, "max_stack")) {
            if (get_u64(c, p, it, "a whole number of frames", cli_parse_u64, &u)) return -1;
            if (cli_check_stack(u, &o->max_stack, why, sizeof why)) return fail(c, p, "%s", why);
            o->limits |= LIM_STACK;
        } else { /* max_stack_slots */
            if (get_u64(c, p, it, "a whole number of slots", cli_parse_u64, &u)) return -1;
            if (cli_check_slots(u, &o->max_stack_slots, why, sizeof why))
                return fail(c, p, "%s", why);
            o->limits |= LIM_SLOTS;
        }
    }
    return 0;
}

static int read_rules(const mctx *c, const cJSON *list, const char *path, policy_action a) {
    const cJSON *it;
    if (get_strings(c, path, list, &it)) return -1;
    for (int i = 0; it; it = it->next, i++) {
        char p[300], why[512];
        snprintf(p, sizeof p, "%s[%d]", path, i);
        if (policy_add(&c->o->imports, a, it->valuestring, p, 0, why, sizeof why))
            return fail(c, p, "%s", why);
    }
    return 0;
}

static int read_imports(const mctx *c, const cJSON *v) {
    if (want(c, "imports", v, cJSON_IsObject(v), "an object")) return -1;
    static const char *const keys[] = {"default", "allow", "deny", NULL};
    if (check_keys(c, v, "imports", keys)) return -1;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(v, "default");
    if (d) {
        if (!cJSON_IsString(d) || (strcmp(d->valuestring, "allow") && strcmp(d->valuestring, "deny")))
            return cJSON_IsString(d) ? fail(c, "imports.default",
                                            "expected \"allow\" or \"deny\", got \"%s\"",
                                            d->valuestring)
                                     : want(c, "imports.default", d, 0, "\"allow\" or \"deny\"");
        c->o->imports.dflt = d->valuestring[0] == 'a' ? POLICY_ALLOW : POLICY_DENY;
        c->o->imports.dflt_where = strdup("imports.default");
    }
    const cJSON *allow = cJSON_GetObjectItemCaseSensitive(v, "allow");
    const cJSON *deny = cJSON_GetObjectItemCaseSensitive(v, "deny");
    if (allow && read_rules(c, allow, "imports.allow", POLICY_ALLOW)) return -1;
    if (deny && read_rules(c, deny, "imports.deny", POLICY_DENY)) return -1;
    return 0;
}

/* "hal": the ELASTIC TEE HAL world and its grants (docs/MANIFEST.md). */
static int read_hal(const mctx *c, const cJSON *v) {
    if (want(c, "hal", v, cJSON_IsObject(v), "an object")) return -1;
    static const char *const keys[] = {"profile", "storage", "storage_key", "snp_backend",
                                       "sim_keys", "tls_ca", "net_allow", "gpu", NULL};
    if (check_keys(c, v, "hal", keys)) return -1;
    run_opts *o = c->o;
    for (const cJSON *it = v->child; it; it = it->next) {
        char p[300];
        key_path(p, sizeof p, "hal", it->string);
        if (!strcmp(it->string, "gpu")) {
            if (want(c, p, it, cJSON_IsBool(it), "true or false")) return -1;
            o->hal_gpu = cJSON_IsTrue(it) ? 1 : 2;
            continue;
        }
        if (!strcmp(it->string, "net_allow")) {
            const cJSON *e;
            if (get_strings(c, p, it, &e)) return -1;
            for (; e; e = e->next)
                if (opts_add_str(&o->hal_net_allow, &o->nhal_net_allow, e->valuestring))
                    return fail(c, p, "out of host memory");
            continue;
        }
        if (want(c, p, it, cJSON_IsString(it), "a string")) return -1;
        /* paths are relative to the manifest, like the module's */
        int is_path = strcmp(it->string, "profile") && strcmp(it->string, "snp_backend");
        const char *s = it->valuestring;
        size_t len = strlen(s) + (c->base ? strlen(c->base) + 2 : 1);
        char *val = malloc(len);
        if (!val) return fail(c, p, "out of host memory");
        if (is_path && c->base && s[0] != '/') snprintf(val, len, "%s/%s", c->base, s);
        else snprintf(val, len, "%s", s);
        char **dst = !strcmp(it->string, "profile")       ? &o->hal_profile
                   : !strcmp(it->string, "storage")       ? &o->hal_storage
                   : !strcmp(it->string, "storage_key")   ? &o->hal_storage_key
                   : !strcmp(it->string, "snp_backend")   ? &o->hal_snp
                   : !strcmp(it->string, "sim_keys")      ? &o->hal_sim_keys
                                                          : &o->hal_tls_ca;
        free(*dst);
        *dst = val;
    }
    return 0;
}

/* ---- the document --------------------------------------------------------------------------- */

static int read_manifest(mctx *c, const cJSON *root) {
    if (!cJSON_IsObject(root))
        return fail(c, "(top level)", "expected an object, got %s", type_of(root));
    static const char *const keys[] = {"version", "module", "args", "env", "dirs",
                                       "tcp_listen", "limits", "imports", "hal", NULL};
    if (check_keys(c, root, "", keys)) return -1;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "version");
    if (v && (!cJSON_IsNumber(v) || v->valuedouble != 1))
        return cJSON_IsNumber(v) ? fail(c, "version", "this elvm reads version 1, not %g",
                                        v->valuedouble)
                                 : want(c, "version", v, 0, "the number 1");
    v = cJSON_GetObjectItemCaseSensitive(root, "module");
    if (!v) return fail(c, "module", "missing (the .wasm file, relative to the manifest)");
    if (want(c, "module", v, cJSON_IsString(v), "a string")) return -1;
    if (!v->valuestring[0]) return fail(c, "module", "empty path");
    const char *mod = v->valuestring;
    size_t len = strlen(mod) + (c->base ? strlen(c->base) + 2 : 1);
    c->o->file = malloc(len);
    if (!c->o->file) return fail(c, "module", "out of host memory");
    if (c->base && mod[0] != '/') snprintf(c->o->file, len, "%s/%s", c->base, mod);
    else snprintf(c->o->file, len, "%s", mod);

    static const struct {
        const char *key;
        int (*read)(const mctx *, const cJSON *);
    } sections[] = {
        {"args", read_args}, {"env", read_env}, {"dirs", read_dirs}, {"tcp_listen", read_tcp},
        {"limits", read_limits}, {"imports", read_imports}, {"hal", read_hal},
    };
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        v = cJSON_GetObjectItemCaseSensitive(root, sections[i].key);
        if (v && sections[i].read(c, v)) return -1;
    }
    return 0;
}

/* 1-based line and column of `at` in `text`. */
static void line_col(const char *text, const char *at, int *line, int *col) {
    *line = 1;
    *col = 1;
    for (const char *p = text; p < at; p++) {
        if (*p == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

int cli_manifest_load(const char *path, run_opts *o) {
    uint8_t *data;
    size_t len;
    if (cli_read_file(path, &data, &len)) return -1;
    int r = cli_manifest_parse(path, (const char *)data, len, o);
    free(data);
    return r;
}

int cli_manifest_parse(const char *path, const char *text, size_t len, run_opts *o) {
    mctx c;
    memset(&c, 0, sizeof c);
    c.o = o;
    snprintf(c.where, sizeof c.where, "manifest %s", path);
    const char *slash = strrchr(path, '/');
    if (slash) {
        c.base = strndup(path, slash == path ? 1 : (size_t)(slash - path));
        if (!c.base) return fail(&c, "(top level)", "out of host memory");
    }
    size_t plen = strlen(path);
    int is_toml = plen >= 5 && strcmp(path + plen - 5, ".toml") == 0;
    cJSON *root;
    int line, col, r = -1;
    if (is_toml) {
        char why[512];
        root = cli_toml_parse(text, len, why, sizeof why, &line, &col);
        if (!root && line > 0)
            cli_error(NULL, "manifest %s:%d:%d: invalid TOML: %s", path, line, col, why);
        else if (!root)
            cli_error(NULL, "manifest %s: invalid TOML: %s", path, why);
    } else {
        /* cJSON wants the terminating NUL to reject what follows the value */
        const char *end = NULL;
        char *z = malloc(len + 1);
        if (z) {
            memcpy(z, text, len);
            z[len] = '\0';
        }
        root = z ? cJSON_ParseWithLengthOpts(z, len + 1, &end, 1) : NULL;
        if (!root) {
            line_col(z ? z : text, z && end && end >= z && end <= z + len ? end : z, &line, &col);
            cli_error(NULL, "manifest %s:%d:%d: invalid JSON", path, line, col);
        }
        free(z);
    }
    if (root) r = read_manifest(&c, root);
    cJSON_Delete(root);
    free(c.base);
    return r;
}
