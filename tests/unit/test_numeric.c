/* test_numeric.c: numeric and memory edge cases (spec 4.3, 4.4.7), executed through
 * elvm_func_call on one-function modules. Expected values come from the spec's
 * definitions (and IEEE 754 bit patterns written out), never from the vm. */
#include "wasm_builder.h"

/* Opcodes of spec 5.4.7; 0xFCnn is the 0xFC prefix then nn. */
enum {
    I32_CLZ = 0x67, I32_CTZ = 0x68, I32_POPCNT = 0x69, I32_DIV_S = 0x6D, I32_DIV_U = 0x6E,
    I32_REM_S = 0x6F, I32_REM_U = 0x70, I32_SHL = 0x74, I32_SHR_S = 0x75, I32_SHR_U = 0x76,
    I32_ROTL = 0x77, I32_ROTR = 0x78,
    I64_CLZ = 0x79, I64_CTZ = 0x7A, I64_POPCNT = 0x7B, I64_DIV_S = 0x7F, I64_DIV_U = 0x80,
    I64_REM_S = 0x81, I64_REM_U = 0x82, I64_SHL = 0x86, I64_SHR_S = 0x87, I64_SHR_U = 0x88,
    I64_ROTL = 0x89, I64_ROTR = 0x8A,
    F32_ABS = 0x8B, F32_NEG = 0x8C, F32_NEAREST = 0x90, F32_MIN = 0x96, F32_MAX = 0x97,
    F32_COPYSIGN = 0x98,
    F64_ABS = 0x99, F64_NEG = 0x9A, F64_NEAREST = 0x9E, F64_MIN = 0xA4, F64_MAX = 0xA5,
    F64_COPYSIGN = 0xA6,
    I32_WRAP_I64 = 0xA7, I32_TRUNC_F32_S = 0xA8, I32_TRUNC_F32_U = 0xA9, I32_TRUNC_F64_S = 0xAA,
    I64_EXTEND_I32_U = 0xAD, I64_TRUNC_F64_S = 0xB0,
    I32_EXTEND8_S = 0xC0, I32_EXTEND16_S = 0xC1, I64_EXTEND8_S = 0xC2, I64_EXTEND32_S = 0xC4,
    I32_TRUNC_SAT_F32_S = 0xFC00, I32_TRUNC_SAT_F32_U = 0xFC01, I64_TRUNC_SAT_F64_S = 0xFC06,
    I64_TRUNC_SAT_F64_U = 0xFC07,
};

/* ---- running one instruction ------------------------------------------------------------ */

/* Builds (func (param <params>) (result <result>) local.get 0 .. local.get n-1 <op>), runs
 * it on `args`. Returns the status; the result in *out, the error in *err. */
static elvm_status apply(const char *params, char result, unsigned op, const elvm_val *args,
                         elvm_val *out, elvm_error *err) {
    wb code = {0};
    wb_byte(&code, 0x00); /* no locals */
    for (uint32_t i = 0; params[i]; i++) {
        wb_byte(&code, W_LOCAL_GET);
        wb_u32(&code, i);
    }
    if (op > 0xFF) {
        wb_byte(&code, 0xFC);
        wb_u32(&code, op & 0xFF);
    } else {
        wb_byte(&code, (uint8_t)op);
    }
    wb_byte(&code, W_END);
    char results[2] = {result, 0};
    wb_fn f = {params, results, code.p, code.len, "f", NULL};
    wb_mod m = {.funcs = &f, .nfuncs = 1};
    wb_rt rt;
    wb_rt_open(&rt, NULL, &m, NULL, 0);
    wb_free(&code);
    memset(err, 0, sizeof *err);
    memset(out, 0, sizeof *out);
    elvm_status st = elvm_func_call(rt.store, wb_rt_func(&rt, "f"), args,
                                    (uint32_t)strlen(params), out, 1, err);
    wb_rt_close(&rt);
    return st;
}

static elvm_val call_ok(const char *params, char result, unsigned op, const elvm_val *args,
                        int line) {
    elvm_val out;
    elvm_error err;
    elvm_status st = apply(params, result, op, args, &out, &err);
    if (st != ELVM_OK)
        fail_msg("line %d: op %#x: %s: %s", line, op, elvm_strerror(st), err.msg);
    assert_int_equal(out.type, wb_valtype(result));
    return out;
}

static void call_traps(const char *params, char result, unsigned op, const elvm_val *args,
                       elvm_trap_kind kind, const char *text, int line) {
    elvm_val out;
    elvm_error err;
    elvm_status st = apply(params, result, op, args, &out, &err);
    if (st != ELVM_TRAP)
        fail_msg("line %d: op %#x: got %s, expected trap \"%s\"", line, op, elvm_strerror(st), text);
    if (err.status != ELVM_TRAP || err.trap != kind || !wb_starts_with(err.msg, text))
        fail_msg("line %d: op %#x: trap %d \"%s\", expected %d \"%s\"", line, op, err.trap,
                 err.msg, kind, text);
}

#define OK(params, result, op, ...)                                                     \
    call_ok(params, result, op, (const elvm_val[]){__VA_ARGS__}, __LINE__)
#define TRAPS(params, result, op, kind, text, ...)                                      \
    call_traps(params, result, op, (const elvm_val[]){__VA_ARGS__}, kind, text, __LINE__)

#define I32(x) wb_i32(x)
#define I64(x) wb_i64(x)
#define F32(bits) wb_f32(bits)
#define F64(bits) wb_f64(bits)

/* IEEE 754 bit patterns used below */
#define F32_NAN 0x7FC00000u
#define F32_INF 0x7F800000u
#define F32_NEG_INF 0xFF800000u
#define F32_NEG_ZERO 0x80000000u
#define F32_ONE 0x3F800000u
#define F32_MINUS_ONE 0xBF800000u
#define F64_NAN 0x7FF8000000000000ull
#define F64_NEG_ZERO 0x8000000000000000ull

static int f32_is_arithmetic_nan(uint32_t b) { return (b & 0x7FC00000u) == 0x7FC00000u; }

/* ---- integer division ---------------------------------------------------------------------- */

static void test_div_s_overflow_traps(void **state) {
    (void)state;
    TRAPS("ii", 'i', I32_DIV_S, ELVM_TRAP_INT_OVERFLOW, "integer overflow", I32(INT32_MIN), I32(-1));
    TRAPS("II", 'I', I64_DIV_S, ELVM_TRAP_INT_OVERFLOW, "integer overflow", I64(INT64_MIN), I64(-1));
    /* the neighbours are fine */
    assert_int_equal(OK("ii", 'i', I32_DIV_S, I32(INT32_MIN), I32(1)).of.i32, INT32_MIN);
    assert_int_equal(OK("ii", 'i', I32_DIV_S, I32(INT32_MIN + 1), I32(-1)).of.i32, INT32_MAX);
    assert_int_equal(OK("ii", 'i', I32_DIV_U, I32(INT32_MIN), I32(-1)).of.i32, 0);
}

static void test_rem_s_of_min_by_minus_one_is_zero(void **state) {
    (void)state;
    assert_int_equal(OK("ii", 'i', I32_REM_S, I32(INT32_MIN), I32(-1)).of.i32, 0);
    assert_int_equal(OK("II", 'I', I64_REM_S, I64(INT64_MIN), I64(-1)).of.i64, 0);
    /* the remainder takes the sign of the dividend (truncating division) */
    assert_int_equal(OK("ii", 'i', I32_REM_S, I32(-7), I32(2)).of.i32, -1);
    assert_int_equal(OK("ii", 'i', I32_REM_S, I32(7), I32(-2)).of.i32, 1);
    assert_int_equal(OK("ii", 'i', I32_DIV_S, I32(-7), I32(2)).of.i32, -3);
    /* unsigned: -1 is 0xFFFFFFFF */
    assert_int_equal(OK("ii", 'i', I32_REM_U, I32(-1), I32(10)).of.i32, 5);
}

static void test_division_by_zero_traps(void **state) {
    (void)state;
    static const unsigned i32_ops[] = {I32_DIV_S, I32_DIV_U, I32_REM_S, I32_REM_U};
    static const unsigned i64_ops[] = {I64_DIV_S, I64_DIV_U, I64_REM_S, I64_REM_U};
    for (int i = 0; i < 4; i++) {
        TRAPS("ii", 'i', i32_ops[i], ELVM_TRAP_DIV_ZERO, "integer divide by zero", I32(1), I32(0));
        TRAPS("II", 'I', i64_ops[i], ELVM_TRAP_DIV_ZERO, "integer divide by zero", I64(1), I64(0));
    }
    /* zero divided by zero: the divisor decides, even for INT_MIN-style operands */
    TRAPS("ii", 'i', I32_DIV_S, ELVM_TRAP_DIV_ZERO, "integer divide by zero", I32(0), I32(0));
    TRAPS("ii", 'i', I32_REM_S, ELVM_TRAP_DIV_ZERO, "integer divide by zero", I32(INT32_MIN), I32(0));
}

/* ---- shifts, rotates, bit counts ------------------------------------------------------------- */

static void test_shift_counts_are_taken_modulo_width(void **state) {
    (void)state;
    assert_int_equal(OK("ii", 'i', I32_SHL, I32(1), I32(32)).of.i32, 1);
    assert_int_equal(OK("ii", 'i', I32_SHL, I32(1), I32(33)).of.i32, 2);
    assert_int_equal(OK("ii", 'i', I32_SHL, I32(1), I32(-1)).of.i32, INT32_MIN); /* 31 */
    assert_int_equal(OK("ii", 'i', I32_SHR_S, I32(INT32_MIN), I32(63)).of.i32, -1);
    assert_int_equal(OK("ii", 'i', I32_SHR_U, I32(INT32_MIN), I32(32)).of.i32, INT32_MIN);
    assert_int_equal(OK("ii", 'i', I32_SHR_U, I32(INT32_MIN), I32(31)).of.i32, 1);
    assert_int_equal(OK("II", 'I', I64_SHL, I64(1), I64(64)).of.i64, 1);
    assert_int_equal(OK("II", 'I', I64_SHL, I64(1), I64(63)).of.i64, INT64_MIN);
    assert_int_equal(OK("II", 'I', I64_SHR_S, I64(INT64_MIN), I64(127)).of.i64, -1);
    assert_int_equal(OK("II", 'I', I64_SHR_U, I64(-1), I64(64 + 60)).of.i64, 0xF);
}

static void test_rotates(void **state) {
    (void)state;
    assert_int_equal((uint32_t)OK("ii", 'i', I32_ROTL, I32((int32_t)0x80000001u), I32(1)).of.i32, 0x00000003u);
    assert_int_equal((uint32_t)OK("ii", 'i', I32_ROTL, I32(0x12345678), I32(32)).of.i32, 0x12345678u);
    assert_int_equal((uint32_t)OK("ii", 'i', I32_ROTL, I32(0x12345678), I32(36)).of.i32, 0x23456781u);
    assert_int_equal((uint32_t)OK("ii", 'i', I32_ROTR, I32(1), I32(1)).of.i32, 0x80000000u);
    assert_int_equal((uint32_t)OK("ii", 'i', I32_ROTR, I32(0x12345678), I32(-4)).of.i32, 0x23456781u);
    assert_int_equal((uint64_t)OK("II", 'I', I64_ROTL, I64((int64_t)0x8000000000000001ull), I64(65)).of.i64, 3u);
    assert_int_equal((uint64_t)OK("II", 'I', I64_ROTR, I64(1), I64(64)).of.i64, 1u);
    assert_int_equal((uint64_t)OK("II", 'I', I64_ROTR, I64(1), I64(1)).of.i64, 0x8000000000000000ull);
}

static void test_bit_counts_of_zero(void **state) {
    (void)state;
    assert_int_equal(OK("i", 'i', I32_CLZ, I32(0)).of.i32, 32);
    assert_int_equal(OK("i", 'i', I32_CTZ, I32(0)).of.i32, 32);
    assert_int_equal(OK("i", 'i', I32_POPCNT, I32(0)).of.i32, 0);
    assert_int_equal(OK("I", 'I', I64_CLZ, I64(0)).of.i64, 64);
    assert_int_equal(OK("I", 'I', I64_CTZ, I64(0)).of.i64, 64);
    assert_int_equal(OK("I", 'I', I64_POPCNT, I64(0)).of.i64, 0);
    /* and of the other extremes */
    assert_int_equal(OK("i", 'i', I32_CLZ, I32(1)).of.i32, 31);
    assert_int_equal(OK("i", 'i', I32_CTZ, I32(INT32_MIN)).of.i32, 31);
    assert_int_equal(OK("i", 'i', I32_POPCNT, I32(-1)).of.i32, 32);
    assert_int_equal(OK("I", 'I', I64_CLZ, I64(-1)).of.i64, 0);
    assert_int_equal(OK("I", 'I', I64_CTZ, I64(INT64_MIN)).of.i64, 63);
    assert_int_equal(OK("I", 'I', I64_POPCNT, I64(-1)).of.i64, 64);
}

/* ---- float -> int ------------------------------------------------------------------------- */

static void test_trunc_traps(void **state) {
    (void)state;
    TRAPS("f", 'i', I32_TRUNC_F32_S, ELVM_TRAP_INVALID_CONVERSION, "invalid conversion to integer",
          F32(F32_NAN));
    TRAPS("f", 'i', I32_TRUNC_F32_S, ELVM_TRAP_INVALID_CONVERSION, "invalid conversion to integer",
          F32(0xFFA00001u)); /* a negative signalling NaN */
    /* 2^31 = 0x4F000000 is one past INT32_MAX */
    TRAPS("f", 'i', I32_TRUNC_F32_S, ELVM_TRAP_INT_OVERFLOW, "integer overflow", F32(0x4F000000u));
    TRAPS("f", 'i', I32_TRUNC_F32_S, ELVM_TRAP_INT_OVERFLOW, "integer overflow", F32(F32_INF));
    /* -2^31 fits; the next float below it (-2147483904) does not */
    assert_int_equal(OK("f", 'i', I32_TRUNC_F32_S, F32(0xCF000000u)).of.i32, INT32_MIN);
    TRAPS("f", 'i', I32_TRUNC_F32_S, ELVM_TRAP_INT_OVERFLOW, "integer overflow", F32(0xCF000001u));
    /* unsigned: -0.9 truncates to 0 and is fine, -1.0 is not */
    assert_int_equal(OK("f", 'i', I32_TRUNC_F32_U, F32(0xBF666666u)).of.i32, 0);
    TRAPS("f", 'i', I32_TRUNC_F32_U, ELVM_TRAP_INT_OVERFLOW, "integer overflow", F32(F32_MINUS_ONE));
    /* 4294967040 = 0x4F7FFFFF is the largest float below 2^32 */
    assert_int_equal((uint32_t)OK("f", 'i', I32_TRUNC_F32_U, F32(0x4F7FFFFFu)).of.i32, 4294967040u);
    TRAPS("f", 'i', I32_TRUNC_F32_U, ELVM_TRAP_INT_OVERFLOW, "integer overflow", F32(0x4F800000u));
    /* f64 has the precision to come close: 2147483647.9 truncates, -2147483648.9 too */
    double d = 2147483647.9, e = -2147483648.9, g = 2147483648.0, h = -2147483649.0;
    uint64_t db, eb, gb, hb;
    memcpy(&db, &d, 8);
    memcpy(&eb, &e, 8);
    memcpy(&gb, &g, 8);
    memcpy(&hb, &h, 8);
    assert_int_equal(OK("F", 'i', I32_TRUNC_F64_S, F64(db)).of.i32, INT32_MAX);
    assert_int_equal(OK("F", 'i', I32_TRUNC_F64_S, F64(eb)).of.i32, INT32_MIN);
    TRAPS("F", 'i', I32_TRUNC_F64_S, ELVM_TRAP_INT_OVERFLOW, "integer overflow", F64(gb));
    TRAPS("F", 'i', I32_TRUNC_F64_S, ELVM_TRAP_INT_OVERFLOW, "integer overflow", F64(hb));
    /* 2^63 as f64 (0x43E0000000000000) overflows i64 */
    TRAPS("F", 'I', I64_TRUNC_F64_S, ELVM_TRAP_INT_OVERFLOW, "integer overflow",
          F64(0x43E0000000000000ull));
    assert_int_equal(OK("F", 'I', I64_TRUNC_F64_S, F64(0xC3E0000000000000ull)).of.i64, INT64_MIN);
}

static void test_trunc_sat(void **state) {
    (void)state;
    assert_int_equal(OK("f", 'i', I32_TRUNC_SAT_F32_S, F32(F32_NAN)).of.i32, 0);
    assert_int_equal(OK("f", 'i', I32_TRUNC_SAT_F32_S, F32(0xFFC00000u)).of.i32, 0);
    assert_int_equal(OK("f", 'i', I32_TRUNC_SAT_F32_S, F32(F32_INF)).of.i32, INT32_MAX);
    assert_int_equal(OK("f", 'i', I32_TRUNC_SAT_F32_S, F32(F32_NEG_INF)).of.i32, INT32_MIN);
    assert_int_equal(OK("f", 'i', I32_TRUNC_SAT_F32_S, F32(0x4F000000u)).of.i32, INT32_MAX); /* 2^31 */
    assert_int_equal(OK("f", 'i', I32_TRUNC_SAT_F32_S, F32(0xCF000001u)).of.i32, INT32_MIN);
    assert_int_equal(OK("f", 'i', I32_TRUNC_SAT_F32_S, F32(0xBFC00000u)).of.i32, -1); /* -1.5 */
    assert_int_equal(OK("f", 'i', I32_TRUNC_SAT_F32_U, F32(F32_NAN)).of.i32, 0);
    assert_int_equal(OK("f", 'i', I32_TRUNC_SAT_F32_U, F32(F32_MINUS_ONE)).of.i32, 0);
    assert_int_equal(OK("f", 'i', I32_TRUNC_SAT_F32_U, F32(0x4F800000u)).of.i32, -1); /* 2^32 -> max */
    assert_int_equal(OK("F", 'I', I64_TRUNC_SAT_F64_S, F64(F64_NAN)).of.i64, 0);
    assert_int_equal(OK("F", 'I', I64_TRUNC_SAT_F64_S, F64(0x43E0000000000000ull)).of.i64, INT64_MAX);
    assert_int_equal(OK("F", 'I', I64_TRUNC_SAT_F64_S, F64(0xC3F0000000000000ull)).of.i64, INT64_MIN);
    assert_int_equal(OK("F", 'I', I64_TRUNC_SAT_F64_U, F64(0x43F0000000000000ull)).of.i64, -1); /* 2^64 */
    assert_int_equal(OK("F", 'I', I64_TRUNC_SAT_F64_U, F64(0xBFE0000000000000ull)).of.i64, 0); /* -0.5 */
}

/* ---- floats: signed zeros, rounding, NaN bits ----------------------------------------------- */

static void test_min_max_signed_zeros(void **state) {
    (void)state;
    /* -0 < +0 for min/max (spec fmin/fmax), whatever the operand order */
    assert_int_equal(OK("ff", 'f', F32_MIN, F32(F32_NEG_ZERO), F32(0)).of.f32_bits, F32_NEG_ZERO);
    assert_int_equal(OK("ff", 'f', F32_MIN, F32(0), F32(F32_NEG_ZERO)).of.f32_bits, F32_NEG_ZERO);
    assert_int_equal(OK("ff", 'f', F32_MAX, F32(F32_NEG_ZERO), F32(0)).of.f32_bits, 0);
    assert_int_equal(OK("ff", 'f', F32_MAX, F32(0), F32(F32_NEG_ZERO)).of.f32_bits, 0);
    assert_int_equal(OK("FF", 'F', F64_MIN, F64(0), F64(F64_NEG_ZERO)).of.f64_bits, F64_NEG_ZERO);
    assert_int_equal(OK("FF", 'F', F64_MAX, F64(F64_NEG_ZERO), F64(0)).of.f64_bits, 0);
    /* a NaN operand gives a NaN, also when the other one is -inf / +inf */
    assert_true(f32_is_arithmetic_nan(OK("ff", 'f', F32_MIN, F32(F32_NEG_INF), F32(F32_NAN)).of.f32_bits));
    assert_true(f32_is_arithmetic_nan(OK("ff", 'f', F32_MAX, F32(F32_NAN), F32(F32_INF)).of.f32_bits));
    uint64_t r = OK("FF", 'F', F64_MIN, F64(F64_NAN), F64(0)).of.f64_bits;
    assert_int_equal(r & 0x7FF8000000000000ull, 0x7FF8000000000000ull);
}

static void test_nearest_ties_to_even(void **state) {
    (void)state;
    /* 0.5 -> +0, 1.5 -> 2, 2.5 -> 2, -0.5 -> -0, -2.5 -> -2 */
    assert_int_equal(OK("F", 'F', F64_NEAREST, F64(0x3FE0000000000000ull)).of.f64_bits, 0);
    assert_int_equal(OK("F", 'F', F64_NEAREST, F64(0x3FF8000000000000ull)).of.f64_bits, 0x4000000000000000ull);
    assert_int_equal(OK("F", 'F', F64_NEAREST, F64(0x4004000000000000ull)).of.f64_bits, 0x4000000000000000ull);
    assert_int_equal(OK("F", 'F', F64_NEAREST, F64(0xBFE0000000000000ull)).of.f64_bits, F64_NEG_ZERO);
    assert_int_equal(OK("F", 'F', F64_NEAREST, F64(0xC004000000000000ull)).of.f64_bits, 0xC000000000000000ull);
    /* 3.5 -> 4 (away from the odd neighbour) */
    assert_int_equal(OK("F", 'F', F64_NEAREST, F64(0x400C000000000000ull)).of.f64_bits, 0x4010000000000000ull);
    /* 2^52 + 1 is already an integer */
    assert_int_equal(OK("F", 'F', F64_NEAREST, F64(0x4330000000000001ull)).of.f64_bits, 0x4330000000000001ull);
    /* f32: 2.5 -> 2, -1.5 -> -2 */
    assert_int_equal(OK("f", 'f', F32_NEAREST, F32(0x40200000u)).of.f32_bits, 0x40000000u);
    assert_int_equal(OK("f", 'f', F32_NEAREST, F32(0xBFC00000u)).of.f32_bits, 0xC0000000u);
}

static void test_sign_ops_keep_nan_payloads(void **state) {
    (void)state;
    /* neg, abs and copysign act on the sign bit only, NaNs (even signalling) included */
    assert_int_equal(OK("f", 'f', F32_NEG, F32(0x7FA00001u)).of.f32_bits, 0xFFA00001u);
    assert_int_equal(OK("f", 'f', F32_NEG, F32(0xFF800001u)).of.f32_bits, 0x7F800001u);
    assert_int_equal(OK("f", 'f', F32_ABS, F32(0xFFC00123u)).of.f32_bits, 0x7FC00123u);
    assert_int_equal(OK("ff", 'f', F32_COPYSIGN, F32(0x7F800001u), F32(F32_MINUS_ONE)).of.f32_bits, 0xFF800001u);
    assert_int_equal(OK("ff", 'f', F32_COPYSIGN, F32(F32_ONE), F32(0xFFC00000u)).of.f32_bits, F32_MINUS_ONE);
    assert_int_equal(OK("F", 'F', F64_NEG, F64(0x7FF0000000000001ull)).of.f64_bits, 0xFFF0000000000001ull);
    assert_int_equal(OK("F", 'F', F64_ABS, F64(0xFFF4000000000abcull)).of.f64_bits, 0x7FF4000000000abcull);
    assert_int_equal(OK("FF", 'F', F64_COPYSIGN, F64(0x7FF0000000000001ull), F64(F64_NEG_ZERO)).of.f64_bits,
                     0xFFF0000000000001ull);
    /* and a signalling NaN passes through a call untouched */
    assert_int_equal(OK("f", 'f', W_NOP, F32(0x7F800001u)).of.f32_bits, 0x7F800001u);
    assert_int_equal(OK("F", 'F', W_NOP, F64(0x7FF0000000000001ull)).of.f64_bits, 0x7FF0000000000001ull);
}

/* ---- integer conversions -------------------------------------------------------------------- */

static void test_sign_extension(void **state) {
    (void)state;
    assert_int_equal(OK("I", 'I', I64_EXTEND32_S, I64(0x80000000LL)).of.i64, (int64_t)0xFFFFFFFF80000000ull);
    assert_int_equal(OK("I", 'I', I64_EXTEND32_S, I64(0x7FFFFFFFLL)).of.i64, 0x7FFFFFFF);
    /* the upper half of the operand is ignored */
    assert_int_equal(OK("I", 'I', I64_EXTEND32_S, I64((int64_t)0xFFFFFFFF7FFFFFFFull)).of.i64, 0x7FFFFFFF);
    assert_int_equal(OK("I", 'I', I64_EXTEND32_S, I64(0x1234567800000001LL)).of.i64, 1);
    assert_int_equal(OK("I", 'I', I64_EXTEND8_S, I64(0x80)).of.i64, -128);
    assert_int_equal(OK("i", 'i', I32_EXTEND8_S, I32(0x7F)).of.i32, 127);
    assert_int_equal(OK("i", 'i', I32_EXTEND8_S, I32(0x1FF)).of.i32, -1);
    assert_int_equal(OK("i", 'i', I32_EXTEND16_S, I32(0x8000)).of.i32, -32768);
    assert_int_equal(OK("i", 'I', I64_EXTEND_I32_U, I32(-1)).of.i64, 0xFFFFFFFFLL);
    assert_int_equal(OK("I", 'i', I32_WRAP_I64, I64(0x100000005LL)).of.i32, 5);
}

/* ---- memory ---------------------------------------------------------------------------------- */

/* One page of memory, exported as "mem"; "load"(addr) = i32.load offset=`offset`,
 * "store"(addr, v) = i32.store, "load8"(addr) = i32.load8_u, "load64"(addr) = i64.load. */
static void open_memory_module(wb_rt *rt, uint32_t offset, uint32_t min, uint32_t max, int has_max) {
    wb load = {0};
    WB_BYTES(&load, 0x00, W_LOCAL_GET, 0, W_I32_LOAD, 0x02);
    wb_u32(&load, offset);
    wb_byte(&load, W_END);
    wb_fn f[6] = {
        {"i", "i", load.p, load.len, "load", NULL},
        {"ii", "", WB_CODE(0x00, W_LOCAL_GET, 0, W_LOCAL_GET, 1, W_I32_STORE, 0x02, 0x00, W_END),
         "store", NULL},
        {"i", "i", WB_CODE(0x00, W_LOCAL_GET, 0, W_I32_LOAD8_U, 0x00, 0x00, W_END), "load8", NULL},
        {"i", "I", WB_CODE(0x00, W_LOCAL_GET, 0, W_I64_LOAD, 0x03, 0x00, W_END), "load64", NULL},
        {"i", "i", WB_CODE(0x00, W_LOCAL_GET, 0, W_MEMORY_GROW, 0x00, W_END), "grow", NULL},
        {"", "i", WB_CODE(0x00, W_MEMORY_SIZE, 0x00, W_END), "size", NULL},
    };
    wb_mod m = {.funcs = f, .nfuncs = 6, .nmemories = 1, .mem_min = min, .mem_max = max,
                .mem_has_max = has_max, .mem_export = "mem"};
    wb_rt_open(rt, NULL, &m, NULL, 0);
    wb_free(&load);
}

static elvm_status call1(wb_rt *rt, const char *name, elvm_val arg, elvm_val *out, elvm_error *err) {
    memset(err, 0, sizeof *err);
    return elvm_func_call(rt->store, wb_rt_func(rt, name), &arg, 1, out, 1, err);
}

static void expect_oob(wb_rt *rt, const char *name, int32_t addr) {
    elvm_val out;
    elvm_error err;
    elvm_status st = call1(rt, name, wb_i32(addr), &out, &err);
    if (st != ELVM_TRAP) fail_msg("%s(%d): %s, expected a trap", name, addr, elvm_strerror(st));
    assert_int_equal(err.trap, ELVM_TRAP_MEMORY_OOB);
    assert_prefix(err.msg, "out of bounds memory access");
}

static void test_memory_bounds_are_exact(void **state) {
    (void)state;
    wb_rt rt;
    elvm_val out;
    elvm_error err;
    open_memory_module(&rt, 0, 1, 0, 0);
    elvm_extern ext;
    assert_true(elvm_instance_export(rt.inst, "mem", &ext));
    uint8_t *data = elvm_memory_data(ext.of.memory);
    assert_int_equal(elvm_memory_size(ext.of.memory), 65536);
    memcpy(data + 65532, "\x01\x02\x03\x04", 4);

    /* the last 4 bytes load; one byte further does not */
    assert_int_equal(call1(&rt, "load", wb_i32(65532), &out, &err), ELVM_OK);
    assert_int_equal(out.of.i32, 0x04030201); /* little-endian */
    expect_oob(&rt, "load", 65533);
    expect_oob(&rt, "load", 65536);
    expect_oob(&rt, "load", -1); /* 0xFFFFFFFF as an unsigned address */
    assert_int_equal(call1(&rt, "load8", wb_i32(65535), &out, &err), ELVM_OK);
    assert_int_equal(out.of.i32, 4);
    expect_oob(&rt, "load8", 65536);
    assert_int_equal(call1(&rt, "load64", wb_i32(65528), &out, &err), ELVM_OK);
    expect_oob(&rt, "load64", 65529);

    /* a store that would straddle the end writes nothing */
    elvm_val args[2] = {wb_i32(65534), wb_i32(0x7F7F7F7F)};
    assert_int_equal(elvm_func_call(rt.store, wb_rt_func(&rt, "store"), args, 2, NULL, 0, &err), ELVM_TRAP);
    assert_int_equal(err.trap, ELVM_TRAP_MEMORY_OOB);
    assert_memory_equal(data + 65532, "\x01\x02\x03\x04", 4);
    wb_rt_close(&rt);
}

static void test_memory_offset_does_not_wrap(void **state) {
    (void)state;
    wb_rt rt;
    elvm_val out;
    elvm_error err;
    /* i32.load offset=65532: address 0 is the last word, address 1 is past the end */
    open_memory_module(&rt, 65532, 1, 0, 0);
    assert_int_equal(call1(&rt, "load", wb_i32(0), &out, &err), ELVM_OK);
    expect_oob(&rt, "load", 1);
    wb_rt_close(&rt);
    /* address + offset is computed without 32-bit wrap-around: 0xFFFFFFFF + 1 is 2^32 */
    open_memory_module(&rt, 1, 1, 0, 0);
    expect_oob(&rt, "load", -1);
    assert_int_equal(call1(&rt, "load", wb_i32(65531), &out, &err), ELVM_OK);
    wb_rt_close(&rt);
}

static void test_memory_grow(void **state) {
    (void)state;
    wb_rt rt;
    elvm_val out;
    elvm_error err;
    open_memory_module(&rt, 0, 1, 2, 1);
    /* grow returns the old size in pages, or -1 past the maximum */
    assert_int_equal(call1(&rt, "grow", wb_i32(0), &out, &err), ELVM_OK);
    assert_int_equal(out.of.i32, 1);
    assert_int_equal(call1(&rt, "grow", wb_i32(2), &out, &err), ELVM_OK);
    assert_int_equal(out.of.i32, -1);
    assert_int_equal(call1(&rt, "grow", wb_i32(1), &out, &err), ELVM_OK);
    assert_int_equal(out.of.i32, 1);
    assert_int_equal(call1(&rt, "grow", wb_i32(1), &out, &err), ELVM_OK);
    assert_int_equal(out.of.i32, -1);
    assert_int_equal(call1(&rt, "grow", wb_i32(-1), &out, &err), ELVM_OK); /* 2^32 - 1 pages */
    assert_int_equal(out.of.i32, -1);
    assert_int_equal(elvm_func_call(rt.store, wb_rt_func(&rt, "size"), NULL, 0, &out, 1, &err), ELVM_OK);
    assert_int_equal(out.of.i32, 2);
    /* the new page is there and zeroed; the byte after it is not */
    assert_int_equal(call1(&rt, "load", wb_i32(2 * 65536 - 4), &out, &err), ELVM_OK);
    assert_int_equal(out.of.i32, 0);
    expect_oob(&rt, "load", 2 * 65536 - 3);
    wb_rt_close(&rt);

    /* without a maximum, 4 GiB (65536 pages) is the limit */
    open_memory_module(&rt, 0, 1, 0, 0);
    assert_int_equal(call1(&rt, "grow", wb_i32(65536), &out, &err), ELVM_OK);
    assert_int_equal(out.of.i32, -1);
    assert_int_equal(elvm_func_call(rt.store, wb_rt_func(&rt, "size"), NULL, 0, &out, 1, &err), ELVM_OK);
    assert_int_equal(out.of.i32, 1);
    wb_rt_close(&rt);
}

int main(void) {
    wb_watchdog(300);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_div_s_overflow_traps),
        cmocka_unit_test(test_rem_s_of_min_by_minus_one_is_zero),
        cmocka_unit_test(test_division_by_zero_traps),
        cmocka_unit_test(test_shift_counts_are_taken_modulo_width),
        cmocka_unit_test(test_rotates),
        cmocka_unit_test(test_bit_counts_of_zero),
        cmocka_unit_test(test_trunc_traps),
        cmocka_unit_test(test_trunc_sat),
        cmocka_unit_test(test_min_max_signed_zeros),
        cmocka_unit_test(test_nearest_ties_to_even),
        cmocka_unit_test(test_sign_ops_keep_nan_payloads),
        cmocka_unit_test(test_sign_extension),
        cmocka_unit_test(test_memory_bounds_are_exact),
        cmocka_unit_test(test_memory_offset_does_not_wrap),
        cmocka_unit_test(test_memory_grow),
    };
    return cmocka_run_group_tests_name("numeric and memory semantics (spec 4.3, 4.4)", tests,
                                       NULL, NULL);
}
