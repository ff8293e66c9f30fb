/* sim.c: the simulated backend: a test chain shaped like AMD's (RSA-4096 ARK and ASK, P-384
 * VCEK with the hwID and TCB extensions, RSA-PSS/SHA-384 signatures), reports signed with the
 * simulated VCEK key, and a derived key from that key. It protects nothing: every output says
 * ELVM_SNP_SIMULATED_WARNING, its CHIP_ID starts with ELVM__SNP_SIM_CHIP_MAGIC. */
#include "snp_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

/* What the simulated firmware reports: a Genoa (family 0x19, model 0x11) at these SPLs. */
#define SIM_BL 10
#define SIM_TEE 0
#define SIM_SNP 23
#define SIM_UCODE 72
#define SIM_POLICY (ELVM_SNP_POLICY_RESERVED_ONE | ELVM_SNP_POLICY_SMT | (1u << 8) | 55u)
#define SIM_MEASUREMENT_TEXT "elvm simulated launch measurement"
#define SIM_SUBJECT_O "elvm (" ELVM_SNP_SIMULATED_WARNING ")"

/* ---- certificates ---------------------------------------------------------------------------- */

static int add_conf_ext(X509 *x, X509 *issuer, int nid, const char *value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!e) return -1;
    int ok = X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok ? 0 : -1;
}

/* An extension whose extnValue is exactly `der` (AMD's VCEK extensions are non-standard). */
static int add_raw_ext(X509 *x, const char *oid, const uint8_t *der, size_t len) {
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    X509_EXTENSION *e = NULL;
    int rc = -1;
    if (obj && os && ASN1_OCTET_STRING_set(os, der, (int)len))
        e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
    if (e && X509_add_ext(x, e, -1)) rc = 0;
    X509_EXTENSION_free(e);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(obj);
    return rc;
}

static int add_int_ext(X509 *x, const char *oid, uint8_t v) {
    uint8_t der[4] = {0x02, 0x01, v};
    if (v < 0x80) return add_raw_ext(x, oid, der, 3);
    der[1] = 0x02;
    der[2] = 0x00;
    der[3] = v;
    return add_raw_ext(x, oid, der, 4);
}

/* Signs with RSASSA-PSS, SHA-384, MGF1-SHA-384, 48-byte salt: AMD's parameters. */
static int sign_pss(X509 *x, EVP_PKEY *key) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int rc = -1;
    if (md && EVP_DigestSignInit(md, &pctx, EVP_sha384(), NULL, key) == 1 &&
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48) == 1 &&
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) == 1 && X509_sign_ctx(x, md) > 0)
        rc = 0;
    EVP_MD_CTX_free(md);
    return rc;
}

/* kind: 0 ARK (self-signed root), 1 ASK (intermediate), 2 VCEK (leaf). */
static X509 *make_cert(int kind, EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey,
                       const uint8_t chip_id[64]) {
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    if (!x || !name) goto fail;
    if (!X509_set_version(x, 2) || !ASN1_INTEGER_set(X509_get_serialNumber(x), kind == 0 ? 0x10000
                                                     : kind == 1 ? 0x10001 : 0))
        goto fail;
    if (!X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_ASC, (const unsigned char *)"Engineering",
                                    -1, -1, 0) ||
        !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)SIM_SUBJECT_O,
                                    -1, -1, 0) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
                                    0))
        goto fail;
    if (!X509_set_subject_name(x, name) ||
        !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name))
        goto fail;
    if (!X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
        !X509_time_adj_ex(X509_getm_notAfter(x), kind == 2 ? 7 * 365 : 25 * 365, 0, NULL))
        goto fail;
    if (!X509_set_pubkey(x, key)) goto fail;
    if (add_conf_ext(x, issuer, NID_subject_key_identifier, "hash") < 0) goto fail;
    if (kind == 0) {
        if (add_conf_ext(x, NULL, NID_key_usage, "critical,keyCertSign,cRLSign") < 0 ||
            add_conf_ext(x, NULL, NID_basic_constraints, "critical,CA:TRUE") < 0)
            goto fail;
    } else {
        if (add_conf_ext(x, issuer, NID_authority_key_identifier, "keyid:always") < 0) goto fail;
    }
    if (kind == 1) {
        if (add_conf_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") < 0 ||
            add_conf_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign") < 0)
            goto fail;
    }
    if (kind == 2) {
        static const uint8_t product[] = {0x16, 0x05, 'G', 'e', 'n', 'o', 'a'};
        if (add_int_ext(x, "1.3.6.1.4.1.3704.1.1", 0) < 0 ||
            add_raw_ext(x, "1.3.6.1.4.1.3704.1.2", product, sizeof product) < 0 ||
            add_int_ext(x, "1.3.6.1.4.1.3704.1.3.1", SIM_BL) < 0 ||
            add_int_ext(x, "1.3.6.1.4.1.3704.1.3.2", SIM_TEE) < 0 ||
            add_int_ext(x, "1.3.6.1.4.1.3704.1.3.4", 0) < 0 ||
            add_int_ext(x, "1.3.6.1.4.1.3704.1.3.5", 0) < 0 ||
            add_int_ext(x, "1.3.6.1.4.1.3704.1.3.6", 0) < 0 ||
            add_int_ext(x, "1.3.6.1.4.1.3704.1.3.7", 0) < 0 ||
            add_int_ext(x, "1.3.6.1.4.1.3704.1.3.3", SIM_SNP) < 0 ||
            add_int_ext(x, "1.3.6.1.4.1.3704.1.3.8", SIM_UCODE) < 0 ||
            add_raw_ext(x, "1.3.6.1.4.1.3704.1.4", chip_id, 64) < 0)
            goto fail;
    }
    if (sign_pss(x, ikey) < 0) goto fail;
    X509_NAME_free(name);
    return x;
fail:
    X509_NAME_free(name);
    X509_free(x);
    return NULL;
}

static int write_cert(const char *dir, const char *file, X509 *x, char *err, size_t errlen) {
    char path[4096];
    if (elvm__snp_path(path, sizeof path, dir, file) < 0) {
        elvm__snp_err(err, errlen, "%s: path too long", dir);
        return -1;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        elvm__snp_err(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int ok = PEM_write_X509(f, x);
    if (fclose(f) != 0) ok = 0;
    if (!ok) {
        elvm__snp_err_ossl(err, errlen, "%s: write failed", path);
        return -1;
    }
    return 0;
}

static int write_key(const char *dir, const char *file, EVP_PKEY *key, char *err, size_t errlen) {
    char path[4096];
    if (elvm__snp_path(path, sizeof path, dir, file) < 0) {
        elvm__snp_err(err, errlen, "%s: path too long", dir);
        return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        elvm__snp_err(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    int ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    if (fclose(f) != 0) ok = 0;
    if (!ok) {
        elvm__snp_err_ossl(err, errlen, "%s: write failed", path);
        return -1;
    }
    return 0;
}

int elvm_snp_sim_keys_generate(const char *dir, char *err, size_t errlen) {
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        elvm__snp_err(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    uint8_t chip_id[64];
    memcpy(chip_id, ELVM__SNP_SIM_CHIP_MAGIC, ELVM__SNP_SIM_CHIP_MAGIC_LEN);
    if (RAND_bytes(chip_id + ELVM__SNP_SIM_CHIP_MAGIC_LEN,
                   64 - ELVM__SNP_SIM_CHIP_MAGIC_LEN) != 1) {
        elvm__snp_err_ossl(err, errlen, "random bytes");
        return -1;
    }
    int rc = -1;
    EVP_PKEY *ark_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
    EVP_PKEY *ask_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
    EVP_PKEY *vcek_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    X509 *ark = NULL, *ask = NULL, *vcek = NULL;
    if (!ark_key || !ask_key || !vcek_key) {
        elvm__snp_err_ossl(err, errlen, "key generation failed");
        goto out;
    }
    ark = make_cert(0, ark_key, "ARK-Simulated", NULL, ark_key, NULL);
    ask = ark ? make_cert(1, ask_key, "SEV-Simulated", ark, ark_key, NULL) : NULL;
    vcek = ask ? make_cert(2, vcek_key, "SEV-VCEK", ask, ask_key, chip_id) : NULL;
    if (!vcek) {
        elvm__snp_err_ossl(err, errlen, "certificate creation failed");
        goto out;
    }
    if (write_cert(dir, "ark.pem", ark, err, errlen) < 0 ||
        write_cert(dir, "ask.pem", ask, err, errlen) < 0 ||
        write_cert(dir, "vcek.pem", vcek, err, errlen) < 0 ||
        write_key(dir, "vcek-key.pem", vcek_key, err, errlen) < 0)
        goto out;
    rc = 0;
out:
    X509_free(ark);
    X509_free(ask);
    X509_free(vcek);
    EVP_PKEY_free(ark_key);
    EVP_PKEY_free(ask_key);
    EVP_PKEY_free(vcek_key);
    return rc;
}

/* ---- reading the key set back --------------------------------------------------------------- */

static EVP_PKEY *load_key(const char *dir, char *err, size_t errlen) {
    char path[4096];
    if (!dir) {
        elvm__snp_err(err, errlen, "the simulated backend needs a key directory (--sim-keys DIR; "
                      "create one with `elvm attest simulate-keys DIR`)");
        return NULL;
    }
    if (elvm__snp_path(path, sizeof path, dir, "vcek-key.pem") < 0) {
        elvm__snp_err(err, errlen, "%s: path too long", dir);
        return NULL;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        elvm__snp_err(err, errlen, "%s: %s (create the simulated keys with `elvm attest "
                      "simulate-keys %s`)", path, strerror(errno), dir);
        return NULL;
    }
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!k) elvm__snp_err_ossl(err, errlen, "%s: not a PEM private key", path);
    return k;
}

static X509 *load_cert(const char *dir, const char *file, char *err, size_t errlen) {
    char path[4096];
    if (elvm__snp_path(path, sizeof path, dir, file) < 0) {
        elvm__snp_err(err, errlen, "%s: path too long", dir);
        return NULL;
    }
    return elvm__snp_x509_load(path, err, errlen);
}

int elvm__snp_sim_sign(const char *dir, uint8_t report[1184], char *err, size_t errlen) {
    EVP_PKEY *key = load_key(dir, err, errlen);
    if (!key) return -1;
    int rc = -1;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char der[160];
    size_t der_len = sizeof der;
    ECDSA_SIG *sig = NULL;
    if (!md || EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, key) != 1 ||
        EVP_DigestSign(md, der, &der_len, report, ELVM_SNP_SIGNED_SIZE) != 1) {
        elvm__snp_err_ossl(err, errlen, "simulated signing failed");
        goto out;
    }
    const unsigned char *p = der;
    sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (!sig) {
        elvm__snp_err_ossl(err, errlen, "simulated signature");
        goto out;
    }
    uint8_t *r = report + offsetof(struct elvm__snp_raw_report, sig_r);
    uint8_t *s = report + offsetof(struct elvm__snp_raw_report, sig_s);
    memset(r, 0, 512);
    if (BN_bn2lebinpad(ECDSA_SIG_get0_r(sig), r, 72) != 72 ||
        BN_bn2lebinpad(ECDSA_SIG_get0_s(sig), s, 72) != 72) {
        elvm__snp_err(err, errlen, "simulated signature does not fit");
        goto out;
    }
    rc = 0;
out:
    ECDSA_SIG_free(sig);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    return rc;
}

/* The simulated VCEK's chip id and TCB (from its extensions, as a verifier would read them). */
static int sim_identity(const char *dir, uint8_t chip_id[64], uint8_t pubhash[32], char *err,
                        size_t errlen) {
    X509 *vcek = load_cert(dir, "vcek.pem", err, errlen);
    if (!vcek) return -1;
    int rc = -1;
    ASN1_OBJECT *obj = OBJ_txt2obj("1.3.6.1.4.1.3704.1.4", 1);
    int idx = obj ? X509_get_ext_by_OBJ(vcek, obj, -1) : -1;
    ASN1_OBJECT_free(obj);
    const ASN1_OCTET_STRING *hw =
        idx >= 0 ? X509_EXTENSION_get_data(X509_get_ext(vcek, idx)) : NULL;
    if (!hw || ASN1_STRING_length(hw) != 64) {
        elvm__snp_err(err, errlen, "%s/vcek.pem: no 64-byte hwID extension", dir);
        goto out;
    }
    memcpy(chip_id, ASN1_STRING_get0_data(hw), 64);
    unsigned char *spki = NULL;
    int n = i2d_PUBKEY(X509_get0_pubkey(vcek), &spki);
    if (n <= 0 || !EVP_Digest(spki, (size_t)n, pubhash, NULL, EVP_sha256(), NULL)) {
        OPENSSL_free(spki);
        elvm__snp_err_ossl(err, errlen, "%s/vcek.pem: public key", dir);
        goto out;
    }
    OPENSSL_free(spki);
    rc = 0;
out:
    X509_free(vcek);
    return rc;
}

static void sim_measurement(uint8_t out[48]) {
    EVP_Digest(SIM_MEASUREMENT_TEXT, strlen(SIM_MEASUREMENT_TEXT), out, NULL, EVP_sha384(), NULL);
}

int elvm__snp_sim_report(const char *dir, const uint8_t report_data[64], uint8_t report[1184],
                         char *err, size_t errlen) {
    if (!dir) {
        elvm__snp_err(err, errlen, "the simulated backend needs a key directory (--sim-keys DIR; "
                      "create one with `elvm attest simulate-keys DIR`)");
        return -1;
    }
    struct elvm__snp_raw_report rr;
    memset(&rr, 0, sizeof rr);
    uint8_t pubhash[32];
    if (sim_identity(dir, rr.chip_id, pubhash, err, errlen) < 0) return -1;
    const uint8_t tcb[8] = {SIM_BL, SIM_TEE, 0, 0, 0, 0, SIM_SNP, SIM_UCODE};
    elvm__snp_put_le32(rr.version, 5);
    elvm__snp_put_le64(rr.policy, SIM_POLICY);
    elvm__snp_put_le32(rr.signature_algo, 1);
    memcpy(rr.current_tcb, tcb, 8);
    memcpy(rr.reported_tcb, tcb, 8);
    memcpy(rr.committed_tcb, tcb, 8);
    memcpy(rr.launch_tcb, tcb, 8);
    elvm__snp_put_le64(rr.platform_info, ELVM_SNP_PLATFORM_SMT_EN);
    memcpy(rr.report_data, report_data, 64);
    sim_measurement(rr.measurement);
    memcpy(rr.report_id, pubhash, 32);
    memset(rr.report_id_ma, 0xff, 32); /* no migration agent, as the firmware reports it */
    rr.cpuid_fam_id = 0x19;
    rr.cpuid_mod_id = 0x11;
    rr.cpuid_step = 0x01;
    rr.current_major = rr.committed_major = 1;
    rr.current_minor = rr.committed_minor = 55;
    rr.current_build = rr.committed_build = 21;
    memcpy(report, &rr, sizeof rr);
    return elvm__snp_sim_sign(dir, report, err, errlen);
}

static int cert_der(const char *dir, const char *file, uint8_t **der, size_t *len, char *err,
                    size_t errlen) {
    X509 *x = load_cert(dir, file, err, errlen);
    if (!x) return -1;
    unsigned char *p = NULL;
    int n = i2d_X509(x, &p);
    X509_free(x);
    if (n <= 0) {
        elvm__snp_err_ossl(err, errlen, "%s/%s: DER encoding", dir, file);
        return -1;
    }
    *der = p;
    *len = (size_t)n;
    return 0;
}

int elvm__snp_sim_cert_table(const char *dir, uint8_t **blob, size_t *len, char *err,
                             size_t errlen) {
    static const char *files[3] = {"vcek.pem", "ask.pem", "ark.pem"};
    const elvm_snp_cert_kind kinds[3] = {ELVM_SNP_CERT_VCEK, ELVM_SNP_CERT_ASK, ELVM_SNP_CERT_ARK};
    uint8_t *ders[3] = {0};
    size_t lens[3] = {0};
    int rc = -1;
    for (int i = 0; i < 3; i++)
        if (cert_der(dir, files[i], &ders[i], &lens[i], err, errlen) < 0) goto out;
    if (elvm__snp_cert_table_build(kinds, (const uint8_t *const *)ders, lens, 3, blob, len) < 0) {
        elvm__snp_err(err, errlen, "out of memory");
        goto out;
    }
    rc = 0;
out:
    for (int i = 0; i < 3; i++) OPENSSL_free(ders[i]);
    return rc;
}

int elvm__snp_sim_derived_key(const char *dir, uint8_t key[32], char *err, size_t errlen) {
    EVP_PKEY *k = load_key(dir, err, errlen);
    if (!k) return -1;
    BIGNUM *d = NULL;
    uint8_t scalar[48], info[8 + 48];
    int rc = -1;
    if (EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1 ||
        BN_bn2binpad(d, scalar, sizeof scalar) != (int)sizeof scalar) {
        elvm__snp_err_ossl(err, errlen, "%s/vcek-key.pem: not a P-384 private key", dir);
        goto out;
    }
    /* like MSG_KEY_REQ with GUEST_FIELD_SELECT = policy | measurement */
    elvm__snp_put_le64(info, SIM_POLICY);
    sim_measurement(info + 8);
    if (elvm__snp_hkdf(scalar, sizeof scalar, "elvm simulated SNP_GET_DERIVED_KEY", info,
                       sizeof info, key, 32) < 0) {
        elvm__snp_err_ossl(err, errlen, "HKDF");
        goto out;
    }
    rc = 0;
out:
    elvm__snp_wipe(scalar, sizeof scalar);
    BN_clear_free(d);
    EVP_PKEY_free(k);
    return rc;
}
