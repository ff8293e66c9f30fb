/* wasi.c: WASI host setup and registration, the host-errno conversion and the denial
 * log. The functions themselves live by area in proc.c, clock.c, fdtable.c, fd.c,
 * dir.c, path.c, poll.c and sock.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasi_impl.h"

/* What a defined function's env points at: its implementation and its type, which
 * lives as long as the elvm_wasi. */
struct wasi_binding {
    elvm_wasi *w;
    const char *name;
    wasi_impl impl;
    elvm_valtype params[9], results[1];
    uint32_t nparams, nresults;
};

static const struct wasi_func_desc {
    const char *name, *params, *results;
    wasi_impl impl;
} wasi_funcs[] = {
#define WASI_X(name, params, results, impl) {#name, params, results, impl},
    WASI_FUNC_LIST(WASI_X)
#undef WASI_X
};
#define WASI_NFUNCS (sizeof wasi_funcs / sizeof wasi_funcs[0])

static const char *wasi_errno_name(uint16_t e) {
    switch (e) {
#define WASI_X(n, v) case v: return #n;
        WASI_ERRNO_LIST(WASI_X)
#undef WASI_X
    }
    return "?";
}

/* ---- host errno -> WASI errno: the one place -------------------------------------------- */

uint16_t elvm__wasi_errno(int host_errno) {
    switch (host_errno) {
    case 0: return WASI_ERRNO_SUCCESS;
    case E2BIG: return WASI_ERRNO_2BIG;
    case EACCES: return WASI_ERRNO_ACCES;
    case EADDRINUSE: return WASI_ERRNO_ADDRINUSE;
    case EADDRNOTAVAIL: return WASI_ERRNO_ADDRNOTAVAIL;
    case EAFNOSUPPORT: return WASI_ERRNO_AFNOSUPPORT;
    case EAGAIN: return WASI_ERRNO_AGAIN;
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK: return WASI_ERRNO_AGAIN;
#endif
    case EALREADY: return WASI_ERRNO_ALREADY;
    case EBADF: return WASI_ERRNO_BADF;
    case EBADMSG: return WASI_ERRNO_BADMSG;
    case EBUSY: return WASI_ERRNO_BUSY;
    case ECANCELED: return WASI_ERRNO_CANCELED;
    case ECHILD: return WASI_ERRNO_CHILD;
    case ECONNABORTED: return WASI_ERRNO_CONNABORTED;
    case ECONNREFUSED: return WASI_ERRNO_CONNREFUSED;
    case ECONNRESET: return WASI_ERRNO_CONNRESET;
    case EDEADLK: return WASI_ERRNO_DEADLK;
    case EDESTADDRREQ: return WASI_ERRNO_DESTADDRREQ;
    case EDOM: return WASI_ERRNO_DOM;
    case EDQUOT: return WASI_ERRNO_DQUOT;
    case EEXIST: return WASI_ERRNO_EXIST;
    case EFAULT: return WASI_ERRNO_FAULT;
    case EFBIG: return WASI_ERRNO_FBIG;
    case EHOSTUNREACH: return WASI_ERRNO_HOSTUNREACH;
    case EIDRM: return WASI_ERRNO_IDRM;
    case EILSEQ: return WASI_ERRNO_ILSEQ;
    case EINPROGRESS: return WASI_ERRNO_INPROGRESS;
    case EINTR: return WASI_ERRNO_INTR;
    case EINVAL: return WASI_ERRNO_INVAL;
    case EIO: return WASI_ERRNO_IO;
    case EISCONN: return WASI_ERRNO_ISCONN;
    case EISDIR: return WASI_ERRNO_ISDIR;
    case ELOOP: return WASI_ERRNO_LOOP;
    case EMFILE: return WASI_ERRNO_MFILE;
    case EMLINK: return WASI_ERRNO_MLINK;
    case EMSGSIZE: return WASI_ERRNO_MSGSIZE;
    case EMULTIHOP: return WASI_ERRNO_MULTIHOP;
    case ENAMETOOLONG: return WASI_ERRNO_NAMETOOLONG;
    case ENETDOWN: return WASI_ERRNO_NETDOWN;
    case ENETRESET: return WASI_ERRNO_NETRESET;
    case ENETUNREACH: return WASI_ERRNO_NETUNREACH;
    case ENFILE: return WASI_ERRNO_NFILE;
    case ENOBUFS: return WASI_ERRNO_NOBUFS;
    case ENODEV: return WASI_ERRNO_NODEV;
    case ENOENT: return WASI_ERRNO_NOENT;
    case ENOEXEC: return WASI_ERRNO_NOEXEC;
    case ENOLCK: return WASI_ERRNO_NOLCK;
    case ENOLINK: return WASI_ERRNO_NOLINK;
    case ENOMEM: return WASI_ERRNO_NOMEM;
    case ENOMSG: return WASI_ERRNO_NOMSG;
    case ENOPROTOOPT: return WASI_ERRNO_NOPROTOOPT;
    case ENOSPC: return WASI_ERRNO_NOSPC;
    case ENOSYS: return WASI_ERRNO_NOSYS;
    case ENOTCONN: return WASI_ERRNO_NOTCONN;
    case ENOTDIR: return WASI_ERRNO_NOTDIR;
    case ENOTEMPTY: return WASI_ERRNO_NOTEMPTY;
    case ENOTRECOVERABLE: return WASI_ERRNO_NOTRECOVERABLE;
    case ENOTSOCK: return WASI_ERRNO_NOTSOCK;
    case ENOTSUP: return WASI_ERRNO_NOTSUP;
#if EOPNOTSUPP != ENOTSUP
    case EOPNOTSUPP: return WASI_ERRNO_NOTSUP;
#endif
    case ENOTTY: return WASI_ERRNO_NOTTY;
    case ENXIO: return WASI_ERRNO_NXIO;
    case EOVERFLOW: return WASI_ERRNO_OVERFLOW;
    case EOWNERDEAD: return WASI_ERRNO_OWNERDEAD;
    case EPERM: return WASI_ERRNO_PERM;
    case EPIPE: return WASI_ERRNO_PIPE;
    case EPROTO: return WASI_ERRNO_PROTO;
    case EPROTONOSUPPORT: return WASI_ERRNO_PROTONOSUPPORT;
    case EPROTOTYPE: return WASI_ERRNO_PROTOTYPE;
    case ERANGE: return WASI_ERRNO_RANGE;
    case EROFS: return WASI_ERRNO_ROFS;
    case ESPIPE: return WASI_ERRNO_SPIPE;
    case ESRCH: return WASI_ERRNO_SRCH;
    case ESTALE: return WASI_ERRNO_STALE;
    case ETIMEDOUT: return WASI_ERRNO_TIMEDOUT;
    case ETXTBSY: return WASI_ERRNO_TXTBSY;
    case EXDEV: return WASI_ERRNO_XDEV;
    default: return WASI_ERRNO_IO; /* a host error WASI has no word for */
    }
}

/* ---- the denial log --------------------------------------------------------------------- */

void elvm__wasi_deny(wasi_call *c, const char *fmt, ...) {
    elvm_wasi *w = c->w;
    if (!w->log && !w->trace) return;
    char detail[512];
    int k = snprintf(detail, sizeof detail, "%s: ", c->name ? c->name : "wasi");
    if (k < 0 || (size_t)k >= sizeof detail) k = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail + k, sizeof detail - (size_t)k, fmt, ap);
    va_end(ap);
    if (w->log) w->log(w->log_ctx, "denied", detail);
    if (w->trace) fprintf(stderr, "wasi: denied: %s\n", detail);
}

/* ---- setup ------------------------------------------------------------------------------ */

static void set_err(elvm_error *err, elvm_status st, const char *msg) {
    if (!err) return;
    memset(err, 0, sizeof *err);
    err->status = st;
    snprintf(err->msg, sizeof err->msg, "%s", msg);
}

/* Packs `n` strings back to back with their NULs; fails if the guest could not
 * address them (over 4 GiB). */
static int pack_strings(const char *const *s, uint32_t n, char **buf, uint32_t **off,
                        uint32_t *size) {
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) total += strlen(s[i]) + 1;
    if (total > UINT32_MAX || (uint64_t)n * 4 > UINT32_MAX) return -1;
    *buf = malloc(total ? total : 1);
    *off = malloc(n ? (size_t)n * sizeof **off : 1);
    if (!*buf || !*off) return -1;
    uint32_t at = 0;
    for (uint32_t i = 0; i < n; i++) {
        size_t len = strlen(s[i]) + 1;
        memcpy(*buf + at, s[i], len);
        (*off)[i] = at;
        at += (uint32_t)len;
    }
    *size = at;
    return 0;
}

void elvm_wasi_config_default(elvm_wasi_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->stdio[0] = 0;
    cfg->stdio[1] = 1;
    cfg->stdio[2] = 2;
}

elvm_wasi *elvm_wasi_new(const elvm_wasi_config *cfg, elvm_error *err) {
    elvm_wasi_config def;
    if (!cfg) {
        elvm_wasi_config_default(&def);
        cfg = &def;
    }
    elvm_wasi *w = calloc(1, sizeof *w);
    if (!w) goto nomem;
    w->force_path_walk = cfg->force_path_walk;
    w->trace = cfg->trace;
    w->log = cfg->log;
    w->log_ctx = cfg->log_ctx;
    w->argc = cfg->argc;
    w->envc = cfg->envc;
    if (pack_strings(cfg->argv, cfg->argc, &w->args_buf, &w->args_off, &w->args_size) ||
        pack_strings(cfg->env, cfg->envc, &w->env_buf, &w->env_off, &w->env_size))
        goto nomem;
    w->bindings = calloc(WASI_NFUNCS, sizeof *w->bindings);
    if (!w->bindings) goto nomem;
    for (size_t i = 0; i < WASI_NFUNCS; i++) {
        struct wasi_binding *b = &w->bindings[i];
        const struct wasi_func_desc *d = &wasi_funcs[i];
        b->w = w;
        b->name = d->name;
        b->impl = d->impl;
        for (const char *p = d->params; *p; p++)
            b->params[b->nparams++] = *p == 'I' ? ELVM_I64 : ELVM_I32;
        for (const char *p = d->results; *p; p++)
            b->results[b->nresults++] = *p == 'I' ? ELVM_I64 : ELVM_I32;
    }
    if (elvm__wasi_fds_init(w, cfg, err)) {
        elvm_wasi_free(w);
        return NULL;
    }
    return w;
nomem:
    elvm_wasi_free(w);
    set_err(err, ELVM_NOMEM, "out of host memory setting up WASI");
    return NULL;
}

void elvm_wasi_free(elvm_wasi *w) {
    if (!w) return;
    elvm__wasi_fds_free(w);
    free(w->args_buf);
    free(w->args_off);
    free(w->env_buf);
    free(w->env_off);
    free(w->bindings);
    free(w);
}

/* ---- registration ----------------------------------------------------------------------- */

/* "wasi: fd_write(1, 1024, 2, 8) -> SUCCESS" on stderr. */
static void trace_call(const struct wasi_binding *b, const elvm_val *args, uint16_t e,
                       int stop) {
    char line[512];
    int k = snprintf(line, sizeof line, "wasi: %s(", b->name);
    for (uint32_t i = 0; i < b->nparams && k > 0 && (size_t)k < sizeof line; i++) {
        if (b->params[i] == ELVM_I64)
            k += snprintf(line + k, sizeof line - (size_t)k, "%s%lld", i ? ", " : "",
                          (long long)args[i].of.i64);
        else
            k += snprintf(line + k, sizeof line - (size_t)k, "%s%u", i ? ", " : "",
                          (unsigned)args[i].of.i32);
    }
    fprintf(stderr, "%s) -> %s\n", line, stop ? "exit" : wasi_errno_name(e));
}

/* The host function behind every import: loads memory 0, runs the implementation and
 * returns its errno (or stops the guest for proc_exit). */
static int wasi_host_call(elvm_caller *caller, void *env, const elvm_val *args,
                          elvm_val *results) {
    struct wasi_binding *b = env;
    wasi_call c = {.w = b->w, .caller = caller, .name = b->name};
    elvm_memory *mem = elvm_caller_memory(caller, 0);
    if (mem) {
        c.mem = elvm_memory_data(mem);
        c.mem_size = c.mem ? elvm_memory_size(mem) : 0;
    }
    uint16_t e = b->impl(&c, args);
    if (b->w->trace) trace_call(b, args, e, c.stop);
    if (c.stop) return c.stop;
    if (b->nresults) {
        results[0].type = ELVM_I32;
        results[0].of.i32 = e;
    }
    return 0;
}

static elvm_status define_binding(struct wasi_binding *b, elvm_store *store,
                                  elvm_linker *linker) {
    elvm_func *f = elvm_func_new(store, b->params, b->nparams, b->results, b->nresults,
                                 wasi_host_call, b);
    if (!f) return ELVM_NOMEM;
    elvm_extern ext = {.kind = ELVM_EXTERN_FUNC, .of.func = f};
    return elvm_linker_define(linker, ELVM_WASI_MODULE, b->name, ext);
}

elvm_status elvm_wasi_define(elvm_wasi *w, elvm_store *store, elvm_linker *linker) {
    return elvm_wasi_define_for(w, store, linker, NULL);
}

elvm_status elvm_wasi_define_for(elvm_wasi *w, elvm_store *store, elvm_linker *linker,
                                 const elvm_module *m) {
    if (!m) {
        for (size_t i = 0; i < WASI_NFUNCS; i++) {
            elvm_status st = define_binding(&w->bindings[i], store, linker);
            if (st != ELVM_OK) return st;
        }
        return ELVM_OK;
    }
    /* Each function once, however often it is imported; names the host does not have
     * stay undefined, and instantiation reports them as unknown imports. */
    bool done[WASI_NFUNCS] = {false};
    for (uint32_t i = 0; i < elvm_module_num_imports(m); i++) {
        elvm_import_desc d;
        elvm_module_import(m, i, &d);
        if (d.module_len != sizeof ELVM_WASI_MODULE - 1 ||
            memcmp(d.module, ELVM_WASI_MODULE, d.module_len))
            continue;
        for (size_t k = 0; k < WASI_NFUNCS; k++) {
            const char *name = w->bindings[k].name;
            if (done[k] || strlen(name) != d.name_len || memcmp(name, d.name, d.name_len))
                continue;
            elvm_status st = define_binding(&w->bindings[k], store, linker);
            if (st != ELVM_OK) return st;
            done[k] = true;
            break;
        }
    }
    return ELVM_OK;
}

