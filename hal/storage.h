/* storage.h: private to hal/ (and its host tests): the sealed object store behind
 * elastic:storage, usable without a guest.
 *
 * On disk, beneath the granted directory:
 *   NAME/.container   "ELVMSTC1", salt[16], check[32]: check = HMAC-SHA256(k_name,
 *                     "elvm-hal-storage v1 key-check"); a wrong sealing key (or a renamed
 *                     or tampered container) fails it: wrong-key.
 *   NAME/ID.obj       "ELVMSTO1", nonce[12], len u32 LE, then AES-256-GCM(k_data, nonce,
 *                     aad = those 24 header bytes || id[32]) of (u32 LE key length, key,
 *                     value) and the 16-byte tag. ID is the hex of
 *                     id = HMAC-SHA256(k_name, "obj:" || key), so names stay sealed too.
 *   (k_data || k_name) = HKDF-SHA256(sealing key, salt, "elvm-hal-storage v1 container:"
 *                        || NAME), 64 bytes.
 * Writes are atomic: a temp file (.tmp-*), fsync, rename over ID.obj, fsync of the
 * directory; a crash leaves the old or the new object, and stray temp files are removed
 * when the container is next opened. */
#ifndef ELVM_HAL_STORAGE_H
#define ELVM_HAL_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "hal_impl.h"

/* storage-error, in WIT order. */
enum {
    HAL_ST_NOT_GRANTED = 0,
    HAL_ST_INVALID_NAME = 1,
    HAL_ST_NOT_FOUND = 2,
    HAL_ST_ALREADY_EXISTS = 3,
    HAL_ST_WRONG_KEY = 4,
    HAL_ST_INTEGRITY_FAILURE = 5,
    HAL_ST_TOO_LARGE = 6,
    HAL_ST_IO_ERROR = 7,
};

typedef struct hal_container hal_container;

/* Each returns -1 on success or a storage-error. */
ELVM__HIDDEN int elvm__hal_container_open(elvm_hal *h, const char *name, int create,
                                          hal_container **out);
ELVM__HIDDEN void elvm__hal_container_close(hal_container *c);
ELVM__HIDDEN int elvm__hal_obj_put(elvm_hal *h, hal_container *c, const char *key,
                                   const uint8_t *value, size_t len);
/* *value is malloc'd (free it). */
ELVM__HIDDEN int elvm__hal_obj_get(elvm_hal *h, hal_container *c, const char *key,
                                   uint8_t **value, size_t *len);
ELVM__HIDDEN int elvm__hal_obj_delete(elvm_hal *h, hal_container *c, const char *key);
/* The keys, sorted, as a malloc'd array of malloc'd strings. */
ELVM__HIDDEN int elvm__hal_obj_list(elvm_hal *h, hal_container *c, char ***keys, uint32_t *n);
ELVM__HIDDEN int elvm__hal_container_delete(elvm_hal *h, const char *name);

/* Testing aid: when set, called at each step of a write ("temp-written", "temp-synced",
 * "renamed", "dir-synced") so a test can crash the writer exactly there. */
ELVM__HIDDEN extern void (*elvm__hal_storage_step_hook)(const char *step);

#endif /* ELVM_HAL_STORAGE_H */
