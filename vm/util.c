/* util.c: allocation, error records and the static names of statuses, traps and types. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

void *elvm__malloc(size_t n) { return malloc(n ? n : 1); }
void *elvm__calloc(size_t count, size_t size) { return calloc(count ? count : 1, size ? size : 1); }
void *elvm__realloc(void *p, size_t n) { return realloc(p, n ? n : 1); }
void elvm__free(void *p) { free(p); }

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
