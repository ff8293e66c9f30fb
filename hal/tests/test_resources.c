/* test_resources.c: elastic:resources from a guest. "grants" runs under --memory 4 MiB,
 * --fuel 200M, --time-ms 20000; "none" without grants; "timeout" and "fuel-out" lower a
 * limit and then spin until the host stops them (the script expects the trap); "blocked"
 * waits forever on an empty channel under a time limit. */
#include "guest_test.h"

static volatile uint64_t sink;

/* malloc that the compiler cannot fold away (an unused malloc is assumed to succeed). */
static void *try_alloc(size_t n) {
    void *volatile p = malloc(n);
    if (p) {
        memset(p, 1, n);
        sink += ((volatile unsigned char *)p)[n - 1];
    }
    return p;
}

static void spin(void) {
    for (uint64_t i = 0;; i++) sink += i;
}

static void grants(void) {
    elastic_resource_report r;
    elastic_resources_report(&r);
    CHECK(r.memory_granted == 4u << 20 && r.memory_limit == 4u << 20);
    CHECK(r.memory_used > 0 && r.memory_used <= r.memory_limit && r.memory_peak >= r.memory_used);
    CHECK(r.fuel_granted == 200000000 && r.fuel_limit == 200000000);
    CHECK(r.fuel_used > 0 && r.fuel_used < r.fuel_limit);
    CHECK(r.time_granted_ms == 20000 && r.time_limit_ms == 20000 && r.time_used_ms < 20000);
    CHECK(elastic_resources_granted(ELASTIC_RESOURCE_MEMORY) == 4u << 20);
    CHECK(elastic_resources_usage(ELASTIC_RESOURCE_MEMORY) == r.memory_used);

    /* Memory: not over the grant, not under what is used. */
    uint64_t used = elastic_resources_usage(ELASTIC_RESOURCE_MEMORY);
    CHECK_RC(elastic_resources_set_limit(ELASTIC_RESOURCE_MEMORY, 8u << 20),
             ELASTIC_RESOURCES_ERR_EXCEEDS_GRANT);
    CHECK_RC(elastic_resources_set_limit(ELASTIC_RESOURCE_MEMORY, 0),
             ELASTIC_RESOURCES_ERR_EXCEEDS_GRANT);
    CHECK_RC(elastic_resources_set_limit(ELASTIC_RESOURCE_MEMORY, used - 1),
             ELASTIC_RESOURCES_ERR_BELOW_USAGE);
    CHECK_RC(elastic_resources_set_limit(ELASTIC_RESOURCE_MEMORY, used + 65536), 0);
    CHECK(elastic_resources_limit(ELASTIC_RESOURCE_MEMORY) == used + 65536);
    void *big = try_alloc(1u << 20);
    CHECK(big == NULL); /* memory.grow refused under the lowered limit */
    CHECK_RC(elastic_resources_set_limit(ELASTIC_RESOURCE_MEMORY, 4u << 20), 0);
    big = try_alloc(1u << 20);
    CHECK(big != NULL);
    free(big);

    /* Fuel. */
    uint64_t f1 = elastic_resources_usage(ELASTIC_RESOURCE_FUEL);
    for (int i = 0; i < 10000; i++) sink += (uint64_t)i;
    uint64_t f2 = elastic_resources_usage(ELASTIC_RESOURCE_FUEL);
    CHECK(f2 > f1 + 10000);
    CHECK_RC(elastic_resources_set_limit(ELASTIC_RESOURCE_FUEL, 300000000),
             ELASTIC_RESOURCES_ERR_EXCEEDS_GRANT);
    CHECK_RC(elastic_resources_set_limit(ELASTIC_RESOURCE_FUEL, 10),
             ELASTIC_RESOURCES_ERR_BELOW_USAGE);
    CHECK_RC(elastic_resources_set_limit(ELASTIC_RESOURCE_FUEL, f2 + 50000000), 0);
    CHECK(elastic_resources_limit(ELASTIC_RESOURCE_FUEL) == f2 + 50000000);
    uint64_t f3 = elastic_resources_usage(ELASTIC_RESOURCE_FUEL);
    CHECK(f3 >= f2); /* usage keeps counting across a new budget */

    /* Time. */
    CHECK_RC(elastic_resources_set_limit(ELASTIC_RESOURCE_TIME, 30000),
             ELASTIC_RESOURCES_ERR_EXCEEDS_GRANT);
    CHECK_RC(elastic_resources_set_limit(ELASTIC_RESOURCE_TIME, 15000), 0);
    CHECK(elastic_resources_limit(ELASTIC_RESOURCE_TIME) == 15000);
    CHECK_RC(elastic_resources_set_limit(ELASTIC_RESOURCE_TIME, 20000), 0);
}

static void none(void) {
    elastic_resource_report r;
    elastic_resources_report(&r);
    CHECK(r.memory_granted == 0 && r.fuel_granted == 0 && r.time_granted_ms == 0);
    CHECK(r.memory_limit == 0 && r.fuel_used == 0);
    CHECK_RC(elastic_resources_set_limit(ELASTIC_RESOURCE_FUEL, 1000), ELASTIC_RESOURCES_ERR_UNSUPPORTED);
    uint64_t used = elastic_resources_usage(ELASTIC_RESOURCE_MEMORY);
    CHECK_RC(elastic_resources_set_limit(ELASTIC_RESOURCE_MEMORY, used + 65536), 0);
    CHECK(try_alloc(1u << 20) == NULL);
    CHECK_RC(elastic_resources_set_limit(ELASTIC_RESOURCE_MEMORY, 0), 0); /* no grant: lift it */
    CHECK(try_alloc(1u << 20) != NULL);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "grants";
    if (!strcmp(mode, "grants")) grants();
    else if (!strcmp(mode, "none")) none();
    else if (!strcmp(mode, "timeout")) {
        uint64_t t = elastic_resources_usage(ELASTIC_RESOURCE_TIME);
        CHECK_RC(elastic_resources_set_limit(ELASTIC_RESOURCE_TIME, t + 200), 0);
        spin();
    } else if (!strcmp(mode, "blocked")) {
        /* Blocked forever on an empty channel: the time limit still ends it. */
        uint64_t t = elastic_resources_usage(ELASTIC_RESOURCE_TIME);
        CHECK_RC(elastic_resources_set_limit(ELASTIC_RESOURCE_TIME, t + 200), 0);
        elastic_channel ch;
        elastic_bytes m;
        CHECK_RC(elastic_channel_open("idle", &ch), 0);
        elastic_channel_receive(ch, ELASTIC_WAIT_FOREVER, &m);
        spin();
    } else if (!strcmp(mode, "fuel-out")) {
        uint64_t f = elastic_resources_usage(ELASTIC_RESOURCE_FUEL);
        CHECK_RC(elastic_resources_set_limit(ELASTIC_RESOURCE_FUEL, f + 100000), 0);
        spin();
    }
    char label[40];
    snprintf(label, sizeof label, "resources %s", mode);
    return t_done(label);
}
