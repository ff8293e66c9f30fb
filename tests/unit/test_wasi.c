/* test_wasi.c: which WASI functions elvm_wasi_define and elvm_wasi_define_for put in a
 * linker (wasi/wasi.h), and how a --tcplisten address is read (wasi/sock.c). The
 * functions themselves are tested by running real programs (tests/examples.sh). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "wasm_builder.h"
#include "wasi.h"
#include "wasi_impl.h"

/* A module importing fd_write, proc_exit twice, a name WASI does not have, and an env
 * function; no functions of its own. */
static const wb_import_fn imports[] = {
    {"wasi_snapshot_preview1", "fd_write", "iiii", "i"},
    {"wasi_snapshot_preview1", "proc_exit", "i", ""},
    {"wasi_snapshot_preview1", "proc_exit", "i", ""},
    {"wasi_snapshot_preview1", "no_such_function", "", ""},
    {"env", "fd_read", "iiii", "i"},
    /* names that share a prefix with WASI's, and a module name that does */
    {"wasi_snapshot_preview1", "fd_writ", "", ""},
    {"wasi_snapshot_preview1", "fd_write_", "", ""},
    {"wasi_snapshot_preview1x", "fd_read", "iiii", "i"},
};

typedef struct fixture {
    elvm_engine *engine;
    elvm_store *store;
    elvm_linker *linker;
    elvm_wasi *wasi;
    elvm_module *module;
} fixture;

/* The module of the first `nimports` imports, and WASI defined in the linker for it
 * (elvm_wasi_define_for; every function when `all`). */
static void open_defined(fixture *x, uint32_t nimports, int all) {
    memset(x, 0, sizeof *x);
    assert_non_null(x->engine = elvm_engine_new(NULL));
    assert_non_null(x->store = elvm_store_new(x->engine));
    assert_non_null(x->linker = elvm_linker_new(x->store));
    elvm_wasi_config cfg;
    elvm_wasi_config_default(&cfg);
    elvm_error err;
    memset(&err, 0, sizeof err);
    assert_non_null(x->wasi = elvm_wasi_new(&cfg, &err));
    wb_mod m = {.imports = imports, .nimports = nimports};
    wb bytes;
    wb_build(&m, &bytes);
    x->module = elvm_module_new(x->engine, bytes.p, bytes.len, &err);
    wb_free(&bytes);
    if (!x->module) fail_msg("elvm_module_new: %s", err.msg);
    assert_int_equal(elvm_wasi_define_for(x->wasi, x->store, x->linker, all ? NULL : x->module),
                     ELVM_OK);
}

static void close_fixture(fixture *x) {
    elvm_linker_free(x->linker);
    elvm_store_free(x->store);
    elvm_wasi_free(x->wasi);
    elvm_module_free(x->module);
    elvm_engine_free(x->engine);
}

static int defined(const fixture *x, const char *module, const char *name) {
    elvm_extern ext;
    return elvm_linker_get(x->linker, module, name, &ext);
}

/* Only what the module imports from wasi_snapshot_preview1, once each, with the type
 * the host gives it. */
static void test_define_for_defines_the_imports(void **state) {
    (void)state;
    fixture x;
    open_defined(&x, 5, 0);
    assert_true(defined(&x, "wasi_snapshot_preview1", "fd_write"));
    assert_true(defined(&x, "wasi_snapshot_preview1", "proc_exit"));
    assert_false(defined(&x, "wasi_snapshot_preview1", "no_such_function"));
    assert_false(defined(&x, "wasi_snapshot_preview1", "fd_read"));
    assert_false(defined(&x, "wasi_snapshot_preview1", "random_get"));
    assert_false(defined(&x, "env", "fd_read"));
    close_fixture(&x);
    /* a prefix or an extension of a WASI name is not that name */
    open_defined(&x, 8, 0);
    assert_false(defined(&x, "wasi_snapshot_preview1", "fd_writ"));
    assert_false(defined(&x, "wasi_snapshot_preview1", "fd_write_"));
    assert_false(defined(&x, "wasi_snapshot_preview1x", "fd_read"));
    assert_false(defined(&x, "wasi_snapshot_preview1", "fd_read"));
    elvm_extern ext;
    assert_true(elvm_linker_get(x.linker, "wasi_snapshot_preview1", "fd_write", &ext));
    assert_int_equal(ext.kind, ELVM_EXTERN_FUNC);
    elvm_externtype t;
    elvm_func_type(ext.of.func, &t);
    assert_int_equal(t.nparams, 4);
    assert_int_equal(t.nresults, 1);
    close_fixture(&x);
}

/* A name the host lacks is left to instantiation, which names it. */
static void test_define_for_leaves_unknown_names(void **state) {
    (void)state;
    fixture x;
    open_defined(&x, 4, 0);
    elvm_error err;
    memset(&err, 0, sizeof err);
    assert_null(elvm_linker_instantiate(x.linker, x.module, &err));
    assert_non_null(strstr(err.msg, "no_such_function"));
    close_fixture(&x);
}

/* Without the unknown name the module instantiates with what define_for gave it. */
static void test_define_for_is_enough_to_instantiate(void **state) {
    (void)state;
    fixture x;
    open_defined(&x, 3, 0);
    elvm_error err;
    memset(&err, 0, sizeof err);
    if (!elvm_linker_instantiate(x.linker, x.module, &err)) fail_msg("instantiate: %s", err.msg);
    close_fixture(&x);
}

/* NULL, like elvm_wasi_define, defines every function of preview 1. */
static void test_define_for_null_defines_all(void **state) {
    (void)state;
    static const char *const names[] = {
        "args_get", "args_sizes_get", "environ_get", "environ_sizes_get", "clock_res_get",
        "clock_time_get", "fd_advise", "fd_allocate", "fd_close", "fd_datasync",
        "fd_fdstat_get", "fd_fdstat_set_flags", "fd_fdstat_set_rights", "fd_filestat_get",
        "fd_filestat_set_size", "fd_filestat_set_times", "fd_pread", "fd_prestat_get",
        "fd_prestat_dir_name", "fd_pwrite", "fd_read", "fd_readdir", "fd_renumber",
        "fd_seek", "fd_sync", "fd_tell", "fd_write", "path_create_directory",
        "path_filestat_get", "path_filestat_set_times", "path_link", "path_open",
        "path_readlink", "path_remove_directory", "path_rename", "path_symlink",
        "path_unlink_file", "poll_oneoff", "proc_exit", "proc_raise", "sched_yield",
        "random_get", "sock_accept", "sock_recv", "sock_send", "sock_shutdown"};
    fixture x;
    open_defined(&x, 0, 1);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!defined(&x, "wasi_snapshot_preview1", names[i])) fail_msg("%s is not defined", names[i]);
    assert_int_equal(sizeof names / sizeof names[0], 46);
    close_fixture(&x);
}

/* ---- --tcplisten addresses (elvm__wasi_listen) ------------------------------------- */

/* Listens on `spec`; returns the fd and the bound address, or fails the test. */
static int listen_ok(const char *spec, struct sockaddr_storage *ss) {
    char why[256] = "";
    int fd = elvm__wasi_listen(spec, why, sizeof why);
    if (fd < 0) fail_msg("%s: %s", spec, why);
    socklen_t len = sizeof *ss;
    assert_int_equal(getsockname(fd, (struct sockaddr *)ss, &len), 0);
    return fd;
}

/* Fails unless `spec` is refused with a reason containing `want`. */
static void listen_refused(const char *spec, const char *want) {
    char why[256] = "";
    int fd = elvm__wasi_listen(spec, why, sizeof why);
    if (fd >= 0) {
        close(fd);
        fail_msg("%s was accepted", spec);
    }
    if (!strstr(why, want)) fail_msg("%s: '%s' lacks '%s'", spec, why, want);
}

static void test_listen_ipv4(void **state) {
    (void)state;
    struct sockaddr_storage ss;
    int fd = listen_ok("127.0.0.1:0", &ss);
    assert_int_equal(ss.ss_family, AF_INET);
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)&ss;
    assert_int_equal(ntohl(v4->sin_addr.s_addr), INADDR_LOOPBACK);
    assert_int_not_equal(ntohs(v4->sin_port), 0); /* port 0: the kernel picked one */
    close(fd);
}

static void test_listen_ipv6(void **state) {
    (void)state;
    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    if (probe < 0) {
        print_message("no IPv6 on this host (%s): [::1] not tried\n", strerror(errno));
        skip();
    }
    close(probe);
    struct sockaddr_storage ss;
    char why[256] = "";
    int fd = elvm__wasi_listen("[::1]:0", why, sizeof why);
    if (fd < 0 && strstr(why, "Cannot assign requested address")) {
        print_message("no ::1 on this host: [::1] not tried\n");
        skip();
    }
    if (fd < 0) fail_msg("[::1]:0: %s", why);
    socklen_t len = sizeof ss;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&ss;
    assert_true(IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr));
    close(fd);
}

static void test_listen_refuses(void **state) {
    (void)state;
    const char *name = "ADDR must be an IPv4 address or an IPv6 one in brackets";
    listen_refused("localhost:0", name);               /* a host name: no resolver */
    listen_refused("::1:80", name);                    /* IPv6 needs its brackets */
    listen_refused("[127.0.0.1]:80", name);            /* and IPv4 has none */
    listen_refused("[]:1", name);
    listen_refused("[fe80::1%no-such-if0]:0", name);   /* an unknown zone */
    listen_refused("1111111111111111111111111111111111111111111111111111111111111:1", name);
    listen_refused("1.2.3.4:+1", "the port must be a number from 0 to 65535");
    listen_refused("1.2.3.4: 1", "the port must be a number from 0 to 65535");
    listen_refused("1.2.3.4:65536", "the port must be a number from 0 to 65535");
    listen_refused("1.2.3.4:99999999999999999999", "the port must be a number from 0 to 65535");
    listen_refused("1.2.3.4:", "expected ADDR:PORT");
    listen_refused(":80", "expected ADDR:PORT");
    listen_refused("1.2.3.4", "expected ADDR:PORT");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_define_for_defines_the_imports),
        cmocka_unit_test(test_define_for_leaves_unknown_names),
        cmocka_unit_test(test_define_for_is_enough_to_instantiate),
        cmocka_unit_test(test_define_for_null_defines_all),
        cmocka_unit_test(test_listen_ipv4),
        cmocka_unit_test(test_listen_ipv6),
        cmocka_unit_test(test_listen_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
