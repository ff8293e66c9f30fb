/* test_limits.c: the implementation limits of vm/limits.h (docs/LIMITS.md). Each limit is
 * tried one over (a clear ELVM_LIMIT error naming what was counted) and, where the module
 * stays small, exactly at the limit (accepted). The nesting test also runs on a thread with
 * a 256 KiB stack: decoding, validating and compiling deep nesting must not recurse in C. */
#include <pthread.h>

#include "limits.h"
#include "wasm_builder.h"

static elvm_engine *engine;

static int setup(void **state) {
    (void)state;
    engine = elvm_engine_new(NULL);
    return engine ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    elvm_engine_free(engine);
    return 0;
}

/* Loads b; returns the status and leaves the message in err. A module that loads is freed. */
static elvm_status load(const wb *b, elvm_error *err) {
    memset(err, 0, sizeof *err);
    elvm_module *m = elvm_module_new(engine, b->p, b->len, err);
    if (m) {
        elvm_module_free(m);
        return ELVM_OK;
    }
    assert_true(err->msg[0] != '\0');
    return err->status;
}

static void expect_limit(const wb *b, const char *what) {
    elvm_error err;
    elvm_status st = load(b, &err);
    if (st != ELVM_LIMIT || !strstr(err.msg, what))
        fail_msg("expected ELVM_LIMIT \"%s\", got %s: %s", what, elvm_strerror(st), err.msg);
}

static void expect_loads(const wb *b) {
    elvm_error err;
    elvm_status st = load(b, &err);
    if (st != ELVM_OK) fail_msg("expected the module to load: %s: %s", elvm_strerror(st), err.msg);
}

/* ---- counts of a section's entries ------------------------------------------------------- */

/* A module with one section `id` whose vector claims `count` entries, followed by
 * count * min_bytes zero bytes: enough that the count passes the "unexpected end" check,
 * so the limit itself must stop it before any entry is read or anything is allocated. */
static void section_with_count(wb *out, uint8_t id, uint32_t count, size_t min_bytes) {
    wb sec = {0};
    wb_u32(&sec, count);
    size_t n = (size_t)count * min_bytes;
    uint8_t *zeros = calloc(1, n ? n : 1);
    assert_non_null(zeros);
    wb_raw(&sec, zeros, n);
    free(zeros);
    wb_header(out);
    wb_section(out, id, &sec);
    wb_free(&sec);
}

static void test_section_counts(void **state) {
    (void)state;
    static const struct {
        uint8_t id;
        uint32_t limit;
        size_t min_bytes;
        const char *what;
    } cases[] = {
        {1, ELVM_MAX_TYPES, 3, "too many types"},
        {2, ELVM_MAX_IMPORTS, 4, "too many imports"},
        {3, ELVM_MAX_FUNCS, 1, "too many functions"},
        {4, ELVM_MAX_TABLES, 2, "too many tables"},
        {6, ELVM_MAX_GLOBALS, 3, "too many globals"},
        {7, ELVM_MAX_EXPORTS, 3, "too many exports"},
        {9, ELVM_MAX_SEGMENTS, 1, "too many element segments"},
        {11, ELVM_MAX_SEGMENTS, 1, "too many data segments"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wb b = {0};
        section_with_count(&b, cases[i].id, cases[i].limit + 1, cases[i].min_bytes);
        expect_limit(&b, cases[i].what);
        wb_free(&b);
    }
}

/* Exactly ELVM_MAX_TYPES types of [] -> [] load. */
static void test_types_at_limit(void **state) {
    (void)state;
    wb sec = {0}, b = {0};
    wb_u32(&sec, ELVM_MAX_TYPES);
    for (uint32_t i = 0; i < ELVM_MAX_TYPES; i++) WB_BYTES(&sec, 0x60, 0x00, 0x00);
    wb_header(&b);
    wb_section(&b, 1, &sec);
    expect_loads(&b);
    wb_free(&sec);
    wb_free(&b);
}

static void functype_with_params(wb *b, uint32_t np) {
    wb sec = {0};
    wb_u32(&sec, 1);
    wb_byte(&sec, 0x60);
    wb_u32(&sec, np);
    for (uint32_t i = 0; i < np; i++) wb_byte(&sec, W_I32);
    wb_byte(&sec, 0x00);
    wb_header(b);
    wb_section(b, 1, &sec);
    wb_free(&sec);
}

static void test_params(void **state) {
    (void)state;
    wb b = {0};
    functype_with_params(&b, ELVM_MAX_PARAMS + 1);
    expect_limit(&b, "too many parameters");
    wb_free(&b);
    functype_with_params(&b, ELVM_MAX_PARAMS);
    expect_loads(&b);
    wb_free(&b);
}

static void export_named(wb *b, size_t len) {
    wb_header(b);
    wb sec = {0}, body = {0};
    /* type 0 = [] -> [], function 0, exported as a name of `len` 'a's */
    WB_BYTES(&sec, 0x01, 0x60, 0x00, 0x00);
    wb_section(b, 1, &sec);
    sec.len = 0;
    WB_BYTES(&sec, 0x01, 0x00);
    wb_section(b, 3, &sec);
    sec.len = 0;
    wb_u32(&sec, 1);
    wb_u32(&sec, (uint32_t)len);
    for (size_t i = 0; i < len; i++) wb_byte(&sec, 'a');
    WB_BYTES(&sec, 0x00, 0x00);
    wb_section(b, 7, &sec);
    sec.len = 0;
    WB_BYTES(&body, 0x00, W_END);
    wb_u32(&sec, 1);
    wb_sized(&sec, &body);
    wb_section(b, 10, &sec);
    wb_free(&sec);
    wb_free(&body);
}

static void test_name_length(void **state) {
    (void)state;
    wb b = {0};
    export_named(&b, ELVM_MAX_NAME_BYTES + 1);
    expect_limit(&b, "name too long");
    wb_free(&b);
    export_named(&b, ELVM_MAX_NAME_BYTES);
    expect_loads(&b);
    wb_free(&b);
}

/* ---- function bodies ------------------------------------------------------------------------ */

/* A module of one function [] -> [] whose body (after the locals vector) is `code`. */
static void module_with_body(wb *b, const wb *code) {
    wb sec = {0}, body = {0};
    wb_header(b);
    WB_BYTES(&sec, 0x01, 0x60, 0x00, 0x00);
    wb_section(b, 1, &sec);
    sec.len = 0;
    WB_BYTES(&sec, 0x01, 0x00);
    wb_section(b, 3, &sec);
    sec.len = 0;
    wb_byte(&body, 0x00); /* no locals */
    wb_raw(&body, code->p, code->len);
    wb_u32(&sec, 1);
    wb_sized(&sec, &body);
    wb_section(b, 10, &sec);
    wb_free(&sec);
    wb_free(&body);
}

/* `depth` nested empty blocks inside the function's own block. */
static void nested_blocks(wb *b, uint32_t depth) {
    wb code = {0};
    for (uint32_t i = 0; i < depth; i++) WB_BYTES(&code, W_BLOCK, W_BLOCKTYPE_EMPTY);
    for (uint32_t i = 0; i < depth; i++) wb_byte(&code, W_END);
    wb_byte(&code, W_END);
    module_with_body(b, &code);
    wb_free(&code);
}

typedef struct {
    uint32_t depth;
    elvm_status status;
    char msg[sizeof(((elvm_error *)0)->msg)];
} nest_job;

static void *load_nested(void *arg) {
    nest_job *job = arg;
    wb b = {0};
    nested_blocks(&b, job->depth);
    elvm_error err;
    memset(&err, 0, sizeof err);
    elvm_module *m = elvm_module_new(engine, b.p, b.len, &err);
    job->status = m ? ELVM_OK : err.status;
    memcpy(job->msg, err.msg, sizeof job->msg);
    elvm_module_free(m);
    wb_free(&b);
    return NULL;
}

/* Runs load_nested on a thread whose stack is small: C recursion per nesting level would
 * need several MiB at this depth and crash there. */
static void nested_on_small_stack(nest_job *job) {
    pthread_attr_t attr;
    pthread_t t;
    assert_int_equal(pthread_attr_init(&attr), 0);
    assert_int_equal(pthread_attr_setstacksize(&attr, 256 * 1024), 0);
    assert_int_equal(pthread_create(&t, &attr, load_nested, job), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    pthread_attr_destroy(&attr);
}

static void test_nesting(void **state) {
    (void)state;
    /* the function's own block counts as one level */
    nest_job at = {.depth = ELVM_MAX_NESTING - 1};
    nested_on_small_stack(&at);
    if (at.status != ELVM_OK) fail_msg("depth at the limit: %s", at.msg);
    nest_job over = {.depth = ELVM_MAX_NESTING};
    nested_on_small_stack(&over);
    assert_int_equal(over.status, ELVM_LIMIT);
    assert_non_null(strstr(over.msg, "blocks nested too deep"));
}

static void br_table_of(wb *b, uint32_t ntargets) {
    wb code = {0};
    WB_BYTES(&code, W_BLOCK, W_BLOCKTYPE_EMPTY, W_I32_CONST, 0x00, 0x0E);
    wb_u32(&code, ntargets);
    for (uint32_t i = 0; i < ntargets; i++) wb_byte(&code, 0x00);
    WB_BYTES(&code, 0x00, W_END, W_END);
    module_with_body(b, &code);
    wb_free(&code);
}

static void test_br_table(void **state) {
    (void)state;
    wb b = {0};
    br_table_of(&b, ELVM_MAX_BR_TABLE + 1);
    expect_limit(&b, "br_table too large");
    wb_free(&b);
    br_table_of(&b, ELVM_MAX_BR_TABLE);
    expect_loads(&b);
    wb_free(&b);
}

/* An operand stack deeper than a frame may be: `n` i32.const then n drops. */
static void deep_stack(wb *b, uint32_t n) {
    wb code = {0};
    for (uint32_t i = 0; i < n; i++) WB_BYTES(&code, W_I32_CONST, 0x01);
    for (uint32_t i = 0; i < n; i++) wb_byte(&code, W_DROP);
    wb_byte(&code, W_END);
    module_with_body(b, &code);
    wb_free(&code);
}

static void test_frame_slots(void **state) {
    (void)state;
    wb b = {0};
    deep_stack(&b, ELVM_MAX_FRAME_SLOTS + 1);
    expect_limit(&b, "function frame too large");
    wb_free(&b);
    deep_stack(&b, 1000);
    expect_loads(&b);
    wb_free(&b);
}

static void test_module_size(void **state) {
    (void)state;
    /* the size is checked before a byte is read, so a short buffer is enough */
    static const uint8_t bytes[8] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
    elvm_error err;
    memset(&err, 0, sizeof err);
    assert_null(elvm_module_new(engine, bytes, (size_t)ELVM_MAX_MODULE_BYTES + 1, &err));
    assert_int_equal(err.status, ELVM_LIMIT);
    assert_non_null(strstr(err.msg, "module too large"));
}

/* A module with one funcref table of `min` elements and no maximum. */
static void table_module(wb *out, uint32_t min) {
    wb sec = {0};
    WB_BYTES(&sec, 0x01, 0x70, 0x00);
    wb_u32(&sec, min);
    wb_header(out);
    wb_section(out, 4, &sec);
    wb_free(&sec);
}

/* Instantiates b in a fresh store; returns the status, the message in err. */
static elvm_status instantiate(const wb *b, elvm_error *err) {
    memset(err, 0, sizeof *err);
    elvm_module *m = elvm_module_new(engine, b->p, b->len, err);
    assert_non_null(m);
    elvm_store *s = elvm_store_new(engine);
    assert_non_null(s);
    elvm_instance *inst = elvm_instance_new(s, m, NULL, 0, err);
    elvm_store_free(s);
    elvm_module_free(m);
    return inst ? ELVM_OK : err->status;
}

static void test_table_size(void **state) {
    (void)state;
    /* valid (a table may declare up to 2^32 - 1 elements), but over elvm's limit: a clear
     * ELVM_LIMIT at instantiation, not an attempt to allocate 80 MB and more */
    wb b = {0};
    elvm_error err;
    table_module(&b, ELVM_MAX_TABLE_ELEMS + 1);
    assert_int_equal(instantiate(&b, &err), ELVM_LIMIT);
    assert_non_null(strstr(err.msg, "table 0: its initial 10000001 elements are over elvm's limit"));
    wb_free(&b);
    table_module(&b, 0xFFFFFFFFu);
    assert_int_equal(instantiate(&b, &err), ELVM_LIMIT);
    wb_free(&b);
    table_module(&b, 1000);
    assert_int_equal(instantiate(&b, &err), ELVM_OK);
    wb_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_section_counts),
        cmocka_unit_test(test_types_at_limit),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_name_length),
        cmocka_unit_test(test_nesting),
        cmocka_unit_test(test_br_table),
        cmocka_unit_test(test_frame_slots),
        cmocka_unit_test(test_module_size),
        cmocka_unit_test(test_table_size),
    };
    return cmocka_run_group_tests_name("limits", tests, setup, teardown);
}
