/* cli_attest.c: `elvm attest report|show|verify|simulate-keys`, as a library function that the
 * elvm CLI (and the standalone test binary) calls. */
#include "snp_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage:\n"
    "  attest report --report-data HEX [--backend auto|sev-guest|tsm|simulated]\n"
    "                [--sim-keys DIR] [--out FILE] [--certs-dir DIR]\n"
    "      get a report; REPORT_DATA is 64 bytes as 128 hex digits. With --out the raw\n"
    "      1184-byte report goes to FILE, otherwise it is printed as JSON. --certs-dir saves the\n"
    "      host's certificates (vcek.der, ask.der, ...) from the extended report.\n"
    "  attest show FILE\n"
    "      print a raw report as JSON\n"
    "  attest verify FILE --vcek CERT [--ask CERT --ark CERT] [--report-data HEX]\n"
    "                [--measurement HEX] [--host-data HEX] [--min-tcb SPEC] [--vmpl N]\n"
    "                [--no-debug]\n"
    "      exit 0 only when everything holds; otherwise print each failed check and exit 1.\n"
    "      CERT is PEM or DER (--vcek also takes a VLEK, --ask an ASVK). SPEC is\n"
    "      bl=N,tee=N,snp=N,ucode=N[,fmc=N] (any subset) or 0x<TCB_VERSION>.\n"
    "  attest simulate-keys DIR\n"
    "      write a simulated ARK/ASK/VCEK chain and the VCEK key for --backend simulated\n";

static int usage(const char *prog, const char *fmt, const char *arg) {
    if (fmt) {
        fprintf(stderr, "%s: ", prog);
        fprintf(stderr, fmt, arg);
        fputc('\n', stderr);
    }
    fputs(usage_text, stderr);
    return 1; /* like the rest of elvm's CLI: bad usage is exit status 1 */
}

/* Small option parser: "--name value" or "--name=value"; flags take no value. */
typedef struct {
    int argc, i;
    char **argv;
    const char *prog;
} args;

/* Returns the option's value, or NULL (and *bad) when it is missing. */
static const char *opt_value(args *a, const char *arg, int *bad) {
    const char *eq = strchr(arg, '=');
    if (eq) return eq + 1;
    if (a->i + 1 >= a->argc) {
        *bad = 1;
        return NULL;
    }
    return a->argv[++a->i];
}

/* Does `arg` name option `name` (with or without "=value")? */
static int is_opt(const char *arg, const char *name) {
    size_t n = strlen(name);
    return !strncmp(arg, name, n) && (arg[n] == 0 || arg[n] == '=');
}

static int read_hex_opt(const char *prog, const char *name, const char *hex, uint8_t *out,
                        size_t len) {
    if (elvm__snp_unhex(hex, out, len) < 0) {
        fprintf(stderr, "%s: %s needs exactly %zu hex digits (%zu bytes), got \"%s\"\n", prog,
                name, 2 * len, len, hex);
        return -1;
    }
    return 0;
}

static int write_all(const char *path, const uint8_t *p, size_t len, char *err, size_t errlen) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        elvm__snp_err(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t n = fwrite(p, 1, len, f);
    if (fclose(f) != 0 || n != len) {
        elvm__snp_err(err, errlen, "%s: write failed", path);
        return -1;
    }
    return 0;
}

static int save_certs(const char *dir, const uint8_t *blob, size_t len, char *err,
                      size_t errlen) {
    elvm_snp_cert_entry e[16];
    size_t n;
    if (elvm_snp_cert_table_parse(blob, len, e, 16, &n, err, errlen) < 0) return -1;
    for (size_t i = 0; i < n; i++) {
        char name[64], path[4096];
        const char *kind = elvm_snp_cert_kind_name(e[i].kind);
        if (e[i].kind == ELVM_SNP_CERT_OTHER) {
            char g[33];
            elvm__snp_hex(e[i].guid, 16, g);
            snprintf(name, sizeof name, "%s.bin", g);
        } else {
            snprintf(name, sizeof name, "%s.der", kind);
            for (char *c = name; *c; c++) *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        }
        if (elvm__snp_path(path, sizeof path, dir, name) < 0 ||
            write_all(path, e[i].data, e[i].length, err, errlen) < 0)
            return -1;
        printf("wrote %s (%s certificate, %u bytes)\n", path, kind, (unsigned)e[i].length);
    }
    if (n == 0) printf("the host supplied no certificates\n");
    return 0;
}

static int cmd_report(args *a) {
    const char *rd_hex = NULL, *backend = "auto", *sim = NULL, *out = NULL, *certs_dir = NULL;
    for (a->i = 2; a->i < a->argc; a->i++) {
        const char *arg = a->argv[a->i];
        int bad = 0;
        if (is_opt(arg, "--report-data")) rd_hex = opt_value(a, arg, &bad);
        else if (is_opt(arg, "--backend")) backend = opt_value(a, arg, &bad);
        else if (is_opt(arg, "--sim-keys")) sim = opt_value(a, arg, &bad);
        else if (is_opt(arg, "--out")) out = opt_value(a, arg, &bad);
        else if (is_opt(arg, "--certs-dir")) certs_dir = opt_value(a, arg, &bad);
        else return usage(a->prog, "report: unknown argument %s", arg);
        if (bad) return usage(a->prog, "report: %s needs a value", arg);
    }
    if (!rd_hex) return usage(a->prog, "report: --report-data HEX is required%s", "");
    uint8_t rd[64];
    if (read_hex_opt(a->prog, "--report-data", rd_hex, rd, 64) < 0) return 1;
    int b = elvm_snp_backend_parse(backend);
    if (b < 0 || b == ELVM_SNP_BACKEND_NONE)
        return usage(a->prog, "report: unknown backend \"%s\"", backend);
    if (b == ELVM_SNP_BACKEND_AUTO) b = elvm_snp_detect();

    uint8_t report[ELVM_SNP_REPORT_SIZE];
    uint8_t *certs = NULL;
    size_t certs_len = 0;
    char err[1024];
    int rc = certs_dir ? elvm_snp_get_ext_report((elvm_snp_backend)b, sim, rd, report, &certs,
                                                 &certs_len, err, sizeof err)
                       : elvm_snp_get_report((elvm_snp_backend)b, sim, rd, report, err,
                                             sizeof err);
    if (rc < 0) {
        if (b == ELVM_SNP_BACKEND_NONE)
            fprintf(stderr, "%s: report: %s\n", a->prog, err);
        else
            fprintf(stderr, "%s: report (%s backend): %s\n", a->prog,
                    elvm_snp_backend_name((elvm_snp_backend)b), err);
        return 1;
    }
    int simulated = b == ELVM_SNP_BACKEND_SIMULATED;
    if (simulated) fprintf(stderr, "%s: %s\n", a->prog, ELVM_SNP_SIMULATED_WARNING);
    int status = 0;
    if (certs_dir) {
        if (save_certs(certs_dir, certs, certs_len, err, sizeof err) < 0) {
            fprintf(stderr, "%s: report: %s\n", a->prog, err);
            status = 1;
        }
        free(certs);
    }
    if (out) {
        if (write_all(out, report, sizeof report, err, sizeof err) < 0) {
            fprintf(stderr, "%s: report: %s\n", a->prog, err);
            return 1;
        }
        printf("wrote %s: %d-byte attestation report from the %s backend%s%s%s\n", out,
               ELVM_SNP_REPORT_SIZE, elvm_snp_backend_name((elvm_snp_backend)b),
               simulated ? " (" : "", simulated ? ELVM_SNP_SIMULATED_WARNING : "",
               simulated ? ")" : "");
        return status;
    }
    elvm_snp_report r;
    if (elvm_snp_report_parse(report, sizeof report, &r, err, sizeof err) < 0) {
        fprintf(stderr, "%s: report: the backend returned a malformed report: %s\n", a->prog,
                err);
        return 1;
    }
    return elvm_snp_report_json(&r, stdout) < 0 ? 1 : status;
}

static int load_report(const char *prog, const char *path, uint8_t **buf, size_t *len) {
    char err[512];
    /* read a little past the report size so an oversized file is named as such */
    if (elvm__snp_read_file(path, buf, len, 1 << 20, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return -1;
    }
    return 0;
}

static int cmd_show(args *a) {
    if (a->argc != 3) return usage(a->prog, "show: expected one FILE%s", "");
    uint8_t *buf;
    size_t len;
    if (load_report(a->prog, a->argv[2], &buf, &len) < 0) return 1;
    elvm_snp_report r;
    char err[512];
    int rc = elvm_snp_report_parse(buf, len, &r, err, sizeof err);
    free(buf);
    if (rc < 0) {
        fprintf(stderr, "%s: %s: %s\n", a->prog, a->argv[2], err);
        return 1;
    }
    if (r.simulated) fprintf(stderr, "%s: %s\n", a->prog, ELVM_SNP_SIMULATED_WARNING);
    return elvm_snp_report_json(&r, stdout) < 0 ? 1 : 0;
}

static void print_failure(const char *reason, void *ctx) {
    (void)ctx;
    printf("FAIL: %s\n", reason);
}

static int cmd_verify(args *a) {
    const char *file = NULL, *vcek = NULL, *ask = NULL, *ark = NULL;
    const char *rd = NULL, *meas = NULL, *host = NULL, *min_tcb = NULL, *vmpl = NULL;
    int no_debug = 0;
    for (a->i = 2; a->i < a->argc; a->i++) {
        const char *arg = a->argv[a->i];
        int bad = 0;
        if (is_opt(arg, "--vcek") || is_opt(arg, "--vlek")) vcek = opt_value(a, arg, &bad);
        else if (is_opt(arg, "--ask") || is_opt(arg, "--asvk")) ask = opt_value(a, arg, &bad);
        else if (is_opt(arg, "--ark")) ark = opt_value(a, arg, &bad);
        else if (is_opt(arg, "--report-data")) rd = opt_value(a, arg, &bad);
        else if (is_opt(arg, "--measurement")) meas = opt_value(a, arg, &bad);
        else if (is_opt(arg, "--host-data")) host = opt_value(a, arg, &bad);
        else if (is_opt(arg, "--min-tcb")) min_tcb = opt_value(a, arg, &bad);
        else if (is_opt(arg, "--vmpl")) vmpl = opt_value(a, arg, &bad);
        else if (!strcmp(arg, "--no-debug")) no_debug = 1;
        else if (arg[0] == '-' && arg[1]) return usage(a->prog, "verify: unknown option %s", arg);
        else if (file) return usage(a->prog, "verify: more than one FILE (%s)", arg);
        else file = arg;
        if (bad) return usage(a->prog, "verify: %s needs a value", arg);
    }
    if (!file) return usage(a->prog, "verify: FILE is required%s", "");
    if (!vcek) return usage(a->prog, "verify: --vcek CERT is required%s", "");
    if (!!ask != !!ark) return usage(a->prog, "verify: --ask and --ark go together%s", "");

    elvm_snp_verify_opts o = {.vmpl = -1, .no_debug = no_debug, .min_tcb = min_tcb};
    uint8_t want_rd[64], want_meas[48], want_host[32];
    if (rd && read_hex_opt(a->prog, "--report-data", rd, want_rd, 64) < 0) return 1;
    if (meas && read_hex_opt(a->prog, "--measurement", meas, want_meas, 48) < 0) return 1;
    if (host && read_hex_opt(a->prog, "--host-data", host, want_host, 32) < 0) return 1;
    o.report_data = rd ? want_rd : NULL;
    o.measurement = meas ? want_meas : NULL;
    o.host_data = host ? want_host : NULL;
    if (vmpl) {
        char *end;
        long v = strtol(vmpl, &end, 10);
        if (!*vmpl || *end || v < 0 || v > 3)
            return usage(a->prog, "verify: --vmpl takes 0-3, got \"%s\"", vmpl);
        o.vmpl = (int)v;
    }
    if (min_tcb) {
        elvm_snp_tcb t;
        unsigned set;
        char err[256];
        if (elvm__snp_min_tcb_parse(min_tcb, ELVM_SNP_LAYOUT_MILAN_GENOA, &t, &set, err,
                                    sizeof err) < 0)
            return usage(a->prog, "verify: %s", err);
    }

    uint8_t *report = NULL, *bufs[3] = {0};
    size_t report_len = 0, lens[3] = {0};
    const char *paths[3] = {vcek, ask, ark};
    int status = 1;
    char err[512];
    if (load_report(a->prog, file, &report, &report_len) < 0) goto out;
    for (int i = 0; i < 3; i++) {
        if (paths[i] &&
            elvm__snp_read_file(paths[i], &bufs[i], &lens[i], 1 << 20, err, sizeof err) < 0) {
            fprintf(stderr, "%s: %s\n", a->prog, err);
            goto out;
        }
    }
    o.vcek = bufs[0];
    o.vcek_len = lens[0];
    o.ask = bufs[1];
    o.ask_len = lens[1];
    o.ark = bufs[2];
    o.ark_len = lens[2];
    int failed = elvm_snp_verify(report, report_len, &o, print_failure, NULL);
    elvm_snp_report r;
    int simulated = elvm_snp_report_parse(report, report_len, &r, err, sizeof err) == 0 &&
                    r.simulated;
    if (failed == 0) {
        printf("OK: signature verifies with the key in %s; %s\n", vcek,
               ask ? "chain ARK -> ASK -> VCEK holds against the pinned ARK"
                   : "chain not checked (no --ask/--ark)");
        status = 0;
    } else {
        printf("%d check%s failed\n", failed, failed == 1 ? "" : "s");
    }
    if (!ask) fprintf(stderr, "%s: note: without --ask and --ark the VCEK is not tied to an AMD "
                      "root you pinned\n", a->prog);
    if (simulated) printf("%s\n", ELVM_SNP_SIMULATED_WARNING);
out:
    free(report);
    for (int i = 0; i < 3; i++) free(bufs[i]);
    return status;
}

static int cmd_simulate_keys(args *a) {
    if (a->argc != 3) return usage(a->prog, "simulate-keys: expected one DIR%s", "");
    const char *dir = a->argv[2];
    char err[512];
    if (elvm_snp_sim_keys_generate(dir, err, sizeof err) < 0) {
        fprintf(stderr, "%s: simulate-keys: %s\n", a->prog, err);
        return 1;
    }
    printf("wrote %s/ark.pem, %s/ask.pem, %s/vcek.pem and %s/vcek-key.pem\n", dir, dir, dir, dir);
    printf("%s: use only with --backend simulated, for development and tests\n",
           ELVM_SNP_SIMULATED_WARNING);
    return 0;
}

int elvm_snp_cli_main(int argc, char **argv) {
    args a = {argc, 0, argv, argc > 0 && argv[0] ? argv[0] : "attest"};
    if (argc < 2) return usage(a.prog, NULL, NULL);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "report")) return cmd_report(&a);
    if (!strcmp(cmd, "show")) return cmd_show(&a);
    if (!strcmp(cmd, "verify")) return cmd_verify(&a);
    if (!strcmp(cmd, "simulate-keys")) return cmd_simulate_keys(&a);
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        fputs(usage_text, stdout);
        return 0;
    }
    return usage(a.prog, "unknown subcommand \"%s\"", cmd);
}
