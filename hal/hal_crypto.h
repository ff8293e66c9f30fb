/* hal_crypto.h: private to hal/: the OpenSSL primitives crypto.c offers the rest of the
 * HAL (storage sealing), so that only crypto.c includes libcrypto. Each returns 0 or -1. */
#ifndef ELVM_HAL_CRYPTO_H
#define ELVM_HAL_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "hal_impl.h"

enum { HAL_SHA256 = 0, HAL_SHA384 = 1, HAL_SHA512 = 2 };

/* HKDF (RFC 5869) with SHA-2 `sha`. */
ELVM__HIDDEN int elvm__hal_hkdf(int sha, const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
                                size_t salt_len, const uint8_t *info, size_t info_len,
                                uint8_t *out, size_t out_len);
/* HMAC with SHA-2 `sha`; `out` holds 64 bytes. */
ELVM__HIDDEN int elvm__hal_hmac(int sha, const uint8_t *key, size_t key_len, const uint8_t *data,
                                size_t len, uint8_t *out, size_t *out_len);
/* AES-256-GCM (chacha 0) or ChaCha20-Poly1305 (chacha 1) with a 96-bit nonce. Encrypting
 * writes in_len + 16 bytes (ciphertext, tag); decrypting reads ciphertext and tag and
 * writes in_len - 16 bytes, or fails (-1) when the tag does not verify. */
ELVM__HIDDEN int elvm__hal_aead(int chacha, int enc, const uint8_t key[32],
                                const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                                const uint8_t *in, size_t in_len, uint8_t *out);
/* Constant-time equality (1 if equal). */
ELVM__HIDDEN int elvm__hal_memeq(const void *a, const void *b, size_t n);
ELVM__HIDDEN void elvm__hal_cleanse(void *p, size_t n);
/* OpenSSL's DRBG (seeded from getrandom(2)). */
ELVM__HIDDEN int elvm__hal_rand(void *p, size_t n);

#endif /* ELVM_HAL_CRYPTO_H */
