/* sockets.h: private to hal/ (and its host tests): the network grants of elastic:sockets
 * and what sockets.c and tls.c share. */
#ifndef ELVM_HAL_SOCKETS_H
#define ELVM_HAL_SOCKETS_H

#include <stdint.h>
#include <sys/socket.h>

#include "hal_impl.h"

/* socket-error, in WIT order. */
enum {
    HAL_NET_NOT_PERMITTED = 0,
    HAL_NET_INVALID_ARGUMENT = 1,
    HAL_NET_NAME_RESOLUTION_FAILED = 2,
    HAL_NET_CONNECTION_REFUSED = 3,
    HAL_NET_TIMEOUT = 4,
    HAL_NET_CLOSED = 5,
    HAL_NET_ADDRESS_IN_USE = 6,
    HAL_NET_TLS_HANDSHAKE_FAILED = 7,
    HAL_NET_CERTIFICATE_INVALID = 8,
    HAL_NET_IO_ERROR = 9,
};

/* A plain socket: tcp-socket, tcp-listener or udp-socket. */
typedef struct hal_sock {
    int fd;
} hal_sock;

/* Each returns -1 on success or a socket-error. */
/* Connects a TCP socket to host:port when the allow-list lets it (else not-permitted,
 * logged), trying each resolved address the list allows, within timeout_ms. */
ELVM__HIDDEN int elvm__hal_tcp_connect(elvm_hal *h, const char *host, uint16_t port,
                                       uint32_t timeout_ms, int *fd);
/* A listening TCP socket on addr:port if a listen grant covers it. */
ELVM__HIDDEN int elvm__hal_tcp_listen(elvm_hal *h, const char *addr, uint16_t port, int *fd);
/* The allowed destination addresses of host:port (for UDP): fills *out (the first one);
 * not-permitted (logged) if none is allowed. */
ELVM__HIDDEN int elvm__hal_net_resolve(elvm_hal *h, const char *host, uint16_t port, int type,
                                       struct sockaddr_storage *out, socklen_t *len);
/* Whether a listen or bind on addr:port is granted (port 0 binds of UDP always are). */
ELVM__HIDDEN int elvm__hal_listen_allowed(const elvm_hal *h, const char *addr, uint16_t port);
/* Waits until fd is readable (POLLIN) within timeout_ms: -1 ready, or timeout/io-error. */
ELVM__HIDDEN int elvm__hal_wait_readable(int fd, uint32_t timeout_ms);
/* The error for a host errno. */
ELVM__HIDDEN int elvm__hal_net_errno(int e);
/* "ip:port" of a socket address. */
ELVM__HIDDEN void elvm__hal_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len,
                                     uint16_t *port);

/* tls.c: the tls-stream and dtls-session functions, which sockets.c's table lists. */
#define HAL_TLS_X(X)                                                         \
    X("[static]tls-stream.client", "iiiiiii", "", elvm__hal_tls_client)      \
    X("[static]tls-stream.server", "iiiiii", "", elvm__hal_tls_server)       \
    X("[method]tls-stream.send", "iiii", "", elvm__hal_tls_send)             \
    X("[method]tls-stream.receive", "iiii", "", elvm__hal_tls_receive)       \
    X("[method]tls-stream.close", "ii", "", elvm__hal_tls_close)             \
    X("[method]tls-stream.protocol", "ii", "", elvm__hal_tls_protocol)       \
    X("[resource-drop]tls-stream", "i", "", elvm__hal_tls_drop)              \
    X("[static]dtls-session.client", "iiiiiiiiii", "", elvm__hal_dtls_client) \
    X("[static]dtls-session.server", "iiiiiii", "", elvm__hal_dtls_server)   \
    X("[method]dtls-session.send", "iiii", "", elvm__hal_dtls_send)          \
    X("[method]dtls-session.receive", "iiii", "", elvm__hal_dtls_receive)    \
    X("[method]dtls-session.close", "ii", "", elvm__hal_dtls_close)          \
    X("[method]dtls-session.protocol", "ii", "", elvm__hal_dtls_protocol)    \
    X("[resource-drop]dtls-session", "i", "", elvm__hal_dtls_drop)
#define HAL_TLS_DECL(name, params, results, fn) \
    ELVM__HIDDEN int fn(hal_call *c, const elvm_val *a, elvm_val *r);
HAL_TLS_X(HAL_TLS_DECL)
#undef HAL_TLS_DECL
#define HAL_TLS_ENTRY(name, params, results, fn) {name, params, results, fn},
#define HAL_TLS_FUNCS HAL_TLS_X(HAL_TLS_ENTRY)
ELVM__HIDDEN void elvm__hal_tls_setup(elvm_hal *h);

#endif /* ELVM_HAL_SOCKETS_H */
