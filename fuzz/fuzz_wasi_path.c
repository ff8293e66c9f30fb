/* fuzz_wasi_path.c: libFuzzer/AFL++ target: guest path bytes -> the WASI host's resolution
 * of a path beneath a preopened directory (wasi/resolve.c), with both resolvers: openat2
 * with RESOLVE_BENEATH and the portable component walk (force_path_walk).
 *
 * Once per process a scratch tree is made (mkdtemp): the preopen root/ with files,
 * subdirectories and symlinks (inside; relative and absolute ones leading out; to /, /tmp
 * and /proc magic links; dangling; loops; a chain of 40 and one of 41), and beside it
 * outside/, which no resolution may reach. An input is one control byte, then the path
 * as the guest's bytes (a NUL in them is INVAL, as for path_open):
 *   bits 0-1  0 open O_PATH (path_filestat_get, set_times, link), 1 open O_RDONLY
 *             (path_open), 2 open O_RDONLY | O_DIRECTORY, 3 the parent directory and last
 *             name (what mkdir, unlink, rename, symlink and readlink act on)
 *   bit 2     follow a final symlink
 *   bit 3     create: O_CREAT for 1 and 2, path_create_directory for 3
 *   bit 4     O_EXCL (with bit 3)
 * Asserts, for each resolver: whatever it opens lies inside the preopen (the path of
 * /proc/self/fd/N is the root's real path or beneath it); a parent comes with a plain
 * last name (no '/', not "." or ".."); no fd leaks; nothing appeared outside root/ and
 * nothing disappeared anywhere. Between the two resolvers: the same errno, and on success
 * the same object (path; and inode unless created).
 *
 * Writing is confined: inputs that create are resolved on a worker thread that Landlock
 * lets write only beneath the scratch directory, so a resolver that escaped could not
 * create anything elsewhere (the kernel's EACCES is reported as an escape); the others
 * run on the main thread. Without Landlock the create bit is ignored and nothing is ever
 * written. What an input created inside root/ is removed before the next resolution. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__linux__) && defined(__has_include)
#if __has_include(<linux/landlock.h>)
#include <linux/landlock.h>
#if defined(SYS_landlock_create_ruleset) && defined(LANDLOCK_CREATE_RULESET_VERSION)
#define FUZZ_HAVE_LANDLOCK 1
#endif
#endif
#endif

#include "wasi_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
    OP_MASK = 3, OP_OPEN_PATH = 0, OP_OPEN_READ = 1, OP_OPEN_DIR = 2, OP_PARENT = 3,
    CTL_FOLLOW = 1 << 2,
    CTL_CREATE = 1 << 3,
    CTL_EXCL = 1 << 4,
};
#define PREOPEN_FD 3u /* the guest fd of root/ */

static char scratch[96];         /* the mkdtemp directory: TMPDIR/elvm-fuzz-wasi-PID-XXXXXX */
static char root_real[PATH_MAX]; /* realpath of scratch/root */
static pid_t scratch_owner;      /* the process that made the tree removes it */
static elvm_wasi *wasi;
static int can_write;            /* the worker is confined: create bits are honoured */
static int have_openat2;

static void tree_remove(void);
static _Thread_local jmp_buf *die_jump; /* set on the worker thread */

/* Reports a finding and aborts, after removing the scratch tree; libFuzzer then saves the
 * input. On the worker, which Landlock keeps from writing that file, it returns to the
 * worker's loop instead, and the main thread aborts. */
__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz_wasi_path: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (die_jump) longjmp(*die_jump, 1);
    tree_remove();
    abort();
}
#define DIE die

/* ---- the scratch tree ------------------------------------------------------------------- */

static void tree_file(const char *rel, const char *text) {
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", scratch, rel);
    FILE *f = fopen(p, "w");
    if (!f || fputs(text, f) < 0 || fclose(f)) DIE("cannot create %s", p);
}

static void tree_dir(const char *rel) {
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", scratch, rel);
    if (mkdir(p, 0755)) DIE("cannot create %s", p);
}

/* A symlink; a target starting with '@' is made absolute: "@/x" is SCRATCH/x. */
static void tree_link(const char *target, const char *rel) {
    char p[PATH_MAX], t[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", scratch, rel);
    if (target[0] == '@') snprintf(t, sizeof t, "%s%s", scratch, target + 1);
    else snprintf(t, sizeof t, "%s", target);
    if (symlink(t, p)) DIE("cannot create %s", p);
}

static void tree_make(void) {
    static const char *const dirs[] = {
        "root", "root/sub", "root/sub/deep", "root/d1", "root/d1/d2", "root/d1/d2/d3",
        "root/d1/d2/d3/d4", "root/empty_dir", "outside", "outside/dir",
    };
    static const char *const files[][2] = {
        {"root/file", "hello\n"}, {"root/empty", ""}, {"root/a b", "space\n"},
        {"root/\xc3\xbcml", "utf-8\n"}, {"root/sub/inner", "inner\n"},
        {"root/sub/deep/leaf", "leaf\n"}, {"root/d1/d2/d3/d4/bottom", "bottom\n"},
        {"outside/secret", "secret\n"}, {"outside/dir/secret2", "secret2\n"},
    };
    static const char *const links[][2] = { /* target, name */
        {"file", "root/link_file"}, {"sub", "root/link_sub"}, {"sub/deep", "root/link_deep"},
        {"sub/deep/leaf", "root/link_leaf"}, {"sub/", "root/link_slash"},
        {"./sub/./deep/", "root/link_dots"}, {".", "root/dot"}, {"..", "root/dotdot"},
        {"../..", "root/sub/deep/up"}, {"../../..", "root/sub/deep/up3"},
        {"../file", "root/sub/back"}, {"../../outside", "root/sub/escape"},
        {"../../../..", "root/d1/d2/d3/d4/top"}, {"../../../../..", "root/d1/d2/d3/d4/over"},
        {"d4/../../../../file", "root/d1/d2/d3/zig"},
        {"../outside/secret", "root/out_rel"}, {"../outside", "root/out_dir"},
        {"sub/../../outside/secret", "root/out_via_sub"},
        {"../root/file", "root/out_and_back"},
        {"@/outside/secret", "root/out_abs"}, {"@/outside", "root/out_abs_dir"},
        {"@/root/file", "root/in_abs"}, {"/", "root/abs_root"}, {"/tmp", "root/abs_tmp"},
        {"/proc/self/root", "root/abs_proc_root"}, {"/proc/self/cwd", "root/abs_proc_cwd"},
        {"loop", "root/loop"}, {"loop_b", "root/loop_a"}, {"loop_a", "root/loop_b"},
        {"loop_dir/x", "root/loop_dir"}, {"nowhere", "root/dangling"},
        {"sub/nowhere", "root/dangling_sub"}, {"../outside/new", "root/dangling_out"},
        {"@/outside/new_abs", "root/dangling_abs"}, {"empty_dir/new", "root/dangling_dir"},
        {"link_sub/deep/up/link_deep/leaf", "root/winding"},
        {"file/", "root/file_slash"}, {"empty_dir/..", "root/dir_dotdot"},
    };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) tree_dir(dirs[i]);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) tree_file(files[i][0], files[i][1]);
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) tree_link(links[i][0], links[i][1]);
    /* n00 -> n01 -> ... -> n40 -> file: following n01 takes 40 symlinks (the limit of
     * both resolvers), n00 41 (ELOOP) */
    for (int i = 0; i <= 40; i++) {
        char name[32], target[32];
        snprintf(name, sizeof name, "root/n%02d", i);
        if (i == 40) snprintf(target, sizeof target, "file");
        else snprintf(target, sizeof target, "n%02d", i + 1);
        tree_link(target, name);
    }
    char longname[300] = "root/";
    memset(longname + 5, 'x', NAME_MAX);
    longname[5 + NAME_MAX] = '\0';
    tree_file(longname, "long\n");
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)st, (void)type, (void)ftw;
    return remove(path) ? -1 : 0;
}

static void tree_remove(void) {
    if (scratch[0] && getpid() == scratch_owner)
        nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Removes the trees of fuzz_wasi_path processes that died without removing theirs (a
 * crash; AFL++ killing its child): those whose PID in the name no longer exists. */
static void remove_stale_trees(const char *tmp) {
    DIR *d = opendir(tmp);
    if (!d) return;
    for (struct dirent *e; (e = readdir(d));) {
        long pid;
        char rest[16];
        if (sscanf(e->d_name, "elvm-fuzz-wasi-%ld-%15s", &pid, rest) != 2 || pid <= 0 ||
            strlen(rest) != 6 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", tmp, e->d_name);
        nftw(p, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    closedir(d);
}

/* The tree as a sorted list of "relative/path" names, symlinks not followed. */
typedef struct listing {
    char **names;
    size_t n, cap;
} listing;

static listing *list_into;

static int list_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)st, (void)type, (void)ftw;
    listing *l = list_into;
    size_t skip = strlen(scratch);
    if (!path[skip]) return 0; /* the scratch directory itself */
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 128;
        l->names = realloc(l->names, l->cap * sizeof *l->names);
        if (!l->names) DIE("out of memory");
    }
    if (!(l->names[l->n++] = strdup(path + skip + 1))) DIE("out of memory");
    return 0;
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_tree(listing *l) {
    l->n = 0;
    list_into = l;
    if (nftw(scratch, list_entry, 16, FTW_PHYS)) DIE("cannot list %s", scratch);
    qsort(l->names, l->n, sizeof *l->names, cmp_names);
}

static void list_clear(listing *l) {
    for (size_t i = 0; i < l->n; i++) free(l->names[i]);
    l->n = 0;
}

static listing baseline, now;

/* After a resolution that may have created something: what is new must lie in root/
 * (then it is removed again); nothing of the baseline may be gone. */
static void tree_check_and_restore(const char *who) {
    list_tree(&now);
    size_t i = 0, k = 0;
    while (i < baseline.n || k < now.n) {
        int c = i == baseline.n ? 1 : k == now.n ? -1 : strcmp(baseline.names[i], now.names[k]);
        if (c < 0) DIE("%s: '%s' disappeared from the scratch tree", who, baseline.names[i]);
        if (c == 0) {
            i++, k++;
            continue;
        }
        if (strncmp(now.names[k], "root/", 5))
            DIE("%s: created '%s' outside the preopen", who, now.names[k]);
        k++;
    }
    /* remove what is new, deepest first (the sorted list reversed) */
    for (size_t j = now.n; j-- > 0;) {
        if (bsearch(&now.names[j], baseline.names, baseline.n, sizeof *baseline.names, cmp_names))
            continue;
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", scratch, now.names[j]);
        if (remove(p)) DIE("cannot remove %s: %s", p, strerror(errno));
    }
    list_clear(&now);
}

/* ---- Landlock: the worker may write beneath the scratch directory only ---------------- */

static int confine_to_scratch(void) {
#ifdef FUZZ_HAVE_LANDLOCK
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 1) return -1;
    uint64_t writes = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
                      LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
                      LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                      LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
                      LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
#ifdef LANDLOCK_ACCESS_FS_REFER
    if (abi >= 2) writes |= LANDLOCK_ACCESS_FS_REFER;
#endif
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
    if (abi >= 3) writes |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
    struct landlock_ruleset_attr attr = {.handled_access_fs = writes};
    int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
    if (rs < 0) return -1;
    struct landlock_path_beneath_attr beneath = {.allowed_access = writes};
    beneath.parent_fd = open(scratch, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int ok = beneath.parent_fd >= 0 &&
             !syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0) &&
             !prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) && /* this thread only */
             !syscall(SYS_landlock_restrict_self, rs, 0);
    if (beneath.parent_fd >= 0) close(beneath.parent_fd);
    close(rs);
    return ok ? 0 : -1;
#else
    return -1;
#endif
}

/* ---- one resolution ---------------------------------------------------------------------- */

typedef struct outcome {
    uint16_t err;           /* WASI errno, 0 on success */
    char path[PATH_MAX];    /* success: where the fd points */
    dev_t dev;
    ino_t ino;
    char name[NAME_MAX + 1]; /* OP_PARENT: the last name */
    int dot, trailing_slash;
} outcome;

static void fd_location(int fd, outcome *o, const char *who) {
    char proc[64];
    struct stat st;
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(proc, o->path, sizeof o->path - 1);
    if (n < 0 || fstat(fd, &st)) DIE("%s: cannot inspect fd %d: %s", who, fd, strerror(errno));
    o->path[n] = '\0';
    o->dev = st.st_dev;
    o->ino = st.st_ino;
    size_t r = strlen(root_real);
    if (strncmp(o->path, root_real, r) || (o->path[r] != '\0' && o->path[r] != '/'))
        DIE("%s: resolved to '%s', outside the preopen %s", who, o->path, root_real);
}

/* The lowest free fd: unchanged by a resolution that closed what it opened. */
static int lowest_free_fd(void) {
    int fd = fcntl(0, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) DIE("no fd left");
    close(fd);
    return fd;
}

static void resolve_once(uint8_t ctl, uint8_t *mem, uint32_t len, int walk, outcome *o) {
    const char *who = walk ? "walk" : "openat2";
    wasi_fd *dir = &wasi->fds[PREOPEN_FD];
    wasi_call c = {.w = wasi, .name = who, .mem = mem, .mem_size = len};
    int op = ctl & OP_MASK, create = (ctl & CTL_CREATE) && can_write;
    int fd_before = lowest_free_fd();
    memset(o, 0, sizeof *o);
    wasi->force_path_walk = walk;

    if (op == OP_PARENT) {
        wasi_parent p;
        o->err = elvm__wasi_parent(&c, dir, 0, len, &p);
        if (!o->err) {
            fd_location(p.fd, o, who);
            if (p.dot != 0 && p.dot != 1 && p.dot != 2) DIE("%s: dot is %d", who, p.dot);
            if (p.dot ? p.name != NULL : !p.name) DIE("%s: dot %d with name %p", who, p.dot, (void *)p.name);
            if (p.name) {
                size_t n = strlen(p.name);
                if (!n || n > NAME_MAX || strchr(p.name, '/') || !strcmp(p.name, ".") ||
                    !strcmp(p.name, ".."))
                    DIE("%s: the last name '%s' is not a plain name", who, p.name);
                memcpy(o->name, p.name, n + 1);
            }
            o->dot = p.dot;
            o->trailing_slash = p.trailing_slash;
            if (!p.owned && p.fd != dir->host) DIE("%s: borrowed fd %d is not the preopen's", who, p.fd);
        }
        elvm__wasi_parent_free(&p);
        if (create) {
            /* what path_create_directory does with that parent: its errno joins the outcome */
            elvm_val a[3] = {{.type = ELVM_I32, .of.i32 = PREOPEN_FD},
                             {.type = ELVM_I32, .of.i32 = 0},
                             {.type = ELVM_I32, .of.i32 = (int32_t)len}};
            uint16_t e = elvm__wasi_path_create_directory(&c, a);
            if (e == WASI_ERRNO_ACCES) DIE("%s: mkdir was refused by Landlock: an escape", who);
            o->err = (uint16_t)(o->err | (uint32_t)e << 8);
        }
    } else {
        int flags = op == OP_OPEN_PATH ? O_PATH | O_CLOEXEC
                  : op == OP_OPEN_READ ? O_RDONLY | O_CLOEXEC | O_NOCTTY
                                       : O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY;
        if (create && op != OP_OPEN_PATH) flags |= O_CREAT | (ctl & CTL_EXCL ? O_EXCL : 0);
        char *path = elvm__wasi_path_copy(&c, 0, len, &o->err);
        if (path) {
            int fd = elvm__wasi_open_beneath(&c, dir->host, path, flags, !!(ctl & CTL_FOLLOW), &o->err);
            if (fd >= 0) {
                o->err = 0;
                fd_location(fd, o, who);
                close(fd);
            } else if (o->err == WASI_ERRNO_ACCES && create) {
                DIE("%s: a create was refused by Landlock: an escape", who);
            }
            free(path);
        }
    }
    if (lowest_free_fd() != fd_before) DIE("%s: leaked an fd (lowest free %d, was %d)", who,
                                           lowest_free_fd(), fd_before);
    if (create) tree_check_and_restore(who);
}

static void resolve_both(const uint8_t *data, size_t size) {
    if (size == 0) return;
    uint8_t ctl = data[0];
    uint32_t len = (uint32_t)(size - 1 > UINT32_MAX ? UINT32_MAX : size - 1);
    /* the guest's memory holds exactly the path, so ASan sees any read past it */
    uint8_t *mem = malloc(len ? len : 1);
    if (!mem) DIE("out of memory");
    memcpy(mem, data + 1, len);
    static outcome a, b;
    resolve_once(ctl, mem, len, 0, &a);
    resolve_once(ctl, mem, len, 1, &b);
    free(mem);
    int created = (ctl & CTL_CREATE) && can_write;
    if (a.err != b.err || strcmp(a.path, b.path) || strcmp(a.name, b.name) || a.dot != b.dot ||
        a.trailing_slash != b.trailing_slash ||
        (!created && (a.dev != b.dev || a.ino != b.ino))) {
        DIE("the resolvers disagree on '%.*s' (control 0x%02x):\n"
            "  openat2: errno %u%s%s name '%s'\n  walk:    errno %u%s%s name '%s'",
            (int)(size - 1), (const char *)data + 1, ctl, a.err, a.err ? "" : " at ", a.path,
            a.name, b.err, b.err ? "" : " at ", b.path, b.name);
    }
}

/* ---- the worker thread ------------------------------------------------------------------ */

/* Only inputs that create run here: a crash on this thread (ASan) cannot save its input
 * (libFuzzer still prints it, in hex and Base64), so the others run on the main thread. */
static sem_t job_ready, job_done;
static const uint8_t *job_data;
static size_t job_size;
static int job_failed;

static void *worker(void *arg) {
    (void)arg;
    can_write = confine_to_scratch() == 0;
    sem_post(&job_done);
    for (;;) {
        while (sem_wait(&job_ready) && errno == EINTR) {}
        jmp_buf here;
        if (!setjmp(here)) {
            die_jump = &here;
            resolve_both(job_data, job_size);
        } else {
            job_failed = 1;
        }
        die_jump = NULL;
        sem_post(&job_done);
    }
    return NULL;
}

/* Once per process: the scratch tree, the WASI host with root/ preopened, and whether
 * the kernel has openat2 (the first resolution finds out). */
static void setup(void) {
    const char *tmp = getenv("TMPDIR") && strlen(getenv("TMPDIR")) < 40 ? getenv("TMPDIR") : "/tmp";
    remove_stale_trees(tmp);
    snprintf(scratch, sizeof scratch, "%s/elvm-fuzz-wasi-%ld-XXXXXX", tmp, (long)getpid());
    if (!mkdtemp(scratch)) DIE("mkdtemp %s: %s", scratch, strerror(errno));
    scratch_owner = getpid();
    atexit(tree_remove);
    tree_make();
    char root[PATH_MAX];
    snprintf(root, sizeof root, "%s/root", scratch);
    if (!realpath(root, root_real)) DIE("realpath %s", root);
    list_tree(&baseline);

    elvm_wasi_config cfg;
    elvm_wasi_config_default(&cfg);
    cfg.stdio[0] = cfg.stdio[1] = cfg.stdio[2] = -1;
    elvm_wasi_preopen pre = {.host_path = root, .guest_path = "/sandbox"};
    cfg.preopens = &pre;
    cfg.npreopens = 1;
    elvm_error err;
    if (!(wasi = elvm_wasi_new(&cfg, &err))) DIE("elvm_wasi_new: %s", err.msg);
    static const uint8_t probe[] = {OP_OPEN_PATH, 'f', 'i', 'l', 'e'};
    resolve_both(probe, sizeof probe);
    have_openat2 = wasi->openat2 > 0;
}

/* Once per process too: a forked child (AFL++'s fork server) has no thread but its own. */
static void start_worker(void) {
    pthread_t t;
    if (sem_init(&job_ready, 0, 0) || sem_init(&job_done, 0, 0) ||
        pthread_create(&t, NULL, worker, NULL))
        DIE("cannot start the worker thread");
    while (sem_wait(&job_done) && errno == EINTR) {}
    static int told;
    if (!told++)
        fprintf(stderr, "fuzz_wasi_path: scratch tree %s; openat2 %s; creating %s\n", scratch,
                have_openat2 ? "yes" : "no (both runs use the walk)",
                can_write ? "on (Landlock confines the worker)" : "off (no Landlock)");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static pid_t worker_in;
    if (!wasi) setup();
    if (worker_in != getpid()) {
        start_worker();
        worker_in = getpid();
    }
    if (size == 0 || !(data[0] & CTL_CREATE) || !can_write) {
        resolve_both(data, size);
        return 0;
    }
    job_data = data;
    job_size = size;
    sem_post(&job_ready);
    while (sem_wait(&job_done) && errno == EINTR) {}
    if (job_failed) {
        tree_remove();
        abort();
    }
    return 0;
}
