/* test_alloc.c: allocation failure injection through elvm_set_allocator. An allocator
 * that counts live blocks refuses the k-th allocation (or the k-th and every later one),
 * for k = 1, 2, ... up to the number a clean run makes, while a whole embedding runs:
 * engine, store, host objects, linker, then decode + validate + compile, instantiation
 * and a call, for modules that together use every section kind. Every refused
 * allocation must end the step it happens in with a clean error (ELVM_NOMEM, a message),
 * and once everything is freed no block may be left. */
#include "wasm_builder.h"

/* ---- the injecting allocator ------------------------------------------------------------ */

static struct {
    long calls;   /* malloc and realloc calls */
    long fail_at; /* 1-based call to refuse; 0: none */
    int sticky;   /* refuse every call after it too */
    long fired;   /* calls refused */
    long live;    /* blocks allocated and not freed */
} inj;

static int inj_refuse(void) {
    inj.calls++;
    if (inj.fail_at && (inj.calls == inj.fail_at || (inj.sticky && inj.calls > inj.fail_at))) {
        inj.fired++;
        return 1;
    }
    return 0;
}

static void *inj_malloc(size_t n, void *ud) {
    assert_ptr_equal(ud, &inj);
    assert_true(n > 0);
    if (inj_refuse()) return NULL;
    void *p = malloc(n);
    assert_non_null(p);
    inj.live++;
    return p;
}

static void *inj_realloc(void *p, size_t n, void *ud) {
    assert_ptr_equal(ud, &inj);
    assert_non_null(p);
    assert_true(n > 0);
    if (inj_refuse()) return NULL;
    void *q = realloc(p, n);
    assert_non_null(q);
    return q;
}

static void inj_free(void *p, void *ud) {
    assert_ptr_equal(ud, &inj);
    assert_non_null(p);
    inj.live--;
    free(p);
}

static const elvm_allocator injector = {
    .malloc = inj_malloc, .realloc = inj_realloc, .free = inj_free, .ud = &inj};

static void inj_reset(long fail_at, int sticky) {
    memset(&inj, 0, sizeof inj);
    inj.fail_at = fail_at;
    inj.sticky = sticky;
}

/* ---- modules ---------------------------------------------------------------------------- */

enum {
    W_CALL_INDIRECT = 0x11, W_BR_TABLE = 0x0E, W_I32_WRAP_I64 = 0xA7, W_I64_ADD = 0x7C,
    W_I64_LT_S = 0x53, W_REF_NULL = 0xD0, W_REF_IS_NULL = 0xD1, W_REF_FUNC = 0xD2,
    W_FC = 0xFC, W_FD = 0xFD,
};

/* a function body: `code` prefixed with its size; frees `code` */
static void body(wb *sec, wb *code) { wb_sized(sec, code); }

/* v128.const of four i32 lanes */
static void v128_const(wb *b, uint32_t a, uint32_t c, uint32_t d, uint32_t e) {
    WB_BYTES(b, W_FD, 0x0C);
    wb_le32(b, a);
    wb_le32(b, c);
    wb_le32(b, d);
    wb_le32(b, e);
}

/* "lib": a memory (1..2 pages), a mutable global, a function and an active data
 * segment, exported as "mem", "seven" and "counter". No imports. */
static void build_lib(wb *out) {
    wb s = {0};
    memset(out, 0, sizeof *out);
    wb_header(out);
    wb_u32(&s, 1);
    wb_functype(&s, "", "i");
    wb_section(out, 1, &s);
    WB_SECTION(out, 3, 1, 0);
    WB_SECTION(out, 5, 1, 0x01, 1, 2);
    WB_SECTION(out, 6, 1, W_I32, 0x01, W_I32_CONST, 7, W_END);
    wb_u32(&s, 3);
    wb_name(&s, "mem");
    WB_BYTES(&s, 0x02, 0);
    wb_name(&s, "seven");
    WB_BYTES(&s, 0x00, 0);
    wb_name(&s, "counter");
    WB_BYTES(&s, 0x03, 0);
    wb_section(out, 7, &s);
    WB_SECTION(out, 10, 1, 4, 0x00, W_GLOBAL_GET, 0, W_END);
    WB_SECTION(out, 11, 1, 0x00, W_I32_CONST, 16, W_END, 4, 'l', 'i', 'b', '!');
}

/* "big": 200 i32 locals set one by one, 80 nested blocks left by a br_table of 100
 * targets, 200 values on the operand stack summed, and a loop over an i64 local.
 * Returns 0 + 1 + ... + 199 + 10 = 19910. Large enough that every growable array of
 * the compiler grows. */
static void big_body(wb *b) {
    WB_BYTES(b, 2, 0xC8, 0x01, W_I32, 4, W_I64);
    for (uint32_t k = 0; k < 200; k++) {
        wb_byte(b, W_I32_CONST);
        wb_s32(b, (int32_t)k);
        wb_byte(b, W_LOCAL_SET);
        wb_u32(b, k);
    }
    for (int k = 0; k < 80; k++) WB_BYTES(b, W_BLOCK, W_BLOCKTYPE_EMPTY);
    WB_BYTES(b, W_I32_CONST, 5, W_BR_TABLE, 100);
    for (uint32_t k = 0; k < 100; k++) wb_u32(b, k % 80);
    wb_u32(b, 0);
    for (int k = 0; k < 80; k++) wb_byte(b, W_END);
    for (uint32_t k = 0; k < 200; k++) {
        wb_byte(b, W_LOCAL_GET);
        wb_u32(b, k);
    }
    for (int k = 0; k < 199; k++) wb_byte(b, W_I32_ADD);
    /* loop: l200 += 1 while l200 < 10 */
    WB_BYTES(b, W_LOOP, W_BLOCKTYPE_EMPTY, W_LOCAL_GET, 0xC8, 0x01, W_I64_CONST, 1, W_I64_ADD,
             W_LOCAL_TEE, 0xC8, 0x01, W_I64_CONST, 10, W_I64_LT_S, W_BR_IF, 0, W_END);
    WB_BYTES(b, W_LOCAL_GET, 0xC8, 0x01, W_I32_WRAP_I64, W_I32_ADD, W_END);
}

/* "main": every section kind. Functions: 0 env.tick, 1 env.wide (9 i32 -> i32), 2
 * lib.seven, 3 start (calls tick), 4 run, 5 swap (multi-value), 6 pick (br_table), 7 big,
 * 8 simd. Tables: 0 env.table (imported), 1 own. Memory: lib.mem. Globals: 0 env.base,
 * 1..5 own (i32 from base, i64, v128, funcref, "grown"). Elements: active into each
 * table, passive, declarative. Data: active and passive, with a data count. */
enum { RUN_RESULT = 20428 };

static void build_main(wb *out) {
    wb s = {0}, c = {0};
    memset(out, 0, sizeof *out);
    wb_header(out);
    /* types: 0 () -> (), 1 (i32 x9) -> i32, 2 (i32 i64) -> (i64 i32), 3 () -> i32,
     * 4 (i32) -> i32 */
    wb_u32(&s, 5);
    wb_functype(&s, "", "");
    wb_functype(&s, "iiiiiiiii", "i");
    wb_functype(&s, "iI", "Ii");
    wb_functype(&s, "", "i");
    wb_functype(&s, "i", "i");
    wb_section(out, 1, &s);
    /* imports of the four kinds */
    wb_u32(&s, 6);
    wb_name(&s, "env"), wb_name(&s, "tick"), WB_BYTES(&s, 0x00, 0);
    wb_name(&s, "env"), wb_name(&s, "wide"), WB_BYTES(&s, 0x00, 1);
    wb_name(&s, "env"), wb_name(&s, "table"), WB_BYTES(&s, 0x01, W_FUNCREF, 0x00, 2);
    wb_name(&s, "lib"), wb_name(&s, "mem"), WB_BYTES(&s, 0x02, 0x00, 1);
    wb_name(&s, "env"), wb_name(&s, "base"), WB_BYTES(&s, 0x03, W_I32, 0x00);
    wb_name(&s, "lib"), wb_name(&s, "seven"), WB_BYTES(&s, 0x00, 3);
    wb_section(out, 2, &s);
    WB_SECTION(out, 3, 6, 0, 3, 2, 4, 3, 4);
    WB_SECTION(out, 4, 1, W_FUNCREF, 0x00, 3);
    /* globals */
    wb_u32(&s, 5);
    WB_BYTES(&s, W_I32, 0x01, W_GLOBAL_GET, 0, W_END);
    WB_BYTES(&s, W_I64, 0x00, W_I64_CONST, 0x7B /* -5 */, W_END);
    WB_BYTES(&s, W_V128, 0x00);
    v128_const(&s, 10, 20, 30, 40);
    wb_byte(&s, W_END);
    WB_BYTES(&s, W_FUNCREF, 0x00, W_REF_FUNC, 5, W_END);
    WB_BYTES(&s, W_I32, 0x01, W_I32_CONST, 0, W_END);
    wb_section(out, 6, &s);
    /* exports */
    wb_u32(&s, 5);
    wb_name(&s, "run"), WB_BYTES(&s, 0x00, 4);
    wb_name(&s, "swap"), WB_BYTES(&s, 0x00, 5);
    wb_name(&s, "table1"), WB_BYTES(&s, 0x01, 1);
    wb_name(&s, "grown"), WB_BYTES(&s, 0x03, 5);
    wb_name(&s, "fref"), WB_BYTES(&s, 0x03, 4);
    wb_section(out, 7, &s);
    WB_SECTION(out, 8, 3);
    /* elements: active (table 0), active (table 1), passive (expressions), declarative */
    wb_u32(&s, 4);
    WB_BYTES(&s, 0, W_I32_CONST, 0, W_END, 2, 6, 8);
    WB_BYTES(&s, 2, 1, W_I32_CONST, 1, W_END, 0x00, 2, 5, 6);
    WB_BYTES(&s, 5, W_FUNCREF, 2, W_REF_FUNC, 6, W_END, W_REF_NULL, W_FUNCREF, W_END);
    WB_BYTES(&s, 3, 0x00, 1, 7);
    wb_section(out, 9, &s);
    WB_SECTION(out, 12, 2);
    /* code */
    wb_u32(&s, 6);
    WB_BYTES(&c, 0, W_CALL, 0, W_END); /* 3 start */
    body(&s, &c);
    /* 4 run: local 0 accumulates */
    WB_BYTES(&c, 1, 1, W_I32);
    WB_BYTES(&c, W_I32_CONST, 0, W_I32_LOAD, 2, 0, W_LOCAL_SET, 0); /* 5 (active data) */
    WB_BYTES(&c, W_I32_CONST, 8, W_I32_CONST, 0, W_I32_CONST, 4, W_FC, 8, 1, 0, W_FC, 9, 1);
    WB_BYTES(&c, W_LOCAL_GET, 0, W_I32_CONST, 8, W_I32_LOAD, 2, 0, W_I32_ADD, W_LOCAL_SET, 0);
    WB_BYTES(&c, W_I32_CONST, 0, W_I32_CONST, 0, W_I32_CONST, 1, W_FC, 12, 2, 1, W_FC, 13, 2);
    WB_BYTES(&c, W_LOCAL_GET, 0, W_I32_CONST, 3, W_I32_CONST, 0, W_CALL_INDIRECT, 4, 1,
             W_I32_ADD, W_LOCAL_SET, 0); /* pick(3) = 300 */
    WB_BYTES(&c, W_I32_CONST, 1, W_I64_CONST, 2, W_CALL, 5, W_LOCAL_GET, 0, W_I32_ADD,
             W_LOCAL_SET, 0, W_I32_WRAP_I64, W_LOCAL_GET, 0, W_I32_ADD, W_LOCAL_SET, 0);
    WB_BYTES(&c, W_I32_CONST, 10, W_I64_CONST, 20, W_BLOCK, 2, W_CALL, 5, W_END, W_LOCAL_GET, 0,
             W_I32_ADD, W_LOCAL_SET, 0, W_I32_WRAP_I64, W_LOCAL_GET, 0, W_I32_ADD, W_LOCAL_SET, 0);
    WB_BYTES(&c, W_LOCAL_GET, 0, W_I32_CONST, 4, W_I32_CONST, 1, W_CALL_INDIRECT, 4, 0,
             W_I32_ADD, W_LOCAL_SET, 0); /* simd(4) = 17 */
    WB_BYTES(&c, W_LOCAL_GET, 0, W_I32_CONST, 1, W_I32_CONST, 2, W_I32_CONST, 3, W_I32_CONST, 4,
             W_I32_CONST, 5, W_I32_CONST, 6, W_I32_CONST, 7, W_I32_CONST, 8, W_I32_CONST, 9,
             W_CALL, 1, W_I32_ADD, W_LOCAL_SET, 0); /* wide = 45 */
    WB_BYTES(&c, W_LOCAL_GET, 0, W_CALL, 2, W_I32_ADD, W_LOCAL_SET, 0);        /* 7 */
    WB_BYTES(&c, W_LOCAL_GET, 0, W_CALL, 7, W_I32_ADD, W_LOCAL_SET, 0);        /* 19910 */
    WB_BYTES(&c, W_LOCAL_GET, 0, W_GLOBAL_GET, 1, W_I32_ADD, W_LOCAL_SET, 0);  /* 100 */
    WB_BYTES(&c, W_REF_NULL, W_FUNCREF, W_I32_CONST, 2, W_FC, 15, 1, W_GLOBAL_SET, 5);
    WB_BYTES(&c, W_LOCAL_GET, 0, W_REF_FUNC, 7, W_REF_IS_NULL, W_I32_ADD, W_GLOBAL_GET, 4,
             W_REF_IS_NULL, W_I32_ADD, W_LOCAL_SET, 0);
    WB_BYTES(&c, W_LOCAL_GET, 0, W_GLOBAL_GET, 2, W_I32_WRAP_I64, W_I32_ADD, W_END); /* -5 */
    body(&s, &c);
    WB_BYTES(&c, 0, W_LOCAL_GET, 1, W_LOCAL_GET, 0, W_END); /* 5 swap */
    body(&s, &c);
    /* 6 pick: br_table to 3 labels, 100 / 200 / 300 */
    WB_BYTES(&c, 0, W_BLOCK, W_BLOCKTYPE_EMPTY, W_BLOCK, W_BLOCKTYPE_EMPTY, W_BLOCK,
             W_BLOCKTYPE_EMPTY, W_LOCAL_GET, 0, W_BR_TABLE, 2, 0, 1, 2, W_END, W_I32_CONST, 0xE4,
             0x00, W_RETURN, W_END, W_I32_CONST, 0xC8, 0x01, W_RETURN, W_END, W_I32_CONST, 0xAC,
             0x02, W_END);
    body(&s, &c);
    big_body(&c); /* 7 */
    body(&s, &c);
    /* 8 simd: extract_lane 2 of (splat x + [1 2 3 4]) + lane 0 of global 3 = x + 13 */
    WB_BYTES(&c, 0, W_LOCAL_GET, 0, W_FD, 0x11);
    v128_const(&c, 1, 2, 3, 4);
    WB_BYTES(&c, W_FD, 0xAE, 0x01, W_FD, 0x1B, 2, W_GLOBAL_GET, 3, W_FD, 0x1B, 0, W_I32_ADD, W_END);
    body(&s, &c);
    wb_section(out, 10, &s);
    /* data: active at 0, passive */
    WB_SECTION(out, 11, 2, 0x00, W_I32_CONST, 0, W_END, 4, 5, 0, 0, 0, 0x01, 4, 16, 0, 0, 0);
    /* names of functions 3..8 */
    wb sub = {0};
    static const char *names[] = {"start", "run", "swap", "pick", "big", "simd"};
    wb_u32(&sub, 6);
    for (uint32_t i = 0; i < 6; i++) {
        wb_u32(&sub, 3 + i);
        wb_name(&sub, names[i]);
    }
    wb_name(&s, "name");
    wb_byte(&s, 0x01);
    wb_sized(&s, &sub);
    wb_section(out, 0, &s);
}

/* Three functions that compile, then one whose result has the wrong type: "type
 * mismatch" after every allocation of the first three. */
static void build_invalid(wb *out) {
    wb s = {0}, c = {0};
    memset(out, 0, sizeof *out);
    wb_header(out);
    wb_u32(&s, 1);
    wb_functype(&s, "", "i");
    wb_section(out, 1, &s);
    WB_SECTION(out, 3, 4, 0, 0, 0, 0);
    wb_u32(&s, 4);
    for (int f = 0; f < 3; f++) {
        wb_byte(&c, 0);
        for (int k = 0; k < 100; k++) WB_BYTES(&c, W_I32_CONST, 1);
        for (int k = 0; k < 99; k++) wb_byte(&c, W_I32_ADD);
        wb_byte(&c, W_END);
        body(&s, &c);
    }
    WB_BYTES(&c, 0, W_I64_CONST, 0, W_END);
    body(&s, &c);
    wb_section(out, 10, &s);
}

/* A start function that traps after the table, memory, global, element and data
 * segment are in place: uninstantiable. */
static void build_start_trap(wb *out) {
    wb s = {0};
    memset(out, 0, sizeof *out);
    wb_header(out);
    wb_u32(&s, 1);
    wb_functype(&s, "", "");
    wb_section(out, 1, &s);
    wb_u32(&s, 1);
    wb_name(&s, "env"), wb_name(&s, "tick"), WB_BYTES(&s, 0x00, 0);
    wb_section(out, 2, &s);
    WB_SECTION(out, 3, 1, 0);
    WB_SECTION(out, 4, 1, W_FUNCREF, 0x00, 1);
    WB_SECTION(out, 5, 1, 0x00, 1);
    WB_SECTION(out, 6, 1, W_I32, 0x00, W_I32_CONST, 1, W_END);
    WB_SECTION(out, 8, 1);
    WB_SECTION(out, 9, 1, 0, W_I32_CONST, 0, W_END, 1, 1);
    WB_SECTION(out, 10, 1, 5, 0, W_CALL, 0, W_UNREACHABLE, W_END);
    WB_SECTION(out, 11, 1, 0x00, W_I32_CONST, 0, W_END, 1, 'x');
}

/* ---- the embedding under test ----------------------------------------------------------- */

typedef enum {
    P_ENGINE, P_STORE, P_HOST, P_LINKER, P_DEFINE, P_LIB_MODULE, P_LIB_INSTANCE, P_REGISTER,
    P_MODULE, P_INSTANCE, P_CALL, P_DONE
} phase;

static const char *const phase_names[] = {"engine", "store", "host objects", "linker",
    "linker define", "lib module", "lib instance", "linker define_instance", "module",
    "instance", "call", "done"};

typedef struct scenario {
    const char *name;
    int fuel;
    void (*build)(wb *out);
    phase clean_end;          /* where a run without refusals stops (P_DONE: it runs "run") */
    elvm_status clean_status; /* and with what */
    const char *clean_msg;
    long min_allocs; /* a clean run allocates at least this often */
} scenario;

static int host_tick(elvm_caller *caller, void *env, const elvm_val *args, elvm_val *results) {
    (void)caller, (void)args, (void)results;
    (*(int *)env)++;
    return 0;
}

static int host_wide(elvm_caller *caller, void *env, const elvm_val *args, elvm_val *results) {
    (void)caller, (void)env;
    int32_t sum = 0;
    for (int i = 0; i < 9; i++) sum += args[i].of.i32;
    results[0] = wb_i32(sum);
    return 0;
}

typedef struct run {
    const scenario *sc;
    phase fired_in; /* the step during which the first refusal happened, or P_DONE */
    long fired_before;
} run;

static void begin(run *r) { r->fired_before = inj.fired; }

/* The end of step `p`, which succeeded if `ok`; `st` and `msg` are its error when it has
 * one (ELVM_OK / NULL otherwise). Returns whether to go on. */
static int end_step(run *r, phase p, int ok, elvm_status st, const char *msg) {
    int fired = inj.fired > r->fired_before;
    if (fired && r->fired_in == P_DONE) r->fired_in = p;
    const char *k = r->sc->name;
    if (ok) {
        /* only a call may survive a refusal (table.grow returns -1), checked by the caller */
        if (fired && p != P_CALL)
            fail_msg("%s: %s succeeded although allocation %ld was refused", k, phase_names[p],
                     inj.fail_at);
        return 1;
    }
    if (!fired) {
        if (p != r->sc->clean_end)
            fail_msg("%s: %s failed without a refused allocation (%s: %s)", k, phase_names[p],
                     elvm_strerror(st), msg ? msg : "");
        assert_int_equal(st, r->sc->clean_status);
        assert_contains(msg, r->sc->clean_msg);
        return 0;
    }
    if (p == P_CALL && st == ELVM_TRAP) {
        /* a host call whose argument array cannot be allocated traps: the guest is running */
        assert_contains(msg, "out of host memory");
        return 0;
    }
    if (st != ELVM_OK && st != ELVM_NOMEM)
        fail_msg("%s: %s: allocation %ld refused: %s (%s) instead of out of host memory", k,
                 phase_names[p], inj.fail_at, elvm_strerror(st), msg ? msg : "");
    if (msg && !msg[0]) fail_msg("%s: %s: empty message", k, phase_names[p]);
    return 0;
}

#define STEP(p, ok, st, msg)                                                            \
    do {                                                                                \
        if (!end_step(&r, (p), (ok), (st), (msg))) goto out;                            \
    } while (0)

static elvm_extern ext_func(elvm_func *f) {
    elvm_extern x = {.kind = ELVM_EXTERN_FUNC};
    x.of.func = f;
    return x;
}

/* One whole embedding under the injector; returns the step the first refusal hit (P_DONE:
 * none). Everything is freed before it returns. */
static phase embed(const scenario *sc, const wb *lib_bytes, const wb *main_bytes) {
    static const elvm_valtype I32x9[9] = {ELVM_I32, ELVM_I32, ELVM_I32, ELVM_I32, ELVM_I32,
                                          ELVM_I32, ELVM_I32, ELVM_I32, ELVM_I32};
    run r = {sc, P_DONE, 0};
    elvm_engine *engine = NULL;
    elvm_store *store = NULL;
    elvm_linker *linker = NULL;
    elvm_module *lib = NULL, *mod = NULL;
    elvm_instance *inst = NULL;
    elvm_error err;
    elvm_status st;
    int ticks = 0;

    elvm_config cfg;
    elvm_config_default(&cfg);
    cfg.fuel = sc->fuel;
    cfg.max_call_depth = 100;
    cfg.value_stack_slots = 4096;
    begin(&r);
    engine = elvm_engine_new(&cfg);
    STEP(P_ENGINE, engine != NULL, ELVM_OK, NULL);

    begin(&r);
    store = elvm_store_new(engine);
    STEP(P_STORE, store != NULL, ELVM_OK, NULL);

    begin(&r);
    elvm_func *tick = elvm_func_new(store, NULL, 0, NULL, 0, host_tick, &ticks);
    elvm_func *wide = tick ? elvm_func_new(store, I32x9, 9, I32x9, 1, host_wide, NULL) : NULL;
    elvm_val null = {.type = ELVM_FUNCREF};
    elvm_table *table = wide ? elvm_table_new(store, ELVM_FUNCREF, (elvm_limits){2, 0, 0}, null) : NULL;
    elvm_global *base = table ? elvm_global_new(store, wb_i32(100), 0) : NULL;
    STEP(P_HOST, base != NULL, ELVM_OK, NULL);

    begin(&r);
    linker = elvm_linker_new(store);
    STEP(P_LINKER, linker != NULL, ELVM_OK, NULL);

    begin(&r);
    elvm_extern x = {.kind = ELVM_EXTERN_TABLE};
    x.of.table = table;
    st = elvm_linker_define(linker, "env", "tick", ext_func(tick));
    if (st == ELVM_OK) st = elvm_linker_define(linker, "env", "wide", ext_func(wide));
    if (st == ELVM_OK) st = elvm_linker_define(linker, "env", "table", x);
    x.kind = ELVM_EXTERN_GLOBAL;
    x.of.global = base;
    if (st == ELVM_OK) st = elvm_linker_define(linker, "env", "base", x);
    STEP(P_DEFINE, st == ELVM_OK, st, NULL);

    memset(&err, 0, sizeof err);
    begin(&r);
    lib = elvm_module_new(engine, lib_bytes->p, lib_bytes->len, &err);
    STEP(P_LIB_MODULE, lib != NULL, err.status, err.msg);

    begin(&r);
    elvm_instance *lib_inst = elvm_linker_instantiate(linker, lib, &err);
    STEP(P_LIB_INSTANCE, lib_inst != NULL, err.status, err.msg);

    begin(&r);
    st = elvm_linker_define_instance(linker, "lib", lib_inst);
    STEP(P_REGISTER, st == ELVM_OK, st, NULL);

    begin(&r);
    mod = elvm_module_new(engine, main_bytes->p, main_bytes->len, &err);
    STEP(P_MODULE, mod != NULL, err.status, err.msg);

    begin(&r);
    inst = elvm_linker_instantiate(linker, mod, &err);
    STEP(P_INSTANCE, inst != NULL, err.status, err.msg);
    assert_int_equal(ticks, 1); /* the start function ran */

    elvm_extern run_fn, grown;
    assert_true(elvm_instance_export(inst, "run", &run_fn));
    assert_true(elvm_instance_export(inst, "grown", &grown));
    elvm_val res = {0};
    begin(&r);
    st = elvm_func_call(store, run_fn.of.func, NULL, 0, &res, 1, &err);
    STEP(P_CALL, st == ELVM_OK, st, err.msg);
    assert_int_equal(res.of.i32, RUN_RESULT);
    elvm_val g;
    elvm_global_get(grown.of.global, &g);
    /* table.grow by 2 from 3 elements, or -1 if its allocation was refused */
    assert_int_equal(g.of.i32, r.fired_in == P_CALL ? -1 : 3);

out:
    elvm_linker_free(linker);
    elvm_store_free(store);
    elvm_module_free(mod);
    elvm_module_free(lib);
    elvm_engine_free(engine);
    return r.fired_in;
}

/* The clean run, then every allocation refused in turn (once, and from there on). */
static void inject_all(const scenario *sc) {
    wb lib_bytes, main_bytes;
    build_lib(&lib_bytes);
    sc->build(&main_bytes);
    elvm_set_allocator(&injector);

    inj_reset(0, 0);
    assert_int_equal(embed(sc, &lib_bytes, &main_bytes), P_DONE);
    assert_int_equal(inj.live, 0);
    long total = inj.calls;
    if (total < sc->min_allocs)
        fail_msg("%s: only %ld allocations (expected at least %ld)", sc->name, total, sc->min_allocs);

    long per_phase[P_DONE + 1] = {0};
    for (int sticky = 0; sticky < 2; sticky++) {
        for (long k = 1; k <= total; k++) {
            inj_reset(k, sticky);
            phase p = embed(sc, &lib_bytes, &main_bytes);
            /* the runs are deterministic: allocation k exists and was refused */
            if (!inj.fired) fail_msg("%s: allocation %ld of %ld was never asked for", sc->name, k, total);
            assert_true(p < P_DONE);
            if (inj.live != 0)
                fail_msg("%s: %ld blocks leaked after refusing allocation %ld (%s%s)", sc->name,
                         inj.live, k, phase_names[p], sticky ? ", and all after it" : "");
            if (!sticky) per_phase[p]++;
        }
    }
    /* one more: nothing to refuse, the clean run again */
    inj_reset(total + 1, 0);
    assert_int_equal(embed(sc, &lib_bytes, &main_bytes), P_DONE);
    assert_int_equal(inj.fired, 0);
    assert_int_equal(inj.live, 0);
    elvm_set_allocator(NULL);

    /* every step up to where the clean run stops allocates, so each was injected */
    printf("[ alloc    ] %s: %ld allocations:", sc->name, total);
    for (int p = 0; p <= (int)sc->clean_end && p < P_DONE; p++) {
        printf("%s %s %ld", p ? "," : "", phase_names[p], per_phase[p]);
        if (per_phase[p] == 0) fail_msg("%s: no allocation during %s", sc->name, phase_names[p]);
    }
    printf("\n");
    wb_free(&lib_bytes);
    wb_free(&main_bytes);
}

static void test_every_section_kind(void **state) {
    (void)state;
    scenario sc = {"every section", 0, build_main, P_DONE, ELVM_OK, "", 80};
    inject_all(&sc);
}

static void test_every_section_kind_with_fuel(void **state) {
    (void)state;
    scenario sc = {"every section, fuel", 1, build_main, P_DONE, ELVM_OK, "", 80};
    inject_all(&sc);
}

static void test_invalid_module(void **state) {
    (void)state;
    scenario sc = {"invalid module", 0, build_invalid, P_MODULE, ELVM_INVALID, "type mismatch", 50};
    inject_all(&sc);
}

static void test_start_traps(void **state) {
    (void)state;
    scenario sc = {"start traps", 0, build_start_trap, P_INSTANCE, ELVM_UNINSTANTIABLE,
                   "unreachable", 60};
    inject_all(&sc);
}

/* elvm_set_allocator(NULL) gives the C library back: nothing reaches the hook. */
static void test_allocator_restored(void **state) {
    (void)state;
    inj_reset(0, 0);
    elvm_set_allocator(&injector);
    elvm_engine *e = elvm_engine_new(NULL);
    assert_non_null(e);
    assert_int_equal(inj.calls, 1);
    assert_int_equal(inj.live, 1);
    elvm_engine_free(e);
    assert_int_equal(inj.live, 0);
    elvm_set_allocator(NULL);
    e = elvm_engine_new(NULL);
    elvm_store *s = elvm_store_new(e);
    assert_non_null(s);
    elvm_store_free(s);
    elvm_engine_free(e);
    assert_int_equal(inj.calls, 1);
}

/* An allocator with calloc: zeroed blocks come from it (the store's value stack, 8 MiB
 * by default, as one block) and are freed through free; malloc never sees them. */
static long zero_calls;
static size_t zero_biggest, malloc_biggest;
static void *z_calloc(size_t count, size_t size, void *ud) {
    assert_ptr_equal(ud, &inj);
    assert_true(count > 0 && size > 0);
    zero_calls++;
    if (count * size > zero_biggest) zero_biggest = count * size;
    void *p = calloc(count, size);
    assert_non_null(p);
    inj.live++;
    return p;
}
static void *z_malloc(size_t n, void *ud) {
    if (n > malloc_biggest) malloc_biggest = n;
    return inj_malloc(n, ud);
}

static void test_calloc_hook(void **state) {
    (void)state;
    inj_reset(0, 0);
    const elvm_allocator with_calloc = {.malloc = z_malloc, .realloc = inj_realloc,
                                        .free = inj_free, .ud = &inj, .calloc = z_calloc};
    elvm_set_allocator(&with_calloc);
    elvm_engine *e = elvm_engine_new(NULL);
    assert_non_null(e);
    elvm_store *s = elvm_store_new(e);
    assert_non_null(s);
    assert_true(zero_calls > 0);
    assert_true(zero_biggest >= (size_t)8 << 20);
    assert_true(malloc_biggest < (size_t)1 << 20);
    elvm_store_free(s);
    elvm_engine_free(e);
    assert_int_equal(inj.live, 0); /* every block, calloc's too, went back through free */
    elvm_set_allocator(NULL);
}

/* A failed assertion leaves the injector in place: give the next test the C library. */
static int restore_allocator(void **state) {
    (void)state;
    elvm_set_allocator(NULL);
    return 0;
}

int main(void) {
    wb_watchdog(600);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_allocator_restored, restore_allocator),
        cmocka_unit_test_teardown(test_calloc_hook, restore_allocator),
        cmocka_unit_test_teardown(test_every_section_kind, restore_allocator),
        cmocka_unit_test_teardown(test_every_section_kind_with_fuel, restore_allocator),
        cmocka_unit_test_teardown(test_invalid_module, restore_allocator),
        cmocka_unit_test_teardown(test_start_traps, restore_allocator),
    };
    return cmocka_run_group_tests_name("allocation failures", tests, NULL, NULL);
}
