/* resources.c: elastic:resources: the instance's budgets (memory, fuel, time): what was
 * granted, the limit in force, and what is used. A guest may lower a limit and raise it
 * again up to the grant, never past it nor below what it already uses. Memory is
 * enforced by the store (elvm_store_set_memory_limit), fuel by the interpreter
 * (elvm_store_set_fuel), time by a watchdog thread here (elvm_store_interrupt). */
#include <errno.h>
#include <time.h>

#include "hub.h"

enum { K_MEMORY = 0, K_FUEL = 1, K_TIME = 2, K_COUNT };                    /* resource-kind */
enum { E_EXCEEDS_GRANT = 0, E_BELOW_USAGE = 1, E_UNSUPPORTED = 2 };        /* resource-error */

void elvm__hal_resources_init(elvm_hal *h) {
    h->mem_limit = h->cfg.memory_granted;
    h->fuel_limit = h->cfg.fuel_granted;
    h->time_limit_ms = h->cfg.time_granted_ms;
    h->t_start_ns = hal_now_mono();
}

/* The watchdog: interrupts the store when the time limit passes. */
static void *watchdog(void *p) {
    elvm_hal *h = p;
    pthread_mutex_lock(&h->wd_lock);
    while (!h->wd_stop) {
        if (!h->time_limit_ms) {
            pthread_cond_wait(&h->wd_cond, &h->wd_lock);
            continue;
        }
        uint64_t deadline = h->t_start_ns + h->time_limit_ms * 1000000u;
        if (hal_now_mono() >= deadline) {
            if (h->store) elvm_store_interrupt(h->store);
            h->time_limit_ms = 0; /* fired: wait for the stop */
            h->wd_fired = 1;
            /* Wake a guest blocked in a channel or event wait: it gives up, and the
             * interrupt stops it at its next call. */
            pthread_mutex_lock(&h->hub->lock);
            pthread_cond_broadcast(&h->hub->cond);
            pthread_mutex_unlock(&h->hub->lock);
            continue;
        }
        struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000000u),
                              .tv_nsec = (long)(deadline % 1000000000u)};
        pthread_cond_timedwait(&h->wd_cond, &h->wd_lock, &ts);
    }
    pthread_mutex_unlock(&h->wd_lock);
    return NULL;
}

static void start_watchdog(elvm_hal *h) {
    if (h->wd_running) return;
    h->wd_stop = 0;
    h->wd_running = pthread_create(&h->watchdog, NULL, watchdog, h) == 0;
}

void elvm__hal_resources_bind(elvm_hal *h) {
    h->t_start_ns = hal_now_mono();
    h->fuel_before = 0;
    if (h->time_limit_ms) start_watchdog(h); /* the grant holds whether or not the guest
                                                 links elastic:resources */
}

void elvm__hal_resources_free(elvm_hal *h) {
    if (!h->wd_running) return;
    pthread_mutex_lock(&h->wd_lock);
    h->wd_stop = 1;
    pthread_cond_broadcast(&h->wd_cond);
    pthread_mutex_unlock(&h->wd_lock);
    pthread_join(h->watchdog, NULL);
    h->wd_running = 0;
}

static uint64_t mem_used(hal_call *c) { return c->mem ? c->mem_size : 0; }

static uint64_t fuel_used(const elvm_hal *h) {
    return h->cfg.fuel_enabled && h->store ? h->fuel_before + elvm_store_fuel_consumed(h->store)
                                           : 0;
}

static uint64_t elapsed_ms(const elvm_hal *h) { return (hal_now_mono() - h->t_start_ns) / 1000000u; }

static uint64_t usage(hal_call *c, uint32_t k) {
    return k == K_MEMORY ? mem_used(c) : k == K_FUEL ? fuel_used(c->h) : elapsed_ms(c->h);
}
static uint64_t limit(const elvm_hal *h, uint32_t k) {
    return k == K_MEMORY ? h->mem_limit : k == K_FUEL ? h->fuel_limit : h->time_limit_ms;
}
static uint64_t granted(const elvm_hal *h, uint32_t k) {
    return k == K_MEMORY ? h->cfg.memory_granted
         : k == K_FUEL   ? h->cfg.fuel_granted
                         : h->cfg.time_granted_ms;
}

static int kind_arg(hal_call *c, uint32_t k) {
    return k < K_COUNT ? 0 : hal_trap(c, ELVM_TRAP_HOST, "invalid resource-kind discriminant %u", k);
}

/* report: func() -> resource-report
 * record resource-report (u64 each, 80 bytes, align 8): memory-used @0, memory-peak @8,
 * memory-limit @16, memory-granted @24, fuel-used @32, fuel-limit @40, fuel-granted @48,
 * time-used-ms @56, time-limit-ms @64, time-granted-ms @72. A limit or grant of 0 is
 * "none". */
static int r_report(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t ret = hal_u32(a, 0);
    HAL_TRY(hal_retarea(c, ret, 80, 8));
    elvm_hal *h = c->h;
    uint64_t v[10] = {
        mem_used(c),    h->store ? elvm_store_peak_memory(h->store) : 0,
        h->mem_limit,   h->cfg.memory_granted,
        fuel_used(h),   h->fuel_limit,
        h->cfg.fuel_granted, elapsed_ms(h),
        h->time_limit_ms, h->cfg.time_granted_ms,
    };
    for (int i = 0; i < 10; i++) hal_st64(c, ret + 8 * (uint32_t)i, v[i]);
    return 0;
}

/* usage / limit / granted: func(kind: resource-kind) -> u64 */
static int r_usage(hal_call *c, const elvm_val *a, elvm_val *r) {
    HAL_TRY(kind_arg(c, hal_u32(a, 0)));
    hal_set_i64(r, usage(c, hal_u32(a, 0)));
    return 0;
}
static int r_limit(hal_call *c, const elvm_val *a, elvm_val *r) {
    HAL_TRY(kind_arg(c, hal_u32(a, 0)));
    hal_set_i64(r, limit(c->h, hal_u32(a, 0)));
    return 0;
}
static int r_granted(hal_call *c, const elvm_val *a, elvm_val *r) {
    HAL_TRY(kind_arg(c, hal_u32(a, 0)));
    hal_set_i64(r, granted(c->h, hal_u32(a, 0)));
    return 0;
}

/* set-limit: func(kind: resource-kind, value: u64) -> result<_, resource-error>
 * value 0 lifts the limit, only where nothing was granted. */
static int r_set_limit(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t k = hal_u32(a, 0), ret = hal_u32(a, 2);
    uint64_t v = hal_u64(a, 1);
    HAL_TRY(kind_arg(c, k));
    HAL_TRY(hal_retarea(c, ret, 2, 1));
    elvm_hal *h = c->h;
    uint64_t g = granted(h, k);
    if (k == K_FUEL && !h->cfg.fuel_enabled) return hal_ret_unit(c, ret, E_UNSUPPORTED);
    if (!h->store) return hal_ret_unit(c, ret, E_UNSUPPORTED);
    if (g && (v == 0 || v > g)) {
        hal_log(h, "denied", "resources: set-limit %s %llu over the grant of %llu",
                k == K_MEMORY ? "memory" : k == K_FUEL ? "fuel" : "time",
                (unsigned long long)v, (unsigned long long)g);
        return hal_ret_unit(c, ret, E_EXCEEDS_GRANT);
    }
    if (v && v < usage(c, k)) return hal_ret_unit(c, ret, E_BELOW_USAGE);
    if (k == K_MEMORY) {
        h->mem_limit = v;
        elvm_store_set_memory_limit(h->store, v);
    } else if (k == K_FUEL) {
        uint64_t used = fuel_used(h);
        h->fuel_before = used;
        h->fuel_limit = v;
        elvm_store_set_fuel(h->store, v ? v - used : UINT64_MAX);
    } else {
        pthread_mutex_lock(&h->wd_lock);
        h->time_limit_ms = v;
        pthread_cond_broadcast(&h->wd_cond);
        pthread_mutex_unlock(&h->wd_lock);
        if (v) start_watchdog(h);
    }
    return hal_ret_unit(c, ret, -1);
}

static const hal_func funcs[] = {
    {"report", "i", "", r_report},
    {"usage", "i", "I", r_usage},
    {"limit", "i", "I", r_limit},
    {"granted", "i", "I", r_granted},
    {"set-limit", "iIi", "", r_set_limit},
};

const hal_iface_desc elvm__hal_RESOURCES = {ELVM_HAL_RESOURCES, HAL_MODULE("resources"), funcs,
                                            sizeof funcs / sizeof funcs[0]};
