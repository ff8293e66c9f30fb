/* storage.c: elastic:storage: encrypted, container-based object storage in the host
 * directory the operator grants. Every object is sealed with AES-256-GCM under a key
 * derived (HKDF) from the sealing key: the SEV-SNP firmware's derived key on SEV-SNP
 * hardware, else the operator's key file. storage.h has the on-disk format. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hal_crypto.h"
#include "snp.h"
#include "storage.h"

#define MAX_NAME 64
#define MAX_KEY 1024
#define DEFAULT_MAX_OBJECT (16u << 20)
#define HDR_SIZE 24
#define TAG_SIZE 16
#define META_SIZE 56

static const char META_MAGIC[8] = "ELVMSTC1";
static const char OBJ_MAGIC[8] = "ELVMSTO1";
static const char META_FILE[] = ".container";

void (*elvm__hal_storage_step_hook)(const char *step);

struct hal_storage {
    int dirfd;              /* the granted directory */
    uint8_t key[32];        /* the sealing key */
    char source[96];        /* where the key came from, for capabilities */
};

struct hal_container {
    char name[MAX_NAME + 1];
    int dirfd;
    uint8_t k_data[32], k_name[32];
    int deleted; /* delete-container ran on it */
};

static void step(const char *s) {
    if (elvm__hal_storage_step_hook) elvm__hal_storage_step_hook(s);
}

/* ---- setup -------------------------------------------------------------------------------- */

static int hexval(int ch) {
    return ch >= '0' && ch <= '9' ? ch - '0'
         : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
         : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                  : -1;
}

/* The operator's key file: 32 raw bytes, or 64 hex digits (and an optional newline). */
static int read_key_file(const char *path, uint8_t key[32], char *why, size_t len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, len, "cannot open the storage key file '%s': %s", path, strerror(errno));
        return -1;
    }
    uint8_t buf[80];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    while (n > 32 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) n--;
    if (n == 32) {
        memcpy(key, buf, 32);
    } else if (n == 64) {
        for (int i = 0; i < 32; i++) {
            int hi = hexval(buf[2 * i]), lo = hexval(buf[2 * i + 1]);
            if (hi < 0 || lo < 0) goto bad;
            key[i] = (uint8_t)(hi << 4 | lo);
        }
    } else {
        goto bad;
    }
    elvm__hal_cleanse(buf, sizeof buf);
    return 0;
bad:
    elvm__hal_cleanse(buf, sizeof buf);
    snprintf(why, len, "storage key file '%s' must hold 32 bytes or 64 hex digits", path);
    return -1;
}

int elvm__hal_storage_init(elvm_hal *h, elvm_error *err) {
    const elvm_hal_config *cfg = &h->cfg;
    if (!cfg->storage_dir || !(h->ifaces & (1u << ELVM_HAL_STORAGE))) return 0;
    hal_storage *s = calloc(1, sizeof *s);
    if (!s) {
        elvm__hal_set_err(err, ELVM_NOMEM, "out of host memory");
        return -1;
    }
    s->dirfd = open(cfg->storage_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0) {
        elvm__hal_set_err(err, ELVM_ARG, "HAL storage directory '%s': %s", cfg->storage_dir,
                          strerror(errno));
        free(s);
        return -1;
    }
    char why[300] = "";
    int ok;
    if (h->snp_kind == 0) { /* SEV-SNP hardware: the firmware's derived key */
        ok = !elvm__hal_snp_derive_key(cfg->snp_backend, cfg->snp_sim_keys_dir,
                                       "elvm-hal-storage-v1", s->key, why, sizeof why);
        snprintf(s->source, sizeof s->source, "SEV-SNP derived key (%s)",
                 elvm__hal_snp_backend_name(cfg->snp_backend));
    } else if (cfg->storage_key_file) {
        ok = !read_key_file(cfg->storage_key_file, s->key, why, sizeof why);
        snprintf(s->source, sizeof s->source, "operator key file");
    } else if (h->snp_kind == 1) { /* the simulator: no protection, but reproducible */
        ok = !elvm__hal_snp_derive_key(cfg->snp_backend, cfg->snp_sim_keys_dir,
                                       "elvm-hal-storage-v1", s->key, why, sizeof why);
        snprintf(s->source, sizeof s->source, "simulated SEV-SNP key (not protected)");
        if (ok) hal_log(h, "error", "storage: sealing with the simulated SEV-SNP key: not a "
                                    "hardware-protected key");
    } else {
        ok = 0;
        snprintf(why, sizeof why, "no SEV-SNP hardware to derive a sealing key from: give a "
                                  "storage key file (32 bytes or 64 hex digits)");
    }
    if (!ok) {
        elvm__hal_set_err(err, ELVM_ARG, "HAL storage '%s': %s", cfg->storage_dir, why);
        close(s->dirfd);
        elvm__hal_cleanse(s, sizeof *s);
        free(s);
        return -1;
    }
    h->storage = s;
    return 0;
}

void elvm__hal_storage_free(elvm_hal *h) {
    if (!h->storage) return;
    close(h->storage->dirfd);
    elvm__hal_cleanse(h->storage, sizeof *h->storage);
    free(h->storage);
    h->storage = NULL;
}

int elvm__hal_storage_ready(const elvm_hal *h, char *detail, size_t len) {
    if (!h->storage) {
        snprintf(detail, len, "no storage directory granted");
        return 0;
    }
    snprintf(detail, len, "AES-256-GCM, %s", h->storage->source);
    return 1;
}

/* ---- containers ------------------------------------------------------------------------------ */

static int valid_container_name(const char *n) {
    size_t len = strlen(n);
    if (len == 0 || len > MAX_NAME || n[0] == '.') return 0;
    for (const char *p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return 0;
    return 1;
}

static int derive(const hal_storage *s, const char *name, const uint8_t salt[16], uint8_t k[64]) {
    char info[128];
    int n = snprintf(info, sizeof info, "elvm-hal-storage v1 container:%s", name);
    return elvm__hal_hkdf(HAL_SHA256, s->key, 32, salt, 16, (const uint8_t *)info, (size_t)n, k,
                          64);
}

static void key_check(const uint8_t k_name[32], uint8_t out[32]) {
    static const char msg[] = "elvm-hal-storage v1 key-check";
    size_t n;
    uint8_t mac[64];
    elvm__hal_hmac(HAL_SHA256, k_name, 32, (const uint8_t *)msg, sizeof msg - 1, mac, &n);
    memcpy(out, mac, 32);
}

static int errno_error(int e) {
    return e == ENOENT ? HAL_ST_NOT_FOUND : e == EEXIST || e == ENOTEMPTY ? HAL_ST_ALREADY_EXISTS
                                                                          : HAL_ST_IO_ERROR;
}

/* Writes `len` bytes as `name` in `dirfd` atomically: temp file, fsync, rename, fsync dir. */
static int atomic_write(int dirfd, const char *name, const uint8_t *data, size_t len) {
    char tmp[128];
    uint8_t r[8];
    elvm__hal_rand(r, sizeof r);
    snprintf(tmp, sizeof tmp, ".tmp-%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3],
             r[4], r[5], r[6], r[7]);
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return HAL_ST_IO_ERROR;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += (size_t)n;
    }
    step("temp-written");
    int ok = done == len && fsync(fd) == 0;
    ok &= close(fd) == 0;
    step("temp-synced");
    if (ok) ok = renameat(dirfd, tmp, dirfd, name) == 0;
    if (!ok) {
        unlinkat(dirfd, tmp, 0);
        return HAL_ST_IO_ERROR;
    }
    step("renamed");
    if (fsync(dirfd) != 0) return HAL_ST_IO_ERROR;
    step("dir-synced");
    return -1;
}

/* Removes the temp files a crashed writer left. */
static void sweep_temps(int dirfd) {
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0) close(fd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)))
        if (!strncmp(e->d_name, ".tmp-", 5)) unlinkat(dirfd, e->d_name, 0);
    closedir(d);
}

int elvm__hal_container_open(elvm_hal *h, const char *name, int create, hal_container **out) {
    hal_storage *s = h->storage;
    *out = NULL;
    if (!s) return HAL_ST_NOT_GRANTED;
    if (!valid_container_name(name)) return HAL_ST_INVALID_NAME;
    hal_container *c = calloc(1, sizeof *c);
    if (!c) return HAL_ST_IO_ERROR;
    snprintf(c->name, sizeof c->name, "%s", name);
    uint8_t meta[META_SIZE], k[64];
    int e = -1;
    if (create) {
        /* Built under a temporary name, then renamed into place: a container is there
         * with its key check, or not at all. */
        char tmp[64];
        uint8_t r[8];
        elvm__hal_rand(r, sizeof r);
        snprintf(tmp, sizeof tmp, ".tmpc-%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2],
                 r[3], r[4], r[5], r[6], r[7]);
        struct stat st;
        if (fstatat(s->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            e = HAL_ST_ALREADY_EXISTS;
            goto fail;
        }
        memcpy(meta, META_MAGIC, 8);
        if (elvm__hal_rand(meta + 8, 16) || derive(s, name, meta + 8, k) ||
            mkdirat(s->dirfd, tmp, 0700)) {
            e = HAL_ST_IO_ERROR;
            goto fail;
        }
        key_check(k + 32, meta + 24);
        int tfd = openat(s->dirfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        e = tfd < 0 ? HAL_ST_IO_ERROR : atomic_write(tfd, META_FILE, meta, META_SIZE);
        if (tfd >= 0) close(tfd);
        if (e < 0 && renameat2(s->dirfd, tmp, s->dirfd, name, RENAME_NOREPLACE) != 0)
            e = errno_error(errno);
        if (e >= 0) {
            int dfd = openat(s->dirfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (dfd >= 0) {
                unlinkat(dfd, META_FILE, 0);
                close(dfd);
            }
            unlinkat(s->dirfd, tmp, AT_REMOVEDIR);
            goto fail;
        }
        if (fsync(s->dirfd) != 0) {
            e = HAL_ST_IO_ERROR;
            goto fail;
        }
    }
    c->dirfd = openat(s->dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (c->dirfd < 0) {
        e = errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? HAL_ST_NOT_FOUND
                                                                  : HAL_ST_IO_ERROR;
        goto fail;
    }
    int mfd = openat(c->dirfd, META_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    ssize_t n = mfd >= 0 ? read(mfd, meta, sizeof meta) : -1;
    uint8_t extra;
    if (mfd >= 0 && n == META_SIZE && read(mfd, &extra, 1) != 0) n = -1;
    if (mfd >= 0) close(mfd);
    if (mfd < 0 && errno == ENOENT) {
        e = HAL_ST_NOT_FOUND; /* a directory, not a container */
        goto fail_fd;
    }
    if (n != META_SIZE || memcmp(meta, META_MAGIC, 8)) {
        hal_log(h, "error", "storage: container '%s': malformed %s", name, META_FILE);
        e = HAL_ST_INTEGRITY_FAILURE;
        goto fail_fd;
    }
    uint8_t check[32];
    if (derive(s, name, meta + 8, k)) {
        e = HAL_ST_IO_ERROR;
        goto fail_fd;
    }
    key_check(k + 32, check);
    if (!elvm__hal_memeq(check, meta + 24, 32)) {
        hal_log(h, "error", "storage: container '%s': the sealing key does not match (a wrong "
                            "key, or a renamed or tampered container)", name);
        e = HAL_ST_WRONG_KEY;
        goto fail_fd;
    }
    memcpy(c->k_data, k, 32);
    memcpy(c->k_name, k + 32, 32);
    elvm__hal_cleanse(k, sizeof k);
    sweep_temps(c->dirfd);
    *out = c;
    return -1;
fail_fd:
    close(c->dirfd);
fail:
    elvm__hal_cleanse(k, sizeof k);
    free(c);
    return e;
}

void elvm__hal_container_close(hal_container *c) {
    if (!c) return;
    close(c->dirfd);
    elvm__hal_cleanse(c, sizeof *c);
    free(c);
}

/* ---- objects --------------------------------------------------------------------------------- */

static int valid_key(const char *key) {
    size_t n = strlen(key);
    return n > 0 && n <= MAX_KEY;
}

/* id = HMAC(k_name, "obj:" || key) and its file name. */
static void object_id(const hal_container *c, const char *key, uint8_t id[32], char file[72]) {
    size_t n = strlen(key), len;
    uint8_t *msg = malloc(n + 4), mac[64];
    if (!msg) {
        memset(id, 0, 32);
    } else {
        memcpy(msg, "obj:", 4);
        memcpy(msg + 4, key, n);
        elvm__hal_hmac(HAL_SHA256, c->k_name, 32, msg, n + 4, mac, &len);
        memcpy(id, mac, 32);
        free(msg);
    }
    for (int i = 0; i < 32; i++) snprintf(file + 2 * i, 3, "%02x", id[i]);
    memcpy(file + 64, ".obj", 5);
}

int elvm__hal_obj_put(elvm_hal *h, hal_container *c, const char *key, const uint8_t *value,
                      size_t len) {
    if (c->deleted) return HAL_ST_NOT_FOUND;
    if (!valid_key(key)) return HAL_ST_INVALID_NAME;
    uint64_t max = h->cfg.storage_max_object ? h->cfg.storage_max_object : DEFAULT_MAX_OBJECT;
    if (len > max) return HAL_ST_TOO_LARGE;
    size_t kn = strlen(key), plen = 4 + kn + len;
    uint8_t id[32], aad[HDR_SIZE + 32];
    char file[72];
    object_id(c, key, id, file);
    uint8_t *plain = malloc(plen), *blob = malloc(HDR_SIZE + plen + TAG_SIZE);
    int e = HAL_ST_IO_ERROR;
    if (!plain || !blob) goto out;
    plain[0] = (uint8_t)kn, plain[1] = (uint8_t)(kn >> 8), plain[2] = plain[3] = 0;
    memcpy(plain + 4, key, kn);
    if (len) memcpy(plain + 4 + kn, value, len);
    memcpy(blob, OBJ_MAGIC, 8);
    if (elvm__hal_rand(blob + 8, 12)) goto out;
    for (int i = 0; i < 4; i++) blob[20 + i] = (uint8_t)(plen >> (8 * i));
    memcpy(aad, blob, HDR_SIZE);
    memcpy(aad + HDR_SIZE, id, 32);
    if (elvm__hal_aead(0, 1, c->k_data, blob + 8, aad, sizeof aad, plain, plen, blob + HDR_SIZE))
        goto out;
    e = atomic_write(c->dirfd, file, blob, HDR_SIZE + plen + TAG_SIZE);
out:
    if (plain) elvm__hal_cleanse(plain, plen);
    free(plain);
    free(blob);
    return e;
}

/* Reads and opens the sealed object `file` (id known, or NULL to take it from the name);
 * on success *plain holds (key length, key, value). */
static int open_object(elvm_hal *h, hal_container *c, const char *file, const uint8_t *id,
                       uint8_t **plain, size_t *plen) {
    int fd = openat(c->dirfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? HAL_ST_NOT_FOUND : HAL_ST_IO_ERROR;
    struct stat st;
    uint64_t max = h->cfg.storage_max_object ? h->cfg.storage_max_object : DEFAULT_MAX_OBJECT;
    if (fstat(fd, &st) || st.st_size < HDR_SIZE + TAG_SIZE + 4 ||
        (uint64_t)st.st_size > max + MAX_KEY + HDR_SIZE + TAG_SIZE + 4) {
        close(fd);
        hal_log(h, "error", "storage: %s/%s: not a sealed object (size)", c->name, file);
        return HAL_ST_INTEGRITY_FAILURE;
    }
    size_t size = (size_t)st.st_size, got = 0;
    uint8_t *blob = malloc(size);
    while (blob && got < size) {
        ssize_t n = read(fd, blob + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd);
    if (!blob || got != size) {
        free(blob);
        return HAL_ST_IO_ERROR;
    }
    uint32_t len = (uint32_t)blob[20] | (uint32_t)blob[21] << 8 | (uint32_t)blob[22] << 16 |
                   (uint32_t)blob[23] << 24;
    uint8_t idbuf[32], aad[HDR_SIZE + 32];
    if (!id) {
        for (int i = 0; i < 32; i++) idbuf[i] = (uint8_t)(hexval(file[2 * i]) << 4 | hexval(file[2 * i + 1]));
        id = idbuf;
    }
    int e = HAL_ST_INTEGRITY_FAILURE;
    uint8_t *out = NULL;
    if (memcmp(blob, OBJ_MAGIC, 8) || (uint64_t)len + HDR_SIZE + TAG_SIZE != size) goto bad;
    memcpy(aad, blob, HDR_SIZE);
    memcpy(aad + HDR_SIZE, id, 32);
    out = malloc(len ? len : 1);
    if (!out) {
        e = HAL_ST_IO_ERROR;
        goto done;
    }
    if (elvm__hal_aead(0, 0, c->k_data, blob + 8, aad, sizeof aad, blob + HDR_SIZE,
                       len + TAG_SIZE, out))
        goto bad;
    size_t kn = (size_t)out[0] | (size_t)out[1] << 8;
    if (len < 4 || kn + 4 > len || out[2] || out[3]) goto bad;
    *plain = out;
    *plen = len;
    free(blob);
    return -1;
bad:
    hal_log(h, "error", "storage: %s/%s: the object failed authentication (tampered, "
                        "corrupted or sealed under another key)", c->name, file);
done:
    free(out);
    free(blob);
    return e;
}

int elvm__hal_obj_get(elvm_hal *h, hal_container *c, const char *key, uint8_t **value,
                      size_t *len) {
    if (c->deleted) return HAL_ST_NOT_FOUND;
    if (!valid_key(key)) return HAL_ST_INVALID_NAME;
    uint8_t id[32], *plain;
    char file[72];
    size_t plen;
    object_id(c, key, id, file);
    int e = open_object(h, c, file, id, &plain, &plen);
    if (e >= 0) return e;
    size_t kn = (size_t)plain[0] | (size_t)plain[1] << 8;
    if (kn != strlen(key) || memcmp(plain + 4, key, kn)) {
        elvm__hal_cleanse(plain, plen);
        free(plain);
        return HAL_ST_INTEGRITY_FAILURE;
    }
    *len = plen - 4 - kn;
    memmove(plain, plain + 4 + kn, *len);
    *value = plain;
    return -1;
}

int elvm__hal_obj_delete(elvm_hal *h, hal_container *c, const char *key) {
    (void)h;
    if (c->deleted) return HAL_ST_NOT_FOUND;
    if (!valid_key(key)) return HAL_ST_INVALID_NAME;
    uint8_t id[32];
    char file[72];
    object_id(c, key, id, file);
    if (unlinkat(c->dirfd, file, 0)) return errno_error(errno);
    return fsync(c->dirfd) ? HAL_ST_IO_ERROR : -1;
}

static int is_object_name(const char *n) {
    if (strlen(n) != 68 || strcmp(n + 64, ".obj")) return 0;
    for (int i = 0; i < 64; i++)
        if (hexval(n[i]) < 0 || (n[i] >= 'A' && n[i] <= 'F')) return 0;
    return 1;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_strings(char **v, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* Appends a copy of s[0..n) to *v; -1 when out of memory. */
static int push(char ***v, uint32_t *n, uint32_t *cap, const char *s, size_t len) {
    if (*n == *cap) {
        uint32_t nc = *cap ? *cap * 2 : 16;
        char **g = realloc(*v, nc * sizeof *g);
        if (!g) return -1;
        *v = g;
        *cap = nc;
    }
    char *d = malloc(len + 1);
    if (!d) return -1;
    memcpy(d, s, len);
    d[len] = 0;
    (*v)[(*n)++] = d;
    return 0;
}

int elvm__hal_obj_list(elvm_hal *h, hal_container *c, char ***keys, uint32_t *n) {
    *keys = NULL;
    *n = 0;
    if (c->deleted) return HAL_ST_NOT_FOUND;
    int fd = openat(c->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0) close(fd);
        return HAL_ST_IO_ERROR;
    }
    uint32_t cap = 0;
    int e = -1;
    struct dirent *de;
    while (e < 0 && (de = readdir(d))) {
        if (!is_object_name(de->d_name)) continue;
        uint8_t *plain;
        size_t plen;
        e = open_object(h, c, de->d_name, NULL, &plain, &plen);
        if (e == HAL_ST_NOT_FOUND) { /* deleted meanwhile */
            e = -1;
            continue;
        }
        if (e >= 0) break;
        size_t kn = (size_t)plain[0] | (size_t)plain[1] << 8;
        if (push(keys, n, &cap, (const char *)plain + 4, kn)) e = HAL_ST_IO_ERROR;
        elvm__hal_cleanse(plain, plen);
        free(plain);
    }
    closedir(d);
    if (e >= 0) {
        free_strings(*keys, *n);
        *keys = NULL;
        *n = 0;
        return e;
    }
    if (*n) qsort(*keys, *n, sizeof **keys, cmp_str);
    return -1;
}

/* Removes every entry of a directory (no subdirectories are expected) and the directory. */
static int remove_tree(int parent, const char *name) {
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0) close(fd);
        return -1;
    }
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
    return unlinkat(parent, name, AT_REMOVEDIR);
}

int elvm__hal_container_delete(elvm_hal *h, const char *name) {
    hal_container *c;
    int e = elvm__hal_container_open(h, name, 0, &c);
    if (e >= 0) return e; /* only with the right key */
    elvm__hal_container_close(c);
    hal_storage *s = h->storage;
    /* Renamed away first: the deletion is atomic, the cleanup after it is not needed for
     * correctness (a leftover .del-* is ignored and removed the next time). */
    char tmp[64];
    uint8_t r[8];
    elvm__hal_rand(r, sizeof r);
    snprintf(tmp, sizeof tmp, ".del-%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3],
             r[4], r[5], r[6], r[7]);
    if (renameat2(s->dirfd, name, s->dirfd, tmp, RENAME_NOREPLACE) || fsync(s->dirfd))
        return HAL_ST_IO_ERROR;
    remove_tree(s->dirfd, tmp);
    /* Handles this guest still holds on it now fail with not-found. */
    for (uint32_t i = 0; i < h->nhandles; i++)
        if (h->handles[i].type == HAL_RES_CONTAINER &&
            !strcmp(((hal_container *)h->handles[i].obj)->name, name))
            ((hal_container *)h->handles[i].obj)->deleted = 1;
    return -1;
}

static int list_containers(elvm_hal *h, char ***names, uint32_t *n) {
    *names = NULL;
    *n = 0;
    hal_storage *s = h->storage;
    if (!s) return HAL_ST_NOT_GRANTED;
    int fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0) close(fd);
        return HAL_ST_IO_ERROR;
    }
    uint32_t cap = 0;
    int e = -1;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        if (!strncmp(nm, ".tmpc-", 6) || !strncmp(nm, ".del-", 5)) {
            remove_tree(s->dirfd, nm); /* left by a crash */
            continue;
        }
        struct stat st;
        if (!valid_container_name(nm) || fstatat(s->dirfd, nm, &st, AT_SYMLINK_NOFOLLOW) ||
            !S_ISDIR(st.st_mode))
            continue;
        char meta[300];
        snprintf(meta, sizeof meta, "%.*s/%s", MAX_NAME, nm, META_FILE);
        if (faccessat(s->dirfd, meta, F_OK, AT_SYMLINK_NOFOLLOW)) continue;
        if (push(names, n, &cap, nm, strlen(nm))) {
            e = HAL_ST_IO_ERROR;
            break;
        }
    }
    closedir(d);
    if (e >= 0) {
        free_strings(*names, *n);
        return e;
    }
    if (*n) qsort(*names, *n, sizeof **names, cmp_str);
    return -1;
}

/* ---- the interface ------------------------------------------------------------------------------ */

static void container_drop(elvm_hal *h, void *obj) {
    (void)h;
    elvm__hal_container_close(obj);
}

void elvm__hal_storage_setup(elvm_hal *h) { h->drop[HAL_RES_CONTAINER] = container_drop; }

/* A guest string for a name or key: NULL with *e = invalid-name for an embedded NUL. */
static int name_arg(hal_call *c, const elvm_val *a, int i, const char *what, char **out, int *e) {
    int nul = 0;
    HAL_TRY(hal_string(c, hal_u32(a, i), hal_u32(a, i + 1), what, out, &nul));
    if (nul) {
        free(*out);
        *out = NULL;
        *e = HAL_ST_INVALID_NAME;
    }
    return 0;
}

/* [static]container.create / open: func(name: string) -> result<container, storage-error> */
static int open_impl(hal_call *c, const elvm_val *a, int create) {
    uint32_t ret = hal_u32(a, 2);
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    char *name;
    int e = -1;
    HAL_TRY(name_arg(c, a, 0, "name", &name, &e));
    if (e >= 0) return hal_ret_u32(c, ret, 0, e);
    hal_container *ct;
    e = elvm__hal_container_open(c->h, name, create, &ct);
    free(name);
    if (e >= 0) return hal_ret_u32(c, ret, 0, e);
    uint32_t handle = hal_handle_new(c->h, HAL_RES_CONTAINER, ct);
    if (!handle) {
        elvm__hal_container_close(ct);
        return hal_trap(c, ELVM_TRAP_HOST, "out of handles");
    }
    return hal_ret_u32(c, ret, handle, -1);
}
static int s_create(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    return open_impl(c, a, 1);
}
static int s_open(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    return open_impl(c, a, 0);
}

/* [method]container.name: func() -> string */
static int s_name(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_container *ct;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_CONTAINER, (void **)&ct));
    return hal_ret_list(c, hal_u32(a, 1), ct->name, strlen(ct->name));
}

/* [method]container.put: func(key: string, value: list<u8>) -> result<_, storage-error> */
static int s_put(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_container *ct;
    const uint8_t *value;
    uint32_t ret = hal_u32(a, 5);
    char *key;
    int e = -1;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_CONTAINER, (void **)&ct));
    HAL_TRY(hal_in(c, hal_u32(a, 3), hal_u32(a, 4), "value", &value));
    HAL_TRY(hal_retarea(c, ret, 2, 1));
    HAL_TRY(name_arg(c, a, 1, "key", &key, &e));
    if (e < 0) e = elvm__hal_obj_put(c->h, ct, key, value, hal_u32(a, 4));
    free(key);
    return hal_ret_unit(c, ret, e);
}

/* [method]container.get: func(key: string) -> result<list<u8>, storage-error> */
static int s_get(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_container *ct;
    uint32_t ret = hal_u32(a, 3);
    char *key;
    int e = -1;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_CONTAINER, (void **)&ct));
    HAL_TRY(hal_retarea(c, ret, 12, 4));
    HAL_TRY(name_arg(c, a, 1, "key", &key, &e));
    uint8_t *value = NULL;
    size_t len = 0;
    if (e < 0) e = elvm__hal_obj_get(c->h, ct, key, &value, &len);
    free(key);
    int rc = hal_ret_bytes(c, ret, value, len, e);
    if (value) elvm__hal_cleanse(value, len);
    free(value);
    return rc;
}

/* [method]container.delete: func(key: string) -> result<_, storage-error> */
static int s_delete(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_container *ct;
    uint32_t ret = hal_u32(a, 3);
    char *key;
    int e = -1;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_CONTAINER, (void **)&ct));
    HAL_TRY(hal_retarea(c, ret, 2, 1));
    HAL_TRY(name_arg(c, a, 1, "key", &key, &e));
    if (e < 0) e = elvm__hal_obj_delete(c->h, ct, key);
    free(key);
    return hal_ret_unit(c, ret, e);
}

/* [method]container.exists: func(key: string) -> result<bool, storage-error>
 * true only for an object that opens and authenticates. */
static int s_exists(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_container *ct;
    uint32_t ret = hal_u32(a, 3);
    char *key;
    int e = -1;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_CONTAINER, (void **)&ct));
    HAL_TRY(hal_retarea(c, ret, 2, 1));
    HAL_TRY(name_arg(c, a, 1, "key", &key, &e));
    uint8_t *value = NULL;
    size_t len = 0;
    if (e < 0) e = elvm__hal_obj_get(c->h, ct, key, &value, &len);
    free(key);
    if (value) elvm__hal_cleanse(value, len);
    free(value);
    if (e == HAL_ST_NOT_FOUND) return hal_ret_bool(c, ret, 0, -1);
    return hal_ret_bool(c, ret, 1, e);
}

/* result<list<string>, storage-error>: disc @0, (ptr, len) @4. */
static int ret_strings(hal_call *c, uint32_t ret, char **v, uint32_t n, int e) {
    if (e >= 0) return hal_ret_bytes(c, ret, NULL, 0, e);
    hal_st8(c, ret, 0);
    int rc = hal_put_strings(c, ret + 4, v, n);
    free_strings(v, n);
    return rc;
}

/* [method]container.list: func() -> result<list<string>, storage-error> */
static int s_list(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_container *ct;
    uint32_t ret = hal_u32(a, 1), n;
    char **keys;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_CONTAINER, (void **)&ct));
    HAL_TRY(hal_retarea(c, ret, 12, 4));
    int e = elvm__hal_obj_list(c->h, ct, &keys, &n);
    return ret_strings(c, ret, keys, n, e);
}

/* [resource-drop]container */
static int s_drop(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    return hal_drop(c, hal_u32(a, 0), HAL_RES_CONTAINER);
}

/* delete-container: func(name: string) -> result<_, storage-error> */
static int s_delete_container(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t ret = hal_u32(a, 2);
    char *name;
    int e = -1;
    HAL_TRY(hal_retarea(c, ret, 2, 1));
    HAL_TRY(name_arg(c, a, 0, "name", &name, &e));
    if (e < 0) e = elvm__hal_container_delete(c->h, name);
    free(name);
    return hal_ret_unit(c, ret, e);
}

/* list-containers: func() -> result<list<string>, storage-error> */
static int s_list_containers(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t ret = hal_u32(a, 0), n;
    char **names;
    HAL_TRY(hal_retarea(c, ret, 12, 4));
    int e = list_containers(c->h, &names, &n);
    return ret_strings(c, ret, names, n, e);
}

static const hal_func funcs[] = {
    {"[static]container.create", "iii", "", s_create},
    {"[static]container.open", "iii", "", s_open},
    {"[method]container.name", "ii", "", s_name},
    {"[method]container.put", "iiiiii", "", s_put},
    {"[method]container.get", "iiii", "", s_get},
    {"[method]container.delete", "iiii", "", s_delete},
    {"[method]container.exists", "iiii", "", s_exists},
    {"[method]container.list", "ii", "", s_list},
    {"[resource-drop]container", "i", "", s_drop},
    {"delete-container", "iii", "", s_delete_container},
    {"list-containers", "i", "", s_list_containers},
};

const hal_iface_desc elvm__hal_STORAGE = {ELVM_HAL_STORAGE, HAL_MODULE("storage"), funcs,
                                          sizeof funcs / sizeof funcs[0]};
