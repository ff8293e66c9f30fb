/* capabilities.c: elastic:capabilities: the features this host actually has for this
 * guest: an interface counts only when its profile links it and the host can back it
 * (a SEV-SNP backend, a storage grant and key, an OpenCL device, ...). */
#include <stdio.h>
#include <stdlib.h>

#include "hal_impl.h"
#include "snp.h"

typedef struct cap {
    char name[32];
    int available;
    char detail[200];
} cap;

#define NCAPS 15

/* Fills caps[NCAPS]. */
static void collect(elvm_hal *h, cap *caps) {
    static const char *const names[NCAPS] = {
        "platform", "attestation", "hardware-sealing", "capabilities", "crypto",
        "random",   "storage",     "communication",    "sockets",      "tls",
        "dtls",     "gpu",         "resources",        "events",       "clock",
    };
    static const int iface_of[NCAPS] = {
        ELVM_HAL_PLATFORM, ELVM_HAL_PLATFORM, ELVM_HAL_STORAGE, ELVM_HAL_CAPABILITIES,
        ELVM_HAL_CRYPTO,   ELVM_HAL_RANDOM,   ELVM_HAL_STORAGE, ELVM_HAL_COMMUNICATION,
        ELVM_HAL_SOCKETS,  ELVM_HAL_SOCKETS,  ELVM_HAL_SOCKETS, ELVM_HAL_GPU,
        ELVM_HAL_RESOURCES, ELVM_HAL_EVENTS,  ELVM_HAL_CLOCK,
    };
    for (int i = 0; i < NCAPS; i++) {
        cap *k = &caps[i];
        snprintf(k->name, sizeof k->name, "%s", names[i]);
        if (!(h->ifaces & (1u << iface_of[i]))) {
            k->available = 0;
            snprintf(k->detail, sizeof k->detail, "interface %s is not in profile %s",
                     elvm_hal_iface_name((elvm_hal_iface)iface_of[i]), h->profile);
            continue;
        }
        k->available = 1;
        snprintf(k->detail, sizeof k->detail, "linked (profile %s)", h->profile);
        const char *kind = elvm__hal_platform_kind_name(h);
        const char *backend = elvm__hal_snp_backend_name(h->cfg.snp_backend);
        switch (i) {
        case 0: snprintf(k->detail, sizeof k->detail, "%s (backend %s)", kind, backend); break;
        case 1:
            k->available = h->snp_kind != 2;
            snprintf(k->detail, sizeof k->detail, "%s", k->available ? backend
                                                        : "no SEV-SNP backend on this host");
            break;
        case 2:
            k->available = h->snp_kind == 0;
            snprintf(k->detail, sizeof k->detail, "%s",
                     k->available ? "SEV-SNP derived sealing key"
                                  : "no SEV-SNP hardware: storage uses the operator's key file");
            break;
        case 4: snprintf(k->detail, sizeof k->detail, "%s", elvm__hal_ossl_version()); break;
        case 9:
        case 10:
            k->available = h->cfg.nnet_allow + h->cfg.nnet_listen > 0;
            snprintf(k->detail, sizeof k->detail, "%s%s%s", i == 9 ? "TLS 1.2/1.3, " : "DTLS 1.2, ",
                     elvm__hal_ossl_version(), k->available ? "" : "; no network grant");
            break;
        case 5: snprintf(k->detail, sizeof k->detail, "getrandom(2)"); break;
        case 6: k->available = elvm__hal_storage_ready(h, k->detail, sizeof k->detail); break;
        case 7:
            k->available = h->cfg.nchannels > 0;
            snprintf(k->detail, sizeof k->detail, "%u channel%s granted", h->cfg.nchannels,
                     h->cfg.nchannels == 1 ? "" : "s");
            break;
        case 8:
            k->available = h->cfg.nnet_allow + h->cfg.nnet_listen > 0;
            snprintf(k->detail, sizeof k->detail, "%u allow-list and %u listen entries",
                     h->cfg.nnet_allow, h->cfg.nnet_listen);
            break;
        case 11: k->available = elvm__hal_gpu_available(h, k->detail, sizeof k->detail); break;
        case 12:
            snprintf(k->detail, sizeof k->detail, "memory, %sfuel, time",
                     h->cfg.fuel_enabled ? "" : "(no) ");
            break;
        default: break;
        }
    }
}

static int find(const cap *caps, const char *name) {
    for (int i = 0; i < NCAPS; i++)
        if (!strcmp(caps[i].name, name)) return i;
    return -1;
}

/* Writes capability k (20 bytes: name @0, available u8 @8, detail @12) at `at`, an area
 * that `base`/`size` re-checks after each allocation. */
static int put_cap(hal_call *c, uint32_t at, uint32_t base, uint32_t size, const cap *k) {
    uint32_t pn, pd;
    size_t ln = strlen(k->name), ld = strlen(k->detail);
    HAL_TRY(hal_alloc(c, k->name, ln, 1, &pn));
    HAL_TRY(hal_alloc(c, k->detail, ld, 1, &pd));
    HAL_TRY(hal_retarea(c, base, size, 4));
    hal_st32(c, at, pn);
    hal_st32(c, at + 4, (uint32_t)ln);
    hal_st8(c, at + 8, (uint8_t)k->available);
    hal_st32(c, at + 12, pd);
    hal_st32(c, at + 16, (uint32_t)ld);
    return 0;
}

/* list: func() -> list<capability> */
static int c_list(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t ret = hal_u32(a, 0), arr;
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    cap caps[NCAPS];
    collect(c->h, caps);
    HAL_TRY(hal_alloc(c, NULL, NCAPS * 20, 4, &arr));
    for (uint32_t i = 0; i < NCAPS; i++)
        HAL_TRY(put_cap(c, arr + 20 * i, arr, NCAPS * 20, &caps[i]));
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    hal_st32(c, ret, arr);
    hal_st32(c, ret + 4, NCAPS);
    return 0;
}

/* has: func(name: string) -> bool */
static int c_has(hal_call *c, const elvm_val *a, elvm_val *r) {
    char *name;
    HAL_TRY(hal_string(c, hal_u32(a, 0), hal_u32(a, 1), "name", &name, NULL));
    cap caps[NCAPS];
    collect(c->h, caps);
    int i = find(caps, name);
    free(name);
    hal_set_i32(r, i >= 0 && caps[i].available);
    return 0;
}

/* get: func(name: string) -> option<capability>: disc u8 @0, capability @4; 24 bytes. */
static int c_get(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t ret = hal_u32(a, 2);
    char *name;
    HAL_TRY(hal_retarea(c, ret, 24, 4));
    HAL_TRY(hal_string(c, hal_u32(a, 0), hal_u32(a, 1), "name", &name, NULL));
    cap caps[NCAPS];
    collect(c->h, caps);
    int i = find(caps, name);
    free(name);
    hal_st8(c, ret, i >= 0);
    return i >= 0 ? put_cap(c, ret + 4, ret, 24, &caps[i]) : 0;
}

/* interfaces: func() -> list<string>: the interfaces of the linked profile. */
static int c_interfaces(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t ret = hal_u32(a, 0);
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    char *names[ELVM_HAL_NIFACES];
    uint32_t n = 0;
    for (unsigned i = 0; i < ELVM_HAL_NIFACES; i++)
        if (c->h->ifaces & (1u << i)) names[n++] = (char *)elvm_hal_iface_name((elvm_hal_iface)i);
    return hal_put_strings(c, ret, names, n);
}

/* profile: func() -> string */
static int c_profile(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    return hal_ret_list(c, hal_u32(a, 0), c->h->profile, strlen(c->h->profile));
}

static const hal_func funcs[] = {
    {"list", "i", "", c_list},
    {"has", "ii", "i", c_has},
    {"get", "iii", "", c_get},
    {"interfaces", "i", "", c_interfaces},
    {"profile", "i", "", c_profile},
};

const hal_iface_desc elvm__hal_CAPABILITIES = {ELVM_HAL_CAPABILITIES, HAL_MODULE("capabilities"),
                                               funcs, sizeof funcs / sizeof funcs[0]};
