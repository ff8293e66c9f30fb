/* tsm.c: the configfs-tsm backend (Linux 6.7+): make an entry under
 * /sys/kernel/config/tsm/report/, write inblob, read outblob (the report) and auxblob (the
 * certificate table), and compare `generation` before and after so that a concurrent writer
 * to the same entry is detected instead of returning someone else's report. */
#include "snp_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ATTR_MAX (64u * 1024u) /* TSM_REPORT_OUTBLOB_MAX is 32 KiB */
#define TRIES 3

const char *elvm__snp_tsm_root = "/sys/kernel/config/tsm/report";
elvm__snp_tsm_hook_fn elvm__snp_tsm_hook = NULL;

static void hook(const char *dir, const char *event, const char *file) {
    if (elvm__snp_tsm_hook) elvm__snp_tsm_hook(dir, event, file);
}

/* Reads attribute `name` whole. A missing optional attribute reads as empty. */
static int read_attr(const char *dir, const char *name, uint8_t **buf, size_t *len, int optional,
                     char *err, size_t errlen) {
    char path[4096];
    *buf = NULL;
    *len = 0;
    if (elvm__snp_path(path, sizeof path, dir, name) < 0) {
        elvm__snp_err(err, errlen, "%s: path too long", dir);
        return -1;
    }
    hook(dir, "read", name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT && optional) return 0;
        elvm__snp_err(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *p = malloc(cap + 1);
    while (p) {
        if (n == cap) {
            uint8_t *q = cap >= ATTR_MAX ? NULL : realloc(p, cap * 2 + 1);
            if (!q) {
                free(p);
                p = NULL;
                errno = EFBIG;
                break;
            }
            p = q;
            cap *= 2;
        }
        ssize_t got = read(fd, p + n, cap - n);
        if (got < 0) {
            if (errno == EINTR) continue;
            free(p);
            p = NULL;
            break;
        }
        if (got == 0) break;
        n += (size_t)got;
    }
    int e = errno;
    close(fd);
    if (!p) {
        const char *hint = "";
        if (e == EINVAL) hint = " (the provider rejected the request)";
        else if (e == ENXIO) hint = " (the firmware returned an error status)";
        else if (e == EBUSY || e == EAGAIN) hint = " (busy: retry later)";
        elvm__snp_err(err, errlen, "%s: %s%s", path, strerror(e), hint);
        return -1;
    }
    p[n] = 0;
    *buf = p;
    *len = n;
    return 0;
}

static int read_u64(const char *dir, const char *name, uint64_t *v, char *err, size_t errlen) {
    uint8_t *buf;
    size_t len;
    if (read_attr(dir, name, &buf, &len, 0, err, errlen) < 0) return -1;
    char *end;
    errno = 0;
    *v = strtoull((const char *)buf, &end, 10);
    int bad = end == (char *)buf || errno || (*end && *end != '\n');
    free(buf);
    if (bad) {
        elvm__snp_err(err, errlen, "%s/%s: not a number", dir, name);
        return -1;
    }
    return 0;
}

/* One write(2), as configfs attributes expect; configfs reports some errors at close(2). */
static int write_attr(const char *dir, const char *name, const void *data, size_t len, char *err,
                      size_t errlen) {
    char path[4096];
    if (elvm__snp_path(path, sizeof path, dir, name) < 0) {
        elvm__snp_err(err, errlen, "%s: path too long", dir);
        return -1;
    }
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        elvm__snp_err(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    ssize_t n = write(fd, data, len);
    int e = errno;
    if (close(fd) < 0 && n >= 0) {
        n = -1;
        e = errno;
    }
    if (n != (ssize_t)len) {
        elvm__snp_err(err, errlen, "%s: %s", path, n < 0 ? strerror(e) : "short write");
        return -1;
    }
    hook(dir, "write", name);
    return 0;
}

static int make_entry(char *dir, size_t dirlen, char *err, size_t errlen) {
    static unsigned counter;
    for (int i = 0; i < 16; i++) {
        int n = snprintf(dir, dirlen, "%s/elvm-%ld-%u", elvm__snp_tsm_root, (long)getpid(),
                         counter++);
        if (n < 0 || (size_t)n >= dirlen) {
            elvm__snp_err(err, errlen, "%s: path too long", elvm__snp_tsm_root);
            return -1;
        }
        if (mkdir(dir, 0700) == 0) {
            hook(dir, "mkdir", NULL);
            return 0;
        }
        if (errno != EEXIST) break;
    }
    int e = errno;
    elvm__snp_err(err, errlen, "%s: %s%s", dir, strerror(e),
                  e == ENOENT ? " (no configfs-tsm: needs Linux 6.7+, configfs mounted on "
                                "/sys/kernel/config and a TSM provider such as sev-guest)"
                  : e == EACCES || e == EPERM ? " (configfs-tsm needs root)" : "");
    return -1;
}

static void remove_entry(const char *dir) {
    hook(dir, "rmdir", NULL);
    rmdir(dir);
}

/* 1 when the entry's provider is the SEV-SNP guest driver, 0 otherwise, -1 on error. */
static int provider_is_sev(const char *dir, char *err, size_t errlen) {
    uint8_t *buf;
    size_t len;
    if (read_attr(dir, "provider", &buf, &len, 0, err, errlen) < 0) return -1;
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' ')) buf[--len] = 0;
    int sev = !strcmp((const char *)buf, "sev_guest") || !strcmp((const char *)buf, "sev-guest");
    if (!sev) elvm__snp_err(err, errlen, "configfs-tsm provider is \"%s\", not sev_guest (not an "
                            "SEV-SNP guest)", (const char *)buf);
    free(buf);
    return sev;
}

int elvm__snp_tsm_available(void) {
    struct stat st;
    if (stat(elvm__snp_tsm_root, &st) < 0 || !S_ISDIR(st.st_mode)) return 0;
    char dir[4096], err[256];
    if (make_entry(dir, sizeof dir, err, sizeof err) < 0) return 0;
    int sev = provider_is_sev(dir, err, sizeof err);
    remove_entry(dir);
    return sev == 1;
}

int elvm__snp_tsm_report(const uint8_t report_data[64], uint8_t report[1184], uint8_t **aux,
                         size_t *aux_len, char *err, size_t errlen) {
    char dir[4096];
    uint8_t *out = NULL, *auxb = NULL;
    size_t out_len = 0, auxb_len = 0;
    int rc = -1;
    if (aux) *aux = NULL;
    if (aux_len) *aux_len = 0;
    if (make_entry(dir, sizeof dir, err, errlen) < 0) return -1;
    if (provider_is_sev(dir, err, errlen) != 1) goto out;

    /* a guest under an SVSM runs above VMPL 0 and may only ask at its own level or above */
    uint8_t *floor_txt;
    size_t floor_len;
    if (read_attr(dir, "privlevel_floor", &floor_txt, &floor_len, 1, err, errlen) < 0) goto out;
    unsigned long floor = floor_txt ? strtoul((const char *)floor_txt, NULL, 10) : 0;
    free(floor_txt);
    if (floor > 0) {
        char lvl[16];
        int n = snprintf(lvl, sizeof lvl, "%lu\n", floor);
        if (write_attr(dir, "privlevel", lvl, (size_t)n, err, errlen) < 0) goto out;
    }

    for (int attempt = 1; attempt <= TRIES; attempt++) {
        uint64_t before, after;
        if (read_u64(dir, "generation", &before, err, errlen) < 0) goto out;
        if (write_attr(dir, "inblob", report_data, 64, err, errlen) < 0) goto out;
        if (read_attr(dir, "outblob", &out, &out_len, 0, err, errlen) < 0) goto out;
        if (read_attr(dir, "auxblob", &auxb, &auxb_len, 1, err, errlen) < 0) goto out;
        if (read_u64(dir, "generation", &after, err, errlen) < 0) goto out;
        if (after == before + 1) break;
        /* another process wrote to this entry between our inblob and outblob: the blobs may be
         * its report, not ours */
        elvm__snp_err(err, errlen, "configfs-tsm: a concurrent writer changed %s (generation "
                      "%" PRIu64 " before our inblob write, %" PRIu64 " after reading outblob, "
                      "expected %" PRIu64 "); gave up after %d attempts", dir, before, after,
                      before + 1, attempt);
        free(out);
        free(auxb);
        out = auxb = NULL;
        if (attempt == TRIES) goto out;
        elvm__snp_sleep_ms(10u * (unsigned)attempt);
    }
    if (out_len != ELVM_SNP_REPORT_SIZE) {
        elvm__snp_err(err, errlen, "configfs-tsm outblob is %zu bytes, expected a %d-byte "
                      "ATTESTATION_REPORT", out_len, ELVM_SNP_REPORT_SIZE);
        goto out;
    }
    memcpy(report, out, ELVM_SNP_REPORT_SIZE);
    if (aux && auxb_len) {
        *aux = auxb;
        *aux_len = auxb_len;
        auxb = NULL;
    }
    rc = 0;
out:
    free(out);
    free(auxb);
    remove_entry(dir);
    return rc;
}
