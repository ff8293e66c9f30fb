/* dirs.c: directories and names: mkdir, rmdir, opendir/readdir (fd_readdir, also raw with
 * a small buffer and cookies), unlink, rename, link, symlink, readlink, lstat/stat
 * (path_filestat_get with and without following), utimensat (path_filestat_set_times)
 * on a link and its target, trailing slashes, and the errnos of the usual mistakes.
 * DIRS: sandbox::/sandbox
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted entries of `path` but "." and "..", with a type letter; and how many of
 * "." and ".." it listed (runtimes differ there). */
static void list(const char *path) {
    char *names[64];
    int n = 0, dots = 0;
    DIR *d = opendir(path);
    if (!d) {
        printf("opendir %s: %s\n", path, ename(errno));
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) && n < 64) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) {
            dots++;
            continue;
        }
        char *s = malloc(strlen(de->d_name) + 3);
        char t = de->d_type == DT_DIR ? 'd' : de->d_type == DT_REG ? 'f'
                 : de->d_type == DT_LNK ? 'l' : '?';
        sprintf(s, "%s:%c", de->d_name, t);
        names[n++] = s;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp);
    printf("%s:", path);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
    printf("%s dot entries: %d\n", path, dots);
}

static void touch(const char *path, const char *text) {
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0 || write(fd, text, strlen(text)) < 0) printf("touch %s: %s\n", path, ename(errno));
    close(fd);
}

/* fd_readdir by hand with a `cap`-byte buffer: every entry must come whole exactly once,
 * whatever the buffer cuts. Returns how many names (not "." or "..") it saw. */
static int raw_count(int fd, size_t cap) {
    static unsigned char buf[4096];
    __wasi_dircookie_t cookie = 0;
    int names = 0;
    for (int calls = 0; calls < 10000; calls++) {
        __wasi_size_t used = 0;
        __wasi_errno_t e = __wasi_fd_readdir(fd, buf, cap, cookie, &used);
        if (e) {
            printf("fd_readdir: %s\n", ename(e));
            return -1;
        }
        size_t at = 0;
        int whole = 0;
        while (at + sizeof(__wasi_dirent_t) <= used) {
            __wasi_dirent_t de;
            memcpy(&de, buf + at, sizeof de);
            if (at + sizeof de + de.d_namlen > used) break; /* cut: ask again from here */
            const char *nm = (const char *)buf + at + sizeof de;
            if (!(de.d_namlen == 1 && nm[0] == '.') &&
                !(de.d_namlen == 2 && nm[0] == '.' && nm[1] == '.'))
                names++;
            cookie = de.d_next;
            at += sizeof de + de.d_namlen;
            whole++;
        }
        if (used < cap) return names; /* the end */
        if (whole == 0) cap *= 2;      /* not even one entry fits */
    }
    return -2;
}

int main(void) {
    struct stat st;
    char buf[64];

    /* mkdir, rmdir */
    T("mkdir d", mkdir("/sandbox/d", 0755));
    T("mkdir d again", mkdir("/sandbox/d", 0755));
    T("mkdir d2/ (trailing slash)", mkdir("/sandbox/d2/", 0755));
    T("mkdir missing/x", mkdir("/sandbox/missing/x", 0755));
    T("mkdir hello.txt/x", mkdir("/sandbox/hello.txt/x", 0755));
    W("path_create_directory .", __wasi_path_create_directory(3, "."));
    W("path_create_directory sub/..", __wasi_path_create_directory(3, "sub/.."));
    touch("/sandbox/d/a", "aaa");
    touch("/sandbox/d/b", "bbbb");
    touch("/sandbox/d/c", "c");
    T("mkdir d/e", mkdir("/sandbox/d/e", 0755));
    T("symlink d/l -> a", symlink("a", "/sandbox/d/l"));
    list("/sandbox/d");
    T("rmdir d (not empty)", rmdir("/sandbox/d"));
    T("rmdir d/a (a file)", rmdir("/sandbox/d/a"));
    T("rmdir d/. ", rmdir("/sandbox/d/."));
    T("rmdir missing", rmdir("/sandbox/missing"));
    T("unlink d (a directory)", unlink("/sandbox/d"));
    T("unlink d/ (trailing slash)", unlink("/sandbox/d/"));
    T("unlink hello.txt/", unlink("/sandbox/hello.txt/"));
    T("unlink missing", unlink("/sandbox/missing"));

    /* rename */
    T("rename d/a -> d/a2", rename("/sandbox/d/a", "/sandbox/d/a2"));
    T("rename d/b -> d/c (replace)", rename("/sandbox/d/b", "/sandbox/d/c"));
    printf("d/c now: '%s'\n", slurp("/sandbox/d/c", buf, sizeof buf));
    T("rename missing", rename("/sandbox/d/nope", "/sandbox/d/x"));
    T("rename file -> dir", rename("/sandbox/d/c", "/sandbox/d/e"));
    T("rename dir -> file", rename("/sandbox/d/e", "/sandbox/d/c"));
    T("rename d -> d2 (empty dir)", rename("/sandbox/d", "/sandbox/d2"));
    T("rename sub -> d2 (not empty)", rename("/sandbox/sub", "/sandbox/d2"));
    T("rename d2/e -> d2/e2/", rename("/sandbox/d2/e", "/sandbox/d2/e2/"));
    T("rename d2/c -> d2/c2/", rename("/sandbox/d2/c", "/sandbox/d2/c2/"));
    T("rename d2 -> d2/inside", rename("/sandbox/d2", "/sandbox/d2/inside"));
    list("/sandbox/d2");

    /* hard links */
    T("link hello.txt -> hard", link("/sandbox/hello.txt", "/sandbox/hard"));
    stat("/sandbox/hello.txt", &st);
    printf("nlink: %d\n", (int)st.st_nlink);
    printf("hard: '%s'\n", slurp("/sandbox/hard", buf, sizeof buf));
    T("link onto an existing name", link("/sandbox/hello.txt", "/sandbox/hard"));
    T("link a directory", link("/sandbox/sub", "/sandbox/subhard"));
    T("link missing", link("/sandbox/missing", "/sandbox/x"));
    T("unlink hard", unlink("/sandbox/hard"));
    stat("/sandbox/hello.txt", &st);
    printf("nlink: %d\n", (int)st.st_nlink);

    /* symlinks */
    T("symlink sl -> hello.txt", symlink("hello.txt", "/sandbox/sl"));
    T("symlink onto an existing name", symlink("x", "/sandbox/sl"));
    memset(buf, 0, sizeof buf);
    printf("readlink sl: %zd '%s'\n", readlink("/sandbox/sl", buf, sizeof buf), buf);
    memset(buf, 0, sizeof buf);
    printf("readlink sl, 3 bytes: %zd '%s'\n", readlink("/sandbox/sl", buf, 3), buf);
    T("readlink of a file", readlink("/sandbox/hello.txt", buf, sizeof buf));
    T("readlink missing", readlink("/sandbox/missing", buf, sizeof buf));
    T("lstat sl", lstat("/sandbox/sl", &st));
    printf("lstat sl: link %d size %lld\n", S_ISLNK(st.st_mode), (long long)st.st_size);
    T("stat sl", stat("/sandbox/sl", &st));
    printf("stat sl: regular %d size %lld\n", S_ISREG(st.st_mode), (long long)st.st_size);
    printf("read through sl: '%s'\n", slurp("/sandbox/sl", buf, sizeof buf));
    T("open sl O_NOFOLLOW", open("/sandbox/sl", O_RDONLY | O_NOFOLLOW));
    T("stat dangling", stat("/sandbox/dangling", &st));
    T("lstat dangling", lstat("/sandbox/dangling", &st));
    T("open loop1", open("/sandbox/loop1", O_RDONLY));
    printf("chain_in1: '%s'\n", slurp("/sandbox/chain_in1", buf, sizeof buf));
    printf("sub/link_up: '%s'\n", slurp("/sandbox/sub/link_up", buf, sizeof buf));
    printf("dir_in/inner.txt: '%s'\n", slurp("/sandbox/dir_in/inner.txt", buf, sizeof buf));
    T("create through dangling", open("/sandbox/dangling", O_CREAT | O_WRONLY, 0644));
    T("stat nowhere (made through dangling)", stat("/sandbox/nowhere", &st));
    T("O_EXCL through a symlink", open("/sandbox/sl", O_CREAT | O_EXCL | O_WRONLY, 0644));

    /* set-times on a link itself and through it */
    struct timespec t1[2] = {{100, 0}, {200, 0}}, t2[2] = {{300, 0}, {400, 0}};
    T("utimensat sl (follow)", utimensat(AT_FDCWD, "/sandbox/sl", t1, 0));
    T("utimensat sl (nofollow)", utimensat(AT_FDCWD, "/sandbox/sl", t2, AT_SYMLINK_NOFOLLOW));
    stat("/sandbox/hello.txt", &st);
    printf("target mtime %lld\n", (long long)st.st_mtim.tv_sec);
    lstat("/sandbox/sl", &st);
    printf("link mtime %lld\n", (long long)st.st_mtim.tv_sec);

    /* trailing slashes */
    T("stat hello.txt/", stat("/sandbox/hello.txt/", &st));
    T("stat sub/", stat("/sandbox/sub/", &st));
    T("stat dir_in/ (a link to a dir)", stat("/sandbox/dir_in/", &st));
    printf("dir_in/ is a dir: %d\n", S_ISDIR(st.st_mode));

    /* fd_readdir by hand, with a buffer that fits about one entry */
    char name[80];
    T("mkdir many", mkdir("/sandbox/many", 0755));
    for (int i = 0; i < 150; i++) {
        snprintf(name, sizeof name, "/sandbox/many/entry-with-a-rather-long-name-number-%03d", i);
        touch(name, "");
    }
    int dfd = open("/sandbox/many", O_RDONLY | O_DIRECTORY);
    printf("raw fd_readdir, 100-byte buffer: %d names\n", raw_count(dfd, 100));
    printf("raw fd_readdir, 4096-byte buffer: %d names\n", raw_count(dfd, 4096));
    printf("raw fd_readdir, 10-byte buffer: %d names\n", raw_count(dfd, 10));
    int n = 0;
    DIR *d = fdopendir(dfd);
    while (readdir(d)) n++;
    printf("readdir: %d entries with . and ..\n", n);
    closedir(d);

    list("/sandbox");
    list("/sandbox/sub");
    list("/sandbox/nope");
    return 0;
}
