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

/* A bump allocator (arena.c) for objects freed all together, such as a module's decoded
 * parts. elvm__arena_alloc returns `n` zeroed bytes aligned to 16, or NULL if out of
 * memory; they stay valid until elvm__arena_free, which frees every block (the arena is
 * then empty and can be used again). A zeroed elvm_arena is an empty one. */
typedef struct elvm_arena {
    struct arena_block *head;
} elvm_arena;
ELVM_HIDDEN void *elvm__arena_alloc(elvm_arena *a, size_t n);
ELVM_HIDDEN void elvm__arena_free(elvm_arena *a);

/* Records a failure in `err` (may be NULL). Returns `status`. */
ELVM_HIDDEN elvm_status elvm__fail(elvm_error *err, elvm_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The byte size of a value type in frame slots (8 bytes each); v128 takes two. */
static inline uint32_t elvm__slots_of(elvm_valtype t) { return t == ELVM_V128 ? 2 : 1; }
static inline bool elvm__is_reftype(elvm_valtype t) {
    return t == ELVM_FUNCREF || t == ELVM_EXTERNREF;
}

#endif
