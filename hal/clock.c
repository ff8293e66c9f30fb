/* clock.c: elastic:clock: wall time, the timezone, a stopwatch and monotonic timers,
 * from clock_gettime(2): CLOCK_REALTIME and CLOCK_MONOTONIC, the clocks WASI uses. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "hal_impl.h"

enum { E_UNAVAILABLE = 0, E_NOT_STARTED = 1, E_NOT_RUNNING = 2 }; /* clock-error */

static uint64_t now(clockid_t id) {
    struct timespec ts;
    if (clock_gettime(id, &ts)) return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
uint64_t hal_now_mono(void) { return now(CLOCK_MONOTONIC); }
uint64_t hal_now_wall(void) { return now(CLOCK_REALTIME); }

/* A timer: a deadline on the monotonic clock. */
typedef struct hal_timer {
    uint64_t deadline;
} hal_timer;

static void timer_drop(elvm_hal *h, void *obj) {
    (void)h;
    free(obj);
}

void elvm__hal_clock_setup(elvm_hal *h) { h->drop[HAL_RES_TIMER] = timer_drop; }

/* read-current-time: func() -> result<u64, clock-error>: ns since the Unix epoch. */
static int k_current_time(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint64_t t = hal_now_wall();
    return hal_ret_u64(c, hal_u32(a, 0), t, t ? -1 : E_UNAVAILABLE);
}

/* The host's IANA zone name: $TZ, /etc/localtime's link target, /etc/timezone, or UTC. */
static void zone_name(char *buf, size_t len) {
    const char *tz = getenv("TZ");
    char link[4096];
    const char *z = NULL;
    if (tz && *tz) {
        z = tz[0] == ':' ? tz + 1 : tz;
    } else {
        ssize_t n = readlink("/etc/localtime", link, sizeof link - 1);
        if (n > 0) {
            link[n] = 0;
            z = link;
        }
    }
    if (z) {
        const char *zi = strstr(z, "zoneinfo/");
        if (zi) z = zi + 9;
        size_t n = strlen(z);
        if (n >= len) n = len - 1;
        memcpy(buf, z, n);
        buf[n] = 0;
        return;
    }
    FILE *f = fopen("/etc/timezone", "r");
    if (f && fgets(buf, (int)len, f)) {
        buf[strcspn(buf, "\r\n")] = 0;
        fclose(f);
        if (buf[0]) return;
    } else if (f) {
        fclose(f);
    }
    snprintf(buf, len, "UTC");
}

/* read-timezone: func() -> result<string, clock-error> */
static int k_timezone(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    char z[256];
    zone_name(z, sizeof z);
    return hal_ret_bytes(c, hal_u32(a, 0), z, strlen(z), -1);
}

/* timezone-offset: func() -> result<s32, clock-error>: seconds east of UTC, now. */
static int k_tz_offset(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    time_t t = time(NULL);
    struct tm tm;
    if (!localtime_r(&t, &tm)) return hal_ret_u32(c, hal_u32(a, 0), 0, E_UNAVAILABLE);
    return hal_ret_u32(c, hal_u32(a, 0), (uint32_t)(int32_t)tm.tm_gmtoff, -1);
}

/* start-monotonic: func() -> result<_, clock-error>: (re)starts the stopwatch. */
static int k_start(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    HAL_TRY(hal_retarea(c, hal_u32(a, 0), 2, 1));
    c->h->sw_state = 1;
    c->h->sw_start = hal_now_mono();
    return hal_ret_unit(c, hal_u32(a, 0), -1);
}

/* stop-monotonic: func() -> result<u64, clock-error>: ns the stopwatch ran. */
static int k_stop(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    elvm_hal *h = c->h;
    HAL_TRY(hal_retarea(c, hal_u32(a, 0), 16, 8));
    if (h->sw_state != 1)
        return hal_ret_u64(c, hal_u32(a, 0), 0, h->sw_state ? E_NOT_RUNNING : E_NOT_STARTED);
    h->sw_stop = hal_now_mono();
    h->sw_state = 2;
    return hal_ret_u64(c, hal_u32(a, 0), h->sw_stop - h->sw_start, -1);
}

/* read-monotonic: func() -> result<u64, clock-error>: ns since start (running) or the
 * time it ran (stopped). */
static int k_read(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    elvm_hal *h = c->h;
    if (!h->sw_state) return hal_ret_u64(c, hal_u32(a, 0), 0, E_NOT_STARTED);
    uint64_t end = h->sw_state == 1 ? hal_now_mono() : h->sw_stop;
    return hal_ret_u64(c, hal_u32(a, 0), end - h->sw_start, -1);
}

/* monotonic-now: func() -> u64 */
static int k_mono_now(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)c, (void)a;
    hal_set_i64(r, hal_now_mono());
    return 0;
}

/* resolution: func() -> u64: of the monotonic clock, in ns. */
static int k_resolution(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)c, (void)a;
    struct timespec ts;
    uint64_t res = clock_getres(CLOCK_MONOTONIC, &ts) ? 1
                 : (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    hal_set_i64(r, res ? res : 1);
    return 0;
}

/* [constructor]timer: func(duration-ns: u64) -> timer */
static int t_new(hal_call *c, const elvm_val *a, elvm_val *r) {
    hal_timer *t = malloc(sizeof *t);
    uint64_t d = hal_u64(a, 0), n = hal_now_mono();
    if (!t) return hal_trap(c, ELVM_TRAP_HOST, "out of host memory");
    t->deadline = d > UINT64_MAX - n ? UINT64_MAX : n + d;
    uint32_t handle = hal_handle_new(c->h, HAL_RES_TIMER, t);
    if (!handle) {
        free(t);
        return hal_trap(c, ELVM_TRAP_HOST, "out of handles");
    }
    hal_set_i32(r, handle);
    return 0;
}

static uint64_t remaining(const hal_timer *t) {
    uint64_t n = hal_now_mono();
    return n >= t->deadline ? 0 : t->deadline - n;
}

/* [method]timer.remaining: func() -> u64: ns until the deadline, 0 once passed. */
static int t_remaining(hal_call *c, const elvm_val *a, elvm_val *r) {
    hal_timer *t;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_TIMER, (void **)&t));
    hal_set_i64(r, remaining(t));
    return 0;
}

/* [method]timer.expired: func() -> bool */
static int t_expired(hal_call *c, const elvm_val *a, elvm_val *r) {
    hal_timer *t;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_TIMER, (void **)&t));
    hal_set_i32(r, remaining(t) == 0);
    return 0;
}

/* [method]timer.reset: func(duration-ns: u64) */
static int t_reset(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_timer *t;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_TIMER, (void **)&t));
    uint64_t d = hal_u64(a, 1), n = hal_now_mono();
    t->deadline = d > UINT64_MAX - n ? UINT64_MAX : n + d;
    return 0;
}

/* [method]timer.wait: func(): sleeps until the deadline. */
static int t_wait(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_timer *t;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_TIMER, (void **)&t));
    struct timespec ts = {.tv_sec = (time_t)(t->deadline / 1000000000u),
                          .tv_nsec = (long)(t->deadline % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
    return 0;
}

/* [resource-drop]timer */
static int t_drop(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    return hal_drop(c, hal_u32(a, 0), HAL_RES_TIMER);
}

static const hal_func funcs[] = {
    {"read-current-time", "i", "", k_current_time},
    {"read-timezone", "i", "", k_timezone},
    {"timezone-offset", "i", "", k_tz_offset},
    {"start-monotonic", "i", "", k_start},
    {"stop-monotonic", "i", "", k_stop},
    {"read-monotonic", "i", "", k_read},
    {"monotonic-now", "", "I", k_mono_now},
    {"resolution", "", "I", k_resolution},
    {"[constructor]timer", "I", "i", t_new},
    {"[method]timer.remaining", "i", "I", t_remaining},
    {"[method]timer.expired", "i", "i", t_expired},
    {"[method]timer.reset", "iI", "", t_reset},
    {"[method]timer.wait", "i", "", t_wait},
    {"[resource-drop]timer", "i", "", t_drop},
};

const hal_iface_desc elvm__hal_CLOCK = {ELVM_HAL_CLOCK, HAL_MODULE("clock"), funcs,
                                        sizeof funcs / sizeof funcs[0]};
