/* limits.c: `elvm run --timeout`: a thread that sleeps until the deadline and then
 * interrupts the store. The vm checks its interrupt flag at every loop back-edge and call
 * (one relaxed atomic load), so even a loop without calls stops within microseconds of
 * the flag being set; the thread's own wake-up is what adds most of the overshoot. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

struct cli_timer {
    elvm_store *store;
    cli_log *log;
    double seconds;
    struct timespec deadline; /* CLOCK_MONOTONIC */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop;   /* set by cli_timer_stop, under lock */
    int fired;  /* set by the thread, under lock */
};

double cli_ms(double seconds) {
    double us = seconds * 1e6;
    int64_t r = us >= 0 ? (int64_t)(us + 0.5) : -(int64_t)(0.5 - us);
    return (double)r / 1e3;
}

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double ts_seconds(const struct timespec *ts) {
    return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

static struct timespec ts_add(struct timespec t, double s) {
    long long ns = (long long)(s * 1e9);
    t.tv_sec += (time_t)(ns / 1000000000);
    t.tv_nsec += (long)(ns % 1000000000);
    if (t.tv_nsec >= 1000000000) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000;
    }
    return t;
}

/* Waits on the condition until `until` or a stop; returns 1 if stopped. Holds t->lock. */
static int wait_until(struct cli_timer *t, const struct timespec *until) {
    while (!t->stop) {
        int r = pthread_cond_timedwait(&t->wake, &t->lock, until);
        if (r == ETIMEDOUT) return t->stop;
    }
    return 1;
}

/* Past the deadline and the grace period, the guest is stuck in a host call (a read, a
 * sleep, an accept) that no interrupt flag reaches: end the process as the trap would. */
static void hard_stop(struct cli_timer *t) {
    cJSON *ev = cli_log_begin(t->log, "limit");
    cJSON_AddStringToObject(ev, "limit", "timeout");
    cJSON_AddNumberToObject(ev, "seconds", t->seconds);
    cJSON_AddStringToObject(ev, "note", "blocked in a host call");
    cli_log_end(t->log, ev);
    ev = cli_log_begin(t->log, "trap");
    cJSON_AddStringToObject(ev, "message", "timeout");
    cJSON_AddNumberToObject(ev, "late_ms", cli_ms(cli_now() - ts_seconds(&t->deadline)));
    cli_log_end(t->log, ev);
    static const char msg[] = "elvm: trap: timeout (the guest was blocked in a host call)\n";
    if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) { /* nothing more to do */ }
    _exit(CLI_EXIT_TRAP);
}

static void *timer_main(void *arg) {
    struct cli_timer *t = arg;
    pthread_mutex_lock(&t->lock);
    if (!wait_until(t, &t->deadline)) {
        t->fired = 1;
        struct timespec next = t->deadline, give_up = ts_add(t->deadline, CLI_TIMEOUT_GRACE);
        /* elvm_func_call clears the flag when it starts, so an interrupt that lands between
         * two calls (instantiation's start function, then _start) would be lost: repeat it
         * every millisecond until the guest has stopped. */
        do {
            elvm_store_interrupt(t->store);
            next = ts_add(next, 0.001);
            if (ts_seconds(&next) > ts_seconds(&give_up)) {
                if (wait_until(t, &give_up)) break;
                hard_stop(t); /* does not return */
            }
        } while (!wait_until(t, &next));
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

cli_timer *cli_timer_start(elvm_store *store, double seconds, cli_log *log) {
    struct cli_timer *t = calloc(1, sizeof *t);
    if (!t) {
        cli_error(NULL, "--timeout: out of host memory");
        return NULL;
    }
    t->store = store;
    t->log = log;
    t->seconds = seconds;
    clock_gettime(CLOCK_MONOTONIC, &t->deadline);
    t->deadline = ts_add(t->deadline, seconds);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* immune to the wall clock's jumps */
    pthread_cond_init(&t->wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&t->lock, NULL);
    int r = pthread_create(&t->thread, NULL, timer_main, t);
    if (r) {
        cli_error(NULL, "--timeout: cannot start the timer thread: %s", strerror(r));
        pthread_cond_destroy(&t->wake);
        pthread_mutex_destroy(&t->lock);
        free(t);
        return NULL;
    }
    return t;
}

int cli_timer_stop(cli_timer *t, double *late_s) {
    if (!t) return 0;
    double now = cli_now();
    pthread_mutex_lock(&t->lock);
    t->stop = 1;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    int fired = t->fired;
    if (late_s) *late_s = now - ts_seconds(&t->deadline);
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->lock);
    free(t);
    return fired;
}
