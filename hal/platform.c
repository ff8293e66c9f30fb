/* platform.c: elastic:platform: what this platform is (sev-snp, simulated, none), the
 * versions, and the attestation report, which the SEV-SNP library (sevsnp/) produces. */
#include <stdio.h>
#include <stdlib.h>

#include "hal_impl.h"
#include "snp.h"

#ifndef ELVM_RUNTIME_VERSION
#define ELVM_RUNTIME_VERSION "0.1.0"
#endif

enum { KIND_SEV_SNP = 0, KIND_SIMULATED = 1, KIND_NONE = 2 };     /* platform-kind */
enum { E_NOT_SUPPORTED = 0, E_INVALID_REPORT_DATA = 1, E_ATTESTATION_FAILED = 2 };

int elvm__hal_platform_init(elvm_hal *h, elvm_error *err) {
    (void)err;
    int b = elvm__hal_snp_resolve(h->cfg.snp_backend);
    h->cfg.snp_backend = b;
    h->snp_kind = b == HAL_SNP_SEV_GUEST || b == HAL_SNP_TSM ? KIND_SEV_SNP
                : b == HAL_SNP_SIMULATED                      ? KIND_SIMULATED
                                                              : KIND_NONE;
    return 0;
}

const char *elvm__hal_platform_kind_name(const elvm_hal *h) {
    static const char *const names[] = {"sev-snp", "simulated", "none"};
    return names[h->snp_kind];
}

/* kind: func() -> platform-kind */
static int p_kind(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)a;
    hal_set_i32(r, (uint32_t)c->h->snp_kind);
    return 0;
}

/* Puts a string at `at` (ptr @0, len @4) of a checked area. */
static int put_string(hal_call *c, uint32_t ret, uint32_t off, uint32_t size, const char *s) {
    uint32_t p;
    size_t len = strlen(s);
    HAL_TRY(hal_alloc(c, s, len, 1, &p));
    HAL_TRY(hal_retarea(c, ret, size, 4));
    hal_st32(c, ret + off, p);
    hal_st32(c, ret + off + 4, (uint32_t)len);
    return 0;
}

/* info: func() -> platform-info
 * record platform-info: kind u8 @0, backend @4, runtime @12, runtime-version @20,
 * hal-version @28, profile @36 (strings as ptr, len); 44 bytes, align 4. */
static int p_info(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t ret = hal_u32(a, 0);
    HAL_TRY(hal_retarea(c, ret, 44, 4));
    elvm_hal *h = c->h;
    hal_st8(c, ret, (uint8_t)h->snp_kind);
    HAL_TRY(put_string(c, ret, 4, 44, elvm__hal_snp_backend_name(h->cfg.snp_backend)));
    HAL_TRY(put_string(c, ret, 12, 44, "elvm"));
    HAL_TRY(put_string(c, ret, 20, 44, ELVM_RUNTIME_VERSION));
    HAL_TRY(put_string(c, ret, 28, 44, ELVM_HAL_VERSION));
    HAL_TRY(put_string(c, ret, 36, 44, h->profile));
    return 0;
}

/* runtime-version: func() -> string */
static int p_runtime_version(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    return hal_ret_list(c, hal_u32(a, 0), ELVM_RUNTIME_VERSION, strlen(ELVM_RUNTIME_VERSION));
}

/* hal-version: func() -> string */
static int p_hal_version(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    return hal_ret_list(c, hal_u32(a, 0), ELVM_HAL_VERSION, strlen(ELVM_HAL_VERSION));
}

/* attestation-report: func(report-data: list<u8>) -> result<list<u8>, platform-error>
 * report-data is at most 64 bytes, zero-padded to 64; the report is the firmware's
 * 1184-byte ATTESTATION_REPORT (AMD SEV-SNP ABI, table 22). */
static int p_attestation_report(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t ret = hal_u32(a, 2);
    const uint8_t *data;
    HAL_TRY(hal_in(c, hal_u32(a, 0), hal_u32(a, 1), "report-data", &data));
    HAL_TRY(hal_retarea(c, ret, 12, 4));
    elvm_hal *h = c->h;
    if (h->snp_kind == KIND_NONE) {
        hal_log(h, "error", "platform: attestation-report: no SEV-SNP backend (platform none)");
        return hal_ret_bytes(c, ret, NULL, 0, E_NOT_SUPPORTED);
    }
    if (hal_u32(a, 1) > 64) return hal_ret_bytes(c, ret, NULL, 0, E_INVALID_REPORT_DATA);
    uint8_t rd[64] = {0};
    memcpy(rd, data, hal_u32(a, 1));
    uint8_t *report = malloc(HAL_SNP_REPORT_SIZE);
    if (!report) return hal_trap(c, ELVM_TRAP_HOST, "out of host memory");
    char why[256] = "";
    int rc;
    if (elvm__hal_snp_report(h->cfg.snp_backend, h->cfg.snp_sim_keys_dir, rd, report, why,
                             sizeof why)) {
        hal_log(h, "error", "platform: attestation-report: %s", why);
        rc = hal_ret_bytes(c, ret, NULL, 0, E_ATTESTATION_FAILED);
    } else {
        rc = hal_ret_bytes(c, ret, report, HAL_SNP_REPORT_SIZE, -1);
    }
    free(report);
    return rc;
}

static const hal_func funcs[] = {
    {"kind", "", "i", p_kind},
    {"info", "i", "", p_info},
    {"runtime-version", "i", "", p_runtime_version},
    {"hal-version", "i", "", p_hal_version},
    {"attestation-report", "iii", "", p_attestation_report},
};

const hal_iface_desc elvm__hal_PLATFORM = {ELVM_HAL_PLATFORM, HAL_MODULE("platform"), funcs,
                                           sizeof funcs / sizeof funcs[0]};
