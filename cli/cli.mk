# cli/cli.mk: how build/elvm is linked, and what it needs beyond the C sources in cli/:
# the C++ TOML reader (cli/toml.cpp with Debian's libtomlplusplus-dev), built as the
# plugin libelvm-toml.so beside the executable, and the CLI's libraries (cJSON for
# manifests and --log, loaded on first use by cli/cjson_lazy.c; OpenSSL's libcrypto for
# the module's sha256 in --log, also loaded then; pthreads for --timeout). Included by the
# Makefile after CLI_OBJ.
CXX      ?= g++
# The TOML reader is loaded by cli/toml_lazy.c when a TOML manifest needs it: linked in,
# it brought libstdc++ (statically: as a shared library it tripled the start-up time),
# whose 3,400 load-time relocations and pages cost every `elvm run` ~0.34 ms. The plugin
# links libcjson (its tree is the one manifest.c reads, through the same loaded library)
# and the shared libstdc++; it exports cli_toml_parse alone.
TOML_PLUGIN  = $(B)/libelvm-toml.so
CLI_CXXFLAGS = -std=c++17 -Wall -Wextra -Werror -Wshadow -g $(OPT) -DTOML_HEADER_ONLY=1 \
               -fPIC -fvisibility=hidden
# -z pack-relative-relocs: load-time relative relocations as a RELR bitmap instead of
# RELA entries, which the loader reads and applies faster (binutils >= 2.38, glibc >=
# 2.36: Debian 12).
# No -lcjson: cli/cjson_lazy.c loads libcjson.so.1 when a manifest or --log needs it.
CLI_LIBS = -lpthread -ldl -Wl,-z,pack-relative-relocs

$(B)/obj/cli/toml.pic.o: cli/toml.cpp cli/toml.h cli/cli.mk
	@mkdir -p $(dir $@)
	$(CXX) $(CLI_CXXFLAGS) -c $< -o $@

$(TOML_PLUGIN): $(B)/obj/cli/toml.pic.o cli/toml.map
	$(CXX) -shared $< $(LDSAN) -lcjson -Wl,-z,defs -Wl,--as-needed \
	  -Wl,--version-script=cli/toml.map -o $@

# build/elvm is a static PIE: no dynamic loader and no libc.so to map and relocate at its
# start. A static program cannot load shared libraries, so cli_run hands runs with a
# manifest or --log to elvm-dyn: the same CLI, linked dynamically against glibc
# (cli/dl.c). It keeps address-space randomisation.
#
# It is linked against musl (Debian's musl-tools) when that is installed, else against
# glibc. Starting a static program is mostly page faults on these VMs (~13 us each, a
# fresh page ~25 us), and glibc's own start-up in a static program (tunables, CPU
# features, IRELATIVE relocations, TLS) touches ~20 pages that musl's does not: posix_spawn
# to exit, 301 alternating runs, a static C hello-world took 1.45 ms with glibc and
# 0.73 ms with musl, and `elvm run hello.wasm` 2.10 ms with glibc and 1.74 ms with musl.
# musl 1.2.3 (Debian 12) applies no RELR relocations in a static PIE, so that link keeps
# plain RELA ones. The sanitizer build's elvm stays dynamic (ASan and UBSan need the
# dynamic loader) and does every run itself.
# (decided once per make run, when make reads this: `make deps all` on a machine without
# musl builds against glibc in that run, and the next run relinks against musl)
MUSL_CC   ?= musl-gcc
ifndef MUSL_LIB
MUSL_LIB  := /usr/lib/$(shell $(CC) -print-multiarch | sed 's/-gnu$$/-musl/')
endif
ifndef ELVM_LIBC
ELVM_LIBC := $(if $(and $(wildcard $(MUSL_LIB)/rcrt1.o),$(shell command -v $(MUSL_CC))),musl,glibc)
endif
# $(B)/elvm.libc holds the choice, rewritten only when it changes, so a new choice relinks
ifneq ($(SANITIZE),1)
$(shell mkdir -p $(B) && [ "$$(cat $(B)/elvm.libc 2>/dev/null)" = "$(ELVM_LIBC)" ] || \
        echo "$(ELVM_LIBC)" > $(B)/elvm.libc)
# and again when `make clean all` removed it in this run
$(B)/elvm.libc:
	@mkdir -p $(@D) && echo "$(ELVM_LIBC)" > $@
# the same CLI, dynamic, whichever C library elvm has
$(B)/elvm-dyn: $(CLI_OBJ) $(B)/libelvm.a cli/cli.mk | $(TOML_PLUGIN)
	$(CC) $(CLI_OBJ) $(B)/libelvm.a $(LDFLAGS) $(CLI_LIBS) -o $@
endif
ifeq ($(SANITIZE),1)
$(B)/elvm: $(CLI_OBJ) $(B)/libelvm.a cli/cli.mk | $(TOML_PLUGIN)
	$(CC) $(CLI_OBJ) $(B)/libelvm.a $(LDFLAGS) $(CLI_LIBS) -o $@
else ifeq ($(ELVM_LIBC),musl)
# Every C file of the library and the CLI again, against musl's headers. musl-gcc leaves
# out /usr/include, so the kernel's headers (openat2, PATH_MAX) and cJSON's (its types;
# the static elvm never calls it) come in through links in $(B)/musl-include, after
# musl's own.
MUSL_INC = $(B)/musl-include
MUSL_LIB_OBJ = $(patsubst %.c,$(B)/obj-musl/%.o,$(VM_SRC) $(WASI_SRC))
MUSL_CLI_OBJ = $(patsubst %.c,$(B)/obj-musl/%.o,$(CLI_SRC))
$(MUSL_INC)/.stamp:
	@mkdir -p $(MUSL_INC)
	ln -sfn /usr/include/linux $(MUSL_INC)/linux
	ln -sfn /usr/include/asm-generic $(MUSL_INC)/asm-generic
	ln -sfn /usr/include/$(shell $(CC) -print-multiarch)/asm $(MUSL_INC)/asm
	ln -sfn /usr/include/cjson $(MUSL_INC)/cjson
	@touch $@
$(B)/obj-musl/%.o: %.c $(wildcard vm/*.h vm/*.def wasi/*.h cli/*.h) | $(MUSL_INC)/.stamp
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(CFLAGS) -fPIE -DELVM_CLI_STATIC -idirafter $(MUSL_INC) -c $< -o $@
$(B)/obj-musl/libelvm.a: $(MUSL_LIB_OBJ)
	rm -f $@ && ar rcs $@ $^
# order-only: elvm runs modules without elvm-dyn and the TOML plugin, but a build holds all
$(B)/elvm: $(MUSL_CLI_OBJ) $(B)/obj-musl/libelvm.a cli/cli.mk $(B)/elvm.libc | $(B)/elvm-dyn
	$(CC) -static-pie -nostdlib -nostartfiles $(MUSL_LIB)/rcrt1.o $(MUSL_LIB)/crti.o \
	  $(shell $(CC) -print-file-name=crtbeginS.o) $(MUSL_CLI_OBJ) $(B)/obj-musl/libelvm.a \
	  -L$(MUSL_LIB) -lc $(shell $(CC) -print-libgcc-file-name) \
	  $(shell $(CC) -print-file-name=crtendS.o) $(MUSL_LIB)/crtn.o -o $@
else
# only the files that test ELVM_CLI_STATIC are compiled again for it
STATIC_CLI_SRC = $(shell grep -l ELVM_CLI_STATIC $(CLI_SRC))
STATIC_CLI_OBJ = $(filter-out $(patsubst %.c,$(B)/obj/%.o,$(STATIC_CLI_SRC)),$(CLI_OBJ)) \
                 $(patsubst %.c,$(B)/obj-static/%.o,$(STATIC_CLI_SRC))
$(B)/obj-static/cli/%.o: cli/%.c $(wildcard cli/*.h vm/elvm.h wasi/wasi.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DELVM_CLI_STATIC -c $< -o $@
# order-only: elvm runs modules without elvm-dyn and the TOML plugin, but a build holds all
$(B)/elvm: $(STATIC_CLI_OBJ) $(B)/libelvm.a cli/cli.mk $(B)/elvm.libc | $(B)/elvm-dyn
	$(CC) -static-pie $(STATIC_CLI_OBJ) $(B)/libelvm.a $(LDFLAGS) -lpthread \
	  -Wl,-z,pack-relative-relocs -o $@
endif
