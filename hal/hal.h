/* hal.h: the public API of elvm's ELASTIC TEE HAL host (the elastic:* WIT interfaces).
 *
 * Use (one elvm_hal per guest instance, like elvm_wasi):
 *   elvm_hal_config cfg;  elvm_hal_config_default(&cfg);  cfg.profile = "elastic-tee-minimal";
 *   elvm_hal *h = elvm_hal_new(&cfg, &err);                 // checks the grants
 *   elvm_hal_check_imports(h, module, &err);                // "unlinkable: ... not in profile"
 *   elvm_hal_define(h, store, linker);                      // the profile's interfaces only
 *   inst = elvm_linker_instantiate(linker, module, &err);
 *   elvm_hal_bind(h, inst, &err);                           // the guest's cabi_realloc
 *   ... call "_start" ...
 *   elvm_hal_free(h);                                       // after the store
 *
 * Each interface is the core-wasm import module the component model names it,
 * "elastic:NAME/NAME@0.1.0", and each function is lowered with the canonical ABI
 * (docs/HAL.md): strings and lists as (pointer, length), several results through a
 * return pointer, lists the host returns allocated with the guest's exported
 * `cabi_realloc`, resources as i32 handles, errors as WIT result<_, enum>.
 *
 * Guest pointers and lengths are checked against the linear memory before every access;
 * a bad one, a misaligned return pointer, invalid UTF-8 or an unknown handle traps (the
 * canonical ABI's rule), and touches nothing on the host.
 *
 * Several instances of one host (threads) talk through an elvm_hal_hub: the named
 * communication channels and the events bus live there. */
#ifndef ELVM_HAL_H
#define ELVM_HAL_H

#include <stdint.h>

#include "elvm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the interfaces (every package is elastic:NAME@0.1.0). */
#define ELVM_HAL_VERSION "0.1.0"

/* ---- the interfaces and the worlds ---------------------------------------------------- */

/* X(id, name): the eleven interfaces, in the order of the issue. */
#define ELVM_HAL_IFACE_LIST(X)                                                             \
    X(PLATFORM, "platform") X(CAPABILITIES, "capabilities") X(CRYPTO, "crypto")            \
    X(RANDOM, "random") X(STORAGE, "storage") X(COMMUNICATION, "communication")            \
    X(SOCKETS, "sockets") X(GPU, "gpu") X(RESOURCES, "resources") X(EVENTS, "events")      \
    X(CLOCK, "clock")

typedef enum {
#define ELVM_HAL_X(id, name) ELVM_HAL_##id,
    ELVM_HAL_IFACE_LIST(ELVM_HAL_X)
#undef ELVM_HAL_X
    ELVM_HAL_NIFACES
} elvm_hal_iface;

/* "crypto" for ELVM_HAL_CRYPTO; NULL out of range. */
const char *elvm_hal_iface_name(elvm_hal_iface i);

/* The interfaces of a profile (a world of hal/wit/complete.wit, or NAME-world of one
 * interface) as a bit set (1u << elvm_hal_iface); 0 if `profile` is no such world.
 * Profiles: elastic-tee-hal (all), elastic-tee-minimal, elastic-tee-attestation,
 * elastic-tee-storage, elastic-tee-network, elastic-tee-compute, platform-world, ... */
uint32_t elvm_hal_profile_ifaces(const char *profile);
/* The composed profile names, NULL-terminated (for --help and error messages). */
const char *const *elvm_hal_profiles(void);

/* ---- configuration --------------------------------------------------------------------- */

/* A channel of elastic:communication the guest may open: `name`, bounded to `capacity`
 * messages of at most `max_message` bytes (0: the defaults, 64 and 64 KiB), with the
 * directions it may use. */
typedef struct elvm_hal_channel_grant {
    const char *name;
    uint32_t capacity;
    uint32_t max_message;
    int can_send, can_receive;
} elvm_hal_channel_grant;

/* What the host reports to the embedder's log: `kind` "denied" for a sandbox refusal
 * (a socket not on the allow-list, a channel not granted, a budget over its grant),
 * "error" for a failure the guest only sees as an error code (a storage object failing
 * authentication, a certificate that did not verify). Instances on several threads call
 * it from those threads. */
typedef void (*elvm_hal_log_fn)(void *ctx, const char *kind, const char *detail);

/* Shared state of the instances of one host: communication channels and the event bus.
 * Thread-safe. Outlives every elvm_hal made with it. */
typedef struct elvm_hal_hub elvm_hal_hub;
elvm_hal_hub *elvm_hal_hub_new(void);
void elvm_hal_hub_free(elvm_hal_hub *hub);

/* Everything a guest may reach. Strings and arrays are copied by elvm_hal_new. */
typedef struct elvm_hal_config {
    /* The world linked (elvm_hal_profile_ifaces); NULL: "elastic-tee-hal". */
    const char *profile;

    /* platform: the SEV-SNP backend (an elvm_snp_backend value of sevsnp/sevsnp.h;
     * default ELVM_SNP_BACKEND_AUTO = 0) and the simulator's key directory. */
    int snp_backend;
    const char *snp_sim_keys_dir;

    /* storage: the host directory granted (--hal-storage DIR; NULL: storage calls fail
     * with not-granted) and the sealing key. With SEV-SNP hardware the key is derived
     * by the firmware (elvm_snp_derive_key); otherwise `storage_key_file` holds 32 raw
     * bytes or 64 hex digits. Objects larger than `storage_max_object` (0: 16 MiB) are
     * refused. */
    const char *storage_dir;
    const char *storage_key_file;
    uint64_t storage_max_object;

    /* sockets: "HOST:PORT" entries (HOST a name, an IPv4 address, [IPv6] or *; PORT a
     * number or *) the guest may connect or send to, and the local "ADDR:PORT" it may
     * listen on or bind. Everything else is denied and logged. `tls_ca_file`: PEM
     * roots for TLS verification (NULL: the system store). */
    const char *const *net_allow;
    uint32_t nnet_allow;
    const char *const *net_listen;
    uint32_t nnet_listen;
    const char *tls_ca_file;

    /* communication: the channels granted; `hub` is shared with the other instances
     * (NULL: a private hub, so channels only loop back to this guest). */
    const elvm_hal_channel_grant *channels;
    uint32_t nchannels;
    elvm_hal_hub *hub;

    /* resources: the budgets granted (0: no grant, unlimited). The guest may lower its
     * limits and raise them again up to these. `fuel_enabled`: the engine was made with
     * elvm_config.fuel (else the fuel budget is unsupported). The time limit is
     * enforced by the HAL with elvm_store_interrupt once elvm_hal_bind ran. */
    uint64_t memory_granted;
    uint64_t fuel_granted;
    int fuel_enabled;
    uint64_t time_granted_ms;

    /* gpu: 0 to hide every OpenCL device (the capability is then reported absent). */
    int gpu_enabled;

    elvm_hal_log_fn log;
    void *log_ctx;
} elvm_hal_config;

/* An instance of the HAL host: the grants, the handle table and the state of one guest. */
typedef struct elvm_hal elvm_hal;

/* Fills `cfg` with: profile elastic-tee-hal, SEV-SNP auto-detection, no storage, no
 * network, no channels, no budgets, gpu enabled. */
void elvm_hal_config_default(elvm_hal_config *cfg);

/* Copies `cfg` and checks it. Returns NULL on failure: ELVM_ARG for an unknown profile
 * (the message lists the profiles), a storage directory that is not one, an unreadable
 * or malformed key file, a malformed allow-list entry; ELVM_NOMEM. */
elvm_hal *elvm_hal_new(const elvm_hal_config *cfg, elvm_error *err);

/* Checks that every import of `module` from an elastic:* module is a function of an
 * interface of the profile. ELVM_UNLINKABLE with, e.g.:
 *   unlinkable: import "elastic:crypto/crypto@0.1.0" "hash" is not in profile
 *   elastic-tee-storage (its interfaces: platform, capabilities, ...)
 * and "unknown import" for a name the interface does not have. Other imports are left
 * to the linker. */
elvm_status elvm_hal_check_imports(const elvm_hal *h, const elvm_module *module,
                                   elvm_error *err);

/* Defines the functions of the profile's interfaces in `linker` as host functions
 * created in `store`. `h` must outlive every call into them. ELVM_OK or ELVM_NOMEM. */
elvm_status elvm_hal_define(elvm_hal *h, elvm_store *store, elvm_linker *linker);

/* Ties `h` to the instantiated guest: its exported `cabi_realloc` (needed by the
 * functions that return lists or strings; without it they trap) and its store, for
 * the budgets. Starts the time-limit watchdog. ELVM_UNLINKABLE if `cabi_realloc` has
 * the wrong type. */
elvm_status elvm_hal_bind(elvm_hal *h, elvm_instance *inst, elvm_error *err);

/* Frees every handle the guest left (keys, containers, sockets, buffers...), stops the
 * watchdog and frees `h`. NULL is allowed. */
void elvm_hal_free(elvm_hal *h);

#ifdef __cplusplus
}
#endif
#endif /* ELVM_HAL_H */
