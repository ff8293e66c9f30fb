/* tls.c: TLS and DTLS for elastic:sockets, with OpenSSL's libssl: a tls-stream over a
 * tcp-socket and a dtls-session over a udp-socket, each as client (certificate and host
 * name verified by default against the system roots, the operator's CA file, or the PEM
 * roots the guest passes) or as server (the guest's PEM certificate and key). The socket
 * handle passed in is consumed (an own<...> in WIT) whatever the outcome. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>

/* openssl/err.h uses INT_MAX, and <limits.h> here finds vm/limits.h first (-Ivm). */
#ifndef INT_MAX
#define INT_MAX __INT_MAX__
#endif
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "sockets.h"

#define MAX_RECEIVE (1u << 20)
#define HANDSHAKE_TIMEOUT_S 15

typedef struct hal_tls {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
} hal_tls;

static void tls_free(hal_tls *t) {
    if (!t) return;
    SSL_free(t->ssl);
    SSL_CTX_free(t->ctx);
    if (t->fd >= 0) close(t->fd);
    free(t);
}

static void tls_drop_obj(elvm_hal *h, void *obj) {
    (void)h;
    tls_free(obj);
}

void elvm__hal_tls_setup(elvm_hal *h) {
    h->drop[HAL_RES_TLS_STREAM] = tls_drop_obj;
    h->drop[HAL_RES_DTLS_SESSION] = tls_drop_obj;
}

/* OpenSSL writes to sockets with write(2): a peer that went away would raise SIGPIPE.
 * Ignore it once, unless the embedder installed a handler of its own. */
static void no_sigpipe(void) {
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) signal(SIGPIPE, SIG_IGN);
}

/* Takes the socket handle out of the table: its fd is ours now. */
static int take_socket(hal_call *c, uint32_t handle, hal_res_type type, int *fd) {
    hal_sock *s;
    HAL_TRY(hal_handle_get(c, handle, type, (void **)&s));
    hal_handle_take(c->h, handle);
    *fd = s->fd;
    free(s);
    return 0;
}

/* Loads PEM certificates as trust roots; -1 if none could be read. */
static int load_roots(SSL_CTX *ctx, const uint8_t *pem, size_t len) {
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    X509_STORE *st = SSL_CTX_get_cert_store(ctx);
    X509 *x;
    int n = 0;
    while (b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
        n += X509_STORE_add_cert(st, x) == 1;
        X509_free(x);
    }
    ERR_clear_error();
    BIO_free(b);
    return n ? 0 : -1;
}

/* The server's certificate chain and key from PEM; -1 if they do not load or match. */
static int load_identity(SSL_CTX *ctx, const uint8_t *cert, size_t clen, const uint8_t *key,
                         size_t klen) {
    BIO *cb = BIO_new_mem_buf(cert, (int)clen), *kb = BIO_new_mem_buf(key, (int)klen);
    X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    EVP_PKEY *pk = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    int ok = x && pk && SSL_CTX_use_certificate(ctx, x) == 1 && SSL_CTX_use_PrivateKey(ctx, pk) == 1 &&
             SSL_CTX_check_private_key(ctx) == 1;
    X509 *extra;
    while (ok && (extra = PEM_read_bio_X509(cb, NULL, NULL, NULL)))
        if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) X509_free(extra);
    X509_free(x);
    EVP_PKEY_free(pk);
    BIO_free(cb);
    BIO_free(kb);
    ERR_clear_error();
    return ok ? 0 : -1;
}

static void set_timeouts(int fd, int seconds) {
    struct timeval tv = {.tv_sec = seconds};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* The handshake's outcome as a socket-error, logging why it failed. */
static int handshake(elvm_hal *h, hal_tls *t, int client, const char *what) {
    set_timeouts(t->fd, HANDSHAKE_TIMEOUT_S);
    int rc = client ? SSL_connect(t->ssl) : SSL_accept(t->ssl);
    set_timeouts(t->fd, 0);
    if (rc == 1) return -1;
    long v = SSL_get_verify_result(t->ssl);
    char buf[200];
    unsigned long e = ERR_peek_error();
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    if (client && v != X509_V_OK) {
        hal_log(h, "error", "sockets: %s: certificate verification failed: %s", what,
                X509_verify_cert_error_string(v));
        return HAL_NET_CERTIFICATE_INVALID;
    }
    hal_log(h, "error", "sockets: %s: handshake failed: %s", what, e ? buf : "peer closed");
    return HAL_NET_TLS_HANDSHAKE_FAILED;
}

/* A client context: verification on unless `verify` is 0 (logged), roots from the
 * guest's PEM, else the operator's CA file, else the system store. */
static int client_setup(hal_call *c, hal_tls *t, int dtls, const char *server_name,
                        const uint8_t *ca, size_t ca_len, int verify) {
    elvm_hal *h = c->h;
    t->ctx = SSL_CTX_new(dtls ? DTLS_client_method() : TLS_client_method());
    if (!t->ctx) return HAL_NET_IO_ERROR;
    SSL_CTX_set_min_proto_version(t->ctx, dtls ? DTLS1_2_VERSION : TLS1_2_VERSION);
    if (ca_len) {
        if (load_roots(t->ctx, ca, ca_len)) return HAL_NET_INVALID_ARGUMENT;
    } else if (h->cfg.tls_ca_file) {
        if (SSL_CTX_load_verify_locations(t->ctx, h->cfg.tls_ca_file, NULL) != 1) {
            ERR_clear_error();
            hal_log(h, "error", "sockets: cannot load the TLS CA file %s", h->cfg.tls_ca_file);
            return HAL_NET_IO_ERROR;
        }
    } else {
        SSL_CTX_set_default_verify_paths(t->ctx);
    }
    if (verify) {
        SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
        hal_log(h, "error", "sockets: TLS certificate verification turned off by the guest "
                            "(server name '%s')", server_name);
    }
    if (!(t->ssl = SSL_new(t->ctx))) return HAL_NET_IO_ERROR;
    if (server_name[0]) {
        SSL_set_tlsext_host_name(t->ssl, server_name);
        if (verify && SSL_set1_host(t->ssl, server_name) != 1) return HAL_NET_INVALID_ARGUMENT;
    } else if (verify) {
        return HAL_NET_INVALID_ARGUMENT; /* verifying needs a name to verify */
    }
    return -1;
}

static int server_setup(hal_tls *t, int dtls, const uint8_t *cert, size_t clen,
                        const uint8_t *key, size_t klen) {
    t->ctx = SSL_CTX_new(dtls ? DTLS_server_method() : TLS_server_method());
    if (!t->ctx) return HAL_NET_IO_ERROR;
    SSL_CTX_set_min_proto_version(t->ctx, dtls ? DTLS1_2_VERSION : TLS1_2_VERSION);
    if (load_identity(t->ctx, cert, clen, key, klen)) return HAL_NET_INVALID_ARGUMENT;
    return (t->ssl = SSL_new(t->ctx)) ? -1 : HAL_NET_IO_ERROR;
}

/* Returns result<handle, socket-error> for a finished setup, freeing `t` on error. */
static int ret_tls(hal_call *c, uint32_t ret, hal_res_type type, hal_tls *t, int e) {
    if (e >= 0) {
        tls_free(t);
        return hal_ret_u32(c, ret, 0, e);
    }
    uint32_t handle = hal_handle_new(c->h, type, t);
    if (!handle) {
        tls_free(t);
        return hal_trap(c, ELVM_TRAP_HOST, "out of handles");
    }
    return hal_ret_u32(c, ret, handle, -1);
}

static hal_tls *tls_new(hal_call *c, int fd) {
    hal_tls *t = calloc(1, sizeof *t);
    if (!t) {
        close(fd);
        hal_trap(c, ELVM_TRAP_HOST, "out of host memory");
        return NULL;
    }
    t->fd = fd;
    no_sigpipe();
    return t;
}

/* [static]tls-stream.client: func(socket: tcp-socket, server-name: string, ca-pem: list<u8>,
 *   verify: bool) -> result<tls-stream, socket-error> */
int elvm__hal_tls_client(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t ret = hal_u32(a, 6);
    const uint8_t *ca;
    char *name;
    int nul = 0, fd;
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    HAL_TRY(hal_in(c, hal_u32(a, 3), hal_u32(a, 4), "ca-pem", &ca));
    HAL_TRY(hal_string(c, hal_u32(a, 1), hal_u32(a, 2), "server-name", &name, &nul));
    int rc = take_socket(c, hal_u32(a, 0), HAL_RES_TCP_SOCKET, &fd);
    if (rc) {
        free(name);
        return rc;
    }
    hal_tls *t = tls_new(c, fd);
    if (!t) {
        free(name);
        return 1;
    }
    int e = nul ? HAL_NET_INVALID_ARGUMENT
                : client_setup(c, t, 0, name, ca, hal_u32(a, 4), hal_u32(a, 5) != 0);
    if (e < 0 && SSL_set_fd(t->ssl, fd) != 1) e = HAL_NET_IO_ERROR;
    if (e < 0) e = handshake(c->h, t, 1, name);
    free(name);
    return ret_tls(c, ret, HAL_RES_TLS_STREAM, t, e);
}

/* [static]tls-stream.server: func(socket: tcp-socket, cert-pem: list<u8>, key-pem: list<u8>)
 *   -> result<tls-stream, socket-error> */
int elvm__hal_tls_server(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t ret = hal_u32(a, 5);
    const uint8_t *cert, *key;
    int fd;
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    HAL_TRY(hal_in(c, hal_u32(a, 1), hal_u32(a, 2), "cert-pem", &cert));
    HAL_TRY(hal_in(c, hal_u32(a, 3), hal_u32(a, 4), "key-pem", &key));
    HAL_TRY(take_socket(c, hal_u32(a, 0), HAL_RES_TCP_SOCKET, &fd));
    hal_tls *t = tls_new(c, fd);
    if (!t) return 1;
    int e = server_setup(t, 0, cert, hal_u32(a, 2), key, hal_u32(a, 4));
    if (e < 0 && SSL_set_fd(t->ssl, fd) != 1) e = HAL_NET_IO_ERROR;
    if (e < 0) e = handshake(c->h, t, 0, "TLS accept");
    return ret_tls(c, ret, HAL_RES_TLS_STREAM, t, e);
}

/* ---- DTLS ------------------------------------------------------------------------------------ */

/* Connects the UDP socket to its peer and puts a datagram BIO under the session. */
static int dgram_bio(hal_tls *t, const struct sockaddr_storage *peer) {
    BIO *b = BIO_new_dgram(t->fd, BIO_NOCLOSE);
    if (!b) return HAL_NET_IO_ERROR;
    BIO_ctrl(b, BIO_CTRL_DGRAM_SET_CONNECTED, 0, (void *)peer);
    SSL_set_bio(t->ssl, b, b);
    return -1;
}

/* [static]dtls-session.client: func(socket: udp-socket, host: string, port: u16,
 *   server-name: string, ca-pem: list<u8>, verify: bool) -> result<dtls-session, socket-error>
 * The peer host:port must be on the allow-list. */
int elvm__hal_dtls_client(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t ret = hal_u32(a, 9);
    const uint8_t *ca;
    char *host = NULL, *name = NULL;
    int nul1 = 0, nul2 = 0, fd, rc;
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    HAL_TRY(hal_in(c, hal_u32(a, 6), hal_u32(a, 7), "ca-pem", &ca));
    HAL_TRY(hal_string(c, hal_u32(a, 1), hal_u32(a, 2), "host", &host, &nul1));
    rc = hal_string(c, hal_u32(a, 4), hal_u32(a, 5), "server-name", &name, &nul2);
    if (!rc) rc = take_socket(c, hal_u32(a, 0), HAL_RES_UDP_SOCKET, &fd);
    if (rc) {
        free(host);
        free(name);
        return rc;
    }
    hal_tls *t = tls_new(c, fd);
    if (!t) {
        free(host);
        free(name);
        return 1;
    }
    struct sockaddr_storage peer;
    socklen_t pl;
    int e = nul1 || nul2 ? HAL_NET_INVALID_ARGUMENT
                         : elvm__hal_net_resolve(c->h, host, (uint16_t)hal_u32(a, 3), SOCK_DGRAM,
                                                 &peer, &pl);
    if (e < 0 && connect(fd, (struct sockaddr *)&peer, pl)) e = elvm__hal_net_errno(errno);
    if (e < 0) e = client_setup(c, t, 1, name, ca, hal_u32(a, 7), hal_u32(a, 8) != 0);
    if (e < 0) e = dgram_bio(t, &peer);
    if (e < 0) e = handshake(c->h, t, 1, name);
    free(host);
    free(name);
    return ret_tls(c, ret, HAL_RES_DTLS_SESSION, t, e);
}

/* [static]dtls-session.server: func(socket: udp-socket, cert-pem: list<u8>, key-pem: list<u8>,
 *   timeout-ms: u32) -> result<dtls-session, socket-error>
 * Waits for the first datagram, connects the socket to its sender and completes the
 * handshake with it (one session per socket; no cookie exchange). */
int elvm__hal_dtls_server(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t ret = hal_u32(a, 6);
    const uint8_t *cert, *key;
    int fd;
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    HAL_TRY(hal_in(c, hal_u32(a, 1), hal_u32(a, 2), "cert-pem", &cert));
    HAL_TRY(hal_in(c, hal_u32(a, 3), hal_u32(a, 4), "key-pem", &key));
    HAL_TRY(take_socket(c, hal_u32(a, 0), HAL_RES_UDP_SOCKET, &fd));
    hal_tls *t = tls_new(c, fd);
    if (!t) return 1;
    int e = server_setup(t, 1, cert, hal_u32(a, 2), key, hal_u32(a, 4));
    struct sockaddr_storage peer;
    socklen_t pl = sizeof peer;
    uint8_t probe[1];
    if (e < 0) e = elvm__hal_wait_readable(fd, hal_u32(a, 5));
    if (e < 0 && recvfrom(fd, probe, sizeof probe, MSG_PEEK, (struct sockaddr *)&peer, &pl) < 0)
        e = elvm__hal_net_errno(errno);
    if (e < 0 && connect(fd, (struct sockaddr *)&peer, pl)) e = elvm__hal_net_errno(errno);
    if (e < 0) e = dgram_bio(t, &peer);
    if (e < 0) e = handshake(c->h, t, 0, "DTLS accept");
    return ret_tls(c, ret, HAL_RES_DTLS_SESSION, t, e);
}

/* ---- methods shared by both ----------------------------------------------------------------- */

static int ssl_error(hal_tls *t, int rc) {
    int e = SSL_get_error(t->ssl, rc);
    ERR_clear_error();
    if (e == SSL_ERROR_ZERO_RETURN) return HAL_NET_CLOSED;
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return HAL_NET_TIMEOUT;
    if (e == SSL_ERROR_SYSCALL) return errno ? elvm__hal_net_errno(errno) : HAL_NET_CLOSED;
    return HAL_NET_IO_ERROR;
}

/* send: func(data: list<u8>) -> result<u32, socket-error> */
static int do_send(hal_call *c, const elvm_val *a, hal_res_type type) {
    hal_tls *t;
    const uint8_t *data;
    uint32_t n = hal_u32(a, 2), ret = hal_u32(a, 3);
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), type, (void **)&t));
    HAL_TRY(hal_in(c, hal_u32(a, 1), n, "data", &data));
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    size_t sent = 0;
    int e = -1;
    while (e < 0 && sent < n) {
        size_t w;
        int rc = SSL_write_ex(t->ssl, data + sent, n - sent, &w);
        if (rc <= 0) e = ssl_error(t, rc);
        else sent += w;
    }
    return hal_ret_u32(c, ret, (uint32_t)sent, e);
}

/* receive: func(max: u32, timeout-ms: u32) -> result<list<u8>, socket-error>
 * An empty list: the peer closed the session (close_notify). */
static int do_receive(hal_call *c, const elvm_val *a, hal_res_type type) {
    hal_tls *t;
    uint32_t max = hal_u32(a, 1), ret = hal_u32(a, 3);
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), type, (void **)&t));
    HAL_TRY(hal_retarea(c, ret, 12, 4));
    if (!max) return hal_ret_bytes(c, ret, NULL, 0, HAL_NET_INVALID_ARGUMENT);
    if (max > MAX_RECEIVE) max = MAX_RECEIVE;
    int e = SSL_pending(t->ssl) ? -1 : elvm__hal_wait_readable(t->fd, hal_u32(a, 2));
    if (e >= 0) return hal_ret_bytes(c, ret, NULL, 0, e);
    uint8_t *buf = malloc(max);
    if (!buf) return hal_trap(c, ELVM_TRAP_HOST, "out of host memory");
    size_t got = 0;
    int rc = SSL_read_ex(t->ssl, buf, max, &got);
    if (rc <= 0) {
        e = ssl_error(t, rc);
        if (e == HAL_NET_CLOSED) e = -1, got = 0; /* orderly end: an empty list */
    }
    rc = hal_ret_bytes(c, ret, buf, got, e);
    free(buf);
    return rc;
}

/* close: func() -> result<_, socket-error>: sends close_notify. */
static int do_close(hal_call *c, const elvm_val *a, hal_res_type type) {
    hal_tls *t;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), type, (void **)&t));
    HAL_TRY(hal_retarea(c, hal_u32(a, 1), 2, 1));
    int rc = SSL_shutdown(t->ssl);
    ERR_clear_error();
    if (type == HAL_RES_TLS_STREAM) shutdown(t->fd, SHUT_WR);
    return hal_ret_unit(c, hal_u32(a, 1), rc >= 0 ? -1 : HAL_NET_IO_ERROR);
}

/* protocol: func() -> string: "TLSv1.3", "DTLSv1.2", ... */
static int do_protocol(hal_call *c, const elvm_val *a, hal_res_type type) {
    hal_tls *t;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), type, (void **)&t));
    const char *v = SSL_get_version(t->ssl);
    return hal_ret_list(c, hal_u32(a, 1), v, strlen(v));
}

#define PAIR(NAME, IMPL)                                                                  \
    int elvm__hal_tls_##NAME(hal_call *c, const elvm_val *a, elvm_val *r) {                \
        (void)r;                                                                          \
        return IMPL(c, a, HAL_RES_TLS_STREAM);                                            \
    }                                                                                     \
    int elvm__hal_dtls_##NAME(hal_call *c, const elvm_val *a, elvm_val *r) {               \
        (void)r;                                                                          \
        return IMPL(c, a, HAL_RES_DTLS_SESSION);                                          \
    }
PAIR(send, do_send)
PAIR(receive, do_receive)
PAIR(close, do_close)
PAIR(protocol, do_protocol)

int elvm__hal_tls_drop(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    return hal_drop(c, hal_u32(a, 0), HAL_RES_TLS_STREAM);
}
int elvm__hal_dtls_drop(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    return hal_drop(c, hal_u32(a, 0), HAL_RES_DTLS_SESSION);
}
