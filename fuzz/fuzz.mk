# fuzz/fuzz.mk: fuzz targets and differential testing; included by the root Makefile
# (`-include fuzz/fuzz.mk`). fuzz/README.md explains each target.
#
#   make fuzz-build                 libFuzzer targets in build/fuzz/ (clang, ASan + UBSan)
#   make fuzz-smoke [S=60]          every target for S seconds on its corpus (CI)
#   make fuzz T=fuzz_exec S=3600    one target, long run; new inputs go to build/fuzz/corpus/T
#   make fuzz-afl                   the same targets for AFL++ in build/fuzz-afl/ (afl-clang-fast)
#   make fuzz-afl-run T=... S=...   afl-fuzz on one target
#   make difftest [N=200] [SEED=1] [GEN=binaryen|elvm|both]   elvm vs V8 (node) vs wabt
#
# libelvm is compiled again here with the fuzzing flags (build/fuzz/obj), never taken from
# build/obj: coverage instrumentation and sanitizers must reach every function of vm/. So
# are the parts of the hosts the other targets fuzz: wasi/ (fuzz_wasi_path), sevsnp/
# (fuzz_snp_report) and cli/'s manifest reader with its C++ TOML file (fuzz_manifest).

FUZZ_CC      ?= clang
FUZZ_CXX     ?= clang++
AFL_CC       ?= afl-clang-fast
AFL_CXX      ?= afl-clang-fast++
FUZZ_VM_TARGETS   = fuzz_decode fuzz_exec
FUZZ_HOST_TARGETS = fuzz_wasi_path fuzz_snp_report fuzz_manifest
FUZZ_TARGETS  = $(FUZZ_VM_TARGETS) $(FUZZ_HOST_TARGETS)
# FUZZ_SAN_EXTRA, e.g. -fno-sanitize=pointer-overflow, silences one known finding while the
# fuzzers look for others (then `rm -rf build/fuzz/obj`: objects do not track flags)
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
                $(FUZZ_SAN_EXTRA)
FUZZ_WARN     = $(filter-out -Werror,$(WARN))
FUZZ_CFLAGS   = $(FUZZ_WARN) -D_GNU_SOURCE -Ivm -Ifuzz -g -O1 -ffp-contract=off $(FUZZ_SAN)
FUZZ_VM_SRC   = $(wildcard vm/*.c)
FUZZ_VM_DEPS  = $(wildcard vm/*.h vm/*.def)
FUZZ_GEN_SRC  = fuzz/wasmgen.c
FUZZ_VM_OBJ   = $(patsubst %.c,build/fuzz/obj/%.o,$(FUZZ_VM_SRC) $(FUZZ_GEN_SRC))
AFL_VM_OBJ    = $(patsubst %.c,build/fuzz-afl/obj/%.o,$(FUZZ_VM_SRC) $(FUZZ_GEN_SRC))
# The hosts' sources each of the other targets links (fuzz_wasi_path and fuzz_manifest
# also link vm/: the WASI host and the import policy call the engine). They are compiled
# with -iquote, as in the root Makefile: with -Ivm, vm/limits.h would hide <limits.h>.
FUZZ_SRC_fuzz_wasi_path  = $(wildcard wasi/*.c)
FUZZ_SRC_fuzz_snp_report = $(wildcard sevsnp/*.c)
FUZZ_SRC_fuzz_manifest   = cli/manifest.c cli/opts.c cli/policy.c cli/values.c cli/log.c cli/dl.c \
                           cli/toml.cpp
FUZZ_LIBS_fuzz_wasi_path  = -lm -pthread
FUZZ_LIBS_fuzz_snp_report = -lcrypto -lcjson
FUZZ_LIBS_fuzz_manifest   = -lcjson -lm -ldl -pthread
FUZZ_HOST_SRC  = $(foreach t,$(FUZZ_HOST_TARGETS),$(FUZZ_SRC_$(t)))
FUZZ_HOST_DEPS = $(wildcard wasi/*.h sevsnp/*.h cli/*.h) vm/elvm.h
FUZZ_HOST_CFLAGS = $(FUZZ_WARN) -D_GNU_SOURCE -iquote vm -iquote wasi -iquote sevsnp \
                -iquote cli -g -O1 -ffp-contract=off
FUZZ_CXXFLAGS = -std=c++17 -Wall -Wextra -Wshadow -g -O1 -DTOML_HEADER_ONLY=1 -iquote cli
# $(call fuzz_host_obj,BUILD-DIR,TARGET): the objects TARGET links besides its own .c
fuzz_host_obj = $(patsubst %,$(1)/obj/%.o,$(basename $(FUZZ_SRC_$(2)))) \
                $(if $(filter fuzz_snp_report,$(2)),,\
                  $(patsubst %.c,$(1)/obj/%.o,$(FUZZ_VM_SRC) $(FUZZ_GEN_SRC)))
FUZZ_HOST_COBJ = $(patsubst %.c,%.o,$(filter %.c,$(FUZZ_HOST_SRC)))
T            ?= fuzz_exec
S            ?= 60
# per-input limits: a slow input is a finding too, but not one worth minutes of CPU
FUZZ_OPTS    ?= -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1
# each target's dictionary (libFuzzer's -dict, AFL++'s -x): fuzz/wasm.dict for the two
# that read modules, fuzz/T.dict for the others; FUZZ_DICT_SH is the same for the shell
# loop of fuzz-smoke, from $$t
fuzz_dict    = $(if $(filter $(FUZZ_VM_TARGETS),$(1)),fuzz/wasm.dict,fuzz/$(1).dict)
FUZZ_DICT_SH = case $$t in fuzz_decode|fuzz_exec) dict=fuzz/wasm.dict;; *) dict=fuzz/$$t.dict;; esac
FUZZ_NICE    ?= nice -n 19
# fuzz_snp_report's simulated key set (two RSA-4096 keys): made by the first run, then reused
FUZZ_ENV     ?= ELVM_FUZZ_SNP_KEYS=build/fuzz/snp-sim-keys

.PHONY: fuzz-build fuzz-smoke fuzz fuzz-afl fuzz-afl-run difftest difftest-tools \
        $(addprefix fuzz-smoke-,$(FUZZ_TARGETS))

# ---- libFuzzer ----------------------------------------------------------------------------
# vm/ and the generator: -fsanitize=fuzzer-no-link gives coverage without libFuzzer's main
build/fuzz/obj/%.o: %.c $(FUZZ_VM_DEPS) fuzz/wasmgen.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/%: fuzz/%.c $(FUZZ_VM_OBJ) fuzz/fuzz_common.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Werror -fsanitize=fuzzer $< $(FUZZ_VM_OBJ) -lm -o $@

# vm/interp.c is one function with about 1,600 handlers, and two things make clang slow
# on it: tail duplication of the dispatch jump into every handler (quadratic in the handler
# count; it only makes dispatch faster) and UBSan's checks on top of ASan's. The libFuzzer
# build turns tail duplication off and compiles interp.c with ASan and coverage but without
# UBSan: about 3 CPU-minutes, where the full set ran for over an hour. UBSan still sees
# interp.c in `make test SANITIZE=1` (gcc), which runs the spec suite through it.
FUZZ_INTERP_FLAGS = -mllvm -disable-tail-duplicate -mllvm -disable-early-taildup
build/fuzz/obj/vm/interp.o: FUZZ_SAN = -fsanitize=address -fno-omit-frame-pointer $(FUZZ_SAN_EXTRA)
build/fuzz/obj/vm/interp.o: FUZZ_CFLAGS += $(FUZZ_INTERP_FLAGS)

# named explicitly, so make treats the objects as real targets, not intermediate files
$(addprefix build/fuzz/,$(FUZZ_VM_TARGETS)): $(FUZZ_VM_OBJ)
fuzz-build: $(addprefix build/fuzz/,$(FUZZ_TARGETS))

# wasi/, sevsnp/ and cli/ (a static pattern rule: it wins over the vm/ rule above), and
# cli/toml.cpp with clang++ and the same sanitizers
$(addprefix build/fuzz/obj/,$(FUZZ_HOST_COBJ)): build/fuzz/obj/%.o: %.c $(FUZZ_HOST_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_HOST_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/obj/cli/toml.o: cli/toml.cpp cli/toml.h
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

# The host targets: their .c compiled as C, everything linked by clang++ (toml++ is C++).
build/fuzz/fuzz_wasi_path:  $(call fuzz_host_obj,build/fuzz,fuzz_wasi_path)
build/fuzz/fuzz_snp_report: $(call fuzz_host_obj,build/fuzz,fuzz_snp_report)
build/fuzz/fuzz_manifest:   $(call fuzz_host_obj,build/fuzz,fuzz_manifest)
$(addprefix build/fuzz/,$(FUZZ_HOST_TARGETS)): build/fuzz/%: fuzz/%.c
	@mkdir -p build/fuzz/obj/fuzz
	$(FUZZ_CC) $(FUZZ_HOST_CFLAGS) -Werror $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< \
	  -o build/fuzz/obj/fuzz/$*.o
	$(FUZZ_CXX) $(FUZZ_SAN) -fsanitize=fuzzer build/fuzz/obj/fuzz/$*.o $(filter %.o,$^) \
	  $(FUZZ_LIBS_$*) -o $@

# Each target runs on a scratch copy of its seed corpus, so smoke runs never grow fuzz/corpus.
# One rule per target (fuzz-smoke-T), so `make -j2 fuzz-smoke` runs two at a time.
fuzz-smoke: $(addprefix fuzz-smoke-,$(FUZZ_TARGETS))
	@echo "fuzz-smoke: $(words $(FUZZ_TARGETS)) targets, $(S) s each, no crash"
$(addprefix fuzz-smoke-,$(FUZZ_TARGETS)): fuzz-smoke-%: build/fuzz/%
	@t=$*; rm -rf build/fuzz/smoke/$$t && mkdir -p build/fuzz/smoke/$$t build/fuzz/crashes && \
	  echo "fuzz-smoke: $$t for $(S) s" && $(FUZZ_DICT_SH) && \
	  $(FUZZ_ENV) $(FUZZ_NICE) build/fuzz/$$t $(FUZZ_OPTS) -dict=$$dict -max_total_time=$(S) \
	    -artifact_prefix=build/fuzz/crashes/$$t- build/fuzz/smoke/$$t fuzz/corpus/$$t \
	    >build/fuzz/smoke/$$t.log 2>&1 || { tail -40 build/fuzz/smoke/$$t.log; exit 1; }; \
	  echo "fuzz-smoke: $$t ok: $$(grep -E '^stat::number_of_executed_units' build/fuzz/smoke/$$t.log)"

# Long run: the working corpus lives in build/fuzz/corpus/T; merge the good finds back
# into fuzz/corpus/T by hand (-merge=1) when they add coverage.
fuzz: build/fuzz/$(T)
	@mkdir -p build/fuzz/corpus/$(T) build/fuzz/crashes
	$(FUZZ_ENV) $(FUZZ_NICE) build/fuzz/$(T) $(FUZZ_OPTS) -dict=$(call fuzz_dict,$(T)) \
	  -max_total_time=$(S) -artifact_prefix=build/fuzz/crashes/$(T)- \
	  build/fuzz/corpus/$(T) fuzz/corpus/$(T)

# ---- AFL++ ----------------------------------------------------------------------------------
# afl-clang-fast with -fsanitize=fuzzer links AFL++'s driver for LLVMFuzzerTestOneInput.
# Built without sanitizers by default (AFL_SAN adds them): AFL++'s instrumentation of
# interp.c under ASan takes clang over 15 minutes. Replay what AFL++ finds with the
# libFuzzer build (build/fuzz/T FILE), which has ASan and UBSan. The interpreter uses
# switch dispatch here: with computed goto every handler may jump to every other, and
# the edge instrumentation of that graph is slower still.
AFL_SAN      ?=
AFL_CFLAGS    = $(FUZZ_WARN) -D_GNU_SOURCE -Ivm -Ifuzz -g -O1 -ffp-contract=off \
                -DELVM_SWITCH_DISPATCH=1 $(AFL_SAN)
build/fuzz-afl/obj/vm/interp.o: AFL_CFLAGS += $(FUZZ_INTERP_FLAGS)
build/fuzz-afl/obj/%.o: %.c $(FUZZ_VM_DEPS) fuzz/wasmgen.h
	@mkdir -p $(dir $@)
	$(AFL_CC) $(AFL_CFLAGS) -c $< -o $@

build/fuzz-afl/%: fuzz/%.c $(AFL_VM_OBJ) fuzz/fuzz_common.h
	@mkdir -p $(dir $@)
	$(AFL_CC) $(AFL_CFLAGS) -fsanitize=fuzzer $< $(AFL_VM_OBJ) -lm -o $@

$(addprefix build/fuzz-afl/,$(FUZZ_VM_TARGETS)): $(AFL_VM_OBJ)
fuzz-afl: $(addprefix build/fuzz-afl/,$(FUZZ_TARGETS))

AFL_HOST_CFLAGS = $(FUZZ_HOST_CFLAGS) $(AFL_SAN)
$(addprefix build/fuzz-afl/obj/,$(FUZZ_HOST_COBJ)): build/fuzz-afl/obj/%.o: %.c $(FUZZ_HOST_DEPS)
	@mkdir -p $(dir $@)
	$(AFL_CC) $(AFL_HOST_CFLAGS) -c $< -o $@

build/fuzz-afl/obj/cli/toml.o: cli/toml.cpp cli/toml.h
	@mkdir -p $(dir $@)
	$(AFL_CXX) $(FUZZ_CXXFLAGS) $(AFL_SAN) -c $< -o $@

build/fuzz-afl/fuzz_wasi_path:  $(call fuzz_host_obj,build/fuzz-afl,fuzz_wasi_path)
build/fuzz-afl/fuzz_snp_report: $(call fuzz_host_obj,build/fuzz-afl,fuzz_snp_report)
build/fuzz-afl/fuzz_manifest:   $(call fuzz_host_obj,build/fuzz-afl,fuzz_manifest)
$(addprefix build/fuzz-afl/,$(FUZZ_HOST_TARGETS)): build/fuzz-afl/%: fuzz/%.c
	@mkdir -p build/fuzz-afl/obj/fuzz
	$(AFL_CC) $(AFL_HOST_CFLAGS) -Werror -c $< -o build/fuzz-afl/obj/fuzz/$*.o
	$(AFL_CXX) $(AFL_SAN) -fsanitize=fuzzer build/fuzz-afl/obj/fuzz/$*.o $(filter %.o,$^) \
	  $(FUZZ_LIBS_$*) -o $@

fuzz-afl-run: build/fuzz-afl/$(T)
	@mkdir -p build/fuzz-afl/out
	AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
	  AFL_FORKSRV_INIT_TMOUT=60000 $(FUZZ_ENV) $(FUZZ_NICE) afl-fuzz -V $(S) -t 10000 -m none \
	  -x $(call fuzz_dict,$(T)) -i fuzz/corpus/$(T) -o build/fuzz-afl/out/$(T) -- build/fuzz-afl/$(T)

# ---- differential testing ------------------------------------------------------------------
# The elvm side is the ordinary optimized library; the generator is built without sanitizers.
N   ?= 200
SEED ?= 1
GEN ?= both
build/difftest/difftest_elvm: fuzz/difftest_elvm.c $(B)/libelvm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -O2 $< $(B)/libelvm.a $(LDFLAGS) -o $@

build/difftest/wasmgen: fuzz/wasmgen_main.c fuzz/wasmgen.c fuzz/wasmgen.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -Ifuzz -O2 fuzz/wasmgen_main.c fuzz/wasmgen.c -o $@

difftest-tools: build/difftest/difftest_elvm build/difftest/wasmgen

difftest: difftest-tools
	$(FUZZ_NICE) python3 fuzz/difftest.py -n $(N) --seed $(SEED) --gen $(GEN)
