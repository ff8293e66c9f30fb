/* internal.h: helpers shared by the files of vm/ (allocation, errors, byte order). */
#ifndef ELVM_INTERNAL_H
#define ELVM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "elvm.h"
#include "limits.h"

#define ELVM_HIDDEN __attribute__((visibility("hidden")))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "elvm assumes a little-endian host (wasm memory is little-endian)"
#endif

/* All of vm/ allocates through these, so a failing allocation can be injected in tests. */
ELVM_HIDDEN void *elvm__malloc(size_t n);
ELVM_HIDDEN void *elvm__calloc(size_t count, size_t size);
ELVM_HIDDEN void *elvm__realloc(void *p, size_t n);
ELVM_HIDDEN void elvm__free(void *p);
ELVM_HIDDEN char *elvm__strdup(const char *s);

/* Records a failure in `err` (may be NULL). Returns `status`. */
ELVM_HIDDEN elvm_status elvm__fail(elvm_error *err, elvm_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The byte size of a value type in frame slots (8 bytes each); v128 takes two. */
static inline uint32_t elvm__slots_of(elvm_valtype t) { return t == ELVM_V128 ? 2 : 1; }
static inline bool elvm__is_reftype(elvm_valtype t) {
    return t == ELVM_FUNCREF || t == ELVM_EXTERNREF;
}

#endif
