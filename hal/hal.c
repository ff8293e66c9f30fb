/* hal.c: the HAL host's setup: profiles (worlds), the config copy, defining the
 * profile's functions, the import check, binding to the guest, the handle table and the
 * log. The interfaces live one a file: platform.c, capabilities.c, crypto.c, ... */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hal_impl.h"

static const hal_iface_desc *const ifaces[ELVM_HAL_NIFACES] = {
#define ELVM_HAL_X(id, name) &elvm__hal_##id,
    ELVM_HAL_IFACE_LIST(ELVM_HAL_X)
#undef ELVM_HAL_X
};

static const char *const iface_names[ELVM_HAL_NIFACES] = {
#define ELVM_HAL_X(id, name) name,
    ELVM_HAL_IFACE_LIST(ELVM_HAL_X)
#undef ELVM_HAL_X
};

const char *elvm_hal_iface_name(elvm_hal_iface i) {
    return (unsigned)i < ELVM_HAL_NIFACES ? iface_names[i] : NULL;
}

/* ---- worlds (hal/wit/complete.wit) ---------------------------------------------------------- */

#define BIT(id) (1u << ELVM_HAL_##id)
#define ALL_IFACES ((1u << ELVM_HAL_NIFACES) - 1)

static const struct world {
    const char *name;
    uint32_t ifaces;
} worlds[] = {
    {"elastic-tee-hal", ALL_IFACES},
    {"elastic-tee-minimal", BIT(PLATFORM) | BIT(CRYPTO) | BIT(RANDOM)},
    {"elastic-tee-attestation",
     BIT(PLATFORM) | BIT(CAPABILITIES) | BIT(CRYPTO) | BIT(RANDOM) | BIT(CLOCK)},
    {"elastic-tee-storage",
     BIT(PLATFORM) | BIT(CAPABILITIES) | BIT(CRYPTO) | BIT(RANDOM) | BIT(STORAGE) | BIT(CLOCK)},
    {"elastic-tee-network", BIT(PLATFORM) | BIT(CAPABILITIES) | BIT(CRYPTO) | BIT(RANDOM) |
                                BIT(SOCKETS) | BIT(COMMUNICATION) | BIT(CLOCK)},
    {"elastic-tee-compute", BIT(PLATFORM) | BIT(CAPABILITIES) | BIT(RANDOM) | BIT(GPU) |
                                BIT(RESOURCES) | BIT(EVENTS) | BIT(CLOCK)},
};
#define NWORLDS (sizeof worlds / sizeof worlds[0])

static const char *const profile_names[NWORLDS + 1] = {
    "elastic-tee-hal",     "elastic-tee-minimal", "elastic-tee-attestation",
    "elastic-tee-storage", "elastic-tee-network", "elastic-tee-compute",
    NULL,
};

const char *const *elvm_hal_profiles(void) { return profile_names; }

uint32_t elvm_hal_profile_ifaces(const char *profile) {
    if (!profile) return 0;
    for (size_t i = 0; i < NWORLDS; i++)
        if (!strcmp(profile, worlds[i].name)) return worlds[i].ifaces;
    /* NAME-world: the world of one interface package. */
    for (unsigned i = 0; i < ELVM_HAL_NIFACES; i++) {
        size_t n = strlen(iface_names[i]);
        if (!strncmp(profile, iface_names[i], n) && !strcmp(profile + n, "-world")) return 1u << i;
    }
    return 0;
}

/* "platform, crypto, random" */
static void iface_list(uint32_t set, char *buf, size_t len) {
    size_t at = 0;
    buf[0] = 0;
    for (unsigned i = 0; i < ELVM_HAL_NIFACES; i++) {
        if (!(set & (1u << i))) continue;
        int k = snprintf(buf + at, len - at, "%s%s", at ? ", " : "", iface_names[i]);
        if (k < 0 || (size_t)k >= len - at) break;
        at += (size_t)k;
    }
}

/* ---- errors and the log -------------------------------------------------------------------- */

void elvm__hal_set_err(elvm_error *err, elvm_status st, const char *fmt, ...) {
    if (!err) return;
    memset(err, 0, sizeof *err);
    err->status = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

void hal_log(elvm_hal *h, const char *kind, const char *fmt, ...) {
    if (!h->cfg.log) return;
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    h->cfg.log(h->cfg.log_ctx, kind, detail);
}

/* ---- config ----------------------------------------------------------------------------------- */

void elvm_hal_config_default(elvm_hal_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->profile = "elastic-tee-hal";
    cfg->gpu_enabled = 1;
}

/* A copy of `s` owned by `h` (NULL stays NULL); -1 when out of memory. */
static int own_str(elvm_hal *h, const char **s) {
    if (!*s) return 0;
    char **grown = realloc(h->owned, (h->nowned + 1) * sizeof *grown);
    if (!grown) return -1;
    h->owned = grown;
    char *d = strdup(*s);
    if (!d) return -1;
    h->owned[h->nowned++] = d;
    *s = d;
    return 0;
}

static int own_mem(elvm_hal *h, const void **p, size_t size) {
    if (!*p || !size) return 0;
    char **grown = realloc(h->owned, (h->nowned + 1) * sizeof *grown);
    if (!grown) return -1;
    h->owned = grown;
    char *d = malloc(size);
    if (!d) return -1;
    memcpy(d, *p, size);
    h->owned[h->nowned++] = d;
    *p = d;
    return 0;
}

static int own_strv(elvm_hal *h, const char *const **v, uint32_t n) {
    if (own_mem(h, (const void **)v, (size_t)n * sizeof **v)) return -1;
    for (uint32_t i = 0; i < n; i++)
        if (own_str(h, (const char **)&(*v)[i])) return -1;
    return 0;
}

static int copy_config(elvm_hal *h, const elvm_hal_config *cfg) {
    h->cfg = *cfg;
    elvm_hal_config *c = &h->cfg;
    if (own_str(h, &c->profile) || own_str(h, &c->snp_sim_keys_dir) ||
        own_str(h, &c->storage_dir) || own_str(h, &c->storage_key_file) ||
        own_str(h, &c->tls_ca_file) || own_strv(h, &c->net_allow, c->nnet_allow) ||
        own_strv(h, &c->net_listen, c->nnet_listen) ||
        own_mem(h, (const void **)&c->channels, (size_t)c->nchannels * sizeof *c->channels))
        return -1;
    for (uint32_t i = 0; i < c->nchannels; i++)
        if (own_str(h, &((elvm_hal_channel_grant *)c->channels)[i].name)) return -1;
    return 0;
}

elvm_hal *elvm_hal_new(const elvm_hal_config *cfg, elvm_error *err) {
    elvm_hal_config def;
    if (!cfg) {
        elvm_hal_config_default(&def);
        cfg = &def;
    }
    const char *profile = cfg->profile ? cfg->profile : "elastic-tee-hal";
    uint32_t set = elvm_hal_profile_ifaces(profile);
    if (!set) {
        elvm__hal_set_err(err, ELVM_ARG,
                          "unknown HAL profile '%s' (profiles: elastic-tee-hal, "
                          "elastic-tee-minimal, elastic-tee-attestation, elastic-tee-storage, "
                          "elastic-tee-network, elastic-tee-compute, or NAME-world for one "
                          "interface)",
                          profile);
        return NULL;
    }
    elvm_hal *h = calloc(1, sizeof *h);
    if (!h) goto nomem;
    pthread_mutex_init(&h->wd_lock, NULL);
    pthread_condattr_t ca; /* the watchdog waits for a deadline on the monotonic clock */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->wd_cond, &ca);
    pthread_condattr_destroy(&ca);
    h->ifaces = set;
    if (copy_config(h, cfg)) goto nomem;
    h->profile = h->cfg.profile ? h->cfg.profile : "elastic-tee-hal";
    if (cfg->hub) {
        h->hub = cfg->hub;
    } else {
        if (!(h->hub = elvm_hal_hub_new())) goto nomem;
        h->own_hub = 1;
    }
    elvm__hal_crypto_setup(h);
    elvm__hal_storage_setup(h);
    elvm__hal_comm_setup(h);
    elvm__hal_sockets_setup(h);
    elvm__hal_gpu_setup(h);
    elvm__hal_events_setup(h);
    elvm__hal_clock_setup(h);
    elvm__hal_resources_init(h);
    if (elvm__hal_platform_init(h, err) || elvm__hal_storage_init(h, err) ||
        elvm__hal_net_init(h, err)) {
        elvm_hal_free(h);
        return NULL;
    }
    return h;
nomem:
    elvm_hal_free(h);
    elvm__hal_set_err(err, ELVM_NOMEM, "out of host memory setting up the HAL");
    return NULL;
}

void elvm_hal_free(elvm_hal *h) {
    if (!h) return;
    elvm__hal_resources_free(h); /* the watchdog first: it touches the store */
    for (uint32_t i = 0; i < h->nhandles; i++) {
        hal_handle *e = &h->handles[i];
        if (e->type != HAL_RES_NONE && h->drop[e->type]) h->drop[e->type](h, e->obj);
    }
    free(h->handles);
    elvm__hal_events_free(h);
    elvm__hal_storage_free(h);
    elvm__hal_net_free(h);
    elvm__hal_gpu_free(h);
    if (h->own_hub) elvm_hal_hub_free(h->hub);
    for (uint32_t i = 0; i < h->nowned; i++) free(h->owned[i]);
    free(h->owned);
    free(h->bindings);
    pthread_mutex_destroy(&h->wd_lock);
    pthread_cond_destroy(&h->wd_cond);
    free(h);
}

/* ---- handles ---------------------------------------------------------------------------------- */

uint32_t hal_handle_new(elvm_hal *h, hal_res_type type, void *obj) {
    uint32_t i = 0;
    while (i < h->nhandles && h->handles[i].type != HAL_RES_NONE) i++;
    if (i == h->nhandles) {
        if (h->nhandles == h->caphandles) {
            uint32_t cap = h->caphandles ? h->caphandles * 2 : 16;
            if (cap > (1u << 20)) return 0; /* a guest leaking handles stops here */
            hal_handle *g = realloc(h->handles, cap * sizeof *g);
            if (!g) return 0;
            h->handles = g;
            h->caphandles = cap;
        }
        h->nhandles++;
    }
    h->handles[i].type = type;
    h->handles[i].obj = obj;
    return i + 1;
}

static const char *const res_names[HAL_RES_COUNT] = {
    "none",       "key",          "container",    "channel",    "tcp-socket",
    "tcp-listener", "udp-socket", "tls-stream",   "dtls-session", "buffer",
    "kernel",     "subscription", "timer",
};

int hal_handle_get(hal_call *c, uint32_t handle, hal_res_type type, void **obj) {
    elvm_hal *h = c->h;
    if (handle == 0 || handle > h->nhandles || h->handles[handle - 1].type != type)
        return hal_trap(c, ELVM_TRAP_HOST, "unknown handle %u (expected a %s)", handle,
                        res_names[type]);
    *obj = h->handles[handle - 1].obj;
    return 0;
}

void *hal_handle_take(elvm_hal *h, uint32_t handle) {
    hal_handle *e = &h->handles[handle - 1];
    void *obj = e->obj;
    e->type = HAL_RES_NONE;
    e->obj = NULL;
    return obj;
}

int hal_drop(hal_call *c, uint32_t handle, hal_res_type type) {
    void *obj;
    HAL_TRY(hal_handle_get(c, handle, type, &obj));
    hal_handle_take(c->h, handle);
    if (c->h->drop[type]) c->h->drop[type](c->h, obj);
    return 0;
}

/* ---- defining and checking imports ------------------------------------------------------------ */

struct hal_binding {
    elvm_hal *h;
    const hal_iface_desc *iface;
    const hal_func *fn;
    elvm_valtype params[17], results[2];
    uint32_t nparams, nresults;
};

static elvm_valtype valtype_of(char c) {
    switch (c) {
    case 'I': return ELVM_I64;
    case 'f': return ELVM_F32;
    case 'F': return ELVM_F64;
    default: return ELVM_I32;
    }
}

/* The host function behind every import. */
static int hal_host_call(elvm_caller *caller, void *env, const elvm_val *args,
                         elvm_val *results) {
    struct hal_binding *b = env;
    hal_call c = {.h = b->h, .caller = caller, .iface = b->iface, .fn = b->fn};
    hal_refresh(&c);
    for (uint32_t i = 0; i < b->nresults; i++) results[i].type = b->results[i];
    return b->fn->impl(&c, args, results);
}

elvm_status elvm_hal_define(elvm_hal *h, elvm_store *store, elvm_linker *linker) {
    uint32_t n = 0;
    for (unsigned i = 0; i < ELVM_HAL_NIFACES; i++)
        if (h->ifaces & (1u << i)) n += ifaces[i]->nfuncs;
    free(h->bindings);
    h->bindings = calloc(n ? n : 1, sizeof *h->bindings);
    if (!h->bindings) return ELVM_NOMEM;
    h->nbindings = n;
    h->store = store;
    uint32_t k = 0;
    for (unsigned i = 0; i < ELVM_HAL_NIFACES; i++) {
        if (!(h->ifaces & (1u << i))) continue;
        const hal_iface_desc *d = ifaces[i];
        for (uint32_t j = 0; j < d->nfuncs; j++) {
            struct hal_binding *b = &h->bindings[k++];
            b->h = h;
            b->iface = d;
            b->fn = &d->funcs[j];
            for (const char *p = b->fn->params; *p; p++) b->params[b->nparams++] = valtype_of(*p);
            for (const char *p = b->fn->results; *p; p++)
                b->results[b->nresults++] = valtype_of(*p);
            elvm_func *f = elvm_func_new(store, b->params, b->nparams, b->results, b->nresults,
                                         hal_host_call, b);
            if (!f) return ELVM_NOMEM;
            elvm_extern ext = {.kind = ELVM_EXTERN_FUNC, .of.func = f};
            elvm_status st = elvm_linker_define(linker, d->module, b->fn->name, ext);
            if (st != ELVM_OK) return st;
        }
    }
    return ELVM_OK;
}

/* The interface whose module name is (m, mlen), or -1. */
static int iface_of_module(const char *m, size_t mlen) {
    for (unsigned i = 0; i < ELVM_HAL_NIFACES; i++)
        if (strlen(ifaces[i]->module) == mlen && !memcmp(ifaces[i]->module, m, mlen)) return (int)i;
    return -1;
}

elvm_status elvm_hal_check_imports(const elvm_hal *h, const elvm_module *module,
                                   elvm_error *err) {
    uint32_t n = elvm_module_num_imports(module);
    for (uint32_t i = 0; i < n; i++) {
        elvm_import_desc d;
        elvm_module_import(module, i, &d);
        if (d.module_len < 8 || memcmp(d.module, "elastic:", 8)) continue;
        int id = iface_of_module(d.module, d.module_len);
        if (id < 0) {
            elvm__hal_set_err(err, ELVM_UNLINKABLE,
                              "unlinkable: import \"%s\" \"%s\" is not an ELASTIC HAL "
                              "interface (they are elastic:NAME/NAME@" ELVM_HAL_VERSION ")",
                              d.module, d.name);
            return ELVM_UNLINKABLE;
        }
        if (!(h->ifaces & (1u << id))) {
            char list[256];
            iface_list(h->ifaces, list, sizeof list);
            elvm__hal_set_err(err, ELVM_UNLINKABLE,
                              "unlinkable: import \"%s\" \"%s\" is not in profile %s (its "
                              "interfaces: %s)",
                              d.module, d.name, h->profile, list);
            return ELVM_UNLINKABLE;
        }
        const hal_iface_desc *desc = ifaces[id];
        int found = 0;
        for (uint32_t j = 0; j < desc->nfuncs && !found; j++)
            found = strlen(desc->funcs[j].name) == d.name_len &&
                    !memcmp(desc->funcs[j].name, d.name, d.name_len);
        if (!found) {
            elvm__hal_set_err(err, ELVM_UNLINKABLE,
                              "unknown import: \"%s\" \"%s\": the interface has no such "
                              "function (hal/wit/%s.wit)",
                              d.module, d.name, iface_names[id]);
            return ELVM_UNLINKABLE;
        }
        if (d.type.kind != ELVM_EXTERN_FUNC) {
            elvm__hal_set_err(err, ELVM_UNLINKABLE,
                              "incompatible import type: \"%s\" \"%s\" is a function", d.module,
                              d.name);
            return ELVM_UNLINKABLE;
        }
    }
    return ELVM_OK;
}

elvm_status elvm_hal_bind(elvm_hal *h, elvm_instance *inst, elvm_error *err) {
    elvm_extern ext;
    h->realloc_fn = NULL;
    if (elvm_instance_export(inst, "cabi_realloc", &ext)) {
        elvm_externtype t;
        if (ext.kind == ELVM_EXTERN_FUNC) elvm_func_type(ext.of.func, &t);
        if (ext.kind != ELVM_EXTERN_FUNC || t.nparams != 4 || t.nresults != 1 ||
            t.params[0] != ELVM_I32 || t.params[1] != ELVM_I32 || t.params[2] != ELVM_I32 ||
            t.params[3] != ELVM_I32 || t.results[0] != ELVM_I32) {
            elvm__hal_set_err(err, ELVM_UNLINKABLE,
                              "incompatible export type: \"cabi_realloc\" must be "
                              "(func (param i32 i32 i32 i32) (result i32))");
            return ELVM_UNLINKABLE;
        }
        h->realloc_fn = ext.of.func;
    }
    elvm__hal_resources_bind(h);
    return ELVM_OK;
}
