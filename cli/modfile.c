/* modfile.c: a module file's bytes for elvm_module_new_take. A regular file is mapped
 * (MAP_PRIVATE, read-only) rather than read into a fresh buffer: the module then uses the
 * page cache's pages, and a 21 MB module costs a few hundred page faults instead of one
 * per 4 KiB page, twice (flite.wasm, 21.5 MB: `elvm validate` 165 ms -> 12 ms).
 *
 * A mapped file that another process truncates while elvm runs would make the next read
 * of a page past the new end raise SIGBUS. The handler here recognizes an address inside
 * a mapped module file, prints a one-line error and exits with CLI_EXIT_ERROR; any other
 * SIGBUS goes to the handler it replaced (elvm's guard-page handler chains to this one the
 * same way). Other files (pipes, /dev/stdin, empty files) are read with cli_read_file. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* The mapped files, for the SIGBUS handler: filled before the mapping is used, and read
 * only by the handler. The CLI maps one module per process; more fall back to reading. */
#define MAX_MAPPED 8
static struct {
    const uint8_t *volatile start;
    size_t len;
    char msg[512]; /* the whole error line, formatted while it was safe to */
    size_t msglen;
} mapped[MAX_MAPPED];
static volatile sig_atomic_t nmapped;
static struct sigaction old_bus;

static void on_sigbus(int sig, siginfo_t *info, void *uctx) {
    const uint8_t *a = info->si_addr;
    for (sig_atomic_t i = 0; i < nmapped; i++) {
        if (mapped[i].start && a >= mapped[i].start && a < mapped[i].start + mapped[i].len) {
            ssize_t w = write(STDERR_FILENO, mapped[i].msg, mapped[i].msglen);
            (void)w;
            _exit(CLI_EXIT_ERROR);
        }
    }
    if (old_bus.sa_flags & SA_SIGINFO) {
        if (old_bus.sa_sigaction) {
            old_bus.sa_sigaction(sig, info, uctx);
            return;
        }
    } else if (old_bus.sa_handler != SIG_DFL && old_bus.sa_handler != SIG_IGN) {
        old_bus.sa_handler(sig);
        return;
    }
    signal(sig, SIG_DFL); /* the access faults again and the process dies as it would have */
}

static int install_handler(void) {
    static int installed;
    if (installed) return 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGBUS, &sa, &old_bus) != 0) return -1;
    installed = 1;
    return 0;
}

/* "elvm: error: PATH: the file was truncated while elvm was using it\n" in msg (cut to
 * `size` bytes, the newline kept); returns its length. Plain copies: the first snprintf
 * of a process costs ~25 us here (the printf machinery's pages), a tenth of a
 * hello-world run's own time, and a successful run prints nothing else. */
static size_t truncated_msg(char *msg, size_t size, const char *path) {
    const char *parts[] = {"elvm: error: ", path, ": the file was truncated while elvm was using it"};
    size_t n = 0;
    for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
        size_t len = strlen(parts[k]);
        if (len > size - 1 - n) len = size - 1 - n;
        memcpy(msg + n, parts[k], len);
        n += len;
    }
    msg[n++] = '\n';
    return n;
}

static void unmap_bytes(uint8_t *bytes, size_t len, void *ud) {
    (void)ud;
    for (sig_atomic_t i = 0; i < nmapped; i++)
        if (mapped[i].start == bytes) mapped[i].start = NULL;
    munmap(bytes, len);
}

int cli_module_bytes(const char *path, uint8_t **bytes, size_t *len, elvm_bytes_release *release) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (uint64_t)st.st_size <= (uint64_t)SIZE_MAX && nmapped < MAX_MAPPED &&
        install_handler() == 0) {
        size_t n = (size_t)st.st_size;
        void *p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p != MAP_FAILED) {
            close(fd);
            sig_atomic_t i = nmapped;
            mapped[i].msglen = truncated_msg(mapped[i].msg, sizeof mapped[i].msg, path);
            mapped[i].len = n;
            mapped[i].start = p;
            nmapped = i + 1;
            *bytes = p;
            *len = n;
            *release = unmap_bytes;
            return 0;
        }
    }
    if (fd >= 0) close(fd);
    /* not mappable: read it (cli_read_file reports what is wrong with it) */
    *release = cli_free_bytes;
    return cli_read_file(path, bytes, len);
}
