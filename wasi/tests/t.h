/* t.h: what the wasi/tests programs share: errno names that read the same under every
 * runtime, and one-line checks that print "LABEL: ok" or "LABEL: ENAME".
 *
 * wasi-libc's errno values are WASI's own errnos, so ename() names both a libc errno
 * and what a raw __wasi_* call returned. */
#ifndef WASI_TESTS_T_H
#define WASI_TESTS_T_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

static inline const char *ename(int e) {
    static char other[16];
    switch (e) {
    case 0: return "ok";
    case E2BIG: return "E2BIG";
    case EACCES: return "EACCES";
    case EAGAIN: return "EAGAIN";
    case EBADF: return "EBADF";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EFAULT: return "EFAULT";
    case EFBIG: return "EFBIG";
    case EINTR: return "EINTR";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case EISDIR: return "EISDIR";
    case ELOOP: return "ELOOP";
    case EMFILE: return "EMFILE";
    case EMLINK: return "EMLINK";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOENT: return "ENOENT";
    case ENOSPC: return "ENOSPC";
    case ENOSYS: return "ENOSYS";
    case ENOTCONN: return "ENOTCONN";
    case ENOTDIR: return "ENOTDIR";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENOTSOCK: return "ENOTSOCK";
    case ENOTSUP: return "ENOTSUP";
    case ENOTTY: return "ENOTTY";
    case EOVERFLOW: return "EOVERFLOW";
    case EPERM: return "EPERM";
    case EPIPE: return "EPIPE";
    case EROFS: return "EROFS";
    case ESPIPE: return "ESPIPE";
    case EXDEV: return "EXDEV";
    case ENOTCAPABLE: return "ENOTCAPABLE";
    default: snprintf(other, sizeof other, "E#%d", e); return other;
    }
}

/* A raw import, for what wasi/api.h does not offer (lengths with NULs, proc_raise). */
#define WASI_IMPORT(name) \
    __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))

/* A libc call that returns < 0 (or NULL, for T_PTR) and sets errno on failure. */
#define T(label, expr)                                                                   \
    do {                                                                                 \
        errno = 0;                                                                       \
        long t_r = (long)(expr);                                                         \
        printf("%s: %s\n", (label), t_r < 0 ? ename(errno) : "ok");                     \
    } while (0)
#define T_PTR(label, expr)                                                               \
    do {                                                                                 \
        errno = 0;                                                                       \
        void *t_p = (void *)(expr);                                                      \
        printf("%s: %s\n", (label), t_p ? "ok" : ename(errno));                         \
    } while (0)
/* A raw __wasi_* call: its errno. */
#define W(label, expr) printf("%s: %s\n", (label), ename((int)(expr)))

/* The file at `path` as a string (at most cap-1 bytes), "" if it cannot be read. */
static inline const char *slurp(const char *path, char *buf, size_t cap) {
    FILE *f = fopen(path, "r");
    size_t n = 0;
    if (f) {
        n = fread(buf, 1, cap - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    return buf;
}

/* The linear memory's end: the first address a guest pointer must not reach. */
static inline unsigned long mem_end(void) {
    return (unsigned long)__builtin_wasm_memory_size(0) * 65536ul;
}

#endif
