/* module.c: elvm_module_new (decode, validate, compile), module-level validation
 * (spec 3.4) and the module's description for embedders. */
#include <stdio.h>
#include <stdlib.h>

#include "runtime.h"

bool elvm__functype_eq(const functype *a, const functype *b) {
    return a == b || (a->nparams == b->nparams && a->nresults == b->nresults &&
                      memcmp(a->params, b->params,
                             (a->nparams + a->nresults) * sizeof(elvm_valtype)) == 0);
}

const functype *elvm__module_functype(const elvm_module *m, uint32_t funcidx) {
    return &m->types[m->types[m->func_types[funcidx]].canon];
}

/* ---- module-level validation -------------------------------------------------------------- */

#define INVALID(...) return elvm__fail(err, ELVM_INVALID, __VA_ARGS__)

static elvm_status check_limits(const elvm_limits *l, uint64_t maxval, const char *what,
                                elvm_error *err) {
    if (l->min > maxval)
        INVALID("%s size must be at most %llu", what, (unsigned long long)maxval);
    if (l->has_max && l->max > maxval)
        INVALID("%s size must be at most %llu", what, (unsigned long long)maxval);
    if (l->has_max && l->min > l->max) INVALID("size minimum must not be greater than maximum");
    return ELVM_OK;
}

/* A constant expression of type `want` (spec 3.3.10), in a context where only imported
 * globals are visible (Wasm 2.0). Errors name the place as "(`what` `index`)", formatted
 * only then: a valid module takes no printf (its first use costs a process ~25 us). */
static elvm_status check_const(const elvm_module *m, const constexpr_ *e, elvm_valtype want,
                               const char *what, uint32_t index, elvm_error *err) {
    if (e->op == OP_UNREACHABLE) INVALID("constant expression required (%s %u)", what, index);
    if (e->op == OP_NOP)
        INVALID("type mismatch: constant expression needs one value (%s %u)", what, index);
    elvm_valtype t = e->type;
    if (e->op == OP_GLOBAL_GET) {
        if (e->value >= m->nglobal_imports)
            INVALID("unknown global %llu (%s %u)", (unsigned long long)e->value, what, index);
        if (m->globals[e->value].mut)
            INVALID("constant expression required (%s %u: mutable global)", what, index);
        t = m->globals[e->value].type;
    } else if (e->op == OP_REF_FUNC) {
        if (e->value >= m->nfuncs)
            INVALID("unknown function %llu (%s %u)", (unsigned long long)e->value, what, index);
    }
    if (t != want)
        INVALID("type mismatch: expected %s, got %s (%s %u)", elvm_valtype_name(want),
                elvm_valtype_name(t), what, index);
    return ELVM_OK;
}

#define TRY(x) do { elvm_status st_ = (x); if (st_ != ELVM_OK) return st_; } while (0)

elvm_status elvm__validate_module(elvm_module *m, elvm_error *err) {
    for (uint32_t i = 0; i < m->nfuncs; i++)
        if (m->func_types[i] >= m->ntypes) INVALID("unknown type %u (function %u)", m->func_types[i], i);
    for (uint32_t i = 0; i < m->ntables; i++)
        TRY(check_limits(&m->tables[i].limits, UINT32_MAX, "table", err));
    if (m->nmems > ELVM_MAX_MEMORIES) INVALID("multiple memories");
    for (uint32_t i = 0; i < m->nmems; i++) {
        if (m->mems[i].min > ELVM_MAX_PAGES || (m->mems[i].has_max && m->mems[i].max > ELVM_MAX_PAGES))
            INVALID("memory size must be at most 65536 pages (4GiB)");
        TRY(check_limits(&m->mems[i], ELVM_MAX_PAGES, "memory", err));
    }
    for (uint32_t i = 0; i < m->nglobals - m->nglobal_imports; i++) {
        TRY(check_const(m, &m->global_defs[i].init, m->global_defs[i].type.type, "global",
                        m->nglobal_imports + i, err));
    }
    for (uint32_t i = 0; i < m->nexports; i++) {
        const export_ *e = &m->exports[i];
        static const char *kinds[] = {"function", "table", "memory", "global"};
        uint32_t limit = e->kind == ELVM_EXTERN_FUNC ? m->nfuncs
                       : e->kind == ELVM_EXTERN_TABLE ? m->ntables
                       : e->kind == ELVM_EXTERN_MEMORY ? m->nmems : m->nglobals;
        if (e->index >= limit) INVALID("unknown %s %u (export \"%s\")", kinds[e->kind], e->index, e->name);
        for (uint32_t k = 0; k < i; k++)
            if (m->exports[k].name_len == e->name_len &&
                memcmp(m->exports[k].name, e->name, e->name_len) == 0)
                INVALID("duplicate export name \"%s\"", e->name);
    }
    if (m->has_start) {
        if (m->start >= m->nfuncs) INVALID("unknown function %u (start)", m->start);
        const functype *t = &m->types[m->func_types[m->start]];
        if (t->nparams || t->nresults) INVALID("start function must have type [] -> []");
    }
    for (uint32_t i = 0; i < m->nelems; i++) {
        const elem_seg *s = &m->elems[i];
        if (s->mode == SEG_ACTIVE) {
            if (s->table >= m->ntables) INVALID("unknown table %u (element segment %u)", s->table, i);
            TRY(check_const(m, &s->offset, ELVM_I32, "element segment", i, err));
            if (m->tables[s->table].reftype != s->reftype)
                INVALID("type mismatch: element segment %u does not fit its table", i);
        }
        for (uint32_t k = 0; k < s->count; k++)
            TRY(check_const(m, &s->items[k], s->reftype, "element segment", i, err));
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const data_seg *d = &m->datas[i];
        if (d->mode == SEG_ACTIVE) {
            if (d->memory >= m->nmems) INVALID("unknown memory %u (data segment %u)", d->memory, i);
            TRY(check_const(m, &d->offset, ELVM_I32, "data segment", i, err));
        }
    }
    return ELVM_OK;
}

/* ---- module life cycle ------------------------------------------------------------------- */

/* elvm_module_new's copy is released as any buffer given to elvm_module_new_take. */
static void free_copy(uint8_t *bytes, size_t len, void *ud) {
    (void)len;
    (void)ud;
    elvm__free(bytes);
}

elvm_module *elvm_module_new(elvm_engine *engine, const uint8_t *bytes, size_t len,
                             elvm_error *err) {
    if (len > ELVM_MAX_MODULE_BYTES) {
        elvm__fail(err, ELVM_LIMIT, "module too large (%zu bytes)", len);
        return NULL;
    }
    uint8_t *copy = elvm__malloc(len);
    if (!copy) {
        elvm__fail(err, ELVM_NOMEM, "out of memory");
        return NULL;
    }
    if (len) memcpy(copy, bytes, len); /* bytes may be NULL when len is 0 */
    return elvm_module_new_take(engine, copy, len, free_copy, NULL, err);
}

elvm_module *elvm_module_new_take(elvm_engine *engine, uint8_t *bytes, size_t len,
                                  elvm_bytes_release release, void *ud, elvm_error *err) {
    elvm_module *m = NULL;
    if (len > ELVM_MAX_MODULE_BYTES)
        elvm__fail(err, ELVM_LIMIT, "module too large (%zu bytes)", len);
    else if (!(m = elvm__calloc(1, sizeof *m)))
        elvm__fail(err, ELVM_NOMEM, "out of memory");
    if (!m) {
        if (release) release(bytes, len, ud);
        return NULL;
    }
    m->bytes = bytes;
    m->len = len;
    m->release = release;
    m->release_ud = ud;
    m->refcount = 1;
    m->engine = engine;
    elvm_status st = elvm__decode(m, err);
    if (st == ELVM_OK) st = elvm__validate_module(m, err);
    if (st == ELVM_OK) st = elvm__compile_all(m, err);
    /* The spec decodes the whole module before validating it: a malformed body later
     * on wins over an invalid one earlier. */
    if (st == ELVM_INVALID) elvm__scan_malformed(m, err);
    if (st != ELVM_OK) {
        elvm_module_free(m);
        return NULL;
    }
    return m;
}


void elvm_module_free(elvm_module *m) {
    if (!m || --m->refcount > 0) return;
    elvm__compiled_free(m);
    elvm__arena_free(&m->arena); /* everything decoding made */
    if (m->release) m->release(m->bytes, m->len, m->release_ud);
    elvm__free(m);
}

/* ---- description -------------------------------------------------------------------------- */

static void externtype_of(const elvm_module *m, elvm_extern_kind kind, uint32_t index,
                          elvm_externtype *out) {
    memset(out, 0, sizeof *out);
    out->kind = kind;
    switch (kind) {
    case ELVM_EXTERN_FUNC: {
        const functype *t = &m->types[m->func_types[index]];
        out->nparams = t->nparams;
        out->nresults = t->nresults;
        out->params = t->params;
        out->results = t->results;
        break;
    }
    case ELVM_EXTERN_TABLE:
        out->valtype = m->tables[index].reftype;
        out->limits = m->tables[index].limits;
        break;
    case ELVM_EXTERN_MEMORY: out->limits = m->mems[index]; break;
    case ELVM_EXTERN_GLOBAL:
        out->valtype = m->globals[index].type;
        out->mutable_ = m->globals[index].mut;
        break;
    }
}

uint32_t elvm_module_num_imports(const elvm_module *m) { return m->nimports; }

void elvm_module_import(const elvm_module *m, uint32_t i, elvm_import_desc *out) {
    const import_ *im = &m->imports[i];
    out->module = im->module;
    out->name = im->name;
    out->module_len = im->module_len;
    out->name_len = im->name_len;
    if (im->kind == ELVM_EXTERN_FUNC) {
        /* imports take the first function indexes, in order */
        uint32_t fi = 0;
        for (uint32_t k = 0; k < i; k++) fi += m->imports[k].kind == ELVM_EXTERN_FUNC;
        externtype_of(m, ELVM_EXTERN_FUNC, fi, &out->type);
    } else {
        externtype_of(m, im->kind, im->index, &out->type);
    }
}

uint32_t elvm_module_num_exports(const elvm_module *m) { return m->nexports; }

void elvm_module_export(const elvm_module *m, uint32_t i, elvm_export_desc *out) {
    out->name = m->exports[i].name;
    out->name_len = m->exports[i].name_len;
    externtype_of(m, m->exports[i].kind, m->exports[i].index, &out->type);
}

void elvm_module_stats_get(const elvm_module *m, elvm_module_stats *out) {
    /* a lazily compiled module's code_bytes grows under its lock (compile.c) */
    if (m->lazy) pthread_mutex_lock(&m->lazy->lock);
    *out = m->stats;
    if (m->lazy) pthread_mutex_unlock(&m->lazy->lock);
}

uint32_t elvm_module_num_types(const elvm_module *m) { return m->ntypes; }

void elvm_module_type(const elvm_module *m, uint32_t i, elvm_externtype *out) {
    const functype *t = &m->types[i];
    memset(out, 0, sizeof *out);
    out->kind = ELVM_EXTERN_FUNC;
    out->nparams = t->nparams;
    out->nresults = t->nresults;
    out->params = t->params;
    out->results = t->results;
}

const char *elvm_module_func_name(const elvm_module *m, uint32_t funcidx) {
    if (funcidx < m->nfunc_imports || funcidx >= m->nfuncs) return NULL;
    return m->funcs[funcidx - m->nfunc_imports].name;
}
