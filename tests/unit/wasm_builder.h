/* wasm_builder.h: assembles small wasm binaries in C for the unit tests (spec 5), so no
 * test needs wabt at run time. Two levels:
 *
 *   - wb: a growable byte buffer with LEB128 writers and size-prefixed sections, for tests
 *     that need exact (often broken) bytes;
 *   - wb_mod: a declarative module (function imports, functions with bodies, one or more
 *     memories, globals, start, exports, a name section) built with wb_build().
 *
 * Encodings here are written from the spec, not taken from vm/, so a wrong table in vm/
 * cannot make these tests agree with it. Everything is static inline: an unused helper
 * costs nothing and does not warn. */
#ifndef WASM_BUILDER_H
#define WASM_BUILDER_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "elvm.h"

/* ---- instruction bytes used by the tests (spec 5.4) --------------------------------- */

enum {
    W_UNREACHABLE = 0x00, W_NOP = 0x01, W_BLOCK = 0x02, W_LOOP = 0x03, W_IF = 0x04,
    W_ELSE = 0x05, W_END = 0x0B, W_BR = 0x0C, W_BR_IF = 0x0D, W_RETURN = 0x0F,
    W_CALL = 0x10, W_DROP = 0x1A, W_SELECT = 0x1B, W_SELECT_T = 0x1C,
    W_LOCAL_GET = 0x20, W_LOCAL_SET = 0x21, W_LOCAL_TEE = 0x22,
    W_GLOBAL_GET = 0x23, W_GLOBAL_SET = 0x24,
    W_I32_LOAD = 0x28, W_I64_LOAD = 0x29, W_I32_LOAD8_U = 0x2D, W_I32_STORE = 0x36,
    W_MEMORY_SIZE = 0x3F, W_MEMORY_GROW = 0x40,
    W_I32_CONST = 0x41, W_I64_CONST = 0x42, W_F32_CONST = 0x43, W_F64_CONST = 0x44,
    W_I32_EQZ = 0x45, W_I32_LT_S = 0x48, W_I32_ADD = 0x6A, W_I32_SUB = 0x6B,
    W_BLOCKTYPE_EMPTY = 0x40,
    /* value types (spec 5.3.1) */
    W_I32 = 0x7F, W_I64 = 0x7E, W_F32 = 0x7D, W_F64 = 0x7C, W_V128 = 0x7B, W_FUNCREF = 0x70,
    W_EXTERNREF = 0x6F,
};

/* ---- byte buffer ---------------------------------------------------------------------- */

typedef struct wb {
    uint8_t *p;
    size_t len, cap;
} wb;

static inline void wb_raw(wb *b, const void *src, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n) cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        assert_non_null(q);
        b->p = q;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, src, n);
    b->len += n;
}

/* WB_BYTES(b, 0x20, 0x00, ...): appends the listed bytes. */
#define WB_BYTES(b, ...)                                                                \
    wb_raw((b), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

static inline void wb_byte(wb *b, uint8_t x) { wb_raw(b, &x, 1); }

static inline void wb_free(wb *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* unsigned LEB128, shortest form */
static inline void wb_u32(wb *b, uint32_t v) {
    do {
        uint8_t x = v & 0x7F;
        v >>= 7;
        wb_byte(b, (uint8_t)(v ? x | 0x80 : x));
    } while (v);
}

/* signed LEB128, shortest form */
static inline void wb_s64(wb *b, int64_t v) {
    for (;;) {
        uint8_t x = (uint8_t)(v & 0x7F);
        v >>= 7; /* arithmetic shift on the compilers we use */
        int done = (v == 0 && !(x & 0x40)) || (v == -1 && (x & 0x40));
        wb_byte(b, (uint8_t)(done ? x : x | 0x80));
        if (done) return;
    }
}

static inline void wb_s32(wb *b, int32_t v) { wb_s64(b, v); }

/* little-endian fixed-width words (f32.const / f64.const immediates) */
static inline void wb_le32(wb *b, uint32_t v) {
    for (int i = 0; i < 4; i++) wb_byte(b, (uint8_t)(v >> (8 * i)));
}
static inline void wb_le64(wb *b, uint64_t v) {
    for (int i = 0; i < 8; i++) wb_byte(b, (uint8_t)(v >> (8 * i)));
}

/* a name: byte length, then the bytes */
static inline void wb_name(wb *b, const char *s) {
    size_t n = strlen(s);
    wb_u32(b, (uint32_t)n);
    wb_raw(b, s, n);
}

/* `content` prefixed with its byte size; frees `content` */
static inline void wb_sized(wb *b, wb *content) {
    wb_u32(b, (uint32_t)content->len);
    wb_raw(b, content->p, content->len);
    wb_free(content);
}

/* section id, size, content; frees `content` */
static inline void wb_section(wb *b, uint8_t id, wb *content) {
    wb_byte(b, id);
    wb_sized(b, content);
}

/* WB_SECTION(b, id, bytes...): a section whose content is the listed bytes. */
#define WB_SECTION(b, id, ...)                                                          \
    do {                                                                                \
        wb sec_ = {0};                                                                  \
        WB_BYTES(&sec_, __VA_ARGS__);                                                   \
        wb_section((b), (id), &sec_);                                                   \
    } while (0)

/* "\0asm" and version 1 */
static inline void wb_header(wb *b) { WB_BYTES(b, 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00); }

/* ---- value types as letters ------------------------------------------------------------
 * i = i32, I = i64, f = f32, F = f64, v = v128, r = funcref, e = externref: "ii" is
 * (i32, i32). */

static inline uint8_t wb_valtype(char c) {
    switch (c) {
    case 'i': return W_I32;
    case 'I': return W_I64;
    case 'f': return W_F32;
    case 'F': return W_F64;
    case 'v': return W_V128;
    case 'r': return W_FUNCREF;
    case 'e': return W_EXTERNREF;
    }
    fail_msg("wasm_builder: bad type letter '%c'", c);
    return 0;
}

/* functype: 0x60, vec(params), vec(results) */
static inline void wb_functype(wb *b, const char *params, const char *results) {
    wb_byte(b, 0x60);
    wb_u32(b, (uint32_t)strlen(params));
    for (const char *p = params; *p; p++) wb_byte(b, wb_valtype(*p));
    wb_u32(b, (uint32_t)strlen(results));
    for (const char *p = results; *p; p++) wb_byte(b, wb_valtype(*p));
}

/* ---- declarative modules --------------------------------------------------------------- */

/* WB_CODE(...): the `code, code_len` pair of a wb_fn: the locals vector, the
 * instructions, and the final 0x0B, e.g. WB_CODE(0x00, W_LOCAL_GET, 0, W_END). */
#define WB_CODE(...)                                                                    \
    (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

typedef struct wb_import_fn {
    const char *module, *name;
    const char *params, *results;
} wb_import_fn;

typedef struct wb_fn {
    const char *params, *results;
    const uint8_t *code; /* locals vector, instructions, end */
    size_t code_len;
    const char *export_name; /* NULL: not exported */
    const char *debug_name;  /* NULL: not in the name section */
} wb_fn;

typedef struct wb_global {
    char type; /* 'i' or 'I' */
    int mut;
    int64_t init;
    const char *export_name;
} wb_global;

typedef struct wb_mod {
    const wb_import_fn *imports;
    uint32_t nimports;
    const wb_fn *funcs;
    uint32_t nfuncs;
    uint32_t nmemories; /* 0, 1, or more (more is invalid in Wasm 2.0) */
    uint32_t mem_min, mem_max;
    int mem_has_max;
    const char *mem_export; /* export name of memory 0, or NULL */
    const wb_global *globals;
    uint32_t nglobals;
    int has_start;
    uint32_t start;
} wb_mod;

/* Encodes `m`. Types: one per import, then one per function, in that order (no
 * sharing), so function i (imports first) has type i. Returns the bytes in `out`. */
static inline void wb_build(const wb_mod *m, wb *out) {
    wb s = {0};
    memset(out, 0, sizeof *out);
    wb_header(out);

    uint32_t ntypes = m->nimports + m->nfuncs;
    if (ntypes) {
        wb_u32(&s, ntypes);
        for (uint32_t i = 0; i < m->nimports; i++)
            wb_functype(&s, m->imports[i].params, m->imports[i].results);
        for (uint32_t i = 0; i < m->nfuncs; i++)
            wb_functype(&s, m->funcs[i].params, m->funcs[i].results);
        wb_section(out, 1, &s);
    }
    if (m->nimports) {
        wb_u32(&s, m->nimports);
        for (uint32_t i = 0; i < m->nimports; i++) {
            wb_name(&s, m->imports[i].module);
            wb_name(&s, m->imports[i].name);
            wb_byte(&s, 0x00); /* func */
            wb_u32(&s, i);     /* typeidx */
        }
        wb_section(out, 2, &s);
    }
    if (m->nfuncs) {
        wb_u32(&s, m->nfuncs);
        for (uint32_t i = 0; i < m->nfuncs; i++) wb_u32(&s, m->nimports + i);
        wb_section(out, 3, &s);
    }
    if (m->nmemories) {
        wb_u32(&s, m->nmemories);
        for (uint32_t i = 0; i < m->nmemories; i++) {
            wb_byte(&s, m->mem_has_max ? 0x01 : 0x00);
            wb_u32(&s, m->mem_min);
            if (m->mem_has_max) wb_u32(&s, m->mem_max);
        }
        wb_section(out, 5, &s);
    }
    if (m->nglobals) {
        wb_u32(&s, m->nglobals);
        for (uint32_t i = 0; i < m->nglobals; i++) {
            const wb_global *g = &m->globals[i];
            wb_byte(&s, wb_valtype(g->type));
            wb_byte(&s, g->mut ? 0x01 : 0x00);
            if (g->type == 'i') {
                wb_byte(&s, W_I32_CONST);
                wb_s32(&s, (int32_t)g->init);
            } else {
                wb_byte(&s, W_I64_CONST);
                wb_s64(&s, g->init);
            }
            wb_byte(&s, W_END);
        }
        wb_section(out, 6, &s);
    }
    uint32_t nexports = m->mem_export ? 1 : 0;
    for (uint32_t i = 0; i < m->nfuncs; i++) nexports += m->funcs[i].export_name != NULL;
    for (uint32_t i = 0; i < m->nglobals; i++) nexports += m->globals[i].export_name != NULL;
    if (nexports) {
        wb_u32(&s, nexports);
        for (uint32_t i = 0; i < m->nfuncs; i++) {
            if (!m->funcs[i].export_name) continue;
            wb_name(&s, m->funcs[i].export_name);
            wb_byte(&s, 0x00);
            wb_u32(&s, m->nimports + i);
        }
        if (m->mem_export) {
            wb_name(&s, m->mem_export);
            wb_byte(&s, 0x02);
            wb_u32(&s, 0);
        }
        for (uint32_t i = 0; i < m->nglobals; i++) {
            if (!m->globals[i].export_name) continue;
            wb_name(&s, m->globals[i].export_name);
            wb_byte(&s, 0x03);
            wb_u32(&s, i);
        }
        wb_section(out, 7, &s);
    }
    if (m->has_start) {
        wb_u32(&s, m->start);
        wb_section(out, 8, &s);
    }
    if (m->nfuncs) {
        wb_u32(&s, m->nfuncs);
        for (uint32_t i = 0; i < m->nfuncs; i++) {
            wb_u32(&s, (uint32_t)m->funcs[i].code_len);
            wb_raw(&s, m->funcs[i].code, m->funcs[i].code_len);
        }
        wb_section(out, 10, &s);
    }
    uint32_t nnames = 0;
    for (uint32_t i = 0; i < m->nfuncs; i++) nnames += m->funcs[i].debug_name != NULL;
    if (nnames) {
        wb sub = {0};
        wb_name(&s, "name");
        wb_u32(&sub, nnames);
        for (uint32_t i = 0; i < m->nfuncs; i++) {
            if (!m->funcs[i].debug_name) continue;
            wb_u32(&sub, m->nimports + i);
            wb_name(&sub, m->funcs[i].debug_name);
        }
        wb_byte(&s, 0x01); /* function names subsection */
        wb_sized(&s, &sub);
        wb_section(out, 0, &s);
    }
}

/* ---- running modules --------------------------------------------------------------------- */

/* An engine, a module, a store and an instance, torn down together. */
typedef struct wb_rt {
    elvm_engine *engine;
    elvm_module *module;
    elvm_store *store;
    elvm_instance *inst;
} wb_rt;

static inline void wb_rt_close(wb_rt *rt) {
    /* the store before the module is the documented order; either works */
    elvm_store_free(rt->store);
    elvm_module_free(rt->module);
    elvm_engine_free(rt->engine);
    memset(rt, 0, sizeof *rt);
}

/* Engine with `cfg` (NULL: defaults) and a store; no module yet. */
static inline void wb_rt_init(wb_rt *rt, const elvm_config *cfg) {
    memset(rt, 0, sizeof *rt);
    rt->engine = elvm_engine_new(cfg);
    assert_non_null(rt->engine);
    rt->store = elvm_store_new(rt->engine);
    assert_non_null(rt->store);
}

/* Decodes `bytes` and instantiates them with `imports`. Fails the test on any error. */
static inline void wb_rt_load(wb_rt *rt, const uint8_t *bytes, size_t len,
                              const elvm_extern *imports, uint32_t nimports) {
    elvm_error err;
    memset(&err, 0, sizeof err);
    rt->module = elvm_module_new(rt->engine, bytes, len, &err);
    if (!rt->module) fail_msg("elvm_module_new: %s: %s", elvm_strerror(err.status), err.msg);
    rt->inst = elvm_instance_new(rt->store, rt->module, imports, nimports, &err);
    if (!rt->inst) fail_msg("elvm_instance_new: %s: %s", elvm_strerror(err.status), err.msg);
}

/* wb_rt_init + wb_build + wb_rt_load */
static inline void wb_rt_open(wb_rt *rt, const elvm_config *cfg, const wb_mod *m,
                              const elvm_extern *imports, uint32_t nimports) {
    wb bytes;
    wb_rt_init(rt, cfg);
    wb_build(m, &bytes);
    wb_rt_load(rt, bytes.p, bytes.len, imports, nimports);
    wb_free(&bytes);
}

/* The exported function `name`; fails the test if there is none. */
static inline elvm_func *wb_rt_func(wb_rt *rt, const char *name) {
    elvm_extern ext;
    if (!elvm_instance_export(rt->inst, name, &ext)) fail_msg("no export \"%s\"", name);
    assert_int_equal(ext.kind, ELVM_EXTERN_FUNC);
    return ext.of.func;
}

/* ---- values ---------------------------------------------------------------------------- */

static inline elvm_val wb_i32(int32_t x) { elvm_val v = {.type = ELVM_I32}; v.of.i32 = x; return v; }
static inline elvm_val wb_i64(int64_t x) { elvm_val v = {.type = ELVM_I64}; v.of.i64 = x; return v; }
static inline elvm_val wb_f32(uint32_t bits) { elvm_val v = {.type = ELVM_F32}; v.of.f32_bits = bits; return v; }
static inline elvm_val wb_f64(uint64_t bits) { elvm_val v = {.type = ELVM_F64}; v.of.f64_bits = bits; return v; }

/* Kills the test binary after `seconds`: a vm bug that makes a guest loop forever fails
 * `make unit` instead of hanging it. Call first thing in main(). */
static inline void wb_watchdog(unsigned seconds) { alarm(seconds); }

/* Whether `s` starts with `prefix` (the spec testsuite matches messages by prefix). */
static inline int wb_starts_with(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* assert_prefix(msg, "type mismatch"): with both strings in the failure message. */
#define assert_prefix(s, prefix)                                                        \
    do {                                                                                \
        if (!wb_starts_with((s), (prefix)))                                             \
            fail_msg("\"%s\" does not start with \"%s\"", (s), (prefix));               \
    } while (0)

#define assert_contains(s, needle)                                                      \
    do {                                                                                \
        if (!strstr((s), (needle))) fail_msg("\"%s\" does not contain \"%s\"", (s), (needle)); \
    } while (0)

#endif
