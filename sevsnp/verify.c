/* verify.c: offline verification of an ATTESTATION_REPORT: the ECDSA signature, the AMD
 * certificate chain ARK -> ASK -> VCEK, the VCEK's extensions, and the operator's policy. */
#include "snp_impl.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

/* VCEK/VLEK certificate extensions (AMD "VCEK Certificate and KDS Interface" spec). */
#define OID_PRODUCT_NAME "1.3.6.1.4.1.3704.1.2"
#define OID_BL_SPL       "1.3.6.1.4.1.3704.1.3.1"
#define OID_TEE_SPL      "1.3.6.1.4.1.3704.1.3.2"
#define OID_SNP_SPL      "1.3.6.1.4.1.3704.1.3.3"
#define OID_UCODE_SPL    "1.3.6.1.4.1.3704.1.3.8"
#define OID_FMC_SPL      "1.3.6.1.4.1.3704.1.3.9"
#define OID_HWID         "1.3.6.1.4.1.3704.1.4"
#define OID_CSP_ID       "1.3.6.1.4.1.3704.1.5"

typedef struct {
    elvm_snp_fail_fn fail;
    void *ctx;
    int count;
} failures;

static void failf(failures *fs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void failf(failures *fs, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fs->count++;
    if (fs->fail) fs->fail(msg, fs->ctx);
}

/* The raw contents (extnValue) of extension `oid`, or NULL. */
static const ASN1_OCTET_STRING *ext_value(X509 *x, const char *oid) {
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    if (!obj) return NULL;
    int idx = X509_get_ext_by_OBJ(x, obj, -1);
    ASN1_OBJECT_free(obj);
    if (idx < 0) return NULL;
    return X509_EXTENSION_get_data(X509_get_ext(x, idx));
}

/* An SPL extension: a DER INTEGER inside extnValue. -1 when missing or malformed. */
static int64_t ext_spl(X509 *x, const char *oid) {
    const ASN1_OCTET_STRING *v = ext_value(x, oid);
    if (!v) return -1;
    const unsigned char *p = ASN1_STRING_get0_data(v);
    ASN1_INTEGER *i = d2i_ASN1_INTEGER(NULL, &p, ASN1_STRING_length(v));
    int64_t out = -1;
    if (!i || ASN1_INTEGER_get_int64(&out, i) != 1 || out < 0 || out > 255) out = -1;
    ASN1_INTEGER_free(i);
    ERR_clear_error();
    return out;
}

/* productName ("Milan-B0", "Genoa", "Turin"): an IA5String inside extnValue; "" if absent. */
static void ext_product(X509 *x, char *out, size_t outlen) {
    out[0] = 0;
    const ASN1_OCTET_STRING *v = ext_value(x, OID_PRODUCT_NAME);
    if (!v) return;
    const unsigned char *p = ASN1_STRING_get0_data(v);
    ASN1_IA5STRING *s = d2i_ASN1_IA5STRING(NULL, &p, ASN1_STRING_length(v));
    if (s) {
        int n = ASN1_STRING_length(s);
        if (n > 0 && (size_t)n < outlen) {
            memcpy(out, ASN1_STRING_get0_data(s), (size_t)n);
            out[n] = 0;
        }
        ASN1_IA5STRING_free(s);
    }
    ERR_clear_error();
}

int elvm__snp_min_tcb_parse(const char *spec, elvm_snp_tcb_layout layout, elvm_snp_tcb *out,
                            unsigned *set, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    *set = 0;
    if (spec[0] == '0' && (spec[1] == 'x' || spec[1] == 'X')) {
        char *end;
        uint64_t raw = strtoull(spec + 2, &end, 16);
        if (!spec[2] || *end) {
            elvm__snp_err(err, errlen, "min-tcb \"%s\": not a hex TCB_VERSION", spec);
            return -1;
        }
        *out = elvm_snp_tcb_decode(raw, layout);
        *set = 2 | 4 | 8 | 16 | (layout == ELVM_SNP_LAYOUT_TURIN ? 1 : 0);
        return 0;
    }
    const char *p = spec;
    while (*p) {
        const char *eq = strchr(p, '=');
        if (!eq) break;
        size_t klen = (size_t)(eq - p);
        char *end;
        unsigned long v = strtoul(eq + 1, &end, 0);
        if (end == eq + 1 || v > 255 || (*end && *end != ',')) break;
        struct { const char *name; unsigned bit; uint8_t *dst; } keys[] = {
            {"fmc", 1, &out->fmc}, {"bl", 2, &out->boot_loader},
            {"bootloader", 2, &out->boot_loader}, {"tee", 4, &out->tee}, {"snp", 8, &out->snp},
            {"ucode", 16, &out->microcode}, {"microcode", 16, &out->microcode},
        };
        size_t k;
        for (k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            if (strlen(keys[k].name) == klen && !strncmp(p, keys[k].name, klen)) break;
        }
        if (k == sizeof keys / sizeof keys[0]) break;
        *keys[k].dst = (uint8_t)v;
        *set |= keys[k].bit;
        p = end;
        if (*p == ',') {
            if (!p[1]) break; /* a trailing comma */
            p++;
        }
    }
    if (*p || !*set) {
        elvm__snp_err(err, errlen, "min-tcb \"%s\": expected bl=N,tee=N,snp=N,ucode=N[,fmc=N] "
                      "or 0x<TCB_VERSION>", spec);
        return -1;
    }
    return 0;
}

/* The ECDSA P-384/SHA-384 signature of bytes 0x000-0x29F under `pkey`: 1 good, 0 bad. */
static int signature_ok(const uint8_t *report, EVP_PKEY *pkey) {
    const uint8_t *r_le = report + offsetof(struct elvm__snp_raw_report, sig_r);
    const uint8_t *s_le = report + offsetof(struct elvm__snp_raw_report, sig_s);
    int ok = 0;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_lebin2bn(r_le, 72, NULL), *s = BN_lebin2bn(s_le, 72, NULL);
    unsigned char *der = NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!sig || !r || !s || !md) goto out;
    if (ECDSA_SIG_set0(sig, r, s) != 1) goto out;
    r = s = NULL; /* owned by sig now */
    int der_len = i2d_ECDSA_SIG(sig, &der);
    if (der_len <= 0) goto out;
    if (EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, pkey) != 1) goto out;
    ok = EVP_DigestVerify(md, der, (size_t)der_len, report, ELVM_SNP_SIGNED_SIZE) == 1;
out:
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    ERR_clear_error();
    return ok;
}

static int is_p384(EVP_PKEY *pkey) {
    char group[64];
    if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC) return 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       NULL) != 1)
        return 0;
    return !strcmp(group, "secp384r1") || !strcmp(group, "P-384");
}

static void subject_cn(X509 *x, char *out, size_t outlen) {
    out[0] = 0;
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, out, (int)outlen);
}

/* `child` is signed by `issuer` the way AMD signs: RSASSA-PSS with SHA-384, names and
 * key identifiers linked, issuer allowed to sign certificates. */
static void check_link(failures *fs, X509 *child, const char *child_name, X509 *issuer,
                       const char *issuer_name) {
    int mdnid = 0, pknid = 0;
    if (!X509_get_signature_info(child, &mdnid, &pknid, NULL, NULL) ||
        pknid != NID_rsassaPss || mdnid != NID_sha384) {
        failf(fs, "%s is not signed with RSA-PSS/SHA-384 (got %s with %s)", child_name,
              OBJ_nid2sn(pknid), OBJ_nid2sn(mdnid));
    }
    int rc = X509_check_issued(issuer, child);
    if (rc != X509_V_OK) {
        failf(fs, "%s was not issued by %s: %s", child_name, issuer_name,
              X509_verify_cert_error_string(rc));
    }
    EVP_PKEY *ipk = X509_get0_pubkey(issuer);
    if (!ipk || X509_verify(child, ipk) != 1) {
        failf(fs, "%s signature does not verify with the %s public key", child_name,
              issuer_name);
    }
    ERR_clear_error();
}

static void check_validity(failures *fs, X509 *x, const char *name, time_t at) {
    if (X509_cmp_time(X509_get0_notBefore(x), &at) > 0)
        failf(fs, "%s is not valid yet", name);
    if (X509_cmp_time(X509_get0_notAfter(x), &at) < 0)
        failf(fs, "%s has expired", name);
}

/* The VCEK's hwID and TCB extensions against the report (the VCEK is derived for exactly
 * one chip and one REPORTED_TCB). A VLEK has no hwID. */
static void check_vek_extensions(failures *fs, X509 *vek, int is_vlek, const elvm_snp_report *r) {
    const char *name = is_vlek ? "VLEK" : "VCEK";
    if (!is_vlek) {
        const ASN1_OCTET_STRING *hw = ext_value(vek, OID_HWID);
        static const uint8_t zero[64];
        if (!hw) {
            failf(fs, "VCEK has no hwID extension (%s)", OID_HWID);
        } else if (ELVM_SNP_MASK_CHIP_KEY(r->key_info) || !memcmp(r->chip_id, zero, 64)) {
            /* the host masked CHIP_ID; the signature still binds the report to this VCEK */
        } else {
            int n = ASN1_STRING_length(hw);
            const uint8_t *p = ASN1_STRING_get0_data(hw);
            /* Turin VCEKs carry the 8-byte chip id; Milan and Genoa the full 64 bytes */
            if ((n != 64 && n != 8) || memcmp(p, r->chip_id, (size_t)n) != 0) {
                char a[129], b[129];
                elvm__snp_hex(p, n > 0 && n <= 64 ? (size_t)n : 0, a);
                elvm__snp_hex(r->chip_id, n == 8 ? 8 : 64, b);
                failf(fs, "VCEK hwID %s does not match the report's CHIP_ID %s", a, b);
            }
        }
    }
    char product[64];
    ext_product(vek, product, sizeof product);
    if (product[0]) {
        int turin_cert = !strncmp(product, "Turin", 5);
        if (turin_cert != (r->layout == ELVM_SNP_LAYOUT_TURIN)) {
            failf(fs, "%s is for product %s but the report uses the %s TCB layout", name,
                  product, r->layout == ELVM_SNP_LAYOUT_TURIN ? "Turin" : "Milan/Genoa");
        }
    }
    struct { const char *oid, *what; uint8_t want; int turin_only; } spl[] = {
        {OID_BL_SPL, "boot loader", r->reported_tcb.boot_loader, 0},
        {OID_TEE_SPL, "TEE", r->reported_tcb.tee, 0},
        {OID_SNP_SPL, "SNP", r->reported_tcb.snp, 0},
        {OID_UCODE_SPL, "microcode", r->reported_tcb.microcode, 0},
        {OID_FMC_SPL, "FMC", r->reported_tcb.fmc, 1},
    };
    for (size_t i = 0; i < sizeof spl / sizeof spl[0]; i++) {
        if (spl[i].turin_only && r->layout != ELVM_SNP_LAYOUT_TURIN) continue;
        int64_t v = ext_spl(vek, spl[i].oid);
        if (v < 0) {
            failf(fs, "%s has no %s SPL extension (%s)", name, spl[i].what, spl[i].oid);
        } else if (v != spl[i].want) {
            failf(fs, "%s %s SPL is %" PRId64 " but the report's REPORTED_TCB says %u", name,
                  spl[i].what, v, spl[i].want);
        }
    }
}

static void check_bytes(failures *fs, const char *what, const uint8_t *got, const uint8_t *want,
                        size_t len) {
    if (!want || !memcmp(got, want, len)) return;
    char g[129], w[129];
    elvm__snp_hex(got, len, g);
    elvm__snp_hex(want, len, w);
    failf(fs, "%s is %s, expected %s", what, g, w);
}

static void check_min_tcb(failures *fs, const elvm_snp_report *r, const char *spec) {
    elvm_snp_tcb min;
    unsigned set;
    char err[256];
    if (elvm__snp_min_tcb_parse(spec, r->layout, &min, &set, err, sizeof err) < 0) {
        failf(fs, "%s", err);
        return;
    }
    const elvm_snp_tcb *t = &r->reported_tcb;
    struct { unsigned bit; const char *what; uint8_t got, want; } c[] = {
        {1, "fmc", t->fmc, min.fmc}, {2, "bl", t->boot_loader, min.boot_loader},
        {4, "tee", t->tee, min.tee}, {8, "snp", t->snp, min.snp},
        {16, "ucode", t->microcode, min.microcode},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        if ((set & c[i].bit) && c[i].got < c[i].want)
            failf(fs, "REPORTED_TCB %s is %u, below the minimum %u", c[i].what, c[i].got,
                  c[i].want);
    }
}

int elvm_snp_verify(const uint8_t *report, size_t len, const elvm_snp_verify_opts *o,
                    elvm_snp_fail_fn fail, void *ctx) {
    failures fs = {fail, ctx, 0};
    elvm_snp_report r;
    char err[512];
    if (elvm_snp_report_parse(report, len, &r, err, sizeof err) < 0) {
        failf(&fs, "malformed report: %s", err);
        return fs.count;
    }
    time_t at = o->at ? (time_t)o->at : time(NULL);

    X509 *vek = NULL, *ask = NULL, *ark = NULL;
    if (!o->vcek) {
        failf(&fs, "no VCEK (or VLEK) certificate given: the signature cannot be checked");
    } else if (!(vek = elvm__snp_x509_parse(o->vcek, o->vcek_len, "VCEK", err, sizeof err))) {
        failf(&fs, "%s", err);
    }

    unsigned sk = ELVM_SNP_SIGNING_KEY(r.key_info);
    if (sk == 7) failf(&fs, "report is not signed (SIGNING_KEY is none)");
    if (r.signature_algo != 1)
        failf(&fs, "signature algorithm %" PRIu32 " is not ECDSA P-384 with SHA-384 (1)",
              r.signature_algo);

    if (vek) {
        char cn[128];
        subject_cn(vek, cn, sizeof cn);
        int is_vlek = ext_value(vek, OID_CSP_ID) != NULL || strstr(cn, "VLEK") != NULL;
        const char *name = is_vlek ? "VLEK" : "VCEK";
        if (sk == 0 && is_vlek) failf(&fs, "report says it is signed by a VCEK, but a VLEK "
                                      "certificate was given");
        if (sk == 1 && !is_vlek) failf(&fs, "report says it is signed by a VLEK, but a VCEK "
                                       "certificate was given");
        EVP_PKEY *pk = X509_get0_pubkey(vek);
        if (!pk || !is_p384(pk)) {
            failf(&fs, "%s public key is not an EC P-384 key", name);
        } else if (sk != 7 && r.signature_algo == 1 && !signature_ok(report, pk)) {
            failf(&fs, "signature over bytes 0x000-0x29F does not verify with the %s public key "
                  "(the report was altered or signed by another key)", name);
        }
        check_vek_extensions(&fs, vek, is_vlek, &r);
        check_validity(&fs, vek, name, at);

        if (!!o->ask != !!o->ark) {
            failf(&fs, "the ASK and the ARK go together: give both to check the chain");
        } else if (o->ask) {
            const char *ask_name = is_vlek ? "ASVK" : "ASK";
            ask = elvm__snp_x509_parse(o->ask, o->ask_len, ask_name, err, sizeof err);
            if (!ask) failf(&fs, "%s", err);
            ark = elvm__snp_x509_parse(o->ark, o->ark_len, "ARK", err, sizeof err);
            if (!ark) failf(&fs, "%s", err);
            if (ask && ark) {
                check_link(&fs, ark, "ARK (self-signed root)", ark, "ARK");
                check_link(&fs, ask, ask_name, ark, "ARK");
                check_link(&fs, vek, name, ask, ask_name);
                check_validity(&fs, ark, "ARK", at);
                check_validity(&fs, ask, ask_name, at);
            }
        }
    }

    check_bytes(&fs, "REPORT_DATA", r.report_data, o->report_data, 64);
    check_bytes(&fs, "MEASUREMENT", r.measurement, o->measurement, 48);
    check_bytes(&fs, "HOST_DATA", r.host_data, o->host_data, 32);
    if (o->min_tcb) check_min_tcb(&fs, &r, o->min_tcb);
    if (o->vmpl >= 0 && r.vmpl != (uint32_t)o->vmpl)
        failf(&fs, "VMPL is %" PRIu32 ", expected %d", r.vmpl, o->vmpl);
    if (o->no_debug && (r.policy & ELVM_SNP_POLICY_DEBUG))
        failf(&fs, "guest policy allows debugging (DEBUG bit 19 set): the host can read guest "
              "memory");

    X509_free(vek);
    X509_free(ask);
    X509_free(ark);
    ERR_clear_error();
    return fs.count;
}
