/* util.c: allocation, error records and the static names of statuses, traps and types. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

/* The embedder's allocator (elvm_set_allocator), or none: the C library's, called
 * directly so large zeroed blocks (value stacks) keep calloc's untouched pages. */
static elvm_allocator hook;
static bool hooked;

void elvm_set_allocator(const elvm_allocator *a) {
    hooked = a != NULL;
    if (a) hook = *a;
}

void *elvm__malloc(size_t n) {
    if (!n) n = 1;
    return hooked ? hook.malloc(n, hook.ud) : malloc(n);
}

void *elvm__calloc(size_t count, size_t size) {
    if (!count) count = 1;
    if (!size) size = 1;
    if (!hooked) return calloc(count, size);
    if (hook.calloc) return hook.calloc(count, size, hook.ud);
    if (count > SIZE_MAX / size) return NULL;
    void *p = hook.malloc(count * size, hook.ud);
    if (p) memset(p, 0, count * size);
    return p;
}

void *elvm__realloc(void *p, size_t n) {
    if (!n) n = 1;
    if (!hooked) return realloc(p, n);
    return p ? hook.realloc(p, n, hook.ud) : hook.malloc(n, hook.ud);
}

void elvm__free(void *p) {
    if (!hooked) free(p);
    else if (p) hook.free(p, hook.ud);
}

char *elvm__strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = elvm__malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

elvm_status elvm__fail(elvm_error *err, elvm_status status, const char *fmt, ...) {
    if (!err) return status;
    err->status = status;
    err->trap = ELVM_TRAP_NONE;
    err->exit_code = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return status;
}

const char *elvm_strerror(elvm_status status) {
    switch (status) {
#define ELVM_X(n, t) case ELVM_##n: return t;
        ELVM_STATUS_LIST(ELVM_X)
#undef ELVM_X
    }
    return "unknown status";
}

const char *elvm_trap_message(elvm_trap_kind kind) {
    switch (kind) {
#define ELVM_X(n, t) case ELVM_TRAP_##n: return t;
        ELVM_TRAP_LIST(ELVM_X)
#undef ELVM_X
    }
    return "unknown trap";
}

const char *elvm_valtype_name(elvm_valtype t) {
    switch (t) {
    case ELVM_I32: return "i32";
    case ELVM_I64: return "i64";
    case ELVM_F32: return "f32";
    case ELVM_F64: return "f64";
    case ELVM_V128: return "v128";
    case ELVM_FUNCREF: return "funcref";
    case ELVM_EXTERNREF: return "externref";
    }
    return "?";
}
