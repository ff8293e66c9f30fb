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
# build/obj: coverage instrumentation and sanitizers must reach every function of vm/.

FUZZ_CC      ?= clang
AFL_CC       ?= afl-clang-fast
FUZZ_TARGETS  = fuzz_decode fuzz_exec
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
T            ?= fuzz_exec
S            ?= 60
# per-input limits: a slow input is a finding too, but not one worth minutes of CPU
FUZZ_OPTS    ?= -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
                -dict=fuzz/wasm.dict
FUZZ_NICE    ?= nice -n 19

.PHONY: fuzz-build fuzz-smoke fuzz fuzz-afl fuzz-afl-run difftest difftest-tools

# ---- libFuzzer ----------------------------------------------------------------------------
# vm/ and the generator: -fsanitize=fuzzer-no-link gives coverage without libFuzzer's main
build/fuzz/obj/%.o: %.c $(FUZZ_VM_DEPS) fuzz/wasmgen.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/%: fuzz/%.c $(FUZZ_VM_OBJ) fuzz/fuzz_common.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Werror -fsanitize=fuzzer $< $(FUZZ_VM_OBJ) -lm -o $@

# named explicitly, so make treats the objects as real targets, not intermediate files
$(addprefix build/fuzz/,$(FUZZ_TARGETS)): $(FUZZ_VM_OBJ)
fuzz-build: $(addprefix build/fuzz/,$(FUZZ_TARGETS))

# Each target runs on a scratch copy of its seed corpus, so smoke runs never grow fuzz/corpus.
fuzz-smoke: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  rm -rf build/fuzz/smoke/$$t && mkdir -p build/fuzz/smoke/$$t build/fuzz/crashes && \
	  echo "fuzz-smoke: $$t for $(S) s" && \
	  $(FUZZ_NICE) build/fuzz/$$t $(FUZZ_OPTS) -max_total_time=$(S) \
	    -artifact_prefix=build/fuzz/crashes/$$t- build/fuzz/smoke/$$t fuzz/corpus/$$t \
	    >build/fuzz/smoke/$$t.log 2>&1 || { tail -40 build/fuzz/smoke/$$t.log; exit 1; }; \
	  grep -E '^stat::number_of_executed_units|^Done' build/fuzz/smoke/$$t.log | tr '\n' ' '; echo; \
	done

# Long run: the working corpus lives in build/fuzz/corpus/T; merge the good finds back
# into fuzz/corpus/T by hand (-merge=1) when they add coverage.
fuzz: build/fuzz/$(T)
	@mkdir -p build/fuzz/corpus/$(T) build/fuzz/crashes
	$(FUZZ_NICE) build/fuzz/$(T) $(FUZZ_OPTS) -max_total_time=$(S) \
	  -artifact_prefix=build/fuzz/crashes/$(T)- build/fuzz/corpus/$(T) fuzz/corpus/$(T)

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
build/fuzz-afl/obj/%.o: %.c $(FUZZ_VM_DEPS) fuzz/wasmgen.h
	@mkdir -p $(dir $@)
	$(AFL_CC) $(AFL_CFLAGS) -c $< -o $@

build/fuzz-afl/%: fuzz/%.c $(AFL_VM_OBJ) fuzz/fuzz_common.h
	@mkdir -p $(dir $@)
	$(AFL_CC) $(AFL_CFLAGS) -fsanitize=fuzzer $< $(AFL_VM_OBJ) -lm -o $@

$(addprefix build/fuzz-afl/,$(FUZZ_TARGETS)): $(AFL_VM_OBJ)
fuzz-afl: $(addprefix build/fuzz-afl/,$(FUZZ_TARGETS))

fuzz-afl-run: build/fuzz-afl/$(T)
	@mkdir -p build/fuzz-afl/out
	AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
	  $(FUZZ_NICE) afl-fuzz -V $(S) -t 10000 -m none -x fuzz/wasm.dict -i fuzz/corpus/$(T) \
	  -o build/fuzz-afl/out/$(T) -- build/fuzz-afl/$(T)

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
