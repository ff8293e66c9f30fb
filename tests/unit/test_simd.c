/* test_simd.c: v128 values across the API (host functions, elvm_func_call, globals) and
 * the decoding and validation of the 0xFD prefix. The arithmetic itself is the spec
 * testsuite's job (simd_*.wast). */
#include "wasm_builder.h"

enum { W_SIMD = 0xFD };

static const elvm_valtype T_V_I_V[] = {ELVM_V128, ELVM_I32, ELVM_V128};
static const elvm_valtype T_V_I64[] = {ELVM_V128, ELVM_I64};

static elvm_val v128_of(const uint8_t bytes[16]) {
    elvm_val v = {.type = ELVM_V128};
    memcpy(v.of.v128, bytes, 16);
    return v;
}

typedef struct v_env {
    int calls;
    elvm_val args[3];
} v_env;

/* (v128 a, i32 k, v128 b) -> (v128 a + b bytewise, i64 k * 2) */
static int host_vadd(elvm_caller *caller, void *env, const elvm_val *args, elvm_val *results) {
    (void)caller;
    v_env *e = env;
    e->calls++;
    memcpy(e->args, args, 3 * sizeof *args);
    results[0].type = ELVM_V128;
    for (int i = 0; i < 16; i++)
        results[0].of.v128[i] = (uint8_t)(args[0].of.v128[i] + args[2].of.v128[i]);
    results[1] = wb_i64((int64_t)args[1].of.i32 * 2);
    return 0;
}

static const uint8_t A[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t B[16] = {100, 100, 100, 100, 100, 100, 100, 100,
                              200, 200, 200, 200, 200, 200, 200, 200};

/* wasm -> host -> wasm with v128 arguments and results beside scalars: each v128 takes
 * two slots, so the scalars after it must not be read from the wrong one. */
static void test_host_v128_args_and_results(void **state) {
    (void)state;
    wb_rt rt;
    v_env env = {0};
    wb_import_fn im = {"env", "vadd", "viv", "vI"};
    wb_fn f = {"viv", "vI",
               WB_CODE(0x00, W_LOCAL_GET, 0, W_LOCAL_GET, 1, W_LOCAL_GET, 2, W_CALL, 0, W_END),
               "run", NULL};
    wb_mod m = {.imports = &im, .nimports = 1, .funcs = &f, .nfuncs = 1};
    wb_rt_init(&rt, NULL);
    elvm_func *vadd = elvm_func_new(rt.store, T_V_I_V, 3, T_V_I64, 2, host_vadd, &env);
    assert_non_null(vadd);
    elvm_extern imports[1] = {{.kind = ELVM_EXTERN_FUNC}};
    imports[0].of.func = vadd;
    wb bytes;
    wb_build(&m, &bytes);
    wb_rt_load(&rt, bytes.p, bytes.len, imports, 1);
    wb_free(&bytes);

    elvm_val args[3] = {v128_of(A), wb_i32(21), v128_of(B)}, r[2];
    elvm_error err;
    assert_int_equal(elvm_func_call(rt.store, wb_rt_func(&rt, "run"), args, 3, r, 2, &err), ELVM_OK);
    assert_int_equal(env.calls, 1);
    assert_int_equal(env.args[0].type, ELVM_V128);
    assert_memory_equal(env.args[0].of.v128, A, 16);
    assert_int_equal(env.args[1].of.i32, 21);
    assert_memory_equal(env.args[2].of.v128, B, 16);
    assert_int_equal(r[0].type, ELVM_V128);
    for (int i = 0; i < 16; i++) assert_int_equal(r[0].of.v128[i], (uint8_t)(A[i] + B[i]));
    assert_int_equal(r[1].type, ELVM_I64);
    assert_int_equal(r[1].of.i64, 42);

    /* and the host function called directly */
    assert_int_equal(elvm_func_call(rt.store, vadd, args, 3, r, 2, &err), ELVM_OK);
    assert_int_equal(r[1].of.i64, 42);
    assert_int_equal(r[0].of.v128[15], (uint8_t)(16 + 200));
    wb_rt_close(&rt);
}

static void test_v128_global(void **state) {
    (void)state;
    wb_rt rt;
    wb_rt_init(&rt, NULL);
    elvm_global *g = elvm_global_new(rt.store, v128_of(A), 1);
    assert_non_null(g);
    elvm_val v;
    elvm_global_get(g, &v);
    assert_int_equal(v.type, ELVM_V128);
    assert_memory_equal(v.of.v128, A, 16);
    assert_int_equal(elvm_global_set(g, v128_of(B)), ELVM_OK);
    elvm_global_get(g, &v);
    assert_memory_equal(v.of.v128, B, 16);
    assert_int_equal(elvm_global_set(g, wb_i32(1)), ELVM_ARG);
    wb_rt_close(&rt);
}

/* A module of one function "f" () -> (ret) with body `code` (locals vector included). */
static elvm_module *load_one(elvm_engine *e, const char *ret, const uint8_t *code, size_t len,
                             int memory, elvm_error *err) {
    wb_fn f = {"", ret, code, len, "f", NULL};
    wb_mod m = {.funcs = &f, .nfuncs = 1, .nmemories = memory ? 1 : 0, .mem_min = 1};
    wb bytes;
    wb_build(&m, &bytes);
    elvm_module *mod = elvm_module_new(e, bytes.p, bytes.len, err);
    wb_free(&bytes);
    return mod;
}

#define V128_CONST_ZERO W_SIMD, 0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0

static void test_simd_decoding_and_validation(void **state) {
    (void)state;
    elvm_engine *e = elvm_engine_new(NULL);
    elvm_error err;
    elvm_module *m;
    /* i8x16.extract_lane_u 15: valid; 16: "invalid lane index" */
    m = load_one(e, "i", WB_CODE(0x00, V128_CONST_ZERO, W_SIMD, 0x16, 15, W_END), 0, &err);
    assert_non_null(m);
    elvm_module_free(m);
    m = load_one(e, "i", WB_CODE(0x00, V128_CONST_ZERO, W_SIMD, 0x16, 16, W_END), 0, &err);
    assert_null(m);
    assert_int_equal(err.status, ELVM_INVALID);
    assert_prefix(err.msg, "invalid lane index");
    /* i64x2.replace_lane 2 */
    m = load_one(e, "v", WB_CODE(0x00, V128_CONST_ZERO, W_I64_CONST, 1, W_SIMD, 0x1E, 2, W_END), 0, &err);
    assert_null(m);
    assert_prefix(err.msg, "invalid lane index");
    /* i8x16.shuffle with a lane index of 32 */
    m = load_one(e, "v", WB_CODE(0x00, V128_CONST_ZERO, V128_CONST_ZERO, W_SIMD, 0x0D,
                                 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 32, W_END), 0, &err);
    assert_null(m);
    assert_prefix(err.msg, "invalid lane index");
    /* v128.load with alignment 2^4 is natural, 2^5 is not */
    m = load_one(e, "v", WB_CODE(0x00, W_I32_CONST, 0, W_SIMD, 0x00, 4, 0, W_END), 1, &err);
    assert_non_null(m);
    elvm_module_free(m);
    m = load_one(e, "v", WB_CODE(0x00, W_I32_CONST, 0, W_SIMD, 0x00, 5, 0, W_END), 1, &err);
    assert_null(m);
    assert_prefix(err.msg, "alignment must not be larger than natural");
    /* v128.load16_lane: the access is 2 bytes, so alignment 2^2 is too large */
    m = load_one(e, "v", WB_CODE(0x00, W_I32_CONST, 0, V128_CONST_ZERO, W_SIMD, 0x55, 2, 0, 7, W_END),
                 1, &err);
    assert_null(m);
    assert_prefix(err.msg, "alignment must not be larger than natural");
    /* 0xFD 0x9A is not an instruction; neither is 0xFD 0x100 */
    m = load_one(e, "", WB_CODE(0x00, W_SIMD, 0x9A, 0x01, W_END), 0, &err);
    assert_null(m);
    assert_int_equal(err.status, ELVM_MALFORMED);
    m = load_one(e, "", WB_CODE(0x00, W_SIMD, 0x80, 0x02, W_END), 0, &err);
    assert_null(m);
    assert_int_equal(err.status, ELVM_MALFORMED);
    /* typing: i32x4.add of an i32 */
    m = load_one(e, "v", WB_CODE(0x00, V128_CONST_ZERO, W_I32_CONST, 0, W_SIMD, 0xAE, 0x01, W_END), 0,
                 &err);
    assert_null(m);
    assert_prefix(err.msg, "type mismatch");
    elvm_engine_free(e);
}

/* v128 locals take two slots each: the i32 local after two v128 ones is not aliased. */
static void test_v128_locals_layout(void **state) {
    (void)state;
    wb_rt rt;
    /* (local v128 v128 i32): i32 = 7; v1 = splat(-1); return i32 + extract_lane 0 (v0) */
    wb_fn f = {"", "i",
               WB_CODE(0x02, 0x02, W_V128, 0x01, W_I32,
                       W_I32_CONST, 7, W_LOCAL_SET, 2,
                       W_I32_CONST, 0x7F, W_SIMD, 0x11, W_LOCAL_SET, 1,
                       W_LOCAL_GET, 2, W_LOCAL_GET, 0, W_SIMD, 0x1B, 0, W_I32_ADD,
                       W_LOCAL_GET, 1, W_SIMD, 0x1B, 3, W_I32_ADD, W_END),
               "f", NULL};
    wb_mod m = {.funcs = &f, .nfuncs = 1};
    wb_rt_open(&rt, NULL, &m, NULL, 0);
    elvm_val r;
    elvm_error err;
    assert_int_equal(elvm_func_call(rt.store, wb_rt_func(&rt, "f"), NULL, 0, &r, 1, &err), ELVM_OK);
    assert_int_equal(r.of.i32, 6);
    wb_rt_close(&rt);
}

int main(void) {
    wb_watchdog(300);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_v128_args_and_results),
        cmocka_unit_test(test_v128_global),
        cmocka_unit_test(test_simd_decoding_and_validation),
        cmocka_unit_test(test_v128_locals_layout),
    };
    return cmocka_run_group_tests_name("simd", tests, NULL, NULL);
}
