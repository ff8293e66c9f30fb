/* test_capabilities.c: elastic:capabilities from a guest. argv[1..] are "name=0|1"
 * expectations of availability that the script derives from the host's grants. */
#include "guest_test.h"

int main(int argc, char **argv) {
    elastic_capability *caps;
    size_t n = elastic_capabilities_list(&caps);
    CHECK(n == 15);
    for (size_t i = 0; i < n; i++) {
        printf("capability %-16s %s  %s\n", caps[i].name, caps[i].available ? "yes" : "no ",
               caps[i].detail);
        CHECK(elastic_capabilities_has(caps[i].name) == caps[i].available);
    }
    elastic_capabilities_free(caps, n);
    for (int i = 1; i < argc; i++) {
        char name[64];
        int want;
        if (sscanf(argv[i], "%63[^=]=%d", name, &want) != 2) continue;
        elastic_capability c;
        bool found = elastic_capabilities_get(name, &c);
        CHECK(found);
        if (!found) continue;
        if (c.available != (want != 0)) printf("FAIL: %s available=%d\n", name, c.available);
        CHECK(c.available == (want != 0));
        CHECK(!strcmp(c.name, name));
        free(c.name), free(c.detail);
    }
    elastic_capability c;
    CHECK(!elastic_capabilities_get("no-such-thing", &c));
    CHECK(!elastic_capabilities_has("no-such-thing"));
    CHECK(!elastic_capabilities_has(""));
    char **ifs = elastic_capabilities_interfaces();
    int nifs = 0, has_caps = 0;
    for (; ifs && ifs[nifs]; nifs++) has_caps |= !strcmp(ifs[nifs], "capabilities");
    CHECK(nifs >= 1 && has_caps);
    elastic_strings_free(ifs);
    char *p = elastic_capabilities_profile();
    CHECK(p && strlen(p) > 0);
    printf("capabilities: profile %s, %d interfaces\n", p ? p : "?", nifs);
    free(p);
    return t_done("capabilities");
}
