/* wasi.h: the public API of elvm's WASI preview 1 host (module "wasi_snapshot_preview1").
 *
 * Use:
 *   elvm_wasi_config cfg;  elvm_wasi_config_default(&cfg);  cfg.argv = ...;
 *   elvm_wasi *w = elvm_wasi_new(&cfg, &err);              // opens the preopens
 *   elvm_wasi_define(w, store, linker);                    // every preview 1 import
 *   (or elvm_wasi_define_for(w, store, linker, module): the ones `module` imports)
 *   ... elvm_linker_instantiate, call "_start" ...          // proc_exit -> ELVM_EXIT
 *   elvm_wasi_free(w);                                     // after the last guest call
 *
 * The guest sees only what the config gives it: its argv, the environment variables
 * listed (never the host's), stdio on fds 0, 1, 2, each preopened directory on fds
 * 3, 4, ... and then each listening socket. Paths are resolved strictly beneath their
 * directory fd: absolute paths, `..` past it and symlinks (absolute, or relative ones
 * leading out) fail with ERRNO_NOTCAPABLE, with openat2(RESOLVE_BENEATH) where the kernel
 * has it and a component-wise O_NOFOLLOW walk elsewhere; a symlink the guest creates
 * may not point out either. Every fd carries the preview 1 rights, which only shrink.
 *
 * Guest pointers and lengths are checked against the linear memory before every
 * access; a bad one makes the call return ERRNO_FAULT and touches nothing. No host
 * array is sized from a guest value.
 *
 * Every function of wasi_snapshot_preview1 is implemented. proc_raise returns
 * ERRNO_NOSYS: elvm sends no signals. poll_oneoff waits on realtime and monotonic
 * clocks (relative or absolute) and on fds; regular files are always ready. */
#ifndef ELVM_WASI_H
#define ELVM_WASI_H

#include <stdint.h>

#include "elvm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The import module name every function is defined under. */
#define ELVM_WASI_MODULE "wasi_snapshot_preview1"

/* A host directory given to the guest. `guest_path` is the name the guest sees
 * (fd_prestat_dir_name), e.g. "/data" or "."; NULL means the same as `host_path`. */
typedef struct elvm_wasi_preopen {
    const char *host_path;
    const char *guest_path;
    /* Read-only grant (`--dir HOST::GUEST:ro`): the preopen and every fd opened beneath
     * it lack the rights to write, create, rename, link, unlink, truncate or set times,
     * so each of those fails with ERRNO_NOTCAPABLE (wasi-libc turns a missing fd_write
     * into EBADF). Open for reading, list and stat as usual. */
    int readonly;
} elvm_wasi_preopen;

/* What the host reports to the embedder's log (the CLI's --log): a sandbox denial
 * (`kind` "denied": `detail` names the call and the path/socket refused). */
typedef void (*elvm_wasi_log_fn)(void *ctx, const char *kind, const char *detail);

/* Everything the guest may see. All strings are NUL-terminated and copied by
 * elvm_wasi_new; the caller keeps ownership of its arrays. */
typedef struct elvm_wasi_config {
    const char *const *argv; /* argv[0] is the program name by convention */
    uint32_t argc;
    const char *const *env;  /* "KEY=VALUE" strings; the host's environment is not passed */
    uint32_t envc;
    const elvm_wasi_preopen *preopens; /* become guest fds 3, 4, ... in this order */
    uint32_t npreopens;
    /* Host fds behind guest fds 0, 1, 2 (default 0, 1, 2; -1: closed). They are
     * borrowed: the guest's fd_close only forgets them and elvm_wasi_free leaves them. */
    int stdio[3];
    /* Listening TCP sockets ("ADDR:PORT", IPv4 or [IPv6]; `--tcplisten`), bound and
     * listening before the guest starts, as preopened fds after the directories. ADDR
     * is numeric: a host name is an error (no resolver runs). */
    const char *const *tcp_listen;
    uint32_t ntcp_listen;
    /* Optional: told of every sandbox denial. */
    elvm_wasi_log_fn log;
    void *log_ctx;
    /* Testing aid: resolve paths with the portable component-wise walk even where the
     * kernel has openat2(2). Both give the same sandbox. */
    int force_path_walk;
    /* Debugging aid: print each call as "wasi: NAME -> ERRNO" on stderr. */
    int trace;
} elvm_wasi_config;

/* An instance of the WASI host: argv, environment and the fd table of one guest. */
typedef struct elvm_wasi elvm_wasi;

/* Fills `cfg` with: no arguments, no environment, no preopens, stdio 0, 1, 2. */
void elvm_wasi_config_default(elvm_wasi_config *cfg);

/* Copies `cfg`, opens each preopen as an O_DIRECTORY host fd and binds and listens on
 * each tcp_listen address. Returns NULL on failure: ELVM_ARG when a preopen cannot be
 * opened as a directory or an address cannot be listened on (the message names it and
 * says why), ELVM_NOMEM. */
elvm_wasi *elvm_wasi_new(const elvm_wasi_config *cfg, elvm_error *err);

/* Defines every function of wasi_snapshot_preview1 in `linker` as host functions
 * created in `store` (the linker's store). `w` must outlive every call into them.
 * Returns ELVM_OK or ELVM_NOMEM. */
elvm_status elvm_wasi_define(elvm_wasi *w, elvm_store *store, elvm_linker *linker);
/* The same for the functions module `m` imports from wasi_snapshot_preview1 only (all
 * of them when `m` is NULL): what a linker that instantiates `m` alone needs. Creating
 * all 46 took 67K of the 542K instructions of a hello-world run (callgrind), which
 * imports 4. An import the host does not have stays undefined, so instantiation reports it
 * as an unknown import, as with elvm_wasi_define. Returns ELVM_OK or ELVM_NOMEM. */
elvm_status elvm_wasi_define_for(elvm_wasi *w, elvm_store *store, elvm_linker *linker,
                                 const elvm_module *m);

/* Closes every host fd the guest or the preopens opened (not the borrowed stdio) and
 * frees `w`. NULL is allowed. */
void elvm_wasi_free(elvm_wasi *w);

#ifdef __cplusplus
}
#endif
#endif /* ELVM_WASI_H */
