/* fuzz_decode.c: libFuzzer/AFL++ target: bytes -> elvm_module_new (decode, validate,
 * compile), once without and once with fuel accounting (two code generators), and once
 * compiling lazily (validation alone at load: the compile pass with nothing reachable).
 * A module must be accepted by all or by none, and a rejection must say why; the lazy
 * rejection must be the eager one, word for word. The fuel run
 * goes through elvm_module_new_take with an exact-size copy, which must be released
 * exactly once (at once on rejection, with the module otherwise). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_rejection(const elvm_error *err) {
    switch (err->status) {
    case ELVM_MALFORMED:
    case ELVM_INVALID:
    case ELVM_LIMIT:
    case ELVM_NOMEM:
        break;
    default:
        fprintf(stderr, "unexpected status %d: %s\n", err->status, err->msg);
        abort();
    }
    if (!err->msg[0] || !memchr(err->msg, 0, sizeof err->msg)) abort();
}

/* Reads back everything the module describes, so ASan sees each array. */
static void walk(const elvm_module *m) {
    volatile size_t sum = 0;
    for (uint32_t i = 0; i < elvm_module_num_imports(m); i++) {
        elvm_import_desc d;
        elvm_module_import(m, i, &d);
        sum += d.module_len + d.name_len + (uint8_t)d.module[d.module_len] + (uint8_t)d.name[d.name_len];
        for (uint32_t k = 0; d.type.kind == ELVM_EXTERN_FUNC && k < d.type.nparams; k++) sum += d.type.params[k];
        for (uint32_t k = 0; d.type.kind == ELVM_EXTERN_FUNC && k < d.type.nresults; k++) sum += d.type.results[k];
    }
    for (uint32_t i = 0; i < elvm_module_num_exports(m); i++) {
        elvm_export_desc d;
        elvm_module_export(m, i, &d);
        sum += d.name_len + (uint8_t)d.name[d.name_len];
        for (uint32_t k = 0; d.type.kind == ELVM_EXTERN_FUNC && k < d.type.nparams; k++) sum += d.type.params[k];
        for (uint32_t k = 0; d.type.kind == ELVM_EXTERN_FUNC && k < d.type.nresults; k++) sum += d.type.results[k];
    }
    elvm_module_stats st;
    elvm_module_stats_get(m, &st);
    sum += st.code_bytes;
    (void)sum;
}

static int released;

static void release_copy(uint8_t *bytes, size_t len, void *ud) {
    (void)len;
    (void)ud;
    released++;
    free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static elvm_engine *plain, *fueled, *lazy;
    if (!plain) {
        elvm_config cfg;
        elvm_config_default(&cfg);
        cfg.compile = ELVM_COMPILE_EAGER;
        plain = elvm_engine_new(&cfg);
        cfg.compile = ELVM_COMPILE_LAZY;
        lazy = elvm_engine_new(&cfg);
        cfg.compile = ELVM_COMPILE_EAGER;
        cfg.fuel = 1;
        fueled = elvm_engine_new(&cfg);
        if (!plain || !fueled || !lazy) abort();
    }
    elvm_error e1, e2, e3;
    elvm_module *m1 = elvm_module_new(plain, data, size, &e1);
    elvm_module *m3 = elvm_module_new(lazy, data, size, &e3);
    if (!m1 != !m3 || (!m1 && e1.status != ELVM_NOMEM && e3.status != ELVM_NOMEM &&
                       (e1.status != e3.status || strcmp(e1.msg, e3.msg)))) {
        fprintf(stderr, "lazy compilation changes validation: %s / %s\n", m1 ? "ok" : e1.msg,
                m3 ? "ok" : e3.msg);
        abort();
    }
    elvm_module_free(m3);
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) abort();
    memcpy(copy, data, size);
    released = 0;
    elvm_module *m2 = elvm_module_new_take(fueled, copy, size, release_copy, NULL, &e2);
    if (!m2 && released != 1) abort();
    if (m2 && released != 0) abort();
    if (!m1 != !m2) {
        fprintf(stderr, "fuel changes validity: %s / %s\n", m1 ? "ok" : e1.msg, m2 ? "ok" : e2.msg);
        abort();
    }
    if (m1) {
        walk(m1);
        elvm_module_free(m1);
        elvm_module_free(m2);
        if (released != 1) abort();
    } else {
        check_rejection(&e1);
        check_rejection(&e2);
        if (e1.status != e2.status && e1.status != ELVM_NOMEM && e2.status != ELVM_NOMEM) abort();
    }
    return 0;
}
