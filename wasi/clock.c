/* clock.c: clock_res_get and clock_time_get: realtime, monotonic, process and thread CPU
 * time. */
#include <errno.h>
#include <time.h>

#include "wasi_impl.h"

static int host_clock(uint32_t id, clockid_t *out) {
    switch (id) {
    case WASI_CLOCK_REALTIME: *out = CLOCK_REALTIME; return 0;
    case WASI_CLOCK_MONOTONIC: *out = CLOCK_MONOTONIC; return 0;
    case WASI_CLOCK_PROCESS_CPUTIME: *out = CLOCK_PROCESS_CPUTIME_ID; return 0;
    case WASI_CLOCK_THREAD_CPUTIME: *out = CLOCK_THREAD_CPUTIME_ID; return 0;
    default: return -1;
    }
}

static uint64_t timespec_ns(const struct timespec *ts) {
    return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

/* clock_res_get(id, *resolution u64) */
uint16_t elvm__wasi_clock_res_get(wasi_call *c, const elvm_val *a) {
    clockid_t id;
    struct timespec ts;
    uint32_t out = wasi_arg_u32(a, 1);
    if (host_clock(wasi_arg_u32(a, 0), &id)) return WASI_ERRNO_INVAL;
    if (!wasi_in_bounds(c, out, 8)) return WASI_ERRNO_FAULT;
    if (clock_getres(id, &ts)) return elvm__wasi_errno(errno);
    uint64_t ns = timespec_ns(&ts);
    wasi_store_u64(c, out, ns ? ns : 1); /* the witx asks for a non-zero resolution */
    return WASI_ERRNO_SUCCESS;
}

/* clock_time_get(id, precision u64, *time u64); the precision is a hint we ignore. */
uint16_t elvm__wasi_clock_time_get(wasi_call *c, const elvm_val *a) {
    clockid_t id;
    struct timespec ts;
    uint32_t out = wasi_arg_u32(a, 2);
    if (host_clock(wasi_arg_u32(a, 0), &id)) return WASI_ERRNO_INVAL;
    if (!wasi_in_bounds(c, out, 8)) return WASI_ERRNO_FAULT;
    if (clock_gettime(id, &ts)) return elvm__wasi_errno(errno);
    wasi_store_u64(c, out, timespec_ns(&ts));
    return WASI_ERRNO_SUCCESS;
}

