/* snp.c: the HAL's door to the SEV-SNP library (sevsnp/): which backend is in use, the
 * attestation report and the sealing key. Built without sevsnp/ (a tree where it is
 * not there yet, or with -DHAL_NO_SEVSNP), every call reports that SEV-SNP support is not
 * built in. */
#include <stdio.h>
#include <string.h>

#include "hal_impl.h"
#include "snp.h"

#if defined(__has_include) && !defined(HAL_NO_SEVSNP)
#if __has_include("../sevsnp/sevsnp.h")
#define HAL_HAVE_SEVSNP 1
#endif
#endif

#ifdef HAL_HAVE_SEVSNP
#include "../sevsnp/sevsnp.h"

int elvm__hal_snp_resolve(int backend) {
    if (backend != ELVM_SNP_BACKEND_AUTO) return backend;
    int d = elvm_snp_detect();
    /* Auto-detection never picks the simulator: that is the operator's explicit choice. */
    return d == ELVM_SNP_BACKEND_SEV_GUEST || d == ELVM_SNP_BACKEND_TSM ? d : ELVM_SNP_BACKEND_NONE;
}

int elvm__hal_snp_report(int backend, const char *sim_keys_dir, const uint8_t report_data[64],
                         uint8_t report[1184], char *err, size_t errlen) {
    return elvm_snp_get_report((elvm_snp_backend)backend, sim_keys_dir, report_data, report, err,
                               errlen);
}

int elvm__hal_snp_derive_key(int backend, const char *sim_keys_dir, const char *label,
                             uint8_t key[32], char *err, size_t errlen) {
    return elvm_snp_derive_key((elvm_snp_backend)backend, sim_keys_dir, label, key, err, errlen);
}

const char *elvm__hal_snp_backend_name(int backend) {
    return elvm_snp_backend_name((elvm_snp_backend)backend);
}
#else
int elvm__hal_snp_resolve(int backend) {
    return backend == HAL_SNP_AUTO ? HAL_SNP_NONE : backend;
}

int elvm__hal_snp_report(int backend, const char *sim_keys_dir, const uint8_t report_data[64],
                         uint8_t report[1184], char *err, size_t errlen) {
    (void)backend, (void)sim_keys_dir, (void)report_data, (void)report;
    snprintf(err, errlen, "SEV-SNP support is not built into this elvm (no sevsnp/)");
    return -1;
}

int elvm__hal_snp_derive_key(int backend, const char *sim_keys_dir, const char *label,
                             uint8_t key[32], char *err, size_t errlen) {
    (void)backend, (void)sim_keys_dir, (void)label, (void)key;
    snprintf(err, errlen, "SEV-SNP support is not built into this elvm (no sevsnp/)");
    return -1;
}

const char *elvm__hal_snp_backend_name(int backend) {
    static const char *const names[] = {"auto", "sev-guest", "tsm", "simulated", "none"};
    return backend >= 0 && backend <= HAL_SNP_NONE ? names[backend] : "?";
}
#endif
