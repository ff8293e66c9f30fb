/* fuzz_exec.c: libFuzzer/AFL++ target: run modules. An input starting with "\0asm" is a
 * module as is (skipped when invalid); any other input steers wasmgen, which builds a
 * valid module from it (an elvm rejection is then a bug: abort). The module is
 * instantiated with stub imports and every export is called under fuel (fuzz_common.h);
 * the bytes wasmgen did not use choose arguments and host behaviour. Half the inputs
 * compile each function on its first call. */
#include "fuzz_common.h"
#include "wasmgen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Two engines, both with fuel: one compiles every function at once, the other each on
 * its first call (ELVM_COMPILE_LAZY). */
static elvm_engine *make_engine(int compile) {
    elvm_config cfg;
    elvm_config_default(&cfg);
    cfg.fuel = 1;
    cfg.max_call_depth = FZ_CALL_DEPTH;
    cfg.value_stack_slots = FZ_STACK_SLOTS;
    cfg.compile = compile;
    elvm_engine *e = elvm_engine_new(&cfg);
    if (!e) abort();
    return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static elvm_engine *eager, *lazy;
    if (!eager) {
        eager = make_engine(ELVM_COMPILE_EAGER);
        lazy = make_engine(ELVM_COMPILE_LAZY);
    }
    int raw = size >= 4 && !memcmp(data, "\0asm", 4);
    /* a module as is: its size's parity picks the engine; else the first byte's top bit */
    elvm_engine *engine = (raw ? size & 1 : size && data[0] >> 7) ? lazy : eager;
    elvm_error err;
    if (raw) {
        elvm_module *m = elvm_module_new(engine, data, size, &err);
        if (!m) return 0;
        fz_run_module(engine, m, data, size);
        elvm_module_free(m);
        return 0;
    }
    if (size == 0) return 0;
    /* the first byte picks the generator's options */
    wg_options o = {.log_imports = data[0] & 1, .other_imports = data[0] >> 1 & 1,
                    .ref_types = data[0] >> 2 & 1, .hang_guard = (data[0] >> 3 & 3) == 3,
                    .simd = data[0] >> 5 & 1, .denan = data[0] >> 6 & 1};
    uint8_t *wasm;
    size_t len;
    size_t used = 1 + wasmgen(data + 1, size - 1, &o, &wasm, &len);
    elvm_module *m = elvm_module_new(engine, wasm, len, &err);
    if (!m) {
        fprintf(stderr, "generated module rejected: %s\n", err.msg);
        FILE *f = fopen("fuzz_exec-rejected.wasm", "wb");
        if (f) {
            fwrite(wasm, 1, len, f);
            fclose(f);
        }
        abort();
    }
    fz_run_module(engine, m, data + used, size - used);
    elvm_module_free(m);
    free(wasm);
    return 0;
}
