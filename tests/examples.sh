#!/bin/sh
# examples.sh: runs the example programs under elvm, checks their output and exit status
# against examples/*.expected AND against the same C programs built natively with gcc,
# then checks the CLI's error handling, --invoke, traps, fuel and the WASI host's checks.
#
#   B=build sh tests/examples.sh      (make examples-test; B is the dir holding elvm)
#
# The wasm examples are build/examples/*.wasm (the Makefile builds them from
# examples/*.c with clang --target=wasm32-wasi); the .wat modules are assembled here
# with wat2wasm. Ends with "N passed, N failed" and exits non-zero on any failure.
set -u

B=${B:-build}
ELVM=${ELVM:-$B/elvm}             # tests/memcheck.sh runs it under valgrind
W=build/examples                 # wasm examples (one copy, whatever the variant)
NAT=build/examples/native        # the same examples built natively
T=$B/tests/examples              # outputs of this run
DATA=examples/data
mkdir -p "$NAT" "$T"

TEST_TIMEOUT=120
. "$(dirname "$0")/lib.sh"

# check NAME EXIT OUT ERR CMD...: runs CMD and wants exit status EXIT, stdout equal to the
# file OUT ("-": anything), stderr containing the text ERR ("-": anything). ERR starting
# with "1:" also wants stderr to be exactly one line.
check() {
    cname=$1 want_rc=$2 want_out=$3 want_err=$4
    shift 4
    run "$cname" "$@"
    if [ "$rc" != "$want_rc" ]; then bad "$cname" "exit status $rc, wanted $want_rc"; return; fi
    if [ "$want_out" != "-" ] && ! cmp -s "$want_out" "$T/$cname.out"; then
        bad "$cname" "stdout differs from $want_out:"
        diff "$want_out" "$T/$cname.out" | head -n 10
        return
    fi
    case $want_err in
    -) ;;
    1:*)
        lines=$(wc -l <"$T/$cname.err")
        if [ "$lines" -ne 1 ]; then bad "$cname" "stderr has $lines lines, wanted 1"; return; fi
        if ! grep -qF -- "${want_err#1:}" "$T/$cname.err"; then
            bad "$cname" "stderr lacks '${want_err#1:}'"
            return
        fi
        ;;
    *)
        if ! grep -qF -- "$want_err" "$T/$cname.err"; then
            bad "$cname" "stderr lacks '$want_err'"
            return
        fi
        ;;
    esac
    ok "$cname"
}

# native NAME EXIT CMD...: runs CMD (a native build in $NAT) and wants the same stdout as
# the elvm run NAME (already done) and exit status EXIT.
native() {
    nname=$1 want_rc=$2
    shift 2
    run "$nname.native" "$@"
    if [ "$rc" != "$want_rc" ]; then bad "$nname.native" "exit status $rc, wanted $want_rc"; return; fi
    if ! cmp -s "$T/$nname.out" "$T/$nname.native.out"; then
        bad "$nname.native" "elvm and native stdout differ:"
        diff "$T/$nname.out" "$T/$nname.native.out" | head -n 10
        return
    fi
    ok "$nname.native"
}

# want TEXT: a file holding TEXT and a newline, to compare stdout with.
want() {
    wf=$T/want.$pass.$fail
    printf '%s\n' "$@" >"$wf"
    echo "$wf"
}
empty=$T/empty
: >"$empty"

# ---- build what the checks need ---------------------------------------------------------
if [ ! -x "$ELVM" ]; then
    echo "examples.sh: $ELVM is missing (make $ELVM)"
    echo "0 passed, 1 failed"
    exit 1
fi
for ex in hello cat ls primes; do
    if [ ! -f "$W/$ex.wasm" ]; then
        bad "build.$ex" "$W/$ex.wasm is missing (make $W/$ex.wasm)"
        continue
    fi
    if ! gcc -O2 -o "$NAT/$ex" "examples/$ex.c" 2>"$T/build.$ex.err"; then
        bad "build.$ex" "gcc failed on examples/$ex.c"
    fi
done
for wat in examples/calc.wat tests/wat/wasi_probe.wat tests/wat/wasi_all.wat; do
    out=$T/$(basename "$wat" .wat).wasm
    wat2wasm --debug-names "$wat" -o "$out" 2>"$T/wat.err" || bad "wat2wasm.$(basename "$wat")" "$(cat "$T/wat.err")"
done
CALC=$T/calc.wasm
PROBE=$T/wasi_probe.wasm

# ---- the examples: under elvm, against .expected and the native build -------------------
# hello: arguments and an environment variable given with --env.
check hello 0 examples/hello.expected - env NAME=host "$ELVM" run --env NAME=elvm "$W/hello.wasm" one "two words"
native hello 0 env NAME=elvm "$NAT/hello" one "two words"
# The host's environment never reaches the guest.
check hello.noenv 0 "$(want "Hello, world!" "I was given 0 arguments.")" - env NAME=leak "$ELVM" run "$W/hello.wasm"

# cat: reads a file from a preopened directory (fopen, fstat, fseek/ftell, fread).
check cat 0 examples/cat.expected - "$ELVM" run --dir "$DATA::/data" "$W/cat.wasm" /data/poem.txt
native cat 0 "$NAT/cat" "$DATA/poem.txt"
# The same with the portable path walk instead of openat2.
check cat.walk 0 examples/cat.expected - env ELVM_WASI_PATH_WALK=1 "$ELVM" run --dir "$DATA::/data" "$W/cat.wasm" /data/poem.txt
# A directory given under its own name (no ::GUEST).
check cat.samename 0 examples/cat.expected - "$ELVM" run --dir "$DATA" "$W/cat.wasm" "$DATA/poem.txt"
check cat.missing 1 "$empty" "No such file or directory" "$ELVM" run --dir "$DATA::/data" "$W/cat.wasm" /data/nope.txt
native cat.missing 1 "$NAT/cat" "$DATA/nope.txt"
# The sandbox: no way out of the preopened directory, nor into an unlisted one.
check cat.escape 1 "$empty" "Capabilities insufficient" "$ELVM" run --dir "$DATA::/data" "$W/cat.wasm" /data/../../Makefile
check cat.escape.walk 1 "$empty" "Capabilities insufficient" env ELVM_WASI_PATH_WALK=1 "$ELVM" run --dir "$DATA::/data" "$W/cat.wasm" /data/notes/../../poem.txt/../../Makefile
check cat.nodir 1 "$empty" - "$ELVM" run "$W/cat.wasm" /data/poem.txt

# ls: opendir/readdir (fd_readdir) and open + fstat of each entry.
check ls 0 examples/ls.expected - "$ELVM" run --dir "$DATA::/data" "$W/ls.wasm" /data
native ls 0 "$NAT/ls" "$DATA"

# primes: compute; exit status 2 on a bad argument.
check primes 0 examples/primes.expected - "$ELVM" run "$W/primes.wasm" 100000
native primes 0 "$NAT/primes" 100000
check primes.badarg 2 "$empty" "N must be a number" "$ELVM" run "$W/primes.wasm" lots
native primes.badarg 2 "$NAT/primes" lots
check primes.stats 0 examples/primes.expected "instructions executed" "$ELVM" run --stats "$W/primes.wasm" 100000
if grep -q "instructions executed: [1-9]" "$T/primes.stats.err" &&
    grep -q "wall time: " "$T/primes.stats.err" &&
    grep -q "peak linear memory: [1-9]" "$T/primes.stats.err"; then
    ok primes.stats.values
else
    bad primes.stats.values "--stats printed no instruction count, time or peak memory"
fi

# ---- the CLI's errors: one line on stderr, exit status 1 ------------------------------------
check err.missing 1 "$empty" "1:elvm: error: $T/nope.wasm: " "$ELVM" run "$T/nope.wasm"
head -c 100 "$CALC" >"$T/truncated.wasm"
check err.truncated 1 "$empty" "1:elvm: error: $T/truncated.wasm: " "$ELVM" run "$T/truncated.wasm"
printf 'not a wasm module at all\n' >"$T/garbage.wasm"
check err.garbage 1 "$empty" "1:elvm: error: $T/garbage.wasm: " "$ELVM" run "$T/garbage.wasm"
: >"$T/empty.wasm"
check err.empty 1 "$empty" "1:elvm: error: $T/empty.wasm: " "$ELVM" run "$T/empty.wasm"
check err.directory 1 "$empty" "1:elvm: error: " "$ELVM" run "$DATA"
printf '(module (import "env" "missing" (func)) (func (export "_start")))' >"$T/unknown.wat"
wat2wasm "$T/unknown.wat" -o "$T/unknown.wasm"
check err.unknown_import 1 "$empty" "1:unknown import" "$ELVM" run "$T/unknown.wasm"
check err.validate_trunc 1 "$empty" "1:elvm: error: " "$ELVM" validate "$T/truncated.wasm"
check err.bad_flag 1 "$empty" "1:unknown option '--bogus'" "$ELVM" run --bogus "$W/hello.wasm"
check err.bad_fuel 1 "$empty" "1:--fuel" "$ELVM" run --fuel lots "$W/hello.wasm"
check err.no_file 1 "$empty" "1:no module" "$ELVM" run
check err.bad_command 1 "$empty" "1:unknown command" "$ELVM" frobnicate
check err.bad_dir 1 "$empty" "1:cannot open directory" "$ELVM" run --dir "$T/no-such-dir" "$CALC"
check err.no_start 1 "$empty" "1:_start" "$ELVM" run "$CALC"
check err.no_export 1 "$empty" "1:no exported function 'nope'" "$ELVM" run --invoke nope "$CALC"
check err.arg_count 1 "$empty" "1:takes 2 arguments" "$ELVM" run --invoke sub "$CALC" 1
check err.arg_parse 1 "$empty" "1:cannot read 'x' as i32" "$ELVM" run --invoke sub "$CALC" 1 x

# ---- help, version, validate, inspect ----------------------------------------------------
check help 0 - - "$ELVM" --help
check help.run 0 - - "$ELVM" help run
check help.run2 0 - - "$ELVM" run --help
check version 0 - - "$ELVM" --version
check validate 0 "$(want "$W/hello.wasm: valid")" - "$ELVM" validate "$W/hello.wasm"
check inspect 0 - - "$ELVM" inspect "$W/hello.wasm"
grep -q "wasi_snapshot_preview1.fd_write" "$T/inspect.out" && grep -q "_start" "$T/inspect.out" &&
    ok inspect.content || bad inspect.content "no fd_write import or _start export listed"

# ---- --invoke: arguments by type, results as TYPE:VALUE -------------------------------------
check invoke.i32 0 "$(want i32:-7)" - "$ELVM" run --invoke sub "$CALC" 3 10
check invoke.hex 0 "$(want i32:-1)" - "$ELVM" run --invoke sub "$CALC" 0xffffffff 0
check invoke.i64 0 "$(want i64:-9223372036854775808)" - "$ELVM" run --invoke add64 "$CALC" 9223372036854775807 1
check invoke.f64 0 "$(want f64:0x1.8p+1)" - "$ELVM" run --invoke mul "$CALC" 1.5 2
check invoke.f32 0 "$(want f32:0x1p-1)" - "$ELVM" run --invoke half "$CALC" 1
check invoke.f32hex 0 "$(want f32:0x1.99999ap-4)" - "$ELVM" run --invoke id_f32 "$CALC" 0x1.99999ap-4
check invoke.inf 0 "$(want f64:-inf)" - "$ELVM" run --invoke id_f64 "$CALC" -inf
check invoke.nan32 0 "$(want f32:nan:0x200001)" - "$ELVM" run --invoke id_f32 "$CALC" nan:0x200001
check invoke.nan64 0 "$(want f64:-nan:0x8000000000000)" - "$ELVM" run --invoke id_f64 "$CALC" -nan
check invoke.multi 0 "$(want i32:3 i32:2)" - "$ELVM" run --invoke divmod "$CALC" 17 5
check invoke.ref 0 "$(want funcref:null)" - "$ELVM" run --invoke null "$CALC"

# ---- traps: "elvm: trap: MESSAGE", a backtrace, exit status 134 -----------------------------
check trap.div 134 "$empty" "elvm: trap: integer divide by zero" "$ELVM" run --invoke div_s "$CALC" 1 0
check trap.unreachable 134 "$empty" "elvm: trap: unreachable" "$ELVM" run --invoke crash "$CALC"
if [ "$(grep -c '#[0-9]' "$T/trap.unreachable.err")" -ge 3 ] &&
    grep -q 'inner' "$T/trap.unreachable.err" && grep -q 'crash' "$T/trap.unreachable.err"; then
    ok trap.backtrace
else
    bad trap.backtrace "wanted 3 or more named frames (crash -> middle -> inner)"
fi
check trap.fuel 134 "$empty" "elvm: trap: out of fuel" "$ELVM" run --fuel 10000 --invoke spin "$CALC"
check fuel.enough 0 "$(want i32:-7)" - "$ELVM" run --fuel 100 --invoke sub "$CALC" 3 10
check stats.memory 0 "$(want i32:1)" "peak linear memory: 655360 bytes" "$ELVM" run --stats --invoke grow "$CALC" 9

# ---- the WASI host: checked pointers, errnos, every import defined ---------------------------
check wasi.all_imports 0 "$empty" - "$ELVM" run "$T/wasi_all.wasm"
check wasi.write_ok 0 "$(want ok i32:0)" - "$ELVM" run --invoke write_ok "$PROBE"
for probe in write_iovs_oob:21 write_buf_oob:21 write_huge_count:21 write_result_oob:21 \
    write_bad_fd:8 args_oob:21 clock_bad_id:28 clock_ok:0 random_all:0 random_oob:21 \
    prestat_3:8 readdir_stdout:76 nosys:52; do
    check "wasi.${probe%:*}" 0 "$(want "i32:${probe#*:}")" - "$ELVM" run --invoke "${probe%:*}" "$PROBE"
done
for probe in open_dotdot:76 open_absolute:76 open_ok:0 open_path_oob:21 prestat_3:0; do
    check "wasi.dir.${probe%:*}" 0 "$(want "i32:${probe#*:}")" - "$ELVM" run --dir "$DATA" --invoke "${probe%:*}" "$PROBE"
    check "wasi.walk.${probe%:*}" 0 "$(want "i32:${probe#*:}")" - env ELVM_WASI_PATH_WALK=1 "$ELVM" run --dir "$DATA" --invoke "${probe%:*}" "$PROBE"
done
check wasi.proc_exit 7 "$empty" - "$ELVM" run --invoke exit7 "$PROBE"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
