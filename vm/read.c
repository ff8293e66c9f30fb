/* read.c: the byte reader of the binary format: LEB128 integers (spec 5.2.2), value
 * types, and error reporting that unwinds to the decoder's entry point. */
#include <stdarg.h>
#include <stdio.h>

#include "module.h"

_Noreturn void elvm__rfail(reader *r, elvm_status st, const char *fmt, ...) {
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    size_t off = (size_t)(r->p - r->base);
    if (r->funcidx >= 0)
        elvm__fail(r->err, st, "%s (function %d, %s, offset 0x%zx)", why, r->funcidx,
                   r->where ? r->where : "code section", off);
    else
        elvm__fail(r->err, st, "%s (%s, offset 0x%zx)", why, r->where ? r->where : "module",
                   off);
    longjmp(*r->fail, 1);
}

/* Decodes an LEB128 of at most `bits` bits. Returns the length, 0 when malformed; *why
 * says which way ("unexpected end", "integer representation too long", "integer too large"). */
static size_t leb(const uint8_t *p, const uint8_t *end, unsigned bits, bool is_signed,
                  uint64_t *out, const char **why) {
    unsigned maxbytes = (bits + 6) / 7;
    uint64_t v = 0;
    for (unsigned i = 0; i < maxbytes; i++) {
        if (p + i >= end) {
            *why = "unexpected end";
            return 0;
        }
        uint8_t b = p[i];
        if (i == maxbytes - 1) {
            unsigned used = bits - 7 * i; /* value bits in this last byte, 1..7 */
            if (b & 0x80) {
                *why = "integer representation too long";
                return 0;
            }
            uint8_t rest = (uint8_t)(b >> used); /* bits past the value's width */
            if (!is_signed) {
                if (rest != 0) {
                    *why = "integer too large";
                    return 0;
                }
            } else {
                /* the unused bits must repeat the value's sign bit */
                bool sign = (b >> (used - 1)) & 1;
                uint8_t want = sign ? (uint8_t)(0x7F >> used) : 0;
                if (rest != want) {
                    *why = "integer too large";
                    return 0;
                }
            }
        }
        v |= (uint64_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80)) {
            unsigned shift = 7 * (i + 1);
            if (is_signed && shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;
            *out = v;
            return i + 1;
        }
    }
    *why = "integer representation too long";
    return 0;
}

size_t elvm__leb_u(const uint8_t *p, const uint8_t *end, unsigned bits, uint64_t *out) {
    const char *why;
    return leb(p, end, bits, false, out, &why);
}

size_t elvm__leb_s(const uint8_t *p, const uint8_t *end, unsigned bits, int64_t *out) {
    const char *why;
    uint64_t u = 0;
    size_t n = leb(p, end, bits, true, &u, &why);
    *out = (int64_t)u;
    return n;
}

static uint64_t r_leb(reader *r, unsigned bits, bool is_signed) {
    const char *why = "";
    uint64_t v = 0;
    size_t n = leb(r->p, r->end, bits, is_signed, &v, &why);
    if (!n) elvm__rfail(r, ELVM_MALFORMED, "%s", why);
    r->p += n;
    return v;
}

void elvm__r_end(reader *r) { elvm__rfail(r, ELVM_MALFORMED, "unexpected end"); }

uint32_t elvm__r_u32_long(reader *r) { return (uint32_t)r_leb(r, 32, false); }
int32_t elvm__r_s32_long(reader *r) { return (int32_t)r_leb(r, 32, true); }
int64_t elvm__r_s64(reader *r) { return (int64_t)r_leb(r, 64, true); }
int64_t elvm__r_s33(reader *r) { return (int64_t)r_leb(r, 33, true); }

const uint8_t *elvm__r_bytes(reader *r, size_t n) {
    if ((size_t)(r->end - r->p) < n) elvm__rfail(r, ELVM_MALFORMED, "unexpected end");
    const uint8_t *p = r->p;
    r->p += n;
    return p;
}

elvm_valtype elvm__r_valtype(reader *r) {
    uint8_t b = elvm__r_u8(r);
    switch (b) {
    case ELVM_I32: case ELVM_I64: case ELVM_F32: case ELVM_F64: case ELVM_V128:
    case ELVM_FUNCREF: case ELVM_EXTERNREF:
        return (elvm_valtype)b;
    default:
        r->p--;
        elvm__rfail(r, ELVM_MALFORMED, "malformed value type 0x%02x", b);
    }
}

elvm_valtype elvm__r_reftype(reader *r) {
    uint8_t b = elvm__r_u8(r);
    if (b != ELVM_FUNCREF && b != ELVM_EXTERNREF) {
        r->p--;
        elvm__rfail(r, ELVM_MALFORMED, "malformed reference type 0x%02x", b);
    }
    return (elvm_valtype)b;
}
