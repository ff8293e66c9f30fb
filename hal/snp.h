/* snp.h: private to hal/: the SEV-SNP calls the HAL makes (snp.c), with the backend as
 * the int value of sevsnp.h's elvm_snp_backend. */
#ifndef ELVM_HAL_SNP_H
#define ELVM_HAL_SNP_H

#include <stddef.h>
#include <stdint.h>

#include "hal_impl.h"

/* The values of elvm_snp_backend (sevsnp/sevsnp.h), for code that does not include it. */
enum { HAL_SNP_AUTO = 0, HAL_SNP_SEV_GUEST = 1, HAL_SNP_TSM = 2, HAL_SNP_SIMULATED = 3,
       HAL_SNP_NONE = 4 };

#define HAL_SNP_REPORT_SIZE 1184

/* The backend in use for `backend` (AUTO: what the hardware offers, else NONE). */
ELVM__HIDDEN int elvm__hal_snp_resolve(int backend);
/* 0, or -1 with `err` saying why. */
ELVM__HIDDEN int elvm__hal_snp_report(int backend, const char *sim_keys_dir,
                                      const uint8_t report_data[64],
                                      uint8_t report[HAL_SNP_REPORT_SIZE], char *err,
                                      size_t errlen);
ELVM__HIDDEN int elvm__hal_snp_derive_key(int backend, const char *sim_keys_dir,
                                          const char *label, uint8_t key[32], char *err,
                                          size_t errlen);
ELVM__HIDDEN const char *elvm__hal_snp_backend_name(int backend);

#endif /* ELVM_HAL_SNP_H */
