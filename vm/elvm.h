/* elvm.h: the public API of the elvm WebAssembly runtime (libelvm).
 *
 * Life cycle (docs/ARCHITECTURE.md has the picture):
 *   bytes --elvm_module_new--> module (decoded, validated, compiled to threaded code)
 *   module + imports --elvm_instance_new--> instance (lives in a store)
 *   elvm_func_call runs an exported or host function inside its store.
 *
 * Ownership: an elvm_engine outlives every module and store made from it. A store owns
 * every instance, function, table, memory and global created in it; they are freed
 * with the store and never individually. A module is independent of stores and may be
 * instantiated in several; free it after its instances' store, or earlier (instances
 * keep what they need alive through a reference count).
 *
 * Threads: one store is used by one thread at a time. Engines and modules are
 * immutable after creation and may be shared.
 *
 * Errors: functions that can fail take an `elvm_error *` (may be NULL) and return
 * NULL or a status other than ELVM_OK. The message is one line saying what, where
 * (section, byte offset, function index) and why, in the spec testsuite's words. */
#ifndef ELVM_H
#define ELVM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status codes ---------------------------------------------------------------- */

/* X(name, text): every failure class the library reports. */
#define ELVM_STATUS_LIST(X)                                                   \
    X(OK, "ok")                                                               \
    X(MALFORMED, "malformed module")       /* binary format (spec 5) */        \
    X(INVALID, "invalid module")           /* validation (spec 3) */           \
    X(UNLINKABLE, "unlinkable")            /* import matching (spec 4.5.4) */  \
    X(UNINSTANTIABLE, "uninstantiable")    /* trap during init/start */        \
    X(TRAP, "trap")                        /* a trap while running */          \
    X(EXIT, "exit")                        /* guest asked to exit (WASI) */    \
    X(LIMIT, "implementation limit")       /* vm/limits.h exceeded */          \
    X(NOMEM, "out of host memory")                                            \
    X(ARG, "bad argument")                 /* API misuse: wrong count/type */

typedef enum {
#define ELVM_X(n, t) ELVM_##n,
    ELVM_STATUS_LIST(ELVM_X)
#undef ELVM_X
} elvm_status;

/* Trap kinds; the text is the spec testsuite's wording and starts every trap message. */
#define ELVM_TRAP_LIST(X)                                       \
    X(NONE, "no trap")                                          \
    X(UNREACHABLE, "unreachable")                               \
    X(DIV_ZERO, "integer divide by zero")                       \
    X(INT_OVERFLOW, "integer overflow")                         \
    X(INVALID_CONVERSION, "invalid conversion to integer")      \
    X(MEMORY_OOB, "out of bounds memory access")                \
    X(TABLE_OOB, "out of bounds table access")                  \
    X(INDIRECT_TYPE, "indirect call type mismatch")             \
    X(UNDEFINED_ELEMENT, "undefined element")                   \
    X(UNINITIALIZED_ELEMENT, "uninitialized element")           \
    X(STACK_EXHAUSTED, "call stack exhausted")                  \
    X(OUT_OF_FUEL, "out of fuel")                               \
    X(TIMEOUT, "timeout")                                       \
    X(HOST, "host error")                                       \
    X(EXIT, "exit")

typedef enum {
#define ELVM_X(n, t) ELVM_TRAP_##n,
    ELVM_TRAP_LIST(ELVM_X)
#undef ELVM_X
} elvm_trap_kind;

/* Detail of a failure. `msg` is one line, never a backtrace. For ELVM_TRAP,
 * `trap` says which; for ELVM_EXIT, `exit_code` is the guest's code. */
typedef struct elvm_error {
    elvm_status status;
    elvm_trap_kind trap;
    int32_t exit_code;
    char msg[320];
} elvm_error;

/* Static strings: "malformed module", ... and "unreachable", ... */
const char *elvm_strerror(elvm_status status);
const char *elvm_trap_message(elvm_trap_kind kind);

/* ---- values ------------------------------------------------------------------------- */

/* Value types with their binary encodings (spec 5.3.1). */
typedef enum {
    ELVM_I32 = 0x7F,
    ELVM_I64 = 0x7E,
    ELVM_F32 = 0x7D,
    ELVM_F64 = 0x7C,
    ELVM_V128 = 0x7B,
    ELVM_FUNCREF = 0x70,
    ELVM_EXTERNREF = 0x6F,
} elvm_valtype;

typedef struct elvm_func elvm_func;

/* A typed value. Floats travel as their IEEE-754 bit patterns so NaN payloads survive.
 * funcref is an elvm_func* (NULL is ref.null); externref is an opaque pointer chosen by
 * the host (NULL is ref.null). */
typedef struct elvm_val {
    elvm_valtype type;
    union {
        int32_t i32;
        int64_t i64;
        uint32_t f32_bits;
        uint64_t f64_bits;
        elvm_func *funcref;
        void *externref;
        uint8_t v128[16];
    } of;
} elvm_val;

const char *elvm_valtype_name(elvm_valtype t); /* "i32", ..., "funcref" */

/* ---- allocator ------------------------------------------------------------------------ */

/* Where the library's heap memory comes from: every allocation of vm/ (modules, compiled
 * code, stores and what they own, linkers) goes through these functions; linear memories
 * are reserved with mmap and do not. `ud` is passed back on each call.
 *   malloc(size, ud): `size` is never 0; the block aligned as C's malloc aligns
 *       (for max_align_t: 16 bytes on x86-64).
 *   realloc(ptr, size, ud): `ptr` came from this allocator and is not NULL, `size` is
 *       not 0; when it returns NULL the block must be left as it was (as C's realloc).
 *   free(ptr, ud): `ptr` came from this allocator and is not NULL.
 *   calloc(count, size, ud): optional: `count` objects of `size` bytes, zeroed, neither
 *       0; NULL if out of memory or if count * size overflows. Without it zeroed blocks
 *       are malloc + memset, which touches every page: a store's value stack is 8 MiB by
 *       default, and the C library's calloc hands such a block out as untouched zero
 *       pages.
 * NULL from malloc, realloc or calloc is "out of memory": the call that needed the block
 * fails with ELVM_NOMEM (or returns NULL where it returns no status), frees what it made
 * (a failed instantiation leaves its partial instance to the store, as any failed
 * instantiation does) and the library stays usable. The functions are called from
 * whichever threads use the library, concurrently when those do, never from a signal
 * handler. Zero-initialise the struct (`= {0}`, or designated initializers) and set what
 * you have: members this header gains later read as NULL. */
typedef struct elvm_allocator {
    void *(*malloc)(size_t size, void *ud);
    void *(*realloc)(void *ptr, size_t size, void *ud);
    void (*free)(void *ptr, void *ud);
    void *ud;
    void *(*calloc)(size_t count, size_t size, void *ud); /* optional */
} elvm_allocator;

/* Sets the allocator of the whole process; `a` is copied (malloc, realloc and free must
 * be set, calloc may be NULL), NULL restores the C library's. Call it while no engine,
 * module, store or linker exists and no other thread is in the library: each block is
 * freed by the allocator that made it. */
void elvm_set_allocator(const elvm_allocator *a);

/* ---- engine -------------------------------------------------------------------------- */

typedef struct elvm_config {
    /* Compile fuel accounting into code: one unit per executed wasm instruction, charged
     * per basic block. Stores then run with the budget of elvm_store_set_fuel. */
    int fuel;
    /* Maximum guest call depth (frames); deeper calls trap "call stack exhausted". */
    uint32_t max_call_depth;
    /* Size of each store's value stack, in 8-byte slots. */
    uint32_t value_stack_slots;
    /* Bounds checks of memory accesses: 0 (default) uses guard pages where the platform
     * allows (8 GiB of address space reserved per memory; a fault becomes the trap),
     * and software checks under sanitizers; 1 forces software checks. */
    int software_bounds_checks;
    /* When functions are compiled to threaded code. Every function is validated when the
     * module is made (elvm_module_new), whichever is chosen.
     *   ELVM_COMPILE_AUTO (0, the default): LAZY for modules with at least 1 MiB of wasm
     *     code (a big program runs a fraction of its functions), EAGER below.
     *   ELVM_COMPILE_EAGER: every function at once.
     *   ELVM_COMPILE_LAZY: each function on its first call; a module then compiles from
     *     any thread that calls it (under a lock of its own). A call whose function cannot
     *     be compiled for lack of host memory traps ELVM_TRAP_HOST. */
    int compile;
} elvm_config;

enum { ELVM_COMPILE_AUTO = 0, ELVM_COMPILE_EAGER = 1, ELVM_COMPILE_LAZY = 2 };

typedef struct elvm_engine elvm_engine;

/* Fills `cfg` with the defaults: fuel off, 10000 frames, 1M slots (8 MiB). */
void elvm_config_default(elvm_config *cfg);
/* Returns NULL only when out of memory. `cfg` may be NULL for the defaults. */
elvm_engine *elvm_engine_new(const elvm_config *cfg);
void elvm_engine_free(elvm_engine *engine);

/* ---- modules ------------------------------------------------------------------------- */

typedef struct elvm_module elvm_module;

typedef enum {
    ELVM_EXTERN_FUNC = 0,
    ELVM_EXTERN_TABLE = 1,
    ELVM_EXTERN_MEMORY = 2,
    ELVM_EXTERN_GLOBAL = 3,
} elvm_extern_kind;

/* Limits in the spec's units: pages of 64 KiB for memories, elements for tables. */
typedef struct elvm_limits {
    uint64_t min;
    uint64_t max;
    int has_max;
} elvm_limits;

/* Type of an import or export (spec 2.5.10 externtype). Arrays are owned by the module. */
typedef struct elvm_externtype {
    elvm_extern_kind kind;
    /* func */
    uint32_t nparams, nresults;
    const elvm_valtype *params, *results;
    /* table (elem type), global (value type) */
    elvm_valtype valtype;
    /* table, memory */
    elvm_limits limits;
    /* global */
    int mutable_;
} elvm_externtype;

typedef struct elvm_import_desc {
    const char *module; /* NUL-terminated UTF-8, owned by the module; a name may */
    const char *name;   /* hold NUL bytes itself, so the lengths are the truth */
    size_t module_len, name_len;
    elvm_externtype type;
} elvm_import_desc;

typedef struct elvm_export_desc {
    const char *name;
    size_t name_len;
    elvm_externtype type;
} elvm_export_desc;

/* Decodes (spec 5), validates (spec 3) and compiles `bytes` (copied; the caller keeps
 * its buffer). Errors: ELVM_MALFORMED, ELVM_INVALID, ELVM_LIMIT, ELVM_NOMEM. */
elvm_module *elvm_module_new(elvm_engine *engine, const uint8_t *bytes, size_t len,
                             elvm_error *err);
/* Called once when a module made by elvm_module_new_take lets go of its bytes. */
typedef void (*elvm_bytes_release)(uint8_t *bytes, size_t len, void *ud);
/* As elvm_module_new, but the module keeps `bytes` instead of copying them, and calls
 * release(bytes, len, ud) exactly once when it no longer needs them: at once when this
 * fails, otherwise when the module's last reference (the caller's or an instance's) is
 * dropped. Until then the caller must not change or free the buffer. This spares a copy
 * of a large module (its data segments stay in the buffer). `release` may be NULL. */
elvm_module *elvm_module_new_take(elvm_engine *engine, uint8_t *bytes, size_t len,
                                  elvm_bytes_release release, void *ud, elvm_error *err);
/* Drops the caller's reference; instances keep their own. */
void elvm_module_free(elvm_module *module);

uint32_t elvm_module_num_imports(const elvm_module *m);
void elvm_module_import(const elvm_module *m, uint32_t i, elvm_import_desc *out);
uint32_t elvm_module_num_exports(const elvm_module *m);
void elvm_module_export(const elvm_module *m, uint32_t i, elvm_export_desc *out);
/* The type section: entry `i` (typeidx) as a function externtype (spec 2.3.5). */
uint32_t elvm_module_num_types(const elvm_module *m);
void elvm_module_type(const elvm_module *m, uint32_t i, elvm_externtype *out);
/* The function name from the name section of function `funcidx`, or NULL. */
const char *elvm_module_func_name(const elvm_module *m, uint32_t funcidx);

/* Byte size of each section as found, for `elvm inspect`: id 0..12, custom sections summed
 * under 0. Compiled code size in bytes is `code_bytes`; wasm code-section bytes `wasm_code_bytes`. */
typedef struct elvm_module_stats {
    uint64_t section_bytes[13];
    uint64_t code_bytes;
    uint64_t wasm_code_bytes;
    uint32_t num_funcs, num_types;
} elvm_module_stats;
void elvm_module_stats_get(const elvm_module *m, elvm_module_stats *out);

/* ---- stores, externs ------------------------------------------------------------------ */

typedef struct elvm_store elvm_store;
typedef struct elvm_instance elvm_instance;
typedef struct elvm_table elvm_table;
typedef struct elvm_memory elvm_memory;
typedef struct elvm_global elvm_global;

/* Returns NULL when out of memory. */
elvm_store *elvm_store_new(elvm_engine *engine);
/* Frees the store and everything created in it. */
void elvm_store_free(elvm_store *store);

/* Fuel (only with elvm_config.fuel): the budget for the following calls, in wasm
 * instructions; running out traps "out of fuel". `elvm_store_fuel_consumed` counts what
 * ran since the last set. */
void elvm_store_set_fuel(elvm_store *store, uint64_t fuel);
uint64_t elvm_store_fuel_consumed(const elvm_store *store);

/* Maximum bytes any memory of this store may grow to (0: only the module's maximum).
 * memory.grow beyond it returns -1; instantiation fails with ELVM_LIMIT if an initial
 * size is over. `..._hits` counts the allocations and grows the limit refused. */
void elvm_store_set_memory_limit(elvm_store *store, uint64_t bytes);
uint64_t elvm_store_memory_limit_hits(const elvm_store *store);

/* Asks code running in this store to stop with the trap "timeout" at its next
 * loop back-edge or call. Safe to call from another thread or a signal handler. The
 * request stays until elvm_store_interrupt_clear: later calls trap at once. */
void elvm_store_interrupt(elvm_store *store);
void elvm_store_interrupt_clear(elvm_store *store);

/* Writes the backtrace of the last trap, one frame a line ("  #0 func[3] <name>"),
 * NUL-terminated and truncated to `cap` bytes. Returns the length it wanted. */
size_t elvm_store_backtrace(const elvm_store *store, char *buf, size_t cap);

/* Peak linear-memory size in bytes over all memories of the store. */
uint64_t elvm_store_peak_memory(const elvm_store *store);

typedef struct elvm_extern {
    elvm_extern_kind kind;
    union {
        elvm_func *func;
        elvm_table *table;
        elvm_memory *memory;
        elvm_global *global;
    } of;
} elvm_extern;

/* ---- host functions ------------------------------------------------------------------ */

/* What a host function knows about its call. */
typedef struct elvm_caller elvm_caller;

/* A host function reads `args` and writes `results` (types as declared). It returns 0,
 * or the non-zero value of elvm_caller_trap / elvm_caller_exit to stop the guest. */
typedef int (*elvm_host_fn)(elvm_caller *caller, void *env, const elvm_val *args,
                            elvm_val *results);

/* The calling instance's memory `memidx`, or NULL if it has none. */
elvm_memory *elvm_caller_memory(elvm_caller *caller, uint32_t memidx);
elvm_store *elvm_caller_store(elvm_caller *caller);
/* Raise a trap of `kind` with a printf-style message; return its result from the host fn. */
int elvm_caller_trap(elvm_caller *caller, elvm_trap_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Stop the whole call with ELVM_EXIT and `code` (WASI proc_exit). */
int elvm_caller_exit(elvm_caller *caller, int32_t code);

/* A host function of the given type, owned by `store`. `env` is passed back on each
 * call and not freed. Returns NULL when out of memory. */
elvm_func *elvm_func_new(elvm_store *store, const elvm_valtype *params, uint32_t nparams,
                         const elvm_valtype *results, uint32_t nresults, elvm_host_fn fn,
                         void *env);

/* Type of any function; arrays are owned by the function's module or store. */
void elvm_func_type(const elvm_func *f, elvm_externtype *out);

/* Calls `f` (spec 4.5.5 invocation). `args` must match the parameter types; `results`
 * receives nresults values. Errors: ELVM_ARG (count or type mismatch), ELVM_TRAP (with
 * err->trap), ELVM_EXIT (err->exit_code). The store's backtrace holds the trap's frames. */
elvm_status elvm_func_call(elvm_store *store, elvm_func *f, const elvm_val *args,
                           uint32_t nargs, elvm_val *results, uint32_t nresults,
                           elvm_error *err);

/* ---- memories, tables, globals ---------------------------------------------------------- */

/* A memory of `min` pages (64 KiB each), up to `max` pages if has_max. NULL when out of
 * memory or over the store's limit. */
elvm_memory *elvm_memory_new(elvm_store *store, elvm_limits limits);
uint8_t *elvm_memory_data(elvm_memory *mem);       /* valid until the next grow */
uint64_t elvm_memory_size(const elvm_memory *mem); /* bytes */
/* Grows by `delta` pages; returns the old size in pages, or -1 (spec memory.grow). */
int64_t elvm_memory_grow(elvm_memory *mem, uint64_t delta);
void elvm_memory_type(const elvm_memory *mem, elvm_externtype *out);

/* A table of `reftype` (ELVM_FUNCREF/ELVM_EXTERNREF) with every element set to `init`. */
elvm_table *elvm_table_new(elvm_store *store, elvm_valtype reftype, elvm_limits limits,
                           elvm_val init);
uint32_t elvm_table_size(const elvm_table *t);
/* Return ELVM_TRAP (out of bounds table access) or ELVM_ARG (wrong type). */
elvm_status elvm_table_get(const elvm_table *t, uint32_t i, elvm_val *out);
elvm_status elvm_table_set(elvm_table *t, uint32_t i, elvm_val v);
void elvm_table_type(const elvm_table *t, elvm_externtype *out);

elvm_global *elvm_global_new(elvm_store *store, elvm_val init, int mutable_);
void elvm_global_get(const elvm_global *g, elvm_val *out);
/* ELVM_ARG if the global is immutable or the type differs. */
elvm_status elvm_global_set(elvm_global *g, elvm_val v);
void elvm_global_type(const elvm_global *g, elvm_externtype *out);

/* ---- instances -------------------------------------------------------------------------- */

/* Instantiates `module` in `store` (spec 4.5.4) with `imports` given in the module's
 * import order. Runs the start function. Errors: ELVM_UNLINKABLE ("incompatible import
 * type"), ELVM_UNINSTANTIABLE (a trap in init or start, err->trap says which),
 * ELVM_EXIT (start called proc_exit), ELVM_LIMIT (a memory over the store's memory
 * limit, a table of more than 10,000,000 elements: vm/limits.h), ELVM_NOMEM. The instance
 * belongs to the store. */
elvm_instance *elvm_instance_new(elvm_store *store, elvm_module *module,
                                 const elvm_extern *imports, uint32_t nimports,
                                 elvm_error *err);
/* Looks up an export by name; returns 0 if there is none. The _n form takes a name of
 * `len` bytes, which may contain NUL bytes (names are any UTF-8, spec 2.5.10). */
int elvm_instance_export(const elvm_instance *inst, const char *name, elvm_extern *out);
int elvm_instance_export_n(const elvm_instance *inst, const char *name, size_t len,
                           elvm_extern *out);
const elvm_module *elvm_instance_module(const elvm_instance *inst);

/* ---- linker: name-based import resolution ------------------------------------------------ */

/* A set of (module, name) -> extern definitions used to satisfy imports by name. */
typedef struct elvm_linker elvm_linker;

elvm_linker *elvm_linker_new(elvm_store *store);
void elvm_linker_free(elvm_linker *l);
/* Defines or replaces module.name; strings are copied. ELVM_NOMEM on failure. */
elvm_status elvm_linker_define(elvm_linker *l, const char *module, const char *name,
                               elvm_extern ext);
/* Defines every export of `inst` under `module` (spectest `register`). */
elvm_status elvm_linker_define_instance(elvm_linker *l, const char *module,
                                        const elvm_instance *inst);
/* Looks a definition up; returns 0 if there is none. */
int elvm_linker_get(const elvm_linker *l, const char *module, const char *name,
                    elvm_extern *out);
/* Resolves every import by name ("unknown import" naming it when missing) and
 * instantiates; errors as elvm_instance_new. */
elvm_instance *elvm_linker_instantiate(elvm_linker *l, elvm_module *module, elvm_error *err);

#ifdef __cplusplus
}
#endif
#endif /* ELVM_H */
