/* commands.c: one handler per wast2json command kind (module, register, action, assert_*). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spectest.h"

static st_verdict fail(st_script *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static st_verdict skip(st_script *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static st_verdict fail(st_script *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->why, sizeof s->why, fmt, ap);
    va_end(ap);
    return ST_FAIL;
}

static st_verdict skip(st_script *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->why, sizeof s->why, fmt, ap);
    va_end(ap);
    return ST_SKIP;
}

/* "invalid module: type mismatch in ..." or "trap: integer divide by zero". */
static const char *error_text(const elvm_error *err, char *buf, size_t cap) {
    snprintf(buf, cap, "%s%s%s", elvm_strerror(err->status), err->msg[0] ? ": " : "", err->msg);
    return buf;
}

/* The testsuite's trap texts are sometimes shorter ("uninitialized element") and sometimes
 * longer ("uninitialized element 2") than ours, so either may be a prefix of the other.
 * The message is tried first, then the wording of the trap kind, which is what matters. */
static int prefix_match(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    return la && lb && strncmp(a, b, la < lb ? la : lb) == 0;
}

static int trap_text_matches(const char *expected, const elvm_error *err) {
    if (prefix_match(expected, err->msg))
        return 1;
    return err->trap != ELVM_TRAP_NONE && prefix_match(expected, elvm_trap_message(err->trap));
}

/* ---- module names ------------------------------------------------------------------------ */

/* Binds `name` to `inst` (NULL for a module that failed); a later binding wins. */
static void bind_name(st_script *s, const char *name, elvm_instance *inst) {
    for (size_t i = 0; i < s->nnamed; i++) {
        if (strcmp(s->named[i].name, name) == 0) {
            s->named[i].inst = inst;
            return;
        }
    }
    if (s->nnamed == s->capnamed) {
        size_t cap = s->capnamed ? 2 * s->capnamed : 8;
        st_named *grown = realloc(s->named, cap * sizeof *grown);
        if (!grown)
            return; /* out of host memory: later lookups of the name fail cleanly */
        s->named = grown;
        s->capnamed = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return;
    s->named[s->nnamed++] = (st_named){.name = copy, .inst = inst};
}

/* The instance a command means: the one named `name`, or the current one. */
static elvm_instance *find_instance(st_script *s, const char *name) {
    if (!name)
        return s->current;
    for (size_t i = 0; i < s->nnamed; i++)
        if (strcmp(s->named[i].name, name) == 0)
            return s->named[i].inst;
    return NULL;
}

/* ---- loading modules --------------------------------------------------------------------- */

uint8_t *st_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0, got;
    if (!f)
        return NULL;
    do {
        if (n + 1 >= cap) { /* room for more data and the final NUL */
            cap = cap ? 2 * cap : 64 * 1024;
            uint8_t *grown = realloc(buf, cap);
            if (!grown) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0);
    if (ferror(f)) {
        free(buf);
        buf = NULL;
    } else {
        buf[n] = 0;
        *len = n;
    }
    fclose(f);
    return buf;
}

/* Decodes the module file a command names. Returns ST_PASS with *out set and `err` filled
 * in (*out is NULL when the library rejected the bytes: whether that is right is the
 * caller's business), or ST_FAIL/ST_SKIP when there is no binary module to try. */
static st_verdict load_module(st_script *s, const cJSON *cmd, elvm_module **out,
                              elvm_error *err) {
    const char *file = st_json_str(cmd, "filename");
    const char *kind = st_json_str(cmd, "module_type");
    char path[4096];
    size_t len = 0;
    *out = NULL;
    memset(err, 0, sizeof *err);
    if (kind && strcmp(kind, "text") == 0)
        return skip(s, "text format: not a binary module");
    if (!file)
        return fail(s, "bad JSON: command without \"filename\"");
    snprintf(path, sizeof path, "%s/%s", s->dir, file);
    uint8_t *bytes = st_read_file(path, &len);
    if (!bytes)
        return fail(s, "cannot read module %s", path);
    *out = elvm_module_new(s->engine, bytes, len, err);
    free(bytes);
    if (*out)
        err->status = ELVM_OK;
    else if (err->status == ELVM_OK)
        err->status = ELVM_ARG; /* a NULL module must come with a reason */
    return ST_PASS;
}

/* Instantiates with the script's linker; the caller's module reference is dropped. */
static elvm_instance *instantiate(st_script *s, elvm_module *m, elvm_error *err) {
    memset(err, 0, sizeof *err);
    elvm_instance *inst = elvm_linker_instantiate(s->linker, m, err);
    elvm_module_free(m); /* the instance keeps its own reference */
    if (inst)
        err->status = ELVM_OK;
    else if (err->status == ELVM_OK)
        err->status = ELVM_ARG;
    return inst;
}

/* ---- actions ----------------------------------------------------------------------------- */

/* An action that ran: its outcome, and "f(i32:1, i32:2)" to name it in reports. */
typedef struct st_call {
    elvm_error err; /* err.status is ELVM_OK when the action completed */
    elvm_val results[ST_MAX_VALUES];
    uint32_t nresults;
    char what[ST_TEXT_SIZE];
} st_call;

static st_verdict invoke(st_script *s, elvm_extern ext, const cJSON *action, st_call *call) {
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(action, "args");
    elvm_val argv[ST_MAX_VALUES];
    elvm_externtype type;
    int nargs = cJSON_GetArraySize(args);
    if (ext.kind != ELVM_EXTERN_FUNC)
        return fail(s, "%s: export is not a function", call->what);
    elvm_func_type(ext.of.func, &type);
    if (nargs > ST_MAX_VALUES || type.nresults > ST_MAX_VALUES)
        return fail(s, "%s: more than %d arguments or results", call->what, ST_MAX_VALUES);
    if ((uint32_t)nargs != type.nparams)
        return fail(s, "%s: function takes %" PRIu32 " arguments, script passes %d", call->what,
                    type.nparams, nargs);
    for (int i = 0; i < nargs; i++)
        if (st_parse_arg(cJSON_GetArrayItem(args, i), &argv[i], s->why, sizeof s->why))
            return ST_FAIL;
    call->nresults = type.nresults;
    call->err.status = elvm_func_call(s->store, ext.of.func, argv, (uint32_t)nargs,
                                      call->results, call->nresults, &call->err);
    return ST_PASS;
}

static st_verdict get_global(st_script *s, elvm_extern ext, st_call *call) {
    if (ext.kind != ELVM_EXTERN_GLOBAL)
        return fail(s, "%s: export is not a global", call->what);
    elvm_global_get(ext.of.global, &call->results[0]);
    call->nresults = 1;
    return ST_PASS;
}

/* "f(i32:1, f32:0.5 (0x3f000000))", or "get g"; with the module name when one is given. */
static void describe_action(const cJSON *action, char *buf, size_t cap) {
    const char *type = st_json_str(action, "type"), *module = st_json_str(action, "module");
    const char *field = st_json_str(action, "field");
    const cJSON *arg;
    int first = 1;
    buf[0] = '\0';
    if (type && strcmp(type, "get") == 0)
        st_appendf(buf, cap, "get ");
    if (module)
        st_appendf(buf, cap, "%s.", module);
    st_appendf(buf, cap, "\"");
    st_append_name(buf, cap, field ? field : "");
    st_appendf(buf, cap, "\"");
    if (type && strcmp(type, "get") == 0)
        return;
    st_appendf(buf, cap, "(");
    cJSON_ArrayForEach(arg, cJSON_GetObjectItemCaseSensitive(action, "args")) {
        elvm_val v;
        char ignored[8];
        st_appendf(buf, cap, "%s", first ? "" : ", ");
        if (st_parse_arg(arg, &v, ignored, sizeof ignored) == 0)
            st_append_val(buf, cap, &v);
        else
            st_appendf(buf, cap, "?");
        first = 0;
    }
    st_appendf(buf, cap, ")");
}

/* Runs the action of `cmd`. Returns ST_PASS when it could be run, whatever came of it
 * (that is in *call), or ST_FAIL/ST_SKIP when it could not. */
static st_verdict perform(st_script *s, const cJSON *cmd, st_call *call) {
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(cmd, "action");
    const char *type = st_json_str(action, "type"), *field = st_json_str(action, "field");
    const char *module = st_json_str(action, "module");
    elvm_instance *inst;
    elvm_extern ext;
    memset(&call->err, 0, sizeof call->err);
    call->nresults = 0;
    describe_action(action, call->what, sizeof call->what);
    if (!type || !field)
        return fail(s, "bad JSON: action without \"type\" or \"field\"");
    /* A name may hold NUL bytes, which load_script marked with ST_NUL_MARK (0xff never
     * occurs in UTF-8): turn them back into NULs and look the name up by length. */
    size_t field_len = strlen(field);
    char *name = malloc(field_len + 1);
    if (!name)
        return fail(s, "out of memory");
    for (size_t i = 0; i <= field_len; i++)
        name[i] = field[i] == ST_NUL_MARK ? '\0' : field[i];
    inst = find_instance(s, module);
    int found = inst && elvm_instance_export_n(inst, name, field_len, &ext);
    free(name);
    if (!inst && module)
        return fail(s, "%s: module %s is unknown or failed to instantiate", call->what, module);
    if (!inst)
        return fail(s, "%s: no current module (the last one failed)", call->what);
    if (!found)
        return fail(s, "%s: no such export", call->what);
    if (strcmp(type, "invoke") == 0)
        return invoke(s, ext, action, call);
    if (strcmp(type, "get") == 0)
        return get_global(s, ext, call);
    return fail(s, "bad JSON: unknown action type \"%s\"", type);
}

/* The results of `call`; with `want` (n expected values), each v128 in the lanes its
 * expected value was written in. */
static void append_results(char *buf, size_t cap, const st_call *call, const st_expect *want,
                           int n) {
    st_appendf(buf, cap, "(");
    for (uint32_t i = 0; i < call->nresults; i++) {
        st_appendf(buf, cap, "%s", i ? ", " : "");
        if ((int)i < n)
            st_append_val_like(buf, cap, &call->results[i], &want[i]);
        else
            st_append_val(buf, cap, &call->results[i]);
    }
    st_appendf(buf, cap, ")");
}

/* ---- the handlers, one per command type -------------------------------------------------- */

/* (module ...): the new current module; a failed one leaves none, so that the commands
 * meant for it fail instead of running against an older module. */
static st_verdict cmd_module(st_script *s, const cJSON *cmd) {
    const char *name = st_json_str(cmd, "name");
    char buf[ST_TEXT_SIZE];
    elvm_module *m;
    elvm_error err;
    s->current = NULL;
    if (name)
        bind_name(s, name, NULL);
    st_verdict v = load_module(s, cmd, &m, &err);
    if (v != ST_PASS)
        return v;
    if (!m)
        return fail(s, "module failed to load: %s", error_text(&err, buf, sizeof buf));
    elvm_instance *inst = instantiate(s, m, &err);
    if (!inst)
        return fail(s, "module failed to instantiate: %s", error_text(&err, buf, sizeof buf));
    s->current = inst;
    if (name)
        bind_name(s, name, inst);
    return ST_PASS;
}

/* (register "as" $M): the exports of $M (or the current module) become importable. */
static st_verdict cmd_register(st_script *s, const cJSON *cmd) {
    const char *as = st_json_str(cmd, "as"), *name = st_json_str(cmd, "name");
    elvm_instance *inst = find_instance(s, name);
    if (!as)
        return fail(s, "bad JSON: register without \"as\"");
    if (!inst)
        return fail(s, "no module %s to register as \"%s\"", name ? name : "(current)", as);
    elvm_status st = elvm_linker_define_instance(s->linker, as, inst);
    if (st != ELVM_OK)
        return fail(s, "elvm_linker_define_instance: %s", elvm_strerror(st));
    bind_name(s, as, inst);
    return ST_PASS;
}

/* A bare (invoke ...) or (get ...): it must not trap; its results are not checked. */
static st_verdict cmd_action(st_script *s, const cJSON *cmd) {
    st_call call;
    char buf[ST_TEXT_SIZE];
    st_verdict v = perform(s, cmd, &call);
    if (v != ST_PASS)
        return v;
    if (call.err.status != ELVM_OK)
        return fail(s, "%s: %s", call.what, error_text(&call.err, buf, sizeof buf));
    return ST_PASS;
}

static st_verdict cmd_assert_return(st_script *s, const cJSON *cmd) {
    const cJSON *expected = cJSON_GetObjectItemCaseSensitive(cmd, "expected");
    st_expect want[ST_MAX_VALUES];
    st_call call;
    char buf[ST_TEXT_SIZE];
    int n = cJSON_GetArraySize(expected), ok = 1;
    if (n > ST_MAX_VALUES)
        return fail(s, "bad JSON: more than %d expected values", ST_MAX_VALUES);
    for (int i = 0; i < n; i++)
        if (st_parse_expect(cJSON_GetArrayItem(expected, i), &want[i], s->why, sizeof s->why))
            return ST_FAIL;
    st_verdict v = perform(s, cmd, &call);
    if (v != ST_PASS)
        return v;
    if (call.err.status != ELVM_OK)
        return fail(s, "%s: %s", call.what, error_text(&call.err, buf, sizeof buf));
    for (int i = 0; ok && i < n; i++)
        ok = (uint32_t)i < call.nresults && st_expect_matches(&want[i], &call.results[i]);
    if (ok && call.nresults == (uint32_t)n)
        return ST_PASS;
    fail(s, "%s: expected (", call.what);
    for (int i = 0; i < n; i++) {
        st_appendf(s->why, sizeof s->why, "%s", i ? ", " : "");
        st_append_expect(s->why, sizeof s->why, &want[i]);
    }
    st_appendf(s->why, sizeof s->why, "), got ");
    append_results(s->why, sizeof s->why, &call, want, n);
    return ST_FAIL;
}

/* assert_trap on an action, and assert_exhaustion: the call must trap with that text. */
static st_verdict expect_action_trap(st_script *s, const cJSON *cmd) {
    const char *text = st_json_str(cmd, "text");
    st_call call;
    char buf[ST_TEXT_SIZE];
    if (!text)
        return fail(s, "bad JSON: no \"text\"");
    st_verdict v = perform(s, cmd, &call);
    if (v != ST_PASS)
        return v;
    if (call.err.status == ELVM_OK) {
        fail(s, "%s: expected trap \"%s\", got ", call.what, text);
        append_results(s->why, sizeof s->why, &call, NULL, 0);
        return ST_FAIL;
    }
    if (call.err.status != ELVM_TRAP || !trap_text_matches(text, &call.err))
        return fail(s, "%s: expected trap \"%s\", got %s", call.what, text,
                    error_text(&call.err, buf, sizeof buf));
    snprintf(s->note, sizeof s->note, "expected \"%s\", ours: %s", text, call.err.msg);
    return ST_PASS;
}

/* assert_malformed, assert_invalid, assert_unlinkable, assert_uninstantiable (and
 * assert_trap on a module): the module must fail at the right stage, `want`. Only the
 * category is checked, except that an instantiation trap must be the expected one. */
static st_verdict expect_module_error(st_script *s, const cJSON *cmd, elvm_status want) {
    const char *text = st_json_str(cmd, "text");
    char buf[ST_TEXT_SIZE];
    elvm_module *m;
    elvm_error err;
    st_verdict v = load_module(s, cmd, &m, &err);
    if (v != ST_PASS)
        return v;
    if (!text)
        text = "";
    if (m && (want == ELVM_MALFORMED || want == ELVM_INVALID)) {
        elvm_module_free(m);
        return fail(s, "module loaded, expected %s \"%s\"", elvm_strerror(want), text);
    }
    if (!m && want != ELVM_MALFORMED && want != ELVM_INVALID)
        return fail(s, "module failed to load: %s; expected %s \"%s\"",
                    error_text(&err, buf, sizeof buf), elvm_strerror(want), text);
    if (m && instantiate(s, m, &err))
        return fail(s, "module instantiated, expected %s \"%s\"", elvm_strerror(want), text);
    if (err.status != want)
        return fail(s, "expected %s \"%s\", got %s", elvm_strerror(want), text,
                    error_text(&err, buf, sizeof buf));
    if (want == ELVM_UNINSTANTIABLE && !trap_text_matches(text, &err))
        return fail(s, "expected trap \"%s\" while instantiating, got %s", text,
                    error_text(&err, buf, sizeof buf));
    snprintf(s->note, sizeof s->note, "expected \"%s\", ours: %s", text, err.msg);
    return ST_PASS;
}

static st_verdict cmd_assert_trap(st_script *s, const cJSON *cmd) {
    if (cJSON_GetObjectItemCaseSensitive(cmd, "action"))
        return expect_action_trap(s, cmd);
    return expect_module_error(s, cmd, ELVM_UNINSTANTIABLE); /* (assert_trap (module ...)) */
}

static st_verdict cmd_assert_exhaustion(st_script *s, const cJSON *cmd) {
    return expect_action_trap(s, cmd);
}

static st_verdict cmd_assert_malformed(st_script *s, const cJSON *cmd) {
    return expect_module_error(s, cmd, ELVM_MALFORMED);
}

static st_verdict cmd_assert_invalid(st_script *s, const cJSON *cmd) {
    return expect_module_error(s, cmd, ELVM_INVALID);
}

static st_verdict cmd_assert_unlinkable(st_script *s, const cJSON *cmd) {
    return expect_module_error(s, cmd, ELVM_UNLINKABLE);
}

static st_verdict cmd_assert_uninstantiable(st_script *s, const cJSON *cmd) {
    return expect_module_error(s, cmd, ELVM_UNINSTANTIABLE);
}

static const struct {
    const char *type;
    st_verdict (*run)(st_script *s, const cJSON *cmd);
} handlers[] = {
    {"module", cmd_module},
    {"register", cmd_register},
    {"action", cmd_action},
    {"assert_return", cmd_assert_return},
    {"assert_trap", cmd_assert_trap},
    {"assert_exhaustion", cmd_assert_exhaustion},
    {"assert_malformed", cmd_assert_malformed},
    {"assert_invalid", cmd_assert_invalid},
    {"assert_unlinkable", cmd_assert_unlinkable},
    {"assert_uninstantiable", cmd_assert_uninstantiable},
};

st_verdict st_command_run(st_script *s, const cJSON *cmd) {
    const char *type = st_json_str(cmd, "type");
    s->why[0] = s->note[0] = '\0';
    for (size_t i = 0; type && i < sizeof handlers / sizeof handlers[0]; i++)
        if (strcmp(type, handlers[i].type) == 0)
            return handlers[i].run(s, cmd);
    return fail(s, "bad JSON: unknown command type \"%s\"", type ? type : "");
}
