/* alloc.c: the allocator the static elvm gives the library (elvm_set_allocator). Blocks
 * are cut in order from one zero-filled region of REGION bytes, and once it is used up
 * they come from the C library. On these VMs each fresh page costs a page fault of
 * ~20 us, and musl's malloc keeps each size class in pages of its own: a hello-world run
 * made ~60 allocations in ~25 classes, and took 38 page faults (29 from a region), 1.81 ms
 * from spawn to exit (1.63 ms from a region; 401 alternating runs).
 *
 * A freed block is given back only if it is the newest one (a growing array that moves
 * leaves its old copy behind), so at most REGION bytes are ever held unused: it is a
 * start-up region, not a heap. Big zeroed blocks (a store's value stack) go to the C
 * library's calloc, which gives untouched zero pages. Thread-safe (one lock). Not used by
 * elvm-dyn, which `make memcheck` runs, or by sanitizer builds: their tools watch the C
 * library's allocator. */
#include <pthread.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
    REGION = 256 << 10, /* bytes */
    HDR = 16,           /* before each block: its size in bytes (keeps 16-byte alignment) */
};

static alignas(16) unsigned char region[REGION];
static size_t top = 0;              /* bytes of the region handed out, headers included */
static size_t high = 0;             /* the most `top` has been: past it all is still zero */
static size_t newest = (size_t)-1;  /* offset of the newest block's header, or none */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static bool in_region(const void *p) {
    return (uintptr_t)p - (uintptr_t)region < (uintptr_t)REGION;
}

static size_t block_size(const void *p) {
    size_t n;
    memcpy(&n, (const unsigned char *)p - HDR, sizeof n);
    return n;
}

static size_t rounded(size_t n) { return HDR + ((n + 15) & ~(size_t)15); }

/* `n` bytes from the region, or NULL if it has no room. Under the lock. */
static void *cut(size_t n) {
    if (n > REGION - HDR || rounded(n) > REGION - top) return NULL;
    unsigned char *h = region + top;
    memcpy(h, &n, sizeof n);
    newest = top;
    top += rounded(n);
    if (top > high) high = top;
    return h + HDR;
}

/* Like cut, zeroed: only what lies below the high-water mark can have been written, the
 * rest stays untouched (as calloc's fresh pages would). Under the lock. */
static void *cut_zeroed(size_t n) {
    size_t written = high;
    unsigned char *p = cut(n);
    if (!p) return NULL;
    size_t from = (size_t)(p - region);
    if (from < written) memset(p, 0, (written < from + n ? written : from + n) - from);
    return p;
}

static void *r_malloc(size_t n, void *ud) {
    (void)ud;
    pthread_mutex_lock(&lock);
    void *p = cut(n);
    pthread_mutex_unlock(&lock);
    return p ? p : malloc(n);
}

static void *r_calloc(size_t count, size_t size, void *ud) {
    (void)ud;
    if (size && count > (size_t)-1 / size) return NULL;
    pthread_mutex_lock(&lock);
    void *p = cut_zeroed(count * size);
    pthread_mutex_unlock(&lock);
    return p ? p : calloc(count, size);
}

static void r_free(void *p, void *ud) {
    (void)ud;
    if (!in_region(p)) {
        free(p);
        return;
    }
    pthread_mutex_lock(&lock);
    if ((size_t)((unsigned char *)p - HDR - region) == newest) {
        top = newest;
        newest = (size_t)-1;
    }
    pthread_mutex_unlock(&lock);
}

static void *r_realloc(void *p, size_t n, void *ud) {
    if (!in_region(p)) return realloc(p, n);
    size_t old = block_size(p);
    size_t at = (size_t)((unsigned char *)p - HDR - region);
    pthread_mutex_lock(&lock);
    bool in_place = n <= old ||
                    (at == newest && n <= REGION - HDR && rounded(n) <= REGION - at);
    if (in_place && at == newest) top = at + rounded(n > old ? n : old);
    if (top > high) high = top;
    if (in_place && n > old) memcpy(region + at, &n, sizeof n);
    pthread_mutex_unlock(&lock);
    if (in_place) return p;
    void *q = r_malloc(n, ud);
    if (!q) return NULL;
    memcpy(q, p, old);
    r_free(p, ud);
    return q;
}

void cli_alloc_install(void) {
    static const elvm_allocator a = {r_malloc, r_realloc, r_free, NULL, r_calloc};
    elvm_set_allocator(&a);
}
