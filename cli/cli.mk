# cli/cli.mk: what build/elvm needs beyond the C sources in cli/: the C++ TOML reader
# (cli/toml.cpp with Debian's libtomlplusplus-dev), built as the plugin libelvm-toml.so
# beside the executable, and the CLI's libraries (cJSON for manifests and --log, loaded on
# first use by cli/cjson_lazy.c; OpenSSL's libcrypto for the module's sha256 in --log,
# also loaded then; pthreads for --timeout). Included by the Makefile after CLI_OBJ and
# before $(B)/elvm.
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
