/* dump.c: prints a function's threaded code, one instruction a line, for `elvm inspect
 * --code` and for anyone tuning the compiler. */
#include <stdio.h>

#include "runtime.h"

static const char *const handler_names[H__COUNT] = {
#define OP_SPECIAL(n, c)
#define OP_UN(n, c, a, r) [H_##n] = #n,
#define OP_BIN(n, c, a, r) [H_##n] = #n, [H_##n##_IMM] = #n "_IMM",
#define OP_LOAD(n, c, t, b) [H_##n] = #n, [H_##n##_ADD] = #n "_ADD", [H_##n##_ADDI] = #n "_ADDI", \
    [H_##n##_G] = #n "_G", [H_##n##_ADD_G] = #n "_ADD_G", [H_##n##_ADDI_G] = #n "_ADDI_G",
#define OP_STORE(n, c, t, b) [H_##n] = #n, [H_##n##_IMM] = #n "_IMM", \
    [H_##n##_ADD] = #n "_ADD", [H_##n##_ADDI] = #n "_ADDI", [H_##n##_G] = #n "_G", \
    [H_##n##_IMM_G] = #n "_IMM_G", [H_##n##_ADD_G] = #n "_ADD_G", [H_##n##_ADDI_G] = #n "_ADDI_G",
#include "opcodes.def"
#undef OP_SPECIAL
#undef OP_UN
#undef OP_BIN
#undef OP_LOAD
#undef OP_STORE
#define ELVM_X(n) [H_##n] = #n,
    ELVM_INTERNAL_OPS(ELVM_X)
#undef ELVM_X
#define ELVM_X(n, f, op, inv) [H_BR_##n] = "BR_" #n, [H_BR_##n##_IMM] = "BR_" #n "_IMM", \
    [H_BR_##n##_F] = "BR_" #n "_F", [H_BR_##n##_IMM_F] = "BR_" #n "_IMM_F",
    ELVM_CMP_OPS(ELVM_X)
#undef ELVM_X
#define SIMD(n, c, k, x, t) [H_##n] = #n,
#define SIMD_INTERNAL(n) [H_##n] = #n,
#include "simd.def"
#define OP_SPECIAL(n, c)
#define OP_UN(n, c, a, r) [H_##n##_R] = #n "_R", [H_##n##_RA] = #n "_RA", \
    [H_##n##_RA_R] = #n "_RA_R",
#define OP_BIN(n, c, a, r) [H_##n##_R] = #n "_R", [H_##n##_RA] = #n "_RA", \
    [H_##n##_RA_R] = #n "_RA_R", [H_##n##_IMM_R] = #n "_IMM_R", \
    [H_##n##_IMM_RA] = #n "_IMM_RA", [H_##n##_IMM_RA_R] = #n "_IMM_RA_R",
#define OP_LOAD(n, c, t, b) [H_##n##_R] = #n "_R", [H_##n##_ADD_R] = #n "_ADD_R", \
    [H_##n##_ADDI_R] = #n "_ADDI_R", [H_##n##_G_R] = #n "_G_R", \
    [H_##n##_ADD_G_R] = #n "_ADD_G_R", [H_##n##_ADDI_G_R] = #n "_ADDI_G_R", \
    [H_##n##_RA] = #n "_RA", [H_##n##_RA_R] = #n "_RA_R", [H_##n##_G_RA] = #n "_G_RA", \
    [H_##n##_G_RA_R] = #n "_G_RA_R",
#define OP_STORE(n, c, t, b) [H_##n##_RV] = #n "_RV", [H_##n##_G_RV] = #n "_G_RV",
    [H_BR_IF_RA] = "BR_IF_RA", [H_BR_UNLESS_RA] = "BR_UNLESS_RA", [H_BR_IF_LOOP_RA] = "BR_IF_LOOP_RA",
    [H_BR_IF_RA_F] = "BR_IF_RA_F", [H_BR_UNLESS_RA_F] = "BR_UNLESS_RA_F",
#define ELVM_X(n, f, op, inv) [H_BR_##n##_RA] = "BR_" #n "_RA", \
    [H_BR_##n##_IMM_RA] = "BR_" #n "_IMM_RA", [H_BR_##n##_RA_F] = "BR_" #n "_RA_F", \
    [H_BR_##n##_IMM_RA_F] = "BR_" #n "_IMM_RA_F",
    ELVM_CMP_OPS(ELVM_X)
#undef ELVM_X
#include "opcodes.def"
#undef OP_SPECIAL
#undef OP_UN
#undef OP_BIN
#undef OP_LOAD
#undef OP_STORE
};

/* SIMD instructions: cells by kind (layouts in interp_simd.h) */
enum { SC_LOAD = 3, SC_STORE = 3, SC_LOAD_LANE = 4, SC_STORE_LANE = 4, SC_CONST = 4,
       SC_SHUFFLE = 5, SC_EXTRACT = 3, SC_REPLACE = 3, SC_SPLAT = 2, SC_UN = 2, SC_BIN = 3,
       SC_TERN = 3, SC_SHIFT = 3, SC_TEST = 2 };

static int handler_id(const void *h) {
    elvm_handler_map m = elvm__handler_map();
    for (int i = 0; i < H__COUNT; i++)
        if (elvm__handler_addr(m, (elvm_handler)i) == h) return i;
    return -1;
}

/* Cells per instruction: the handler cell plus its operands (see interp.c layouts). */
static size_t cells_of(int id, const cell *pc) {
    switch (id) {
    case H_UNREACHABLE: case H_NOP: case H_EXIT: case H_RETURN0: return 1;
    case H_BR: case H_BR_LOOP: case H_FUEL: case H_DATA_DROP: case H_ELEM_DROP: return 2;
    case H_COPY: case H_CALL: case H_CALL_F: case H_RETURN: case H_RETURN1: case H_GLOBAL_GET: case H_GLOBAL_SET:
    case H_MEMORY_SIZE: case H_MEMORY_GROW: case H_TABLE_SIZE: case H_REF_FUNC:
    case H_REF_IS_NULL: return 2;
    case H_BR_TABLE: return 2 + pc[1].s.b;
    case H_BR_TABLE_F: return 2 + 2 * (size_t)pc[1].s.b;
    case H_BR_F: case H_BR_LOOP_F: return 3;
    case H_CALL_LOCAL: case H_CALL_LOCAL_F: return 3;
    case H_BR_IF_F: case H_BR_UNLESS_F: case H_BR_IF_RA_F: case H_BR_UNLESS_RA_F: return 4;
    case H_TABLE_COPY: case H_TABLE_INIT: return 4;
    case H_V128_COPY: case H_V128_GLOBAL_GET: case H_V128_GLOBAL_SET: return 2;
#define SIMD(n, c, k, x, t) case H_##n: return SC_##k;
#include "simd.def"
    default: break;
    }
#define ELVM_X(n, f, op, inv)                                                  \
    if (id == H_BR_##n) return 3;                                              \
    if (id == H_BR_##n##_IMM || id == H_BR_##n##_F) return 4;                  \
    if (id == H_BR_##n##_IMM_F) return 5;                                      \
    if (id == H_BR_##n##_RA) return 3;                                         \
    if (id == H_BR_##n##_IMM_RA || id == H_BR_##n##_RA_F) return 4;           \
    if (id == H_BR_##n##_IMM_RA_F) return 5;
    ELVM_CMP_OPS(ELVM_X)
#undef ELVM_X
#define OP_SPECIAL(n, c)
#define OP_UN(n, c, a, r) if (id == H_##n || id == H_##n##_R || id == H_##n##_RA || id == H_##n##_RA_R) return 2;
#define OP_BIN(n, c, a, r)
#define OP_LOAD(n, c, t, b) \
    if (id == H_##n##_ADD || id == H_##n##_ADDI || id == H_##n##_ADD_G || id == H_##n##_ADDI_G || \
        id == H_##n##_ADD_R || id == H_##n##_ADDI_R || id == H_##n##_ADD_G_R || id == H_##n##_ADDI_G_R) return 4;
#define OP_STORE(n, c, t, b) \
    if (id == H_##n##_IMM || id == H_##n##_ADD || id == H_##n##_ADDI || id == H_##n##_IMM_G || \
        id == H_##n##_ADD_G || id == H_##n##_ADDI_G) return 4;
#include "opcodes.def"
#undef OP_SPECIAL
#undef OP_UN
#undef OP_BIN
#undef OP_LOAD
#undef OP_STORE
    return 3;
}

void elvm__dump_code(const elvm_module *m, uint32_t defidx, FILE *out) {
    const compiled_func *cf = m->funcs[defidx].code;
    if (!cf) return;
    fprintf(out, "func[%u]%s%s: %zu cells, params %u slots, locals %u slots, frame %u slots\n",
            m->nfunc_imports + defidx, m->funcs[defidx].name ? " " : "",
            m->funcs[defidx].name ? m->funcs[defidx].name : "", cf->ncells, cf->nparams,
            cf->nlocals, cf->frame_slots);
    if (m->lazy && cf->ncells == 0)
        fprintf(out, "  (not compiled yet: it compiles on its first call)\n");
    for (size_t i = 0; i < cf->ncells;) {
        const cell *pc = cf->code + i;
        int id = handler_id(pc->h);
        if (id < 0) {
            fprintf(out, "  %5zu: ??\n", i);
            i++;
            continue;
        }
        size_t n = cells_of(id, pc);
        fprintf(out, "  %5zu: %-20s", i, handler_names[id]);
        for (size_t k = 1; k < n && i + k < cf->ncells; k++) {
            const cell *c = &pc[k];
            if ((id == H_CALL_LOCAL || id == H_CALL_LOCAL_F) && k == 2)
                fprintf(out, " func[%u]", c->cf->funcidx);
            else if (c->target >= cf->code && c->target < cf->code + cf->ncells)
                fprintf(out, " ->%td", c->target - cf->code);
            else
                fprintf(out, " %u|%u", c->s.a, c->s.b);
        }
        fputc('\n', out);
        i += n;
    }
}
