/* hal_impl.h: private to hal/: the host state, the canonical-ABI helpers every interface
 * uses to reach guest memory, the handle table, and the interface descriptors. */
#ifndef ELVM_HAL_IMPL_H
#define ELVM_HAL_IMPL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "elvm.h"
#include "hal.h"

#define ELVM__HIDDEN __attribute__((visibility("hidden")))

/* ---- interfaces ------------------------------------------------------------------------- */

typedef struct hal_call hal_call;

/* One function of an interface: reads `a`, writes `r` (types as `params`/`results`:
 * 'i' i32, 'I' i64, 'f' f32, 'F' f64). Returns 0, or the trap from hal_trap. */
typedef int (*hal_impl)(hal_call *c, const elvm_val *a, elvm_val *r);

typedef struct hal_func {
    const char *name; /* the component-model name: "hash", "[method]key.public-key" */
    const char *params, *results;
    hal_impl impl;
} hal_func;

typedef struct hal_iface_desc {
    elvm_hal_iface id;
    const char *module; /* "elastic:crypto/crypto@0.1.0" */
    const hal_func *funcs;
    uint32_t nfuncs;
} hal_iface_desc;

#define HAL_MODULE(name) "elastic:" name "/" name "@" ELVM_HAL_VERSION

/* Each interface file defines its descriptor. */
#define ELVM_HAL_X(id, name) ELVM__HIDDEN extern const hal_iface_desc elvm__hal_##id;
ELVM_HAL_IFACE_LIST(ELVM_HAL_X)
#undef ELVM_HAL_X

/* ---- handles ------------------------------------------------------------------------------ */

/* Resource types: a handle has one, and a function taking a `borrow<key>` traps on a
 * handle of another type, as the canonical ABI's per-type tables would. */
typedef enum {
    HAL_RES_NONE = 0,
    HAL_RES_KEY,          /* crypto */
    HAL_RES_CONTAINER,    /* storage */
    HAL_RES_CHANNEL,      /* communication */
    HAL_RES_TCP_SOCKET,   /* sockets */
    HAL_RES_TCP_LISTENER,
    HAL_RES_UDP_SOCKET,
    HAL_RES_TLS_STREAM,
    HAL_RES_DTLS_SESSION,
    HAL_RES_GPU_BUFFER,   /* gpu */
    HAL_RES_GPU_KERNEL,
    HAL_RES_SUBSCRIPTION, /* events */
    HAL_RES_TIMER,        /* clock */
    HAL_RES_COUNT
} hal_res_type;

typedef void (*hal_drop_fn)(elvm_hal *h, void *obj);

typedef struct hal_handle {
    hal_res_type type;
    void *obj;
} hal_handle;

/* ---- the host state ------------------------------------------------------------------------ */

typedef struct hal_storage hal_storage;
typedef struct hal_net hal_net;
typedef struct hal_gpu hal_gpu;

struct elvm_hal {
    uint32_t ifaces;  /* the profile's interfaces, bit (1u << elvm_hal_iface) */
    const char *profile;
    elvm_hal_config cfg; /* its strings and arrays point into copies owned here */
    char **owned;     /* the copies, freed with the hal */
    uint32_t nowned;
    elvm_hal_hub *hub;
    int own_hub;

    /* The bound guest: cabi_realloc and the store (elvm_hal_bind). */
    elvm_func *realloc_fn;
    elvm_store *store;

    /* Handles: handle n is handles[n - 1] (0 is never a handle). */
    hal_handle *handles;
    uint32_t nhandles, caphandles;
    hal_drop_fn drop[HAL_RES_COUNT];

    /* platform */
    int snp_kind; /* 0 none, 1 sev-snp, 2 simulated (platform.c) */
    /* storage (storage.c) */
    hal_storage *storage;
    /* sockets (sockets.c) */
    hal_net *net;
    /* gpu (gpu.c) */
    hal_gpu *gpu;
    /* clock: the stopwatch of start-/stop-/read-monotonic (clock.c) */
    int sw_state; /* 0 never started, 1 running, 2 stopped */
    uint64_t sw_start, sw_stop;
    /* resources (resources.c) */
    uint64_t mem_limit, fuel_limit, time_limit_ms;
    uint64_t fuel_before; /* consumed before the last elvm_store_set_fuel by the HAL */
    uint64_t t_start_ns;  /* monotonic, at elvm_hal_new */
    pthread_t watchdog;
    pthread_mutex_t wd_lock;
    pthread_cond_t wd_cond;
    int wd_running, wd_stop;
    volatile int wd_fired; /* the time limit passed: blocking waits give up */
    /* events: this instance's inbox on the hub (events.c) */
    struct hal_inbox *inbox;

    /* One binding per defined function: its env (hal.c). */
    struct hal_binding *bindings;
    uint32_t nbindings;
};

/* The state of one host call: who called, its memory 0 (mem NULL, mem_size 0 when the
 * guest has none: every range check then traps). */
struct hal_call {
    elvm_hal *h;
    elvm_caller *caller;
    const hal_iface_desc *iface;
    const hal_func *fn;
    uint8_t *mem;
    uint64_t mem_size;
};

/* ---- canonical ABI: every guest access goes through these (abi.c) ------------------------- */

/* Arguments as the unsigned values the WIT types mean. */
static inline uint32_t hal_u32(const elvm_val *a, int i) { return (uint32_t)a[i].of.i32; }
static inline uint64_t hal_u64(const elvm_val *a, int i) { return (uint64_t)a[i].of.i64; }
static inline void hal_set_i32(elvm_val *r, uint32_t v) {
    r->type = ELVM_I32;
    r->of.i32 = (int32_t)v;
}
static inline void hal_set_i64(elvm_val *r, uint64_t v) {
    r->type = ELVM_I64;
    r->of.i64 = (int64_t)v;
}

#define HAL_TRY(x)                   \
    do {                             \
        int hal_rc_ = (x);           \
        if (hal_rc_) return hal_rc_; \
    } while (0)

/* Raises a trap of `kind` naming the function ("elastic:.../crypto@0.1.0 hash: ...");
 * returns what the host function returns. */
ELVM__HIDDEN int hal_trap(hal_call *c, elvm_trap_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reloads c->mem (after guest code ran: cabi_realloc may grow the memory). */
ELVM__HIDDEN void hal_refresh(hal_call *c);
/* A checked guest range for reading: *out points at [ptr, ptr + len), valid until guest
 * code runs again. Traps "out of bounds memory access" naming `what`. */
ELVM__HIDDEN int hal_in(hal_call *c, uint32_t ptr, uint32_t len, const char *what,
                        const uint8_t **out);
/* A guest string as a new NUL-terminated host copy (*out, free()). Traps on an out of
 * bounds range or invalid UTF-8. *has_nul tells of an embedded NUL (callers that need
 * a C string refuse it with their own error). */
ELVM__HIDDEN int hal_string(hal_call *c, uint32_t ptr, uint32_t len, const char *what,
                            char **out, int *has_nul);
/* Checks a return area of `size` bytes at `ptr`, aligned to `align`; traps if not. */
ELVM__HIDDEN int hal_retarea(hal_call *c, uint32_t ptr, uint32_t size, uint32_t align);
/* Allocates `size` bytes aligned to `align` in the guest with its cabi_realloc, and
 * copies `data` there (NULL: leave it). Traps if the guest has no cabi_realloc or it
 * returned a bad pointer. c->mem is reloaded. */
ELVM__HIDDEN int hal_alloc(hal_call *c, const void *data, uint64_t size, uint32_t align,
                           uint32_t *gptr);
/* Stores into a checked area (hal_retarea or hal_alloc): little-endian. */
static inline void hal_st8(hal_call *c, uint32_t p, uint8_t v) { c->mem[p] = v; }
static inline void hal_st16(hal_call *c, uint32_t p, uint16_t v) {
    c->mem[p] = (uint8_t)v;
    c->mem[p + 1] = (uint8_t)(v >> 8);
}
static inline void hal_st32(hal_call *c, uint32_t p, uint32_t v) {
    for (int i = 0; i < 4; i++) c->mem[p + (uint32_t)i] = (uint8_t)(v >> (8 * i));
}
static inline void hal_st64(hal_call *c, uint32_t p, uint64_t v) {
    for (int i = 0; i < 8; i++) c->mem[p + (uint32_t)i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t hal_ld32(const hal_call *c, uint32_t p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = (v << 8) | c->mem[p + (uint32_t)i];
    return v;
}

/* Results through a return pointer, the shapes the interfaces use. `ret` is checked
 * here. result<_, E>: disc u8 @0, E u8 @1. */
ELVM__HIDDEN int hal_ret_unit(hal_call *c, uint32_t ret, int err); /* err < 0: ok */
/* result<list<u8>, E> / result<string, E>: disc @0, ptr @4, len @8 (12 bytes, align 4);
 * on ok the bytes are copied with cabi_realloc. */
ELVM__HIDDEN int hal_ret_bytes(hal_call *c, uint32_t ret, const void *data, size_t len,
                               int err);
/* list<u8> / string without a result: ptr @0, len @4. */
ELVM__HIDDEN int hal_ret_list(hal_call *c, uint32_t ret, const void *data, size_t len);
/* result<u32 | handle, E>: disc @0, value @4. */
ELVM__HIDDEN int hal_ret_u32(hal_call *c, uint32_t ret, uint32_t v, int err);
/* result<u64, E>: disc @0, value @8. */
ELVM__HIDDEN int hal_ret_u64(hal_call *c, uint32_t ret, uint64_t v, int err);
/* result<bool, E>: disc @0, value u8 @1. */
ELVM__HIDDEN int hal_ret_bool(hal_call *c, uint32_t ret, int v, int err);
/* list<string>: `strs` host strings -> guest array of (ptr, len) at a new allocation;
 * writes (array ptr, count) at `at` (a checked area). */
ELVM__HIDDEN int hal_put_strings(hal_call *c, uint32_t at, char *const *strs, uint32_t n);

/* ---- handles (hal.c) ----------------------------------------------------------------------- */

/* A new handle owning `obj`; 0 when out of memory (obj is then still the caller's). */
ELVM__HIDDEN uint32_t hal_handle_new(elvm_hal *h, hal_res_type type, void *obj);
/* The object behind a handle of `type`; traps "unknown handle" if there is none. */
ELVM__HIDDEN int hal_handle_get(hal_call *c, uint32_t handle, hal_res_type type, void **obj);
/* Removes the handle (without dropping the object) and returns its object. */
ELVM__HIDDEN void *hal_handle_take(elvm_hal *h, uint32_t handle);
/* The generic [resource-drop]: drops the handle's object. */
ELVM__HIDDEN int hal_drop(hal_call *c, uint32_t handle, hal_res_type type);

/* The embedder's log (hal.c): `kind` "denied" or "error", a printf-style detail. */
ELVM__HIDDEN void hal_log(elvm_hal *h, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Monotonic and wall time in ns (clock.c). */
ELVM__HIDDEN uint64_t hal_now_mono(void);
ELVM__HIDDEN uint64_t hal_now_wall(void);

/* ---- per-interface setup and teardown ---------------------------------------------------- */

ELVM__HIDDEN int elvm__hal_platform_init(elvm_hal *h, elvm_error *err);
ELVM__HIDDEN int elvm__hal_storage_init(elvm_hal *h, elvm_error *err);
ELVM__HIDDEN void elvm__hal_storage_free(elvm_hal *h);
ELVM__HIDDEN int elvm__hal_net_init(elvm_hal *h, elvm_error *err);
ELVM__HIDDEN void elvm__hal_net_free(elvm_hal *h);
ELVM__HIDDEN int elvm__hal_gpu_available(elvm_hal *h, char *detail, size_t len);
ELVM__HIDDEN void elvm__hal_gpu_free(elvm_hal *h);
ELVM__HIDDEN void elvm__hal_events_free(elvm_hal *h);
ELVM__HIDDEN void elvm__hal_resources_init(elvm_hal *h);
ELVM__HIDDEN void elvm__hal_resources_bind(elvm_hal *h);
ELVM__HIDDEN void elvm__hal_resources_free(elvm_hal *h);
/* Registers each resource type's destructor in h->drop. */
ELVM__HIDDEN void elvm__hal_crypto_setup(elvm_hal *h);
ELVM__HIDDEN void elvm__hal_storage_setup(elvm_hal *h);
ELVM__HIDDEN void elvm__hal_comm_setup(elvm_hal *h);
ELVM__HIDDEN void elvm__hal_sockets_setup(elvm_hal *h);
ELVM__HIDDEN void elvm__hal_gpu_setup(elvm_hal *h);
ELVM__HIDDEN void elvm__hal_events_setup(elvm_hal *h);
ELVM__HIDDEN void elvm__hal_clock_setup(elvm_hal *h);

/* What capabilities.c asks of the others. */
ELVM__HIDDEN const char *elvm__hal_platform_kind_name(const elvm_hal *h);
ELVM__HIDDEN int elvm__hal_storage_ready(const elvm_hal *h, char *detail, size_t len);
ELVM__HIDDEN const char *elvm__hal_ossl_version(void);
ELVM__HIDDEN void elvm__hal_set_err(elvm_error *err, elvm_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* ELVM_HAL_IMPL_H */
