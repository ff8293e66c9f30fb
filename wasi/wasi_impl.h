/* wasi_impl.h: private to wasi/: the preview 1 ABI constants, the host state, the fd
 * table, checked guest-memory access and the helpers the files of wasi/ share. */
#ifndef ELVM_WASI_IMPL_H
#define ELVM_WASI_IMPL_H

#include <dirent.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "elvm.h"
#include "wasi.h"

#define ELVM__HIDDEN __attribute__((visibility("hidden")))

/* ---- the ABI (wasi_snapshot_preview1.witx, typenames.witx) ---------------------------- */

/* X(name, value): every errno of preview 1. */
#define WASI_ERRNO_LIST(X)                                                                 \
    X(SUCCESS, 0) X(2BIG, 1) X(ACCES, 2) X(ADDRINUSE, 3) X(ADDRNOTAVAIL, 4)               \
    X(AFNOSUPPORT, 5) X(AGAIN, 6) X(ALREADY, 7) X(BADF, 8) X(BADMSG, 9) X(BUSY, 10)        \
    X(CANCELED, 11) X(CHILD, 12) X(CONNABORTED, 13) X(CONNREFUSED, 14) X(CONNRESET, 15)   \
    X(DEADLK, 16) X(DESTADDRREQ, 17) X(DOM, 18) X(DQUOT, 19) X(EXIST, 20) X(FAULT, 21)    \
    X(FBIG, 22) X(HOSTUNREACH, 23) X(IDRM, 24) X(ILSEQ, 25) X(INPROGRESS, 26) X(INTR, 27) \
    X(INVAL, 28) X(IO, 29) X(ISCONN, 30) X(ISDIR, 31) X(LOOP, 32) X(MFILE, 33)            \
    X(MLINK, 34) X(MSGSIZE, 35) X(MULTIHOP, 36) X(NAMETOOLONG, 37) X(NETDOWN, 38)         \
    X(NETRESET, 39) X(NETUNREACH, 40) X(NFILE, 41) X(NOBUFS, 42) X(NODEV, 43)             \
    X(NOENT, 44) X(NOEXEC, 45) X(NOLCK, 46) X(NOLINK, 47) X(NOMEM, 48) X(NOMSG, 49)       \
    X(NOPROTOOPT, 50) X(NOSPC, 51) X(NOSYS, 52) X(NOTCONN, 53) X(NOTDIR, 54)              \
    X(NOTEMPTY, 55) X(NOTRECOVERABLE, 56) X(NOTSOCK, 57) X(NOTSUP, 58) X(NOTTY, 59)       \
    X(NXIO, 60) X(OVERFLOW, 61) X(OWNERDEAD, 62) X(PERM, 63) X(PIPE, 64) X(PROTO, 65)     \
    X(PROTONOSUPPORT, 66) X(PROTOTYPE, 67) X(RANGE, 68) X(ROFS, 69) X(SPIPE, 70)          \
    X(SRCH, 71) X(STALE, 72) X(TIMEDOUT, 73) X(TXTBSY, 74) X(XDEV, 75) X(NOTCAPABLE, 76)

typedef enum {
#define WASI_X(n, v) WASI_ERRNO_##n = v,
    WASI_ERRNO_LIST(WASI_X)
#undef WASI_X
} wasi_errno;

enum { /* clockid */
    WASI_CLOCK_REALTIME = 0,
    WASI_CLOCK_MONOTONIC = 1,
    WASI_CLOCK_PROCESS_CPUTIME = 2,
    WASI_CLOCK_THREAD_CPUTIME = 3,
};

enum { /* filetype (u8) */
    WASI_FILETYPE_UNKNOWN = 0,
    WASI_FILETYPE_BLOCK_DEVICE = 1,
    WASI_FILETYPE_CHARACTER_DEVICE = 2,
    WASI_FILETYPE_DIRECTORY = 3,
    WASI_FILETYPE_REGULAR_FILE = 4,
    WASI_FILETYPE_SOCKET_DGRAM = 5,
    WASI_FILETYPE_SOCKET_STREAM = 6,
    WASI_FILETYPE_SYMBOLIC_LINK = 7,
};

enum { WASI_WHENCE_SET = 0, WASI_WHENCE_CUR = 1, WASI_WHENCE_END = 2 }; /* whence (u8) */

enum { /* fdflags (u16) */
    WASI_FDFLAG_APPEND = 1 << 0,
    WASI_FDFLAG_DSYNC = 1 << 1,
    WASI_FDFLAG_NONBLOCK = 1 << 2,
    WASI_FDFLAG_RSYNC = 1 << 3,
    WASI_FDFLAG_SYNC = 1 << 4,
};

enum { /* oflags (u16) */
    WASI_OFLAG_CREAT = 1 << 0,
    WASI_OFLAG_DIRECTORY = 1 << 1,
    WASI_OFLAG_EXCL = 1 << 2,
    WASI_OFLAG_TRUNC = 1 << 3,
};

enum { WASI_LOOKUP_SYMLINK_FOLLOW = 1 << 0 }; /* lookupflags (u32) */
enum { WASI_PREOPENTYPE_DIR = 0 };

enum { /* fstflags (u16) */
    WASI_FSTFLAG_ATIM = 1 << 0,
    WASI_FSTFLAG_ATIM_NOW = 1 << 1,
    WASI_FSTFLAG_MTIM = 1 << 2,
    WASI_FSTFLAG_MTIM_NOW = 1 << 3,
};

enum { /* advice (u8) */
    WASI_ADVICE_NORMAL = 0,
    WASI_ADVICE_SEQUENTIAL = 1,
    WASI_ADVICE_RANDOM = 2,
    WASI_ADVICE_WILLNEED = 3,
    WASI_ADVICE_DONTNEED = 4,
    WASI_ADVICE_NOREUSE = 5,
};

enum { WASI_EVENTTYPE_CLOCK = 0, WASI_EVENTTYPE_FD_READ = 1, WASI_EVENTTYPE_FD_WRITE = 2 };
enum { WASI_SUBCLOCK_ABSTIME = 1 << 0 };       /* subclockflags (u16) */
enum { WASI_EVENTRW_HANGUP = 1 << 0 };         /* eventrwflags (u16) */
enum { WASI_RIFLAG_PEEK = 1 << 0, WASI_RIFLAG_WAITALL = 1 << 1 }; /* riflags (u16) */
enum { WASI_ROFLAG_DATA_TRUNCATED = 1 << 0 };  /* roflags (u16) */
enum { WASI_SDFLAG_RD = 1 << 0, WASI_SDFLAG_WR = 1 << 1 }; /* sdflags (u8) */
enum { WASI_SIGNAL_MAX = 30 };                 /* signal (u8): none = 0 .. sys = 30 */

/* rights (u64): bit n of the witx `rights` flags, in order. */
#define WASI_RIGHT(n) ((uint64_t)1 << (n))
#define WASI_RIGHT_FD_DATASYNC WASI_RIGHT(0)
#define WASI_RIGHT_FD_READ WASI_RIGHT(1)
#define WASI_RIGHT_FD_SEEK WASI_RIGHT(2)
#define WASI_RIGHT_FD_FDSTAT_SET_FLAGS WASI_RIGHT(3)
#define WASI_RIGHT_FD_SYNC WASI_RIGHT(4)
#define WASI_RIGHT_FD_TELL WASI_RIGHT(5)
#define WASI_RIGHT_FD_WRITE WASI_RIGHT(6)
#define WASI_RIGHT_FD_ADVISE WASI_RIGHT(7)
#define WASI_RIGHT_FD_ALLOCATE WASI_RIGHT(8)
#define WASI_RIGHT_PATH_CREATE_DIRECTORY WASI_RIGHT(9)
#define WASI_RIGHT_PATH_CREATE_FILE WASI_RIGHT(10)
#define WASI_RIGHT_PATH_LINK_SOURCE WASI_RIGHT(11)
#define WASI_RIGHT_PATH_LINK_TARGET WASI_RIGHT(12)
#define WASI_RIGHT_PATH_OPEN WASI_RIGHT(13)
#define WASI_RIGHT_FD_READDIR WASI_RIGHT(14)
#define WASI_RIGHT_PATH_READLINK WASI_RIGHT(15)
#define WASI_RIGHT_PATH_RENAME_SOURCE WASI_RIGHT(16)
#define WASI_RIGHT_PATH_RENAME_TARGET WASI_RIGHT(17)
#define WASI_RIGHT_PATH_FILESTAT_GET WASI_RIGHT(18)
#define WASI_RIGHT_PATH_FILESTAT_SET_SIZE WASI_RIGHT(19)
#define WASI_RIGHT_PATH_FILESTAT_SET_TIMES WASI_RIGHT(20)
#define WASI_RIGHT_FD_FILESTAT_GET WASI_RIGHT(21)
#define WASI_RIGHT_FD_FILESTAT_SET_SIZE WASI_RIGHT(22)
#define WASI_RIGHT_FD_FILESTAT_SET_TIMES WASI_RIGHT(23)
#define WASI_RIGHT_PATH_SYMLINK WASI_RIGHT(24)
#define WASI_RIGHT_PATH_REMOVE_DIRECTORY WASI_RIGHT(25)
#define WASI_RIGHT_PATH_UNLINK_FILE WASI_RIGHT(26)
#define WASI_RIGHT_POLL_FD_READWRITE WASI_RIGHT(27)
#define WASI_RIGHT_SOCK_SHUTDOWN WASI_RIGHT(28)
#define WASI_RIGHT_SOCK_ACCEPT WASI_RIGHT(29)
#define WASI_RIGHTS_ALL (WASI_RIGHT(30) - 1)

/* What applies to an open regular file (or a character device, a pipe). */
#define WASI_RIGHTS_FILE                                                                   \
    (WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK |                    \
     WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC | WASI_RIGHT_FD_TELL |             \
     WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ADVISE | WASI_RIGHT_FD_ALLOCATE |                  \
     WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_FD_FILESTAT_SET_SIZE |                         \
     WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_POLL_FD_READWRITE)
/* What applies to an open directory. */
#define WASI_RIGHTS_DIR                                                                    \
    (WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC | WASI_RIGHT_FD_ADVISE |          \
     WASI_RIGHT_PATH_CREATE_DIRECTORY | WASI_RIGHT_PATH_CREATE_FILE |                      \
     WASI_RIGHT_PATH_LINK_SOURCE | WASI_RIGHT_PATH_LINK_TARGET | WASI_RIGHT_PATH_OPEN |    \
     WASI_RIGHT_FD_READDIR | WASI_RIGHT_PATH_READLINK | WASI_RIGHT_PATH_RENAME_SOURCE |    \
     WASI_RIGHT_PATH_RENAME_TARGET | WASI_RIGHT_PATH_FILESTAT_GET |                        \
     WASI_RIGHT_PATH_FILESTAT_SET_SIZE | WASI_RIGHT_PATH_FILESTAT_SET_TIMES |              \
     WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_FD_FILESTAT_SET_TIMES |                       \
     WASI_RIGHT_PATH_SYMLINK | WASI_RIGHT_PATH_REMOVE_DIRECTORY |                          \
     WASI_RIGHT_PATH_UNLINK_FILE | WASI_RIGHT_POLL_FD_READWRITE)

/* What a read-only preopen (and everything opened beneath it) never has: every right
 * that writes, creates, renames, links, removes, truncates or sets times. */
#define WASI_RIGHTS_MUTATE                                                                 \
    (WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ALLOCATE | WASI_RIGHT_FD_FILESTAT_SET_SIZE |      \
     WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_PATH_CREATE_DIRECTORY |                 \
     WASI_RIGHT_PATH_CREATE_FILE | WASI_RIGHT_PATH_LINK_SOURCE |                           \
     WASI_RIGHT_PATH_LINK_TARGET | WASI_RIGHT_PATH_RENAME_SOURCE |                         \
     WASI_RIGHT_PATH_RENAME_TARGET | WASI_RIGHT_PATH_FILESTAT_SET_SIZE |                   \
     WASI_RIGHT_PATH_FILESTAT_SET_TIMES | WASI_RIGHT_PATH_SYMLINK |                        \
     WASI_RIGHT_PATH_REMOVE_DIRECTORY | WASI_RIGHT_PATH_UNLINK_FILE)
/* A listening socket (--tcplisten) and a connection sock_accept returned. */
#define WASI_RIGHTS_LISTENER                                                               \
    (WASI_RIGHT_SOCK_ACCEPT | WASI_RIGHT_POLL_FD_READWRITE |                               \
     WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_FILESTAT_GET)
#define WASI_RIGHTS_CONNECTION                                                             \
    (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_WRITE | WASI_RIGHT_SOCK_SHUTDOWN |                 \
     WASI_RIGHT_POLL_FD_READWRITE | WASI_RIGHT_FD_FDSTAT_SET_FLAGS |                       \
     WASI_RIGHT_FD_FILESTAT_GET)

/* Struct sizes and field offsets in guest memory (little-endian, wasm32). */
enum {
    WASI_IOVEC_SIZE = 8,     /* buf u32 @0, buf_len u32 @4 (iovec and ciovec) */
    WASI_FDSTAT_SIZE = 24,   /* filetype u8 @0, flags u16 @2, rights_base u64 @8, inh u64 @16 */
    WASI_FILESTAT_SIZE = 64, /* dev @0 ino @8 filetype u8 @16 nlink @24 size @32 atim @40
                                mtim @48 ctim @56 (u64 unless said) */
    WASI_PRESTAT_SIZE = 8,   /* tag u8 @0, pr_name_len u32 @4 */
    WASI_DIRENT_SIZE = 24,   /* d_next u64 @0, d_ino u64 @8, d_namlen u32 @16, d_type u8 @20 */
    WASI_SUBSCRIPTION_SIZE = 48, /* userdata u64 @0, tag u8 @8, then @16: clock {id u32 @16,
                                    timeout u64 @24, precision u64 @32, flags u16 @40} or
                                    fd_readwrite {fd u32 @16} */
    WASI_EVENT_SIZE = 32,    /* userdata u64 @0, error u16 @8, type u8 @10, nbytes u64 @16,
                                flags u16 @24 */
};

/* ---- the host state -------------------------------------------------------------------- */

/* One slot of the guest's fd table. A free slot has host == -1 and kind FD_FREE. */
typedef enum {
    WASI_FD_FREE = 0,
    WASI_FD_STDIO,  /* borrowed host fd: fd_close forgets it, never closes it */
    WASI_FD_FILE,   /* anything path_open opened that is not a directory */
    WASI_FD_DIR,
    WASI_FD_LISTEN, /* a --tcplisten socket */
    WASI_FD_SOCKET, /* a connection from sock_accept */
} wasi_fd_kind;

typedef struct wasi_fd {
    wasi_fd_kind kind;
    int host;               /* host fd */
    uint8_t filetype;       /* WASI filetype, fixed at open */
    uint64_t rights_base;   /* what this fd may do */
    uint64_t rights_inheriting; /* what fds opened through it may do */
    char *preopen;          /* guest name of a preopened directory, else NULL */
    int readonly;           /* opened beneath a read-only preopen (for the log) */
    /* The preopen this fd lies beneath (its device and inode), for path_symlink's check
     * that a new link stays inside it. */
    uint64_t root_dev, root_ino;
    /* fd_readdir state: a stream on its own open file description of the directory,
     * positioned at entry number `dir_index` (the cookie of the next entry). */
    DIR *dir;
    uint64_t dir_index;
} wasi_fd;

struct elvm_wasi {
    /* argv and environ as the guest receives them: NUL-terminated strings packed
     * back to back, and each one's offset in the block. */
    char *args_buf, *env_buf;
    uint32_t args_size, env_size; /* bytes, including the NULs */
    uint32_t argc, envc;
    uint32_t *args_off, *env_off;
    /* The fd table; guest fd n is fds[n]. */
    wasi_fd *fds;
    uint32_t nfds, capfds;
    int force_path_walk;
    int openat2;    /* 0: not tried yet, 1: works, -1: absent or filtered (use the walk) */
    int trace;      /* log each call and its errno to stderr */
    elvm_wasi_log_fn log;
    void *log_ctx;
    /* One binding per defined function: the host fn's env. */
    struct wasi_binding *bindings;
};

/* The state of one host call: who called and its memory 0 (mem NULL, mem_size 0 when
 * the guest has none, so every range check fails with ERRNO_FAULT). */
typedef struct wasi_call {
    elvm_wasi *w;
    elvm_caller *caller;
    const char *name; /* the function called, for the log */
    uint8_t *mem;
    uint64_t mem_size;
    int stop; /* non-zero: what the host fn returns (proc_exit) */
} wasi_call;

/* A function of preview 1: reads its arguments, returns its errno. */
typedef uint16_t (*wasi_impl)(wasi_call *c, const elvm_val *args);

/* ---- guest memory: every access goes through these -------------------------------------- */

/* Whether [ptr, ptr + len) lies inside the linear memory. No overflow: ptr is 32 bits. */
static inline int wasi_in_bounds(const wasi_call *c, uint32_t ptr, uint64_t len) {
    return c->mem && (uint64_t)ptr + len <= c->mem_size;
}
/* Host pointer of a checked range. */
static inline uint8_t *wasi_ptr(const wasi_call *c, uint32_t ptr) { return c->mem + ptr; }

static inline void wasi_store_u8(wasi_call *c, uint32_t p, uint8_t v) { c->mem[p] = v; }
static inline void wasi_store_u16(wasi_call *c, uint32_t p, uint16_t v) {
    c->mem[p] = (uint8_t)v;
    c->mem[p + 1] = (uint8_t)(v >> 8);
}
static inline void wasi_store_u32(wasi_call *c, uint32_t p, uint32_t v) {
    for (int i = 0; i < 4; i++) c->mem[p + (uint32_t)i] = (uint8_t)(v >> (8 * i));
}
static inline void wasi_store_u64(wasi_call *c, uint32_t p, uint64_t v) {
    for (int i = 0; i < 8; i++) c->mem[p + (uint32_t)i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t wasi_load_u16(const wasi_call *c, uint32_t p) {
    return (uint16_t)(c->mem[p] | c->mem[p + 1] << 8);
}
static inline uint32_t wasi_load_u32(const wasi_call *c, uint32_t p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = (v << 8) | c->mem[p + (uint32_t)i];
    return v;
}
static inline uint64_t wasi_load_u64(const wasi_call *c, uint32_t p) {
    return (uint64_t)wasi_load_u32(c, p + 4) << 32 | wasi_load_u32(c, p);
}

/* Arguments: i32 parameters as the unsigned values the witx means. */
static inline uint32_t wasi_arg_u32(const elvm_val *a, int i) { return (uint32_t)a[i].of.i32; }
static inline uint64_t wasi_arg_u64(const elvm_val *a, int i) { return (uint64_t)a[i].of.i64; }

/* ---- shared helpers -------------------------------------------------------------------- */

/* The one host-errno -> WASI-errno conversion (wasi.c). */
ELVM__HIDDEN uint16_t elvm__wasi_errno(int host_errno);
/* Tells the embedder's log of a sandbox denial: "CALL: what was refused" (wasi.c). */
ELVM__HIDDEN void elvm__wasi_deny(wasi_call *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The fd table (fdtable.c). */
ELVM__HIDDEN int elvm__wasi_fds_init(elvm_wasi *w, const elvm_wasi_config *cfg, elvm_error *err);
ELVM__HIDDEN void elvm__wasi_fds_free(elvm_wasi *w);
/* The open fd `fd` if it has every right in `rights`; else NULL with *e = BADF or
 * NOTCAPABLE (the latter told to the log). */
ELVM__HIDDEN wasi_fd *elvm__wasi_fd_get(wasi_call *c, uint32_t fd, uint64_t rights, uint16_t *e);
/* Puts host fd `host` into the lowest free slot (>= 3) as `kind`, with the rights
 * `base` and `inheriting` narrowed to what its filetype can use, and the sandbox
 * facts (readonly, root) of `parent` (NULL: none). Returns the guest fd, or -1 with *e
 * set (the host fd is then still the caller's). Pointers into the table die here. */
ELVM__HIDDEN int64_t elvm__wasi_fd_insert(elvm_wasi *w, int host, wasi_fd_kind kind,
                                          uint8_t filetype, uint64_t base,
                                          uint64_t inheriting, const wasi_fd *parent,
                                          uint16_t *e);
/* WASI filetype of a host st_mode. */
ELVM__HIDDEN uint8_t elvm__wasi_filetype(unsigned mode);

/* Moving bytes between an fd and the guest's iovecs (fd.c). The iovec array and every
 * buffer it names are checked first (FAULT); then readv/writev (preadv/pwritev at
 * `offset`, recvmsg/sendmsg with `msg_flags`) run WASI_IOV_BATCH iovecs at a time,
 * stopping at the first short transfer. An error after some bytes moved reports the
 * bytes, as POSIX does. sendmsg always adds MSG_NOSIGNAL: a closed peer is ERRNO_PIPE,
 * never a SIGPIPE for elvm. */
typedef enum {
    WASI_IO_READ, WASI_IO_WRITE, WASI_IO_PREAD, WASI_IO_PWRITE, WASI_IO_RECV, WASI_IO_SEND
} wasi_io_op;
typedef struct wasi_io {
    wasi_io_op op;
    uint64_t offset;   /* PREAD, PWRITE */
    int msg_flags;     /* RECV, SEND: in */
    int msg_flags_out; /* RECV: recvmsg's msg_flags */
    uint32_t done;     /* bytes moved */
} wasi_io;
ELVM__HIDDEN uint16_t elvm__wasi_io(wasi_call *c, int host, uint32_t iovs, uint32_t n,
                                    wasi_io *io);

/* Files (fd.c): a filestat (64 bytes at the checked `out`) from a host stat, and the
 * utimensat(2) times for (atim, mtim, fst_flags) or ERRNO_INVAL. */
struct stat;
ELVM__HIDDEN void elvm__wasi_store_filestat(wasi_call *c, uint32_t out, const struct stat *st);
ELVM__HIDDEN uint16_t elvm__wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst,
                                       struct timespec ts[2]);

/* Path resolution (resolve.c). */
/* A guest path (ptr, len: no NUL in the guest) as a new host string, or NULL with *e
 * (FAULT, NAMETOOLONG, INVAL for an embedded NUL, NOMEM). */
ELVM__HIDDEN char *elvm__wasi_path_copy(wasi_call *c, uint32_t ptr, uint32_t len, uint16_t *e);
/* Opens `path` beneath the directory host fd `dirfd` with open(2) `flags`, following a
 * final symlink only if `follow`. Returns a host fd or -1 with *e (NOTCAPABLE, logged,
 * when the path leads outside). */
ELVM__HIDDEN int elvm__wasi_open_beneath(wasi_call *c, int dirfd, const char *path, int flags,
                                         int follow, uint16_t *e);
/* The parent of a path's last component, for the *at(2) calls that act on a name. */
typedef struct wasi_parent {
    int fd;         /* host directory fd the name lives in */
    int owned;      /* fd is ours to close (else it is the guest dirfd) */
    const char *name; /* last component: no '/', never "." or ".." */
    int dot;        /* the last component was "." (1) or ".." (2): name is NULL and fd is
                       that directory */
    int trailing_slash; /* the path ended in '/' */
    char *buf;      /* owns the copied path */
} wasi_parent;
/* Resolves all but the last component of the guest path (ptr, len) beneath `dir`
 * (following symlinks on the way). Returns ERRNO_SUCCESS or the errno; *p must be
 * released with elvm__wasi_parent_free in both cases. */
ELVM__HIDDEN uint16_t elvm__wasi_parent(wasi_call *c, const wasi_fd *dir, uint32_t ptr,
                                        uint32_t len, wasi_parent *p);
ELVM__HIDDEN void elvm__wasi_parent_free(wasi_parent *p);

/* Sockets (sock.c): binds and listens on "ADDR:PORT"; returns the host fd or -1 with
 * `why` filled. */
ELVM__HIDDEN int elvm__wasi_listen(const char *spec, char *why, size_t whylen);

/* ---- the functions, by area ------------------------------------------------------------- */

/* X(name, params, results, impl): every function of wasi_snapshot_preview1 with its core
 * wasm signature ('i' i32, 'I' i64). */
#define WASI_FUNC_LIST(X)                                                                  \
    X(args_get, "ii", "i", elvm__wasi_args_get)                                            \
    X(args_sizes_get, "ii", "i", elvm__wasi_args_sizes_get)                                \
    X(environ_get, "ii", "i", elvm__wasi_environ_get)                                      \
    X(environ_sizes_get, "ii", "i", elvm__wasi_environ_sizes_get)                          \
    X(clock_res_get, "ii", "i", elvm__wasi_clock_res_get)                                  \
    X(clock_time_get, "iIi", "i", elvm__wasi_clock_time_get)                               \
    X(fd_advise, "iIIi", "i", elvm__wasi_fd_advise)                                        \
    X(fd_allocate, "iII", "i", elvm__wasi_fd_allocate)                                     \
    X(fd_close, "i", "i", elvm__wasi_fd_close)                                             \
    X(fd_datasync, "i", "i", elvm__wasi_fd_datasync)                                       \
    X(fd_fdstat_get, "ii", "i", elvm__wasi_fd_fdstat_get)                                  \
    X(fd_fdstat_set_flags, "ii", "i", elvm__wasi_fd_fdstat_set_flags)                      \
    X(fd_fdstat_set_rights, "iII", "i", elvm__wasi_fd_fdstat_set_rights)                   \
    X(fd_filestat_get, "ii", "i", elvm__wasi_fd_filestat_get)                              \
    X(fd_filestat_set_size, "iI", "i", elvm__wasi_fd_filestat_set_size)                    \
    X(fd_filestat_set_times, "iIIi", "i", elvm__wasi_fd_filestat_set_times)                \
    X(fd_pread, "iiiIi", "i", elvm__wasi_fd_pread)                                         \
    X(fd_prestat_get, "ii", "i", elvm__wasi_fd_prestat_get)                                \
    X(fd_prestat_dir_name, "iii", "i", elvm__wasi_fd_prestat_dir_name)                     \
    X(fd_pwrite, "iiiIi", "i", elvm__wasi_fd_pwrite)                                       \
    X(fd_read, "iiii", "i", elvm__wasi_fd_read)                                            \
    X(fd_readdir, "iiiIi", "i", elvm__wasi_fd_readdir)                                     \
    X(fd_renumber, "ii", "i", elvm__wasi_fd_renumber)                                      \
    X(fd_seek, "iIii", "i", elvm__wasi_fd_seek)                                            \
    X(fd_sync, "i", "i", elvm__wasi_fd_sync)                                               \
    X(fd_tell, "ii", "i", elvm__wasi_fd_tell)                                              \
    X(fd_write, "iiii", "i", elvm__wasi_fd_write)                                          \
    X(path_create_directory, "iii", "i", elvm__wasi_path_create_directory)                 \
    X(path_filestat_get, "iiiii", "i", elvm__wasi_path_filestat_get)                       \
    X(path_filestat_set_times, "iiiiIIi", "i", elvm__wasi_path_filestat_set_times)         \
    X(path_link, "iiiiiii", "i", elvm__wasi_path_link)                                     \
    X(path_open, "iiiiiIIii", "i", elvm__wasi_path_open)                                   \
    X(path_readlink, "iiiiii", "i", elvm__wasi_path_readlink)                              \
    X(path_remove_directory, "iii", "i", elvm__wasi_path_remove_directory)                 \
    X(path_rename, "iiiiii", "i", elvm__wasi_path_rename)                                  \
    X(path_symlink, "iiiii", "i", elvm__wasi_path_symlink)                                 \
    X(path_unlink_file, "iii", "i", elvm__wasi_path_unlink_file)                           \
    X(poll_oneoff, "iiii", "i", elvm__wasi_poll_oneoff)                                    \
    X(proc_exit, "i", "", elvm__wasi_proc_exit)                                            \
    X(proc_raise, "i", "i", elvm__wasi_proc_raise)                                         \
    X(sched_yield, "", "i", elvm__wasi_sched_yield)                                        \
    X(random_get, "ii", "i", elvm__wasi_random_get)                                        \
    X(sock_accept, "iii", "i", elvm__wasi_sock_accept)                                     \
    X(sock_recv, "iiiiii", "i", elvm__wasi_sock_recv)                                      \
    X(sock_send, "iiiii", "i", elvm__wasi_sock_send)                                       \
    X(sock_shutdown, "ii", "i", elvm__wasi_sock_shutdown)

/* Every implementation: uint16_t elvm__wasi_NAME(wasi_call *c, const elvm_val *a).
 * proc.c: args_*, environ_*, proc_*, sched_yield, random_get; clock.c: clock_*;
 * fdtable.c: fd_close, fd_renumber, fd_fdstat_*, fd_prestat_*; fd.c: the other fd_*
 * but fd_readdir (dir.c); path.c: path_*; poll.c: poll_oneoff; sock.c: sock_*. */
#define WASI_X(name, params, results, impl) \
    ELVM__HIDDEN uint16_t impl(wasi_call *c, const elvm_val *a);
WASI_FUNC_LIST(WASI_X)
#undef WASI_X

#endif /* ELVM_WASI_IMPL_H */
