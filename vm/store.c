/* store.c: engines, stores and the objects a store owns (spec 4.2: functions, tables,
 * memories, globals), value conversion and calls from the host. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "runtime.h"

/* ---- engine ---------------------------------------------------------------------------- */

void elvm_config_default(elvm_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->fuel = 0;
    cfg->max_call_depth = 10000;
    cfg->value_stack_slots = 1u << 20;
}

elvm_engine *elvm_engine_new(const elvm_config *cfg) {
    elvm_engine *e = elvm__calloc(1, sizeof *e);
    if (!e) return NULL;
    if (cfg) e->cfg = *cfg;
    else elvm_config_default(&e->cfg);
    if (e->cfg.max_call_depth < 16) e->cfg.max_call_depth = 16;
    if (e->cfg.value_stack_slots < 1024) e->cfg.value_stack_slots = 1024;
#if defined(__SANITIZE_ADDRESS__)
    e->guard = false; /* ASan owns SIGSEGV */
#else
    e->guard = !e->cfg.software_bounds_checks && sizeof(void *) == 8 && elvm__guard_install();
#endif
    return e;
}

void elvm_engine_free(elvm_engine *e) { elvm__free(e); }

/* ---- store ------------------------------------------------------------------------------ */

elvm_store *elvm_store_new(elvm_engine *engine) {
    elvm_store *s = elvm__calloc(1, sizeof *s);
    if (!s) return NULL;
    s->engine = engine;
    size_t nslots = engine->cfg.value_stack_slots;
    size_t nframes = (size_t)engine->cfg.max_call_depth + 1;
    /* One block, the call stack then the value stack: large enough to be mapped on its
     * own, and each fresh mapping's first touch costs page tables (a hello-world run's
     * time in elvm_store_new here: 57 -> 32 us). The sizes come from uint32_t settings:
     * only a 32-bit host could overflow them. */
    if (nframes >= SIZE_MAX / sizeof(frame) ||
        nslots > (SIZE_MAX - (nframes + 1) * sizeof(frame)) / sizeof(slot)) {
        elvm__free(s);
        return NULL;
    }
    s->frames = elvm__calloc(1, (nframes + 1) * sizeof(frame) + nslots * sizeof(slot));
    if (!s->frames) {
        elvm__free(s);
        return NULL;
    }
    s->stack = (slot *)(s->frames + nframes + 1);
    s->stack_end = s->stack + nslots;
    s->stack_top = s->stack;
    s->frames_end = s->frames + nframes;
    s->frame_top = s->frames; /* frames[0] is the bottom sentinel */
    s->fuel = INT64_MAX;
    s->fuel_set = INT64_MAX;
    atomic_init(&s->interrupt, 0);
    atomic_init(&s->stack_limit, s->stack_end);
    return s;
}

static void memory_free(elvm_memory *m) {
    if (m->data && m->reserved) munmap(m->data, m->reserved);
    elvm__free(m);
}

void elvm_store_free(elvm_store *s) {
    if (!s) return;
    for (size_t i = 0; i < s->nobjs; i++) {
        void *p = s->objs[i].p;
        switch (s->objs[i].kind) {
        case OBJ_INSTANCE: {
            elvm_instance *inst = p;
            if (inst->elem_items)
                for (uint32_t k = 0; k < inst->module->nelems; k++) elvm__free(inst->elem_items[k]);
            elvm__free(inst->elem_items);
            elvm__free(inst->funcs);
            elvm__free(inst->tables);
            elvm__free(inst->mems);
            elvm__free(inst->globals);
            elvm__free(inst->elem_dropped);
            elvm__free(inst->data_dropped);
            elvm__free(inst->own_funcs);
            elvm__free(inst->own_globals);
            elvm_module_free(inst->module);
            elvm__free(inst);
            break;
        }
        case OBJ_FUNC: {
            elvm_func *f = p;
            elvm__free(f->host_type.params);
            elvm__free(f);
            break;
        }
        case OBJ_MEMORY: memory_free(p); break;
        case OBJ_TABLE: {
            elvm_table *t = p;
            elvm__free(t->elems);
            elvm__free(t);
            break;
        }
        case OBJ_GLOBAL: elvm__free(p); break;
        }
    }
    elvm__free(s->objs);
    elvm__free(s->frames);
    elvm__free(s);
}

bool elvm__store_track(elvm_store *s, int kind, void *p) {
    if (s->nobjs == s->capobjs) {
        size_t n = s->capobjs ? s->capobjs * 2 : 16;
        store_obj *o = elvm__realloc(s->objs, n * sizeof *o);
        if (!o) return false;
        s->objs = o;
        s->capobjs = n;
    }
    s->objs[s->nobjs].kind = kind;
    s->objs[s->nobjs].p = p;
    s->nobjs++;
    return true;
}

void elvm_store_set_fuel(elvm_store *s, uint64_t fuel) {
    s->fuel = fuel > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)fuel;
    s->fuel_set = (uint64_t)s->fuel;
}

uint64_t elvm_store_fuel_consumed(const elvm_store *s) {
    return s->fuel_set - (uint64_t)(s->fuel < 0 ? 0 : s->fuel);
}

void elvm_store_set_memory_limit(elvm_store *s, uint64_t bytes) { s->mem_limit = bytes; }

void elvm_store_interrupt(elvm_store *s) {
    atomic_store(&s->interrupt, 1);
    atomic_store(&s->stack_limit, s->stack); /* makes the next call check the flag */
}

void elvm_store_interrupt_clear(elvm_store *s) {
    atomic_store(&s->interrupt, 0);
    atomic_store(&s->stack_limit, s->stack_end);
}

uint64_t elvm_store_peak_memory(const elvm_store *s) { return s->peak_mem; }

uint64_t elvm_store_memory_limit_hits(const elvm_store *s) { return s->mem_limit_hits; }

void elvm__trap_set(elvm_store *s, elvm_trap_kind kind, const char *detail) {
    s->trap = kind;
    if (detail)
        snprintf(s->trap_msg, sizeof s->trap_msg, "%s: %s", elvm_trap_message(kind), detail);
    else
        snprintf(s->trap_msg, sizeof s->trap_msg, "%s", elvm_trap_message(kind));
}

size_t elvm_store_backtrace(const elvm_store *s, char *buf, size_t cap) {
    size_t len = 0;
    if (cap) buf[0] = 0;
    for (uint32_t i = 0; i < s->nbt; i++) {
        char line[200];
        int n;
        if (s->bt[i].host) n = snprintf(line, sizeof line, "  #%u host function\n", i);
        else if (s->bt[i].name)
            n = snprintf(line, sizeof line, "  #%u func[%u] <%s>\n", i, s->bt[i].funcidx, s->bt[i].name);
        else n = snprintf(line, sizeof line, "  #%u func[%u]\n", i, s->bt[i].funcidx);
        if (n < 0) break;
        if (len + (size_t)n < cap) memcpy(buf + len, line, (size_t)n + 1);
        else if (len < cap) buf[len] = 0;
        len += (size_t)n;
    }
    return len;
}

/* ---- values ------------------------------------------------------------------------------ */

slot elvm__val_to_slot(elvm_val v) {
    slot s;
    s.u64 = 0;
    switch (v.type) {
    case ELVM_I32: s.u32 = (uint32_t)v.of.i32; break;
    case ELVM_I64: s.i64 = v.of.i64; break;
    case ELVM_F32: s.u32 = v.of.f32_bits; break;
    case ELVM_F64: s.u64 = v.of.f64_bits; break;
    case ELVM_FUNCREF: s.ref = v.of.funcref; break;
    case ELVM_EXTERNREF: s.ref = v.of.externref; break;
    case ELVM_V128: break;
    }
    return s;
}

elvm_val elvm__slot_to_val(slot s, elvm_valtype t) {
    elvm_val v;
    memset(&v, 0, sizeof v);
    v.type = t;
    switch (t) {
    case ELVM_I32: v.of.i32 = s.i32; break;
    case ELVM_I64: v.of.i64 = s.i64; break;
    case ELVM_F32: v.of.f32_bits = s.u32; break;
    case ELVM_F64: v.of.f64_bits = s.u64; break;
    case ELVM_FUNCREF: v.of.funcref = s.ref; break;
    case ELVM_EXTERNREF: v.of.externref = s.ref; break;
    case ELVM_V128: break;
    }
    return v;
}

void elvm__val_to_slots(elvm_val v, slot *out) {
    if (v.type != ELVM_V128) {
        out[0] = elvm__val_to_slot(v);
        return;
    }
    memcpy(&out[0].u64, v.of.v128, 8);
    memcpy(&out[1].u64, v.of.v128 + 8, 8);
}

elvm_val elvm__slots_to_val(const slot *in, elvm_valtype t) {
    if (t != ELVM_V128) return elvm__slot_to_val(in[0], t);
    elvm_val v;
    memset(&v, 0, sizeof v);
    v.type = t;
    memcpy(v.of.v128, &in[0].u64, 8);
    memcpy(v.of.v128 + 8, &in[1].u64, 8);
    return v;
}

/* ---- functions ------------------------------------------------------------------------------ */

elvm_func *elvm_func_new(elvm_store *s, const elvm_valtype *params, uint32_t nparams,
                         const elvm_valtype *results, uint32_t nresults, elvm_host_fn fn,
                         void *env) {
    elvm_func *f = elvm__calloc(1, sizeof *f);
    elvm_valtype *types = elvm__calloc(nparams + nresults + 1, sizeof *types);
    if (!f || !types || !elvm__store_track(s, OBJ_FUNC, f)) {
        elvm__free(f);
        elvm__free(types);
        return NULL;
    }
    if (nparams) memcpy(types, params, nparams * sizeof *types);
    if (nresults) memcpy(types + nparams, results, nresults * sizeof *types);
    f->host_type = (functype){nparams, nresults, types, types + nparams, 0};
    f->type = &f->host_type;
    f->host = fn;
    f->env = env;
    return f;
}

void elvm_func_type(const elvm_func *f, elvm_externtype *out) {
    memset(out, 0, sizeof *out);
    out->kind = ELVM_EXTERN_FUNC;
    out->nparams = f->type->nparams;
    out->nresults = f->type->nresults;
    out->params = f->type->params;
    out->results = f->type->results;
}

elvm_status elvm_func_call(elvm_store *s, elvm_func *f, const elvm_val *args, uint32_t nargs,
                           elvm_val *results, uint32_t nresults, elvm_error *err) {
    const functype *t = f->type;
    if (nargs != t->nparams || nresults != t->nresults)
        return elvm__fail(err, ELVM_ARG, "function takes %u arguments and returns %u results",
                          t->nparams, t->nresults);
    for (uint32_t i = 0; i < nargs; i++)
        if (args[i].type != t->params[i])
            return elvm__fail(err, ELVM_ARG, "argument %u: expected %s, got %s", i,
                              elvm_valtype_name(t->params[i]), elvm_valtype_name(args[i].type));
    slot *base = s->frame_top == s->frames ? s->stack : s->stack_top;
    uint32_t need = 0, k = 0;
    for (uint32_t i = 0; i < nargs; i++) need += elvm__slots_of(t->params[i]);
    uint32_t rneed = 0;
    for (uint32_t i = 0; i < nresults; i++) rneed += elvm__slots_of(t->results[i]);
    if (rneed > need) need = rneed;
    if (base + need > s->stack_end) {
        elvm__trap_set(s, ELVM_TRAP_STACK_EXHAUSTED, NULL);
        elvm__fail(err, ELVM_TRAP, "%s", s->trap_msg);
        if (err) err->trap = ELVM_TRAP_STACK_EXHAUSTED;
        return ELVM_TRAP;
    }
    for (uint32_t i = 0; i < nargs; i++) {
        elvm__val_to_slots(args[i], base + k);
        k += elvm__slots_of(t->params[i]);
    }
    slot *saved_top = s->stack_top;
    elvm_status st = elvm__run(s, f, base, err);
    s->stack_top = saved_top;
    if (st != ELVM_OK) return st;
    k = 0;
    for (uint32_t i = 0; i < nresults; i++) {
        results[i] = elvm__slots_to_val(base + k, t->results[i]);
        k += elvm__slots_of(t->results[i]);
    }
    return ELVM_OK;
}

/* ---- memories (spec 4.5.3.9) -------------------------------------------------------------------- */

elvm_memory *elvm_memory_new(elvm_store *s, elvm_limits limits) {
    uint64_t max_pages = limits.has_max ? limits.max : ELVM_MAX_PAGES;
    if (max_pages > ELVM_MAX_PAGES) max_pages = ELVM_MAX_PAGES;
    if (limits.min > max_pages) return NULL;
    uint64_t bytes = limits.min * (uint64_t)ELVM_PAGE_SIZE;
    if (s->mem_limit && bytes > s->mem_limit) {
        s->mem_limit_hits++;
        return NULL;
    }
    elvm_memory *m = elvm__calloc(1, sizeof *m);
    if (!m) return NULL;
    /* Reserve the largest size the memory may reach, so its base never moves; with
     * guard pages, every address code can form (the rest stays inaccessible). */
    m->reserved = s->engine->guard ? ELVM_GUARD_RESERVE + ELVM_PAGE_SIZE
                  : max_pages     ? max_pages * (uint64_t)ELVM_PAGE_SIZE
                                  : ELVM_PAGE_SIZE;
    void *p = mmap(NULL, m->reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        elvm__free(m);
        return NULL;
    }
    m->data = p;
    if (bytes && mprotect(p, bytes, PROT_READ | PROT_WRITE) != 0) {
        munmap(p, m->reserved);
        elvm__free(m);
        return NULL;
    }
    if (!elvm__store_track(s, OBJ_MEMORY, m)) {
        munmap(p, m->reserved);
        elvm__free(m);
        return NULL;
    }
    m->size = bytes;
    m->limits = limits;
    m->store = s;
    if (bytes > s->peak_mem) s->peak_mem = bytes;
    return m;
}

int64_t elvm__memory_grow(elvm_memory *m, uint64_t delta) {
    uint64_t old = m->size / ELVM_PAGE_SIZE;
    if (delta == 0) return (int64_t)old;
    uint64_t max = m->limits.has_max ? m->limits.max : ELVM_MAX_PAGES;
    if (max > ELVM_MAX_PAGES) max = ELVM_MAX_PAGES;
    if (delta > max || old + delta > max) return -1;
    uint64_t bytes = (old + delta) * ELVM_PAGE_SIZE;
    if (m->store->mem_limit && bytes > m->store->mem_limit) {
        m->store->mem_limit_hits++;
        return -1;
    }
    if (bytes > m->reserved) return -1;
    if (mprotect(m->data + m->size, bytes - m->size, PROT_READ | PROT_WRITE) != 0) return -1;
    m->size = bytes;
    if (bytes > m->store->peak_mem) m->store->peak_mem = bytes;
    return (int64_t)old;
}

uint8_t *elvm_memory_data(elvm_memory *m) { return m->data; }
uint64_t elvm_memory_size(const elvm_memory *m) { return m->size; }
int64_t elvm_memory_grow(elvm_memory *m, uint64_t delta) { return elvm__memory_grow(m, delta); }

void elvm_memory_type(const elvm_memory *m, elvm_externtype *out) {
    memset(out, 0, sizeof *out);
    out->kind = ELVM_EXTERN_MEMORY;
    out->limits = m->limits;
    out->limits.min = m->size / ELVM_PAGE_SIZE;
}

/* ---- tables ---------------------------------------------------------------------------------- */

elvm_table *elvm_table_new(elvm_store *s, elvm_valtype reftype, elvm_limits limits, elvm_val init) {
    if (limits.min > ELVM_MAX_TABLE_ELEMS) return NULL;
    elvm_table *t = elvm__calloc(1, sizeof *t);
    if (!t) return NULL;
    t->elems = elvm__calloc(limits.min ? limits.min : 1, sizeof(void *));
    if (!t->elems || !elvm__store_track(s, OBJ_TABLE, t)) {
        elvm__free(t->elems);
        elvm__free(t);
        return NULL;
    }
    t->type = reftype;
    t->limits = limits;
    t->size = (uint32_t)limits.min;
    void *ref = elvm__val_to_slot(init).ref;
    for (uint32_t i = 0; i < t->size; i++) t->elems[i] = ref;
    return t;
}

int64_t elvm__table_grow(elvm_table *t, uint64_t delta, void *init) {
    uint64_t old = t->size;
    uint64_t max = t->limits.has_max ? t->limits.max : UINT32_MAX;
    if (old + delta > max || old + delta > ELVM_MAX_TABLE_ELEMS) return -1;
    if (delta == 0) return (int64_t)old;
    void **e = elvm__realloc(t->elems, (old + delta) * sizeof(void *));
    if (!e) return -1;
    for (uint64_t i = old; i < old + delta; i++) e[i] = init;
    t->elems = e;
    t->size = (uint32_t)(old + delta);
    return (int64_t)old;
}

uint32_t elvm_table_size(const elvm_table *t) { return t->size; }

elvm_status elvm_table_get(const elvm_table *t, uint32_t i, elvm_val *out) {
    if (i >= t->size) return ELVM_TRAP;
    slot s;
    s.ref = t->elems[i];
    *out = elvm__slot_to_val(s, t->type);
    return ELVM_OK;
}

elvm_status elvm_table_set(elvm_table *t, uint32_t i, elvm_val v) {
    if (v.type != t->type) return ELVM_ARG;
    if (i >= t->size) return ELVM_TRAP;
    t->elems[i] = elvm__val_to_slot(v).ref;
    return ELVM_OK;
}

void elvm_table_type(const elvm_table *t, elvm_externtype *out) {
    memset(out, 0, sizeof *out);
    out->kind = ELVM_EXTERN_TABLE;
    out->valtype = t->type;
    out->limits = t->limits;
    out->limits.min = t->size;
}

/* ---- globals ----------------------------------------------------------------------------------- */

/* v128 globals keep their high half in val_hi */
static void global_write(elvm_global *g, elvm_val v) {
    slot s[2] = {{.u64 = 0}, {.u64 = 0}};
    elvm__val_to_slots(v, s);
    g->val = s[0];
    g->val_hi = s[1];
}

elvm_global *elvm_global_new(elvm_store *s, elvm_val init, int mutable_) {
    elvm_global *g = elvm__calloc(1, sizeof *g);
    if (!g || !elvm__store_track(s, OBJ_GLOBAL, g)) {
        elvm__free(g);
        return NULL;
    }
    g->type.type = init.type;
    g->type.mut = mutable_ != 0;
    global_write(g, init);
    return g;
}

void elvm_global_get(const elvm_global *g, elvm_val *out) {
    slot v[2] = {g->val, g->val_hi};
    *out = elvm__slots_to_val(v, g->type.type);
}

elvm_status elvm_global_set(elvm_global *g, elvm_val v) {
    if (!g->type.mut || v.type != g->type.type) return ELVM_ARG;
    global_write(g, v);
    return ELVM_OK;
}

void elvm_global_type(const elvm_global *g, elvm_externtype *out) {
    memset(out, 0, sizeof *out);
    out->kind = ELVM_EXTERN_GLOBAL;
    out->valtype = g->type.type;
    out->mutable_ = g->type.mut;
}
