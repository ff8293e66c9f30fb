/* test_random.c: elastic:random from a guest: sizes, the 1 MiB limit, and that the bytes
 * look random (no two draws equal, every byte value shows up in 64 KiB). */
#include "guest_test.h"

int main(void) {
    elastic_bytes a, b;
    CHECK_RC(elastic_random_bytes(32, &a), 0);
    CHECK_RC(elastic_random_bytes(32, &b), 0);
    CHECK(a.len == 32 && b.len == 32 && memcmp(a.ptr, b.ptr, 32));
    elastic_bytes_free(&a), elastic_bytes_free(&b);
    CHECK_RC(elastic_random_bytes(0, &a), 0);
    CHECK(a.len == 0);
    elastic_bytes_free(&a);
    CHECK_RC(elastic_random_bytes(65536, &a), 0);
    int seen[256] = {0}, all = 1;
    for (size_t i = 0; i < a.len; i++) seen[a.ptr[i]] = 1;
    for (int i = 0; i < 256; i++) all &= seen[i];
    CHECK(a.len == 65536 && all);
    elastic_bytes_free(&a);
    CHECK_RC(elastic_random_bytes(1u << 20, &a), 0);
    CHECK(a.len == 1u << 20);
    elastic_bytes_free(&a);
    CHECK_RC(elastic_random_bytes((1u << 20) + 1, &a), ELASTIC_RANDOM_ERR_TOO_LARGE);
    CHECK(a.ptr == NULL);
    uint64_t x = elastic_random_u64(), y = elastic_random_u64();
    CHECK(x != y);
    return t_done("random");
}
