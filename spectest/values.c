/* values.c: wast2json values <-> elvm_val, matching expected results, and printing both. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spectest.h"

/* ---- JSON helpers ------------------------------------------------------------------------ */

const char *st_json_str(const cJSON *obj, const char *key) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

long st_json_line(const cJSON *cmd) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(cmd, "line");
    return cJSON_IsNumber(item) ? (long)item->valuedouble : 0;
}

void st_appendf(char *buf, size_t cap, const char *fmt, ...) {
    size_t used = strlen(buf);
    if (used + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, cap - used, fmt, ap);
    va_end(ap);
}

void st_append_name(char *buf, size_t cap, const char *name) {
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p == (unsigned char)ST_NUL_MARK)
            st_appendf(buf, cap, "\\00");
        else if (*p < 0x20 || *p == 0x7f || *p == '\\')
            st_appendf(buf, cap, "\\%02x", *p);
        else
            st_appendf(buf, cap, "%c", *p);
    }
}

/* ---- types and numbers ------------------------------------------------------------------- */

static const struct {
    const char *name;
    elvm_valtype type;
} valtypes[] = {
    {"i32", ELVM_I32},         {"i64", ELVM_I64},   {"f32", ELVM_F32},
    {"f64", ELVM_F64},         {"v128", ELVM_V128}, {"funcref", ELVM_FUNCREF},
    {"externref", ELVM_EXTERNREF},
};

static int parse_valtype(const char *name, elvm_valtype *out) {
    for (size_t i = 0; name && i < sizeof valtypes / sizeof valtypes[0]; i++) {
        if (strcmp(name, valtypes[i].name) == 0) {
            *out = valtypes[i].type;
            return 0;
        }
    }
    return -1;
}

static const char *valtype_name(elvm_valtype t) {
    for (size_t i = 0; i < sizeof valtypes / sizeof valtypes[0]; i++)
        if (valtypes[i].type == t)
            return valtypes[i].name;
    return "?";
}

/* wast2json writes every number as the decimal string of its unsigned bit pattern. */
static int parse_bits(const char *s, uint64_t max, uint64_t *out) {
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Fills `out` from the JSON value string for `type`; "null" is the null reference.
 * externref N is the host pointer N+1, so that `ref.extern 0` is not null. */
static int parse_bits_of(elvm_valtype type, const char *s, elvm_val *out) {
    uint64_t bits;
    int is_ref = type == ELVM_FUNCREF || type == ELVM_EXTERNREF;
    memset(out, 0, sizeof *out);
    out->type = type;
    if (is_ref && s && strcmp(s, "null") == 0)
        return 0; /* both pointers already NULL */
    switch (type) {
    case ELVM_I32:
    case ELVM_F32:
        if (parse_bits(s, UINT32_MAX, &bits))
            return -1;
        out->of.f32_bits = (uint32_t)bits; /* shares the storage of i32 */
        return 0;
    case ELVM_I64:
    case ELVM_F64:
        if (parse_bits(s, UINT64_MAX, &bits))
            return -1;
        out->of.f64_bits = bits;
        return 0;
    case ELVM_EXTERNREF:
        if (parse_bits(s, UINTPTR_MAX - 1, &bits))
            return -1;
        out->of.externref = (void *)(uintptr_t)(bits + 1);
        return 0;
    case ELVM_FUNCREF: /* the text format has no way to name a non-null funcref value */
    case ELVM_V128:    /* read lane by lane: parse_v128 */
        return -1;
    }
    return -1;
}

/* The lane shapes of a v128 in wast2json: "lane_type" and one value string per lane. */
static const struct {
    const char *name, *shape;
    unsigned bytes;
    int is_float;
} lane_types[] = {
    {"i8", "i8x16", 1, 0},  {"i16", "i16x8", 2, 0}, {"i32", "i32x4", 4, 0},
    {"i64", "i64x2", 8, 0}, {"f32", "f32x4", 4, 1}, {"f64", "f64x2", 8, 1},
};

static int lane_type_of(const char *name) {
    for (int i = 0; name && i < (int)(sizeof lane_types / sizeof lane_types[0]); i++)
        if (strcmp(name, lane_types[i].name) == 0)
            return i;
    return -1;
}

/* Fills out->of.v128 from {"lane_type": L, "value": [...]}, lane 0 first (little-endian).
 * With `e` (an expected value), a float lane may be "nan:canonical" or "nan:arithmetic",
 * recorded in e->lanes. */
static int parse_v128(const cJSON *json, elvm_val *out, st_expect *e) {
    const cJSON *values = cJSON_GetObjectItemCaseSensitive(json, "value"), *item;
    int lt = lane_type_of(st_json_str(json, "lane_type"));
    memset(out, 0, sizeof *out);
    out->type = ELVM_V128;
    if (lt < 0 || !cJSON_IsArray(values))
        return -1;
    unsigned bytes = lane_types[lt].bytes, lane = 0;
    if (cJSON_GetArraySize(values) != (int)(16 / bytes))
        return -1;
    if (e) {
        e->lane_type = lane_types[lt].shape;
        e->lane_bytes = bytes;
    }
    cJSON_ArrayForEach(item, values) {
        const char *s = cJSON_IsString(item) ? item->valuestring : NULL;
        uint64_t bits = 0;
        st_expect_kind kind = ST_EXPECT_EXACT;
        if (e && lane_types[lt].is_float && s && strcmp(s, "nan:canonical") == 0)
            kind = ST_EXPECT_NAN_CANONICAL;
        else if (e && lane_types[lt].is_float && s && strcmp(s, "nan:arithmetic") == 0)
            kind = ST_EXPECT_NAN_ARITHMETIC;
        else if (parse_bits(s, bytes == 8 ? UINT64_MAX : (UINT64_C(1) << (8 * bytes)) - 1, &bits))
            return -1;
        if (e)
            e->lanes[lane] = kind;
        memcpy(out->of.v128 + lane * bytes, &bits, bytes); /* little-endian host */
        lane++;
    }
    return 0;
}

/* ---- arguments and expected results ------------------------------------------------------ */

int st_parse_arg(const cJSON *json, elvm_val *out, char *why, size_t cap) {
    const char *type = st_json_str(json, "type"), *value = st_json_str(json, "value");
    elvm_valtype t;
    if (parse_valtype(type, &t)) {
        snprintf(why, cap, "bad JSON: argument of unknown type \"%s\"", type ? type : "");
        return -1;
    }
    if (t == ELVM_V128 ? parse_v128(json, out, NULL) : parse_bits_of(t, value, out)) {
        snprintf(why, cap, "bad JSON: unsupported %s argument \"%s\"", type, value ? value : "");
        return -1;
    }
    return 0;
}

int st_parse_expect(const cJSON *json, st_expect *out, char *why, size_t cap) {
    const char *type = st_json_str(json, "type"), *value = st_json_str(json, "value");
    elvm_valtype t;
    memset(out, 0, sizeof *out);
    if (parse_valtype(type, &t)) {
        snprintf(why, cap, "bad JSON: expected value of unknown type \"%s\"", type ? type : "");
        return -1;
    }
    out->val.type = t;
    out->kind = ST_EXPECT_EXACT;
    if ((t == ELVM_F32 || t == ELVM_F64) && value && strcmp(value, "nan:canonical") == 0) {
        out->kind = ST_EXPECT_NAN_CANONICAL;
        return 0;
    }
    if ((t == ELVM_F32 || t == ELVM_F64) && value && strcmp(value, "nan:arithmetic") == 0) {
        out->kind = ST_EXPECT_NAN_ARITHMETIC;
        return 0;
    }
    if ((t == ELVM_FUNCREF || t == ELVM_EXTERNREF) && !value) {
        out->kind = ST_EXPECT_NONNULL;
        return 0;
    }
    if (t == ELVM_V128) {
        if (parse_v128(json, &out->val, out) == 0)
            return 0;
        snprintf(why, cap, "bad JSON: unsupported expected v128 of lane type \"%s\"",
                 st_json_str(json, "lane_type") ? st_json_str(json, "lane_type") : "");
        return -1;
    }
    if (parse_bits_of(t, value, &out->val)) {
        snprintf(why, cap, "bad JSON: unsupported expected %s \"%s\"", type, value ? value : "");
        return -1;
    }
    return 0;
}

/* Spec 4.3.3: a canonical NaN has only the top mantissa bit set; an arithmetic NaN has
 * at least that bit set. The sign is free in both. `bits` is an f32 (`f64` false) or f64. */
static int nan_bits_match(st_expect_kind kind, uint64_t bits, int f64) {
    uint64_t quiet, exp_and_payload;
    if (!f64) {
        bits &= 0x7fffffffu;
        quiet = 0x7fc00000u;
    } else {
        bits &= 0x7fffffffffffffffull;
        quiet = 0x7ff8000000000000ull;
    }
    exp_and_payload = bits & quiet;
    if (kind == ST_EXPECT_NAN_CANONICAL)
        return bits == quiet;
    return exp_and_payload == quiet;
}

static int nan_matches(st_expect_kind kind, const elvm_val *got) {
    if (got->type == ELVM_F32)
        return nan_bits_match(kind, got->of.f32_bits, 0);
    return nan_bits_match(kind, got->of.f64_bits, 1);
}

/* A v128 lane by lane: exact bits, or a NaN pattern in a float lane. */
static int v128_matches(const st_expect *e, const elvm_val *got) {
    unsigned bytes = e->lane_bytes ? e->lane_bytes : 16;
    for (unsigned lane = 0; lane < 16 / bytes; lane++) {
        uint64_t g = 0;
        memcpy(&g, got->of.v128 + lane * bytes, bytes);
        if (e->lanes[lane] == ST_EXPECT_EXACT) {
            if (memcmp(got->of.v128 + lane * bytes, e->val.of.v128 + lane * bytes, bytes))
                return 0;
        } else if (!nan_bits_match(e->lanes[lane], g, bytes == 8)) {
            return 0;
        }
    }
    return 1;
}

int st_expect_matches(const st_expect *e, const elvm_val *got) {
    if (got->type != e->val.type)
        return 0;
    switch (e->kind) {
    case ST_EXPECT_NAN_CANONICAL:
    case ST_EXPECT_NAN_ARITHMETIC:
        return nan_matches(e->kind, got);
    case ST_EXPECT_NONNULL:
        return got->type == ELVM_FUNCREF ? got->of.funcref != NULL : got->of.externref != NULL;
    case ST_EXPECT_EXACT:
        break;
    }
    switch (got->type) {
    case ELVM_I32:
    case ELVM_F32:
        return got->of.f32_bits == e->val.of.f32_bits;
    case ELVM_I64:
    case ELVM_F64:
        return got->of.f64_bits == e->val.of.f64_bits;
    case ELVM_FUNCREF:
        return got->of.funcref == e->val.of.funcref;
    case ELVM_EXTERNREF:
        return got->of.externref == e->val.of.externref;
    case ELVM_V128:
        return v128_matches(e, got);
    }
    return 0;
}

/* ---- printing ---------------------------------------------------------------------------- */

/* A v128 as "v128:i32x4:1,2,3,4": lanes as unsigned integers (float lanes: their bits),
 * or the NaN pattern `kinds` expects of a lane. */
static void append_lanes(char *buf, size_t cap, const elvm_val *v, const char *shape,
                         unsigned bytes, const st_expect_kind *kinds) {
    st_appendf(buf, cap, "v128:%s:", shape);
    for (unsigned lane = 0; lane < 16 / bytes; lane++) {
        uint64_t bits = 0;
        memcpy(&bits, v->of.v128 + lane * bytes, bytes);
        st_appendf(buf, cap, "%s", lane ? "," : "");
        if (kinds && kinds[lane] == ST_EXPECT_NAN_CANONICAL)
            st_appendf(buf, cap, "nan:canonical");
        else if (kinds && kinds[lane] == ST_EXPECT_NAN_ARITHMETIC)
            st_appendf(buf, cap, "nan:arithmetic");
        else
            st_appendf(buf, cap, "%" PRIu64, bits);
    }
}

/* Integers as the testsuite writes them (unsigned), floats as a number and their bits,
 * externref N as N (undoing the +1 of parse_bits_of). */
void st_append_val(char *buf, size_t cap, const elvm_val *v) {
    float f;
    double d;
    switch (v->type) {
    case ELVM_I32:
        st_appendf(buf, cap, "i32:%" PRIu32, (uint32_t)v->of.i32);
        return;
    case ELVM_I64:
        st_appendf(buf, cap, "i64:%" PRIu64, (uint64_t)v->of.i64);
        return;
    case ELVM_F32:
        memcpy(&f, &v->of.f32_bits, sizeof f);
        st_appendf(buf, cap, "f32:%.9g (0x%08" PRIx32 ")", (double)f, v->of.f32_bits);
        return;
    case ELVM_F64:
        memcpy(&d, &v->of.f64_bits, sizeof d);
        st_appendf(buf, cap, "f64:%.17g (0x%016" PRIx64 ")", d, v->of.f64_bits);
        return;
    case ELVM_FUNCREF:
        if (v->of.funcref)
            st_appendf(buf, cap, "funcref:%p", (void *)v->of.funcref);
        else
            st_appendf(buf, cap, "funcref:null");
        return;
    case ELVM_EXTERNREF:
        if (v->of.externref)
            st_appendf(buf, cap, "externref:%" PRIuPTR, (uintptr_t)v->of.externref - 1);
        else
            st_appendf(buf, cap, "externref:null");
        return;
    case ELVM_V128:
        append_lanes(buf, cap, v, "i32x4", 4, NULL);
        return;
    }
    st_appendf(buf, cap, "<bad type 0x%x>", (unsigned)v->type);
}

void st_append_val_like(char *buf, size_t cap, const elvm_val *v, const st_expect *e) {
    if (v->type == ELVM_V128 && e->val.type == ELVM_V128 && e->lane_bytes)
        append_lanes(buf, cap, v, e->lane_type, e->lane_bytes, NULL);
    else
        st_append_val(buf, cap, v);
}

void st_append_expect(char *buf, size_t cap, const st_expect *e) {
    const char *type = valtype_name(e->val.type);
    switch (e->kind) {
    case ST_EXPECT_NAN_CANONICAL:
        st_appendf(buf, cap, "%s:nan:canonical", type);
        return;
    case ST_EXPECT_NAN_ARITHMETIC:
        st_appendf(buf, cap, "%s:nan:arithmetic", type);
        return;
    case ST_EXPECT_NONNULL:
        st_appendf(buf, cap, "%s:non-null", type);
        return;
    case ST_EXPECT_EXACT:
        if (e->val.type == ELVM_V128 && e->lane_bytes)
            append_lanes(buf, cap, &e->val, e->lane_type, e->lane_bytes, e->lanes);
        else
            st_append_val(buf, cap, &e->val);
        return;
    }
}
