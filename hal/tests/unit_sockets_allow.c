/* unit_sockets_allow.c: the elastic:sockets allow-list on 127.0.0.1 (host-side, cmocka):
 * allowed host:port pairs connect; anything else is refused before any packet leaves (a
 * listener on the denied port sees no connection) and the denial reaches the log;
 * names match by name or by their resolved address; wildcards; listen grants; malformed
 * entries are refused when the HAL is made. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "hal.h"
#include "sockets.h"

static char last_log[600];
static int ndenied;

static void log_fn(void *ctx, const char *kind, const char *detail) {
    (void)ctx;
    if (!strcmp(kind, "denied")) ndenied++;
    snprintf(last_log, sizeof last_log, "%s: %s", kind, detail);
}

/* A nonblocking listener on 127.0.0.1:port (0: any); returns the fd, sets *port. */
static int listener(uint16_t *port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(*port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 8), 0);
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    *port = ntohs(a.sin_port);
    return fd;
}

/* Whether a connection is waiting on the nonblocking listener (accepts and closes it). */
static int pending(int lfd) {
    usleep(20000);
    int c = accept(lfd, NULL, NULL);
    if (c < 0) return 0;
    close(c);
    return 1;
}

static elvm_hal *hal_with(const char *const *allow, uint32_t n, const char *const *listen,
                          uint32_t nl, elvm_error *err) {
    elvm_hal_config cfg;
    elvm_hal_config_default(&cfg);
    cfg.profile = "elastic-tee-network";
    cfg.snp_backend = 4;
    cfg.net_allow = allow;
    cfg.nnet_allow = n;
    cfg.net_listen = listen;
    cfg.nnet_listen = nl;
    cfg.log = log_fn;
    return elvm_hal_new(&cfg, err);
}

static void test_allowed_and_denied_ports(void **state) {
    (void)state;
    uint16_t p1 = 0, p2 = 0;
    int l1 = listener(&p1), l2 = listener(&p2);
    char e1[64];
    snprintf(e1, sizeof e1, "127.0.0.1:%u", p1);
    const char *allow[] = {e1};
    elvm_error err;
    elvm_hal *h = hal_with(allow, 1, NULL, 0, &err);
    assert_non_null(h);
    int fd;
    assert_int_equal(elvm__hal_tcp_connect(h, "127.0.0.1", p1, 2000, &fd), -1);
    assert_true(fd >= 0);
    close(fd);
    assert_true(pending(l1));
    /* The other port: refused, nothing reaches its listener, and the log says so. */
    ndenied = 0;
    assert_int_equal(elvm__hal_tcp_connect(h, "127.0.0.1", p2, 2000, &fd), HAL_NET_NOT_PERMITTED);
    assert_int_equal(fd, -1);
    assert_false(pending(l2));
    assert_int_equal(ndenied, 1);
    assert_non_null(strstr(last_log, "denied: sockets: connect 127.0.0.1:"));
    assert_non_null(strstr(last_log, "not on the allow-list"));
    /* Another loopback address with the allowed port. */
    assert_int_equal(elvm__hal_tcp_connect(h, "127.0.0.2", p1, 2000, &fd), HAL_NET_NOT_PERMITTED);
    assert_false(pending(l1));
    /* A name that resolves to the allowed address is allowed by that address. */
    assert_int_equal(elvm__hal_tcp_connect(h, "localhost", p1, 2000, &fd), -1);
    close(fd);
    assert_true(pending(l1));
    /* A name on no entry never even reaches the resolver. */
    assert_int_equal(elvm__hal_tcp_connect(h, "example.com", 443, 2000, &fd), HAL_NET_NOT_PERMITTED);
    elvm_hal_free(h);
    close(l1);
    close(l2);
}

static void test_names_and_wildcards(void **state) {
    (void)state;
    uint16_t p1 = 0, p2 = 0;
    int l1 = listener(&p1), l2 = listener(&p2);
    char e1[64], e2[64];
    snprintf(e1, sizeof e1, "localhost:%u", p1);
    snprintf(e2, sizeof e2, "*:%u", p2);
    const char *allow[] = {e1, e2};
    elvm_error err;
    elvm_hal *h = hal_with(allow, 2, NULL, 0, &err);
    assert_non_null(h);
    int fd;
    /* By name: the name is allowed, so are its addresses... */
    assert_int_equal(elvm__hal_tcp_connect(h, "localhost", p1, 2000, &fd), -1);
    close(fd);
    assert_true(pending(l1));
    /* ...but the address literal alone is not on the list. */
    assert_int_equal(elvm__hal_tcp_connect(h, "127.0.0.1", p1, 2000, &fd), HAL_NET_NOT_PERMITTED);
    assert_false(pending(l1));
    /* "*:PORT": any host on that port. */
    assert_int_equal(elvm__hal_tcp_connect(h, "127.0.0.1", p2, 2000, &fd), -1);
    close(fd);
    assert_true(pending(l2));
    elvm_hal_free(h);

    const char *any_port[] = {"127.0.0.1:*"};
    h = hal_with(any_port, 1, NULL, 0, &err);
    assert_int_equal(elvm__hal_tcp_connect(h, "127.0.0.1", p1, 2000, &fd), -1);
    close(fd);
    assert_true(pending(l1));
    assert_int_equal(elvm__hal_tcp_connect(h, "127.0.0.1", p2, 2000, &fd), -1);
    close(fd);
    assert_true(pending(l2));
    elvm_hal_free(h);
    close(l1);
    close(l2);
}

static void test_udp_and_listen_grants(void **state) {
    (void)state;
    const char *allow[] = {"127.0.0.1:5353"};
    const char *listen[] = {"127.0.0.1:*"};
    elvm_error err;
    elvm_hal *h = hal_with(allow, 1, listen, 1, &err);
    assert_non_null(h);
    struct sockaddr_storage ss;
    socklen_t sl;
    assert_int_equal(elvm__hal_net_resolve(h, "127.0.0.1", 5353, SOCK_DGRAM, &ss, &sl), -1);
    assert_int_equal(elvm__hal_net_resolve(h, "127.0.0.1", 5354, SOCK_DGRAM, &ss, &sl),
                     HAL_NET_NOT_PERMITTED);
    int fd;
    assert_int_equal(elvm__hal_tcp_listen(h, "127.0.0.1", 0, &fd), -1);
    close(fd);
    assert_int_equal(elvm__hal_tcp_listen(h, "0.0.0.0", 0, &fd), HAL_NET_NOT_PERMITTED);
    assert_true(elvm__hal_listen_allowed(h, "127.0.0.1", 8080));
    assert_false(elvm__hal_listen_allowed(h, "::1", 8080));
    elvm_hal_free(h);
}

static void test_malformed_entries(void **state) {
    (void)state;
    const char *bad[] = {"nocolon", "host:99999", "[::1", "::1:80", ":80", "host:", "host:8x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        elvm_error err;
        const char *one[] = {bad[i]};
        elvm_hal *h = hal_with(one, 1, NULL, 0, &err);
        assert_null(h);
        assert_int_equal(err.status, ELVM_ARG);
        assert_non_null(strstr(err.msg, bad[i]));
    }
    elvm_error err;
    const char *good[] = {"[::1]:443", "example.com:*", "*:*", "10.0.0.1:0"};
    elvm_hal *h = hal_with(good, 4, NULL, 0, &err);
    assert_non_null(h);
    elvm_hal_free(h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allowed_and_denied_ports),
        cmocka_unit_test(test_names_and_wildcards),
        cmocka_unit_test(test_udp_and_listen_grants),
        cmocka_unit_test(test_malformed_entries),
    };
    return cmocka_run_group_tests_name("hal socket allow-list", tests, NULL, NULL);
}
