/* test_decode.c: the binary decoder behind elvm_module_new (spec 5): header, section
 * framing and order, names, locals, and the module description handed to embedders. */
#include "wasm_builder.h"

#include "limits.h"

static elvm_engine *engine;

static int group_setup(void **state) {
    (void)state;
    engine = elvm_engine_new(NULL);
    return engine ? 0 : -1;
}

static int group_teardown(void **state) {
    (void)state;
    elvm_engine_free(engine);
    return 0;
}

/* Loads `len` bytes; expects a failure of `status` whose message starts with `prefix`.
 * The error is left in `err` for further checks. */
static void expect_error(const uint8_t *bytes, size_t len, elvm_status status, const char *prefix,
                         elvm_error *err) {
    memset(err, 0, sizeof *err);
    elvm_module *m = elvm_module_new(engine, bytes, len, err);
    if (m) {
        elvm_module_free(m);
        fail_msg("module loaded; expected %s \"%s\"", elvm_strerror(status), prefix);
    }
    if (err->status != status)
        fail_msg("got %s (%s); expected %s \"%s\"", elvm_strerror(err->status), err->msg,
                 elvm_strerror(status), prefix);
    assert_prefix(err->msg, prefix);
}

/* Loads `b` and fails the test if it does not decode. */
static elvm_module *expect_ok(const wb *b) {
    elvm_error err;
    memset(&err, 0, sizeof err);
    elvm_module *m = elvm_module_new(engine, b->p, b->len, &err);
    if (!m) fail_msg("%s: %s", elvm_strerror(err.status), err.msg);
    return m;
}

#define MODULE(name, ...)                                                               \
    const uint8_t name[] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, __VA_ARGS__}

/* type 0 = [] -> [], function 0 of type 0, whose body is `end` */
#define TYPE_SEC_VOID 0x01, 0x04, 0x01, 0x60, 0x00, 0x00
#define FUNC_SEC_ONE 0x03, 0x02, 0x01, 0x00
#define CODE_SEC_EMPTY_BODY 0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B

/* ---- header ------------------------------------------------------------------------------ */

static void test_empty_module_is_valid(void **state) {
    (void)state;
    wb b = {0};
    wb_header(&b);
    elvm_module *m = expect_ok(&b);
    assert_int_equal(elvm_module_num_imports(m), 0);
    assert_int_equal(elvm_module_num_exports(m), 0);
    elvm_module_free(m);
    wb_free(&b);
}

static void test_bad_magic(void **state) {
    (void)state;
    elvm_error err;
    static const uint8_t wrong_byte[] = {0x00, 0x61, 0x73, 0x6E, 0x01, 0x00, 0x00, 0x00};
    static const uint8_t upper_case[] = {0x00, 'A', 'S', 'M', 0x01, 0x00, 0x00, 0x00};
    static const uint8_t bom_first[] = {0xEF, 0xBB, 0xBF, 0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00};
    expect_error(wrong_byte, sizeof wrong_byte, ELVM_MALFORMED, "magic header not detected", &err);
    expect_error(upper_case, sizeof upper_case, ELVM_MALFORMED, "magic header not detected", &err);
    expect_error(bom_first, sizeof bom_first, ELVM_MALFORMED, "magic header not detected", &err);
}

static void test_bad_version(void **state) {
    (void)state;
    elvm_error err;
    static const uint8_t v2[] = {0x00, 'a', 's', 'm', 0x02, 0x00, 0x00, 0x00};
    static const uint8_t big_endian_1[] = {0x00, 'a', 's', 'm', 0x00, 0x00, 0x00, 0x01};
    static const uint8_t v13[] = {0x00, 'a', 's', 'm', 0x0D, 0x00, 0x01, 0x00}; /* a pre-1.0 draft */
    expect_error(v2, sizeof v2, ELVM_MALFORMED, "unknown binary version", &err);
    expect_error(big_endian_1, sizeof big_endian_1, ELVM_MALFORMED, "unknown binary version", &err);
    expect_error(v13, sizeof v13, ELVM_MALFORMED, "unknown binary version", &err);
}

static void test_truncated_header_is_malformed(void **state) {
    (void)state;
    static const uint8_t full[] = {0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00};
    /* every proper prefix of the header, the empty input included */
    for (size_t n = 0; n < sizeof full; n++) {
        elvm_error err;
        memset(&err, 0, sizeof err);
        elvm_module *m = elvm_module_new(engine, full, n, &err);
        if (m) fail_msg("a %zu-byte header decoded", n);
        assert_int_equal(err.status, ELVM_MALFORMED);
    }
}

static void test_null_error_pointer_is_allowed(void **state) {
    (void)state;
    static const uint8_t bad[] = {0x00, 'a', 's', 'm', 0x02, 0x00, 0x00, 0x00};
    assert_null(elvm_module_new(engine, bad, sizeof bad, NULL));
}

/* ---- section framing ------------------------------------------------------------------------ */

static void test_unknown_section_id(void **state) {
    (void)state;
    elvm_error err;
    MODULE(id13, 0x0D, 0x00);
    MODULE(id127, 0x7F, 0x00);
    expect_error(id13, sizeof id13, ELVM_MALFORMED, "malformed section id", &err);
    /* the id is the byte right after the 8-byte header */
    assert_contains(err.msg, "offset 0x8");
    expect_error(id127, sizeof id127, ELVM_MALFORMED, "malformed section id", &err);
}

static void test_section_out_of_order(void **state) {
    (void)state;
    elvm_error err;
    /* memory section (5) before type section (1) */
    MODULE(mem_then_type, 0x05, 0x03, 0x01, 0x00, 0x01, TYPE_SEC_VOID);
    expect_error(mem_then_type, sizeof mem_then_type, ELVM_MALFORMED,
                 "unexpected content after last section", &err);
    /* the same section twice (the spec testsuite's two start sections) */
    MODULE(two_starts, TYPE_SEC_VOID, FUNC_SEC_ONE, 0x08, 0x01, 0x00, 0x08, 0x01, 0x00,
           CODE_SEC_EMPTY_BODY);
    expect_error(two_starts, sizeof two_starts, ELVM_MALFORMED,
                 "unexpected content after last section", &err);
    /* data count (12) belongs before code (10), not after */
    MODULE(datacount_after_code, TYPE_SEC_VOID, FUNC_SEC_ONE, CODE_SEC_EMPTY_BODY,
           0x0C, 0x01, 0x00);
    expect_error(datacount_after_code, sizeof datacount_after_code, ELVM_MALFORMED,
                 "unexpected content after last section", &err);
}

static void test_datacount_before_code_and_custom_anywhere(void **state) {
    (void)state;
    /* custom sections may sit between any two sections; data count goes before code */
    MODULE(ok, 0x00, 0x03, 0x02, 'h', 'i',        /* custom "hi", empty */
           TYPE_SEC_VOID,
           0x00, 0x04, 0x01, 'x', 0xAA, 0xBB,     /* custom "x" with 2 bytes of payload */
           FUNC_SEC_ONE,
           0x0C, 0x01, 0x00,                      /* data count 0 */
           CODE_SEC_EMPTY_BODY,
           0x0B, 0x01, 0x00,                      /* data section: 0 segments */
           0x00, 0x02, 0x01, 'z');                /* trailing custom "z" */
    wb b = {(uint8_t *)ok, sizeof ok, 0};
    elvm_module *m = expect_ok(&b);
    elvm_module_free(m);
}

static void test_section_size_mismatch(void **state) {
    (void)state;
    elvm_error err;
    /* the type section says 5 bytes, its one type takes 4: a byte is left over */
    MODULE(longer, 0x01, 0x05, 0x01, 0x60, 0x00, 0x00, 0x00);
    expect_error(longer, sizeof longer, ELVM_MALFORMED, "section size mismatch", &err);
    assert_contains(err.msg, "type section");
    /* 1 type declared, 2 given (spec binary.wast) */
    MODULE(extra_type, 0x01, 0x07, 0x01, 0x60, 0x00, 0x00, 0x60, 0x00, 0x00);
    expect_error(extra_type, sizeof extra_type, ELVM_MALFORMED, "section size mismatch", &err);
    /* a function body whose final `end` comes before its declared size (two nops after) */
    MODULE(body_short, TYPE_SEC_VOID, FUNC_SEC_ONE, 0x0A, 0x06, 0x01, 0x04, 0x00, 0x0B, 0x01, 0x01);
    expect_error(body_short, sizeof body_short, ELVM_MALFORMED, "", &err);
    assert_contains(err.msg, "section size mismatch");
    assert_contains(err.msg, "function 0");
}

static void test_section_shorter_than_its_contents(void **state) {
    (void)state;
    elvm_error err;
    /* 2 types declared in a 4-byte section that holds one */
    MODULE(missing_type, 0x01, 0x04, 0x02, 0x60, 0x00, 0x00);
    expect_error(missing_type, sizeof missing_type, ELVM_MALFORMED, "unexpected end", &err);
    /* a function type cut inside its parameter list */
    MODULE(cut_params, 0x01, 0x04, 0x01, 0x60, 0x02, 0x7F);
    expect_error(cut_params, sizeof cut_params, ELVM_MALFORMED, "unexpected end", &err);
}

static void test_truncated_section(void **state) {
    (void)state;
    elvm_error err;
    /* the type section claims 10 bytes; the module ends after 4 */
    MODULE(cut, 0x01, 0x0A, 0x01, 0x60, 0x00, 0x00);
    expect_error(cut, sizeof cut, ELVM_MALFORMED, "section size out of bounds", &err);
    assert_contains(err.msg, "unexpected end");
    /* the section size itself is cut: 0x80 promises another byte */
    MODULE(cut_size, 0x01, 0x80);
    expect_error(cut_size, sizeof cut_size, ELVM_MALFORMED, "unexpected end", &err);
    /* a function body size running past the code section */
    MODULE(cut_body, TYPE_SEC_VOID, FUNC_SEC_ONE, 0x0A, 0x04, 0x01, 0x09, 0x00, 0x0B);
    expect_error(cut_body, sizeof cut_body, ELVM_MALFORMED, "unexpected end", &err);
}

static void test_leb128_section_sizes(void **state) {
    (void)state;
    elvm_error err;
    /* the section size 4 in a padded, 5-byte form is fine (spec binary-leb128.wast) */
    MODULE(padded, 0x01, 0x84, 0x80, 0x80, 0x80, 0x00, 0x01, 0x60, 0x00, 0x00);
    wb b = {(uint8_t *)padded, sizeof padded, 0};
    elvm_module_free(expect_ok(&b));
    /* a 6-byte form is too long */
    MODULE(overlong, 0x01, 0x84, 0x80, 0x80, 0x80, 0x80, 0x00, 0x01, 0x60, 0x00, 0x00);
    expect_error(overlong, sizeof overlong, ELVM_MALFORMED, "integer representation too long", &err);
    /* bits beyond 32 in the 5th byte */
    MODULE(too_large, 0x01, 0x84, 0x80, 0x80, 0x80, 0x10, 0x01, 0x60, 0x00, 0x00);
    expect_error(too_large, sizeof too_large, ELVM_MALFORMED, "integer too large", &err);
}

/* ---- functions and code ----------------------------------------------------------------------- */

static void test_function_and_code_counts_must_match(void **state) {
    (void)state;
    elvm_error err;
    /* 2 functions declared, 1 body */
    MODULE(two_one, TYPE_SEC_VOID, 0x03, 0x03, 0x02, 0x00, 0x00, CODE_SEC_EMPTY_BODY);
    expect_error(two_one, sizeof two_one, ELVM_MALFORMED,
                 "function and code section have inconsistent lengths", &err);
    /* a function without any code section */
    MODULE(no_code, TYPE_SEC_VOID, FUNC_SEC_ONE);
    expect_error(no_code, sizeof no_code, ELVM_MALFORMED,
                 "function and code section have inconsistent lengths", &err);
    /* a body without a function section */
    MODULE(no_funcs, TYPE_SEC_VOID, CODE_SEC_EMPTY_BODY);
    expect_error(no_funcs, sizeof no_funcs, ELVM_MALFORMED,
                 "function and code section have inconsistent lengths", &err);
}

static void test_too_many_locals(void **state) {
    (void)state;
    elvm_error err;
    /* 0xFFFFFFFF i32 plus 2 i64: more than 2^32 - 1 locals (spec binary.wast) */
    MODULE(over_u32, TYPE_SEC_VOID, FUNC_SEC_ONE,
           0x0A, 0x0C, 0x01, 0x0A, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7F, 0x02, 0x7E, 0x0B);
    expect_error(over_u32, sizeof over_u32, ELVM_MALFORMED, "too many locals", &err);
    assert_contains(err.msg, "function 0");
    /* within 2^32 but over elvm's limit (vm/limits.h): an implementation limit */
    _Static_assert(ELVM_MAX_LOCALS == 50000, "the bytes below encode 50001 and 50000");
    MODULE(over_limit, TYPE_SEC_VOID, FUNC_SEC_ONE,
           0x0A, 0x08, 0x01, 0x06, 0x01, 0xD1, 0x86, 0x03, 0x7F, 0x0B); /* 50001 = 0xC351 */
    expect_error(over_limit, sizeof over_limit, ELVM_LIMIT, "too many locals", &err);
    /* exactly at the limit is fine */
    MODULE(at_limit, TYPE_SEC_VOID, FUNC_SEC_ONE,
           0x0A, 0x08, 0x01, 0x06, 0x01, 0xD0, 0x86, 0x03, 0x7F, 0x0B); /* 50000 */
    wb b = {(uint8_t *)at_limit, sizeof at_limit, 0};
    elvm_module_free(expect_ok(&b));
}

static void test_locals_limit_counts_params(void **state) {
    (void)state;
    elvm_error err;
    /* type 0 = [i32] -> [], one function with 50000 declared locals: 50001 with the param */
    MODULE(m, 0x01, 0x05, 0x01, 0x60, 0x01, 0x7F, 0x00, FUNC_SEC_ONE,
           0x0A, 0x08, 0x01, 0x06, 0x01, 0xD0, 0x86, 0x03, 0x7F, 0x0B);
    expect_error(m, sizeof m, ELVM_LIMIT, "too many locals", &err);
}

static void test_error_names_section_and_offset(void **state) {
    (void)state;
    elvm_error err;
    /* 8 id, 9 size, 10 count, 11 0x60, 12 one param, 13 the bad value type 0x00 */
    MODULE(bad_valtype, 0x01, 0x05, 0x01, 0x60, 0x01, 0x00, 0x00);
    expect_error(bad_valtype, sizeof bad_valtype, ELVM_MALFORMED, "malformed value type", &err);
    assert_contains(err.msg, "type section");
    assert_contains(err.msg, "offset 0xd");
    /* an illegal opcode in function 0: type section at 8..13, function section at 14..17,
     * code section: 18 id, 19 size, 20 count, 21 body size, 22 no locals, 23 opcode 0xFF */
    MODULE(bad_opcode, TYPE_SEC_VOID, FUNC_SEC_ONE, 0x0A, 0x05, 0x01, 0x03, 0x00, 0xFF, 0x0B);
    expect_error(bad_opcode, sizeof bad_opcode, ELVM_MALFORMED, "illegal opcode", &err);
    assert_contains(err.msg, "function 0");
    assert_contains(err.msg, "offset 0x17");
}

/* ---- names ---------------------------------------------------------------------------------- */

/* A module exporting function 0 under a name of the given bytes. */
static void module_exporting(wb *b, const uint8_t *name, size_t n) {
    wb sec = {0};
    memset(b, 0, sizeof *b);
    wb_header(b);
    WB_SECTION(b, 1, 0x01, 0x60, 0x00, 0x00);
    WB_SECTION(b, 3, 0x01, 0x00);
    wb_u32(&sec, 1);
    wb_u32(&sec, (uint32_t)n);
    wb_raw(&sec, name, n);
    WB_BYTES(&sec, 0x00, 0x00); /* func 0 */
    wb_section(b, 7, &sec);
    WB_SECTION(b, 10, 0x01, 0x02, 0x00, 0x0B);
}

static void test_invalid_utf8_names_rejected(void **state) {
    (void)state;
    static const struct { const char *what; uint8_t bytes[4]; size_t n; } bad[] = {
        {"lone continuation byte", {0x80}, 1},
        {"byte 0xFF", {0xFF}, 1},
        {"overlong NUL", {0xC0, 0x80}, 2},
        {"overlong 3-byte '/'", {0xE0, 0x80, 0xAF}, 3},
        {"UTF-16 surrogate U+D800", {0xED, 0xA0, 0x80}, 3},
        {"beyond U+10FFFF", {0xF4, 0x90, 0x80, 0x80}, 4},
        {"truncated 3-byte sequence", {0xE2, 0x82}, 2},
        {"missing continuation", {0xC3, 0x41}, 2},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        wb b;
        elvm_error err;
        module_exporting(&b, bad[i].bytes, bad[i].n);
        memset(&err, 0, sizeof err);
        elvm_module *m = elvm_module_new(engine, b.p, b.len, &err);
        wb_free(&b);
        if (m) fail_msg("%s: accepted", bad[i].what);
        if (err.status != ELVM_MALFORMED || !wb_starts_with(err.msg, "malformed UTF-8 encoding"))
            fail_msg("%s: got %s: %s", bad[i].what, elvm_strerror(err.status), err.msg);
        assert_contains(err.msg, "export section");
    }
}

/* Regression: a malformed import section once leaked the imports' type arrays. */
static void test_invalid_utf8_import_module_name_rejected(void **state) {
    (void)state;
    elvm_error err;
    /* import "\xFE" "f" (func (type 0)) */
    MODULE(m, TYPE_SEC_VOID, 0x02, 0x07, 0x01, 0x01, 0xFE, 0x01, 'f', 0x00, 0x00);
    expect_error(m, sizeof m, ELVM_MALFORMED, "malformed UTF-8 encoding", &err);
    assert_contains(err.msg, "import section");
}

static void test_names_are_bytes_with_lengths(void **state) {
    (void)state;
    /* "é", NUL, the 4-byte U+1F600: valid UTF-8 with an embedded NUL */
    static const uint8_t name[] = {0xC3, 0xA9, 0x00, 0xF0, 0x9F, 0x98, 0x80};
    wb b;
    module_exporting(&b, name, sizeof name);
    elvm_module *m = expect_ok(&b);
    wb_free(&b);
    assert_int_equal(elvm_module_num_exports(m), 1);
    elvm_export_desc d;
    elvm_module_export(m, 0, &d);
    assert_int_equal(d.name_len, sizeof name);
    assert_memory_equal(d.name, name, sizeof name);
    assert_int_equal(d.name[d.name_len], 0); /* NUL-terminated as documented */

    /* the instance finds it by its full length, not by the C string before the NUL */
    elvm_store *s = elvm_store_new(engine);
    elvm_error err;
    elvm_instance *inst = elvm_instance_new(s, m, NULL, 0, &err);
    assert_non_null(inst);
    elvm_extern ext;
    assert_true(elvm_instance_export_n(inst, (const char *)name, sizeof name, &ext));
    assert_int_equal(ext.kind, ELVM_EXTERN_FUNC);
    assert_false(elvm_instance_export_n(inst, (const char *)name, 2, &ext));
    elvm_store_free(s);
    elvm_module_free(m);
}

/* ---- the module's description --------------------------------------------------------------- */

static void test_imports_and_exports_described(void **state) {
    (void)state;
    wb b = {0}, sec = {0};
    wb_header(&b);
    /* types: 0 = [i32 i64] -> [f32], 1 = [] -> [i32] */
    WB_SECTION(&b, 1, 0x02, 0x60, 0x02, W_I32, W_I64, 0x01, W_F32, 0x60, 0x00, 0x01, W_I32);
    wb_u32(&sec, 4);
    wb_name(&sec, "env"); wb_name(&sec, "f");      WB_BYTES(&sec, 0x00, 0x00);
    wb_name(&sec, "env"); wb_name(&sec, "tab");    WB_BYTES(&sec, 0x01, W_FUNCREF, 0x01, 0x01, 0x0A);
    wb_name(&sec, "host"); wb_name(&sec, "memory"); WB_BYTES(&sec, 0x02, 0x00, 0x02);
    wb_name(&sec, "env"); wb_name(&sec, "g");      WB_BYTES(&sec, 0x03, W_I64, 0x01);
    wb_section(&b, 2, &sec);
    WB_SECTION(&b, 3, 0x01, 0x01);                                   /* func 1: type 1 */
    WB_SECTION(&b, 6, 0x01, W_F64, 0x00, W_F64_CONST, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, W_END);
    wb_u32(&sec, 5);
    wb_name(&sec, "run");    WB_BYTES(&sec, 0x00, 0x01);  /* the defined function */
    wb_name(&sec, "f_again"); WB_BYTES(&sec, 0x00, 0x00); /* the imported one, re-exported */
    wb_name(&sec, "mem");    WB_BYTES(&sec, 0x02, 0x00);
    wb_name(&sec, "tab");    WB_BYTES(&sec, 0x01, 0x00);
    wb_name(&sec, "pi-ish"); WB_BYTES(&sec, 0x03, 0x01);  /* global 1: the defined f64 */
    wb_section(&b, 7, &sec);
    WB_SECTION(&b, 10, 0x01, 0x04, 0x00, W_I32_CONST, 0x07, W_END);

    elvm_module *m = expect_ok(&b);
    wb_free(&b);

    assert_int_equal(elvm_module_num_imports(m), 4);
    elvm_import_desc im;
    elvm_module_import(m, 0, &im);
    assert_string_equal(im.module, "env");
    assert_int_equal(im.module_len, 3);
    assert_string_equal(im.name, "f");
    assert_int_equal(im.name_len, 1);
    assert_int_equal(im.type.kind, ELVM_EXTERN_FUNC);
    assert_int_equal(im.type.nparams, 2);
    assert_int_equal(im.type.params[0], ELVM_I32);
    assert_int_equal(im.type.params[1], ELVM_I64);
    assert_int_equal(im.type.nresults, 1);
    assert_int_equal(im.type.results[0], ELVM_F32);

    elvm_module_import(m, 1, &im);
    assert_string_equal(im.name, "tab");
    assert_int_equal(im.name_len, 3);
    assert_int_equal(im.type.kind, ELVM_EXTERN_TABLE);
    assert_int_equal(im.type.valtype, ELVM_FUNCREF);
    assert_int_equal(im.type.limits.min, 1);
    assert_true(im.type.limits.has_max);
    assert_int_equal(im.type.limits.max, 10);

    elvm_module_import(m, 2, &im);
    assert_string_equal(im.module, "host");
    assert_int_equal(im.module_len, 4);
    assert_string_equal(im.name, "memory");
    assert_int_equal(im.name_len, 6);
    assert_int_equal(im.type.kind, ELVM_EXTERN_MEMORY);
    assert_int_equal(im.type.limits.min, 2);
    assert_false(im.type.limits.has_max);

    elvm_module_import(m, 3, &im);
    assert_string_equal(im.name, "g");
    assert_int_equal(im.type.kind, ELVM_EXTERN_GLOBAL);
    assert_int_equal(im.type.valtype, ELVM_I64);
    assert_true(im.type.mutable_);

    assert_int_equal(elvm_module_num_exports(m), 5);
    elvm_export_desc ex;
    elvm_module_export(m, 0, &ex);
    assert_string_equal(ex.name, "run");
    assert_int_equal(ex.name_len, 3);
    assert_int_equal(ex.type.kind, ELVM_EXTERN_FUNC);
    assert_int_equal(ex.type.nparams, 0);
    assert_int_equal(ex.type.nresults, 1);
    assert_int_equal(ex.type.results[0], ELVM_I32);

    elvm_module_export(m, 1, &ex);
    assert_string_equal(ex.name, "f_again");
    assert_int_equal(ex.type.kind, ELVM_EXTERN_FUNC);
    assert_int_equal(ex.type.nparams, 2);
    assert_int_equal(ex.type.params[1], ELVM_I64);
    assert_int_equal(ex.type.results[0], ELVM_F32);

    elvm_module_export(m, 2, &ex);
    assert_string_equal(ex.name, "mem");
    assert_int_equal(ex.type.kind, ELVM_EXTERN_MEMORY);
    assert_int_equal(ex.type.limits.min, 2);

    elvm_module_export(m, 3, &ex);
    assert_string_equal(ex.name, "tab");
    assert_int_equal(ex.type.kind, ELVM_EXTERN_TABLE);
    assert_int_equal(ex.type.valtype, ELVM_FUNCREF);
    assert_int_equal(ex.type.limits.max, 10);

    elvm_module_export(m, 4, &ex);
    assert_string_equal(ex.name, "pi-ish");
    assert_int_equal(ex.type.kind, ELVM_EXTERN_GLOBAL);
    assert_int_equal(ex.type.valtype, ELVM_F64);
    assert_false(ex.type.mutable_);

    elvm_module_free(m);
}

/* A module whose export "f" returns 42. */
static void build_f42(wb *b) {
    wb_fn f = {"", "i", WB_CODE(0x00, W_I32_CONST, 42, W_END), "f", NULL};
    wb_mod mod = {.funcs = &f, .nfuncs = 1};
    wb_build(&mod, b);
}

/* Instantiates `m` in a new store and checks that its "f" returns 42; returns the store. */
static elvm_store *instantiate_f42(elvm_module *m, elvm_instance **inst_out) {
    elvm_error err;
    memset(&err, 0, sizeof err);
    elvm_store *s = elvm_store_new(engine);
    assert_non_null(s);
    elvm_instance *inst = elvm_instance_new(s, m, NULL, 0, &err);
    assert_non_null(inst);
    *inst_out = inst;
    return s;
}

static void call_f42(elvm_store *s, elvm_instance *inst) {
    elvm_error err;
    elvm_extern ext;
    assert_true(elvm_instance_export(inst, "f", &ext));
    elvm_val r;
    assert_int_equal(elvm_func_call(s, ext.of.func, NULL, 0, &r, 1, &err), ELVM_OK);
    assert_int_equal(r.of.i32, 42);
}

static void test_module_keeps_its_own_copy(void **state) {
    (void)state;
    /* elvm_module_new copies the bytes: the caller may reuse its buffer at once */
    wb b;
    build_f42(&b);
    elvm_error err;
    elvm_module *m = elvm_module_new(engine, b.p, b.len, &err);
    assert_non_null(m);
    memset(b.p, 0xFF, b.len);
    wb_free(&b);
    elvm_instance *inst;
    elvm_store *s = instantiate_f42(m, &inst);
    call_f42(s, inst);
    elvm_store_free(s);
    elvm_module_free(m);
}

/* elvm_module_new_take: the module keeps the caller's buffer and releases it once */
typedef struct {
    int calls;
    uint8_t *bytes;
    size_t len;
} release_log;

static void log_release(uint8_t *bytes, size_t len, void *ud) {
    release_log *l = ud;
    l->calls++;
    l->bytes = bytes;
    l->len = len;
    free(bytes);
}

static void test_module_take_releases_after_last_reference(void **state) {
    (void)state;
    wb b;
    build_f42(&b);
    uint8_t *buf = b.p;
    size_t len = b.len;
    release_log log = {0};
    elvm_error err;
    memset(&err, 0, sizeof err);
    elvm_module *m = elvm_module_new_take(engine, buf, len, log_release, &log, &err);
    assert_non_null(m);
    elvm_instance *inst;
    elvm_store *s = instantiate_f42(m, &inst);
    /* the caller's reference goes first: the instance still holds the module */
    elvm_module_free(m);
    assert_int_equal(log.calls, 0);
    call_f42(s, inst);
    elvm_store_free(s);
    assert_int_equal(log.calls, 1);
    assert_ptr_equal(log.bytes, buf);
    assert_int_equal(log.len, len);
}

static void test_module_take_releases_on_failure(void **state) {
    (void)state;
    static const uint8_t bad[] = {0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00};
    uint8_t *buf = malloc(sizeof bad);
    assert_non_null(buf);
    memcpy(buf, bad, sizeof bad);
    release_log log = {0};
    elvm_error err;
    memset(&err, 0, sizeof err);
    assert_null(elvm_module_new_take(engine, buf, sizeof bad, log_release, &log, &err));
    assert_int_equal(err.status, ELVM_MALFORMED);
    assert_int_equal(log.calls, 1);
    assert_ptr_equal(log.bytes, buf);
    /* too large: refused before anything is read, still released */
    uint8_t *one = malloc(1);
    assert_non_null(one);
    memset(&log, 0, sizeof log);
    assert_null(elvm_module_new_take(engine, one, (size_t)ELVM_MAX_MODULE_BYTES + 1, log_release,
                                     &log, &err));
    assert_int_equal(err.status, ELVM_LIMIT);
    assert_int_equal(log.calls, 1);
    /* a NULL release leaves the buffer to the caller */
    uint8_t copy[sizeof bad];
    memcpy(copy, bad, sizeof bad);
    assert_null(elvm_module_new_take(engine, copy, sizeof copy, NULL, NULL, &err));
    assert_int_equal(err.status, ELVM_MALFORMED);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_module_is_valid),
        cmocka_unit_test(test_bad_magic),
        cmocka_unit_test(test_bad_version),
        cmocka_unit_test(test_truncated_header_is_malformed),
        cmocka_unit_test(test_null_error_pointer_is_allowed),
        cmocka_unit_test(test_unknown_section_id),
        cmocka_unit_test(test_section_out_of_order),
        cmocka_unit_test(test_datacount_before_code_and_custom_anywhere),
        cmocka_unit_test(test_section_size_mismatch),
        cmocka_unit_test(test_section_shorter_than_its_contents),
        cmocka_unit_test(test_truncated_section),
        cmocka_unit_test(test_leb128_section_sizes),
        cmocka_unit_test(test_function_and_code_counts_must_match),
        cmocka_unit_test(test_too_many_locals),
        cmocka_unit_test(test_locals_limit_counts_params),
        cmocka_unit_test(test_error_names_section_and_offset),
        cmocka_unit_test(test_invalid_utf8_names_rejected),
        cmocka_unit_test(test_invalid_utf8_import_module_name_rejected),
        cmocka_unit_test(test_names_are_bytes_with_lengths),
        cmocka_unit_test(test_imports_and_exports_described),
        cmocka_unit_test(test_module_keeps_its_own_copy),
        cmocka_unit_test(test_module_take_releases_after_last_reference),
        cmocka_unit_test(test_module_take_releases_on_failure),
    };
    return cmocka_run_group_tests_name("decoder (spec 5)", tests, group_setup, group_teardown);
}
