/* test_compile.c: where compiled code lives. A module past 1 MiB of compiled code puts
 * its later functions' code into large shared chunks (vm/compile.c, "where the code
 * lives"); calls that cross from functions with their own block into chunked ones and
 * back must run as anywhere else, with and without fuel, and the module must free both
 * kinds (the ASan build checks that). */
#include "wasm_builder.h"

enum { NFUNCS = 3000, ADDS = 20 };

/* Function i, (i32) -> i32: x, or f(i-1)(x) when i > 0, then ADDS times + (i + 1). So
 * f_i(x) = x + ADDS * (i + 1) * (i + 2) / 2. */
static int64_t expected(uint32_t i, int32_t x) {
    return (int64_t)x + (int64_t)ADDS * (i + 1) * (i + 2) / 2;
}

typedef struct big_module {
    wb bytes;
    wb code[NFUNCS];
    wb_fn fns[NFUNCS];
} big_module;

static void build(big_module *b) {
    memset(b, 0, sizeof *b);
    for (uint32_t i = 0; i < NFUNCS; i++) {
        wb *c = &b->code[i];
        wb_u32(c, 0); /* no locals */
        WB_BYTES(c, W_LOCAL_GET, 0);
        if (i > 0) {
            wb_byte(c, W_CALL);
            wb_u32(c, i - 1);
        }
        for (int k = 0; k < ADDS; k++) {
            wb_byte(c, W_I32_CONST);
            wb_s32(c, (int32_t)(i + 1));
            wb_byte(c, W_I32_ADD);
        }
        wb_byte(c, W_END);
        b->fns[i] = (wb_fn){"i", "i", c->p, c->len, NULL, NULL};
    }
    b->fns[0].export_name = "first";
    b->fns[NFUNCS / 2].export_name = "middle";
    b->fns[NFUNCS - 1].export_name = "last";
    wb_mod m = {.funcs = b->fns, .nfuncs = NFUNCS};
    wb_build(&m, &b->bytes);
}

static void big_module_free(big_module *b) {
    for (uint32_t i = 0; i < NFUNCS; i++) wb_free(&b->code[i]);
    wb_free(&b->bytes);
}

static void call_i32(wb_rt *rt, const char *name, int32_t x, int64_t want) {
    elvm_val arg = wb_i32(x), res;
    elvm_error err;
    memset(&err, 0, sizeof err);
    elvm_status st = elvm_func_call(rt->store, wb_rt_func(rt, name), &arg, 1, &res, 1, &err);
    if (st != ELVM_OK) fail_msg("%s(%d): %s: %s", name, x, elvm_strerror(st), err.msg);
    assert_int_equal(res.type, ELVM_I32);
    assert_int_equal(res.of.i32, (int32_t)want);
}

static void run_big(const elvm_config *cfg) {
    big_module *b = malloc(sizeof *b);
    assert_non_null(b);
    build(b);
    wb_rt rt;
    wb_rt_init(&rt, cfg);
    if (cfg && cfg->fuel) elvm_store_set_fuel(rt.store, UINT64_MAX / 2);
    wb_rt_load(&rt, b->bytes.p, b->bytes.len, NULL, 0);
    elvm_module_stats st;
    elvm_module_stats_get(rt.module, &st);
    if (st.code_bytes < (3u << 20) / 2) /* chunks take over at 1 MiB */
        fail_msg("only %llu bytes of code: the chunks are not reached",
                 (unsigned long long)st.code_bytes);
    call_i32(&rt, "first", 7, expected(0, 7));
    call_i32(&rt, "middle", -3, expected(NFUNCS / 2, -3));
    call_i32(&rt, "last", 7, expected(NFUNCS - 1, 7)); /* through every function */
    wb_rt_close(&rt);
    big_module_free(b);
    free(b);
}

static void test_code_in_chunks(void **state) {
    (void)state;
    run_big(NULL);
}

static void test_code_in_chunks_with_fuel(void **state) {
    (void)state;
    elvm_config cfg;
    elvm_config_default(&cfg);
    cfg.fuel = 1;
    run_big(&cfg);
}

int main(void) {
    wb_watchdog(120);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_in_chunks),
        cmocka_unit_test(test_code_in_chunks_with_fuel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
