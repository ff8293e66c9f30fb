/* sevsnp.h: AMD SEV-SNP attestation for elvm: reports, their verification, sealing keys.
 *
 * Three sources of reports (backends):
 *   sev-guest  the Linux guest driver's /dev/sev-guest ioctls (SNP_GET_REPORT,
 *              SNP_GET_EXT_REPORT, SNP_GET_DERIVED_KEY);
 *   tsm        the kernel's configfs-tsm interface (/sys/kernel/config/tsm/report/);
 *   simulated  a software stand-in that signs reports with a P-384 key from a test chain made by
 *              elvm_snp_sim_keys_generate. Everything it produces is marked
 *              ELVM_SNP_SIMULATED_WARNING. It is never chosen by detection.
 *
 * Verification is offline: the caller hands in the VCEK (or VLEK) certificate and, to pin the
 * chain, the ASK (or ASVK) and ARK. Nothing is fetched.
 *
 * Conventions: functions return 0 on success and -1 on failure with a one-line reason in
 * `err` (always NUL-terminated when errlen > 0). Byte arrays are raw bytes, never hex, unless
 * a name says so. Nothing here keeps a pointer the caller passed in. Not thread-safe across
 * concurrent calls that use the same configfs-tsm entry name (each call makes its own). */
#ifndef ELVM_SEVSNP_H
#define ELVM_SEVSNP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ELVM_SNP_REPORT_SIZE 1184   /* ATTESTATION_REPORT, 0x4A0 bytes */
#define ELVM_SNP_SIGNED_SIZE 0x2A0  /* the signature covers bytes 0x000-0x29F */
#define ELVM_SNP_REPORT_DATA_SIZE 64
#define ELVM_SNP_SIMULATED_WARNING "simulated: not a hardware attestation"

/* ---- backends (the HAL helper's API: keep these signatures) ----------------------------- */

typedef enum {
    ELVM_SNP_BACKEND_AUTO,
    ELVM_SNP_BACKEND_SEV_GUEST,
    ELVM_SNP_BACKEND_TSM,
    ELVM_SNP_BACKEND_SIMULATED,
    ELVM_SNP_BACKEND_NONE
} elvm_snp_backend;

/* Returns the elvm_snp_backend found: SEV_GUEST when /dev/sev-guest exists, else TSM when
 * configfs-tsm has an SEV-SNP provider ("sev_guest"), else NONE. Never SIMULATED. */
int elvm_snp_detect(void);

/* Fills `report` with a fresh ATTESTATION_REPORT whose REPORT_DATA is `report_data`, at VMPL 0
 * (or the tsm provider's privlevel_floor). AUTO means elvm_snp_detect(). `sim_keys_dir` is
 * only read by the simulated backend (the directory elvm_snp_sim_keys_generate wrote).
 * 0 ok, -1 error (message in err). With the simulated backend, success leaves
 * ELVM_SNP_SIMULATED_WARNING in `err` so that callers can pass the marking on. */
int elvm_snp_get_report(elvm_snp_backend b, const char *sim_keys_dir,
                        const uint8_t report_data[64], uint8_t report[1184], char *err,
                        size_t errlen);

/* Sealing key: the firmware's derived key (SNP_GET_DERIVED_KEY, VCEK root, guest policy and
 * launch measurement mixed in, VMPL 0) then HKDF-SHA256 with `label` as info. The same guest
 * image with the same policy on the same chip gets the same key for the same label; another
 * label, image or chip gets an unrelated one. The simulated backend derives from the simulated
 * VCEK private key instead (no protection at all) and leaves ELVM_SNP_SIMULATED_WARNING in
 * `err` on success. TSM has no key derivation: it uses /dev/sev-guest when that exists. */
int elvm_snp_derive_key(elvm_snp_backend b, const char *sim_keys_dir, const char *label,
                        uint8_t key[32], char *err, size_t errlen);

/* "sev-guest", "tsm", "simulated", "none" ("auto" for AUTO). */
const char *elvm_snp_backend_name(elvm_snp_backend b);

/* "auto", "sev-guest", "tsm", "simulated", "none" -> backend; -1 if unknown. */
int elvm_snp_backend_parse(const char *name);

/* ---- extended reports and the certificate table ---------------------------------------- */

typedef enum {
    ELVM_SNP_CERT_VCEK,
    ELVM_SNP_CERT_VLEK,
    ELVM_SNP_CERT_ASK,   /* also used for the ASVK */
    ELVM_SNP_CERT_ARK,
    ELVM_SNP_CERT_OTHER
} elvm_snp_cert_kind;

typedef struct {
    elvm_snp_cert_kind kind;
    uint8_t guid[16];      /* as found in the table */
    uint32_t offset, length;
    const uint8_t *data;   /* points into the blob that was parsed */
} elvm_snp_cert_entry;

/* Like elvm_snp_get_report, and also returns the host's certificate table (GHCB spec
 * MSG_REPORT_REQ cert table: GUID, offset, length entries ending in an all-zero entry).
 * *certs is malloc'd (free it); *certs_len is 0 when the host supplied no certificates.
 * sev-guest: SNP_GET_EXT_REPORT, retried with the size the host asks for when the buffer is
 * too small; tsm: auxblob; simulated: a table with the simulated VCEK, ASK and ARK (DER). */
int elvm_snp_get_ext_report(elvm_snp_backend b, const char *sim_keys_dir,
                            const uint8_t report_data[64], uint8_t report[1184],
                            uint8_t **certs, size_t *certs_len, char *err, size_t errlen);

/* Parses a certificate table. Writes up to `max` entries, sets *n. Rejects entries that point
 * outside the blob and tables without a terminator. GUIDs are matched in both the RFC 4122
 * byte order and the mixed-endian (EFI) order, since hosts differ. */
int elvm_snp_cert_table_parse(const uint8_t *blob, size_t len, elvm_snp_cert_entry *out,
                              size_t max, size_t *n, char *err, size_t errlen);

/* "VCEK", "VLEK", "ASK", "ARK", "other". */
const char *elvm_snp_cert_kind_name(elvm_snp_cert_kind k);

/* Describes SNP guest request's exitinfo2 (bits 63:32 VMM error, 31:0 firmware error) in
 * words, e.g. "host busy (request throttled by the hypervisor): retry later". */
void elvm_snp_exitinfo2_str(uint64_t exitinfo2, char *buf, size_t len);

/* ---- reports ------------------------------------------------------------------------------ */

/* TCB_VERSION byte layouts. Milan and Genoa: BOOT_LOADER, TEE, 4 reserved, SNP, MICROCODE.
 * Turin: FMC, BOOT_LOADER, TEE, SNP, 3 reserved, MICROCODE. */
typedef enum { ELVM_SNP_LAYOUT_MILAN_GENOA, ELVM_SNP_LAYOUT_TURIN } elvm_snp_tcb_layout;

typedef struct {
    uint64_t raw;          /* the field as stored, little-endian decoded */
    uint8_t fmc;           /* Turin only; 0 otherwise */
    uint8_t boot_loader, tee, snp, microcode;
} elvm_snp_tcb;

/* One decoded ATTESTATION_REPORT (AMD SEV-SNP firmware ABI, versions 2, 3 and 5). */
typedef struct {
    uint32_t version;
    uint32_t guest_svn;
    uint64_t policy;               /* guest policy, see ELVM_SNP_POLICY_* */
    uint8_t family_id[16], image_id[16];
    uint32_t vmpl;
    uint32_t signature_algo;       /* 1 = ECDSA P-384 with SHA-384 */
    elvm_snp_tcb current_tcb;
    uint64_t platform_info;        /* see ELVM_SNP_PLATFORM_* */
    uint32_t key_info;             /* AUTHOR_KEY_EN, MASK_CHIP_KEY, SIGNING_KEY */
    uint8_t report_data[64];
    uint8_t measurement[48];
    uint8_t host_data[32];
    uint8_t id_key_digest[48], author_key_digest[48];
    uint8_t report_id[32], report_id_ma[32];
    elvm_snp_tcb reported_tcb;     /* the TCB the signing VCEK was derived for */
    int has_cpuid;                 /* version >= 3 */
    uint8_t cpuid_fam_id, cpuid_mod_id, cpuid_step;
    uint8_t chip_id[64];
    elvm_snp_tcb committed_tcb;
    uint8_t current_build, current_minor, current_major;
    uint8_t committed_build, committed_minor, committed_major;
    elvm_snp_tcb launch_tcb;
    int has_mit_vectors;           /* version >= 5 */
    uint64_t launch_mit_vector, current_mit_vector;
    uint8_t sig_r[72], sig_s[72];  /* little-endian, as stored */
    elvm_snp_tcb_layout layout;    /* see elvm_snp_report_parse */
    int simulated;                 /* CHIP_ID carries the simulated backend's marker */
} elvm_snp_report;

#define ELVM_SNP_POLICY_SMT              (1ull << 16)
#define ELVM_SNP_POLICY_RESERVED_ONE     (1ull << 17)
#define ELVM_SNP_POLICY_MIGRATE_MA       (1ull << 18)
#define ELVM_SNP_POLICY_DEBUG            (1ull << 19)
#define ELVM_SNP_POLICY_SINGLE_SOCKET    (1ull << 20)
#define ELVM_SNP_POLICY_CXL_ALLOW        (1ull << 21)
#define ELVM_SNP_POLICY_MEM_AES_256_XTS  (1ull << 22)
#define ELVM_SNP_POLICY_RAPL_DIS         (1ull << 23)
#define ELVM_SNP_POLICY_CIPHERTEXT_HIDING (1ull << 24)
#define ELVM_SNP_POLICY_PAGE_SWAP_DISABLE (1ull << 25)

#define ELVM_SNP_PLATFORM_SMT_EN               (1ull << 0)
#define ELVM_SNP_PLATFORM_TSME_EN              (1ull << 1)
#define ELVM_SNP_PLATFORM_ECC_EN               (1ull << 2)
#define ELVM_SNP_PLATFORM_RAPL_DIS             (1ull << 3)
#define ELVM_SNP_PLATFORM_CIPHERTEXT_HIDING_EN (1ull << 4)
#define ELVM_SNP_PLATFORM_ALIAS_CHECK_COMPLETE (1ull << 5)
#define ELVM_SNP_PLATFORM_IOMMU_WRITE_SAFE     (1ull << 6)
#define ELVM_SNP_PLATFORM_TIO_EN               (1ull << 7)

#define ELVM_SNP_SIGNING_KEY(key_info) (((key_info) >> 2) & 7u) /* 0 VCEK, 1 VLEK, 7 none */
#define ELVM_SNP_MASK_CHIP_KEY(key_info) (((key_info) >> 1) & 1u)
#define ELVM_SNP_AUTHOR_KEY_EN(key_info) ((key_info) & 1u)

/* Decodes `len` bytes (must be exactly 1184) into *out. Rejects, with the reason in err: a
 * wrong size, a version other than 2, 3 or 5, a non-zero reserved byte or bit (policy bit 17
 * must be one), a reserved SIGNING_KEY value, a VMPL above 3, an unknown CPUID family.
 * TCB layout rule: versions 3 and 5 carry CPUID_FAM_ID; family 0x19 (Milan, Genoa) uses the
 * Milan/Genoa layout and family 0x1A (Turin) the Turin layout. Version 2 has no CPUID
 * fields: it is read with the Milan/Genoa layout, unless CHIP_ID is Turin-shaped (8 non-zero
 * bytes then 56 zero bytes), since Turin chip ids are 8 bytes long. Does not check the
 * signature (see elvm_snp_verify). */
int elvm_snp_report_parse(const uint8_t *buf, size_t len, elvm_snp_report *out, char *err,
                          size_t errlen);

/* Writes *r as one JSON object (every field, hex for byte strings) and a newline.
 * A simulated report gets "simulated": true and "warning": ELVM_SNP_SIMULATED_WARNING. */
int elvm_snp_report_json(const elvm_snp_report *r, FILE *out);

/* "Milan", "Genoa", "Turin" from the CPUID fields, or NULL (version 2, or unknown model). */
const char *elvm_snp_product_name(const elvm_snp_report *r);

/* Splits a raw TCB_VERSION by layout. */
elvm_snp_tcb elvm_snp_tcb_decode(uint64_t raw, elvm_snp_tcb_layout layout);

/* ---- verification --------------------------------------------------------------------------- */

/* What to check. Certificates are PEM or DER bytes. A NULL pointer (or -1 for vmpl) skips
 * that check. */
typedef struct {
    const uint8_t *vcek; size_t vcek_len;   /* VCEK or VLEK certificate: required */
    const uint8_t *ask; size_t ask_len;     /* ASK or ASVK: with ark, pins the chain */
    const uint8_t *ark; size_t ark_len;     /* the root the operator pins */
    const uint8_t *report_data;             /* 64 bytes expected in REPORT_DATA */
    const uint8_t *measurement;             /* 48 bytes expected in MEASUREMENT */
    const uint8_t *host_data;               /* 32 bytes expected in HOST_DATA */
    const char *min_tcb;                    /* "bl=N,tee=N,snp=N,ucode=N[,fmc=N]" or "0x<raw>" */
    int vmpl;                               /* expected VMPL, or -1 */
    int no_debug;                           /* fail when the guest policy allows debugging */
    int64_t at;                             /* certificate validity time (unix), 0 = now */
} elvm_snp_verify_opts;

/* Called once per failed check with a one-line reason. */
typedef void (*elvm_snp_fail_fn)(const char *reason, void *ctx);

/* Verifies a raw report against `o`: structure (elvm_snp_report_parse), ECDSA P-384/SHA-384
 * signature over bytes 0x000-0x29F with the VCEK/VLEK public key, the chain ARK -> ASK -> VCEK
 * (RSA-PSS/SHA-384, ARK self-signed) when ask and ark are given, the VCEK's hwID and TCB
 * extensions against CHIP_ID and REPORTED_TCB, then the requested policy checks.
 * Returns the number of failed checks (0: everything holds). */
int elvm_snp_verify(const uint8_t *report, size_t len, const elvm_snp_verify_opts *o,
                    elvm_snp_fail_fn fail, void *ctx);

/* ---- the simulated backend's key material ------------------------------------------------- */

/* Writes dir/ark.pem (RSA-4096, self-signed), dir/ask.pem (RSA-4096, signed by the ARK),
 * dir/vcek.pem (EC P-384 with AMD's hwID and TCB extensions, signed by the ASK; all with
 * RSA-PSS/SHA-384 like AMD's) and dir/vcek-key.pem (the VCEK private key, mode 0600).
 * Creates dir (one level) when missing. Every subject says ELVM_SNP_SIMULATED_WARNING. */
int elvm_snp_sim_keys_generate(const char *dir, char *err, size_t errlen);

/* ---- the command line (`elvm attest ...`) ---------------------------------------------------- */

/* argv[0] is the command's own name (used in messages), argv[1] the subcommand: report, show,
 * verify, simulate-keys (help prints the usage). Returns the process exit status: 0 when the
 * command worked (for verify: when every check holds), 1 otherwise: a check that does not
 * hold, an error, or bad usage (as elsewhere in elvm's CLI). Prints to stdout and stderr. */
int elvm_snp_cli_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif /* ELVM_SEVSNP_H */
