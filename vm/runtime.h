/* runtime.h: threaded code format, and the run-time objects (store, instance, function,
 * memory, table, global) shared by compile.c, interp.c and the object files. */
#ifndef ELVM_RUNTIME_H
#define ELVM_RUNTIME_H

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>

#include "module.h"

/* A value in a frame slot. i32/f32 use the low half; v128 takes two slots (low bytes first). */
typedef union slot {
    int32_t i32;
    uint32_t u32;
    int64_t i64;
    uint64_t u64;
    float f32;
    double f64;
    void *ref;
} slot;

struct compiled_func;

/* One cell of threaded code. An instruction is a handler address followed by its
 * operand cells; operands are frame-slot indexes (two 32-bit ones per cell), 64-bit
 * immediates (constants, memarg offsets: 64 bits so memory64 fits), branch targets or,
 * for a direct call, the callee's compiled code. The layout of each handler is written
 * beside it in interp.c. */
typedef union cell {
    const void *h;
    uint64_t u64;
    struct { uint32_t a, b; } s;
    union cell *target;
    const struct compiled_func *cf;
} cell;

/* Handler ids: every numeric/memory opcode of opcodes.def has one, plus the internal
 * ops the compiler emits. With computed goto the code holds addresses; with switch
 * dispatch (ELVM_SWITCH_DISPATCH) it holds these ids. */
#define ELVM_INTERNAL_OPS(X)                                                       \
    X(UNREACHABLE) X(NOP) X(COPY) X(COPY2) X(CONST32) X(CONST64) X(SELECT)                  \
    X(BR) X(BR_IF) X(BR_UNLESS) X(BR_LOOP) X(BR_IF_LOOP) X(BR_TABLE)               \
    X(BR_F) X(BR_LOOP_F) X(BR_IF_F) X(BR_UNLESS_F) X(BR_TABLE_F)                   \
    X(CALL) X(CALL_LOCAL) X(CALL_INDIRECT) X(CALL_F) X(CALL_LOCAL_F) X(CALL_INDIRECT_F) X(RETURN) X(RETURN1) X(RETURN0) X(FUEL) X(EXIT) X(LAZY) X(LAZY_F) \
    X(GLOBAL_GET) X(GLOBAL_SET) X(MEMORY_SIZE) X(MEMORY_GROW) X(MEMORY_INIT)       \
    X(DATA_DROP) X(MEMORY_COPY) X(MEMORY_FILL) X(TABLE_GET) X(TABLE_SET)           \
    X(TABLE_SIZE) X(TABLE_GROW) X(TABLE_FILL) X(TABLE_COPY) X(TABLE_INIT)          \
    X(ELEM_DROP) X(REF_FUNC) X(REF_IS_NULL) X(F32_MUL_ADD) X(F64_MUL_ADD)

/* Integer compares that fuse with a following br_if / if into one compare-and-branch
 * handler: X(name, slot field, C operator, complement). The complement serves `if`, which
 * branches when the condition is false. */
#define ELVM_CMP_OPS(X)                                                            \
    X(I32_EQ, u32, ==, I32_NE) X(I32_NE, u32, !=, I32_EQ)                          \
    X(I32_LT_S, i32, <, I32_GE_S) X(I32_GE_S, i32, >=, I32_LT_S)                   \
    X(I32_LT_U, u32, <, I32_GE_U) X(I32_GE_U, u32, >=, I32_LT_U)                   \
    X(I32_GT_S, i32, >, I32_LE_S) X(I32_LE_S, i32, <=, I32_GT_S)                   \
    X(I32_GT_U, u32, >, I32_LE_U) X(I32_LE_U, u32, <=, I32_GT_U)                   \
    X(I64_EQ, u64, ==, I64_NE) X(I64_NE, u64, !=, I64_EQ)                          \
    X(I64_LT_S, i64, <, I64_GE_S) X(I64_GE_S, i64, >=, I64_LT_S)                   \
    X(I64_LT_U, u64, <, I64_GE_U) X(I64_GE_U, u64, >=, I64_LT_U)                   \
    X(I64_GT_S, i64, >, I64_LE_S) X(I64_LE_S, i64, <=, I64_GT_S)                   \
    X(I64_GT_U, u64, >, I64_LE_U) X(I64_LE_U, u64, <=, I64_GT_U)

/* Handler ids, in groups:
 *   H_<op>          every numeric/memory opcode, operands in slots
 *   H_<binop>_IMM   the second operand is an immediate (a folded constant)
 *   H_<store>_IMM   the stored value is an immediate
 *   H_<mem>_ADD, H_<mem>_ADDI   the address is an i32.add of two slots, or of a slot and
 *                   an immediate, fused into the load or store
 *   H_<mem>..._G    the same without the bounds check, for memories with guard pages
 *   H_BR_<cmp>, H_BR_<cmp>_IMM   compare and branch if true
 *   ..._F           the branches of code compiled with fuel: they also charge each edge
 *   H_<internal>    the ops the compiler adds (copies, branches, calls, ...)
 *   H_<simd op>     every instruction of simd.def, and its internal v128 moves
 *   ..._R, ..._RA, ..._RV   the accumulator forms of value ops, loads and stores: a
 *                   result consumed only by the next instruction stays in a register
 *                   (_R writes it, _RA reads an operand or address, _RV a stored value) */
typedef enum {
#define OP_SPECIAL(n, c)
#define OP_UN(n, c, a, r) H_##n,
#define OP_BIN(n, c, a, r) H_##n, H_##n##_IMM,
#define OP_LOAD(n, c, t, b) H_##n, H_##n##_ADD, H_##n##_ADDI, \
    H_##n##_G, H_##n##_ADD_G, H_##n##_ADDI_G,
#define OP_STORE(n, c, t, b) H_##n, H_##n##_IMM, H_##n##_ADD, H_##n##_ADDI, \
    H_##n##_G, H_##n##_IMM_G, H_##n##_ADD_G, H_##n##_ADDI_G,
#include "opcodes.def"
#undef OP_SPECIAL
#undef OP_UN
#undef OP_BIN
#undef OP_LOAD
#undef OP_STORE
#define ELVM_X(n) H_##n,
    ELVM_INTERNAL_OPS(ELVM_X)
#undef ELVM_X
#define ELVM_X(n, f, op, inv) H_BR_##n, H_BR_##n##_IMM, H_BR_##n##_F, H_BR_##n##_IMM_F,
    ELVM_CMP_OPS(ELVM_X)
#undef ELVM_X
#define SIMD(n, c, k, x, t) H_##n,
#define SIMD_INTERNAL(n) H_##n,
#include "simd.def"
#define OP_SPECIAL(n, c)
#define OP_UN(n, c, a, r) H_##n##_R, H_##n##_RA, H_##n##_RA_R,
#define OP_BIN(n, c, a, r) H_##n##_R, H_##n##_RA, H_##n##_RA_R, \
    H_##n##_IMM_R, H_##n##_IMM_RA, H_##n##_IMM_RA_R,
#define OP_LOAD(n, c, t, b) H_##n##_R, H_##n##_ADD_R, H_##n##_ADDI_R, H_##n##_G_R, \
    H_##n##_ADD_G_R, H_##n##_ADDI_G_R, H_##n##_RA, H_##n##_RA_R, H_##n##_G_RA, H_##n##_G_RA_R,
#define OP_STORE(n, c, t, b) H_##n##_RV, H_##n##_G_RV,
#include "opcodes.def"
#undef OP_SPECIAL
#undef OP_UN
#undef OP_BIN
#undef OP_LOAD
#undef OP_STORE
    H_BR_IF_RA, H_BR_UNLESS_RA, H_BR_IF_LOOP_RA, H_BR_IF_RA_F, H_BR_UNLESS_RA_F,
#define ELVM_X(n, f, op, inv) H_BR_##n##_RA, H_BR_##n##_IMM_RA, H_BR_##n##_RA_F, H_BR_##n##_IMM_RA_F,
    ELVM_CMP_OPS(ELVM_X)
#undef ELVM_X
    H__COUNT
} elvm_handler;

/* A defined function's threaded code. The module allocates these for all its functions
 * before compiling any (elvm_module.compiled), so a direct call can point at its callee's
 * record while the callee is not compiled yet. */
typedef struct compiled_func {
    cell *code;
    size_t ncells;
    uint32_t nparams;     /* slots of the parameters */
    uint32_t nlocals;     /* slots of params + locals */
    uint32_t nzero;       /* nlocals - nparams: the slots a call zeroes */
    uint32_t frame_slots; /* locals + deepest operand stack */
    uint32_t funcidx;     /* in its module's function index space */
    const elvm_module *module;
} compiled_func;

/* A lazily compiled module's state (compile.c, "when the code is made"): the lock its
 * late compiles take, and the stub the functions not compiled yet point at. */
struct lazy_compile {
    pthread_mutex_t lock;
    cell stub[3]; /* [LAZY][0][LAZY_F] */
};

struct elvm_engine {
    elvm_config cfg;
    bool guard; /* memories reserve guard pages; code skips software bounds checks */
};

/* Handler distance from a load's (store's) plain form to its guard-page form. */
#define ELVM_LOAD_GUARD_OFFSET 3
#define ELVM_STORE_GUARD_OFFSET 4

struct elvm_func {
    const functype *type;
    elvm_instance *inst;       /* owning instance; NULL for host functions */
    compiled_func *code;       /* NULL for host functions */
    uint32_t funcidx;          /* index in its module */
    elvm_host_fn host;
    void *env;
    functype host_type;        /* storage of `type` for host functions */
};

struct elvm_memory {
    uint8_t *data;     /* reserved once: never moves, so code can cache it */
    uint64_t size;     /* bytes */
    uint64_t reserved; /* bytes of address space reserved at data */
    elvm_limits limits;
    elvm_store *store;
};

struct elvm_table {
    elvm_valtype type;
    elvm_limits limits;
    uint32_t size;
    void **elems;
};

struct elvm_global {
    globaltype type;
    slot val;
    slot val_hi; /* v128: the high 8 bytes */
};

struct elvm_instance {
    elvm_store *store;
    elvm_module *module;
    elvm_func **funcs;
    elvm_table **tables;
    elvm_memory **mems;
    elvm_global **globals;
    bool *elem_dropped;
    bool *data_dropped;
    void ***elem_items; /* evaluated element segments (spec 4.5.4 step 11) */
    elvm_func *own_funcs;
    elvm_global *own_globals;
};

/* One activation: the function running (cf) and where its caller resumes (ret_pc, with
 * its fp and instance). */
typedef struct frame {
    cell *ret_pc;
    slot *fp;
    elvm_instance *inst;
    const compiled_func *cf;
} frame;

typedef struct store_obj {
    enum { OBJ_INSTANCE, OBJ_FUNC, OBJ_MEMORY, OBJ_TABLE, OBJ_GLOBAL } kind;
    void *p;
} store_obj;

#define ELVM_BACKTRACE_MAX 32

struct elvm_store {
    elvm_engine *engine;
    slot *stack, *stack_end;
    slot *stack_top; /* first slot not used by running frames (for reentrant calls) */
    /* frames_end is one record before the end of the call stack: a call fills the record
     * above frame_top before it checks the limit. The value stack follows that record in
     * the same block (elvm_store_new). */
    frame *frames, *frames_end, *frame_top;
    int64_t fuel;
    uint64_t fuel_set;
    atomic_int interrupt;
    /* stack_end, or the bottom of the stack while interrupted: calls check it */
    _Atomic(slot *) stack_limit;
    uint64_t mem_limit;
    uint64_t mem_limit_hits; /* allocations and grows refused because of mem_limit */
    uint64_t peak_mem;
    store_obj *objs;
    size_t nobjs, capobjs;
    /* the last trap */
    elvm_trap_kind trap;
    int32_t exit_code;
    char trap_msg[256];
    uint32_t nbt;
    struct { uint32_t funcidx; const char *name; bool host; } bt[ELVM_BACKTRACE_MAX];
};

/* guard.c: the fault-to-trap path of guard pages, per thread. */
typedef struct elvm__guard_ctx {
    sigjmp_buf jb;
    elvm_store *store;
    int in_host; /* a host function runs: its faults are not the guest's */
    struct elvm__guard_ctx *prev;
} elvm__guard_ctx;
ELVM_HIDDEN bool elvm__guard_install(void);
ELVM_HIDDEN elvm__guard_ctx *elvm__guard_current(void);
ELVM_HIDDEN void elvm__guard_push(elvm__guard_ctx *g, elvm_store *s);
ELVM_HIDDEN void elvm__guard_pop(elvm__guard_ctx *g);
#define ELVM_GUARD_RESERVE ((uint64_t)1 << 33) /* 8 GiB: i32 address + u32 offset */

/* interp.c: where each handler is. A code cell holds handler h as base + offsets[h]
 * (elvm__handler_addr): a label address with computed goto, the id itself with switch
 * dispatch (base 0, offsets[h] == h). */
typedef struct {
    uintptr_t base;
    const int32_t *offsets; /* [H__COUNT] */
} elvm_handler_map;
ELVM_HIDDEN elvm_handler_map elvm__handler_map(void);
static inline const void *elvm__handler_addr(elvm_handler_map m, elvm_handler h) {
    return (const void *)(m.base + (uintptr_t)(intptr_t)m.offsets[h]);
}
/* Runs `fn` with its arguments already in `args` (store stack); results land there. */
ELVM_HIDDEN elvm_status elvm__run(elvm_store *s, elvm_func *fn, slot *args, elvm_error *err);

/* dump.c: the threaded code of defined function `defidx`, readable */
#include <stdio.h>
ELVM_HIDDEN void elvm__dump_code(const elvm_module *m, uint32_t defidx, FILE *out);

/* store.c */
ELVM_HIDDEN bool elvm__store_track(elvm_store *s, int kind, void *p);
ELVM_HIDDEN slot elvm__val_to_slot(elvm_val v);
ELVM_HIDDEN elvm_val elvm__slot_to_val(slot s, elvm_valtype t);
/* The same for a value in its elvm__slots_of(type) slots (two for v128). */
ELVM_HIDDEN void elvm__val_to_slots(elvm_val v, slot *out);
ELVM_HIDDEN elvm_val elvm__slots_to_val(const slot *in, elvm_valtype t);
ELVM_HIDDEN int64_t elvm__memory_grow(elvm_memory *m, uint64_t delta);
ELVM_HIDDEN int64_t elvm__table_grow(elvm_table *t, uint64_t delta, void *init);
ELVM_HIDDEN void elvm__trap_set(elvm_store *s, elvm_trap_kind kind, const char *detail);

#endif
