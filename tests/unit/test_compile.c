/* test_compile.c: where compiled code lives and when it is made (vm/compile.c).
 * - A module's code fills its first chunk (sized from the code section) and goes on in
 *   the next: calls crossing from one chunk into another and back run as anywhere else,
 *   with and without fuel. A function that outgrows the room left in a chunk moves to a
 *   new one halfway through, with its forward and backward branches, eagerly and lazily.
 * - Lazily, a module is only validated when made; each function compiles on its first
 *   call, to the same code (the same total size once all ran), with the same fuel
 *   consumption, from several threads at once, and a compile that finds no memory traps
 *   ELVM_TRAP_HOST and leaves the function to compile on a later call.
 * - ELVM_COMPILE_AUTO compiles lazily from 1 MiB of wasm code, eagerly below. */
#include <pthread.h>

#include "wasm_builder.h"

enum { NFUNCS = 3000, ADDS = 20 };

/* Function i, (i32) -> i32: x, or f(i-1)(x) when i > 0, then `adds` times + (i + 1).
 * So f_i(x) = x + adds * (i + 1) * (i + 2) / 2. */
static int64_t expected(uint32_t adds, uint32_t i, int32_t x) {
    return (int64_t)x + (int64_t)adds * (i + 1) * (i + 2) / 2;
}

typedef struct big_module {
    uint32_t nfuncs, adds;
    wb bytes;
    wb *code;
    wb_fn *fns;
} big_module;

static void build(big_module *b, uint32_t nfuncs, uint32_t adds) {
    memset(b, 0, sizeof *b);
    b->nfuncs = nfuncs;
    b->adds = adds;
    b->code = calloc(nfuncs, sizeof *b->code);
    b->fns = calloc(nfuncs, sizeof *b->fns);
    assert_non_null(b->code);
    assert_non_null(b->fns);
    for (uint32_t i = 0; i < nfuncs; i++) {
        wb *c = &b->code[i];
        wb_u32(c, 0); /* no locals */
        WB_BYTES(c, W_LOCAL_GET, 0);
        if (i > 0) {
            wb_byte(c, W_CALL);
            wb_u32(c, i - 1);
        }
        for (uint32_t k = 0; k < adds; k++) {
            wb_byte(c, W_I32_CONST);
            wb_s32(c, (int32_t)(i + 1));
            wb_byte(c, W_I32_ADD);
        }
        wb_byte(c, W_END);
        b->fns[i] = (wb_fn){"i", "i", c->p, c->len, NULL, NULL};
    }
    b->fns[0].export_name = "first";
    b->fns[nfuncs / 2].export_name = "middle";
    b->fns[nfuncs - 1].export_name = "last";
    wb_mod m = {.funcs = b->fns, .nfuncs = nfuncs};
    wb_build(&m, &b->bytes);
}

static void big_module_free(big_module *b) {
    for (uint32_t i = 0; i < b->nfuncs; i++) wb_free(&b->code[i]);
    free(b->code);
    free(b->fns);
    wb_free(&b->bytes);
}

/* Calls `name`(x); returns the status, the result in *res and the error in *err. */
static elvm_status call(elvm_store *store, elvm_instance *inst, const char *name, int32_t x,
                        int32_t *res, elvm_error *err) {
    elvm_extern ext;
    if (!elvm_instance_export(inst, name, &ext)) fail_msg("no export \"%s\"", name);
    elvm_val arg = wb_i32(x), out;
    memset(err, 0, sizeof *err);
    elvm_status st = elvm_func_call(store, ext.of.func, &arg, 1, &out, 1, err);
    if (st == ELVM_OK) *res = out.of.i32;
    return st;
}

static void call_ok(wb_rt *rt, const big_module *b, const char *name, uint32_t i, int32_t x) {
    int32_t res = 0;
    elvm_error err;
    elvm_status st = call(rt->store, rt->inst, name, x, &res, &err);
    if (st != ELVM_OK) fail_msg("%s(%d): %s: %s", name, x, elvm_strerror(st), err.msg);
    assert_int_equal(res, (int32_t)expected(b->adds, i, x));
}

static uint64_t code_bytes(const elvm_module *m) {
    elvm_module_stats st;
    elvm_module_stats_get(m, &st);
    return st.code_bytes;
}

/* The bytes of compiled code the module's first chunk holds (compile.c's
 * first_chunk_bytes: 5.5 per byte of wasm code and 1 KiB, up to 4 MiB), less its header. */
static uint64_t first_chunk(const elvm_module *m) {
    elvm_module_stats st;
    elvm_module_stats_get(m, &st);
    uint64_t want = st.wasm_code_bytes / 2 * 11 + 1024;
    return want > (4u << 20) ? (4u << 20) : want;
}

static void open_big(wb_rt *rt, const big_module *b, int fuel, int compile) {
    elvm_config cfg;
    elvm_config_default(&cfg);
    cfg.fuel = fuel;
    cfg.compile = compile;
    wb_rt_init(rt, &cfg);
    if (fuel) elvm_store_set_fuel(rt->store, UINT64_MAX / 2);
    wb_rt_load(rt, b->bytes.p, b->bytes.len, NULL, 0);
}

/* ---- code in chunks -------------------------------------------------------------------- */

static void run_chunks(int fuel) {
    big_module b;
    build(&b, NFUNCS, ADDS);
    wb_rt rt;
    open_big(&rt, &b, fuel, ELVM_COMPILE_EAGER);
    if (code_bytes(rt.module) <= first_chunk(rt.module))
        fail_msg("%llu bytes of code fit in the first chunk (%llu): no second one",
                 (unsigned long long)code_bytes(rt.module),
                 (unsigned long long)first_chunk(rt.module));
    call_ok(&rt, &b, "first", 0, 7);
    call_ok(&rt, &b, "middle", NFUNCS / 2, -3);
    call_ok(&rt, &b, "last", NFUNCS - 1, 7); /* through every function */
    wb_rt_close(&rt);
    big_module_free(&b);
}

static void test_code_in_chunks(void **state) {
    (void)state;
    run_chunks(0);
}

static void test_code_in_chunks_with_fuel(void **state) {
    (void)state;
    run_chunks(1);
}

/* One function, (i32) -> i32, x + NADDS + 6: a loop counting its local to 3 and a
 * br_table of NTARGETS labels that all leave a block; then NADDS adds of 1 to x in a row,
 * straight-line code of ~8 compiled bytes per wasm byte, more than the first chunk
 * (5.5 per wasm byte) holds, so the function moves to a new chunk halfway through them;
 * then the same loop counting on to 6 and the same br_table. Each branch kind is used on
 * both sides of the move. */
enum { NTARGETS = 100, NADDS = 3000 };

static void outgrowing_loop(wb *code, int upto) {
    WB_BYTES(code, W_LOOP, W_BLOCKTYPE_EMPTY, W_LOCAL_GET, 1, W_I32_CONST, 1, W_I32_ADD,
             W_LOCAL_TEE, 1, W_I32_CONST, (uint8_t)upto, W_I32_LT_S, W_BR_IF, 0, W_END);
}

static void outgrowing_table(wb *code) {
    WB_BYTES(code, W_BLOCK, W_BLOCKTYPE_EMPTY, W_LOCAL_GET, 0, 0x0E); /* br_table */
    wb_u32(code, NTARGETS);
    for (int i = 0; i < NTARGETS; i++) wb_byte(code, 0);
    WB_BYTES(code, 0, W_END); /* default label, end of the block */
}

static void build_outgrowing(wb *code, wb *bytes) {
    memset(code, 0, sizeof *code);
    WB_BYTES(code, 0x01, 0x01, W_I32); /* one i32 local */
    outgrowing_loop(code, 3);
    outgrowing_table(code);
    wb_byte(code, W_LOCAL_GET);
    wb_byte(code, 0);
    for (int i = 0; i < NADDS; i++) WB_BYTES(code, W_I32_CONST, 1, W_I32_ADD);
    WB_BYTES(code, W_LOCAL_SET, 0);
    outgrowing_loop(code, 6);
    outgrowing_table(code);
    WB_BYTES(code, W_LOCAL_GET, 0, W_LOCAL_GET, 1, W_I32_ADD, W_END);
    wb_fn fn = {"i", "i", code->p, code->len, "f", NULL};
    wb_mod m = {.funcs = &fn, .nfuncs = 1};
    wb_build(&m, bytes);
}

static void run_outgrowing(int fuel, int compile) {
    wb code, bytes;
    build_outgrowing(&code, &bytes);
    elvm_config cfg;
    elvm_config_default(&cfg);
    cfg.fuel = fuel;
    cfg.compile = compile;
    wb_rt rt;
    wb_rt_init(&rt, &cfg);
    if (fuel) elvm_store_set_fuel(rt.store, 1u << 30);
    wb_rt_load(&rt, bytes.p, bytes.len, NULL, 0);
    /* every target of the first table and the default */
    for (int32_t x = -2; x <= NTARGETS + 1; x++) {
        int32_t res = 0;
        elvm_error err;
        elvm_status st = call(rt.store, rt.inst, "f", x, &res, &err);
        if (st != ELVM_OK) fail_msg("f(%d): %s: %s", x, elvm_strerror(st), err.msg);
        if (res != x + NADDS + 6) fail_msg("f(%d) = %d, want %d", x, res, x + NADDS + 6);
    }
    if (code_bytes(rt.module) <= first_chunk(rt.module))
        fail_msg("%llu bytes of code fit in the first chunk (%llu): the function did not move",
                 (unsigned long long)code_bytes(rt.module),
                 (unsigned long long)first_chunk(rt.module));
    wb_rt_close(&rt);
    wb_free(&code);
    wb_free(&bytes);
}

static void test_function_outgrows_chunk(void **state) {
    (void)state;
    run_outgrowing(0, ELVM_COMPILE_EAGER);
    run_outgrowing(1, ELVM_COMPILE_EAGER);
    run_outgrowing(0, ELVM_COMPILE_LAZY);
    run_outgrowing(1, ELVM_COMPILE_LAZY);
}

/* ---- lazy compilation ------------------------------------------------------------------ */

/* Lazily: nothing compiled when made, one function after "first", all after "last", and
 * then exactly the eager module's code size; the same fuel for the same call. */
static void run_lazy(int fuel) {
    big_module b;
    build(&b, NFUNCS, ADDS);
    wb_rt eager, lazy;
    open_big(&eager, &b, fuel, ELVM_COMPILE_EAGER);
    open_big(&lazy, &b, fuel, ELVM_COMPILE_LAZY);
    assert_int_equal(code_bytes(lazy.module), 0);
    call_ok(&lazy, &b, "first", 0, 7);
    call_ok(&eager, &b, "first", 0, 7);
    uint64_t one = code_bytes(lazy.module);
    assert_true(one > 0 && one < 4096);
    call_ok(&lazy, &b, "middle", NFUNCS / 2, -3);
    call_ok(&eager, &b, "middle", NFUNCS / 2, -3);
    if (fuel)
        assert_int_equal(elvm_store_fuel_consumed(lazy.store), elvm_store_fuel_consumed(eager.store));
    call_ok(&lazy, &b, "last", NFUNCS - 1, 5);
    call_ok(&eager, &b, "last", NFUNCS - 1, 5);
    if (fuel)
        assert_int_equal(elvm_store_fuel_consumed(lazy.store), elvm_store_fuel_consumed(eager.store));
    assert_int_equal(code_bytes(lazy.module), code_bytes(eager.module));
    call_ok(&lazy, &b, "last", NFUNCS - 1, -9); /* compiled now: straight through */
    wb_rt_close(&eager);
    wb_rt_close(&lazy);
    big_module_free(&b);
}

static void test_lazy(void **state) {
    (void)state;
    run_lazy(0);
}

static void test_lazy_with_fuel(void **state) {
    (void)state;
    run_lazy(1);
}

/* Threads with a store each, sharing one lazily compiled module, all calling through every
 * function at once: each compile happens once, every result is right. */
enum { NTHREADS = 4 };

typedef struct worker {
    elvm_engine *engine;
    elvm_module *module;
    const big_module *b;
    int32_t res;
    elvm_status st;
    char msg[320];
} worker;

static void *work(void *arg) {
    worker *w = arg;
    elvm_error err;
    memset(&err, 0, sizeof err);
    elvm_store *store = elvm_store_new(w->engine);
    elvm_instance *inst = store ? elvm_instance_new(store, w->module, NULL, 0, &err) : NULL;
    w->st = inst ? call(store, inst, "last", 11, &w->res, &err) : ELVM_NOMEM;
    snprintf(w->msg, sizeof w->msg, "%s", err.msg);
    elvm_store_free(store);
    return NULL;
}

static void test_lazy_threads(void **state) {
    (void)state;
    big_module b;
    build(&b, NFUNCS, ADDS);
    elvm_config cfg;
    elvm_config_default(&cfg);
    cfg.compile = ELVM_COMPILE_LAZY;
    elvm_engine *engine = elvm_engine_new(&cfg);
    assert_non_null(engine);
    elvm_error err;
    memset(&err, 0, sizeof err);
    elvm_module *m = elvm_module_new(engine, b.bytes.p, b.bytes.len, &err);
    if (!m) fail_msg("elvm_module_new: %s", err.msg);
    worker w[NTHREADS];
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (worker){.engine = engine, .module = m, .b = &b};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
        if (w[i].st != ELVM_OK) fail_msg("thread %d: %s: %s", i, elvm_strerror(w[i].st), w[i].msg);
        assert_int_equal(w[i].res, (int32_t)expected(ADDS, NFUNCS - 1, 11));
    }
    /* the eager module's size: every function compiled once */
    wb_rt eager;
    open_big(&eager, &b, 0, ELVM_COMPILE_EAGER);
    assert_int_equal(code_bytes(m), code_bytes(eager.module));
    wb_rt_close(&eager);
    elvm_module_free(m);
    elvm_engine_free(engine);
    big_module_free(&b);
}

/* An allocator that refuses everything while `refuse` is set. */
static int refuse;
static void *a_malloc(size_t n, void *ud) { return (void)ud, refuse ? NULL : malloc(n); }
static void *a_realloc(void *p, size_t n, void *ud) { return (void)ud, refuse ? NULL : realloc(p, n); }
static void a_free(void *p, void *ud) { (void)ud, free(p); }

static void test_lazy_out_of_memory(void **state) {
    (void)state;
    big_module b;
    build(&b, 10, 3);
    elvm_allocator a = {.malloc = a_malloc, .realloc = a_realloc, .free = a_free};
    elvm_set_allocator(&a);
    wb_rt rt;
    open_big(&rt, &b, 0, ELVM_COMPILE_LAZY);
    int32_t res = 0;
    elvm_error err;
    refuse = 1;
    elvm_status st = call(rt.store, rt.inst, "first", 1, &res, &err);
    refuse = 0;
    assert_int_equal(st, ELVM_TRAP);
    assert_int_equal(err.trap, ELVM_TRAP_HOST);
    assert_contains(err.msg, "cannot compile function 0: out of memory");
    assert_int_equal(code_bytes(rt.module), 0);
    call_ok(&rt, &b, "first", 0, 1); /* memory again: it compiles now */
    call_ok(&rt, &b, "last", 9, 2);
    wb_rt_close(&rt);
    elvm_set_allocator(NULL);
    big_module_free(&b);
}

/* AUTO: lazily from 1 MiB of wasm code (here 1.2 MB), eagerly below (the 3000-function
 * module has 0.2 MB). */
static void test_auto(void **state) {
    (void)state;
    big_module big, small;
    build(&big, 1000, 400);
    build(&small, NFUNCS, ADDS);
    assert_true(big.bytes.len > (1u << 20));
    assert_true(small.bytes.len < (1u << 20));
    wb_rt rt;
    open_big(&rt, &big, 0, ELVM_COMPILE_AUTO);
    assert_int_equal(code_bytes(rt.module), 0);
    call_ok(&rt, &big, "first", 0, 3);
    assert_true(code_bytes(rt.module) > 0);
    wb_rt_close(&rt);
    open_big(&rt, &small, 0, ELVM_COMPILE_AUTO);
    assert_true(code_bytes(rt.module) > (1u << 20));
    wb_rt_close(&rt);
    big_module_free(&big);
    big_module_free(&small);
}

int main(void) {
    wb_watchdog(300);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_in_chunks),
        cmocka_unit_test(test_code_in_chunks_with_fuel),
        cmocka_unit_test(test_function_outgrows_chunk),
        cmocka_unit_test(test_lazy),
        cmocka_unit_test(test_lazy_with_fuel),
        cmocka_unit_test(test_lazy_threads),
        cmocka_unit_test(test_lazy_out_of_memory),
        cmocka_unit_test(test_auto),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
