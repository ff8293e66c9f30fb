/* wasmgen.c: a structured generator of valid modules from fuzz bytes (see wasmgen.h).
 *
 * Expressions are generated top-down by the type they must leave on the stack (expr),
 * statements leave the stack as they found it (stmt). Every choice reads one input byte;
 * choice 0 is always the simplest (a constant, no statement), so exhausted input ends
 * generation quickly. Depth and an instruction budget per function bound the size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasmgen.h"

enum { I32 = 0x7F, I64 = 0x7E, F32 = 0x7D, F64 = 0x7C, V128 = 0x7B, FUNCREF = 0x70, EXTERNREF = 0x6F };

enum {
    MAX_TYPES = 96,
    MAX_FUNCS = 32,     /* imports + defined + wrappers */
    MAX_DEFINED = 8,
    MAX_ARITY = 4,      /* params or results of a function or block type */
    MAX_GLOBALS = 16,
    MAX_LOCALS = 40,
    MAX_LABELS = 32,
    MAX_DEPTH = 7,
    FUNC_BUDGET = 500,  /* instructions per function body, roughly */
    HANG_LIMIT = 1000,  /* loop iterations + calls per exported call (hang_guard) */
    NCOUNTERS = 4,      /* loops nested deeper than this iterate only by chance */
};

typedef struct buf {
    uint8_t *p;
    size_t len, cap;
} buf;

typedef struct ftype {
    uint8_t np, nr;
    uint8_t p[MAX_ARITY], r[MAX_ARITY];
} ftype;

typedef struct label {
    uint8_t n, loop;
    uint8_t t[MAX_ARITY];
} label;

typedef struct gen {
    const uint8_t *in;
    size_t n, pos;
    wg_options o;
    ftype types[MAX_TYPES];
    uint32_t ntypes;
    /* functions: imports, then defined ones, then the hang_guard wrappers */
    uint32_t nimports, ndefined, nwrappers;
    uint32_t ftype_of[MAX_FUNCS];
    uint32_t log_func[4]; /* funcidx of log-i32/i64/f32/f64, or UINT32_MAX */
    uint32_t nother;      /* env.h* imports */
    uint8_t gtype[MAX_GLOBALS], gmut[MAX_GLOBALS];
    uint32_t nglobals, hang_global;
    uint32_t table0_min, table1_min;
    int has_table1;
    uint32_t mem_min, mem_max;
    int mem_has_max;
    int start_func;
    /* the function being generated */
    const ftype *fn;
    uint32_t cur_func;
    uint8_t ltype[MAX_LOCALS];
    uint32_t nlocals, nuser; /* locals [0, nuser) are params and random locals */
    uint32_t scratch[7];     /* one per value type, for reshuffling the stack */
    uint32_t counter0;       /* NCOUNTERS i32 loop counters from here */
    uint32_t loops_open;
    label labels[MAX_LABELS];
    uint32_t nlabels;
    buf *code;
    int depth, budget;
} gen;

/* ---- bytes out ------------------------------------------------------------------------ */

static void put(buf *b, uint8_t v) {
    if (b->len == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 256;
        b->p = realloc(b->p, b->cap);
        if (!b->p) abort();
    }
    b->p[b->len++] = v;
}

static void put_bytes(buf *b, const void *src, size_t n) {
    for (size_t i = 0; i < n; i++) put(b, ((const uint8_t *)src)[i]);
}

static void put_u32(buf *b, uint32_t v) {
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        put(b, c | (v ? 0x80 : 0));
    } while (v);
}

static void put_s64(buf *b, int64_t v) {
    for (;;) {
        uint8_t c = v & 0x7f;
        v >>= 7; /* arithmetic shift on every compiler we build with */
        if ((v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40))) {
            put(b, c);
            return;
        }
        put(b, c | 0x80);
    }
}

static void put_name(buf *b, const char *s) {
    put_u32(b, (uint32_t)strlen(s));
    put_bytes(b, s, strlen(s));
}

static void put_section(buf *out, uint8_t id, buf *body) {
    put(out, id);
    put_u32(out, (uint32_t)body->len);
    put_bytes(out, body->p, body->len);
    free(body->p);
    *body = (buf){0};
}

/* ---- choices ---------------------------------------------------------------------------- */

static uint8_t byte(gen *g) { return g->pos < g->n ? g->in[g->pos++] : 0; }

/* 0..n-1; 0 once the input is exhausted */
static uint32_t rnd(gen *g, uint32_t n) {
    if (n <= 1) return 0;
    uint32_t v = byte(g);
    if (n > 256) v = v << 8 | byte(g);
    if (n > 65536) v = v << 16 | (uint32_t)byte(g) << 8 | byte(g);
    return v % n;
}

/* true one time in n; never once the input is exhausted */
static int one_in(gen *g, uint32_t n) { return n > 1 && rnd(g, n) == 1; }

static uint64_t raw(gen *g, int nbytes) {
    uint64_t v = 0;
    for (int i = 0; i < nbytes; i++) v = v << 8 | byte(g);
    return v;
}

static uint8_t rnd_numtype(gen *g) {
    static const uint8_t t[] = {I32, I64, F32, F64};
    return t[rnd(g, 4)];
}

/* A value type; v128 one time in `vec_one_in` (0: never) when SIMD is on. */
static uint8_t rnd_type(gen *g, uint32_t vec_one_in) {
    if (g->o.simd && vec_one_in && one_in(g, vec_one_in)) return V128;
    if (g->o.ref_types && one_in(g, 8)) return rnd(g, 2) ? EXTERNREF : FUNCREF;
    return rnd_numtype(g);
}

static uint8_t rnd_valtype(gen *g) { return rnd_type(g, 6); }

static int is_float(uint8_t t) { return t == F32 || t == F64; }
static int is_ref(uint8_t t) { return t == FUNCREF || t == EXTERNREF; }

static int scratch_slot(uint8_t t) {
    switch (t) {
    case I32: return 0;
    case I64: return 1;
    case F32: return 2;
    case F64: return 3;
    case FUNCREF: return 4;
    case EXTERNREF: return 5;
    default: return 6;
    }
}

/* ---- types -------------------------------------------------------------------------------- */

static int type_eq(const ftype *a, const ftype *b) {
    return a->np == b->np && a->nr == b->nr && !memcmp(a->p, b->p, a->np) &&
           !memcmp(a->r, b->r, a->nr);
}

/* Index of `t` in the type section, adding it; UINT32_MAX when the table is full. */
static uint32_t type_index(gen *g, const ftype *t) {
    for (uint32_t i = 0; i < g->ntypes; i++)
        if (type_eq(&g->types[i], t)) return i;
    if (g->ntypes == MAX_TYPES) return UINT32_MAX;
    g->types[g->ntypes] = *t;
    return g->ntypes++;
}

/* vec_one_in: how rare v128 is (0: never) */
static ftype rnd_ftype(gen *g, uint32_t maxp, uint32_t maxr, uint32_t vec_one_in) {
    ftype t = {0};
    t.np = (uint8_t)rnd(g, maxp + 1);
    t.nr = (uint8_t)rnd(g, maxr + 1);
    for (int i = 0; i < t.np; i++) t.p[i] = rnd_type(g, vec_one_in);
    for (int i = 0; i < t.nr; i++) t.r[i] = rnd_type(g, vec_one_in);
    return t;
}

static const ftype *func_type(gen *g, uint32_t f) { return &g->types[g->ftype_of[f]]; }
static uint32_t ncallable(const gen *g) { return g->nimports + g->ndefined; }

/* ---- instruction emission ------------------------------------------------------------------ */

static void op(gen *g, uint8_t code) {
    put(g->code, code);
    g->budget--;
}

static void op_fc(gen *g, uint32_t sub) {
    op(g, 0xFC);
    put_u32(g->code, sub);
}

static void imm(gen *g, uint32_t v) { put_u32(g->code, v); }

static void op_fd(gen *g, uint32_t sub) {
    op(g, 0xFD);
    put_u32(g->code, sub);
}

static void i32_const(gen *g, int32_t v) {
    op(g, 0x41);
    put_s64(g->code, v);
}

static void local_op(gen *g, uint8_t code, uint32_t idx) {
    op(g, code);
    imm(g, idx);
}

/* A random local of type t among params and random locals, or -1. */
static int pick_local(gen *g, uint8_t t) {
    uint32_t cand[MAX_LOCALS], n = 0;
    for (uint32_t i = 0; i < g->nuser; i++)
        if (g->ltype[i] == t) cand[n++] = i;
    return n ? (int)cand[rnd(g, n)] : -1;
}

/* A random global of type t (mutable only if asked), never the hang budget, or -1. */
static int pick_global(gen *g, uint8_t t, int need_mut) {
    uint32_t cand[MAX_GLOBALS], n = 0;
    for (uint32_t i = 0; i < g->nglobals; i++)
        if (g->gtype[i] == t && (!need_mut || g->gmut[i]) && i != g->hang_global) cand[n++] = i;
    return n ? (int)cand[rnd(g, n)] : -1;
}

static void constant(gen *g, uint8_t t) {
    static const uint32_t i32s[] = {0, 1, 0xffffffffu, 0x80000000u, 0x7fffffffu, 0xff, 0xffff,
                                    0x10000, 31, 32, 0xfffffff0u, 0x8000, 0x7f, 65535, 65536 - 4};
    static const uint64_t i64s[] = {0, 1, UINT64_MAX, 0x8000000000000000u, 0x7fffffffffffffffu,
                                    0xffffffffu, 0x80000000u, 0x100000000u, 63, 64,
                                    0xfffffffffffffff0u, 0x7fffffff, 0xffffffff80000000u};
    static const uint32_t f32s[] = {0, 0x80000000u, 0x3f800000u, 0xbf800000u, 0x7f800000u,
                                    0xff800000u, 0x7fc00000u, 0x7fa00001u, 0xffc00000u, 1,
                                    0x7f7fffffu, 0x3f000000u, 0x4f000000u, 0x4f800000u,
                                    0x5f000000u, 0xcf000001u, 0x3fc00000u, 0x00800000u};
    static const uint64_t f64s[] = {0, 0x8000000000000000u, 0x3ff0000000000000u,
                                    0xbff0000000000000u, 0x7ff0000000000000u,
                                    0xfff0000000000000u, 0x7ff8000000000000u,
                                    0x7ff4000000000001u, 0xfff8000000000000u, 1,
                                    0x7fefffffffffffffu, 0x3fe0000000000000u,
                                    0x41e0000000000000u, 0x41f0000000000000u,
                                    0x43e0000000000000u, 0xc1e0000000200000u,
                                    0x3ff8000000000000u, 0x41dfffffffc00000u};
    switch (t) {
    case I32: {
        uint32_t m = rnd(g, 4), v;
        v = m == 0 ? rnd(g, 16) : m == 1 ? i32s[rnd(g, 15)] : m == 2 ? (uint32_t)raw(g, 4)
                                                                   : (uint32_t)-(int32_t)rnd(g, 16);
        i32_const(g, (int32_t)v);
        break;
    }
    case I64: {
        uint32_t m = rnd(g, 4);
        uint64_t v = m == 0 ? rnd(g, 16) : m == 1 ? i64s[rnd(g, 13)] : m == 2 ? raw(g, 8)
                                                                        : (uint64_t)-(int64_t)rnd(g, 16);
        op(g, 0x42);
        put_s64(g->code, (int64_t)v);
        break;
    }
    case F32: {
        uint32_t m = rnd(g, 3), v;
        if (m == 0) {
            float f = (float)rnd(g, 16) - 4;
            memcpy(&v, &f, 4);
        } else {
            v = m == 1 ? f32s[rnd(g, 18)] : (uint32_t)raw(g, 4);
        }
        op(g, 0x43);
        for (int i = 0; i < 4; i++) put(g->code, (uint8_t)(v >> (8 * i)));
        break;
    }
    case F64: {
        uint32_t m = rnd(g, 3);
        uint64_t v;
        if (m == 0) {
            double d = (double)rnd(g, 16) - 4;
            memcpy(&v, &d, 8);
        } else {
            v = m == 1 ? f64s[rnd(g, 18)] : raw(g, 8);
        }
        op(g, 0x44);
        for (int i = 0; i < 8; i++) put(g->code, (uint8_t)(v >> (8 * i)));
        break;
    }
    case V128: {
        /* all zeros, a splat of an edge value, or random bytes */
        static const uint32_t lanes[] = {0, 0xffffffffu, 0x80000000u, 0x7fc00000u, 0x3f800000u,
                                         0x7f7f7f7fu, 0x80008000u, 0x00000001u, 0xff800000u};
        uint32_t m = rnd(g, 3), w = lanes[rnd(g, 9)];
        op_fd(g, 0x0C);
        for (int i = 0; i < 16; i++)
            put(g->code, m == 0 ? 0 : m == 1 ? (uint8_t)(w >> (8 * (i & 3))) : byte(g));
        break;
    }
    case FUNCREF:
        if (ncallable(g) && rnd(g, 2)) {
            op(g, 0xD2);
            imm(g, rnd(g, ncallable(g)));
        } else {
            op(g, 0xD0);
            put(g->code, FUNCREF);
        }
        break;
    default:
        op(g, 0xD0);
        put(g->code, EXTERNREF);
        break;
    }
}

static void leaf(gen *g, uint8_t t) {
    int i;
    switch (rnd(g, 3)) {
    case 1:
        if ((i = pick_local(g, t)) >= 0) return local_op(g, 0x20, (uint32_t)i);
        break;
    case 2:
        if ((i = pick_global(g, t, 0)) >= 0) return local_op(g, 0x23, (uint32_t)i);
        break;
    }
    constant(g, t);
}

/* ---- numeric operator tables (spec 5.4.7) ---------------------------------------------------- */

typedef struct opsig {
    uint16_t code; /* 0xFCnn: the 0xFC prefix */
    uint8_t in, out;
} opsig;

static const opsig unops[] = {
    {0x45, I32, I32}, {0x67, I32, I32}, {0x68, I32, I32}, {0x69, I32, I32}, {0xC0, I32, I32},
    {0xC1, I32, I32}, {0x50, I64, I32}, {0x79, I64, I64}, {0x7A, I64, I64}, {0x7B, I64, I64},
    {0xC2, I64, I64}, {0xC3, I64, I64}, {0xC4, I64, I64}, {0x8B, F32, F32}, {0x8C, F32, F32},
    {0x8D, F32, F32}, {0x8E, F32, F32}, {0x8F, F32, F32}, {0x90, F32, F32}, {0x91, F32, F32},
    {0x99, F64, F64}, {0x9A, F64, F64}, {0x9B, F64, F64}, {0x9C, F64, F64}, {0x9D, F64, F64},
    {0x9E, F64, F64}, {0x9F, F64, F64}, {0xA7, I64, I32}, {0xA8, F32, I32}, {0xA9, F32, I32},
    {0xAA, F64, I32}, {0xAB, F64, I32}, {0xAC, I32, I64}, {0xAD, I32, I64}, {0xAE, F32, I64},
    {0xAF, F32, I64}, {0xB0, F64, I64}, {0xB1, F64, I64}, {0xB2, I32, F32}, {0xB3, I32, F32},
    {0xB4, I64, F32}, {0xB5, I64, F32}, {0xB6, F64, F32}, {0xB7, I32, F64}, {0xB8, I32, F64},
    {0xB9, I64, F64}, {0xBA, I64, F64}, {0xBB, F32, F64}, {0xBC, F32, I32}, {0xBD, F64, I64},
    {0xBE, I32, F32}, {0xBF, I64, F64}, {0xFC00, F32, I32}, {0xFC01, F32, I32},
    {0xFC02, F64, I32}, {0xFC03, F64, I32}, {0xFC04, F32, I64}, {0xFC05, F32, I64},
    {0xFC06, F64, I64}, {0xFC07, F64, I64},
};

/* binary operators: contiguous opcode ranges with one signature each */
static const struct { uint8_t lo, hi, in, out; } binops[] = {
    {0x46, 0x4F, I32, I32}, {0x51, 0x5A, I64, I32}, {0x5B, 0x60, F32, I32},
    {0x61, 0x66, F64, I32}, {0x6A, 0x78, I32, I32}, {0x7C, 0x8A, I64, I64},
    {0x92, 0x98, F32, F32}, {0xA0, 0xA6, F64, F64},
};

/* ---- SIMD (0xFD prefix, spec 5.4.8) ------------------------------------------------------- */

/* v128 -> v128 and (v128, v128) -> v128 operators: sub-opcode ranges. `fl`: the result is
 * f32x4 (4) or f64x2 (2) lanes whose NaN bits are nondeterministic (denan_vec). */
typedef struct vrange {
    uint8_t lo, hi, fl;
} vrange;
static const vrange vec_unops[] = {
    {0x4D, 0x4D, 0}, {0x5E, 0x5E, 4}, {0x5F, 0x5F, 2}, {0x60, 0x62, 0}, {0x67, 0x6A, 4},
    {0x74, 0x75, 2}, {0x7A, 0x7A, 2}, {0x7C, 0x7F, 0}, {0x80, 0x81, 0}, {0x87, 0x8A, 0},
    {0x94, 0x94, 2}, {0xA0, 0xA1, 0}, {0xA7, 0xAA, 0}, {0xC0, 0xC1, 0}, {0xC7, 0xCA, 0},
    {0xE0, 0xE1, 0}, {0xE3, 0xE3, 4}, {0xEC, 0xED, 0}, {0xEF, 0xEF, 2}, {0xF8, 0xFF, 0},
};
static const vrange vec_binops[] = {
    {0x0E, 0x0E, 0}, {0x23, 0x4C, 0}, {0x4E, 0x51, 0}, {0x65, 0x66, 0}, {0x6E, 0x73, 0},
    {0x76, 0x79, 0}, {0x7B, 0x7B, 0}, {0x82, 0x82, 0}, {0x85, 0x86, 0}, {0x8E, 0x93, 0},
    {0x95, 0x99, 0}, {0x9B, 0x9F, 0}, {0xAE, 0xAE, 0}, {0xB1, 0xB1, 0}, {0xB5, 0xBA, 0},
    {0xBC, 0xBF, 0}, {0xCE, 0xCE, 0}, {0xD1, 0xD1, 0}, {0xD5, 0xDF, 0}, {0xE4, 0xE9, 4},
    {0xEA, 0xEB, 0}, {0xF0, 0xF5, 2}, {0xF6, 0xF7, 0},
};
static const uint8_t vec_shifts[] = {0x6B, 0x6C, 0x6D, 0x8B, 0x8C, 0x8D,
                                     0xAB, 0xAC, 0xAD, 0xCB, 0xCC, 0xCD};
static const uint8_t vec_tests[] = {0x53, 0x63, 0x64, 0x83, 0x84, 0xA3, 0xA4, 0xC3, 0xC4};
/* splat, extract_lane, replace_lane by lane shape: scalar type and lane count */
static const struct { uint8_t splat, extract, extract_u, replace, t, lanes; } vec_shapes[] = {
    {0x0F, 0x15, 0x16, 0x17, I32, 16}, {0x10, 0x18, 0x19, 0x1A, I32, 8},
    {0x11, 0x1B, 0x1B, 0x1C, I32, 4},  {0x12, 0x1D, 0x1D, 0x1E, I64, 2},
    {0x13, 0x1F, 0x1F, 0x20, F32, 4},  {0x14, 0x21, 0x21, 0x22, F64, 2},
};
/* loads: sub-opcode and log2 of the natural alignment */
static const uint8_t vec_loads[][2] = {
    {0x00, 4}, {0x01, 3}, {0x02, 3}, {0x03, 3}, {0x04, 3}, {0x05, 3}, {0x06, 3},
    {0x07, 0}, {0x08, 1}, {0x09, 2}, {0x0A, 3}, {0x5C, 2}, {0x5D, 3},
};

static uint8_t pick_range(gen *g, const vrange *r, size_t n, uint8_t *fl) {
    uint32_t total = 0, pick;
    for (size_t i = 0; i < n; i++) total += r[i].hi - r[i].lo + 1u;
    pick = rnd(g, total);
    for (size_t i = 0; i < n; i++) {
        uint32_t k = r[i].hi - r[i].lo + 1u;
        if (pick < k) {
            *fl = r[i].fl;
            return (uint8_t)(r[i].lo + pick);
        }
        pick -= k;
    }
    *fl = 0;
    return r[0].lo;
}

static void expr(gen *g, uint8_t t);
static void address(gen *g);
static void memarg(gen *g, uint32_t natural_log2);
static void denan(gen *g, uint8_t t);
static void denan_vec(gen *g, int lanes);

/* a v128 producer (vec_expr) or a scalar read out of one (vec_scalar) */
static void vec_expr(gen *g) {
    uint8_t fl = 0, sub;
    uint32_t k;
    switch (rnd(g, 12)) {
    case 1: case 2:
        sub = pick_range(g, vec_unops, sizeof vec_unops / sizeof vec_unops[0], &fl);
        expr(g, V128);
        op_fd(g, sub);
        break;
    case 3: case 4: case 5:
        sub = pick_range(g, vec_binops, sizeof vec_binops / sizeof vec_binops[0], &fl);
        expr(g, V128);
        expr(g, V128);
        op_fd(g, sub);
        break;
    case 6:
        expr(g, V128);
        if (rnd(g, 2)) i32_const(g, (int32_t)rnd(g, 70));
        else expr(g, I32);
        op_fd(g, vec_shifts[rnd(g, sizeof vec_shifts)]);
        break;
    case 7:
        expr(g, V128);
        expr(g, V128);
        expr(g, V128);
        op_fd(g, 0x52); /* bitselect */
        break;
    case 8:
        k = rnd(g, 6);
        expr(g, vec_shapes[k].t);
        denan(g, vec_shapes[k].t);
        op_fd(g, vec_shapes[k].splat);
        break;
    case 9:
        k = rnd(g, 6);
        expr(g, V128);
        expr(g, vec_shapes[k].t);
        denan(g, vec_shapes[k].t);
        op_fd(g, vec_shapes[k].replace);
        put(g->code, (uint8_t)rnd(g, vec_shapes[k].lanes));
        break;
    case 10:
        k = rnd(g, sizeof vec_loads / sizeof vec_loads[0]);
        address(g);
        op_fd(g, vec_loads[k][0]);
        memarg(g, vec_loads[k][1]);
        break;
    case 11:
        if (rnd(g, 2)) { /* i8x16.shuffle */
            expr(g, V128);
            expr(g, V128);
            op_fd(g, 0x0D);
            for (int i = 0; i < 16; i++) put(g->code, (uint8_t)rnd(g, 32));
        } else { /* v128.loadN_lane */
            k = rnd(g, 4);
            address(g);
            expr(g, V128);
            op_fd(g, 0x54 + k);
            memarg(g, k);
            put(g->code, (uint8_t)rnd(g, 16u >> k));
        }
        break;
    default: constant(g, V128); return;
    }
    if (fl) denan_vec(g, fl);
}

/* a scalar of type t read from a v128, or 0 when there is no way */
static int vec_scalar(gen *g, uint8_t t) {
    if (!g->o.simd) return 0;
    uint32_t cand[6], n = 0;
    for (uint32_t i = 0; i < 6; i++)
        if (vec_shapes[i].t == t) cand[n++] = i;
    if (t == I32 && rnd(g, 3) == 0) {
        expr(g, V128);
        op_fd(g, vec_tests[rnd(g, sizeof vec_tests)]);
        return 1;
    }
    uint32_t k = cand[rnd(g, n)];
    expr(g, V128);
    op_fd(g, rnd(g, 2) ? vec_shapes[k].extract : vec_shapes[k].extract_u);
    put(g->code, (uint8_t)rnd(g, vec_shapes[k].lanes));
    return 1;
}

/* v128.store or v128.storeN_lane */
static void vec_store(gen *g) {
    address(g);
    expr(g, V128);
    if (rnd(g, 2)) {
        op_fd(g, 0x0B);
        memarg(g, 4);
    } else {
        uint32_t k = rnd(g, 4);
        op_fd(g, 0x58 + k);
        memarg(g, k);
        put(g->code, (uint8_t)rnd(g, 16u >> k));
    }
}

/* ---- expressions and statements ------------------------------------------------------------ */

static void stmt(gen *g);
static void stmts(gen *g, uint32_t max);

static void emit_code(gen *g, uint16_t code) {
    if (code > 0xFF) op_fc(g, code & 0xFF);
    else op(g, (uint8_t)code);
}

/* A float on the stack becomes 0 if it is a NaN: (select x 0 (x == x)). */
static void denan(gen *g, uint8_t t) {
    if (!g->o.denan || !is_float(t)) return;
    uint32_t s = g->scratch[scratch_slot(t)];
    local_op(g, 0x21, s);
    local_op(g, 0x20, s);
    if (t == F32) {
        op(g, 0x43);
        put_bytes(g->code, "\0\0\0\0", 4);
    } else {
        op(g, 0x44);
        put_bytes(g->code, "\0\0\0\0\0\0\0\0", 8);
    }
    local_op(g, 0x20, s);
    local_op(g, 0x20, s);
    op(g, t == F32 ? 0x5B : 0x61);
    op(g, 0x1B);
}

/* A v128 of f32x4 (lanes 4) or f64x2 (lanes 2) on the stack: NaN lanes become 0,
 * (v128.bitselect v 0 (fNxM.eq v v)). */
static void denan_vec(gen *g, int lanes) {
    if (!g->o.denan) return;
    uint32_t s = g->scratch[scratch_slot(V128)];
    local_op(g, 0x21, s);
    local_op(g, 0x20, s);
    op_fd(g, 0x0C);
    for (int i = 0; i < 16; i++) put(g->code, 0);
    local_op(g, 0x20, s);
    local_op(g, 0x20, s);
    op_fd(g, lanes == 4 ? 0x41 : 0x47);
    op_fd(g, 0x52);
}

static void vec_expr(gen *g);

static void unop(gen *g, uint8_t t) {
    if (t == V128) return vec_expr(g);
    const opsig *cand[64];
    uint32_t n = 0;
    for (size_t i = 0; i < sizeof unops / sizeof unops[0]; i++)
        if (unops[i].out == t) cand[n++] = &unops[i];
    const opsig *u = cand[rnd(g, n)];
    expr(g, u->in);
    if (u->code == 0xBC || u->code == 0xBD) denan(g, u->in);
    emit_code(g, u->code);
}

static void binop(gen *g, uint8_t t) {
    if (t == V128) return vec_expr(g);
    uint32_t n = 0, pick;
    for (size_t i = 0; i < sizeof binops / sizeof binops[0]; i++)
        if (binops[i].out == t) n += binops[i].hi - binops[i].lo + 1u;
    pick = rnd(g, n);
    for (size_t i = 0; i < sizeof binops / sizeof binops[0]; i++) {
        if (binops[i].out != t) continue;
        uint32_t k = binops[i].hi - binops[i].lo + 1u;
        if (pick >= k) {
            pick -= k;
            continue;
        }
        uint8_t code = (uint8_t)(binops[i].lo + pick);
        expr(g, binops[i].in);
        expr(g, binops[i].in);
        if (code == 0x98 || code == 0xA6) denan(g, binops[i].in); /* copysign's sign */
        op(g, code);
        return;
    }
}

/* An i32 address: mostly in bounds (an out-of-bounds access ends the call), sometimes at
 * the end of memory or anything; often an i32.add of a constant, which elvm folds into
 * the offset, so it must still wrap at 2^32. */
static void address(gen *g) {
    uint32_t top = g->mem_min * 65536u;
    uint32_t m = rnd(g, 32);
    if (m < 8) {
        i32_const(g, (int32_t)rnd(g, 1024));
    } else if (m < 16) {
        expr(g, I32);
        i32_const(g, 0x7fff);
        op(g, 0x71);
    } else if (m < 22) { /* masked into the first page, plus a constant (fused by elvm) */
        expr(g, I32);
        i32_const(g, 0xfff);
        op(g, 0x71);
        i32_const(g, (int32_t)rnd(g, 64));
        op(g, 0x6A);
    } else if (m < 28) { /* a local or global plus a small constant, the local often masked */
        leaf(g, I32);
        if (m < 25) {
            i32_const(g, 0x7fff);
            op(g, 0x71);
        }
        i32_const(g, (int32_t)rnd(g, 64));
        op(g, 0x6A);
    } else if (m < 30) { /* at the end of memory */
        i32_const(g, (int32_t)(top - rnd(g, 24)));
    } else if (m < 31) {
        expr(g, I32);
    } else { /* anything plus anything: the add wraps at 2^32, the offset does not */
        expr(g, I32);
        constant(g, I32);
        op(g, 0x6A);
    }
}

static void memarg(gen *g, uint32_t natural_log2) {
    imm(g, rnd(g, natural_log2 + 1));
    uint32_t m = rnd(g, 64);
    imm(g, m < 60 ? rnd(g, 64) : m < 62 ? rnd(g, 70000) : (uint32_t)raw(g, 4));
}

static const struct { uint8_t code, t, log2; } loads[] = {
    {0x28, I32, 2}, {0x29, I64, 3}, {0x2A, F32, 2}, {0x2B, F64, 3}, {0x2C, I32, 0},
    {0x2D, I32, 0}, {0x2E, I32, 1}, {0x2F, I32, 1}, {0x30, I64, 0}, {0x31, I64, 0},
    {0x32, I64, 1}, {0x33, I64, 1}, {0x34, I64, 2}, {0x35, I64, 2},
};
static const struct { uint8_t code, t, log2; } stores[] = {
    {0x36, I32, 2}, {0x37, I64, 3}, {0x38, F32, 2}, {0x39, F64, 3}, {0x3A, I32, 0},
    {0x3B, I32, 1}, {0x3C, I64, 0}, {0x3D, I64, 1}, {0x3E, I64, 2},
};

static void load(gen *g, uint8_t t) {
    if (t == V128) return vec_expr(g);
    uint32_t cand[16], n = 0;
    for (uint32_t i = 0; i < sizeof loads / sizeof loads[0]; i++)
        if (loads[i].t == t) cand[n++] = i;
    uint32_t k = cand[rnd(g, n)];
    address(g);
    op(g, loads[k].code);
    memarg(g, loads[k].log2);
}

static void store(gen *g) {
    uint32_t k = rnd(g, sizeof stores / sizeof stores[0]);
    address(g);
    expr(g, stores[k].t);
    denan(g, stores[k].t);
    op(g, stores[k].code);
    memarg(g, stores[k].log2);
}

/* Removes `n` values of types t[] from the stack: drop or local.set each. */
static void pop_types(gen *g, const uint8_t *t, uint32_t n) {
    for (uint32_t i = n; i-- > 0;) {
        int l = rnd(g, 2) ? pick_local(g, t[i]) : -1;
        if (l >= 0) local_op(g, 0x21, (uint32_t)l);
        else op(g, 0x1A);
    }
}

/* Values of types t[0..n) are on the stack; keep only t[keep]. */
static void reduce(gen *g, const uint8_t *t, uint32_t n, uint32_t keep) {
    pop_types(g, t + keep + 1, n - keep - 1);
    if (keep == 0) return;
    uint32_t s = g->scratch[scratch_slot(t[keep])];
    local_op(g, 0x21, s);
    pop_types(g, t, keep);
    local_op(g, 0x20, s);
}

static void values(gen *g, const uint8_t *t, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) expr(g, t[i]);
}

static uint32_t label_depth(const gen *g, uint32_t l) { return g->nlabels - 1 - l; }

/* The function's hang budget: trap when spent, else spend one. */
static void hang_check(gen *g) {
    if (!g->o.hang_guard) return;
    local_op(g, 0x23, g->hang_global);
    op(g, 0x45);
    op(g, 0x04);
    put(g->code, 0x40);
    op(g, 0x00);
    op(g, 0x0B);
    local_op(g, 0x23, g->hang_global);
    i32_const(g, 1);
    op(g, 0x6B);
    local_op(g, 0x24, g->hang_global);
}

/* block, loop or if (code 0x02/0x03/0x04) of type bt; the params are already on the stack
 * (and the condition, for if). Leaves bt's results. */
static void block(gen *g, uint8_t code, const ftype *bt) {
    if (g->nlabels == MAX_LABELS) { /* cannot nest: behave like the block in straight code */
        if (code == 0x04) op(g, 0x1A);
        pop_types(g, bt->p, bt->np);
        values(g, bt->r, bt->nr);
        return;
    }
    uint32_t ti = UINT32_MAX;
    if (bt->np || bt->nr > 1 || one_in(g, 8)) ti = type_index(g, bt);
    if (ti == UINT32_MAX && (bt->np || bt->nr > 1)) { /* no room in the type section */
        if (code == 0x04) op(g, 0x1A);
        pop_types(g, bt->p, bt->np);
        values(g, bt->r, bt->nr);
        return;
    }
    op(g, code);
    if (ti != UINT32_MAX) put_s64(g->code, ti);
    else put(g->code, bt->nr ? bt->r[0] : 0x40);
    label *l = &g->labels[g->nlabels++];
    const uint8_t *lt = code == 0x03 ? bt->p : bt->r;
    l->n = code == 0x03 ? bt->np : bt->nr;
    l->loop = code == 0x03;
    memcpy(l->t, lt, l->n);
    int passthrough = bt->np == bt->nr && !memcmp(bt->p, bt->r, bt->np);
    for (int arm = 0; arm < (code == 0x04 ? 2 : 1); arm++) {
        if (arm == 1) {
            if (passthrough && one_in(g, 3)) break; /* if without else */
            op(g, 0x05);
        }
        int counter = code == 0x03 && g->loops_open < NCOUNTERS;
        uint32_t cnt = g->counter0 + g->loops_open;
        if (code == 0x03) {
            g->loops_open++;
            hang_check(g);
        }
        if (passthrough && rnd(g, 2)) {
            stmts(g, 3);
        } else {
            pop_types(g, bt->p, bt->np);
            stmts(g, 3);
            if (counter) { /* another round while the counter (set before the loop) lasts */
                values(g, bt->p, bt->np);
                local_op(g, 0x20, cnt);
                i32_const(g, 1);
                op(g, 0x6B);
                local_op(g, 0x22, cnt);
                op(g, 0x0D);
                imm(g, 0);
                pop_types(g, bt->p, bt->np);
            }
            values(g, bt->r, bt->nr);
        }
        if (code == 0x03) g->loops_open--;
    }
    op(g, 0x0B);
    g->nlabels--;
}

/* Sets the loop counter a loop opened now would use (block() reads it back). */
static void loop_prologue(gen *g) {
    if (g->loops_open < NCOUNTERS) {
        i32_const(g, (int32_t)(1 + rnd(g, 6)));
        local_op(g, 0x21, g->counter0 + g->loops_open);
    }
}

/* A structured construct of type bt: params, the construct, results on the stack. */
static void construct(gen *g, const ftype *bt) {
    uint8_t code = (uint8_t)(0x02 + rnd(g, 3));
    values(g, bt->p, bt->np);
    if (code == 0x03) loop_prologue(g); /* after the params: a loop in them may use it too */
    if (code == 0x04) expr(g, I32);
    block(g, code, bt);
}

/* call or call_indirect of function f with generated arguments; with `mismatch`, a
 * call_indirect may name another type (its arguments then follow that type). Returns
 * the type whose results the call leaves. */
static const ftype *call(gen *g, uint32_t f, int indirect, int mismatch) {
    uint32_t ti = g->ftype_of[f];
    if (indirect && mismatch && one_in(g, 12)) ti = rnd(g, g->ntypes); /* likely a mismatch */
    const ftype *ft = &g->types[ti];
    values(g, ft->p, ft->np);
    if (!indirect) {
        op(g, 0x10);
        imm(g, f);
        return ft;
    }
    uint32_t m = rnd(g, 8);
    if (m < 6) i32_const(g, (int32_t)f); /* the active segment put f at index f */
    else if (m == 6) i32_const(g, (int32_t)rnd(g, g->table0_min + 2));
    else expr(g, I32);
    op(g, 0x11);
    imm(g, ti);
    imm(g, 0);
    return ft;
}

/* br, br_table, return or unreachable: the stack becomes polymorphic. */
static void terminator(gen *g) {
    /* an unconditional branch back to a loop loops until the hang guard or fuel: rarely */
    uint32_t l = rnd(g, g->nlabels);
    for (int tries = 0; tries < 3 && g->labels[l].loop && !one_in(g, 4); tries++)
        l = rnd(g, g->nlabels);
    switch (rnd(g, 4)) {
    case 0:
        values(g, g->labels[l].t, g->labels[l].n);
        op(g, 0x0C);
        imm(g, label_depth(g, l));
        break;
    case 1: {
        uint32_t cand[MAX_LABELS], n = 0;
        for (uint32_t i = 0; i < g->nlabels; i++)
            if (g->labels[i].n == g->labels[l].n &&
                !memcmp(g->labels[i].t, g->labels[l].t, g->labels[l].n))
                cand[n++] = i;
        uint32_t k = rnd(g, 5);
        values(g, g->labels[l].t, g->labels[l].n);
        if (rnd(g, 2)) i32_const(g, (int32_t)rnd(g, k + 2));
        else expr(g, I32);
        op(g, 0x0E);
        imm(g, k);
        for (uint32_t i = 0; i < k; i++) imm(g, label_depth(g, cand[rnd(g, n)]));
        imm(g, label_depth(g, l));
        break;
    }
    case 2:
        values(g, g->fn->r, g->fn->nr);
        op(g, 0x0F);
        break;
    default:
        if (one_in(g, 4)) op(g, 0x00);
        else {
            values(g, g->labels[l].t, g->labels[l].n);
            op(g, 0x0C);
            imm(g, label_depth(g, l));
        }
        break;
    }
}

/* After a terminator: instructions that pop from the polymorphic stack. */
static void dead_code(gen *g) {
    switch (rnd(g, 7)) {
    case 1: op(g, 0x6A); op(g, 0x1A); break;            /* i32.add; drop */
    case 2: op(g, 0x1A); break;                         /* drop */
    case 3: op(g, 0x1B); op(g, 0x1A); break;            /* select; drop */
    case 4:                                             /* local.set of anything */
        if (g->nuser) local_op(g, 0x21, rnd(g, g->nuser));
        break;
    case 5: i32_const(g, 7); op(g, 0x6A); op(g, 0x1A); break;
    case 6: stmts(g, 2); break;
    default: break;
    }
}

/* i32-only producers: memory and table sizes, grows, ref.is_null */
static void i32_special(gen *g) {
    switch (rnd(g, 6)) {
    case 0: op(g, 0x3F); put(g->code, 0); break;
    case 1:
        if (rnd(g, 4)) i32_const(g, (int32_t)rnd(g, 3));
        else expr(g, I32);
        op(g, 0x40);
        put(g->code, 0);
        break;
    case 2:
        if (!g->o.ref_types) return constant(g, I32);
        op_fc(g, 16);
        imm(g, g->has_table1 ? rnd(g, 2) : 0);
        break;
    case 3: {
        if (!g->o.ref_types) return constant(g, I32);
        uint32_t t = g->has_table1 ? rnd(g, 2) : 0;
        expr(g, t ? EXTERNREF : FUNCREF);
        i32_const(g, (int32_t)rnd(g, 3));
        op_fc(g, 15);
        imm(g, t);
        break;
    }
    case 4:
        if (!g->o.ref_types) return constant(g, I32);
        expr(g, rnd(g, 2) ? EXTERNREF : FUNCREF);
        op(g, 0xD1);
        break;
    default: constant(g, I32); break;
    }
}

/* Calls go to later functions (imports count as later), so most call graphs have no
 * cycle; a recursive call is rare, or every call would end in the hang guard. */
static int callee_ok(const gen *g, uint32_t f) { return f < g->nimports || f > g->cur_func; }

static uint32_t pick_callee(gen *g) {
    if (one_in(g, 8)) return rnd(g, ncallable(g));
    uint32_t cand[MAX_FUNCS], n = 0;
    for (uint32_t f = 0; f < ncallable(g); f++)
        if (callee_ok(g, f)) cand[n++] = f;
    return n ? cand[rnd(g, n)] : rnd(g, ncallable(g)); /* the last function, no imports */
}

/* a call of some function with t among its results, reduced to that result */
static void call_for(gen *g, uint8_t t, int indirect) {
    uint32_t cand[MAX_FUNCS], n = 0;
    int any = one_in(g, 8);
    for (uint32_t f = 0; f < ncallable(g); f++)
        if (memchr(func_type(g, f)->r, t, func_type(g, f)->nr) && (any || callee_ok(g, f)))
            cand[n++] = f;
    if (!n) return constant(g, t);
    uint32_t f = cand[rnd(g, n)];
    const ftype *ft = call(g, f, indirect, 0);
    uint32_t keep = (uint32_t)((const uint8_t *)memchr(ft->r, t, ft->nr) - ft->r);
    reduce(g, ft->r, ft->nr, keep);
}

static void ref_expr(gen *g, uint8_t t) {
    int i;
    switch (rnd(g, 8)) {
    case 1:
        if ((i = pick_local(g, t)) >= 0) return local_op(g, 0x20, (uint32_t)i);
        break;
    case 2:
        if ((i = pick_global(g, t, 0)) >= 0) return local_op(g, 0x23, (uint32_t)i);
        break;
    case 3:
        if (t == EXTERNREF && !g->has_table1) break;
        if (rnd(g, 3)) i32_const(g, (int32_t)rnd(g, 8));
        else expr(g, I32);
        op(g, 0x25);
        imm(g, t == FUNCREF ? 0 : 1);
        return;
    case 4:
        expr(g, t);
        expr(g, t);
        expr(g, I32);
        op(g, 0x1C);
        imm(g, 1);
        put(g->code, t);
        return;
    case 5: {
        ftype bt = {.nr = 1, .r = {t}};
        return construct(g, &bt);
    }
    case 6: return call_for(g, t, 0);
    case 7:
        stmt(g);
        return expr(g, t);
    default: break;
    }
    constant(g, t);
}

static void num_expr(gen *g, uint8_t t) {
    int i;
    switch (rnd(g, 26)) {
    case 2: case 3:
        if ((i = pick_local(g, t)) >= 0) return local_op(g, 0x20, (uint32_t)i);
        break;
    case 4:
        if ((i = pick_global(g, t, 0)) >= 0) return local_op(g, 0x23, (uint32_t)i);
        break;
    case 5: case 6: return unop(g, t);
    case 7: case 8: case 9: return binop(g, t);
    case 10: case 11: return load(g, t);
    case 12:
        if ((i = pick_local(g, t)) < 0) break;
        expr(g, t);
        return local_op(g, 0x22, (uint32_t)i);
    case 13:
        expr(g, t);
        expr(g, t);
        expr(g, I32);
        if (rnd(g, 2)) return op(g, 0x1B);
        op(g, 0x1C);
        imm(g, 1);
        return put(g->code, t);
    case 14: case 15: {
        ftype bt = {.nr = 1, .r = {t}};
        return construct(g, &bt);
    }
    case 16: return call_for(g, t, 0);
    case 17: return call_for(g, t, 1);
    case 18:
        if (!one_in(g, 3)) break;
        return terminator(g);
    case 19: { /* br_if to a label of type [t]: the value stays when not taken */
        uint32_t cand[MAX_LABELS], n = 0;
        for (uint32_t l = 0; l < g->nlabels; l++)
            if (g->labels[l].n == 1 && g->labels[l].t[0] == t) cand[n++] = l;
        if (!n) break;
        uint32_t l = cand[rnd(g, n)];
        expr(g, t);
        expr(g, I32);
        op(g, 0x0D);
        return imm(g, label_depth(g, l));
    }
    case 20: { /* multi-value construct reduced to t */
        ftype bt = rnd_ftype(g, 2, 3, 6);
        if (bt.nr == 0) bt.nr = 1;
        uint32_t keep = rnd(g, bt.nr);
        bt.r[keep] = t;
        construct(g, &bt);
        return reduce(g, bt.r, bt.nr, keep);
    }
    case 21:
        if (t != V128 && rnd(g, 2) && vec_scalar(g, t)) return;
        if (t == I32) return i32_special(g);
        break;
    case 22: case 23:
        stmt(g);
        return expr(g, t);
    default: break;
    }
    constant(g, t);
}

static void expr(gen *g, uint8_t t) {
    if (g->depth >= MAX_DEPTH || g->budget <= 0) return leaf(g, t);
    g->depth++;
    if (is_ref(t)) ref_expr(g, t);
    else num_expr(g, t);
    g->depth--;
}

static void memory_bulk(gen *g) {
    switch (rnd(g, 4)) {
    case 0: /* memory.fill d v n */
        address(g);
        expr(g, I32);
        i32_const(g, (int32_t)rnd(g, 80));
        op_fc(g, 11);
        put(g->code, 0);
        break;
    case 1: /* memory.copy d s n */
        address(g);
        address(g);
        if (rnd(g, 4)) i32_const(g, (int32_t)rnd(g, 80));
        else expr(g, I32);
        op_fc(g, 10);
        put(g->code, 0);
        put(g->code, 0);
        break;
    case 2: /* memory.init d s n from the passive segment (or the dropped active one) */
        address(g);
        i32_const(g, (int32_t)rnd(g, 20));
        i32_const(g, (int32_t)rnd(g, 20));
        op_fc(g, 8);
        imm(g, one_in(g, 4) ? 0 : 1);
        put(g->code, 0);
        break;
    default:
        op_fc(g, 9);
        imm(g, rnd(g, 2));
        break;
    }
}

static void table_op(gen *g) {
    uint32_t t = g->has_table1 ? rnd(g, 2) : 0;
    uint8_t rt = t ? EXTERNREF : FUNCREF;
    switch (rnd(g, 6)) {
    case 0: /* table.set */
        i32_const(g, (int32_t)rnd(g, g->table0_min + 2));
        expr(g, rt);
        op(g, 0x26);
        imm(g, t);
        break;
    case 1: /* table.fill i v n */
        i32_const(g, (int32_t)rnd(g, 8));
        expr(g, rt);
        i32_const(g, (int32_t)rnd(g, 6));
        op_fc(g, 17);
        imm(g, t);
        break;
    case 2: /* table.copy t t */
        i32_const(g, (int32_t)rnd(g, 8));
        i32_const(g, (int32_t)rnd(g, 8));
        i32_const(g, (int32_t)rnd(g, 6));
        op_fc(g, 14);
        imm(g, t);
        imm(g, t);
        break;
    case 3: /* table.init: funcref segments 0..2 into table 0, externref segment 3 into 1 */
        i32_const(g, (int32_t)rnd(g, 8));
        i32_const(g, (int32_t)rnd(g, 4));
        i32_const(g, (int32_t)rnd(g, 4));
        op_fc(g, 12);
        imm(g, t ? 3 : rnd(g, 3));
        imm(g, t);
        break;
    case 4: /* elem.drop */
        op_fc(g, 13);
        imm(g, rnd(g, g->has_table1 ? 4 : 3));
        break;
    default: /* table.grow, result dropped */
        expr(g, rt);
        i32_const(g, (int32_t)rnd(g, 4));
        op_fc(g, 15);
        imm(g, t);
        op(g, 0x1A);
        break;
    }
}

static void stmt(gen *g) {
    if (g->depth >= MAX_DEPTH || g->budget <= 0) return;
    g->depth++;
    int i;
    uint8_t t;
    switch (rnd(g, 20)) {
    case 0: case 1: /* local.set */
        if (!g->nuser) break;
        i = (int)rnd(g, g->nuser);
        expr(g, g->ltype[i]);
        local_op(g, 0x21, (uint32_t)i);
        break;
    case 2: /* global.set */
        if ((i = pick_global(g, t = rnd_valtype(g), 1)) < 0) break;
        expr(g, t);
        local_op(g, 0x24, (uint32_t)i);
        break;
    case 3: case 4: store(g); break;
    case 5:
        expr(g, rnd_valtype(g));
        op(g, 0x1A);
        break;
    case 6: case 7: { /* call, results popped */
        const ftype *ft = call(g, pick_callee(g), rnd(g, 3) == 0, 1);
        pop_types(g, ft->r, ft->nr);
        break;
    }
    case 8: case 9: case 10: { /* construct without results, or with popped ones */
        ftype bt = {0};
        if (one_in(g, 3)) bt = rnd_ftype(g, 2, 2, 6);
        construct(g, &bt);
        pop_types(g, bt.r, bt.nr);
        break;
    }
    case 11: { /* br_if to any label: its values stay when not taken */
        uint32_t l = rnd(g, g->nlabels);
        label lb = g->labels[l];
        values(g, lb.t, lb.n);
        expr(g, I32);
        op(g, 0x0D);
        imm(g, label_depth(g, l));
        pop_types(g, lb.t, lb.n);
        break;
    }
    case 12: case 13: /* log */
        if (!g->o.log_imports) break;
        t = rnd_numtype(g);
        expr(g, t);
        op(g, 0x10);
        imm(g, g->log_func[t == I32 ? 0 : t == I64 ? 1 : t == F32 ? 2 : 3]);
        break;
    case 14: memory_bulk(g); break;
    case 15:
        if (g->o.ref_types) table_op(g);
        break;
    case 16: /* local.tee, dropped: the value and the local are both live for a moment */
        if (!g->nuser) break;
        i = (int)rnd(g, g->nuser);
        expr(g, g->ltype[i]);
        local_op(g, 0x22, (uint32_t)i);
        op(g, 0x1A);
        break;
    case 18:
        if (g->o.simd) vec_store(g);
        break;
    case 17: { /* a local read kept on the stack across a write of the same local */
        if (!g->nuser) break;
        i = (int)rnd(g, g->nuser);
        t = g->ltype[i];
        local_op(g, 0x20, (uint32_t)i);
        expr(g, t);
        local_op(g, 0x21, (uint32_t)i);
        if (t == I32 || t == I64) {
            local_op(g, 0x20, (uint32_t)i);
            op(g, t == I32 ? 0x6B : 0x7D); /* old - new */
        }
        pop_types(g, &t, 1);
        break;
    }
    default: break;
    }
    g->depth--;
}

static void stmts(gen *g, uint32_t max) {
    uint32_t n = rnd(g, max + 1);
    for (uint32_t i = 0; i < n; i++) {
        if (g->budget <= 0) return;
        if (g->depth > 0 && one_in(g, 10)) {
            terminator(g);
            dead_code(g);
            return;
        }
        stmt(g);
    }
}

/* ---- functions and the module ---------------------------------------------------------------- */

static void add_local(gen *g, uint8_t t) {
    if (g->nlocals < MAX_LOCALS) g->ltype[g->nlocals++] = t;
}

/* Body of defined function f into `out`: locals, code, end. */
static void function_body(gen *g, uint32_t f, buf *out) {
    const ftype *ft = func_type(g, f);
    buf code = {0};
    g->fn = ft;
    g->code = &code;
    g->nlocals = 0;
    for (int i = 0; i < ft->np; i++) add_local(g, ft->p[i]);
    uint32_t extra = rnd(g, 7);
    for (uint32_t i = 0; i < extra; i++) add_local(g, rnd_valtype(g));
    g->nuser = g->nlocals;
    static const uint8_t all[7] = {I32, I64, F32, F64, FUNCREF, EXTERNREF, V128};
    for (int i = 0; i < 7; i++) {
        g->scratch[i] = g->nlocals;
        int have = i < 4 || (i < 6 && g->o.ref_types) || (i == 6 && g->o.simd);
        add_local(g, have ? all[i] : I32);
    }
    g->counter0 = g->nlocals;
    for (int i = 0; i < NCOUNTERS; i++) add_local(g, I32);
    g->loops_open = 0;
    g->depth = 0;
    g->budget = FUNC_BUDGET;
    g->nlabels = 1;
    g->labels[0].n = ft->nr;
    g->labels[0].loop = 0;
    g->cur_func = f;
    memcpy(g->labels[0].t, ft->r, ft->nr);

    hang_check(g);
    stmts(g, 6);
    values(g, ft->r, ft->nr);
    op(g, 0x0B);

    buf body = {0};
    uint32_t nl = g->nlocals - ft->np;
    put_u32(&body, nl);
    for (uint32_t i = ft->np; i < g->nlocals; i++) {
        put(&body, 1);
        put(&body, g->ltype[i]);
    }
    put_bytes(&body, code.p, code.len);
    put_u32(out, (uint32_t)body.len);
    put_bytes(out, body.p, body.len);
    free(body.p);
    free(code.p);
}

/* Exported wrapper of function f (hang_guard): resets the budget, forwards the params. */
static void wrapper_body(gen *g, uint32_t f, buf *out) {
    const ftype *ft = func_type(g, f);
    buf body = {0};
    put_u32(&body, 0);
    put(&body, 0x41);
    put_s64(&body, HANG_LIMIT);
    put(&body, 0x24);
    put_u32(&body, g->hang_global);
    for (uint32_t i = 0; i < ft->np; i++) {
        put(&body, 0x20);
        put_u32(&body, i);
    }
    put(&body, 0x10);
    put_u32(&body, f);
    put(&body, 0x0B);
    put_u32(out, (uint32_t)body.len);
    put_bytes(out, body.p, body.len);
    free(body.p);
}

static void const_init(buf *b, uint8_t t, uint64_t v) {
    switch (t) {
    case I32: put(b, 0x41); put_s64(b, (int32_t)v); break;
    case I64: put(b, 0x42); put_s64(b, (int64_t)v); break;
    case F32: put(b, 0x43); for (int i = 0; i < 4; i++) put(b, (uint8_t)(v >> 8 * i)); break;
    case F64: put(b, 0x44); for (int i = 0; i < 8; i++) put(b, (uint8_t)(v >> 8 * i)); break;
    case V128:
        put(b, 0xFD);
        put(b, 0x0C);
        for (int i = 0; i < 16; i++) put(b, (uint8_t)(v >> 8 * (i & 7)));
        break;
    default: put(b, 0xD0); put(b, t); break;
    }
    put(b, 0x0B);
}

size_t wasmgen(const uint8_t *in, size_t n, const wg_options *opt, uint8_t **out,
               size_t *outlen) {
    gen *g = calloc(1, sizeof *g);
    if (!g) abort();
    g->in = in;
    g->n = n;
    g->o = *opt;

    /* imports */
    static const uint8_t logt[4] = {I32, I64, F32, F64};
    for (int i = 0; i < 4; i++) g->log_func[i] = UINT32_MAX;
    if (g->o.log_imports)
        for (int i = 0; i < 4; i++) {
            ftype t = {.np = 1, .p = {logt[i]}};
            g->log_func[i] = g->nimports;
            g->ftype_of[g->nimports++] = type_index(g, &t);
        }
    if (g->o.other_imports) {
        g->nother = rnd(g, 3);
        for (uint32_t i = 0; i < g->nother; i++) {
            ftype t = rnd_ftype(g, 3, 2, 0); /* no v128: JS hosts cannot take one */
            g->ftype_of[g->nimports++] = type_index(g, &t);
        }
    }
    /* functions, with their types first so any may call any */
    g->ndefined = 1 + rnd(g, MAX_DEFINED);
    for (uint32_t i = 0; i < g->ndefined; i++) {
        ftype t = rnd_ftype(g, 4, 3, 24);
        g->ftype_of[g->nimports + i] = type_index(g, &t);
    }
    if (g->o.hang_guard) {
        g->nwrappers = g->ndefined;
        for (uint32_t i = 0; i < g->ndefined; i++)
            g->ftype_of[ncallable(g) + i] = g->ftype_of[g->nimports + i];
    }
    /* tables, memory, globals */
    g->table0_min = ncallable(g) + rnd(g, 4);
    g->has_table1 = g->o.ref_types;
    g->table1_min = rnd(g, 8);
    g->mem_min = 1 + rnd(g, 2);
    g->mem_has_max = rnd(g, 3) != 0;
    g->mem_max = g->mem_min + rnd(g, 3);
    g->nglobals = 0;
    uint64_t ginit[MAX_GLOBALS] = {0};
    for (int i = 0; i < 4; i++) {
        uint32_t k = 1 + rnd(g, 2);
        for (uint32_t j = 0; j < k; j++) {
            g->gtype[g->nglobals] = logt[i];
            g->gmut[g->nglobals] = 1;
            ginit[g->nglobals++] = rnd(g, 2) ? raw(g, 2) : 0;
        }
    }
    g->gtype[g->nglobals] = I32;
    g->gmut[g->nglobals] = 0;
    ginit[g->nglobals++] = raw(g, 1);
    if (g->o.simd) {
        g->gtype[g->nglobals] = V128;
        g->gmut[g->nglobals] = 1;
        ginit[g->nglobals++] = raw(g, 8);
    }
    if (g->o.ref_types) {
        g->gtype[g->nglobals] = FUNCREF;
        g->gmut[g->nglobals++] = 1;
        g->gtype[g->nglobals] = EXTERNREF;
        g->gmut[g->nglobals++] = 1;
    }
    g->hang_global = UINT32_MAX;
    if (g->o.hang_guard) {
        g->hang_global = g->nglobals;
        g->gtype[g->nglobals] = I32;
        g->gmut[g->nglobals] = 1;
        ginit[g->nglobals++] = HANG_LIMIT;
    }

    /* code first: bodies may add block types to the type section */
    buf code = {0};
    put_u32(&code, g->ndefined + g->nwrappers);
    for (uint32_t i = 0; i < g->ndefined; i++) function_body(g, g->nimports + i, &code);
    for (uint32_t i = 0; i < g->nwrappers; i++) wrapper_body(g, g->nimports + i, &code);
    g->start_func = -1;
    if (one_in(g, 16))
        for (uint32_t i = 0; i < g->ndefined; i++)
            if (func_type(g, g->nimports + i)->np == 0 && func_type(g, g->nimports + i)->nr == 0) {
                g->start_func = (int)(g->nimports + i);
                break;
            }

    buf mod = {0}, sec = {0};
    put_bytes(&mod, "\0asm\1\0\0\0", 8);
    /* 1 type */
    put_u32(&sec, g->ntypes);
    for (uint32_t i = 0; i < g->ntypes; i++) {
        put(&sec, 0x60);
        put_u32(&sec, g->types[i].np);
        put_bytes(&sec, g->types[i].p, g->types[i].np);
        put_u32(&sec, g->types[i].nr);
        put_bytes(&sec, g->types[i].r, g->types[i].nr);
    }
    put_section(&mod, 1, &sec);
    /* 2 import */
    if (g->nimports) {
        static const char *lognames[4] = {"log-i32", "log-i64", "log-f32", "log-f64"};
        put_u32(&sec, g->nimports);
        for (uint32_t i = 0; i < g->nimports; i++) {
            char name[16];
            int is_log = g->o.log_imports && i < 4;
            if (!is_log) snprintf(name, sizeof name, "h%u", i - (g->o.log_imports ? 4 : 0));
            put_name(&sec, is_log ? "fuzzing-support" : "env");
            put_name(&sec, is_log ? lognames[i] : name);
            put(&sec, 0x00);
            put_u32(&sec, g->ftype_of[i]);
        }
        put_section(&mod, 2, &sec);
    }
    /* 3 function */
    put_u32(&sec, g->ndefined + g->nwrappers);
    for (uint32_t i = 0; i < g->ndefined + g->nwrappers; i++) put_u32(&sec, g->ftype_of[g->nimports + i]);
    put_section(&mod, 3, &sec);
    /* 4 table */
    put_u32(&sec, g->has_table1 ? 2 : 1);
    put(&sec, FUNCREF);
    put(&sec, 0x01);
    put_u32(&sec, g->table0_min);
    put_u32(&sec, g->table0_min + 8);
    if (g->has_table1) {
        put(&sec, EXTERNREF);
        put(&sec, 0x00);
        put_u32(&sec, g->table1_min);
    }
    put_section(&mod, 4, &sec);
    /* 5 memory */
    put_u32(&sec, 1);
    put(&sec, g->mem_has_max ? 1 : 0);
    put_u32(&sec, g->mem_min);
    if (g->mem_has_max) put_u32(&sec, g->mem_max);
    put_section(&mod, 5, &sec);
    /* 6 global */
    put_u32(&sec, g->nglobals);
    for (uint32_t i = 0; i < g->nglobals; i++) {
        put(&sec, g->gtype[i]);
        put(&sec, g->gmut[i]);
        const_init(&sec, g->gtype[i], ginit[i]);
    }
    put_section(&mod, 6, &sec);
    /* 7 export: functions (or their wrappers), memory, mutable numeric globals */
    uint32_t nexp = g->ndefined + 1;
    for (uint32_t i = 0; i < g->nglobals; i++)
        if (g->gmut[i] && !is_ref(g->gtype[i]) && g->gtype[i] != V128 && i != g->hang_global) nexp++;
    put_u32(&sec, nexp);
    for (uint32_t i = 0; i < g->ndefined; i++) {
        char name[16];
        snprintf(name, sizeof name, "f%u", i);
        put_name(&sec, name);
        put(&sec, 0x00);
        put_u32(&sec, g->nimports + (g->o.hang_guard ? g->ndefined : 0) + i);
    }
    put_name(&sec, "mem");
    put(&sec, 0x02);
    put_u32(&sec, 0);
    for (uint32_t i = 0; i < g->nglobals; i++) {
        if (!g->gmut[i] || is_ref(g->gtype[i]) || g->gtype[i] == V128 || i == g->hang_global) continue;
        char name[16];
        snprintf(name, sizeof name, "g%u", i);
        put_name(&sec, name);
        put(&sec, 0x03);
        put_u32(&sec, i);
    }
    put_section(&mod, 7, &sec);
    /* 8 start */
    if (g->start_func >= 0) {
        put_u32(&sec, (uint32_t)g->start_func);
        put_section(&mod, 8, &sec);
    }
    /* 9 elem: 0 active (all callable functions at 0), 1 passive, 2 declarative, 3 externref */
    put_u32(&sec, g->has_table1 ? 4 : 3);
    put(&sec, 0x00);
    put(&sec, 0x41);
    put(&sec, 0x00);
    put(&sec, 0x0B);
    put_u32(&sec, ncallable(g));
    for (uint32_t f = 0; f < ncallable(g); f++) put_u32(&sec, f);
    for (int flag = 1; flag <= 3; flag += 2) {
        put(&sec, (uint8_t)flag);
        put(&sec, 0x00);
        put_u32(&sec, ncallable(g));
        for (uint32_t f = ncallable(g); f-- > 0;) put_u32(&sec, f);
    }
    if (g->has_table1) {
        put(&sec, 0x05);
        put(&sec, EXTERNREF);
        put_u32(&sec, 3);
        for (int k = 0; k < 3; k++) const_init(&sec, EXTERNREF, 0);
    }
    put_section(&mod, 9, &sec);
    /* 12 data count */
    put_u32(&sec, 2);
    put_section(&mod, 12, &sec);
    /* 10 code */
    put_section(&mod, 10, &code);
    /* 11 data: 0 active at a small offset, 1 passive */
    put_u32(&sec, 2);
    put(&sec, 0x00);
    put(&sec, 0x41);
    put_s64(&sec, rnd(g, 256));
    put(&sec, 0x0B);
    uint32_t len = 1 + rnd(g, 24);
    put_u32(&sec, len);
    for (uint32_t i = 0; i < len; i++) put(&sec, byte(g));
    put(&sec, 0x01);
    len = 1 + rnd(g, 24);
    put_u32(&sec, len);
    for (uint32_t i = 0; i < len; i++) put(&sec, (uint8_t)(i * 37 + 1));
    put_section(&mod, 11, &sec);

    *out = mod.p;
    *outlen = mod.len;
    size_t used = g->pos < n ? g->pos : n;
    free(g);
    return used;
}
