/* escape.c: every way out of a preopen the sandbox must refuse: `..` past the root,
 * absolute paths, symlinks whose target is absolute or climbs out (directly, in a
 * chain, as a directory on the way, dangling with O_CREAT), the same through every
 * path_* call (stat, set-times, mkdir, unlink, rename and link at either end, opendir),
 * paths relative to a subdirectory's fd, and new symlinks that would point out. The
 * runner checks that nothing outside the preopens changed, and that --log recorded the
 * denials. What stays inside works.
 * DIRS: sandbox::/sandbox other::/other
 * DENIALS: yes
 * NODE: skip node:wasi is no sandbox: it follows symlinks out of a preopen (NODE_DIFFERENCES.md)
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"

/* Opens and reads `path`: "ok 'text'" or the errno. */
static void try_read(const char *label, int dirfd, const char *path) {
    char buf[64] = {0};
    int fd = dirfd < 0 ? open(path, O_RDONLY) : openat(dirfd, path, O_RDONLY);
    if (fd < 0) {
        printf("%s: %s\n", label, ename(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    printf("%s: ok '%.*s'\n", label, n > 0 ? (int)n - 1 : 0, buf);
}

WASI_IMPORT(path_open)
int raw_path_open(int fd, int lookup, const char *path, size_t len, int oflags, long long base,
                  long long inheriting, int fdflags, __wasi_fd_t *out);

/* path_open on fd 3 (/sandbox) with the raw bytes of `path`. */
static void raw_open(const char *label, const char *path, size_t len) {
    __wasi_fd_t fd;
    int e = raw_path_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, len, 0,
                          __WASI_RIGHTS_FD_READ, 0, 0, &fd);
    if (!e) close((int)fd);
    W(label, e);
}

int main(void) {
    struct stat st;
    char buf[64];

    /* dot-dot and absolute paths */
    try_read("open /sandbox/../secret.txt", -1, "/sandbox/../secret.txt");
    try_read("open /sandbox/sub/../../secret.txt", -1, "/sandbox/sub/../../secret.txt");
    try_read("open /secret.txt (no preopen)", -1, "/secret.txt");
    raw_open("path_open /etc/passwd", "/etc/passwd", 11);
    raw_open("path_open ../secret.txt", "../secret.txt", 13);
    raw_open("path_open sub/../../secret.txt", "sub/../../secret.txt", 20);
    raw_open("path_open ..", "..", 2);
    raw_open("path_open hello.txt\\0x", "hello.txt\0x", 11);
    try_read("inside: sub/../sub/../hello.txt", -1, "/sandbox/sub/../sub/../hello.txt");

    /* symlinks that lead out */
    try_read("open link_abs (absolute, to the secret)", -1, "/sandbox/link_abs");
    try_read("open link_etc/passwd", -1, "/sandbox/link_etc/passwd");
    try_read("open link_out (../secret.txt)", -1, "/sandbox/link_out");
    try_read("open sub/link_out (../../secret.txt)", -1, "/sandbox/sub/link_out");
    try_read("open chain1 (-> chain2 -> sub/link_out)", -1, "/sandbox/chain1");
    try_read("open dir_out/secret.txt (dir_out -> ..)", -1, "/sandbox/dir_out/secret.txt");
    T("create through dangling_out", open("/sandbox/dangling_out", O_CREAT | O_WRONLY, 0644));
    T("truncate through link_out", open("/sandbox/link_out", O_WRONLY | O_TRUNC));
    T("stat link_out", stat("/sandbox/link_out", &st));
    T("stat dir_out", stat("/sandbox/dir_out", &st));
    T("lstat link_out (the link itself)", lstat("/sandbox/link_out", &st));
    memset(buf, 0, sizeof buf);
    printf("readlink link_out: %zd '%s'\n", readlink("/sandbox/link_out", buf, sizeof buf), buf);
    T_PTR("opendir dir_out", opendir("/sandbox/dir_out"));
    T_PTR("opendir /sandbox/..", opendir("/sandbox/.."));
    T_PTR("opendir link_etc", opendir("/sandbox/link_etc"));
    T("open loop1", open("/sandbox/loop1", O_RDONLY));

    /* the other path calls */
    struct timespec ts[2] = {{5, 0}, {6, 0}};
    T("utimensat link_out (follow)", utimensat(AT_FDCWD, "/sandbox/link_out", ts, 0));
    T("utimensat ../secret.txt", utimensat(AT_FDCWD, "/sandbox/../secret.txt", ts, 0));
    T("mkdir ../newdir", mkdir("/sandbox/../newdir", 0755));
    T("mkdir dir_out/newdir", mkdir("/sandbox/dir_out/newdir", 0755));
    T("rmdir ../other", rmdir("/sandbox/../other"));
    T("unlink ../secret.txt", unlink("/sandbox/../secret.txt"));
    T("unlink dir_out/secret.txt", unlink("/sandbox/dir_out/secret.txt"));
    T("rename hello.txt -> ../stolen.txt", rename("/sandbox/hello.txt", "/sandbox/../stolen.txt"));
    T("rename ../secret.txt -> got.txt", rename("/sandbox/../secret.txt", "/sandbox/got.txt"));
    T("rename dir_out/secret.txt -> got.txt",
      rename("/sandbox/dir_out/secret.txt", "/sandbox/got.txt"));
    T("rename hello.txt -> dir_out/stolen.txt",
      rename("/sandbox/hello.txt", "/sandbox/dir_out/stolen.txt"));
    T("link ../secret.txt -> got.txt", link("/sandbox/../secret.txt", "/sandbox/got.txt"));
    T("link dir_out/secret.txt -> got.txt",
      link("/sandbox/dir_out/secret.txt", "/sandbox/got.txt"));
    T("link hello.txt -> ../h.txt", link("/sandbox/hello.txt", "/sandbox/../h.txt"));
    W("path_link link_out (follow) -> got.txt",
      __wasi_path_link(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "link_out", 3, "got.txt"));
    W("path_link link_in (follow) -> got.txt",
      __wasi_path_link(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "link_in", 3, "got.txt"));
    printf("got.txt: '%s'\n", slurp("/sandbox/got.txt", buf, sizeof buf));
    T("unlink got.txt", unlink("/sandbox/got.txt"));

    /* Between two preopens is fine: both ends are granted. */
    T("rename hello.txt -> /other/moved.txt", rename("/sandbox/hello.txt", "/other/moved.txt"));
    printf("/other/moved.txt: '%s'\n", slurp("/other/moved.txt", buf, sizeof buf));
    T("rename it back", rename("/other/moved.txt", "/sandbox/hello.txt"));

    /* New symlinks must not point out. */
    T("symlink s1 -> /etc/passwd", symlink("/etc/passwd", "/sandbox/s1"));
    T("symlink s2 -> ../secret.txt", symlink("../secret.txt", "/sandbox/s2"));
    T("symlink sub/s4 -> ../../secret.txt", symlink("../../secret.txt", "/sandbox/sub/s4"));
    T("symlink s6 -> sub/../../x", symlink("sub/../../x", "/sandbox/s6"));
    T("symlink sub/s3 -> ../hello.txt", symlink("../hello.txt", "/sandbox/sub/s3"));
    T("symlink s5 -> sub/../hello.txt", symlink("sub/../hello.txt", "/sandbox/s5"));
    printf("sub/s3: '%s'\n", slurp("/sandbox/sub/s3", buf, sizeof buf));
    printf("s5: '%s'\n", slurp("/sandbox/s5", buf, sizeof buf));

    /* A directory fd is a sandbox of its own: nothing above it. */
    int sub = open("/sandbox/sub", O_RDONLY | O_DIRECTORY);
    T("open sub", sub);
    try_read("openat(sub, inner.txt)", sub, "inner.txt");
    try_read("openat(sub, ../hello.txt)", sub, "../hello.txt");
    try_read("openat(sub, link_up) (-> ../hello.txt)", sub, "link_up");
    close(sub);

    /* Removing an escaping link itself is fine: it is a name inside. */
    T("unlink link_out", unlink("/sandbox/link_out"));
    return 0;
}
