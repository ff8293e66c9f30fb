/* backend.c: choosing a backend (detection never picks the simulated one), the public report
 * and sealing-key entry points, and the GHCB certificate table. */
#include "snp_impl.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const names[] = {"auto", "sev-guest", "tsm", "simulated", "none"};

const char *elvm_snp_backend_name(elvm_snp_backend b) {
    return (unsigned)b < sizeof names / sizeof names[0] ? names[b] : "none";
}

int elvm_snp_backend_parse(const char *name) {
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(name, names[i])) return (int)i;
    return -1;
}

int elvm_snp_detect(void) {
    if (access(elvm__snp_dev_path, F_OK) == 0) return ELVM_SNP_BACKEND_SEV_GUEST;
    if (elvm__snp_tsm_available()) return ELVM_SNP_BACKEND_TSM;
    return ELVM_SNP_BACKEND_NONE;
}

static elvm_snp_backend resolve(elvm_snp_backend b, char *err, size_t errlen) {
    if (b == ELVM_SNP_BACKEND_AUTO) b = (elvm_snp_backend)elvm_snp_detect();
    if (b == ELVM_SNP_BACKEND_NONE)
        elvm__snp_err(err, errlen, "no SEV-SNP attestation here: neither %s nor an SEV-SNP "
                      "configfs-tsm provider under %s (outside an SEV-SNP guest, the simulated "
                      "backend can stand in for development: it attests nothing)",
                      elvm__snp_dev_path, elvm__snp_tsm_root);
    return b;
}

static void mark_simulated(char *err, size_t errlen) {
    elvm__snp_err(err, errlen, "%s", ELVM_SNP_SIMULATED_WARNING);
}

int elvm_snp_get_report(elvm_snp_backend b, const char *sim_keys_dir,
                        const uint8_t report_data[64], uint8_t report[1184], char *err,
                        size_t errlen) {
    if (err && errlen) err[0] = 0;
    switch (resolve(b, err, errlen)) {
    case ELVM_SNP_BACKEND_SEV_GUEST:
        return elvm__snp_sevguest_report(report_data, 0, report, err, errlen);
    case ELVM_SNP_BACKEND_TSM:
        return elvm__snp_tsm_report(report_data, report, NULL, NULL, err, errlen);
    case ELVM_SNP_BACKEND_SIMULATED:
        if (elvm__snp_sim_report(sim_keys_dir, report_data, report, err, errlen) < 0) return -1;
        mark_simulated(err, errlen);
        return 0;
    default:
        return -1;
    }
}

int elvm_snp_get_ext_report(elvm_snp_backend b, const char *sim_keys_dir,
                            const uint8_t report_data[64], uint8_t report[1184],
                            uint8_t **certs, size_t *certs_len, char *err, size_t errlen) {
    *certs = NULL;
    *certs_len = 0;
    if (err && errlen) err[0] = 0;
    switch (resolve(b, err, errlen)) {
    case ELVM_SNP_BACKEND_SEV_GUEST:
        return elvm__snp_sevguest_ext_report(report_data, 0, report, certs, certs_len, err,
                                             errlen);
    case ELVM_SNP_BACKEND_TSM:
        return elvm__snp_tsm_report(report_data, report, certs, certs_len, err, errlen);
    case ELVM_SNP_BACKEND_SIMULATED:
        if (elvm__snp_sim_report(sim_keys_dir, report_data, report, err, errlen) < 0) return -1;
        if (elvm__snp_sim_cert_table(sim_keys_dir, certs, certs_len, err, errlen) < 0) return -1;
        mark_simulated(err, errlen);
        return 0;
    default:
        return -1;
    }
}

int elvm_snp_derive_key(elvm_snp_backend b, const char *sim_keys_dir, const char *label,
                        uint8_t key[32], char *err, size_t errlen) {
    if (err && errlen) err[0] = 0;
    if (!label) {
        elvm__snp_err(err, errlen, "a sealing key needs a label");
        return -1;
    }
    uint8_t root[32];
    int simulated = 0;
    switch (resolve(b, err, errlen)) {
    case ELVM_SNP_BACKEND_TSM:
        /* configfs-tsm only makes reports; key derivation is the sev-guest ioctl's */
        if (access(elvm__snp_dev_path, F_OK) != 0) {
            elvm__snp_err(err, errlen, "sealing keys need %s (SNP_GET_DERIVED_KEY); configfs-tsm "
                          "has no key derivation", elvm__snp_dev_path);
            return -1;
        }
        __attribute__((fallthrough)); /* clang does not read a comment as the annotation */
    case ELVM_SNP_BACKEND_SEV_GUEST:
        /* VCEK root; the guest policy and launch measurement are mixed in, so another image or
         * a weaker policy gets another key. Not the TCB: a firmware update must not lose data. */
        if (elvm__snp_sevguest_derived_key(ELVM__SNP_FIELD_POLICY | ELVM__SNP_FIELD_MEASUREMENT,
                                           0, root, err, errlen) < 0)
            return -1;
        break;
    case ELVM_SNP_BACKEND_SIMULATED:
        if (elvm__snp_sim_derived_key(sim_keys_dir, root, err, errlen) < 0) return -1;
        simulated = 1;
        break;
    default:
        return -1;
    }
    int rc = elvm__snp_hkdf(root, sizeof root, ELVM__SNP_SEAL_SALT, (const uint8_t *)label,
                            strlen(label), key, 32);
    elvm__snp_wipe(root, sizeof root);
    if (rc < 0) {
        elvm__snp_err_ossl(err, errlen, "HKDF-SHA256");
        return -1;
    }
    if (simulated) mark_simulated(err, errlen);
    return 0;
}

/* ---- certificate table (GHCB spec, MSG_REPORT_REQ extended request) ------------------------- */

static const struct {
    elvm_snp_cert_kind kind;
    uint8_t guid[16]; /* RFC 4122 byte order */
} guids[] = {
    {ELVM_SNP_CERT_VCEK, {0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
                          0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd}},
    {ELVM_SNP_CERT_VLEK, {0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e,
                          0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0, 0xb8, 0xa1}},
    {ELVM_SNP_CERT_ASK, {0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4,
                         0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82}},
    {ELVM_SNP_CERT_ARK, {0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52,
                         0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae}},
};

/* The same GUID in the mixed-endian (EFI, Linux guid_t) order: first three groups swapped. */
static void guid_swap(const uint8_t *in, uint8_t *out) {
    const uint8_t order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    for (int i = 0; i < 16; i++) out[i] = in[order[i]];
}

static elvm_snp_cert_kind guid_kind(const uint8_t *g) {
    for (size_t i = 0; i < sizeof guids / sizeof guids[0]; i++) {
        uint8_t swapped[16];
        guid_swap(guids[i].guid, swapped);
        if (!memcmp(g, guids[i].guid, 16) || !memcmp(g, swapped, 16)) return guids[i].kind;
    }
    return ELVM_SNP_CERT_OTHER;
}

const char *elvm_snp_cert_kind_name(elvm_snp_cert_kind k) {
    switch (k) {
    case ELVM_SNP_CERT_VCEK: return "VCEK";
    case ELVM_SNP_CERT_VLEK: return "VLEK";
    case ELVM_SNP_CERT_ASK: return "ASK";
    case ELVM_SNP_CERT_ARK: return "ARK";
    default: return "other";
    }
}

int elvm_snp_cert_table_parse(const uint8_t *blob, size_t len, elvm_snp_cert_entry *out,
                              size_t max, size_t *n, char *err, size_t errlen) {
    static const uint8_t zero[24];
    *n = 0;
    for (size_t at = 0;; at += 24) {
        if (at + 24 > len) {
            elvm__snp_err(err, errlen, "certificate table: no all-zero terminating entry within "
                          "%zu bytes", len);
            return -1;
        }
        const uint8_t *e = blob + at;
        if (!memcmp(e, zero, 24)) return 0;
        uint32_t off = elvm__snp_le32(e + 16), length = elvm__snp_le32(e + 20);
        if ((uint64_t)off + length > len || length == 0) {
            elvm__snp_err(err, errlen, "certificate table entry %zu: %" PRIu32 " bytes at offset "
                          "%" PRIu32 " do not fit in the %zu-byte blob", at / 24, length, off, len);
            return -1;
        }
        if (*n == max) {
            elvm__snp_err(err, errlen, "certificate table: more than %zu entries", max);
            return -1;
        }
        elvm_snp_cert_entry *c = &out[(*n)++];
        memcpy(c->guid, e, 16);
        c->kind = guid_kind(e);
        c->offset = off;
        c->length = length;
        c->data = blob + off;
    }
}

int elvm__snp_cert_table_build(const elvm_snp_cert_kind *kinds, const uint8_t *const *ders,
                               const size_t *der_lens, size_t n, uint8_t **blob, size_t *len) {
    size_t head = (n + 1) * 24, total = head;
    for (size_t i = 0; i < n; i++) total += der_lens[i];
    uint8_t *b = calloc(1, total);
    if (!b) return -1;
    size_t at = head;
    for (size_t i = 0; i < n; i++) {
        for (size_t g = 0; g < sizeof guids / sizeof guids[0]; g++)
            if (guids[g].kind == kinds[i]) memcpy(b + i * 24, guids[g].guid, 16);
        elvm__snp_put_le32(b + i * 24 + 16, (uint32_t)at);
        elvm__snp_put_le32(b + i * 24 + 20, (uint32_t)der_lens[i]);
        memcpy(b + at, ders[i], der_lens[i]);
        at += der_lens[i];
    }
    *blob = b;
    *len = total;
    return 0;
}
