/* log.c: `elvm run --log FILE`: what happened to the guest, as JSON lines (one object a
 * line, each with "ts", "event" and "pid"; docs/CLI.md lists the events). Lines are
 * appended with one write(2) each, so several runs may share a file. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

struct cli_log {
    int fd;
    pthread_mutex_t lock; /* the timer thread logs too */
};

cli_log *cli_log_open(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        cli_error(NULL, "--log '%s': cannot open: %s", path, strerror(errno));
        return NULL;
    }
    cli_log *log = calloc(1, sizeof *log);
    if (!log) {
        close(fd);
        cli_error(NULL, "out of host memory");
        return NULL;
    }
    log->fd = fd;
    pthread_mutex_init(&log->lock, NULL);
    return log;
}

void cli_log_close(cli_log *log) {
    if (!log) return;
    close(log->fd);
    pthread_mutex_destroy(&log->lock);
    free(log);
}

/* "2025-03-01T12:34:56.789Z" */
static void timestamp(char *buf, size_t n) {
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + k, n - k, ".%03ldZ", ts.tv_nsec / 1000000);
}

cJSON *cli_log_begin(cli_log *log, const char *event) {
    if (!log) return NULL;
    char ts[64];
    timestamp(ts, sizeof ts);
    cJSON *ev = cJSON_CreateObject();
    cJSON_AddStringToObject(ev, "ts", ts);
    cJSON_AddStringToObject(ev, "event", event);
    cJSON_AddNumberToObject(ev, "pid", (double)getpid());
    return ev;
}

/* The length of the valid UTF-8 sequence at s, or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s) {
    unsigned c = s[0];
    size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
             : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if (n == 3 && ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F))) return 0;
    if (n == 4 && ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))) return 0;
    return n;
}

/* Guest paths and host file names need not be UTF-8, and a JSON line must be: each byte
 * that is not part of a valid sequence becomes U+FFFD. */
static void make_utf8(cJSON *item) {
    for (; item; item = item->next) {
        make_utf8(item->child);
        if (!cJSON_IsString(item) || !item->valuestring) continue;
        const unsigned char *s = (const unsigned char *)item->valuestring;
        size_t bad = 0, len = 0;
        for (size_t k; s[len]; len += k ? k : 1) bad += (k = utf8_len(s + len)) == 0;
        if (!bad) continue;
        char *fixed = malloc(len + 2 * bad + 1), *o = fixed;
        if (!fixed) continue;
        for (size_t i = 0, k; s[i]; i += k ? k : 1) {
            if ((k = utf8_len(s + i)) != 0) {
                memcpy(o, s + i, k);
                o += k;
            } else {
                memcpy(o, "\xEF\xBF\xBD", 3);
                o += 3;
            }
        }
        *o = '\0';
        free(item->valuestring); /* cJSON's default allocator is malloc */
        item->valuestring = fixed;
    }
}

void cli_log_end(cli_log *log, cJSON *ev) {
    if (!log || !ev) {
        cJSON_Delete(ev);
        return;
    }
    make_utf8(ev->child);
    char *text = cJSON_PrintUnformatted(ev); /* escapes every string as JSON wants */
    cJSON_Delete(ev);
    if (!text) return;
    size_t len = strlen(text);
    char *line = realloc(text, len + 2);
    if (!line) {
        free(text);
        return;
    }
    line[len] = '\n';
    pthread_mutex_lock(&log->lock);
    for (size_t off = 0; off <= len;) {
        ssize_t w = write(log->fd, line + off, len + 1 - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break; /* a full disk does not stop the guest */
        off += (size_t)w;
    }
    pthread_mutex_unlock(&log->lock);
    free(line);
}

void cli_log_wasi(void *ctx, const char *kind, const char *detail) {
    cJSON *ev = cli_log_begin(ctx, kind);
    cJSON_AddStringToObject(ev, "source", "wasi");
    cJSON_AddStringToObject(ev, "detail", detail ? detail : "");
    cli_log_end(ctx, ev);
}

/* OpenSSL's libcrypto is loaded only when a log asks for a hash: linking it into elvm made
 * every run start slower and larger (hello-world: 1.9 -> 3.4 MB peak RSS). */
typedef const void *(*evp_md_fn)(void);
typedef int (*evp_digest_fn)(const void *data, size_t len, unsigned char *md,
                             unsigned int *mdlen, const void *type, void *engine);

void cli_sha256_hex(const uint8_t *data, size_t len, char out[65]) {
    static void *lib;
    static evp_md_fn sha256;
    static evp_digest_fn digest;
    unsigned char md[64];
    unsigned int mdlen = 0;
    snprintf(out, 65, "unavailable: libcrypto.so.3 not found");
    if (!lib && (lib = cli_dlopen("libcrypto.so.3"))) {
        *(void **)&sha256 = cli_dlsym(lib, "EVP_sha256");
        *(void **)&digest = cli_dlsym(lib, "EVP_Digest");
    }
    if (!sha256 || !digest || !digest(data, len, md, &mdlen, sha256(), NULL)) return;
    for (unsigned i = 0; i < mdlen && i < 32; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
}
