/* test_platform.c: elastic:platform from a guest: kind, info, versions, and the
 * attestation report with its error paths. argv[1] is the kind the host should report
 * ("none" or "simulated"). */
#include "guest_test.h"

int main(int argc, char **argv) {
    const char *want = argc > 1 ? argv[1] : "none";
    elastic_platform_kind kind = elastic_platform_kind_get();
    CHECK(kind == (!strcmp(want, "simulated") ? ELASTIC_PLATFORM_SIMULATED
                   : !strcmp(want, "sev-snp") ? ELASTIC_PLATFORM_SEV_SNP
                                              : ELASTIC_PLATFORM_NONE));

    elastic_platform_info info;
    elastic_platform_info_get(&info);
    CHECK(info.kind == kind);
    CHECK(!strcmp(info.runtime, "elvm"));
    CHECK(!strcmp(info.hal_version, "0.1.0"));
    CHECK(strlen(info.runtime_version) > 0);
    CHECK(strlen(info.profile) > 0);
    printf("platform: kind %d backend %s runtime %s %s hal %s profile %s\n", info.kind,
           info.backend, info.runtime, info.runtime_version, info.hal_version, info.profile);
    elastic_platform_info_free(&info);

    char *v = elastic_platform_hal_version();
    CHECK(v && !strcmp(v, "0.1.0"));
    free(v);
    v = elastic_platform_runtime_version();
    CHECK(v && strlen(v) > 0);
    free(v);

    unsigned char rd[65];
    memset(rd, 0xA5, sizeof rd);
    elastic_bytes report;
    int rc = elastic_platform_attestation_report(rd, 64, &report);
    if (kind == ELASTIC_PLATFORM_NONE) {
        CHECK_RC(rc, ELASTIC_PLATFORM_ERR_NOT_SUPPORTED);
        CHECK(report.ptr == NULL);
    } else {
        CHECK_RC(rc, ELASTIC_PLATFORM_OK);
        CHECK(report.len == 1184);
        /* report_data sits at offset 0x50 of the report (AMD SEV-SNP ABI, table 22). */
        CHECK(report.len == 1184 && !memcmp(report.ptr + 0x50, rd, 64));
        elastic_bytes_free(&report);
        /* Over 64 bytes of report data is refused. */
        CHECK_RC(elastic_platform_attestation_report(rd, 65, &report),
                 ELASTIC_PLATFORM_ERR_INVALID_REPORT_DATA);
        /* Shorter report data is zero-padded. */
        CHECK_RC(elastic_platform_attestation_report("abc", 3, &report), ELASTIC_PLATFORM_OK);
        if (report.len == 1184) {
            CHECK(!memcmp(report.ptr + 0x50, "abc", 3));
            int zero = 1;
            for (int i = 3; i < 64; i++) zero &= report.ptr[0x50 + i] == 0;
            CHECK(zero);
        }
        elastic_bytes_free(&report);
    }
    return t_done("platform");
}
