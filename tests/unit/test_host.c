/* test_host.c: host functions (elvm_func_new) called from wasm and from C: arguments and
 * results, traps and exits raised by the host, the caller's memory, re-entry, and the
 * checks of elvm_func_call, instantiation and the linker. */
#include "wasm_builder.h"

typedef struct host_env {
    int calls;
    elvm_val args[4];
    elvm_func *callback; /* for re-entry */
    elvm_memory *memory_seen, *memory1_seen;
} host_env;

static const elvm_valtype T_I32[] = {ELVM_I32};
static const elvm_valtype T_I32_I64[] = {ELVM_I32, ELVM_I64};
static const elvm_valtype T_I64[] = {ELVM_I64};
static const elvm_valtype T_I32_F64[] = {ELVM_I32, ELVM_F64};
static const elvm_valtype T_F64_I32[] = {ELVM_F64, ELVM_I32};

/* (i32, i64) -> i64: a + b */
static int host_add(elvm_caller *caller, void *env, const elvm_val *args, elvm_val *results) {
    (void)caller;
    host_env *e = env;
    e->calls++;
    e->args[0] = args[0];
    e->args[1] = args[1];
    results[0] = wb_i64((int64_t)args[0].of.i32 + args[1].of.i64);
    return 0;
}

/* (i32, f64) -> (f64, i32) */
static int host_swap(elvm_caller *caller, void *env, const elvm_val *args, elvm_val *results) {
    (void)caller;
    ((host_env *)env)->calls++;
    results[0] = args[1];
    results[1] = args[0];
    return 0;
}

/* () -> (): traps with a formatted message */
static int host_fail(elvm_caller *caller, void *env, const elvm_val *args, elvm_val *results) {
    (void)args;
    (void)results;
    ((host_env *)env)->calls++;
    return elvm_caller_trap(caller, ELVM_TRAP_HOST, "boom %d", 7);
}

/* () -> (): traps as "unreachable" with a detail */
static int host_fail_unreachable(elvm_caller *caller, void *env, const elvm_val *args,
                                 elvm_val *results) {
    (void)env;
    (void)args;
    (void)results;
    return elvm_caller_trap(caller, ELVM_TRAP_UNREACHABLE, "detail %s", "xyz");
}

/* (i32) -> (): exits with that code */
static int host_exit(elvm_caller *caller, void *env, const elvm_val *args, elvm_val *results) {
    (void)results;
    ((host_env *)env)->calls++;
    return elvm_caller_exit(caller, args[0].of.i32);
}

/* (i32) -> i32: the i32 at that address of the caller's memory 0 */
static int host_peek(elvm_caller *caller, void *env, const elvm_val *args, elvm_val *results) {
    host_env *e = env;
    e->memory_seen = elvm_caller_memory(caller, 0);
    e->memory1_seen = elvm_caller_memory(caller, 1);
    uint32_t v = 0;
    if (e->memory_seen) memcpy(&v, elvm_memory_data(e->memory_seen) + args[0].of.i32, 4);
    results[0] = wb_i32((int32_t)v);
    return 0;
}

/* (i32) -> i32: calls back into wasm, callback(n) + 1 */
static int host_reenter(elvm_caller *caller, void *env, const elvm_val *args, elvm_val *results) {
    host_env *e = env;
    elvm_val r;
    elvm_error err;
    elvm_status st = elvm_func_call(elvm_caller_store(caller), e->callback, args, 1, &r, 1, &err);
    if (st != ELVM_OK) return elvm_caller_trap(caller, ELVM_TRAP_HOST, "callback: %s", err.msg);
    results[0] = wb_i32(r.of.i32 + 1);
    return 0;
}

static elvm_extern func_extern(elvm_func *f) {
    elvm_extern x = {.kind = ELVM_EXTERN_FUNC};
    x.of.func = f;
    return x;
}

static int32_t global_i32(wb_rt *rt, const char *name) {
    elvm_extern x;
    assert_true(elvm_instance_export(rt->inst, name, &x));
    assert_int_equal(x.kind, ELVM_EXTERN_GLOBAL);
    elvm_val v;
    elvm_global_get(x.of.global, &v);
    assert_int_equal(v.type, ELVM_I32);
    return v.of.i32;
}

/* ---- arguments and results ----------------------------------------------------------------- */

static void test_wasm_calls_host_with_args_and_results(void **state) {
    (void)state;
    wb_rt rt;
    host_env env = {0};
    wb_import_fn im = {"env", "add", "iI", "I"};
    /* run(a, b) = add(a, b) + 1 */
    wb_fn f = {"iI", "I", WB_CODE(0x00, W_LOCAL_GET, 0, W_LOCAL_GET, 1, W_CALL, 0,
                                  W_I64_CONST, 1, 0x7C /* i64.add */, W_END), "run", NULL};
    wb_mod m = {.imports = &im, .nimports = 1, .funcs = &f, .nfuncs = 1};
    wb_rt_init(&rt, NULL);
    elvm_func *add = elvm_func_new(rt.store, T_I32_I64, 2, T_I64, 1, host_add, &env);
    assert_non_null(add);
    elvm_extern imports[1] = {func_extern(add)};
    wb bytes;
    wb_build(&m, &bytes);
    wb_rt_load(&rt, bytes.p, bytes.len, imports, 1);
    wb_free(&bytes);

    elvm_val args[2] = {wb_i32(-5), wb_i64(10000000000LL)}, r;
    elvm_error err;
    assert_int_equal(elvm_func_call(rt.store, wb_rt_func(&rt, "run"), args, 2, &r, 1, &err), ELVM_OK);
    assert_int_equal(r.type, ELVM_I64);
    assert_int_equal(r.of.i64, 10000000000LL - 5 + 1);
    assert_int_equal(env.calls, 1);
    assert_int_equal(env.args[0].type, ELVM_I32);
    assert_int_equal(env.args[0].of.i32, -5);
    assert_int_equal(env.args[1].type, ELVM_I64);
    assert_int_equal(env.args[1].of.i64, 10000000000LL);
    wb_rt_close(&rt);
}

static void test_host_multiple_results(void **state) {
    (void)state;
    wb_rt rt;
    host_env env = {0};
    wb_import_fn im = {"env", "swap", "iF", "Fi"};
    wb_fn f = {"iF", "Fi", WB_CODE(0x00, W_LOCAL_GET, 0, W_LOCAL_GET, 1, W_CALL, 0, W_END), "run", NULL};
    wb_mod m = {.imports = &im, .nimports = 1, .funcs = &f, .nfuncs = 1};
    wb_rt_init(&rt, NULL);
    elvm_extern imports[1] = {func_extern(elvm_func_new(rt.store, T_I32_F64, 2, T_F64_I32, 2, host_swap, &env))};
    wb bytes;
    wb_build(&m, &bytes);
    wb_rt_load(&rt, bytes.p, bytes.len, imports, 1);
    wb_free(&bytes);
    elvm_val args[2] = {wb_i32(3), wb_f64(0x400921FB54442D18ull) /* pi */}, r[2];
    elvm_error err;
    assert_int_equal(elvm_func_call(rt.store, wb_rt_func(&rt, "run"), args, 2, r, 2, &err), ELVM_OK);
    assert_int_equal(r[0].type, ELVM_F64);
    assert_int_equal(r[0].of.f64_bits, 0x400921FB54442D18ull);
    assert_int_equal(r[1].type, ELVM_I32);
    assert_int_equal(r[1].of.i32, 3);
    assert_int_equal(env.calls, 1);
    wb_rt_close(&rt);
}

static void test_host_function_called_directly(void **state) {
    (void)state;
    host_env env = {0};
    elvm_engine *e = elvm_engine_new(NULL);
    elvm_store *s = elvm_store_new(e);
    elvm_func *add = elvm_func_new(s, T_I32_I64, 2, T_I64, 1, host_add, &env);
    elvm_externtype t;
    elvm_func_type(add, &t);
    assert_int_equal(t.kind, ELVM_EXTERN_FUNC);
    assert_int_equal(t.nparams, 2);
    assert_int_equal(t.params[1], ELVM_I64);
    assert_int_equal(t.nresults, 1);
    assert_int_equal(t.results[0], ELVM_I64);
    elvm_val args[2] = {wb_i32(2), wb_i64(40)}, r;
    elvm_error err;
    assert_int_equal(elvm_func_call(s, add, args, 2, &r, 1, &err), ELVM_OK);
    assert_int_equal(r.of.i64, 42);
    elvm_store_free(s);
    elvm_engine_free(e);
}

static void test_func_call_checks_arguments(void **state) {
    (void)state;
    host_env env = {0};
    elvm_engine *e = elvm_engine_new(NULL);
    elvm_store *s = elvm_store_new(e);
    elvm_func *add = elvm_func_new(s, T_I32_I64, 2, T_I64, 1, host_add, &env);
    elvm_val args[2] = {wb_i32(2), wb_i64(40)}, wrong[2] = {wb_i32(2), wb_i32(40)}, r[2];
    elvm_error err;
    assert_int_equal(elvm_func_call(s, add, args, 1, r, 1, &err), ELVM_ARG);
    assert_int_equal(err.status, ELVM_ARG);
    assert_int_equal(elvm_func_call(s, add, args, 2, r, 2, &err), ELVM_ARG);
    assert_int_equal(elvm_func_call(s, add, wrong, 2, r, 1, &err), ELVM_ARG);
    assert_int_equal(err.status, ELVM_ARG);
    assert_int_equal(env.calls, 0); /* never reached the host */
    elvm_store_free(s);
    elvm_engine_free(e);
}

/* ---- traps and exits ---------------------------------------------------------------------- */

/* import "env" "h" of type `params` -> "", run() = call h (with `arg` pushed if any), then
 * sets the exported global "after" to 1 */
static void open_caller(wb_rt *rt, const char *params, elvm_host_fn fn, host_env *env) {
    wb_import_fn im = {"env", "h", params, ""};
    wb_fn f = params[0]
        ? (wb_fn){"", "", WB_CODE(0x00, W_I32_CONST, 42, W_CALL, 0, W_I32_CONST, 1, W_GLOBAL_SET, 0, W_END),
                  "run", "run"}
        : (wb_fn){"", "", WB_CODE(0x00, W_CALL, 0, W_I32_CONST, 1, W_GLOBAL_SET, 0, W_END), "run", "run"};
    wb_global g = {'i', 1, 0, "after"};
    wb_mod m = {.imports = &im, .nimports = 1, .funcs = &f, .nfuncs = 1, .globals = &g, .nglobals = 1};
    wb_rt_init(rt, NULL);
    elvm_func *h = elvm_func_new(rt->store, params[0] ? T_I32 : NULL, params[0] ? 1 : 0, NULL, 0, fn, env);
    elvm_extern imports[1] = {func_extern(h)};
    wb bytes;
    wb_build(&m, &bytes);
    wb_rt_load(rt, bytes.p, bytes.len, imports, 1);
    wb_free(&bytes);
}

static void test_host_trap_propagates(void **state) {
    (void)state;
    wb_rt rt;
    host_env env = {0};
    elvm_error err;
    open_caller(&rt, "", host_fail, &env);
    assert_int_equal(elvm_func_call(rt.store, wb_rt_func(&rt, "run"), NULL, 0, NULL, 0, &err), ELVM_TRAP);
    assert_int_equal(err.status, ELVM_TRAP);
    assert_int_equal(err.trap, ELVM_TRAP_HOST);
    assert_prefix(err.msg, "host error");
    assert_contains(err.msg, "boom 7");
    assert_int_equal(env.calls, 1);
    assert_int_equal(global_i32(&rt, "after"), 0); /* the guest stopped at the call */
    char bt[256];
    elvm_store_backtrace(rt.store, bt, sizeof bt);
    assert_contains(bt, "<run>");
    wb_rt_close(&rt);
}

static void test_host_trap_called_directly(void **state) {
    (void)state;
    host_env env = {0};
    elvm_engine *e = elvm_engine_new(NULL);
    elvm_store *s = elvm_store_new(e);
    elvm_func *f = elvm_func_new(s, NULL, 0, NULL, 0, host_fail, &env);
    elvm_error err;
    assert_int_equal(elvm_func_call(s, f, NULL, 0, NULL, 0, &err), ELVM_TRAP);
    assert_int_equal(err.trap, ELVM_TRAP_HOST);
    assert_prefix(err.msg, "host error");
    assert_contains(err.msg, "boom 7");
    elvm_store_free(s);
    elvm_engine_free(e);
}

static void test_host_trap_kind_and_detail_kept(void **state) {
    (void)state;
    wb_rt rt;
    host_env env = {0};
    elvm_error err;
    open_caller(&rt, "", host_fail_unreachable, &env);
    assert_int_equal(elvm_func_call(rt.store, wb_rt_func(&rt, "run"), NULL, 0, NULL, 0, &err), ELVM_TRAP);
    assert_int_equal(err.trap, ELVM_TRAP_UNREACHABLE);
    assert_prefix(err.msg, "unreachable");
    assert_contains(err.msg, "xyz");
    wb_rt_close(&rt);
}

static void test_host_trap_kind_is_kept(void **state) {
    (void)state;
    wb_rt rt;
    host_env env = {0};
    elvm_error err;
    open_caller(&rt, "", host_fail_unreachable, &env);
    assert_int_equal(elvm_func_call(rt.store, wb_rt_func(&rt, "run"), NULL, 0, NULL, 0, &err), ELVM_TRAP);
    assert_int_equal(err.trap, ELVM_TRAP_UNREACHABLE);
    assert_prefix(err.msg, "unreachable");
    assert_int_equal(global_i32(&rt, "after"), 0);
    wb_rt_close(&rt);
}

static void test_host_exit(void **state) {
    (void)state;
    static const int32_t codes[] = {42, 0, -1};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        wb_rt rt;
        host_env env = {0};
        elvm_error err;
        open_caller(&rt, "i", host_exit, &env);
        /* run() passes 42; call the import directly for the other codes */
        if (codes[i] == 42) {
            assert_int_equal(elvm_func_call(rt.store, wb_rt_func(&rt, "run"), NULL, 0, NULL, 0, &err),
                             ELVM_EXIT);
            assert_int_equal(global_i32(&rt, "after"), 0); /* nothing ran after the exit */
        } else {
            elvm_func *h = elvm_func_new(rt.store, T_I32, 1, NULL, 0, host_exit, &env);
            elvm_val arg = wb_i32(codes[i]);
            assert_int_equal(elvm_func_call(rt.store, h, &arg, 1, NULL, 0, &err), ELVM_EXIT);
        }
        assert_int_equal(err.status, ELVM_EXIT);
        assert_int_equal(err.exit_code, codes[i]);
        assert_int_equal(err.trap, ELVM_TRAP_EXIT);
        assert_int_equal(env.calls, 1);
        wb_rt_close(&rt);
    }
}

/* ---- memory and re-entry ----------------------------------------------------------------------- */

static void test_host_reads_caller_memory(void **state) {
    (void)state;
    wb_rt rt;
    host_env env = {0};
    wb_import_fn im = {"env", "peek", "i", "i"};
    /* run() stores 0x11223344 at 16, then returns peek(16) */
    wb_fn f = {"", "i", WB_CODE(0x00, W_I32_CONST, 16, W_I32_CONST, 0xC4, 0xE6, 0x88, 0x89, 0x01,
                                W_I32_STORE, 0x02, 0x00, W_I32_CONST, 16, W_CALL, 0, W_END),
               "run", NULL};
    wb_mod m = {.imports = &im, .nimports = 1, .funcs = &f, .nfuncs = 1, .nmemories = 1,
                .mem_min = 1, .mem_export = "mem"};
    wb_rt_init(&rt, NULL);
    elvm_extern imports[1] = {func_extern(elvm_func_new(rt.store, T_I32, 1, T_I32, 1, host_peek, &env))};
    wb bytes;
    wb_build(&m, &bytes);
    wb_rt_load(&rt, bytes.p, bytes.len, imports, 1);
    wb_free(&bytes);
    elvm_val r;
    elvm_error err;
    assert_int_equal(elvm_func_call(rt.store, wb_rt_func(&rt, "run"), NULL, 0, &r, 1, &err), ELVM_OK);
    assert_int_equal((uint32_t)r.of.i32, 0x11223344u);
    elvm_extern mem;
    assert_true(elvm_instance_export(rt.inst, "mem", &mem));
    assert_ptr_equal(env.memory_seen, mem.of.memory);
    assert_null(env.memory1_seen); /* there is no memory 1 */
    wb_rt_close(&rt);
}

static void test_host_reenters_wasm(void **state) {
    (void)state;
    wb_rt rt;
    host_env env = {0};
    wb_import_fn im = {"env", "reenter", "i", "i"};
    wb_fn f[2] = {
        /* outer(n) = reenter(n) * 3 */
        {"i", "i", WB_CODE(0x00, W_LOCAL_GET, 0, W_CALL, 0, W_I32_CONST, 3, 0x6C /* i32.mul */, W_END),
         "outer", NULL},
        /* inner(n) = n * 2 */
        {"i", "i", WB_CODE(0x00, W_LOCAL_GET, 0, W_I32_CONST, 2, 0x6C, W_END), "inner", NULL},
    };
    wb_mod m = {.imports = &im, .nimports = 1, .funcs = f, .nfuncs = 2};
    wb_rt_init(&rt, NULL);
    elvm_extern imports[1] = {func_extern(elvm_func_new(rt.store, T_I32, 1, T_I32, 1, host_reenter, &env))};
    wb bytes;
    wb_build(&m, &bytes);
    wb_rt_load(&rt, bytes.p, bytes.len, imports, 1);
    wb_free(&bytes);
    env.callback = wb_rt_func(&rt, "inner");
    elvm_val arg = wb_i32(5), r;
    elvm_error err;
    assert_int_equal(elvm_func_call(rt.store, wb_rt_func(&rt, "outer"), &arg, 1, &r, 1, &err), ELVM_OK);
    assert_int_equal(r.of.i32, (5 * 2 + 1) * 3);
    wb_rt_close(&rt);
}

/* ---- linking ------------------------------------------------------------------------------------ */

static void test_import_type_is_checked(void **state) {
    (void)state;
    wb_rt rt;
    host_env env = {0};
    wb_import_fn im = {"env", "add", "iI", "I"};
    wb_mod m = {.imports = &im, .nimports = 1};
    wb bytes;
    wb_rt_init(&rt, NULL);
    wb_build(&m, &bytes);
    elvm_error err;
    rt.module = elvm_module_new(rt.engine, bytes.p, bytes.len, &err);
    wb_free(&bytes);
    assert_non_null(rt.module);
    /* (i32) -> i64 is not (i32, i64) -> i64 */
    elvm_extern wrong[1] = {func_extern(elvm_func_new(rt.store, T_I32, 1, T_I64, 1, host_add, &env))};
    assert_null(elvm_instance_new(rt.store, rt.module, wrong, 1, &err));
    assert_int_equal(err.status, ELVM_UNLINKABLE);
    assert_prefix(err.msg, "incompatible import type");
    /* a missing import */
    assert_null(elvm_instance_new(rt.store, rt.module, NULL, 0, &err));
    assert_int_equal(err.status, ELVM_UNLINKABLE);
    /* through the linker: "unknown import", naming it */
    elvm_linker *l = elvm_linker_new(rt.store);
    assert_null(elvm_linker_instantiate(l, rt.module, &err));
    assert_int_equal(err.status, ELVM_UNLINKABLE);
    assert_prefix(err.msg, "unknown import");
    assert_contains(err.msg, "add");
    elvm_extern right = func_extern(elvm_func_new(rt.store, T_I32_I64, 2, T_I64, 1, host_add, &env));
    assert_int_equal(elvm_linker_define(l, "env", "add", right), ELVM_OK);
    assert_non_null(elvm_linker_instantiate(l, rt.module, &err));
    elvm_linker_free(l);
    wb_rt_close(&rt);
}

int main(void) {
    wb_watchdog(300);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wasm_calls_host_with_args_and_results),
        cmocka_unit_test(test_host_multiple_results),
        cmocka_unit_test(test_host_function_called_directly),
        cmocka_unit_test(test_func_call_checks_arguments),
        cmocka_unit_test(test_host_trap_propagates),
        cmocka_unit_test(test_host_trap_called_directly),
        cmocka_unit_test(test_host_trap_kind_and_detail_kept),
        cmocka_unit_test(test_host_trap_kind_is_kept),
        cmocka_unit_test(test_host_exit),
        cmocka_unit_test(test_host_reads_caller_memory),
        cmocka_unit_test(test_host_reenters_wasm),
        cmocka_unit_test(test_import_type_is_checked),
    };
    return cmocka_run_group_tests_name("host functions", tests, NULL, NULL);
}
