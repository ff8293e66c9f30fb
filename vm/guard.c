/* guard.c: hardware bounds checks. A memory reserves 8 GiB + a page of address space
 * (any i32 address plus any u32 offset plus the access size stays inside it) and maps
 * only its current size; code compiled with guard pages skips the software check, and
 * an access past the size faults. The SIGSEGV/SIGBUS handler recognizes a fault inside
 * a memory of the store running on this thread and unwinds to elvm__run with the trap
 * "out of bounds memory access"; any other fault goes to the previous handler.
 * Embedders that install SIGSEGV/SIGBUS handlers after creating an engine must chain to
 * the one they replace (docs/ARCHITECTURE.md). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "runtime.h"

static __thread elvm__guard_ctx *tls_guard;
static struct sigaction old_segv, old_bus;

elvm__guard_ctx *elvm__guard_current(void) { return tls_guard; }

void elvm__guard_push(elvm__guard_ctx *g, elvm_store *s) {
    g->store = s;
    g->in_host = 0;
    g->prev = tls_guard;
    tls_guard = g;
}

void elvm__guard_pop(elvm__guard_ctx *g) { tls_guard = g->prev; }

/* Is `addr` inside the reservation of a memory of `s`? Only reads plain memory: safe in
 * a signal handler. */
static bool in_store_memory(const elvm_store *s, const void *addr) {
    const uint8_t *a = addr;
    for (size_t i = 0; i < s->nobjs; i++) {
        if (s->objs[i].kind != OBJ_MEMORY) continue;
        const elvm_memory *m = s->objs[i].p;
        if (a >= m->data && a < m->data + m->reserved) return true;
    }
    return false;
}

static void chain(const struct sigaction *old, int sig, siginfo_t *info, void *uctx) {
    if (old->sa_flags & SA_SIGINFO) {
        if (old->sa_sigaction) {
            old->sa_sigaction(sig, info, uctx);
            return;
        }
    } else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
        old->sa_handler(sig);
        return;
    }
    /* default action: reinstall it and return, so the access faults again and the
     * process dies as it would have without elvm */
    signal(sig, SIG_DFL);
}

static void on_fault(int sig, siginfo_t *info, void *uctx) {
    elvm__guard_ctx *g = tls_guard;
    if (g && !g->in_host && in_store_memory(g->store, info->si_addr)) siglongjmp(g->jb, 1);
    chain(sig == SIGSEGV ? &old_segv : &old_bus, sig, info, uctx);
}

/* Installs on_fault for `sig` unless it is already there, keeping what it replaces to
 * chain to. Runs at each engine creation: a host (or a test framework) that set its own
 * handler since gets ours back in front of it. */
static bool install_one(int sig, struct sigaction *old) {
    struct sigaction cur, sa;
    if (sigaction(sig, NULL, &cur) != 0) return false;
    if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_fault) return true;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, old) == 0;
}

bool elvm__guard_install(void) {
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&lock);
    bool ok = install_one(SIGSEGV, &old_segv) && install_one(SIGBUS, &old_bus);
    pthread_mutex_unlock(&lock);
    return ok;
}
