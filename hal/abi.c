/* abi.c: the canonical ABI's lifting and lowering for the HAL: checked guest ranges,
 * strings, the guest's cabi_realloc, and the result shapes written through a return
 * pointer. Every guest memory access of hal/ goes through these. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "hal_impl.h"

int hal_trap(hal_call *c, elvm_trap_kind kind, const char *fmt, ...) {
    char detail[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return elvm_caller_trap(c->caller, kind, "%s %s: %s", c->iface ? c->iface->module : "hal",
                            c->fn ? c->fn->name : "?", detail);
}

void hal_refresh(hal_call *c) {
    elvm_memory *mem = elvm_caller_memory(c->caller, 0);
    c->mem = mem ? elvm_memory_data(mem) : NULL;
    c->mem_size = c->mem ? elvm_memory_size(mem) : 0;
}

static int in_bounds(const hal_call *c, uint32_t ptr, uint64_t len) {
    return c->mem && (uint64_t)ptr + len <= c->mem_size;
}

static int oob(hal_call *c, const char *what, uint32_t ptr, uint64_t len) {
    return hal_trap(c, ELVM_TRAP_MEMORY_OOB, "%s [%u, +%llu) is outside the %llu-byte memory",
                    what, ptr, (unsigned long long)len, (unsigned long long)c->mem_size);
}

int hal_in(hal_call *c, uint32_t ptr, uint32_t len, const char *what, const uint8_t **out) {
    *out = NULL;
    if (!in_bounds(c, ptr, len)) return oob(c, what, ptr, len);
    *out = c->mem + ptr;
    return 0;
}

/* Whether s[0..n) is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
static int utf8_valid(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t b = s[i];
        if (b < 0x80) {
            i++;
            continue;
        }
        size_t k;
        uint32_t cp, min;
        if ((b & 0xE0) == 0xC0) k = 1, cp = b & 0x1F, min = 0x80;
        else if ((b & 0xF0) == 0xE0) k = 2, cp = b & 0x0F, min = 0x800;
        else if ((b & 0xF8) == 0xF0) k = 3, cp = b & 0x07, min = 0x10000;
        else return 0;
        if (i + k >= n) return 0; /* truncated */
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += k + 1;
    }
    return 1;
}

int hal_string(hal_call *c, uint32_t ptr, uint32_t len, const char *what, char **out,
               int *has_nul) {
    const uint8_t *p = NULL;
    HAL_TRY(hal_in(c, ptr, len, what, &p));
    if (!utf8_valid(p, len)) return hal_trap(c, ELVM_TRAP_HOST, "%s is not valid UTF-8", what);
    char *s = malloc((size_t)len + 1);
    if (!s) return hal_trap(c, ELVM_TRAP_HOST, "out of host memory");
    memcpy(s, p, len);
    s[len] = 0;
    if (has_nul) *has_nul = memchr(s, 0, len) != NULL;
    *out = s;
    return 0;
}

int hal_retarea(hal_call *c, uint32_t ptr, uint32_t size, uint32_t align) {
    if (ptr % align)
        return hal_trap(c, ELVM_TRAP_HOST, "return pointer %u is not %u-byte aligned", ptr,
                        align);
    if (!in_bounds(c, ptr, size)) return oob(c, "return area", ptr, size);
    return 0;
}

int hal_alloc(hal_call *c, const void *data, uint64_t size, uint32_t align, uint32_t *gptr) {
    elvm_hal *h = c->h;
    if (size > UINT32_MAX) return hal_trap(c, ELVM_TRAP_HOST, "result of %llu bytes is too "
                                              "large for a 32-bit memory",
                                           (unsigned long long)size);
    if (!h->realloc_fn)
        return hal_trap(c, ELVM_TRAP_HOST, "the guest exports no cabi_realloc (needed to "
                                           "return a list; elastic_hal.h defines one)");
    elvm_val args[4] = {
        {.type = ELVM_I32, .of.i32 = 0},
        {.type = ELVM_I32, .of.i32 = 0},
        {.type = ELVM_I32, .of.i32 = (int32_t)align},
        {.type = ELVM_I32, .of.i32 = (int32_t)size},
    };
    elvm_val res[1];
    elvm_error err;
    memset(&err, 0, sizeof err);
    elvm_status st = elvm_func_call(elvm_caller_store(c->caller), h->realloc_fn, args, 4, res,
                                    1, &err);
    hal_refresh(c);
    if (st == ELVM_EXIT) return elvm_caller_exit(c->caller, err.exit_code);
    if (st != ELVM_OK)
        return hal_trap(c, err.trap != ELVM_TRAP_NONE ? err.trap : ELVM_TRAP_HOST,
                        "in cabi_realloc: %s", err.msg);
    uint32_t p = (uint32_t)res[0].of.i32;
    if (p % align)
        return hal_trap(c, ELVM_TRAP_HOST, "cabi_realloc returned %u, not %u-byte aligned", p,
                        align);
    if (!in_bounds(c, p, size)) return oob(c, "cabi_realloc's allocation", p, size);
    if (data && size) memcpy(c->mem + p, data, (size_t)size);
    *gptr = p;
    return 0;
}

/* ---- result shapes -------------------------------------------------------------------------- */

int hal_ret_unit(hal_call *c, uint32_t ret, int err) {
    HAL_TRY(hal_retarea(c, ret, 2, 1));
    hal_st8(c, ret, err >= 0);
    hal_st8(c, ret + 1, err >= 0 ? (uint8_t)err : 0);
    return 0;
}

int hal_ret_list(hal_call *c, uint32_t ret, const void *data, size_t len) {
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    uint32_t p;
    HAL_TRY(hal_alloc(c, data, len, 1, &p));
    HAL_TRY(hal_retarea(c, ret, 8, 4)); /* the memory may have changed under the guest */
    hal_st32(c, ret, p);
    hal_st32(c, ret + 4, (uint32_t)len);
    return 0;
}

int hal_ret_bytes(hal_call *c, uint32_t ret, const void *data, size_t len, int err) {
    HAL_TRY(hal_retarea(c, ret, 12, 4));
    if (err >= 0) {
        hal_st8(c, ret, 1);
        hal_st8(c, ret + 4, (uint8_t)err);
        return 0;
    }
    uint32_t p;
    HAL_TRY(hal_alloc(c, data, len, 1, &p));
    HAL_TRY(hal_retarea(c, ret, 12, 4));
    hal_st8(c, ret, 0);
    hal_st32(c, ret + 4, p);
    hal_st32(c, ret + 8, (uint32_t)len);
    return 0;
}

int hal_ret_u32(hal_call *c, uint32_t ret, uint32_t v, int err) {
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    hal_st8(c, ret, err >= 0);
    hal_st32(c, ret + 4, err >= 0 ? (uint32_t)err : v);
    return 0;
}

int hal_ret_u64(hal_call *c, uint32_t ret, uint64_t v, int err) {
    HAL_TRY(hal_retarea(c, ret, 16, 8));
    hal_st8(c, ret, err >= 0);
    if (err >= 0) hal_st8(c, ret + 8, (uint8_t)err);
    else hal_st64(c, ret + 8, v);
    return 0;
}

int hal_ret_bool(hal_call *c, uint32_t ret, int v, int err) {
    HAL_TRY(hal_retarea(c, ret, 2, 1));
    hal_st8(c, ret, err >= 0);
    hal_st8(c, ret + 1, err >= 0 ? (uint8_t)err : (uint8_t)(v != 0));
    return 0;
}

int hal_put_strings(hal_call *c, uint32_t at, char *const *strs, uint32_t n) {
    uint32_t arr;
    HAL_TRY(hal_alloc(c, NULL, (uint64_t)n * 8, 4, &arr));
    for (uint32_t i = 0; i < n; i++) {
        uint32_t p;
        size_t len = strlen(strs[i]);
        HAL_TRY(hal_alloc(c, strs[i], len, 1, &p));
        if (!in_bounds(c, arr, (uint64_t)n * 8)) return oob(c, "list", arr, (uint64_t)n * 8);
        hal_st32(c, arr + 8 * i, p);
        hal_st32(c, arr + 8 * i + 4, (uint32_t)len);
    }
    if (!in_bounds(c, at, 8)) return oob(c, "return area", at, 8);
    hal_st32(c, at, arr);
    hal_st32(c, at + 4, n);
    return 0;
}
