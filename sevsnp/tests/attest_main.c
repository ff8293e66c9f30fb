/* attest_main.c: the `elvm-attest` program: `elvm attest ...` runs it, so that OpenSSL is
 * loaded only by the commands that need it; sevsnp's tests use it directly too. */
#include "sevsnp.h"

int main(int argc, char **argv) {
    return elvm_snp_cli_main(argc, argv);
}
