/* compile.c: validates one function body (spec 3.3, algorithm of the appendix) and, in
 * the same pass, compiles it to direct-threaded code.
 *
 * Every operand of the wasm stack has a frame slot known here: slot = locals + its depth.
 * Instructions name their operands by slot, so nothing is pushed or popped at run time.
 * `local.get` emits no code: its stack entry just refers to the local's slot ("lazy")
 * until something could change that local, a branch merges control flow, or a call needs
 * its arguments in place; then the value is copied to its own slot ("materialized").
 * A `local.set` right after the instruction producing its value rewrites that
 * instruction's destination instead of copying. Branch targets and stack heights are
 * resolved here; the interpreter never searches for a label. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "runtime.h"

typedef struct ventry {
    elvm_valtype type; /* 0: unknown (stack-polymorphic) */
    uint32_t slot;     /* where the value is now: its own slot, or a local's (lazy) */
    uint32_t canon;    /* its own slot */
    bool cst;          /* a constant not yet written anywhere (lazy): its value is cval */
    uint64_t cval;
} ventry;

/* A lazy entry's value is not (yet) in its own slot. */
static inline bool is_lazy(const ventry *v) { return v->cst || v->slot != v->canon; }

typedef struct ctrl {
    elvm_opcode kind; /* OP_BLOCK, OP_LOOP, OP_IF, OP_ELSE; the function body is a BLOCK */
    const elvm_valtype *params, *results;
    uint32_t nparams, nresults;
    uint32_t height;    /* operand entries below this frame */
    uint32_t base_slot; /* slot of the first label value */
    bool unreachable;
    size_t start;       /* loop: code index of the header */
    size_t patches;     /* forward branches to the end: index+1 of the newest, 0 none */
    size_t else_cell;   /* if: index+1 of the BR_UNLESS target to patch at else/end */
    /* fuel: what a branch to this label costs */
    size_t else_cost;   /* if: index+1 of the false edge's cost field */
    uint32_t pend;      /* forward branches' cost fields waiting for the label: index+1 */
    uint64_t header_cost; /* loop: the cost of its header's run, once known */
} ctrl;

/* Fuel (docs/ARCHITECTURE.md): every edge into a run of straight-line code pays the number
 * of wasm instructions from there to the run's branch. A cost field is a cell, or half of
 * one, that receives such a count: cell index << 2 | part. */
typedef size_t costref;
enum { PART_U64, PART_A, PART_B, PART_LOOP };
#define COSTREF(cell, part) (((size_t)(cell) << 2) | (part))

typedef struct open_field {
    costref ref;
    uint64_t start; /* instruction count where its run started */
} open_field;

typedef struct pend_field {
    costref ref;
    uint32_t next; /* index+1 of the next one waiting for the same label */
} pend_field;

typedef struct ctx {
    elvm_module *m;
    func_def *f;
    const functype *type;
    reader r;
    elvm_handler_map H; /* handler id -> cell contents */
    bool fuel;
    /* locals */
    uint32_t nlocals; /* params + declared */
    uint32_t *local_slot;
    size_t caplocal;
    uint32_t nlocal_slots;
    /* operand and control stacks */
    ventry *vals;
    uint32_t nvals;
    size_t capvals;
    ctrl *ctrls;
    uint32_t nctrls;
    size_t capctrls;
    bool reach; /* whether the code being emitted can run (validation aside) */
    uint32_t *scratch;
    size_t capscratch;
    ventry *tmpv;
    size_t captmpv;
    uint32_t max_slot;
    uint32_t nlazy;
    /* code: in the module's newest chunk, past what it holds (in_chunk), or in a growing
     * buffer of the compile's */
    cell *code;
    size_t ncode, capcode;
    bool in_chunk;
    size_t *relocs; /* cells holding a code index to turn into a pointer */
    size_t nrelocs, caprelocs;
    size_t last_dst; /* index+1 of the dst cell of the last simple op, 0 none */
    size_t last_op_at; /* index of that op's handler cell */
    elvm_handler last_h; /* and its handler */
    size_t acc_prod_at;   /* when last_h is an _RA form: where its producer is, */
    elvm_handler acc_prod_h; /* and the producer's handler before it became an _R form */
    size_t copy_at;    /* index+1 of the last instruction if it is a lone COPY */
    /* fuel */
    uint64_t icount;     /* wasm instructions compiled in reachable code so far */
    open_field *open;     /* cost fields whose run is still being compiled */
    size_t nopen, capopen;
    pend_field *pend;     /* cost fields waiting for a forward label */
    size_t npend, cappend;
} ctx;

#define FAIL(c, ...) elvm__rfail(&(c)->r, ELVM_INVALID, __VA_ARGS__)

static void *grow(ctx *c, void *p, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return p;
    size_t n = *cap ? *cap * 2 : 64;
    while (n < need) n *= 2;
    void *q = elvm__realloc(p, n * size);
    if (!q) elvm__rfail(&c->r, ELVM_NOMEM, "out of memory");
    *cap = n;
    return q;
}

/* ---- code emission -------------------------------------------------------------------- */

static inline bool live(ctx *c) { return c->reach; }

static void code_grow(ctx *c); /* "where the code lives" */

/* inline: a cell is written per emitted word, and the buffer rarely needs to grow */
static inline size_t emit_cell(ctx *c, cell x) {
    if (UNLIKELY(c->ncode == c->capcode)) code_grow(c);
    c->code[c->ncode] = x;
    c->last_dst = 0;
    c->last_h = H__COUNT;
    c->copy_at = 0;
    return c->ncode++;
}

/* The position of the next instruction, as a branch target: nothing emitted before it may
 * be merged with what follows. */
static size_t here(ctx *c) {
    c->last_dst = 0;
    c->last_h = H__COUNT;
    c->copy_at = 0;
    return c->ncode;
}

static const void *haddr(const ctx *c, elvm_handler h) { return elvm__handler_addr(c->H, h); }
static size_t emit_h(ctx *c, elvm_handler h) { return emit_cell(c, (cell){.h = haddr(c, h)}); }
static size_t emit_ab(ctx *c, uint32_t a, uint32_t b) {
    return emit_cell(c, (cell){.s = {a, b}});
}
static size_t emit_u64(ctx *c, uint64_t v) { return emit_cell(c, (cell){.u64 = v}); }

/* dst = src for a value of type `t`; a copy right after another becomes one COPY2 (two
 * moves, in order). A v128 moves its two slots with V128_COPY, which pairs with nothing. */
static void emit_copy(ctx *c, elvm_valtype t, uint32_t dst, uint32_t src) {
    if (t == ELVM_V128) {
        emit_h(c, H_V128_COPY);
        emit_ab(c, dst, src);
        return;
    }
    if (c->copy_at) {
        size_t at = c->copy_at - 1;
        c->code[at].h = haddr(c, H_COPY2);
        emit_ab(c, dst, src);
        return; /* a pair: the next copy starts a new one */
    }
    size_t at = emit_h(c, H_COPY);
    emit_ab(c, dst, src);
    c->copy_at = at + 1;
}


/* A cell that will hold a code pointer; `index` is filled now or by a patch. */
static size_t emit_target(ctx *c, size_t index) {
    size_t at = emit_u64(c, index);
    c->relocs = grow(c, c->relocs, &c->caprelocs, c->nrelocs + 1, sizeof(size_t));
    c->relocs[c->nrelocs++] = at;
    return at;
}

/* ---- fuel accounting -------------------------------------------------------------------- */

static void count_instr(ctx *c) {
    if (c->fuel && live(c)) c->icount++;
}

static void set_cost(ctx *c, costref ref, uint64_t v) {
    cell *x = &c->code[ref >> 2];
    switch (ref & 3) {
    case PART_U64: x->u64 = v; break;
    case PART_A: x->s.a = (uint32_t)v; break;
    case PART_B: x->s.b = (uint32_t)v; break;
    default: break;
    }
}

/* A run starts here: `ref` will receive its length. */
static void open_cost(ctx *c, costref ref) {
    c->open = grow(c, c->open, &c->capopen, c->nopen + 1, sizeof(open_field));
    c->open[c->nopen++] = (open_field){ref, c->icount};
}

/* The run ends with the branch being compiled: every open field gets its length. */
static void end_run(ctx *c) {
    if (!c->fuel) return;
    for (size_t i = 0; i < c->nopen; i++) {
        uint64_t n = c->icount - c->open[i].start;
        if ((c->open[i].ref & 3) == PART_LOOP) c->ctrls[c->open[i].ref >> 2].header_cost = n;
        else set_cost(c, c->open[i].ref, n);
    }
    c->nopen = 0;
}

/* `ref` pays for entering label `l`: a loop's header cost is known (its run ended before
 * any branch back to it); a forward label's is not yet. */
static void cost_to_label(ctx *c, ctrl *l, costref ref) {
    if (l->kind == OP_LOOP) {
        set_cost(c, ref, l->header_cost);
        return;
    }
    c->pend = grow(c, c->pend, &c->cappend, c->npend + 1, sizeof(pend_field));
    c->pend[c->npend] = (pend_field){ref, l->pend};
    l->pend = (uint32_t)++c->npend;
}

/* Code reaches label `l`: the branches waiting for it start their run here. */
static void label_reached(ctx *c, ctrl *l) {
    for (uint32_t i = l->pend; i; i = c->pend[i - 1].next) open_cost(c, c->pend[i - 1].ref);
    l->pend = 0;
}

/* ---- operand stack ---------------------------------------------------------------------- */

static uint32_t next_canon(ctx *c) {
    if (c->nvals == 0) return c->nlocal_slots;
    ventry *v = &c->vals[c->nvals - 1];
    return v->canon + elvm__slots_of(v->type ? v->type : ELVM_I64);
}

/* push, pop_any, pop_k and pop are inline: called for nearly every instruction, and
 * returning a ventry from a call costs a copy through memory (callgrind, elvm validate
 * --compile eager: flite 23.3M -> 21.1M instructions, hello-world 460K -> 420K). */
static inline ventry *push(ctx *c, elvm_valtype t) {
    c->vals = grow(c, c->vals, &c->capvals, c->nvals + 1, sizeof(ventry));
    uint32_t canon = next_canon(c);
    ventry *v = &c->vals[c->nvals++];
    v->type = t;
    v->slot = v->canon = canon;
    v->cst = false;
    v->cval = 0;
    uint32_t top = canon + elvm__slots_of(t ? t : ELVM_I64);
    if (top > c->max_slot) c->max_slot = top;
    if (c->max_slot > ELVM_MAX_FRAME_SLOTS)
        elvm__rfail(&c->r, ELVM_LIMIT, "function frame too large");
    return v;
}

static inline ventry pop_any(ctx *c) {
    ctrl *f = &c->ctrls[c->nctrls - 1];
    if (c->nvals == f->height) {
        if (f->unreachable) return (ventry){0, next_canon(c), next_canon(c), false, 0};
        FAIL(c, "type mismatch: operand stack empty");
    }
    ventry v = c->vals[--c->nvals];
    if (is_lazy(&v)) c->nlazy--;
    return v;
}

static const char *tname(elvm_valtype t) { return t ? elvm_valtype_name(t) : "unknown"; }

/* Pops a value of type `want`; a lazy constant stays one (the caller may fold it). */
static inline ventry pop_k(ctx *c, elvm_valtype want) {
    ventry v = pop_any(c);
    if (v.type && want && v.type != want)
        FAIL(c, "type mismatch: expected %s, got %s", tname(want), tname(v.type));
    return v;
}

static void emit_const(ctx *c, uint32_t dst, uint64_t v);

/* Pops a value of type `want` and makes sure it is readable from v.slot. */
static inline ventry pop(ctx *c, elvm_valtype want) {
    ventry v = pop_k(c, want);
    if (v.cst) {
        if (live(c)) emit_const(c, v.canon, v.cval);
        v.cst = false;
    }
    return v;
}

/* Pops `n` values of `types` and pushes them back where they were: a type check of the
 * top of the stack that also makes the entries exist in stack-polymorphic code. */
static void check_top(ctx *c, const elvm_valtype *types, uint32_t n) {
    c->tmpv = grow(c, c->tmpv, &c->captmpv, (size_t)n + 1, sizeof(ventry));
    ventry *save = c->tmpv;
    for (uint32_t i = n; i-- > 0;) save[i] = pop_k(c, types[i]);
    for (uint32_t i = 0; i < n; i++) {
        ventry *v = push(c, types[i]);
        if (save[i].type && is_lazy(&save[i])) {
            v->slot = save[i].slot;
            v->cst = save[i].cst;
            v->cval = save[i].cval;
            c->nlazy++;
        }
    }
}

static bool is_num(elvm_valtype t) { return t == 0 || !elvm__is_reftype(t); }

static void emit_const(ctx *c, uint32_t dst, uint64_t v) {
    emit_h(c, H_CONST64);
    emit_ab(c, dst, 0);
    emit_u64(c, v);
}

/* Writes a lazy entry into its own slot. */
static void materialize(ctx *c, ventry *v) {
    if (!is_lazy(v)) return;
    if (live(c)) {
        if (v->cst) emit_const(c, v->canon, v->cval);
        else emit_copy(c, v->type, v->canon, v->slot);
    }
    v->slot = v->canon;
    v->cst = false;
    c->nlazy--;
}

static void materialize_all(ctx *c) {
    for (uint32_t i = 0; c->nlazy && i < c->nvals; i++) materialize(c, &c->vals[i]);
}

static void materialize_top(ctx *c, uint32_t n) {
    for (uint32_t i = c->nvals - n; c->nlazy && i < c->nvals; i++) materialize(c, &c->vals[i]);
}

static void materialize_local(ctx *c, uint32_t ls) {
    for (uint32_t i = 0; c->nlazy && i < c->nvals; i++)
        if (!c->vals[i].cst && c->vals[i].slot == ls && c->vals[i].canon != ls)
            materialize(c, &c->vals[i]);
}

/* ---- control stack ----------------------------------------------------------------------- */

static void push_ctrl(ctx *c, elvm_opcode kind, const elvm_valtype *params, uint32_t np,
                      const elvm_valtype *results, uint32_t nr) {
    if (c->nctrls >= ELVM_MAX_NESTING) elvm__rfail(&c->r, ELVM_LIMIT, "blocks nested too deep");
    c->ctrls = grow(c, c->ctrls, &c->capctrls, c->nctrls + 1, sizeof(ctrl));
    ctrl *f = &c->ctrls[c->nctrls++];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->params = params;
    f->nparams = np;
    f->results = results;
    f->nresults = nr;
    f->height = c->nvals;
    f->base_slot = next_canon(c);
    f->unreachable = false;
    for (uint32_t i = 0; i < np; i++) push(c, params[i]);
}

static void set_unreachable(ctx *c) {
    ctrl *f = &c->ctrls[c->nctrls - 1];
    for (uint32_t i = f->height; i < c->nvals; i++)
        if (is_lazy(&c->vals[i])) c->nlazy--;
    c->nvals = f->height;
    f->unreachable = true;
    c->reach = false;
}

static ctrl *label(ctx *c, uint32_t depth) {
    if (depth >= c->nctrls) FAIL(c, "unknown label %u", depth);
    return &c->ctrls[c->nctrls - 1 - depth];
}

static void label_types(ctrl *l, const elvm_valtype **types, uint32_t *n) {
    if (l->kind == OP_LOOP) { *types = l->params; *n = l->nparams; }
    else { *types = l->results; *n = l->nresults; }
}

/* Checks the label values on top of the stack without popping them. */
static void check_label_values(ctx *c, const elvm_valtype *types, uint32_t n) {
    ctrl *f = &c->ctrls[c->nctrls - 1];
    for (uint32_t i = 0; i < n; i++) {
        uint32_t depth = n - 1 - i; /* from the top */
        if (c->nvals - f->height <= depth) {
            if (f->unreachable) continue;
            FAIL(c, "type mismatch: branch needs %u values", n);
        }
        elvm_valtype have = c->vals[c->nvals - 1 - depth].type;
        if (have && have != types[i])
            FAIL(c, "type mismatch: branch expects %s, got %s", tname(types[i]), tname(have));
    }
}

/* Emits the copies that move the top `n` values into label `l`'s slots. */
static bool label_copies_needed(ctx *c, ctrl *l, uint32_t n) {
    uint32_t dst = l->base_slot;
    for (uint32_t i = 0; i < n; i++) {
        ventry *v = &c->vals[c->nvals - n + i];
        if (v->cst || v->slot != dst) return true;
        dst += elvm__slots_of(v->type);
    }
    return false;
}

static void emit_label_copies(ctx *c, ctrl *l, uint32_t n) {
    uint32_t dst = l->base_slot;
    for (uint32_t i = 0; i < n; i++) {
        ventry *v = &c->vals[c->nvals - n + i];
        if (v->cst) {
            emit_const(c, dst, v->cval);
        } else if (v->slot != dst) {
            emit_copy(c, v->type, dst, v->slot);
        }
        dst += elvm__slots_of(v->type);
    }
}

static void patch_list(ctx *c, size_t head, size_t dest) {
    while (head) {
        size_t at = head - 1;
        head = (size_t)c->code[at].u64;
        c->code[at].u64 = dest;
    }
}

/* ---- immediates -------------------------------------------------------------------------- */

static uint32_t r_u32(ctx *c) { return elvm__r_u32(&c->r); }

/* Storage for single-result block types, which must outlive the block's frame. */
static const elvm_valtype *single_type(elvm_valtype t) {
    static const elvm_valtype all[] = {ELVM_I32, ELVM_I64, ELVM_F32, ELVM_F64,
                                       ELVM_V128, ELVM_FUNCREF, ELVM_EXTERNREF};
    for (size_t k = 0; k < sizeof all / sizeof *all; k++)
        if (all[k] == t) return &all[k];
    return NULL;
}

static void blocktype(ctx *c, const elvm_valtype **params, uint32_t *np,
                      const elvm_valtype **results, uint32_t *nr) {
    uint8_t b = c->r.p < c->r.end ? *c->r.p : 0;
    *params = NULL;
    *np = 0;
    if (b == 0x40) {
        c->r.p++;
        *results = NULL;
        *nr = 0;
    } else if (b >= 0x40 && b < 0x80) {
        *results = single_type(elvm__r_valtype(&c->r));
        *nr = 1;
    } else {
        int64_t idx = elvm__r_s33(&c->r);
        if (idx < 0) elvm__rfail(&c->r, ELVM_MALFORMED, "malformed block type");
        if ((uint64_t)idx >= c->m->ntypes) FAIL(c, "unknown type %lld", (long long)idx);
        const functype *t = &c->m->types[idx];
        *params = t->params;
        *np = t->nparams;
        *results = t->results;
        *nr = t->nresults;
    }
}

static uint32_t memarg(ctx *c, uint32_t bytes, uint64_t *offset) {
    uint32_t align = r_u32(c);
    *offset = r_u32(c);
    if (c->m->nmems == 0) FAIL(c, "unknown memory 0");
    if (align >= 32 || (1u << align) > bytes) FAIL(c, "alignment must not be larger than natural");
    return align;
}

static void need_memory(ctx *c) {
    if (c->m->nmems == 0) FAIL(c, "unknown memory 0");
}

/* memory.init and data.drop need the data count section (spec 5.5.16). Without a data
 * section there is no segment to name, which validation reports as "unknown data
 * segment" — as the testsuite expects of text modules converted to binary. */
static void need_datacount(ctx *c) {
    if (!c->m->has_datacount && c->m->ndatas > 0)
        elvm__rfail(&c->r, ELVM_MALFORMED, "data count section required");
}

static uint32_t table_idx(ctx *c) {
    uint32_t t = r_u32(c);
    if (t >= c->m->ntables) FAIL(c, "unknown table %u", t);
    return t;
}

static void zero_byte(ctx *c) {
    if (elvm__r_u8(&c->r) != 0) {
        c->r.p--;
        elvm__rfail(&c->r, ELVM_MALFORMED, "zero byte expected");
    }
}

/* ---- instruction shapes ----------------------------------------------------------------- */

static const struct { elvm_valtype in, out; uint8_t bytes; bool bin, load, store; } shape[OP__COUNT] = {
#define OP_SPECIAL(n, c)
#define OP_UN(n, c, a, r) [OP_##n] = {ELVM_##a, ELVM_##r, 0, false, false, false},
#define OP_BIN(n, c, a, r) [OP_##n] = {ELVM_##a, ELVM_##r, 0, true, false, false},
#define OP_LOAD(n, c, t, b) [OP_##n] = {ELVM_I32, ELVM_##t, b, false, true, false},
#define OP_STORE(n, c, t, b) [OP_##n] = {ELVM_##t, 0, b, false, false, true},
#include "opcodes.def"
#undef OP_SPECIAL
#undef OP_UN
#undef OP_BIN
#undef OP_LOAD
#undef OP_STORE
};

static const elvm_handler handler_of[OP__COUNT] = {
#define OP_SPECIAL(n, c)
#define OP_UN(n, c, a, r) [OP_##n] = H_##n,
#define OP_BIN(n, c, a, r) [OP_##n] = H_##n,
#define OP_LOAD(n, c, t, b) [OP_##n] = H_##n,
#define OP_STORE(n, c, t, b) [OP_##n] = H_##n,
#include "opcodes.def"
#undef OP_SPECIAL
#undef OP_UN
#undef OP_BIN
#undef OP_LOAD
#undef OP_STORE
};

/* Emits `h d|a [b|0]` for a value op and pushes its result. */
static void simple_result(ctx *c, elvm_handler h, elvm_valtype out, uint32_t a, uint32_t b,
                          bool two) {
    ventry *r = push(c, out);
    if (!live(c)) return;
    size_t op_at = emit_h(c, h);
    size_t at = emit_ab(c, r->canon, a);
    if (two) emit_ab(c, b, 0);
    c->last_dst = at + 1;
    c->last_op_at = op_at;
    c->last_h = h;
}

/* Whether `v` is the result of the instruction just emitted (still in its own slot). */
static bool is_fresh(const ctx *c, const ventry *v) {
    return c->last_dst && !v->cst && v->slot == v->canon &&
           c->code[c->last_dst - 1].s.a == v->canon;
}

/* +1 encoded: 0 means "not a fusable compare" */
static const uint16_t br_of[H__COUNT] = {
#define ELVM_X(n, f, op, inv) [H_##n] = H_BR_##n + 1, [H_##n##_IMM] = H_BR_##n##_IMM + 1,
    ELVM_CMP_OPS(ELVM_X)
#undef ELVM_X
};
/* a compare-and-branch to its form that takes the first operand from the accumulator */
static const uint16_t br_acc_of[H__COUNT] = {
#define ELVM_X(n, f, op, inv) [H_BR_##n] = H_BR_##n##_RA + 1, \
    [H_BR_##n##_IMM] = H_BR_##n##_IMM_RA + 1,
    ELVM_CMP_OPS(ELVM_X)
#undef ELVM_X
};

/* ---- the accumulator ---------------------------------------------------------------------
 * A value that only the next instruction consumes need not go through its frame slot: the
 * producer writes the interpreter's accumulator instead (its _R form) and the consumer reads
 * it from there (_RA). Both keep their cell layouts, so fusing is a change of handlers and
 * can be undone while the consumer is still the last instruction. Nothing can run between
 * the two: a branch target clears last_dst (here()), so is_fresh fails across it. */

/* +1 encoded, 0 when there is no such form */
static const uint16_t acc_to_r[H__COUNT] = { /* the form that writes the accumulator */
#define OP_SPECIAL(n, c)
#define OP_UN(n, c, a, r) [H_##n] = H_##n##_R + 1, [H_##n##_RA] = H_##n##_RA_R + 1,
#define OP_BIN(n, c, a, r) [H_##n] = H_##n##_R + 1, [H_##n##_RA] = H_##n##_RA_R + 1, \
    [H_##n##_IMM] = H_##n##_IMM_R + 1, [H_##n##_IMM_RA] = H_##n##_IMM_RA_R + 1,
#define OP_LOAD(n, c, t, b) [H_##n] = H_##n##_R + 1, [H_##n##_ADD] = H_##n##_ADD_R + 1, \
    [H_##n##_ADDI] = H_##n##_ADDI_R + 1, [H_##n##_G] = H_##n##_G_R + 1, \
    [H_##n##_ADD_G] = H_##n##_ADD_G_R + 1, [H_##n##_ADDI_G] = H_##n##_ADDI_G_R + 1, \
    [H_##n##_RA] = H_##n##_RA_R + 1, [H_##n##_G_RA] = H_##n##_G_RA_R + 1,
#define OP_STORE(n, c, t, b)
#include "opcodes.def"
#undef OP_UN
#undef OP_BIN
#undef OP_LOAD
#undef OP_STORE
#define OP_UN(n, c, a, r) [H_##n] = H_##n##_RA + 1,
#define OP_BIN(n, c, a, r) [H_##n] = H_##n##_RA + 1, [H_##n##_IMM] = H_##n##_IMM_RA + 1,
#define OP_LOAD(n, c, t, b) [H_##n] = H_##n##_RA + 1, [H_##n##_G] = H_##n##_G_RA + 1,
#define OP_STORE(n, c, t, b) [H_##n] = H_##n##_RV + 1, [H_##n##_G] = H_##n##_G_RV + 1,
};
static const uint16_t acc_from[H__COUNT] = { /* the form that reads it */
#include "opcodes.def"
#undef OP_UN
#undef OP_BIN
#undef OP_LOAD
#undef OP_STORE
#define OP_UN(n, c, a, r) [H_##n##_RA] = H_##n + 1,
#define OP_BIN(n, c, a, r) [H_##n##_RA] = H_##n + 1, [H_##n##_IMM_RA] = H_##n##_IMM + 1,
#define OP_LOAD(n, c, t, b) [H_##n##_RA] = H_##n + 1, [H_##n##_G_RA] = H_##n##_G + 1,
#define OP_STORE(n, c, t, b) [H_##n##_RV] = H_##n + 1, [H_##n##_G_RV] = H_##n##_G + 1,
};
static const uint16_t acc_plain[H__COUNT] = { /* an _RA/_RV form back to the slot form */
#include "opcodes.def"
#undef OP_SPECIAL
#undef OP_UN
#undef OP_BIN
#undef OP_LOAD
#undef OP_STORE
};

/* If `v`, about to be consumed, is the fresh result of an op with an _R form, switches that
 * op to it; the caller then emits its consumer in the _RA form. */
static bool fuse_acc(ctx *c, const ventry *v) {
    if (!live(c) || !is_fresh(c, v) || c->last_h >= H__COUNT || !acc_to_r[c->last_h])
        return false;
    c->acc_prod_at = c->last_op_at;
    c->acc_prod_h = c->last_h;
    c->code[c->last_op_at].h = haddr(c, acc_to_r[c->last_h] - 1);
    return true;
}

/* The last op's handler as if it had not been fused with its producer. */
static elvm_handler last_plain(const ctx *c) {
    elvm_handler h = c->last_h;
    return h < H__COUNT && acc_plain[h] ? (elvm_handler)(acc_plain[h] - 1) : h;
}

/* Undoes fuse_acc for the last op (before another fusion takes it out of the code and
 * reads its operands from their slots). */
static void unfuse_acc(ctx *c) {
    if (c->last_h >= H__COUNT || !acc_plain[c->last_h]) return;
    c->code[c->acc_prod_at].h = haddr(c, c->acc_prod_h);
    c->last_h = (elvm_handler)(acc_plain[c->last_h] - 1);
    c->code[c->last_op_at].h = haddr(c, c->last_h);
}

/* Ops whose operands may swap, so a fresh second operand can come from the accumulator
 * too. For float add and mul, swapping changes only which of two NaN operands propagates,
 * which the spec leaves open (4.3.3): the result is still deterministic for the code. */
static bool commutes(elvm_opcode op) {
    switch (op) {
    case OP_I32_ADD: case OP_I32_MUL: case OP_I32_AND: case OP_I32_OR: case OP_I32_XOR:
    case OP_I64_ADD: case OP_I64_MUL: case OP_I64_AND: case OP_I64_OR: case OP_I64_XOR:
    case OP_F32_ADD: case OP_F32_MUL: case OP_F64_ADD: case OP_F64_MUL:
        return true;
    default:
        return false;
    }
}

/* A binary op, with the second operand folded into an immediate when it is a constant. */
static void binop(ctx *c, elvm_opcode op, elvm_valtype in, elvm_valtype out) {
    ventry b = pop_k(c, in);
    ventry a = pop(c, in);
    bool may_acc = true;
    if (b.cst && live(c)) {
        elvm_handler h = (elvm_handler)(handler_of[op] + 1); /* H_<op>_IMM follows H_<op> */
        if (may_acc && fuse_acc(c, &a)) h = (elvm_handler)(acc_from[h] - 1);
        ventry *r = push(c, out);
        size_t op_at = emit_h(c, h);
        size_t at = emit_ab(c, r->canon, a.slot);
        emit_u64(c, b.cval);
        c->last_dst = at + 1;
        c->last_op_at = op_at;
        c->last_h = h;
        return;
    }
    if (b.cst) b.slot = b.canon; /* dead code: nothing is emitted */
    if (live(c) && (op == OP_F32_ADD || op == OP_F64_ADD)) {
        /* x * y + z in one handler when an operand is the product just computed */
        elvm_handler mul = op == OP_F32_ADD ? H_F32_MUL : H_F64_MUL;
        const ventry *prod = is_fresh(c, &b) ? &b : is_fresh(c, &a) ? &a : NULL;
        if (prod && last_plain(c) == mul) {
            unfuse_acc(c);
            const cell *m = &c->code[c->last_op_at];
            uint32_t x = m[1].s.b, y = m[2].s.a, z = prod == &b ? a.slot : b.slot;
            c->ncode = c->last_op_at;
            simple_result(c, op == OP_F32_ADD ? H_F32_MUL_ADD : H_F64_MUL_ADD, out, x, 0, true);
            c->code[c->ncode - 1].s.a = y;
            c->code[c->ncode - 1].s.b = z;
            c->last_h = H__COUNT; /* not a plain op any more: nothing fuses with it */
            return;
        }
    }
    elvm_handler h = handler_of[op];
    if (may_acc && fuse_acc(c, &a)) {
        h = (elvm_handler)(acc_from[h] - 1);
    } else if (may_acc && commutes(op) && fuse_acc(c, &b)) {
        ventry t = a;
        a = b;
        b = t;
        h = (elvm_handler)(acc_from[h] - 1);
    }
    simple_result(c, h, out, a.slot, b.slot, true);
}

/* ---- compare-and-branch fusion -------------------------------------------------------- */

static const uint16_t inverse_of[H__COUNT] = {
#define ELVM_X(n, f, op, inv) [H_##n] = H_##inv + 1, [H_##n##_IMM] = H_##inv##_IMM + 1,
    ELVM_CMP_OPS(ELVM_X)
#undef ELVM_X
};

static const bool is_imm_cmp[H__COUNT] = {
#define ELVM_X(n, f, op, inv) [H_##n##_IMM] = true,
    ELVM_CMP_OPS(ELVM_X)
#undef ELVM_X
};

/* eqz of an integer compare just emitted: flip the compare instead (a < b becomes a >= b). */
static bool invert_compare(ctx *c, const ventry *v) {
    elvm_handler plain = last_plain(c);
    if (!is_fresh(c, v) || plain >= H__COUNT || !inverse_of[plain]) return false;
    elvm_handler h = (elvm_handler)(inverse_of[plain] - 1);
    if (plain != c->last_h) h = (elvm_handler)(acc_from[h] - 1); /* still reads acc */
    c->last_h = h;
    c->code[c->last_op_at].h = haddr(c, h);
    return true;
}

typedef struct fused {
    elvm_handler h;
    uint32_t a, b;
    uint64_t imm;
    bool has_imm;
    bool acc; /* `a` is the accumulator (the compare was an _RA form) */
} fused;

/* If `cond` was computed by the instruction just emitted and that is an integer compare
 * (or eqz), takes it back out of the code and describes the compare-and-branch that
 * replaces it: branch when the compare holds, or when it fails if `invert`. */
static bool take_compare(ctx *c, const ventry *cond, bool invert, fused *f) {
    if (!c->last_dst || cond->cst || cond->slot != cond->canon ||
        c->code[c->last_dst - 1].s.a != cond->canon)
        return false;
    elvm_handler h = last_plain(c);
    if (h >= H__COUNT) return false;
    f->acc = h != c->last_h; /* its producer stays in its _R form */
    const cell *op = &c->code[c->last_op_at];
    if (h == H_I32_EQZ || h == H_I64_EQZ) {
        /* eqz x is x == 0 */
        f->a = op[1].s.b;
        f->imm = 0;
        f->has_imm = true;
        h = h == H_I32_EQZ ? H_I32_EQ_IMM : H_I64_EQ_IMM;
    } else if (br_of[h]) {
        f->a = op[1].s.b;
        f->has_imm = is_imm_cmp[h];
        if (f->has_imm) f->imm = op[2].u64;
        else f->b = op[2].s.a;
    } else {
        return false;
    }
    if (invert) h = (elvm_handler)(inverse_of[h] - 1);
    f->h = (elvm_handler)(br_of[h] - 1);
    c->ncode = c->last_op_at;
    c->last_dst = 0;
    return true;
}

/* An address computed by the i32.add just emitted: x + y (slots) or x + imm. */
typedef struct fused_add {
    bool is_imm;
    uint32_t x, y; /* y is the slot, or the immediate */
} fused_add;

/* If `addr` is the fresh result of an i32.add, takes the add back out of the code so the
 * memory access can compute the address itself. */
static bool take_add(ctx *c, const ventry *addr, fused_add *fa) {
    if (!c->last_dst || addr->cst || addr->slot != addr->canon ||
        c->code[c->last_dst - 1].s.a != addr->canon)
        return false;
    elvm_handler lh = last_plain(c);
    if (lh != H_I32_ADD && lh != H_I32_ADD_IMM) return false;
    unfuse_acc(c); /* the fused access reads both operands from their slots */
    const cell *op = &c->code[c->last_op_at];
    if (c->last_h == H_I32_ADD) {
        fa->is_imm = false;
        fa->y = op[2].s.a;
    } else if (c->last_h == H_I32_ADD_IMM) {
        fa->is_imm = true;
        fa->y = (uint32_t)op[2].u64;
    } else {
        return false;
    }
    fa->x = op[1].s.b;
    c->ncode = c->last_op_at;
    c->last_dst = 0;
    c->last_h = H__COUNT;
    return true;
}

/* A conditional branch: on a slot (BR_IF, or BR_UNLESS when `invert`), or fused with the
 * compare just taken back out of the code. */
typedef struct cond_br {
    bool is_fused, invert;
    bool acc; /* not fused: the condition is in the accumulator */
    uint32_t slot;
    fused f;
} cond_br;

/* Condition `cond`, branching when it holds (or fails, if `invert`). */
static cond_br make_cond(ctx *c, ventry *cond, bool invert) {
    cond_br b = {false, invert, false, cond->slot, {0, 0, 0, 0, false, false}};
    b.is_fused = take_compare(c, cond, invert, &b.f);
    if (!b.is_fused) b.acc = fuse_acc(c, cond);
    return b;
}

/* Emits the branch with an unresolved target; returns the target cell's index. With
 * fuel, *cost is the index of the [taken|fallthrough] cost cell. */
static size_t emit_cond(ctx *c, const cond_br *b, bool loop, size_t *cost) {
    if (b->is_fused) {
        /* H_BR_<cmp>_F is two after H_BR_<cmp> (runtime.h), and so for the _RA forms */
        elvm_handler h = b->f.acc ? (elvm_handler)(br_acc_of[b->f.h] - 1) : b->f.h;
        emit_h(c, (elvm_handler)(h + (c->fuel ? 2 : 0)));
        if (b->f.has_imm) {
            emit_ab(c, b->f.a, 0);
            emit_u64(c, b->f.imm);
        } else {
            emit_ab(c, b->f.a, b->f.b);
        }
    } else {
        elvm_handler h = b->invert ? (c->fuel ? H_BR_UNLESS_F : H_BR_UNLESS)
                                   : c->fuel ? H_BR_IF_F : loop ? H_BR_IF_LOOP : H_BR_IF;
        if (b->acc) {
            switch (h) {
            case H_BR_UNLESS_F: h = H_BR_UNLESS_RA_F; break;
            case H_BR_UNLESS: h = H_BR_UNLESS_RA; break;
            case H_BR_IF_F: h = H_BR_IF_RA_F; break;
            case H_BR_IF_LOOP: h = H_BR_IF_LOOP_RA; break;
            default: h = H_BR_IF_RA; break;
            }
        }
        emit_h(c, h);
        emit_ab(c, b->slot, 0);
    }
    size_t t = emit_target(c, 0);
    *cost = c->fuel ? emit_u64(c, 0) : 0;
    return t;
}

/* Points target cell `t` at label `l`: a loop's header, or a forward patch list. */
static void link_target(ctx *c, ctrl *l, size_t t) {
    if (l->kind == OP_LOOP) {
        c->code[t].u64 = l->start;
    } else {
        c->code[t].u64 = l->patches;
        l->patches = t + 1;
    }
}

/* An unconditional branch to label `l`. */
static void emit_br_to(ctx *c, ctrl *l) {
    bool loop = l->kind == OP_LOOP;
    emit_h(c, c->fuel ? (loop ? H_BR_LOOP_F : H_BR_F) : (loop ? H_BR_LOOP : H_BR));
    link_target(c, l, emit_target(c, 0));
    if (c->fuel) cost_to_label(c, l, COSTREF(emit_u64(c, 0), PART_U64));
}

/* ---- the instructions with their own rules ------------------------------------------- */

static void op_br(ctx *c, uint32_t depth) {
    ctrl *l = label(c, depth);
    const elvm_valtype *types;
    uint32_t n;
    label_types(l, &types, &n);
    check_label_values(c, types, n);
    if (live(c)) {
        end_run(c);
        emit_label_copies(c, l, n);
        emit_br_to(c, l);
    }
    set_unreachable(c);
}

static void op_br_if(ctx *c, uint32_t depth) {
    ventry cond = pop(c, ELVM_I32);
    ctrl *l = label(c, depth);
    const elvm_valtype *types;
    uint32_t n;
    label_types(l, &types, &n);
    check_top(c, types, n); /* the label's types stay on the stack (spec br_if rule) */
    if (live(c)) {
        end_run(c);
        size_t cost;
        if (label_copies_needed(c, l, n)) {
            /* skip the copies unless the branch is taken; the skip lands on the rest of
             * the code, the copies end in a branch that pays for the label */
            cond_br b = make_cond(c, &cond, true);
            size_t skip = emit_cond(c, &b, false, &cost);
            emit_label_copies(c, l, n);
            emit_br_to(c, l);
            c->code[skip].u64 = here(c);
            if (c->fuel) {
                set_cost(c, COSTREF(cost, PART_B), 0);
                open_cost(c, COSTREF(cost, PART_A));
            }
        } else {
            /* the fused and loop handlers check for interrupts when they branch */
            cond_br b = make_cond(c, &cond, false);
            link_target(c, l, emit_cond(c, &b, l->kind == OP_LOOP, &cost));
            if (c->fuel) {
                cost_to_label(c, l, COSTREF(cost, PART_A));
                open_cost(c, COSTREF(cost, PART_B));
            }
        }
    }
}

static void op_br_table(ctx *c) {
    uint32_t n = r_u32(c);
    if (n > ELVM_MAX_BR_TABLE) elvm__rfail(&c->r, ELVM_LIMIT, "br_table too large");
    if ((uint64_t)n > (uint64_t)(c->r.end - c->r.p))
        elvm__rfail(&c->r, ELVM_MALFORMED, "unexpected end");
    c->scratch = grow(c, c->scratch, &c->capscratch, (size_t)n + 1, sizeof(uint32_t));
    uint32_t *depths = c->scratch;
    for (uint32_t i = 0; i <= n; i++) depths[i] = r_u32(c); /* malformed before invalid */
    ventry idx = pop(c, ELVM_I32);
    uint32_t dflt = depths[n];
    if (dflt >= c->nctrls) FAIL(c, "unknown label %u", dflt);
    const elvm_valtype *dtypes;
    uint32_t arity;
    label_types(label(c, dflt), &dtypes, &arity);
    for (uint32_t i = 0; i <= n; i++) {
        if (depths[i] >= c->nctrls) FAIL(c, "unknown label %u", depths[i]);
        const elvm_valtype *t;
        uint32_t k;
        label_types(label(c, depths[i]), &t, &k);
        if (k != arity) FAIL(c, "type mismatch: br_table targets have different arities");
        check_label_values(c, t, k);
    }
    if (live(c)) {
        end_run(c);
        emit_h(c, c->fuel ? H_BR_TABLE_F : H_BR_TABLE);
        emit_ab(c, idx.slot, n + 1);
        size_t first = c->ncode;
        for (uint32_t i = 0; i <= n; i++) emit_target(c, 0);
        size_t costs = c->ncode;
        if (c->fuel)
            for (uint32_t i = 0; i <= n; i++) emit_u64(c, 0);
        /* each target: straight to its label, or through a stub that moves the values
         * (and whose own branch pays for the label) */
        for (uint32_t i = 0; i <= n; i++) {
            ctrl *l = label(c, depths[i]);
            if (!label_copies_needed(c, l, arity)) {
                link_target(c, l, first + i);
                if (c->fuel) cost_to_label(c, l, COSTREF(costs + i, PART_U64));
                continue;
            }
            c->code[first + i].u64 = here(c);
            emit_label_copies(c, l, arity);
            emit_br_to(c, l);
        }
    }
    set_unreachable(c);
}

static void emit_return(ctx *c) {
    const functype *t = c->type;
    check_top(c, t->results, t->nresults);
    uint32_t nslots = 0;
    for (uint32_t i = 0; i < t->nresults; i++) nslots += elvm__slots_of(t->results[i]);
    if (live(c)) end_run(c);
    if (live(c) && nslots == 1) {
        /* one result: straight from wherever it is (a local, a constant, its slot) */
        ventry *v = &c->vals[c->nvals - 1];
        if (v->cst) {
            emit_const(c, 0, v->cval);
            emit_h(c, H_RETURN);
            emit_ab(c, 0, 0);
        } else if (is_fresh(c, v)) {
            /* the op just emitted computed it: it writes the return slot itself */
            c->code[c->last_dst - 1].s.a = 0;
            emit_h(c, H_RETURN0);
        } else {
            emit_h(c, H_RETURN1);
            emit_ab(c, v->slot, 0);
        }
    } else if (live(c)) {
        materialize_top(c, t->nresults);
        uint32_t src = t->nresults ? c->vals[c->nvals - t->nresults].canon : 0;
        emit_h(c, H_RETURN);
        emit_ab(c, nslots, src);
    }
    set_unreachable(c);
}

static void op_call(ctx *c, const functype *t, elvm_handler h, uint32_t a, uint32_t b,
                    uint32_t idx_slot) {
    for (uint32_t i = t->nparams; i-- > 0;) pop(c, t->params[i]);
    uint32_t argbase = next_canon(c);
    if (live(c)) {
        /* the arguments are materialized in their own slots: pop kept the entries */
        ventry *args = t->nparams ? &c->vals[c->nvals] : NULL;
        for (uint32_t i = 0; i < t->nparams; i++)
            if (args[i].slot != args[i].canon) emit_copy(c, args[i].type, args[i].canon, args[i].slot);
        emit_h(c, h);
        if (h == H_CALL_INDIRECT || h == H_CALL_INDIRECT_F) {
            emit_ab(c, a, b);
            emit_ab(c, idx_slot, argbase);
        } else if (h == H_CALL_LOCAL || h == H_CALL_LOCAL_F) {
            /* a direct call: the callee's record is known, compiled or not */
            emit_ab(c, a, argbase);
            emit_cell(c, (cell){.cf = &c->m->compiled[a - c->m->nfunc_imports]});
        } else {
            emit_ab(c, a, argbase);
        }
    }
    for (uint32_t i = 0; i < t->nresults; i++) push(c, t->results[i]);
}

static void op_end(ctx *c) {
    ctrl *f = &c->ctrls[c->nctrls - 1];
    /* the results must be exactly on the stack */
    check_top(c, f->results, f->nresults);
    if (c->nvals - f->nresults != f->height) FAIL(c, "type mismatch: values remain at end of block");
    if (f->kind == OP_IF) {
        /* an if without else passes its params through: they must equal the results */
        if (f->nparams != f->nresults ||
            (f->nparams && memcmp(f->params, f->results, f->nparams * sizeof(elvm_valtype))))
            FAIL(c, "type mismatch: if without else must have equal params and results");
    }
    materialize_top(c, f->nresults);
    for (uint32_t i = 0; i < f->nresults; i++) pop_any(c);
    /* the function's own end is no label when nothing branches to it: the op before it
     * stays "last" for finish_function */
    size_t end_at = c->nctrls == 1 && !f->patches && !f->else_cell ? c->ncode : here(c);
    if (f->else_cell) c->code[f->else_cell - 1].u64 = end_at;
    patch_list(c, f->patches, end_at);
    if (c->fuel) {
        /* branches to this end pay from here on; so does an if's false edge */
        label_reached(c, f);
        if (f->else_cost) open_cost(c, COSTREF(f->else_cost - 1, PART_A));
        if (f->kind == OP_LOOP) {
            /* a header run still open must not outlive its frame */
            size_t k = 0;
            for (size_t i = 0; i < c->nopen; i++)
                if (c->open[i].ref != COSTREF(c->nctrls - 1, PART_LOOP)) c->open[k++] = c->open[i];
            c->nopen = k;
        }
    }
    /* code after the end runs if the block fell through or was branched to */
    c->reach = c->reach || f->patches != 0 || f->else_cell != 0;
    const elvm_valtype *results = f->results;
    uint32_t nr = f->nresults;
    c->nctrls--;
    if (c->nctrls == 0) return;
    for (uint32_t i = 0; i < nr; i++) push(c, results[i]);
    c->last_dst = 0;
}

static void op_else(ctx *c) {
    ctrl *f = &c->ctrls[c->nctrls - 1];
    if (f->kind != OP_IF) elvm__rfail(&c->r, ELVM_MALFORMED, "else without if");
    check_top(c, f->results, f->nresults);
    if (c->nvals - f->nresults != f->height) FAIL(c, "type mismatch: values remain at else");
    materialize_top(c, f->nresults);
    for (uint32_t i = 0; i < f->nresults; i++) pop_any(c);
    if (live(c)) {
        end_run(c);
        emit_br_to(c, f);
    }
    /* the else branch starts where the if's false edge lands */
    c->reach = f->else_cell != 0;
    if (f->else_cell) c->code[f->else_cell - 1].u64 = here(c);
    if (c->fuel && f->else_cost) open_cost(c, COSTREF(f->else_cost - 1, PART_A));
    f->else_cell = 0;
    f->else_cost = 0;
    f->kind = OP_ELSE;
    f->unreachable = false;
    for (uint32_t i = 0; i < f->nparams; i++) push(c, f->params[i]);
}

/* ---- the body ----------------------------------------------------------------------------- */

/* A constant costs nothing until something needs it in a slot (or folds it). */
static void push_const(ctx *c, elvm_valtype t, uint64_t v) {
    ventry *e = push(c, t);
    e->cst = true;
    e->cval = v;
    c->nlazy++;
}

static elvm_handler load_store_handler(elvm_opcode op) { return handler_of[op]; }

/* ---- SIMD (simd.def; handler layouts in interp_simd.h) ------------------------------------ */

enum { SK_LOAD, SK_STORE, SK_LOAD_LANE, SK_STORE_LANE, SK_CONST, SK_SHUFFLE, SK_EXTRACT,
       SK_REPLACE, SK_SPLAT, SK_UN, SK_BIN, SK_TERN, SK_SHIFT, SK_TEST };

/* The handler of a shift by a constant (H_<shift>_IMM), H__COUNT for other kinds. */
#define IMM_LOAD(n) H__COUNT
#define IMM_STORE(n) H__COUNT
#define IMM_LOAD_LANE(n) H__COUNT
#define IMM_STORE_LANE(n) H__COUNT
#define IMM_CONST(n) H__COUNT
#define IMM_SHUFFLE(n) H__COUNT
#define IMM_EXTRACT(n) H__COUNT
#define IMM_REPLACE(n) H__COUNT
#define IMM_SPLAT(n) H__COUNT
#define IMM_UN(n) H__COUNT
#define IMM_BIN(n) H__COUNT
#define IMM_TERN(n) H__COUNT
#define IMM_SHIFT(n) H_##n##_IMM
#define IMM_TEST(n) H__COUNT

static const struct { uint8_t kind, n; elvm_valtype t; elvm_handler h, h_imm; } simd_shape[OP__COUNT] = {
#define SIMD(name, code, k, x, t) [OP_##name] = {SK_##k, x, ELVM_##t, H_##name, IMM_##k(name)},
#include "simd.def"
};

/* A lane index immediate (one byte), below `lanes`. */
static uint32_t lane_idx(ctx *c, uint32_t lanes) {
    uint32_t l = elvm__r_u8(&c->r);
    if (l >= lanes) FAIL(c, "invalid lane index %u", l);
    return l;
}

/* Marks the instruction just emitted, whose destination is in cell `at`, as a simple op
 * (a local.set right after it may retarget its destination). */
static void simd_emitted(ctx *c, size_t op_at, size_t at) {
    c->last_dst = at + 1;
    c->last_op_at = op_at;
    c->last_h = H__COUNT; /* fuses with nothing */
}

static void compile_simd(ctx *c, elvm_opcode op) {
    uint32_t n = simd_shape[op].n;
    elvm_valtype t = simd_shape[op].t;
    elvm_handler h = simd_shape[op].h;
    switch (simd_shape[op].kind) {
    case SK_LOAD: case SK_LOAD_LANE: {
        uint64_t off;
        memarg(c, n, &off);
        bool lane = simd_shape[op].kind == SK_LOAD_LANE;
        uint32_t l = lane ? lane_idx(c, 16 / n) : 0;
        ventry v = lane ? pop(c, ELVM_V128) : (ventry){0, 0, 0, false, 0};
        ventry a = pop(c, ELVM_I32);
        ventry *res = push(c, ELVM_V128);
        if (live(c)) {
            size_t op_at = emit_h(c, h);
            size_t at = emit_ab(c, res->canon, a.slot);
            emit_u64(c, off);
            if (lane) emit_ab(c, v.slot, l);
            simd_emitted(c, op_at, at);
        }
        break;
    }
    case SK_STORE: case SK_STORE_LANE: {
        uint64_t off;
        memarg(c, n, &off);
        bool lane = simd_shape[op].kind == SK_STORE_LANE;
        uint32_t l = lane ? lane_idx(c, 16 / n) : 0;
        ventry v = pop(c, ELVM_V128);
        ventry a = pop(c, ELVM_I32);
        if (live(c)) {
            emit_h(c, h);
            emit_ab(c, a.slot, v.slot);
            emit_u64(c, off);
            if (lane) emit_ab(c, l, 0);
        }
        break;
    }
    case SK_CONST: case SK_SHUFFLE: {
        uint8_t b[16];
        memcpy(b, elvm__r_bytes(&c->r, 16), 16);
        ventry x = {0, 0, 0, false, 0}, y = x;
        if (simd_shape[op].kind == SK_SHUFFLE) {
            for (int i = 0; i < 16; i++) {
                if (b[i] >= 32) FAIL(c, "invalid lane index %u", b[i]);
                /* for the handler: byte in bits 0-3, bit 7 if from the second operand */
                b[i] = (uint8_t)((b[i] & 15) | (b[i] & 16) << 3);
            }
            y = pop(c, ELVM_V128);
            x = pop(c, ELVM_V128);
        }
        uint64_t lo, hi;
        memcpy(&lo, b, 8);
        memcpy(&hi, b + 8, 8);
        ventry *res = push(c, ELVM_V128);
        if (live(c)) {
            size_t op_at = emit_h(c, h);
            size_t at = emit_ab(c, res->canon, x.slot);
            if (simd_shape[op].kind == SK_SHUFFLE) emit_ab(c, y.slot, 0);
            emit_u64(c, lo);
            emit_u64(c, hi);
            simd_emitted(c, op_at, at);
        }
        break;
    }
    case SK_EXTRACT: {
        uint32_t l = lane_idx(c, n);
        ventry a = pop(c, ELVM_V128);
        simple_result(c, h, t, a.slot, l, true);
        break;
    }
    case SK_REPLACE: {
        uint32_t l = lane_idx(c, n);
        ventry x = pop(c, t);
        ventry a = pop(c, ELVM_V128);
        simple_result(c, h, ELVM_V128, a.slot, x.slot, true);
        if (live(c)) c->code[c->ncode - 1].s.b = l;
        break;
    }
    case SK_SPLAT: {
        ventry x = pop(c, t);
        simple_result(c, h, ELVM_V128, x.slot, 0, false);
        break;
    }
    case SK_UN: case SK_TEST: {
        ventry a = pop(c, ELVM_V128);
        simple_result(c, h, t, a.slot, 0, false);
        break;
    }
    case SK_SHIFT: {
        ventry b = pop_k(c, ELVM_I32);
        if (b.cst) {
            /* a constant count: reduced modulo the lane width (n bits) now */
            ventry a = pop(c, ELVM_V128);
            simple_result(c, simd_shape[op].h_imm, ELVM_V128, a.slot, (uint32_t)b.cval & (n - 1), true);
            break;
        }
        ventry a = pop(c, ELVM_V128);
        simple_result(c, h, ELVM_V128, a.slot, b.slot, true);
        break;
    }
    case SK_BIN: {
        ventry b = pop(c, ELVM_V128);
        ventry a = pop(c, ELVM_V128);
        simple_result(c, h, ELVM_V128, a.slot, b.slot, true);
        break;
    }
    case SK_TERN: {
        ventry m = pop(c, ELVM_V128);
        ventry b = pop(c, ELVM_V128);
        ventry a = pop(c, ELVM_V128);
        simple_result(c, h, ELVM_V128, a.slot, b.slot, true);
        if (live(c)) c->code[c->ncode - 1].s.b = m.slot;
        break;
    }
    default: break;
    }
}

static void compile_body(ctx *c) {
    elvm_module *m = c->m;
    reader *r = &c->r;
    push_ctrl(c, OP_BLOCK, NULL, 0, c->type->results, c->type->nresults);
    if (c->fuel) {
        emit_h(c, H_FUEL);
        open_cost(c, COSTREF(emit_u64(c, 0), PART_U64));
    }
    while (c->nctrls > 0) {
        if (r->p >= r->end) elvm__rfail(r, ELVM_MALFORMED, "unexpected end of section or function");
        elvm_opcode op = elvm__r_opcode(r);
        count_instr(c);
        switch (op) {
        case OP_UNREACHABLE:
            if (live(c)) {
                end_run(c);
                emit_h(c, H_UNREACHABLE);
            }
            set_unreachable(c);
            break;
        case OP_NOP: break;
        case OP_BLOCK: case OP_LOOP: case OP_IF: {
            const elvm_valtype *p, *res;
            uint32_t np, nr;
            blocktype(c, &p, &np, &res, &nr);
            ventry cond = {0, 0, 0, false, 0};
            cond_br cb = {false, true, false, 0, {0, 0, 0, 0, false, false}};
            if (op == OP_IF) {
                cond = pop(c, ELVM_I32);
                /* the copies below never write the compare's operands: fusing is safe */
                if (live(c)) cb = make_cond(c, &cond, true);
            }
            check_top(c, p, np);
            materialize_all(c); /* control flow merges below: every value in its slot */
            for (uint32_t i = 0; i < np; i++) pop_any(c);
            size_t else_cell = 0, cost = 0;
            if (op == OP_IF && live(c)) {
                end_run(c);
                else_cell = emit_cond(c, &cb, false, &cost) + 1;
                if (c->fuel) open_cost(c, COSTREF(cost, PART_B)); /* the then branch */
            }
            /* the params stay where they are: pop them and let push_ctrl push them back */
            push_ctrl(c, op, p, np, res, nr);
            ctrl *f = &c->ctrls[c->nctrls - 1];
            f->else_cell = else_cell;
            f->else_cost = else_cell && c->fuel ? cost + 1 : 0;
            f->start = here(c);
            if (op == OP_LOOP && c->fuel && live(c))
                open_cost(c, COSTREF(c->nctrls - 1, PART_LOOP)); /* the header's run */
            c->last_dst = 0;
            break;
        }
        case OP_ELSE: op_else(c); break;
        case OP_END: op_end(c); break;
        case OP_BR: op_br(c, r_u32(c)); break;
        case OP_BR_IF: op_br_if(c, r_u32(c)); break;
        case OP_BR_TABLE: op_br_table(c); break;
        case OP_RETURN: emit_return(c); break;
        case OP_CALL: {
            uint32_t fi = r_u32(c);
            if (fi >= m->nfuncs) FAIL(c, "unknown function %u", fi);
            /* H_CALL_F etc. charge the callee's first run (compiled with fuel) */
            elvm_handler h = fi < m->nfunc_imports ? H_CALL : H_CALL_LOCAL;
            if (c->fuel) h = h == H_CALL ? H_CALL_F : H_CALL_LOCAL_F;
            op_call(c, &m->types[m->func_types[fi]], h, fi, 0, 0);
            break;
        }
        case OP_CALL_INDIRECT: {
            uint32_t ti = r_u32(c);
            uint32_t tab = r_u32(c);
            if (tab >= m->ntables) FAIL(c, "unknown table %u", tab);
            if (ti >= m->ntypes) FAIL(c, "unknown type %u", ti);
            if (m->tables[tab].reftype != ELVM_FUNCREF) FAIL(c, "type mismatch: call_indirect on a table of externref");
            ventry idx = pop(c, ELVM_I32);
            op_call(c, &m->types[ti], c->fuel ? H_CALL_INDIRECT_F : H_CALL_INDIRECT,
                    m->types[ti].canon, tab, idx.slot);
            break;
        }
        case OP_DROP: pop_any(c); break;
        case OP_SELECT: case OP_SELECT_T: {
            elvm_valtype want = 0;
            if (op == OP_SELECT_T) {
                uint32_t n = r_u32(c);
                if (n != 1) {
                    if (n > 1 && n <= 1000) for (uint32_t i = 0; i < n; i++) elvm__r_valtype(r);
                    FAIL(c, "invalid result arity");
                }
                want = elvm__r_valtype(r);
            }
            ventry cond = pop(c, ELVM_I32);
            ventry b = pop(c, want);
            ventry a = pop(c, want);
            elvm_valtype t = want;
            if (!want) {
                if (!is_num(a.type) || !is_num(b.type)) FAIL(c, "type mismatch: select needs numeric operands");
                if (a.type && b.type && a.type != b.type) FAIL(c, "type mismatch: select operands differ");
                t = a.type ? a.type : b.type;
            }
            ventry *res = push(c, t);
            if (live(c)) {
                emit_h(c, t == ELVM_V128 ? H_V128_SELECT : H_SELECT);
                size_t at = emit_ab(c, res->canon, cond.slot);
                emit_ab(c, a.slot, b.slot);
                c->last_dst = at + 1;
            }
            break;
        }
        case OP_LOCAL_GET: {
            uint32_t x = r_u32(c);
            if (x >= c->nlocals) FAIL(c, "unknown local %u", x);
            ventry *v = push(c, c->f->local_types[x]);
            v->slot = c->local_slot[x];
            c->nlazy++;
            break;
        }
        case OP_LOCAL_SET: case OP_LOCAL_TEE: {
            uint32_t x = r_u32(c);
            if (x >= c->nlocals) FAIL(c, "unknown local %u", x);
            elvm_valtype t = c->f->local_types[x];
            uint32_t ls = c->local_slot[x];
            size_t last = c->last_dst;
            ventry v = pop_k(c, t);
            if (live(c)) {
                bool fresh = last && !v.cst && v.slot == v.canon && c->code[last - 1].s.a == v.canon;
                uint32_t refs_before = c->nlazy;
                materialize_local(c, ls);
                if (v.cst) {
                    emit_const(c, ls, v.cval);
                } else if (fresh && refs_before == c->nlazy) {
                    c->code[last - 1].s.a = ls; /* the producer writes the local itself */
                } else if (v.slot != ls) {
                    emit_copy(c, t, ls, v.slot);
                }
            }
            if (op == OP_LOCAL_TEE) {
                ventry *nv = push(c, t);
                if (live(c)) {
                    nv->slot = ls;
                    c->nlazy++;
                }
            }
            c->last_dst = 0;
            break;
        }
        case OP_GLOBAL_GET: {
            uint32_t g = r_u32(c);
            if (g >= m->nglobals) FAIL(c, "unknown global %u", g);
            elvm_valtype t = m->globals[g].type;
            simple_result(c, t == ELVM_V128 ? H_V128_GLOBAL_GET : H_GLOBAL_GET, t, g, 0, false);
            /* GLOBAL_GET's layout is d|globalidx: simple_result wrote (canon, g) */
            break;
        }
        case OP_GLOBAL_SET: {
            uint32_t g = r_u32(c);
            if (g >= m->nglobals) FAIL(c, "unknown global %u", g);
            if (!m->globals[g].mut) FAIL(c, "global is immutable");
            ventry v = pop(c, m->globals[g].type);
            if (live(c)) {
                emit_h(c, m->globals[g].type == ELVM_V128 ? H_V128_GLOBAL_SET : H_GLOBAL_SET);
                emit_ab(c, v.slot, g);
            }
            break;
        }
        case OP_TABLE_GET: {
            uint32_t t = table_idx(c);
            ventry i = pop(c, ELVM_I32);
            simple_result(c, H_TABLE_GET, m->tables[t].reftype, i.slot, t, true);
            break;
        }
        case OP_TABLE_SET: {
            uint32_t t = table_idx(c);
            ventry v = pop(c, m->tables[t].reftype);
            ventry i = pop(c, ELVM_I32);
            if (live(c)) {
                emit_h(c, H_TABLE_SET);
                emit_ab(c, i.slot, v.slot);
                emit_ab(c, t, 0);
            }
            break;
        }
        case OP_TABLE_SIZE: {
            uint32_t t = table_idx(c);
            simple_result(c, H_TABLE_SIZE, ELVM_I32, t, 0, false);
            break;
        }
        case OP_TABLE_GROW: {
            uint32_t t = table_idx(c);
            ventry n = pop(c, ELVM_I32);
            ventry v = pop(c, m->tables[t].reftype);
            simple_result(c, H_TABLE_GROW, ELVM_I32, v.slot, 0, false);
            if (live(c)) { c->last_dst = 0; emit_ab(c, n.slot, t); }
            break;
        }
        case OP_TABLE_FILL: {
            uint32_t t = table_idx(c);
            ventry n = pop(c, ELVM_I32);
            ventry v = pop(c, m->tables[t].reftype);
            ventry i = pop(c, ELVM_I32);
            if (live(c)) {
                emit_h(c, H_TABLE_FILL);
                emit_ab(c, i.slot, v.slot);
                emit_ab(c, n.slot, t);
            }
            break;
        }
        case OP_TABLE_COPY: {
            uint32_t dt = table_idx(c), st = table_idx(c);
            if (m->tables[dt].reftype != m->tables[st].reftype) FAIL(c, "type mismatch: table.copy between tables of different types");
            ventry n = pop(c, ELVM_I32), s = pop(c, ELVM_I32), d = pop(c, ELVM_I32);
            if (live(c)) {
                emit_h(c, H_TABLE_COPY);
                emit_ab(c, d.slot, s.slot);
                emit_ab(c, n.slot, 0);
                emit_ab(c, dt, st);
            }
            break;
        }
        case OP_TABLE_INIT: {
            uint32_t e = r_u32(c);
            uint32_t t = table_idx(c);
            if (e >= m->nelems) FAIL(c, "unknown elem segment %u", e);
            if (m->elems[e].reftype != m->tables[t].reftype) FAIL(c, "type mismatch: table.init element type");
            ventry n = pop(c, ELVM_I32), s = pop(c, ELVM_I32), d = pop(c, ELVM_I32);
            if (live(c)) {
                emit_h(c, H_TABLE_INIT);
                emit_ab(c, d.slot, s.slot);
                emit_ab(c, n.slot, e);
                emit_ab(c, t, 0);
            }
            break;
        }
        case OP_ELEM_DROP: {
            uint32_t e = r_u32(c);
            if (e >= m->nelems) FAIL(c, "unknown elem segment %u", e);
            if (live(c)) { emit_h(c, H_ELEM_DROP); emit_ab(c, e, 0); }
            break;
        }
        case OP_MEMORY_SIZE:
            zero_byte(c);
            need_memory(c);
            simple_result(c, H_MEMORY_SIZE, ELVM_I32, 0, 0, false);
            c->last_dst = 0;
            break;
        case OP_MEMORY_GROW: {
            zero_byte(c);
            need_memory(c);
            ventry n = pop(c, ELVM_I32);
            simple_result(c, H_MEMORY_GROW, ELVM_I32, n.slot, 0, false);
            c->last_dst = 0;
            break;
        }
        case OP_MEMORY_INIT: {
            uint32_t d = r_u32(c);
            zero_byte(c);
            need_datacount(c);
            need_memory(c);
            if (d >= m->ndatas) FAIL(c, "unknown data segment %u", d);
            ventry n = pop(c, ELVM_I32), s = pop(c, ELVM_I32), dst = pop(c, ELVM_I32);
            if (live(c)) {
                emit_h(c, H_MEMORY_INIT);
                emit_ab(c, dst.slot, s.slot);
                emit_ab(c, n.slot, d);
            }
            break;
        }
        case OP_DATA_DROP: {
            uint32_t d = r_u32(c);
            need_datacount(c);
            if (d >= m->ndatas) FAIL(c, "unknown data segment %u", d);
            if (live(c)) { emit_h(c, H_DATA_DROP); emit_ab(c, d, 0); }
            break;
        }
        case OP_MEMORY_COPY: case OP_MEMORY_FILL: {
            zero_byte(c);
            if (op == OP_MEMORY_COPY) zero_byte(c);
            need_memory(c);
            ventry n = pop(c, ELVM_I32), s = pop(c, ELVM_I32), d = pop(c, ELVM_I32);
            if (live(c)) {
                emit_h(c, op == OP_MEMORY_COPY ? H_MEMORY_COPY : H_MEMORY_FILL);
                emit_ab(c, d.slot, s.slot);
                emit_ab(c, n.slot, 0);
            }
            break;
        }
        case OP_I32_CONST: case OP_I64_CONST: case OP_F32_CONST: case OP_F64_CONST: {
            uint64_t v;
            elvm_valtype t;
            if (op == OP_I32_CONST) { v = (uint32_t)elvm__r_s32(r); t = ELVM_I32; }
            else if (op == OP_I64_CONST) { v = (uint64_t)elvm__r_s64(r); t = ELVM_I64; }
            else if (op == OP_F32_CONST) { uint32_t f; memcpy(&f, elvm__r_bytes(r, 4), 4); v = f; t = ELVM_F32; }
            else { memcpy(&v, elvm__r_bytes(r, 8), 8); t = ELVM_F64; }
            push_const(c, t, v);
            break;
        }
#define SIMD(n, code, k, x, t) case OP_##n:
#include "simd.def"
            compile_simd(c, op);
            break;
        case OP_REF_NULL: push_const(c, elvm__r_reftype(r), 0); break;
        case OP_REF_IS_NULL: {
            ventry v = pop(c, 0); /* any type; a lazy ref.null gets written to its slot */
            if (v.type && !elvm__is_reftype(v.type)) FAIL(c, "type mismatch: ref.is_null needs a reference");
            simple_result(c, H_REF_IS_NULL, ELVM_I32, v.slot, 0, false);
            break;
        }
        case OP_REF_FUNC: {
            uint32_t fi = r_u32(c);
            if (fi >= m->nfuncs) FAIL(c, "unknown function %u", fi);
            if (!m->func_declared[fi]) FAIL(c, "undeclared function reference %u", fi);
            simple_result(c, H_REF_FUNC, ELVM_FUNCREF, fi, 0, false);
            break;
        }
        default: {
            if (shape[op].load) {
                uint64_t off;
                memarg(c, shape[op].bytes, &off);
                ventry a = pop(c, ELVM_I32);
                fused_add fa;
                bool fuse = live(c) && take_add(c, &a, &fa);
                /* H_<load>_ADD and _ADDI follow H_<load>, then the _G forms */
                elvm_handler h = load_store_handler(op);
                if (c->m->engine->guard) h = (elvm_handler)(h + ELVM_LOAD_GUARD_OFFSET);
                if (fuse) h = (elvm_handler)(h + (fa.is_imm ? 2 : 1));
                else if (fuse_acc(c, &a)) h = (elvm_handler)(acc_from[h] - 1);
                ventry *res = push(c, shape[op].out);
                if (live(c)) {
                    size_t op_at = emit_h(c, h);
                    size_t at = emit_ab(c, res->canon, fuse ? fa.x : a.slot);
                    emit_u64(c, off);
                    if (fuse) emit_ab(c, fa.y, 0);
                    c->last_dst = at + 1;
                    c->last_op_at = op_at;
                    c->last_h = h;
                }
            } else if (shape[op].store) {
                uint64_t off;
                memarg(c, shape[op].bytes, &off);
                ventry v = pop_k(c, shape[op].in);
                ventry a = pop(c, ELVM_I32);
                fused_add fa;
                /* H_<store>, _IMM, _ADD, _ADDI, then the same four _G forms */
                elvm_handler h = load_store_handler(op);
                if (c->m->engine->guard) h = (elvm_handler)(h + ELVM_STORE_GUARD_OFFSET);
                if (live(c) && !v.cst && take_add(c, &a, &fa)) {
                    emit_h(c, (elvm_handler)(h + (fa.is_imm ? 3 : 2)));
                    emit_ab(c, fa.x, v.slot);
                    emit_u64(c, off);
                    emit_ab(c, fa.y, 0);
                } else if (live(c) && !v.cst && fuse_acc(c, &v)) {
                    emit_h(c, (elvm_handler)(acc_from[h] - 1));
                    emit_ab(c, a.slot, v.slot);
                    emit_u64(c, off);
                } else if (live(c)) {
                    emit_h(c, (elvm_handler)(h + (v.cst ? 1 : 0)));
                    emit_ab(c, a.slot, v.cst ? 0 : v.slot);
                    emit_u64(c, off);
                    if (v.cst) emit_u64(c, v.cval);
                }
            } else if (shape[op].bin) {
                binop(c, op, shape[op].in, shape[op].out);
            } else if (shape[op].in) {
                ventry a = pop(c, shape[op].in);
                if ((op == OP_I32_EQZ || op == OP_I64_EQZ) && invert_compare(c, &a)) {
                    push(c, ELVM_I32); /* same slot: the compare now computes the eqz */
                    break;
                }
                elvm_handler h = handler_of[op];
                if (fuse_acc(c, &a)) h = (elvm_handler)(acc_from[h] - 1);
                simple_result(c, h, shape[op].out, a.slot, 0, false);
            } else {
                elvm__rfail(r, ELVM_MALFORMED, "illegal opcode");
            }
            break;
        }
        }
    }
    if (r->p != r->end) elvm__rfail(r, ELVM_MALFORMED, "operators remaining after end of function (section size mismatch)");
}

static void finish_function(ctx *c) {
    /* The last `end` of the body popped the function frame; emit the return now, with
     * the results in their own slots (the end materialized them). */
    const functype *t = c->type;
    uint32_t nslots = 0;
    for (uint32_t i = 0; i < t->nresults; i++) nslots += elvm__slots_of(t->results[i]);
    end_run(c);
    if (nslots == 1 && c->last_dst && c->code[c->last_dst - 1].s.a == c->nlocal_slots) {
        /* the last op computed the result (nothing branches to the end: op_end kept
         * last_dst): it writes the return slot itself */
        c->code[c->last_dst - 1].s.a = 0;
        emit_h(c, H_RETURN0);
    } else if (nslots == 1) {
        emit_h(c, H_RETURN1);
        emit_ab(c, c->nlocal_slots, 0);
    } else {
        emit_h(c, H_RETURN);
        emit_ab(c, nslots, c->nlocal_slots);
    }
}

/* ---- where the code lives ----------------------------------------------------------------
 * A function is emitted straight into the module's newest code chunk, past the code it
 * already holds, and stays there: a module's code is contiguous, and a small module's
 * takes few pages (each 4 KiB page of new memory costs a page fault of ~10 us on these
 * VMs). When a function outgrows the room left, what it has so far moves to a new chunk
 * and the old chunk's tail (with that partial copy) stays unused until the module is
 * freed: a huge function keeps up to about twice its size, where a realloc'd buffer
 * would have given the old copy back. The first chunk is sized from the code section
 * (compiled code is 4.4-5.3 times the wasm code here: `elvm inspect`), up to
 * CODE_CHUNK_MIN; each next one doubles, up to CODE_CHUNK_MAX. Their 2 MiB-aligned parts
 * are offered to the kernel for transparent huge pages (128 MiB: 425 ms in 4 KiB pages,
 * 11 ms in huge pages; a module of 28 MB of wasm code compiles to 122 MB). */
typedef struct code_chunk {
    struct code_chunk *next;
    size_t used, cap; /* cells */
    cell cells[];
} code_chunk;

enum {
    CODE_CHUNK_MIN = 4 << 20,   /* bytes: the first chunk at most; each next one doubles, */
    CODE_CHUNK_MAX = 64 << 20,  /* up to this */
    CODE_CHUNK_SMALL = 4096,    /* bytes: the first chunk at least */
    HUGE_PAGE = 2 << 20,
};

/* The first chunk's size in bytes for a module with `wasm_code` bytes of code. */
static size_t first_chunk_bytes(uint64_t wasm_code) {
    uint64_t want = wasm_code / 2 * 11 + 1024; /* 5.5 per wasm byte, and a margin */
    if (want < CODE_CHUNK_SMALL) return CODE_CHUNK_SMALL;
    return want > CODE_CHUNK_MIN ? CODE_CHUNK_MIN : (size_t)want;
}

/* A new newest chunk of the module with room for at least `n` cells; NULL if out of
 * memory. */
static code_chunk *chunk_new(elvm_module *m, size_t n) {
    code_chunk *k = m->code_chunks;
    size_t bytes = k ? (k->cap * sizeof(cell) + sizeof *k) * 2
                     : first_chunk_bytes(m->stats.wasm_code_bytes);
    if (bytes > CODE_CHUNK_MAX) bytes = CODE_CHUNK_MAX;
    if (n > (SIZE_MAX - sizeof *k) / sizeof(cell)) return NULL;
    if (bytes < sizeof *k + n * sizeof(cell)) bytes = sizeof *k + n * sizeof(cell);
    k = elvm__malloc(bytes);
    if (!k) return NULL;
#ifdef MADV_HUGEPAGE
    /* advice only: where the kernel has no huge page, 4 KiB pages it is */
    uintptr_t lo = ((uintptr_t)k + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    uintptr_t hi = ((uintptr_t)k + bytes) & ~(uintptr_t)(HUGE_PAGE - 1);
    if (hi > lo) madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#endif
    k->next = m->code_chunks;
    k->used = 0;
    k->cap = (bytes - sizeof *k) / sizeof(cell);
    m->code_chunks = k;
    return k;
}

/* A function's code starts at the newest chunk's free room. */
static void code_begin(ctx *c) {
    code_chunk *k = c->m->code_chunks;
    if (!k && !(k = chunk_new(c->m, 64))) elvm__rfail(&c->r, ELVM_NOMEM, "out of memory");
    c->in_chunk = true;
    c->code = k->cells + k->used;
    c->capcode = k->cap - k->used;
}

/* Room for one more cell: the function's code so far moves to a new chunk with room for
 * twice as much, or its growing buffer grows. */
static void code_grow(ctx *c) {
    if (!c->in_chunk) {
        c->code = grow(c, c->code, &c->capcode, c->ncode + 1, sizeof(cell));
        return;
    }
    size_t want = c->ncode < 32 ? 64 : c->ncode * 2;
    code_chunk *k = chunk_new(c->m, want);
    if (!k) elvm__rfail(&c->r, ELVM_NOMEM, "out of memory");
    if (c->ncode) memcpy(k->cells, c->code, c->ncode * sizeof(cell));
    c->code = k->cells;
    c->capcode = k->cap;
}

/* The function's code is final: its chunk holds it. */
static void code_commit(ctx *c) {
    if (c->in_chunk) c->m->code_chunks->used += c->ncode;
}

/* ---- a compile's buffers ---------------------------------------------------------------
 * The growing arrays of the context, lent to one function's compile after another, so a
 * module's compile grows each once instead of allocating and freeing them per function.
 * `code` is only for a function validated without being compiled (it emits nothing that
 * runs): compiled code goes straight to the module's chunks. COMPILE_BUFS lists the
 * others as (type, array, capacity), once for the struct, lending, return and freeing. */
#define COMPILE_BUFS(X)                                                                 \
    X(uint32_t, local_slot, caplocal) X(ventry, vals, capvals) X(ventry, tmpv, captmpv)   \
    X(ctrl, ctrls, capctrls) X(uint32_t, scratch, capscratch) X(size_t, relocs, caprelocs) \
    X(open_field, open, capopen) X(pend_field, pend, cappend)

typedef struct compile_bufs {
#define BUF_FIELD(type, p, cap) type *p; size_t cap;
    COMPILE_BUFS(BUF_FIELD)
#undef BUF_FIELD
    cell *code;
    size_t capcode;
} compile_bufs;

static void bufs_lend(ctx *c, const compile_bufs *b) {
#define LEND(type, p, cap) c->p = b->p, c->cap = b->cap;
    COMPILE_BUFS(LEND)
#undef LEND
    c->code = b->code, c->capcode = b->capcode;
}

/* back from the context, grown or not; also after a longjmp (the context is in memory:
 * its address is passed everywhere) */
static void bufs_return(compile_bufs *b, const ctx *c) {
#define RETURN(type, p, cap) b->p = c->p, b->cap = c->cap;
    COMPILE_BUFS(RETURN)
#undef RETURN
    if (!c->in_chunk) b->code = c->code, b->capcode = c->capcode;
}

static void bufs_free(compile_bufs *b) {
#define FREE(type, p, cap) elvm__free(b->p);
    COMPILE_BUFS(FREE)
#undef FREE
    elvm__free(b->code);
    memset(b, 0, sizeof *b);
}

/* ---- when the code is made ------------------------------------------------------------
 * Eagerly, every function when the module is made. Lazily, elvm__compile_all only
 * validates each function: the same pass with nothing reachable, so nothing is emitted
 * (dead code is validated like live code), which takes a third of the time. It records
 * the frame layout the call handlers need before the code exists, and points the code at
 * the module's stub, three cells [LAZY][0][LAZY_F]: a call from the host or a plain call
 * dispatches cell 0, a call from fuel-compiled code charges cell 1 (nothing) and
 * dispatches cell 2. Both handlers call elvm__compile_lazy, which compiles the function
 * for real under the module's lock and publishes its code (a release store, after the
 * cells; the call handlers read the pointer once, interp.c's LOAD_CODE), and continue
 * there, as the call would have. */
enum { LAZY_MIN = 1 << 20 }; /* bytes of wasm code from which AUTO compiles lazily */

typedef enum { COMPILE_EAGER, COMPILE_VALIDATE, COMPILE_LATE } compile_mode;

static size_t frame_slots_of(uint32_t max_slot, uint32_t nparam_slots) {
    /* room for the call handler's four unconditional zero stores past the params */
    return max_slot + 1 > nparam_slots + 4 ? max_slot + 1 : nparam_slots + 4;
}

static elvm_status compile_func(elvm_module *m, uint32_t defidx, compile_mode mode,
                                compile_bufs *bufs, elvm_error *err) {
    func_def *f = &m->funcs[defidx];
    jmp_buf jb;
    ctx c;
    memset(&c, 0, sizeof c);
    c.m = m;
    c.f = f;
    c.type = &m->types[f->typeidx];
    c.H = elvm__handler_map();
    c.fuel = m->engine->cfg.fuel;
    c.r = (reader){f->body, f->body_end, m->bytes, &jb, err, "code section",
                   (int32_t)(m->nfunc_imports + defidx)};
    bufs_lend(&c, bufs);
    if (setjmp(jb)) {
        bufs_return(bufs, &c);
        return err ? err->status : ELVM_INVALID;
    }
    c.nlocals = c.type->nparams + f->nlocals;
    c.local_slot = grow(&c, c.local_slot, &c.caplocal, (size_t)c.nlocals + 1, sizeof(uint32_t));
    uint32_t s = 0, nparam_slots = 0;
    for (uint32_t i = 0; i < c.nlocals; i++) {
        c.local_slot[i] = s;
        s += elvm__slots_of(f->local_types[i]);
        if (i + 1 == c.type->nparams) nparam_slots = s;
    }
    c.nlocal_slots = s;
    c.max_slot = s;
    c.reach = mode != COMPILE_VALIDATE;
    if (c.reach) code_begin(&c);
    compile_body(&c);
    finish_function(&c);
    compiled_func *cf = f->code;
    if (mode == COMPILE_LATE && frame_slots_of(c.max_slot, nparam_slots) != cf->frame_slots)
        elvm__rfail(&c.r, ELVM_INVALID, "internal error: the frame of the compiled function "
                                        "differs from the validated one");
    cell *code = m->lazy ? m->lazy->stub : NULL;
    if (mode == COMPILE_VALIDATE) {
        c.ncode = 0;
    } else {
        code = c.code;
        for (size_t i = 0; i < c.nrelocs; i++)
            code[c.relocs[i]].target = code + code[c.relocs[i]].u64;
        code_commit(&c);
    }
    bufs_return(bufs, &c);
    cf->ncells = c.ncode;
    if (mode != COMPILE_LATE) { /* a late compile leaves what running calls read alone */
        cf->nparams = nparam_slots;
        cf->nlocals = c.nlocal_slots;
        cf->nzero = c.nlocal_slots - nparam_slots;
        cf->frame_slots = (uint32_t)frame_slots_of(c.max_slot, nparam_slots);
    }
    __atomic_store_n(&cf->code, code, __ATOMIC_RELEASE);
    m->stats.code_bytes += c.ncode * sizeof(cell);
    return ELVM_OK;
}

elvm_status elvm__compile_all(elvm_module *m, elvm_error *err) {
    uint32_t ndef = m->nfuncs - m->nfunc_imports;
    m->compiled = elvm__calloc(ndef ? ndef : 1, sizeof(compiled_func));
    if (!m->compiled) return elvm__fail(err, ELVM_NOMEM, "out of memory for compiled code");
    for (uint32_t i = 0; i < ndef; i++) {
        m->compiled[i].funcidx = m->nfunc_imports + i;
        m->compiled[i].module = m;
        m->funcs[i].code = &m->compiled[i];
    }
    int want = m->engine->cfg.compile;
    bool lazy = want == ELVM_COMPILE_LAZY ||
                (want == ELVM_COMPILE_AUTO && m->stats.wasm_code_bytes >= LAZY_MIN);
    if (lazy && ndef > 0) {
        if (!(m->lazy = elvm__calloc(1, sizeof *m->lazy)))
            return elvm__fail(err, ELVM_NOMEM, "out of memory for compiled code");
        if (pthread_mutex_init(&m->lazy->lock, NULL)) {
            elvm__free(m->lazy);
            m->lazy = NULL;
            return elvm__fail(err, ELVM_NOMEM, "cannot make the module's compile lock");
        }
        elvm_handler_map H = elvm__handler_map();
        m->lazy->stub[0].h = elvm__handler_addr(H, H_LAZY);
        m->lazy->stub[1].u64 = 0;
        m->lazy->stub[2].h = elvm__handler_addr(H, H_LAZY_F);
    }
    compile_bufs bufs;
    memset(&bufs, 0, sizeof bufs);
    elvm_status st = ELVM_OK;
    for (uint32_t i = 0; i < ndef && st == ELVM_OK; i++)
        st = compile_func(m, i, m->lazy ? COMPILE_VALIDATE : COMPILE_EAGER, &bufs, err);
    bufs_free(&bufs);
    return st;
}

elvm_status elvm__compile_lazy(const compiled_func *cf, elvm_error *err) {
    elvm_module *m = (elvm_module *)cf->module; /* the module owns its compiled state */
    elvm_status st = ELVM_OK;
    pthread_mutex_lock(&m->lazy->lock);
    if (cf->code == m->lazy->stub) {
        compile_bufs bufs;
        memset(&bufs, 0, sizeof bufs);
        st = compile_func(m, cf->funcidx - m->nfunc_imports, COMPILE_LATE, &bufs, err);
        bufs_free(&bufs);
    }
    pthread_mutex_unlock(&m->lazy->lock);
    return st;
}

void elvm__compiled_free(elvm_module *m) {
    for (code_chunk *k = m->code_chunks, *next; k; k = next) {
        next = k->next;
        elvm__free(k);
    }
    m->code_chunks = NULL;
    if (m->lazy) {
        pthread_mutex_destroy(&m->lazy->lock);
        elvm__free(m->lazy);
        m->lazy = NULL;
    }
    elvm__free(m->compiled);
    m->compiled = NULL;
}

static bool scan_body(elvm_module *m, uint32_t i, elvm_error *err) {
    func_def *f = &m->funcs[i];
    jmp_buf jb;
    elvm_error e2;
    reader r = {f->body, f->body_end, m->bytes, &jb, &e2, "code section",
                (int32_t)(m->nfunc_imports + i)};
    if (setjmp(jb)) {
        if (e2.status != ELVM_MALFORMED) return false;
        if (err) *err = e2;
        return true;
    }
    uint32_t depth = 1;
    while (depth > 0) {
        if (r.p >= r.end) elvm__rfail(&r, ELVM_MALFORMED, "unexpected end of section or function");
        elvm_opcode op = elvm__r_opcode(&r);
        if (op == OP_BLOCK || op == OP_LOOP || op == OP_IF) depth++;
        else if (op == OP_END) depth--;
        if ((op == OP_MEMORY_INIT || op == OP_DATA_DROP) && !m->has_datacount && m->ndatas > 0)
            elvm__rfail(&r, ELVM_MALFORMED, "data count section required");
        elvm__skip_immediates(&r, op);
    }
    if (r.p != r.end) elvm__rfail(&r, ELVM_MALFORMED, "section size mismatch");
    return false;
}

/* After a validation error, the spec still wants a malformed body reported as
 * malformed: decode every body's instructions without typing them. */
bool elvm__scan_malformed(elvm_module *m, elvm_error *err) {
    for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++)
        if (scan_body(m, i, err)) return true;
    return false;
}
