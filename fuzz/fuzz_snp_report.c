/* fuzz_snp_report.c: libFuzzer/AFL++ target: bytes -> the AMD SEV-SNP attestation code of
 * sevsnp/: the report parser and its JSON, the certificate-table parser, the minimum-TCB
 * parser and the offline verifier, with real and simulated certificate chains so that the
 * signature and chain checks are reached.
 *
 * An input is a report, a control byte, a minimum-TCB spec and a certificate table:
 *   [report: 1184 bytes][control][spec length n][spec: n bytes][table: the rest]
 * A shorter input is a report of the wrong size, a certificate table and a spec at once.
 * The control byte:
 *   bits 0-2  the certificates: 0 AMD's Milan VCEK, ASK and ARK (sevsnp/tests/data, with
 *             the real Milan report); 1 that VCEK alone; 2 the Turin VCEK and chain; 3 the
 *             Milan VCEK with the Turin chain; 4 a simulated chain, the report re-signed
 *             with its VCEK key first; 5 that VCEK alone, re-signed; 6 the VCEK (or VLEK),
 *             ASK and ARK found in the input's table; 7 the same, re-signed
 *   bit 3     expect REPORT_DATA, MEASUREMENT and HOST_DATA to be the report's own
 *   bit 4     expect them to be zero
 *   bit 5     expect VMPL 0
 *   bit 6     refuse a debug policy
 *   bit 7     check validity in 2010 (before every certificate) instead of January 2026
 * Asserts: every function ends in success or a reason (non-empty, NUL-terminated); an
 * accepted report satisfies what the parser promises (versions, VMPL, reserved bits, TCB
 * layout) and prints as JSON that cJSON reads back with the same version; a table entry
 * lies inside the blob; the verifier counts exactly the failures it reports, fails a
 * report the parser refuses, and never rejects the signature of a report just re-signed
 * with the VCEK it is given; the real Milan report verifies against AMD's chain.
 *
 * The simulated chain (two RSA-4096 keys: seconds) is made once per process in a temporary
 * directory, or once for good in ELVM_FUZZ_SNP_KEYS=DIR (fuzz.mk: build/fuzz/snp-sim-keys),
 * which later runs reuse. The test data is read from sevsnp/tests/data, or
 * ELVM_FUZZ_SNP_DATA=DIR. */
#include <cjson/cJSON.h>
#include <ftw.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snp_impl.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SPEC_MAX 255
#define TABLE_MAX 8
#define AT_2026 1768435200 /* 2026-01-15: every test certificate is valid */
#define AT_2010 1262304000 /* 2010-01-01: none is */

enum {
    CTL_CERTS = 7,
    CERTS_MILAN = 0, CERTS_MILAN_VCEK = 1, CERTS_TURIN = 2, CERTS_MILAN_WRONG_CHAIN = 3,
    CERTS_SIM = 4, CERTS_SIM_VCEK = 5, CERTS_TABLE = 6, CERTS_TABLE_RESIGNED = 7,
    CTL_EXPECT_OWN = 1 << 3,
    CTL_EXPECT_ZERO = 1 << 4,
    CTL_VMPL0 = 1 << 5,
    CTL_NO_DEBUG = 1 << 6,
    CTL_AT_2010 = 1 << 7,
};

typedef struct blob {
    uint8_t *p;
    size_t len;
} blob;

static struct {
    blob milan_report, milan_vcek, milan_ask, milan_ark, turin_vcek, turin_ask, turin_ark;
    blob sim_vcek, sim_ask, sim_ark;
    char sim_dir[4096]; /* mkdtemp, or ELVM_FUZZ_SNP_KEYS */
    int sim_owned;
    pid_t owner;
} fx;

#define RAW(field) offsetof(struct elvm__snp_raw_report, field)
static void remove_sim_dir(void);
/* Reports a finding and aborts (libFuzzer saves the input); a temporary key set goes first. */
#define DIE(...) \
    (fprintf(stderr, "fuzz_snp_report: " __VA_ARGS__), fputc('\n', stderr), remove_sim_dir(), \
     abort())

/* ---- fixtures ------------------------------------------------------------------------- */

static blob load(const char *dir, const char *name) {
    char path[4096], err[512];
    blob b;
    if (elvm__snp_path(path, sizeof path, dir, name) ||
        elvm__snp_read_file(path, &b.p, &b.len, 1 << 20, err, sizeof err))
        DIE("%s (run from the repository root, or set ELVM_FUZZ_SNP_DATA / _KEYS)", err);
    return b;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)st, (void)type, (void)ftw;
    return remove(path) ? -1 : 0;
}

static void remove_sim_dir(void) {
    if (fx.sim_owned && getpid() == fx.owner) nftw(fx.sim_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void check_real_chain(void);

/* In LLVMFuzzerInitialize, so that making the RSA keys (seconds) counts against no input's
 * -timeout, and AFL++'s fork server forks after it. */
static void setup(void) {
    const char *data = getenv("ELVM_FUZZ_SNP_DATA");
    if (!data) data = "sevsnp/tests/data";
    fx.milan_report = load(data, "milan-report.bin");
    fx.milan_vcek = load(data, "milan-vcek.der");
    fx.milan_ask = load(data, "milan-ask.pem");
    fx.milan_ark = load(data, "milan-ark.pem");
    fx.turin_vcek = load(data, "turin-vcek.der");
    fx.turin_ask = load(data, "turin-ask.pem");
    fx.turin_ark = load(data, "turin-ark.pem");

    const char *keys = getenv("ELVM_FUZZ_SNP_KEYS");
    char err[512], path[4200];
    fx.owner = getpid();
    if (keys && *keys) {
        snprintf(fx.sim_dir, sizeof fx.sim_dir, "%s", keys);
        snprintf(path, sizeof path, "%s/vcek-key.pem", keys);
        if (access(path, R_OK)) {
            /* made beside it and renamed into place, so that a run started meanwhile
             * never reads half a key set (if one was faster, its set stays) */
            char tmp[4200];
            snprintf(tmp, sizeof tmp, "%s.new-XXXXXX", keys);
            if (!mkdtemp(tmp)) DIE("mkdtemp %s failed", tmp);
            if (elvm_snp_sim_keys_generate(tmp, err, sizeof err)) DIE("simulated keys: %s", err);
            if (rename(tmp, keys)) nftw(tmp, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
        }
    } else {
        snprintf(fx.sim_dir, sizeof fx.sim_dir, "/tmp/elvm-fuzz-snp-XXXXXX");
        if (!mkdtemp(fx.sim_dir)) DIE("mkdtemp failed");
        fx.sim_owned = 1;
        atexit(remove_sim_dir);
        if (elvm_snp_sim_keys_generate(fx.sim_dir, err, sizeof err)) DIE("simulated keys: %s", err);
    }
    fx.sim_vcek = load(fx.sim_dir, "vcek.pem");
    fx.sim_ask = load(fx.sim_dir, "ask.pem");
    fx.sim_ark = load(fx.sim_dir, "ark.pem");
    check_real_chain();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    setup();
    return 0;
}

/* ---- checks ----------------------------------------------------------------------------- */

static void check_reason(const char *err, size_t len, const char *what) {
    if (!memchr(err, '\0', len) || !err[0]) DIE("%s failed without a reason", what);
}

/* What elvm_snp_report_parse promises of a report it accepts. */
static void check_report(const uint8_t *raw, const elvm_snp_report *r) {
    if (r->version != 2 && r->version != 3 && r->version != 5) DIE("accepted version %u", r->version);
    if (r->vmpl > 3) DIE("accepted VMPL %u", r->vmpl);
    if (!(r->policy & ELVM_SNP_POLICY_RESERVED_ONE) || r->policy >> 26) DIE("accepted a bad policy");
    unsigned sk = ELVM_SNP_SIGNING_KEY(r->key_info);
    if ((sk != 0 && sk != 1 && sk != 7) || r->key_info >> 5 || r->platform_info >> 8)
        DIE("accepted reserved key_info or platform_info bits");
    if (r->has_cpuid != (r->version >= 3) || r->has_mit_vectors != (r->version >= 5))
        DIE("version %u with has_cpuid %d, has_mit_vectors %d", r->version, r->has_cpuid,
            r->has_mit_vectors);
    if (r->has_cpuid && r->layout != (r->cpuid_fam_id == 0x1A ? ELVM_SNP_LAYOUT_TURIN
                                                              : ELVM_SNP_LAYOUT_MILAN_GENOA))
        DIE("CPUID family 0x%02x with layout %d", r->cpuid_fam_id, r->layout);
    const elvm_snp_tcb *tcbs[] = {&r->current_tcb, &r->reported_tcb, &r->committed_tcb,
                                  &r->launch_tcb};
    for (int i = 0; i < 4; i++) {
        elvm_snp_tcb t = elvm_snp_tcb_decode(tcbs[i]->raw, r->layout);
        if (memcmp(&t, tcbs[i], sizeof t)) DIE("TCB %d does not decode to what was parsed", i);
    }
    if (memcmp(r->report_data, raw + RAW(report_data), 64) ||
        memcmp(r->measurement, raw + RAW(measurement), 48) ||
        memcmp(r->chip_id, raw + RAW(chip_id), 64) || memcmp(r->sig_r, raw + RAW(sig_r), 72) ||
        memcmp(r->sig_s, raw + RAW(sig_s), 72))
        DIE("a byte field is not the report's");
    if (r->simulated != !memcmp(r->chip_id, ELVM__SNP_SIM_CHIP_MAGIC, ELVM__SNP_SIM_CHIP_MAGIC_LEN))
        DIE("simulated marker %d is wrong", r->simulated);
    const char *product = elvm_snp_product_name(r);
    if (product && strcmp(product, "Milan") && strcmp(product, "Genoa") && strcmp(product, "Turin"))
        DIE("product '%s'", product);
}

/* The JSON of an accepted report must be JSON, with the same version and marking. */
static void check_json(const elvm_snp_report *r) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) DIE("open_memstream");
    if (elvm_snp_report_json(r, f)) DIE("elvm_snp_report_json failed");
    if (fclose(f)) DIE("fclose");
    cJSON *j = cJSON_ParseWithLength(text, len);
    if (!j) DIE("the JSON of a report does not parse:\n%s", text);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "version");
    const cJSON *sim = cJSON_GetObjectItemCaseSensitive(j, "simulated");
    if (!cJSON_IsNumber(v) || v->valuedouble != r->version || !!sim != !!r->simulated)
        DIE("the JSON does not say version %u / simulated %d:\n%s", r->version, r->simulated, text);
    cJSON_Delete(j);
    free(text);
}

static void check_table(const uint8_t *p, size_t len, elvm_snp_cert_entry *out, size_t *n) {
    char err[256];
    if (elvm_snp_cert_table_parse(p, len, out, TABLE_MAX, n, err, sizeof err)) {
        check_reason(err, sizeof err, "elvm_snp_cert_table_parse");
        *n = 0;
        return;
    }
    for (size_t i = 0; i < *n; i++) {
        const elvm_snp_cert_entry *e = &out[i];
        if (!e->length || (uint64_t)e->offset + e->length > len || e->data != p + e->offset)
            DIE("table entry %zu (%u bytes at %u) is not inside the %zu-byte blob", i, e->length,
                e->offset, len);
        if (!elvm_snp_cert_kind_name(e->kind)) DIE("no name for kind %d", e->kind);
    }
    size_t one;
    if (*n > 1 && !elvm_snp_cert_table_parse(p, len, out, 1, &one, err, sizeof err))
        DIE("a table of %zu entries fits in 1", *n);
}

static void check_min_tcb(const char *spec) {
    for (int layout = 0; layout < 2; layout++) {
        elvm_snp_tcb t;
        unsigned set;
        char err[256];
        if (elvm__snp_min_tcb_parse(spec, (elvm_snp_tcb_layout)layout, &t, &set, err, sizeof err))
            check_reason(err, sizeof err, "elvm__snp_min_tcb_parse");
        else if (!set || set > 31)
            DIE("min-tcb '%s' parsed with set = %u", spec, set);
    }
}

typedef struct verdict {
    int failures;
    int signature_failed; /* a reason says the signature does not verify */
} verdict;

static void on_fail(const char *reason, void *ctx) {
    verdict *v = ctx;
    if (!reason || !reason[0]) DIE("the verifier failed without a reason");
    if (strlen(reason) >= 512) DIE("a reason of %zu bytes", strlen(reason));
    /* at the start only: other reasons quote the input (a min-tcb spec), which may hold
     * these words too (a fuzz-smoke run found one) */
    if (!strncmp(reason, "signature over bytes ", 21)) v->signature_failed = 1;
    v->failures++;
}

static verdict verify(const uint8_t *report, size_t len, const elvm_snp_verify_opts *o) {
    verdict v = {0, 0};
    int n = elvm_snp_verify(report, len, o, on_fail, &v);
    if (n != v.failures) DIE("the verifier returned %d but reported %d failures", n, v.failures);
    return v;
}

/* AMD's chain verifies the real Milan report: else the fixtures are wrong, not elvm. */
static void check_real_chain(void) {
    elvm_snp_verify_opts o = {
        .vcek = fx.milan_vcek.p, .vcek_len = fx.milan_vcek.len, .ask = fx.milan_ask.p,
        .ask_len = fx.milan_ask.len, .ark = fx.milan_ark.p, .ark_len = fx.milan_ark.len,
        .vmpl = -1, .at = AT_2026};
    verdict v = verify(fx.milan_report.p, fx.milan_report.len, &o);
    if (v.failures) DIE("the real Milan report does not verify against AMD's chain");
}

/* ---- one input --------------------------------------------------------------------------- */

static void run_report(const uint8_t *data, size_t size) {
    uint8_t report[ELVM_SNP_REPORT_SIZE];
    memcpy(report, data, sizeof report);
    const uint8_t *rest = data + sizeof report;
    size_t nrest = size - sizeof report, at = 0;
    uint8_t ctl = at < nrest ? rest[at++] : 0;
    size_t speclen = at < nrest ? rest[at++] : 0;
    if (speclen > nrest - at) speclen = nrest - at;
    char spec[SPEC_MAX + 1];
    memcpy(spec, rest + at, speclen);
    spec[speclen] = '\0';
    at += speclen;
    const uint8_t *table = rest + at;
    size_t ntable = nrest - at;

    elvm_snp_report r;
    char err[512];
    int parsed = elvm_snp_report_parse(report, sizeof report, &r, err, sizeof err) == 0;
    if (parsed) {
        check_report(report, &r);
        check_json(&r);
    } else {
        check_reason(err, sizeof err, "elvm_snp_report_parse");
    }
    elvm_snp_cert_entry entries[TABLE_MAX];
    size_t nentries = 0;
    if (ntable) check_table(table, ntable, entries, &nentries);
    if (speclen) check_min_tcb(spec);

    elvm_snp_verify_opts o = {.vmpl = -1, .at = ctl & CTL_AT_2010 ? AT_2010 : AT_2026};
    const blob *v = NULL, *ask = NULL, *ark = NULL;
    int certs = ctl & CTL_CERTS;
    int resign = certs == CERTS_SIM || certs == CERTS_SIM_VCEK || certs == CERTS_TABLE_RESIGNED;
    switch (certs) {
    case CERTS_MILAN: v = &fx.milan_vcek, ask = &fx.milan_ask, ark = &fx.milan_ark; break;
    case CERTS_MILAN_VCEK: v = &fx.milan_vcek; break;
    case CERTS_TURIN: v = &fx.turin_vcek, ask = &fx.turin_ask, ark = &fx.turin_ark; break;
    case CERTS_MILAN_WRONG_CHAIN: v = &fx.milan_vcek, ask = &fx.turin_ask, ark = &fx.turin_ark; break;
    case CERTS_SIM: v = &fx.sim_vcek, ask = &fx.sim_ask, ark = &fx.sim_ark; break;
    case CERTS_SIM_VCEK: v = &fx.sim_vcek; break;
    default: break; /* from the table */
    }
    if (v) {
        o.vcek = v->p, o.vcek_len = v->len;
        if (ask) o.ask = ask->p, o.ask_len = ask->len, o.ark = ark->p, o.ark_len = ark->len;
    } else {
        for (size_t i = nentries; i-- > 0;) { /* the first of each kind wins */
            const elvm_snp_cert_entry *e = &entries[i];
            if (e->kind == ELVM_SNP_CERT_VCEK || e->kind == ELVM_SNP_CERT_VLEK)
                o.vcek = e->data, o.vcek_len = e->length;
            else if (e->kind == ELVM_SNP_CERT_ASK) o.ask = e->data, o.ask_len = e->length;
            else if (e->kind == ELVM_SNP_CERT_ARK) o.ark = e->data, o.ark_len = e->length;
        }
    }
    if (resign) {
        /* the signature's bytes change (and its reserved tail becomes zero): read it again */
        if (elvm__snp_sim_sign(fx.sim_dir, report, err, sizeof err)) DIE("re-signing failed: %s", err);
        parsed = elvm_snp_report_parse(report, sizeof report, &r, err, sizeof err) == 0;
    }
    static const uint8_t zero[64];
    if (ctl & CTL_EXPECT_OWN) {
        o.report_data = report + RAW(report_data);
        o.measurement = report + RAW(measurement);
        o.host_data = report + RAW(host_data);
    }
    if (ctl & CTL_EXPECT_ZERO) o.report_data = o.measurement = o.host_data = zero;
    if (ctl & CTL_VMPL0) o.vmpl = 0;
    o.no_debug = !!(ctl & CTL_NO_DEBUG);
    o.min_tcb = speclen ? spec : NULL;

    verdict vd = verify(report, sizeof report, &o);
    if (!parsed && vd.failures != 1) DIE("a malformed report got %d failures, not 1", vd.failures);
    /* a report this target just signed with the simulated VCEK key verifies with its
     * certificate, as long as it claims a VCEK signature with ECDSA P-384 */
    if (parsed && resign && certs != CERTS_TABLE_RESIGNED && vd.signature_failed &&
        ELVM_SNP_SIGNING_KEY(r.key_info) == 0 && r.signature_algo == 1)
        DIE("the signature of a freshly signed report does not verify");
    if (!ctl && !speclen && !memcmp(report, fx.milan_report.p, sizeof report) && vd.failures)
        DIE("the real Milan report stopped verifying");
}

/* Fewer bytes than a report: a report of the wrong size, a table, a min-tcb spec and a
 * few small decoders, all at once. */
static void run_short(const uint8_t *data, size_t size) {
    elvm_snp_report r;
    char err[512];
    if (!elvm_snp_report_parse(data, size, &r, err, sizeof err)) DIE("a %zu-byte report parsed", size);
    check_reason(err, sizeof err, "elvm_snp_report_parse");
    elvm_snp_cert_entry entries[TABLE_MAX];
    size_t n;
    check_table(data, size, entries, &n);
    char spec[SPEC_MAX + 1];
    size_t speclen = size < SPEC_MAX ? size : SPEC_MAX;
    memcpy(spec, data, speclen);
    spec[speclen] = '\0';
    check_min_tcb(spec);
    uint64_t raw = 0;
    for (size_t i = 0; i < 8 && i < size; i++) raw |= (uint64_t)data[i] << (8 * i);
    char buf[256];
    elvm_snp_exitinfo2_str(raw, buf, 1 + (size_t)data[0] % sizeof buf);
    if (!memchr(buf, '\0', sizeof buf)) DIE("exitinfo2 text is not terminated");
    if (elvm_snp_backend_parse(spec) >= 0 && !elvm_snp_backend_name(elvm_snp_backend_parse(spec)))
        DIE("a backend without a name");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!fx.milan_report.p) setup(); /* AFL++'s driver without LLVMFuzzerInitialize */
    if (size == 0) return 0;
    if (size < ELVM_SNP_REPORT_SIZE) run_short(data, size);
    else run_report(data, size);
    return 0;
}
