/* module.h: the decoded module (spec 2.5) as vm/ sees it, and the byte reader. */
#ifndef ELVM_MODULE_H
#define ELVM_MODULE_H

#include <setjmp.h>

#include "internal.h"

/* Opcodes: the dense enum of opcodes.def (the 0xFC prefix space follows the single bytes),
 * then simd.def (0xFD). */
typedef enum {
#define OP_SPECIAL(n, c) OP_##n,
#define OP_UN(n, c, a, r) OP_##n,
#define OP_BIN(n, c, a, r) OP_##n,
#define OP_LOAD(n, c, t, b) OP_##n,
#define OP_STORE(n, c, t, b) OP_##n,
#include "opcodes.def"
#undef OP_SPECIAL
#undef OP_UN
#undef OP_BIN
#undef OP_LOAD
#undef OP_STORE
#define SIMD(n, c, k, x, t) OP_##n,
#include "simd.def"
    OP__COUNT
} elvm_opcode;

/* ---- byte reader (spec 5.1, 5.2) ------------------------------------------------------
 * Errors longjmp to `fail`, so decoding code reads straight through. */
typedef struct reader {
    const uint8_t *p, *end;
    const uint8_t *base; /* start of the module: offsets in messages are from here */
    jmp_buf *fail;
    elvm_error *err;
    const char *where; /* "type section", "function 3", ... */
    int32_t funcidx;   /* function being read, or -1 */
} reader;

ELVM_HIDDEN _Noreturn void elvm__rfail(reader *r, elvm_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
ELVM_HIDDEN _Noreturn void elvm__r_end(reader *r);
static inline uint8_t elvm__r_u8(reader *r) {
    if (UNLIKELY(r->p >= r->end)) elvm__r_end(r);
    return *r->p++;
}
/* u32 and s32: most are one byte (indices, small immediates), read inline; longer ones,
 * and every error, go through the general decoder */
ELVM_HIDDEN uint32_t elvm__r_u32_long(reader *r);
ELVM_HIDDEN int32_t elvm__r_s32_long(reader *r);
static inline uint32_t elvm__r_u32(reader *r) {
    if (LIKELY(r->p < r->end && *r->p < 0x80)) return *r->p++;
    return elvm__r_u32_long(r);
}
static inline int32_t elvm__r_s32(reader *r) {
    if (LIKELY(r->p < r->end && *r->p < 0x80)) {
        int32_t b = *r->p++;
        return b & 0x40 ? b - 0x80 : b; /* bit 6 is the sign */
    }
    return elvm__r_s32_long(r);
}
ELVM_HIDDEN int64_t elvm__r_s64(reader *r);
ELVM_HIDDEN int64_t elvm__r_s33(reader *r);
ELVM_HIDDEN const uint8_t *elvm__r_bytes(reader *r, size_t n);
ELVM_HIDDEN elvm_valtype elvm__r_valtype(reader *r);
ELVM_HIDDEN elvm_valtype elvm__r_reftype(reader *r);

/* LEB128 on a plain buffer, for unit tests and others: returns bytes used, 0 if malformed
 * (overlong, out of range or truncated). `bits` is 32, 33 or 64. */
ELVM_HIDDEN size_t elvm__leb_u(const uint8_t *p, const uint8_t *end, unsigned bits, uint64_t *out);
ELVM_HIDDEN size_t elvm__leb_s(const uint8_t *p, const uint8_t *end, unsigned bits, int64_t *out);

/* ---- module parts ------------------------------------------------------------------------- */

typedef struct functype {
    uint32_t nparams, nresults;
    elvm_valtype *params, *results; /* results = params + nparams, one allocation */
    uint32_t canon;                 /* index of the first identical type in this module */
} functype;

typedef struct constexpr_ {
    /* One instruction (Wasm 2.0 constant expressions): a const, global.get, ref.null or
     * ref.func. Kept as the opcode and its immediate so extended-const can add a list. */
    elvm_opcode op;
    uint64_t value;  /* const bits, global or function index */
    elvm_valtype type; /* type it produces */
    uint64_t value_hi; /* v128.const: the high 8 bytes (value holds the low ones) */
} constexpr_;

typedef struct import_ {
    char *module, *name; /* NUL-terminated, but may hold NULs: use the lengths */
    uint32_t module_len, name_len;
    elvm_extern_kind kind;
    uint32_t index; /* typeidx for funcs; index in its space otherwise */
} import_;

typedef struct export_ {
    char *name;
    uint32_t name_len;
    elvm_extern_kind kind;
    uint32_t index;
} export_;

typedef struct tabletype {
    elvm_valtype reftype;
    elvm_limits limits;
} tabletype;

typedef struct globaltype {
    elvm_valtype type;
    bool mut;
} globaltype;

typedef struct global_def {
    globaltype type;
    constexpr_ init;
} global_def;

enum { SEG_ACTIVE, SEG_PASSIVE, SEG_DECLARATIVE };

typedef struct elem_seg {
    int mode;
    uint32_t table;
    constexpr_ offset;
    elvm_valtype reftype;
    uint32_t count;
    constexpr_ *items; /* ref.func / ref.null / global.get each */
} elem_seg;

typedef struct data_seg {
    int mode;
    uint32_t memory;
    constexpr_ offset;
    const uint8_t *bytes; /* into the module's copy of the binary */
    uint32_t len;
} data_seg;

struct compiled_func;

typedef struct func_def {
    uint32_t typeidx;
    uint32_t nlocals;          /* declared locals, params excluded */
    elvm_valtype *local_types; /* params then locals: nparams + nlocals */
    const uint8_t *body, *body_end; /* instructions, after the local declarations */
    uint32_t body_offset;      /* module offset of the body, for messages */
    struct compiled_func *code; /* &module.compiled[defidx] */
    char *name; /* from the name section, or NULL */
} func_def;

struct elvm_module {
    int refcount;
    elvm_engine *engine;
    uint8_t *bytes; /* the binary: our copy (elvm_module_new) or the caller's (_take) */
    size_t len;
    elvm_bytes_release release; /* how to let go of bytes (frees our copy), or NULL */
    void *release_ud;
    elvm_arena arena; /* what decoding allocates (types, imports, names...): freed with it */

    uint32_t ntypes;
    functype *types;
    uint32_t nimports;
    import_ *imports;
    /* index spaces: imports first, then definitions */
    uint32_t nfuncs, nfunc_imports;
    uint32_t *func_types; /* typeidx of every function */
    func_def *funcs;      /* the nfuncs - nfunc_imports defined ones */
    struct compiled_func *compiled; /* their threaded code, by defidx */
    struct code_chunk *code_chunks; /* where its compiled code lives (compile.c) */
    struct lazy_compile *lazy; /* compiling on first call (compile.c), or NULL */
    uint32_t ntables, ntable_imports;
    tabletype *tables;
    uint32_t nmems, nmem_imports;
    elvm_limits *mems;
    uint32_t nglobals, nglobal_imports;
    globaltype *globals;    /* all, imports first */
    global_def *global_defs; /* nglobals - nglobal_imports */
    uint32_t nexports;
    export_ *exports;
    bool has_start;
    uint32_t start;
    uint32_t nelems;
    elem_seg *elems;
    uint32_t ndatas;
    data_seg *datas;
    bool has_datacount;
    uint32_t datacount;
    bool *func_declared; /* funcidx referenced outside function bodies (for ref.func) */

    /* import/export descriptions handed out by the API (valtype arrays of types) */
    elvm_module_stats stats;
};

/* Whether two function types are equal (spec 3.3.1 type equivalence). */
ELVM_HIDDEN bool elvm__functype_eq(const functype *a, const functype *b);
ELVM_HIDDEN const functype *elvm__module_functype(const elvm_module *m, uint32_t funcidx);

/* Stages of elvm_module_new. Each returns ELVM_OK or fills err. */
ELVM_HIDDEN elvm_status elvm__decode(elvm_module *m, elvm_error *err);
ELVM_HIDDEN elvm_status elvm__validate_module(elvm_module *m, elvm_error *err);
/* Compiles every defined function into m->compiled (allocated here). */
ELVM_HIDDEN elvm_status elvm__compile_all(elvm_module *m, elvm_error *err);
/* After a validation error: is any function body malformed (which the spec reports first)? */
ELVM_HIDDEN bool elvm__scan_malformed(elvm_module *m, elvm_error *err);
/* Frees m->compiled and the code of its functions. */
ELVM_HIDDEN void elvm__compiled_free(elvm_module *m);
struct compiled_func;
/* Compiles `cf` of a lazily compiled module unless another call did; safe from any thread
 * (the module's lock). ELVM_OK once cf->code holds its code, ELVM_NOMEM otherwise (with
 * the message in err). */
ELVM_HIDDEN elvm_status elvm__compile_lazy(const struct compiled_func *cf, elvm_error *err);

/* Decodes one instruction's opcode and skips its immediates (malformed checks only).
 * Used by the malformed scan and by constant expressions. */
ELVM_HIDDEN elvm_opcode elvm__r_opcode(reader *r);
ELVM_HIDDEN void elvm__skip_immediates(reader *r, elvm_opcode op);

#endif
