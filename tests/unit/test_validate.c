/* test_validate.c: validation (spec 3) through elvm_module_new: each rule broken once,
 * ELVM_INVALID with the spec testsuite's wording, and the valid look-alikes next to them
 * (stack-polymorphic code, br_if, select). */
#include "wasm_builder.h"

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

/* Builds `m`, loads it; `prefix` NULL means it must be valid, otherwise it must be
 * ELVM_INVALID with a message starting with `prefix`. */
static void check_module(const wb_mod *m, const char *prefix, int line, elvm_error *err) {
    wb b;
    wb_build(m, &b);
    memset(err, 0, sizeof *err);
    elvm_module *mod = elvm_module_new(engine, b.p, b.len, err);
    wb_free(&b);
    if (!prefix) {
        if (!mod) fail_msg("line %d: expected valid, got %s: %s", line, elvm_strerror(err->status), err->msg);
        elvm_module_free(mod);
        return;
    }
    if (mod) {
        elvm_module_free(mod);
        fail_msg("line %d: module validated; expected invalid \"%s\"", line, prefix);
    }
    if (err->status != ELVM_INVALID || !wb_starts_with(err->msg, prefix))
        fail_msg("line %d: got %s: \"%s\"; expected invalid \"%s\"", line,
                 elvm_strerror(err->status), err->msg, prefix);
}

/* One function of type params -> results with the given code (locals, body, end). */
static void check_func(const char *params, const char *results, const uint8_t *code,
                       size_t len, const char *prefix, int line) {
    elvm_error err;
    wb_fn f = {params, results, code, len, NULL, NULL};
    wb_mod m = {.funcs = &f, .nfuncs = 1};
    check_module(&m, prefix, line, &err);
}

/* The same with memory 0 of one page. */
static void check_func_mem(const char *params, const char *results, const uint8_t *code,
                           size_t len, const char *prefix, int line) {
    elvm_error err;
    wb_fn f = {params, results, code, len, NULL, NULL};
    wb_mod m = {.funcs = &f, .nfuncs = 1, .nmemories = 1, .mem_min = 1};
    check_module(&m, prefix, line, &err);
}

#define VALID(params, results, ...) check_func(params, results, WB_CODE(__VA_ARGS__), NULL, __LINE__)
#define INVALID(params, results, prefix, ...)                                           \
    check_func(params, results, WB_CODE(__VA_ARGS__), prefix, __LINE__)
#define VALID_MEM(params, results, ...)                                                 \
    check_func_mem(params, results, WB_CODE(__VA_ARGS__), NULL, __LINE__)
#define INVALID_MEM(params, results, prefix, ...)                                       \
    check_func_mem(params, results, WB_CODE(__VA_ARGS__), prefix, __LINE__)

enum { I32_LOAD8_U = 0x2D, I64_EQZ = 0x50, I32_EQZ = 0x45, REF_NULL = 0xD0,
       CALL_INDIRECT = 0x11, TABLE_GET = 0x25 };

/* ---- type mismatch ------------------------------------------------------------------------ */

static void test_type_mismatch(void **state) {
    (void)state;
    /* wrong result type */
    INVALID("", "i", "type mismatch", 0x00, W_I64_CONST, 0x00, W_END);
    /* a value left over at the end */
    INVALID("", "", "type mismatch", 0x00, W_I32_CONST, 0x00, W_END);
    /* a missing result */
    INVALID("", "i", "type mismatch", 0x00, W_END);
    /* i32.add of an i32 and an i64 */
    INVALID("", "i", "type mismatch", 0x00, W_I32_CONST, 1, W_I64_CONST, 2, W_I32_ADD, W_END);
    /* a local of the wrong type */
    INVALID("f", "i", "type mismatch", 0x00, W_LOCAL_GET, 0, W_END);
    /* local.set of an i64 into an i32 local */
    INVALID("", "", "type mismatch", 0x01, 0x01, W_I32, W_I64_CONST, 0, W_LOCAL_SET, 0, W_END);
    /* an if with a result but no else cannot produce it on the false path */
    INVALID("", "i", "type mismatch", 0x00, W_I32_CONST, 1, W_IF, W_I32, W_I32_CONST, 2, W_END, W_END);
    /* the look-alike that is fine */
    VALID("", "i", 0x00, W_I32_CONST, 1, W_IF, W_I32, W_I32_CONST, 2, W_ELSE, W_I32_CONST, 3,
          W_END, W_END);
}

static void test_call_arguments_are_typed(void **state) {
    (void)state;
    elvm_error err;
    /* func 0 takes an i32; func 1 calls it with an i64 */
    wb_fn bad[2] = {
        {"i", "", WB_CODE(0x00, W_END), NULL, NULL},
        {"", "", WB_CODE(0x00, W_I64_CONST, 0, W_CALL, 0, W_END), NULL, NULL},
    };
    wb_mod m = {.funcs = bad, .nfuncs = 2};
    check_module(&m, "type mismatch", __LINE__, &err);
    /* the message says where: function 1 */
    assert_contains(err.msg, "function 1");
    wb_fn good[2] = {
        {"i", "", WB_CODE(0x00, W_END), NULL, NULL},
        {"", "", WB_CODE(0x00, W_I32_CONST, 0, W_CALL, 0, W_END), NULL, NULL},
    };
    m.funcs = good;
    check_module(&m, NULL, __LINE__, &err);
}

/* ---- unknown indices ------------------------------------------------------------------------ */

static void test_unknown_local(void **state) {
    (void)state;
    INVALID("", "", "unknown local", 0x00, W_LOCAL_GET, 0, W_DROP, W_END);
    /* one param and one local: indices 0 and 1 exist, 2 does not */
    VALID("i", "", 0x01, 0x01, W_I64, W_LOCAL_GET, 1, W_DROP, W_END);
    INVALID("i", "", "unknown local", 0x01, 0x01, W_I64, W_LOCAL_GET, 2, W_DROP, W_END);
    INVALID("i", "", "unknown local", 0x00, W_I32_CONST, 0, W_LOCAL_SET, 1, W_END);
    INVALID("i", "", "unknown local", 0x00, W_I32_CONST, 0, W_LOCAL_TEE, 1, W_DROP, W_END);
}

static void test_unknown_global(void **state) {
    (void)state;
    elvm_error err;
    INVALID("", "", "unknown global", 0x00, W_GLOBAL_GET, 0, W_DROP, W_END);
    wb_global g = {'i', 1, 0, NULL};
    wb_fn f = {"", "", WB_CODE(0x00, W_I32_CONST, 0, W_GLOBAL_SET, 1, W_END), NULL, NULL};
    wb_mod m = {.funcs = &f, .nfuncs = 1, .globals = &g, .nglobals = 1};
    check_module(&m, "unknown global", __LINE__, &err);
    wb_fn ok = {"", "", WB_CODE(0x00, W_I32_CONST, 0, W_GLOBAL_SET, 0, W_END), NULL, NULL};
    m.funcs = &ok;
    check_module(&m, NULL, __LINE__, &err);
}

static void test_unknown_function(void **state) {
    (void)state;
    INVALID("", "", "unknown function", 0x00, W_CALL, 5, W_END);
    /* the function itself is index 0 */
    VALID("", "", 0x00, W_CALL, 0, W_END);
    INVALID("", "", "unknown function", 0x00, W_CALL, 1, W_END);
}

static void test_unknown_type(void **state) {
    (void)state;
    /* a block type naming type 5 (s33 5) in a module with one type */
    INVALID("", "", "unknown type", 0x00, W_BLOCK, 0x05, W_END, W_END);
    /* type 0 as a block type is fine: it is [] -> [] */
    VALID("", "", 0x00, W_BLOCK, 0x00, W_END, W_END);

    /* a function declared with a type that does not exist */
    static const uint8_t m[] = {0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00,
                                0x01, 0x04, 0x01, 0x60, 0x00, 0x00, /* 1 type */
                                0x03, 0x02, 0x01, 0x09,             /* func: type 9 */
                                0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B};
    elvm_error err;
    assert_null(elvm_module_new(engine, m, sizeof m, &err));
    assert_int_equal(err.status, ELVM_INVALID);
    assert_prefix(err.msg, "unknown type");
}

static void test_unknown_label(void **state) {
    (void)state;
    /* the function body is label 0; there is no label 1 */
    VALID("", "", 0x00, W_BR, 0, W_END);
    INVALID("", "", "unknown label", 0x00, W_BR, 1, W_END);
    INVALID("", "", "unknown label", 0x00, W_BLOCK, W_BLOCKTYPE_EMPTY, W_I32_CONST, 0, W_BR_IF, 2,
            W_END, W_END);
    VALID("", "", 0x00, W_BLOCK, W_BLOCKTYPE_EMPTY, W_I32_CONST, 0, W_BR_IF, 1, W_END, W_END);
    /* br_table: the default target too */
    INVALID("", "", "unknown label", 0x00, W_I32_CONST, 0, 0x0E, 0x01, 0x00, 0x03, W_END);
}

static void test_unknown_table(void **state) {
    (void)state;
    /* call_indirect (type 0) with no table */
    INVALID("", "", "unknown table", 0x00, W_I32_CONST, 0, CALL_INDIRECT, 0x00, 0x00, W_END);
    INVALID("", "", "unknown table", 0x00, W_I32_CONST, 0, TABLE_GET, 0x00, W_DROP, W_END);
}

static void test_unknown_memory(void **state) {
    (void)state;
    INVALID("", "", "unknown memory", 0x00, W_I32_CONST, 0, W_I32_LOAD, 0x02, 0x00, W_DROP, W_END);
    INVALID("", "", "unknown memory", 0x00, W_I32_CONST, 0, W_I32_CONST, 0, W_I32_STORE, 0x02, 0x00,
            W_END);
    INVALID("", "", "unknown memory", 0x00, W_MEMORY_SIZE, 0x00, W_DROP, W_END);
    INVALID("", "", "unknown memory", 0x00, W_I32_CONST, 1, W_MEMORY_GROW, 0x00, W_DROP, W_END);
    VALID_MEM("", "", 0x00, W_MEMORY_SIZE, 0x00, W_DROP, W_END);
}

/* ---- globals, alignment ---------------------------------------------------------------------- */

static void test_immutable_global_set(void **state) {
    (void)state;
    elvm_error err;
    wb_global g = {'i', 0, 7, NULL};
    wb_fn f = {"", "", WB_CODE(0x00, W_I32_CONST, 1, W_GLOBAL_SET, 0, W_END), NULL, NULL};
    wb_mod m = {.funcs = &f, .nfuncs = 1, .globals = &g, .nglobals = 1};
    check_module(&m, "global is immutable", __LINE__, &err);
    g.mut = 1;
    check_module(&m, NULL, __LINE__, &err);
}

static void test_alignment_not_larger_than_natural(void **state) {
    (void)state;
    /* memarg align is log2 bytes: i32.load allows 0..2, i32.load8_u only 0, i64.load 0..3 */
    VALID_MEM("", "", 0x00, W_I32_CONST, 0, W_I32_LOAD, 0x02, 0x00, W_DROP, W_END);
    INVALID_MEM("", "", "alignment must not be larger than natural",
                0x00, W_I32_CONST, 0, W_I32_LOAD, 0x03, 0x00, W_DROP, W_END);
    VALID_MEM("", "", 0x00, W_I32_CONST, 0, I32_LOAD8_U, 0x00, 0x00, W_DROP, W_END);
    INVALID_MEM("", "", "alignment must not be larger than natural",
                0x00, W_I32_CONST, 0, I32_LOAD8_U, 0x01, 0x00, W_DROP, W_END);
    VALID_MEM("", "", 0x00, W_I32_CONST, 0, W_I64_LOAD, 0x03, 0x00, W_DROP, W_END);
    INVALID_MEM("", "", "alignment must not be larger than natural",
                0x00, W_I32_CONST, 0, W_I64_LOAD, 0x04, 0x00, W_DROP, W_END);
    INVALID_MEM("", "", "alignment must not be larger than natural",
                0x00, W_I32_CONST, 0, W_I32_CONST, 0, W_I32_STORE, 0x03, 0x00, W_END);
    /* a huge exponent must not wrap around to something small */
    INVALID_MEM("", "", "alignment must not be larger than natural",
                0x00, W_I32_CONST, 0, W_I32_LOAD, 0x20, 0x00, W_DROP, W_END);
}

/* ---- stack-polymorphic code ---------------------------------------------------------------- */

static void test_unreachable_makes_stack_polymorphic(void **state) {
    (void)state;
    /* after unreachable, missing operands are of any type */
    VALID("", "i", 0x00, W_UNREACHABLE, W_I32_ADD, W_END);
    VALID("", "i", 0x00, W_UNREACHABLE, W_END);
    VALID("", "", 0x00, W_UNREACHABLE, W_DROP, W_DROP, W_END);
    VALID("", "i", 0x00, W_UNREACHABLE, W_SELECT, W_END);
    /* after br and return as well */
    VALID("", "i", 0x00, W_I32_CONST, 1, W_BR, 0, W_I32_ADD, W_END);
    VALID("", "i", 0x00, W_I32_CONST, 1, W_RETURN, W_I32_ADD, W_END);
    /* but values that are pushed still have their types */
    INVALID("", "i", "type mismatch", 0x00, W_UNREACHABLE, W_I64_CONST, 0, W_I32_ADD, W_END);
    INVALID("", "i", "type mismatch", 0x00, W_UNREACHABLE, W_I64_CONST, 0, W_END);
    /* and the end of the block still checks the height */
    INVALID("", "", "type mismatch", 0x00, W_UNREACHABLE, W_I32_CONST, 0, W_END);
    /* polymorphism ends with the block */
    INVALID("", "", "type mismatch", 0x00, W_BLOCK, W_BLOCKTYPE_EMPTY, W_UNREACHABLE, W_END,
            W_DROP, W_END);
}

static void test_br_if_keeps_label_types(void **state) {
    (void)state;
    /* br_if : [t* i32] -> [t*] where t* is the label's type */
    VALID("i", "i", 0x00, W_BLOCK, W_I32, W_I32_CONST, 1, W_LOCAL_GET, 0, W_BR_IF, 0, W_END, W_END);
    INVALID("i", "i", "type mismatch",
            0x00, W_BLOCK, W_I32, W_I64_CONST, 1, W_LOCAL_GET, 0, W_BR_IF, 0, W_END, W_END);
    /* the condition must be an i32 */
    INVALID("", "", "type mismatch",
            0x00, W_BLOCK, W_BLOCKTYPE_EMPTY, W_I64_CONST, 0, W_BR_IF, 0, W_END, W_END);
    /* in unreachable code the value br_if leaves is the label's i64, not "anything" */
    VALID("", "", 0x00, W_BLOCK, W_I64, W_UNREACHABLE, W_I32_CONST, 0, W_BR_IF, 0, I64_EQZ, W_DROP,
          W_I64_CONST, 0, W_END, W_DROP, W_END);
    INVALID("", "", "type mismatch",
            0x00, W_BLOCK, W_I64, W_UNREACHABLE, W_I32_CONST, 0, W_BR_IF, 0, I32_EQZ, W_DROP,
            W_I64_CONST, 0, W_END, W_DROP, W_END);
    /* a loop label takes the loop's parameters (none here), so br_if 0 carries nothing */
    VALID("", "", 0x00, W_LOOP, W_BLOCKTYPE_EMPTY, W_I32_CONST, 0, W_BR_IF, 0, W_END, W_END);
}

static void test_select_typing(void **state) {
    (void)state;
    VALID("", "i", 0x00, W_I32_CONST, 1, W_I32_CONST, 2, W_I32_CONST, 0, W_SELECT, W_END);
    VALID("", "F", 0x00, W_F64_CONST, 0, 0, 0, 0, 0, 0, 0, 0, W_F64_CONST, 0, 0, 0, 0, 0, 0, 0, 0,
          W_I32_CONST, 0, W_SELECT, W_END);
    /* operands of different types */
    INVALID("", "i", "type mismatch",
            0x00, W_I32_CONST, 1, W_I64_CONST, 2, W_I32_CONST, 0, W_SELECT, W_END);
    /* an i64 condition */
    INVALID("", "i", "type mismatch",
            0x00, W_I32_CONST, 1, W_I32_CONST, 2, W_I64_CONST, 0, W_SELECT, W_END);
    /* reference operands need the typed form (0x1C) */
    INVALID("", "", "type mismatch", 0x00, REF_NULL, W_FUNCREF, REF_NULL, W_FUNCREF, W_I32_CONST, 0,
            W_SELECT, W_DROP, W_END);
    VALID("", "", 0x00, REF_NULL, W_FUNCREF, REF_NULL, W_FUNCREF, W_I32_CONST, 0,
          W_SELECT_T, 0x01, W_FUNCREF, W_DROP, W_END);
    /* the typed form checks its operands against its type */
    INVALID("", "", "type mismatch", 0x00, W_I32_CONST, 1, W_I32_CONST, 2, W_I32_CONST, 0,
            W_SELECT_T, 0x01, W_I64, W_DROP, W_END);
    /* and carries exactly one type */
    INVALID("", "", "invalid result arity", 0x00, W_I32_CONST, 1, W_I32_CONST, 2, W_I32_CONST, 0,
            W_SELECT_T, 0x02, W_I32, W_I32, W_DROP, W_END);
    /* with one known operand, the result has its type */
    INVALID("", "", "type mismatch", 0x00, W_UNREACHABLE, W_I64_CONST, 0, W_I32_CONST, 0, W_SELECT,
            W_I32_EQZ, W_DROP, W_END);
}

/* ---- module-level rules ------------------------------------------------------------------------ */

static void test_duplicate_export_name(void **state) {
    (void)state;
    elvm_error err;
    wb_fn f[2] = {
        {"", "", WB_CODE(0x00, W_END), "f", NULL},
        {"", "", WB_CODE(0x00, W_END), "f", NULL},
    };
    wb_mod m = {.funcs = f, .nfuncs = 2};
    check_module(&m, "duplicate export name", __LINE__, &err);
    /* a function and a global under one name collide too */
    wb_global g = {'i', 0, 0, "f"};
    m.nfuncs = 1;
    m.globals = &g;
    m.nglobals = 1;
    check_module(&m, "duplicate export name", __LINE__, &err);
    /* names differing in one byte are distinct */
    f[1].export_name = "g";
    m.nfuncs = 2;
    m.nglobals = 0;
    check_module(&m, NULL, __LINE__, &err);
}

static void test_start_function(void **state) {
    (void)state;
    elvm_error err;
    wb_fn params = {"i", "", WB_CODE(0x00, W_END), NULL, NULL};
    wb_mod m = {.funcs = &params, .nfuncs = 1, .has_start = 1, .start = 0};
    check_module(&m, "start function", __LINE__, &err);
    wb_fn results = {"", "i", WB_CODE(0x00, W_I32_CONST, 0, W_END), NULL, NULL};
    m.funcs = &results;
    check_module(&m, "start function", __LINE__, &err);
    wb_fn none = {"", "", WB_CODE(0x00, W_END), NULL, NULL};
    m.funcs = &none;
    check_module(&m, NULL, __LINE__, &err);
    m.start = 1;
    check_module(&m, "unknown function", __LINE__, &err);
}

static void test_multiple_memories(void **state) {
    (void)state;
    elvm_error err;
    wb_mod m = {.nmemories = 2, .mem_min = 1};
    check_module(&m, "multiple memories", __LINE__, &err);
    m.nmemories = 1;
    check_module(&m, NULL, __LINE__, &err);
}

static void test_memory_limits(void **state) {
    (void)state;
    elvm_error err;
    wb_mod m = {.nmemories = 1, .mem_min = 2, .mem_max = 1, .mem_has_max = 1};
    check_module(&m, "size minimum must not be greater than maximum", __LINE__, &err);
    m.mem_min = 65537;
    m.mem_has_max = 0;
    check_module(&m, "memory size must be at most 65536 pages (4GiB)", __LINE__, &err);
    m.mem_min = 65536;
    check_module(&m, NULL, __LINE__, &err);
}

static void test_global_initializer(void **state) {
    (void)state;
    /* global i32 = i64.const 0: the constant expression has the wrong type */
    static const uint8_t m[] = {0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00,
                                0x06, 0x06, 0x01, W_I32, 0x00, W_I64_CONST, 0x00, W_END};
    elvm_error err;
    assert_null(elvm_module_new(engine, m, sizeof m, &err));
    assert_int_equal(err.status, ELVM_INVALID);
    assert_prefix(err.msg, "type mismatch");
    /* global i32 = (i32.const 1; i32.const 2; i32.add): not constant in Wasm 2.0 */
    static const uint8_t m2[] = {0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00,
                                 0x06, 0x09, 0x01, W_I32, 0x00, W_I32_CONST, 0x01, W_I32_CONST,
                                 0x02, W_I32_ADD, W_END};
    assert_null(elvm_module_new(engine, m2, sizeof m2, &err));
    assert_int_equal(err.status, ELVM_INVALID);
    assert_prefix(err.msg, "constant expression required");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_mismatch),
        cmocka_unit_test(test_call_arguments_are_typed),
        cmocka_unit_test(test_unknown_local),
        cmocka_unit_test(test_unknown_global),
        cmocka_unit_test(test_unknown_function),
        cmocka_unit_test(test_unknown_type),
        cmocka_unit_test(test_unknown_label),
        cmocka_unit_test(test_unknown_table),
        cmocka_unit_test(test_unknown_memory),
        cmocka_unit_test(test_immutable_global_set),
        cmocka_unit_test(test_alignment_not_larger_than_natural),
        cmocka_unit_test(test_unreachable_makes_stack_polymorphic),
        cmocka_unit_test(test_br_if_keeps_label_types),
        cmocka_unit_test(test_select_typing),
        cmocka_unit_test(test_duplicate_export_name),
        cmocka_unit_test(test_start_function),
        cmocka_unit_test(test_multiple_memories),
        cmocka_unit_test(test_memory_limits),
        cmocka_unit_test(test_global_initializer),
    };
    return cmocka_run_group_tests_name("validator (spec 3)", tests, group_setup, group_teardown);
}
