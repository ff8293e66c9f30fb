/* files.c: one file through every fd call: open/creat, write, read, lseek and fd_tell,
 * pread/pwrite, fstat, ftruncate, posix_fallocate, posix_fadvise and fd_advise, fsync,
 * fdatasync, futimens and utimensat, fcntl(F_SETFL, O_APPEND), fd_fdstat_get and
 * fd_fdstat_set_rights, fd renumbering (wasi-libc has no dup2), fd_close, and the
 * errnos of the usual mistakes.
 * DIRS: sandbox::/sandbox
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/libc.h>

#include "t.h"

static void show_read(const char *label, int fd, size_t n) {
    char buf[64] = {0};
    ssize_t r = read(fd, buf, n);
    printf("%s: %zd '%s'\n", label, r, r > 0 ? buf : "");
}

static long long size_of(int fd) {
    struct stat st;
    return fstat(fd, &st) ? -1 : (long long)st.st_size;
}

int main(void) {
    char buf[64];
    int fd = open("/sandbox/new.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    T("open O_CREAT|O_RDWR", fd);
    T("write", write(fd, "hello world\n", 12));
    printf("lseek CUR: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    __wasi_filesize_t off = 0;
    W("fd_tell", __wasi_fd_tell(fd, &off));
    printf("fd_tell offset: %llu\n", (unsigned long long)off);
    printf("lseek SET 6: %lld\n", (long long)lseek(fd, 6, SEEK_SET));
    show_read("read 5", fd, 5);
    printf("lseek END -1: %lld\n", (long long)lseek(fd, -1, SEEK_END));
    T("lseek to -1", lseek(fd, -1, SEEK_SET));
    __wasi_filesize_t newoff;
    W("fd_seek bad whence", __wasi_fd_seek(fd, 0, 7, &newoff));

    memset(buf, 0, sizeof buf);
    printf("pread 5 @0: %zd '%s'\n", pread(fd, buf, 5, 0), buf);
    printf("position after pread: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    T("pwrite HELLO @0", pwrite(fd, "HELLO", 5, 0));
    memset(buf, 0, sizeof buf);
    printf("pread 12 @0: %zd '%.11s'\n", pread(fd, buf, 12, 0), buf);
    T("pwrite @20", pwrite(fd, "tail", 4, 20));
    printf("size after pwrite @20: %lld\n", size_of(fd));
    memset(buf, 'x', sizeof buf);
    printf("pread of the hole: %zd, byte 15 = %d\n", pread(fd, buf, 24, 0), buf[15]);
    printf("pread past the end: %zd\n", pread(fd, buf, 8, 1000));

    struct stat st;
    T("fstat", fstat(fd, &st));
    printf("fstat: regular %d, nlink %d, size %lld\n", S_ISREG(st.st_mode), (int)st.st_nlink,
           (long long)st.st_size);
    T("ftruncate 5", ftruncate(fd, 5));
    printf("size: %lld\n", size_of(fd));
    T("ftruncate 100", ftruncate(fd, 100));
    printf("size: %lld\n", size_of(fd));
    printf("posix_fallocate 0..200: %s\n", ename(posix_fallocate(fd, 0, 200)));
    printf("size: %lld\n", size_of(fd));
    printf("posix_fallocate 10..20: %s\n", ename(posix_fallocate(fd, 10, 10)));
    printf("size (never shrinks): %lld\n", size_of(fd));
    W("fd_allocate len 0", __wasi_fd_allocate(fd, 0, 0));
    W("fd_filestat_set_size 2^63", __wasi_fd_filestat_set_size(fd, (uint64_t)1 << 63));
    printf("posix_fadvise SEQUENTIAL: %s\n", ename(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)));
    W("fd_advise WILLNEED", __wasi_fd_advise(fd, 0, 100, __WASI_ADVICE_WILLNEED));
    W("fd_advise bad advice", __wasi_fd_advise(fd, 0, 100, 9));
    T("fsync", fsync(fd));
    T("fdatasync", fdatasync(fd));

    struct timespec ts[2] = {{1000, 500}, {2000, 700}};
    T("futimens", futimens(fd, ts));
    fstat(fd, &st);
    printf("atime %lld.%09ld mtime %lld.%09ld\n", (long long)st.st_atim.tv_sec,
           st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    /* Raw: this wasi-libc's futimens turns UTIME_NOW for mtime into ATIM_NOW. */
    W("fd_filestat_set_times MTIM_NOW",
      __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    fstat(fd, &st);
    printf("atime kept %d, mtime now %d\n", st.st_atim.tv_sec == 1000,
           st.st_mtim.tv_sec > 1000000000);
    W("fd_filestat_set_times ATIM|ATIM_NOW",
      __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW));
    struct timespec ts2[2] = {{3000, 0}, {4000, 0}};
    T("utimensat", utimensat(AT_FDCWD, "/sandbox/new.txt", ts2, 0));
    T("stat", stat("/sandbox/new.txt", &st));
    printf("stat: size %lld atime %lld mtime %lld\n", (long long)st.st_size,
           (long long)st.st_atim.tv_sec, (long long)st.st_mtim.tv_sec);

    /* fdflags: O_APPEND through fcntl (fd_fdstat_set_flags). */
    printf("F_GETFL append: %d\n", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
    T("F_SETFL O_APPEND", fcntl(fd, F_SETFL, O_APPEND));
    printf("F_GETFL append: %d\n", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
    lseek(fd, 0, SEEK_SET);
    write(fd, "END", 3);
    printf("size after append: %lld\n", size_of(fd));
    W("fd_fdstat_set_flags SYNC", __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_SYNC));
    T("F_SETFL 0", fcntl(fd, F_SETFL, 0));

    /* Rights: shrink, and never grow back. */
    __wasi_fdstat_t fst;
    W("fd_fdstat_get", __wasi_fd_fdstat_get(fd, &fst));
    printf("filetype regular %d, can read %d, can write %d\n",
           fst.fs_filetype == __WASI_FILETYPE_REGULAR_FILE,
           (fst.fs_rights_base & __WASI_RIGHTS_FD_READ) != 0,
           (fst.fs_rights_base & __WASI_RIGHTS_FD_WRITE) != 0);
    __wasi_rights_t all = fst.fs_rights_base;
    W("fd_fdstat_set_rights -write",
      __wasi_fd_fdstat_set_rights(fd, all & ~__WASI_RIGHTS_FD_WRITE, 0));
    T("write without the right", write(fd, "x", 1));
    W("fd_fdstat_set_rights +write", __wasi_fd_fdstat_set_rights(fd, all, 0));
    W("fd_fdstat_get", __wasi_fd_fdstat_get(fd, &fst));
    printf("can write %d\n", (fst.fs_rights_base & __WASI_RIGHTS_FD_WRITE) != 0);

    /* Renumbering (what dup2 would do). */
    int other = open("/sandbox/hello.txt", O_RDONLY);
    T("open hello.txt", other);
    T("renumber other -> fd", __wasilibc_fd_renumber(other, fd));
    show_read("read fd (now hello.txt)", fd, 5);
    T("read the old number", read(other, buf, 1));
    T("renumber to a closed fd", __wasilibc_fd_renumber(fd, 77));
    T("renumber from a closed fd", __wasilibc_fd_renumber(77, fd));
    T("close", close(fd));
    T("close again", close(fd));
    W("fd_close 1000", __wasi_fd_close(1000));

    /* The usual mistakes. */
    T("open missing", open("/sandbox/missing.txt", O_RDONLY));
    T("open O_EXCL existing", open("/sandbox/hello.txt", O_CREAT | O_EXCL | O_WRONLY, 0644));
    T("open dir for writing", open("/sandbox/sub", O_WRONLY));
    T("open file O_DIRECTORY", open("/sandbox/hello.txt", O_RDONLY | O_DIRECTORY));
    T("open missing/x", open("/sandbox/missing/x", O_RDONLY));
    T("open hello.txt/x", open("/sandbox/hello.txt/x", O_RDONLY));
    int ro = open("/sandbox/hello.txt", O_RDONLY);
    T("write to O_RDONLY", write(ro, "x", 1));
    int wo = open("/sandbox/hello.txt", O_WRONLY | O_APPEND);
    T("read from O_WRONLY", read(wo, buf, 1));
    close(ro);
    close(wo);
    T("unlink new.txt", unlink("/sandbox/new.txt"));
    T("stat new.txt", stat("/sandbox/new.txt", &st));
    return 0;
}
