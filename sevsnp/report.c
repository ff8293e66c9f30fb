/* report.c: the ATTESTATION_REPORT: byte layout, decoding with every reserved field checked,
 * TCB layouts, and JSON output. */
#include "snp_impl.h"

#include <inttypes.h>
#include <string.h>

#include <linux/sev-guest.h>

/* ---- the layout, pinned (SEV-SNP ABI offsets) ------------------------------------------------ */
#define AT(field, off) \
    _Static_assert(offsetof(struct elvm__snp_raw_report, field) == (off), #field " offset")
AT(version, 0x000);
AT(guest_svn, 0x004);
AT(policy, 0x008);
AT(family_id, 0x010);
AT(image_id, 0x020);
AT(vmpl, 0x030);
AT(signature_algo, 0x034);
AT(current_tcb, 0x038);
AT(platform_info, 0x040);
AT(key_info, 0x048);
AT(reserved_04c, 0x04C);
AT(report_data, 0x050);
AT(measurement, 0x090);
AT(host_data, 0x0C0);
AT(id_key_digest, 0x0E0);
AT(author_key_digest, 0x110);
AT(report_id, 0x140);
AT(report_id_ma, 0x160);
AT(reported_tcb, 0x180);
AT(cpuid_fam_id, 0x188);
AT(cpuid_mod_id, 0x189);
AT(cpuid_step, 0x18A);
AT(reserved_18b, 0x18B);
AT(chip_id, 0x1A0);
AT(committed_tcb, 0x1E0);
AT(current_build, 0x1E8);
AT(current_minor, 0x1E9);
AT(current_major, 0x1EA);
AT(reserved_1eb, 0x1EB);
AT(committed_build, 0x1EC);
AT(committed_minor, 0x1ED);
AT(committed_major, 0x1EE);
AT(reserved_1ef, 0x1EF);
AT(launch_tcb, 0x1F0);
AT(launch_mit_vector, 0x1F8);
AT(current_mit_vector, 0x200);
AT(reserved_208, 0x208);
AT(sig_r, 0x2A0);
AT(sig_s, 0x2E8);
AT(sig_reserved, 0x330);
#undef AT
_Static_assert(sizeof(struct elvm__snp_raw_report) == ELVM_SNP_REPORT_SIZE, "report size");
_Static_assert(offsetof(struct elvm__snp_raw_report, sig_r) == ELVM_SNP_SIGNED_SIZE,
               "the signature follows the signed bytes");

/* ---- and against the kernel's UAPI structs (<linux/sev-guest.h>) ---------------------------- */
_Static_assert(sizeof(struct snp_report_req) == 96, "MSG_REPORT_REQ: 64 + 4 + 28 bytes");
_Static_assert(offsetof(struct snp_report_req, vmpl) == 64, "MSG_REPORT_REQ.VMPL at 0x40");
_Static_assert(sizeof(((struct snp_report_req *)0)->user_data) == ELVM_SNP_REPORT_DATA_SIZE,
               "REPORT_DATA is 64 bytes");
_Static_assert(sizeof(struct snp_report_resp) >= ELVM__SNP_REPORT_RSP_REPORT + ELVM_SNP_REPORT_SIZE,
               "MSG_REPORT_RSP holds the 32-byte header and a 1184-byte report");
_Static_assert(sizeof(struct snp_derived_key_req) == 32, "MSG_KEY_REQ is 32 bytes");
_Static_assert(offsetof(struct snp_derived_key_req, guest_field_select) == 8, "MSG_KEY_REQ");
_Static_assert(offsetof(struct snp_derived_key_req, vmpl) == 16, "MSG_KEY_REQ");
_Static_assert(offsetof(struct snp_derived_key_req, tcb_version) == 24, "MSG_KEY_REQ");
_Static_assert(sizeof(struct snp_derived_key_resp) == ELVM__SNP_KEY_RSP_KEY + 32,
               "MSG_KEY_RSP: 32-byte header then the 32-byte key");
_Static_assert(sizeof(((struct snp_ext_report_req *)0)->data) == sizeof(struct snp_report_req),
               "SNP_GET_EXT_REPORT wraps MSG_REPORT_REQ");

#define OFF(field) offsetof(struct elvm__snp_raw_report, field)
#define FIELD(raw, field) ((raw) + OFF(field))

elvm_snp_tcb elvm_snp_tcb_decode(uint64_t raw, elvm_snp_tcb_layout layout) {
    elvm_snp_tcb t = {.raw = raw};
    uint8_t b[8];
    elvm__snp_put_le64(b, raw);
    if (layout == ELVM_SNP_LAYOUT_TURIN) {
        t.fmc = b[0];
        t.boot_loader = b[1];
        t.tee = b[2];
        t.snp = b[3];
    } else {
        t.boot_loader = b[0];
        t.tee = b[1];
        t.snp = b[6];
    }
    t.microcode = b[7];
    return t;
}

/* Index of the first non-zero byte in [from, to), or -1. */
static long nonzero(const uint8_t *raw, size_t from, size_t to) {
    for (size_t i = from; i < to; i++)
        if (raw[i]) return (long)i;
    return -1;
}

/* The reserved bytes inside a TCB_VERSION of `layout` must be zero. */
static int tcb_reserved_ok(const uint8_t *tcb, elvm_snp_tcb_layout layout) {
    if (layout == ELVM_SNP_LAYOUT_TURIN) return !tcb[4] && !tcb[5] && !tcb[6];
    return !tcb[2] && !tcb[3] && !tcb[4] && !tcb[5];
}

/* Turin chip ids are 8 bytes, zero-extended to the 64-byte field. */
static int chip_id_turin_shaped(const uint8_t *chip_id) {
    return nonzero(chip_id, 0, 8) >= 0 && nonzero(chip_id, 8, 64) < 0;
}

int elvm_snp_report_parse(const uint8_t *raw, size_t len, elvm_snp_report *r, char *err,
                          size_t errlen) {
    memset(r, 0, sizeof *r);
    if (len != ELVM_SNP_REPORT_SIZE) {
        elvm__snp_err(err, errlen, "report is %zu bytes; an ATTESTATION_REPORT is exactly %d "
                      "bytes (%s)", len, ELVM_SNP_REPORT_SIZE,
                      len < ELVM_SNP_REPORT_SIZE ? "truncated" : "oversized");
        return -1;
    }
    r->version = elvm__snp_le32(FIELD(raw, version));
    if (r->version != 2 && r->version != 3 && r->version != 5) {
        elvm__snp_err(err, errlen, "unsupported report version %" PRIu32
                      " (this parser knows versions 2, 3 and 5)", r->version);
        return -1;
    }
    /* reserved bytes, by version; the first offender is named */
    struct { size_t from, to; int min_version, max_version; } mbz[] = {
        {OFF(reserved_04c), OFF(report_data), 2, 5},
        {OFF(cpuid_fam_id), OFF(chip_id), 2, 2},
        {OFF(reserved_18b), OFF(chip_id), 3, 5},
        {OFF(reserved_1eb), OFF(reserved_1eb) + 1, 2, 5},
        {OFF(reserved_1ef), OFF(reserved_1ef) + 1, 2, 5},
        {OFF(launch_mit_vector), OFF(sig_r), 2, 3},
        {OFF(reserved_208), OFF(sig_r), 5, 5},
        {OFF(sig_reserved), ELVM_SNP_REPORT_SIZE, 2, 5},
    };
    for (size_t i = 0; i < sizeof mbz / sizeof mbz[0]; i++) {
        if ((int)r->version < mbz[i].min_version || (int)r->version > mbz[i].max_version)
            continue;
        long at = nonzero(raw, mbz[i].from, mbz[i].to);
        if (at >= 0) {
            elvm__snp_err(err, errlen, "reserved byte 0x%03lx is 0x%02x; reserved bytes "
                          "0x%03zx-0x%03zx of a version %" PRIu32 " report must be zero",
                          (unsigned long)at, raw[at], mbz[i].from, mbz[i].to - 1, r->version);
            return -1;
        }
    }

    r->guest_svn = elvm__snp_le32(FIELD(raw, guest_svn));
    r->policy = elvm__snp_le64(FIELD(raw, policy));
    if (!(r->policy & ELVM_SNP_POLICY_RESERVED_ONE)) {
        elvm__snp_err(err, errlen, "guest policy 0x%016" PRIx64 ": reserved bit 17 must be one",
                      r->policy);
        return -1;
    }
    if (r->policy >> 26) {
        elvm__snp_err(err, errlen, "guest policy 0x%016" PRIx64 ": reserved bits 63:26 must be "
                      "zero", r->policy);
        return -1;
    }
    memcpy(r->family_id, FIELD(raw, family_id), 16);
    memcpy(r->image_id, FIELD(raw, image_id), 16);
    r->vmpl = elvm__snp_le32(FIELD(raw, vmpl));
    if (r->vmpl > 3) {
        elvm__snp_err(err, errlen, "VMPL %" PRIu32 " is out of range (0-3)", r->vmpl);
        return -1;
    }
    r->signature_algo = elvm__snp_le32(FIELD(raw, signature_algo));
    r->platform_info = elvm__snp_le64(FIELD(raw, platform_info));
    if (r->platform_info >> 8) {
        elvm__snp_err(err, errlen, "platform info 0x%016" PRIx64 ": reserved bits 63:8 must be "
                      "zero", r->platform_info);
        return -1;
    }
    r->key_info = elvm__snp_le32(FIELD(raw, key_info));
    if (r->key_info >> 5) {
        elvm__snp_err(err, errlen, "key info 0x%08" PRIx32 ": reserved bits 31:5 must be zero",
                      r->key_info);
        return -1;
    }
    unsigned sk = ELVM_SNP_SIGNING_KEY(r->key_info);
    if (sk != 0 && sk != 1 && sk != 7) {
        elvm__snp_err(err, errlen, "SIGNING_KEY %u is reserved (0 VCEK, 1 VLEK, 7 none)", sk);
        return -1;
    }
    memcpy(r->report_data, FIELD(raw, report_data), 64);
    memcpy(r->measurement, FIELD(raw, measurement), 48);
    memcpy(r->host_data, FIELD(raw, host_data), 32);
    memcpy(r->id_key_digest, FIELD(raw, id_key_digest), 48);
    memcpy(r->author_key_digest, FIELD(raw, author_key_digest), 48);
    memcpy(r->report_id, FIELD(raw, report_id), 32);
    memcpy(r->report_id_ma, FIELD(raw, report_id_ma), 32);
    memcpy(r->chip_id, FIELD(raw, chip_id), 64);

    /* the TCB layout: by CPUID family when the report has it (v3+), else by chip id shape */
    if (r->version >= 3) {
        r->has_cpuid = 1;
        r->cpuid_fam_id = raw[OFF(cpuid_fam_id)];
        r->cpuid_mod_id = raw[OFF(cpuid_mod_id)];
        r->cpuid_step = raw[OFF(cpuid_step)];
        if (r->cpuid_fam_id == 0x19) {
            r->layout = ELVM_SNP_LAYOUT_MILAN_GENOA;
        } else if (r->cpuid_fam_id == 0x1A) {
            r->layout = ELVM_SNP_LAYOUT_TURIN;
        } else {
            elvm__snp_err(err, errlen, "unknown CPUID family 0x%02x: cannot tell the TCB layout "
                          "(known: 0x19 Milan/Genoa, 0x1A Turin)", r->cpuid_fam_id);
            return -1;
        }
    } else {
        r->layout = chip_id_turin_shaped(r->chip_id) ? ELVM_SNP_LAYOUT_TURIN
                                                     : ELVM_SNP_LAYOUT_MILAN_GENOA;
    }
    struct { const char *name; size_t off; elvm_snp_tcb *dst; } tcbs[] = {
        {"CURRENT_TCB", OFF(current_tcb), &r->current_tcb},
        {"REPORTED_TCB", OFF(reported_tcb), &r->reported_tcb},
        {"COMMITTED_TCB", OFF(committed_tcb), &r->committed_tcb},
        {"LAUNCH_TCB", OFF(launch_tcb), &r->launch_tcb},
    };
    for (size_t i = 0; i < 4; i++) {
        if (!tcb_reserved_ok(raw + tcbs[i].off, r->layout)) {
            elvm__snp_err(err, errlen, "%s 0x%016" PRIx64 ": reserved bytes of the %s TCB layout "
                          "must be zero", tcbs[i].name, elvm__snp_le64(raw + tcbs[i].off),
                          r->layout == ELVM_SNP_LAYOUT_TURIN ? "Turin" : "Milan/Genoa");
            return -1;
        }
        *tcbs[i].dst = elvm_snp_tcb_decode(elvm__snp_le64(raw + tcbs[i].off), r->layout);
    }
    r->current_build = raw[OFF(current_build)];
    r->current_minor = raw[OFF(current_minor)];
    r->current_major = raw[OFF(current_major)];
    r->committed_build = raw[OFF(committed_build)];
    r->committed_minor = raw[OFF(committed_minor)];
    r->committed_major = raw[OFF(committed_major)];
    if (r->version >= 5) {
        r->has_mit_vectors = 1;
        r->launch_mit_vector = elvm__snp_le64(FIELD(raw, launch_mit_vector));
        r->current_mit_vector = elvm__snp_le64(FIELD(raw, current_mit_vector));
    }
    memcpy(r->sig_r, FIELD(raw, sig_r), 72);
    memcpy(r->sig_s, FIELD(raw, sig_s), 72);
    r->simulated = memcmp(r->chip_id, ELVM__SNP_SIM_CHIP_MAGIC, ELVM__SNP_SIM_CHIP_MAGIC_LEN) == 0;
    return 0;
}

const char *elvm_snp_product_name(const elvm_snp_report *r) {
    if (!r->has_cpuid) return NULL;
    if (r->cpuid_fam_id == 0x19) {
        if (r->cpuid_mod_id <= 0x0F) return "Milan";
        if ((r->cpuid_mod_id >= 0x10 && r->cpuid_mod_id <= 0x1F) ||
            (r->cpuid_mod_id >= 0xA0 && r->cpuid_mod_id <= 0xAF))
            return "Genoa";
        return NULL;
    }
    if (r->cpuid_fam_id == 0x1A && r->cpuid_mod_id <= 0x1F) return "Turin";
    return NULL;
}

/* ---- JSON ------------------------------------------------------------------------------------ */

static void json_hex(FILE *f, const char *key, const uint8_t *p, size_t len, int last) {
    char buf[2 * 72 + 1];
    elvm__snp_hex(p, len, buf);
    fprintf(f, "  \"%s\": \"%s\"%s\n", key, buf, last ? "" : ",");
}

static void json_bool(FILE *f, const char *key, int v) {
    fprintf(f, "\"%s\": %s", key, v ? "true" : "false");
}

static void json_tcb(FILE *f, const char *key, const elvm_snp_tcb *t, elvm_snp_tcb_layout l) {
    fprintf(f, "  \"%s\": {\"raw\": \"0x%016" PRIx64 "\", ", key, t->raw);
    if (l == ELVM_SNP_LAYOUT_TURIN) fprintf(f, "\"fmc\": %u, ", t->fmc);
    fprintf(f, "\"bootloader\": %u, \"tee\": %u, \"snp\": %u, \"microcode\": %u},\n",
            t->boot_loader, t->tee, t->snp, t->microcode);
}

int elvm_snp_report_json(const elvm_snp_report *r, FILE *f) {
    fprintf(f, "{\n");
    if (r->simulated) {
        fprintf(f, "  \"simulated\": true,\n  \"warning\": \"%s\",\n", ELVM_SNP_SIMULATED_WARNING);
    }
    fprintf(f, "  \"version\": %" PRIu32 ",\n  \"guest_svn\": %" PRIu32 ",\n", r->version,
            r->guest_svn);
    uint64_t p = r->policy;
    fprintf(f, "  \"policy\": {\"raw\": \"0x%016" PRIx64 "\", \"abi_major\": %u, "
            "\"abi_minor\": %u, ", p, (unsigned)(p >> 8 & 0xff), (unsigned)(p & 0xff));
    json_bool(f, "smt", !!(p & ELVM_SNP_POLICY_SMT)); fputs(", ", f);
    json_bool(f, "migrate_ma", !!(p & ELVM_SNP_POLICY_MIGRATE_MA)); fputs(", ", f);
    json_bool(f, "debug", !!(p & ELVM_SNP_POLICY_DEBUG)); fputs(", ", f);
    json_bool(f, "single_socket", !!(p & ELVM_SNP_POLICY_SINGLE_SOCKET)); fputs(", ", f);
    json_bool(f, "cxl_allow", !!(p & ELVM_SNP_POLICY_CXL_ALLOW)); fputs(", ", f);
    json_bool(f, "mem_aes_256_xts", !!(p & ELVM_SNP_POLICY_MEM_AES_256_XTS)); fputs(", ", f);
    json_bool(f, "rapl_dis", !!(p & ELVM_SNP_POLICY_RAPL_DIS)); fputs(", ", f);
    json_bool(f, "ciphertext_hiding", !!(p & ELVM_SNP_POLICY_CIPHERTEXT_HIDING)); fputs(", ", f);
    json_bool(f, "page_swap_disable", !!(p & ELVM_SNP_POLICY_PAGE_SWAP_DISABLE));
    fputs("},\n", f);
    json_hex(f, "family_id", r->family_id, 16, 0);
    json_hex(f, "image_id", r->image_id, 16, 0);
    fprintf(f, "  \"vmpl\": %" PRIu32 ",\n", r->vmpl);
    fprintf(f, "  \"signature_algo\": %" PRIu32 ",\n", r->signature_algo);
    fprintf(f, "  \"tcb_layout\": \"%s\",\n",
            r->layout == ELVM_SNP_LAYOUT_TURIN ? "turin" : "milan-genoa");
    json_tcb(f, "current_tcb", &r->current_tcb, r->layout);
    uint64_t pi = r->platform_info;
    fprintf(f, "  \"platform_info\": {\"raw\": \"0x%016" PRIx64 "\", ", pi);
    json_bool(f, "smt_en", !!(pi & ELVM_SNP_PLATFORM_SMT_EN)); fputs(", ", f);
    json_bool(f, "tsme_en", !!(pi & ELVM_SNP_PLATFORM_TSME_EN)); fputs(", ", f);
    json_bool(f, "ecc_en", !!(pi & ELVM_SNP_PLATFORM_ECC_EN)); fputs(", ", f);
    json_bool(f, "rapl_dis", !!(pi & ELVM_SNP_PLATFORM_RAPL_DIS)); fputs(", ", f);
    json_bool(f, "ciphertext_hiding_en", !!(pi & ELVM_SNP_PLATFORM_CIPHERTEXT_HIDING_EN));
    fputs(", ", f);
    json_bool(f, "alias_check_complete", !!(pi & ELVM_SNP_PLATFORM_ALIAS_CHECK_COMPLETE));
    fputs(", ", f);
    json_bool(f, "iommu_write_safe", !!(pi & ELVM_SNP_PLATFORM_IOMMU_WRITE_SAFE)); fputs(", ", f);
    json_bool(f, "tio_en", !!(pi & ELVM_SNP_PLATFORM_TIO_EN));
    fputs("},\n", f);
    unsigned sk = ELVM_SNP_SIGNING_KEY(r->key_info);
    fprintf(f, "  \"key_info\": {\"raw\": \"0x%08" PRIx32 "\", ", r->key_info);
    json_bool(f, "author_key_en", ELVM_SNP_AUTHOR_KEY_EN(r->key_info)); fputs(", ", f);
    json_bool(f, "mask_chip_key", ELVM_SNP_MASK_CHIP_KEY(r->key_info));
    fprintf(f, ", \"signing_key\": \"%s\"},\n", sk == 0 ? "vcek" : sk == 1 ? "vlek" : "none");
    json_hex(f, "report_data", r->report_data, 64, 0);
    json_hex(f, "measurement", r->measurement, 48, 0);
    json_hex(f, "host_data", r->host_data, 32, 0);
    json_hex(f, "id_key_digest", r->id_key_digest, 48, 0);
    json_hex(f, "author_key_digest", r->author_key_digest, 48, 0);
    json_hex(f, "report_id", r->report_id, 32, 0);
    json_hex(f, "report_id_ma", r->report_id_ma, 32, 0);
    json_tcb(f, "reported_tcb", &r->reported_tcb, r->layout);
    if (r->has_cpuid) {
        const char *prod = elvm_snp_product_name(r);
        fprintf(f, "  \"cpuid\": {\"family\": \"0x%02x\", \"model\": \"0x%02x\", "
                "\"stepping\": \"0x%02x\", \"product\": %s%s%s},\n", r->cpuid_fam_id,
                r->cpuid_mod_id, r->cpuid_step, prod ? "\"" : "", prod ? prod : "null",
                prod ? "\"" : "");
    }
    json_hex(f, "chip_id", r->chip_id, 64, 0);
    json_tcb(f, "committed_tcb", &r->committed_tcb, r->layout);
    fprintf(f, "  \"current_version\": \"%u.%u.%u\",\n", r->current_major, r->current_minor,
            r->current_build);
    fprintf(f, "  \"committed_version\": \"%u.%u.%u\",\n", r->committed_major,
            r->committed_minor, r->committed_build);
    json_tcb(f, "launch_tcb", &r->launch_tcb, r->layout);
    if (r->has_mit_vectors) {
        fprintf(f, "  \"launch_mit_vector\": \"0x%016" PRIx64 "\",\n", r->launch_mit_vector);
        fprintf(f, "  \"current_mit_vector\": \"0x%016" PRIx64 "\",\n", r->current_mit_vector);
    }
    fprintf(f, "  \"signature\": {\"r\": \"");
    char buf[2 * 72 + 1];
    elvm__snp_hex(r->sig_r, 72, buf);
    fprintf(f, "%s\", \"s\": \"", buf);
    elvm__snp_hex(r->sig_s, 72, buf);
    fprintf(f, "%s\", \"byte_order\": \"little-endian\"}\n}\n", buf);
    return ferror(f) ? -1 : 0;
}
