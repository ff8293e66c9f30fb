/* test_crypto.c: elastic:crypto from a guest, against published vectors, then every
 * function's error paths. With an argument it instead does one thing the canonical ABI
 * makes a trap: "bad-handle", "bad-pointer", "bad-enum", "dropped-handle".
 *
 * Vectors (vendored here as hex strings, each with its source):
 *  - SHA-2: FIPS 180-2 appendix examples / NIST CAVP SHAVS "abc" messages.
 *  - HMAC: RFC 4231 test case 2.
 *  - HKDF: RFC 5869 test cases 1 and 3.
 *  - AES-256-GCM: NIST CAVP gcmEncryptExtIV256.rsp (Keylen 256, IVlen 96, PTlen 0, AADlen 0,
 *    Taglen 128, Count 0) and the GCM spec's test case 16 (McGrew & Viega, also in NIST's
 *    GCM validation examples).
 *  - ChaCha20-Poly1305: RFC 8439 section 2.8.2.
 *  - Ed25519: RFC 8032 section 7.1, tests 1, 2 and 3.
 *  - ECDSA P-256/SHA-256 and P-384/SHA-384: RFC 6979 appendix A.2.5 and A.2.6 (key pair and
 *    the signature of "sample").
 *  - X25519: RFC 7748 section 6.1. */
#include "guest_test.h"

static unsigned char buf1[1024], buf2[1024], buf3[1024], buf4[1024];

static void test_hashes(void) {
    elastic_bytes h = elastic_crypto_hash(ELASTIC_SHA256, "abc", 3);
    CHECK(t_eq_hex(&h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    elastic_bytes_free(&h);
    h = elastic_crypto_hash(ELASTIC_SHA384, "abc", 3);
    CHECK(t_eq_hex(&h, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
                       "8086072ba1e7cc2358baeca134c825a7"));
    elastic_bytes_free(&h);
    h = elastic_crypto_hash(ELASTIC_SHA512, "abc", 3);
    CHECK(t_eq_hex(&h, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                       "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"));
    elastic_bytes_free(&h);
    h = elastic_crypto_hash(ELASTIC_SHA256, "", 0);
    CHECK(t_eq_hex(&h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    elastic_bytes_free(&h);
}

static void test_hmac(void) {
    static const struct { elastic_key_algorithm alg; const char *mac; } v[] = {
        {ELASTIC_HMAC_SHA256, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {ELASTIC_HMAC_SHA384, "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
                              "8e2240ca5e69e2c78b3239ecfab21649"},
        {ELASTIC_HMAC_SHA512, "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
                              "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
    };
    for (int i = 0; i < 3; i++) {
        elastic_crypto_key k;
        CHECK_RC(elastic_crypto_key_import_secret(v[i].alg, "Jefe", 4, &k), 0);
        CHECK(elastic_crypto_key_algorithm(k) == v[i].alg);
        CHECK(elastic_crypto_key_is_private(k));
        elastic_bytes mac;
        CHECK_RC(elastic_crypto_hmac(k, "what do ya want for nothing?", 28, &mac), 0);
        CHECK(t_eq_hex(&mac, v[i].mac));
        elastic_bytes_free(&mac);
        /* A secret key never leaves. */
        CHECK_RC(elastic_crypto_key_public_key(k, &mac), ELASTIC_CRYPTO_ERR_KEY_NOT_EXPORTABLE);
        elastic_crypto_key_drop(k);
    }
    elastic_crypto_key k;
    CHECK_RC(elastic_crypto_key_import_secret(ELASTIC_HMAC_SHA256, "", 0, &k),
             ELASTIC_CRYPTO_ERR_INVALID_KEY);
    CHECK_RC(elastic_crypto_key_generate(ELASTIC_HMAC_SHA512, &k), 0);
    elastic_bytes mac;
    CHECK_RC(elastic_crypto_hmac(k, "x", 1, &mac), 0);
    CHECK(mac.len == 64);
    elastic_bytes_free(&mac);
    elastic_crypto_key_drop(k);
}

static void test_hkdf(void) {
    size_t ikm = t_unhex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", buf1, sizeof buf1);
    size_t salt = t_unhex("000102030405060708090a0b0c", buf2, sizeof buf2);
    size_t info = t_unhex("f0f1f2f3f4f5f6f7f8f9", buf3, sizeof buf3);
    elastic_bytes okm;
    CHECK_RC(elastic_crypto_hkdf(ELASTIC_SHA256, buf1, ikm, buf2, salt, buf3, info, 42, &okm), 0);
    CHECK(t_eq_hex(&okm, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                         "34007208d5b887185865"));
    elastic_bytes_free(&okm);
    CHECK_RC(elastic_crypto_hkdf(ELASTIC_SHA256, buf1, ikm, "", 0, "", 0, 42, &okm), 0);
    CHECK(t_eq_hex(&okm, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
                         "9d201395faa4b61a96c8"));
    elastic_bytes_free(&okm);
    CHECK_RC(elastic_crypto_hkdf(ELASTIC_SHA256, buf1, ikm, "", 0, "", 0, 0, &okm),
             ELASTIC_CRYPTO_ERR_INVALID_ARGUMENT);
    CHECK_RC(elastic_crypto_hkdf(ELASTIC_SHA256, buf1, ikm, "", 0, "", 0, 255 * 32 + 1, &okm),
             ELASTIC_CRYPTO_ERR_INVALID_ARGUMENT);
    CHECK_RC(elastic_crypto_hkdf(ELASTIC_SHA512, buf1, ikm, "", 0, "", 0, 255 * 64, &okm), 0);
    CHECK(okm.len == 255 * 64);
    elastic_bytes_free(&okm);

    /* hkdf-key: a derived key stays host-side; it equals importing the same HKDF bytes. */
    elastic_crypto_key base, derived, same;
    CHECK_RC(elastic_crypto_key_import_secret(ELASTIC_AES256_GCM, buf4, 32, &base), 0);
    CHECK_RC(elastic_crypto_hkdf_key(base, "salt", 4, "info", 4, ELASTIC_HMAC_SHA256, &derived), 0);
    CHECK_RC(elastic_crypto_hkdf(ELASTIC_SHA256, buf4, 32, "salt", 4, "info", 4, 32, &okm), 0);
    CHECK_RC(elastic_crypto_key_import_secret(ELASTIC_HMAC_SHA256, okm.ptr, okm.len, &same), 0);
    elastic_bytes m1, m2;
    CHECK_RC(elastic_crypto_hmac(derived, "m", 1, &m1), 0);
    CHECK_RC(elastic_crypto_hmac(same, "m", 1, &m2), 0);
    CHECK(m1.len == 32 && m2.len == 32 && !memcmp(m1.ptr, m2.ptr, 32));
    elastic_bytes_free(&m1), elastic_bytes_free(&m2), elastic_bytes_free(&okm);
    CHECK_RC(elastic_crypto_hkdf_key(base, "", 0, "", 0, ELASTIC_ED25519, &derived),
             ELASTIC_CRYPTO_ERR_UNSUPPORTED_ALGORITHM);
    elastic_crypto_key ed;
    CHECK_RC(elastic_crypto_key_generate(ELASTIC_ED25519, &ed), 0);
    CHECK_RC(elastic_crypto_hkdf_key(ed, "", 0, "", 0, ELASTIC_AES256_GCM, &derived),
             ELASTIC_CRYPTO_ERR_WRONG_KEY_TYPE);
    elastic_crypto_key_drop(ed), elastic_crypto_key_drop(base), elastic_crypto_key_drop(same);
}

/* Encrypts `pt` and checks ct || tag, then decrypts it back. */
static void aead_vector(elastic_key_algorithm alg, const char *key, const char *iv,
                        const char *aad, const char *pt_hex, const char *pt_str,
                        const char *ct_tag) {
    size_t kn = t_unhex(key, buf1, sizeof buf1), nn = t_unhex(iv, buf2, sizeof buf2);
    size_t an = t_unhex(aad, buf3, sizeof buf3), pn;
    const unsigned char *pt = buf4;
    if (pt_str) {
        pt = (const unsigned char *)pt_str;
        pn = strlen(pt_str);
    } else {
        pn = t_unhex(pt_hex, buf4, sizeof buf4);
    }
    elastic_crypto_key k;
    CHECK_RC(elastic_crypto_key_import_secret(alg, buf1, kn, &k), 0);
    elastic_bytes ct, back;
    CHECK_RC(elastic_crypto_encrypt(k, buf2, nn, buf3, an, pt, pn, &ct), 0);
    CHECK(t_eq_hex(&ct, ct_tag));
    CHECK_RC(elastic_crypto_decrypt(k, buf2, nn, buf3, an, ct.ptr, ct.len, &back), 0);
    CHECK(back.len == pn && !memcmp(back.ptr, pt, pn));
    elastic_bytes_free(&back);
    /* Tampering anywhere (ciphertext, tag, AAD) fails authentication. */
    ct.ptr[ct.len - 1] ^= 1;
    CHECK_RC(elastic_crypto_decrypt(k, buf2, nn, buf3, an, ct.ptr, ct.len, &back),
             ELASTIC_CRYPTO_ERR_AUTHENTICATION_FAILED);
    ct.ptr[ct.len - 1] ^= 1;
    CHECK_RC(elastic_crypto_decrypt(k, buf2, nn, "x", 1, ct.ptr, ct.len, &back),
             ELASTIC_CRYPTO_ERR_AUTHENTICATION_FAILED);
    elastic_bytes_free(&ct);
    elastic_crypto_key_drop(k);
}

static void test_aead(void) {
    aead_vector(ELASTIC_AES256_GCM,
                "b52c505a37d78eda5dd34f20c22540ea1b58963cf8e5bf8ffa85f9f2492505b4",
                "516c33929df5a3284ff463d7", "", "", NULL, "bdc1ac884d332457a1d2664f168c76f0");
    aead_vector(ELASTIC_AES256_GCM,
                "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
                "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
                "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
                NULL,
                "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
                "76fc6ece0f4e1768cddf8853bb2d551b");
    aead_vector(ELASTIC_CHACHA20_POLY1305,
                "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
                "070000004041424344454647", "50515253c0c1c2c3c4c5c6c7", NULL,
                "Ladies and Gentlemen of the class of '99: If I could offer you only one tip "
                "for the future, sunscreen would be it.",
                "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
                "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
                "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
                "3ff4def08e4b7a9de576d26586cec64b6116"
                "1ae10b594f09e26a7e902ecbd0600691");

    elastic_crypto_key k, h;
    elastic_bytes out;
    CHECK_RC(elastic_crypto_key_generate(ELASTIC_CHACHA20_POLY1305, &k), 0);
    CHECK_RC(elastic_crypto_encrypt(k, "short", 5, "", 0, "x", 1, &out),
             ELASTIC_CRYPTO_ERR_INVALID_NONCE);
    CHECK_RC(elastic_crypto_decrypt(k, "123456789012", 12, "", 0, "tooshort", 8, &out),
             ELASTIC_CRYPTO_ERR_AUTHENTICATION_FAILED);
    CHECK_RC(elastic_crypto_encrypt(k, "123456789012", 12, "", 0, "", 0, &out), 0);
    CHECK(out.len == 16);
    elastic_bytes_free(&out);
    CHECK_RC(elastic_crypto_key_import_secret(ELASTIC_AES256_GCM, buf1, 31, &h),
             ELASTIC_CRYPTO_ERR_INVALID_KEY);
    CHECK_RC(elastic_crypto_key_import_public(ELASTIC_AES256_GCM, buf1, 32, &h),
             ELASTIC_CRYPTO_ERR_WRONG_KEY_TYPE);
    CHECK_RC(elastic_crypto_hmac(k, "x", 1, &out), ELASTIC_CRYPTO_ERR_WRONG_KEY_TYPE);
    CHECK_RC(elastic_crypto_sign(k, "x", 1, &out), ELASTIC_CRYPTO_ERR_WRONG_KEY_TYPE);
    CHECK_RC(elastic_crypto_key_generate(ELASTIC_HMAC_SHA256, &h), 0);
    CHECK_RC(elastic_crypto_encrypt(h, "123456789012", 12, "", 0, "x", 1, &out),
             ELASTIC_CRYPTO_ERR_WRONG_KEY_TYPE);
    elastic_crypto_key_drop(h);
    elastic_crypto_key_drop(k);
}

static void test_ed25519(void) {
    static const struct { const char *sk, *pk, *msg, *sig; } v[] = {
        {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
         "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
         "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
        {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
         "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
         "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
         "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
        {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
         "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
         "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
         "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
    };
    for (int i = 0; i < 3; i++) {
        size_t sn = t_unhex(v[i].sk, buf1, sizeof buf1), mn = t_unhex(v[i].msg, buf2, sizeof buf2);
        size_t pn = t_unhex(v[i].pk, buf3, sizeof buf3);
        elastic_crypto_key k, pub;
        elastic_bytes pk, sig;
        bool ok = false;
        CHECK_RC(elastic_crypto_key_import_secret(ELASTIC_ED25519, buf1, sn, &k), 0);
        CHECK_RC(elastic_crypto_key_public_key(k, &pk), 0);
        CHECK(t_eq_hex(&pk, v[i].pk));
        CHECK_RC(elastic_crypto_sign(k, buf2, mn, &sig), 0);
        CHECK(t_eq_hex(&sig, v[i].sig)); /* Ed25519 is deterministic */
        CHECK_RC(elastic_crypto_key_import_public(ELASTIC_ED25519, buf3, pn, &pub), 0);
        CHECK(!elastic_crypto_key_is_private(pub));
        CHECK_RC(elastic_crypto_verify(pub, buf2, mn, sig.ptr, sig.len, &ok), 0);
        CHECK(ok);
        sig.ptr[5] ^= 0x10;
        CHECK_RC(elastic_crypto_verify(pub, buf2, mn, sig.ptr, sig.len, &ok), 0);
        CHECK(!ok);
        CHECK_RC(elastic_crypto_verify(pub, buf2, mn, sig.ptr, 63, &ok), 0);
        CHECK(!ok);
        elastic_bytes_free(&sig);
        /* A public key cannot sign. */
        CHECK_RC(elastic_crypto_sign(pub, "x", 1, &sig), ELASTIC_CRYPTO_ERR_INVALID_KEY);
        elastic_bytes_free(&pk);
        elastic_crypto_key_drop(k), elastic_crypto_key_drop(pub);
    }
    elastic_crypto_key k;
    CHECK_RC(elastic_crypto_key_import_public(ELASTIC_ED25519, buf3, 31, &k),
             ELASTIC_CRYPTO_ERR_INVALID_KEY);
}

static void test_ecdsa(void) {
    static const struct {
        elastic_key_algorithm alg;
        const char *x, *ux, *uy, *r, *s;
    } v[] = {
        {ELASTIC_ECDSA_P256, "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721",
         "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6",
         "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299",
         "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716",
         "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"},
        {ELASTIC_ECDSA_P384,
         "6B9D3DAD2E1B8C1C05B19875B6659F4DE23C3B667BF297BA9AA47740787137D896D5724E4C70A825F872C9EA60D2EDF5",
         "EC3A4E415B4E19A4568618029F427FA5DA9A8BC4AE92E02E06AAE5286B300C64DEF8F0EA9055866064A254515480BC13",
         "8015D9B72D7D57244EA8EF9AC0C621896708A59367F9DFB9F54CA84B3F1C9DB1288B231C3AE0D4FE7344FD2533264720",
         "94EDBB92A5ECB8AAD4736E56C691916B3F88140666CE9FA73D64C4EA95AD133C81A648152E44ACF96E36DD1E80FABE46",
         "99EF4AEB15F178CEA1FE40DB2603138F130E740A19624526203B6351D0A3A94FA329C145786E679E7B82C71A38628AC8"},
    };
    for (int i = 0; i < 2; i++) {
        size_t xn = t_unhex(v[i].x, buf1, sizeof buf1);
        buf2[0] = 4;
        size_t un = 1 + t_unhex(v[i].ux, buf2 + 1, 100);
        un += t_unhex(v[i].uy, buf2 + un, 100);
        size_t sn = t_unhex(v[i].r, buf3, 100);
        sn += t_unhex(v[i].s, buf3 + sn, 100);
        elastic_crypto_key k, pub;
        elastic_bytes pk, sig;
        bool ok = false;
        CHECK_RC(elastic_crypto_key_import_secret(v[i].alg, buf1, xn, &k), 0);
        CHECK_RC(elastic_crypto_key_public_key(k, &pk), 0);
        CHECK(pk.len == un && !memcmp(pk.ptr, buf2, un));
        elastic_bytes_free(&pk);
        CHECK_RC(elastic_crypto_key_import_public(v[i].alg, buf2, un, &pub), 0);
        CHECK_RC(elastic_crypto_verify(pub, "sample", 6, buf3, sn, &ok), 0);
        CHECK(ok);
        CHECK_RC(elastic_crypto_verify(pub, "samplf", 6, buf3, sn, &ok), 0);
        CHECK(!ok);
        /* ECDSA signatures are randomized: sign, then verify with the public key. */
        CHECK_RC(elastic_crypto_sign(k, "hello", 5, &sig), 0);
        CHECK(sig.len == sn);
        CHECK_RC(elastic_crypto_verify(pub, "hello", 5, sig.ptr, sig.len, &ok), 0);
        CHECK(ok);
        CHECK_RC(elastic_crypto_verify(pub, "hello", 5, sig.ptr, sig.len - 1, &ok), 0);
        CHECK(!ok);
        elastic_bytes_free(&sig);
        elastic_crypto_key_drop(k), elastic_crypto_key_drop(pub);
        /* Generated keys. */
        CHECK_RC(elastic_crypto_key_generate(v[i].alg, &k), 0);
        CHECK_RC(elastic_crypto_key_public_key(k, &pk), 0);
        CHECK(pk.len == un && pk.ptr[0] == 4);
        CHECK_RC(elastic_crypto_sign(k, "m", 1, &sig), 0);
        CHECK_RC(elastic_crypto_key_import_public(v[i].alg, pk.ptr, pk.len, &pub), 0);
        CHECK_RC(elastic_crypto_verify(pub, "m", 1, sig.ptr, sig.len, &ok), 0);
        CHECK(ok);
        elastic_bytes_free(&sig), elastic_bytes_free(&pk);
        elastic_crypto_key_drop(k), elastic_crypto_key_drop(pub);
    }
    elastic_crypto_key k;
    memset(buf1, 0, 32);
    CHECK_RC(elastic_crypto_key_import_secret(ELASTIC_ECDSA_P256, buf1, 32, &k),
             ELASTIC_CRYPTO_ERR_INVALID_KEY); /* d = 0 */
    memset(buf1, 0xff, 32);
    CHECK_RC(elastic_crypto_key_import_secret(ELASTIC_ECDSA_P256, buf1, 32, &k),
             ELASTIC_CRYPTO_ERR_INVALID_KEY); /* d >= n */
    buf2[0] = 4;
    memset(buf2 + 1, 0x11, 64);
    CHECK_RC(elastic_crypto_key_import_public(ELASTIC_ECDSA_P256, buf2, 65, &k),
             ELASTIC_CRYPTO_ERR_INVALID_KEY); /* not on the curve */
    CHECK_RC(elastic_crypto_key_import_public(ELASTIC_ECDSA_P384, buf2, 65, &k),
             ELASTIC_CRYPTO_ERR_INVALID_KEY); /* wrong size */
}

static void test_x25519(void) {
    const char *a_sk = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    const char *a_pk = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    const char *b_sk = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
    const char *b_pk = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    const char *shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
    elastic_crypto_key a, b, ka, kb, kref;
    elastic_bytes pk, okm, m1, m2, m3;
    t_unhex(a_sk, buf1, 32);
    t_unhex(b_sk, buf2, 32);
    CHECK_RC(elastic_crypto_key_import_secret(ELASTIC_X25519, buf1, 32, &a), 0);
    CHECK_RC(elastic_crypto_key_import_secret(ELASTIC_X25519, buf2, 32, &b), 0);
    CHECK_RC(elastic_crypto_key_public_key(a, &pk), 0);
    CHECK(t_eq_hex(&pk, a_pk));
    elastic_bytes_free(&pk);
    CHECK_RC(elastic_crypto_key_public_key(b, &pk), 0);
    CHECK(t_eq_hex(&pk, b_pk));
    elastic_bytes_free(&pk);
    /* Both sides derive the same key, equal to HKDF-SHA256 of RFC 7748's shared secret. */
    t_unhex(b_pk, buf3, 32);
    t_unhex(a_pk, buf4, 32);
    CHECK_RC(elastic_crypto_derive_shared(a, buf3, 32, "s", 1, "i", 1, ELASTIC_HMAC_SHA256, &ka), 0);
    CHECK_RC(elastic_crypto_derive_shared(b, buf4, 32, "s", 1, "i", 1, ELASTIC_HMAC_SHA256, &kb), 0);
    t_unhex(shared, buf1, 32);
    CHECK_RC(elastic_crypto_hkdf(ELASTIC_SHA256, buf1, 32, "s", 1, "i", 1, 32, &okm), 0);
    CHECK_RC(elastic_crypto_key_import_secret(ELASTIC_HMAC_SHA256, okm.ptr, okm.len, &kref), 0);
    CHECK_RC(elastic_crypto_hmac(ka, "msg", 3, &m1), 0);
    CHECK_RC(elastic_crypto_hmac(kb, "msg", 3, &m2), 0);
    CHECK_RC(elastic_crypto_hmac(kref, "msg", 3, &m3), 0);
    CHECK(m1.len == 32 && !memcmp(m1.ptr, m2.ptr, 32) && !memcmp(m1.ptr, m3.ptr, 32));
    elastic_bytes_free(&m1), elastic_bytes_free(&m2), elastic_bytes_free(&m3);
    elastic_bytes_free(&okm);
    /* Errors. */
    elastic_crypto_key bad, ed, pub;
    CHECK_RC(elastic_crypto_derive_shared(a, buf3, 31, "", 0, "", 0, ELASTIC_AES256_GCM, &bad),
             ELASTIC_CRYPTO_ERR_INVALID_KEY);
    CHECK_RC(elastic_crypto_derive_shared(a, buf3, 32, "", 0, "", 0, ELASTIC_ED25519, &bad),
             ELASTIC_CRYPTO_ERR_UNSUPPORTED_ALGORITHM);
    memset(buf1, 0, 32); /* the all-zero (low-order) point */
    CHECK_RC(elastic_crypto_derive_shared(a, buf1, 32, "", 0, "", 0, ELASTIC_AES256_GCM, &bad),
             ELASTIC_CRYPTO_ERR_INVALID_KEY);
    CHECK_RC(elastic_crypto_key_generate(ELASTIC_ED25519, &ed), 0);
    CHECK_RC(elastic_crypto_derive_shared(ed, buf3, 32, "", 0, "", 0, ELASTIC_AES256_GCM, &bad),
             ELASTIC_CRYPTO_ERR_WRONG_KEY_TYPE);
    CHECK_RC(elastic_crypto_key_import_public(ELASTIC_X25519, buf3, 32, &pub), 0);
    CHECK_RC(elastic_crypto_derive_shared(pub, buf4, 32, "", 0, "", 0, ELASTIC_AES256_GCM, &bad),
             ELASTIC_CRYPTO_ERR_INVALID_KEY);
    CHECK_RC(elastic_crypto_sign(a, "x", 1, &m1), ELASTIC_CRYPTO_ERR_WRONG_KEY_TYPE);
    CHECK_RC(elastic_crypto_key_generate(ELASTIC_X25519, &bad), 0);
    elastic_crypto_key_drop(bad);
    elastic_crypto_key_drop(a), elastic_crypto_key_drop(b), elastic_crypto_key_drop(ka);
    elastic_crypto_key_drop(kb), elastic_crypto_key_drop(kref), elastic_crypto_key_drop(ed);
    elastic_crypto_key_drop(pub);
}

/* The traps: each ends the program, so the script checks the message. */
static int trap_case(const char *what) {
    elastic_bytes out;
    elastic_crypto_key k;
    if (!strcmp(what, "bad-handle")) {
        elastic_crypto_hmac(12345, "x", 1, &out);
    } else if (!strcmp(what, "bad-pointer")) {
        elastic_crypto__hash(0, (const uint8_t *)0xFFFFFFF0u, 64, (elastic__list *)&out);
    } else if (!strcmp(what, "bad-enum")) {
        elastic__ret_u32 r;
        elastic_crypto__key_generate(42, &r);
    } else if (!strcmp(what, "dropped-handle")) {
        elastic_crypto_key_generate(ELASTIC_HMAC_SHA256, &k);
        elastic_crypto_key_drop(k);
        elastic_crypto_hmac(k, "x", 1, &out);
    } else if (!strcmp(what, "bad-retptr")) {
        elastic_crypto__hash(0, (const uint8_t *)"abc", 3, (elastic__list *)0xFFFFFFFCu);
    }
    printf("no trap for %s\n", what);
    return 1;
}

int main(int argc, char **argv) {
    if (argc > 1) return trap_case(argv[1]);
    test_hashes();
    test_hmac();
    test_hkdf();
    test_aead();
    test_ed25519();
    test_ecdsa();
    test_x25519();
    return t_done("crypto");
}
