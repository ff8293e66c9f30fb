/* test_clock.c: elastic:clock from a guest: wall time against WASI's clock, the timezone,
 * the stopwatch with its error paths, and timers. */
#include <time.h>

#include "guest_test.h"

int main(void) {
    uint64_t now;
    CHECK_RC(elastic_clock_read_current_time(&now), 0);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts); /* WASI clock_time_get: the same source */
    uint64_t wasi = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    CHECK(now > 1600000000ull * 1000000000ull);
    CHECK(wasi >= now && wasi - now < 5000000000ull);

    char *zone = NULL;
    CHECK_RC(elastic_clock_read_timezone(&zone), 0);
    CHECK(zone && strlen(zone) > 0);
    int32_t off = 99999;
    CHECK_RC(elastic_clock_timezone_offset(&off), 0);
    CHECK(off >= -14 * 3600 && off <= 14 * 3600);
    printf("clock: zone %s offset %d s, resolution %llu ns\n", zone ? zone : "?", (int)off,
           (unsigned long long)elastic_clock_resolution());
    free(zone);

    uint64_t e;
    CHECK_RC(elastic_clock_read_monotonic(&e), ELASTIC_CLOCK_ERR_NOT_STARTED);
    CHECK_RC(elastic_clock_stop_monotonic(&e), ELASTIC_CLOCK_ERR_NOT_STARTED);
    CHECK_RC(elastic_clock_start_monotonic(), 0);
    elastic_clock_timer t = elastic_clock_timer_new(20000000); /* 20 ms */
    CHECK(!elastic_clock_timer_expired(t));
    CHECK(elastic_clock_timer_remaining(t) > 0 && elastic_clock_timer_remaining(t) <= 20000000);
    elastic_clock_timer_wait(t);
    CHECK(elastic_clock_timer_expired(t));
    CHECK(elastic_clock_timer_remaining(t) == 0);
    uint64_t r1, r2, stopped;
    CHECK_RC(elastic_clock_read_monotonic(&r1), 0);
    CHECK(r1 >= 20000000);
    CHECK_RC(elastic_clock_stop_monotonic(&stopped), 0);
    CHECK(stopped >= r1);
    CHECK_RC(elastic_clock_stop_monotonic(&e), ELASTIC_CLOCK_ERR_NOT_RUNNING);
    CHECK_RC(elastic_clock_read_monotonic(&r2), 0);
    CHECK(r2 == stopped); /* a stopped stopwatch keeps its time */
    elastic_clock_timer_reset(t, 1000000000ull * 3600);
    CHECK(!elastic_clock_timer_expired(t));
    elastic_clock_timer_reset(t, 0);
    CHECK(elastic_clock_timer_expired(t));
    elastic_clock_timer_drop(t);
    uint64_t m1 = elastic_clock_monotonic_now(), m2 = elastic_clock_monotonic_now();
    CHECK(m2 >= m1 && m1 > 0);
    CHECK(elastic_clock_resolution() > 0);
    return t_done("clock");
}
