#!/bin/sh
# demo.sh: a guided run of the bundled examples under elvm (make demo). Each step says
# what it shows, prints the command, runs it and prints its exit status.
#   B=build sh examples/demo.sh
set -u
B=${B:-build}
ELVM=$B/elvm
W=build/examples
DATA=examples/data

if [ ! -x "$ELVM" ]; then
    echo "demo.sh: $ELVM is missing; run 'make' first" >&2
    exit 1
fi
if [ ! -f "$W/calc.wasm" ] || [ examples/calc.wat -nt "$W/calc.wasm" ]; then
    wat2wasm --debug-names examples/calc.wat -o "$W/calc.wasm" || exit 1
fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
note() { printf '   %s\n' "$*"; }
show() {
    line=""
    for a in "$@"; do
        case $a in *" "*) a="\"$a\"" ;; esac
        line="$line $a"
    done
    printf '\033[36m$%s\033[0m\n' "$line"
    "$@"
    printf '\033[2m(exit status %d)\033[0m\n' $?
}

step "1. hello.c, compiled with clang --target=wasm32-wasi, run as a WASI command"
note "Arguments after the module become its argv; --env sets the only variables it sees."
show "$ELVM" run --env NAME=elvm "$W/hello.wasm" one "two words"

step "2. cat.c reads a file from a directory handed to it with --dir HOST::GUEST"
note "The guest sees examples/data as /data, and nothing else of the host."
show "$ELVM" run --dir "$DATA::/data" "$W/cat.wasm" /data/poem.txt

step "3. ls.c lists that directory (fd_readdir), with each entry's size (fstat)"
show "$ELVM" run --dir "$DATA::/data" "$W/ls.wasm" /data

step "4. The sandbox: paths cannot climb out of a preopened directory"
note "The guest asks for /data/../../Makefile; elvm answers ERRNO_NOTCAPABLE."
show "$ELVM" run --dir "$DATA::/data" "$W/cat.wasm" /data/../../Makefile

step "5. primes.c: a little compute, with --stats (instructions, time, peak memory)"
show "$ELVM" run --stats "$W/primes.wasm" 1000000

step "6. --invoke calls one export; results print as TYPE:VALUE, floats as exact hex"
show "$ELVM" run --invoke sub "$W/calc.wasm" 3 10
show "$ELVM" run --invoke mul "$W/calc.wasm" 1.5 2
show "$ELVM" run --invoke divmod "$W/calc.wasm" 17 5
show "$ELVM" run --invoke id_f32 "$W/calc.wasm" nan:0x200001

step "7. A trap prints its message and a backtrace, and exits 134"
show "$ELVM" run --invoke div_s "$W/calc.wasm" 1 0
show "$ELVM" run --invoke crash "$W/calc.wasm"

step "8. --fuel bounds the instructions a guest may run"
show "$ELVM" run --fuel 1000000 --invoke spin "$W/calc.wasm"

step "9. Bad input is one line on stderr and exit status 1"
show "$ELVM" run "$W/missing.wasm"
show "$ELVM" run examples/hello.c

step "10. inspect lists what a module imports and exports"
show "$ELVM" inspect "$W/hello.wasm"
