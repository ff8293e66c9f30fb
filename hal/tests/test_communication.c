/* test_communication.c: elastic:communication from guests. "errors": one instance and
 * every error path (run with channels small:2:16:rw, ro:4:64:r, wo:4:64:w). "ping" and
 * "pong": two instances on two threads answer each other over to-pong and to-ping. */
#include "guest_test.h"

static void errors(void) {
    elastic_channel ch, ro, wo;
    elastic_bytes m;
    CHECK_RC(elastic_channel_open("nope", &ch), ELASTIC_CHANNEL_ERR_NOT_GRANTED);
    CHECK_RC(elastic_channel_open("small", &ch), 0);
    char *name = elastic_channel_name(ch);
    CHECK(name && !strcmp(name, "small"));
    free(name);
    CHECK(elastic_channel_capacity(ch) == 2);
    CHECK_RC(elastic_channel_receive(ch, 20, &m), ELASTIC_CHANNEL_ERR_TIMEOUT);
    CHECK_RC(elastic_channel_send(ch, "one", 3, 0), 0);
    CHECK_RC(elastic_channel_send(ch, "", 0, 0), 0);
    CHECK(elastic_channel_pending(ch) == 2);
    CHECK_RC(elastic_channel_send(ch, "three", 5, 0), ELASTIC_CHANNEL_ERR_FULL);
    CHECK_RC(elastic_channel_send(ch, "three", 5, 30), ELASTIC_CHANNEL_ERR_FULL);
    CHECK_RC(elastic_channel_send(ch, "0123456789abcdefX", 17, 0), ELASTIC_CHANNEL_ERR_TOO_LARGE);
    CHECK_RC(elastic_channel_receive(ch, 0, &m), 0);
    CHECK(m.len == 3 && !memcmp(m.ptr, "one", 3));
    elastic_bytes_free(&m);
    CHECK_RC(elastic_channel_send(ch, "three", 5, 0), 0);
    elastic_channel_close(ch);
    CHECK_RC(elastic_channel_send(ch, "x", 1, 0), ELASTIC_CHANNEL_ERR_CLOSED);
    CHECK_RC(elastic_channel_receive(ch, 0, &m), 0); /* drains after close */
    CHECK(m.len == 0);
    elastic_bytes_free(&m);
    CHECK_RC(elastic_channel_receive(ch, 0, &m), 0);
    CHECK(m.len == 5 && !memcmp(m.ptr, "three", 5));
    elastic_bytes_free(&m);
    CHECK_RC(elastic_channel_receive(ch, 1000, &m), ELASTIC_CHANNEL_ERR_CLOSED);
    elastic_channel_drop(ch);
    /* A second handle to the same (closed) channel sees the same state. */
    CHECK_RC(elastic_channel_open("small", &ch), 0);
    CHECK_RC(elastic_channel_send(ch, "x", 1, 0), ELASTIC_CHANNEL_ERR_CLOSED);
    elastic_channel_drop(ch);
    CHECK_RC(elastic_channel_open("ro", &ro), 0);
    CHECK_RC(elastic_channel_open("wo", &wo), 0);
    CHECK_RC(elastic_channel_send(ro, "x", 1, 0), ELASTIC_CHANNEL_ERR_NOT_PERMITTED);
    CHECK_RC(elastic_channel_receive(wo, 0, &m), ELASTIC_CHANNEL_ERR_NOT_PERMITTED);
    CHECK_RC(elastic_channel_send(wo, "x", 1, 0), 0);
    CHECK_RC(elastic_channel_receive(ro, 0, &m), ELASTIC_CHANNEL_ERR_TIMEOUT);
    char **g = elastic_channel_granted();
    int n = 0;
    while (g && g[n]) n++;
    CHECK(n == 3 && !strcmp(g[0], "small") && !strcmp(g[1], "ro") && !strcmp(g[2], "wo"));
    elastic_strings_free(g);
}

static void ping(void) {
    elastic_channel out, in;
    CHECK_RC(elastic_channel_open("to-pong", &out), 0);
    CHECK_RC(elastic_channel_open("to-ping", &in), 0);
    for (int i = 0; i < 100; i++) {
        char msg[32], want[32];
        snprintf(msg, sizeof msg, "ping %d", i);
        snprintf(want, sizeof want, "pong %d", i);
        CHECK_RC(elastic_channel_send(out, msg, strlen(msg), 5000), 0);
        elastic_bytes m;
        int rc = elastic_channel_receive(in, 5000, &m);
        CHECK_RC(rc, 0);
        if (rc) break;
        CHECK(m.len == strlen(want) && !memcmp(m.ptr, want, m.len));
        elastic_bytes_free(&m);
    }
    elastic_channel_close(out);
}

static void pong(void) {
    elastic_channel out, in;
    CHECK_RC(elastic_channel_open("to-ping", &out), 0);
    CHECK_RC(elastic_channel_open("to-pong", &in), 0);
    int n = 0;
    for (;;) {
        elastic_bytes m;
        int rc = elastic_channel_receive(in, 10000, &m);
        if (rc == ELASTIC_CHANNEL_ERR_CLOSED) break;
        CHECK_RC(rc, 0);
        if (rc) break;
        char reply[32];
        snprintf(reply, sizeof reply, "pong %.*s", (int)m.len - 5, (char *)m.ptr + 5);
        elastic_bytes_free(&m);
        CHECK_RC(elastic_channel_send(out, reply, strlen(reply), 5000), 0);
        n++;
    }
    CHECK(n == 100);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "errors";
    if (!strcmp(mode, "ping")) ping();
    else if (!strcmp(mode, "pong")) pong();
    else errors();
    char label[40];
    snprintf(label, sizeof label, "communication %s", mode);
    return t_done(label);
}
