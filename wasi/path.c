/* path.c: resolving guest paths strictly beneath a directory fd, and the path_*
 * functions.
 *
 * The sandbox rule: a path given with a directory fd names something inside that
 * directory's tree. Absolute paths, `..` above it and symlinks whose target leads out
 * of it fail with ERRNO_NOTCAPABLE. Linux >= 5.6 enforces this in the kernel with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS); elsewhere (or when the kernel says
 * ENOSYS) a component-wise walk does the same with O_NOFOLLOW at every step, reading
 * and splicing in relative symlinks itself. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__linux__) && defined(__has_include)
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define ELVM_HAVE_OPENAT2 1
#endif
#endif
#if !defined(SYS_openat2)
#undef ELVM_HAVE_OPENAT2
#endif

#include "wasi_impl.h"

/* Symlinks followed in one resolution at most, as Linux's own limit. */
#define WASI_MAX_SYMLINKS 40

#ifndef O_PATH
#define O_PATH 0
#endif

/* ---- the component-wise walk -------------------------------------------------------------- */

typedef struct walk {
    int *stack;    /* directory fds from the start (stack[0], borrowed) down */
    uint32_t depth, cap;
    char *rest;    /* what is left to resolve */
    int nlinks;
} walk;

static void walk_free(walk *wk) {
    for (uint32_t i = 1; i < wk->depth; i++) close(wk->stack[i]);
    free(wk->stack);
    free(wk->rest);
}

static int walk_push(walk *wk, int fd) {
    if (wk->depth == wk->cap) {
        uint32_t cap = wk->cap ? wk->cap * 2 : 16;
        int *s = realloc(wk->stack, cap * sizeof *s);
        if (!s) return -1;
        wk->stack = s;
        wk->cap = cap;
    }
    wk->stack[wk->depth++] = fd;
    return 0;
}

/* If `name` in `dir` is a symlink, replaces the walk's remaining path with its target
 * followed by `after` and returns 1; returns 0 if it is not a symlink, -1 with *e on
 * failure. */
static int walk_splice_link(walk *wk, int dir, const char *name, const char *after,
                            uint16_t *e) {
    char target[PATH_MAX];
    ssize_t n = readlinkat(dir, name, target, sizeof target);
    if (n < 0) return 0;
    if ((size_t)n >= sizeof target) {
        *e = WASI_ERRNO_NAMETOOLONG;
        return -1;
    }
    if (++wk->nlinks > WASI_MAX_SYMLINKS) {
        *e = WASI_ERRNO_LOOP;
        return -1;
    }
    if (n == 0 || target[0] == '/') {
        *e = n == 0 ? WASI_ERRNO_NOENT : WASI_ERRNO_NOTCAPABLE;
        return -1;
    }
    size_t alen = strlen(after);
    char *rest = malloc((size_t)n + alen + 2);
    if (!rest) {
        *e = WASI_ERRNO_NOMEM;
        return -1;
    }
    memcpy(rest, target, (size_t)n);
    rest[n] = '/';
    memcpy(rest + n + 1, after, alen + 1);
    if (alen == 0) rest[n] = '\0';
    free(wk->rest);
    wk->rest = rest;
    return 1;
}

static int open_walk(int dirfd, const char *path, int flags, int follow, uint16_t *e) {
    walk wk = {0};
    int result = -1;
    wk.rest = strdup(path);
    if (!wk.rest || walk_push(&wk, dirfd)) {
        *e = WASI_ERRNO_NOMEM;
        goto out;
    }
    for (;;) {
        /* The next component: [s, s + len), and what follows it. */
        const char *s = wk.rest;
        while (*s == '/') s++;
        size_t len = strcspn(s, "/");
        const char *after = s + len;
        const char *p = after;
        while (*p == '/') p++;
        int last = *p == '\0', trailing_slash = last && *after == '/';
        char comp[NAME_MAX + 1];
        if (len == 0) { /* only slashes left: "a/" was handled at "a" */
            *e = WASI_ERRNO_NOENT;
            goto out;
        }
        if (len > NAME_MAX) {
            *e = WASI_ERRNO_NAMETOOLONG;
            goto out;
        }
        memcpy(comp, s, len);
        comp[len] = '\0';
        int cur = wk.stack[wk.depth - 1];

        if (strcmp(comp, "..") == 0) {
            if (wk.depth == 1) {
                *e = WASI_ERRNO_NOTCAPABLE;
                goto out;
            }
            close(wk.stack[--wk.depth]);
            cur = wk.stack[wk.depth - 1];
            if (!last) goto next;
            strcpy(comp, ".");
        } else if (strcmp(comp, ".") == 0 && !last) {
            goto next;
        }

        if (!last) {
            int fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) {
                int err = errno;
                int r = (err == ELOOP || err == ENOTDIR)
                            ? walk_splice_link(&wk, cur, comp, p, e) : 0;
                if (r < 0) goto out;
                if (r > 0) continue;
                *e = elvm__wasi_errno(err);
                goto out;
            }
            if (walk_push(&wk, fd)) {
                close(fd);
                *e = WASI_ERRNO_NOMEM;
                goto out;
            }
            goto next;
        }

        /* The last component: open it, following a symlink only if asked. */
        int fl = flags | O_NOFOLLOW | (trailing_slash ? O_DIRECTORY : 0);
        int fd = openat(cur, comp, fl, 0666);
        if (fd >= 0) {
            result = fd;
            goto out;
        }
        int err = errno;
        if (follow && (err == ELOOP || err == ENOTDIR || err == EEXIST)) {
            /* EEXIST: O_CREAT | O_EXCL on a symlink, which POSIX never follows. */
            int r = err == EEXIST ? 0 : walk_splice_link(&wk, cur, comp, after, e);
            if (r < 0) goto out;
            if (r > 0) continue;
        }
        *e = elvm__wasi_errno(err);
        goto out;
    next: {
        char *rest = strdup(p);
        if (!rest) {
            *e = WASI_ERRNO_NOMEM;
            goto out;
        }
        free(wk.rest);
        wk.rest = rest;
    }
    }
out:
    walk_free(&wk);
    return result;
}

int elvm__wasi_open_beneath(elvm_wasi *w, int dirfd, const char *path, int flags, int follow,
                            uint16_t *e) {
    if (path[0] == '\0') {
        *e = WASI_ERRNO_NOENT;
        return -1;
    }
    if (path[0] == '/') {
        *e = WASI_ERRNO_NOTCAPABLE;
        return -1;
    }
#ifdef ELVM_HAVE_OPENAT2
    if (!w->force_path_walk && !w->no_openat2) {
        struct open_how how;
        memset(&how, 0, sizeof how);
        how.flags = (uint64_t)(unsigned)(flags | (follow ? 0 : O_NOFOLLOW));
        how.mode = (flags & O_CREAT) ? 0666 : 0;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
        for (int tries = 0;; tries++) {
            long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
            if (fd >= 0) return (int)fd;
            /* EAGAIN: a concurrent rename raced a `..`; the kernel asks to retry. */
            if (errno == EAGAIN && tries < 16) continue;
            if (errno == ENOSYS) break;
            *e = errno == EXDEV ? WASI_ERRNO_NOTCAPABLE : elvm__wasi_errno(errno);
            return -1;
        }
        w->no_openat2 = 1;
    }
#else
    (void)w;
#endif
    return open_walk(dirfd, path, flags, follow, e);
}

/* ---- path_open ------------------------------------------------------------------------------ */

/* Copies a guest path (not NUL-terminated in the guest) into a new host string. */
static char *path_copy(wasi_call *c, uint32_t ptr, uint32_t len, uint16_t *e) {
    if (!wasi_in_bounds(c, ptr, len)) {
        *e = WASI_ERRNO_FAULT;
        return NULL;
    }
    if (len >= PATH_MAX) {
        *e = WASI_ERRNO_NAMETOOLONG;
        return NULL;
    }
    if (memchr(wasi_ptr(c, ptr), '\0', len)) {
        *e = WASI_ERRNO_INVAL;
        return NULL;
    }
    char *s = malloc((size_t)len + 1);
    if (!s) {
        *e = WASI_ERRNO_NOMEM;
        return NULL;
    }
    memcpy(s, wasi_ptr(c, ptr), len);
    s[len] = '\0';
    return s;
}

/* path_open(dirfd, dirflags, path, path_len, oflags, rights_base u64, rights_inheriting
 * u64, fdflags, *fd). The new fd gets the requested rights that its directory may pass
 * on and that apply to what was opened. */
uint16_t elvm__wasi_path_open(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    uint32_t lookup = wasi_arg_u32(a, 1), path = wasi_arg_u32(a, 2), plen = wasi_arg_u32(a, 3);
    uint32_t oflags = wasi_arg_u32(a, 4), fdflags = wasi_arg_u32(a, 7), out = wasi_arg_u32(a, 8);
    uint64_t base = wasi_arg_u64(a, 5), inheriting = wasi_arg_u64(a, 6);

    uint64_t need = WASI_RIGHT_PATH_OPEN;
    if (oflags & WASI_OFLAG_CREAT) need |= WASI_RIGHT_PATH_CREATE_FILE;
    if (oflags & WASI_OFLAG_TRUNC) need |= WASI_RIGHT_PATH_FILESTAT_SET_SIZE;
    wasi_fd *dir = elvm__wasi_fd_get(c->w, wasi_arg_u32(a, 0), need, &e);
    if (!dir) return e;
    if (dir->filetype != WASI_FILETYPE_DIRECTORY) return WASI_ERRNO_NOTDIR;
    if (!wasi_in_bounds(c, out, 4)) return WASI_ERRNO_FAULT;
    base &= dir->rights_inheriting;
    inheriting &= dir->rights_inheriting;

    int flags = O_CLOEXEC | O_NOCTTY;
    if (oflags & WASI_OFLAG_CREAT) flags |= O_CREAT;
    if (oflags & WASI_OFLAG_EXCL) flags |= O_EXCL;
    if (oflags & WASI_OFLAG_TRUNC) flags |= O_TRUNC;
    if (fdflags & WASI_FDFLAG_APPEND) flags |= O_APPEND;
    if (fdflags & WASI_FDFLAG_DSYNC) flags |= O_DSYNC;
    if (fdflags & WASI_FDFLAG_NONBLOCK) flags |= O_NONBLOCK;
    if (fdflags & WASI_FDFLAG_RSYNC) flags |= O_RSYNC;
    if (fdflags & WASI_FDFLAG_SYNC) flags |= O_SYNC;
    int rd = (base & (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_READDIR)) != 0;
    int wr = (base & (WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ALLOCATE |
                      WASI_RIGHT_FD_FILESTAT_SET_SIZE)) != 0;
    if (oflags & WASI_OFLAG_DIRECTORY) flags |= O_DIRECTORY | O_RDONLY;
    else if (wr) flags |= rd ? O_RDWR : O_WRONLY;
    else flags |= O_RDONLY;

    char *p = path_copy(c, path, plen, &e);
    if (!p) return e;
    int host = elvm__wasi_open_beneath(c->w, dir->host, p, flags,
                                       (lookup & WASI_LOOKUP_SYMLINK_FOLLOW) != 0, &e);
    free(p);
    if (host < 0) return e;
    struct stat st;
    if (fstat(host, &st)) {
        e = elvm__wasi_errno(errno);
        close(host);
        return e;
    }
    /* `dir` may move: the insert can grow the table. */
    int64_t fd = elvm__wasi_fd_insert(c->w, host, elvm__wasi_filetype(st.st_mode), base,
                                      inheriting, &e);
    if (fd < 0) {
        close(host);
        return e;
    }
    wasi_store_u32(c, out, (uint32_t)fd);
    return WASI_ERRNO_SUCCESS;
}
