/* guest_test.h: the checks the HAL's guest tests share: CHECK(cond) counts and reports,
 * and DONE() prints "N passed, N failed" and exits non-zero on a failure. */
#ifndef GUEST_TEST_H
#define GUEST_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elastic_hal.h"

static int t_pass, t_fail;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (cond) {                                                                   \
            t_pass++;                                                                 \
        } else {                                                                      \
            t_fail++;                                                                 \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                    \
        }                                                                             \
    } while (0)
/* A call returning a status: expect `want` (0 = ok). */
#define CHECK_RC(call, want)                                                          \
    do {                                                                              \
        int rc_ = (call);                                                             \
        if (rc_ == (want)) {                                                          \
            t_pass++;                                                                 \
        } else {                                                                      \
            t_fail++;                                                                 \
            printf("FAIL %s:%d: %s returned %d, expected %d\n", __FILE__, __LINE__,   \
                   #call, rc_, (int)(want));                                          \
        }                                                                             \
    } while (0)

static inline int t_done(const char *name) {
    printf("%s: %d passed, %d failed\n", name, t_pass, t_fail);
    return t_fail ? 1 : 0;
}

/* Hex string -> bytes (static buffer per call site via the caller's array). */
static inline size_t t_unhex(const char *hex, unsigned char *out, size_t cap) {
    size_t n = 0;
    for (; hex[0] && hex[1] && n < cap; hex += 2) {
        unsigned v;
        sscanf(hex, "%2x", &v);
        out[n++] = (unsigned char)v;
    }
    return n;
}

static inline int t_eq_hex(const elastic_bytes *b, const char *hex) {
    unsigned char want[1024];
    size_t n = t_unhex(hex, want, sizeof want);
    return b->len == n && memcmp(b->ptr, want, n) == 0;
}

#endif
