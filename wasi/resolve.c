/* resolve.c: resolving guest paths strictly beneath a directory fd.
 *
 * The sandbox rule: a path given with a directory fd names something inside that
 * directory's tree. Absolute paths, `..` above it and symlinks whose target is absolute
 * or leads out of it fail with ERRNO_NOTCAPABLE. Linux >= 5.6 enforces this in the
 * kernel with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS); elsewhere (or when the
 * kernel says ENOSYS, or the config asks for it) a component-wise walk does the same:
 * every step is an openat(2) of one name with O_NOFOLLOW relative to the fd of the step
 * before, and a symlink met on the way is read and its target spliced into what is left
 * of the path. Nothing is ever resolved by name from the root, so a concurrent rename
 * can make a lookup fail but never lead it outside.
 *
 * The path_* calls that act on a name (mkdir, unlink, rename, ...) resolve everything
 * but the last component this way to a directory fd, then call the *at(2) function on
 * the last component, which then is one plain name that the kernel does not follow. */
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

/* ---- the component-wise walk ------------------------------------------------------------ */

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

/* If `name` in `dir` is a symlink, replaces the walk's remaining path with its target,
 * a '/' and `after`, and returns 1; returns 0 if it is not a symlink, -1 with *e on
 * failure (an absolute target is NOTCAPABLE). */
static int walk_splice_link(wasi_call *c, walk *wk, int dir, const char *name,
                            const char *after, uint16_t *e) {
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
    if (n == 0) {
        *e = WASI_ERRNO_NOENT;
        return -1;
    }
    if (target[0] == '/') {
        elvm__wasi_deny(c, "symlink '%s' has an absolute target", name);
        *e = WASI_ERRNO_NOTCAPABLE;
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

static int open_walk(wasi_call *c, int dirfd, const char *path, int flags, int follow,
                     uint16_t *e) {
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
        if (len == 0) { /* nothing left but slashes: only an odd symlink target does it */
            *e = WASI_ERRNO_NOENT;
            goto out;
        }
        /* O_CREAT of a last name with a trailing slash is EISDIR, as open(2) says before
         * it looks at the name; "." and ".." go on to be opened (EEXIST with O_EXCL) */
        int dots = s[0] == '.' && (len == 1 || (len == 2 && s[1] == '.'));
        if (trailing_slash && (flags & O_CREAT) && !dots) {
            *e = WASI_ERRNO_ISDIR;
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
                elvm__wasi_deny(c, "'%s' leads above its directory", path);
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
                            ? walk_splice_link(c, &wk, cur, comp, p, e) : 0;
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

        /* The last component: open it, following a symlink only if asked (a trailing
         * slash asks, as in POSIX, and wants a directory: with O_CREAT only "." is left
         * here, which is one, and O_DIRECTORY would make the flags invalid). */
        int fol = follow || trailing_slash;
        int fl = flags | O_NOFOLLOW | (trailing_slash && !(flags & O_CREAT) ? O_DIRECTORY : 0);
        int fd = openat(cur, comp, fl, 0666);
        if (fd >= 0) {
            /* O_PATH | O_NOFOLLOW opens a symlink itself rather than failing. */
            struct stat st;
            if (fol && (flags & O_PATH) && !fstat(fd, &st) && S_ISLNK(st.st_mode)) {
                int r = walk_splice_link(c, &wk, cur, comp, after, e);
                close(fd);
                if (r < 0) goto out;
                if (r > 0) continue;
                *e = WASI_ERRNO_LOOP; /* was a link a moment ago: a race; refuse */
                goto out;
            }
            result = fd;
            goto out;
        }
        int err = errno;
        /* EEXIST: O_CREAT | O_EXCL on a symlink, which POSIX never follows. */
        if (fol && (err == ELOOP || err == ENOTDIR)) {
            int r = walk_splice_link(c, &wk, cur, comp, after, e);
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

#ifdef ELVM_HAVE_OPENAT2
static long openat2_beneath(int dirfd, const char *path, int flags) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(unsigned)flags;
    how.mode = (flags & O_CREAT) ? 0666 : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    return syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

/* Whether openat2 resolves "." beneath `dirfd`: not on kernels before 5.6 (ENOSYS), nor
 * where a seccomp filter refuses the syscall (EPERM in some container runtimes). */
static int openat2_works(int dirfd) {
    long fd = openat2_beneath(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return 0;
    close((int)fd);
    return 1;
}
#endif

int elvm__wasi_open_beneath(wasi_call *c, int dirfd, const char *path, int flags, int follow,
                            uint16_t *e) {
    if (path[0] == '\0') {
        *e = WASI_ERRNO_NOENT;
        return -1;
    }
    if (path[0] == '/') {
        elvm__wasi_deny(c, "absolute path '%s'", path);
        *e = WASI_ERRNO_NOTCAPABLE;
        return -1;
    }
    /* Refused before any lookup, as openat2 and open(2) (Linux >= 6.4) do: the walk would
     * otherwise report a missing directory on the way instead, and older kernels create
     * a regular file. */
    if ((flags & O_CREAT) && (flags & O_DIRECTORY)) {
        *e = WASI_ERRNO_INVAL;
        return -1;
    }
#ifdef ELVM_HAVE_OPENAT2
    elvm_wasi *w = c->w;
    if (!w->force_path_walk && w->openat2 == 0) w->openat2 = openat2_works(dirfd) ? 1 : -1;
    if (!w->force_path_walk && w->openat2 > 0) {
        for (int tries = 0;; tries++) {
            long fd = openat2_beneath(dirfd, path, flags | (follow ? 0 : O_NOFOLLOW));
            if (fd >= 0) return (int)fd;
            /* EAGAIN: a concurrent rename raced a `..`; the kernel asks to retry. */
            if (errno == EAGAIN && tries < 16) continue;
            if (errno == EXDEV) {
                elvm__wasi_deny(c, "'%s' leads outside its directory", path);
                *e = WASI_ERRNO_NOTCAPABLE;
            } else {
                *e = elvm__wasi_errno(errno);
            }
            return -1;
        }
    }
#endif
    return open_walk(c, dirfd, path, flags, follow, e);
}

/* ---- guest paths ------------------------------------------------------------------------ */

char *elvm__wasi_path_copy(wasi_call *c, uint32_t ptr, uint32_t len, uint16_t *e) {
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

uint16_t elvm__wasi_parent(wasi_call *c, const wasi_fd *dir, uint32_t ptr, uint32_t len,
                           wasi_parent *p) {
    uint16_t e;
    memset(p, 0, sizeof *p);
    p->fd = -1;
    if (dir->filetype != WASI_FILETYPE_DIRECTORY) return WASI_ERRNO_NOTDIR;
    char *s = p->buf = elvm__wasi_path_copy(c, ptr, len, &e);
    if (!s) return e;
    if (s[0] == '\0') return WASI_ERRNO_NOENT;
    if (s[0] == '/') {
        elvm__wasi_deny(c, "absolute path '%s'", s);
        return WASI_ERRNO_NOTCAPABLE;
    }
    size_t n = strlen(s);
    while (n > 1 && s[n - 1] == '/') {
        s[--n] = '\0';
        p->trailing_slash = 1;
    }
    char *slash = strrchr(s, '/');
    char *name = slash ? slash + 1 : s;
    if (strlen(name) > NAME_MAX) return WASI_ERRNO_NAMETOOLONG;
    if (!strcmp(name, ".") || !strcmp(name, "..")) {
        /* No name to act on: resolve it all (an escape is still refused), and let the
         * caller say what its call does to "." or "..". */
        p->dot = name[1] ? 2 : 1;
        p->fd = elvm__wasi_open_beneath(c, dir->host, s, O_PATH | O_DIRECTORY | O_CLOEXEC, 1, &e);
        if (p->fd < 0) return e;
        p->owned = 1;
        return WASI_ERRNO_SUCCESS;
    }
    p->name = name;
    if (!slash) {
        p->fd = dir->host;
        return WASI_ERRNO_SUCCESS;
    }
    *slash = '\0';
    p->fd = elvm__wasi_open_beneath(c, dir->host, s, O_PATH | O_DIRECTORY | O_CLOEXEC, 1, &e);
    if (p->fd < 0) return e;
    p->owned = 1;
    return WASI_ERRNO_SUCCESS;
}

void elvm__wasi_parent_free(wasi_parent *p) {
    if (p->owned && p->fd >= 0) close(p->fd);
    free(p->buf);
    memset(p, 0, sizeof *p);
    p->fd = -1;
}
