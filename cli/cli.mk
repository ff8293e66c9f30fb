# cli/cli.mk: what build/elvm needs beyond the C sources in cli/: the C++ file that reads
# TOML manifests (cli/toml.cpp, with Debian's libtomlplusplus-dev) and the CLI's libraries
# (cJSON for manifests and --log, loaded on first use by cli/cjson_lazy.c; OpenSSL's
# libcrypto for the module's sha256 in --log, also loaded then; pthreads for --timeout). Included by the Makefile after CLI_OBJ and before $(B)/elvm.
CXX      ?= g++
CLI_CXX_SRC = $(wildcard cli/*.cpp)
CLI_OBJ  += $(patsubst %.cpp,$(B)/obj/%.o,$(CLI_CXX_SRC))
# toml++ compiled in (header-only, its intended use) and libstdc++ linked statically:
# loading the shared libraries tripled the start-up time of `elvm run` (hello-world:
# ~1.1 ms -> ~3 ms minimum); libgcc too, one shared library less to map at start.
# OpenSSL stays out of `elvm`: --log loads libcrypto when it hashes a module, and
# `elvm attest` runs the sibling program elvm-attest.
CLI_CXXFLAGS = -std=c++17 -Wall -Wextra -Werror -Wshadow -g $(OPT) -DTOML_HEADER_ONLY=1
# -z pack-relative-relocs: the 3,400 load-time relative relocations (mostly libstdc++'s
# vtables) as a 584-byte RELR bitmap instead of 80 KB of RELA entries, which the loader
# reads and applies faster (binutils >= 2.38, glibc >= 2.36: Debian 12).
# No -lcjson: cli/cjson_lazy.c loads libcjson.so.1 when a manifest or --log needs it.
CLI_LIBS = -Wl,-Bstatic -lstdc++ -Wl,-Bdynamic -static-libgcc -lpthread -ldl \
           -Wl,-z,pack-relative-relocs

$(B)/obj/cli/%.o: cli/%.cpp cli/toml.h cli/cli.mk
	@mkdir -p $(dir $@)
	$(CXX) $(CLI_CXXFLAGS) -c $< -o $@
