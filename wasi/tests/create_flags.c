/* create_flags.c: path_open's errno where O_CREAT meets a directory, which must not depend
 * on the resolver (found by fuzz/fuzz_wasi_path.c, where the two disagreed): O_CREAT of a
 * name with a trailing slash is EISDIR, as open(2) says (the walk said EINVAL), while "./"
 * and "../" are opened as the directories they are (EEXIST with EXCL); CREAT with
 * DIRECTORY is EINVAL before any lookup, as openat2 says (the walk said ENOENT or
 * NOTCAPABLE for what it met on the way), and creates nothing.
 * DIRS: sandbox::/sandbox
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"

/* path_open on fd 3 (/sandbox) with `oflags`, asking only to read. */
static void try_open(const char *label, const char *path, __wasi_oflags_t oflags) {
    __wasi_fd_t fd;
    int e = __wasi_path_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, oflags,
                             __WASI_RIGHTS_FD_READ, 0, 0, &fd);
    if (!e) close((int)fd);
    W(label, e);
}

int main(void) {
    struct stat st;
    const __wasi_oflags_t creat = __WASI_OFLAGS_CREAT, dir = __WASI_OFLAGS_DIRECTORY;

    /* a trailing slash with O_CREAT */
    try_open("creat newdir/", "newdir/", creat);
    try_open("creat sub/ (a directory)", "sub/", creat);
    try_open("creat hello.txt/ (a file)", "hello.txt/", creat);
    try_open("creat sub/../", "sub/../", creat);
    try_open("creat sub//newdir//", "sub//newdir//", creat);
    try_open("creat dangling/ (-> nowhere)", "dangling/", creat);
    try_open("creat ../ (above the preopen)", "../", creat);
    /* "." and ".." are opened as they are: a directory, or EEXIST when it must be new */
    try_open("creat ./", "./", creat);
    try_open("creat|excl ./", "./", creat | __WASI_OFLAGS_EXCL);
    try_open("creat|excl sub/../", "sub/../", creat | __WASI_OFLAGS_EXCL);
    try_open("creat|excl sub/..", "sub/..", creat | __WASI_OFLAGS_EXCL);
    try_open("creat|excl newdir/", "newdir/", creat | __WASI_OFLAGS_EXCL);
    T("stat newdir (not made)", stat("/sandbox/newdir", &st));
    T("stat nowhere (not made)", stat("/sandbox/nowhere", &st));

    /* CREAT with DIRECTORY */
    try_open("creat|directory newfile", "newfile", creat | dir);
    try_open("creat|directory missing/x", "missing/x", creat | dir);
    try_open("creat|directory ../x", "../x", creat | dir);
    try_open("creat|directory sub", "sub", creat | dir);
    T("stat newfile (not made)", stat("/sandbox/newfile", &st));

    /* what works */
    try_open("creat new.txt", "new.txt", creat);
    try_open("directory sub/", "sub/", dir);
    T("unlink new.txt", unlink("/sandbox/new.txt"));
    return 0;
}
