/* attest_main.c: a standalone `elvm-attest` binary for sevsnp's own tests, until the elvm CLI
 * routes `elvm attest ...` to elvm_snp_cli_main. */
#include "sevsnp.h"

int main(int argc, char **argv) {
    return elvm_snp_cli_main(argc, argv);
}
