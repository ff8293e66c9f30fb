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
    case ELVM_V128:    /* SIMD commands are skipped before values are read */
        return -1;
    }
    return -1;
}

/* ---- arguments and expected results ------------------------------------------------------ */

int st_parse_arg(const cJSON *json, elvm_val *out, char *why, size_t cap) {
    const char *type = st_json_str(json, "type"), *value = st_json_str(json, "value");
    elvm_valtype t;
    if (parse_valtype(type, &t)) {
        snprintf(why, cap, "bad JSON: argument of unknown type \"%s\"", type ? type : "");
        return -1;
    }
    if (parse_bits_of(t, value, out)) {
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
    if (parse_bits_of(t, value, &out->val)) {
        snprintf(why, cap, "bad JSON: unsupported expected %s \"%s\"", type, value ? value : "");
        return -1;
    }
    return 0;
}

/* Spec 4.3.3: a canonical NaN has only the top mantissa bit set; an arithmetic NaN has
 * at least that bit set. The sign is free in both. */
static int nan_matches(st_expect_kind kind, const elvm_val *got) {
    uint64_t bits, quiet, exp_and_payload;
    if (got->type == ELVM_F32) {
        bits = got->of.f32_bits & 0x7fffffffu;
        quiet = 0x7fc00000u;
    } else {
        bits = got->of.f64_bits & 0x7fffffffffffffffull;
        quiet = 0x7ff8000000000000ull;
    }
    exp_and_payload = bits & quiet;
    if (kind == ST_EXPECT_NAN_CANONICAL)
        return bits == quiet;
    return exp_and_payload == quiet;
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
        return memcmp(got->of.v128, e->val.of.v128, 16) == 0;
    }
    return 0;
}

int st_involves_v128(const cJSON *cmd) {
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(cmd, "action");
    const cJSON *lists[2] = {cJSON_GetObjectItemCaseSensitive(action, "args"),
                             cJSON_GetObjectItemCaseSensitive(cmd, "expected")};
    for (int i = 0; i < 2; i++) {
        const cJSON *v;
        cJSON_ArrayForEach(v, lists[i]) {
            const char *type = st_json_str(v, "type");
            if (type && strcmp(type, "v128") == 0)
                return 1;
        }
    }
    return 0;
}

/* ---- printing ---------------------------------------------------------------------------- */

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
        st_appendf(buf, cap, "v128:");
        for (int i = 0; i < 16; i++)
            st_appendf(buf, cap, "%02x", v->of.v128[i]);
        return;
    }
    st_appendf(buf, cap, "<bad type 0x%x>", (unsigned)v->type);
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
        st_append_val(buf, cap, &e->val);
        return;
    }
}
