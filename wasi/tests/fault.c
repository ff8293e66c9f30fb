/* fault.c: guest pointers and lengths that leave the linear memory: every call checks
 * them first and returns EFAULT, touching nothing, and the program goes on. A range
 * that ends exactly at the end of memory is fine.
 * DIRS: sandbox::/sandbox
 */
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "t.h"

/* Raw imports with explicit (pointer, length) paths: wasi/api.h's take C strings. */
WASI_IMPORT(path_open)
int raw_path_open(int fd, int lookup, uintptr_t path, size_t len, int oflags, long long base,
                  long long inheriting, int fdflags, uintptr_t out);
WASI_IMPORT(path_create_directory) int raw_mkdir(int fd, uintptr_t path, size_t len);
WASI_IMPORT(path_filestat_get)
int raw_stat(int fd, int lookup, uintptr_t path, size_t len, uintptr_t out);
WASI_IMPORT(path_readlink)
int raw_readlink(int fd, uintptr_t path, size_t len, uintptr_t buf, size_t cap, uintptr_t out);
WASI_IMPORT(path_symlink)
int raw_symlink(uintptr_t old, size_t olen, int fd, uintptr_t path, size_t len);
WASI_IMPORT(path_rename)
int raw_rename(int fd, uintptr_t old, size_t olen, int nfd, uintptr_t path, size_t len);
WASI_IMPORT(fd_write) int raw_fd_write(int fd, uintptr_t iovs, size_t n, uintptr_t out);
WASI_IMPORT(fd_read) int raw_fd_read(int fd, uintptr_t iovs, size_t n, uintptr_t out);
WASI_IMPORT(random_get) int raw_random_get(uintptr_t buf, size_t len);
WASI_IMPORT(poll_oneoff) int raw_poll(uintptr_t in, uintptr_t out, size_t n, uintptr_t nout);

int main(void) {
    uintptr_t end = mem_end(), high = 0xfffffff0u;
    static __wasi_size_t n;
    static __wasi_ciovec_t iov;
    static char name[] = "hello.txt";
    __wasi_fd_t fd;
    printf("memory is a whole number of pages: %d\n", end % 65536 == 0);

    W("args_sizes_get", __wasi_args_sizes_get((__wasi_size_t *)(end - 2), &n));
    W("args_get", __wasi_args_get((uint8_t **)high, (uint8_t *)high));
    W("environ_get", __wasi_environ_get((uint8_t **)(end - 1), (uint8_t *)(end - 1)));
    W("clock_time_get", __wasi_clock_time_get(1, 1, (__wasi_timestamp_t *)(end - 4)));
    W("clock_res_get", __wasi_clock_res_get(1, (__wasi_timestamp_t *)high));
    W("random_get over the end", raw_random_get(end - 10, 20));
    W("random_get up to the end", raw_random_get(end - 10, 10));

    iov.buf = (const uint8_t *)"x";
    iov.buf_len = 1;
    W("fd_write iovs out", raw_fd_write(1, high, 1, (uintptr_t)&n));
    W("fd_write count too big", raw_fd_write(1, (uintptr_t)&iov, end / 8, (uintptr_t)&n));
    W("fd_write nwritten out", raw_fd_write(1, (uintptr_t)&iov, 1, end));
    iov.buf = (const uint8_t *)(end - 3);
    iov.buf_len = 4;
    W("fd_write buf over the end", raw_fd_write(1, (uintptr_t)&iov, 1, (uintptr_t)&n));
    int file = open("/sandbox/hello.txt", O_RDWR);
    W("fd_read buf over the end", raw_fd_read(file, (uintptr_t)&iov, 1, (uintptr_t)&n));
    iov.buf_len = 3;
    W("fd_read buf up to the end", raw_fd_read(file, (uintptr_t)&iov, 1, (uintptr_t)&n));
    printf("read %u bytes\n", (unsigned)n);
    iov.buf_len = 4;
    W("fd_pread", __wasi_fd_pread(file, (const __wasi_iovec_t *)&iov, 1, 0, &n));
    W("fd_pwrite", __wasi_fd_pwrite(file, &iov, 1, 0, &n));
    W("fd_seek", __wasi_fd_seek(file, 0, __WASI_WHENCE_SET, (__wasi_filesize_t *)(end - 7)));
    W("fd_tell", __wasi_fd_tell(file, (__wasi_filesize_t *)high));
    W("fd_fdstat_get", __wasi_fd_fdstat_get(1, (__wasi_fdstat_t *)(end - 23)));
    W("fd_filestat_get", __wasi_fd_filestat_get(file, (__wasi_filestat_t *)(end - 63)));
    W("fd_prestat_get", __wasi_fd_prestat_get(3, (__wasi_prestat_t *)(end - 7)));
    W("fd_prestat_dir_name", __wasi_fd_prestat_dir_name(3, (uint8_t *)(end - 4), 8));
    W("fd_readdir", __wasi_fd_readdir(3, (uint8_t *)(end - 50), 100, 0, &n));
    close(file);

    W("path_open path out", raw_path_open(3, 0, end - 4, 9, 0, 2, 0, 0, (uintptr_t)&fd));
    W("path_open fd out", raw_path_open(3, 0, (uintptr_t)name, 9, 0, 2, 0, 0, end - 2));
    W("path_create_directory", raw_mkdir(3, high, 100));
    W("path_filestat_get path", raw_stat(3, 0, high, 9, (uintptr_t)&n));
    W("path_filestat_get out", raw_stat(3, 0, (uintptr_t)name, 9, end - 8));
    W("path_readlink buf", raw_readlink(3, (uintptr_t) "link_in", 7, end - 4, 100, (uintptr_t)&n));
    W("path_symlink", raw_symlink(high, 5, 3, (uintptr_t)name, 9));
    W("path_rename", raw_rename(3, (uintptr_t)name, 9, 3, end - 1, 2));
    W("poll_oneoff in", raw_poll(end - 40, (uintptr_t)&iov, 1, (uintptr_t)&n));
    W("poll_oneoff out", raw_poll((uintptr_t)&iov, end - 16, 1, (uintptr_t)&n));

    printf("hello.txt intact: %d\n", access("/sandbox/hello.txt", R_OK) == 0);
    return 0;
}
