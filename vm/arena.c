/* arena.c: a bump allocator for objects that live and die together, such as a module's
 * decoded parts (its types, imports, function records and names: a module of 100,000
 * functions has that many small arrays). One elvm__malloc per block instead of one per
 * object, the objects packed together, and one free of each block at the end. */
#include <stdalign.h>

#include "internal.h"

struct arena_block {
    struct arena_block *next;
    size_t used, cap; /* bytes of data[] */
    bool own;         /* one large object's block, not one to bump in */
    alignas(16) unsigned char data[];
};

enum {
    ARENA_FIRST = 4096 - 64, /* bytes of the first block's data: one page with its header */
    ARENA_MAX = 256 << 10,   /* blocks double up to this */
};

#define ARENA_ALIGN ((size_t)16)

void *elvm__arena_alloc(elvm_arena *a, size_t n) {
    if (n == 0) n = 1;
    if (n > SIZE_MAX - ARENA_ALIGN - sizeof(struct arena_block)) return NULL;
    n = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
    struct arena_block *b = a->head; /* the block to bump in, or a large object's */
    if (b && b->cap - b->used >= n) {
        void *p = b->data + b->used;
        b->used += n;
        memset(p, 0, n);
        return p;
    }
    size_t next = b && !b->own ? b->cap * 2 : ARENA_FIRST;
    if (next > ARENA_MAX) next = ARENA_MAX;
    if (n > next / 4) {
        /* a large object gets a block of its own, behind the head, whose room stays in use */
        struct arena_block *own = elvm__malloc(sizeof *own + n);
        if (!own) return NULL;
        own->used = own->cap = n;
        own->own = true;
        if (b) {
            own->next = b->next;
            b->next = own;
        } else {
            own->next = NULL;
            a->head = own;
        }
        memset(own->data, 0, n);
        return own->data;
    }
    struct arena_block *nb = elvm__malloc(sizeof *nb + next);
    if (!nb) return NULL;
    nb->next = b;
    nb->own = false;
    nb->cap = next;
    nb->used = n;
    a->head = nb;
    memset(nb->data, 0, n);
    return nb->data;
}

void elvm__arena_free(elvm_arena *a) {
    for (struct arena_block *b = a->head, *next; b; b = next) {
        next = b->next;
        elvm__free(b);
    }
    a->head = NULL;
}
