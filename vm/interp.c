/* interp.c: the interpreter loop over direct-threaded code (see runtime.h for the cell
 * format and compile.c for how code is produced).
 *
 * Registers: pc (current cell), fp (frame base: slot 0 is the first parameter), inst
 * (running instance), mem/memsz (its memory 0, cached: the base never moves, the size is
 * reloaded after anything that may grow it), fuel; the current frame record is s->frame_top.
 * Dispatch is computed goto where the compiler has it (GCC, clang), a switch otherwise
 * (-DELVM_SWITCH_DISPATCH=1); handler bodies are the same in both. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "runtime.h"

#if defined(__GNUC__) && !defined(ELVM_SWITCH_DISPATCH)
#define ELVM_COMPUTED_GOTO 1
#endif

/* ---- numeric helpers (spec 4.3) ------------------------------------------------------ */

/* written so that compilers emit one rotate instruction */
static inline uint32_t rotl32(uint32_t x, uint32_t k) { return (x << (k & 31)) | (x >> (-k & 31)); }
static inline uint32_t rotr32(uint32_t x, uint32_t k) { return (x >> (k & 31)) | (x << (-k & 31)); }
static inline uint64_t rotl64(uint64_t x, uint64_t k) { return (x << (k & 63)) | (x >> (-k & 63)); }
static inline uint64_t rotr64(uint64_t x, uint64_t k) { return (x >> (k & 63)) | (x << (-k & 63)); }

/* min/max: NaN if either is NaN; -0 is less than +0 (spec 4.3.3 fmin/fmax). */
#define FMINMAX(name, T, lt, pick_neg)                                         \
    static inline T name(T a, T b) {                                           \
        if (a != a || b != b) return a + b;                                    \
        if (a == b) return (signbit(a) != 0) == pick_neg ? a : b;                     \
        return (a lt b) ? a : b;                                               \
    }
FMINMAX(fmin32, float, <, 1)
FMINMAX(fmax32, float, >, 0)
FMINMAX(fmin64, double, <, 1)
FMINMAX(fmax64, double, >, 0)

/* Saturating truncation (spec 4.3.4 trunc_sat). */
#define TRUNC_SAT(name, F, I, lo, hi, imin, imax)                              \
    static inline I name(F x) {                                                \
        if (x != x) return 0;                                                  \
        if (!(x > (lo))) return imin;                                          \
        if (!(x < (hi))) return imax;                                          \
        return (I)x;                                                           \
    }
TRUNC_SAT(sat_i32_f32, float, int32_t, -2147483904.0f, 2147483648.0f, INT32_MIN, INT32_MAX)
TRUNC_SAT(sat_u32_f32, float, uint32_t, -1.0f, 4294967296.0f, 0, UINT32_MAX)
TRUNC_SAT(sat_i32_f64, double, int32_t, -2147483649.0, 2147483648.0, INT32_MIN, INT32_MAX)
TRUNC_SAT(sat_u32_f64, double, uint32_t, -1.0, 4294967296.0, 0, UINT32_MAX)
TRUNC_SAT(sat_i64_f32, float, int64_t, -9223373136366403584.0f, 9223372036854775808.0f, INT64_MIN, INT64_MAX)
TRUNC_SAT(sat_u64_f32, float, uint64_t, -1.0f, 18446744073709551616.0f, 0, UINT64_MAX)
TRUNC_SAT(sat_i64_f64, double, int64_t, -9223372036854777856.0, 9223372036854775808.0, INT64_MIN, INT64_MAX)
TRUNC_SAT(sat_u64_f64, double, uint64_t, -1.0, 18446744073709551616.0, 0, UINT64_MAX)

#include "simd.h"

/* ---- host calls --------------------------------------------------------------------------- */

struct elvm_caller {
    elvm_store *store;
    elvm_instance *inst;
};

elvm_memory *elvm_caller_memory(elvm_caller *c, uint32_t memidx) {
    if (!c->inst || memidx >= c->inst->module->nmems) return NULL;
    return c->inst->mems[memidx];
}

elvm_store *elvm_caller_store(elvm_caller *c) { return c->store; }

int elvm_caller_trap(elvm_caller *c, elvm_trap_kind kind, const char *fmt, ...) {
    char buf[200] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
    }
    elvm__trap_set(c->store, kind, buf[0] ? buf : NULL);
    return 1;
}

int elvm_caller_exit(elvm_caller *c, int32_t code) {
    elvm__trap_set(c->store, ELVM_TRAP_EXIT, NULL);
    c->store->exit_code = code;
    return 1;
}

/* Calls a host function with its arguments in `argp`; results replace them. Returns 0,
 * or non-zero when the host raised a trap or an exit (recorded in the store). */
static int call_host(elvm_store *s, elvm_instance *inst, elvm_func *fn, slot *argp) {
    const functype *t = fn->type;
    elvm_val local[16];
    uint32_t n = t->nparams > t->nresults ? t->nparams : t->nresults;
    elvm_val *args = n * 2 <= 16 ? local : elvm__malloc(2 * n * sizeof(elvm_val));
    if (!args) return elvm_caller_trap(&(elvm_caller){s, inst}, ELVM_TRAP_HOST, "out of host memory");
    elvm_val *results = args + n;
    uint32_t k = 0;
    for (uint32_t i = 0; i < t->nparams; i++) {
        args[i] = elvm__slots_to_val(argp + k, t->params[i]);
        k += elvm__slots_of(t->params[i]);
    }
    for (uint32_t i = 0; i < t->nresults; i++) results[i] = (elvm_val){.type = t->results[i]};
    elvm_caller caller = {s, inst};
    int rc = fn->host(&caller, fn->env, args, results);
    if (rc == 0) {
        k = 0;
        for (uint32_t i = 0; i < t->nresults; i++) {
            elvm__val_to_slots(results[i], argp + k);
            k += elvm__slots_of(t->results[i]);
        }
    }
    if (args != local) elvm__free(args);
    return rc;
}

/* The functions of frames top..base+1, innermost first, with names from the name section. */
static void record_backtrace(elvm_store *s, const frame *top, const frame *base) {
    s->nbt = 0;
    for (const frame *f = top; f > base && s->nbt < ELVM_BACKTRACE_MAX; f--) {
        const compiled_func *cf = f->cf;
        s->bt[s->nbt].funcidx = cf->funcidx;
        s->bt[s->nbt].host = false;
        s->bt[s->nbt].name = elvm_module_func_name(cf->module, cf->funcidx);
        s->nbt++;
    }
}

/* ---- the loop ----------------------------------------------------------------------------- */

#define A1 pc[1].s.a
#define B1 pc[1].s.b
#define A2 pc[2].s.a
#define B2 pc[2].s.b

#ifdef ELVM_COMPUTED_GOTO
#define DISPATCH() goto *pc->h
#else
#define DISPATCH() goto dispatch
#endif
#ifdef ELVM_COMPUTED_GOTO
#define OP(name) case H_##name: L_##name:
#else
#define OP(name) case H_##name:
#endif
#define NEXT(n) do { pc += (n); DISPATCH(); } while (0)
/* A function's code, which a lazy compile may publish meanwhile from another thread
 * (compile.c: a release store after the cells are written). A plain load, as before lazy
 * compilation: either value is a valid place to go (the stub or the code), an aligned
 * pointer load is single-copy atomic on the processors elvm builds for, and the cells are
 * read through the pointer, which orders them after it. Read as volatile, the load could
 * no longer be scheduled early in the call handlers: fib took 25% longer (1.23 -> 1.53 s,
 * 9 alternating runs); an __atomic_load_n made gcc's ASan+UBSan build of this file take
 * over 15 minutes instead of 40 s. */
#define LOAD_CODE(cf) ((cf)->code)
#define TRAP(k) do { trap = ELVM_TRAP_##k; goto trapped; } while (0)

#define LOAD_MEM()                                                            \
    do {                                                                      \
        memo = inst->module->nmems ? inst->mems[0] : &no_memory;              \
        mem = memo->data;                                                     \
        memsz = memo->size;                                                   \
    } while (0)

/* [h][d|a]: d = expr(x) where x is slot a read as `in`. Every value op also has
 * accumulator forms with the same layout (see GUARDED_BINOP below): _R writes its result
 * to acc instead of slot d, _RA reads its (first) operand from acc instead of slot a. */
#define TO_SLOT(out, v) (fp[A1].out = (v))
/* the whole register is written, so the compiler need not keep its upper half */
#define TO_ACC(out, v) (acc = (slot){.out = (v)})
#define UNOP_FORM(name, in, out, expr, X, STORE)                              \
    OP(name) { __auto_type x = (X).in; STORE(out, (expr)); NEXT(2); }
#define UNOP(name, in, out, expr)                                             \
    UNOP_FORM(name, in, out, expr, fp[B1], TO_SLOT)                          \
    UNOP_FORM(name##_R, in, out, expr, fp[B1], TO_ACC)                       \
    UNOP_FORM(name##_RA, in, out, expr, acc, TO_SLOT)                        \
    UNOP_FORM(name##_RA_R, in, out, expr, acc, TO_ACC)
/* [h][d|a][b|0], and name_IMM: [h][d|a][immediate b]. `guard` may trap.
 * The accumulator forms keep the layout and read or write `acc` instead of a slot: _R
 * writes the result to acc (not to d), _RA reads the first operand from acc (not from a),
 * _RA_R both. The compiler uses them when a result is consumed by the next instruction
 * only (compile.c: fuse_acc), which spares a store and a dependent load per step. */
#define BINOP_FORM(name, in, out, guard, expr, A, B, STORE)                   \
    OP(name) {                                                                \
        __auto_type a = (A).in; __auto_type b = (B).in;                       \
        guard; STORE(out, (expr)); NEXT(3);                                   \
    }
#define IMM_SLOT(x) ((slot){.u64 = (x).u64})
#define GUARDED_BINOP(name, in, out, guard, expr)                             \
    BINOP_FORM(name, in, out, guard, expr, fp[B1], fp[A2], TO_SLOT)          \
    BINOP_FORM(name##_R, in, out, guard, expr, fp[B1], fp[A2], TO_ACC)       \
    BINOP_FORM(name##_RA, in, out, guard, expr, acc, fp[A2], TO_SLOT)        \
    BINOP_FORM(name##_RA_R, in, out, guard, expr, acc, fp[A2], TO_ACC)       \
    BINOP_FORM(name##_IMM, in, out, guard, expr, fp[B1], IMM_SLOT(pc[2]), TO_SLOT) \
    BINOP_FORM(name##_IMM_R, in, out, guard, expr, fp[B1], IMM_SLOT(pc[2]), TO_ACC) \
    BINOP_FORM(name##_IMM_RA, in, out, guard, expr, acc, IMM_SLOT(pc[2]), TO_SLOT) \
    BINOP_FORM(name##_IMM_RA_R, in, out, guard, expr, acc, IMM_SLOT(pc[2]), TO_ACC)
#define BINOP(name, in, out, expr) GUARDED_BINOP(name, in, out, (void)0, expr)
/* [h][d|addr][offset]; _ADD: [h][d|x][offset][y|0], address x + y (an i32.add fused
 * in); _ADDI: [h][d|x][offset][imm|0], address x + imm. The add wraps at 32 bits, as
 * the separate i32.add would. */
#define LOAD_AT(T, N, out, conv, addr, len, check, STORE)                     \
    do {                                                                      \
        uint64_t ea = (uint64_t)(addr) + pc[2].u64;                           \
        if ((check) && UNLIKELY(ea + N > memsz)) TRAP(MEMORY_OOB);            \
        T v; memcpy(&v, mem + ea, N);                                         \
        STORE(out, conv);                                                     \
        NEXT(len);                                                            \
    } while (0)
#define ADDR_ADD ((uint32_t)(fp[B1].u32 + fp[pc[3].s.a].u32))
#define ADDR_ADDI ((uint32_t)(fp[B1].u32 + pc[3].s.a))
/* ..._G: memories with guard pages (guard.c): the hardware checks the bounds.
 * Accumulator forms: _R loads into acc, _RA takes the address from acc. */
#define LOADOP(name, T, N, out, conv)                                         \
    OP(name) { LOAD_AT(T, N, out, conv, fp[B1].u32, 3, 1, TO_SLOT); }         \
    OP(name##_ADD) { LOAD_AT(T, N, out, conv, ADDR_ADD, 4, 1, TO_SLOT); }     \
    OP(name##_ADDI) { LOAD_AT(T, N, out, conv, ADDR_ADDI, 4, 1, TO_SLOT); }   \
    OP(name##_G) { LOAD_AT(T, N, out, conv, fp[B1].u32, 3, 0, TO_SLOT); }     \
    OP(name##_ADD_G) { LOAD_AT(T, N, out, conv, ADDR_ADD, 4, 0, TO_SLOT); }   \
    OP(name##_ADDI_G) { LOAD_AT(T, N, out, conv, ADDR_ADDI, 4, 0, TO_SLOT); } \
    OP(name##_R) { LOAD_AT(T, N, out, conv, fp[B1].u32, 3, 1, TO_ACC); }      \
    OP(name##_ADD_R) { LOAD_AT(T, N, out, conv, ADDR_ADD, 4, 1, TO_ACC); }    \
    OP(name##_ADDI_R) { LOAD_AT(T, N, out, conv, ADDR_ADDI, 4, 1, TO_ACC); }  \
    OP(name##_G_R) { LOAD_AT(T, N, out, conv, fp[B1].u32, 3, 0, TO_ACC); }    \
    OP(name##_ADD_G_R) { LOAD_AT(T, N, out, conv, ADDR_ADD, 4, 0, TO_ACC); }  \
    OP(name##_ADDI_G_R) { LOAD_AT(T, N, out, conv, ADDR_ADDI, 4, 0, TO_ACC); } \
    OP(name##_RA) { LOAD_AT(T, N, out, conv, acc.u32, 3, 1, TO_SLOT); }       \
    OP(name##_RA_R) { LOAD_AT(T, N, out, conv, acc.u32, 3, 1, TO_ACC); }      \
    OP(name##_G_RA) { LOAD_AT(T, N, out, conv, acc.u32, 3, 0, TO_SLOT); }     \
    OP(name##_G_RA_R) { LOAD_AT(T, N, out, conv, acc.u32, 3, 0, TO_ACC); }
/* [h][addr|val][offset], name_IMM: [h][addr|0][offset][immediate value], and the fused
 * address forms as for loads: [h][x|val][offset][y or imm|0] */
#define STORE_AT(T, N, value, addr, len, check)                               \
    do {                                                                      \
        uint64_t ea = (uint64_t)(addr) + pc[2].u64;                           \
        if ((check) && UNLIKELY(ea + N > memsz)) TRAP(MEMORY_OOB);            \
        T v = (T)(value); memcpy(mem + ea, &v, N);                            \
        NEXT(len);                                                            \
    } while (0)
#define IMM_(in) ((slot){.u64 = pc[3].u64}).in
#define STOREOP(name, T, N, in)                                               \
    OP(name) { STORE_AT(T, N, fp[B1].in, fp[A1].u32, 3, 1); }                 \
    OP(name##_ADD) { STORE_AT(T, N, fp[B1].in, (uint32_t)(fp[A1].u32 + fp[pc[3].s.a].u32), 4, 1); } \
    OP(name##_ADDI) { STORE_AT(T, N, fp[B1].in, (uint32_t)(fp[A1].u32 + pc[3].s.a), 4, 1); } \
    OP(name##_IMM) { STORE_AT(T, N, IMM_(in), fp[A1].u32, 4, 1); }            \
    OP(name##_G) { STORE_AT(T, N, fp[B1].in, fp[A1].u32, 3, 0); }             \
    OP(name##_ADD_G) { STORE_AT(T, N, fp[B1].in, (uint32_t)(fp[A1].u32 + fp[pc[3].s.a].u32), 4, 0); } \
    OP(name##_ADDI_G) { STORE_AT(T, N, fp[B1].in, (uint32_t)(fp[A1].u32 + pc[3].s.a), 4, 0); } \
    OP(name##_IMM_G) { STORE_AT(T, N, IMM_(in), fp[A1].u32, 4, 0); }          \
    /* _RV: the value comes from the accumulator */                           \
    OP(name##_RV) { STORE_AT(T, N, acc.in, fp[A1].u32, 3, 1); }               \
    OP(name##_G_RV) { STORE_AT(T, N, acc.in, fp[A1].u32, 3, 0); }
/* Fuel: a branch pays for the run of code it enters; running out is a trap there. The
 * store's copy follows each payment, so a trap raised by a guard-page fault (which
 * unwinds past this function's registers, guard.c) still leaves the exact remainder. */
#define CHARGE(n)                                                             \
    do {                                                                      \
        fuel -= (int64_t)(n);                                                 \
        if (UNLIKELY(fuel < 0)) { fuel = 0; TRAP(OUT_OF_FUEL); }              \
        s->fuel = fuel;                                                       \
    } while (0)
/* compare and branch: [h][a|b][target] and [h][a|0][immediate b][target]; with fuel
 * (_F) a cell [taken cost|fallthrough cost] follows the target */
#define INTERRUPTED() UNLIKELY(atomic_load_explicit(&s->interrupt, memory_order_relaxed))
/* [h][a|b][target], _IMM: [h][a|0][imm][target], and the fuel forms with a cost cell
 * [taken|fallthrough] after the target; the _RA forms take `a` from the accumulator. */
#define BR_CMP_FORMS(name, sfx, f, op, A)                                     \
    OP(BR_##name##sfx) {                                                      \
        if ((A).f op fp[B1].f) {                                              \
            if (INTERRUPTED()) TRAP(TIMEOUT);                                 \
            pc = pc[2].target;                                                \
        } else {                                                              \
            pc += 3;                                                          \
        }                                                                     \
        DISPATCH();                                                           \
    }                                                                         \
    OP(BR_##name##_IMM##sfx) {                                                \
        slot imm_; imm_.u64 = pc[2].u64;                                      \
        if ((A).f op imm_.f) {                                                \
            if (INTERRUPTED()) TRAP(TIMEOUT);                                 \
            pc = pc[3].target;                                                \
        } else {                                                              \
            pc += 4;                                                          \
        }                                                                     \
        DISPATCH();                                                           \
    }                                                                         \
    OP(BR_##name##sfx##_F) {                                                  \
        if ((A).f op fp[B1].f) {                                              \
            if (INTERRUPTED()) TRAP(TIMEOUT);                                 \
            CHARGE(pc[3].s.a);                                                \
            pc = pc[2].target;                                                \
        } else {                                                              \
            CHARGE(pc[3].s.b);                                                \
            pc += 4;                                                          \
        }                                                                     \
        DISPATCH();                                                           \
    }                                                                         \
    OP(BR_##name##_IMM##sfx##_F) {                                            \
        slot imm_; imm_.u64 = pc[2].u64;                                      \
        if ((A).f op imm_.f) {                                                \
            if (INTERRUPTED()) TRAP(TIMEOUT);                                 \
            CHARGE(pc[4].s.a);                                                \
            pc = pc[3].target;                                                \
        } else {                                                              \
            CHARGE(pc[4].s.b);                                                \
            pc += 5;                                                          \
        }                                                                     \
        DISPATCH();                                                           \
    }
#define BR_CMP(name, f, op, inv)                                              \
    BR_CMP_FORMS(name, , f, op, fp[A1])                                       \
    BR_CMP_FORMS(name, _RA, f, op, acc)
/* trapping float-to-int: NaN is "invalid conversion", out of (lo, hi) "integer overflow" */
#define TRUNC_FORM(name, in, out, T, lo, hi, X, STORE)                        \
    OP(name) {                                                                \
        __auto_type x = (X).in;                                               \
        if (UNLIKELY(x != x)) TRAP(INVALID_CONVERSION);                       \
        if (UNLIKELY(!(x > (lo) && x < (hi)))) TRAP(INT_OVERFLOW);            \
        STORE(out, (T)x);                                                     \
        NEXT(2);                                                              \
    }
#define TRUNCOP(name, in, out, T, lo, hi)                                     \
    TRUNC_FORM(name, in, out, T, lo, hi, fp[B1], TO_SLOT)                    \
    TRUNC_FORM(name##_R, in, out, T, lo, hi, fp[B1], TO_ACC)                 \
    TRUNC_FORM(name##_RA, in, out, T, lo, hi, acc, TO_SLOT)                  \
    TRUNC_FORM(name##_RA_R, in, out, T, lo, hi, acc, TO_ACC)

/* Enters compiled function `cf_` with its arguments at fp + argbase; pc is where the
 * caller resumes. The frame record above s->frame_top is filled before the limits are
 * checked (the frames array has a spare record past frames_end for that), which leaves
 * fewer values live across the check. The stack limit doubles as the interrupt check:
 * elvm_store_interrupt lowers it to the bottom of the stack, so the next call fails the
 * check and finds the interrupt flag set. */
#define ENTER_WASM(cf_, other_instance, with_fuel)                            \
    do {                                                                      \
        const compiled_func *cf = (cf_);                                      \
        /* the frame record lives in the store only (s->frame_top), not in a register: \
         * the handlers need their registers more than calls do */             \
        frame *ft = s->frame_top + 1;                                         \
        ft->ret_pc = pc;                                                      \
        ft->fp = fp;                                                          \
        ft->inst = inst;                                                      \
        ft->cf = cf;                                                          \
        fp += argbase;                                                        \
        if (UNLIKELY(ft >= s->frames_end ||                                   \
                     fp + cf->frame_slots >                                   \
                         atomic_load_explicit(&s->stack_limit, memory_order_relaxed))) { \
            if (atomic_load_explicit(&s->interrupt, memory_order_relaxed)) TRAP(TIMEOUT); \
            TRAP(STACK_EXHAUSTED);                                            \
        }                                                                     \
        s->frame_top = ft; /* also for a trap raised by a fault (guard.c) */  \
        /* zero the locals: four stores cover most functions (frames have     \
         * room, see compile.c), memset the rest */                           \
        slot *z = fp + cf->nparams;                                           \
        z[0].u64 = z[1].u64 = z[2].u64 = z[3].u64 = 0;                        \
        if (UNLIKELY(cf->nzero > 4)) memset(z + 4, 0, (size_t)(cf->nzero - 4) * sizeof(slot)); \
        pc = LOAD_CODE(cf);                                                   \
        if ((with_fuel)) {                                                    \
            /* pay for the entry run here, skipping the FUEL op that would */ \
            CHARGE(pc[1].u64);                                                \
            pc += 2;                                                          \
        }                                                                     \
        if ((other_instance)) {                                               \
            inst = callee->inst;                                              \
            LOAD_MEM();                                                       \
        }                                                                     \
        DISPATCH();                                                           \
    } while (0)

static elvm_memory no_memory;

/* The LAZY handlers' slow path, out of line (its locals would weigh on interp's frame):
 * compiles `cf`, or records the trap and returns false. Not `cold`: gcc would move the
 * calling handler to .text.unlikely, out of reach of the handler map's label offsets. */
__attribute__((noinline)) static bool compile_lazy(elvm_store *s, const compiled_func *cf) {
    elvm_error err;
    if (elvm__compile_lazy(cf, &err) == ELVM_OK) return true;
    char msg[sizeof err.msg + 64];
    snprintf(msg, sizeof msg, "cannot compile function %u: %s", cf->funcidx, err.msg);
    elvm__trap_set(s, ELVM_TRAP_HOST, msg);
    return false;
}

static elvm_status interp(elvm_store *s, elvm_func *fn, slot *args, elvm_handler_map *map_out) {
    /* handler id -> what the code holds: a label address, or the id itself. Stored as
     * offsets from one label (GCC's label differences), so the table is read-only data
     * without a relocation per entry: as pointers, the 1627 entries were 13 KiB of pages
     * the dynamic loader wrote at every process start. */
#ifdef ELVM_COMPUTED_GOTO
#define ENTRY(n) [H_##n] = &&L_##n - &&L_UNREACHABLE,
#define HANDLER_BASE ((uintptr_t)&&L_UNREACHABLE)
#else
#define ENTRY(n) [H_##n] = H_##n,
#define HANDLER_BASE ((uintptr_t)0)
#endif
    static const int32_t offsets[H__COUNT] = {
#define OP_SPECIAL(n, c)
#define OP_UN(n, c, a, r) ENTRY(n)
#define OP_BIN(n, c, a, r) ENTRY(n) ENTRY(n##_IMM)
#define OP_LOAD(n, c, t, b) ENTRY(n) ENTRY(n##_ADD) ENTRY(n##_ADDI) \
    ENTRY(n##_G) ENTRY(n##_ADD_G) ENTRY(n##_ADDI_G)
#define OP_STORE(n, c, t, b) ENTRY(n) ENTRY(n##_IMM) ENTRY(n##_ADD) ENTRY(n##_ADDI) \
    ENTRY(n##_G) ENTRY(n##_IMM_G) ENTRY(n##_ADD_G) ENTRY(n##_ADDI_G)
#include "opcodes.def"
#undef OP_SPECIAL
#undef OP_UN
#undef OP_BIN
#undef OP_LOAD
#undef OP_STORE
#define ELVM_X(n) ENTRY(n)
        ELVM_INTERNAL_OPS(ELVM_X)
#undef ELVM_X
#define ELVM_X(n, f, op, inv) ENTRY(BR_##n) ENTRY(BR_##n##_IMM) ENTRY(BR_##n##_F) ENTRY(BR_##n##_IMM_F)
        ELVM_CMP_OPS(ELVM_X)
#undef ELVM_X
#define SIMD(n, c, k, x, t) ENTRY(n)
#define SIMD_INTERNAL(n) ENTRY(n)
#include "simd.def"
#define OP_SPECIAL(n, c)
#define OP_UN(n, c, a, r) ENTRY(n##_R) ENTRY(n##_RA) ENTRY(n##_RA_R)
#define OP_BIN(n, c, a, r) ENTRY(n##_R) ENTRY(n##_RA) ENTRY(n##_RA_R) \
    ENTRY(n##_IMM_R) ENTRY(n##_IMM_RA) ENTRY(n##_IMM_RA_R)
#define OP_LOAD(n, c, t, b) ENTRY(n##_R) ENTRY(n##_ADD_R) ENTRY(n##_ADDI_R) ENTRY(n##_G_R) \
    ENTRY(n##_ADD_G_R) ENTRY(n##_ADDI_G_R) ENTRY(n##_RA) ENTRY(n##_RA_R) ENTRY(n##_G_RA) \
    ENTRY(n##_G_RA_R)
#define OP_STORE(n, c, t, b) ENTRY(n##_RV) ENTRY(n##_G_RV)
        ENTRY(BR_IF_RA) ENTRY(BR_UNLESS_RA) ENTRY(BR_IF_LOOP_RA) ENTRY(BR_IF_RA_F)
        ENTRY(BR_UNLESS_RA_F)
#define ELVM_X(n, f, op, inv) ENTRY(BR_##n##_RA) ENTRY(BR_##n##_IMM_RA) ENTRY(BR_##n##_RA_F) \
    ENTRY(BR_##n##_IMM_RA_F)
        ELVM_CMP_OPS(ELVM_X)
#undef ELVM_X
#include "opcodes.def"
#undef OP_SPECIAL
#undef OP_UN
#undef OP_BIN
#undef OP_LOAD
#undef OP_STORE
    };
#undef ENTRY
    if (map_out) {
        map_out->base = HANDLER_BASE;
        map_out->offsets = offsets;
        return ELVM_OK;
    }
    /* the entry frame returns here: one cell per activation of interp, so concurrent and
     * nested runs (a host function calling back into wasm) each have their own */
    cell exit_code[1];
    exit_code[0].h = (const void *)(HANDLER_BASE + (uintptr_t)(intptr_t)offsets[H_EXIT]);

    frame *base = s->frame_top;
    cell *pc;
    slot *fp = args;
    elvm_instance *inst = fn->inst;
    elvm_memory *memo;
    uint8_t *mem;
    uint64_t memsz;
    int64_t fuel = s->fuel;
    elvm_trap_kind trap = ELVM_TRAP_NONE;
    elvm_func *callee;
    uint32_t argbase;
    slot acc = {.u64 = 0}; /* the accumulator: a value passed from one op to the next */

    {
        const compiled_func *cf = fn->code;
        if (base + 1 >= s->frames_end ||
            args + cf->frame_slots > atomic_load_explicit(&s->stack_limit, memory_order_relaxed)) {
            pc = exit_code;
            trap = atomic_load_explicit(&s->interrupt, memory_order_relaxed) ? ELVM_TRAP_TIMEOUT
                                                                             : ELVM_TRAP_STACK_EXHAUSTED;
            goto trapped;
        }
        frame *ft = base + 1;
        s->frame_top = ft;
        ft->ret_pc = exit_code;
        ft->fp = NULL;
        ft->inst = NULL;
        ft->cf = cf;
        memset(fp + cf->nparams, 0, (size_t)cf->nzero * sizeof(slot));
        pc = LOAD_CODE(cf);
        LOAD_MEM();
    }
    DISPATCH();

#ifndef ELVM_COMPUTED_GOTO
dispatch:
#endif
    switch ((elvm_handler)(uintptr_t)pc->h) {
    /* ---- control ---- */
    OP(UNREACHABLE) TRAP(UNREACHABLE);
    OP(NOP) NEXT(1);
    /* [h][d|s] */
    OP(COPY) { fp[A1] = fp[B1]; NEXT(2); }
    /* [h][d1|s1][d2|s2]: two copies, in order */
    OP(COPY2) { fp[A1] = fp[B1]; fp[A2] = fp[B2]; NEXT(3); }
    /* [h][d|0][value] */
    OP(CONST32) { fp[A1].u64 = pc[2].u64; NEXT(3); }
    OP(CONST64) { fp[A1].u64 = pc[2].u64; NEXT(3); }
    /* [h][d|cond][a|b] */
    OP(SELECT) { fp[A1] = fp[B1].u32 ? fp[A2] : fp[B2]; NEXT(3); }
    /* [h][target] */
    OP(BR) { pc = pc[1].target; DISPATCH(); }
    OP(BR_LOOP) {
        if (UNLIKELY(atomic_load_explicit(&s->interrupt, memory_order_relaxed))) TRAP(TIMEOUT);
        pc = pc[1].target;
        DISPATCH();
    }
    /* [h][cond|0][target] */
#define BR_COND_FORMS(sfx, COND)                                              \
    OP(BR_IF##sfx) { pc = (COND).u32 ? pc[2].target : pc + 3; DISPATCH(); }   \
    OP(BR_UNLESS##sfx) { pc = (COND).u32 ? pc + 3 : pc[2].target; DISPATCH(); } \
    OP(BR_IF_LOOP##sfx) {                                                     \
        if ((COND).u32) {                                                     \
            if (INTERRUPTED()) TRAP(TIMEOUT);                                 \
            pc = pc[2].target;                                                \
        } else {                                                              \
            pc += 3;                                                          \
        }                                                                     \
        DISPATCH();                                                           \
    }                                                                         \
    /* [h][cond|0][target][taken cost|fallthrough cost] */                    \
    OP(BR_IF##sfx##_F) {                                                      \
        if ((COND).u32) {                                                     \
            if (INTERRUPTED()) TRAP(TIMEOUT);                                 \
            CHARGE(pc[3].s.a);                                                \
            pc = pc[2].target;                                                \
        } else {                                                              \
            CHARGE(pc[3].s.b);                                                \
            pc += 4;                                                          \
        }                                                                     \
        DISPATCH();                                                           \
    }                                                                         \
    OP(BR_UNLESS##sfx##_F) {                                                  \
        if (!(COND).u32) {                                                    \
            CHARGE(pc[3].s.a);                                                \
            pc = pc[2].target;                                                \
        } else {                                                              \
            CHARGE(pc[3].s.b);                                                \
            pc += 4;                                                          \
        }                                                                     \
        DISPATCH();                                                           \
    }
    /* [h][cond|0][target]; _RA: the condition is the accumulator */
    BR_COND_FORMS(, fp[A1])
    BR_COND_FORMS(_RA, acc)
    /* [h][idx|count][target]*count: the last target is the default */
    OP(BR_TABLE) {
        uint32_t i = fp[A1].u32, n = B1;
        if (i >= n - 1) i = n - 1;
        if (UNLIKELY(atomic_load_explicit(&s->interrupt, memory_order_relaxed))) TRAP(TIMEOUT);
        pc = pc[2 + i].target;
        DISPATCH();
    }
    /* [h][cost]: a function's first run */
    OP(FUEL) {
        CHARGE(pc[1].u64);
        NEXT(2);
    }
    /* fuel variants: [h][target][cost] */
    OP(BR_F) { CHARGE(pc[2].u64); pc = pc[1].target; DISPATCH(); }
    OP(BR_LOOP_F) {
        if (INTERRUPTED()) TRAP(TIMEOUT);
        CHARGE(pc[2].u64);
        pc = pc[1].target;
        DISPATCH();
    }
    /* [h][idx|count][target]*count[cost]*count */
    OP(BR_TABLE_F) {
        uint32_t i = fp[A1].u32, n = B1;
        if (i >= n - 1) i = n - 1;
        if (INTERRUPTED()) TRAP(TIMEOUT);
        CHARGE(pc[2 + n + i].u64);
        pc = pc[2 + i].target;
        DISPATCH();
    }
    /* [h][funcidx|argbase]: an imported function (host or wasm, of any instance); _F: in
     * code compiled with fuel */
#define CALL_BODY(next)                                                       \
    {                                                                         \
        callee = inst->funcs[A1];                                             \
        argbase = B1;                                                         \
        pc += 2;                                                              \
        goto next;                                                            \
    }
    OP(CALL) CALL_BODY(do_call)
    OP(CALL_F) CALL_BODY(do_call_f)
    /* [h][funcidx|argbase][compiled_func]: a function of this module, entered directly */
    OP(CALL_LOCAL) {
        argbase = B1;
        const compiled_func *dcf = pc[2].cf;
        pc += 3;
        ENTER_WASM(dcf, false, false);
    }
    OP(CALL_LOCAL_F) {
        argbase = B1;
        const compiled_func *dcf = pc[2].cf;
        pc += 3;
        ENTER_WASM(dcf, false, true);
    }
    /* [h][typeidx|tableidx][idx|argbase] */
#define CALL_INDIRECT_BODY(next)                                              \
    {                                                                         \
        elvm_table *t = inst->tables[B1];                                     \
        uint32_t i = fp[A2].u32;                                              \
        if (UNLIKELY(i >= t->size)) TRAP(UNDEFINED_ELEMENT);                  \
        callee = t->elems[i];                                                 \
        if (UNLIKELY(!callee)) TRAP(UNINITIALIZED_ELEMENT);                   \
        const functype *want = &inst->module->types[A1];                      \
        if (UNLIKELY(callee->type != want && !elvm__functype_eq(callee->type, want))) \
            TRAP(INDIRECT_TYPE);                                              \
        argbase = B2;                                                         \
        pc += 3;                                                              \
        goto next;                                                            \
    }
    OP(CALL_INDIRECT) CALL_INDIRECT_BODY(do_call)
    OP(CALL_INDIRECT_F) CALL_INDIRECT_BODY(do_call_f)
    /* [h][nslots|src]: results to fp[0..nslots), back to the caller */
    OP(RETURN) {
        uint32_t n = A1, src = B1;
        for (uint32_t i = 0; i < n; i++) fp[i] = fp[src + i];
        goto do_return;
    }
    /* [h][src|0]: one result slot */
    OP(RETURN1) {
        fp[0] = fp[A1];
        goto do_return;
    }
    /* [h]: the one result is in fp[0] already (its producer wrote it there) */
    OP(RETURN0) goto do_return;
    /* The stub of a function not compiled yet (compile.c, "when the code is made"): the
     * call has set up its frame; compile it and go on in its code, from its start (LAZY)
     * or, for a call from fuel-compiled code, paying its first run (LAZY_F) */
    OP(LAZY) OP(LAZY_F) {
        const compiled_func *cf = s->frame_top->cf;
        if (!compile_lazy(s, cf)) goto trap_recorded;
        bool charge = pc == cf->module->lazy->stub + 2; /* LAZY_F is the stub's cell 2 */
        pc = LOAD_CODE(cf);
        if (charge) {
            CHARGE(pc[1].u64);
            pc += 2;
        }
        DISPATCH();
    }
    OP(EXIT) {
        s->fuel = fuel;
        s->frame_top = base;
        return ELVM_OK;
    }
    /* ---- variables ---- */
    /* [h][d|globalidx] */
    OP(GLOBAL_GET) { fp[A1] = inst->globals[B1]->val; NEXT(2); }
    /* [h][s|globalidx] */
    OP(GLOBAL_SET) { inst->globals[B1]->val = fp[A1]; NEXT(2); }
    /* ---- memory ---- */
    /* [h][d|0] */
    OP(MEMORY_SIZE) { fp[A1].u32 = (uint32_t)(memsz / ELVM_PAGE_SIZE); NEXT(2); }
    /* [h][d|delta] */
    OP(MEMORY_GROW) {
        int64_t r = elvm__memory_grow(memo, fp[B1].u32);
        fp[A1].i32 = (int32_t)r;
        mem = memo->data;
        memsz = memo->size;
        NEXT(2);
    }
    /* [h][d|val][n|0] */
    OP(MEMORY_FILL) {
        uint64_t d = fp[A1].u32, n = fp[A2].u32;
        if (UNLIKELY(d + n > memsz)) TRAP(MEMORY_OOB);
        memset(mem + d, (int)(fp[B1].u32 & 0xFF), n);
        NEXT(3);
    }
    /* [h][d|s][n|0] */
    OP(MEMORY_COPY) {
        uint64_t d = fp[A1].u32, sr = fp[B1].u32, n = fp[A2].u32;
        if (UNLIKELY(d + n > memsz || sr + n > memsz)) TRAP(MEMORY_OOB);
        memmove(mem + d, mem + sr, n);
        NEXT(3);
    }
    /* [h][d|s][n|dataidx] */
    OP(MEMORY_INIT) {
        uint64_t d = fp[A1].u32, sr = fp[B1].u32, n = fp[A2].u32;
        const data_seg *seg = &inst->module->datas[B2];
        uint64_t len = inst->data_dropped[B2] ? 0 : seg->len;
        if (UNLIKELY(sr + n > len || d + n > memsz)) TRAP(MEMORY_OOB);
        if (n) memcpy(mem + d, seg->bytes + sr, n);
        NEXT(3);
    }
    /* [h][dataidx|0] */
    OP(DATA_DROP) { inst->data_dropped[A1] = true; NEXT(2); }
    /* ---- tables ---- */
    /* [h][d|idx][table|0] */
    OP(TABLE_GET) {
        elvm_table *t = inst->tables[A2];
        uint32_t i = fp[B1].u32;
        if (UNLIKELY(i >= t->size)) TRAP(TABLE_OOB);
        fp[A1].ref = t->elems[i];
        NEXT(3);
    }
    /* [h][idx|val][table|0] */
    OP(TABLE_SET) {
        elvm_table *t = inst->tables[A2];
        uint32_t i = fp[A1].u32;
        if (UNLIKELY(i >= t->size)) TRAP(TABLE_OOB);
        t->elems[i] = fp[B1].ref;
        NEXT(3);
    }
    /* [h][d|table] */
    OP(TABLE_SIZE) { fp[A1].u32 = inst->tables[B1]->size; NEXT(2); }
    /* [h][d|init][n|table] */
    OP(TABLE_GROW) {
        fp[A1].i32 = (int32_t)elvm__table_grow(inst->tables[B2], fp[A2].u32, fp[B1].ref);
        NEXT(3);
    }
    /* [h][i|val][n|table] */
    OP(TABLE_FILL) {
        elvm_table *t = inst->tables[B2];
        uint64_t i = fp[A1].u32, n = fp[A2].u32;
        if (UNLIKELY(i + n > t->size)) TRAP(TABLE_OOB);
        for (uint64_t k = 0; k < n; k++) t->elems[i + k] = fp[B1].ref;
        NEXT(3);
    }
    /* [h][d|s][n|0][dst table|src table] */
    OP(TABLE_COPY) {
        elvm_table *dt = inst->tables[pc[3].s.a], *st = inst->tables[pc[3].s.b];
        uint64_t d = fp[A1].u32, sr = fp[B1].u32, n = fp[A2].u32;
        if (UNLIKELY(d + n > dt->size || sr + n > st->size)) TRAP(TABLE_OOB);
        memmove(dt->elems + d, st->elems + sr, n * sizeof(void *));
        NEXT(4);
    }
    /* [h][d|s][n|elemidx][table|0] */
    OP(TABLE_INIT) {
        elvm_table *t = inst->tables[pc[3].s.a];
        uint64_t d = fp[A1].u32, sr = fp[B1].u32, n = fp[A2].u32;
        uint32_t e = B2;
        uint64_t len = inst->elem_dropped[e] ? 0 : inst->module->elems[e].count;
        if (UNLIKELY(sr + n > len || d + n > t->size)) TRAP(TABLE_OOB);
        void **items = inst->elem_items[e];
        for (uint64_t k = 0; k < n; k++) t->elems[d + k] = items[sr + k];
        NEXT(4);
    }
    /* [h][elemidx|0] */
    OP(ELEM_DROP) { inst->elem_dropped[A1] = true; NEXT(2); }
    /* [h][d|funcidx] */
    OP(REF_FUNC) { fp[A1].ref = inst->funcs[B1]; NEXT(2); }
    /* [h][d|a] */
    OP(REF_IS_NULL) { fp[A1].u32 = fp[B1].ref == NULL; NEXT(2); }
    /* [h][d|x][y|z]: x * y + z, two roundings (an f.mul fused with the f.add using it) */
    OP(F32_MUL_ADD) { fp[A1].f32 = fp[B1].f32 * fp[A2].f32 + fp[B2].f32; NEXT(3); }
    OP(F64_MUL_ADD) { fp[A1].f64 = fp[B1].f64 * fp[A2].f64 + fp[B2].f64; NEXT(3); }

    /* ---- numeric ---- */
    UNOP(I32_EQZ, u32, u32, x == 0)
    BINOP(I32_EQ, u32, u32, a == b)
    BINOP(I32_NE, u32, u32, a != b)
    BINOP(I32_LT_S, i32, u32, a < b)
    BINOP(I32_LT_U, u32, u32, a < b)
    BINOP(I32_GT_S, i32, u32, a > b)
    BINOP(I32_GT_U, u32, u32, a > b)
    BINOP(I32_LE_S, i32, u32, a <= b)
    BINOP(I32_LE_U, u32, u32, a <= b)
    BINOP(I32_GE_S, i32, u32, a >= b)
    BINOP(I32_GE_U, u32, u32, a >= b)
    UNOP(I64_EQZ, u64, u32, x == 0)
    BINOP(I64_EQ, u64, u32, a == b)
    BINOP(I64_NE, u64, u32, a != b)
    BINOP(I64_LT_S, i64, u32, a < b)
    BINOP(I64_LT_U, u64, u32, a < b)
    BINOP(I64_GT_S, i64, u32, a > b)
    BINOP(I64_GT_U, u64, u32, a > b)
    BINOP(I64_LE_S, i64, u32, a <= b)
    BINOP(I64_LE_U, u64, u32, a <= b)
    BINOP(I64_GE_S, i64, u32, a >= b)
    BINOP(I64_GE_U, u64, u32, a >= b)
    BINOP(F32_EQ, f32, u32, a == b)
    BINOP(F32_NE, f32, u32, a != b)
    BINOP(F32_LT, f32, u32, a < b)
    BINOP(F32_GT, f32, u32, a > b)
    BINOP(F32_LE, f32, u32, a <= b)
    BINOP(F32_GE, f32, u32, a >= b)
    BINOP(F64_EQ, f64, u32, a == b)
    BINOP(F64_NE, f64, u32, a != b)
    BINOP(F64_LT, f64, u32, a < b)
    BINOP(F64_GT, f64, u32, a > b)
    BINOP(F64_LE, f64, u32, a <= b)
    BINOP(F64_GE, f64, u32, a >= b)

    UNOP(I32_CLZ, u32, u32, x ? (uint32_t)__builtin_clz(x) : 32)
    UNOP(I32_CTZ, u32, u32, x ? (uint32_t)__builtin_ctz(x) : 32)
    UNOP(I32_POPCNT, u32, u32, (uint32_t)__builtin_popcount(x))
    BINOP(I32_ADD, u32, u32, a + b)
    BINOP(I32_SUB, u32, u32, a - b)
    BINOP(I32_MUL, u32, u32, a * b)
    GUARDED_BINOP(I32_DIV_S, i32, i32, if (UNLIKELY(b == 0)) TRAP(DIV_ZERO); if (UNLIKELY(a == INT32_MIN && b == -1)) TRAP(INT_OVERFLOW), a / b)
    GUARDED_BINOP(I32_DIV_U, u32, u32, if (UNLIKELY(b == 0)) TRAP(DIV_ZERO), a / b)
    GUARDED_BINOP(I32_REM_S, i32, i32, if (UNLIKELY(b == 0)) TRAP(DIV_ZERO), b == -1 ? 0 : a % b)
    GUARDED_BINOP(I32_REM_U, u32, u32, if (UNLIKELY(b == 0)) TRAP(DIV_ZERO), a % b)
    BINOP(I32_AND, u32, u32, a & b)
    BINOP(I32_OR, u32, u32, a | b)
    BINOP(I32_XOR, u32, u32, a ^ b)
    BINOP(I32_SHL, u32, u32, a << (b & 31))
    BINOP(I32_SHR_S, i32, i32, a >> (b & 31))
    BINOP(I32_SHR_U, u32, u32, a >> (b & 31))
    BINOP(I32_ROTL, u32, u32, rotl32(a, b))
    BINOP(I32_ROTR, u32, u32, rotr32(a, b))

    UNOP(I64_CLZ, u64, u64, x ? (uint64_t)__builtin_clzll(x) : 64)
    UNOP(I64_CTZ, u64, u64, x ? (uint64_t)__builtin_ctzll(x) : 64)
    UNOP(I64_POPCNT, u64, u64, (uint64_t)__builtin_popcountll(x))
    BINOP(I64_ADD, u64, u64, a + b)
    BINOP(I64_SUB, u64, u64, a - b)
    BINOP(I64_MUL, u64, u64, a * b)
    GUARDED_BINOP(I64_DIV_S, i64, i64, if (UNLIKELY(b == 0)) TRAP(DIV_ZERO); if (UNLIKELY(a == INT64_MIN && b == -1)) TRAP(INT_OVERFLOW), a / b)
    GUARDED_BINOP(I64_DIV_U, u64, u64, if (UNLIKELY(b == 0)) TRAP(DIV_ZERO), a / b)
    GUARDED_BINOP(I64_REM_S, i64, i64, if (UNLIKELY(b == 0)) TRAP(DIV_ZERO), b == -1 ? 0 : a % b)
    GUARDED_BINOP(I64_REM_U, u64, u64, if (UNLIKELY(b == 0)) TRAP(DIV_ZERO), a % b)
    BINOP(I64_AND, u64, u64, a & b)
    BINOP(I64_OR, u64, u64, a | b)
    BINOP(I64_XOR, u64, u64, a ^ b)
    BINOP(I64_SHL, u64, u64, a << (b & 63))
    BINOP(I64_SHR_S, i64, i64, a >> (b & 63))
    BINOP(I64_SHR_U, u64, u64, a >> (b & 63))
    BINOP(I64_ROTL, u64, u64, rotl64(a, b))
    BINOP(I64_ROTR, u64, u64, rotr64(a, b))

    UNOP(F32_ABS, u32, u32, x & 0x7FFFFFFFu)
    UNOP(F32_NEG, u32, u32, x ^ 0x80000000u)
    UNOP(F32_CEIL, f32, f32, f32_ceil(x))
    UNOP(F32_FLOOR, f32, f32, f32_floor(x))
    UNOP(F32_TRUNC, f32, f32, f32_trunc(x))
    UNOP(F32_NEAREST, f32, f32, f32_nearest(x))
    UNOP(F32_SQRT, f32, f32, sqrtf(x))
    BINOP(F32_ADD, f32, f32, a + b)
    BINOP(F32_SUB, f32, f32, a - b)
    BINOP(F32_MUL, f32, f32, a * b)
    BINOP(F32_DIV, f32, f32, a / b)
    BINOP(F32_MIN, f32, f32, fmin32(a, b))
    BINOP(F32_MAX, f32, f32, fmax32(a, b))
    BINOP(F32_COPYSIGN, u32, u32, (a & 0x7FFFFFFFu) | (b & 0x80000000u))
    UNOP(F64_ABS, u64, u64, x & 0x7FFFFFFFFFFFFFFFull)
    UNOP(F64_NEG, u64, u64, x ^ 0x8000000000000000ull)
    UNOP(F64_CEIL, f64, f64, f64_ceil(x))
    UNOP(F64_FLOOR, f64, f64, f64_floor(x))
    UNOP(F64_TRUNC, f64, f64, f64_trunc(x))
    UNOP(F64_NEAREST, f64, f64, f64_nearest(x))
    UNOP(F64_SQRT, f64, f64, sqrt(x))
    BINOP(F64_ADD, f64, f64, a + b)
    BINOP(F64_SUB, f64, f64, a - b)
    BINOP(F64_MUL, f64, f64, a * b)
    BINOP(F64_DIV, f64, f64, a / b)
    BINOP(F64_MIN, f64, f64, fmin64(a, b))
    BINOP(F64_MAX, f64, f64, fmax64(a, b))
    BINOP(F64_COPYSIGN, u64, u64, (a & 0x7FFFFFFFFFFFFFFFull) | (b & 0x8000000000000000ull))

    UNOP(I32_WRAP_I64, u64, u32, (uint32_t)x)
    TRUNCOP(I32_TRUNC_F32_S, f32, i32, int32_t, -2147483904.0f, 2147483648.0f)
    TRUNCOP(I32_TRUNC_F32_U, f32, u32, uint32_t, -1.0f, 4294967296.0f)
    TRUNCOP(I32_TRUNC_F64_S, f64, i32, int32_t, -2147483649.0, 2147483648.0)
    TRUNCOP(I32_TRUNC_F64_U, f64, u32, uint32_t, -1.0, 4294967296.0)
    UNOP(I64_EXTEND_I32_S, i32, i64, (int64_t)x)
    UNOP(I64_EXTEND_I32_U, u32, u64, (uint64_t)x)
    TRUNCOP(I64_TRUNC_F32_S, f32, i64, int64_t, -9223373136366403584.0f, 9223372036854775808.0f)
    TRUNCOP(I64_TRUNC_F32_U, f32, u64, uint64_t, -1.0f, 18446744073709551616.0f)
    TRUNCOP(I64_TRUNC_F64_S, f64, i64, int64_t, -9223372036854777856.0, 9223372036854775808.0)
    TRUNCOP(I64_TRUNC_F64_U, f64, u64, uint64_t, -1.0, 18446744073709551616.0)
    UNOP(F32_CONVERT_I32_S, i32, f32, (float)x)
    UNOP(F32_CONVERT_I32_U, u32, f32, (float)x)
    UNOP(F32_CONVERT_I64_S, i64, f32, (float)x)
    UNOP(F32_CONVERT_I64_U, u64, f32, (float)x)
    UNOP(F32_DEMOTE_F64, f64, f32, (float)x)
    UNOP(F64_CONVERT_I32_S, i32, f64, (double)x)
    UNOP(F64_CONVERT_I32_U, u32, f64, (double)x)
    UNOP(F64_CONVERT_I64_S, i64, f64, (double)x)
    UNOP(F64_CONVERT_I64_U, u64, f64, (double)x)
    UNOP(F64_PROMOTE_F32, f32, f64, (double)x)
    UNOP(I32_REINTERPRET_F32, u32, u32, x)
    UNOP(I64_REINTERPRET_F64, u64, u64, x)
    UNOP(F32_REINTERPRET_I32, u32, u32, x)
    UNOP(F64_REINTERPRET_I64, u64, u64, x)
    UNOP(I32_EXTEND8_S, u32, i32, (int32_t)(int8_t)x)
    UNOP(I32_EXTEND16_S, u32, i32, (int32_t)(int16_t)x)
    UNOP(I64_EXTEND8_S, u64, i64, (int64_t)(int8_t)x)
    UNOP(I64_EXTEND16_S, u64, i64, (int64_t)(int16_t)x)
    UNOP(I64_EXTEND32_S, u64, i64, (int64_t)(int32_t)x)
    UNOP(I32_TRUNC_SAT_F32_S, f32, i32, sat_i32_f32(x))
    UNOP(I32_TRUNC_SAT_F32_U, f32, u32, sat_u32_f32(x))
    UNOP(I32_TRUNC_SAT_F64_S, f64, i32, sat_i32_f64(x))
    UNOP(I32_TRUNC_SAT_F64_U, f64, u32, sat_u32_f64(x))
    UNOP(I64_TRUNC_SAT_F32_S, f32, i64, sat_i64_f32(x))
    UNOP(I64_TRUNC_SAT_F32_U, f32, u64, sat_u64_f32(x))
    UNOP(I64_TRUNC_SAT_F64_S, f64, i64, sat_i64_f64(x))
    UNOP(I64_TRUNC_SAT_F64_U, f64, u64, sat_u64_f64(x))

#define ELVM_X(n, f, op, inv) BR_CMP(n, f, op, inv)
    ELVM_CMP_OPS(ELVM_X)
#undef ELVM_X

    LOADOP(I32_LOAD, uint32_t, 4, u32, v)
    LOADOP(I64_LOAD, uint64_t, 8, u64, v)
    LOADOP(F32_LOAD, uint32_t, 4, u32, v)
    LOADOP(F64_LOAD, uint64_t, 8, u64, v)
    LOADOP(I32_LOAD8_S, int8_t, 1, i32, (int32_t)v)
    LOADOP(I32_LOAD8_U, uint8_t, 1, u32, (uint32_t)v)
    LOADOP(I32_LOAD16_S, int16_t, 2, i32, (int32_t)v)
    LOADOP(I32_LOAD16_U, uint16_t, 2, u32, (uint32_t)v)
    LOADOP(I64_LOAD8_S, int8_t, 1, i64, (int64_t)v)
    LOADOP(I64_LOAD8_U, uint8_t, 1, u64, (uint64_t)v)
    LOADOP(I64_LOAD16_S, int16_t, 2, i64, (int64_t)v)
    LOADOP(I64_LOAD16_U, uint16_t, 2, u64, (uint64_t)v)
    LOADOP(I64_LOAD32_S, int32_t, 4, i64, (int64_t)v)
    LOADOP(I64_LOAD32_U, uint32_t, 4, u64, (uint64_t)v)
    STOREOP(I32_STORE, uint32_t, 4, u32)
    STOREOP(I64_STORE, uint64_t, 8, u64)
    STOREOP(F32_STORE, uint32_t, 4, u32)
    STOREOP(F64_STORE, uint64_t, 8, u64)
    STOREOP(I32_STORE8, uint8_t, 1, u32)
    STOREOP(I32_STORE16, uint16_t, 2, u32)
    STOREOP(I64_STORE8, uint8_t, 1, u64)
    STOREOP(I64_STORE16, uint16_t, 2, u64)
    STOREOP(I64_STORE32, uint32_t, 4, u64)
#include "interp_simd.h"
    default: break;
    }
    /* not reached: every cell holds a handler */
    trap = ELVM_TRAP_HOST;
    goto trapped;

do_return: {
        frame *ft = s->frame_top;
        pc = ft->ret_pc;
        fp = ft->fp;
        elvm_instance *ci = ft->inst;
        s->frame_top = ft - 1;
        if (LIKELY(ci == inst)) {
            memsz = memo->size; /* the callee may have grown the memory */
        } else if (ci) {
            inst = ci;
            LOAD_MEM();
        }
        DISPATCH();
    }

do_call:
    if (callee->host) {
        s->fuel = fuel;
        s->stack_top = fp + s->frame_top->cf->frame_slots;
        elvm__guard_ctx *g = elvm__guard_current();
        if (g) g->in_host++;
        int rc = call_host(s, inst, callee, fp + argbase);
        if (g) g->in_host--;
        fuel = s->fuel;
        LOAD_MEM();
        if (rc) {
            trap = s->trap; /* recorded, with its message, by elvm_caller_trap/exit */
            goto trap_recorded;
        }
        DISPATCH();
    }
    ENTER_WASM(callee->code, callee->inst != inst, false);
    /* code compiled with fuel: same, charging the callee's first run on entry */
do_call_f:
    if (callee->host) goto do_call;
    ENTER_WASM(callee->code, callee->inst != inst, true);

trapped:
    elvm__trap_set(s, trap, NULL);
trap_recorded:
    s->fuel = fuel;
    record_backtrace(s, s->frame_top, base);
    s->frame_top = base;
    return trap == ELVM_TRAP_EXIT ? ELVM_EXIT : ELVM_TRAP;
}

elvm_handler_map elvm__handler_map(void) {
    elvm_handler_map m;
    interp(NULL, NULL, NULL, &m);
    return m;
}

/* interp under guard pages: a fault in this store's memories comes back here as the trap
 * "out of bounds memory access" (guard.c), with the frames the interpreter kept in
 * s->frame_top. */
static elvm_status run_guarded(elvm_store *s, elvm_func *fn, slot *args) {
    elvm__guard_ctx g;
    frame *const base = s->frame_top;
    elvm__guard_push(&g, s);
    if (sigsetjmp(g.jb, 0)) {
        elvm__guard_pop(&g);
        elvm__trap_set(s, ELVM_TRAP_MEMORY_OOB, NULL);
        record_backtrace(s, s->frame_top, base);
        s->frame_top = base;
        return ELVM_TRAP;
    }
    elvm_status st = interp(s, fn, args, NULL);
    elvm__guard_pop(&g);
    return st;
}

elvm_status elvm__run(elvm_store *s, elvm_func *fn, slot *args, elvm_error *err) {
    elvm_status st;
    s->trap = ELVM_TRAP_NONE;
    s->nbt = 0;
    if (fn->host) {
        st = call_host(s, NULL, fn, args) ? (s->trap == ELVM_TRAP_EXIT ? ELVM_EXIT : ELVM_TRAP) : ELVM_OK;
    } else if (s->engine->guard) {
        st = run_guarded(s, fn, args);
    } else {
        st = interp(s, fn, args, NULL);
    }
    if (st == ELVM_TRAP) {
        elvm__fail(err, ELVM_TRAP, "%s", s->trap_msg);
        if (err) err->trap = s->trap;
    } else if (st == ELVM_EXIT) {
        elvm__fail(err, ELVM_EXIT, "exit with code %d", s->exit_code);
        if (err) { err->trap = ELVM_TRAP_EXIT; err->exit_code = s->exit_code; }
    }
    return st;
}
