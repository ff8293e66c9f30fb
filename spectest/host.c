/* host.c: the `spectest` host module scripts import from: print*, globals, table, memory. */
#include <stdio.h>
#include <string.h>

#include "spectest.h"

/* The print functions of the reference interpreter: they take these parameters and
 * return nothing. Each entry is also the `env` of its host function. */
typedef struct host_print_desc {
    const char *name;
    uint32_t nparams;
    elvm_valtype params[2];
} host_print_desc;

static const host_print_desc host_prints[] = {
    {"print", 0, {ELVM_I32, ELVM_I32}}, /* params unused when nparams is 0 */
    {"print_i32", 1, {ELVM_I32, ELVM_I32}},
    {"print_i64", 1, {ELVM_I64, ELVM_I64}},
    {"print_f32", 1, {ELVM_F32, ELVM_F32}},
    {"print_f64", 1, {ELVM_F64, ELVM_F64}},
    {"print_i32_f32", 2, {ELVM_I32, ELVM_F32}},
    {"print_f64_f64", 2, {ELVM_F64, ELVM_F64}},
};

static int host_verbose;

void st_host_set_verbose(int verbose) {
    host_verbose = verbose;
}

/* Prints the call like wabt's spectest-interp does, with -v only: scripts call these
 * a lot and the output says nothing about correctness. */
static int host_print(elvm_caller *caller, void *env, const elvm_val *args, elvm_val *results) {
    const host_print_desc *d = env;
    char line[ST_TEXT_SIZE] = "";
    if (!host_verbose)
        return 0;
    st_appendf(line, sizeof line, "called host spectest.%s(", d->name);
    for (uint32_t i = 0; i < d->nparams; i++) {
        st_appendf(line, sizeof line, "%s", i ? ", " : "");
        st_append_val(line, sizeof line, &args[i]);
    }
    printf("%s)\n", line);
    return 0;
}

static elvm_status define_prints(elvm_linker *l, elvm_store *store) {
    for (size_t i = 0; i < sizeof host_prints / sizeof host_prints[0]; i++) {
        const host_print_desc *d = &host_prints[i];
        elvm_extern ext = {.kind = ELVM_EXTERN_FUNC};
        ext.of.func = elvm_func_new(store, d->params, d->nparams, NULL, 0, host_print, (void *)d);
        if (!ext.of.func)
            return ELVM_NOMEM;
        elvm_status st = elvm_linker_define(l, "spectest", d->name, ext);
        if (st != ELVM_OK)
            return st;
    }
    return ELVM_OK;
}

/* Immutable globals holding 666 (666.6 for the floats), as in the reference interpreter. */
static elvm_status define_global(elvm_linker *l, elvm_store *store, const char *name, elvm_val v) {
    elvm_extern ext = {.kind = ELVM_EXTERN_GLOBAL};
    ext.of.global = elvm_global_new(store, v, 0);
    if (!ext.of.global)
        return ELVM_NOMEM;
    return elvm_linker_define(l, "spectest", name, ext);
}

static elvm_status define_globals(elvm_linker *l, elvm_store *store) {
    float f = 666.6f;
    double d = 666.6;
    elvm_val i32 = {.type = ELVM_I32, .of.i32 = 666};
    elvm_val i64 = {.type = ELVM_I64, .of.i64 = 666};
    elvm_val f32 = {.type = ELVM_F32}, f64 = {.type = ELVM_F64};
    memcpy(&f32.of.f32_bits, &f, sizeof f);
    memcpy(&f64.of.f64_bits, &d, sizeof d);
    elvm_status st = define_global(l, store, "global_i32", i32);
    if (st == ELVM_OK)
        st = define_global(l, store, "global_i64", i64);
    if (st == ELVM_OK)
        st = define_global(l, store, "global_f32", f32);
    if (st == ELVM_OK)
        st = define_global(l, store, "global_f64", f64);
    return st;
}

/* A funcref table of 10..20 elements, all null, and a memory of 1..2 pages. */
static elvm_status define_table_and_memory(elvm_linker *l, elvm_store *store) {
    elvm_limits table_limits = {.min = 10, .max = 20, .has_max = 1};
    elvm_limits memory_limits = {.min = 1, .max = 2, .has_max = 1};
    elvm_val null_func = {.type = ELVM_FUNCREF, .of.funcref = NULL};
    elvm_extern table = {.kind = ELVM_EXTERN_TABLE}, memory = {.kind = ELVM_EXTERN_MEMORY};
    table.of.table = elvm_table_new(store, ELVM_FUNCREF, table_limits, null_func);
    memory.of.memory = elvm_memory_new(store, memory_limits);
    if (!table.of.table || !memory.of.memory)
        return ELVM_NOMEM;
    elvm_status st = elvm_linker_define(l, "spectest", "table", table);
    if (st == ELVM_OK)
        st = elvm_linker_define(l, "spectest", "memory", memory);
    return st;
}

elvm_status st_host_define(elvm_linker *l, elvm_store *store) {
    elvm_status st = define_prints(l, store);
    if (st == ELVM_OK)
        st = define_globals(l, store);
    if (st == ELVM_OK)
        st = define_table_and_memory(l, store);
    return st;
}
