/* clock_abs.c: sleeping until an absolute time (poll_oneoff with
 * SUBSCRIPTION_CLOCK_ABSTIME) on the monotonic and the realtime clock, through
 * clock_nanosleep(TIMER_ABSTIME) and raw; a time already past wakes at once.
 * NODE: skip node:wasi sleeps for ever on an absolute monotonic time (NODE_DIFFERENCES.md)
 */
#include <stdint.h>
#include <time.h>

#include "t.h"

static int64_t now_ms(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_until(const char *label, clockid_t id, long ms) {
    struct timespec until;
    clock_gettime(id, &until);
    int64_t t0 = now_ms(CLOCK_MONOTONIC);
    until.tv_nsec += ms * 1000000;
    while (until.tv_nsec >= 1000000000) until.tv_sec++, until.tv_nsec -= 1000000000;
    int r = clock_nanosleep(id, TIMER_ABSTIME, &until, NULL);
    int64_t took = now_ms(CLOCK_MONOTONIC) - t0;
    printf("%s +%ldms: %s, waited >= %ld ms: %d, < 2 s: %d\n", label, ms, ename(r), ms - 1,
           took >= ms - 1, took < 2000);
}

static void raw_abs(const char *label, __wasi_clockid_t id, uint64_t at) {
    __wasi_subscription_t s;
    __wasi_event_t ev;
    __wasi_size_t n = 0;
    memset(&s, 0, sizeof s);
    s.userdata = 42;
    s.u.tag = __WASI_EVENTTYPE_CLOCK;
    s.u.u.clock.id = id;
    s.u.u.clock.timeout = at;
    s.u.u.clock.flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
    int64_t t0 = now_ms(CLOCK_MONOTONIC);
    __wasi_errno_t e = __wasi_poll_oneoff(&s, &ev, 1, &n);
    int64_t took = now_ms(CLOCK_MONOTONIC) - t0;
    printf("%s: %s, %u event(s), ud %llu, error %s, < 2 s: %d\n", label, ename(e), (unsigned)n,
           (unsigned long long)ev.userdata, ename(ev.error), took < 2000);
}

int main(void) {
    sleep_until("clock_nanosleep monotonic", CLOCK_MONOTONIC, 20);
    sleep_until("clock_nanosleep realtime", CLOCK_REALTIME, 20);
    sleep_until("clock_nanosleep monotonic", CLOCK_MONOTONIC, 0);
    __wasi_timestamp_t real, mono;
    W("clock_time_get realtime", __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &real));
    W("clock_time_get monotonic", __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &mono));
    raw_abs("realtime +30ms", __WASI_CLOCKID_REALTIME, real + 30000000);
    raw_abs("realtime in the past", __WASI_CLOCKID_REALTIME, real - 1000000000);
    raw_abs("monotonic in the past", __WASI_CLOCKID_MONOTONIC, 0);
    raw_abs("monotonic +30ms", __WASI_CLOCKID_MONOTONIC, mono + 30000000);
    raw_abs("process cputime", __WASI_CLOCKID_PROCESS_CPUTIME_ID, 1);
    return 0;
}
