/* fd.c: the guest's fd table (stdio, preopens, opened files) and the fd_* functions. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi_impl.h"

/* At most this many guest fds; more opens fail with ERRNO_MFILE. */
#define WASI_MAX_FDS 65536u
/* iovecs handed to one readv/writev: a fixed stack array, whatever the guest asks. */
#define WASI_IOV_BATCH 64
/* Bytes moved by one fd_read/fd_write at most (Linux's own limit per call). */
#define WASI_IO_MAX 0x7ffff000u

/* ---- the table ---------------------------------------------------------------------------- */

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
static uint64_t rights_for(int host, uint8_t filetype) {
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

static void fd_release(wasi_fd *f) {
    if (f->dir) closedir(f->dir);
    if (f->kind != WASI_FD_STDIO && f->host >= 0) close(f->host);
    free(f->preopen);
    memset(f, 0, sizeof *f);
    f->host = -1;
}

int elvm__wasi_fds_init(elvm_wasi *w, const elvm_wasi_config *cfg, elvm_error *err) {
    if (fds_reserve(w, 3 + cfg->npreopens)) goto nomem;
    w->nfds = 3 + cfg->npreopens;
    for (int i = 0; i < 3; i++) {
        struct stat st;
        int host = cfg->stdio[i];
        if (host < 0 || fstat(host, &st)) continue; /* stays free: EBADF for the guest */
        wasi_fd *f = &w->fds[i];
        f->kind = WASI_FD_STDIO;
        f->host = host;
        f->filetype = elvm__wasi_filetype(st.st_mode);
        f->rights_base = rights_for(host, f->filetype);
        f->rights_inheriting = 0;
    }
    for (uint32_t i = 0; i < cfg->npreopens; i++) {
        const elvm_wasi_preopen *p = &cfg->preopens[i];
        wasi_fd *f = &w->fds[3 + i];
        int host = open(p->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (host < 0) {
            if (err) {
                memset(err, 0, sizeof *err);
                err->status = ELVM_ARG;
                snprintf(err->msg, sizeof err->msg, "cannot open directory '%s': %s",
                         p->host_path, strerror(errno));
            }
            return -1;
        }
        f->kind = WASI_FD_DIR;
        f->host = host;
        f->filetype = WASI_FILETYPE_DIRECTORY;
        f->rights_base = WASI_RIGHTS_DIR;
        f->rights_inheriting = WASI_RIGHTS_ALL;
        f->preopen = strdup(p->guest_path ? p->guest_path : p->host_path);
        if (!f->preopen) goto nomem;
    }
    return 0;
nomem:
    if (err) {
        memset(err, 0, sizeof *err);
        err->status = ELVM_NOMEM;
        snprintf(err->msg, sizeof err->msg, "out of host memory setting up WASI");
    }
    return -1;
}

void elvm__wasi_fds_free(elvm_wasi *w) {
    for (uint32_t i = 0; i < w->nfds; i++) fd_release(&w->fds[i]);
    free(w->fds);
    w->fds = NULL;
    w->nfds = w->capfds = 0;
}

wasi_fd *elvm__wasi_fd_get(elvm_wasi *w, uint32_t fd, uint64_t rights, uint16_t *e) {
    if (fd >= w->nfds || w->fds[fd].kind == WASI_FD_FREE) {
        *e = WASI_ERRNO_BADF;
        return NULL;
    }
    wasi_fd *f = &w->fds[fd];
    if (rights & ~f->rights_base) {
        *e = WASI_ERRNO_NOTCAPABLE;
        return NULL;
    }
    return f;
}

int64_t elvm__wasi_fd_insert(elvm_wasi *w, int host, uint8_t filetype, uint64_t base,
                             uint64_t inheriting, uint16_t *e) {
    uint32_t fd = 3;
    while (fd < w->nfds && w->fds[fd].kind != WASI_FD_FREE) fd++;
    if (fd >= WASI_MAX_FDS) {
        *e = WASI_ERRNO_MFILE;
        return -1;
    }
    if (fds_reserve(w, fd + 1)) {
        *e = WASI_ERRNO_NOMEM;
        return -1;
    }
    if (fd >= w->nfds) w->nfds = fd + 1;
    wasi_fd *f = &w->fds[fd];
    f->kind = filetype == WASI_FILETYPE_DIRECTORY ? WASI_FD_DIR : WASI_FD_FILE;
    f->host = host;
    f->filetype = filetype;
    f->rights_base = base & rights_for(host, filetype);
    f->rights_inheriting = filetype == WASI_FILETYPE_DIRECTORY ? inheriting : 0;
    return fd;
}

/* ---- fd_close, fd_fdstat_get, fd_filestat_get, fd_prestat_* -------------------------------- */

/* fd_close(fd). Stdio is borrowed: the slot is forgotten, the host fd stays open. */
uint16_t elvm__wasi_fd_close(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    wasi_fd *f = elvm__wasi_fd_get(c->w, wasi_arg_u32(a, 0), 0, &e);
    if (!f) return e;
    fd_release(f);
    return WASI_ERRNO_SUCCESS;
}

/* fd_fdstat_get(fd, *fdstat) */
uint16_t elvm__wasi_fd_fdstat_get(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    uint32_t out = wasi_arg_u32(a, 1);
    wasi_fd *f = elvm__wasi_fd_get(c->w, wasi_arg_u32(a, 0), 0, &e);
    if (!f) return e;
    if (!wasi_in_bounds(c, out, WASI_FDSTAT_SIZE)) return WASI_ERRNO_FAULT;
    int fl = fcntl(f->host, F_GETFL);
    if (fl < 0) return elvm__wasi_errno(errno);
    uint16_t flags = 0;
    if (fl & O_APPEND) flags |= WASI_FDFLAG_APPEND;
    if (fl & O_NONBLOCK) flags |= WASI_FDFLAG_NONBLOCK;
    if ((fl & O_SYNC) == O_SYNC) flags |= WASI_FDFLAG_SYNC | WASI_FDFLAG_RSYNC;
    else if (fl & O_DSYNC) flags |= WASI_FDFLAG_DSYNC;
    memset(wasi_ptr(c, out), 0, WASI_FDSTAT_SIZE);
    wasi_store_u8(c, out + 0, f->filetype);
    wasi_store_u16(c, out + 2, flags);
    wasi_store_u64(c, out + 8, f->rights_base);
    wasi_store_u64(c, out + 16, f->rights_inheriting);
    return WASI_ERRNO_SUCCESS;
}

static uint64_t ts_ns(struct timespec ts) {
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Writes a filestat (64 bytes at `out`, already checked). */
static void store_filestat(wasi_call *c, uint32_t out, const struct stat *st) {
    memset(wasi_ptr(c, out), 0, WASI_FILESTAT_SIZE);
    wasi_store_u64(c, out + 0, (uint64_t)st->st_dev);
    wasi_store_u64(c, out + 8, (uint64_t)st->st_ino);
    wasi_store_u8(c, out + 16, elvm__wasi_filetype(st->st_mode));
    wasi_store_u64(c, out + 24, (uint64_t)st->st_nlink);
    wasi_store_u64(c, out + 32, (uint64_t)st->st_size);
    wasi_store_u64(c, out + 40, ts_ns(st->st_atim));
    wasi_store_u64(c, out + 48, ts_ns(st->st_mtim));
    wasi_store_u64(c, out + 56, ts_ns(st->st_ctim));
}

/* fd_filestat_get(fd, *filestat) */
uint16_t elvm__wasi_fd_filestat_get(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    uint32_t out = wasi_arg_u32(a, 1);
    wasi_fd *f = elvm__wasi_fd_get(c->w, wasi_arg_u32(a, 0), WASI_RIGHT_FD_FILESTAT_GET, &e);
    if (!f) return e;
    if (!wasi_in_bounds(c, out, WASI_FILESTAT_SIZE)) return WASI_ERRNO_FAULT;
    struct stat st;
    if (fstat(f->host, &st)) return elvm__wasi_errno(errno);
    store_filestat(c, out, &st);
    return WASI_ERRNO_SUCCESS;
}

/* fd_prestat_get(fd, *prestat): EBADF for anything but a preopen, which is how
 * wasi-libc finds the end of the preopens. */
uint16_t elvm__wasi_fd_prestat_get(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    uint32_t out = wasi_arg_u32(a, 1);
    wasi_fd *f = elvm__wasi_fd_get(c->w, wasi_arg_u32(a, 0), 0, &e);
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
    wasi_fd *f = elvm__wasi_fd_get(c->w, wasi_arg_u32(a, 0), 0, &e);
    if (!f) return e;
    if (!f->preopen) return WASI_ERRNO_BADF;
    size_t n = strlen(f->preopen);
    if (!wasi_in_bounds(c, buf, len)) return WASI_ERRNO_FAULT;
    if (len < n) return WASI_ERRNO_NAMETOOLONG;
    memcpy(wasi_ptr(c, buf), f->preopen, n);
    return WASI_ERRNO_SUCCESS;
}

/* ---- fd_read, fd_write ------------------------------------------------------------------- */

/* Checks the iovec array and every buffer it names. */
static uint16_t iovs_check(wasi_call *c, uint32_t iovs, uint32_t n) {
    if (!wasi_in_bounds(c, iovs, (uint64_t)n * WASI_IOVEC_SIZE)) return WASI_ERRNO_FAULT;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t p = wasi_load_u32(c, iovs + i * WASI_IOVEC_SIZE);
        uint32_t len = wasi_load_u32(c, iovs + i * WASI_IOVEC_SIZE + 4);
        if (!wasi_in_bounds(c, p, len)) return WASI_ERRNO_FAULT;
    }
    return WASI_ERRNO_SUCCESS;
}

/* readv/writev over checked guest iovecs, WASI_IOV_BATCH at a time, stopping at the
 * first short transfer (end of file, a pipe with less data) as one readv would. An
 * error after some bytes moved reports the bytes, as POSIX does. */
static uint16_t iovs_transfer(wasi_call *c, int host, uint32_t iovs, uint32_t n, int write,
                              uint32_t *done) {
    struct iovec v[WASI_IOV_BATCH];
    uint64_t total = 0;
    uint32_t i = 0;
    *done = 0;
    while (i < n && total < WASI_IO_MAX) {
        int k = 0;
        uint64_t want = 0;
        for (; i < n && k < WASI_IOV_BATCH && total + want < WASI_IO_MAX; i++) {
            uint32_t p = wasi_load_u32(c, iovs + i * WASI_IOVEC_SIZE);
            uint64_t len = wasi_load_u32(c, iovs + i * WASI_IOVEC_SIZE + 4);
            if (len == 0) continue;
            if (total + want + len > WASI_IO_MAX) len = WASI_IO_MAX - total - want;
            v[k].iov_base = wasi_ptr(c, p);
            v[k].iov_len = (size_t)len;
            k++;
            want += len;
        }
        if (k == 0) break;
        ssize_t r;
        do r = write ? writev(host, v, k) : readv(host, v, k);
        while (r < 0 && errno == EINTR);
        if (r < 0) {
            if (total > 0) break;
            return elvm__wasi_errno(errno);
        }
        total += (uint64_t)r;
        if ((uint64_t)r < want) break;
    }
    *done = (uint32_t)total;
    return WASI_ERRNO_SUCCESS;
}

static uint16_t fd_rw(wasi_call *c, const elvm_val *a, int write) {
    uint16_t e;
    uint32_t iovs = wasi_arg_u32(a, 1), n = wasi_arg_u32(a, 2), out = wasi_arg_u32(a, 3);
    wasi_fd *f = elvm__wasi_fd_get(c->w, wasi_arg_u32(a, 0),
                                   write ? WASI_RIGHT_FD_WRITE : WASI_RIGHT_FD_READ, &e);
    if (!f) return e;
    if (!wasi_in_bounds(c, out, 4)) return WASI_ERRNO_FAULT;
    if ((e = iovs_check(c, iovs, n))) return e;
    uint32_t done;
    if ((e = iovs_transfer(c, f->host, iovs, n, write, &done))) return e;
    wasi_store_u32(c, out, done);
    return WASI_ERRNO_SUCCESS;
}

/* fd_read(fd, iovs, iovs_len, *nread) */
uint16_t elvm__wasi_fd_read(wasi_call *c, const elvm_val *a) { return fd_rw(c, a, 0); }

/* fd_write(fd, ciovs, ciovs_len, *nwritten) */
uint16_t elvm__wasi_fd_write(wasi_call *c, const elvm_val *a) { return fd_rw(c, a, 1); }

/* ---- fd_seek ------------------------------------------------------------------------------ */

/* fd_seek(fd, offset i64, whence u8, *newoffset u64). Asking only for the position
 * (CUR, 0) needs FD_TELL; moving needs FD_SEEK. */
uint16_t elvm__wasi_fd_seek(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    int64_t off = a[1].of.i64;
    uint32_t whence = wasi_arg_u32(a, 2), out = wasi_arg_u32(a, 3);
    int how;
    switch (whence) {
    case WASI_WHENCE_SET: how = SEEK_SET; break;
    case WASI_WHENCE_CUR: how = SEEK_CUR; break;
    case WASI_WHENCE_END: how = SEEK_END; break;
    default: return WASI_ERRNO_INVAL;
    }
    uint64_t need = (whence == WASI_WHENCE_CUR && off == 0) ? WASI_RIGHT_FD_TELL
                                                            : WASI_RIGHT_FD_SEEK;
    wasi_fd *f = elvm__wasi_fd_get(c->w, wasi_arg_u32(a, 0), need, &e);
    if (!f) return e;
    if (!wasi_in_bounds(c, out, 8)) return WASI_ERRNO_FAULT;
    off_t r = lseek(f->host, (off_t)off, how);
    if (r < 0) return elvm__wasi_errno(errno);
    wasi_store_u64(c, out, (uint64_t)r);
    return WASI_ERRNO_SUCCESS;
}

/* ---- fd_readdir ----------------------------------------------------------------------------- */

static uint8_t dirent_type(DIR *d, const struct dirent *de) {
    switch (de->d_type) {
    case DT_REG: return WASI_FILETYPE_REGULAR_FILE;
    case DT_DIR: return WASI_FILETYPE_DIRECTORY;
    case DT_LNK: return WASI_FILETYPE_SYMBOLIC_LINK;
    case DT_CHR: return WASI_FILETYPE_CHARACTER_DEVICE;
    case DT_BLK: return WASI_FILETYPE_BLOCK_DEVICE;
    case DT_SOCK: return WASI_FILETYPE_SOCKET_STREAM;
    case DT_UNKNOWN: {
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW)) break;
        return elvm__wasi_filetype(st.st_mode);
    }
    default: break;
    }
    return WASI_FILETYPE_UNKNOWN;
}

/* Puts the stream at entry `cookie` (entries are numbered from 0 in host order, so a
 * cookie is the index of the next entry). Returns 0, or -1 at a host error. */
static int dir_seek(wasi_fd *f, uint64_t cookie) {
    if (!f->dir) {
        /* Own open file description, so the stream's offset is nobody else's. */
        int d = openat(f->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (d < 0) return -1;
        f->dir = fdopendir(d);
        if (!f->dir) {
            close(d);
            return -1;
        }
        f->dir_index = 0;
    }
    if (cookie < f->dir_index) {
        rewinddir(f->dir);
        f->dir_index = 0;
    }
    while (f->dir_index < cookie) {
        errno = 0;
        if (!readdir(f->dir)) return errno ? -1 : 0; /* past the end: nothing to read */
        f->dir_index++;
    }
    return 0;
}

/* fd_readdir(fd, buf, buf_len, cookie u64, *bufused): fills `buf` with dirents (24
 * bytes, then the name without NUL), the last one cut at the end of the buffer;
 * bufused < buf_len means the end of the directory. */
uint16_t elvm__wasi_fd_readdir(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    uint32_t buf = wasi_arg_u32(a, 1), len = wasi_arg_u32(a, 2), out = wasi_arg_u32(a, 4);
    uint64_t cookie = wasi_arg_u64(a, 3);
    wasi_fd *f = elvm__wasi_fd_get(c->w, wasi_arg_u32(a, 0), WASI_RIGHT_FD_READDIR, &e);
    if (!f) return e;
    if (f->filetype != WASI_FILETYPE_DIRECTORY) return WASI_ERRNO_NOTDIR;
    if (!wasi_in_bounds(c, buf, len) || !wasi_in_bounds(c, out, 4)) return WASI_ERRNO_FAULT;
    if (dir_seek(f, cookie)) return elvm__wasi_errno(errno);
    uint32_t used = 0;
    while (used < len) {
        long pos = telldir(f->dir);
        errno = 0;
        struct dirent *de = readdir(f->dir);
        if (!de) {
            if (errno && used == 0) return elvm__wasi_errno(errno);
            break;
        }
        size_t namlen = strlen(de->d_name);
        uint8_t hdr[WASI_DIRENT_SIZE] = {0};
        uint64_t next = f->dir_index + 1, ino = (uint64_t)de->d_ino;
        for (int i = 0; i < 8; i++) {
            hdr[i] = (uint8_t)(next >> (8 * i));
            hdr[8 + i] = (uint8_t)(ino >> (8 * i));
        }
        for (int i = 0; i < 4; i++) hdr[16 + i] = (uint8_t)(namlen >> (8 * i));
        hdr[20] = dirent_type(f->dir, de);
        uint32_t room = len - used;
        uint32_t h = room < WASI_DIRENT_SIZE ? room : WASI_DIRENT_SIZE;
        memcpy(wasi_ptr(c, buf + used), hdr, h);
        used += h;
        uint32_t nm = len - used < namlen ? len - used : (uint32_t)namlen;
        memcpy(wasi_ptr(c, buf + used), de->d_name, nm);
        used += nm;
        if (h < WASI_DIRENT_SIZE || nm < namlen) {
            /* Cut short: the guest asks again from this entry's cookie, so step back
             * to read it once more then. */
            seekdir(f->dir, pos);
            break;
        }
        f->dir_index++;
    }
    wasi_store_u32(c, out, used);
    return WASI_ERRNO_SUCCESS;
}
