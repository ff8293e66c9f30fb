/* unit_storage_crash.c: crash safety of elastic:storage (host-side, cmocka). A forked
 * writer replaces objects in a loop and acknowledges each put that returned; it is
 * killed (SIGKILL) either at a chosen step inside a write (through the storage step
 * hook: after the temp file is written, after its fsync, after the rename, after the
 * directory fsync) or at a random moment. Then every object must read back intact: each
 * acknowledged put is there or was replaced by a later one, nothing is torn, nothing
 * fails authentication, and the temp files the crash left are swept. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "hal.h"
#include "storage.h"

#define NKEYS 5
#define RUNS 24

static char dir[256], keyfile[300];

static elvm_hal *new_hal(void) {
    elvm_hal_config cfg;
    elvm_hal_config_default(&cfg);
    cfg.profile = "elastic-tee-storage";
    cfg.snp_backend = 4; /* none: the key file seals */
    cfg.storage_dir = dir;
    cfg.storage_key_file = keyfile;
    elvm_error err;
    elvm_hal *h = elvm_hal_new(&cfg, &err);
    if (!h) fprintf(stderr, "elvm_hal_new: %s\n", err.msg);
    return h;
}

/* Value of sequence number `seq`: seq (8 bytes), length (4), then bytes from seq. */
static size_t make_value(uint64_t seq, uint8_t **out) {
    size_t n = 12 + (size_t)((seq * 2654435761u) % 150000);
    uint8_t *v = malloc(n);
    memcpy(v, &seq, 8);
    uint32_t n32 = (uint32_t)n;
    memcpy(v + 8, &n32, 4);
    for (size_t i = 12; i < n; i++) v[i] = (uint8_t)(seq * 31 + i * 7);
    *out = v;
    return n;
}

/* The sequence number of a well-formed value, or -1 if it is torn. */
static int64_t check_value(const uint8_t *v, size_t n) {
    if (n < 12) return -1;
    uint64_t seq;
    uint32_t n32;
    memcpy(&seq, v, 8);
    memcpy(&n32, v + 8, 4);
    if (n32 != n) return -1;
    for (size_t i = 12; i < n; i++)
        if (v[i] != (uint8_t)(seq * 31 + i * 7)) return -1;
    return (int64_t)seq;
}

static int crash_step = -1, crash_write = -1, writes_done;
static const char *const steps[] = {"temp-written", "temp-synced", "renamed", "dir-synced"};

static void hook(const char *s) {
    if (crash_step < 0 || writes_done != crash_write || strcmp(s, steps[crash_step])) return;
    raise(SIGKILL);
}

/* The writer: puts sequence numbers base, base+1, ... round-robin over the keys and
 * acknowledges each on `ack`. */
static void writer(int ack, uint64_t base) {
    elvm_hal *h = new_hal();
    hal_container *c;
    if (!h) _exit(3);
    int e = elvm__hal_container_open(h, "crash", 0, &c);
    if (e == HAL_ST_NOT_FOUND) e = elvm__hal_container_open(h, "crash", 1, &c);
    if (e >= 0) _exit(4);
    elvm__hal_storage_step_hook = hook;
    for (uint64_t seq = base;; seq++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", (int)(seq % NKEYS));
        uint8_t *v;
        size_t n = make_value(seq, &v);
        if (elvm__hal_obj_put(h, c, key, v, n) >= 0) _exit(5);
        free(v);
        writes_done++;
        if (write(ack, &seq, sizeof seq) != sizeof seq) _exit(6);
        if (writes_done > 200) _exit(0); /* killed before this, normally */
    }
}

static int64_t acked[NKEYS];

/* One run: fork a writer, kill it (at a step or after `kill_us`), collect the acks. */
static void one_run(uint64_t base, int step, int at_write, int kill_us) {
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        crash_step = step;
        crash_write = at_write;
        writer(p[1], base);
    }
    close(p[1]);
    if (kill_us >= 0) {
        usleep((useconds_t)kill_us);
        kill(pid, SIGKILL);
    }
    uint64_t seq;
    while (read(p[0], &seq, sizeof seq) == sizeof seq) acked[seq % NKEYS] = (int64_t)seq;
    close(p[0]);
    int status;
    waitpid(pid, &status, 0);
    /* Killed, or (rarely, with a late timer) done: never any other failure. */
    assert_true((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) ||
                (WIFEXITED(status) && WEXITSTATUS(status) == 0));
}

/* Every key holds a well-formed value at least as new as its last acknowledged put. A
 * writer killed before it had created the container (a random kill in the first run, on
 * a loaded machine) leaves no container at all: allowed while nothing was acknowledged. */
static void verify(void) {
    elvm_hal *h = new_hal();
    assert_non_null(h);
    hal_container *c;
    int oe = elvm__hal_container_open(h, "crash", 0, &c);
    if (oe == HAL_ST_NOT_FOUND) {
        elvm_hal_free(h);
        for (int k = 0; k < NKEYS; k++) assert_true(acked[k] < 0);
        return;
    }
    assert_int_equal(oe, -1);
    for (int k = 0; k < NKEYS; k++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", k);
        uint8_t *v = NULL;
        size_t n = 0;
        int e = elvm__hal_obj_get(h, c, key, &v, &n);
        if (acked[k] < 0) {
            assert_true(e == -1 || e == HAL_ST_NOT_FOUND);
        } else {
            assert_int_equal(e, -1);
            int64_t seq = check_value(v, n);
            assert_true(seq >= acked[k]);
            assert_int_equal(seq % NKEYS, k);
        }
        free(v);
    }
    char **keys;
    uint32_t nk;
    assert_int_equal(elvm__hal_obj_list(h, c, &keys, &nk), -1);
    for (uint32_t i = 0; i < nk; i++) free(keys[i]);
    free(keys);
    elvm__hal_container_close(c);
    elvm_hal_free(h);
    /* Opening swept the temp files of the crash. */
    char cdir[300];
    snprintf(cdir, sizeof cdir, "%s/crash", dir);
    DIR *d = opendir(cdir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) assert_true(strncmp(e->d_name, ".tmp-", 5) != 0);
    closedir(d);
}

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/elvm-hal-crash-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    snprintf(keyfile, sizeof keyfile, "%s.key", dir);
    FILE *f = fopen(keyfile, "w");
    if (!f) return -1;
    fputs("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", f);
    fclose(f);
    for (int k = 0; k < NKEYS; k++) acked[k] = -1;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", dir, keyfile);
    return system(cmd);
}

/* A crash at each step of a write, at several write counts. */
static void test_crash_at_each_step(void **state) {
    (void)state;
    uint64_t base = 1;
    for (int s = 0; s < 4; s++) {
        for (int w = 0; w < 6; w += 2) {
            one_run(base, s, w, -1);
            base += 1000;
            verify();
        }
    }
}

/* Kills at random moments. */
static void test_random_kill(void **state) {
    (void)state;
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    uint64_t base = 100000;
    for (int r = 0; r < RUNS; r++) {
        one_run(base, -1, -1, 2000 + rand() % 60000);
        base += 1000;
        verify();
    }
}

/* The same objects under a wrong key are refused as a whole, and a flipped byte in an
 * object is an integrity failure. */
static void test_tamper_and_wrong_key(void **state) {
    (void)state;
    one_run(500000, 3, 4, -1);
    verify();
    elvm_hal *h = new_hal();
    hal_container *c;
    assert_int_equal(elvm__hal_container_open(h, "crash", 0, &c), -1);
    uint8_t *v = NULL;
    size_t n;
    assert_int_equal(elvm__hal_obj_get(h, c, "k0", &v, &n), -1);
    free(v);
    /* Flip one byte in every object file. */
    char cdir[300];
    snprintf(cdir, sizeof cdir, "%s/crash", dir);
    DIR *d = opendir(cdir);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strstr(e->d_name, ".obj")) continue;
        char path[700];
        snprintf(path, sizeof path, "%s/%s", cdir, e->d_name);
        int fd = open(path, O_RDWR);
        uint8_t b;
        assert_int_equal(pread(fd, &b, 1, 40), 1);
        b ^= 0x40;
        assert_int_equal(pwrite(fd, &b, 1, 40), 1);
        close(fd);
    }
    closedir(d);
    v = NULL;
    assert_int_equal(elvm__hal_obj_get(h, c, "k0", &v, &n), HAL_ST_INTEGRITY_FAILURE);
    assert_null(v);
    elvm__hal_container_close(c);
    elvm_hal_free(h);
    /* Another key file. */
    FILE *f = fopen(keyfile, "w");
    fputs("ff112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", f);
    fclose(f);
    h = new_hal();
    assert_int_equal(elvm__hal_container_open(h, "crash", 0, &c), HAL_ST_WRONG_KEY);
    elvm_hal_free(h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_crash_at_each_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_kill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_and_wrong_key, setup, teardown),
    };
    return cmocka_run_group_tests_name("hal storage crash safety", tests, NULL, NULL);
}
