/* linker.c: name-based import resolution, (module, name) -> extern, for the CLI, WASI
 * and the spec runner. A plain list: import sections are small and looked up once. */
#include <stdio.h>
#include <stdlib.h>

#include "runtime.h"

typedef struct definition {
    char *module, *name;
    size_t module_len, name_len;
    elvm_extern ext;
} definition;

struct elvm_linker {
    elvm_store *store;
    definition *defs;
    size_t n, cap;
};

elvm_linker *elvm_linker_new(elvm_store *store) {
    elvm_linker *l = elvm__calloc(1, sizeof *l);
    if (l) l->store = store;
    return l;
}

void elvm_linker_free(elvm_linker *l) {
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) {
        elvm__free(l->defs[i].module);
        elvm__free(l->defs[i].name);
    }
    elvm__free(l->defs);
    elvm__free(l);
}

/* Names are byte strings that may contain NUL (spec 2.5.10), so they travel with lengths. */
static definition *find(const elvm_linker *l, const char *module, size_t mlen, const char *name,
                        size_t nlen) {
    for (size_t i = l->n; i-- > 0;) {
        const definition *d = &l->defs[i];
        if (d->module_len == mlen && d->name_len == nlen && memcmp(d->module, module, mlen) == 0 &&
            memcmp(d->name, name, nlen) == 0)
            return &l->defs[i];
    }
    return NULL;
}

static char *dup_n(const char *s, size_t n) {
    char *d = elvm__malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

static elvm_status define_n(elvm_linker *l, const char *module, size_t mlen, const char *name,
                            size_t nlen, elvm_extern ext) {
    definition *d = find(l, module, mlen, name, nlen);
    if (d) {
        d->ext = ext;
        return ELVM_OK;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        definition *defs = elvm__realloc(l->defs, cap * sizeof *defs);
        if (!defs) return ELVM_NOMEM;
        l->defs = defs;
        l->cap = cap;
    }
    d = &l->defs[l->n];
    d->module = dup_n(module, mlen);
    d->name = dup_n(name, nlen);
    d->module_len = mlen;
    d->name_len = nlen;
    if (!d->module || !d->name) {
        elvm__free(d->module);
        elvm__free(d->name);
        return ELVM_NOMEM;
    }
    d->ext = ext;
    l->n++;
    return ELVM_OK;
}

elvm_status elvm_linker_define(elvm_linker *l, const char *module, const char *name, elvm_extern ext) {
    return define_n(l, module, strlen(module), name, strlen(name), ext);
}

elvm_status elvm_linker_define_instance(elvm_linker *l, const char *module, const elvm_instance *inst) {
    const elvm_module *m = elvm_instance_module(inst);
    for (uint32_t i = 0; i < elvm_module_num_exports(m); i++) {
        elvm_export_desc d;
        elvm_extern ext;
        elvm_module_export(m, i, &d);
        elvm_instance_export_n(inst, d.name, d.name_len, &ext);
        elvm_status st = define_n(l, module, strlen(module), d.name, d.name_len, ext);
        if (st != ELVM_OK) return st;
    }
    return ELVM_OK;
}

int elvm_linker_get(const elvm_linker *l, const char *module, const char *name, elvm_extern *out) {
    definition *d = find(l, module, strlen(module), name, strlen(name));
    if (!d) return 0;
    *out = d->ext;
    return 1;
}

elvm_instance *elvm_linker_instantiate(elvm_linker *l, elvm_module *module, elvm_error *err) {
    uint32_t n = elvm_module_num_imports(module);
    elvm_extern *imports = elvm__calloc(n, sizeof *imports);
    if (!imports) {
        elvm__fail(err, ELVM_NOMEM, "out of memory");
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
        elvm_import_desc d;
        elvm_module_import(module, i, &d);
        definition *def = find(l, d.module, d.module_len, d.name, d.name_len);
        if (def) {
            imports[i] = def->ext;
        } else {
            elvm__fail(err, ELVM_UNLINKABLE, "unknown import: \"%s\" \"%s\" is not defined", d.module, d.name);
            elvm__free(imports);
            return NULL;
        }
    }
    elvm_instance *inst = elvm_instance_new(l->store, module, imports, n, err);
    elvm__free(imports);
    return inst;
}
