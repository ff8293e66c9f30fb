/* sevguest.c: the /dev/sev-guest backend: SNP_GET_REPORT, SNP_GET_EXT_REPORT (with the host's
 * certificate table) and SNP_GET_DERIVED_KEY, and the decoding of exitinfo2 errors. Written
 * against <linux/sev-guest.h>; the ioctl goes through elvm__snp_ioctl so tests can play the
 * driver. */
#include "snp_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/sev-guest.h>

/* The UAPI header in older linux-libc-dev lacks these (added with the in-kernel retry). */
#ifndef SNP_GUEST_VMM_ERR_INVALID_LEN
#define SNP_GUEST_VMM_ERR_INVALID_LEN 1
#endif
#ifndef SNP_GUEST_VMM_ERR_BUSY
#define SNP_GUEST_VMM_ERR_BUSY 2
#endif
#define VMM_ERR_GENERIC 0xFFFFFFFFu   /* SNP_GUEST_VMM_ERR_GENERIC in newer kernels */
#define FW_ERR_NO_FW_CALL 0xFFFFFFFFu /* SEV_RET_NO_FW_CALL: the firmware was not called */
#define PAGE 4096u
#define CERTS_MAX (16u * 1024u)       /* SEV_FW_BLOB_MAX_SIZE: the driver's limit */
#define BUSY_TRIES 3

static int real_ioctl(int fd, unsigned long request, void *arg) {
    return ioctl(fd, request, arg);
}

static void real_sleep_ms(unsigned ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

elvm__snp_ioctl_fn elvm__snp_ioctl = real_ioctl;
const char *elvm__snp_dev_path = "/dev/sev-guest";
void (*elvm__snp_sleep_ms)(unsigned ms) = real_sleep_ms;

/* SEV firmware status codes (SEV-SNP ABI "Status Codes"; Linux psp-sev.h sev_ret_code). */
static const char *fw_error_name(uint32_t code) {
    switch (code) {
    case 0x00: return "SUCCESS";
    case 0x01: return "INVALID_PLATFORM_STATE: the platform is not in a state for this command";
    case 0x02: return "INVALID_GUEST_STATE: the guest is not in a state for this command";
    case 0x03: return "INVALID_CONFIG: invalid platform configuration";
    case 0x04: return "INVALID_LEN: a buffer is too small";
    case 0x05: return "ALREADY_OWNED: the platform is already owned";
    case 0x06: return "INVALID_CERTIFICATE: the certificate is invalid";
    case 0x07: return "POLICY_FAILURE: the request is not allowed by the guest policy";
    case 0x08: return "INACTIVE: the guest is not active";
    case 0x09: return "INVALID_ADDRESS: an address is invalid";
    case 0x0A: return "BAD_SIGNATURE: a signature is invalid";
    case 0x0B: return "BAD_MEASUREMENT: a measurement does not match";
    case 0x0C: return "ASID_OWNED: the ASID is already owned";
    case 0x0D: return "INVALID_ASID: the ASID is invalid";
    case 0x0E: return "WBINVD_REQUIRED: WBINVD is required";
    case 0x0F: return "DFFLUSH_REQUIRED: DF_FLUSH is required";
    case 0x10: return "INVALID_GUEST: the guest handle is invalid";
    case 0x11: return "INVALID_COMMAND: the command is not supported";
    case 0x12: return "ACTIVE: the guest is active";
    case 0x13: return "HWSEV_RET_PLATFORM: hardware error";
    case 0x14: return "HWSEV_RET_UNSAFE: hardware unsafe";
    case 0x15: return "UNSUPPORTED: feature not supported";
    case 0x16: return "INVALID_PARAM: a parameter is invalid (e.g. a VMPL below the guest's own)";
    case 0x17: return "RESOURCE_LIMIT: out of resources";
    case 0x18: return "SECURE_DATA_INVALID: integrity check failed";
    case 0x19: return "INVALID_PAGE_SIZE";
    case 0x1A: return "INVALID_PAGE_STATE";
    case 0x1B: return "INVALID_MDATA_ENTRY";
    case 0x1C: return "INVALID_PAGE_OWNER";
    case 0x1D: return "AEAD_OFLOW: the message counter overflowed";
    case 0x1F: return "EXIT_RING_BUFFER";
    case 0x20: return "RMP_INIT_REQUIRED";
    case 0x21: return "BAD_SVN: the SVN is invalid";
    case 0x22: return "BAD_VERSION: the version is invalid";
    case 0x23: return "SHUTDOWN_REQUIRED";
    case 0x24: return "UPDATE_FAILED";
    case 0x25: return "RESTORE_REQUIRED";
    case 0x26: return "RMP_INITIALIZATION_FAILED";
    case 0x27: return "INVALID_KEY: invalid key selection (no such signing or root key)";
    default: return NULL;
    }
}

void elvm_snp_exitinfo2_str(uint64_t exitinfo2, char *buf, size_t len) {
    uint32_t fw = (uint32_t)exitinfo2, vmm = (uint32_t)(exitinfo2 >> 32);
    if (exitinfo2 == 0) {
        snprintf(buf, len, "no error reported (exitinfo2 0)");
    } else if (exitinfo2 == 0xff) {
        /* the driver presets exitinfo2 to 0xff and only overwrites it after a guest request */
        snprintf(buf, len, "the guest driver rejected the request before it reached the host "
                 "(exitinfo2 still 0xff)");
    } else if (vmm == SNP_GUEST_VMM_ERR_INVALID_LEN) {
        snprintf(buf, len, "host: certificate buffer too small (VMM error 1, INVALID_LEN)");
    } else if (vmm == SNP_GUEST_VMM_ERR_BUSY) {
        snprintf(buf, len, "host busy: the hypervisor throttled the request (VMM error 2, "
                 "BUSY); retry later");
    } else if (vmm == VMM_ERR_GENERIC) {
        snprintf(buf, len, "host: the hypervisor failed the request (VMM error 0x%08x, GENERIC)",
                 vmm);
    } else if (vmm != 0) {
        snprintf(buf, len, "host: unknown VMM error %u (exitinfo2 0x%016" PRIx64 ")", vmm,
                 exitinfo2);
    } else if (fw == FW_ERR_NO_FW_CALL) {
        snprintf(buf, len, "the firmware was not called (an error in the guest driver or host)");
    } else {
        const char *name = fw_error_name(fw);
        if (name)
            snprintf(buf, len, "firmware error 0x%02x %s", fw, name);
        else
            snprintf(buf, len, "firmware error 0x%x (unknown status code)", fw);
    }
}

/* Why an ioctl failed, from errno and exitinfo2. */
static void ioctl_error(const char *what, int e, uint64_t exitinfo2, char *err, size_t errlen) {
    char why[200];
    elvm_snp_exitinfo2_str(exitinfo2, why, sizeof why);
    const char *hint = "";
    if (e == ENOTTY)
        hint = "; the driver disabled its VMPCK key after an earlier failed request (to avoid "
               "reusing an IV) or does not know this ioctl: reboot the guest";
    else if (e == ETIMEDOUT)
        hint = "; the driver retried a busy host for its full timeout";
    else if (e == EACCES || e == EPERM)
        hint = "; /dev/sev-guest needs root (or a group with access to it)";
    elvm__snp_err(err, errlen, "%s: %s (%s)%s", what, strerror(e), why, hint);
}

static int open_dev(char *err, size_t errlen) {
    int fd = open(elvm__snp_dev_path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        elvm__snp_err(err, errlen, "%s: %s%s", elvm__snp_dev_path, strerror(e),
                      e == ENOENT ? " (not an SEV-SNP guest, or the sev-guest driver is not "
                                    "loaded)" : "");
    }
    return fd;
}

/* One guest request, retried while the host reports busy (or EAGAIN). Returns 0 or -1 with
 * errno-style code in *e and exitinfo2 left in *rio. */
static int request(int fd, unsigned long cmd, struct snp_guest_request_ioctl *rio, int *e) {
    for (int attempt = 1;; attempt++) {
        rio->exitinfo2 = 0;
        if (elvm__snp_ioctl(fd, cmd, rio) == 0) return 0;
        *e = errno;
        /* ETIMEDOUT: the driver already retried a busy host for a minute and then disabled
         * its key, so another attempt cannot succeed */
        int busy = *e == EAGAIN || (rio->vmm_error == SNP_GUEST_VMM_ERR_BUSY && *e != ETIMEDOUT);
        if (!busy || attempt == BUSY_TRIES) return -1;
        elvm__snp_sleep_ms(1000u * (unsigned)attempt);
    }
}

/* Checks MSG_REPORT_RSP and copies the report out. */
static int report_from_resp(const uint8_t *data, uint8_t report[1184], char *err, size_t errlen) {
    uint32_t status = elvm__snp_le32(data + ELVM__SNP_REPORT_RSP_STATUS);
    uint32_t size = elvm__snp_le32(data + ELVM__SNP_REPORT_RSP_SIZE);
    if (status != 0) {
        const char *name = fw_error_name(status);
        elvm__snp_err(err, errlen, "MSG_REPORT_RSP status 0x%x%s%s", status, name ? " " : "",
                      name ? name : "");
        return -1;
    }
    if (size != ELVM_SNP_REPORT_SIZE) {
        elvm__snp_err(err, errlen, "MSG_REPORT_RSP report size %" PRIu32 ", expected %d", size,
                      ELVM_SNP_REPORT_SIZE);
        return -1;
    }
    memcpy(report, data + ELVM__SNP_REPORT_RSP_REPORT, ELVM_SNP_REPORT_SIZE);
    return 0;
}

int elvm__snp_sevguest_report(const uint8_t report_data[64], uint32_t vmpl,
                              uint8_t report[1184], char *err, size_t errlen) {
    int fd = open_dev(err, errlen);
    if (fd < 0) return -1;
    struct snp_report_req req;
    struct snp_report_resp resp;
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    memcpy(req.user_data, report_data, 64);
    req.vmpl = vmpl;
    struct snp_guest_request_ioctl rio;
    memset(&rio, 0, sizeof rio);
    rio.msg_version = 1;
    rio.req_data = (uint64_t)(uintptr_t)&req;
    rio.resp_data = (uint64_t)(uintptr_t)&resp;
    int e = 0, rc = request(fd, SNP_GET_REPORT, &rio, &e);
    close(fd);
    if (rc < 0) {
        ioctl_error("SNP_GET_REPORT", e, rio.exitinfo2, err, errlen);
        return -1;
    }
    return report_from_resp(resp.data, report, err, errlen);
}

int elvm__snp_sevguest_ext_report(const uint8_t report_data[64], uint32_t vmpl,
                                  uint8_t report[1184], uint8_t **certs, size_t *certs_len,
                                  char *err, size_t errlen) {
    *certs = NULL;
    *certs_len = 0;
    int fd = open_dev(err, errlen);
    if (fd < 0) return -1;
    uint32_t cap = PAGE;
    uint8_t *buf = NULL;
    int rc = -1;
    for (int round = 0; round < 4; round++) {
        free(buf);
        buf = calloc(1, cap);
        if (!buf) {
            elvm__snp_err(err, errlen, "out of memory");
            goto out;
        }
        struct snp_ext_report_req req;
        struct snp_report_resp resp;
        memset(&req, 0, sizeof req);
        memset(&resp, 0, sizeof resp);
        memcpy(req.data.user_data, report_data, 64);
        req.data.vmpl = vmpl;
        req.certs_address = (uint64_t)(uintptr_t)buf;
        req.certs_len = cap;
        struct snp_guest_request_ioctl rio;
        memset(&rio, 0, sizeof rio);
        rio.msg_version = 1;
        rio.req_data = (uint64_t)(uintptr_t)&req;
        rio.resp_data = (uint64_t)(uintptr_t)&resp;
        int e = 0;
        if (request(fd, SNP_GET_EXT_REPORT, &rio, &e) == 0) {
            if (report_from_resp(resp.data, report, err, errlen) < 0) goto out;
            /* the table ends with an all-zero entry; a host that sent none leaves zeros */
            static const uint8_t zero[24];
            if (memcmp(buf, zero, 24) != 0) {
                *certs = buf;
                *certs_len = cap;
                buf = NULL;
            }
            rc = 0;
            goto out;
        }
        if (rio.vmm_error != SNP_GUEST_VMM_ERR_INVALID_LEN) {
            ioctl_error("SNP_GET_EXT_REPORT", e, rio.exitinfo2, err, errlen);
            goto out;
        }
        /* certs buffer too small: the driver wrote the size the host needs into certs_len */
        uint32_t need = req.certs_len;
        if (need <= cap || need > CERTS_MAX || need % PAGE) {
            elvm__snp_err(err, errlen, "SNP_GET_EXT_REPORT: the host needs a %" PRIu32 "-byte "
                          "certificate buffer (had %" PRIu32 ", the driver allows up to %u in "
                          "whole pages)", need, cap, CERTS_MAX);
            goto out;
        }
        cap = need;
    }
    elvm__snp_err(err, errlen, "SNP_GET_EXT_REPORT: the host kept asking for a larger "
                  "certificate buffer");
out:
    free(buf);
    close(fd);
    return rc;
}

int elvm__snp_sevguest_derived_key(uint64_t field_select, uint32_t vmpl, uint8_t key[32],
                                   char *err, size_t errlen) {
    int fd = open_dev(err, errlen);
    if (fd < 0) return -1;
    struct snp_derived_key_req req;
    struct snp_derived_key_resp resp;
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    req.root_key_select = 0; /* VCEK */
    req.guest_field_select = field_select;
    req.vmpl = vmpl;
    struct snp_guest_request_ioctl rio;
    memset(&rio, 0, sizeof rio);
    rio.msg_version = 1;
    rio.req_data = (uint64_t)(uintptr_t)&req;
    rio.resp_data = (uint64_t)(uintptr_t)&resp;
    int e = 0, rc = request(fd, SNP_GET_DERIVED_KEY, &rio, &e);
    close(fd);
    if (rc < 0) {
        ioctl_error("SNP_GET_DERIVED_KEY", e, rio.exitinfo2, err, errlen);
        return -1;
    }
    uint32_t status = elvm__snp_le32(resp.data + ELVM__SNP_KEY_RSP_STATUS);
    if (status != 0) {
        const char *name = fw_error_name(status);
        elvm__snp_err(err, errlen, "MSG_KEY_RSP status 0x%x%s%s", status, name ? " " : "",
                      name ? name : "");
        elvm__snp_wipe(&resp, sizeof resp);
        return -1;
    }
    memcpy(key, resp.data + ELVM__SNP_KEY_RSP_KEY, 32);
    elvm__snp_wipe(&resp, sizeof resp);
    return 0;
}
