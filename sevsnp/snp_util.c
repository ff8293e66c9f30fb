/* snp_util.c: error text, little-endian fields, hex, files, certificates and HKDF for sevsnp/. */
#include "snp_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>

void elvm__snp_err(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void elvm__snp_err_ossl(char *err, size_t errlen, const char *fmt, ...) {
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    if (e) {
        size_t n = strlen(err);
        if (n + 3 < errlen) {
            char why[160];
            ERR_error_string_n(e, why, sizeof why);
            snprintf(err + n, errlen - n, ": %s", why);
        }
    }
}

uint32_t elvm__snp_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t elvm__snp_le64(const uint8_t *p) {
    return (uint64_t)elvm__snp_le32(p) | (uint64_t)elvm__snp_le32(p + 4) << 32;
}

void elvm__snp_put_le32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

void elvm__snp_put_le64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

void elvm__snp_hex(const uint8_t *p, size_t len, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * len] = '\0';
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int elvm__snp_unhex(const char *s, uint8_t *out, size_t len) {
    if (strlen(s) != 2 * len) return -1;
    for (size_t i = 0; i < len; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int elvm__snp_read_file(const char *path, uint8_t **buf, size_t *len, size_t max, char *err,
                        size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        elvm__snp_err(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *p = malloc(cap + 1);
    if (!p) {
        fclose(f);
        elvm__snp_err(err, errlen, "%s: out of memory", path);
        return -1;
    }
    for (;;) {
        if (n == cap) {
            /* read one byte past `max` at most, so an oversized file is caught, not truncated */
            if (cap > max) break;
            uint8_t *q = realloc(p, cap * 2 + 1);
            if (!q) {
                free(p);
                fclose(f);
                elvm__snp_err(err, errlen, "%s: out of memory", path);
                return -1;
            }
            p = q;
            cap *= 2;
        }
        size_t got = fread(p + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(p);
        elvm__snp_err(err, errlen, "%s: read error", path);
        return -1;
    }
    if (n > max) {
        free(p);
        elvm__snp_err(err, errlen, "%s: larger than %zu bytes", path, max);
        return -1;
    }
    p[n] = 0;
    *buf = p;
    *len = n;
    return 0;
}

int elvm__snp_path(char *out, size_t outlen, const char *dir, const char *name) {
    int n = snprintf(out, outlen, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

X509 *elvm__snp_x509_parse(const uint8_t *buf, size_t len, const char *what, char *err,
                           size_t errlen) {
    X509 *x = NULL;
    if (len > 0 && len < (size_t)INT32_MAX && memmem(buf, len, "-----BEGIN", 10)) {
        BIO *b = BIO_new_mem_buf(buf, (int)len);
        if (b) x = PEM_read_bio_X509(b, NULL, NULL, NULL);
        BIO_free(b);
    } else if (len > 0 && len < (size_t)INT32_MAX) {
        const unsigned char *p = buf;
        x = d2i_X509(NULL, &p, (long)len);
        if (x && p != buf + len) {
            X509_free(x);
            ERR_clear_error();
            elvm__snp_err(err, errlen, "%s: trailing bytes after the DER certificate", what);
            return NULL;
        }
    }
    if (!x) elvm__snp_err_ossl(err, errlen, "%s: not a PEM or DER X.509 certificate", what);
    return x;
}

X509 *elvm__snp_x509_load(const char *path, char *err, size_t errlen) {
    uint8_t *buf;
    size_t len;
    if (elvm__snp_read_file(path, &buf, &len, 1 << 20, err, errlen) < 0) return NULL;
    X509 *x = elvm__snp_x509_parse(buf, len, path, err, errlen);
    free(buf);
    return x;
}

int elvm__snp_hkdf(const uint8_t *ikm, size_t ikm_len, const char *salt, const uint8_t *info,
                   size_t info_len, uint8_t *out, size_t out_len) {
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    if (!kdf) return -1;
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);
    if (!ctx) return -1;
    OSSL_PARAM params[5], *p = params;
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, strlen(salt));
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
    *p = OSSL_PARAM_construct_end();
    int rc = EVP_KDF_derive(ctx, out, out_len, params) == 1 ? 0 : -1;
    EVP_KDF_CTX_free(ctx);
    return rc;
}

void elvm__snp_wipe(void *p, size_t len) {
    OPENSSL_cleanse(p, len);
}
