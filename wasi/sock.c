/* sock.c: TCP sockets: the listening sockets the embedder grants (`--tcplisten
 * ADDR:PORT`, bound before the guest starts) and sock_accept, sock_recv, sock_send and
 * sock_shutdown. Preview 1 has no way to create, bind or connect a socket: a guest
 * only ever serves on what it was given. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wasi_impl.h"

/* Connections waiting to be accepted, at most. */
#define WASI_LISTEN_BACKLOG 128

/* The address of `host`, numeric: IPv4 unless `bracketed`, which is IPv6, optionally with
 * a zone ("fe80::1%eth0", "fe80::1%2"). Fills `ss` and returns its length, 0 if `host` is
 * not such an address (a host name among them: resolving one would need NSS and DNS,
 * which a sandbox's grant should not depend on, and the static elvm does not link). */
static socklen_t numeric_addr(char *host, int bracketed, uint16_t port,
                              struct sockaddr_storage *ss) {
    memset(ss, 0, sizeof *ss);
    if (!bracketed) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
        if (inet_pton(AF_INET, host, &v4->sin_addr) != 1) return 0;
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        return sizeof *v4;
    }
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    char *zone = strchr(host, '%');
    if (zone) *zone++ = '\0';
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) != 1) return 0;
    if (zone) {
        char *end;
        unsigned long index = strtoul(zone, &end, 10);
        if (!*zone || *end || zone[0] < '0' || zone[0] > '9') index = if_nametoindex(zone);
        if (!index || index > UINT32_MAX) return 0;
        v6->sin6_scope_id = (uint32_t)index;
    }
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    return sizeof *v6;
}

int elvm__wasi_listen(const char *spec, char *why, size_t whylen) {
    char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
    const char *colon = strrchr(spec, ':');
    size_t hlen = colon ? (size_t)(colon - spec) : 0;
    if (!colon || hlen == 0 || !colon[1]) {
        snprintf(why, whylen, "expected ADDR:PORT, e.g. 127.0.0.1:8080 or [::1]:8080");
        return -1;
    }
    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end || colon[1] < '0' || colon[1] > '9' || port > 65535 || errno) {
        snprintf(why, whylen, "the port must be a number from 0 to 65535");
        return -1;
    }
    int bracketed = spec[0] == '[' && hlen >= 2 && spec[hlen - 1] == ']';
    if (bracketed) spec++, hlen -= 2;
    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    if (hlen < sizeof host) {
        memcpy(host, spec, hlen);
        host[hlen] = '\0';
        sslen = numeric_addr(host, bracketed, (uint16_t)port, &ss);
    }
    if (!sslen) {
        snprintf(why, whylen, "ADDR must be an IPv4 address or an IPv6 one in brackets "
                              "(127.0.0.1, [::1], [fe80::1%%eth0]), not a host name");
        return -1;
    }
    int one = 1, fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sslen) || listen(fd, WASI_LISTEN_BACKLOG)) {
        snprintf(why, whylen, "%s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* sock_accept(fd, fdflags, *fd): a new connection from a listening socket; the only
 * flag it takes is NONBLOCK. */
uint16_t elvm__wasi_sock_accept(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    uint32_t fd = wasi_arg_u32(a, 0), flags = wasi_arg_u32(a, 1), out = wasi_arg_u32(a, 2);
    wasi_fd *f = elvm__wasi_fd_get(c, fd, WASI_RIGHT_SOCK_ACCEPT, &e);
    if (!f) return e;
    if (f->kind != WASI_FD_LISTEN) return WASI_ERRNO_NOTSOCK;
    if (flags & ~(uint32_t)WASI_FDFLAG_NONBLOCK) return WASI_ERRNO_INVAL;
    if (!wasi_in_bounds(c, out, 4)) return WASI_ERRNO_FAULT;
    int host;
    do host = accept4(f->host, NULL, NULL,
                      SOCK_CLOEXEC | ((flags & WASI_FDFLAG_NONBLOCK) ? SOCK_NONBLOCK : 0));
    while (host < 0 && errno == EINTR);
    if (host < 0) return elvm__wasi_errno(errno);
    int64_t n = elvm__wasi_fd_insert(c->w, host, WASI_FD_SOCKET, WASI_FILETYPE_SOCKET_STREAM,
                                     f->rights_inheriting, 0, f, &e);
    if (n < 0) {
        close(host);
        return e;
    }
    wasi_store_u32(c, out, (uint32_t)n);
    return WASI_ERRNO_SUCCESS;
}

/* The connection `fd` with `rights`; NOTSOCK for anything else. */
static wasi_fd *conn_get(wasi_call *c, uint32_t fd, uint64_t rights, uint16_t *e) {
    wasi_fd *f = elvm__wasi_fd_get(c, fd, 0, e);
    if (f && f->filetype != WASI_FILETYPE_SOCKET_STREAM &&
        f->filetype != WASI_FILETYPE_SOCKET_DGRAM) {
        *e = WASI_ERRNO_NOTSOCK;
        return NULL;
    }
    return f ? elvm__wasi_fd_get(c, fd, rights, e) : NULL;
}

/* sock_recv(fd, ri_data, ri_data_len, riflags, *ro_datalen, *roflags u16) */
uint16_t elvm__wasi_sock_recv(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    uint32_t iovs = wasi_arg_u32(a, 1), n = wasi_arg_u32(a, 2), ri = wasi_arg_u32(a, 3);
    uint32_t out_len = wasi_arg_u32(a, 4), out_flags = wasi_arg_u32(a, 5);
    wasi_fd *f = conn_get(c, wasi_arg_u32(a, 0), WASI_RIGHT_FD_READ, &e);
    if (!f) return e;
    if (ri & ~(uint32_t)(WASI_RIFLAG_PEEK | WASI_RIFLAG_WAITALL)) return WASI_ERRNO_INVAL;
    if (!wasi_in_bounds(c, out_len, 4) || !wasi_in_bounds(c, out_flags, 2))
        return WASI_ERRNO_FAULT;
    wasi_io io = {.op = WASI_IO_RECV};
    if (ri & WASI_RIFLAG_PEEK) io.msg_flags |= MSG_PEEK;
    if (ri & WASI_RIFLAG_WAITALL) io.msg_flags |= MSG_WAITALL;
    if ((e = elvm__wasi_io(c, f->host, iovs, n, &io))) return e;
    wasi_store_u32(c, out_len, io.done);
    wasi_store_u16(c, out_flags, (io.msg_flags_out & MSG_TRUNC) ? WASI_ROFLAG_DATA_TRUNCATED : 0);
    return WASI_ERRNO_SUCCESS;
}

/* sock_send(fd, si_data, si_data_len, siflags u16, *so_datalen): siflags has no flags
 * defined; anything set is INVAL. */
uint16_t elvm__wasi_sock_send(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    uint32_t iovs = wasi_arg_u32(a, 1), n = wasi_arg_u32(a, 2), si = wasi_arg_u32(a, 3);
    uint32_t out = wasi_arg_u32(a, 4);
    wasi_fd *f = conn_get(c, wasi_arg_u32(a, 0), WASI_RIGHT_FD_WRITE, &e);
    if (!f) return e;
    if (si) return WASI_ERRNO_INVAL;
    if (!wasi_in_bounds(c, out, 4)) return WASI_ERRNO_FAULT;
    wasi_io io = {.op = WASI_IO_SEND};
    if ((e = elvm__wasi_io(c, f->host, iovs, n, &io))) return e;
    wasi_store_u32(c, out, io.done);
    return WASI_ERRNO_SUCCESS;
}

/* sock_shutdown(fd, sdflags u8): RD, WR or both. */
uint16_t elvm__wasi_sock_shutdown(wasi_call *c, const elvm_val *a) {
    uint16_t e;
    uint32_t how = wasi_arg_u32(a, 1);
    wasi_fd *f = conn_get(c, wasi_arg_u32(a, 0), WASI_RIGHT_SOCK_SHUTDOWN, &e);
    if (!f) return e;
    int h;
    switch (how) {
    case WASI_SDFLAG_RD: h = SHUT_RD; break;
    case WASI_SDFLAG_WR: h = SHUT_WR; break;
    case WASI_SDFLAG_RD | WASI_SDFLAG_WR: h = SHUT_RDWR; break;
    default: return WASI_ERRNO_INVAL;
    }
    return shutdown(f->host, h) ? elvm__wasi_errno(errno) : WASI_ERRNO_SUCCESS;
}
