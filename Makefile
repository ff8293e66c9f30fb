# elvm: one Makefile for the library, the CLI, the spec runner, tests and examples.
#
#   make            build/elvm (CLI) and build/libelvm.a (embeddable library)
#   make deps       install the Debian packages the project needs (only missing ones)
#   make demo       deps + build + run the bundled examples
#   make test       unit tests, example checks and the spec testsuite
#   make spectest   the spec testsuite alone (../shared/testsuite, converted by wast2json)
#   SANITIZE=1      ASan + UBSan build in build/asan/
#   DISPATCH=switch portable switch dispatch instead of computed goto

CC       ?= gcc
SHARED   ?= ../shared
TESTSUITE ?= $(SHARED)/testsuite
WASI_CC  ?= clang
# Debian's wasi-libc installs into clang's default wasm32-wasi search path
WASI_CFLAGS = --target=wasm32-wasi -O2

WARN   = -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
         -Wimplicit-fallthrough -Wno-unused-parameter
# -iquote: the project's headers by "name.h" without shadowing system headers
# (vm/limits.h would otherwise hide <limits.h> from OpenSSL's headers)
# -fno-math-errno: sqrt becomes the instruction (no libm call kept for errno's sake)
CFLAGS_BASE = $(WARN) -D_GNU_SOURCE -iquote vm -iquote wasi -iquote sevsnp -g -ffp-contract=off \
              -fno-math-errno
ifeq ($(SANITIZE),1)
  B       = build/asan
  OPT     = -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
  LDSAN   = -fsanitize=address,undefined
  # leaks inside third-party libraries (OpenCL's pocl and its LLVM) are theirs: listed there
  export LSAN_OPTIONS = suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
else
  B       = build
  OPT     = -O2
  LDSAN   =
endif
ifeq ($(DISPATCH),switch)
  OPT += -DELVM_SWITCH_DISPATCH=1
endif
CFLAGS  = $(CFLAGS_BASE) $(OPT) $(EXTRA_CFLAGS)
# --as-needed: libm only where a call remains (gcc inlines every libm function elvm uses,
# and one shared library less is ~0.15 ms off every `elvm run`)
LDFLAGS = $(LDSAN) -Wl,--as-needed -lm

VM_SRC    = $(wildcard vm/*.c)
WASI_SRC  = $(wildcard wasi/*.c)
CLI_SRC   = $(wildcard cli/*.c)
SPEC_SRC  = $(wildcard spectest/*.c)
UNIT_SRC  = $(wildcard tests/unit/test_*.c)
LIB_OBJ   = $(patsubst %.c,$(B)/obj/%.o,$(VM_SRC) $(WASI_SRC))
CLI_OBJ   = $(patsubst %.c,$(B)/obj/%.o,$(CLI_SRC))
SPEC_OBJ  = $(patsubst %.c,$(B)/obj/%.o,$(SPEC_SRC))
UNIT_BIN  = $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
# build/elvm's libraries and its TOML reader plugin (before the $(B)/elvm rule)
include cli/cli.mk
# AMD SEV-SNP attestation (libelvm, `elvm attest`); libcrypto comes with CLI_LIBS
include sevsnp/sevsnp.mk
LIB_OBJ += $(SNP_OBJ)

EXAMPLE_SRC  = $(wildcard examples/*.c)
EXAMPLE_WASM = $(patsubst examples/%.c,build/examples/%.wasm,$(EXAMPLE_SRC))

.PHONY: all deps demo test unit spectest examples-test memcheck regress cli-test clean
all: $(B)/elvm $(B)/elvm-attest $(B)/libelvm.a

DEB_PKGS = gcc make clang lld wasi-libc libclang-rt-14-dev-wasm32 wabt binaryen \
           libcmocka-dev libssl-dev libcjson-dev nodejs g++ libtomlplusplus-dev \
           libclang-rt-14-dev afl++ python3 valgrind musl-tools
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	else echo "make deps: all packages present"; fi

$(B)/obj/%.o: %.c $(wildcard vm/*.h vm/*.def wasi/*.h cli/*.h spectest/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/libelvm.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# $(B)/elvm (static) and $(B)/elvm-dyn (dynamic, for manifests and --log): cli/cli.mk

# `elvm attest` runs this program (it links OpenSSL, which `elvm` itself does without)
$(B)/elvm-attest: sevsnp/tests/attest_main.c $(B)/libelvm.a
	$(CC) $(CFLAGS) $< $(B)/libelvm.a $(LDFLAGS) $(SNP_LIBS) -o $@

$(B)/elvm-spectest: $(SPEC_OBJ) $(B)/libelvm.a
	$(CC) $(SPEC_OBJ) $(B)/libelvm.a $(LDFLAGS) -lcjson -o $@

$(B)/tests/%: tests/unit/%.c $(B)/libelvm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< $(B)/libelvm.a $(LDFLAGS) -lcmocka -o $@
# test_cli_alloc includes cli/alloc.c (the static elvm's allocator) to test it
$(B)/tests/test_cli_alloc: cli/alloc.c cli/cli.h

# ---- spec testsuite ---------------------------------------------------------------------
SPEC_WAST = $(wildcard $(TESTSUITE)/*.wast)
SPEC_JSON = $(patsubst $(TESTSUITE)/%.wast,build/spec/%.json,$(SPEC_WAST))

build/spec/%.json: $(TESTSUITE)/%.wast
	@mkdir -p build/spec
	@wast2json $< -o $@

# Four times: with code compiled for fuel (its branch and call handlers differ), with
# each function compiled on its first call (the lazy stubs), both, then the plain run
# whose summary line ends `make test`.
# $(call spec_quiet,FLAGS,LOG): a run whose output goes to $(B)/LOG; on failure the failing
# commands and the summary line, else the summary line alone
spec_quiet = @$(B)/elvm-spectest $(1) --known-failures spectest/known-failures $(SPEC_JSON) \
	  > $(B)/$(2) 2>&1 || { grep -E "FAIL|REGRESSION|UNEXPECTED" $(B)/$(2); tail -1 $(B)/$(2); exit 1; }; \
	  tail -1 $(B)/$(2)

spectest: $(B)/elvm-spectest $(SPEC_JSON)
	@echo "== spec testsuite, compiled with fuel accounting"
	$(call spec_quiet,--fuel,spectest-fuel.log)
	@echo "== spec testsuite, each function compiled on its first call (with and without fuel)"
	$(call spec_quiet,--lazy,spectest-lazy.log)
	$(call spec_quiet,--lazy --fuel,spectest-lazy-fuel.log)
	@echo "== spec testsuite"
	$(B)/elvm-spectest --known-failures spectest/known-failures $(SPEC_JSON)

# ---- examples -------------------------------------------------------------------------
build/examples/%.wasm: examples/%.c
	@mkdir -p build/examples
	$(WASI_CC) $(WASI_CFLAGS) $< -o $@

examples-test: $(B)/elvm $(EXAMPLE_WASM)
	@B=$(B) sh tests/examples.sh

# the example runs again under valgrind memcheck (not with SANITIZE: ASan and valgrind
# do not mix), through elvm-dyn: valgrind cannot replace malloc in the static elvm
memcheck: $(B)/elvm $(EXAMPLE_WASM)
	@B=$(B) sh tests/memcheck.sh

demo: deps
	$(MAKE) all $(EXAMPLE_WASM)
	@B=$(B) sh examples/demo.sh
	@$(MAKE) --no-print-directory hal-demo

# ---- tests ------------------------------------------------------------------------------
unit: $(UNIT_BIN)
	@rc=0; for t in $(UNIT_BIN); do $$t || rc=1; done; exit $$rc

regress: $(B)/elvm
	@B=$(B) sh tests/regress.sh

cli-test: $(B)/elvm $(B)/elvm-hal build/examples/hal/sealed_notes.wasm
	@B=$(B) ELVM_LIBC=$(ELVM_LIBC) sh tests/cli_limits.sh
	@B=$(B) sh tests/cli_modfile.sh

# spectest last: its summary line ends the output
ifeq ($(SANITIZE),1)
MEMCHECK =
else
MEMCHECK = memcheck
endif
test: all unit examples-test $(MEMCHECK) regress cli-test wasi-test sevsnp-test hal-test bench-quick spectest

clean:
	rm -rf build

# ---- the ELASTIC TEE HAL (hal/hal.mk: elvm-hal, make hal-test, make hal-demo) -------------
include hal/hal.mk

# ---- the WASI host's own tests (wasi-test) and the real program (test-real: flite) ------
include wasi/tests/wasi.mk

# ---- benchmarks (bench/bench.mk: make bench, make bench-quick) ---------------------------
-include bench/bench.mk

# ---- fuzzing and differential testing (fuzz/fuzz.mk: fuzz-smoke, fuzz, difftest) ---------
-include fuzz/fuzz.mk
