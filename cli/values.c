/* values.c: wasm values as text for `elvm run --invoke`: parsing arguments by their
 * parameter type and printing results as TYPE:VALUE (the format is in docs/CLI.md).
 * Floats print as C99 hex floats, so every value, NaN payloads included, prints
 * exactly and reads back to the same bits. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

/* ---- parsing --------------------------------------------------------------------------- */

/* An integer of `bits` bits: optional sign, then decimal digits or 0x and hex digits.
 * Accepts -2^(bits-1) .. 2^bits - 1, stored two's complement (so 0xffffffff is -1). */
static int parse_int(const char *s, int bits, uint64_t *out) {
    int neg = 0;
    if (*s == '-' || *s == '+') neg = *s++ == '-';
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!(base == 16 ? isxdigit((unsigned char)*s) : isdigit((unsigned char)*s))) return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, base);
    if (*end || errno) return -1;
    uint64_t max = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
    uint64_t min_mag = UINT64_C(1) << (bits - 1);
    if (neg ? v > min_mag : v > max) return -1;
    uint64_t u = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    *out = bits == 64 ? u : u & max;
    return 0;
}

/* A float of the format with `mant` mantissa bits; returns its bit pattern. NaNs are
 * "nan" (the canonical quiet NaN) or "nan:0xPAYLOAD", with an optional sign. */
static int parse_float(const char *s, int is64, uint64_t *bits) {
    int mant = is64 ? 52 : 23;
    uint64_t sign = 0, exp_all = is64 ? UINT64_C(0x7ff) << 52 : UINT64_C(0xff) << 23;
    const char *p = s;
    if (*p == '-' || *p == '+') sign = *p++ == '-' ? UINT64_C(1) << (is64 ? 63 : 31) : 0;
    if (strncasecmp(p, "nan", 3) == 0) {
        uint64_t payload = UINT64_C(1) << (mant - 1);
        if (p[3] == ':') {
            if (strncasecmp(p + 4, "0x", 2) != 0 || !isxdigit((unsigned char)p[6])) return -1;
            char *end;
            errno = 0;
            payload = strtoull(p + 6, &end, 16);
            if (*end || errno || payload == 0 || payload >> mant) return -1;
        } else if (p[3] != '\0') {
            return -1;
        }
        *bits = sign | exp_all | payload;
        return 0;
    }
    if (!*p || isspace((unsigned char)*p)) return -1;
    int is_inf = strncasecmp(p, "inf", 3) == 0;
    char *end;
    if (is64) {
        double d = strtod(s, &end);
        if (*end || (isinf(d) && !is_inf)) return -1; /* 1e999: out of range */
        memcpy(bits, &d, 8);
    } else {
        float f = strtof(s, &end);
        uint32_t b;
        if (*end || (isinf(f) && !is_inf)) return -1;
        memcpy(&b, &f, 4);
        *bits = b;
    }
    return 0;
}

/* SHAPE:L0,L1,...: the lanes of a v128 (i8x16, i16x8, i32x4, i64x2, f32x4, f64x2), lane 0
 * first, each read as an integer or float of its width. */
static int parse_v128_lanes(const char *s, uint8_t out[16]) {
    static const struct { const char *name; int bits, is_float; } shapes[] = {
        {"i8x16:", 8, 0}, {"i16x8:", 16, 0}, {"i32x4:", 32, 0},
        {"i64x2:", 64, 0}, {"f32x4:", 32, 1}, {"f64x2:", 64, 1},
    };
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        size_t len = strlen(shapes[k].name);
        if (strncasecmp(s, shapes[k].name, len) != 0) continue;
        int bytes = shapes[k].bits / 8, lanes = 16 / bytes;
        const char *p = s + len;
        memset(out, 0, 16);
        for (int i = 0; i < lanes; i++) {
            char lane[64];
            size_t n = strcspn(p, ",");
            if (n == 0 || n >= sizeof lane || (p[n] == ',') != (i + 1 < lanes)) return -1;
            memcpy(lane, p, n);
            lane[n] = '\0';
            uint64_t bits;
            if (shapes[k].is_float ? parse_float(lane, bytes == 8, &bits)
                                   : parse_int(lane, shapes[k].bits, &bits))
                return -1;
            memcpy(out + i * bytes, &bits, (size_t)bytes); /* little-endian, as wasm */
            p += n + (p[n] == ',');
        }
        return *p ? -1 : 0;
    }
    return -1;
}

/* 0x and up to 32 hex digits: the 128 bits as one number, byte 0 the least significant;
 * or SHAPE:lanes. */
static int parse_v128(const char *s, uint8_t out[16]) {
    if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return parse_v128_lanes(s, out);
    s += 2;
    size_t n = strlen(s);
    if (n == 0 || n > 32) return -1;
    memset(out, 0, 16);
    for (size_t i = 0; i < n; i++) {
        char c = s[n - 1 - i];
        if (!isxdigit((unsigned char)c)) return -1;
        int d = isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
        out[i / 2] |= (uint8_t)(d << (4 * (i % 2)));
    }
    return 0;
}

int cli_parse_value(elvm_valtype t, const char *text, elvm_val *out, char *why, size_t n) {
    uint64_t u = 0;
    int bad = 0;
    memset(out, 0, sizeof *out);
    out->type = t;
    switch (t) {
    case ELVM_I32:
        bad = parse_int(text, 32, &u);
        out->of.i32 = (int32_t)(uint32_t)u;
        break;
    case ELVM_I64:
        bad = parse_int(text, 64, &u);
        out->of.i64 = (int64_t)u;
        break;
    case ELVM_F32:
        bad = parse_float(text, 0, &u);
        out->of.f32_bits = (uint32_t)u;
        break;
    case ELVM_F64:
        bad = parse_float(text, 1, &u);
        out->of.f64_bits = u;
        break;
    case ELVM_V128: bad = parse_v128(text, out->of.v128); break;
    case ELVM_FUNCREF:
        /* The command line can only name the null function reference. */
        bad = strcmp(text, "null") != 0;
        out->of.funcref = NULL;
        break;
    case ELVM_EXTERNREF:
        if (!strcmp(text, "null")) out->of.externref = NULL;
        else if (!(bad = parse_int(text, 64, &u))) out->of.externref = (void *)(uintptr_t)u;
        break;
    default: bad = 1; break;
    }
    if (bad) {
        const char *want = "";
        switch (t) {
        case ELVM_I32:
        case ELVM_I64: want = " (decimal or 0x hex, in range)"; break;
        case ELVM_F32:
        case ELVM_F64: want = " (decimal, hex float, inf, nan or nan:0xPAYLOAD)"; break;
        case ELVM_V128: want = " (0x and up to 32 hex digits, or lanes: i32x4:1,2,3,4)"; break;
        case ELVM_FUNCREF: want = " (only null)"; break;
        case ELVM_EXTERNREF: want = " (null or an integer)"; break;
        default: break;
        }
        snprintf(why, n, "cannot read '%s' as %s%s", text, elvm_valtype_name(t), want);
        return -1;
    }
    return 0;
}

/* ---- printing ---------------------------------------------------------------------------- */

static void format_float(char *buf, size_t n, const char *type, uint64_t bits, int is64) {
    int mant = is64 ? 52 : 23;
    uint64_t exp = is64 ? (bits >> 52) & 0x7ff : (bits >> 23) & 0xff;
    uint64_t max_exp = is64 ? 0x7ff : 0xff;
    uint64_t payload = bits & ((UINT64_C(1) << mant) - 1);
    const char *sign = bits >> (is64 ? 63 : 31) ? "-" : "";
    if (exp == max_exp && payload) {
        snprintf(buf, n, "%s:%snan:0x%" PRIx64, type, sign, payload);
    } else if (exp == max_exp) {
        snprintf(buf, n, "%s:%sinf", type, sign);
    } else if (is64) {
        double d;
        memcpy(&d, &bits, 8);
        snprintf(buf, n, "%s:%a", type, d);
    } else {
        float f;
        uint32_t b = (uint32_t)bits;
        memcpy(&f, &b, 4);
        snprintf(buf, n, "%s:%a", type, (double)f); /* exact: every float is a double */
    }
}

void cli_format_value(const elvm_val *v, char *buf, size_t n) {
    switch (v->type) {
    case ELVM_I32: snprintf(buf, n, "i32:%" PRId32, v->of.i32); break;
    case ELVM_I64: snprintf(buf, n, "i64:%" PRId64, v->of.i64); break;
    case ELVM_F32: format_float(buf, n, "f32", v->of.f32_bits, 0); break;
    case ELVM_F64: format_float(buf, n, "f64", v->of.f64_bits, 1); break;
    case ELVM_V128: {
        /* as four i32 lanes, lane 0 first (the type does not say how it is used) */
        int32_t l[4];
        memcpy(l, v->of.v128, 16);
        snprintf(buf, n, "v128:i32x4:%" PRId32 ",%" PRId32 ",%" PRId32 ",%" PRId32, l[0], l[1],
                 l[2], l[3]);
        break;
    }
    case ELVM_FUNCREF:
        if (!v->of.funcref) snprintf(buf, n, "funcref:null");
        else snprintf(buf, n, "funcref:0x%" PRIxPTR, (uintptr_t)v->of.funcref);
        break;
    case ELVM_EXTERNREF:
        if (!v->of.externref) snprintf(buf, n, "externref:null");
        else snprintf(buf, n, "externref:0x%" PRIxPTR, (uintptr_t)v->of.externref);
        break;
    default: snprintf(buf, n, "unknown:0x%02x", (unsigned)v->type); break;
    }
}

void cli_format_functype(const elvm_externtype *t, char *buf, size_t n) {
    if (n == 0) return;
    memset(buf, 0, n); /* fmemopen adds no NUL to a full buffer: keep the last byte */
    FILE *f = n > 1 ? fmemopen(buf, n - 1, "w") : NULL;
    if (!f) return;
    const elvm_valtype *lists[2] = {t->params, t->results};
    uint32_t counts[2] = {t->nparams, t->nresults};
    for (int l = 0; l < 2; l++) {
        fputs(l ? " -> (" : "(", f);
        for (uint32_t i = 0; i < counts[l]; i++)
            fprintf(f, "%s%s", i ? ", " : "", elvm_valtype_name(lists[l][i]));
        fputs(")", f);
    }
    fclose(f);
}
