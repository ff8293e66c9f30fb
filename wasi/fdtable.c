/* fdtable.c: the guest's fd table (stdio, preopened directories and sockets, what the
 * guest opened) and the calls on the table itself: fd_close, fd_renumber,
 * fd_fdstat_get, fd_fdstat_set_flags, fd_fdstat_set_rights, fd_prestat_get and
 * fd_prestat_dir_name. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_impl.h"

/* At most this many guest fds; more opens fail with ERRNO_MFILE. */
#define WASI_MAX_FDS 65536u

uint8_t elvm__wasi_filetype(unsigned mode) {
    switch (mode & S_IFMT) {
    case S_IFREG: return WASI_FILETYPE_REGULAR_FILE;
    case S_IFDIR: return WASI_FILETYPE_DIRECTORY;
    case S_IFCHR: return WASI_FILETYPE_CHARACTER_DEVICE;
    case S_IFBLK: return WASI_FILETYPE_BLOCK_DEVICE;
    case S_IFLNK: return WASI_FILETYPE_SYMBOLIC_LINK;
    case S_IFSOCK: return WASI_FILETYPE_SOCKET_STREAM;
    default: return WASI_FILETYPE_UNKNOWN; /* FIFOs: WASI has no word for them */
    }
}

/* The rights an fd of this kind can use. A terminal or pipe cannot seek: wasi-libc's
 * isatty() is "a character device without FD_SEEK and FD_TELL". */
static uint64_t rights_for(int host, wasi_fd_kind kind, uint8_t filetype) {
    if (kind == WASI_FD_LISTEN) return WASI_RIGHTS_LISTENER;
    if (kind == WASI_FD_SOCKET) return WASI_RIGHTS_CONNECTION;
    switch (filetype) {
    case WASI_FILETYPE_DIRECTORY: return WASI_RIGHTS_DIR;
    case WASI_FILETYPE_REGULAR_FILE:
    case WASI_FILETYPE_BLOCK_DEVICE: return WASI_RIGHTS_FILE;
    case WASI_FILETYPE_CHARACTER_DEVICE:
        if (!isatty(host)) return WASI_RIGHTS_FILE;
        return WASI_RIGHTS_FILE & ~(WASI_RIGHT_FD_SEEK | WASI_RIGHT_FD_TELL);
    default: return WASI_RIGHTS_FILE & ~(WASI_RIGHT_FD_SEEK | WASI_RIGHT_FD_TELL);
    }
}

static int fds_reserve(elvm_wasi *w, uint32_t n) {
    if (n <= w->capfds) return 0;
    uint32_t cap = w->capfds ? w->capfds : 8;
    while (cap < n) cap *= 2;
    wasi_fd *fds = realloc(w->fds, (size_t)cap * sizeof *fds);
    if (!fds) return -1;
    for (uint32_t i = w->capfds; i < cap; i++) {
        memset(&fds[i], 0, sizeof fds[i]);
        fds[i].host = -1;
    }
    w->fds = fds;
    w->capfds = cap;
    return 0;
}

static void fd_clear(wasi_fd *f) {
    memset(f, 0, sizeof *f);
    f->host = -1;
}

static void fd_release(wasi_fd *f) {
    if (f->dir) closedir(f->dir);
    if (f->kind != WASI_FD_STDIO && f->host >= 0) close(f->host);
    free(f->preopen);
    fd_clear(f);
}

/* Fills `err` (may be NULL) for elvm_wasi_new; returns -1. */
__attribute__((format(printf, 3, 4))) static int init_error(elvm_error *err, elvm_status st,
                                                            const char *fmt, ...) {
    if (err) {
        va_list ap;
        memset(err, 0, sizeof *err);
        err->status = st;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* A preopened directory in slot `f`. */
static int init_preopen(wasi_fd *f, const elvm_wasi_preopen *p, elvm_error *err) {
    struct stat st;
    int host = open(p->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (host < 0 || fstat(host, &st)) {
        int e = errno;
        if (host >= 0) close(host);
        return init_error(err, ELVM_ARG, "cannot open directory '%s': %s", p->host_path,
                          strerror(e));
    }
    f->kind = WASI_FD_DIR;
    f->host = host;
    f->filetype = WASI_FILETYPE_DIRECTORY;
    f->rights_base = WASI_RIGHTS_DIR;
    f->rights_inheriting = WASI_RIGHTS_ALL;
    if (p->readonly) {
        f->readonly = 1;
        f->rights_base &= ~WASI_RIGHTS_MUTATE;
        f->rights_inheriting &= ~WASI_RIGHTS_MUTATE;
    }
    f->root_dev = (uint64_t)st.st_dev;
    f->root_ino = (uint64_t)st.st_ino;
    f->preopen = strdup(p->guest_path ? p->guest_path : p->host_path);
    if (!f->preopen) return init_error(err, ELVM_NOMEM, "out of host memory setting up WASI");
    return 0;
}

int elvm__wasi_fds_init(elvm_wasi *w, const elvm_wasi_config *cfg, elvm_error *err) {
    uint64_t n = 3 + (uint64_t)cfg->npreopens + cfg->ntcp_listen;
    if (n > WASI_MAX_FDS)
        return init_error(err, ELVM_ARG, "too many preopens and sockets");
    if (fds_reserve(w, (uint32_t)n))
        return init_error(err, ELVM_NOMEM, "out of host memory setting up WASI");
    w->nfds = (uint32_t)n;
    for (int i = 0; i < 3; i++) {
        struct stat st;
        int host = cfg->stdio[i];
        if (host < 0 || fstat(host, &st)) continue; /* stays free: EBADF for the guest */
        wasi_fd *f = &w->fds[i];
        f->kind = WASI_FD_STDIO;
        f->host = host;
        f->filetype = elvm__wasi_filetype(st.st_mode);
        f->rights_base = rights_for(host, f->kind, f->filetype);
        f->rights_inheriting = 0;
    }
    for (uint32_t i = 0; i < cfg->npreopens; i++)
        if (init_preopen(&w->fds[3 + i], &cfg->preopens[i], err)) return -1;
    for (uint32_t i = 0; i < cfg->ntcp_listen; i++) {
        char why[256];
        int host = elvm__wasi_listen(cfg->tcp_listen[i], why, sizeof why);
        if (host < 0)
            return init_error(err, ELVM_ARG, "cannot listen on '%s': %s", cfg->tcp_listen[i],
                              why);
        wasi_fd *f = &w->fds[3 + cfg->npreopens + i];
        f->kind = WASI_FD_LISTEN;
        f->host = host;
        f->filetype = WASI_FILETYPE_SOCKET_STREAM;
        f->rights_base = WASI_RIGHTS_LISTENER;
        f->rights_inheriting = WASI_RIGHTS_CONNECTION;
    }
    return 0;
}

void elvm__wasi_fds_free(elvm_wasi *w) {
    for (uint32_t i = 0; i < w->nfds; i++) fd_release(&w->fds[i]);
    free(w->fds);
    w->fds = NULL;
    w->nfds = w->capfds = 0;
}

/* The names of the rights bits, for the log. */
static const char *right_name(uint64_t rights) {
    static const char *const names[] = {
        "fd_datasync", "fd_read", "fd_seek", "fd_fdstat_set_flags", "fd_sync", "fd_tell",
        "fd_write", "fd_advise", "fd_allocate", "path_create_directory", "path_create_file",
        "path_link_source", "path_link_target", "path_open", "fd_readdir", "path_readlink",
        "path_rename_source", "path_rename_target", "path_filestat_get",
        "path_filestat_set_size", "path_filestat_set_times", "fd_filestat_get",
        "fd_filestat_set_size", "fd_filestat_set_times", "path_symlink",
        "path_remove_directory", "path_unlink_file", "poll_fd_readwrite", "sock_shutdown",
        "sock_accept"};
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        if (rights & WASI_RIGHT(i)) return names[i];
    return "?";
}

wasi_fd *elvm__wasi_fd_get(wasi_call *c, uint32_t fd, uint64_t rights, uint16_t *e) {
    elvm_wasi *w = c->w;
    if (fd >= w->nfds || w->fds[fd].kind == WASI_FD_FREE) {
        *e = WASI_ERRNO_BADF;
        return NULL;
    }
    wasi_fd *f = &w->fds[fd];
    uint64_t missing = rights & ~f->rights_base;
    if (missing) {
        elvm__wasi_deny(c, "fd %u lacks the right %s%s", fd, right_name(missing),
                        f->readonly ? " (read-only preopen)" : "");
        *e = WASI_ERRNO_NOTCAPABLE;
        return NULL;
    }
    return f;
}

int64_t elvm__wasi_fd_insert(elvm_wasi *w, int host, wasi_fd_kind kind, uint8_t filetype,
                             uint64_t base, uint64_t inheriting, const wasi_fd *parent,
                             uint16_t *e) {
    int readonly = parent ? parent->readonly : 0;
    uint64_t root_dev = parent ? parent->root_dev : 0, root_ino = parent ? parent->root_ino : 0;
    uint32_t fd = 3;
    while (fd < w->nfds && w->fds[fd].kind != WASI_FD_FREE) fd++;
    if (fd >= WASI_MAX_FDS) {
        *e = WASI_ERRNO_MFILE;
        return -1;
    }
    if (fds_reserve(w, fd + 1)) { /* `parent` may dangle from here: read above */
        *e = WASI_ERRNO_NOMEM;
        return -1;
    }
    if (fd >= w->nfds) w->nfds = fd + 1;
    wasi_fd *f = &w->fds[fd];
    f->kind = kind;
    f->host = host;
    f->filetype = filetype;
    f->rights_base = base & rights_for(host, kind, filetype);
    f->rights_inheriting = filetype == WASI_FILETYPE_DIRECTORY ? inheriting : 0;
    f->readonly = readonly;
    f->root_dev = root_dev;
    f->root_ino = root_ino;
    return fd;
}

/* ---- fd_close, fd_renumber -------------------------------------------------------------- */

/* fd_close(fd). Stdio is borrowed: the slot is forgotten, the host fd stays open.
 * Preopens may be closed too (as in wasmtime); they are gone for good then. */
uint16_t elvm__wasi_fd_close(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    wasi_fd *f = elvm__wasi_fd_get(c, wasi_arg_u32(a, 0), 0, &e);
    if (!f) return e;
    fd_release(f);
    return WASI_ERRNO_SUCCESS;
}

/* fd_renumber(from, to): `to` (which must be open, as in wasmtime and uvwasi) is
 * closed and `from` takes its number with all its state; `from` is then free. */
uint16_t elvm__wasi_fd_renumber(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    uint32_t from = wasi_arg_u32(a, 0), to = wasi_arg_u32(a, 1);
    if (!elvm__wasi_fd_get(c, from, 0, &e) || !elvm__wasi_fd_get(c, to, 0, &e)) return e;
    if (from == to) return WASI_ERRNO_SUCCESS;
    elvm_wasi *w = c->w;
    fd_release(&w->fds[to]);
    w->fds[to] = w->fds[from];
    fd_clear(&w->fds[from]);
    return WASI_ERRNO_SUCCESS;
}

/* ---- fd_fdstat_* ------------------------------------------------------------------------ */

static uint16_t host_fdflags(int fl) {
    uint16_t flags = 0;
    if (fl & O_APPEND) flags |= WASI_FDFLAG_APPEND;
    if (fl & O_NONBLOCK) flags |= WASI_FDFLAG_NONBLOCK;
    if ((fl & O_SYNC) == O_SYNC) flags |= WASI_FDFLAG_SYNC;
    else if (fl & O_DSYNC) flags |= WASI_FDFLAG_DSYNC;
    return flags;
}

/* fd_fdstat_get(fd, *fdstat) */
uint16_t elvm__wasi_fd_fdstat_get(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    uint32_t out = wasi_arg_u32(a, 1);
    wasi_fd *f = elvm__wasi_fd_get(c, wasi_arg_u32(a, 0), 0, &e);
    if (!f) return e;
    if (!wasi_in_bounds(c, out, WASI_FDSTAT_SIZE)) return WASI_ERRNO_FAULT;
    int fl = fcntl(f->host, F_GETFL);
    if (fl < 0) return elvm__wasi_errno(errno);
    memset(wasi_ptr(c, out), 0, WASI_FDSTAT_SIZE);
    wasi_store_u8(c, out + 0, f->filetype);
    wasi_store_u16(c, out + 2, host_fdflags(fl));
    wasi_store_u64(c, out + 8, f->rights_base);
    wasi_store_u64(c, out + 16, f->rights_inheriting);
    return WASI_ERRNO_SUCCESS;
}

/* fd_fdstat_set_flags(fd, fdflags u16): APPEND and NONBLOCK change; Linux cannot change
 * DSYNC, RSYNC or SYNC on an open file, so asking for other sync flags than the fd has
 * is ERRNO_NOTSUP. */
uint16_t elvm__wasi_fd_fdstat_set_flags(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    uint32_t flags = wasi_arg_u32(a, 1);
    const uint32_t sync = WASI_FDFLAG_DSYNC | WASI_FDFLAG_RSYNC | WASI_FDFLAG_SYNC;
    wasi_fd *f = elvm__wasi_fd_get(c, wasi_arg_u32(a, 0), WASI_RIGHT_FD_FDSTAT_SET_FLAGS, &e);
    if (!f) return e;
    if (flags & ~(uint32_t)(WASI_FDFLAG_APPEND | WASI_FDFLAG_NONBLOCK | sync))
        return WASI_ERRNO_INVAL;
    int fl = fcntl(f->host, F_GETFL);
    if (fl < 0) return elvm__wasi_errno(errno);
    if ((flags & sync) != (host_fdflags(fl) & sync)) return WASI_ERRNO_NOTSUP;
    fl &= ~(O_APPEND | O_NONBLOCK);
    if (flags & WASI_FDFLAG_APPEND) fl |= O_APPEND;
    if (flags & WASI_FDFLAG_NONBLOCK) fl |= O_NONBLOCK;
    if (fcntl(f->host, F_SETFL, fl)) return elvm__wasi_errno(errno);
    return WASI_ERRNO_SUCCESS;
}

/* fd_fdstat_set_rights(fd, base u64, inheriting u64): rights only ever shrink; asking
 * for one the fd does not have is ERRNO_NOTCAPABLE. */
uint16_t elvm__wasi_fd_fdstat_set_rights(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    uint32_t fd = wasi_arg_u32(a, 0);
    uint64_t base = wasi_arg_u64(a, 1), inheriting = wasi_arg_u64(a, 2);
    wasi_fd *f = elvm__wasi_fd_get(c, fd, 0, &e);
    if (!f) return e;
    if ((base & ~f->rights_base) || (inheriting & ~f->rights_inheriting)) {
        elvm__wasi_deny(c, "fd %u cannot gain rights", fd);
        return WASI_ERRNO_NOTCAPABLE;
    }
    f->rights_base = base;
    f->rights_inheriting = inheriting;
    return WASI_ERRNO_SUCCESS;
}

/* ---- fd_prestat_* ----------------------------------------------------------------------- */

/* fd_prestat_get(fd, *prestat): ERRNO_BADF for anything but a preopened directory,
 * sockets included: wasi-libc walks fds 3, 4, ... until the first BADF and gives up the
 * whole program at any other errno, and the sockets come after the directories. */
uint16_t elvm__wasi_fd_prestat_get(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    uint32_t out = wasi_arg_u32(a, 1);
    wasi_fd *f = elvm__wasi_fd_get(c, wasi_arg_u32(a, 0), 0, &e);
    if (!f) return e;
    if (!f->preopen) return WASI_ERRNO_BADF;
    if (!wasi_in_bounds(c, out, WASI_PRESTAT_SIZE)) return WASI_ERRNO_FAULT;
    memset(wasi_ptr(c, out), 0, WASI_PRESTAT_SIZE);
    wasi_store_u8(c, out, WASI_PREOPENTYPE_DIR);
    wasi_store_u32(c, out + 4, (uint32_t)strlen(f->preopen));
    return WASI_ERRNO_SUCCESS;
}

/* fd_prestat_dir_name(fd, buf, len): the name without a NUL; NAMETOOLONG if `len` is
 * shorter than the length fd_prestat_get gave. */
uint16_t elvm__wasi_fd_prestat_dir_name(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    uint32_t buf = wasi_arg_u32(a, 1), len = wasi_arg_u32(a, 2);
    wasi_fd *f = elvm__wasi_fd_get(c, wasi_arg_u32(a, 0), 0, &e);
    if (!f) return e;
    if (!f->preopen) return WASI_ERRNO_BADF;
    size_t n = strlen(f->preopen);
    if (!wasi_in_bounds(c, buf, len)) return WASI_ERRNO_FAULT;
    if (len < n) return WASI_ERRNO_NAMETOOLONG;
    memcpy(wasi_ptr(c, buf), f->preopen, n);
    return WASI_ERRNO_SUCCESS;
}
