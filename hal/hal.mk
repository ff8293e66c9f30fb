# hal/hal.mk: the ELASTIC TEE HAL (hal/) in libelvm, its test host, guest tests, host
# cmocka tests and demos. Included by the Makefile (`-include hal/hal.mk`); uses its
# $(B), $(CC), $(CFLAGS), $(LDFLAGS), $(WASI_CC), $(WASI_CFLAGS).
#
#   make hal-test    guest tests of every interface + storage crash-safety + socket allow-list
#   make hal-demo    examples/hal: sealed notes, TLS echo
#
# Libraries: OpenSSL 3 (libssl, libcrypto), OpenCL through Debian's ocl-icd loader,
# pthreads. Debian packages (added to DEB_PKGS): libssl-dev ocl-icd-opencl-dev
# opencl-headers pocl-opencl-icd (the CPU OpenCL device the gpu tests use) openssl (the
# test certificates); libcmocka-dev is in the Makefile's list already. hal/snp.c calls
# sevsnp/ (elvm_snp_*), so libelvm.a must hold sevsnp/*.o as well.

HAL_SRC   = $(wildcard hal/*.c)
HAL_OBJ   = $(patsubst %.c,$(B)/obj/%.o,$(HAL_SRC))
HAL_LIBS  = -lssl -lcrypto -lOpenCL -lpthread
HAL_DEB_PKGS = libssl-dev ocl-icd-opencl-dev opencl-headers pocl-opencl-icd openssl

# The HAL objects go into libelvm.a (ar takes $^, so an extra prerequisite is enough);
# what links them (elvm-hal, the HAL's tests) adds $(HAL_LIBS). Programs that do not use
# the HAL (elvm, the spec runner) link none of its objects or libraries.
$(B)/libelvm.a: $(HAL_OBJ)
$(HAL_OBJ): CFLAGS += -iquote hal -DCL_TARGET_OPENCL_VERSION=120
$(HAL_OBJ): $(wildcard hal/*.h vm/elvm.h)

# make deps installs these too; the root Makefile's test target runs hal-test.
DEB_PKGS += $(HAL_DEB_PKGS)

# ---- the test host and the guest tests ----------------------------------------------------------
HAL_GUEST_SRC  = $(wildcard hal/tests/test_*.c)
HAL_GUEST_WASM = $(patsubst hal/tests/%.c,build/hal/%.wasm,$(HAL_GUEST_SRC))
HAL_UNIT_SRC   = $(wildcard hal/tests/unit_*.c)
HAL_UNIT_BIN   = $(patsubst hal/tests/%.c,$(B)/hal/%,$(HAL_UNIT_SRC))
HAL_EXAMPLE_SRC  = $(wildcard examples/hal/*.c)
HAL_EXAMPLE_WASM = $(patsubst examples/hal/%.c,build/examples/hal/%.wasm,$(HAL_EXAMPLE_SRC))

$(B)/hal_run: hal/tests/hal_run.c $(B)/libelvm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -iquote hal $< $(B)/libelvm.a $(LDFLAGS) $(HAL_LIBS) -o $@

# elvm-hal: the CLI built with the HAL (`elvm run --hal ...` hands the run to it)
HAL_CLI_OBJ = $(patsubst %.c,$(B)/obj-hal/%.o,$(CLI_SRC))
$(B)/obj-hal/cli/%.o: cli/%.c $(wildcard cli/*.h vm/elvm.h wasi/wasi.h hal/hal.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DELVM_CLI_HAL -iquote hal -c $< -o $@
$(B)/elvm-hal: $(HAL_CLI_OBJ) $(B)/libelvm.a | $(TOML_PLUGIN)
	$(CC) $(HAL_CLI_OBJ) $(B)/libelvm.a $(LDFLAGS) $(CLI_LIBS) $(HAL_LIBS) -o $@
all: $(B)/elvm-hal

build/hal/%.wasm: hal/tests/%.c hal/guest/elastic_hal.h hal/tests/guest_test.h
	@mkdir -p $(dir $@)
	$(WASI_CC) $(WASI_CFLAGS) -Ihal/guest $< -o $@

$(B)/hal/unit_%: hal/tests/unit_%.c $(B)/libelvm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -iquote hal $< $(B)/libelvm.a $(LDFLAGS) $(HAL_LIBS) -lcmocka -o $@

build/examples/hal/%.wasm: examples/hal/%.c hal/guest/elastic_hal.h
	@mkdir -p $(dir $@)
	$(WASI_CC) $(WASI_CFLAGS) -Ihal/guest $< -o $@

.PHONY: hal-test hal-demo
hal-test: $(B)/hal_run $(HAL_GUEST_WASM) $(HAL_UNIT_BIN) $(HAL_EXAMPLE_WASM)
	@B=$(B) sh hal/tests/run.sh

hal-demo: $(B)/hal_run $(HAL_EXAMPLE_WASM)
	@B=$(B) sh examples/hal/demo.sh
