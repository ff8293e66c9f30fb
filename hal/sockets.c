/* sockets.c: elastic:sockets: TCP clients and servers and UDP, under the operator's grants:
 * outgoing connections and datagrams only to "HOST:PORT" entries of the allow-list, and
 * listening only where a listen grant says (every denial is logged). TLS and DTLS on top
 * of these sockets live in tls.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

#include "sockets.h"

#define MAX_RECEIVE (1u << 20)

/* One allow-list or listen entry: host ("*" any) and port (-1 any). */
typedef struct net_entry {
    char host[256];
    int port;
} net_entry;

struct hal_net {
    net_entry *allow, *listen;
    uint32_t nallow, nlisten;
};

/* "HOST:PORT", "[V6]:PORT", "*:*" -> entry; -1 if malformed. */
static int parse_entry(const char *s, net_entry *e) {
    const char *colon;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':' || close - s - 1 <= 0 || close - s - 1 >= 255) return -1;
        memcpy(e->host, s + 1, (size_t)(close - s - 1));
        e->host[close - s - 1] = 0;
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || colon == s || colon - s >= 255) return -1;
        memcpy(e->host, s, (size_t)(colon - s));
        e->host[colon - s] = 0;
        if (strchr(e->host, ':')) return -1; /* IPv6 needs brackets */
    }
    const char *p = colon + 1;
    if (!strcmp(p, "*")) {
        e->port = -1;
        return 0;
    }
    char *end;
    long v = strtol(p, &end, 10);
    if (!*p || *end || v < 0 || v > 65535) return -1;
    e->port = (int)v;
    return 0;
}

static int parse_list(const char *const *v, uint32_t n, net_entry **out, const char *what,
                      elvm_error *err) {
    *out = calloc(n ? n : 1, sizeof **out);
    if (!*out) {
        elvm__hal_set_err(err, ELVM_NOMEM, "out of host memory");
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (parse_entry(v[i], &(*out)[i])) {
            elvm__hal_set_err(err, ELVM_ARG, "HAL %s entry '%s': expected HOST:PORT (HOST a "
                                             "name, an IPv4 address, [IPv6] or *; PORT a "
                                             "number or *)",
                              what, v[i]);
            return -1;
        }
    }
    return 0;
}

int elvm__hal_net_init(elvm_hal *h, elvm_error *err) {
    hal_net *n = calloc(1, sizeof *n);
    if (!n) {
        elvm__hal_set_err(err, ELVM_NOMEM, "out of host memory");
        return -1;
    }
    h->net = n;
    if (parse_list(h->cfg.net_allow, h->cfg.nnet_allow, &n->allow, "allow-list", err) ||
        parse_list(h->cfg.net_listen, h->cfg.nnet_listen, &n->listen, "listen", err))
        return -1;
    n->nallow = h->cfg.nnet_allow;
    n->nlisten = h->cfg.nnet_listen;
    return 0;
}

void elvm__hal_net_free(elvm_hal *h) {
    if (!h->net) return;
    free(h->net->allow);
    free(h->net->listen);
    free(h->net);
    h->net = NULL;
}

/* ---- grants ------------------------------------------------------------------------------ */

void elvm__hal_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len, uint16_t *port) {
    char ip[INET6_ADDRSTRLEN] = "?";
    uint16_t p = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        p = ntohs(a->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        p = ntohs(a->sin6_port);
    }
    if (port) *port = p;
    snprintf(buf, len, ss->ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, p);
}

/* The numeric form of an address, for comparing with IP entries. */
static void addr_ip(const struct sockaddr *sa, char *ip, size_t len) {
    ip[0] = 0;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, (socklen_t)len);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip, (socklen_t)len);
}

/* Whether an entry covers the name the guest gave (any address then), or else this
 * resolved address. */
static int entry_allows(const net_entry *e, const char *host, const char *ip, uint16_t port) {
    if (e->port >= 0 && e->port != port) return 0;
    if (!strcmp(e->host, "*") || !strcasecmp(e->host, host)) return 1;
    if (!ip || !ip[0]) return 0;
    /* Normalize the entry if it is an address literal. */
    unsigned char bin[16];
    char norm[INET6_ADDRSTRLEN];
    if (inet_pton(AF_INET, e->host, bin) == 1) inet_ntop(AF_INET, bin, norm, sizeof norm);
    else if (inet_pton(AF_INET6, e->host, bin) == 1) inet_ntop(AF_INET6, bin, norm, sizeof norm);
    else return 0;
    return !strcmp(norm, ip);
}

static int allowed(const elvm_hal *h, const char *host, const char *ip, uint16_t port) {
    for (uint32_t i = 0; i < h->net->nallow; i++)
        if (entry_allows(&h->net->allow[i], host, ip, port)) return 1;
    return 0;
}

int elvm__hal_listen_allowed(const elvm_hal *h, const char *addr, uint16_t port) {
    for (uint32_t i = 0; i < h->net->nlisten; i++) {
        const net_entry *e = &h->net->listen[i];
        if ((e->port < 0 || e->port == port) && (!strcmp(e->host, "*") || !strcmp(e->host, addr)))
            return 1;
    }
    return 0;
}

int elvm__hal_net_errno(int e) {
    switch (e) {
    case ECONNREFUSED: return HAL_NET_CONNECTION_REFUSED;
    case ETIMEDOUT:
    case EAGAIN: return HAL_NET_TIMEOUT;
    case EPIPE:
    case ECONNRESET:
    case ENOTCONN: return HAL_NET_CLOSED;
    case EADDRINUSE: return HAL_NET_ADDRESS_IN_USE;
    case EADDRNOTAVAIL:
    case EAFNOSUPPORT:
    case EINVAL: return HAL_NET_INVALID_ARGUMENT;
    case EACCES:
    case EPERM: return HAL_NET_NOT_PERMITTED;
    default: return HAL_NET_IO_ERROR;
    }
}

int elvm__hal_wait_readable(int fd, uint32_t timeout_ms) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int t = timeout_ms == UINT32_MAX ? -1 : timeout_ms > INT32_MAX ? INT32_MAX : (int)timeout_ms;
    for (;;) {
        int n = poll(&p, 1, t);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return HAL_NET_IO_ERROR;
        return n == 0 ? HAL_NET_TIMEOUT : -1;
    }
}

/* Resolves host:port; *res is freed by the caller (freeaddrinfo). */
static int resolve(const char *host, uint16_t port, int type, struct addrinfo **res) {
    struct addrinfo hints = {.ai_socktype = type, .ai_flags = AI_NUMERICSERV};
    char ps[8];
    snprintf(ps, sizeof ps, "%u", port);
    int rc = getaddrinfo(host, ps, &hints, res);
    return rc == 0 ? -1 : HAL_NET_NAME_RESOLUTION_FAILED;
}

/* A nonblocking connect bounded by timeout_ms; the socket is blocking again after. */
static int connect_timeout(int fd, const struct sockaddr *sa, socklen_t len, uint32_t timeout_ms) {
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    int rc = connect(fd, sa, len), e = -1;
    if (rc && errno != EINPROGRESS) {
        e = elvm__hal_net_errno(errno);
    } else if (rc) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int t = timeout_ms == UINT32_MAX ? -1 : timeout_ms > INT32_MAX ? INT32_MAX : (int)timeout_ms;
        int n;
        while ((n = poll(&p, 1, t)) < 0 && errno == EINTR) {
        }
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (n == 0) e = HAL_NET_TIMEOUT;
        else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl)) e = HAL_NET_IO_ERROR;
        else if (soerr) e = elvm__hal_net_errno(soerr);
    }
    fcntl(fd, F_SETFL, fl);
    return e;
}

int elvm__hal_tcp_connect(elvm_hal *h, const char *host, uint16_t port, uint32_t timeout_ms,
                          int *fd) {
    struct addrinfo *res, *ai;
    *fd = -1;
    /* Checked before resolving too: a name on no entry never reaches DNS. */
    int any = allowed(h, host, NULL, port);
    for (uint32_t i = 0; !any && i < h->net->nallow; i++) {
        unsigned char bin[16];
        const net_entry *e = &h->net->allow[i];
        any = (e->port < 0 || e->port == port) &&
              (inet_pton(AF_INET, e->host, bin) == 1 || inet_pton(AF_INET6, e->host, bin) == 1);
    }
    if (!any) {
        hal_log(h, "denied", "sockets: connect %s:%u: not on the allow-list", host, port);
        return HAL_NET_NOT_PERMITTED;
    }
    int e = resolve(host, port, SOCK_STREAM, &res);
    if (e >= 0) return e;
    e = HAL_NET_NOT_PERMITTED;
    for (ai = res; ai; ai = ai->ai_next) {
        char ip[INET6_ADDRSTRLEN];
        addr_ip(ai->ai_addr, ip, sizeof ip);
        if (!allowed(h, host, ip, port)) continue;
        int s = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0) {
            e = HAL_NET_IO_ERROR;
            continue;
        }
        e = connect_timeout(s, ai->ai_addr, ai->ai_addrlen, timeout_ms);
        if (e < 0) {
            *fd = s;
            break;
        }
        close(s);
    }
    freeaddrinfo(res);
    if (e == HAL_NET_NOT_PERMITTED)
        hal_log(h, "denied", "sockets: connect %s:%u: no address of it is on the allow-list",
                host, port);
    return e;
}

int elvm__hal_net_resolve(elvm_hal *h, const char *host, uint16_t port, int type,
                          struct sockaddr_storage *out, socklen_t *len) {
    struct addrinfo *res, *ai;
    int e = resolve(host, port, type, &res);
    if (e >= 0) {
        if (!allowed(h, host, NULL, port))
            hal_log(h, "denied", "sockets: send to %s:%u: not on the allow-list", host, port);
        return allowed(h, host, NULL, port) ? e : HAL_NET_NOT_PERMITTED;
    }
    e = HAL_NET_NOT_PERMITTED;
    for (ai = res; ai; ai = ai->ai_next) {
        char ip[INET6_ADDRSTRLEN];
        addr_ip(ai->ai_addr, ip, sizeof ip);
        if (!allowed(h, host, ip, port)) continue;
        memcpy(out, ai->ai_addr, ai->ai_addrlen);
        *len = ai->ai_addrlen;
        e = -1;
        break;
    }
    freeaddrinfo(res);
    if (e >= 0) hal_log(h, "denied", "sockets: send to %s:%u: not on the allow-list", host, port);
    return e;
}

/* Binds a socket of `type` to addr:port (numeric). */
static int bind_socket(const char *addr, uint16_t port, int type, int *fd) {
    struct addrinfo hints = {.ai_socktype = type, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE};
    struct addrinfo *res;
    char ps[8];
    snprintf(ps, sizeof ps, "%u", port);
    if (getaddrinfo(addr, ps, &hints, &res)) return HAL_NET_INVALID_ARGUMENT;
    int s = socket(res->ai_family, type | SOCK_CLOEXEC, 0), e = -1, one = 1;
    if (s < 0) e = HAL_NET_IO_ERROR;
    else if (type == SOCK_STREAM) setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (e < 0 && bind(s, res->ai_addr, res->ai_addrlen)) e = elvm__hal_net_errno(errno);
    if (e < 0 && type == SOCK_STREAM && listen(s, 64)) e = elvm__hal_net_errno(errno);
    freeaddrinfo(res);
    if (e >= 0 && s >= 0) close(s);
    *fd = e < 0 ? s : -1;
    return e;
}

int elvm__hal_tcp_listen(elvm_hal *h, const char *addr, uint16_t port, int *fd) {
    *fd = -1;
    if (!elvm__hal_listen_allowed(h, addr, port)) {
        hal_log(h, "denied", "sockets: listen on %s:%u: not granted", addr, port);
        return HAL_NET_NOT_PERMITTED;
    }
    return bind_socket(addr, port, SOCK_STREAM, fd);
}

/* ---- the interface ------------------------------------------------------------------------- */

static void sock_drop(elvm_hal *h, void *obj) {
    (void)h;
    hal_sock *s = obj;
    if (s->fd >= 0) close(s->fd);
    free(s);
}

void elvm__hal_sockets_setup(elvm_hal *h) {
    h->drop[HAL_RES_TCP_SOCKET] = sock_drop;
    h->drop[HAL_RES_TCP_LISTENER] = sock_drop;
    h->drop[HAL_RES_UDP_SOCKET] = sock_drop;
    elvm__hal_tls_setup(h);
}

/* A host string argument; *e = invalid-argument for one with a NUL. */
static int str_arg(hal_call *c, const elvm_val *a, int i, const char *what, char **out, int *e) {
    int nul = 0;
    HAL_TRY(hal_string(c, hal_u32(a, i), hal_u32(a, i + 1), what, out, &nul));
    if (nul) *e = HAL_NET_INVALID_ARGUMENT;
    return 0;
}

/* result<handle, socket-error> for a new socket fd. */
static int ret_sock(hal_call *c, uint32_t ret, hal_res_type type, int fd, int e) {
    if (e >= 0) return hal_ret_u32(c, ret, 0, e);
    hal_sock *s = malloc(sizeof *s);
    uint32_t handle = s ? hal_handle_new(c->h, type, s) : 0;
    if (!handle) {
        free(s);
        close(fd);
        return hal_trap(c, ELVM_TRAP_HOST, "out of host memory");
    }
    s->fd = fd;
    return hal_ret_u32(c, ret, handle, -1);
}

/* [static]tcp-socket.connect: func(host: string, port: u16, timeout-ms: u32)
 *   -> result<tcp-socket, socket-error> */
static int t_connect(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t ret = hal_u32(a, 4);
    char *host;
    int e = -1, fd = -1;
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    HAL_TRY(str_arg(c, a, 0, "host", &host, &e));
    if (e < 0) e = elvm__hal_tcp_connect(c->h, host, (uint16_t)hal_u32(a, 2), hal_u32(a, 3), &fd);
    free(host);
    return ret_sock(c, ret, HAL_RES_TCP_SOCKET, fd, e);
}

/* Sends all of data on a connected socket; the count or an error. */
static int send_all(int fd, const uint8_t *p, size_t n, size_t *sent) {
    *sent = 0;
    while (*sent < n) {
        ssize_t k = send(fd, p + *sent, n - *sent, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return elvm__hal_net_errno(errno);
        *sent += (size_t)k;
    }
    return -1;
}

/* [method]tcp-socket.send: func(data: list<u8>) -> result<u32, socket-error> */
static int t_send(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_sock *s;
    const uint8_t *data;
    uint32_t ret = hal_u32(a, 3);
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_TCP_SOCKET, (void **)&s));
    HAL_TRY(hal_in(c, hal_u32(a, 1), hal_u32(a, 2), "data", &data));
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    size_t sent;
    int e = send_all(s->fd, data, hal_u32(a, 2), &sent);
    return hal_ret_u32(c, ret, (uint32_t)sent, e);
}

/* [method]tcp-socket.receive: func(max: u32, timeout-ms: u32) -> result<list<u8>, socket-error>
 * An empty list: the peer closed its side. */
static int t_receive(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_sock *s;
    uint32_t max = hal_u32(a, 1), ret = hal_u32(a, 3);
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_TCP_SOCKET, (void **)&s));
    HAL_TRY(hal_retarea(c, ret, 12, 4));
    if (max == 0) return hal_ret_bytes(c, ret, NULL, 0, HAL_NET_INVALID_ARGUMENT);
    if (max > MAX_RECEIVE) max = MAX_RECEIVE;
    int e = elvm__hal_wait_readable(s->fd, hal_u32(a, 2));
    if (e >= 0) return hal_ret_bytes(c, ret, NULL, 0, e);
    uint8_t *buf = malloc(max);
    if (!buf) return hal_trap(c, ELVM_TRAP_HOST, "out of host memory");
    ssize_t n;
    while ((n = recv(s->fd, buf, max, 0)) < 0 && errno == EINTR) {
    }
    int rc = n < 0 ? hal_ret_bytes(c, ret, NULL, 0, elvm__hal_net_errno(errno))
                   : hal_ret_bytes(c, ret, buf, (size_t)n, -1);
    free(buf);
    return rc;
}

/* [method]tcp-socket.shutdown: func() -> result<_, socket-error>: ends the sending side. */
static int t_shutdown(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_sock *s;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_TCP_SOCKET, (void **)&s));
    HAL_TRY(hal_retarea(c, hal_u32(a, 1), 2, 1));
    int e = shutdown(s->fd, SHUT_WR) ? elvm__hal_net_errno(errno) : -1;
    return hal_ret_unit(c, hal_u32(a, 1), e);
}

/* [method]tcp-socket.peer-address: func() -> result<string, socket-error>: "IP:PORT". */
static int t_peer(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_sock *s;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_TCP_SOCKET, (void **)&s));
    HAL_TRY(hal_retarea(c, hal_u32(a, 1), 12, 4));
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getpeername(s->fd, (struct sockaddr *)&ss, &sl))
        return hal_ret_bytes(c, hal_u32(a, 1), NULL, 0, elvm__hal_net_errno(errno));
    char buf[80];
    elvm__hal_addr_str(&ss, buf, sizeof buf, NULL);
    return hal_ret_bytes(c, hal_u32(a, 1), buf, strlen(buf), -1);
}

static int drop_tcp(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    return hal_drop(c, hal_u32(a, 0), HAL_RES_TCP_SOCKET);
}

/* [static]tcp-listener.listen: func(address: string, port: u16)
 *   -> result<tcp-listener, socket-error>; port 0 picks a free port. */
static int l_listen(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t ret = hal_u32(a, 3);
    char *addr;
    int e = -1, fd = -1;
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    HAL_TRY(str_arg(c, a, 0, "address", &addr, &e));
    if (e < 0) e = elvm__hal_tcp_listen(c->h, addr, (uint16_t)hal_u32(a, 2), &fd);
    free(addr);
    return ret_sock(c, ret, HAL_RES_TCP_LISTENER, fd, e);
}

static uint16_t local_port(int fd) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    uint16_t port = 0;
    char buf[80];
    if (!getsockname(fd, (struct sockaddr *)&ss, &sl)) elvm__hal_addr_str(&ss, buf, sizeof buf, &port);
    return port;
}

/* [method]tcp-listener.local-port, [method]udp-socket.local-port: func() -> u16 */
static int l_port(hal_call *c, const elvm_val *a, elvm_val *r) {
    hal_sock *s;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_TCP_LISTENER, (void **)&s));
    hal_set_i32(r, local_port(s->fd));
    return 0;
}

/* [method]tcp-listener.accept: func(timeout-ms: u32) -> result<tcp-socket, socket-error> */
static int l_accept(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_sock *s;
    uint32_t ret = hal_u32(a, 2);
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_TCP_LISTENER, (void **)&s));
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    int e = elvm__hal_wait_readable(s->fd, hal_u32(a, 1)), fd = -1;
    if (e < 0) {
        while ((fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC)) < 0 && errno == EINTR) {
        }
        if (fd < 0) e = elvm__hal_net_errno(errno);
    }
    return ret_sock(c, ret, HAL_RES_TCP_SOCKET, fd, e);
}

static int drop_listener(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    return hal_drop(c, hal_u32(a, 0), HAL_RES_TCP_LISTENER);
}

/* [static]udp-socket.bind: func(address: string, port: u16) -> result<udp-socket, socket-error>
 * Port 0 (a client's ephemeral port) needs no grant; another port needs a listen grant. */
static int u_bind(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t ret = hal_u32(a, 3);
    uint16_t port = (uint16_t)hal_u32(a, 2);
    char *addr;
    int e = -1, fd = -1;
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    HAL_TRY(str_arg(c, a, 0, "address", &addr, &e));
    if (e < 0 && port && !elvm__hal_listen_allowed(c->h, addr, port)) {
        hal_log(c->h, "denied", "sockets: bind udp %s:%u: not granted", addr, port);
        e = HAL_NET_NOT_PERMITTED;
    }
    if (e < 0) e = bind_socket(addr, port, SOCK_DGRAM, &fd);
    free(addr);
    return ret_sock(c, ret, HAL_RES_UDP_SOCKET, fd, e);
}

static int u_port(hal_call *c, const elvm_val *a, elvm_val *r) {
    hal_sock *s;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_UDP_SOCKET, (void **)&s));
    hal_set_i32(r, local_port(s->fd));
    return 0;
}

/* [method]udp-socket.send-to: func(host: string, port: u16, data: list<u8>)
 *   -> result<u32, socket-error>: only to the allow-list. */
static int u_send_to(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_sock *s;
    const uint8_t *data;
    uint32_t ret = hal_u32(a, 6);
    char *host;
    int e = -1;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_UDP_SOCKET, (void **)&s));
    HAL_TRY(hal_in(c, hal_u32(a, 4), hal_u32(a, 5), "data", &data));
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    HAL_TRY(str_arg(c, a, 1, "host", &host, &e));
    struct sockaddr_storage ss;
    socklen_t sl = 0;
    ssize_t n = 0;
    if (e < 0) e = elvm__hal_net_resolve(c->h, host, (uint16_t)hal_u32(a, 3), SOCK_DGRAM, &ss, &sl);
    free(host);
    if (e < 0) {
        while ((n = sendto(s->fd, data, hal_u32(a, 5), MSG_NOSIGNAL, (struct sockaddr *)&ss, sl)) < 0 &&
               errno == EINTR) {
        }
        if (n < 0) e = elvm__hal_net_errno(errno);
    }
    return hal_ret_u32(c, ret, (uint32_t)(n > 0 ? n : 0), e);
}

/* [method]udp-socket.receive-from: func(max: u32, timeout-ms: u32)
 *   -> result<datagram, socket-error>
 * record datagram { data: list<u8>, address: string, port: u16 }: result disc @0,
 * data @4, address @12, port u16 @20; 24 bytes, align 4. */
static int u_receive_from(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_sock *s;
    uint32_t max = hal_u32(a, 1), ret = hal_u32(a, 3);
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_UDP_SOCKET, (void **)&s));
    HAL_TRY(hal_retarea(c, ret, 24, 4));
    int e = max ? elvm__hal_wait_readable(s->fd, hal_u32(a, 2)) : HAL_NET_INVALID_ARGUMENT;
    if (e >= 0) {
        hal_st8(c, ret, 1);
        hal_st8(c, ret + 4, (uint8_t)e);
        return 0;
    }
    if (max > 65536) max = 65536;
    uint8_t *buf = malloc(max);
    if (!buf) return hal_trap(c, ELVM_TRAP_HOST, "out of host memory");
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    ssize_t n;
    while ((n = recvfrom(s->fd, buf, max, 0, (struct sockaddr *)&ss, &sl)) < 0 && errno == EINTR) {
    }
    if (n < 0) {
        free(buf);
        hal_st8(c, ret, 1);
        hal_st8(c, ret + 4, (uint8_t)elvm__hal_net_errno(errno));
        return 0;
    }
    char addr[80], *colon;
    uint16_t port;
    elvm__hal_addr_str(&ss, addr, sizeof addr, &port);
    if ((colon = strrchr(addr, ':'))) *colon = 0; /* the address alone, port apart */
    const char *ap = addr[0] == '[' ? addr + 1 : addr;
    size_t al = strlen(ap) - (addr[0] == '[' ? 1 : 0);
    uint32_t pd, pa;
    int rc = hal_alloc(c, buf, (size_t)n, 1, &pd);
    free(buf);
    HAL_TRY(rc);
    HAL_TRY(hal_alloc(c, ap, al, 1, &pa));
    HAL_TRY(hal_retarea(c, ret, 24, 4));
    hal_st8(c, ret, 0);
    hal_st32(c, ret + 4, pd);
    hal_st32(c, ret + 8, (uint32_t)n);
    hal_st32(c, ret + 12, pa);
    hal_st32(c, ret + 16, (uint32_t)al);
    hal_st16(c, ret + 20, port);
    return 0;
}

static int drop_udp(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    return hal_drop(c, hal_u32(a, 0), HAL_RES_UDP_SOCKET);
}

static const hal_func funcs[] = {
    {"[static]tcp-socket.connect", "iiiii", "", t_connect},
    {"[method]tcp-socket.send", "iiii", "", t_send},
    {"[method]tcp-socket.receive", "iiii", "", t_receive},
    {"[method]tcp-socket.shutdown", "ii", "", t_shutdown},
    {"[method]tcp-socket.peer-address", "ii", "", t_peer},
    {"[resource-drop]tcp-socket", "i", "", drop_tcp},
    {"[static]tcp-listener.listen", "iiii", "", l_listen},
    {"[method]tcp-listener.local-port", "i", "i", l_port},
    {"[method]tcp-listener.accept", "iii", "", l_accept},
    {"[resource-drop]tcp-listener", "i", "", drop_listener},
    {"[static]udp-socket.bind", "iiii", "", u_bind},
    {"[method]udp-socket.local-port", "i", "i", u_port},
    {"[method]udp-socket.send-to", "iiiiiii", "", u_send_to},
    {"[method]udp-socket.receive-from", "iiii", "", u_receive_from},
    {"[resource-drop]udp-socket", "i", "", drop_udp},
    HAL_TLS_FUNCS
};

const hal_iface_desc elvm__hal_SOCKETS = {ELVM_HAL_SOCKETS, HAL_MODULE("sockets"), funcs,
                                          sizeof funcs / sizeof funcs[0]};
