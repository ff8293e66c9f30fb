/* test_cli_alloc.c: cli/alloc.c, the static elvm's start-up region allocator: blocks cut
 * in order, aligned and apart; calloc zeroed even where a given-back block was written;
 * the newest block grows in place and is given back; older ones are copied from; past
 * the region the C library serves, big zeroed blocks included; and the library runs a
 * module on it. The file is included, so its state (region, top, newest) can be seen. */
#include "../../cli/alloc.c"

#include "wasm_builder.h"

static int reset(void **state) {
    (void)state;
    top = 0;
    newest = (size_t)-1;
    return 0;
}

static void test_blocks_in_order(void **state) {
    (void)state;
    unsigned char *a = r_malloc(24, NULL), *b = r_malloc(1, NULL), *c = r_malloc(100, NULL);
    assert_true(in_region(a) && in_region(b) && in_region(c));
    assert_ptr_equal(a, region + HDR);
    assert_ptr_equal(b, a + 32 + HDR); /* 24 bytes round to 32 */
    assert_ptr_equal(c, b + 16 + HDR);
    assert_int_equal((uintptr_t)c % 16, 0);
    memset(a, 1, 24);
    memset(b, 2, 1);
    memset(c, 3, 100);
    assert_int_equal(a[23], 1);
    assert_int_equal(b[0], 2);
    assert_int_equal(block_size(a), 24);
    assert_int_equal(block_size(c), 100);
    assert_int_equal(top, 3 * HDR + 32 + 16 + 112);
}

/* The newest block is given back; calloc then zeroes the bytes it had written. An older
 * block's free gives nothing back. */
static void test_free_and_calloc(void **state) {
    (void)state;
    unsigned char *a = r_malloc(64, NULL);
    unsigned char *b = r_malloc(64, NULL);
    memset(b, 0xEE, 64);
    r_free(b, NULL);
    assert_int_equal(top, HDR + 64);
    unsigned char *z = r_calloc(8, 8, NULL);
    assert_ptr_equal(z, b);
    for (int i = 0; i < 64; i++) assert_int_equal(z[i], 0);
    size_t before = top;
    r_free(a, NULL); /* not the newest: stays */
    assert_int_equal(top, before);
    /* count * size overflows to 16 bytes, which the region would have */
    assert_null(r_calloc(((size_t)1 << 60) + 1, 16, NULL));
    assert_int_equal(top, before);
}

static void test_grow_or_copy(void **state) {
    (void)state;
    unsigned char *a = r_malloc(16, NULL);
    for (int i = 0; i < 16; i++) a[i] = (unsigned char)i;
    unsigned char *a2 = r_realloc(a, 1000, NULL); /* newest: grows where it is */
    assert_ptr_equal(a2, a);
    assert_int_equal(block_size(a2), 1000);
    assert_int_equal(top, HDR + 1008);
    unsigned char *b = r_malloc(16, NULL);
    unsigned char *a3 = r_realloc(a2, 2000, NULL); /* no longer the newest: copied */
    assert_true(a3 != a2 && a3 > b && in_region(a3));
    for (int i = 0; i < 16; i++) assert_int_equal(a3[i], i);
    assert_ptr_equal(r_realloc(a3, 10, NULL), a3); /* shrinking keeps the block */
    (void)b;
}

/* Past the region, blocks come from the C library and go back to it; so do blocks too
 * big for it, and a big zeroed block is zero. */
static void test_past_the_region(void **state) {
    (void)state;
    void *big = r_calloc(1 << 20, 8, NULL); /* 8 MiB, as a value stack */
    assert_non_null(big);
    assert_false(in_region(big));
    assert_int_equal(((unsigned char *)big)[(8 << 20) - 1], 0);
    r_free(big, NULL);
    void *p[REGION / 1024 + 2];
    int n = 0, outside = -1;
    for (; n < (int)(sizeof p / sizeof *p); n++) {
        p[n] = r_malloc(1000, NULL);
        assert_non_null(p[n]);
        if (!in_region(p[n])) {
            outside = n;
            break;
        }
    }
    assert_true(outside > 200); /* 256 KiB held ~250 blocks of 1 KiB */
    void *q = r_realloc(p[outside - 1], 5000, NULL); /* newest in the region, no room */
    assert_false(in_region(q));
    void *q2 = r_realloc(q, 50000, NULL); /* a C library block grows there */
    assert_non_null(q2);
    r_free(q2, NULL);
    r_free(p[outside], NULL);
    for (int i = 0; i < outside - 1; i++) r_free(p[i], NULL);
}

/* The library on it: a module that adds, called. */
static void test_library_runs_on_it(void **state) {
    (void)state;
    cli_alloc_install();
    const wb_fn fn = {"ii", "i", WB_CODE(0x00, W_LOCAL_GET, 0, W_LOCAL_GET, 1, W_I32_ADD, W_END),
                      "add", NULL};
    wb_mod m = {.funcs = &fn, .nfuncs = 1};
    wb_rt rt;
    wb_rt_open(&rt, NULL, &m, NULL, 0);
    assert_true(top > 0); /* the library's blocks came from the region */
    elvm_val args[2] = {wb_i32(40), wb_i32(2)}, res;
    elvm_error err;
    assert_int_equal(elvm_func_call(rt.store, wb_rt_func(&rt, "add"), args, 2, &res, 1, &err),
                     ELVM_OK);
    assert_int_equal(res.of.i32, 42);
    wb_rt_close(&rt);
    elvm_set_allocator(NULL);
}

int main(void) {
    wb_watchdog(60);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_blocks_in_order, reset),
        cmocka_unit_test_setup(test_free_and_calloc, reset),
        cmocka_unit_test_setup(test_grow_or_copy, reset),
        cmocka_unit_test_setup(test_past_the_region, reset),
        cmocka_unit_test_setup(test_library_runs_on_it, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
