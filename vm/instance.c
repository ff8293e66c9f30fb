/* instance.c: instantiation (spec 4.5.4): import matching, allocation of the module's
 * own functions, tables, memories and globals, segment initialization, start. */
#include <stdio.h>
#include <stdlib.h>

#include "limits.h"
#include "runtime.h"

/* Limits subtyping (spec 4.5.2.1 "import matching"): the import is at least as large and
 * at most as growable as declared. */
static bool limits_match(elvm_limits have, elvm_limits want) {
    if (have.min < want.min) return false;
    if (want.has_max) {
        if (!have.has_max || have.max > want.max) return false;
    }
    return true;
}

static const char *kind_name(elvm_extern_kind k) {
    static const char *n[] = {"function", "table", "memory", "global"};
    return n[k];
}

static elvm_status match_import(const elvm_module *m, uint32_t i, const elvm_extern *ext,
                                elvm_error *err) {
    const import_ *im = &m->imports[i];
    elvm_import_desc want;
    elvm_module_import(m, i, &want);
    if (ext->kind != im->kind)
        return elvm__fail(err, ELVM_UNLINKABLE, "incompatible import type: \"%s\" \"%s\" must be a %s, got a %s",
                          im->module, im->name, kind_name(im->kind), kind_name(ext->kind));
    elvm_externtype have;
    bool ok = true;
    switch (ext->kind) {
    case ELVM_EXTERN_FUNC: {
        const functype *ft = &m->types[m->types[im->index].canon];
        ok = ext->of.func && elvm__functype_eq(ext->of.func->type, ft);
        break;
    }
    case ELVM_EXTERN_TABLE:
        elvm_table_type(ext->of.table, &have);
        ok = have.valtype == want.type.valtype && limits_match(have.limits, want.type.limits);
        break;
    case ELVM_EXTERN_MEMORY:
        elvm_memory_type(ext->of.memory, &have);
        ok = limits_match(have.limits, want.type.limits);
        break;
    case ELVM_EXTERN_GLOBAL:
        elvm_global_type(ext->of.global, &have);
        ok = have.valtype == want.type.valtype && have.mutable_ == want.type.mutable_;
        break;
    }
    if (!ok)
        return elvm__fail(err, ELVM_UNLINKABLE, "incompatible import type: \"%s\" \"%s\" (%s of another type)",
                          im->module, im->name, kind_name(im->kind));
    return ELVM_OK;
}

/* Value of a validated constant expression in the instance being built. */
static slot eval_const(elvm_instance *inst, const constexpr_ *e) {
    slot s;
    s.u64 = 0;
    switch (e->op) {
    case OP_GLOBAL_GET: s = inst->globals[e->value]->val; break;
    case OP_REF_FUNC: s.ref = inst->funcs[e->value]; break;
    case OP_REF_NULL: s.ref = NULL; break;
    default: s.u64 = e->value; break;
    }
    return s;
}

/* The high half of a v128 constant expression (v128.const, or global.get of a v128). */
static slot eval_const_hi(elvm_instance *inst, const constexpr_ *e) {
    slot s;
    s.u64 = e->op == OP_GLOBAL_GET ? inst->globals[e->value]->val_hi.u64 : e->value_hi;
    return s;
}

static elvm_instance *fail_nomem(elvm_error *err) {
    elvm__fail(err, ELVM_NOMEM, "out of memory while instantiating");
    return NULL;
}

elvm_instance *elvm_instance_new(elvm_store *s, elvm_module *m, const elvm_extern *imports,
                                 uint32_t nimports, elvm_error *err) {
    /* Code compiled for guard pages trusts every memory to have them: modules, stores and
     * memories must come from one engine. */
    if (m->engine->guard != s->engine->guard) {
        elvm__fail(err, ELVM_ARG, "module and store come from engines with different bounds checks");
        return NULL;
    }
    for (uint32_t i = 0; i < nimports; i++)
        if (imports[i].kind == ELVM_EXTERN_MEMORY && imports[i].of.memory->store != s) {
            elvm__fail(err, ELVM_UNLINKABLE, "incompatible import type: memory %u belongs to another store", i);
            return NULL;
        }
    if (nimports != m->nimports) {
        elvm__fail(err, ELVM_UNLINKABLE, "module has %u imports, %u given", m->nimports, nimports);
        return NULL;
    }
    for (uint32_t i = 0; i < nimports; i++)
        if (match_import(m, i, &imports[i], err) != ELVM_OK) return NULL;

    elvm_instance *inst = elvm__calloc(1, sizeof *inst);
    if (!inst) return fail_nomem(err);
    if (!elvm__store_track(s, OBJ_INSTANCE, inst)) {
        elvm__free(inst);
        return fail_nomem(err);
    }
    m->refcount++;
    inst->store = s;
    inst->module = m;
    uint32_t ndef = m->nfuncs - m->nfunc_imports;
    inst->funcs = elvm__calloc(m->nfuncs, sizeof(elvm_func *));
    inst->tables = elvm__calloc(m->ntables, sizeof(elvm_table *));
    inst->mems = elvm__calloc(m->nmems, sizeof(elvm_memory *));
    inst->globals = elvm__calloc(m->nglobals, sizeof(elvm_global *));
    inst->elem_dropped = elvm__calloc(m->nelems, sizeof(bool));
    inst->data_dropped = elvm__calloc(m->ndatas, sizeof(bool));
    inst->elem_items = elvm__calloc(m->nelems, sizeof(void **));
    inst->own_funcs = elvm__calloc(ndef, sizeof(elvm_func));
    if (!inst->funcs || !inst->tables || !inst->mems || !inst->globals || !inst->elem_dropped ||
        !inst->data_dropped || !inst->elem_items || !inst->own_funcs)
        return fail_nomem(err);

    uint32_t nf = 0, nt = 0, nm = 0, ng = 0;
    for (uint32_t i = 0; i < nimports; i++) {
        switch (imports[i].kind) {
        case ELVM_EXTERN_FUNC: inst->funcs[nf++] = imports[i].of.func; break;
        case ELVM_EXTERN_TABLE: inst->tables[nt++] = imports[i].of.table; break;
        case ELVM_EXTERN_MEMORY: inst->mems[nm++] = imports[i].of.memory; break;
        case ELVM_EXTERN_GLOBAL: inst->globals[ng++] = imports[i].of.global; break;
        }
    }
    for (uint32_t i = 0; i < ndef; i++) {
        elvm_func *f = &inst->own_funcs[i];
        f->type = elvm__module_functype(m, nf);
        f->inst = inst;
        f->code = m->funcs[i].code;
        f->funcidx = nf;
        inst->funcs[nf++] = f;
    }
    for (; nt < m->ntables; nt++) {
        elvm_val null = {.type = m->tables[nt].reftype};
        if (m->tables[nt].limits.min > ELVM_MAX_TABLE_ELEMS) {
            elvm__fail(err, ELVM_LIMIT, "table %u: its initial %llu elements are over elvm's limit of %u",
                       nt, (unsigned long long)m->tables[nt].limits.min, ELVM_MAX_TABLE_ELEMS);
            return NULL;
        }
        inst->tables[nt] = elvm_table_new(s, m->tables[nt].reftype, m->tables[nt].limits, null);
        if (!inst->tables[nt]) {
            elvm__fail(err, ELVM_NOMEM, "cannot allocate table %u (%llu elements)", nt,
                       (unsigned long long)m->tables[nt].limits.min);
            return NULL;
        }
    }
    for (; nm < m->nmems; nm++) {
        uint64_t hits = s->mem_limit_hits;
        inst->mems[nm] = elvm_memory_new(s, m->mems[nm]);
        if (!inst->mems[nm] && s->mem_limit_hits != hits) {
            elvm__fail(err, ELVM_LIMIT,
                       "memory %u: its initial %llu pages (%llu bytes) are over the memory limit "
                       "of %llu bytes", nm, (unsigned long long)m->mems[nm].min,
                       (unsigned long long)(m->mems[nm].min * ELVM_PAGE_SIZE),
                       (unsigned long long)s->mem_limit);
            return NULL;
        }
        if (!inst->mems[nm]) {
            elvm__fail(err, ELVM_NOMEM, "cannot allocate memory %u (%llu pages)", nm,
                       (unsigned long long)m->mems[nm].min);
            return NULL;
        }
    }
    for (uint32_t i = 0; ng < m->nglobals; ng++, i++) {
        const global_def *g = &m->global_defs[i];
        slot sv[2] = {eval_const(inst, &g->init), eval_const_hi(inst, &g->init)};
        elvm_val v = elvm__slots_to_val(sv, g->type.type);
        inst->globals[ng] = elvm_global_new(s, v, g->type.mut);
        if (!inst->globals[ng]) return fail_nomem(err);
    }
    for (uint32_t i = 0; i < m->nelems; i++) {
        const elem_seg *seg = &m->elems[i];
        inst->elem_items[i] = elvm__calloc(seg->count, sizeof(void *));
        if (!inst->elem_items[i]) return fail_nomem(err);
        for (uint32_t k = 0; k < seg->count; k++)
            inst->elem_items[i][k] = eval_const(inst, &seg->items[k]).ref;
    }

    /* Active segments, in order; one that does not fit traps and leaves earlier ones
     * written (spec 4.5.4 steps 14-15, as table.init / memory.init then drop). */
    for (uint32_t i = 0; i < m->nelems; i++) {
        const elem_seg *seg = &m->elems[i];
        if (seg->mode == SEG_PASSIVE) continue;
        inst->elem_dropped[i] = true;
        if (seg->mode == SEG_DECLARATIVE) continue;
        elvm_table *t = inst->tables[seg->table];
        uint64_t off = eval_const(inst, &seg->offset).u32;
        if (off + seg->count > t->size) {
            elvm__trap_set(s, ELVM_TRAP_TABLE_OOB, NULL);
            elvm__fail(err, ELVM_UNINSTANTIABLE, "%s (element segment %u)", s->trap_msg, i);
            if (err) err->trap = ELVM_TRAP_TABLE_OOB;
            return NULL;
        }
        memcpy(t->elems + off, inst->elem_items[i], seg->count * sizeof(void *));
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const data_seg *seg = &m->datas[i];
        if (seg->mode != SEG_ACTIVE) continue;
        inst->data_dropped[i] = true;
        elvm_memory *mem = inst->mems[seg->memory];
        uint64_t off = eval_const(inst, &seg->offset).u32;
        if (off + seg->len > mem->size) {
            elvm__trap_set(s, ELVM_TRAP_MEMORY_OOB, NULL);
            elvm__fail(err, ELVM_UNINSTANTIABLE, "%s (data segment %u)", s->trap_msg, i);
            if (err) err->trap = ELVM_TRAP_MEMORY_OOB;
            return NULL;
        }
        if (seg->len) memcpy(mem->data + off, seg->bytes, seg->len);
    }
    if (m->has_start) {
        elvm_status st = elvm_func_call(s, inst->funcs[m->start], NULL, 0, NULL, 0, err);
        if (st == ELVM_TRAP) {
            if (err) err->status = ELVM_UNINSTANTIABLE;
            return NULL;
        }
        if (st != ELVM_OK) return NULL;
    }
    return inst;
}

int elvm_instance_export(const elvm_instance *inst, const char *name, elvm_extern *out) {
    return elvm_instance_export_n(inst, name, strlen(name), out);
}

int elvm_instance_export_n(const elvm_instance *inst, const char *name, size_t len,
                           elvm_extern *out) {
    const elvm_module *m = inst->module;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const export_ *e = &m->exports[i];
        if (e->name_len != len || memcmp(e->name, name, len) != 0) continue;
        out->kind = e->kind;
        switch (e->kind) {
        case ELVM_EXTERN_FUNC: out->of.func = inst->funcs[e->index]; break;
        case ELVM_EXTERN_TABLE: out->of.table = inst->tables[e->index]; break;
        case ELVM_EXTERN_MEMORY: out->of.memory = inst->mems[e->index]; break;
        case ELVM_EXTERN_GLOBAL: out->of.global = inst->globals[e->index]; break;
        }
        return 1;
    }
    return 0;
}

const elvm_module *elvm_instance_module(const elvm_instance *inst) { return inst->module; }
