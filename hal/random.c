/* random.c: elastic:random: bytes from getrandom(2), the source WASI random_get uses. */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "hal_impl.h"

enum { E_TOO_LARGE = 0, E_UNAVAILABLE = 1 }; /* random-error */
#define MAX_RANDOM (1u << 20)

/* Fills buf from getrandom(2), retrying short reads and EINTR; 0 or -1. */
static int fill(uint8_t *buf, size_t len) {
    size_t got = 0;
    while (got < len) {
        ssize_t n = getrandom(buf + got, len - got, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        got += (size_t)n;
    }
    return 0;
}

/* get-random-bytes: func(len: u32) -> result<list<u8>, random-error>; at most 1 MiB. */
static int r_bytes(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t len = hal_u32(a, 0), ret = hal_u32(a, 1);
    HAL_TRY(hal_retarea(c, ret, 12, 4));
    if (len > MAX_RANDOM) return hal_ret_bytes(c, ret, NULL, 0, E_TOO_LARGE);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) return hal_trap(c, ELVM_TRAP_HOST, "out of host memory");
    int rc = fill(buf, len) ? hal_ret_bytes(c, ret, NULL, 0, E_UNAVAILABLE)
                            : hal_ret_bytes(c, ret, buf, len, -1);
    free(buf);
    return rc;
}

/* get-random-u64: func() -> u64 */
static int r_u64(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)a;
    uint64_t v;
    if (fill((uint8_t *)&v, sizeof v)) return hal_trap(c, ELVM_TRAP_HOST, "getrandom failed");
    hal_set_i64(r, v);
    return 0;
}

static const hal_func funcs[] = {
    {"get-random-bytes", "ii", "", r_bytes},
    {"get-random-u64", "", "I", r_u64},
};

const hal_iface_desc elvm__hal_RANDOM = {ELVM_HAL_RANDOM, HAL_MODULE("random"), funcs,
                                         sizeof funcs / sizeof funcs[0]};
