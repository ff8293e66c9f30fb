/* fd.c: what the guest does with an open fd: fd_read, fd_write, fd_pread, fd_pwrite,
 * fd_seek, fd_tell, fd_advise, fd_allocate, fd_datasync, fd_sync, fd_filestat_get,
 * fd_filestat_set_size and fd_filestat_set_times. fd_readdir is in dir.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "wasi_impl.h"

/* iovecs handed to one host call: a fixed stack array, whatever the guest asks. */
#define WASI_IOV_BATCH 64
/* Bytes moved by one call at most (Linux's own limit per read/write). */
#define WASI_IO_MAX 0x7ffff000u

/* ---- iovecs ----------------------------------------------------------------------------- */

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

/* One host call on `k` iovecs. */
static ssize_t io_once(int host, struct iovec *v, int k, wasi_io *io, uint64_t off) {
    struct msghdr m;
    ssize_t r;
    switch (io->op) {
    case WASI_IO_READ: return readv(host, v, k);
    case WASI_IO_WRITE: return writev(host, v, k);
    case WASI_IO_PREAD: return preadv(host, v, k, (off_t)off);
    case WASI_IO_PWRITE: return pwritev(host, v, k, (off_t)off);
    case WASI_IO_RECV:
    case WASI_IO_SEND:
        memset(&m, 0, sizeof m);
        m.msg_iov = v;
        m.msg_iovlen = (size_t)k;
        if (io->op == WASI_IO_SEND) return sendmsg(host, &m, io->msg_flags | MSG_NOSIGNAL);
        r = recvmsg(host, &m, io->msg_flags);
        io->msg_flags_out = m.msg_flags;
        return r;
    }
    errno = EINVAL;
    return -1;
}

uint16_t elvm__wasi_io(wasi_call *c, int host, uint32_t iovs, uint32_t n, wasi_io *io) {
    struct iovec v[WASI_IOV_BATCH];
    uint16_t e = iovs_check(c, iovs, n);
    if (e) return e;
    if ((io->op == WASI_IO_PREAD || io->op == WASI_IO_PWRITE) && io->offset > INT64_MAX)
        return WASI_ERRNO_INVAL;
    uint64_t total = 0;
    uint32_t i = 0;
    io->done = 0;
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
        do r = io_once(host, v, k, io, io->offset + total);
        while (r < 0 && errno == EINTR);
        if (r < 0) {
            if (total > 0) break;
            return elvm__wasi_errno(errno);
        }
        total += (uint64_t)r;
        /* A short transfer ends it; so does a receive, which a second call could not
         * join to the first (MSG_PEEK would see the same bytes again). */
        if ((uint64_t)r < want || io->op == WASI_IO_RECV) break;
    }
    io->done = (uint32_t)total;
    return WASI_ERRNO_SUCCESS;
}

/* fd_read, fd_write, fd_pread, fd_pwrite: (fd, iovs, iovs_len, [offset u64,] *n). */
static uint16_t fd_rw(wasi_call *c, const elvm_val *a, wasi_io_op op) {
    uint16_t e;
    int positioned = op == WASI_IO_PREAD || op == WASI_IO_PWRITE;
    int write = op == WASI_IO_WRITE || op == WASI_IO_PWRITE;
    uint64_t need = (write ? WASI_RIGHT_FD_WRITE : WASI_RIGHT_FD_READ) |
                    (positioned ? WASI_RIGHT_FD_SEEK : 0);
    uint32_t iovs = wasi_arg_u32(a, 1), n = wasi_arg_u32(a, 2);
    uint32_t out = wasi_arg_u32(a, positioned ? 4 : 3);
    wasi_fd *f = elvm__wasi_fd_get(c, wasi_arg_u32(a, 0), need, &e);
    if (!f) return e;
    if (!wasi_in_bounds(c, out, 4)) return WASI_ERRNO_FAULT;
    wasi_io io = {.op = op, .offset = positioned ? wasi_arg_u64(a, 3) : 0};
    /* A socket is written with sendmsg(MSG_NOSIGNAL): no SIGPIPE. */
    if (op == WASI_IO_WRITE && f->filetype == WASI_FILETYPE_SOCKET_STREAM) io.op = WASI_IO_SEND;
    if ((e = elvm__wasi_io(c, f->host, iovs, n, &io))) return e;
    wasi_store_u32(c, out, io.done);
    return WASI_ERRNO_SUCCESS;
}

uint16_t elvm__wasi_fd_read(wasi_call *c, const elvm_val *a) { return fd_rw(c, a, WASI_IO_READ); }
uint16_t elvm__wasi_fd_write(wasi_call *c, const elvm_val *a) { return fd_rw(c, a, WASI_IO_WRITE); }
uint16_t elvm__wasi_fd_pread(wasi_call *c, const elvm_val *a) { return fd_rw(c, a, WASI_IO_PREAD); }
uint16_t elvm__wasi_fd_pwrite(wasi_call *c, const elvm_val *a) {
    return fd_rw(c, a, WASI_IO_PWRITE);
}

/* ---- fd_seek, fd_tell ------------------------------------------------------------------- */

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
    wasi_fd *f = elvm__wasi_fd_get(c, wasi_arg_u32(a, 0), need, &e);
    if (!f) return e;
    if (!wasi_in_bounds(c, out, 8)) return WASI_ERRNO_FAULT;
    off_t r = lseek(f->host, (off_t)off, how);
    if (r < 0) return elvm__wasi_errno(errno);
    wasi_store_u64(c, out, (uint64_t)r);
    return WASI_ERRNO_SUCCESS;
}

/* fd_tell(fd, *offset u64) */
uint16_t elvm__wasi_fd_tell(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    uint32_t out = wasi_arg_u32(a, 1);
    wasi_fd *f = elvm__wasi_fd_get(c, wasi_arg_u32(a, 0), WASI_RIGHT_FD_TELL, &e);
    if (!f) return e;
    if (!wasi_in_bounds(c, out, 8)) return WASI_ERRNO_FAULT;
    off_t r = lseek(f->host, 0, SEEK_CUR);
    if (r < 0) return elvm__wasi_errno(errno);
    wasi_store_u64(c, out, (uint64_t)r);
    return WASI_ERRNO_SUCCESS;
}

/* ---- fd_advise, fd_allocate, fd_datasync, fd_sync --------------------------------------- */

/* fd_advise(fd, offset u64, len u64, advice u8): posix_fadvise(2). */
uint16_t elvm__wasi_fd_advise(wasi_call *c, const elvm_val *a) {
    static const int host_advice[] = {POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL,
                                      POSIX_FADV_RANDOM, POSIX_FADV_WILLNEED,
                                      POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
    uint16_t e;
    uint64_t off = wasi_arg_u64(a, 1), len = wasi_arg_u64(a, 2);
    uint32_t advice = wasi_arg_u32(a, 3);
    wasi_fd *f = elvm__wasi_fd_get(c, wasi_arg_u32(a, 0), WASI_RIGHT_FD_ADVISE, &e);
    if (!f) return e;
    if (advice > WASI_ADVICE_NOREUSE || off > INT64_MAX || len > INT64_MAX)
        return WASI_ERRNO_INVAL;
    if (f->filetype == WASI_FILETYPE_DIRECTORY) return WASI_ERRNO_SUCCESS; /* a hint */
    return elvm__wasi_errno(posix_fadvise(f->host, (off_t)off, (off_t)len, host_advice[advice]));
}

/* fd_allocate(fd, offset u64, len u64): posix_fallocate(3); the file never shrinks. */
uint16_t elvm__wasi_fd_allocate(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    uint64_t off = wasi_arg_u64(a, 1), len = wasi_arg_u64(a, 2);
    wasi_fd *f = elvm__wasi_fd_get(c, wasi_arg_u32(a, 0), WASI_RIGHT_FD_ALLOCATE, &e);
    if (!f) return e;
    if (len == 0) return WASI_ERRNO_INVAL;
    if (off > INT64_MAX || len > INT64_MAX - off) return WASI_ERRNO_FBIG;
    int r;
    do r = posix_fallocate(f->host, (off_t)off, (off_t)len);
    while (r == EINTR);
    return elvm__wasi_errno(r);
}

/* fd_datasync(fd), fd_sync(fd) */
uint16_t elvm__wasi_fd_datasync(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    wasi_fd *f = elvm__wasi_fd_get(c, wasi_arg_u32(a, 0), WASI_RIGHT_FD_DATASYNC, &e);
    if (!f) return e;
    return fdatasync(f->host) ? elvm__wasi_errno(errno) : WASI_ERRNO_SUCCESS;
}

uint16_t elvm__wasi_fd_sync(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    wasi_fd *f = elvm__wasi_fd_get(c, wasi_arg_u32(a, 0), WASI_RIGHT_FD_SYNC, &e);
    if (!f) return e;
    return fsync(f->host) ? elvm__wasi_errno(errno) : WASI_ERRNO_SUCCESS;
}

/* ---- fd_filestat_* ---------------------------------------------------------------------- */

static uint64_t ts_ns(struct timespec ts) {
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void elvm__wasi_store_filestat(wasi_call *c, uint32_t out, const struct stat *st) {
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

static struct timespec ns_ts(uint64_t ns) {
    struct timespec ts;
    ts.tv_sec = (time_t)(ns / 1000000000u);
    ts.tv_nsec = (long)(ns % 1000000000u);
    return ts;
}

uint16_t elvm__wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2]) {
    if (fst & ~(uint32_t)(WASI_FSTFLAG_ATIM | WASI_FSTFLAG_ATIM_NOW | WASI_FSTFLAG_MTIM |
                          WASI_FSTFLAG_MTIM_NOW))
        return WASI_ERRNO_INVAL;
    if ((fst & WASI_FSTFLAG_ATIM) && (fst & WASI_FSTFLAG_ATIM_NOW)) return WASI_ERRNO_INVAL;
    if ((fst & WASI_FSTFLAG_MTIM) && (fst & WASI_FSTFLAG_MTIM_NOW)) return WASI_ERRNO_INVAL;
    ts[0] = ns_ts(atim);
    ts[1] = ns_ts(mtim);
    if (fst & WASI_FSTFLAG_ATIM_NOW) ts[0].tv_nsec = UTIME_NOW;
    else if (!(fst & WASI_FSTFLAG_ATIM)) ts[0].tv_nsec = UTIME_OMIT;
    if (fst & WASI_FSTFLAG_MTIM_NOW) ts[1].tv_nsec = UTIME_NOW;
    else if (!(fst & WASI_FSTFLAG_MTIM)) ts[1].tv_nsec = UTIME_OMIT;
    return WASI_ERRNO_SUCCESS;
}

/* fd_filestat_get(fd, *filestat) */
uint16_t elvm__wasi_fd_filestat_get(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    uint32_t out = wasi_arg_u32(a, 1);
    wasi_fd *f = elvm__wasi_fd_get(c, wasi_arg_u32(a, 0), WASI_RIGHT_FD_FILESTAT_GET, &e);
    if (!f) return e;
    if (!wasi_in_bounds(c, out, WASI_FILESTAT_SIZE)) return WASI_ERRNO_FAULT;
    struct stat st;
    if (fstat(f->host, &st)) return elvm__wasi_errno(errno);
    elvm__wasi_store_filestat(c, out, &st);
    return WASI_ERRNO_SUCCESS;
}

/* fd_filestat_set_size(fd, size u64): ftruncate(2). */
uint16_t elvm__wasi_fd_filestat_set_size(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    uint64_t size = wasi_arg_u64(a, 1);
    wasi_fd *f = elvm__wasi_fd_get(c, wasi_arg_u32(a, 0), WASI_RIGHT_FD_FILESTAT_SET_SIZE, &e);
    if (!f) return e;
    if (size > INT64_MAX) return WASI_ERRNO_INVAL;
    int r;
    do r = ftruncate(f->host, (off_t)size);
    while (r && errno == EINTR);
    return r ? elvm__wasi_errno(errno) : WASI_ERRNO_SUCCESS;
}

/* fd_filestat_set_times(fd, atim u64, mtim u64, fst_flags u16): futimens(3). */
uint16_t elvm__wasi_fd_filestat_set_times(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    struct timespec ts[2];
    wasi_fd *f = elvm__wasi_fd_get(c, wasi_arg_u32(a, 0), WASI_RIGHT_FD_FILESTAT_SET_TIMES, &e);
    if (!f) return e;
    if ((e = elvm__wasi_times(wasi_arg_u64(a, 1), wasi_arg_u64(a, 2), wasi_arg_u32(a, 3), ts)))
        return e;
    return futimens(f->host, ts) ? elvm__wasi_errno(errno) : WASI_ERRNO_SUCCESS;
}
