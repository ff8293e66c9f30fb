/* sock.c: a guest TCP server on the socket granted with --tcplisten (fd 3: there are no
 * directories). It waits for the runner's client with poll, accepts it, peeks at and
 * reads its message (sock_recv, recv, read), echoes it with sock_send and write, shuts
 * its side down, and checks the errnos of the socket calls on the wrong fds.
 * TCP: yes
 * NODE: skip node:wasi cannot be given a listening socket
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "t.h"

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    __wasi_prestat_t pre;
    W("fd_prestat_get 3 (a socket, not a directory)", __wasi_fd_prestat_get(3, &pre));
    __wasi_fdstat_t st;
    W("fd_fdstat_get 3", __wasi_fd_fdstat_get(3, &st));
    printf("listener: stream socket %d, may accept %d, may read %d\n",
           st.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM,
           (st.fs_rights_base & __WASI_RIGHTS_SOCK_ACCEPT) != 0,
           (st.fs_rights_base & __WASI_RIGHTS_FD_READ) != 0);

    struct pollfd p = {.fd = 3, .events = POLLIN};
    printf("poll listener: %d, POLLIN %d\n", poll(&p, 1, 20000), (p.revents & POLLIN) != 0);
    int conn = accept(3, NULL, NULL);
    T("accept", conn);
    W("fd_fdstat_get conn", __wasi_fd_fdstat_get((__wasi_fd_t)conn, &st));
    printf("conn: stream socket %d, may read %d, write %d, shut down %d, accept %d\n",
           st.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM,
           (st.fs_rights_base & __WASI_RIGHTS_FD_READ) != 0,
           (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) != 0,
           (st.fs_rights_base & __WASI_RIGHTS_SOCK_SHUTDOWN) != 0,
           (st.fs_rights_base & __WASI_RIGHTS_SOCK_ACCEPT) != 0);

    /* Peek at the first 5 bytes (waiting for all 5), then read everything. */
    char peek[8] = {0};
    __wasi_iovec_t iov = {(uint8_t *)peek, 5};
    __wasi_size_t got = 0;
    __wasi_roflags_t ro = 0;
    W("sock_recv PEEK|WAITALL",
      __wasi_sock_recv((__wasi_fd_t)conn, &iov, 1,
                       __WASI_RIFLAGS_RECV_PEEK | __WASI_RIFLAGS_RECV_WAITALL, &got, &ro));
    printf("peeked %u: '%s', truncated %d\n", (unsigned)got, peek, ro != 0);
    char msg[256];
    size_t len = 0;
    ssize_t r;
    r = read(conn, msg, 3); /* fd_read on a socket */
    if (r > 0) len += (size_t)r;
    while (len < sizeof msg - 1 && (r = recv(conn, msg + len, sizeof msg - 1 - len, 0)) > 0)
        len += (size_t)r;
    msg[len] = '\0';
    printf("received %zu bytes: '%.*s'\n", len, len ? (int)len - 1 : 0, msg);
    T("recv after the client's shutdown (EOF)", recv(conn, msg, 1, 0));

    /* Echo: two iovecs through sock_send, one more line through write. */
    __wasi_ciovec_t out[2] = {{(const uint8_t *)"echo: ", 6}, {(const uint8_t *)msg, len}};
    __wasi_size_t sent = 0;
    W("sock_send", __wasi_sock_send((__wasi_fd_t)conn, out, 2, 0, &sent));
    printf("sent %u bytes\n", (unsigned)sent);
    T("write bye", write(conn, "bye\n", 4));
    W("sock_send with flags", __wasi_sock_send((__wasi_fd_t)conn, out, 1, 1, &sent));
    W("sock_shutdown 0", __wasi_sock_shutdown((__wasi_fd_t)conn, 0));
    W("sock_shutdown WR", __wasi_sock_shutdown((__wasi_fd_t)conn, __WASI_SDFLAGS_WR));

    /* The wrong fds. */
    __wasi_fd_t nfd;
    W("sock_accept on the connection", __wasi_sock_accept((__wasi_fd_t)conn, 0, &nfd));
    W("sock_accept on stdout", __wasi_sock_accept(1, 0, &nfd));
    W("sock_accept bad flags", __wasi_sock_accept(3, __WASI_FDFLAGS_APPEND, &nfd));
    T("F_SETFL O_NONBLOCK on the listener", fcntl(3, F_SETFL, O_NONBLOCK));
    W("sock_accept, nobody waiting", __wasi_sock_accept(3, __WASI_FDFLAGS_NONBLOCK, &nfd));
    W("sock_recv on the listener", __wasi_sock_recv(3, &iov, 1, 0, &got, &ro));
    W("sock_recv on stdout", __wasi_sock_recv(1, &iov, 1, 0, &got, &ro));
    W("sock_send on stdout", __wasi_sock_send(1, out, 1, 0, &sent));
    W("sock_shutdown on stdout", __wasi_sock_shutdown(1, __WASI_SDFLAGS_RD));
    W("sock_recv bad flags", __wasi_sock_recv((__wasi_fd_t)conn, &iov, 1, 4, &got, &ro));
    T("close conn", close(conn));
    T("close listener", close(3));
    return 0;
}
