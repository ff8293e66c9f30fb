/* decode.c: the binary format (spec 5): sections into an elvm_module. Function bodies
 * are only located here; compile.c decodes and validates their instructions. */
#include <stdio.h>
#include <stdlib.h>

#include "module.h"

/* opcode of a byte (index < 0x100), of 0xFC nn (index 0x100 + nn) or of 0xFD nn (index
 * 0x200 + nn); 0 is "illegal" */
static const uint16_t opcode_index[0x300] = {
#define IDX(c) ((c) > 0xFF ? 0x100 + ((c)&0xFF) : (c))
#define OP_SPECIAL(n, c) [IDX(c)] = OP_##n + 1,
#define OP_UN(n, c, a, r) [IDX(c)] = OP_##n + 1,
#define OP_BIN(n, c, a, r) [IDX(c)] = OP_##n + 1,
#define OP_LOAD(n, c, t, b) [IDX(c)] = OP_##n + 1,
#define OP_STORE(n, c, t, b) [IDX(c)] = OP_##n + 1,
#include "opcodes.def"
#undef OP_SPECIAL
#undef OP_UN
#undef OP_BIN
#undef OP_LOAD
#undef OP_STORE
#undef IDX
#define SIMD(n, c, k, x, t) [0x200 + (c)] = OP_##n + 1,
#include "simd.def"
};

elvm_opcode elvm__r_opcode(reader *r) {
    uint8_t b = elvm__r_u8(r);
    unsigned idx = b;
    if (b == 0xFC || b == 0xFD) {
        uint32_t sub = elvm__r_u32(r);
        if (sub > 0xFF) elvm__rfail(r, ELVM_MALFORMED, "illegal opcode 0x%02x %u", b, sub);
        idx = (b == 0xFC ? 0x100 : 0x200) + sub;
    }
    if (!opcode_index[idx]) {
        if (b == 0xFC || b == 0xFD)
            elvm__rfail(r, ELVM_MALFORMED, "illegal opcode 0x%02x %u", b, idx & 0xFF);
        r->p--;
        elvm__rfail(r, ELVM_MALFORMED, "illegal opcode 0x%02x", b);
    }
    return (elvm_opcode)(opcode_index[idx] - 1);
}

static void zero_byte(reader *r) {
    if (elvm__r_u8(r) != 0) {
        r->p--;
        elvm__rfail(r, ELVM_MALFORMED, "zero byte expected");
    }
}

void elvm__skip_immediates(reader *r, elvm_opcode op) {
    switch (op) {
    case OP_BLOCK: case OP_LOOP: case OP_IF: {
        uint8_t b = r->p < r->end ? *r->p : 0;
        if (b == 0x40) r->p++;
        else if (b >= 0x40 && b < 0x80) elvm__r_valtype(r);
        else if (elvm__r_s33(r) < 0) elvm__rfail(r, ELVM_MALFORMED, "malformed block type");
        break;
    }
    case OP_BR: case OP_BR_IF: case OP_CALL: case OP_REF_FUNC: case OP_LOCAL_GET:
    case OP_LOCAL_SET: case OP_LOCAL_TEE: case OP_GLOBAL_GET: case OP_GLOBAL_SET:
    case OP_TABLE_GET: case OP_TABLE_SET: case OP_DATA_DROP: case OP_ELEM_DROP:
    case OP_TABLE_GROW: case OP_TABLE_SIZE: case OP_TABLE_FILL:
        elvm__r_u32(r);
        break;
    case OP_BR_TABLE: {
        uint32_t n = elvm__r_u32(r);
        for (uint32_t i = 0; i <= n; i++) elvm__r_u32(r);
        break;
    }
    case OP_CALL_INDIRECT: case OP_TABLE_INIT: case OP_TABLE_COPY:
        elvm__r_u32(r);
        elvm__r_u32(r);
        break;
    case OP_REF_NULL: elvm__r_reftype(r); break;
    case OP_SELECT_T: {
        uint32_t n = elvm__r_u32(r);
        for (uint32_t i = 0; i < n; i++) elvm__r_valtype(r);
        break;
    }
    case OP_MEMORY_SIZE: case OP_MEMORY_GROW: case OP_MEMORY_FILL: zero_byte(r); break;
    case OP_MEMORY_COPY: zero_byte(r); zero_byte(r); break;
    case OP_MEMORY_INIT: elvm__r_u32(r); zero_byte(r); break;
    case OP_I32_CONST: elvm__r_s32(r); break;
    case OP_I64_CONST: elvm__r_s64(r); break;
    case OP_F32_CONST: elvm__r_bytes(r, 4); break;
    case OP_F64_CONST: elvm__r_bytes(r, 8); break;
#define OP_SPECIAL(n, c)
#define OP_UN(n, c, a, b)
#define OP_BIN(n, c, a, b)
#define OP_LOAD(n, c, t, b) case OP_##n:
#define OP_STORE(n, c, t, b) case OP_##n:
#include "opcodes.def"
#undef OP_SPECIAL
#undef OP_UN
#undef OP_BIN
#undef OP_LOAD
#undef OP_STORE
        elvm__r_u32(r);
        elvm__r_u32(r);
        break;
    /* SIMD: memarg, memarg and lane, 16 bytes, or a lane (simd.def) */
#define SKIP_LOAD() elvm__r_u32(r); elvm__r_u32(r)
#define SKIP_STORE() SKIP_LOAD()
#define SKIP_LOAD_LANE() SKIP_LOAD(); elvm__r_u8(r)
#define SKIP_STORE_LANE() SKIP_LOAD_LANE()
#define SKIP_CONST() elvm__r_bytes(r, 16)
#define SKIP_SHUFFLE() elvm__r_bytes(r, 16)
#define SKIP_EXTRACT() elvm__r_u8(r)
#define SKIP_REPLACE() elvm__r_u8(r)
#define SKIP_SPLAT()
#define SKIP_UN()
#define SKIP_BIN()
#define SKIP_TERN()
#define SKIP_SHIFT()
#define SKIP_TEST()
#define SIMD(n, c, k, x, t) case OP_##n: SKIP_##k(); break;
#include "simd.def"
    default: break;
    }
}

/* ---- helpers --------------------------------------------------------------------------- */

/* Zeroed room for `count` objects in the module's arena, freed with the module; unwinds
 * on failure. */
static void *r_alloc(reader *r, elvm_module *m, size_t count, size_t size) {
    void *p = count > SIZE_MAX / size ? NULL : elvm__arena_alloc(&m->arena, count * size);
    if (!p) elvm__rfail(r, ELVM_NOMEM, "out of memory");
    return p;
}

/* A vector length, checked against a limit and against the bytes left (each element
 * takes at least `min_elem` bytes), so a huge count cannot cause a huge allocation. */
static uint32_t r_count(reader *r, uint32_t limit, size_t min_elem, const char *what) {
    uint32_t n = elvm__r_u32(r);
    if (min_elem && (uint64_t)n * min_elem > (uint64_t)(r->end - r->p))
        elvm__rfail(r, ELVM_MALFORMED, "unexpected end (%u %s)", n, what);
    if (n > limit) elvm__rfail(r, ELVM_LIMIT, "too many %s (%u, limit %u)", what, n, limit);
    return n;
}

static bool utf8_valid(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) { i++; continue; }
        uint32_t cp;
        size_t len;
        if ((c & 0xE0) == 0xC0) { cp = c & 0x1F; len = 2; }
        else if ((c & 0xF0) == 0xE0) { cp = c & 0x0F; len = 3; }
        else if ((c & 0xF8) == 0xF0) { cp = c & 0x07; len = 4; }
        else return false;
        if (i + len > n) return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
            return false; /* overlong */
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

/* A name (spec 5.2.4): its `*len` bytes, checked, where they are in the binary. */
static const uint8_t *r_name_bytes(reader *r, uint32_t *len) {
    uint32_t n = elvm__r_u32(r);
    *len = n;
    if (n > ELVM_MAX_NAME_BYTES) elvm__rfail(r, ELVM_LIMIT, "name too long (%u bytes)", n);
    if (n > (size_t)(r->end - r->p)) elvm__rfail(r, ELVM_MALFORMED, "length out of bounds");
    const uint8_t *s = elvm__r_bytes(r, n);
    if (!utf8_valid(s, n)) elvm__rfail(r, ELVM_MALFORMED, "malformed UTF-8 encoding");
    return s;
}

/* A name as a NUL-terminated copy in the module's arena. */
static char *r_name(reader *r, elvm_module *m, uint32_t *len) {
    uint32_t n;
    const uint8_t *s = r_name_bytes(r, &n);
    if (len) *len = n;
    char *out = r_alloc(r, m, (size_t)n + 1, 1);
    memcpy(out, s, n);
    return out;
}

static elvm_limits r_limits(reader *r, uint32_t maxval) {
    elvm_limits l = {0, 0, 0};
    uint8_t flag = elvm__r_u8(r);
    if (flag > 1) {
        r->p--;
        elvm__rfail(r, ELVM_MALFORMED, "integer too large (limits flag 0x%02x)", flag);
    }
    l.min = elvm__r_u32(r);
    if (flag == 1) {
        l.has_max = 1;
        l.max = elvm__r_u32(r);
    }
    (void)maxval;
    return l;
}

static tabletype r_tabletype(reader *r) {
    tabletype t;
    t.reftype = elvm__r_reftype(r);
    t.limits = r_limits(r, UINT32_MAX);
    return t;
}

static globaltype r_globaltype(reader *r) {
    globaltype g;
    g.type = elvm__r_valtype(r);
    uint8_t m = elvm__r_u8(r);
    if (m > 1) {
        r->p--;
        elvm__rfail(r, ELVM_MALFORMED, "malformed mutability");
    }
    g.mut = m;
    return g;
}

/* A constant expression (spec 3.3.10): records the single instruction; anything else
 * is left for validation to reject ("constant expression required" / "type mismatch"). */

static constexpr_ r_constexpr(reader *r, elvm_module *m, bool *bad_type_or_nonconst) {
    constexpr_ e = {OP_NOP, 0, 0, 0};
    uint32_t count = 0;
    bool nonconst = false;
    for (;;) {
        elvm_opcode op = elvm__r_opcode(r);
        if (op == OP_END) break;
        count++;
        switch (op) {
        case OP_I32_CONST: e.value = (uint32_t)elvm__r_s32(r); e.type = ELVM_I32; break;
        case OP_I64_CONST: e.value = (uint64_t)elvm__r_s64(r); e.type = ELVM_I64; break;
        case OP_F32_CONST: {
            uint32_t v; memcpy(&v, elvm__r_bytes(r, 4), 4); e.value = v; e.type = ELVM_F32;
            break;
        }
        case OP_F64_CONST: memcpy(&e.value, elvm__r_bytes(r, 8), 8); e.type = ELVM_F64; break;
        case OP_V128_CONST: {
            const uint8_t *b = elvm__r_bytes(r, 16);
            memcpy(&e.value, b, 8);
            memcpy(&e.value_hi, b + 8, 8);
            e.type = ELVM_V128;
            break;
        }
        case OP_GLOBAL_GET: e.value = elvm__r_u32(r); e.type = 0; break;
        case OP_REF_NULL: e.type = elvm__r_reftype(r); break;
        case OP_REF_FUNC:
            e.value = elvm__r_u32(r);
            e.type = ELVM_FUNCREF;
            if (m->func_declared && e.value < m->nfuncs) m->func_declared[e.value] = true;
            break;
        default:
            nonconst = true;
            elvm__skip_immediates(r, op);
            break;
        }
        if (count == 1) e.op = op;
    }
    /* validation reads these two facts through the op field: */
    if (nonconst) e.op = OP_UNREACHABLE;       /* "constant expression required" */
    else if (count != 1) e.op = OP_NOP;        /* "type mismatch" */
    *bad_type_or_nonconst = nonconst || count != 1;
    return e;
}

/* ---- sections ---------------------------------------------------------------------- */

static void sec_type(reader *r, elvm_module *m) {
    uint32_t n = r_count(r, ELVM_MAX_TYPES, 3, "types");
    m->types = r_alloc(r, m, n, sizeof *m->types);
    m->ntypes = n;
    for (uint32_t i = 0; i < m->ntypes; i++) {
        uint8_t form = elvm__r_u8(r);
        if (form != 0x60) {
            r->p--;
            elvm__rfail(r, ELVM_MALFORMED, "integer representation too long (type form 0x%02x)", form);
        }
        functype *t = &m->types[i];
        uint32_t np = r_count(r, ELVM_MAX_PARAMS, 1, "parameters");
        /* the parameters are checked, then read again into the array that has room for
         * the results too (no 4 KB buffer on the stack, a page fault of its own) */
        reader params = *r;
        for (uint32_t k = 0; k < np; k++) elvm__r_valtype(r);
        uint32_t nr = r_count(r, ELVM_MAX_PARAMS, 1, "results");
        t->params = r_alloc(r, m, np + nr, sizeof(elvm_valtype));
        for (uint32_t k = 0; k < np; k++) t->params[k] = elvm__r_valtype(&params);
        for (uint32_t k = 0; k < nr; k++) t->params[np + k] = elvm__r_valtype(r);
        t->nparams = np;
        t->nresults = nr;
        t->results = t->params + np;
        t->canon = i;
        for (uint32_t k = 0; k < i; k++)
            if (elvm__functype_eq(&m->types[k], t)) { t->canon = k; break; }
    }
}

static void sec_import(reader *r, elvm_module *m) {
    uint32_t n = r_count(r, ELVM_MAX_IMPORTS, 4, "imports");
    m->imports = r_alloc(r, m, n, sizeof *m->imports);
    m->nimports = n;
    /* the imported types go straight into the module, which frees them on error */
    tabletype *tt = m->tables = r_alloc(r, m, m->nimports, sizeof *tt);
    elvm_limits *ml = m->mems = r_alloc(r, m, m->nimports, sizeof *ml);
    globaltype *gt = m->globals = r_alloc(r, m, m->nimports, sizeof *gt);
    uint32_t nt = 0, nm = 0, ng = 0, nf = 0;
    for (uint32_t i = 0; i < m->nimports; i++) {
        import_ *im = &m->imports[i];
        im->module = r_name(r, m, &im->module_len);
        im->name = r_name(r, m, &im->name_len);
        uint8_t kind = elvm__r_u8(r);
        switch (kind) {
        case 0: im->kind = ELVM_EXTERN_FUNC; im->index = elvm__r_u32(r); nf++; break;
        case 1: im->kind = ELVM_EXTERN_TABLE; tt[nt] = r_tabletype(r); im->index = nt++; break;
        case 2: im->kind = ELVM_EXTERN_MEMORY; ml[nm] = r_limits(r, 0); im->index = nm++; break;
        case 3: im->kind = ELVM_EXTERN_GLOBAL; gt[ng] = r_globaltype(r); im->index = ng++; break;
        default:
            r->p--;
            elvm__rfail(r, ELVM_MALFORMED, "malformed import kind 0x%02x", kind);
        }
    }
    m->nfunc_imports = nf;
    m->ntable_imports = m->ntables = nt;
    m->nmem_imports = m->nmems = nm;
    m->nglobal_imports = m->nglobals = ng;
    m->func_types = r_alloc(r, m, nf, sizeof(uint32_t));
    m->nfuncs = nf;
    for (uint32_t i = 0, k = 0; i < m->nimports; i++)
        if (m->imports[i].kind == ELVM_EXTERN_FUNC) m->func_types[k++] = m->imports[i].index;
}

/* The imports' part of an index space followed by room for the definitions (the old
 * array stays in the arena, unused) */
static void *grow_array(reader *r, elvm_module *m, void *old, size_t oldn, size_t addn,
                        size_t size) {
    void *p = r_alloc(r, m, oldn + addn, size);
    if (oldn) memcpy(p, old, oldn * size);
    return p;
}

static void sec_function(reader *r, elvm_module *m) {
    uint32_t n = r_count(r, ELVM_MAX_FUNCS, 1, "functions");
    m->func_types = grow_array(r, m, m->func_types, m->nfuncs, n, sizeof(uint32_t));
    m->funcs = r_alloc(r, m, n, sizeof(func_def));
    for (uint32_t i = 0; i < n; i++) {
        uint32_t t = elvm__r_u32(r);
        m->func_types[m->nfuncs + i] = t;
        m->funcs[i].typeidx = t;
    }
    m->nfuncs += n;
}

static void sec_table(reader *r, elvm_module *m) {
    uint32_t n = r_count(r, ELVM_MAX_TABLES, 2, "tables");
    m->tables = grow_array(r, m, m->tables, m->ntables, n, sizeof(tabletype));
    for (uint32_t i = 0; i < n; i++) m->tables[m->ntables + i] = r_tabletype(r);
    m->ntables += n;
}

static void sec_memory(reader *r, elvm_module *m) {
    uint32_t n = r_count(r, ELVM_MAX_TABLES, 2, "memories");
    m->mems = grow_array(r, m, m->mems, m->nmems, n, sizeof(elvm_limits));
    for (uint32_t i = 0; i < n; i++) m->mems[m->nmems + i] = r_limits(r, 0);
    m->nmems += n;
}

static void sec_global(reader *r, elvm_module *m) {
    uint32_t n = r_count(r, ELVM_MAX_GLOBALS, 3, "globals");
    m->globals = grow_array(r, m, m->globals, m->nglobals, n, sizeof(globaltype));
    m->global_defs = r_alloc(r, m, n, sizeof(global_def));
    for (uint32_t i = 0; i < n; i++) {
        global_def *g = &m->global_defs[i];
        bool bad;
        g->type = r_globaltype(r);
        g->init = r_constexpr(r, m, &bad);
        m->globals[m->nglobals + i] = g->type;
    }
    m->nglobals += n;
}

static void sec_export(reader *r, elvm_module *m) {
    uint32_t n = r_count(r, ELVM_MAX_EXPORTS, 3, "exports");
    m->exports = r_alloc(r, m, n, sizeof(export_));
    m->nexports = n;
    for (uint32_t i = 0; i < m->nexports; i++) {
        export_ *e = &m->exports[i];
        e->name = r_name(r, m, &e->name_len);
        uint8_t kind = elvm__r_u8(r);
        if (kind > 3) {
            r->p--;
            elvm__rfail(r, ELVM_MALFORMED, "malformed export kind 0x%02x", kind);
        }
        e->kind = (elvm_extern_kind)kind;
        e->index = elvm__r_u32(r);
        if (e->kind == ELVM_EXTERN_FUNC && e->index < m->nfuncs) m->func_declared[e->index] = true;
    }
}

static void sec_elem(reader *r, elvm_module *m) {
    uint32_t n = r_count(r, ELVM_MAX_SEGMENTS, 1, "element segments");
    m->elems = r_alloc(r, m, n, sizeof(elem_seg));
    m->nelems = n;
    for (uint32_t i = 0; i < m->nelems; i++) {
        elem_seg *s = &m->elems[i];
        uint32_t flags = elvm__r_u32(r);
        if (flags > 7) elvm__rfail(r, ELVM_MALFORMED, "malformed elements segment kind %u", flags);
        bool bad;
        s->mode = (flags & 1) ? ((flags & 2) ? SEG_DECLARATIVE : SEG_PASSIVE) : SEG_ACTIVE;
        s->table = 0;
        if (s->mode == SEG_ACTIVE) {
            if (flags & 2) s->table = elvm__r_u32(r);
            s->offset = r_constexpr(r, m, &bad);
        }
        bool exprs = flags & 4;
        s->reftype = ELVM_FUNCREF;
        if (flags & 3) { /* explicit elemkind / reftype */
            if (exprs) s->reftype = elvm__r_reftype(r);
            else {
                uint8_t k = elvm__r_u8(r);
                if (k != 0) {
                    r->p--;
                    elvm__rfail(r, ELVM_MALFORMED, "malformed element kind 0x%02x", k);
                }
            }
        }
        s->count = r_count(r, ELVM_MAX_TABLE_ELEMS, 1, "elements");
        s->items = r_alloc(r, m, s->count, sizeof(constexpr_));
        for (uint32_t k = 0; k < s->count; k++) {
            if (exprs) s->items[k] = r_constexpr(r, m, &bad);
            else {
                uint32_t f = elvm__r_u32(r);
                s->items[k] = (constexpr_){OP_REF_FUNC, f, ELVM_FUNCREF, 0};
                if (f < m->nfuncs) m->func_declared[f] = true;
            }
        }
    }
}

static void sec_code(reader *r, elvm_module *m) {
    uint32_t ndefs = m->nfuncs - m->nfunc_imports;
    uint32_t n = elvm__r_u32(r);
    if (n != ndefs)
        elvm__rfail(r, ELVM_MALFORMED, "function and code section have inconsistent lengths");
    for (uint32_t i = 0; i < n; i++) {
        func_def *f = &m->funcs[i];
        r->funcidx = (int32_t)(m->nfunc_imports + i);
        uint32_t size = elvm__r_u32(r);
        if (size > (size_t)(r->end - r->p)) elvm__rfail(r, ELVM_MALFORMED, "unexpected end");
        reader b = *r;
        b.end = r->p + size;
        r->p += size;
        /* locals: count the total first, refusing more than the limit (spec: < 2^32) */
        uint32_t ngroups = r_count(&b, ELVM_MAX_LOCALS, 2, "local groups");
        const uint8_t *groups = b.p;
        uint64_t total = 0;
        for (uint32_t g = 0; g < ngroups; g++) {
            total += elvm__r_u32(&b);
            elvm__r_valtype(&b);
            if (total > UINT32_MAX) elvm__rfail(&b, ELVM_MALFORMED, "too many locals");
        }
        const functype *t = f->typeidx < m->ntypes ? &m->types[f->typeidx] : NULL;
        uint32_t np = t ? t->nparams : 0;
        if (total + np > ELVM_MAX_LOCALS)
            elvm__rfail(&b, ELVM_LIMIT, "too many locals (%llu with the parameters, limit %u)",
                        (unsigned long long)(total + np), ELVM_MAX_LOCALS);
        f->nlocals = (uint32_t)total;
        f->local_types = r_alloc(r, m, np + total, sizeof(elvm_valtype));
        if (t) memcpy(f->local_types, t->params, np * sizeof(elvm_valtype));
        b.p = groups;
        for (uint32_t g = 0, k = np; g < ngroups; g++) {
            uint32_t c = elvm__r_u32(&b);
            elvm_valtype vt = elvm__r_valtype(&b);
            for (uint32_t j = 0; j < c; j++) f->local_types[k++] = vt;
        }
        f->body = b.p;
        f->body_end = b.end;
        f->body_offset = (uint32_t)(b.p - m->bytes);
    }
    r->funcidx = -1;
}

static void sec_data(reader *r, elvm_module *m) {
    uint32_t n = r_count(r, ELVM_MAX_SEGMENTS, 1, "data segments");
    if (m->has_datacount && m->datacount != n)
        elvm__rfail(r, ELVM_MALFORMED, "data count and data section have inconsistent lengths");
    m->datas = r_alloc(r, m, n, sizeof(data_seg));
    m->ndatas = n;
    for (uint32_t i = 0; i < m->ndatas; i++) {
        data_seg *d = &m->datas[i];
        uint32_t flags = elvm__r_u32(r);
        bool bad;
        if (flags > 2) elvm__rfail(r, ELVM_MALFORMED, "malformed data segment kind %u", flags);
        d->mode = flags == 1 ? SEG_PASSIVE : SEG_ACTIVE;
        d->memory = flags == 2 ? elvm__r_u32(r) : 0;
        if (d->mode == SEG_ACTIVE) d->offset = r_constexpr(r, m, &bad);
        d->len = elvm__r_u32(r);
        if (d->len > (size_t)(r->end - r->p))
            elvm__rfail(r, ELVM_MALFORMED, "unexpected end of section or function");
        d->bytes = elvm__r_bytes(r, d->len);
    }
}

/* The custom "name" section: function names for backtraces. A broken name section is
 * ignored, as the spec asks of custom sections; running out of memory is not. */
static void sec_names(reader *outer, elvm_module *m) {
    jmp_buf jb;
    reader r = *outer;
    elvm_error scratch;
    r.fail = &jb;
    r.err = &scratch;
    if (setjmp(jb)) {
        if (scratch.status == ELVM_NOMEM) elvm__rfail(outer, ELVM_NOMEM, "out of memory");
        return;
    }
    while (r.p < r.end) {
        uint8_t id = elvm__r_u8(&r);
        uint32_t size = elvm__r_u32(&r);
        const uint8_t *start = elvm__r_bytes(&r, size);
        if (id != 1) continue;
        reader s = r;
        s.p = start;
        s.end = start + size;
        uint32_t n = elvm__r_u32(&s);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t idx = elvm__r_u32(&s);
            if (idx >= m->nfunc_imports && idx < m->nfuncs && !m->funcs[idx - m->nfunc_imports].name)
                m->funcs[idx - m->nfunc_imports].name = r_name(&s, m, NULL);
            else
                r_name_bytes(&s, &(uint32_t){0});
        }
    }
}

static const char *section_name(uint8_t id) {
    static const char *names[] = {"custom section", "type section", "import section",
        "function section", "table section", "memory section", "global section",
        "export section", "start section", "element section", "code section",
        "data section", "data count section"};
    return id < 13 ? names[id] : "unknown section";
}

/* Position of each section id in the required order (spec 5.5.2); data count sits
 * between element and code. */
static int section_rank(uint8_t id) {
    static const int rank[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};
    return rank[id];
}

elvm_status elvm__decode(elvm_module *m, elvm_error *err) {
    jmp_buf jb;
    reader r = {m->bytes, m->bytes + m->len, m->bytes, &jb, err, "module header", -1};
    if (setjmp(jb)) return err ? err->status : ELVM_MALFORMED;

    static const uint8_t magic[4] = {0, 'a', 's', 'm'}, version[4] = {1, 0, 0, 0};
    if (m->len < 4 || memcmp(m->bytes, magic, 4) != 0)
        elvm__rfail(&r, ELVM_MALFORMED, "magic header not detected");
    r.p += 4;
    if (m->len < 8 || memcmp(m->bytes + 4, version, 4) != 0)
        elvm__rfail(&r, ELVM_MALFORMED, "unknown binary version");
    r.p += 4;

    int last_rank = 0;
    bool have_funcs = false, have_code = false;
    m->func_declared = NULL;
    while (r.p < r.end) {
        r.where = "module";
        uint8_t id = elvm__r_u8(&r);
        if (id > 12) {
            r.p--;
            elvm__rfail(&r, ELVM_MALFORMED, "malformed section id %u", id);
        }
        uint32_t size = elvm__r_u32(&r);
        if (size > (size_t)(r.end - r.p))
            elvm__rfail(&r, ELVM_MALFORMED, "section size out of bounds (unexpected end)");
        reader s = r;
        s.end = r.p + size;
        s.where = section_name(id);
        m->stats.section_bytes[id] += size;
        if (id != 0) {
            if (section_rank(id) <= last_rank)
                elvm__rfail(&r, ELVM_MALFORMED, "unexpected content after last section (%s out of order)",
                            section_name(id));
            last_rank = section_rank(id);
        }
        if (!m->func_declared && id >= 6 && id != 12) {
            m->func_declared = r_alloc(&r, m, m->nfuncs, sizeof(bool));
        }
        switch (id) {
        case 0: {
            uint32_t n;
            const uint8_t *name = r_name_bytes(&s, &n);
            if (n == 4 && memcmp(name, "name", 4) == 0) sec_names(&s, m);
            s.p = s.end;
            break;
        }
        case 1: sec_type(&s, m); break;
        case 2: sec_import(&s, m); break;
        case 3: sec_function(&s, m); have_funcs = true; break;
        case 4: sec_table(&s, m); break;
        case 5: sec_memory(&s, m); break;
        case 6: sec_global(&s, m); break;
        case 7: sec_export(&s, m); break;
        case 8: m->has_start = true; m->start = elvm__r_u32(&s); break;
        case 9: sec_elem(&s, m); break;
        case 10: sec_code(&s, m); have_code = true; m->stats.wasm_code_bytes = size; break;
        case 11: sec_data(&s, m); break;
        case 12: m->has_datacount = true; m->datacount = elvm__r_u32(&s); break;
        }
        if (s.p != s.end) elvm__rfail(&s, ELVM_MALFORMED, "section size mismatch");
        r.p = s.end;
    }
    (void)have_funcs;
    if (!have_code && m->nfuncs > m->nfunc_imports)
        elvm__rfail(&r, ELVM_MALFORMED, "function and code section have inconsistent lengths");
    if (!m->func_declared) m->func_declared = r_alloc(&r, m, m->nfuncs, sizeof(bool));
    if (m->has_datacount && !m->datas && m->datacount != 0)
        elvm__rfail(&r, ELVM_MALFORMED, "data count and data section have inconsistent lengths");
    m->stats.num_funcs = m->nfuncs;
    m->stats.num_types = m->ntypes;
    return ELVM_OK;
}
