/* snp_impl.h: what the files of sevsnp/ share and nobody else may use: the report's byte
 * layout, the test seams of the hardware backends, and small helpers. */
#ifndef ELVM_SNP_IMPL_H
#define ELVM_SNP_IMPL_H

#include "sevsnp.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define ELVM__SNP_HIDDEN __attribute__((visibility("hidden")))

/* ---- ATTESTATION_REPORT byte layout (SEV-SNP firmware ABI, table "ATTESTATION_REPORT
 * Structure"). Only byte arrays, so there is no padding and offsetof() is the ABI offset;
 * the static asserts in report.c pin every offset. Multi-byte integers are little-endian. */
struct elvm__snp_raw_report {
    uint8_t version[4];            /* 0x000 */
    uint8_t guest_svn[4];          /* 0x004 */
    uint8_t policy[8];             /* 0x008 */
    uint8_t family_id[16];         /* 0x010 */
    uint8_t image_id[16];          /* 0x020 */
    uint8_t vmpl[4];               /* 0x030 */
    uint8_t signature_algo[4];     /* 0x034 */
    uint8_t current_tcb[8];        /* 0x038 */
    uint8_t platform_info[8];      /* 0x040 */
    uint8_t key_info[4];           /* 0x048: AUTHOR_KEY_EN, MASK_CHIP_KEY, SIGNING_KEY */
    uint8_t reserved_04c[4];       /* 0x04C */
    uint8_t report_data[64];       /* 0x050 */
    uint8_t measurement[48];       /* 0x090 */
    uint8_t host_data[32];         /* 0x0C0 */
    uint8_t id_key_digest[48];     /* 0x0E0 */
    uint8_t author_key_digest[48]; /* 0x110 */
    uint8_t report_id[32];         /* 0x140 */
    uint8_t report_id_ma[32];      /* 0x160 */
    uint8_t reported_tcb[8];       /* 0x180 */
    uint8_t cpuid_fam_id;          /* 0x188: version >= 3, reserved in version 2 */
    uint8_t cpuid_mod_id;          /* 0x189 */
    uint8_t cpuid_step;            /* 0x18A */
    uint8_t reserved_18b[21];      /* 0x18B */
    uint8_t chip_id[64];           /* 0x1A0 */
    uint8_t committed_tcb[8];      /* 0x1E0 */
    uint8_t current_build;         /* 0x1E8 */
    uint8_t current_minor;         /* 0x1E9 */
    uint8_t current_major;         /* 0x1EA */
    uint8_t reserved_1eb;          /* 0x1EB */
    uint8_t committed_build;       /* 0x1EC */
    uint8_t committed_minor;       /* 0x1ED */
    uint8_t committed_major;       /* 0x1EE */
    uint8_t reserved_1ef;          /* 0x1EF */
    uint8_t launch_tcb[8];         /* 0x1F0 */
    uint8_t launch_mit_vector[8];  /* 0x1F8: version >= 5, reserved before */
    uint8_t current_mit_vector[8]; /* 0x200: version >= 5, reserved before */
    uint8_t reserved_208[152];     /* 0x208 */
    uint8_t sig_r[72];             /* 0x2A0: ECDSA R, little-endian, zero-extended */
    uint8_t sig_s[72];             /* 0x2E8: ECDSA S */
    uint8_t sig_reserved[368];     /* 0x330 */
};

/* MSG_REPORT_RSP: what SNP_GET_REPORT leaves in snp_report_resp.data. */
#define ELVM__SNP_REPORT_RSP_STATUS 0x00
#define ELVM__SNP_REPORT_RSP_SIZE   0x04
#define ELVM__SNP_REPORT_RSP_REPORT 0x20
/* MSG_KEY_RSP: what SNP_GET_DERIVED_KEY leaves in snp_derived_key_resp.data. */
#define ELVM__SNP_KEY_RSP_STATUS 0x00
#define ELVM__SNP_KEY_RSP_KEY    0x20

/* GUEST_FIELD_SELECT bits of MSG_KEY_REQ */
#define ELVM__SNP_FIELD_POLICY      (1ull << 0)
#define ELVM__SNP_FIELD_IMAGE_ID    (1ull << 1)
#define ELVM__SNP_FIELD_FAMILY_ID   (1ull << 2)
#define ELVM__SNP_FIELD_MEASUREMENT (1ull << 3)
#define ELVM__SNP_FIELD_GUEST_SVN   (1ull << 4)
#define ELVM__SNP_FIELD_TCB_VERSION (1ull << 5)

/* The simulated backend's CHIP_ID starts with these 32 bytes; the rest is random per key set. */
#define ELVM__SNP_SIM_CHIP_MAGIC "ELVM-SIMULATED-SEV-SNP-NOT-HW!!\0"
#define ELVM__SNP_SIM_CHIP_MAGIC_LEN 32

/* HKDF salt of the sealing step that follows the (real or simulated) derived key. */
#define ELVM__SNP_SEAL_SALT "elvm-snp-seal-v1"

/* ---- test seams: the hardware paths run against the kernel UAPI up to these ------------------ */
typedef int (*elvm__snp_ioctl_fn)(int fd, unsigned long request, void *arg);
/* ioctl(2) on /dev/sev-guest; tests point it at a fake that plays the driver. */
extern ELVM__SNP_HIDDEN elvm__snp_ioctl_fn elvm__snp_ioctl;
/* "/dev/sev-guest" */
extern ELVM__SNP_HIDDEN const char *elvm__snp_dev_path;
/* "/sys/kernel/config/tsm/report" */
extern ELVM__SNP_HIDDEN const char *elvm__snp_tsm_root;
/* Called around the configfs-tsm steps so a test can play configfs in a plain directory:
 * event is "mkdir" (after), "write" (after), "read" (before) or "rmdir" (before); `file` is the
 * attribute's name (NULL for mkdir/rmdir). */
typedef void (*elvm__snp_tsm_hook_fn)(const char *entry_dir, const char *event, const char *file);
extern ELVM__SNP_HIDDEN elvm__snp_tsm_hook_fn elvm__snp_tsm_hook;
/* Pause between retries (busy host, concurrent configfs writer); tests make it a no-op. */
extern ELVM__SNP_HIDDEN void (*elvm__snp_sleep_ms)(unsigned ms);

/* ---- backends (sevguest.c, tsm.c, sim.c) ---------------------------------------------------- */
ELVM__SNP_HIDDEN int elvm__snp_sevguest_report(const uint8_t report_data[64], uint32_t vmpl,
                                               uint8_t report[1184], char *err, size_t errlen);
ELVM__SNP_HIDDEN int elvm__snp_sevguest_ext_report(const uint8_t report_data[64], uint32_t vmpl,
                                                   uint8_t report[1184], uint8_t **certs,
                                                   size_t *certs_len, char *err, size_t errlen);
ELVM__SNP_HIDDEN int elvm__snp_sevguest_derived_key(uint64_t field_select, uint32_t vmpl,
                                                    uint8_t key[32], char *err, size_t errlen);
ELVM__SNP_HIDDEN int elvm__snp_tsm_available(void);
ELVM__SNP_HIDDEN int elvm__snp_tsm_report(const uint8_t report_data[64], uint8_t report[1184],
                                          uint8_t **aux, size_t *aux_len, char *err,
                                          size_t errlen);
/* Builds and signs a version 5 report as the simulated firmware would. */
ELVM__SNP_HIDDEN int elvm__snp_sim_report(const char *dir, const uint8_t report_data[64],
                                          uint8_t report[1184], char *err, size_t errlen);
/* Re-signs bytes 0x000-0x29F of `report` with dir/vcek-key.pem (tests use it to make reports
 * of every version and layout). */
ELVM__SNP_HIDDEN int elvm__snp_sim_sign(const char *dir, uint8_t report[1184], char *err,
                                        size_t errlen);
ELVM__SNP_HIDDEN int elvm__snp_sim_cert_table(const char *dir, uint8_t **blob, size_t *len,
                                              char *err, size_t errlen);
ELVM__SNP_HIDDEN int elvm__snp_sim_derived_key(const char *dir, uint8_t key[32], char *err,
                                               size_t errlen);
/* Builds a certificate table from (kind, DER) pairs, in RFC 4122 GUID byte order. */
ELVM__SNP_HIDDEN int elvm__snp_cert_table_build(const elvm_snp_cert_kind *kinds,
                                                const uint8_t *const *ders,
                                                const size_t *der_lens, size_t n,
                                                uint8_t **blob, size_t *len);

/* Parses a minimum TCB (verify.c): "bl=N,tee=N,snp=N,ucode=N[,fmc=N]" (any subset; the long
 * names bootloader and microcode too) or a raw "0x..." TCB_VERSION decoded with `layout`.
 * `set` gets one bit per component given: 1 fmc, 2 bl, 4 tee, 8 snp, 16 ucode. */
ELVM__SNP_HIDDEN int elvm__snp_min_tcb_parse(const char *spec, elvm_snp_tcb_layout layout,
                                             elvm_snp_tcb *out, unsigned *set, char *err,
                                             size_t errlen);

/* ---- helpers (snp_util.c) -------------------------------------------------------------------- */
ELVM__SNP_HIDDEN void elvm__snp_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends OpenSSL's first queued error, if any, as ": <reason>", and clears the queue. */
ELVM__SNP_HIDDEN void elvm__snp_err_ossl(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
ELVM__SNP_HIDDEN uint32_t elvm__snp_le32(const uint8_t *p);
ELVM__SNP_HIDDEN uint64_t elvm__snp_le64(const uint8_t *p);
ELVM__SNP_HIDDEN void elvm__snp_put_le32(uint8_t *p, uint32_t v);
ELVM__SNP_HIDDEN void elvm__snp_put_le64(uint8_t *p, uint64_t v);
/* Hex text of `len` bytes into out (2*len+1 bytes). */
ELVM__SNP_HIDDEN void elvm__snp_hex(const uint8_t *p, size_t len, char *out);
/* Exactly 2*len hex digits -> bytes; -1 otherwise. */
ELVM__SNP_HIDDEN int elvm__snp_unhex(const char *s, uint8_t *out, size_t len);
/* Whole file into a malloc'd buffer (NUL added past the end); -1 with err. */
ELVM__SNP_HIDDEN int elvm__snp_read_file(const char *path, uint8_t **buf, size_t *len,
                                         size_t max, char *err, size_t errlen);
/* dir + "/" + name into out; -1 when it does not fit. */
ELVM__SNP_HIDDEN int elvm__snp_path(char *out, size_t outlen, const char *dir, const char *name);
/* PEM or DER certificate bytes -> X509 (NULL with err). */
ELVM__SNP_HIDDEN X509 *elvm__snp_x509_parse(const uint8_t *buf, size_t len, const char *what,
                                            char *err, size_t errlen);
ELVM__SNP_HIDDEN X509 *elvm__snp_x509_load(const char *path, char *err, size_t errlen);
/* HKDF-SHA256. */
ELVM__SNP_HIDDEN int elvm__snp_hkdf(const uint8_t *ikm, size_t ikm_len, const char *salt,
                                    const uint8_t *info, size_t info_len, uint8_t *out,
                                    size_t out_len);
/* Erase memory the compiler may not optimize away. */
ELVM__SNP_HIDDEN void elvm__snp_wipe(void *p, size_t len);

#endif /* ELVM_SNP_IMPL_H */
