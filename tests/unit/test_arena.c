/* test_arena.c: vm/arena.c, the bump allocator a module's decoded parts live in: objects
 * aligned, zeroed and apart; few blocks for many objects; a large object in a block of its
 * own without giving up the current block; out of memory as NULL; everything freed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

/* An allocator hook that counts, fills new blocks with 0xAA (so zeroing is seen), and
 * refuses every allocation once `refuse` is set. */
static struct {
    long mallocs, frees;
    size_t last_size; /* of the newest block */
    bool refuse;
} hk;

static void *hk_malloc(size_t n, void *ud) {
    (void)ud;
    if (hk.refuse) return NULL;
    void *p = malloc(n);
    if (p) {
        memset(p, 0xAA, n);
        hk.mallocs++;
        hk.last_size = n;
    }
    return p;
}
static void *hk_realloc(void *p, size_t n, void *ud) {
    (void)ud;
    return hk.refuse ? NULL : realloc(p, n);
}
static void hk_free(void *p, void *ud) {
    (void)ud;
    hk.frees++;
    free(p);
}
static const elvm_allocator hook = {.malloc = hk_malloc, .realloc = hk_realloc, .free = hk_free};

static int setup(void **state) {
    (void)state;
    memset(&hk, 0, sizeof hk);
    elvm_set_allocator(&hook);
    return 0;
}
static int teardown(void **state) {
    (void)state;
    elvm_set_allocator(NULL);
    return 0;
}

static bool all_zero(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return false;
    return true;
}

/* 1000 objects of 1 to 40 bytes: each aligned to 16 and zeroed, none overlapping (each is
 * filled with its own byte, all checked at the end), in a few blocks, all freed. */
static void test_small_objects(void **state) {
    (void)state;
    enum { N = 1000 };
    elvm_arena a = {0};
    unsigned char *obj[N];
    size_t len[N];
    for (int i = 0; i < N; i++) {
        len[i] = (size_t)(i % 40) + 1;
        obj[i] = elvm__arena_alloc(&a, len[i]);
        assert_non_null(obj[i]);
        assert_int_equal((uintptr_t)obj[i] % 16, 0);
        assert_true(all_zero(obj[i], len[i]));
        memset(obj[i], i % 251 + 1, len[i]);
    }
    for (int i = 0; i < N; i++)
        for (size_t k = 0; k < len[i]; k++)
            if (obj[i][k] != i % 251 + 1) fail_msg("object %d byte %zu overwritten", i, k);
    /* 1000 objects of at most 48 bytes with padding: 4 KiB, 8 KiB, 16 KiB, 32 KiB blocks */
    assert_in_range(hk.mallocs, 2, 4);
    elvm__arena_free(&a);
    assert_int_equal(hk.frees, hk.mallocs);
    assert_null(a.head);
}

/* A large object gets a block of its own, and the next small object still goes in the
 * block that was being filled (no new block for it). */
static void test_large_object_own_block(void **state) {
    (void)state;
    elvm_arena a = {0};
    unsigned char *s1 = elvm__arena_alloc(&a, 32);
    assert_non_null(s1);
    assert_int_equal(hk.mallocs, 1);
    unsigned char *big = elvm__arena_alloc(&a, 100000);
    assert_non_null(big);
    assert_int_equal(hk.mallocs, 2);
    assert_true(all_zero(big, 100000));
    memset(big, 0x55, 100000);
    unsigned char *s2 = elvm__arena_alloc(&a, 32);
    assert_non_null(s2);
    assert_int_equal(hk.mallocs, 2);
    assert_ptr_equal(s2, s1 + 32); /* right after the first, in the same block */
    assert_true(all_zero(s2, 32));
    assert_true(all_zero(s1, 32));
    /* a large object as the arena's first: the small one after it gets a first-sized
     * block (one page), not one sized from the large object's */
    elvm_arena b = {0};
    assert_non_null(elvm__arena_alloc(&b, 200000));
    assert_non_null(elvm__arena_alloc(&b, 8));
    assert_true(hk.last_size <= 4096);
    elvm__arena_free(&a);
    elvm__arena_free(&b);
    assert_int_equal(hk.frees, hk.mallocs);
}

/* Out of memory is NULL, and the arena stays usable and freeable; a size that cannot be
 * allocated at all is NULL without asking the allocator. */
static void test_out_of_memory(void **state) {
    (void)state;
    elvm_arena a = {0};
    assert_non_null(elvm__arena_alloc(&a, 16));
    hk.refuse = true;
    assert_non_null(elvm__arena_alloc(&a, 16)); /* room left in the block */
    assert_null(elvm__arena_alloc(&a, 100000)); /* needs its own block */
    assert_null(elvm__arena_alloc(&a, 4020));   /* more than the 4000 bytes left */
    hk.refuse = false;
    long before = hk.mallocs;
    assert_null(elvm__arena_alloc(&a, SIZE_MAX));
    assert_null(elvm__arena_alloc(&a, SIZE_MAX - 8));
    assert_int_equal(hk.mallocs, before);
    assert_non_null(elvm__arena_alloc(&a, 4020));
    elvm__arena_free(&a);
    assert_int_equal(hk.frees, hk.mallocs);
    /* freed, the arena is empty and can be used again; freeing an empty one is nothing */
    assert_non_null(elvm__arena_alloc(&a, 0));
    elvm__arena_free(&a);
    elvm__arena_free(&a);
    assert_int_equal(hk.frees, hk.mallocs);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_small_objects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_object_own_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
