/* poll.c: clocks and waiting: clock_res_get and clock_time_get on every clock, sleeps
 * through poll_oneoff (nanosleep, poll and select with timeouts), poll on stdin (a pipe)
 * and on a regular file, raw poll_oneoff with several clocks, fd events, bad fds and
 * clocks, and no subscriptions; then sched_yield, getentropy and random_get.
 * (Absolute times are in clock_abs.c: Node hangs on them.)
 * STDIN: ping
 * DIRS: sandbox::/sandbox
 */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "t.h"

static int64_t now_ms(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Prints whether the time since `t0` is at least `ms`. */
static void waited(const char *label, int64_t t0, int64_t ms) {
    int64_t took = now_ms(CLOCK_MONOTONIC) - t0;
    printf("%s: waited >= %lld ms: %d\n", label, (long long)ms, took >= ms);
}

static void sub_clock(__wasi_subscription_t *s, uint64_t ud, __wasi_clockid_t id,
                      uint64_t ns, int abs) {
    memset(s, 0, sizeof *s);
    s->userdata = ud;
    s->u.tag = __WASI_EVENTTYPE_CLOCK;
    s->u.u.clock.id = id;
    s->u.u.clock.timeout = ns;
    s->u.u.clock.flags = abs ? __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME : 0;
}

static void sub_fd(__wasi_subscription_t *s, uint64_t ud, int type, __wasi_fd_t fd) {
    memset(s, 0, sizeof *s);
    s->userdata = ud;
    s->u.tag = (uint8_t)type;
    s->u.u.fd_read.file_descriptor = fd;
}

static void show_events(const char *label, __wasi_subscription_t *in, int n) {
    __wasi_event_t ev[8];
    __wasi_size_t got = 0;
    memset(ev, 0xee, sizeof ev);
    __wasi_errno_t e = __wasi_poll_oneoff(in, ev, (__wasi_size_t)n, &got);
    printf("%s: %s, %u event(s)", label, ename(e), (unsigned)got);
    for (__wasi_size_t i = 0; i < got && !e; i++) {
        printf(" [ud %llu type %d error %s", (unsigned long long)ev[i].userdata, ev[i].type,
               ename(ev[i].error));
        if (ev[i].type != __WASI_EVENTTYPE_CLOCK) /* only fd events say more */
            printf(" nbytes %llu hangup %d", (unsigned long long)ev[i].fd_readwrite.nbytes,
                   (ev[i].fd_readwrite.flags & __WASI_EVENTRWFLAGS_FD_READWRITE_HANGUP) != 0);
        printf("]");
    }
    printf("\n");
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0); /* a hang shows where it is */
    /* clocks */
    clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                       CLOCK_THREAD_CPUTIME_ID};
    const char *names[] = {"realtime", "monotonic", "process", "thread"};
    for (int i = 0; i < 4; i++) {
        struct timespec res, t;
        int r = clock_getres(ids[i], &res), g = clock_gettime(ids[i], &t);
        printf("clock %s: res %s %d, time %s\n", names[i], ename(r ? errno : 0),
               res.tv_sec > 0 || res.tv_nsec > 0, ename(g ? errno : 0));
    }
    __wasi_timestamp_t ts;
    W("clock_time_get id 9", __wasi_clock_time_get(9, 1, &ts));
    W("clock_res_get id 9", __wasi_clock_res_get(9, &ts));
    printf("realtime after 2020: %d\n", now_ms(CLOCK_REALTIME) > 1577836800000ll);
    int64_t a = now_ms(CLOCK_MONOTONIC), b = now_ms(CLOCK_MONOTONIC);
    printf("monotonic goes forward: %d\n", b >= a);

    /* sleeps */
    int64_t t0 = now_ms(CLOCK_MONOTONIC);
    struct timespec d = {0, 30 * 1000000};
    T("nanosleep 30ms", nanosleep(&d, NULL));
    waited("nanosleep", t0, 30);
    __wasi_subscription_t in[4];
    t0 = now_ms(CLOCK_MONOTONIC);
    printf("poll nothing 25ms: %d\n", poll(NULL, 0, 25));
    waited("poll", t0, 25);
    struct timeval tv = {0, 20000};
    t0 = now_ms(CLOCK_MONOTONIC);
    printf("select nothing 20ms: %d\n", select(0, NULL, NULL, NULL, &tv));
    waited("select", t0, 20);

    /* stdin: a pipe holding "ping\n" */
    struct pollfd p = {.fd = 0, .events = POLLIN};
    printf("poll stdin: %d, POLLIN %d\n", poll(&p, 1, 1000), (p.revents & POLLIN) != 0);
    char buf[16] = {0};
    printf("read stdin: %zd '%.4s'\n", read(0, buf, sizeof buf), buf);
    sub_fd(&in[0], 7, __WASI_EVENTTYPE_FD_READ, 0);
    show_events("poll_oneoff stdin at EOF", in, 1);

    /* a regular file is always ready */
    int fd = open("/sandbox/hello.txt", O_RDWR);
    struct pollfd pf = {.fd = fd, .events = POLLIN | POLLOUT};
    printf("poll file: %d, POLLIN %d POLLOUT %d\n", poll(&pf, 1, 0), (pf.revents & POLLIN) != 0,
           (pf.revents & POLLOUT) != 0);
    fd_set rs, ws;
    FD_ZERO(&rs);
    FD_ZERO(&ws);
    FD_SET(fd, &rs);
    FD_SET(fd, &ws);
    struct timeval tv0 = {0, 0};
    printf("select file: %d\n", select(fd + 1, &rs, &ws, NULL, &tv0));
    sub_fd(&in[0], 1, __WASI_EVENTTYPE_FD_READ, (__wasi_fd_t)fd);
    sub_fd(&in[1], 2, __WASI_EVENTTYPE_FD_WRITE, (__wasi_fd_t)fd);
    show_events("poll_oneoff file read+write", in, 2);
    read(fd, buf, 5);
    sub_fd(&in[0], 3, __WASI_EVENTTYPE_FD_READ, (__wasi_fd_t)fd);
    show_events("poll_oneoff file after 5 bytes", in, 1);
    close(fd);

    /* several clocks: the first to expire */
    sub_clock(&in[0], 10, __WASI_CLOCKID_MONOTONIC, 200000000, 0);
    sub_clock(&in[1], 11, __WASI_CLOCKID_MONOTONIC, 10000000, 0);
    sub_clock(&in[2], 12, __WASI_CLOCKID_REALTIME, 300000000, 0);
    t0 = now_ms(CLOCK_MONOTONIC);
    show_events("poll_oneoff three clocks", in, 3);
    waited("three clocks", t0, 10);

    /* errors */
    sub_fd(&in[0], 20, __WASI_EVENTTYPE_FD_READ, 99);
    show_events("poll_oneoff bad fd", in, 1);
    sub_clock(&in[0], 21, 9, 1000, 0);
    show_events("poll_oneoff bad clock", in, 1);
    show_events("poll_oneoff nothing", in, 0);
    struct pollfd bad = {.fd = 99, .events = POLLIN};
    printf("poll bad fd: %d, POLLNVAL %d\n", poll(&bad, 1, 0), (bad.revents & POLLNVAL) != 0);

    /* sched_yield, randomness */
    T("sched_yield", sched_yield());
    unsigned char r1[32], r2[32];
    T("getentropy 32", getentropy(r1, sizeof r1));
    T("getentropy 32 again", getentropy(r2, sizeof r2));
    printf("two draws differ: %d\n", memcmp(r1, r2, sizeof r1) != 0);
    static unsigned char big[100000];
    W("random_get 100000", __wasi_random_get(big, sizeof big));
    int zeros = 0;
    for (size_t i = 0; i < sizeof big; i++) zeros += big[i] == 0;
    printf("random_get zeros look random: %d\n", zeros > 100 && zeros < 800);
    W("random_get 0", __wasi_random_get(big, 0));
    return 0;
}
