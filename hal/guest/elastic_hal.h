/* elastic_hal.h: the ELASTIC TEE HAL for C guests (clang --target=wasm32-wasi).
 *
 * Include it and call the typed wrappers (elastic_crypto_hash, elastic_storage_put, ...);
 * nothing else is needed: the header declares the imports the component model names
 * ("elastic:crypto/crypto@0.1.0" "hash", ...) and exports the `cabi_realloc` the host
 * allocates returned lists with (a weak definition over malloc; define your own to
 * replace it). The raw imports (elastic_<iface>__<name>) follow the canonical ABI and
 * are there too, for the curious: docs/HAL.md explains the lowering.
 *
 * Conventions of the wrappers:
 *  - They return 0 on success or the WIT error case + 1: ELASTIC_CRYPTO_ERR_INVALID_KEY is
 *    crypto-error.invalid-key (case 1) + 1 = 2. elastic_strerror-style helpers name them.
 *  - Bytes the host returns come back as elastic_bytes (free with elastic_bytes_free);
 *    strings as NUL-terminated malloc'd char * (free with free).
 *  - Resources are uint32_t handles; elastic_<iface>_<resource>_drop releases them.
 *  - Only the interfaces the host's profile links may be called: a module importing
 *    one outside the profile does not instantiate ("unlinkable"). */
#ifndef ELASTIC_HAL_H
#define ELASTIC_HAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ELASTIC_HAL_VERSION "0.1.0"
#define ELASTIC_IMPORT(iface, name)                                                  \
    __attribute__((import_module("elastic:" iface "/" iface "@" ELASTIC_HAL_VERSION), \
                   import_name(name)))

/* The allocator the host calls to return lists and strings (canonical ABI realloc). */
__attribute__((weak, export_name("cabi_realloc"))) void *cabi_realloc(void *ptr, size_t old_size,
                                                                      size_t align,
                                                                      size_t new_size) {
    (void)old_size;
    (void)align; /* malloc's 16-byte alignment covers every HAL type */
    return realloc(ptr, new_size ? new_size : 1);
}

/* ---- shared types ---------------------------------------------------------------------- */

/* Bytes owned by the caller. */
typedef struct elastic_bytes {
    uint8_t *ptr;
    size_t len;
} elastic_bytes;

static inline void elastic_bytes_free(elastic_bytes *b) {
    free(b->ptr);
    b->ptr = NULL;
    b->len = 0;
}

/* Return areas of the canonical ABI (wasm32 layout). */
typedef struct { uint8_t *ptr; size_t len; } elastic__list;            /* list<u8>, string */
typedef struct { uint8_t is_err; uint8_t err; } elastic__ret_unit;     /* result<_, E> */
typedef struct { uint8_t is_err; uint8_t *ptr; size_t len; } elastic__ret_list; /* result<list,E> */
typedef struct { uint8_t is_err; uint32_t val; } elastic__ret_u32;     /* result<u32|handle, E> */
typedef struct { uint8_t is_err; uint64_t val; } elastic__ret_u64;     /* result<u64, E> */
typedef struct { uint8_t is_err; uint8_t val; } elastic__ret_bool;     /* result<bool, E> */

/* A malloc'd NUL-terminated copy of a returned string, freeing the original. */
static inline char *elastic__cstr(uint8_t *ptr, size_t len) {
    char *s = (char *)realloc(ptr, len + 1);
    if (!s) {
        free(ptr);
        return NULL;
    }
    s[len] = 0;
    return s;
}

static inline int elastic__ret_list_take(const elastic__ret_list *r, elastic_bytes *out) {
    if (r->is_err) {
        if (out) out->ptr = NULL, out->len = 0;
        return 1 + (int)(uint8_t)(uintptr_t)r->ptr;
    }
    if (out) out->ptr = r->ptr, out->len = r->len;
    else free(r->ptr);
    return 0;
}
static inline int elastic__ret_str_take(const elastic__ret_list *r, char **out) {
    if (r->is_err) {
        if (out) *out = NULL;
        return 1 + (int)(uint8_t)(uintptr_t)r->ptr;
    }
    char *s = elastic__cstr(r->ptr, r->len);
    if (out) *out = s;
    else free(s);
    return 0;
}
static inline int elastic__ret_u32_take(const elastic__ret_u32 *r, uint32_t *out) {
    if (r->is_err) return 1 + (int)(uint8_t)r->val;
    if (out) *out = r->val;
    return 0;
}
static inline int elastic__ret_u64_take(const elastic__ret_u64 *r, uint64_t *out) {
    if (r->is_err) return 1 + (int)(uint8_t)r->val;
    if (out) *out = r->val;
    return 0;
}
static inline int elastic__ret_bool_take(const elastic__ret_bool *r, bool *out) {
    if (r->is_err) return 1 + (int)r->val;
    if (out) *out = r->val != 0;
    return 0;
}
static inline int elastic__ret_unit_take(const elastic__ret_unit *r) {
    return r->is_err ? 1 + (int)r->err : 0;
}
/* A list<string> as a malloc'd NULL-terminated array of C strings. */
static inline char **elastic__strings(const elastic__list *l) {
    elastic__list *items = (elastic__list *)l->ptr;
    char **v = (char **)malloc((l->len + 1) * sizeof *v);
    for (size_t i = 0; v && i < l->len; i++) v[i] = elastic__cstr(items[i].ptr, items[i].len);
    if (v) v[l->len] = NULL;
    free(l->ptr);
    return v;
}
static inline void elastic_strings_free(char **v) {
    for (size_t i = 0; v && v[i]; i++) free(v[i]);
    free(v);
}

/* ==== elastic:platform ====================================================================== */

typedef enum { ELASTIC_PLATFORM_SEV_SNP = 0, ELASTIC_PLATFORM_SIMULATED = 1,
               ELASTIC_PLATFORM_NONE = 2 } elastic_platform_kind;
typedef enum {
    ELASTIC_PLATFORM_OK = 0,
    ELASTIC_PLATFORM_ERR_NOT_SUPPORTED,
    ELASTIC_PLATFORM_ERR_INVALID_REPORT_DATA,
    ELASTIC_PLATFORM_ERR_ATTESTATION_FAILED,
} elastic_platform_status;

typedef struct {
    uint8_t kind;
    elastic__list backend, runtime, runtime_version, hal_version, profile;
} elastic__platform_info;

ELASTIC_IMPORT("platform", "kind") int32_t elastic_platform__kind(void);
ELASTIC_IMPORT("platform", "info") void elastic_platform__info(elastic__platform_info *ret);
ELASTIC_IMPORT("platform", "runtime-version") void elastic_platform__runtime_version(elastic__list *ret);
ELASTIC_IMPORT("platform", "hal-version") void elastic_platform__hal_version(elastic__list *ret);
ELASTIC_IMPORT("platform", "attestation-report")
void elastic_platform__attestation_report(const uint8_t *data, size_t len, elastic__ret_list *ret);

typedef struct elastic_platform_info {
    elastic_platform_kind kind;
    char *backend, *runtime, *runtime_version, *hal_version, *profile; /* free each */
} elastic_platform_info;

static inline elastic_platform_kind elastic_platform_kind_get(void) {
    return (elastic_platform_kind)elastic_platform__kind();
}
static inline void elastic_platform_info_get(elastic_platform_info *out) {
    elastic__platform_info r;
    elastic_platform__info(&r);
    out->kind = (elastic_platform_kind)r.kind;
    out->backend = elastic__cstr(r.backend.ptr, r.backend.len);
    out->runtime = elastic__cstr(r.runtime.ptr, r.runtime.len);
    out->runtime_version = elastic__cstr(r.runtime_version.ptr, r.runtime_version.len);
    out->hal_version = elastic__cstr(r.hal_version.ptr, r.hal_version.len);
    out->profile = elastic__cstr(r.profile.ptr, r.profile.len);
}
static inline void elastic_platform_info_free(elastic_platform_info *i) {
    free(i->backend), free(i->runtime), free(i->runtime_version), free(i->hal_version);
    free(i->profile);
}
static inline char *elastic_platform_runtime_version(void) {
    elastic__list r;
    elastic_platform__runtime_version(&r);
    return elastic__cstr(r.ptr, r.len);
}
static inline char *elastic_platform_hal_version(void) {
    elastic__list r;
    elastic_platform__hal_version(&r);
    return elastic__cstr(r.ptr, r.len);
}
/* The 1184-byte SEV-SNP report binding `report_data` (at most 64 bytes). */
static inline int elastic_platform_attestation_report(const void *report_data, size_t len,
                                                      elastic_bytes *report) {
    elastic__ret_list r;
    elastic_platform__attestation_report((const uint8_t *)report_data, len, &r);
    return elastic__ret_list_take(&r, report);
}

/* ==== elastic:capabilities ================================================================== */

typedef struct {
    elastic__list name;
    uint8_t available;
    elastic__list detail;
} elastic__capability;
typedef struct {
    uint8_t is_some;
    elastic__capability cap;
} elastic__opt_capability;

ELASTIC_IMPORT("capabilities", "list") void elastic_capabilities__list(elastic__list *ret);
ELASTIC_IMPORT("capabilities", "has") int32_t elastic_capabilities__has(const char *name, size_t len);
ELASTIC_IMPORT("capabilities", "get")
void elastic_capabilities__get(const char *name, size_t len, elastic__opt_capability *ret);
ELASTIC_IMPORT("capabilities", "interfaces") void elastic_capabilities__interfaces(elastic__list *ret);
ELASTIC_IMPORT("capabilities", "profile") void elastic_capabilities__profile(elastic__list *ret);

typedef struct elastic_capability {
    char *name;
    bool available;
    char *detail;
} elastic_capability;

static inline void elastic__cap_take(const elastic__capability *c, elastic_capability *out) {
    out->name = elastic__cstr(c->name.ptr, c->name.len);
    out->available = c->available != 0;
    out->detail = elastic__cstr(c->detail.ptr, c->detail.len);
}
/* Every capability; free with elastic_capabilities_free. */
static inline size_t elastic_capabilities_list(elastic_capability **out) {
    elastic__list r;
    elastic_capabilities__list(&r);
    elastic__capability *items = (elastic__capability *)r.ptr;
    *out = (elastic_capability *)malloc((r.len ? r.len : 1) * sizeof **out);
    for (size_t i = 0; *out && i < r.len; i++) elastic__cap_take(&items[i], &(*out)[i]);
    free(r.ptr);
    return r.len;
}
static inline void elastic_capabilities_free(elastic_capability *caps, size_t n) {
    for (size_t i = 0; i < n; i++) free(caps[i].name), free(caps[i].detail);
    free(caps);
}
static inline bool elastic_capabilities_has(const char *name) {
    return elastic_capabilities__has(name, strlen(name)) != 0;
}
/* false if there is no capability of that name. */
static inline bool elastic_capabilities_get(const char *name, elastic_capability *out) {
    elastic__opt_capability r;
    elastic_capabilities__get(name, strlen(name), &r);
    if (r.is_some) elastic__cap_take(&r.cap, out);
    return r.is_some != 0;
}
/* The interfaces of the linked profile, NULL-terminated (elastic_strings_free). */
static inline char **elastic_capabilities_interfaces(void) {
    elastic__list r;
    elastic_capabilities__interfaces(&r);
    return elastic__strings(&r);
}
static inline char *elastic_capabilities_profile(void) {
    elastic__list r;
    elastic_capabilities__profile(&r);
    return elastic__cstr(r.ptr, r.len);
}

/* ==== elastic:crypto ======================================================================== */

typedef enum {
    ELASTIC_CRYPTO_OK = 0,
    ELASTIC_CRYPTO_ERR_UNSUPPORTED_ALGORITHM,
    ELASTIC_CRYPTO_ERR_INVALID_KEY,
    ELASTIC_CRYPTO_ERR_INVALID_ARGUMENT,
    ELASTIC_CRYPTO_ERR_INVALID_NONCE,
    ELASTIC_CRYPTO_ERR_AUTHENTICATION_FAILED,
    ELASTIC_CRYPTO_ERR_KEY_NOT_EXPORTABLE,
    ELASTIC_CRYPTO_ERR_WRONG_KEY_TYPE,
    ELASTIC_CRYPTO_ERR_INTERNAL,
} elastic_crypto_status;
typedef enum { ELASTIC_SHA256 = 0, ELASTIC_SHA384 = 1, ELASTIC_SHA512 = 2 } elastic_hash_algorithm;
typedef enum {
    ELASTIC_AES256_GCM = 0,
    ELASTIC_CHACHA20_POLY1305 = 1,
    ELASTIC_HMAC_SHA256 = 2,
    ELASTIC_HMAC_SHA384 = 3,
    ELASTIC_HMAC_SHA512 = 4,
    ELASTIC_ED25519 = 5,
    ELASTIC_ECDSA_P256 = 6,
    ELASTIC_ECDSA_P384 = 7,
    ELASTIC_X25519 = 8,
} elastic_key_algorithm;
typedef uint32_t elastic_crypto_key;

ELASTIC_IMPORT("crypto", "[static]key.generate")
void elastic_crypto__key_generate(int32_t alg, elastic__ret_u32 *ret);
ELASTIC_IMPORT("crypto", "[static]key.import-secret")
void elastic_crypto__key_import_secret(int32_t alg, const uint8_t *p, size_t n, elastic__ret_u32 *ret);
ELASTIC_IMPORT("crypto", "[static]key.import-public")
void elastic_crypto__key_import_public(int32_t alg, const uint8_t *p, size_t n, elastic__ret_u32 *ret);
ELASTIC_IMPORT("crypto", "[method]key.algorithm") int32_t elastic_crypto__key_algorithm(uint32_t key);
ELASTIC_IMPORT("crypto", "[method]key.is-private") int32_t elastic_crypto__key_is_private(uint32_t key);
ELASTIC_IMPORT("crypto", "[method]key.public-key")
void elastic_crypto__key_public_key(uint32_t key, elastic__ret_list *ret);
ELASTIC_IMPORT("crypto", "[resource-drop]key") void elastic_crypto__key_drop(uint32_t key);
ELASTIC_IMPORT("crypto", "hash")
void elastic_crypto__hash(int32_t alg, const uint8_t *p, size_t n, elastic__list *ret);
ELASTIC_IMPORT("crypto", "hmac")
void elastic_crypto__hmac(uint32_t key, const uint8_t *p, size_t n, elastic__ret_list *ret);
ELASTIC_IMPORT("crypto", "hkdf")
void elastic_crypto__hkdf(int32_t alg, const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
                          size_t salt_len, const uint8_t *info, size_t info_len, uint32_t length,
                          elastic__ret_list *ret);
ELASTIC_IMPORT("crypto", "hkdf-key")
void elastic_crypto__hkdf_key(uint32_t base, const uint8_t *salt, size_t salt_len,
                              const uint8_t *info, size_t info_len, int32_t alg,
                              elastic__ret_u32 *ret);
ELASTIC_IMPORT("crypto", "encrypt")
void elastic_crypto__encrypt(uint32_t key, const uint8_t *nonce, size_t nonce_len,
                             const uint8_t *aad, size_t aad_len, const uint8_t *p, size_t n,
                             elastic__ret_list *ret);
ELASTIC_IMPORT("crypto", "decrypt")
void elastic_crypto__decrypt(uint32_t key, const uint8_t *nonce, size_t nonce_len,
                             const uint8_t *aad, size_t aad_len, const uint8_t *p, size_t n,
                             elastic__ret_list *ret);
ELASTIC_IMPORT("crypto", "sign")
void elastic_crypto__sign(uint32_t key, const uint8_t *msg, size_t n, elastic__ret_list *ret);
ELASTIC_IMPORT("crypto", "verify")
void elastic_crypto__verify(uint32_t key, const uint8_t *msg, size_t n, const uint8_t *sig,
                            size_t sig_len, elastic__ret_bool *ret);
ELASTIC_IMPORT("crypto", "derive-shared")
void elastic_crypto__derive_shared(uint32_t key, const uint8_t *peer, size_t peer_len,
                                   const uint8_t *salt, size_t salt_len, const uint8_t *info,
                                   size_t info_len, int32_t alg, elastic__ret_u32 *ret);

static inline int elastic_crypto_key_generate(elastic_key_algorithm alg, elastic_crypto_key *key) {
    elastic__ret_u32 r;
    elastic_crypto__key_generate((int32_t)alg, &r);
    return elastic__ret_u32_take(&r, key);
}
/* A symmetric key (32 bytes for AEAD, 1..1024 for HMAC) or a private key (32-byte
 * Ed25519/X25519 seed, 32/48-byte ECDSA scalar), kept host-side from now on. */
static inline int elastic_crypto_key_import_secret(elastic_key_algorithm alg, const void *secret,
                                                   size_t len, elastic_crypto_key *key) {
    elastic__ret_u32 r;
    elastic_crypto__key_import_secret((int32_t)alg, (const uint8_t *)secret, len, &r);
    return elastic__ret_u32_take(&r, key);
}
/* A public key: 32 raw bytes (Ed25519, X25519), uncompressed SEC1 point (ECDSA). */
static inline int elastic_crypto_key_import_public(elastic_key_algorithm alg, const void *pub,
                                                   size_t len, elastic_crypto_key *key) {
    elastic__ret_u32 r;
    elastic_crypto__key_import_public((int32_t)alg, (const uint8_t *)pub, len, &r);
    return elastic__ret_u32_take(&r, key);
}
static inline elastic_key_algorithm elastic_crypto_key_algorithm(elastic_crypto_key key) {
    return (elastic_key_algorithm)elastic_crypto__key_algorithm(key);
}
static inline bool elastic_crypto_key_is_private(elastic_crypto_key key) {
    return elastic_crypto__key_is_private(key) != 0;
}
static inline int elastic_crypto_key_public_key(elastic_crypto_key key, elastic_bytes *out) {
    elastic__ret_list r;
    elastic_crypto__key_public_key(key, &r);
    return elastic__ret_list_take(&r, out);
}
static inline void elastic_crypto_key_drop(elastic_crypto_key key) { elastic_crypto__key_drop(key); }
static inline elastic_bytes elastic_crypto_hash(elastic_hash_algorithm alg, const void *data,
                                                size_t len) {
    elastic__list r;
    elastic_crypto__hash((int32_t)alg, (const uint8_t *)data, len, &r);
    elastic_bytes b = {r.ptr, r.len};
    return b;
}
static inline int elastic_crypto_hmac(elastic_crypto_key key, const void *data, size_t len,
                                      elastic_bytes *mac) {
    elastic__ret_list r;
    elastic_crypto__hmac(key, (const uint8_t *)data, len, &r);
    return elastic__ret_list_take(&r, mac);
}
static inline int elastic_crypto_hkdf(elastic_hash_algorithm alg, const void *ikm, size_t ikm_len,
                                      const void *salt, size_t salt_len, const void *info,
                                      size_t info_len, uint32_t length, elastic_bytes *okm) {
    elastic__ret_list r;
    elastic_crypto__hkdf((int32_t)alg, (const uint8_t *)ikm, ikm_len, (const uint8_t *)salt,
                         salt_len, (const uint8_t *)info, info_len, length, &r);
    return elastic__ret_list_take(&r, okm);
}
static inline int elastic_crypto_hkdf_key(elastic_crypto_key base, const void *salt,
                                          size_t salt_len, const void *info, size_t info_len,
                                          elastic_key_algorithm alg, elastic_crypto_key *key) {
    elastic__ret_u32 r;
    elastic_crypto__hkdf_key(base, (const uint8_t *)salt, salt_len, (const uint8_t *)info,
                             info_len, (int32_t)alg, &r);
    return elastic__ret_u32_take(&r, key);
}
/* AEAD with a 12-byte nonce; the ciphertext carries the 16-byte tag at its end. */
static inline int elastic_crypto_encrypt(elastic_crypto_key key, const void *nonce,
                                         size_t nonce_len, const void *aad, size_t aad_len,
                                         const void *plaintext, size_t len, elastic_bytes *out) {
    elastic__ret_list r;
    elastic_crypto__encrypt(key, (const uint8_t *)nonce, nonce_len, (const uint8_t *)aad,
                            aad_len, (const uint8_t *)plaintext, len, &r);
    return elastic__ret_list_take(&r, out);
}
static inline int elastic_crypto_decrypt(elastic_crypto_key key, const void *nonce,
                                         size_t nonce_len, const void *aad, size_t aad_len,
                                         const void *ciphertext, size_t len, elastic_bytes *out) {
    elastic__ret_list r;
    elastic_crypto__decrypt(key, (const uint8_t *)nonce, nonce_len, (const uint8_t *)aad,
                            aad_len, (const uint8_t *)ciphertext, len, &r);
    return elastic__ret_list_take(&r, out);
}
static inline int elastic_crypto_sign(elastic_crypto_key key, const void *msg, size_t len,
                                      elastic_bytes *sig) {
    elastic__ret_list r;
    elastic_crypto__sign(key, (const uint8_t *)msg, len, &r);
    return elastic__ret_list_take(&r, sig);
}
static inline int elastic_crypto_verify(elastic_crypto_key key, const void *msg, size_t len,
                                        const void *sig, size_t sig_len, bool *valid) {
    elastic__ret_bool r;
    elastic_crypto__verify(key, (const uint8_t *)msg, len, (const uint8_t *)sig, sig_len, &r);
    return elastic__ret_bool_take(&r, valid);
}
/* X25519 with the peer's public key, then HKDF-SHA256 into a new symmetric key. */
static inline int elastic_crypto_derive_shared(elastic_crypto_key priv, const void *peer,
                                               size_t peer_len, const void *salt,
                                               size_t salt_len, const void *info,
                                               size_t info_len, elastic_key_algorithm alg,
                                               elastic_crypto_key *key) {
    elastic__ret_u32 r;
    elastic_crypto__derive_shared(priv, (const uint8_t *)peer, peer_len, (const uint8_t *)salt,
                                  salt_len, (const uint8_t *)info, info_len, (int32_t)alg, &r);
    return elastic__ret_u32_take(&r, key);
}

/* ==== elastic:random ======================================================================== */

typedef enum { ELASTIC_RANDOM_OK = 0, ELASTIC_RANDOM_ERR_TOO_LARGE,
               ELASTIC_RANDOM_ERR_UNAVAILABLE } elastic_random_status;
ELASTIC_IMPORT("random", "get-random-bytes")
void elastic_random__get_random_bytes(uint32_t len, elastic__ret_list *ret);
ELASTIC_IMPORT("random", "get-random-u64") uint64_t elastic_random__get_random_u64(void);

/* `len` (at most 1 MiB) bytes from the host's getrandom(2). */
static inline int elastic_random_bytes(uint32_t len, elastic_bytes *out) {
    elastic__ret_list r;
    elastic_random__get_random_bytes(len, &r);
    return elastic__ret_list_take(&r, out);
}
static inline uint64_t elastic_random_u64(void) { return elastic_random__get_random_u64(); }

/* ==== elastic:clock ========================================================================= */

typedef enum { ELASTIC_CLOCK_OK = 0, ELASTIC_CLOCK_ERR_UNAVAILABLE, ELASTIC_CLOCK_ERR_NOT_STARTED,
               ELASTIC_CLOCK_ERR_NOT_RUNNING } elastic_clock_status;
typedef uint32_t elastic_clock_timer;
ELASTIC_IMPORT("clock", "read-current-time") void elastic_clock__read_current_time(elastic__ret_u64 *ret);
ELASTIC_IMPORT("clock", "read-timezone") void elastic_clock__read_timezone(elastic__ret_list *ret);
ELASTIC_IMPORT("clock", "timezone-offset") void elastic_clock__timezone_offset(elastic__ret_u32 *ret);
ELASTIC_IMPORT("clock", "start-monotonic") void elastic_clock__start_monotonic(elastic__ret_unit *ret);
ELASTIC_IMPORT("clock", "stop-monotonic") void elastic_clock__stop_monotonic(elastic__ret_u64 *ret);
ELASTIC_IMPORT("clock", "read-monotonic") void elastic_clock__read_monotonic(elastic__ret_u64 *ret);
ELASTIC_IMPORT("clock", "monotonic-now") uint64_t elastic_clock__monotonic_now(void);
ELASTIC_IMPORT("clock", "resolution") uint64_t elastic_clock__resolution(void);
ELASTIC_IMPORT("clock", "[constructor]timer") uint32_t elastic_clock__timer_new(uint64_t ns);
ELASTIC_IMPORT("clock", "[method]timer.remaining") uint64_t elastic_clock__timer_remaining(uint32_t t);
ELASTIC_IMPORT("clock", "[method]timer.expired") int32_t elastic_clock__timer_expired(uint32_t t);
ELASTIC_IMPORT("clock", "[method]timer.reset") void elastic_clock__timer_reset(uint32_t t, uint64_t ns);
ELASTIC_IMPORT("clock", "[method]timer.wait") void elastic_clock__timer_wait(uint32_t t);
ELASTIC_IMPORT("clock", "[resource-drop]timer") void elastic_clock__timer_drop(uint32_t t);

/* Nanoseconds since the Unix epoch. */
static inline int elastic_clock_read_current_time(uint64_t *ns) {
    elastic__ret_u64 r;
    elastic_clock__read_current_time(&r);
    return elastic__ret_u64_take(&r, ns);
}
/* The host's IANA zone ("Europe/Berlin", "UTC"); free the string. */
static inline int elastic_clock_read_timezone(char **zone) {
    elastic__ret_list r;
    elastic_clock__read_timezone(&r);
    return elastic__ret_str_take(&r, zone);
}
/* Seconds east of UTC, now. */
static inline int elastic_clock_timezone_offset(int32_t *seconds) {
    elastic__ret_u32 r;
    elastic_clock__timezone_offset(&r);
    return elastic__ret_u32_take(&r, (uint32_t *)seconds);
}
static inline int elastic_clock_start_monotonic(void) {
    elastic__ret_unit r;
    elastic_clock__start_monotonic(&r);
    return elastic__ret_unit_take(&r);
}
static inline int elastic_clock_stop_monotonic(uint64_t *elapsed_ns) {
    elastic__ret_u64 r;
    elastic_clock__stop_monotonic(&r);
    return elastic__ret_u64_take(&r, elapsed_ns);
}
static inline int elastic_clock_read_monotonic(uint64_t *elapsed_ns) {
    elastic__ret_u64 r;
    elastic_clock__read_monotonic(&r);
    return elastic__ret_u64_take(&r, elapsed_ns);
}
static inline uint64_t elastic_clock_monotonic_now(void) { return elastic_clock__monotonic_now(); }
static inline uint64_t elastic_clock_resolution(void) { return elastic_clock__resolution(); }
static inline elastic_clock_timer elastic_clock_timer_new(uint64_t ns) { return elastic_clock__timer_new(ns); }
static inline uint64_t elastic_clock_timer_remaining(elastic_clock_timer t) { return elastic_clock__timer_remaining(t); }
static inline bool elastic_clock_timer_expired(elastic_clock_timer t) { return elastic_clock__timer_expired(t) != 0; }
static inline void elastic_clock_timer_reset(elastic_clock_timer t, uint64_t ns) { elastic_clock__timer_reset(t, ns); }
static inline void elastic_clock_timer_wait(elastic_clock_timer t) { elastic_clock__timer_wait(t); }
static inline void elastic_clock_timer_drop(elastic_clock_timer t) { elastic_clock__timer_drop(t); }

/* ==== elastic:storage ======================================================================= */

typedef enum {
    ELASTIC_STORAGE_OK = 0,
    ELASTIC_STORAGE_ERR_NOT_GRANTED,
    ELASTIC_STORAGE_ERR_INVALID_NAME,
    ELASTIC_STORAGE_ERR_NOT_FOUND,
    ELASTIC_STORAGE_ERR_ALREADY_EXISTS,
    ELASTIC_STORAGE_ERR_WRONG_KEY,
    ELASTIC_STORAGE_ERR_INTEGRITY_FAILURE,
    ELASTIC_STORAGE_ERR_TOO_LARGE,
    ELASTIC_STORAGE_ERR_IO_ERROR,
} elastic_storage_status;
typedef uint32_t elastic_storage_container;
typedef struct { uint8_t is_err; elastic__list list; } elastic__ret_strings;

ELASTIC_IMPORT("storage", "[static]container.create")
void elastic_storage__create(const char *name, size_t len, elastic__ret_u32 *ret);
ELASTIC_IMPORT("storage", "[static]container.open")
void elastic_storage__open(const char *name, size_t len, elastic__ret_u32 *ret);
ELASTIC_IMPORT("storage", "[method]container.name")
void elastic_storage__name(uint32_t c, elastic__list *ret);
ELASTIC_IMPORT("storage", "[method]container.put")
void elastic_storage__put(uint32_t c, const char *key, size_t key_len, const uint8_t *value,
                          size_t len, elastic__ret_unit *ret);
ELASTIC_IMPORT("storage", "[method]container.get")
void elastic_storage__get(uint32_t c, const char *key, size_t key_len, elastic__ret_list *ret);
ELASTIC_IMPORT("storage", "[method]container.delete")
void elastic_storage__delete(uint32_t c, const char *key, size_t key_len, elastic__ret_unit *ret);
ELASTIC_IMPORT("storage", "[method]container.exists")
void elastic_storage__exists(uint32_t c, const char *key, size_t key_len, elastic__ret_bool *ret);
ELASTIC_IMPORT("storage", "[method]container.list")
void elastic_storage__list(uint32_t c, elastic__ret_strings *ret);
ELASTIC_IMPORT("storage", "[resource-drop]container") void elastic_storage__drop(uint32_t c);
ELASTIC_IMPORT("storage", "delete-container")
void elastic_storage__delete_container(const char *name, size_t len, elastic__ret_unit *ret);
ELASTIC_IMPORT("storage", "list-containers")
void elastic_storage__list_containers(elastic__ret_strings *ret);

static inline int elastic__ret_strings_take(const elastic__ret_strings *r, char ***out) {
    if (r->is_err) {
        *out = NULL;
        return 1 + (int)(uint8_t)(uintptr_t)r->list.ptr;
    }
    *out = elastic__strings(&r->list);
    return 0;
}
/* A new, empty container (names: 1-64 of [A-Za-z0-9._-], not starting with '.'). */
static inline int elastic_storage_create(const char *name, elastic_storage_container *c) {
    elastic__ret_u32 r;
    elastic_storage__create(name, strlen(name), &r);
    return elastic__ret_u32_take(&r, c);
}
static inline int elastic_storage_open(const char *name, elastic_storage_container *c) {
    elastic__ret_u32 r;
    elastic_storage__open(name, strlen(name), &r);
    return elastic__ret_u32_take(&r, c);
}
static inline char *elastic_storage_name(elastic_storage_container c) {
    elastic__list r;
    elastic_storage__name(c, &r);
    return elastic__cstr(r.ptr, r.len);
}
/* Seals and stores `value` under `key` (1-1024 bytes), atomically replacing any old one. */
static inline int elastic_storage_put(elastic_storage_container c, const char *key,
                                      const void *value, size_t len) {
    elastic__ret_unit r;
    elastic_storage__put(c, key, strlen(key), (const uint8_t *)value, len, &r);
    return elastic__ret_unit_take(&r);
}
static inline int elastic_storage_get(elastic_storage_container c, const char *key,
                                      elastic_bytes *value) {
    elastic__ret_list r;
    elastic_storage__get(c, key, strlen(key), &r);
    return elastic__ret_list_take(&r, value);
}
static inline int elastic_storage_delete(elastic_storage_container c, const char *key) {
    elastic__ret_unit r;
    elastic_storage__delete(c, key, strlen(key), &r);
    return elastic__ret_unit_take(&r);
}
static inline int elastic_storage_exists(elastic_storage_container c, const char *key,
                                         bool *exists) {
    elastic__ret_bool r;
    elastic_storage__exists(c, key, strlen(key), &r);
    return elastic__ret_bool_take(&r, exists);
}
/* The keys, sorted, NULL-terminated (elastic_strings_free). */
static inline int elastic_storage_list(elastic_storage_container c, char ***keys) {
    elastic__ret_strings r;
    elastic_storage__list(c, &r);
    return elastic__ret_strings_take(&r, keys);
}
static inline void elastic_storage_close(elastic_storage_container c) { elastic_storage__drop(c); }
/* Deletes a container and every object in it (needs the right sealing key). */
static inline int elastic_storage_delete_container(const char *name) {
    elastic__ret_unit r;
    elastic_storage__delete_container(name, strlen(name), &r);
    return elastic__ret_unit_take(&r);
}
static inline int elastic_storage_list_containers(char ***names) {
    elastic__ret_strings r;
    elastic_storage__list_containers(&r);
    return elastic__ret_strings_take(&r, names);
}

/* ==== elastic:communication ================================================================= */

typedef enum {
    ELASTIC_CHANNEL_OK = 0,
    ELASTIC_CHANNEL_ERR_NOT_GRANTED,
    ELASTIC_CHANNEL_ERR_CLOSED,
    ELASTIC_CHANNEL_ERR_FULL,
    ELASTIC_CHANNEL_ERR_TIMEOUT,
    ELASTIC_CHANNEL_ERR_TOO_LARGE,
    ELASTIC_CHANNEL_ERR_NOT_PERMITTED,
} elastic_channel_status;
typedef uint32_t elastic_channel;
#define ELASTIC_WAIT_FOREVER 0xFFFFFFFFu

ELASTIC_IMPORT("communication", "[static]channel.open")
void elastic_communication__open(const char *name, size_t len, elastic__ret_u32 *ret);
ELASTIC_IMPORT("communication", "[method]channel.name")
void elastic_communication__name(uint32_t ch, elastic__list *ret);
ELASTIC_IMPORT("communication", "[method]channel.send")
void elastic_communication__send(uint32_t ch, const uint8_t *msg, size_t len, uint32_t timeout_ms,
                                 elastic__ret_unit *ret);
ELASTIC_IMPORT("communication", "[method]channel.receive")
void elastic_communication__receive(uint32_t ch, uint32_t timeout_ms, elastic__ret_list *ret);
ELASTIC_IMPORT("communication", "[method]channel.close") void elastic_communication__close(uint32_t ch);
ELASTIC_IMPORT("communication", "[method]channel.pending") uint32_t elastic_communication__pending(uint32_t ch);
ELASTIC_IMPORT("communication", "[method]channel.capacity") uint32_t elastic_communication__capacity(uint32_t ch);
ELASTIC_IMPORT("communication", "[resource-drop]channel") void elastic_communication__drop(uint32_t ch);
ELASTIC_IMPORT("communication", "granted") void elastic_communication__granted(elastic__list *ret);

/* Opens a channel the host granted (created on first open, shared by the instances). */
static inline int elastic_channel_open(const char *name, elastic_channel *ch) {
    elastic__ret_u32 r;
    elastic_communication__open(name, strlen(name), &r);
    return elastic__ret_u32_take(&r, ch);
}
static inline char *elastic_channel_name(elastic_channel ch) {
    elastic__list r;
    elastic_communication__name(ch, &r);
    return elastic__cstr(r.ptr, r.len);
}
/* Queues a message, waiting up to timeout_ms for room (0: fail at once with FULL). */
static inline int elastic_channel_send(elastic_channel ch, const void *msg, size_t len,
                                       uint32_t timeout_ms) {
    elastic__ret_unit r;
    elastic_communication__send(ch, (const uint8_t *)msg, len, timeout_ms, &r);
    return elastic__ret_unit_take(&r);
}
static inline int elastic_channel_receive(elastic_channel ch, uint32_t timeout_ms,
                                          elastic_bytes *msg) {
    elastic__ret_list r;
    elastic_communication__receive(ch, timeout_ms, &r);
    return elastic__ret_list_take(&r, msg);
}
/* Closes the channel for every instance (receivers drain what is queued). */
static inline void elastic_channel_close(elastic_channel ch) { elastic_communication__close(ch); }
static inline uint32_t elastic_channel_pending(elastic_channel ch) { return elastic_communication__pending(ch); }
static inline uint32_t elastic_channel_capacity(elastic_channel ch) { return elastic_communication__capacity(ch); }
static inline void elastic_channel_drop(elastic_channel ch) { elastic_communication__drop(ch); }
static inline char **elastic_channel_granted(void) {
    elastic__list r;
    elastic_communication__granted(&r);
    return elastic__strings(&r);
}

/* ==== elastic:resources ===================================================================== */

typedef enum { ELASTIC_RESOURCE_MEMORY = 0, ELASTIC_RESOURCE_FUEL = 1,
               ELASTIC_RESOURCE_TIME = 2 } elastic_resource_kind;
typedef enum {
    ELASTIC_RESOURCES_OK = 0,
    ELASTIC_RESOURCES_ERR_EXCEEDS_GRANT,
    ELASTIC_RESOURCES_ERR_BELOW_USAGE,
    ELASTIC_RESOURCES_ERR_UNSUPPORTED,
} elastic_resources_status;
/* Bytes, instructions, milliseconds; a limit or grant of 0 is "none". */
typedef struct elastic_resource_report {
    uint64_t memory_used, memory_peak, memory_limit, memory_granted;
    uint64_t fuel_used, fuel_limit, fuel_granted;
    uint64_t time_used_ms, time_limit_ms, time_granted_ms;
} elastic_resource_report;

ELASTIC_IMPORT("resources", "report") void elastic_resources__report(elastic_resource_report *ret);
ELASTIC_IMPORT("resources", "usage") uint64_t elastic_resources__usage(int32_t kind);
ELASTIC_IMPORT("resources", "limit") uint64_t elastic_resources__limit(int32_t kind);
ELASTIC_IMPORT("resources", "granted") uint64_t elastic_resources__granted(int32_t kind);
ELASTIC_IMPORT("resources", "set-limit")
void elastic_resources__set_limit(int32_t kind, uint64_t value, elastic__ret_unit *ret);

static inline void elastic_resources_report(elastic_resource_report *r) { elastic_resources__report(r); }
static inline uint64_t elastic_resources_usage(elastic_resource_kind k) { return elastic_resources__usage((int32_t)k); }
static inline uint64_t elastic_resources_limit(elastic_resource_kind k) { return elastic_resources__limit((int32_t)k); }
static inline uint64_t elastic_resources_granted(elastic_resource_kind k) { return elastic_resources__granted((int32_t)k); }
/* Lowers (or raises again, up to the grant) a limit; 0 lifts it where nothing was granted. */
static inline int elastic_resources_set_limit(elastic_resource_kind k, uint64_t value) {
    elastic__ret_unit r;
    elastic_resources__set_limit((int32_t)k, value, &r);
    return elastic__ret_unit_take(&r);
}

/* ==== elastic:events ======================================================================== */

typedef enum { ELASTIC_PRIORITY_LOW = 0, ELASTIC_PRIORITY_NORMAL = 1, ELASTIC_PRIORITY_HIGH = 2,
               ELASTIC_PRIORITY_CRITICAL = 3 } elastic_priority;
typedef enum {
    ELASTIC_EVENTS_OK = 0,
    ELASTIC_EVENTS_ERR_INVALID_TOPIC,
    ELASTIC_EVENTS_ERR_TIMEOUT,
    ELASTIC_EVENTS_ERR_NO_SUBSCRIPTIONS,
} elastic_events_status;
typedef uint32_t elastic_subscription;
typedef struct {
    uint8_t is_err;
    struct {
        elastic__list topic;
        uint8_t priority;
        elastic__list payload;
        uint64_t sequence;
    } ev;
} elastic__ret_event;

ELASTIC_IMPORT("events", "[static]subscription.subscribe")
void elastic_events__subscribe(const char *topic, size_t len, elastic__ret_u32 *ret);
ELASTIC_IMPORT("events", "[method]subscription.topic")
void elastic_events__topic(uint32_t sub, elastic__list *ret);
ELASTIC_IMPORT("events", "[resource-drop]subscription") void elastic_events__drop(uint32_t sub);
ELASTIC_IMPORT("events", "publish")
void elastic_events__publish(const char *topic, size_t len, int32_t priority, const uint8_t *payload,
                             size_t payload_len, elastic__ret_u32 *ret);
ELASTIC_IMPORT("events", "poll") void elastic_events__poll(uint32_t timeout_ms, elastic__ret_event *ret);
ELASTIC_IMPORT("events", "pending") uint32_t elastic_events__pending(void);

typedef struct elastic_event {
    char *topic; /* free */
    elastic_priority priority;
    elastic_bytes payload; /* elastic_bytes_free */
    uint64_t sequence;     /* host-wide publication order */
} elastic_event;

/* Subscribes this instance to "a.b" (exact), "a.*" (prefix) or "*" (everything). */
static inline int elastic_events_subscribe(const char *topic, elastic_subscription *sub) {
    elastic__ret_u32 r;
    elastic_events__subscribe(topic, strlen(topic), &r);
    return elastic__ret_u32_take(&r, sub);
}
static inline char *elastic_events_topic(elastic_subscription sub) {
    elastic__list r;
    elastic_events__topic(sub, &r);
    return elastic__cstr(r.ptr, r.len);
}
static inline void elastic_events_unsubscribe(elastic_subscription sub) { elastic_events__drop(sub); }
/* Publishes to every subscribed instance; *delivered says to how many. */
static inline int elastic_events_publish(const char *topic, elastic_priority prio,
                                         const void *payload, size_t len, uint32_t *delivered) {
    elastic__ret_u32 r;
    elastic_events__publish(topic, strlen(topic), (int32_t)prio, (const uint8_t *)payload, len, &r);
    return elastic__ret_u32_take(&r, delivered);
}
/* The next event, highest priority first, FIFO within a priority; waits up to timeout_ms. */
static inline int elastic_events_poll(uint32_t timeout_ms, elastic_event *ev) {
    elastic__ret_event r;
    elastic_events__poll(timeout_ms, &r);
    if (r.is_err) return 1 + (int)(uint8_t)(uintptr_t)r.ev.topic.ptr;
    ev->topic = elastic__cstr(r.ev.topic.ptr, r.ev.topic.len);
    ev->priority = (elastic_priority)r.ev.priority;
    ev->payload.ptr = r.ev.payload.ptr;
    ev->payload.len = r.ev.payload.len;
    ev->sequence = r.ev.sequence;
    return 0;
}
static inline void elastic_event_free(elastic_event *ev) {
    free(ev->topic);
    elastic_bytes_free(&ev->payload);
}
static inline uint32_t elastic_events_pending(void) { return elastic_events__pending(); }

/* ==== elastic:sockets ======================================================================= */

typedef enum {
    ELASTIC_SOCKETS_OK = 0,
    ELASTIC_SOCKETS_ERR_NOT_PERMITTED,
    ELASTIC_SOCKETS_ERR_INVALID_ARGUMENT,
    ELASTIC_SOCKETS_ERR_NAME_RESOLUTION_FAILED,
    ELASTIC_SOCKETS_ERR_CONNECTION_REFUSED,
    ELASTIC_SOCKETS_ERR_TIMEOUT,
    ELASTIC_SOCKETS_ERR_CLOSED,
    ELASTIC_SOCKETS_ERR_ADDRESS_IN_USE,
    ELASTIC_SOCKETS_ERR_TLS_HANDSHAKE_FAILED,
    ELASTIC_SOCKETS_ERR_CERTIFICATE_INVALID,
    ELASTIC_SOCKETS_ERR_IO_ERROR,
} elastic_sockets_status;
typedef uint32_t elastic_tcp_socket, elastic_tcp_listener, elastic_udp_socket, elastic_tls_stream,
    elastic_dtls_session;
typedef struct {
    uint8_t is_err;
    elastic__list data, address;
    uint16_t port;
} elastic__ret_datagram;

ELASTIC_IMPORT("sockets", "[static]tcp-socket.connect")
void elastic_sockets__tcp_connect(const char *host, size_t len, uint32_t port, uint32_t timeout_ms,
                                  elastic__ret_u32 *ret);
ELASTIC_IMPORT("sockets", "[method]tcp-socket.send")
void elastic_sockets__tcp_send(uint32_t s, const uint8_t *p, size_t n, elastic__ret_u32 *ret);
ELASTIC_IMPORT("sockets", "[method]tcp-socket.receive")
void elastic_sockets__tcp_receive(uint32_t s, uint32_t max, uint32_t timeout_ms, elastic__ret_list *ret);
ELASTIC_IMPORT("sockets", "[method]tcp-socket.shutdown")
void elastic_sockets__tcp_shutdown(uint32_t s, elastic__ret_unit *ret);
ELASTIC_IMPORT("sockets", "[method]tcp-socket.peer-address")
void elastic_sockets__tcp_peer_address(uint32_t s, elastic__ret_list *ret);
ELASTIC_IMPORT("sockets", "[resource-drop]tcp-socket") void elastic_sockets__tcp_drop(uint32_t s);
ELASTIC_IMPORT("sockets", "[static]tcp-listener.listen")
void elastic_sockets__listen(const char *addr, size_t len, uint32_t port, elastic__ret_u32 *ret);
ELASTIC_IMPORT("sockets", "[method]tcp-listener.local-port") uint32_t elastic_sockets__listener_port(uint32_t l);
ELASTIC_IMPORT("sockets", "[method]tcp-listener.accept")
void elastic_sockets__accept(uint32_t l, uint32_t timeout_ms, elastic__ret_u32 *ret);
ELASTIC_IMPORT("sockets", "[resource-drop]tcp-listener") void elastic_sockets__listener_drop(uint32_t l);
ELASTIC_IMPORT("sockets", "[static]udp-socket.bind")
void elastic_sockets__udp_bind(const char *addr, size_t len, uint32_t port, elastic__ret_u32 *ret);
ELASTIC_IMPORT("sockets", "[method]udp-socket.local-port") uint32_t elastic_sockets__udp_port(uint32_t u);
ELASTIC_IMPORT("sockets", "[method]udp-socket.send-to")
void elastic_sockets__udp_send_to(uint32_t u, const char *host, size_t len, uint32_t port,
                                  const uint8_t *p, size_t n, elastic__ret_u32 *ret);
ELASTIC_IMPORT("sockets", "[method]udp-socket.receive-from")
void elastic_sockets__udp_receive_from(uint32_t u, uint32_t max, uint32_t timeout_ms,
                                       elastic__ret_datagram *ret);
ELASTIC_IMPORT("sockets", "[resource-drop]udp-socket") void elastic_sockets__udp_drop(uint32_t u);
ELASTIC_IMPORT("sockets", "[static]tls-stream.client")
void elastic_sockets__tls_client(uint32_t sock, const char *name, size_t name_len, const uint8_t *ca,
                                 size_t ca_len, int32_t verify, elastic__ret_u32 *ret);
ELASTIC_IMPORT("sockets", "[static]tls-stream.server")
void elastic_sockets__tls_server(uint32_t sock, const uint8_t *cert, size_t cert_len,
                                 const uint8_t *key, size_t key_len, elastic__ret_u32 *ret);
ELASTIC_IMPORT("sockets", "[method]tls-stream.send")
void elastic_sockets__tls_send(uint32_t t, const uint8_t *p, size_t n, elastic__ret_u32 *ret);
ELASTIC_IMPORT("sockets", "[method]tls-stream.receive")
void elastic_sockets__tls_receive(uint32_t t, uint32_t max, uint32_t timeout_ms, elastic__ret_list *ret);
ELASTIC_IMPORT("sockets", "[method]tls-stream.close") void elastic_sockets__tls_close(uint32_t t, elastic__ret_unit *ret);
ELASTIC_IMPORT("sockets", "[method]tls-stream.protocol") void elastic_sockets__tls_protocol(uint32_t t, elastic__list *ret);
ELASTIC_IMPORT("sockets", "[resource-drop]tls-stream") void elastic_sockets__tls_drop(uint32_t t);
ELASTIC_IMPORT("sockets", "[static]dtls-session.client")
void elastic_sockets__dtls_client(uint32_t sock, const char *host, size_t host_len, uint32_t port,
                                  const char *name, size_t name_len, const uint8_t *ca, size_t ca_len,
                                  int32_t verify, elastic__ret_u32 *ret);
ELASTIC_IMPORT("sockets", "[static]dtls-session.server")
void elastic_sockets__dtls_server(uint32_t sock, const uint8_t *cert, size_t cert_len,
                                  const uint8_t *key, size_t key_len, uint32_t timeout_ms,
                                  elastic__ret_u32 *ret);
ELASTIC_IMPORT("sockets", "[method]dtls-session.send")
void elastic_sockets__dtls_send(uint32_t t, const uint8_t *p, size_t n, elastic__ret_u32 *ret);
ELASTIC_IMPORT("sockets", "[method]dtls-session.receive")
void elastic_sockets__dtls_receive(uint32_t t, uint32_t max, uint32_t timeout_ms, elastic__ret_list *ret);
ELASTIC_IMPORT("sockets", "[method]dtls-session.close") void elastic_sockets__dtls_close(uint32_t t, elastic__ret_unit *ret);
ELASTIC_IMPORT("sockets", "[method]dtls-session.protocol") void elastic_sockets__dtls_protocol(uint32_t t, elastic__list *ret);
ELASTIC_IMPORT("sockets", "[resource-drop]dtls-session") void elastic_sockets__dtls_drop(uint32_t t);

/* TCP: connect only to allow-listed HOST:PORT, within timeout_ms. */
static inline int elastic_tcp_connect(const char *host, uint16_t port, uint32_t timeout_ms,
                                      elastic_tcp_socket *s) {
    elastic__ret_u32 r;
    elastic_sockets__tcp_connect(host, strlen(host), port, timeout_ms, &r);
    return elastic__ret_u32_take(&r, s);
}
/* Sends everything; *sent says how much went before an error. */
static inline int elastic_tcp_send(elastic_tcp_socket s, const void *p, size_t n, uint32_t *sent) {
    elastic__ret_u32 r;
    elastic_sockets__tcp_send(s, (const uint8_t *)p, n, &r);
    return elastic__ret_u32_take(&r, sent);
}
/* Up to max bytes; an empty result means the peer closed its side. */
static inline int elastic_tcp_receive(elastic_tcp_socket s, uint32_t max, uint32_t timeout_ms,
                                      elastic_bytes *out) {
    elastic__ret_list r;
    elastic_sockets__tcp_receive(s, max, timeout_ms, &r);
    return elastic__ret_list_take(&r, out);
}
static inline int elastic_tcp_shutdown(elastic_tcp_socket s) {
    elastic__ret_unit r;
    elastic_sockets__tcp_shutdown(s, &r);
    return elastic__ret_unit_take(&r);
}
static inline int elastic_tcp_peer_address(elastic_tcp_socket s, char **addr) {
    elastic__ret_list r;
    elastic_sockets__tcp_peer_address(s, &r);
    return elastic__ret_str_take(&r, addr);
}
static inline void elastic_tcp_close(elastic_tcp_socket s) { elastic_sockets__tcp_drop(s); }
/* Listens on ADDR:PORT (numeric; port 0: any free port) if the host granted it. */
static inline int elastic_tcp_listen(const char *addr, uint16_t port, elastic_tcp_listener *l) {
    elastic__ret_u32 r;
    elastic_sockets__listen(addr, strlen(addr), port, &r);
    return elastic__ret_u32_take(&r, l);
}
static inline uint16_t elastic_tcp_listener_port(elastic_tcp_listener l) {
    return (uint16_t)elastic_sockets__listener_port(l);
}
static inline int elastic_tcp_accept(elastic_tcp_listener l, uint32_t timeout_ms,
                                     elastic_tcp_socket *s) {
    elastic__ret_u32 r;
    elastic_sockets__accept(l, timeout_ms, &r);
    return elastic__ret_u32_take(&r, s);
}
static inline void elastic_tcp_listener_close(elastic_tcp_listener l) { elastic_sockets__listener_drop(l); }

/* UDP: port 0 binds need no grant; datagrams go only to allow-listed HOST:PORT. */
static inline int elastic_udp_bind(const char *addr, uint16_t port, elastic_udp_socket *u) {
    elastic__ret_u32 r;
    elastic_sockets__udp_bind(addr, strlen(addr), port, &r);
    return elastic__ret_u32_take(&r, u);
}
static inline uint16_t elastic_udp_local_port(elastic_udp_socket u) {
    return (uint16_t)elastic_sockets__udp_port(u);
}
static inline int elastic_udp_send_to(elastic_udp_socket u, const char *host, uint16_t port,
                                      const void *p, size_t n) {
    elastic__ret_u32 r;
    elastic_sockets__udp_send_to(u, host, strlen(host), port, (const uint8_t *)p, n, &r);
    return elastic__ret_u32_take(&r, NULL);
}
typedef struct elastic_datagram {
    elastic_bytes data;
    char *address; /* free */
    uint16_t port;
} elastic_datagram;
static inline int elastic_udp_receive_from(elastic_udp_socket u, uint32_t max, uint32_t timeout_ms,
                                           elastic_datagram *d) {
    elastic__ret_datagram r;
    elastic_sockets__udp_receive_from(u, max, timeout_ms, &r);
    if (r.is_err) return 1 + (int)(uint8_t)(uintptr_t)r.data.ptr;
    d->data.ptr = r.data.ptr;
    d->data.len = r.data.len;
    d->address = elastic__cstr(r.address.ptr, r.address.len);
    d->port = r.port;
    return 0;
}
static inline void elastic_udp_close(elastic_udp_socket u) { elastic_sockets__udp_drop(u); }

/* TLS over a connected TCP socket, which the stream takes over (whatever the outcome).
 * Client: verifies the server's certificate and `server_name` unless verify is false;
 * roots are `ca_pem` if given (else the host's). Server: the guest's PEM certificate
 * chain and private key. */
static inline int elastic_tls_client(elastic_tcp_socket s, const char *server_name,
                                     const void *ca_pem, size_t ca_len, bool verify,
                                     elastic_tls_stream *t) {
    elastic__ret_u32 r;
    elastic_sockets__tls_client(s, server_name, strlen(server_name), (const uint8_t *)ca_pem,
                                ca_len, verify, &r);
    return elastic__ret_u32_take(&r, t);
}
static inline int elastic_tls_server(elastic_tcp_socket s, const void *cert_pem, size_t cert_len,
                                     const void *key_pem, size_t key_len, elastic_tls_stream *t) {
    elastic__ret_u32 r;
    elastic_sockets__tls_server(s, (const uint8_t *)cert_pem, cert_len, (const uint8_t *)key_pem,
                                key_len, &r);
    return elastic__ret_u32_take(&r, t);
}
static inline int elastic_tls_send(elastic_tls_stream t, const void *p, size_t n) {
    elastic__ret_u32 r;
    elastic_sockets__tls_send(t, (const uint8_t *)p, n, &r);
    return elastic__ret_u32_take(&r, NULL);
}
static inline int elastic_tls_receive(elastic_tls_stream t, uint32_t max, uint32_t timeout_ms,
                                      elastic_bytes *out) {
    elastic__ret_list r;
    elastic_sockets__tls_receive(t, max, timeout_ms, &r);
    return elastic__ret_list_take(&r, out);
}
static inline int elastic_tls_close(elastic_tls_stream t) {
    elastic__ret_unit r;
    elastic_sockets__tls_close(t, &r);
    return elastic__ret_unit_take(&r);
}
static inline char *elastic_tls_protocol(elastic_tls_stream t) {
    elastic__list r;
    elastic_sockets__tls_protocol(t, &r);
    return elastic__cstr(r.ptr, r.len);
}
static inline void elastic_tls_drop(elastic_tls_stream t) { elastic_sockets__tls_drop(t); }

/* DTLS over a UDP socket (taken over): the client talks to allow-listed host:port; the
 * server waits up to timeout_ms for its one peer. */
static inline int elastic_dtls_client(elastic_udp_socket u, const char *host, uint16_t port,
                                      const char *server_name, const void *ca_pem, size_t ca_len,
                                      bool verify, elastic_dtls_session *d) {
    elastic__ret_u32 r;
    elastic_sockets__dtls_client(u, host, strlen(host), port, server_name, strlen(server_name),
                                 (const uint8_t *)ca_pem, ca_len, verify, &r);
    return elastic__ret_u32_take(&r, d);
}
static inline int elastic_dtls_server(elastic_udp_socket u, const void *cert_pem, size_t cert_len,
                                      const void *key_pem, size_t key_len, uint32_t timeout_ms,
                                      elastic_dtls_session *d) {
    elastic__ret_u32 r;
    elastic_sockets__dtls_server(u, (const uint8_t *)cert_pem, cert_len, (const uint8_t *)key_pem,
                                 key_len, timeout_ms, &r);
    return elastic__ret_u32_take(&r, d);
}
static inline int elastic_dtls_send(elastic_dtls_session d, const void *p, size_t n) {
    elastic__ret_u32 r;
    elastic_sockets__dtls_send(d, (const uint8_t *)p, n, &r);
    return elastic__ret_u32_take(&r, NULL);
}
static inline int elastic_dtls_receive(elastic_dtls_session d, uint32_t max, uint32_t timeout_ms,
                                       elastic_bytes *out) {
    elastic__ret_list r;
    elastic_sockets__dtls_receive(d, max, timeout_ms, &r);
    return elastic__ret_list_take(&r, out);
}
static inline int elastic_dtls_close(elastic_dtls_session d) {
    elastic__ret_unit r;
    elastic_sockets__dtls_close(d, &r);
    return elastic__ret_unit_take(&r);
}
static inline char *elastic_dtls_protocol(elastic_dtls_session d) {
    elastic__list r;
    elastic_sockets__dtls_protocol(d, &r);
    return elastic__cstr(r.ptr, r.len);
}
static inline void elastic_dtls_drop(elastic_dtls_session d) { elastic_sockets__dtls_drop(d); }

/* ==== elastic:gpu =========================================================================== */

typedef enum {
    ELASTIC_GPU_OK = 0,
    ELASTIC_GPU_ERR_NO_DEVICE,
    ELASTIC_GPU_ERR_INVALID_ARGUMENT,
    ELASTIC_GPU_ERR_OUT_OF_RESOURCES,
    ELASTIC_GPU_ERR_BUILD_FAILED,
    ELASTIC_GPU_ERR_LAUNCH_FAILED,
} elastic_gpu_status;
typedef uint32_t elastic_gpu_buffer, elastic_gpu_kernel;
typedef struct {
    elastic__list name, vendor, device_type;
    uint32_t compute_units;
    uint64_t global_memory, max_work_group_size;
} elastic__device_info;

ELASTIC_IMPORT("gpu", "list-devices") void elastic_gpu__list_devices(elastic__list *ret);
ELASTIC_IMPORT("gpu", "[static]buffer.create") void elastic_gpu__buffer_create(uint64_t size, elastic__ret_u32 *ret);
ELASTIC_IMPORT("gpu", "[method]buffer.write")
void elastic_gpu__buffer_write(uint32_t b, uint64_t off, const uint8_t *p, size_t n, elastic__ret_unit *ret);
ELASTIC_IMPORT("gpu", "[method]buffer.read")
void elastic_gpu__buffer_read(uint32_t b, uint64_t off, uint32_t n, elastic__ret_list *ret);
ELASTIC_IMPORT("gpu", "[method]buffer.size") uint64_t elastic_gpu__buffer_size(uint32_t b);
ELASTIC_IMPORT("gpu", "[resource-drop]buffer") void elastic_gpu__buffer_drop(uint32_t b);
ELASTIC_IMPORT("gpu", "[static]kernel.build")
void elastic_gpu__kernel_build(const char *src, size_t n, const char *entry, size_t en, elastic__ret_u32 *ret);
ELASTIC_IMPORT("gpu", "[method]kernel.arg-count") uint32_t elastic_gpu__kernel_arg_count(uint32_t k);
ELASTIC_IMPORT("gpu", "[method]kernel.set-buffer-arg")
void elastic_gpu__kernel_set_buffer_arg(uint32_t k, uint32_t i, uint32_t b, elastic__ret_unit *ret);
ELASTIC_IMPORT("gpu", "[method]kernel.set-u32-arg")
void elastic_gpu__kernel_set_u32_arg(uint32_t k, uint32_t i, uint32_t v, elastic__ret_unit *ret);
ELASTIC_IMPORT("gpu", "[method]kernel.set-f32-arg")
void elastic_gpu__kernel_set_f32_arg(uint32_t k, uint32_t i, float v, elastic__ret_unit *ret);
ELASTIC_IMPORT("gpu", "[method]kernel.run")
void elastic_gpu__kernel_run(uint32_t k, uint32_t x, uint32_t y, uint32_t z, elastic__ret_unit *ret);
ELASTIC_IMPORT("gpu", "[resource-drop]kernel") void elastic_gpu__kernel_drop(uint32_t k);
ELASTIC_IMPORT("gpu", "build-log") void elastic_gpu__build_log(elastic__list *ret);

typedef struct elastic_gpu_device {
    char *name, *vendor, *device_type; /* free each; type "gpu", "cpu", "accelerator" */
    uint32_t compute_units;
    uint64_t global_memory, max_work_group_size;
} elastic_gpu_device;

/* The device in use: 1, or 0 when the host has none (every other call then fails with
 * NO_DEVICE). */
static inline size_t elastic_gpu_list_devices(elastic_gpu_device *out, size_t max) {
    elastic__list r;
    elastic_gpu__list_devices(&r);
    elastic__device_info *d = (elastic__device_info *)r.ptr;
    size_t i = 0;
    for (; i < r.len && i < max; i++) {
        out[i].name = elastic__cstr(d[i].name.ptr, d[i].name.len);
        out[i].vendor = elastic__cstr(d[i].vendor.ptr, d[i].vendor.len);
        out[i].device_type = elastic__cstr(d[i].device_type.ptr, d[i].device_type.len);
        out[i].compute_units = d[i].compute_units;
        out[i].global_memory = d[i].global_memory;
        out[i].max_work_group_size = d[i].max_work_group_size;
    }
    free(r.ptr);
    return i;
}
static inline void elastic_gpu_device_free(elastic_gpu_device *d) {
    free(d->name), free(d->vendor), free(d->device_type);
}
/* A zero-filled device buffer of `size` bytes. */
static inline int elastic_gpu_buffer_create(uint64_t size, elastic_gpu_buffer *b) {
    elastic__ret_u32 r;
    elastic_gpu__buffer_create(size, &r);
    return elastic__ret_u32_take(&r, b);
}
static inline int elastic_gpu_buffer_write(elastic_gpu_buffer b, uint64_t off, const void *p, size_t n) {
    elastic__ret_unit r;
    elastic_gpu__buffer_write(b, off, (const uint8_t *)p, n, &r);
    return elastic__ret_unit_take(&r);
}
static inline int elastic_gpu_buffer_read(elastic_gpu_buffer b, uint64_t off, uint32_t n,
                                          elastic_bytes *out) {
    elastic__ret_list r;
    elastic_gpu__buffer_read(b, off, n, &r);
    return elastic__ret_list_take(&r, out);
}
static inline uint64_t elastic_gpu_buffer_size(elastic_gpu_buffer b) { return elastic_gpu__buffer_size(b); }
static inline void elastic_gpu_buffer_drop(elastic_gpu_buffer b) { elastic_gpu__buffer_drop(b); }
/* Builds OpenCL C `source` and takes its kernel `entry` (BUILD_FAILED: see build_log). */
static inline int elastic_gpu_kernel_build(const char *source, const char *entry, elastic_gpu_kernel *k) {
    elastic__ret_u32 r;
    elastic_gpu__kernel_build(source, strlen(source), entry, strlen(entry), &r);
    return elastic__ret_u32_take(&r, k);
}
static inline uint32_t elastic_gpu_kernel_arg_count(elastic_gpu_kernel k) { return elastic_gpu__kernel_arg_count(k); }
static inline int elastic_gpu_kernel_set_buffer_arg(elastic_gpu_kernel k, uint32_t i, elastic_gpu_buffer b) {
    elastic__ret_unit r;
    elastic_gpu__kernel_set_buffer_arg(k, i, b, &r);
    return elastic__ret_unit_take(&r);
}
static inline int elastic_gpu_kernel_set_u32_arg(elastic_gpu_kernel k, uint32_t i, uint32_t v) {
    elastic__ret_unit r;
    elastic_gpu__kernel_set_u32_arg(k, i, v, &r);
    return elastic__ret_unit_take(&r);
}
static inline int elastic_gpu_kernel_set_f32_arg(elastic_gpu_kernel k, uint32_t i, float v) {
    elastic__ret_unit r;
    elastic_gpu__kernel_set_f32_arg(k, i, v, &r);
    return elastic__ret_unit_take(&r);
}
/* Runs over global size x (, y (, z)): pass 0 for unused dimensions. Waits for the end. */
static inline int elastic_gpu_kernel_run(elastic_gpu_kernel k, uint32_t x, uint32_t y, uint32_t z) {
    elastic__ret_unit r;
    elastic_gpu__kernel_run(k, x, y, z, &r);
    return elastic__ret_unit_take(&r);
}
static inline void elastic_gpu_kernel_drop(elastic_gpu_kernel k) { elastic_gpu__kernel_drop(k); }
static inline char *elastic_gpu_build_log(void) {
    elastic__list r;
    elastic_gpu__build_log(&r);
    return elastic__cstr(r.ptr, r.len);
}

#ifdef __cplusplus
}
#endif
#endif /* ELASTIC_HAL_H */
