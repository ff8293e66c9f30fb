/* test_sockets.c: elastic:sockets from guests, on 127.0.0.1 only. argv: MODE P where P is
 * a base port the script picked; the script grants --allow 127.0.0.1:P, localhost:P,
 * 127.0.0.1:P+2, 127.0.0.1:P+4, localhost:P+4, 127.0.0.1:P+5, no-such-host.invalid:P and
 * --listen 127.0.0.1:*, and puts cert.pem / key.pem (CN localhost) in the preopen /certs.
 *   basic                  TCP and UDP, the allow-list and listen grants, every error path
 *   tls-server tls-client  TLS echo, then the client's verification failures
 *   dtls-server dtls-client  DTLS echo */
#include <time.h>

#include "guest_test.h"

static int P;

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static size_t read_file(const char *path, char **out) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    static char buf[3][16384];
    static int k;
    char *b = buf[k++ % 3];
    size_t n = fread(b, 1, sizeof buf[0] - 1, f);
    fclose(f);
    b[n] = 0;
    *out = b;
    return n;
}

static void basic(void) {
    elastic_tcp_listener l, l2;
    elastic_tcp_socket c, s, x;
    elastic_bytes m;
    uint32_t sent;
    CHECK_RC(elastic_tcp_listen("0.0.0.0", (uint16_t)P, &l2), ELASTIC_SOCKETS_ERR_NOT_PERMITTED);
    CHECK_RC(elastic_tcp_listen("not-an-ip", (uint16_t)P, &l2), ELASTIC_SOCKETS_ERR_NOT_PERMITTED);
    CHECK_RC(elastic_tcp_listen("127.0.0.1", (uint16_t)P, &l), 0);
    CHECK(elastic_tcp_listener_port(l) == P);
    CHECK_RC(elastic_tcp_listen("127.0.0.1", (uint16_t)P, &l2), ELASTIC_SOCKETS_ERR_ADDRESS_IN_USE);
    /* The allow-list: the port, the host, a name. */
    CHECK_RC(elastic_tcp_connect("127.0.0.1", (uint16_t)(P + 1), 1000, &x), ELASTIC_SOCKETS_ERR_NOT_PERMITTED);
    CHECK_RC(elastic_tcp_connect("127.0.0.2", (uint16_t)P, 1000, &x), ELASTIC_SOCKETS_ERR_NOT_PERMITTED);
    CHECK_RC(elastic_tcp_connect("example.com", 443, 1000, &x), ELASTIC_SOCKETS_ERR_NOT_PERMITTED);
    CHECK_RC(elastic_tcp_connect("no-such-host.invalid", (uint16_t)P, 1000, &x),
             ELASTIC_SOCKETS_ERR_NAME_RESOLUTION_FAILED);
    CHECK_RC(elastic_tcp_accept(l, 20, &s), ELASTIC_SOCKETS_ERR_TIMEOUT);
    CHECK_RC(elastic_tcp_connect("127.0.0.1", (uint16_t)P, 1000, &c), 0);
    CHECK_RC(elastic_tcp_accept(l, 1000, &s), 0);
    char *peer = NULL;
    CHECK_RC(elastic_tcp_peer_address(s, &peer), 0);
    CHECK(peer && !strncmp(peer, "127.0.0.1:", 10));
    free(peer);
    CHECK_RC(elastic_tcp_send(c, "hello", 5, &sent), 0);
    CHECK(sent == 5);
    CHECK_RC(elastic_tcp_receive(s, 100, 1000, &m), 0);
    CHECK(m.len == 5 && !memcmp(m.ptr, "hello", 5));
    elastic_bytes_free(&m);
    CHECK_RC(elastic_tcp_receive(s, 0, 1000, &m), ELASTIC_SOCKETS_ERR_INVALID_ARGUMENT);
    CHECK_RC(elastic_tcp_receive(s, 100, 20, &m), ELASTIC_SOCKETS_ERR_TIMEOUT);
    /* A larger transfer in pieces. */
    static unsigned char big[200000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (unsigned char)(i * 13);
    CHECK_RC(elastic_tcp_send(s, big, sizeof big, &sent), 0);
    CHECK_RC(elastic_tcp_shutdown(s), 0);
    size_t got = 0;
    int same = 1;
    for (;;) {
        int rc = elastic_tcp_receive(c, 65536, 2000, &m);
        CHECK_RC(rc, 0);
        if (rc || m.len == 0) break; /* empty: the peer shut down */
        same &= got + m.len <= sizeof big && !memcmp(big + got, m.ptr, m.len);
        got += m.len;
        elastic_bytes_free(&m);
    }
    CHECK(got == sizeof big && same);
    elastic_tcp_close(c);
    elastic_tcp_close(s);
    /* "localhost" is on the list by name. */
    CHECK_RC(elastic_tcp_connect("localhost", (uint16_t)P, 1000, &c), 0);
    CHECK_RC(elastic_tcp_accept(l, 1000, &s), 0);
    elastic_tcp_close(c);
    elastic_tcp_close(s);
    elastic_tcp_listener_close(l);
    CHECK_RC(elastic_tcp_connect("127.0.0.1", (uint16_t)P, 1000, &c), ELASTIC_SOCKETS_ERR_CONNECTION_REFUSED);

    /* UDP. */
    elastic_udp_socket a, b, b2;
    CHECK_RC(elastic_udp_bind("127.0.0.1", 0, &a), 0); /* ephemeral: no grant needed */
    CHECK(elastic_udp_local_port(a) != 0);
    CHECK_RC(elastic_udp_bind("0.0.0.0", (uint16_t)(P + 2), &b2), ELASTIC_SOCKETS_ERR_NOT_PERMITTED);
    CHECK_RC(elastic_udp_bind("127.0.0.1", (uint16_t)(P + 2), &b), 0);
    CHECK_RC(elastic_udp_bind("127.0.0.1", (uint16_t)(P + 2), &b2), ELASTIC_SOCKETS_ERR_ADDRESS_IN_USE);
    CHECK_RC(elastic_udp_send_to(a, "127.0.0.1", (uint16_t)(P + 3), "x", 1), ELASTIC_SOCKETS_ERR_NOT_PERMITTED);
    CHECK_RC(elastic_udp_send_to(a, "127.0.0.1", (uint16_t)(P + 2), "datagram", 8), 0);
    elastic_datagram d;
    CHECK_RC(elastic_udp_receive_from(b, 100, 1000, &d), 0);
    CHECK(d.data.len == 8 && !memcmp(d.data.ptr, "datagram", 8));
    CHECK(d.address && !strcmp(d.address, "127.0.0.1") && d.port == elastic_udp_local_port(a));
    elastic_bytes_free(&d.data);
    free(d.address);
    CHECK_RC(elastic_udp_receive_from(b, 100, 20, &d), ELASTIC_SOCKETS_ERR_TIMEOUT);
    CHECK_RC(elastic_udp_receive_from(b, 0, 20, &d), ELASTIC_SOCKETS_ERR_INVALID_ARGUMENT);
    elastic_udp_close(a);
    elastic_udp_close(b);
}

/* TLS: the server echoes one message per connection, for three connections (the last
 * two fail their handshake on the client's side). */
static void tls_server(void) {
    char *cert, *key;
    size_t cl = read_file("/certs/cert.pem", &cert), kl = read_file("/certs/key.pem", &key);
    CHECK(cl > 0 && kl > 0);
    elastic_tcp_listener l;
    CHECK_RC(elastic_tcp_listen("127.0.0.1", (uint16_t)(P + 4), &l), 0);
    for (int round = 0; round < 3; round++) {
        elastic_tcp_socket s;
        elastic_tls_stream t;
        int rc = elastic_tcp_accept(l, 10000, &s);
        CHECK_RC(rc, 0);
        if (rc) break;
        rc = elastic_tls_server(s, cert, cl, key, kl, &t);
        if (round == 0) {
            CHECK_RC(rc, 0);
            elastic_bytes m;
            CHECK_RC(elastic_tls_receive(t, 1000, 5000, &m), 0);
            char reply[128];
            int n = snprintf(reply, sizeof reply, "echo: %.*s", (int)m.len, (char *)m.ptr);
            elastic_bytes_free(&m);
            CHECK_RC(elastic_tls_send(t, reply, (size_t)n), 0);
            CHECK_RC(elastic_tls_close(t), 0);
            elastic_tls_drop(t);
        } else {
            CHECK(rc == ELASTIC_SOCKETS_ERR_TLS_HANDSHAKE_FAILED || rc == ELASTIC_SOCKETS_ERR_CLOSED);
        }
    }
    /* A bad identity is refused before any handshake. */
    elastic_tcp_socket s2;
    elastic_tls_stream t2;
    CHECK_RC(elastic_tcp_connect("127.0.0.1", (uint16_t)(P + 4), 1000, &s2), 0);
    CHECK_RC(elastic_tls_server(s2, "junk", 4, key, kl, &t2), ELASTIC_SOCKETS_ERR_INVALID_ARGUMENT);
    elastic_tcp_listener_close(l);
}

static int connect_retry(const char *host, uint16_t port, elastic_tcp_socket *s) {
    int rc = 0;
    for (int i = 0; i < 100; i++) {
        rc = elastic_tcp_connect(host, port, 1000, s);
        if (rc != ELASTIC_SOCKETS_ERR_CONNECTION_REFUSED) return rc;
        sleep_ms(50);
    }
    return rc;
}

static void tls_client(void) {
    char *ca;
    size_t cal = read_file("/certs/cert.pem", &ca);
    elastic_tcp_socket s;
    elastic_tls_stream t;
    CHECK_RC(connect_retry("localhost", (uint16_t)(P + 4), &s), 0);
    CHECK_RC(elastic_tls_client(s, "localhost", ca, cal, true, &t), 0);
    char *proto = elastic_tls_protocol(t);
    CHECK(proto && !strcmp(proto, "TLSv1.3"));
    free(proto);
    CHECK_RC(elastic_tls_send(t, "hello tls", 9), 0);
    elastic_bytes m;
    CHECK_RC(elastic_tls_receive(t, 1000, 5000, &m), 0);
    CHECK(m.len == 15 && !memcmp(m.ptr, "echo: hello tls", 15));
    elastic_bytes_free(&m);
    CHECK_RC(elastic_tls_receive(t, 1000, 5000, &m), 0); /* close_notify: empty */
    CHECK(m.len == 0);
    elastic_bytes_free(&m);
    elastic_tls_drop(t);
    /* Verification is on by default: the system roots do not know this certificate... */
    CHECK_RC(connect_retry("127.0.0.1", (uint16_t)(P + 4), &s), 0);
    CHECK_RC(elastic_tls_client(s, "localhost", "", 0, true, &t), ELASTIC_SOCKETS_ERR_CERTIFICATE_INVALID);
    /* ... and a name the certificate does not carry fails even with the right root. */
    CHECK_RC(connect_retry("127.0.0.1", (uint16_t)(P + 4), &s), 0);
    CHECK_RC(elastic_tls_client(s, "example.com", ca, cal, true, &t), ELASTIC_SOCKETS_ERR_CERTIFICATE_INVALID);
    /* A TLS client on a dropped socket handle traps: not tested here (see bad-handle). */
}

static void dtls_server(void) {
    char *cert, *key;
    size_t cl = read_file("/certs/cert.pem", &cert), kl = read_file("/certs/key.pem", &key);
    elastic_udp_socket u;
    elastic_dtls_session d;
    CHECK_RC(elastic_udp_bind("127.0.0.1", (uint16_t)(P + 5), &u), 0);
    CHECK_RC(elastic_dtls_server(u, cert, cl, key, kl, 10000, &d), 0);
    elastic_bytes m;
    CHECK_RC(elastic_dtls_receive(d, 1000, 5000, &m), 0);
    char reply[128];
    int n = snprintf(reply, sizeof reply, "echo: %.*s", (int)m.len, (char *)m.ptr);
    elastic_bytes_free(&m);
    CHECK_RC(elastic_dtls_send(d, reply, (size_t)n), 0);
    char *proto = elastic_dtls_protocol(d);
    CHECK(proto && !strcmp(proto, "DTLSv1.2"));
    free(proto);
    CHECK_RC(elastic_dtls_receive(d, 1000, 5000, &m), 0); /* the client's close_notify */
    CHECK(m.len == 0);
    elastic_bytes_free(&m);
    elastic_dtls_drop(d);
    /* No peer within the timeout. */
    CHECK_RC(elastic_udp_bind("127.0.0.1", (uint16_t)(P + 5), &u), 0);
    CHECK_RC(elastic_dtls_server(u, cert, cl, key, kl, 50, &d), ELASTIC_SOCKETS_ERR_TIMEOUT);
}

static void dtls_client(void) {
    char *ca;
    size_t cal = read_file("/certs/cert.pem", &ca);
    elastic_udp_socket u;
    elastic_dtls_session d;
    int rc = -1;
    CHECK_RC(elastic_udp_bind("127.0.0.1", 0, &u), 0);
    CHECK_RC(elastic_dtls_client(u, "127.0.0.1", (uint16_t)(P + 6), "localhost", ca, cal, true, &d),
             ELASTIC_SOCKETS_ERR_NOT_PERMITTED);
    for (int i = 0; i < 40 && rc; i++) { /* until the server listens */
        sleep_ms(i ? 100 : 500);
        elastic_udp_bind("127.0.0.1", 0, &u);
        rc = elastic_dtls_client(u, "127.0.0.1", (uint16_t)(P + 5), "localhost", ca, cal, true, &d);
    }
    CHECK_RC(rc, 0);
    if (rc) return;
    CHECK_RC(elastic_dtls_send(d, "hello dtls", 10), 0);
    elastic_bytes m;
    CHECK_RC(elastic_dtls_receive(d, 1000, 5000, &m), 0);
    CHECK(m.len == 16 && !memcmp(m.ptr, "echo: hello dtls", 16));
    elastic_bytes_free(&m);
    CHECK_RC(elastic_dtls_close(d), 0);
    elastic_dtls_drop(d);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "basic";
    P = argc > 2 ? atoi(argv[2]) : 24000;
    if (!strcmp(mode, "basic")) basic();
    else if (!strcmp(mode, "tls-server")) tls_server();
    else if (!strcmp(mode, "tls-client")) tls_client();
    else if (!strcmp(mode, "dtls-server")) dtls_server();
    else if (!strcmp(mode, "dtls-client")) dtls_client();
    char label[40];
    snprintf(label, sizeof label, "sockets %s", mode);
    return t_done(label);
}
