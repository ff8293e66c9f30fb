/* dir.c: fd_readdir: a directory's entries as WASI dirents, with cookies that are entry
 * numbers. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_impl.h"

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
    wasi_fd *f = elvm__wasi_fd_get(c, wasi_arg_u32(a, 0), WASI_RIGHT_FD_READDIR, &e);
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
