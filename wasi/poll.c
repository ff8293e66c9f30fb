/* poll.c: poll_oneoff: waiting on clocks (relative or absolute, realtime or monotonic),
 * and on fds becoming readable or writable: stdin and other terminals and pipes,
 * sockets (a listening one is readable when a connection waits), and regular files and
 * directories, which are always ready (as in POSIX poll). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wasi_impl.h"

#define NS 1000000000ull

static uint64_t now_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

/* One subscription as read from the guest. What it waits for: `deadline` (monotonic
 * ns) for a clock, `slot` in the pollfd array for an fd; or it is settled already:
 * `ready` with `error` and `nbytes`. */
typedef struct sub {
    uint64_t userdata, deadline, nbytes;
    uint8_t type;
    uint16_t error;
    int ready, slot;
} sub;

/* The state of one poll_oneoff: the pollfds (one per guest fd, so never more than the fd
 * table holds, whatever the guest's count) and the time the call began, from which
 * relative clocks count. */
typedef struct poller {
    wasi_call *c;
    struct pollfd *pfd;
    int *slot_of; /* guest fd -> pollfd index, or -1 */
    uint32_t npfd, cap;
    uint64_t start;
    int first; /* the first read of the subscriptions: tell the log of denials */
} poller;

static uint64_t add_sat(uint64_t a, uint64_t b) { return b > UINT64_MAX - a ? UINT64_MAX : a + b; }

static void sub_clock(poller *pl, uint32_t at, sub *s) {
    wasi_call *c = pl->c;
    uint32_t id = wasi_load_u32(c, at + 16);
    uint64_t timeout = wasi_load_u64(c, at + 24);
    uint16_t flags = wasi_load_u16(c, at + 40);
    if (id == WASI_CLOCK_PROCESS_CPUTIME || id == WASI_CLOCK_THREAD_CPUTIME) {
        s->ready = 1, s->error = WASI_ERRNO_NOTSUP;
    } else if (id != WASI_CLOCK_REALTIME && id != WASI_CLOCK_MONOTONIC) {
        s->ready = 1, s->error = WASI_ERRNO_INVAL;
    } else if (!(flags & WASI_SUBCLOCK_ABSTIME)) {
        s->deadline = add_sat(pl->start, timeout);
    } else if (id == WASI_CLOCK_MONOTONIC) {
        s->deadline = timeout;
    } else { /* realtime, absolute: as far from the monotonic now as from the real now
              * (0 once passed, so that a later read of it does not move it on) */
        uint64_t real = now_ns(CLOCK_REALTIME);
        s->deadline = timeout <= real ? 0 : add_sat(now_ns(CLOCK_MONOTONIC), timeout - real);
    }
}

/* Reads subscription `at` into `s`. Anything that cannot wait (a bad fd or clock, a
 * regular file) comes back ready. ERRNO_INVAL for an unknown event type. */
static uint16_t sub_read(poller *pl, uint32_t at, sub *s) {
    wasi_call *c = pl->c;
    memset(s, 0, sizeof *s);
    s->slot = -1;
    s->userdata = wasi_load_u64(c, at);
    s->type = c->mem[at + 8];
    if (s->type == WASI_EVENTTYPE_CLOCK) {
        sub_clock(pl, at, s);
        return WASI_ERRNO_SUCCESS;
    }
    if (s->type != WASI_EVENTTYPE_FD_READ && s->type != WASI_EVENTTYPE_FD_WRITE)
        return WASI_ERRNO_INVAL;
    uint32_t fd = wasi_load_u32(c, at + 16);
    wasi_fd *f;
    if (pl->first) {
        f = elvm__wasi_fd_get(c, fd, WASI_RIGHT_POLL_FD_READWRITE, &s->error);
    } else { /* the same answer, without telling the log twice */
        elvm_wasi *w = c->w;
        f = fd < w->nfds && w->fds[fd].kind != WASI_FD_FREE ? &w->fds[fd] : NULL;
        s->error = !f ? WASI_ERRNO_BADF : 0;
        if (f && !(f->rights_base & WASI_RIGHT_POLL_FD_READWRITE)) {
            s->error = WASI_ERRNO_NOTCAPABLE;
            f = NULL;
        }
    }
    if (!f) {
        s->ready = 1;
        return WASI_ERRNO_SUCCESS;
    }
    if (f->filetype == WASI_FILETYPE_REGULAR_FILE || f->filetype == WASI_FILETYPE_DIRECTORY) {
        struct stat st;
        off_t pos = lseek(f->host, 0, SEEK_CUR);
        s->ready = 1;
        if (s->type == WASI_EVENTTYPE_FD_READ && pos >= 0 && !fstat(f->host, &st) &&
            st.st_size > pos)
            s->nbytes = (uint64_t)(st.st_size - pos);
        return WASI_ERRNO_SUCCESS;
    }
    if (pl->slot_of[fd] < 0) {
        pl->slot_of[fd] = (int)pl->npfd;
        pl->pfd[pl->npfd].fd = f->host;
        pl->npfd++;
    }
    s->slot = pl->slot_of[fd];
    pl->pfd[s->slot].events |= s->type == WASI_EVENTTYPE_FD_READ ? POLLIN : POLLOUT;
    return WASI_ERRNO_SUCCESS;
}

/* Whether `s` has happened after the wait; fills error, nbytes and the event flags. */
static int sub_done(const poller *pl, sub *s, uint64_t now, uint16_t *flags) {
    *flags = 0;
    if (s->ready) return 1;
    if (s->type == WASI_EVENTTYPE_CLOCK) return now >= s->deadline;
    const struct pollfd *p = &pl->pfd[s->slot];
    short want = s->type == WASI_EVENTTYPE_FD_READ ? POLLIN : POLLOUT;
    if (!(p->revents & (want | POLLHUP | POLLERR | POLLNVAL))) return 0;
    if (p->revents & POLLNVAL) s->error = WASI_ERRNO_BADF;
    if (p->revents & POLLHUP) *flags = WASI_EVENTRW_HANGUP;
    if (s->type == WASI_EVENTTYPE_FD_READ && (p->revents & POLLIN)) {
        int avail = 0;
        if (!ioctl(p->fd, FIONREAD, &avail) && avail > 0) s->nbytes = (uint64_t)avail;
    }
    return 1;
}

/* Writes the events of every subscription that has happened; returns how many. */
static uint32_t events_write(poller *pl, uint32_t in, uint32_t out, uint32_t n) {
    wasi_call *c = pl->c;
    uint64_t now = now_ns(CLOCK_MONOTONIC);
    uint32_t nev = 0;
    for (uint32_t i = 0; i < n; i++) {
        sub s;
        uint16_t flags;
        sub_read(pl, in + i * WASI_SUBSCRIPTION_SIZE, &s);
        if (!sub_done(pl, &s, now, &flags)) continue;
        uint32_t ev = out + nev++ * WASI_EVENT_SIZE;
        memset(wasi_ptr(c, ev), 0, WASI_EVENT_SIZE);
        wasi_store_u64(c, ev, s.userdata);
        wasi_store_u16(c, ev + 8, s.error);
        wasi_store_u8(c, ev + 10, s.type);
        if (s.type != WASI_EVENTTYPE_CLOCK) {
            wasi_store_u64(c, ev + 16, s.nbytes);
            wasi_store_u16(c, ev + 24, flags);
        }
    }
    return nev;
}

/* poll_oneoff(in, out, nsubscriptions, *nevents): waits until at least one subscription
 * has happened, then writes an event for each that has. No subscriptions is INVAL (it
 * would wait forever). A signal that interrupts the wait gives ERRNO_INTR. */
uint16_t elvm__wasi_poll_oneoff(wasi_call *c, const elvm_val *a) {
    elvm_wasi *w = c->w;
    uint32_t in = wasi_arg_u32(a, 0), out = wasi_arg_u32(a, 1), n = wasi_arg_u32(a, 2);
    uint32_t nout = wasi_arg_u32(a, 3);
    if (!wasi_in_bounds(c, in, (uint64_t)n * WASI_SUBSCRIPTION_SIZE) ||
        !wasi_in_bounds(c, out, (uint64_t)n * WASI_EVENT_SIZE) || !wasi_in_bounds(c, nout, 4))
        return WASI_ERRNO_FAULT;
    if (n == 0) return WASI_ERRNO_INVAL;
    poller pl = {.c = c, .cap = w->nfds ? w->nfds : 1, .start = now_ns(CLOCK_MONOTONIC)};
    pl.pfd = calloc(pl.cap, sizeof *pl.pfd);
    pl.slot_of = malloc(pl.cap * sizeof *pl.slot_of);
    uint16_t e = WASI_ERRNO_SUCCESS;
    if (!pl.pfd || !pl.slot_of) {
        e = WASI_ERRNO_NOMEM;
        goto out;
    }
    for (int pass = 0;; pass++) {
        uint64_t deadline = UINT64_MAX;
        int any_ready = 0;
        pl.first = pass == 0;
        pl.npfd = 0;
        memset(pl.pfd, 0, pl.cap * sizeof *pl.pfd);
        for (uint32_t i = 0; i < pl.cap; i++) pl.slot_of[i] = -1;
        for (uint32_t i = 0; i < n; i++) {
            sub s;
            if ((e = sub_read(&pl, in + i * WASI_SUBSCRIPTION_SIZE, &s))) goto out;
            any_ready |= s.ready;
            if (s.type == WASI_EVENTTYPE_CLOCK && !s.ready && s.deadline < deadline)
                deadline = s.deadline;
        }
        pl.first = 0;
        uint64_t now = now_ns(CLOCK_MONOTONIC);
        struct timespec ts = {0, 0}, *tsp = &ts;
        if (!any_ready && deadline > now) {
            if (deadline == UINT64_MAX) {
                tsp = NULL; /* fds only: as long as it takes */
            } else {
                ts.tv_sec = (time_t)((deadline - now) / NS);
                ts.tv_nsec = (long)((deadline - now) % NS);
            }
        }
        if (ppoll(pl.pfd, pl.npfd, tsp, NULL) < 0) {
            e = elvm__wasi_errno(errno);
            goto out;
        }
        uint32_t nev = events_write(&pl, in, out, n);
        if (nev > 0) {
            wasi_store_u32(c, nout, nev);
            break;
        }
        /* Nothing yet (woken a hair before a clock's deadline): wait again. */
    }
out:
    free(pl.pfd);
    free(pl.slot_of);
    return e;
}
