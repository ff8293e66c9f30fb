/* test_fuel.c: the limits that stop a guest: fuel (elvm_config.fuel), call-stack depth
 * (elvm_config.max_call_depth, value stack), and the backtrace left by a trap. */
#include "wasm_builder.h"

/* "count"(n): i = 0; do { i = i + 1 } while (i < n); return i.
 * Executed instructions: `loop` once, the 8 of the body per iteration, then the loop's
 * `end`, local.get and the function's `end`: 8n + 4 for n >= 1. */
#define COUNT_CODE                                                                      \
    WB_CODE(0x01, 0x01, W_I32,                         /* local $i i32 */               \
            W_LOOP, W_BLOCKTYPE_EMPTY,                                                  \
            W_LOCAL_GET, 1, W_I32_CONST, 1, W_I32_ADD, W_LOCAL_SET, 1,                  \
            W_LOCAL_GET, 1, W_LOCAL_GET, 0, W_I32_LT_S, W_BR_IF, 0,                     \
            W_END,                                                                      \
            W_LOCAL_GET, 1, W_END)
#define COUNT_FUEL(n) (8u * (n) + 4u)

/* "spin": loop br 0 end, which never ends by itself */
#define SPIN_CODE WB_CODE(0x00, W_LOOP, W_BLOCKTYPE_EMPTY, W_BR, 0, W_END, W_END)

static void open_fuel_module(wb_rt *rt, int fuel) {
    elvm_config cfg;
    elvm_config_default(&cfg);
    cfg.fuel = fuel;
    wb_fn f[3] = {
        {"i", "i", COUNT_CODE, "count", "count"},
        {"", "", SPIN_CODE, "spin", "spin"},
        /* "twice"(n): count(n); count(n) -- local.get, call, drop, local.get, call, end */
        {"i", "i", WB_CODE(0x00, W_LOCAL_GET, 0, W_CALL, 0, W_DROP, W_LOCAL_GET, 0, W_CALL, 0, W_END),
         "twice", NULL},
    };
    wb_mod m = {.funcs = f, .nfuncs = 3};
    wb_rt_open(rt, &cfg, &m, NULL, 0);
}

static elvm_status count(wb_rt *rt, const char *fn, int32_t n, int32_t *result, elvm_error *err) {
    elvm_val arg = wb_i32(n), res = {0};
    memset(err, 0, sizeof *err);
    elvm_status st = elvm_func_call(rt->store, wb_rt_func(rt, fn), &arg, 1, &res, 1, err);
    if (result) *result = res.of.i32;
    return st;
}

/* Runs count(n) on a fresh budget and returns the fuel it consumed. */
static uint64_t fuel_of_count(wb_rt *rt, int32_t n) {
    elvm_error err;
    int32_t r;
    elvm_store_set_fuel(rt->store, 1000000);
    if (count(rt, "count", n, &r, &err) != ELVM_OK) fail_msg("count(%d): %s", n, err.msg);
    assert_int_equal(r, n);
    return elvm_store_fuel_consumed(rt->store);
}

/* ---- fuel --------------------------------------------------------------------------------- */

static void test_fuel_is_deterministic_and_per_instruction(void **state) {
    (void)state;
    wb_rt rt;
    open_fuel_module(&rt, 1);
    uint64_t one = fuel_of_count(&rt, 1);
    assert_int_equal(fuel_of_count(&rt, 1), one); /* same on a second run */
    uint64_t two = fuel_of_count(&rt, 2), ten = fuel_of_count(&rt, 10);
    /* each iteration runs the same 8 instructions */
    assert_int_equal(two - one, 8);
    assert_int_equal(ten - one, 9 * 8);
    /* and the total is the instruction count */
    assert_int_equal(one, COUNT_FUEL(1));
    assert_int_equal(ten, COUNT_FUEL(10));
    assert_int_equal(fuel_of_count(&rt, 1000), COUNT_FUEL(1000));
    wb_rt_close(&rt);
}

static void test_fuel_counts_callees(void **state) {
    (void)state;
    wb_rt rt;
    elvm_error err;
    int32_t r;
    open_fuel_module(&rt, 1);
    elvm_store_set_fuel(rt.store, 1000000);
    assert_int_equal(count(&rt, "twice", 3, &r, &err), ELVM_OK);
    assert_int_equal(elvm_store_fuel_consumed(rt.store), 6 + 2 * COUNT_FUEL(3));
    wb_rt_close(&rt);
}

static void test_fuel_budget_spans_calls_until_reset(void **state) {
    (void)state;
    wb_rt rt;
    elvm_error err;
    open_fuel_module(&rt, 1);
    elvm_store_set_fuel(rt.store, 1000);
    assert_int_equal(count(&rt, "count", 1, NULL, &err), ELVM_OK);
    assert_int_equal(count(&rt, "count", 1, NULL, &err), ELVM_OK);
    assert_int_equal(elvm_store_fuel_consumed(rt.store), 2 * COUNT_FUEL(1));
    elvm_store_set_fuel(rt.store, 1000);
    assert_int_equal(elvm_store_fuel_consumed(rt.store), 0);
    wb_rt_close(&rt);
}

static void test_out_of_fuel_traps(void **state) {
    (void)state;
    wb_rt rt;
    elvm_error err;
    int32_t r;
    open_fuel_module(&rt, 1);
    /* exactly enough */
    elvm_store_set_fuel(rt.store, COUNT_FUEL(5));
    assert_int_equal(count(&rt, "count", 5, &r, &err), ELVM_OK);
    assert_int_equal(r, 5);
    assert_int_equal(elvm_store_fuel_consumed(rt.store), COUNT_FUEL(5));
    /* one short */
    elvm_store_set_fuel(rt.store, COUNT_FUEL(5) - 1);
    assert_int_equal(count(&rt, "count", 5, &r, &err), ELVM_TRAP);
    assert_int_equal(err.status, ELVM_TRAP);
    assert_int_equal(err.trap, ELVM_TRAP_OUT_OF_FUEL);
    assert_prefix(err.msg, "out of fuel");
    /* never more than the budget is reported as consumed */
    assert_true(elvm_store_fuel_consumed(rt.store) <= COUNT_FUEL(5) - 1);
    /* an empty tank stops at once */
    elvm_store_set_fuel(rt.store, 0);
    assert_int_equal(count(&rt, "count", 1, &r, &err), ELVM_TRAP);
    assert_int_equal(err.trap, ELVM_TRAP_OUT_OF_FUEL);
    wb_rt_close(&rt);
}

/* "count_then_oob"(n): count(n) as above, then i32.load at 65536 of a one-page memory:
 * 8n + 4 - 1 (no local.get $i at the end) + 3 (i32.const, i32.load ... the trap) */
static elvm_status run_count_then_oob(int software_checks, int32_t n, uint64_t *consumed,
                                      elvm_error *err) {
    elvm_config cfg;
    elvm_config_default(&cfg);
    cfg.fuel = 1;
    cfg.software_bounds_checks = software_checks;
    wb_fn f = {"i", "i",
               WB_CODE(0x01, 0x01, W_I32, W_LOOP, W_BLOCKTYPE_EMPTY, W_LOCAL_GET, 1, W_I32_CONST, 1,
                       W_I32_ADD, W_LOCAL_SET, 1, W_LOCAL_GET, 1, W_LOCAL_GET, 0, W_I32_LT_S,
                       W_BR_IF, 0, W_END, W_I32_CONST, 0x80, 0x80, 0x04, W_I32_LOAD, 0x02, 0x00,
                       W_END),
               "f", "f"};
    wb_mod m = {.funcs = &f, .nfuncs = 1, .nmemories = 1, .mem_min = 1};
    wb_rt rt;
    wb_rt_open(&rt, &cfg, &m, NULL, 0);
    elvm_store_set_fuel(rt.store, 1000000);
    elvm_val arg = wb_i32(n), res = {0};
    memset(err, 0, sizeof *err);
    elvm_status st = elvm_func_call(rt.store, wb_rt_func(&rt, "f"), &arg, 1, &res, 1, err);
    *consumed = elvm_store_fuel_consumed(rt.store);
    wb_rt_close(&rt);
    return st;
}

static void test_fuel_after_an_out_of_bounds_trap(void **state) {
    (void)state;
    /* With fuel and guard pages (the default outside sanitizer builds) the trap comes
     * from a fault that unwinds past the interpreter's registers: the store must still
     * hold what was paid, exactly as with software checks. */
    uint64_t guarded, checked;
    elvm_error err;
    assert_int_equal(run_count_then_oob(0, 10, &guarded, &err), ELVM_TRAP);
    assert_int_equal(err.trap, ELVM_TRAP_MEMORY_OOB);
    assert_int_equal(run_count_then_oob(1, 10, &checked, &err), ELVM_TRAP);
    assert_int_equal(err.trap, ELVM_TRAP_MEMORY_OOB);
    assert_int_equal(guarded, checked);
    /* the loop, then the run that ends in the load: more than the loop alone */
    assert_true(checked >= COUNT_FUEL(10) - 1);
    assert_true(checked <= COUNT_FUEL(10) + 3);
}

static void test_out_of_fuel_stops_an_endless_loop(void **state) {
    (void)state;
    wb_rt rt;
    elvm_error err;
    open_fuel_module(&rt, 1);
    elvm_store_set_fuel(rt.store, 100000);
    assert_int_equal(elvm_func_call(rt.store, wb_rt_func(&rt, "spin"), NULL, 0, NULL, 0, &err),
                     ELVM_TRAP);
    assert_int_equal(err.trap, ELVM_TRAP_OUT_OF_FUEL);
    assert_prefix(err.msg, "out of fuel");
    /* the backtrace names the function (name section) */
    char bt[256];
    elvm_store_backtrace(rt.store, bt, sizeof bt);
    assert_contains(bt, "<spin>");
    /* the store is usable afterwards */
    int32_t r;
    elvm_store_set_fuel(rt.store, 1000);
    assert_int_equal(count(&rt, "count", 3, &r, &err), ELVM_OK);
    assert_int_equal(r, 3);
    wb_rt_close(&rt);
}

static void test_fuel_off_ignores_the_budget(void **state) {
    (void)state;
    wb_rt rt;
    elvm_error err;
    int32_t r;
    open_fuel_module(&rt, 0);
    elvm_store_set_fuel(rt.store, 5); /* far less than count(1000) needs */
    assert_int_equal(count(&rt, "count", 1000, &r, &err), ELVM_OK);
    assert_int_equal(r, 1000);
    wb_rt_close(&rt);
}

static void test_fuel_without_a_budget_runs(void **state) {
    (void)state;
    wb_rt rt;
    elvm_error err;
    int32_t r;
    /* fuel compiled in but no elvm_store_set_fuel: the budget is unlimited */
    open_fuel_module(&rt, 1);
    assert_int_equal(count(&rt, "count", 1000, &r, &err), ELVM_OK);
    assert_int_equal(r, 1000);
    wb_rt_close(&rt);
}

static void test_fuel_consumed_on_a_fresh_store(void **state) {
    (void)state;
    wb_rt rt;
    elvm_error err;
    open_fuel_module(&rt, 1);
    assert_int_equal(elvm_store_fuel_consumed(rt.store), 0);
    assert_int_equal(count(&rt, "count", 1, NULL, &err), ELVM_OK);
    assert_int_equal(elvm_store_fuel_consumed(rt.store), COUNT_FUEL(1));
    wb_rt_close(&rt);
}

/* ---- call stack ------------------------------------------------------------------------------- */

/* "forever": calls itself unconditionally. "down"(n): calls itself n times, so it uses
 * n + 1 frames. "fat"(n): like down with 200 i64 locals per frame. */
static void open_recursion_module(wb_rt *rt, const elvm_config *cfg) {
    wb_fn f[3] = {
        {"", "", WB_CODE(0x00, W_CALL, 0, W_END), "forever", "forever"},
        {"i", "", WB_CODE(0x00, W_LOCAL_GET, 0, W_IF, W_BLOCKTYPE_EMPTY,
                          W_LOCAL_GET, 0, W_I32_CONST, 1, W_I32_SUB, W_CALL, 1, W_END, W_END),
         "down", "down"},
        {"i", "", WB_CODE(0x01, 0xC8, 0x01, W_I64, /* 200 i64 locals */
                          W_LOCAL_GET, 0, W_IF, W_BLOCKTYPE_EMPTY,
                          W_LOCAL_GET, 0, W_I32_CONST, 1, W_I32_SUB, W_CALL, 2, W_END, W_END),
         "fat", NULL},
    };
    wb_mod m = {.funcs = f, .nfuncs = 3};
    wb_rt_open(rt, cfg, &m, NULL, 0);
}

static void expect_stack_exhausted(elvm_status st, const elvm_error *err) {
    assert_int_equal(st, ELVM_TRAP);
    assert_int_equal(err->status, ELVM_TRAP);
    assert_int_equal(err->trap, ELVM_TRAP_STACK_EXHAUSTED);
    assert_prefix(err->msg, "call stack exhausted");
}

static void test_infinite_recursion_traps_with_depth_100(void **state) {
    (void)state;
    wb_rt rt;
    elvm_error err;
    elvm_config cfg;
    elvm_config_default(&cfg);
    cfg.max_call_depth = 100;
    open_recursion_module(&rt, &cfg);
    elvm_status st = elvm_func_call(rt.store, wb_rt_func(&rt, "forever"), NULL, 0, NULL, 0, &err);
    expect_stack_exhausted(st, &err);
    /* the backtrace shows the recursing function by name */
    char bt[4096];
    size_t n = elvm_store_backtrace(rt.store, bt, sizeof bt);
    assert_true(n > 0 && n < sizeof bt);
    assert_prefix(bt, "  #0 func[0] <forever>");
    wb_rt_close(&rt);
}

static void test_infinite_recursion_traps_with_defaults(void **state) {
    (void)state;
    wb_rt rt;
    elvm_error err;
    open_recursion_module(&rt, NULL);
    elvm_status st = elvm_func_call(rt.store, wb_rt_func(&rt, "forever"), NULL, 0, NULL, 0, &err);
    expect_stack_exhausted(st, &err);
    /* and again: the store's stack was unwound */
    st = elvm_func_call(rt.store, wb_rt_func(&rt, "forever"), NULL, 0, NULL, 0, &err);
    expect_stack_exhausted(st, &err);
    wb_rt_close(&rt);
}

static void test_max_call_depth_is_exact(void **state) {
    (void)state;
    wb_rt rt;
    elvm_error err;
    elvm_config cfg;
    elvm_config_default(&cfg);
    cfg.max_call_depth = 100;
    open_recursion_module(&rt, &cfg);
    elvm_func *down = wb_rt_func(&rt, "down");
    elvm_val arg = wb_i32(99); /* 100 frames: allowed */
    assert_int_equal(elvm_func_call(rt.store, down, &arg, 1, NULL, 0, &err), ELVM_OK);
    arg = wb_i32(100); /* 101 frames: one too many */
    expect_stack_exhausted(elvm_func_call(rt.store, down, &arg, 1, NULL, 0, &err), &err);
    /* the store recovers */
    arg = wb_i32(10);
    assert_int_equal(elvm_func_call(rt.store, down, &arg, 1, NULL, 0, &err), ELVM_OK);
    wb_rt_close(&rt);
}

static void test_value_stack_exhaustion_traps(void **state) {
    (void)state;
    wb_rt rt;
    elvm_error err;
    elvm_config cfg;
    elvm_config_default(&cfg);
    cfg.max_call_depth = 1000000;
    cfg.value_stack_slots = 4096; /* about 20 frames of "fat" */
    open_recursion_module(&rt, &cfg);
    elvm_val arg = wb_i32(1000);
    expect_stack_exhausted(elvm_func_call(rt.store, wb_rt_func(&rt, "fat"), &arg, 1, NULL, 0, &err),
                           &err);
    arg = wb_i32(3);
    assert_int_equal(elvm_func_call(rt.store, wb_rt_func(&rt, "fat"), &arg, 1, NULL, 0, &err), ELVM_OK);
    wb_rt_close(&rt);
}

/* ---- backtraces ------------------------------------------------------------------------------- */

static void test_backtrace_names_frames(void **state) {
    (void)state;
    wb_rt rt;
    elvm_error err;
    /* outer (0) calls middle (1, no name) calls inner (2), which traps */
    wb_fn f[3] = {
        {"", "", WB_CODE(0x00, W_CALL, 1, W_END), "outer", "outer"},
        {"", "", WB_CODE(0x00, W_CALL, 2, W_END), NULL, NULL},
        {"", "", WB_CODE(0x00, W_UNREACHABLE, W_END), NULL, "inner"},
    };
    wb_mod m = {.funcs = f, .nfuncs = 3};
    wb_rt_open(&rt, NULL, &m, NULL, 0);
    assert_int_equal(elvm_func_call(rt.store, wb_rt_func(&rt, "outer"), NULL, 0, NULL, 0, &err),
                     ELVM_TRAP);
    assert_int_equal(err.trap, ELVM_TRAP_UNREACHABLE);
    assert_prefix(err.msg, "unreachable");
    assert_null(strchr(err.msg, '\n')); /* the message is one line, never the backtrace */

    char bt[512];
    static const char want[] = "  #0 func[2] <inner>\n  #1 func[1]\n  #2 func[0] <outer>\n";
    size_t n = elvm_store_backtrace(rt.store, bt, sizeof bt);
    assert_string_equal(bt, want);
    assert_int_equal(n, strlen(want));

    /* a small buffer: truncated, NUL-terminated, and the full length still returned */
    memset(bt, 'x', sizeof bt);
    n = elvm_store_backtrace(rt.store, bt, 10);
    assert_int_equal(n, strlen(want));
    assert_true(strlen(bt) < 10);
    assert_true(strncmp(bt, want, strlen(bt)) == 0);
    assert_int_equal(bt[10], 'x'); /* nothing written past cap */
    wb_rt_close(&rt);
}

int main(void) {
    wb_watchdog(300);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuel_is_deterministic_and_per_instruction),
        cmocka_unit_test(test_fuel_counts_callees),
        cmocka_unit_test(test_fuel_budget_spans_calls_until_reset),
        cmocka_unit_test(test_out_of_fuel_traps),
        cmocka_unit_test(test_out_of_fuel_stops_an_endless_loop),
        cmocka_unit_test(test_fuel_off_ignores_the_budget),
        cmocka_unit_test(test_fuel_without_a_budget_runs),
        cmocka_unit_test(test_fuel_consumed_on_a_fresh_store),
        cmocka_unit_test(test_fuel_after_an_out_of_bounds_trap),
        cmocka_unit_test(test_infinite_recursion_traps_with_depth_100),
        cmocka_unit_test(test_infinite_recursion_traps_with_defaults),
        cmocka_unit_test(test_max_call_depth_is_exact),
        cmocka_unit_test(test_value_stack_exhaustion_traps),
        cmocka_unit_test(test_backtrace_names_frames),
    };
    return cmocka_run_group_tests_name("fuel, call depth and backtraces", tests, NULL, NULL);
}
