/* test_sevsnp.c: sevsnp/ without SEV-SNP hardware: simulated round trips, every altered byte
 * rejected, wrong keys and chains, malformed reports, the configfs-tsm protocol against a fake
 * directory, the sev-guest ioctls against a fake driver, exitinfo2 decoding, and a real Milan
 * report with its VCEK and AMD's chain (tests/data/README.md says where they come from). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/sev-guest.h>

#include "snp_impl.h"
#include "sevsnp.h"

#ifndef SNP_TEST_DATA
#define SNP_TEST_DATA "sevsnp/tests/data"
#endif

/* The layout, against the kernel's UAPI header (report.c pins every report offset too). */
_Static_assert(sizeof(struct elvm__snp_raw_report) == 1184, "ATTESTATION_REPORT is 1184 bytes");
_Static_assert(sizeof(struct snp_report_req) == 96, "MSG_REPORT_REQ");
_Static_assert(sizeof(struct snp_report_resp) == 4000, "snp_report_resp");
_Static_assert(sizeof(struct snp_derived_key_req) == 32, "MSG_KEY_REQ");
_Static_assert(sizeof(struct snp_derived_key_resp) == 64, "MSG_KEY_RSP");
_Static_assert(offsetof(struct snp_ext_report_req, certs_address) == 96, "ext report request");
_Static_assert(offsetof(struct snp_guest_request_ioctl, exitinfo2) == 24, "exitinfo2");

/* ---- fixtures ------------------------------------------------------------------------------ */

static char tmp[256];       /* scratch directory */
static char keys_a[300];    /* simulated key set A */
static char keys_b[300];    /* an unrelated key set B */
static uint8_t rd_a[64];    /* REPORT_DATA used in most tests */

static uint8_t *slurp(const char *path, size_t *len) {
    uint8_t *buf;
    char err[256];
    if (elvm__snp_read_file(path, &buf, len, 1 << 20, err, sizeof err) < 0) fail_msg("%s", err);
    return buf;
}

static uint8_t *slurp2(const char *dir, const char *name, size_t *len) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return slurp(path, len);
}

static void spit(const char *path, const void *p, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void rm_rf(const char *path) {
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", path);
}

static int group_setup(void **state) {
    (void)state;
    snprintf(tmp, sizeof tmp, "/tmp/elvm-snp-test-XXXXXX");
    if (!mkdtemp(tmp)) return -1;
    snprintf(keys_a, sizeof keys_a, "%s/keys-a", tmp);
    snprintf(keys_b, sizeof keys_b, "%s/keys-b", tmp);
    char err[512];
    if (elvm_snp_sim_keys_generate(keys_a, err, sizeof err) < 0 ||
        elvm_snp_sim_keys_generate(keys_b, err, sizeof err) < 0) {
        fprintf(stderr, "simulate-keys: %s\n", err);
        return -1;
    }
    for (int i = 0; i < 64; i++) rd_a[i] = (uint8_t)(0xA0 + i);
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    rm_rf(tmp);
    return 0;
}

/* Verification options with set A's chain, expecting rd_a. The buffers live until free_opts. */
typedef struct {
    elvm_snp_verify_opts o;
    uint8_t *bufs[3];
} opts_holder;

static void load_opts(opts_holder *h, const char *vcek_dir, const char *chain_dir) {
    memset(h, 0, sizeof *h);
    h->o.vmpl = -1;
    h->bufs[0] = slurp2(vcek_dir, "vcek.pem", &h->o.vcek_len);
    h->o.vcek = h->bufs[0];
    if (chain_dir) {
        h->bufs[1] = slurp2(chain_dir, "ask.pem", &h->o.ask_len);
        h->bufs[2] = slurp2(chain_dir, "ark.pem", &h->o.ark_len);
        h->o.ask = h->bufs[1];
        h->o.ark = h->bufs[2];
    }
}

static void free_opts(opts_holder *h) {
    for (int i = 0; i < 3; i++) free(h->bufs[i]);
}

/* Collects failure reasons. */
typedef struct {
    int n;
    char all[4096];
} reasons;

static void collect(const char *reason, void *ctx) {
    reasons *r = ctx;
    r->n++;
    size_t used = strlen(r->all);
    snprintf(r->all + used, sizeof r->all - used, "%s\n", reason);
}

static int verify(const uint8_t *report, size_t len, const elvm_snp_verify_opts *o, reasons *r) {
    memset(r, 0, sizeof *r);
    int n = elvm_snp_verify(report, len, o, collect, r);
    assert_int_equal(n, r->n);
    return n;
}

#define assert_contains(hay, needle)                                                   \
    do {                                                                               \
        if (!strstr((hay), (needle)))                                                  \
            fail_msg("expected \"%s\" in:\n%s", (needle), (hay));                      \
    } while (0)

static void sim_report(uint8_t report[1184]) {
    char err[512];
    assert_int_equal(elvm_snp_get_report(ELVM_SNP_BACKEND_SIMULATED, keys_a, rd_a, report, err,
                                         sizeof err), 0);
}

static void resign(uint8_t report[1184]) {
    char err[512];
    if (elvm__snp_sim_sign(keys_a, report, err, sizeof err) < 0) fail_msg("%s", err);
}

/* ---- simulated round trips ------------------------------------------------------------------ */

static void test_sim_round_trip(void **state) {
    (void)state;
    uint8_t report[1184];
    char err[512];
    assert_int_equal(elvm_snp_get_report(ELVM_SNP_BACKEND_SIMULATED, keys_a, rd_a, report, err,
                                         sizeof err), 0);
    assert_string_equal(err, ELVM_SNP_SIMULATED_WARNING);
    elvm_snp_report r;
    assert_int_equal(elvm_snp_report_parse(report, sizeof report, &r, err, sizeof err), 0);
    assert_int_equal(r.version, 5);
    assert_true(r.simulated);
    assert_memory_equal(r.report_data, rd_a, 64);
    assert_int_equal(r.layout, ELVM_SNP_LAYOUT_MILAN_GENOA);
    assert_string_equal(elvm_snp_product_name(&r), "Genoa");
    assert_int_equal(r.reported_tcb.boot_loader, 10);
    assert_int_equal(r.reported_tcb.snp, 23);
    assert_int_equal(r.reported_tcb.microcode, 72);

    opts_holder h;
    load_opts(&h, keys_a, keys_a);
    h.o.report_data = rd_a;
    h.o.measurement = r.measurement;
    h.o.host_data = r.host_data;
    h.o.min_tcb = "bl=10,tee=0,snp=23,ucode=72";
    h.o.vmpl = 0;
    h.o.no_debug = 1;
    reasons why;
    if (verify(report, sizeof report, &h.o, &why) != 0) fail_msg("%s", why.all);
    free_opts(&h);
}

static void test_sim_json_is_marked(void **state) {
    (void)state;
    uint8_t report[1184];
    sim_report(report);
    elvm_snp_report r;
    char err[256], *text = NULL;
    size_t len = 0;
    assert_int_equal(elvm_snp_report_parse(report, sizeof report, &r, err, sizeof err), 0);
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(elvm_snp_report_json(&r, f), 0);
    fclose(f);
    assert_contains(text, "\"simulated\": true");
    assert_contains(text, "\"warning\": \"" ELVM_SNP_SIMULATED_WARNING "\"");
    assert_contains(text, "\"launch_mit_vector\"");
    assert_contains(text, "\"product\": \"Genoa\"");
    free(text);
}

static void test_sim_ext_report_cert_table(void **state) {
    (void)state;
    uint8_t report[1184], *certs;
    size_t certs_len;
    char err[512];
    assert_int_equal(elvm_snp_get_ext_report(ELVM_SNP_BACKEND_SIMULATED, keys_a, rd_a, report,
                                             &certs, &certs_len, err, sizeof err), 0);
    elvm_snp_cert_entry e[8];
    size_t n;
    assert_int_equal(elvm_snp_cert_table_parse(certs, certs_len, e, 8, &n, err, sizeof err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(e[0].kind, ELVM_SNP_CERT_VCEK);
    assert_int_equal(e[1].kind, ELVM_SNP_CERT_ASK);
    assert_int_equal(e[2].kind, ELVM_SNP_CERT_ARK);
    /* the certificates from the table verify the report */
    elvm_snp_verify_opts o = {.vmpl = -1};
    o.vcek = e[0].data;
    o.vcek_len = e[0].length;
    o.ask = e[1].data;
    o.ask_len = e[1].length;
    o.ark = e[2].data;
    o.ark_len = e[2].length;
    reasons why;
    if (verify(report, sizeof report, &o, &why) != 0) fail_msg("%s", why.all);
    free(certs);
}

/* ---- every signed byte matters -------------------------------------------------------------- */

static void test_every_signed_byte_flip_rejected(void **state) {
    (void)state;
    uint8_t report[1184], bad[1184];
    sim_report(report);
    opts_holder h;
    load_opts(&h, keys_a, NULL);
    reasons why;
    assert_int_equal(verify(report, sizeof report, &h.o, &why), 0);
    int by_signature = 0, by_structure = 0;
    for (size_t i = 0; i < ELVM_SNP_SIGNED_SIZE; i++) {
        static const uint8_t masks[] = {0x01, 0x80, 0xFF}; /* lowest bit, highest, all */
        for (size_t m = 0; m < sizeof masks; m++) {
            uint8_t mask = masks[m];
            memcpy(bad, report, sizeof bad);
            bad[i] ^= mask;
            if (verify(bad, sizeof bad, &h.o, &why) == 0)
                fail_msg("flipping bit 0x%02x of byte 0x%03zx was not noticed", mask, i);
            if (strstr(why.all, "does not verify")) by_signature++;
            else if (strstr(why.all, "malformed report") ||
                     strstr(why.all, "signature algorithm") || strstr(why.all, "not signed"))
                by_structure++;
            else fail_msg("byte 0x%03zx: unexpected reason:\n%s", i, why.all);
        }
    }
    assert_int_equal(by_signature + by_structure, 3 * ELVM_SNP_SIGNED_SIZE);
    /* most are caught by the signature itself, the rest by the structure checks first */
    assert_true(by_signature > ELVM_SNP_SIGNED_SIZE);
    assert_true(by_structure > 3 * 152);
    /* and the signature field itself: R and S */
    for (size_t i = 0x2A0; i < 0x2A0 + 48; i++) {
        memcpy(bad, report, sizeof bad);
        bad[i] ^= 0x01;
        assert_int_not_equal(verify(bad, sizeof bad, &h.o, &why), 0);
        bad[i] ^= 0x01;
        bad[i + 72] ^= 0x01;
        assert_int_not_equal(verify(bad, sizeof bad, &h.o, &why), 0);
        assert_contains(why.all, "does not verify");
    }
    free_opts(&h);
}

static void test_wrong_key_rejected(void **state) {
    (void)state;
    uint8_t report[1184];
    sim_report(report);
    opts_holder h;
    load_opts(&h, keys_b, keys_b); /* B's whole chain is fine, but B's VCEK did not sign */
    reasons why;
    assert_int_not_equal(verify(report, sizeof report, &h.o, &why), 0);
    assert_contains(why.all, "does not verify with the VCEK public key");
    assert_contains(why.all, "hwID"); /* B's VCEK is for another (simulated) chip */
    free_opts(&h);
}

static void test_wrong_chain_rejected(void **state) {
    (void)state;
    uint8_t report[1184];
    sim_report(report);
    opts_holder h;
    load_opts(&h, keys_a, keys_b); /* A's VCEK with B's ASK and ARK */
    reasons why;
    int n = verify(report, sizeof report, &h.o, &why);
    assert_true(n >= 1);
    assert_contains(why.all, "VCEK was not issued by ASK");
    assert_contains(why.all, "VCEK signature does not verify with the ASK public key");
    assert_true(strstr(why.all, "REPORT_DATA") == NULL); /* nothing else was wrong */
    free_opts(&h);

    /* A's ASK with B's ARK */
    load_opts(&h, keys_a, keys_a);
    free(h.bufs[2]);
    h.bufs[2] = slurp2(keys_b, "ark.pem", &h.o.ark_len);
    h.o.ark = h.bufs[2];
    assert_int_not_equal(verify(report, sizeof report, &h.o, &why), 0);
    assert_contains(why.all, "ASK signature does not verify with the ARK public key");
    free_opts(&h);

    /* AMD's real Milan root does not vouch for a simulated chain */
    load_opts(&h, keys_a, NULL);
    h.bufs[1] = slurp(SNP_TEST_DATA "/milan-ask.pem", &h.o.ask_len);
    h.bufs[2] = slurp(SNP_TEST_DATA "/milan-ark.pem", &h.o.ark_len);
    h.o.ask = h.bufs[1];
    h.o.ark = h.bufs[2];
    assert_int_not_equal(verify(report, sizeof report, &h.o, &why), 0);
    assert_contains(why.all, "VCEK signature does not verify with the ASK public key");
    free_opts(&h);
}

static void test_policy_checks(void **state) {
    (void)state;
    uint8_t report[1184], other[64] = {1};
    sim_report(report);
    opts_holder h;
    load_opts(&h, keys_a, keys_a);
    uint8_t meas[48] = {0}, host[32] = {1};
    h.o.report_data = other;
    h.o.measurement = meas;
    h.o.host_data = host;
    h.o.min_tcb = "bl=11,fmc=0,ucode=72";
    h.o.vmpl = 2;
    reasons why;
    assert_int_equal(verify(report, sizeof report, &h.o, &why), 5);
    assert_contains(why.all, "REPORT_DATA is a0a1");
    assert_contains(why.all, "MEASUREMENT is ");
    assert_contains(why.all, "HOST_DATA is 0000");
    assert_contains(why.all, "REPORTED_TCB bl is 10, below the minimum 11");
    assert_contains(why.all, "VMPL is 0, expected 2");

    /* debug: set the policy bit, re-sign, and --no-debug refuses it */
    h.o.report_data = NULL;
    h.o.measurement = NULL;
    h.o.host_data = NULL;
    h.o.min_tcb = "0x4817000000000009"; /* raw: bl 9, snp 23, ucode 72 */
    h.o.vmpl = -1;
    h.o.no_debug = 1;
    report[8 + 2] |= 0x08; /* policy bit 19 */
    resign(report);
    assert_int_equal(verify(report, sizeof report, &h.o, &why), 1);
    assert_contains(why.all, "allows debugging");
    free_opts(&h);
}

/* ---- malformed reports ---------------------------------------------------------------------- */

static void expect_parse_error(const uint8_t *buf, size_t len, const char *reason) {
    elvm_snp_report r;
    char err[512];
    if (elvm_snp_report_parse(buf, len, &r, err, sizeof err) == 0)
        fail_msg("parsed; expected \"%s\"", reason);
    assert_contains(err, reason);
    /* verify says the same, as its only failure */
    reasons why;
    elvm_snp_verify_opts o = {.vmpl = -1};
    assert_int_equal(verify(buf, len, &o, &why), 1);
    assert_contains(why.all, reason);
}

static void test_truncated_and_oversized(void **state) {
    (void)state;
    uint8_t report[1185];
    sim_report(report);
    report[1184] = 0;
    expect_parse_error(report, 1183, "1183 bytes; an ATTESTATION_REPORT is exactly 1184 bytes "
                       "(truncated)");
    expect_parse_error(report, 1185, "(oversized)");
    expect_parse_error(report, 0, "(truncated)");
}

static void test_unknown_versions(void **state) {
    (void)state;
    uint8_t report[1184];
    sim_report(report);
    const uint32_t bad[] = {0, 1, 4, 6, 0x100, 0xFFFFFFFF};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        elvm__snp_put_le32(report, bad[i]);
        resign(report);
        char want[80];
        snprintf(want, sizeof want, "unsupported report version %u", bad[i]);
        expect_parse_error(report, sizeof report, want);
    }
}

static void test_reserved_fields(void **state) {
    (void)state;
    uint8_t good[1184], r[1184];
    sim_report(good);
    /* every reserved byte of a version 5 report, one at a time (each re-signed so that only
     * the reserved check can object) */
    struct { size_t from, to; } v5[] = {{0x04C, 0x050}, {0x18B, 0x1A0}, {0x1EB, 0x1EC},
                                        {0x1EF, 0x1F0}, {0x208, 0x2A0}, {0x330, 0x4A0}};
    for (size_t k = 0; k < sizeof v5 / sizeof v5[0]; k++) {
        for (size_t i = v5[k].from; i < v5[k].to; i++) {
            memcpy(r, good, sizeof r);
            r[i] = 0x5A;
            if (i < 0x2A0) resign(r);
            char want[64];
            snprintf(want, sizeof want, "reserved byte 0x%03zx is 0x5a", i);
            elvm_snp_report rep;
            char err[512];
            if (elvm_snp_report_parse(r, sizeof r, &rep, err, sizeof err) == 0)
                fail_msg("reserved byte 0x%03zx accepted", i);
            assert_contains(err, want);
        }
    }
    /* bits and values the ABI reserves */
    struct { size_t at; uint8_t x; const char *why; } bits[] = {
        {0x008 + 2, 0x02, "reserved bit 17 must be one"},       /* clears bit 17 */
        {0x008 + 3, 0x04, "reserved bits 63:26 must be zero"},  /* bit 26 */
        {0x008 + 7, 0x80, "reserved bits 63:26 must be zero"},  /* bit 63 */
        {0x040 + 1, 0x01, "reserved bits 63:8 must be zero"},   /* platform info bit 8 */
        {0x048, 0x20, "reserved bits 31:5 must be zero"},       /* key info bit 5 */
        {0x048, 0x08, "SIGNING_KEY 2 is reserved"},
        {0x030, 0x04, "VMPL 4 is out of range"},
        {0x038 + 3, 0x01, "CURRENT_TCB 0x"},                    /* Milan/Genoa reserved byte */
        {0x180 + 2, 0x01, "REPORTED_TCB 0x"},
        {0x1E0 + 5, 0x01, "COMMITTED_TCB 0x"},
        {0x1F0 + 4, 0x01, "LAUNCH_TCB 0x"},
    };
    for (size_t k = 0; k < sizeof bits / sizeof bits[0]; k++) {
        memcpy(r, good, sizeof r);
        r[bits[k].at] ^= bits[k].x;
        resign(r);
        expect_parse_error(r, sizeof r, bits[k].why);
    }
    /* version 3: the mitigation vectors are reserved */
    memcpy(r, good, sizeof r);
    r[0] = 3;
    r[0x1F8] = 1;
    resign(r);
    expect_parse_error(r, sizeof r, "reserved byte 0x1f8 is 0x01");
    /* version 2: the CPUID bytes are reserved */
    memcpy(r, good, sizeof r);
    r[0] = 2;
    resign(r);
    expect_parse_error(r, sizeof r, "reserved byte 0x188 is 0x19");
}

/* Builds a report of `version` from the simulated one and checks it verifies. */
static void test_versions_2_3_5(void **state) {
    (void)state;
    uint8_t r[1184];
    opts_holder h;
    load_opts(&h, keys_a, keys_a);
    h.o.report_data = rd_a;
    reasons why;
    for (int v = 2; v <= 5; v++) {
        if (v == 4) continue;
        sim_report(r);
        r[0] = (uint8_t)v;
        if (v == 2) memset(r + 0x188, 0, 3); /* no CPUID fields */
        resign(r);
        elvm_snp_report rep;
        char err[512];
        if (elvm_snp_report_parse(r, sizeof r, &rep, err, sizeof err) < 0) fail_msg("%s", err);
        assert_int_equal(rep.version, (uint32_t)v);
        assert_int_equal(rep.has_cpuid, v >= 3);
        assert_int_equal(rep.has_mit_vectors, v >= 5);
        assert_int_equal(rep.layout, ELVM_SNP_LAYOUT_MILAN_GENOA);
        if (verify(r, sizeof r, &h.o, &why) != 0) fail_msg("version %d: %s", v, why.all);
    }
    free_opts(&h);
}

static void test_tcb_layouts(void **state) {
    (void)state;
    uint8_t r[1184];
    char err[512];
    elvm_snp_report rep;
    /* Turin (family 0x1A): FMC, BL, TEE, SNP, 3 reserved, MICROCODE */
    sim_report(r);
    r[0] = 3;
    r[0x188] = 0x1A;
    r[0x189] = 0x02;
    const uint8_t turin_tcb[8] = {1, 2, 3, 4, 0, 0, 0, 9};
    for (size_t off = 0x38; off; off = off == 0x38 ? 0x180 : off == 0x180 ? 0x1E0
                                      : off == 0x1E0 ? 0x1F0 : 0)
        memcpy(r + off, turin_tcb, 8);
    resign(r);
    assert_int_equal(elvm_snp_report_parse(r, sizeof r, &rep, err, sizeof err), 0);
    assert_int_equal(rep.layout, ELVM_SNP_LAYOUT_TURIN);
    assert_string_equal(elvm_snp_product_name(&rep), "Turin");
    assert_int_equal(rep.reported_tcb.fmc, 1);
    assert_int_equal(rep.reported_tcb.boot_loader, 2);
    assert_int_equal(rep.reported_tcb.tee, 3);
    assert_int_equal(rep.reported_tcb.snp, 4);
    assert_int_equal(rep.reported_tcb.microcode, 9);
    /* a Genoa-layout TCB read as Turin has a non-zero "reserved" byte 6 */
    sim_report(r);
    r[0] = 3;
    r[0x188] = 0x1A;
    resign(r);
    expect_parse_error(r, sizeof r, "reserved bytes of the Turin TCB layout must be zero");
    /* and the VCEK for a Genoa says so when a report claims Turin */
    memcpy(r + 0x38, turin_tcb, 8);
    memcpy(r + 0x180, turin_tcb, 8);
    memcpy(r + 0x1E0, turin_tcb, 8);
    memcpy(r + 0x1F0, turin_tcb, 8);
    resign(r);
    opts_holder h;
    load_opts(&h, keys_a, NULL);
    reasons why;
    assert_int_not_equal(verify(r, sizeof r, &h.o, &why), 0);
    assert_contains(why.all, "VCEK is for product Genoa but the report uses the Turin TCB layout");
    assert_contains(why.all, "VCEK boot loader SPL is 10 but the report's REPORTED_TCB says 2");
    free_opts(&h);
    /* Milan/Genoa decode */
    elvm_snp_tcb t = elvm_snp_tcb_decode(0x7308000000000003ull, ELVM_SNP_LAYOUT_MILAN_GENOA);
    assert_int_equal(t.boot_loader, 3);
    assert_int_equal(t.tee, 0);
    assert_int_equal(t.snp, 8);
    assert_int_equal(t.microcode, 0x73);
    /* version 2 has no CPUID: a Turin-shaped (8-byte) chip id selects the Turin layout */
    sim_report(r);
    r[0] = 2;
    memset(r + 0x188, 0, 3);
    memset(r + 0x1A0 + 8, 0, 56);
    for (size_t off = 0x38; off; off = off == 0x38 ? 0x180 : off == 0x180 ? 0x1E0
                                      : off == 0x1E0 ? 0x1F0 : 0)
        memcpy(r + off, turin_tcb, 8);
    resign(r);
    assert_int_equal(elvm_snp_report_parse(r, sizeof r, &rep, err, sizeof err), 0);
    assert_int_equal(rep.layout, ELVM_SNP_LAYOUT_TURIN);
    /* an unknown CPUID family cannot be decoded */
    sim_report(r);
    r[0x188] = 0x17;
    resign(r);
    expect_parse_error(r, sizeof r, "unknown CPUID family 0x17");
}

static void test_min_tcb_parse(void **state) {
    (void)state;
    elvm_snp_tcb t;
    unsigned set;
    char err[256];
    assert_int_equal(elvm__snp_min_tcb_parse("bl=3,tee=1,snp=8,ucode=115,fmc=2",
                                             ELVM_SNP_LAYOUT_TURIN, &t, &set, err, sizeof err), 0);
    assert_int_equal(set, 31);
    assert_int_equal(t.microcode, 115);
    assert_int_equal(t.fmc, 2);
    assert_int_equal(elvm__snp_min_tcb_parse("microcode=0x10", ELVM_SNP_LAYOUT_MILAN_GENOA, &t,
                                             &set, err, sizeof err), 0);
    assert_int_equal(set, 16);
    assert_int_equal(t.microcode, 16);
    const char *bad[] = {"", "bl", "bl=", "bl=256", "xyz=1", "bl=1,", "bl=1;tee=2", "0x", "0xzz"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (elvm__snp_min_tcb_parse(bad[i], ELVM_SNP_LAYOUT_MILAN_GENOA, &t, &set, err,
                                    sizeof err) == 0)
            fail_msg("min-tcb \"%s\" accepted", bad[i]);
    }
}

/* ---- a real report (virtee/sev test data) and AMD's chain --------------------------------- */

static const int64_t JAN_2026 = 1767225600; /* inside every fixture certificate's validity */

static void test_real_milan_report(void **state) {
    (void)state;
    size_t len;
    uint8_t *report = slurp(SNP_TEST_DATA "/milan-report.bin", &len);
    elvm_snp_verify_opts o = {.vmpl = 0, .no_debug = 1, .at = JAN_2026};
    uint8_t *vcek = slurp(SNP_TEST_DATA "/milan-vcek.der", &o.vcek_len);
    uint8_t *ask = slurp(SNP_TEST_DATA "/milan-ask.pem", &o.ask_len);
    uint8_t *ark = slurp(SNP_TEST_DATA "/milan-ark.pem", &o.ark_len);
    o.vcek = vcek;
    o.ask = ask;
    o.ark = ark;
    o.min_tcb = "bl=3,tee=0,snp=8,ucode=115";
    reasons why;
    if (verify(report, len, &o, &why) != 0) fail_msg("%s", why.all);

    elvm_snp_report r;
    char err[256];
    assert_int_equal(elvm_snp_report_parse(report, len, &r, err, sizeof err), 0);
    assert_int_equal(r.version, 2);
    assert_false(r.simulated);
    assert_int_equal(r.current_major, 1);
    assert_int_equal(r.current_minor, 52);
    assert_int_equal(r.current_build, 4);

    /* one flipped bit in the signed part, and in REPORT_DATA */
    report[21] ^= 0x80;
    assert_int_not_equal(verify(report, len, &o, &why), 0);
    report[21] ^= 0x80;
    report[0x50] ^= 0x01;
    assert_int_equal(verify(report, len, &o, &why), 1);
    assert_contains(why.all, "does not verify with the VCEK public key");
    report[0x50] ^= 0x01;

    /* a TCB above what the chip runs */
    o.min_tcb = "snp=9";
    assert_int_equal(verify(report, len, &o, &why), 1);
    assert_contains(why.all, "REPORTED_TCB snp is 8, below the minimum 9");
    o.min_tcb = NULL;

    /* the Turin root does not vouch for a Milan VCEK */
    uint8_t *task = slurp(SNP_TEST_DATA "/turin-ask.pem", &o.ask_len);
    uint8_t *tark = slurp(SNP_TEST_DATA "/turin-ark.pem", &o.ark_len);
    o.ask = task;
    o.ark = tark;
    assert_int_not_equal(verify(report, len, &o, &why), 0);
    assert_contains(why.all, "VCEK was not issued by ASK");

    /* certificates expire: the VCEK is valid until 2030-04-03 */
    o.ask = NULL;
    o.ark = NULL;
    o.at = 1956528000; /* 2032 */
    assert_int_equal(verify(report, len, &o, &why), 1);
    assert_contains(why.all, "VCEK has expired");
    free(task);
    free(tark);
    free(report);
    free(vcek);
    free(ask);
    free(ark);
}

/* The Turin VCEK and chain from the test data, with a report shaped for that chip: everything
 * but the signature holds (no real Turin report is published with its VCEK), which exercises
 * the 8-byte Turin hwID, the FMC SPL and the Turin chain. */
static void test_real_turin_vcek(void **state) {
    (void)state;
    uint8_t r[1184];
    sim_report(r);
    r[0] = 3;
    r[0x188] = 0x1A;
    r[0x189] = 0x02;
    const uint8_t tcb[8] = {0, 0, 0, 0, 0, 0, 0, 9}; /* fmc 0 bl 0 tee 0 snp 0 ucode 9 */
    memcpy(r + 0x38, tcb, 8);
    memcpy(r + 0x180, tcb, 8);
    memcpy(r + 0x1E0, tcb, 8);
    memcpy(r + 0x1F0, tcb, 8);
    const uint8_t hwid[8] = {0x1e, 0x55, 0x0a, 0x8e, 0xe5, 0xcf, 0x9f, 0x4d};
    memset(r + 0x1A0, 0, 64);
    memcpy(r + 0x1A0, hwid, 8);
    resign(r);
    elvm_snp_verify_opts o = {.vmpl = -1, .at = JAN_2026};
    uint8_t *vcek = slurp(SNP_TEST_DATA "/turin-vcek.der", &o.vcek_len);
    uint8_t *ask = slurp(SNP_TEST_DATA "/turin-ask.pem", &o.ask_len);
    uint8_t *ark = slurp(SNP_TEST_DATA "/turin-ark.pem", &o.ark_len);
    o.vcek = vcek;
    o.ask = ask;
    o.ark = ark;
    reasons why;
    assert_int_equal(verify(r, sizeof r, &o, &why), 1);
    assert_contains(why.all, "signature over bytes 0x000-0x29F does not verify");
    /* a different chip id or FMC is noticed */
    r[0x1A0] ^= 1;
    r[0x38] = r[0x180] = 1;
    resign(r);
    assert_int_equal(verify(r, sizeof r, &o, &why), 3);
    assert_contains(why.all, "VCEK hwID 1e550a8ee5cf9f4d does not match");
    assert_contains(why.all, "VCEK FMC SPL is 0 but the report's REPORTED_TCB says 1");
    free(vcek);
    free(ask);
    free(ark);
}

/* ---- configfs-tsm against a fake directory -------------------------------------------------- */

static struct {
    int concurrent;       /* another writer bumps generation whenever outblob is read */
    const char *provider; /* what the provider attribute says */
    int outblob_reads;
} fake_tsm;

static uint64_t read_num(const char *dir, const char *name) {
    size_t len;
    uint8_t *b = slurp2(dir, name, &len);
    uint64_t v = strtoull((const char *)b, NULL, 10);
    free(b);
    return v;
}

static void write_text(const char *dir, const char *name, const char *text) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    spit(path, text, strlen(text));
}

static void bump_generation(const char *dir) {
    char num[32];
    snprintf(num, sizeof num, "%llu\n", (unsigned long long)read_num(dir, "generation") + 1);
    write_text(dir, "generation", num);
}

/* Plays configfs-tsm: mkdir makes the attributes, writing inblob makes a report (signed with
 * the simulated key set A) and bumps generation. */
static void fake_tsm_hook(const char *dir, const char *event, const char *file) {
    if (!strcmp(event, "mkdir")) {
        write_text(dir, "provider", fake_tsm.provider);
        write_text(dir, "generation", "0\n");
        write_text(dir, "privlevel_floor", "0\n");
        write_text(dir, "inblob", "");
        write_text(dir, "outblob", "");
        write_text(dir, "auxblob", "");
    } else if (!strcmp(event, "write") && !strcmp(file, "inblob")) {
        size_t len;
        uint8_t *in = slurp2(dir, "inblob", &len), report[1184], *certs;
        size_t certs_len;
        char err[512], path[600];
        assert_int_equal(len, 64);
        assert_int_equal(elvm__snp_sim_report(keys_a, in, report, err, sizeof err), 0);
        assert_int_equal(elvm__snp_sim_cert_table(keys_a, &certs, &certs_len, err, sizeof err), 0);
        snprintf(path, sizeof path, "%s/outblob", dir);
        spit(path, report, sizeof report);
        snprintf(path, sizeof path, "%s/auxblob", dir);
        spit(path, certs, certs_len);
        free(certs);
        free(in);
        bump_generation(dir);
    } else if (!strcmp(event, "read") && !strcmp(file, "outblob")) {
        fake_tsm.outblob_reads++;
        if (fake_tsm.concurrent) bump_generation(dir);
    } else if (!strcmp(event, "rmdir")) {
        const char *names[] = {"provider", "generation", "privlevel_floor", "inblob", "outblob",
                               "auxblob"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            char path[600];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            unlink(path);
        }
    }
}

static char tsm_root[300];
static unsigned sleeps;
static void no_sleep(unsigned ms) {
    (void)ms;
    sleeps++;
}

static int tsm_setup(void **state) {
    (void)state;
    snprintf(tsm_root, sizeof tsm_root, "%s/tsm-report", tmp);
    mkdir(tsm_root, 0700);
    elvm__snp_tsm_root = tsm_root;
    elvm__snp_tsm_hook = fake_tsm_hook;
    elvm__snp_dev_path = "/nonexistent/sev-guest";
    elvm__snp_sleep_ms = no_sleep;
    memset(&fake_tsm, 0, sizeof fake_tsm);
    fake_tsm.provider = "sev_guest\n";
    sleeps = 0;
    return 0;
}

static int tsm_teardown(void **state) {
    (void)state;
    elvm__snp_tsm_hook = NULL;
    elvm__snp_tsm_root = "/sys/kernel/config/tsm/report";
    elvm__snp_dev_path = "/dev/sev-guest";
    return 0;
}

static int dir_is_empty(const char *dir) {
    char cmd[400];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", dir);
    return system(cmd) == 0;
}

static void test_tsm_report(void **state) {
    (void)state;
    assert_int_equal(elvm_snp_detect(), ELVM_SNP_BACKEND_TSM);
    uint8_t report[1184], *aux;
    size_t aux_len;
    char err[512];
    if (elvm_snp_get_ext_report(ELVM_SNP_BACKEND_AUTO, NULL, rd_a, report, &aux, &aux_len, err,
                                sizeof err) < 0)
        fail_msg("%s", err);
    elvm_snp_report r;
    assert_int_equal(elvm_snp_report_parse(report, sizeof report, &r, err, sizeof err), 0);
    assert_memory_equal(r.report_data, rd_a, 64);
    elvm_snp_cert_entry e[4];
    size_t n;
    assert_int_equal(elvm_snp_cert_table_parse(aux, aux_len, e, 4, &n, err, sizeof err), 0);
    assert_int_equal(n, 3);
    free(aux);
    assert_true(dir_is_empty(tsm_root)); /* the entry was removed */
    assert_int_equal(elvm_snp_get_report(ELVM_SNP_BACKEND_TSM, NULL, rd_a, report, err,
                                         sizeof err), 0);
    assert_int_equal(sleeps, 0);
}

static void test_tsm_generation_mismatch(void **state) {
    (void)state;
    fake_tsm.concurrent = 1;
    uint8_t report[1184];
    char err[512];
    assert_int_equal(elvm_snp_get_report(ELVM_SNP_BACKEND_TSM, NULL, rd_a, report, err,
                                         sizeof err), -1);
    assert_contains(err, "a concurrent writer changed");
    /* the third attempt: 4 before, our write makes 5, the other writer 6 */
    assert_contains(err, "generation 4 before our inblob write, 6 after reading outblob, "
                    "expected 5");
    assert_int_equal(fake_tsm.outblob_reads, 3); /* retried, then gave up */
    assert_int_equal(sleeps, 2);
    assert_true(dir_is_empty(tsm_root));
}

static void test_tsm_wrong_provider_and_missing(void **state) {
    (void)state;
    fake_tsm.provider = "tdx_guest\n";
    assert_int_equal(elvm_snp_detect(), ELVM_SNP_BACKEND_NONE);
    uint8_t report[1184];
    char err[512];
    assert_int_equal(elvm_snp_get_report(ELVM_SNP_BACKEND_TSM, NULL, rd_a, report, err,
                                         sizeof err), -1);
    assert_contains(err, "provider is \"tdx_guest\", not sev_guest");
    assert_int_equal(elvm_snp_get_report(ELVM_SNP_BACKEND_AUTO, NULL, rd_a, report, err,
                                         sizeof err), -1);
    assert_contains(err, "no SEV-SNP attestation here");
    elvm__snp_tsm_root = "/nonexistent/tsm/report";
    assert_int_equal(elvm_snp_get_report(ELVM_SNP_BACKEND_TSM, NULL, rd_a, report, err,
                                         sizeof err), -1);
    assert_contains(err, "no configfs-tsm");
    /* detection never picks the simulated backend */
    assert_int_equal(elvm_snp_detect(), ELVM_SNP_BACKEND_NONE);
    /* and key derivation needs /dev/sev-guest */
    uint8_t key[32];
    assert_int_equal(elvm_snp_derive_key(ELVM_SNP_BACKEND_TSM, NULL, "x", key, err, sizeof err),
                     -1);
    assert_contains(err, "configfs-tsm has no key derivation");
}

/* ---- sev-guest against a fake driver --------------------------------------------------------- */

static struct {
    int calls;
    int fail_times;        /* fail this many calls first */
    int fail_errno;
    uint64_t fail_exitinfo2;
    uint32_t need_certs;   /* SNP_GET_EXT_REPORT: bytes the host wants */
    uint32_t resp_status;  /* MSG_*_RSP status */
    unsigned long last_cmd;
} fake_dev;

static const uint8_t fake_vmpck_key[32] = {0x11, 0x22, 0x33};

static int fake_ioctl(int fd, unsigned long cmd, void *arg) {
    (void)fd;
    struct snp_guest_request_ioctl *rio = arg;
    fake_dev.calls++;
    fake_dev.last_cmd = cmd;
    assert_int_equal(rio->msg_version, 1);
    if (fake_dev.fail_times > 0) {
        fake_dev.fail_times--;
        rio->exitinfo2 = fake_dev.fail_exitinfo2;
        errno = fake_dev.fail_errno;
        return -1;
    }
    char err[512];
    if (cmd == SNP_GET_REPORT || cmd == SNP_GET_EXT_REPORT) {
        struct snp_report_req *req;
        struct snp_report_resp *resp = (void *)(uintptr_t)rio->resp_data;
        if (cmd == SNP_GET_EXT_REPORT) {
            struct snp_ext_report_req *ext = (void *)(uintptr_t)rio->req_data;
            req = &ext->data;
            assert_int_equal(ext->certs_len % 4096, 0);
            if (ext->certs_len < fake_dev.need_certs) {
                /* as the driver does: report the size and fail with VMM INVALID_LEN */
                ext->certs_len = fake_dev.need_certs;
                rio->exitinfo2 = (uint64_t)1 << 32;
                errno = EIO;
                return -1;
            }
            uint8_t *certs;
            size_t certs_len;
            assert_int_equal(elvm__snp_sim_cert_table(keys_a, &certs, &certs_len, err,
                                                      sizeof err), 0);
            assert_true(certs_len <= ext->certs_len);
            memcpy((void *)(uintptr_t)ext->certs_address, certs, certs_len);
            free(certs);
        } else {
            req = (void *)(uintptr_t)rio->req_data;
        }
        assert_int_equal(req->vmpl, 0);
        memset(resp, 0, sizeof *resp);
        elvm__snp_put_le32(resp->data, fake_dev.resp_status);
        elvm__snp_put_le32(resp->data + 4, 1184);
        assert_int_equal(elvm__snp_sim_report(keys_a, req->user_data, resp->data + 0x20, err,
                                              sizeof err), 0);
        return 0;
    }
    if (cmd == SNP_GET_DERIVED_KEY) {
        struct snp_derived_key_req *req = (void *)(uintptr_t)rio->req_data;
        struct snp_derived_key_resp *resp = (void *)(uintptr_t)rio->resp_data;
        assert_int_equal(req->root_key_select, 0);              /* VCEK */
        assert_int_equal(req->guest_field_select, 0x1 | 0x8);   /* policy | measurement */
        assert_int_equal(req->vmpl, 0);
        memset(resp, 0, sizeof *resp);
        elvm__snp_put_le32(resp->data, fake_dev.resp_status);
        memcpy(resp->data + 0x20, fake_vmpck_key, 32);
        return 0;
    }
    errno = ENOTTY;
    return -1;
}

static char dev_path[300];

static int dev_setup(void **state) {
    (void)state;
    snprintf(dev_path, sizeof dev_path, "%s/sev-guest", tmp);
    spit(dev_path, "", 0);
    elvm__snp_dev_path = dev_path;
    elvm__snp_ioctl = fake_ioctl;
    elvm__snp_sleep_ms = no_sleep;
    elvm__snp_tsm_root = "/nonexistent/tsm/report";
    memset(&fake_dev, 0, sizeof fake_dev);
    sleeps = 0;
    return 0;
}

static int dev_teardown(void **state) {
    (void)state;
    elvm__snp_dev_path = "/dev/sev-guest";
    elvm__snp_tsm_root = "/sys/kernel/config/tsm/report";
    return 0;
}

static void test_sevguest_report(void **state) {
    (void)state;
    assert_int_equal(elvm_snp_detect(), ELVM_SNP_BACKEND_SEV_GUEST);
    uint8_t report[1184];
    char err[512];
    if (elvm_snp_get_report(ELVM_SNP_BACKEND_AUTO, NULL, rd_a, report, err, sizeof err) < 0)
        fail_msg("%s", err);
    assert_int_equal(fake_dev.last_cmd, SNP_GET_REPORT);
    opts_holder h;
    load_opts(&h, keys_a, keys_a);
    h.o.report_data = rd_a;
    reasons why;
    if (verify(report, sizeof report, &h.o, &why) != 0) fail_msg("%s", why.all);
    free_opts(&h);
}

static void test_sevguest_ext_report_retries_with_host_size(void **state) {
    (void)state;
    fake_dev.need_certs = 3 * 4096;
    uint8_t report[1184], *certs;
    size_t certs_len;
    char err[512];
    if (elvm_snp_get_ext_report(ELVM_SNP_BACKEND_SEV_GUEST, NULL, rd_a, report, &certs,
                                &certs_len, err, sizeof err) < 0)
        fail_msg("%s", err);
    assert_int_equal(fake_dev.calls, 2); /* 4096 was too small, then 12288 */
    assert_int_equal(certs_len, 3 * 4096);
    elvm_snp_cert_entry e[4];
    size_t n;
    assert_int_equal(elvm_snp_cert_table_parse(certs, certs_len, e, 4, &n, err, sizeof err), 0);
    assert_int_equal(n, 3);
    free(certs);
    /* a host asking for more than the driver can carry */
    fake_dev.calls = 0;
    fake_dev.need_certs = 64 * 4096;
    assert_int_equal(elvm_snp_get_ext_report(ELVM_SNP_BACKEND_SEV_GUEST, NULL, rd_a, report,
                                             &certs, &certs_len, err, sizeof err), -1);
    assert_contains(err, "the host needs a 262144-byte certificate buffer");
}

static void test_sevguest_errors(void **state) {
    (void)state;
    uint8_t report[1184];
    char err[512];
    /* firmware error */
    fake_dev.fail_times = 1;
    fake_dev.fail_errno = EIO;
    fake_dev.fail_exitinfo2 = 0x16;
    assert_int_equal(elvm_snp_get_report(ELVM_SNP_BACKEND_SEV_GUEST, NULL, rd_a, report, err,
                                         sizeof err), -1);
    assert_contains(err, "SNP_GET_REPORT: Input/output error (firmware error 0x16 INVALID_PARAM");
    /* busy host: retried, then succeeds */
    fake_dev.fail_times = 2;
    fake_dev.fail_errno = EAGAIN;
    fake_dev.fail_exitinfo2 = (uint64_t)2 << 32;
    fake_dev.calls = 0;
    assert_int_equal(elvm_snp_get_report(ELVM_SNP_BACKEND_SEV_GUEST, NULL, rd_a, report, err,
                                         sizeof err), 0);
    assert_int_equal(fake_dev.calls, 3);
    assert_int_equal(sleeps, 2);
    /* busy for good */
    fake_dev.fail_times = 5;
    assert_int_equal(elvm_snp_get_report(ELVM_SNP_BACKEND_SEV_GUEST, NULL, rd_a, report, err,
                                         sizeof err), -1);
    assert_contains(err, "host busy");
    /* the driver already retried for its whole timeout: no more attempts */
    fake_dev.fail_times = 1;
    fake_dev.fail_errno = ETIMEDOUT;
    fake_dev.calls = 0;
    assert_int_equal(elvm_snp_get_report(ELVM_SNP_BACKEND_SEV_GUEST, NULL, rd_a, report, err,
                                         sizeof err), -1);
    assert_int_equal(fake_dev.calls, 1);
    assert_contains(err, "retried a busy host for its full timeout");
    /* VMPCK disabled */
    fake_dev.fail_times = 1;
    fake_dev.fail_errno = ENOTTY;
    fake_dev.fail_exitinfo2 = 0xff;
    assert_int_equal(elvm_snp_get_report(ELVM_SNP_BACKEND_SEV_GUEST, NULL, rd_a, report, err,
                                         sizeof err), -1);
    assert_contains(err, "reboot the guest");
    /* a firmware status in MSG_REPORT_RSP */
    fake_dev.resp_status = 0x27;
    assert_int_equal(elvm_snp_get_report(ELVM_SNP_BACKEND_SEV_GUEST, NULL, rd_a, report, err,
                                         sizeof err), -1);
    assert_contains(err, "MSG_REPORT_RSP status 0x27 INVALID_KEY");
    /* no device */
    elvm__snp_dev_path = "/nonexistent/sev-guest";
    fake_dev.resp_status = 0;
    assert_int_equal(elvm_snp_get_report(ELVM_SNP_BACKEND_SEV_GUEST, NULL, rd_a, report, err,
                                         sizeof err), -1);
    assert_contains(err, "not an SEV-SNP guest");
}

static void test_sevguest_sealing_key(void **state) {
    (void)state;
    uint8_t k1[32], k2[32], k3[32], want[32];
    char err[512];
    assert_int_equal(elvm_snp_derive_key(ELVM_SNP_BACKEND_AUTO, NULL, "storage", k1, err,
                                         sizeof err), 0);
    assert_string_equal(err, "");
    assert_int_equal(elvm__snp_hkdf(fake_vmpck_key, 32, ELVM__SNP_SEAL_SALT,
                                    (const uint8_t *)"storage", 7, want, 32), 0);
    assert_memory_equal(k1, want, 32);
    assert_int_equal(elvm_snp_derive_key(ELVM_SNP_BACKEND_SEV_GUEST, NULL, "storage", k2, err,
                                         sizeof err), 0);
    assert_memory_equal(k1, k2, 32);
    assert_int_equal(elvm_snp_derive_key(ELVM_SNP_BACKEND_SEV_GUEST, NULL, "other", k3, err,
                                         sizeof err), 0);
    assert_memory_not_equal(k1, k3, 32);
    fake_dev.resp_status = 0x16;
    assert_int_equal(elvm_snp_derive_key(ELVM_SNP_BACKEND_SEV_GUEST, NULL, "x", k3, err,
                                         sizeof err), -1);
    assert_contains(err, "MSG_KEY_RSP status 0x16 INVALID_PARAM");
}

static void test_sim_sealing_key(void **state) {
    (void)state;
    uint8_t a1[32], a2[32], b1[32], other[32];
    char err[512];
    assert_int_equal(elvm_snp_derive_key(ELVM_SNP_BACKEND_SIMULATED, keys_a, "storage", a1, err,
                                         sizeof err), 0);
    assert_string_equal(err, ELVM_SNP_SIMULATED_WARNING);
    assert_int_equal(elvm_snp_derive_key(ELVM_SNP_BACKEND_SIMULATED, keys_a, "storage", a2, err,
                                         sizeof err), 0);
    assert_memory_equal(a1, a2, 32);
    assert_int_equal(elvm_snp_derive_key(ELVM_SNP_BACKEND_SIMULATED, keys_b, "storage", b1, err,
                                         sizeof err), 0);
    assert_memory_not_equal(a1, b1, 32);
    assert_int_equal(elvm_snp_derive_key(ELVM_SNP_BACKEND_SIMULATED, keys_a, "storage2", other,
                                         err, sizeof err), 0);
    assert_memory_not_equal(a1, other, 32);
    assert_int_equal(elvm_snp_derive_key(ELVM_SNP_BACKEND_SIMULATED, NULL, "storage", a1, err,
                                         sizeof err), -1);
    assert_contains(err, "simulate-keys");
}

/* ---- exitinfo2, names, certificate tables ---------------------------------------------------- */

static void test_exitinfo2(void **state) {
    (void)state;
    struct { uint64_t v; const char *want; } cases[] = {
        {0, "no error"},
        {0xff, "rejected the request before it reached the host"},
        {(uint64_t)1 << 32, "certificate buffer too small"},
        {(uint64_t)2 << 32, "host busy"},
        {(uint64_t)0xFFFFFFFF << 32, "GENERIC"},
        {(uint64_t)7 << 32, "unknown VMM error 7"},
        {0x16, "firmware error 0x16 INVALID_PARAM"},
        {0x27, "firmware error 0x27 INVALID_KEY"},
        {0x07, "POLICY_FAILURE"},
        {0xFFFFFFFF, "the firmware was not called"},
        {0x99, "firmware error 0x99 (unknown status code)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[256];
        elvm_snp_exitinfo2_str(cases[i].v, buf, sizeof buf);
        assert_contains(buf, cases[i].want);
    }
}

static void test_backend_names(void **state) {
    (void)state;
    assert_string_equal(elvm_snp_backend_name(ELVM_SNP_BACKEND_SEV_GUEST), "sev-guest");
    assert_string_equal(elvm_snp_backend_name(ELVM_SNP_BACKEND_TSM), "tsm");
    assert_string_equal(elvm_snp_backend_name(ELVM_SNP_BACKEND_SIMULATED), "simulated");
    assert_string_equal(elvm_snp_backend_name(ELVM_SNP_BACKEND_NONE), "none");
    assert_int_equal(elvm_snp_backend_parse("simulated"), ELVM_SNP_BACKEND_SIMULATED);
    assert_int_equal(elvm_snp_backend_parse("auto"), ELVM_SNP_BACKEND_AUTO);
    assert_int_equal(elvm_snp_backend_parse("sgx"), -1);
}

static void test_cert_table(void **state) {
    (void)state;
    uint8_t blob[24 * 3 + 8] = {0};
    /* the VCEK GUID in mixed-endian (EFI) byte order, then an unknown GUID */
    const uint8_t vcek_le[16] = {0x8d, 0x75, 0xda, 0x63, 0x64, 0xe6, 0x64, 0x45,
                                 0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd};
    memcpy(blob, vcek_le, 16);
    elvm__snp_put_le32(blob + 16, 72);
    elvm__snp_put_le32(blob + 20, 4);
    memset(blob + 24, 0x42, 16);
    elvm__snp_put_le32(blob + 24 + 16, 76);
    elvm__snp_put_le32(blob + 24 + 20, 4);
    elvm_snp_cert_entry e[4];
    size_t n;
    char err[256];
    assert_int_equal(elvm_snp_cert_table_parse(blob, sizeof blob, e, 4, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(e[0].kind, ELVM_SNP_CERT_VCEK);
    assert_int_equal(e[1].kind, ELVM_SNP_CERT_OTHER);
    assert_ptr_equal(e[1].data, blob + 76);
    /* an entry pointing outside the blob */
    elvm__snp_put_le32(blob + 24 + 16, 78);
    assert_int_equal(elvm_snp_cert_table_parse(blob, sizeof blob, e, 4, &n, err, sizeof err), -1);
    assert_contains(err, "do not fit");
    /* no terminator: one entry fills the blob */
    uint8_t one[24] = {0};
    memcpy(one, vcek_le, 16);
    elvm__snp_put_le32(one + 20, 24);
    assert_int_equal(elvm_snp_cert_table_parse(one, sizeof one, e, 4, &n, err, sizeof err), -1);
    assert_contains(err, "no all-zero terminating entry");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_round_trip),
        cmocka_unit_test(test_sim_json_is_marked),
        cmocka_unit_test(test_sim_ext_report_cert_table),
        cmocka_unit_test(test_every_signed_byte_flip_rejected),
        cmocka_unit_test(test_wrong_key_rejected),
        cmocka_unit_test(test_wrong_chain_rejected),
        cmocka_unit_test(test_policy_checks),
        cmocka_unit_test(test_truncated_and_oversized),
        cmocka_unit_test(test_unknown_versions),
        cmocka_unit_test(test_reserved_fields),
        cmocka_unit_test(test_versions_2_3_5),
        cmocka_unit_test(test_tcb_layouts),
        cmocka_unit_test(test_min_tcb_parse),
        cmocka_unit_test(test_real_milan_report),
        cmocka_unit_test(test_real_turin_vcek),
        cmocka_unit_test_setup_teardown(test_tsm_report, tsm_setup, tsm_teardown),
        cmocka_unit_test_setup_teardown(test_tsm_generation_mismatch, tsm_setup, tsm_teardown),
        cmocka_unit_test_setup_teardown(test_tsm_wrong_provider_and_missing, tsm_setup,
                                        tsm_teardown),
        cmocka_unit_test_setup_teardown(test_sevguest_report, dev_setup, dev_teardown),
        cmocka_unit_test_setup_teardown(test_sevguest_ext_report_retries_with_host_size,
                                        dev_setup, dev_teardown),
        cmocka_unit_test_setup_teardown(test_sevguest_errors, dev_setup, dev_teardown),
        cmocka_unit_test_setup_teardown(test_sevguest_sealing_key, dev_setup, dev_teardown),
        cmocka_unit_test(test_sim_sealing_key),
        cmocka_unit_test(test_exitinfo2),
        cmocka_unit_test(test_backend_names),
        cmocka_unit_test(test_cert_table),
    };
    return cmocka_run_group_tests_name("sevsnp", tests, group_setup, group_teardown);
}
