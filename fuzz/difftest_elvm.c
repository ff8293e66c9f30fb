/* difftest_elvm.c: the elvm side of the differential tests (fuzz/difftest.py). Runs one
 * module the way fuzz/difftest_node.mjs runs it under V8 and prints the same canonical
 * transcript, so the two compare line by line:
 *
 *   instantiate ok                          | instantiate error compile|link | instantiate trap CLASS
 *   call NAME                               one per exported function, in export order
 *   import MOD.NAME i32:1 f64:0x...         each call of an import (which returns zeros)
 *   => i32:-1 i64:5 f32:0x3f800000 f64:nan  results ("=>" alone for none)
 *   => trap CLASS                           trap classes merge what V8 words alike
 *   global NAME i32:7                       exported globals after the last call
 *   memory NAME pages=N fnv=XXXXXXXX        exported memories after the last call
 *
 * v128 values print as four i32 lanes (v128:lane0_lane1_lane2_lane3, hex); exports with
 * a v128 in their type are not called ("=> skipped v128"), as JS cannot call them.
 * Arguments are zeros (null for references). If the module exports
 * "hangLimitInitializer" (binaryen -ttf), it is called, silently, before every other
 * export, as binaryen's own harness does.
 *
 * usage: difftest_elvm [--fuel] FILE.wasm   (--fuel: compile with fuel, budget 2^40)
 * With DIFFTEST_DUMP=PREFIX in the environment, each exported memory is also written to
 * PREFIX.NAME (for finding where two engines' memories differ). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elvm.h"

static void print_val(const elvm_val *v) {
    switch (v->type) {
    case ELVM_I32: printf(" i32:%" PRId32, v->of.i32); break;
    case ELVM_I64: printf(" i64:%" PRId64, v->of.i64); break;
    case ELVM_F32:
        if ((v->of.f32_bits & 0x7fffffffu) > 0x7f800000u) printf(" f32:nan");
        else printf(" f32:0x%08" PRIx32, v->of.f32_bits);
        break;
    case ELVM_F64:
        if ((v->of.f64_bits & 0x7fffffffffffffffu) > 0x7ff0000000000000u) printf(" f64:nan");
        else printf(" f64:0x%016" PRIx64, v->of.f64_bits);
        break;
    case ELVM_V128: { /* four i32 lanes, lane 0 first */
        uint32_t l[4];
        memcpy(l, v->of.v128, 16);
        printf(" v128:%08" PRIx32 "_%08" PRIx32 "_%08" PRIx32 "_%08" PRIx32, l[0], l[1], l[2], l[3]);
        break;
    }
    case ELVM_FUNCREF: printf(" funcref:%s", v->of.funcref ? "func" : "null"); break;
    case ELVM_EXTERNREF: printf(" externref:%s", v->of.externref ? "obj" : "null"); break;
    default: printf(" ?"); break;
    }
}

/* Trap classes: V8 says "table index is out of bounds" for an undefined element and for
 * a table access, and "null function or function signature mismatch" for both
 * indirect-call failures; the classes merge what it cannot tell apart. */
static const char *trap_class(const elvm_error *err) {
    switch (err->trap) {
    case ELVM_TRAP_UNREACHABLE: return "unreachable";
    case ELVM_TRAP_DIV_ZERO: return "div-zero";
    case ELVM_TRAP_INT_OVERFLOW: return "int-overflow";
    case ELVM_TRAP_INVALID_CONVERSION: return "invalid-conversion";
    case ELVM_TRAP_MEMORY_OOB: return "memory-oob";
    case ELVM_TRAP_TABLE_OOB:
    case ELVM_TRAP_UNDEFINED_ELEMENT: return "table-oob";
    case ELVM_TRAP_INDIRECT_TYPE:
    case ELVM_TRAP_UNINITIALIZED_ELEMENT: return "indirect-call";
    case ELVM_TRAP_STACK_EXHAUSTED: return "stack-exhausted";
    default: return NULL;
    }
}

static void print_trap(const char *prefix, const elvm_error *err) {
    const char *c = trap_class(err);
    if (c) printf("%strap %s\n", prefix, c);
    else printf("%strap other:%s\n", prefix, err->msg);
}

static elvm_val zero(elvm_valtype t) {
    elvm_val v;
    memset(&v, 0, sizeof v);
    v.type = t;
    return v;
}

typedef struct stub {
    const char *module, *name;
    uint32_t nparams, nresults;
    const elvm_valtype *results;
} stub;

static int stub_fn(elvm_caller *caller, void *env, const elvm_val *args, elvm_val *results) {
    (void)caller;
    stub *s = env;
    printf("import %s.%s", s->module, s->name);
    for (uint32_t i = 0; i < s->nparams; i++) print_val(&args[i]);
    printf("\n");
    for (uint32_t i = 0; i < s->nresults; i++) results[i] = zero(s->results[i]);
    return 0;
}

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

static int has_v128(const elvm_valtype *t, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        if (t[i] == ELVM_V128) return 1;
    return 0;
}

static elvm_status call(elvm_store *store, elvm_func *f, elvm_error *err, int print) {
    elvm_externtype t;
    elvm_func_type(f, &t);
    if (has_v128(t.params, t.nparams) || has_v128(t.results, t.nresults)) {
        /* JS cannot pass or receive a v128: V8 would throw a TypeError */
        if (print) printf("=> skipped v128\n");
        return ELVM_OK;
    }
    elvm_val args[64], results[64];
    if (t.nparams > 64 || t.nresults > 64) return ELVM_ARG;
    for (uint32_t i = 0; i < t.nparams; i++) args[i] = zero(t.params[i]);
    elvm_status st = elvm_func_call(store, f, args, t.nparams, results, t.nresults, err);
    if (!print) return st;
    if (st == ELVM_OK) {
        printf("=>");
        for (uint32_t i = 0; i < t.nresults; i++) print_val(&results[i]);
        printf("\n");
    } else if (st == ELVM_TRAP) {
        print_trap("=> ", err);
    } else {
        printf("=> error %s\n", err->msg);
    }
    fflush(stdout);
    return st;
}

int main(int argc, char **argv) {
    int fuel = argc > 2 && !strcmp(argv[1], "--fuel");
    if (argc != 2 + fuel) {
        fprintf(stderr, "usage: difftest_elvm [--fuel] FILE.wasm\n");
        return 2;
    }
    size_t len;
    uint8_t *bytes = read_file(argv[1 + fuel], &len);
    if (!bytes) {
        perror(argv[1 + fuel]);
        return 2;
    }
    elvm_config cfg;
    elvm_config_default(&cfg);
    cfg.fuel = fuel;
    /* the fuel run also takes the software bounds checks (the plain one has guard pages)
     * and compiles each function on its first call (the plain one all at once): two code
     * generators, both ways of checking memory accesses, both times of compiling */
    cfg.software_bounds_checks = fuel;
    cfg.compile = fuel ? ELVM_COMPILE_LAZY : ELVM_COMPILE_EAGER;
    elvm_engine *engine = elvm_engine_new(&cfg);
    elvm_error err;
    elvm_module *m = elvm_module_new(engine, bytes, len, &err);
    if (!m) {
        printf("instantiate error compile\n");
        return 0;
    }
    elvm_store *store = elvm_store_new(engine);
    if (fuel) elvm_store_set_fuel(store, (uint64_t)1 << 40);
    uint32_t nimports = elvm_module_num_imports(m);
    elvm_extern *imports = calloc(nimports + 1, sizeof *imports);
    stub *stubs = calloc(nimports + 1, sizeof *stubs);
    for (uint32_t i = 0; i < nimports; i++) {
        elvm_import_desc d;
        elvm_module_import(m, i, &d);
        if (d.type.kind != ELVM_EXTERN_FUNC || has_v128(d.type.results, d.type.nresults)) {
            printf("instantiate error unsupported-import\n");
            return 0;
        }
        stub *s = &stubs[i];
        *s = (stub){d.module, d.name, d.type.nparams, d.type.nresults, d.type.results};
        imports[i].kind = ELVM_EXTERN_FUNC;
        imports[i].of.func = elvm_func_new(store, d.type.params, d.type.nparams, d.type.results,
                                           d.type.nresults, stub_fn, s);
    }
    elvm_instance *inst = elvm_instance_new(store, m, imports, nimports, &err);
    if (!inst) {
        if (err.status == ELVM_UNINSTANTIABLE && err.trap != ELVM_TRAP_NONE)
            print_trap("instantiate ", &err);
        else
            printf("instantiate error %s\n", err.status == ELVM_UNLINKABLE ? "link" : err.msg);
        return 0;
    }
    printf("instantiate ok\n");
    fflush(stdout);
    elvm_extern hli;
    int has_hli = elvm_instance_export(inst, "hangLimitInitializer", &hli) &&
                  hli.kind == ELVM_EXTERN_FUNC;
    uint32_t nexports = elvm_module_num_exports(m);
    for (uint32_t i = 0; i < nexports; i++) {
        elvm_export_desc d;
        elvm_module_export(m, i, &d);
        if (d.type.kind != ELVM_EXTERN_FUNC) continue;
        elvm_extern ext;
        elvm_instance_export_n(inst, d.name, d.name_len, &ext);
        if (has_hli && ext.of.func == hli.of.func) continue;
        printf("call %.*s\n", (int)d.name_len, d.name);
        if (has_hli) call(store, hli.of.func, &err, 0);
        call(store, ext.of.func, &err, 1);
    }
    for (uint32_t i = 0; i < nexports; i++) {
        elvm_export_desc d;
        elvm_module_export(m, i, &d);
        elvm_extern ext;
        elvm_instance_export_n(inst, d.name, d.name_len, &ext);
        if (d.type.kind == ELVM_EXTERN_GLOBAL) {
            elvm_val v;
            elvm_global_get(ext.of.global, &v);
            printf("global %.*s", (int)d.name_len, d.name);
            if (v.type == ELVM_V128) printf(" skipped v128"); /* V8 cannot read it */
            else print_val(&v);
            printf("\n");
        } else if (d.type.kind == ELVM_EXTERN_MEMORY) {
            const uint8_t *p = elvm_memory_data(ext.of.memory);
            uint64_t n = elvm_memory_size(ext.of.memory);
            uint32_t h = 2166136261u; /* FNV-1a */
            for (uint64_t k = 0; k < n; k++) h = (h ^ p[k]) * 16777619u;
            printf("memory %.*s pages=%" PRIu64 " fnv=%08" PRIx32 "\n", (int)d.name_len, d.name,
                   n / 65536, h);
            const char *dump = getenv("DIFFTEST_DUMP");
            char path[4096];
            if (dump && snprintf(path, sizeof path, "%s.%.*s", dump, (int)d.name_len, d.name) <
                            (int)sizeof path) {
                FILE *f = fopen(path, "wb");
                if (f) {
                    fwrite(p, 1, n, f);
                    fclose(f);
                }
            }
        }
    }
    elvm_store_free(store);
    elvm_module_free(m);
    elvm_engine_free(engine);
    free(imports);
    free(stubs);
    free(bytes);
    return 0;
}
