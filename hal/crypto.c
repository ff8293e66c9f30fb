/* crypto.c: elastic:crypto on OpenSSL 3's EVP interfaces (no primitive is written
 * here): SHA-2 hashes, HMAC, HKDF, AES-256-GCM and ChaCha20-Poly1305 with nonce and
 * AAD, Ed25519 and ECDSA P-256/P-384 signatures, X25519 agreement. Keys live host-side
 * behind `key` handles; only public keys leave. Also the few primitives storage.c
 * seals objects with (hal_crypto.h). The one file of hal/ with libcrypto. */
#include <stdlib.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>
#include <openssl/opensslv.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "hal_crypto.h"
#include "hal_impl.h"

/* The WIT enums, in order. */
enum { /* crypto-error */
    E_UNSUPPORTED_ALGORITHM = 0,
    E_INVALID_KEY = 1,
    E_INVALID_ARGUMENT = 2,
    E_INVALID_NONCE = 3,
    E_AUTHENTICATION_FAILED = 4,
    E_KEY_NOT_EXPORTABLE = 5,
    E_WRONG_KEY_TYPE = 6,
    E_INTERNAL = 7,
};
enum { H_SHA256 = 0, H_SHA384 = 1, H_SHA512 = 2, H_COUNT }; /* hash-algorithm */
enum { /* key-algorithm */
    K_AES256_GCM = 0,
    K_CHACHA20_POLY1305 = 1,
    K_HMAC_SHA256 = 2,
    K_HMAC_SHA384 = 3,
    K_HMAC_SHA512 = 4,
    K_ED25519 = 5,
    K_ECDSA_P256 = 6,
    K_ECDSA_P384 = 7,
    K_X25519 = 8,
    K_COUNT
};

#define MAX_HMAC_KEY 1024
#define MAX_INPUT (64u << 20) /* one call's data: 64 MiB */

typedef struct hal_key {
    int alg;
    uint8_t *secret; /* symmetric keys */
    size_t secret_len;
    EVP_PKEY *pkey; /* asymmetric keys */
    int has_private;
} hal_key;

static int is_aead(int alg) { return alg == K_AES256_GCM || alg == K_CHACHA20_POLY1305; }
static int is_hmac(int alg) { return alg >= K_HMAC_SHA256 && alg <= K_HMAC_SHA512; }
static int is_symmetric(int alg) { return is_aead(alg) || is_hmac(alg); }
static int is_ecdsa(int alg) { return alg == K_ECDSA_P256 || alg == K_ECDSA_P384; }

static const char *digest_name(int h) {
    return h == H_SHA256 ? "SHA256" : h == H_SHA384 ? "SHA384" : "SHA512";
}
static const EVP_MD *digest_of(int h) {
    return h == H_SHA256 ? EVP_sha256() : h == H_SHA384 ? EVP_sha384() : EVP_sha512();
}
static int hmac_hash(int alg) { return alg - K_HMAC_SHA256; }
/* The secret length a symmetric key algorithm takes when generated or derived. */
static size_t symmetric_len(int alg) {
    return is_aead(alg) ? 32 : alg == K_HMAC_SHA256 ? 32 : alg == K_HMAC_SHA384 ? 48 : 64;
}

static void key_free(hal_key *k) {
    if (!k) return;
    if (k->secret) {
        OPENSSL_cleanse(k->secret, k->secret_len);
        free(k->secret);
    }
    EVP_PKEY_free(k->pkey);
    free(k);
}

static void key_drop(elvm_hal *h, void *obj) {
    (void)h;
    key_free(obj);
}

void elvm__hal_crypto_setup(elvm_hal *h) { h->drop[HAL_RES_KEY] = key_drop; }

const char *elvm__hal_ossl_version(void) { return OpenSSL_version(OPENSSL_VERSION); }

/* ---- primitives shared with storage.c (hal_crypto.h) ----------------------------------------- */

int elvm__hal_hkdf(int sha, const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
                   size_t salt_len, const uint8_t *info, size_t info_len, uint8_t *out,
                   size_t out_len) {
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    EVP_KDF_free(kdf);
    if (!ctx) return -1;
    OSSL_PARAM p[5], *q = p;
    *q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest_name(sha), 0);
    /* An empty key is valid (RFC 5869 allows any IKM); OpenSSL wants a non-NULL pointer. */
    static const uint8_t empty[1];
    *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)(ikm_len ? ikm : empty),
                                             ikm_len);
    if (salt_len) *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
    if (info_len) *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
    *q = OSSL_PARAM_construct_end();
    int ok = EVP_KDF_derive(ctx, out, out_len, p) == 1;
    EVP_KDF_CTX_free(ctx);
    return ok ? 0 : -1;
}

int elvm__hal_hmac(int sha, const uint8_t *key, size_t key_len, const uint8_t *data,
                   size_t len, uint8_t *out, size_t *out_len) {
    static const uint8_t empty[1];
    return EVP_Q_mac(NULL, "HMAC", NULL, digest_name(sha), NULL, key_len ? key : empty, key_len,
                     data, len, out, 64, out_len)
               ? 0
               : -1;
}

int elvm__hal_aead(int chacha, int enc, const uint8_t key[32], const uint8_t nonce[12],
                   const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t in_len,
                   uint8_t *out) {
    if (!enc && in_len < 16) return -1;
    if (in_len > INT32_MAX || aad_len > INT32_MAX) return -1;
    const EVP_CIPHER *ciph = chacha ? EVP_chacha20_poly1305() : EVP_aes_256_gcm();
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx) return -1;
    size_t n = enc ? in_len : in_len - 16;
    int len, ok = EVP_CipherInit_ex(ctx, ciph, NULL, NULL, NULL, enc) == 1 &&
                  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) == 1 &&
                  EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) == 1;
    if (ok && aad_len) ok = EVP_CipherUpdate(ctx, NULL, &len, aad, (int)aad_len) == 1;
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, (void *)(in + n)) == 1;
    if (ok && n) ok = EVP_CipherUpdate(ctx, out, &len, in, (int)n) == 1;
    if (ok) ok = EVP_CipherFinal_ex(ctx, out + n, &len) == 1;
    if (ok && enc) ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, out + n) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok && !enc) OPENSSL_cleanse(out, n);
    return ok ? 0 : -1;
}

int elvm__hal_memeq(const void *a, const void *b, size_t n) { return CRYPTO_memcmp(a, b, n) == 0; }
void elvm__hal_cleanse(void *p, size_t n) { OPENSSL_cleanse(p, n); }
int elvm__hal_rand(void *p, size_t n) { return RAND_bytes(p, (int)n) == 1 ? 0 : -1; }

/* ---- keys ---------------------------------------------------------------------------------------- */

static hal_key *key_new(int alg) {
    hal_key *k = calloc(1, sizeof *k);
    if (k) k->alg = alg;
    return k;
}

static int key_set_secret(hal_key *k, const uint8_t *s, size_t n) {
    k->secret = malloc(n ? n : 1);
    if (!k->secret) return -1;
    memcpy(k->secret, s, n);
    k->secret_len = n;
    k->has_private = 1;
    return 0;
}

static const char *curve_of(int alg) { return alg == K_ECDSA_P256 ? "P-256" : "P-384"; }
static size_t scalar_len(int alg) { return alg == K_ECDSA_P256 ? 32 : 48; }

/* An EC key from its parameters: the private scalar (may be NULL) and the public point. */
static EVP_PKEY *ec_from(int alg, const uint8_t *priv, size_t priv_len, const uint8_t *pub,
                         size_t pub_len) {
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *pkey = NULL;
    BIGNUM *d = priv ? BN_bin2bn(priv, (int)priv_len, NULL) : NULL;
    OSSL_PARAM p[4], *q = p;
    unsigned char dbuf[48];
    *q++ = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)curve_of(alg), 0);
    *q++ = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pub, pub_len);
    if (d) {
        /* OSSL_PARAM BNs are native-endian integers of the given size. */
        if (BN_bn2nativepad(d, dbuf, (int)scalar_len(alg)) < 0) goto out;
        *q++ = OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_PRIV_KEY, dbuf, scalar_len(alg));
    }
    *q = OSSL_PARAM_construct_end();
    if (ctx && EVP_PKEY_fromdata_init(ctx) == 1)
        EVP_PKEY_fromdata(ctx, &pkey, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, p);
out:
    EVP_PKEY_CTX_free(ctx);
    BN_clear_free(d);
    OPENSSL_cleanse(dbuf, sizeof dbuf);
    return pkey;
}

/* The uncompressed public point d*G for a private scalar, or -1 (d out of range). */
static int ec_public_of(int alg, const uint8_t *priv, uint8_t *pub, size_t *pub_len) {
    EC_GROUP *g = EC_GROUP_new_by_curve_name(alg == K_ECDSA_P256 ? NID_X9_62_prime256v1
                                                                 : NID_secp384r1);
    EC_POINT *pt = g ? EC_POINT_new(g) : NULL;
    BIGNUM *d = BN_bin2bn(priv, (int)scalar_len(alg), NULL);
    int ok = pt && d && !BN_is_zero(d) && BN_cmp(d, EC_GROUP_get0_order(g)) < 0 &&
             EC_POINT_mul(g, pt, d, NULL, NULL, NULL) == 1;
    if (ok) {
        *pub_len = EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, pub, 97, NULL);
        ok = *pub_len > 0;
    }
    BN_clear_free(d);
    EC_POINT_free(pt);
    EC_GROUP_free(g);
    return ok ? 0 : -1;
}

/* Generates a key; NULL with *e. */
static hal_key *key_generate(int alg, int *e) {
    hal_key *k = key_new(alg);
    if (!k) return *e = E_INTERNAL, NULL;
    if (is_symmetric(alg)) {
        uint8_t s[64];
        size_t n = symmetric_len(alg);
        if (RAND_bytes(s, (int)n) != 1 || key_set_secret(k, s, n)) goto fail;
        OPENSSL_cleanse(s, sizeof s);
        return k;
    }
    k->pkey = alg == K_ED25519  ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
            : alg == K_X25519   ? EVP_PKEY_Q_keygen(NULL, NULL, "X25519")
                                : EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve_of(alg));
    if (!k->pkey) goto fail;
    k->has_private = 1;
    return k;
fail:
    key_free(k);
    *e = E_INTERNAL;
    return NULL;
}

static hal_key *key_import(int alg, const uint8_t *s, size_t n, int public_only, int *e) {
    hal_key *k = key_new(alg);
    if (!k) return *e = E_INTERNAL, NULL;
    *e = E_INVALID_KEY;
    if (is_symmetric(alg)) {
        if (public_only) {
            *e = E_WRONG_KEY_TYPE; /* a symmetric key has no public half */
            goto fail;
        }
        if (is_aead(alg) ? n != 32 : (n == 0 || n > MAX_HMAC_KEY)) goto fail;
        if (key_set_secret(k, s, n)) goto fail;
        return k;
    }
    if (alg == K_ED25519 || alg == K_X25519) {
        int type = alg == K_ED25519 ? EVP_PKEY_ED25519 : EVP_PKEY_X25519;
        if (n != 32) goto fail;
        k->pkey = public_only ? EVP_PKEY_new_raw_public_key(type, NULL, s, n)
                              : EVP_PKEY_new_raw_private_key(type, NULL, s, n);
    } else if (public_only) {
        if (n != 2 * scalar_len(alg) + 1 || s[0] != 4) goto fail; /* uncompressed SEC1 point */
        k->pkey = ec_from(alg, NULL, 0, s, n);
    } else {
        uint8_t pub[97];
        size_t pub_len;
        if (n != scalar_len(alg) || ec_public_of(alg, s, pub, &pub_len)) goto fail;
        k->pkey = ec_from(alg, s, n, pub, pub_len);
    }
    if (!k->pkey) goto fail;
    k->has_private = !public_only;
    return k;
fail:
    key_free(k);
    return NULL;
}

/* The public key's bytes: raw 32 for Ed25519/X25519, uncompressed SEC1 for ECDSA. */
static int key_public(const hal_key *k, uint8_t *out, size_t *len) {
    if (!k->pkey) return -1;
    if (k->alg == K_ED25519 || k->alg == K_X25519) {
        *len = 32;
        return EVP_PKEY_get_raw_public_key(k->pkey, out, len) == 1 ? 0 : -1;
    }
    return EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_PUB_KEY, out, 97, len) == 1
               ? 0
               : -1;
}

/* Returns a result<key, crypto-error> (handle @4) for a new key or error. */
static int ret_key(hal_call *c, uint32_t ret, hal_key *k, int e) {
    if (!k) return hal_ret_u32(c, ret, 0, e);
    uint32_t handle = hal_handle_new(c->h, HAL_RES_KEY, k);
    if (!handle) {
        key_free(k);
        return hal_trap(c, ELVM_TRAP_HOST, "out of handles");
    }
    return hal_ret_u32(c, ret, handle, -1);
}

static int check_enum(hal_call *c, uint32_t v, uint32_t n, const char *what) {
    return v < n ? 0 : hal_trap(c, ELVM_TRAP_HOST, "invalid %s discriminant %u", what, v);
}

/* [static]key.generate: func(algorithm: key-algorithm) -> result<key, crypto-error> */
static int k_generate(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t alg = hal_u32(a, 0), ret = hal_u32(a, 1);
    HAL_TRY(check_enum(c, alg, K_COUNT, "key-algorithm"));
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    int e = -1;
    hal_key *k = key_generate((int)alg, &e);
    return ret_key(c, ret, k, e);
}

/* [static]key.import-secret / import-public: func(algorithm, bytes: list<u8>)
 *   -> result<key, crypto-error> */
static int import(hal_call *c, const elvm_val *a, int public_only) {
    uint32_t alg = hal_u32(a, 0), ret = hal_u32(a, 3);
    const uint8_t *s;
    HAL_TRY(check_enum(c, alg, K_COUNT, "key-algorithm"));
    HAL_TRY(hal_in(c, hal_u32(a, 1), hal_u32(a, 2), public_only ? "public-key" : "secret", &s));
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    int e = -1;
    hal_key *k = key_import((int)alg, s, hal_u32(a, 2), public_only, &e);
    return ret_key(c, ret, k, e);
}
static int k_import_secret(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    return import(c, a, 0);
}
static int k_import_public(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    return import(c, a, 1);
}

/* [method]key.algorithm: func() -> key-algorithm */
static int k_algorithm(hal_call *c, const elvm_val *a, elvm_val *r) {
    hal_key *k;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_KEY, (void **)&k));
    hal_set_i32(r, (uint32_t)k->alg);
    return 0;
}

/* [method]key.is-private: func() -> bool */
static int k_is_private(hal_call *c, const elvm_val *a, elvm_val *r) {
    hal_key *k;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_KEY, (void **)&k));
    hal_set_i32(r, (uint32_t)k->has_private);
    return 0;
}

/* [method]key.public-key: func() -> result<list<u8>, crypto-error> */
static int k_public_key(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_key *k;
    uint32_t ret = hal_u32(a, 1);
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_KEY, (void **)&k));
    HAL_TRY(hal_retarea(c, ret, 12, 4));
    uint8_t pub[97];
    size_t len;
    if (is_symmetric(k->alg)) return hal_ret_bytes(c, ret, NULL, 0, E_KEY_NOT_EXPORTABLE);
    if (key_public(k, pub, &len)) return hal_ret_bytes(c, ret, NULL, 0, E_INTERNAL);
    return hal_ret_bytes(c, ret, pub, len, -1);
}

/* [resource-drop]key */
static int k_drop(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    return hal_drop(c, hal_u32(a, 0), HAL_RES_KEY);
}

/* ---- functions ----------------------------------------------------------------------------- */

/* hash: func(algorithm: hash-algorithm, data: list<u8>) -> list<u8> */
static int f_hash(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t alg = hal_u32(a, 0), ret = hal_u32(a, 3);
    const uint8_t *data;
    HAL_TRY(check_enum(c, alg, H_COUNT, "hash-algorithm"));
    HAL_TRY(hal_in(c, hal_u32(a, 1), hal_u32(a, 2), "data", &data));
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    uint8_t md[64];
    unsigned n = 0;
    if (EVP_Digest(data, hal_u32(a, 2), md, &n, digest_of((int)alg), NULL) != 1)
        return hal_trap(c, ELVM_TRAP_HOST, "EVP_Digest failed");
    return hal_ret_list(c, ret, md, n);
}

/* hmac: func(key: borrow<key>, data: list<u8>) -> result<list<u8>, crypto-error> */
static int f_hmac(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_key *k;
    const uint8_t *data;
    uint32_t ret = hal_u32(a, 3);
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_KEY, (void **)&k));
    HAL_TRY(hal_in(c, hal_u32(a, 1), hal_u32(a, 2), "data", &data));
    HAL_TRY(hal_retarea(c, ret, 12, 4));
    if (!is_hmac(k->alg)) return hal_ret_bytes(c, ret, NULL, 0, E_WRONG_KEY_TYPE);
    uint8_t mac[64];
    size_t n;
    if (elvm__hal_hmac(hmac_hash(k->alg), k->secret, k->secret_len, data, hal_u32(a, 2), mac, &n))
        return hal_ret_bytes(c, ret, NULL, 0, E_INTERNAL);
    return hal_ret_bytes(c, ret, mac, n, -1);
}

/* hkdf: func(algorithm: hash-algorithm, ikm: list<u8>, salt: list<u8>, info: list<u8>,
 *            length: u32) -> result<list<u8>, crypto-error> */
static int f_hkdf(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t alg = hal_u32(a, 0), len = hal_u32(a, 7), ret = hal_u32(a, 8);
    const uint8_t *ikm, *salt, *info;
    HAL_TRY(check_enum(c, alg, H_COUNT, "hash-algorithm"));
    HAL_TRY(hal_in(c, hal_u32(a, 1), hal_u32(a, 2), "ikm", &ikm));
    HAL_TRY(hal_in(c, hal_u32(a, 3), hal_u32(a, 4), "salt", &salt));
    HAL_TRY(hal_in(c, hal_u32(a, 5), hal_u32(a, 6), "info", &info));
    HAL_TRY(hal_retarea(c, ret, 12, 4));
    size_t hlen = alg == H_SHA256 ? 32 : alg == H_SHA384 ? 48 : 64;
    if (len == 0 || len > 255 * hlen) return hal_ret_bytes(c, ret, NULL, 0, E_INVALID_ARGUMENT);
    uint8_t out[255 * 64];
    if (elvm__hal_hkdf((int)alg, ikm, hal_u32(a, 2), salt, hal_u32(a, 4), info, hal_u32(a, 6), out,
                       len))
        return hal_ret_bytes(c, ret, NULL, 0, E_INTERNAL);
    int rc = hal_ret_bytes(c, ret, out, len, -1);
    OPENSSL_cleanse(out, len);
    return rc;
}

/* A symmetric key of `alg` from HKDF-SHA256(ikm, salt, info); NULL with *e. */
static hal_key *derive_symmetric(int alg, const uint8_t *ikm, size_t ikm_len,
                                 const uint8_t *salt, size_t salt_len, const uint8_t *info,
                                 size_t info_len, int *e) {
    if (!is_symmetric(alg)) return *e = E_UNSUPPORTED_ALGORITHM, NULL;
    uint8_t s[64];
    size_t n = symmetric_len(alg);
    hal_key *k = key_new(alg);
    if (!k || elvm__hal_hkdf(H_SHA256, ikm, ikm_len, salt, salt_len, info, info_len, s, n) ||
        key_set_secret(k, s, n)) {
        key_free(k);
        OPENSSL_cleanse(s, sizeof s);
        return *e = E_INTERNAL, NULL;
    }
    OPENSSL_cleanse(s, sizeof s);
    return k;
}

/* hkdf-key: func(base: borrow<key>, salt: list<u8>, info: list<u8>,
 *                algorithm: key-algorithm) -> result<key, crypto-error>
 * A new symmetric key derived with HKDF-SHA256 from a symmetric key, host-side. */
static int f_hkdf_key(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_key *base;
    const uint8_t *salt, *info;
    uint32_t alg = hal_u32(a, 5), ret = hal_u32(a, 6);
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_KEY, (void **)&base));
    HAL_TRY(hal_in(c, hal_u32(a, 1), hal_u32(a, 2), "salt", &salt));
    HAL_TRY(hal_in(c, hal_u32(a, 3), hal_u32(a, 4), "info", &info));
    HAL_TRY(check_enum(c, alg, K_COUNT, "key-algorithm"));
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    if (!is_symmetric(base->alg)) return hal_ret_u32(c, ret, 0, E_WRONG_KEY_TYPE);
    int e = -1;
    hal_key *k = derive_symmetric((int)alg, base->secret, base->secret_len, salt, hal_u32(a, 2),
                                  info, hal_u32(a, 4), &e);
    return ret_key(c, ret, k, e);
}

/* encrypt / decrypt: func(key: borrow<key>, nonce: list<u8>, aad: list<u8>,
 *                         data: list<u8>) -> result<list<u8>, crypto-error>
 * The ciphertext is the encrypted data followed by the 16-byte tag. */
static int aead(hal_call *c, const elvm_val *a, int enc) {
    hal_key *k;
    const uint8_t *nonce, *aad, *in;
    uint32_t n = hal_u32(a, 6), ret = hal_u32(a, 7);
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_KEY, (void **)&k));
    HAL_TRY(hal_in(c, hal_u32(a, 1), hal_u32(a, 2), "nonce", &nonce));
    HAL_TRY(hal_in(c, hal_u32(a, 3), hal_u32(a, 4), "aad", &aad));
    HAL_TRY(hal_in(c, hal_u32(a, 5), n, enc ? "plaintext" : "ciphertext", &in));
    HAL_TRY(hal_retarea(c, ret, 12, 4));
    if (!is_aead(k->alg)) return hal_ret_bytes(c, ret, NULL, 0, E_WRONG_KEY_TYPE);
    if (hal_u32(a, 2) != 12) return hal_ret_bytes(c, ret, NULL, 0, E_INVALID_NONCE);
    if (n > MAX_INPUT) return hal_ret_bytes(c, ret, NULL, 0, E_INVALID_ARGUMENT);
    if (!enc && n < 16) return hal_ret_bytes(c, ret, NULL, 0, E_AUTHENTICATION_FAILED);
    size_t out_len = enc ? (size_t)n + 16 : (size_t)n - 16;
    uint8_t *out = malloc(out_len ? out_len : 1);
    if (!out) return hal_trap(c, ELVM_TRAP_HOST, "out of host memory");
    int rc;
    if (elvm__hal_aead(k->alg == K_CHACHA20_POLY1305, enc, k->secret, nonce, aad, hal_u32(a, 4),
                       in, n, out))
        rc = hal_ret_bytes(c, ret, NULL, 0, enc ? E_INTERNAL : E_AUTHENTICATION_FAILED);
    else
        rc = hal_ret_bytes(c, ret, out, out_len, -1);
    OPENSSL_cleanse(out, out_len);
    free(out);
    return rc;
}
static int f_encrypt(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    return aead(c, a, 1);
}
static int f_decrypt(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    return aead(c, a, 0);
}

/* ECDSA signatures travel as r || s, each the curve's size (the form NIST's vectors use);
 * OpenSSL speaks DER. */
static int der_to_raw(const uint8_t *der, size_t der_len, size_t n, uint8_t *raw) {
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &der, (long)der_len);
    if (!sig) return -1;
    const BIGNUM *rr, *ss;
    ECDSA_SIG_get0(sig, &rr, &ss);
    int ok = BN_bn2binpad(rr, raw, (int)n) == (int)n && BN_bn2binpad(ss, raw + n, (int)n) == (int)n;
    ECDSA_SIG_free(sig);
    return ok ? 0 : -1;
}

static int raw_to_der(const uint8_t *raw, size_t n, uint8_t **der, int *der_len) {
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *rr = BN_bin2bn(raw, (int)n, NULL), *ss = BN_bin2bn(raw + n, (int)n, NULL);
    if (!sig || !rr || !ss || ECDSA_SIG_set0(sig, rr, ss) != 1) {
        BN_free(rr);
        BN_free(ss);
        ECDSA_SIG_free(sig);
        return -1;
    }
    *der = NULL;
    *der_len = i2d_ECDSA_SIG(sig, der);
    ECDSA_SIG_free(sig);
    return *der_len > 0 ? 0 : -1;
}

static const EVP_MD *sig_digest(int alg) {
    return alg == K_ECDSA_P256 ? EVP_sha256() : alg == K_ECDSA_P384 ? EVP_sha384() : NULL;
}

/* sign: func(key: borrow<key>, message: list<u8>) -> result<list<u8>, crypto-error>
 * Ed25519 (RFC 8032, 64 bytes), ECDSA P-256 with SHA-256 and P-384 with SHA-384 (r || s). */
static int f_sign(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_key *k;
    const uint8_t *msg;
    uint32_t n = hal_u32(a, 2), ret = hal_u32(a, 3);
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_KEY, (void **)&k));
    HAL_TRY(hal_in(c, hal_u32(a, 1), n, "message", &msg));
    HAL_TRY(hal_retarea(c, ret, 12, 4));
    if (k->alg != K_ED25519 && !is_ecdsa(k->alg))
        return hal_ret_bytes(c, ret, NULL, 0, E_WRONG_KEY_TYPE);
    if (!k->has_private) return hal_ret_bytes(c, ret, NULL, 0, E_INVALID_KEY);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t sig[160], raw[96];
    size_t sig_len = sizeof sig;
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, sig_digest(k->alg), NULL, k->pkey) == 1 &&
             EVP_DigestSign(ctx, sig, &sig_len, msg, n) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) return hal_ret_bytes(c, ret, NULL, 0, E_INTERNAL);
    if (k->alg == K_ED25519) return hal_ret_bytes(c, ret, sig, sig_len, -1);
    size_t sl = scalar_len(k->alg);
    if (der_to_raw(sig, sig_len, sl, raw)) return hal_ret_bytes(c, ret, NULL, 0, E_INTERNAL);
    return hal_ret_bytes(c, ret, raw, 2 * sl, -1);
}

/* verify: func(key: borrow<key>, message: list<u8>, signature: list<u8>)
 *   -> result<bool, crypto-error>: ok(false) for a signature that does not verify. */
static int f_verify(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_key *k;
    const uint8_t *msg, *sig;
    uint32_t n = hal_u32(a, 2), sn = hal_u32(a, 4), ret = hal_u32(a, 5);
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_KEY, (void **)&k));
    HAL_TRY(hal_in(c, hal_u32(a, 1), n, "message", &msg));
    HAL_TRY(hal_in(c, hal_u32(a, 3), sn, "signature", &sig));
    HAL_TRY(hal_retarea(c, ret, 2, 1));
    if (k->alg != K_ED25519 && !is_ecdsa(k->alg)) return hal_ret_bool(c, ret, 0, E_WRONG_KEY_TYPE);
    uint8_t *der = NULL;
    int der_len = (int)sn;
    const uint8_t *s = sig;
    if (is_ecdsa(k->alg)) {
        if (sn != 2 * scalar_len(k->alg)) return hal_ret_bool(c, ret, 0, -1);
        if (raw_to_der(sig, scalar_len(k->alg), &der, &der_len))
            return hal_ret_bool(c, ret, 0, E_INTERNAL);
        s = der;
    } else if (sn != 64) {
        return hal_ret_bool(c, ret, 0, -1);
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, sig_digest(k->alg), NULL, k->pkey) == 1 &&
             EVP_DigestVerify(ctx, s, (size_t)der_len, msg, n) == 1;
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    return hal_ret_bool(c, ret, ok, -1);
}

/* derive-shared: func(private-key: borrow<key>, peer-public: list<u8>, salt: list<u8>,
 *                     info: list<u8>, algorithm: key-algorithm) -> result<key, crypto-error>
 * X25519 (RFC 7748) with the peer's 32-byte public key; the shared secret never leaves
 * the host: it becomes a symmetric key of `algorithm` by HKDF-SHA256(secret, salt, info). */
static int f_derive_shared(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_key *k;
    const uint8_t *peer, *salt, *info;
    uint32_t alg = hal_u32(a, 7), ret = hal_u32(a, 8);
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_KEY, (void **)&k));
    HAL_TRY(hal_in(c, hal_u32(a, 1), hal_u32(a, 2), "peer-public", &peer));
    HAL_TRY(hal_in(c, hal_u32(a, 3), hal_u32(a, 4), "salt", &salt));
    HAL_TRY(hal_in(c, hal_u32(a, 5), hal_u32(a, 6), "info", &info));
    HAL_TRY(check_enum(c, alg, K_COUNT, "key-algorithm"));
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    if (k->alg != K_X25519) return hal_ret_u32(c, ret, 0, E_WRONG_KEY_TYPE);
    if (!k->has_private) return hal_ret_u32(c, ret, 0, E_INVALID_KEY);
    if (!is_symmetric((int)alg)) return hal_ret_u32(c, ret, 0, E_UNSUPPORTED_ALGORITHM);
    if (hal_u32(a, 2) != 32) return hal_ret_u32(c, ret, 0, E_INVALID_KEY);
    EVP_PKEY *pp = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, 32);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k->pkey, NULL);
    uint8_t secret[32];
    size_t slen = sizeof secret;
    int ok = pp && ctx && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, pp) == 1 &&
             EVP_PKEY_derive(ctx, secret, &slen) == 1;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pp);
    if (!ok) return hal_ret_u32(c, ret, 0, E_INVALID_KEY); /* e.g. a low-order point */
    int e = -1;
    hal_key *nk = derive_symmetric((int)alg, secret, slen, salt, hal_u32(a, 4), info,
                                   hal_u32(a, 6), &e);
    OPENSSL_cleanse(secret, sizeof secret);
    return ret_key(c, ret, nk, e);
}

static const hal_func funcs[] = {
    {"[static]key.generate", "ii", "", k_generate},
    {"[static]key.import-secret", "iiii", "", k_import_secret},
    {"[static]key.import-public", "iiii", "", k_import_public},
    {"[method]key.algorithm", "i", "i", k_algorithm},
    {"[method]key.is-private", "i", "i", k_is_private},
    {"[method]key.public-key", "ii", "", k_public_key},
    {"[resource-drop]key", "i", "", k_drop},
    {"hash", "iiii", "", f_hash},
    {"hmac", "iiii", "", f_hmac},
    {"hkdf", "iiiiiiiii", "", f_hkdf},
    {"hkdf-key", "iiiiiii", "", f_hkdf_key},
    {"encrypt", "iiiiiiii", "", f_encrypt},
    {"decrypt", "iiiiiiii", "", f_decrypt},
    {"sign", "iiii", "", f_sign},
    {"verify", "iiiiii", "", f_verify},
    {"derive-shared", "iiiiiiiii", "", f_derive_shared},
};

const hal_iface_desc elvm__hal_CRYPTO = {ELVM_HAL_CRYPTO, HAL_MODULE("crypto"), funcs,
                                         sizeof funcs / sizeof funcs[0]};
