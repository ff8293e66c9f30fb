/* fuzz_common.h: what the fuzz targets share: instantiate a module with stub imports and
 * call every exported function under a fuel budget, with arguments and host behaviour
 * drawn from a control byte stream. Header-only: each target is one .c file. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elvm.h"

/* Per-input limits: small enough that one input runs in milliseconds. */
enum {
    FZ_FUEL_PER_CALL = 20000,       /* wasm instructions per exported call */
    FZ_CALL_DEPTH = 200,            /* guest frames */
    FZ_STACK_SLOTS = 1u << 16,      /* value stack: 512 KiB */
    FZ_MEMORY_LIMIT = 8u << 20,     /* bytes of linear memory per store */
    FZ_MAX_REENTRY = 2,             /* host -> wasm -> host ... nesting */
    FZ_MAX_EXPORT_CALLS = 64,       /* exported calls per input */
};

/* The run of one module: the store, its instance and the control bytes. */
typedef struct fz_run {
    elvm_store *store;
    elvm_instance *inst;
    const uint8_t *ctl;
    size_t nctl, pos;
    int depth;
    uint32_t nexports;
} fz_run;

/* One stub import: knows its result types, which the host callback is not told. */
typedef struct fz_stub {
    fz_run *run;
    uint32_t nresults;
    const elvm_valtype *results;
} fz_stub;

static inline uint8_t fz_byte(fz_run *r) { return r->pos < r->nctl ? r->ctl[r->pos++] : 0; }

static inline uint64_t fz_bytes(fz_run *r, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = v << 8 | fz_byte(r);
    return v;
}

static inline elvm_val fz_zero(elvm_valtype t) {
    elvm_val v;
    memset(&v, 0, sizeof v);
    v.type = t;
    return v;
}

/* An argument: mostly zero, else an edge value or raw bytes from the control stream. */
static inline elvm_val fz_arg(fz_run *r, elvm_valtype t) {
    static const uint64_t edges[] = {0, 1, UINT64_MAX, 0x80000000u, 0x7fffffffu, 0x8000000000000000u,
                                     0x7fc00000u, 0x7ff8000000000000u, 0xffffu, 65536};
    elvm_val v = fz_zero(t);
    uint8_t m = fz_byte(r);
    uint64_t x = m < 128 ? 0 : m < 192 ? edges[m % 10] : fz_bytes(r, 8);
    switch (t) {
    case ELVM_I32: v.of.i32 = (int32_t)x; break;
    case ELVM_I64: v.of.i64 = (int64_t)x; break;
    case ELVM_F32: v.of.f32_bits = (uint32_t)x; break;
    case ELVM_F64: v.of.f64_bits = x; break;
    default: break; /* references stay null, v128 zero */
    }
    return v;
}

static void fz_call_export(fz_run *r, uint32_t i);

/* A stub import: returns zeros, or (by the control stream) grows the caller's memory,
 * writes into it, traps, or calls back into an export. */
static int fz_stub_fn(elvm_caller *caller, void *env, const elvm_val *args, elvm_val *results) {
    (void)args;
    fz_stub *st = env;
    fz_run *r = st->run;
    for (uint32_t i = 0; i < st->nresults; i++) results[i] = fz_arg(r, st->results[i]);
    elvm_memory *mem = elvm_caller_memory(caller, 0);
    switch (fz_byte(r) & 7) {
    case 1:
        if (mem) elvm_memory_grow(mem, fz_byte(r) & 1);
        break;
    case 2:
        if (mem && elvm_memory_size(mem) > 0) {
            uint64_t at = fz_bytes(r, 3) % elvm_memory_size(mem);
            elvm_memory_data(mem)[at] = fz_byte(r);
        }
        break;
    case 3:
        return elvm_caller_trap(caller, ELVM_TRAP_HOST, "stub trap %u", (unsigned)fz_byte(r));
    case 4:
        if (r->depth < FZ_MAX_REENTRY && r->nexports) {
            r->depth++;
            fz_call_export(r, fz_byte(r) % r->nexports);
            r->depth--;
        }
        break;
    default: break;
    }
    return 0;
}

/* Calls export i if it is a function; ignores the outcome, only crashes matter here. */
static void fz_call_export(fz_run *r, uint32_t i) {
    const elvm_module *m = elvm_instance_module(r->inst);
    elvm_export_desc d;
    elvm_module_export(m, i, &d);
    if (d.type.kind != ELVM_EXTERN_FUNC) return;
    elvm_extern ext;
    if (!elvm_instance_export_n(r->inst, d.name, d.name_len, &ext)) abort(); /* must exist */
    elvm_val args[16], results[16];
    if (d.type.nparams > 16 || d.type.nresults > 16) return;
    for (uint32_t k = 0; k < d.type.nparams; k++) args[k] = fz_arg(r, d.type.params[k]);
    elvm_error err;
    if (r->depth == 0) elvm_store_set_fuel(r->store, FZ_FUEL_PER_CALL);
    elvm_status st = elvm_func_call(r->store, ext.of.func, args, d.type.nparams, results,
                                    d.type.nresults, &err);
    if (st == ELVM_TRAP) {
        char bt[512];
        elvm_store_backtrace(r->store, bt, sizeof bt);
        if (err.trap == ELVM_TRAP_NONE) abort(); /* a trap must say which */
    } else if (st != ELVM_OK && st != ELVM_EXIT) {
        abort(); /* arguments were well typed: nothing else may fail */
    }
}

/* Instantiates `m` with a stub for every import and calls each exported function in
 * order (then, by the control stream, a few again). */
static inline void fz_run_module(elvm_engine *engine, elvm_module *m, const uint8_t *ctl,
                                 size_t nctl) {
    fz_run r = {.ctl = ctl, .nctl = nctl};
    r.store = elvm_store_new(engine);
    if (!r.store) return;
    elvm_store_set_memory_limit(r.store, FZ_MEMORY_LIMIT);
    elvm_store_set_fuel(r.store, FZ_FUEL_PER_CALL); /* for the start function */
    uint32_t nimports = elvm_module_num_imports(m);
    elvm_extern *imports = calloc(nimports ? nimports : 1, sizeof *imports);
    fz_stub *stubs = calloc(nimports ? nimports : 1, sizeof *stubs);
    int ok = imports && stubs;
    for (uint32_t i = 0; ok && i < nimports; i++) {
        elvm_import_desc d;
        elvm_module_import(m, i, &d);
        const elvm_externtype *t = &d.type;
        imports[i].kind = t->kind;
        switch (t->kind) {
        case ELVM_EXTERN_FUNC:
            stubs[i] = (fz_stub){&r, t->nresults, t->results};
            imports[i].of.func = elvm_func_new(r.store, t->params, t->nparams, t->results,
                                               t->nresults, fz_stub_fn, &stubs[i]);
            ok = imports[i].of.func != NULL;
            break;
        case ELVM_EXTERN_TABLE:
            imports[i].of.table = elvm_table_new(r.store, t->valtype, t->limits, fz_zero(t->valtype));
            ok = imports[i].of.table != NULL;
            break;
        case ELVM_EXTERN_MEMORY:
            imports[i].of.memory = elvm_memory_new(r.store, t->limits);
            ok = imports[i].of.memory != NULL;
            break;
        case ELVM_EXTERN_GLOBAL:
            imports[i].of.global = elvm_global_new(r.store, fz_zero(t->valtype), t->mutable_);
            ok = imports[i].of.global != NULL;
            break;
        }
    }
    elvm_error err;
    if (ok) r.inst = elvm_instance_new(r.store, m, imports, nimports, &err);
    if (r.inst) {
        r.nexports = elvm_module_num_exports(m);
        uint32_t calls = 0;
        for (uint32_t i = 0; i < r.nexports && calls < FZ_MAX_EXPORT_CALLS; i++, calls++)
            fz_call_export(&r, i);
        while (r.nexports && calls++ < FZ_MAX_EXPORT_CALLS && fz_byte(&r) > 200)
            fz_call_export(&r, fz_byte(&r) % r.nexports);
    }
    elvm_store_free(r.store);
    free(imports);
    free(stubs);
}

#endif
