/* test_storage.c: elastic:storage from a guest, in phases the script runs one after the
 * other on the same directory:
 *   write      create, put, get, exists, list, delete and every error path
 *   read       a later run reads back what `write` committed
 *   wrong-key  the host was given another sealing key: open fails with wrong-key
 *   tampered   the script flipped a byte of one object: integrity-failure, never garbage
 *   no-grant   no storage directory: not-granted */
#include "guest_test.h"

static const char *const keys[] = {"alpha", "empty", "bin/ary", "größe", "big"};

/* The value of key i (deterministic, so `read` can check it). */
static size_t value_of(int i, unsigned char **out) {
    size_t n = i == 0 ? 26 : i == 1 ? 0 : i == 2 ? 256 : i == 3 ? 11 : (1u << 20) + 3;
    unsigned char *v = malloc(n ? n : 1);
    for (size_t k = 0; k < n; k++)
        v[k] = i == 0 ? (unsigned char)('a' + k) : i == 3 ? "TOP-SECRET!"[k] : (unsigned char)(k * 7 + i);
    *out = v;
    return n;
}

static void check_values(elastic_storage_container c) {
    for (int i = 0; i < 5; i++) {
        unsigned char *want;
        size_t n = value_of(i, &want);
        elastic_bytes got;
        CHECK_RC(elastic_storage_get(c, keys[i], &got), 0);
        CHECK(got.len == n && (n == 0 || !memcmp(got.ptr, want, n)));
        elastic_bytes_free(&got);
        free(want);
    }
}

static void phase_write(void) {
    elastic_storage_container c, c2;
    CHECK_RC(elastic_storage_create("notes", &c), 0);
    CHECK_RC(elastic_storage_create("notes", &c2), ELASTIC_STORAGE_ERR_ALREADY_EXISTS);
    CHECK_RC(elastic_storage_open("missing", &c2), ELASTIC_STORAGE_ERR_NOT_FOUND);
    const char *bad[] = {"", ".hidden", "a/b", "..", "sp ace",
                         "0123456789012345678901234567890123456789012345678901234567890123456789"};
    for (int i = 0; i < 6; i++) {
        CHECK_RC(elastic_storage_create(bad[i], &c2), ELASTIC_STORAGE_ERR_INVALID_NAME);
        CHECK_RC(elastic_storage_open(bad[i], &c2), ELASTIC_STORAGE_ERR_INVALID_NAME);
    }
    char *name = elastic_storage_name(c);
    CHECK(name && !strcmp(name, "notes"));
    free(name);

    for (int i = 0; i < 5; i++) {
        unsigned char *v;
        size_t n = value_of(i, &v);
        CHECK_RC(elastic_storage_put(c, keys[i], v, n), 0);
        free(v);
    }
    check_values(c);
    /* Replacing an object. */
    CHECK_RC(elastic_storage_put(c, "temp", "one", 3), 0);
    CHECK_RC(elastic_storage_put(c, "temp", "two!", 4), 0);
    elastic_bytes got;
    CHECK_RC(elastic_storage_get(c, "temp", &got), 0);
    CHECK(got.len == 4 && !memcmp(got.ptr, "two!", 4));
    elastic_bytes_free(&got);
    bool ex = false;
    CHECK_RC(elastic_storage_exists(c, "temp", &ex), 0);
    CHECK(ex);
    char **list;
    CHECK_RC(elastic_storage_list(c, &list), 0);
    const char *sorted[] = {"alpha", "big", "bin/ary", "empty", "größe", "temp", NULL};
    int same = list != NULL;
    for (int i = 0; same && (sorted[i] || list[i]); i++)
        same = sorted[i] && list[i] && !strcmp(sorted[i], list[i]);
    CHECK(same);
    elastic_strings_free(list);
    CHECK_RC(elastic_storage_delete(c, "temp"), 0);
    CHECK_RC(elastic_storage_delete(c, "temp"), ELASTIC_STORAGE_ERR_NOT_FOUND);
    CHECK_RC(elastic_storage_get(c, "temp", &got), ELASTIC_STORAGE_ERR_NOT_FOUND);
    CHECK_RC(elastic_storage_exists(c, "temp", &ex), 0);
    CHECK(!ex);
    /* Keys: 1..1024 bytes, no NUL. */
    CHECK_RC(elastic_storage_put(c, "", "x", 1), ELASTIC_STORAGE_ERR_INVALID_NAME);
    char longkey[1026];
    memset(longkey, 'k', 1025);
    longkey[1025] = 0;
    CHECK_RC(elastic_storage_put(c, longkey, "x", 1), ELASTIC_STORAGE_ERR_INVALID_NAME);
    longkey[1024] = 0;
    CHECK_RC(elastic_storage_put(c, longkey, "x", 1), 0);
    CHECK_RC(elastic_storage_delete(c, longkey), 0);
    elastic__ret_unit ru;
    elastic_storage__put(c, "a\0b", 3, (const uint8_t *)"x", 1, &ru);
    CHECK(elastic__ret_unit_take(&ru) == ELASTIC_STORAGE_ERR_INVALID_NAME);
    /* Over the object size limit (16 MiB by default). */
    size_t big = (16u << 20) + 1;
    unsigned char *b = calloc(1, big);
    CHECK_RC(elastic_storage_put(c, "huge", b, big), ELASTIC_STORAGE_ERR_TOO_LARGE);
    free(b);

    /* Containers: list, delete, and a handle to a deleted container. */
    CHECK_RC(elastic_storage_create("scratch", &c2), 0);
    CHECK_RC(elastic_storage_put(c2, "k", "v", 1), 0);
    char **names;
    CHECK_RC(elastic_storage_list_containers(&names), 0);
    CHECK(names && names[0] && !strcmp(names[0], "notes") && names[1] &&
          !strcmp(names[1], "scratch") && !names[2]);
    elastic_strings_free(names);
    CHECK_RC(elastic_storage_delete_container("scratch"), 0);
    CHECK_RC(elastic_storage_delete_container("scratch"), ELASTIC_STORAGE_ERR_NOT_FOUND);
    CHECK_RC(elastic_storage_get(c2, "k", &got), ELASTIC_STORAGE_ERR_NOT_FOUND);
    CHECK_RC(elastic_storage_put(c2, "k", "v", 1), ELASTIC_STORAGE_ERR_NOT_FOUND);
    CHECK_RC(elastic_storage_open("scratch", &c2), ELASTIC_STORAGE_ERR_NOT_FOUND);
    CHECK_RC(elastic_storage_delete_container("../x"), ELASTIC_STORAGE_ERR_INVALID_NAME);
    CHECK_RC(elastic_storage_list_containers(&names), 0);
    CHECK(names && names[0] && !strcmp(names[0], "notes") && !names[1]);
    elastic_strings_free(names);
    elastic_storage_close(c2);
    elastic_storage_close(c);
}

static void phase_read(void) {
    elastic_storage_container c;
    CHECK_RC(elastic_storage_open("notes", &c), 0);
    check_values(c);
    char **list;
    CHECK_RC(elastic_storage_list(c, &list), 0);
    int n = 0;
    while (list && list[n]) n++;
    CHECK(n == 5);
    elastic_strings_free(list);
    elastic_storage_close(c);
}

static void phase_wrong_key(void) {
    elastic_storage_container c;
    CHECK_RC(elastic_storage_open("notes", &c), ELASTIC_STORAGE_ERR_WRONG_KEY);
    CHECK_RC(elastic_storage_delete_container("notes"), ELASTIC_STORAGE_ERR_WRONG_KEY);
    char **names;
    CHECK_RC(elastic_storage_list_containers(&names), 0); /* names are visible, not contents */
    elastic_strings_free(names);
}

static void phase_tampered(const char *victim) {
    elastic_storage_container c;
    CHECK_RC(elastic_storage_open("notes", &c), 0);
    elastic_bytes got;
    CHECK_RC(elastic_storage_get(c, victim, &got), ELASTIC_STORAGE_ERR_INTEGRITY_FAILURE);
    CHECK(got.ptr == NULL);
    char **list;
    CHECK_RC(elastic_storage_list(c, &list), ELASTIC_STORAGE_ERR_INTEGRITY_FAILURE);
    /* The other objects still read back. */
    CHECK_RC(elastic_storage_get(c, strcmp(victim, "alpha") ? "alpha" : "empty", &got), 0);
    elastic_bytes_free(&got);
    elastic_storage_close(c);
}

static void phase_no_grant(void) {
    elastic_storage_container c;
    char **names;
    CHECK_RC(elastic_storage_create("notes", &c), ELASTIC_STORAGE_ERR_NOT_GRANTED);
    CHECK_RC(elastic_storage_open("notes", &c), ELASTIC_STORAGE_ERR_NOT_GRANTED);
    CHECK_RC(elastic_storage_list_containers(&names), ELASTIC_STORAGE_ERR_NOT_GRANTED);
    CHECK_RC(elastic_storage_delete_container("notes"), ELASTIC_STORAGE_ERR_NOT_GRANTED);
}

int main(int argc, char **argv) {
    const char *phase = argc > 1 ? argv[1] : "write";
    if (!strcmp(phase, "write")) phase_write();
    else if (!strcmp(phase, "read")) phase_read();
    else if (!strcmp(phase, "wrong-key")) phase_wrong_key();
    else if (!strcmp(phase, "tampered")) phase_tampered(argc > 2 ? argv[2] : "alpha");
    else if (!strcmp(phase, "no-grant")) phase_no_grant();
    else if (!strcmp(phase, "bad-handle")) {
        elastic_bytes got;
        elastic_storage_get(77, "x", &got);
        printf("no trap\n");
    }
    char label[64];
    snprintf(label, sizeof label, "storage %s", phase);
    return t_done(label);
}
