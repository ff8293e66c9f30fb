/* wasmgen.h: turns arbitrary bytes into a valid WebAssembly 2.0 module (no SIMD), for
 * fuzz_exec and the differential tests. Every byte string gives a module that must
 * validate; the bytes only steer the choices, and running out of them ends every
 * choice at its simplest option, so generation always terminates.
 *
 * The module: a few functions of random types (i32/i64/f32/f64, and funcref/externref if
 * asked) whose bodies are well-typed trees of numeric, memory, variable, control (block,
 * loop, if, br, br_if, br_table, return, multi-value block types), call, call_indirect,
 * select, table and bulk-memory instructions; one memory with active and passive data,
 * a funcref table filled by an active segment, an externref table, globals, exports;
 * with `simd`, v128 values and most fixed-width SIMD instructions.
 * Encodings are written from the spec, not taken from vm/. */
#ifndef WASMGEN_H
#define WASMGEN_H

#include <stddef.h>
#include <stdint.h>

typedef struct wg_options {
    /* Guard every loop iteration and function entry with a global budget that exported
     * wrappers reset: the module terminates on any engine without fuel. */
    int hang_guard;
    /* Import fuzzing-support.log-{i32,i64,f32,f64} (binaryen's names) and call them. */
    int log_imports;
    /* Import env.h0.. functions of random types; stubs answer zeros. */
    int other_imports;
    /* funcref/externref values in locals, params, globals, select, tables. */
    int ref_types;
    /* Replace NaN by 0 before anything that can see a NaN's bits (reinterpret, stores,
     * copysign's sign operand): NaN payloads and signs are nondeterministic (spec 4.3.3). */
    int denan;
    /* v128 values and the SIMD instructions (0xFD prefix). */
    int simd;
} wg_options;

/* Builds a module from in[0..n). Sets *out (malloc'd, the caller frees) and *outlen.
 * Returns how many input bytes the generator used; the rest is the caller's. */
size_t wasmgen(const uint8_t *in, size_t n, const wg_options *opt, uint8_t **out,
               size_t *outlen);

#endif
