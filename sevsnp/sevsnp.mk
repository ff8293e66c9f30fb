# sevsnp/sevsnp.mk: AMD SEV-SNP attestation (sevsnp/), its standalone CLI and its tests.
# Included by the root Makefile (which defines CC, CFLAGS, LDFLAGS and B). OpenSSL 3's libcrypto
# does the cryptography; cmocka runs the unit tests.
#
#   make sevsnp-test     unit tests (cmocka) and the CLI test, in $(B)/sevsnp/
#
# To put sevsnp into build/libelvm.a and `elvm attest`, the root Makefile includes this file
# after B and CFLAGS are set and before the $(B)/libelvm.a rule, then adds
#   LIB_OBJ += $(SNP_OBJ)        and links build/elvm with $(SNP_LIBS) (-lcrypto)

# This file defines real targets; keep `all` the default goal wherever it is included.
ifeq ($(.DEFAULT_GOAL),)
.DEFAULT_GOAL := all
endif
SNP_SRC   = $(wildcard sevsnp/*.c)
SNP_OBJ   = $(patsubst %.c,$(B)/obj/%.o,$(SNP_SRC))
SNP_HDR   = sevsnp/sevsnp.h sevsnp/snp_impl.h
SNP_LIBS  = -lcrypto
SNP_CFLAGS = $(CFLAGS) -Isevsnp

.PHONY: sevsnp sevsnp-test

$(B)/obj/sevsnp/%.o: sevsnp/%.c $(SNP_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(SNP_CFLAGS) -c $< -o $@

$(B)/sevsnp/libsevsnp.a: $(SNP_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/sevsnp/elvm-attest: sevsnp/tests/attest_main.c $(B)/sevsnp/libsevsnp.a
	$(CC) $(SNP_CFLAGS) $< $(B)/sevsnp/libsevsnp.a $(LDFLAGS) $(SNP_LIBS) -o $@

$(B)/sevsnp/test_sevsnp: sevsnp/tests/test_sevsnp.c $(B)/sevsnp/libsevsnp.a $(SNP_HDR)
	$(CC) $(SNP_CFLAGS) -DSNP_TEST_DATA='"sevsnp/tests/data"' $< \
	    $(B)/sevsnp/libsevsnp.a $(LDFLAGS) $(SNP_LIBS) -lcmocka -o $@

sevsnp: $(B)/sevsnp/libsevsnp.a $(B)/sevsnp/elvm-attest

sevsnp-test: $(B)/sevsnp/test_sevsnp $(B)/sevsnp/elvm-attest
	$(B)/sevsnp/test_sevsnp
	ATTEST=$(B)/sevsnp/elvm-attest sh sevsnp/tests/test_cli.sh
