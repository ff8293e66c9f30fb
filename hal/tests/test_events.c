/* test_events.c: elastic:events from a guest. Without arguments: one instance, priorities
 * and FIFO order, topics, timeouts and errors. With "pub" or "sub": two instances of the
 * same host exchange events through the hub. */
#include <time.h>

#include "guest_test.h"

static int poll_expect(const char *topic, const char *payload, elastic_priority prio) {
    elastic_event ev;
    int rc = elastic_events_poll(0, &ev);
    if (rc) return rc;
    int ok = !strcmp(ev.topic, topic) && ev.priority == prio &&
             ev.payload.len == strlen(payload) && !memcmp(ev.payload.ptr, payload, ev.payload.len);
    if (!ok) printf("got %s/%d/%.*s\n", ev.topic, ev.priority, (int)ev.payload.len, ev.payload.ptr);
    elastic_event_free(&ev);
    return ok ? 0 : 99;
}

static void single(void) {
    elastic_event ev;
    elastic_subscription s1, s2, bad;
    uint32_t n;
    CHECK_RC(elastic_events_poll(0, &ev), ELASTIC_EVENTS_ERR_NO_SUBSCRIPTIONS);
    const char *bad_topics[] = {"", "a*", "*x", "a.*.b", "a**"};
    for (int i = 0; i < 5; i++)
        CHECK_RC(elastic_events_subscribe(bad_topics[i], &bad), ELASTIC_EVENTS_ERR_INVALID_TOPIC);
    CHECK_RC(elastic_events_subscribe("sensors.*", &s1), 0);
    CHECK_RC(elastic_events_subscribe("alerts", &s2), 0);
    char *t = elastic_events_topic(s1);
    CHECK(t && !strcmp(t, "sensors.*"));
    free(t);
    CHECK_RC(elastic_events_publish("sensors.temp", ELASTIC_PRIORITY_LOW, "1", 1, &n), 0);
    CHECK(n == 1);
    CHECK_RC(elastic_events_publish("sensors.temp", ELASTIC_PRIORITY_NORMAL, "2", 1, &n), 0);
    CHECK_RC(elastic_events_publish("sensors.door", ELASTIC_PRIORITY_HIGH, "3", 1, &n), 0);
    CHECK_RC(elastic_events_publish("sensors.temp", ELASTIC_PRIORITY_LOW, "4", 1, &n), 0);
    CHECK_RC(elastic_events_publish("sensors.fire", ELASTIC_PRIORITY_CRITICAL, "5", 1, &n), 0);
    CHECK_RC(elastic_events_publish("other.thing", ELASTIC_PRIORITY_CRITICAL, "x", 1, &n), 0);
    CHECK(n == 0);
    CHECK_RC(elastic_events_publish("alerts", ELASTIC_PRIORITY_NORMAL, "6", 1, &n), 0);
    CHECK(n == 1);
    CHECK_RC(elastic_events_publish("alerts.sub", ELASTIC_PRIORITY_NORMAL, "x", 1, &n), 0);
    CHECK(n == 0); /* "alerts" is exact */
    CHECK_RC(elastic_events_publish("bad*", ELASTIC_PRIORITY_NORMAL, "x", 1, &n),
             ELASTIC_EVENTS_ERR_INVALID_TOPIC);
    CHECK(elastic_events_pending() == 6);
    /* Highest priority first, FIFO within a priority. */
    CHECK_RC(poll_expect("sensors.fire", "5", ELASTIC_PRIORITY_CRITICAL), 0);
    CHECK_RC(poll_expect("sensors.door", "3", ELASTIC_PRIORITY_HIGH), 0);
    CHECK_RC(poll_expect("sensors.temp", "2", ELASTIC_PRIORITY_NORMAL), 0);
    CHECK_RC(poll_expect("alerts", "6", ELASTIC_PRIORITY_NORMAL), 0);
    CHECK_RC(poll_expect("sensors.temp", "1", ELASTIC_PRIORITY_LOW), 0);
    CHECK_RC(poll_expect("sensors.temp", "4", ELASTIC_PRIORITY_LOW), 0);
    CHECK(elastic_events_pending() == 0);
    CHECK_RC(elastic_events_poll(0, &ev), ELASTIC_EVENTS_ERR_TIMEOUT);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    CHECK_RC(elastic_events_poll(50, &ev), ELASTIC_EVENTS_ERR_TIMEOUT);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    CHECK(ms >= 45);
    /* Sequence numbers grow; payloads may be empty or binary. */
    CHECK_RC(elastic_events_publish("sensors.a", ELASTIC_PRIORITY_LOW, "", 0, &n), 0);
    CHECK_RC(elastic_events_publish("sensors.b", ELASTIC_PRIORITY_LOW, "\0\1", 2, &n), 0);
    elastic_event e1, e2;
    CHECK_RC(elastic_events_poll(0, &e1), 0);
    CHECK_RC(elastic_events_poll(0, &e2), 0);
    CHECK(e1.payload.len == 0 && e2.payload.len == 2 && e2.sequence > e1.sequence);
    elastic_event_free(&e1), elastic_event_free(&e2);
    /* "*" sees everything; without subscriptions nothing is delivered. */
    elastic_events_unsubscribe(s1);
    elastic_events_unsubscribe(s2);
    CHECK_RC(elastic_events_publish("sensors.temp", ELASTIC_PRIORITY_LOW, "1", 1, &n), 0);
    CHECK(n == 0);
    CHECK_RC(elastic_events_poll(0, &ev), ELASTIC_EVENTS_ERR_NO_SUBSCRIPTIONS);
    CHECK_RC(elastic_events_subscribe("*", &s1), 0);
    CHECK_RC(elastic_events_publish("any.topic", ELASTIC_PRIORITY_HIGH, "z", 1, &n), 0);
    CHECK(n == 1);
    CHECK_RC(poll_expect("any.topic", "z", ELASTIC_PRIORITY_HIGH), 0);
    elastic_events_unsubscribe(s1);
}

static void publisher(void) {
    uint32_t n = 0;
    /* Wait until the other instance subscribed (at most ~5 s). */
    for (int i = 0; i < 500 && n == 0; i++) {
        CHECK_RC(elastic_events_publish("chat.hello", ELASTIC_PRIORITY_LOW, "hi", 2, &n), 0);
        if (!n) {
            struct timespec ts = {0, 10000000};
            nanosleep(&ts, NULL);
        }
    }
    CHECK(n == 1);
    for (int i = 0; i < 20; i++) {
        char msg[16];
        snprintf(msg, sizeof msg, "m%d", i);
        CHECK_RC(elastic_events_publish("chat.msg", ELASTIC_PRIORITY_NORMAL, msg, strlen(msg), &n), 0);
    }
    CHECK_RC(elastic_events_publish("chat.bye", ELASTIC_PRIORITY_LOW, "", 0, &n), 0);
}

static void subscriber(void) {
    elastic_subscription s;
    CHECK_RC(elastic_events_subscribe("chat.*", &s), 0);
    int msgs = 0, bye = 0, next = 0;
    while (!bye) {
        elastic_event ev;
        int rc = elastic_events_poll(5000, &ev);
        CHECK_RC(rc, 0);
        if (rc) break;
        if (!strcmp(ev.topic, "chat.msg")) {
            char want[16];
            snprintf(want, sizeof want, "m%d", next++);
            CHECK(ev.payload.len == strlen(want) && !memcmp(ev.payload.ptr, want, ev.payload.len));
            msgs++;
        }
        bye = !strcmp(ev.topic, "chat.bye");
        elastic_event_free(&ev);
    }
    CHECK(msgs == 20);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "single";
    if (!strcmp(mode, "pub")) publisher();
    else if (!strcmp(mode, "sub")) subscriber();
    else single();
    char label[32];
    snprintf(label, sizeof label, "events %s", mode);
    return t_done(label);
}
