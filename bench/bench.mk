# bench/bench.mk: `make bench` (timed comparison with native and other wasm runtimes) and
# `make bench-quick` (checksum smoke test for CI); included by the root Makefile.
#   make bench BENCH_RUNS=3 BENCH_ONLY=fib,sieve BENCH_SLOW=1    (see bench/run.py for all knobs)

BENCH_CC     ?= gcc
BENCH_CFLAGS ?= -O2
BENCH_SRC     = $(wildcard bench/programs/*.c)
BENCH_WASM    = $(patsubst bench/programs/%.c,build/bench/wasm/%.wasm,$(BENCH_SRC))
BENCH_NATIVE  = $(patsubst bench/programs/%.c,build/bench/native/%,$(BENCH_SRC))

.PHONY: bench bench-quick bench-programs

build/bench/wasm/%.wasm: bench/programs/%.c
	@mkdir -p $(dir $@)
	$(WASI_CC) $(WASI_CFLAGS) $< -o $@

build/bench/native/%: bench/programs/%.c
	@mkdir -p $(dir $@)
	$(BENCH_CC) $(BENCH_CFLAGS) $< -o $@ -lm

# The SIMD programs also build with -msimd128 (NAME_simd.wasm), against the same native
# program (NAME_simd): elvm's SIMD speed vs the scalar build and vs native.
BENCH_SIMD = simd_blur simd_dot
BENCH_SIMD_WASM = $(patsubst %,build/bench/wasm/%_simd.wasm,$(BENCH_SIMD))
BENCH_SIMD_NATIVE = $(patsubst %,build/bench/native/%_simd,$(BENCH_SIMD))
build/bench/wasm/%_simd.wasm: bench/programs/%.c
	@mkdir -p $(dir $@)
	$(WASI_CC) $(WASI_CFLAGS) -msimd128 $< -o $@
build/bench/native/%_simd: bench/programs/%.c
	@mkdir -p $(dir $@)
	$(BENCH_CC) $(BENCH_CFLAGS) $< -o $@ -lm

# ... and natively without auto-vectorization (NAME_scalar), the reference for the scalar
# wasm builds: an interpreter's overhead on the same scalar loops
BENCH_SCALAR_NATIVE = $(patsubst %,build/bench/native/%_scalar,$(BENCH_SIMD))
build/bench/native/%_scalar: bench/programs/%.c
	@mkdir -p $(dir $@)
	$(BENCH_CC) $(BENCH_CFLAGS) -fno-tree-vectorize $< -o $@ -lm

# the hello-world linked statically: the start-up floor of a process here (bench/run.py)
build/bench/native/hello_static: bench/programs/hello.c
	@mkdir -p $(dir $@)
	$(BENCH_CC) $(BENCH_CFLAGS) -static $< -o $@

bench-programs: $(BENCH_WASM) $(BENCH_NATIVE) $(BENCH_SIMD_WASM) $(BENCH_SIMD_NATIVE) \
                $(BENCH_SCALAR_NATIVE) build/bench/native/hello_static

bench: $(B)/elvm bench-programs
	python3 bench/run.py --elvm $(B)/elvm full

bench-quick: $(B)/elvm bench-programs
	python3 bench/run.py --elvm $(B)/elvm quick
