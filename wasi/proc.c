/* proc.c: the process's view of its world: args_*, environ_*, random_get, sched_yield,
 * proc_exit and proc_raise. */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/random.h>

#include "wasi_impl.h"

/* ---- args, environ ---------------------------------------------------------------------- */

/* Writes the pointer array (`n` u32 at `vec`) and the string block (at `buf`). */
static uint16_t strings_get(wasi_call *c, uint32_t vec, uint32_t buf, const char *block,
                            const uint32_t *off, uint32_t n, uint32_t size) {
    if (!wasi_in_bounds(c, vec, (uint64_t)n * 4) || !wasi_in_bounds(c, buf, size))
        return WASI_ERRNO_FAULT;
    for (uint32_t i = 0; i < n; i++) wasi_store_u32(c, vec + 4 * i, buf + off[i]);
    if (size) memcpy(wasi_ptr(c, buf), block, size);
    return WASI_ERRNO_SUCCESS;
}

static uint16_t sizes_get(wasi_call *c, uint32_t count_ptr, uint32_t size_ptr, uint32_t n,
                          uint32_t size) {
    if (!wasi_in_bounds(c, count_ptr, 4) || !wasi_in_bounds(c, size_ptr, 4))
        return WASI_ERRNO_FAULT;
    wasi_store_u32(c, count_ptr, n);
    wasi_store_u32(c, size_ptr, size);
    return WASI_ERRNO_SUCCESS;
}

uint16_t elvm__wasi_args_get(wasi_call *c, const elvm_val *a) {
    elvm_wasi *w = c->w;
    return strings_get(c, wasi_arg_u32(a, 0), wasi_arg_u32(a, 1), w->args_buf, w->args_off,
                       w->argc, w->args_size);
}

uint16_t elvm__wasi_args_sizes_get(wasi_call *c, const elvm_val *a) {
    return sizes_get(c, wasi_arg_u32(a, 0), wasi_arg_u32(a, 1), c->w->argc, c->w->args_size);
}

uint16_t elvm__wasi_environ_get(wasi_call *c, const elvm_val *a) {
    elvm_wasi *w = c->w;
    return strings_get(c, wasi_arg_u32(a, 0), wasi_arg_u32(a, 1), w->env_buf, w->env_off,
                       w->envc, w->env_size);
}

uint16_t elvm__wasi_environ_sizes_get(wasi_call *c, const elvm_val *a) {
    return sizes_get(c, wasi_arg_u32(a, 0), wasi_arg_u32(a, 1), c->w->envc, c->w->env_size);
}

/* ---- random, proc, sched ---------------------------------------------------------------- */

/* random_get(buf, len): getrandom(2) straight into guest memory. */
uint16_t elvm__wasi_random_get(wasi_call *c, const elvm_val *a) {
    uint32_t buf = wasi_arg_u32(a, 0), len = wasi_arg_u32(a, 1);
    if (!wasi_in_bounds(c, buf, len)) return WASI_ERRNO_FAULT;
    uint32_t done = 0;
    while (done < len) {
        ssize_t n = getrandom(wasi_ptr(c, buf + done), len - done, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return elvm__wasi_errno(errno);
        }
        done += (uint32_t)n;
    }
    return WASI_ERRNO_SUCCESS;
}

/* proc_exit(code): ends the whole call with ELVM_EXIT; never returns to the guest. */
uint16_t elvm__wasi_proc_exit(wasi_call *c, const elvm_val *a) {
    c->stop = elvm_caller_exit(c->caller, a[0].of.i32);
    if (!c->stop) c->stop = 1; /* the contract says non-zero; never fall back to the guest */
    return WASI_ERRNO_SUCCESS;
}

/* proc_raise(sig): elvm sends no signals, to the guest or the host. Signal numbers
 * of the witx (0 none .. 30 sys) give ERRNO_NOSYS, so a guest's raise() fails and the
 * guest goes on (wasi-libc's abort() does not use it: it traps with `unreachable`);
 * anything larger is not a signal: ERRNO_INVAL. */
uint16_t elvm__wasi_proc_raise(wasi_call *c, const elvm_val *a) {
    (void)c;
    return wasi_arg_u32(a, 0) > WASI_SIGNAL_MAX ? WASI_ERRNO_INVAL : WASI_ERRNO_NOSYS;
}

uint16_t elvm__wasi_sched_yield(wasi_call *c, const elvm_val *a) {
    (void)c;
    (void)a;
    sched_yield();
    return WASI_ERRNO_SUCCESS;
}
