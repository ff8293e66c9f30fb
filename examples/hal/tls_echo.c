/* tls_echo.c: a TLS echo server and its client over elastic:sockets. The server presents
 * /certs/cert.pem and /certs/key.pem; the client verifies it against /certs/cert.pem as
 * its only root and the name "localhost" (verification is on by default).
 *
 *   tls_echo server PORT          answers one connection: "echo: " + what it got
 *   tls_echo client PORT MESSAGE  prints the answer
 *   (run with --allow localhost:PORT --listen 127.0.0.1:PORT and the /certs preopen) */
#include <stdio.h>
#include <time.h>

#include "elastic_hal.h"

static const char *const errors[] = {
    "ok", "not permitted (not on the allow-list)", "invalid argument", "name resolution failed",
    "connection refused", "timeout", "closed", "address in use", "TLS handshake failed",
    "certificate invalid", "I/O error",
};

static size_t slurp(const char *path, char *buf, size_t cap) {
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, cap, f) : 0;
    if (f) fclose(f);
    return n;
}

static int fail(const char *what, int rc) {
    fprintf(stderr, "tls_echo: %s: %s\n", what, errors[rc]);
    return 1;
}

static int server(uint16_t port) {
    static char cert[16384], key[16384];
    size_t cl = slurp("/certs/cert.pem", cert, sizeof cert), kl = slurp("/certs/key.pem", key, sizeof key);
    elastic_tcp_listener l;
    elastic_tcp_socket s;
    elastic_tls_stream t;
    int rc;
    if ((rc = elastic_tcp_listen("127.0.0.1", port, &l))) return fail("listen", rc);
    if ((rc = elastic_tcp_accept(l, 30000, &s))) return fail("accept", rc);
    if ((rc = elastic_tls_server(s, cert, cl, key, kl, &t))) return fail("handshake", rc);
    elastic_bytes msg;
    if ((rc = elastic_tls_receive(t, 4096, 10000, &msg))) return fail("receive", rc);
    char reply[4200];
    int n = snprintf(reply, sizeof reply, "echo: %.*s", (int)msg.len, (const char *)msg.ptr);
    elastic_bytes_free(&msg);
    if ((rc = elastic_tls_send(t, reply, (size_t)n))) return fail("send", rc);
    char *proto = elastic_tls_protocol(t);
    fprintf(stderr, "tls_echo: served one %s connection\n", proto);
    free(proto);
    elastic_tls_close(t);
    elastic_tls_drop(t);
    elastic_tcp_listener_close(l);
    return 0;
}

static int client(uint16_t port, const char *message) {
    static char ca[16384];
    size_t cal = slurp("/certs/cert.pem", ca, sizeof ca);
    elastic_tcp_socket s;
    elastic_tls_stream t;
    int rc = ELASTIC_SOCKETS_ERR_CONNECTION_REFUSED;
    for (int i = 0; i < 100 && rc == ELASTIC_SOCKETS_ERR_CONNECTION_REFUSED; i++) {
        if (i) nanosleep(&(struct timespec){0, 50000000}, NULL); /* the server starting */
        rc = elastic_tcp_connect("localhost", port, 2000, &s);
    }
    if (rc) return fail("connect", rc);
    if ((rc = elastic_tls_client(s, "localhost", ca, cal, true, &t))) return fail("handshake", rc);
    if ((rc = elastic_tls_send(t, message, strlen(message)))) return fail("send", rc);
    elastic_bytes reply;
    if ((rc = elastic_tls_receive(t, 4096, 10000, &reply))) return fail("receive", rc);
    printf("%.*s\n", (int)reply.len, (const char *)reply.ptr);
    elastic_bytes_free(&reply);
    elastic_tls_drop(t);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && !strcmp(argv[1], "server")) return server((uint16_t)atoi(argv[2]));
    if (argc >= 4 && !strcmp(argv[1], "client")) return client((uint16_t)atoi(argv[2]), argv[3]);
    fprintf(stderr, "usage: tls_echo server PORT | client PORT MESSAGE\n");
    return 2;
}
