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
# start, which took 0.46 ms of a 2.5 ms hello-world run here (posix_spawn to exit, 301
# alternating runs: 2.53 ms dynamic, 2.08 ms static). It keeps address-space
# randomisation, and its RELR relocations cost no more than a fixed-address static link
# (2.154 vs 2.151 ms). A static program cannot load shared libraries, so cli_run hands
# runs with a manifest or --log to elvm-dyn: the same CLI, linked dynamically as elvm was
# before (cli/dl.c). The sanitizer build's elvm stays dynamic (ASan and UBSan need the
# dynamic loader) and does every run itself.
ifeq ($(SANITIZE),1)
$(B)/elvm: $(CLI_OBJ) $(B)/libelvm.a cli/cli.mk | $(TOML_PLUGIN)
	$(CC) $(CLI_OBJ) $(B)/libelvm.a $(LDFLAGS) $(CLI_LIBS) -o $@
else
# only the files that test ELVM_CLI_STATIC are compiled again for it
STATIC_CLI_SRC = $(shell grep -l ELVM_CLI_STATIC $(CLI_SRC))
STATIC_CLI_OBJ = $(filter-out $(patsubst %.c,$(B)/obj/%.o,$(STATIC_CLI_SRC)),$(CLI_OBJ)) \
                 $(patsubst %.c,$(B)/obj-static/%.o,$(STATIC_CLI_SRC))
$(B)/obj-static/cli/%.o: cli/%.c $(wildcard cli/*.h vm/elvm.h wasi/wasi.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DELVM_CLI_STATIC -c $< -o $@
# order-only: elvm runs modules without elvm-dyn and the TOML plugin, but a build holds all
$(B)/elvm: $(STATIC_CLI_OBJ) $(B)/libelvm.a cli/cli.mk | $(B)/elvm-dyn
	$(CC) -static-pie $(STATIC_CLI_OBJ) $(B)/libelvm.a $(LDFLAGS) -lpthread \
	  -Wl,-z,pack-relative-relocs -o $@
$(B)/elvm-dyn: $(CLI_OBJ) $(B)/libelvm.a cli/cli.mk | $(TOML_PLUGIN)
	$(CC) $(CLI_OBJ) $(B)/libelvm.a $(LDFLAGS) $(CLI_LIBS) -o $@
endif
