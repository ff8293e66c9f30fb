/* path.c: the path_* functions: path_open, path_filestat_get, path_filestat_set_times,
 * path_create_directory, path_remove_directory, path_unlink_file, path_rename,
 * path_link, path_symlink and path_readlink. Every path is resolved beneath its
 * directory fd by resolve.c; the rights of that fd are checked first. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wasi_impl.h"

#ifndef O_PATH
#define O_PATH 0
#endif

/* Levels path_symlink climbs from a directory looking for its preopen, at most. */
#define WASI_MAX_DEPTH 4096

/* The directory fd `fd` of a path_* call, with `rights`; NOTDIR if it is not one. */
static wasi_fd *dir_get(wasi_call *c, uint32_t fd, uint64_t rights, uint16_t *e) {
    wasi_fd *d = elvm__wasi_fd_get(c, fd, rights, e);
    if (d && d->filetype != WASI_FILETYPE_DIRECTORY) {
        *e = WASI_ERRNO_NOTDIR;
        return NULL;
    }
    return d;
}

/* A path that ended in '/' names a directory: NOTDIR if p's name is something else. */
static uint16_t trailing_dir(const wasi_parent *p) {
    struct stat st;
    if (!p->trailing_slash) return WASI_ERRNO_SUCCESS;
    if (fstatat(p->fd, p->name, &st, AT_SYMLINK_NOFOLLOW)) return elvm__wasi_errno(errno);
    return S_ISDIR(st.st_mode) ? WASI_ERRNO_SUCCESS : WASI_ERRNO_NOTDIR;
}

/* ---- path_open -------------------------------------------------------------------------- */

/* path_open(dirfd, dirflags, path, path_len, oflags, rights_base u64, rights_inheriting
 * u64, fdflags, *fd). The new fd gets the requested rights that its directory may pass
 * on and that apply to what was opened. Asking to write (FD_WRITE, FD_ALLOCATE,
 * FD_FILESTAT_SET_SIZE) through a directory that does not pass those rights on, as a
 * read-only preopen, is NOTCAPABLE at once rather than at the first write. */
uint16_t elvm__wasi_path_open(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    uint32_t dirfd = wasi_arg_u32(a, 0), lookup = wasi_arg_u32(a, 1);
    uint32_t path = wasi_arg_u32(a, 2), plen = wasi_arg_u32(a, 3);
    uint32_t oflags = wasi_arg_u32(a, 4), fdflags = wasi_arg_u32(a, 7), out = wasi_arg_u32(a, 8);
    uint64_t base = wasi_arg_u64(a, 5), inheriting = wasi_arg_u64(a, 6);
    const uint64_t write_rights =
        WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ALLOCATE | WASI_RIGHT_FD_FILESTAT_SET_SIZE;

    uint64_t need = WASI_RIGHT_PATH_OPEN;
    if (oflags & WASI_OFLAG_CREAT) need |= WASI_RIGHT_PATH_CREATE_FILE;
    if (oflags & WASI_OFLAG_TRUNC) need |= WASI_RIGHT_PATH_FILESTAT_SET_SIZE;
    wasi_fd *dir = dir_get(c, dirfd, need, &e);
    if (!dir) return e;
    if (oflags & ~(uint32_t)0xf || fdflags & ~(uint32_t)0x1f) return WASI_ERRNO_INVAL;
    if (!wasi_in_bounds(c, out, 4)) return WASI_ERRNO_FAULT;
    if (base & write_rights & ~dir->rights_inheriting) {
        elvm__wasi_deny(c, "fd %u does not pass on the right to write%s", dirfd,
                        dir->readonly ? " (read-only preopen)" : "");
        return WASI_ERRNO_NOTCAPABLE;
    }
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
    int wr = (base & write_rights) != 0 || (oflags & WASI_OFLAG_TRUNC);
    if (oflags & WASI_OFLAG_DIRECTORY) flags |= O_DIRECTORY | O_RDONLY;
    else if (wr) flags |= rd ? O_RDWR : O_WRONLY;
    else flags |= O_RDONLY;

    char *p = elvm__wasi_path_copy(c, path, plen, &e);
    if (!p) return e;
    int host = elvm__wasi_open_beneath(c, dir->host, p, flags,
                                       (lookup & WASI_LOOKUP_SYMLINK_FOLLOW) != 0, &e);
    free(p);
    if (host < 0) return e;
    struct stat st;
    if (fstat(host, &st)) {
        e = elvm__wasi_errno(errno);
        close(host);
        return e;
    }
    uint8_t type = elvm__wasi_filetype(st.st_mode);
    int64_t fd = elvm__wasi_fd_insert(c->w, host,
                                      type == WASI_FILETYPE_DIRECTORY ? WASI_FD_DIR : WASI_FD_FILE,
                                      type, base, inheriting, dir, &e);
    if (fd < 0) {
        close(host);
        return e;
    }
    wasi_store_u32(c, out, (uint32_t)fd);
    return WASI_ERRNO_SUCCESS;
}

/* ---- path_filestat_get, path_filestat_set_times ----------------------------------------- */

/* An O_PATH fd for the whole path, the final symlink followed if `lookup` says so. */
static int open_path(wasi_call *c, const wasi_fd *dir, uint32_t lookup, uint32_t ptr,
                     uint32_t len, uint16_t *e) {
    char *p = elvm__wasi_path_copy(c, ptr, len, e);
    if (!p) return -1;
    int fd = elvm__wasi_open_beneath(c, dir->host, p, O_PATH | O_CLOEXEC,
                                     (lookup & WASI_LOOKUP_SYMLINK_FOLLOW) != 0, e);
    free(p);
    return fd;
}

/* path_filestat_get(fd, lookupflags, path, path_len, *filestat) */
uint16_t elvm__wasi_path_filestat_get(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    uint32_t out = wasi_arg_u32(a, 4);
    wasi_fd *dir = dir_get(c, wasi_arg_u32(a, 0), WASI_RIGHT_PATH_FILESTAT_GET, &e);
    if (!dir) return e;
    if (!wasi_in_bounds(c, out, WASI_FILESTAT_SIZE)) return WASI_ERRNO_FAULT;
    int fd = open_path(c, dir, wasi_arg_u32(a, 1), wasi_arg_u32(a, 2), wasi_arg_u32(a, 3), &e);
    if (fd < 0) return e;
    struct stat st;
    e = fstat(fd, &st) ? elvm__wasi_errno(errno) : WASI_ERRNO_SUCCESS;
    close(fd);
    if (!e) elvm__wasi_store_filestat(c, out, &st);
    return e;
}

/* path_filestat_set_times(fd, lookupflags, path, path_len, atim u64, mtim u64, fst_flags):
 * utimensat(2) on the O_PATH fd of the resolved path (AT_EMPTY_PATH, Linux >= 5.8;
 * before that through /proc/self/fd, which cannot reach a symlink itself). */
uint16_t elvm__wasi_path_filestat_set_times(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    struct timespec ts[2];
    wasi_fd *dir = dir_get(c, wasi_arg_u32(a, 0), WASI_RIGHT_PATH_FILESTAT_SET_TIMES, &e);
    if (!dir) return e;
    if ((e = elvm__wasi_times(wasi_arg_u64(a, 4), wasi_arg_u64(a, 5), wasi_arg_u32(a, 6), ts)))
        return e;
    int fd = open_path(c, dir, wasi_arg_u32(a, 1), wasi_arg_u32(a, 2), wasi_arg_u32(a, 3), &e);
    if (fd < 0) return e;
    int r = utimensat(fd, "", ts, AT_EMPTY_PATH);
    if (r && (errno == EINVAL || errno == ENOENT)) {
        struct stat st;
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        if (!fstat(fd, &st) && S_ISLNK(st.st_mode)) errno = ENOTSUP;
        else r = utimensat(AT_FDCWD, proc, ts, 0);
    }
    e = r ? elvm__wasi_errno(errno) : WASI_ERRNO_SUCCESS;
    close(fd);
    return e;
}

/* ---- path_create_directory, path_remove_directory, path_unlink_file --------------------- */

/* path_create_directory(fd, path, path_len) */
uint16_t elvm__wasi_path_create_directory(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    wasi_parent p;
    wasi_fd *dir = dir_get(c, wasi_arg_u32(a, 0), WASI_RIGHT_PATH_CREATE_DIRECTORY, &e);
    if (!dir) return e;
    if (!(e = elvm__wasi_parent(c, dir, wasi_arg_u32(a, 1), wasi_arg_u32(a, 2), &p))) {
        if (p.dot) e = WASI_ERRNO_EXIST;
        else if (mkdirat(p.fd, p.name, 0777)) e = elvm__wasi_errno(errno);
    }
    elvm__wasi_parent_free(&p);
    return e;
}

/* path_remove_directory(fd, path, path_len): "." is INVAL and ".." NOTEMPTY, as rmdir(2). */
uint16_t elvm__wasi_path_remove_directory(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    wasi_parent p;
    wasi_fd *dir = dir_get(c, wasi_arg_u32(a, 0), WASI_RIGHT_PATH_REMOVE_DIRECTORY, &e);
    if (!dir) return e;
    if (!(e = elvm__wasi_parent(c, dir, wasi_arg_u32(a, 1), wasi_arg_u32(a, 2), &p))) {
        if (p.dot) e = p.dot == 1 ? WASI_ERRNO_INVAL : WASI_ERRNO_NOTEMPTY;
        else if (unlinkat(p.fd, p.name, AT_REMOVEDIR))
            e = errno == EEXIST ? WASI_ERRNO_NOTEMPTY : elvm__wasi_errno(errno);
    }
    elvm__wasi_parent_free(&p);
    return e;
}

/* path_unlink_file(fd, path, path_len): a directory is ISDIR. */
uint16_t elvm__wasi_path_unlink_file(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    wasi_parent p;
    wasi_fd *dir = dir_get(c, wasi_arg_u32(a, 0), WASI_RIGHT_PATH_UNLINK_FILE, &e);
    if (!dir) return e;
    if (!(e = elvm__wasi_parent(c, dir, wasi_arg_u32(a, 1), wasi_arg_u32(a, 2), &p))) {
        if (p.dot) e = WASI_ERRNO_ISDIR;
        else if (!(e = trailing_dir(&p)) && p.trailing_slash)
            e = WASI_ERRNO_ISDIR; /* "d/" and d is a directory */
        if (!e && unlinkat(p.fd, p.name, 0)) e = elvm__wasi_errno(errno);
    }
    elvm__wasi_parent_free(&p);
    return e;
}

/* ---- path_rename, path_link ------------------------------------------------------------- */

/* path_rename(fd, old_path, old_len, new_fd, new_path, new_len): both ends beneath
 * their own directory fds (RENAME_SOURCE, RENAME_TARGET); renameat(2) never follows
 * either name. */
uint16_t elvm__wasi_path_rename(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    wasi_parent from, to;
    memset(&to, 0, sizeof to);
    wasi_fd *od = dir_get(c, wasi_arg_u32(a, 0), WASI_RIGHT_PATH_RENAME_SOURCE, &e);
    if (!od) return e;
    wasi_fd *nd = dir_get(c, wasi_arg_u32(a, 3), WASI_RIGHT_PATH_RENAME_TARGET, &e);
    if (!nd) return e;
    if (!(e = elvm__wasi_parent(c, od, wasi_arg_u32(a, 1), wasi_arg_u32(a, 2), &from)) &&
        !(e = elvm__wasi_parent(c, nd, wasi_arg_u32(a, 4), wasi_arg_u32(a, 5), &to))) {
        if (from.dot || to.dot) {
            e = WASI_ERRNO_BUSY;
        } else {
            from.trailing_slash |= to.trailing_slash; /* "a" -> "b/": a must be a directory */
            e = trailing_dir(&from);
        }
        if (!e && renameat(from.fd, from.name, to.fd, to.name)) e = elvm__wasi_errno(errno);
    }
    elvm__wasi_parent_free(&from);
    elvm__wasi_parent_free(&to);
    return e;
}

/* A new name (link, symlink) given with a trailing slash: Linux says EEXIST if it is
 * there, else ENOENT. */
static uint16_t trailing_new(const wasi_parent *p) {
    struct stat st;
    if (!p->trailing_slash) return WASI_ERRNO_SUCCESS;
    return fstatat(p->fd, p->name, &st, AT_SYMLINK_NOFOLLOW) ? WASI_ERRNO_NOENT
                                                             : WASI_ERRNO_EXIST;
}

/* linkat(2) of what the O_PATH fd `fd` is: AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH, the
 * /proc/self/fd way does not. */
static int link_fd(int fd, int newdir, const char *newname) {
    if (!linkat(fd, "", newdir, newname, AT_EMPTY_PATH)) return 0;
    if (errno != ENOENT && errno != EPERM) return -1;
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    return linkat(AT_FDCWD, proc, newdir, newname, AT_SYMLINK_FOLLOW);
}

/* path_link(old_fd, old_lookupflags, old_path, old_len, new_fd, new_path, new_len):
 * a hard link, both names beneath their directory fds (LINK_SOURCE, LINK_TARGET; a
 * read-only preopen has neither, so no file of it can be linked into a writable one).
 * With SYMLINK_FOLLOW the old path's final symlink is followed, beneath, by the
 * resolver. */
uint16_t elvm__wasi_path_link(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    wasi_parent from, to;
    int src = -1;
    uint32_t lookup = wasi_arg_u32(a, 1);
    memset(&from, 0, sizeof from);
    from.fd = -1;
    wasi_fd *od = dir_get(c, wasi_arg_u32(a, 0), WASI_RIGHT_PATH_LINK_SOURCE, &e);
    if (!od) return e;
    wasi_fd *nd = dir_get(c, wasi_arg_u32(a, 4), WASI_RIGHT_PATH_LINK_TARGET, &e);
    if (!nd) return e;
    if (lookup & WASI_LOOKUP_SYMLINK_FOLLOW)
        src = open_path(c, od, lookup, wasi_arg_u32(a, 2), wasi_arg_u32(a, 3), &e);
    else
        e = elvm__wasi_parent(c, od, wasi_arg_u32(a, 2), wasi_arg_u32(a, 3), &from);
    if ((lookup & WASI_LOOKUP_SYMLINK_FOLLOW) ? src < 0 : e != 0) {
        elvm__wasi_parent_free(&from);
        return e;
    }
    if (!(e = elvm__wasi_parent(c, nd, wasi_arg_u32(a, 5), wasi_arg_u32(a, 6), &to))) {
        if (to.dot) e = WASI_ERRNO_EXIST;
        else if (from.dot) e = WASI_ERRNO_PERM; /* a directory */
        else if (!(e = trailing_new(&to)) && src < 0) e = trailing_dir(&from);
        if (!e && (src >= 0 ? link_fd(src, to.fd, to.name)
                            : linkat(from.fd, from.name, to.fd, to.name, 0)))
            e = elvm__wasi_errno(errno);
    }
    if (src >= 0) close(src);
    elvm__wasi_parent_free(&from);
    elvm__wasi_parent_free(&to);
    return e;
}

/* ---- path_symlink, path_readlink -------------------------------------------------------- */

/* How many levels a relative symlink target climbs above the link's own directory at
 * its highest point, read lexically ("a/../../b" climbs 1). */
static int target_climb(const char *t) {
    int depth = 0, lowest = 0;
    while (*t) {
        while (*t == '/') t++;
        size_t len = strcspn(t, "/");
        if (len == 2 && t[0] == '.' && t[1] == '.') {
            if (--depth < lowest) lowest = depth;
        } else if (len > 0 && !(len == 1 && t[0] == '.')) {
            depth++;
        }
        t += len;
    }
    return -lowest;
}

/* How many levels the directory `fd` lies beneath the preopen (dev, ino) of `dir`; -1
 * if it is not found (then the link is refused). */
static int depth_beneath(int fd, const wasi_fd *dir) {
    int cur = fd, owned = 0, depth = -1;
    for (int level = 0; level <= WASI_MAX_DEPTH; level++) {
        struct stat st, up_st;
        if (fstat(cur, &st)) break;
        if ((uint64_t)st.st_dev == dir->root_dev && (uint64_t)st.st_ino == dir->root_ino) {
            depth = level;
            break;
        }
        int up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (up < 0) break;
        if (!fstat(up, &up_st) && up_st.st_dev == st.st_dev && up_st.st_ino == st.st_ino) {
            close(up); /* the host's root: the preopen is not above */
            break;
        }
        if (owned) close(cur);
        cur = up;
        owned = 1;
    }
    if (owned) close(cur);
    return depth;
}

/* path_symlink(old_path, old_len, fd, new_path, new_len): creates the link new_path ->
 * old_path. The resolver never follows a link out of a preopen, whatever its target;
 * beyond that, a link the guest makes must not point out either (so that it is no trap
 * for the host's own users): absolute targets, and relative ones whose `..`s climb
 * above the preopen from where the link is, are NOTCAPABLE. */
uint16_t elvm__wasi_path_symlink(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    wasi_parent p;
    wasi_fd *dir = dir_get(c, wasi_arg_u32(a, 2), WASI_RIGHT_PATH_SYMLINK, &e);
    if (!dir) return e;
    char *target = elvm__wasi_path_copy(c, wasi_arg_u32(a, 0), wasi_arg_u32(a, 1), &e);
    if (!target) return e;
    if (!(e = elvm__wasi_parent(c, dir, wasi_arg_u32(a, 3), wasi_arg_u32(a, 4), &p))) {
        int climb = target_climb(target);
        if (p.dot) e = WASI_ERRNO_EXIST;
        else if (!(e = trailing_new(&p)) &&
                 (target[0] == '/' || (climb > 0 && depth_beneath(p.fd, dir) < climb))) {
            elvm__wasi_deny(c, "symlink '%s' -> '%s' would point outside its preopen",
                            p.name, target);
            e = WASI_ERRNO_NOTCAPABLE;
        }
        if (!e && symlinkat(target, p.fd, p.name)) e = elvm__wasi_errno(errno);
    }
    elvm__wasi_parent_free(&p);
    free(target);
    return e;
}

/* path_readlink(fd, path, path_len, buf, buf_len, *bufused): the target, cut to
 * buf_len bytes as readlink(2) does, with no NUL. */
uint16_t elvm__wasi_path_readlink(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    wasi_parent p;
    uint32_t buf = wasi_arg_u32(a, 3), len = wasi_arg_u32(a, 4), out = wasi_arg_u32(a, 5);
    wasi_fd *dir = dir_get(c, wasi_arg_u32(a, 0), WASI_RIGHT_PATH_READLINK, &e);
    if (!dir) return e;
    if (!wasi_in_bounds(c, buf, len) || !wasi_in_bounds(c, out, 4)) return WASI_ERRNO_FAULT;
    if (!(e = elvm__wasi_parent(c, dir, wasi_arg_u32(a, 1), wasi_arg_u32(a, 2), &p))) {
        if (p.dot || p.trailing_slash) {
            e = WASI_ERRNO_INVAL; /* a directory, or what a link led to: not a link */
        } else {
            ssize_t n = len ? readlinkat(p.fd, p.name, (char *)wasi_ptr(c, buf), len) : 0;
            if (!len) { /* nothing to store; still say whether it is a link */
                char one;
                n = readlinkat(p.fd, p.name, &one, 1);
                if (n > 0) n = 0;
            }
            if (n < 0) e = elvm__wasi_errno(errno);
            else wasi_store_u32(c, out, (uint32_t)n);
        }
    }
    elvm__wasi_parent_free(&p);
    return e;
}
