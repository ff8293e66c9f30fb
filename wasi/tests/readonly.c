/* readonly.c: a read-only grant (--dir HOST::/ro:ro). Reading, listing and stat work;
 * every write, create, truncate, rename, link, unlink, mkdir, rmdir, symlink and
 * set-times through it, or through any fd opened beneath it, is refused with
 * ENOTCAPABLE (or EBADF where wasi-libc turns a missing fd right into it), and rights
 * never grow back. wasi-libc asks path_open only for the rights the directory passes
 * on, so open(O_WRONLY) of an existing file succeeds with an fd that cannot write; any
 * O_CREAT or O_TRUNC is refused at once. The runner checks that nothing in it changed.
 * DIRS: sandbox::/sandbox ro::/ro:ro
 * DENIALS: yes
 * NODE: skip node:wasi has no read-only preopens
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"

int main(void) {
    char buf[64];
    struct stat st;
    printf("read /ro/data.txt: '%.14s'\n", slurp("/ro/data.txt", buf, sizeof buf));
    T("stat /ro/data.txt", stat("/ro/data.txt", &st));
    DIR *d = opendir("/ro/dir");
    struct dirent *de;
    int files = 0;
    while (d && (de = readdir(d)))
        if (!strcmp(de->d_name, "file.txt")) files++;
    printf("readdir /ro/dir: file.txt %d\n", files);
    if (d) closedir(d);

    /* the preopen's own rights */
    __wasi_fdstat_t fst;
    W("fd_fdstat_get 4 (/ro)", __wasi_fd_fdstat_get(4, &fst));
    printf("/ro can open %d, create file %d, unlink %d, pass on write %d\n",
           (fst.fs_rights_base & __WASI_RIGHTS_PATH_OPEN) != 0,
           (fst.fs_rights_base & __WASI_RIGHTS_PATH_CREATE_FILE) != 0,
           (fst.fs_rights_base & __WASI_RIGHTS_PATH_UNLINK_FILE) != 0,
           (fst.fs_rights_inheriting & __WASI_RIGHTS_FD_WRITE) != 0);
    W("fd_fdstat_set_rights 4 +create",
      __wasi_fd_fdstat_set_rights(4, fst.fs_rights_base | __WASI_RIGHTS_PATH_CREATE_FILE,
                                  fst.fs_rights_inheriting));

    /* opening for any kind of writing */
    T("open O_WRONLY", open("/ro/data.txt", O_WRONLY));
    T("open O_RDWR", open("/ro/data.txt", O_RDWR));
    T("open O_WRONLY|O_APPEND", open("/ro/data.txt", O_WRONLY | O_APPEND));
    T("open O_RDONLY|O_TRUNC", open("/ro/data.txt", O_RDONLY | O_TRUNC));
    T("open O_CREAT new", open("/ro/new.txt", O_CREAT | O_WRONLY, 0644));
    T("open O_CREAT existing, read-only", open("/ro/data.txt", O_CREAT | O_RDONLY, 0644));
    __wasi_fd_t nfd;
    W("path_open FD_WRITE",
      __wasi_path_open(4, 0, "data.txt", 0, __WASI_RIGHTS_FD_WRITE, 0, 0, &nfd));

    /* an fd opened beneath it */
    int fd = open("/ro/data.txt", O_RDONLY);
    T("open O_RDONLY", fd);
    W("fd_fdstat_get", __wasi_fd_fdstat_get(fd, &fst));
    printf("file can read %d, write %d, set size %d, set times %d, allocate %d\n",
           (fst.fs_rights_base & __WASI_RIGHTS_FD_READ) != 0,
           (fst.fs_rights_base & __WASI_RIGHTS_FD_WRITE) != 0,
           (fst.fs_rights_base & __WASI_RIGHTS_FD_FILESTAT_SET_SIZE) != 0,
           (fst.fs_rights_base & __WASI_RIGHTS_FD_FILESTAT_SET_TIMES) != 0,
           (fst.fs_rights_base & __WASI_RIGHTS_FD_ALLOCATE) != 0);
    T("write", write(fd, "x", 1));
    T("pwrite", pwrite(fd, "x", 1, 0));
    T("ftruncate", ftruncate(fd, 0));
    printf("posix_fallocate: %s\n", ename(posix_fallocate(fd, 0, 100)));
    struct timespec ts[2] = {{1, 0}, {2, 0}};
    T("futimens", futimens(fd, ts));
    W("fd_filestat_set_size", __wasi_fd_filestat_set_size(fd, 0));
    W("fd_fdstat_set_rights +write",
      __wasi_fd_fdstat_set_rights(fd, fst.fs_rights_base | __WASI_RIGHTS_FD_WRITE, 0));
    T("fsync (no change)", fsync(fd));
    printf("posix_fadvise: %s\n", ename(posix_fadvise(fd, 0, 0, POSIX_FADV_NORMAL)));
    close(fd);

    /* a directory opened beneath it passes on no more */
    int dir = open("/ro/dir", O_RDONLY | O_DIRECTORY);
    T("open /ro/dir", dir);
    T("openat(dir, file.txt, O_WRONLY)", openat(dir, "file.txt", O_WRONLY));
    T("openat(dir, new, O_CREAT)", openat(dir, "new", O_CREAT | O_WRONLY, 0644));
    T("unlinkat(dir, file.txt)", unlinkat(dir, "file.txt", 0));
    T("mkdirat(dir, x)", mkdirat(dir, "x", 0755));
    close(dir);

    /* every path call that changes something */
    T("mkdir /ro/x", mkdir("/ro/x", 0755));
    T("rmdir /ro/dir/..", rmdir("/ro/dir"));
    T("unlink /ro/data.txt", unlink("/ro/data.txt"));
    T("rename within /ro", rename("/ro/data.txt", "/ro/moved.txt"));
    T("rename /ro -> /sandbox", rename("/ro/data.txt", "/sandbox/stolen.txt"));
    T("rename /sandbox -> /ro", rename("/sandbox/hello.txt", "/ro/planted.txt"));
    T("link /ro -> /sandbox", link("/ro/data.txt", "/sandbox/alias.txt"));
    T("link /sandbox -> /ro", link("/sandbox/hello.txt", "/ro/alias.txt"));
    T("symlink in /ro", symlink("data.txt", "/ro/sl"));
    T("utimensat /ro/data.txt", utimensat(AT_FDCWD, "/ro/data.txt", ts, 0));
    W("path_filestat_set_times",
      __wasi_path_filestat_set_times(4, 0, "data.txt", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));

    /* the writable preopen still is */
    T("open /sandbox/w.txt O_CREAT", fd = open("/sandbox/w.txt", O_CREAT | O_WRONLY, 0644));
    T("write", write(fd, "w", 1));
    close(fd);
    printf("/ro/data.txt still: '%.14s'\n", slurp("/ro/data.txt", buf, sizeof buf));
    return 0;
}
