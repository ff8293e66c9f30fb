/* test_leb128.c: the LEB128 readers of vm/read.c (spec 5.2.2) on plain buffers: values,
 * padded maximum-length encodings, and each way an encoding can be malformed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "module.h"

/* Decodes `n` bytes as an unsigned `bits`-bit LEB128 and checks length and value. A
 * `want_len` of 0 means the encoding must be rejected. */
static void check_u(unsigned bits, const uint8_t *p, size_t n, size_t want_len, uint64_t want,
                    int line) {
    uint64_t v = 0xDEADBEEF;
    size_t got = elvm__leb_u(p, p + n, bits, &v);
    if (got != want_len)
        fail_msg("line %d: u%u: used %zu bytes, want %zu", line, bits, got, want_len);
    if (want_len && v != want)
        fail_msg("line %d: u%u: value %#llx, want %#llx", line, bits, (unsigned long long)v,
                 (unsigned long long)want);
}

static void check_s(unsigned bits, const uint8_t *p, size_t n, size_t want_len, int64_t want,
                    int line) {
    int64_t v = 0xDEADBEEF;
    size_t got = elvm__leb_s(p, p + n, bits, &v);
    if (got != want_len)
        fail_msg("line %d: s%u: used %zu bytes, want %zu", line, bits, got, want_len);
    if (want_len && v != want)
        fail_msg("line %d: s%u: value %lld, want %lld", line, bits, (long long)v, (long long)want);
}

#define BYTES(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})
/* U(bits, want_len, want, bytes...) / S(...): one case each */
#define U(bits, len, want, ...) check_u(bits, BYTES(__VA_ARGS__), len, want, __LINE__)
#define S(bits, len, want, ...) check_s(bits, BYTES(__VA_ARGS__), len, want, __LINE__)
#define REJECT_U(bits, ...) check_u(bits, BYTES(__VA_ARGS__), 0, 0, __LINE__)
#define REJECT_S(bits, ...) check_s(bits, BYTES(__VA_ARGS__), 0, 0, __LINE__)

/* ---- u32 ------------------------------------------------------------------------------ */

static void test_u32_values(void **state) {
    (void)state;
    U(32, 1, 0, 0x00);
    U(32, 1, 127, 0x7F);
    U(32, 2, 128, 0x80, 0x01);
    U(32, 3, 624485, 0xE5, 0x8E, 0x26); /* the classic example: 0x98765 */
    U(32, 5, UINT32_MAX, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F);
    U(32, 5, 0x80000000u, 0x80, 0x80, 0x80, 0x80, 0x08);
}

static void test_u32_stops_at_last_byte(void **state) {
    (void)state;
    /* bytes after the terminating one are not part of the number */
    U(32, 1, 1, 0x01, 0xFF, 0xFF);
    U(32, 2, 0x81, 0x81, 0x01, 0x80);
}

static void test_u32_padded_encodings(void **state) {
    (void)state;
    /* non-minimal encodings are valid as long as they fit in ceil(32/7) = 5 bytes */
    U(32, 5, 0, 0x80, 0x80, 0x80, 0x80, 0x00);
    U(32, 3, 3, 0x83, 0x80, 0x00);
    U(32, 5, 127, 0xFF, 0x80, 0x80, 0x80, 0x00);
    U(32, 2, 0, 0x80, 0x00);
}

static void test_u32_overlong_rejected(void **state) {
    (void)state;
    /* a 6th byte is never allowed, even when it contributes nothing */
    REJECT_U(32, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00);
    REJECT_U(32, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F);
}

static void test_u32_unused_bits_rejected(void **state) {
    (void)state;
    /* the 5th byte holds bits 28..31 only: its bits 4..6 must be zero */
    REJECT_U(32, 0x80, 0x80, 0x80, 0x80, 0x10);
    REJECT_U(32, 0x80, 0x80, 0x80, 0x80, 0x40);
    REJECT_U(32, 0x80, 0x80, 0x80, 0x80, 0x70);
    REJECT_U(32, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F); /* would be 2^33 - 1 */
}

static void test_u32_truncated_rejected(void **state) {
    (void)state;
    uint64_t v = 0;
    const uint8_t none[1] = {0};
    assert_int_equal(elvm__leb_u(none, none, 32, &v), 0); /* empty input */
    REJECT_U(32, 0x80);
    REJECT_U(32, 0xFF, 0xFF);
    REJECT_U(32, 0x80, 0x80, 0x80, 0x80); /* four continuation bytes, then nothing */
}

/* ---- s32 ------------------------------------------------------------------------------ */

static void test_s32_values(void **state) {
    (void)state;
    S(32, 1, 0, 0x00);
    S(32, 1, -1, 0x7F);
    S(32, 1, 63, 0x3F);
    S(32, 1, -64, 0x40);
    S(32, 2, 64, 0xC0, 0x00); /* bit 6 of the first byte would make it negative */
    S(32, 2, -65, 0xBF, 0x7F);
    S(32, 2, -128, 0x80, 0x7F);
    S(32, 5, INT32_MAX, 0xFF, 0xFF, 0xFF, 0xFF, 0x07);
    S(32, 5, INT32_MIN, 0x80, 0x80, 0x80, 0x80, 0x78);
}

static void test_s32_padded_encodings(void **state) {
    (void)state;
    /* padding repeats the sign: 0x80.. 0x00 for non-negative, 0xFF.. 0x7F for negative */
    S(32, 5, 0, 0x80, 0x80, 0x80, 0x80, 0x00);
    S(32, 5, -1, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F);
    S(32, 2, -1, 0xFF, 0x7F);
    S(32, 3, 1, 0x81, 0x80, 0x00);
}

static void test_s32_sign_extension_violations_rejected(void **state) {
    (void)state;
    /* the 5th byte holds bits 28..31; its bits 4..6 must copy bit 3 (the sign) */
    REJECT_S(32, 0x80, 0x80, 0x80, 0x80, 0x70); /* sign 0, unused bits 1 */
    REJECT_S(32, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F); /* sign 1, unused bits 0 */
    REJECT_S(32, 0x80, 0x80, 0x80, 0x80, 0x08); /* sign 1, unused bits 0 */
    REJECT_S(32, 0xFF, 0xFF, 0xFF, 0xFF, 0x77); /* sign 0, unused bits 1 */
    REJECT_S(32, 0x80, 0x80, 0x80, 0x80, 0x1F); /* partly set */
}

static void test_s32_overlong_and_truncated_rejected(void **state) {
    (void)state;
    REJECT_S(32, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00);
    REJECT_S(32, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F);
    REJECT_S(32, 0x80);
    REJECT_S(32, 0xFF, 0xFF, 0xFF, 0xFF);
}

/* ---- s33 (block types) -------------------------------------------------------------------- */

static void test_s33_range(void **state) {
    (void)state;
    S(33, 1, -64, 0x40); /* the empty block type's byte, read as a number */
    S(33, 1, 5, 0x05);
    /* 33 bits hold [-2^32, 2^32 - 1]: these are out of range for s32 but fine here */
    S(33, 5, 4294967295LL, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F);
    S(33, 5, -4294967296LL, 0x80, 0x80, 0x80, 0x80, 0x70);
    S(33, 5, 0, 0x80, 0x80, 0x80, 0x80, 0x00);
}

static void test_s33_violations_rejected(void **state) {
    (void)state;
    /* 5th byte: bits 28..32 used, bits 5..6 must copy bit 4 */
    REJECT_S(33, 0x80, 0x80, 0x80, 0x80, 0x20);
    REJECT_S(33, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F);
    REJECT_S(33, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00);
    REJECT_S(33, 0x80, 0x80);
}

/* ---- s64 and u64 ---------------------------------------------------------------------- */

static void test_s64_values(void **state) {
    (void)state;
    S(64, 1, -1, 0x7F);
    S(64, 10, INT64_MIN, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F);
    S(64, 10, INT64_MAX, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00);
    S(64, 10, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00);
    S(64, 10, -1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F);
    /* 2^32 needs a 5-byte encoding; it is a plain value for s64 */
    S(64, 5, 4294967296LL, 0x80, 0x80, 0x80, 0x80, 0x10);
}

static void test_s64_violations_rejected(void **state) {
    (void)state;
    /* the 10th byte holds bit 63 only: bits 1..6 must copy it */
    REJECT_S(64, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01);
    REJECT_S(64, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7E);
    REJECT_S(64, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00);
    REJECT_S(64, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80);
}

static void test_u64_values(void **state) {
    (void)state;
    U(64, 10, UINT64_MAX, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01);
    U(64, 5, 0x100000000ull, 0x80, 0x80, 0x80, 0x80, 0x10);
    REJECT_U(64, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x03);
    REJECT_U(64, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u32_values),
        cmocka_unit_test(test_u32_stops_at_last_byte),
        cmocka_unit_test(test_u32_padded_encodings),
        cmocka_unit_test(test_u32_overlong_rejected),
        cmocka_unit_test(test_u32_unused_bits_rejected),
        cmocka_unit_test(test_u32_truncated_rejected),
        cmocka_unit_test(test_s32_values),
        cmocka_unit_test(test_s32_padded_encodings),
        cmocka_unit_test(test_s32_sign_extension_violations_rejected),
        cmocka_unit_test(test_s32_overlong_and_truncated_rejected),
        cmocka_unit_test(test_s33_range),
        cmocka_unit_test(test_s33_violations_rejected),
        cmocka_unit_test(test_s64_values),
        cmocka_unit_test(test_s64_violations_rejected),
        cmocka_unit_test(test_u64_values),
    };
    return cmocka_run_group_tests_name("leb128 (spec 5.2.2)", tests, NULL, NULL);
}
