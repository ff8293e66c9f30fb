/* fuzz_manifest.c: libFuzzer/AFL++ target: bytes -> the run manifest reader of `elvm run`
 * (cli/manifest.c), as JSON (cJSON) and as TOML (toml++, cli/toml.cpp), then what `elvm
 * run` does with the options read: each argument read as an --invoke value of every type
 * (cli/values.c), the import policy checked against a module (cli/policy.c), and flags laid
 * over the manifest (opts_merge).
 *
 * The same bytes are read as "NAME.json" and as "NAME.toml", where NAME ("app",
 * "fuzz/app" or "/srv/app", chosen by the input's length) sets what relative paths are
 * relative to. Asserts: a manifest is accepted without a word or refused with exactly
 * one message (cli_error, here caught rather than printed), never anything else; what is
 * accepted holds together (a module path; NAME=VALUE variables, preopens and sockets each
 * once; limits within their bounds; rules of MODULE.NAME); a value that parses prints
 * back (cli_format_value) as text that parses to the same bits; the policy check refuses
 * a module exactly when it says why; and ASan/LSan see every buffer and every free. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DIE(...) (fprintf(stderr, "fuzz_manifest: " __VA_ARGS__), fputc('\n', stderr), abort())

/* ---- what main.c provides to the rest of cli/ ------------------------------------------- */

static int nerrors;
static char last_error[1200];

/* The messages are caught: a refusal must come with exactly one. */
void cli_error(const char *where, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(last_error, sizeof last_error, "%s%s%s", where ? where : "", where ? ": " : "", msg);
    nerrors++;
}

/* manifest.c's cli_manifest_load reads files with it; this target hands it bytes instead. */
int cli_read_file(const char *path, uint8_t **data, size_t *len) {
    (void)data, (void)len;
    cli_error(path, "not read while fuzzing");
    return -1;
}

/* ---- a module for the import policy -------------------------------------------------------- */

static const char *const imports[][2] = {
    {"wasi_snapshot_preview1", "fd_write"}, {"wasi_snapshot_preview1", "sock_accept"},
    {"env", "f"}, {"env", ""}, {"a.b", "c.d"}, {"x", "*"}, {"[x]", "?"},
    {"elastic:storage/storage@0.1.0", "get"},
};

/* (module (type (func)) (import M N (func (type 0))) ...) in the binary format */
static elvm_module *policy_module(void) {
    uint8_t wasm[1024];
    size_t n = 0, nimports = sizeof imports / sizeof imports[0];
    static const uint8_t head[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 2};
    memcpy(wasm, head, sizeof head);
    n = sizeof head;
    size_t size_at = n; /* the import section's size: a two-byte LEB128 */
    n += 2;
    wasm[n++] = (uint8_t)nimports;
    for (size_t i = 0; i < nimports; i++) {
        for (int k = 0; k < 2; k++) {
            size_t len = strlen(imports[i][k]);
            wasm[n++] = (uint8_t)len;
            memcpy(wasm + n, imports[i][k], len);
            n += len;
        }
        wasm[n++] = 0; /* func */
        wasm[n++] = 0; /* type 0 */
    }
    size_t len = n - size_at - 2;
    wasm[size_at] = (uint8_t)(0x80 | (len & 0x7f));
    wasm[size_at + 1] = (uint8_t)(len >> 7);
    elvm_config cfg;
    elvm_config_default(&cfg);
    elvm_engine *engine = elvm_engine_new(&cfg);
    elvm_error err;
    elvm_module *m = engine ? elvm_module_new(engine, wasm, n, &err) : NULL;
    if (!m) DIE("the policy module does not compile: %s", engine ? err.msg : "no engine");
    return m; /* the engine lives as long as the process */
}

/* ---- checks --------------------------------------------------------------------------------- */

static void check_strings_unique(char *const *v, uint32_t n, size_t key_len_of_eq,
                                 const char *what) {
    for (uint32_t i = 0; i < n; i++) {
        if (!v[i] || !v[i][0]) DIE("an empty %s", what);
        for (uint32_t k = 0; k < i; k++) {
            size_t a = key_len_of_eq ? strcspn(v[i], "=") : strlen(v[i]);
            size_t b = key_len_of_eq ? strcspn(v[k], "=") : strlen(v[k]);
            if (a == b && !memcmp(v[i], v[k], a)) DIE("%s '%s' twice", what, v[i]);
        }
    }
}

/* What an accepted manifest (or a merge) promises the rest of `elvm run`. */
static void check_opts(const run_opts *o) {
    if (!o->file || !o->file[0]) DIE("accepted without a module");
    for (uint32_t i = 0; i < o->nenv; i++)
        if (!strchr(o->env[i], '=') || o->env[i][0] == '=') DIE("variable '%s'", o->env[i]);
    check_strings_unique(o->env, o->nenv, 1, "variable");
    check_strings_unique(o->tcp_listen, o->ntcp, 0, "socket");
    for (uint32_t i = 0; i < o->ndirs; i++) {
        const elvm_wasi_preopen *d = &o->dirs[i];
        if (!d->host_path || !d->host_path[0] || !d->guest_path || !d->guest_path[0])
            DIE("preopen %u without a host or guest name", i);
        for (uint32_t k = 0; k < i; k++)
            if (!strcmp(o->dirs[k].guest_path, d->guest_path)) DIE("guest name '%s' twice", d->guest_path);
    }
    if (o->nargs < 0 || (o->nargs && !o->args)) DIE("%d arguments", o->nargs);
    for (int i = 0; i < o->nargs; i++)
        if (!o->args[i]) DIE("argument %d is NULL", i);
    if ((o->limits & LIM_STACK) && (o->max_stack < CLI_MIN_STACK || o->max_stack > CLI_MAX_STACK))
        DIE("max_stack %u", o->max_stack);
    if ((o->limits & LIM_SLOTS) &&
        (o->max_stack_slots < CLI_MIN_SLOTS || o->max_stack_slots > CLI_MAX_SLOTS))
        DIE("max_stack_slots %u", o->max_stack_slots);
    if ((o->limits & LIM_TIMEOUT) && !(isfinite(o->timeout) && o->timeout > 0 && o->timeout <= 1e9))
        DIE("timeout %g", o->timeout);
    const policy *p = &o->imports;
    for (uint32_t i = 0; i < p->nrules; i++) {
        const policy_rule *r = &p->rules[i];
        if (!r->module || !r->module[0] || !r->name || !r->name[0] || !r->where || !r->text ||
            (r->action != POLICY_ALLOW && r->action != POLICY_DENY))
            DIE("import rule %u is not MODULE.NAME with an action", i);
    }
    if (p->dflt != POLICY_UNSET && p->dflt != POLICY_ALLOW && p->dflt != POLICY_DENY)
        DIE("import default %d", p->dflt);
    if (o->hal_gpu < 0 || o->hal_gpu > 2) DIE("hal_gpu %d", o->hal_gpu);
}

/* An argument read as each type, as `--invoke` does; what parses must print back to text
 * that parses to the same bits. */
static void check_values(const char *text) {
    static const elvm_valtype types[] = {ELVM_I32, ELVM_I64, ELVM_F32, ELVM_F64, ELVM_V128,
                                         ELVM_FUNCREF, ELVM_EXTERNREF};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        elvm_val v, back;
        char why[512], printed[256];
        if (cli_parse_value(types[i], text, &v, why, sizeof why)) {
            if (!why[0] || !memchr(why, '\0', sizeof why)) DIE("a value refused without a reason");
            continue;
        }
        cli_format_value(&v, printed, sizeof printed);
        const char *colon = strchr(printed, ':'); /* "TYPE:VALUE" */
        if (!colon) DIE("printed value '%s' has no type", printed);
        if (cli_parse_value(types[i], colon + 1, &back, why, sizeof why))
            DIE("'%s' as %s prints as '%s', which does not read back: %s", text,
                elvm_valtype_name(types[i]), printed, why);
        size_t bytes = types[i] == ELVM_I32 || types[i] == ELVM_F32 ? 4
                     : types[i] == ELVM_V128 ? 16 : types[i] == ELVM_FUNCREF ? sizeof(void *) : 8;
        if (memcmp(&v.of, &back.of, bytes))
            DIE("'%s' as %s prints as '%s', which reads back as other bits", text,
                elvm_valtype_name(types[i]), printed);
    }
}

/* The flags of a run laid over the manifest: they must replace what they name. */
static void check_merge(run_opts *m) {
    run_opts f;
    char why[256];
    memset(&f, 0, sizeof f);
    if (opts_add_env(&f, "A=flag", 0, why, sizeof why) ||
        opts_add_dir(&f, "flagdir", "/data", 1, NULL, why, sizeof why) ||
        opts_add_tcp(&f, "127.0.0.1:1", why, sizeof why) ||
        policy_add(&f.imports, POLICY_ALLOW, "env.*", "--allow-import", 1, why, sizeof why))
        DIE("the flags: %s", why);
    f.limits = LIM_FUEL | LIM_STACK;
    f.fuel = 7;
    f.max_stack = CLI_MIN_STACK;
    if (opts_merge(m, &f)) DIE("opts_merge failed");
    opts_free(&f);
    check_opts(m);
    uint32_t a = 0, data = 0;
    for (uint32_t i = 0; i < m->nenv; i++) a += !strcmp(m->env[i], "A=flag");
    for (uint32_t i = 0; i < m->ndirs; i++)
        data += !strcmp(m->dirs[i].guest_path, "/data") && !strcmp(m->dirs[i].host_path, "flagdir");
    if (a != 1 || data != 1 || m->fuel != 7 || m->max_stack != CLI_MIN_STACK)
        DIE("the flags did not replace the manifest's values");
}

/* ---- one input ------------------------------------------------------------------------------ */

static void read_as(const char *path, const uint8_t *data, size_t size, elvm_module *mod) {
    run_opts o;
    memset(&o, 0, sizeof o);
    nerrors = 0;
    int r = cli_manifest_parse(path, (const char *)data, size, &o);
    if (r != 0 && r != -1) DIE("%s: returned %d", path, r);
    if (r == -1) {
        if (nerrors != 1 || !last_error[0])
            DIE("%s: refused with %d messages (last: '%s')", path, nerrors, last_error);
        opts_free(&o);
        return;
    }
    if (nerrors) DIE("%s: accepted, but said '%s'", path, last_error);
    check_opts(&o);
    for (int i = 0; i < o.nargs && i < 16; i++) check_values(o.args[i]);
    nerrors = 0;
    int denied = policy_check(&o.imports, mod, "fuzz.wasm", NULL);
    if (denied ? denied != -1 || nerrors != 1 : nerrors != 0)
        DIE("%s: the policy check returned %d with %d messages", path, denied, nerrors);
    check_merge(&o);
    opts_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static elvm_module *mod;
    if (!mod) mod = policy_module();
    static const char *const names[][2] = {
        {"app.json", "app.toml"}, {"fuzz/app.json", "fuzz/app.toml"},
        {"/srv/app.json", "/srv/app.toml"},
    };
    const char *const *name = names[size % 3];
    read_as(name[0], data, size, mod);
    read_as(name[1], data, size, mod);
    return 0;
}
