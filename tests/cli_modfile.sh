#!/bin/sh
# cli_modfile.sh: how `elvm` takes a module file (cli/modfile.c): a regular file is mapped,
# anything else is read. Checks that a module file truncated by another process while
# elvm runs ends in a one-line error and exit status 1 (not a SIGBUS crash), also when a
# lazily compiled function is first called after it, and that modules from a pipe, an
# empty file and a directory are handled as before.
#
#   B=build sh tests/cli_modfile.sh      (B is the dir holding elvm)
#
# Ends with "N passed, N failed" and exits non-zero on any failure.
set -u

B=${B:-build}
ELVM=$B/elvm
T=$B/tests/cli_modfile
WAT=tests/wat
rm -rf "$T"
mkdir -p "$T"

TEST_TIMEOUT=60
. "$(dirname "$0")/lib.sh"

wat2wasm "$WAT/modfile_late_data.wat" -o "$T/late.wasm" 2>"$T/wat.err" ||
    bad wat2wasm "$(cat "$T/wat.err")"

# Untouched, the guest prints "ready", reads a line, then "late" from a passive segment.
printf 'go\n' >"$T/go"
run plain "$ELVM" run "$T/late.wasm" <"$T/go"
if [ "$rc" = 0 ] && [ "$(cat "$T/plain.out")" = "$(printf 'ready\nlate')" ]; then
    ok plain
else
    bad plain "exit status $rc, wanted 0 and ready/late"
fi

# truncated NAME WASM [FLAGS...]: runs a copy of WASM, which prints "ready" and waits for a
# line on stdin; truncates the copy, sends the line, and leaves the exit status in $rc
# (stdout, stderr in $T/NAME.out, .err; $n reaches 200 if "ready" never came).
truncated() {
    tname=$1 twasm=$2
    shift 2
    cp "$twasm" "$T/$tname.wasm"
    rm -f "$T/in"
    mkfifo "$T/in"
    $TO "$ELVM" run "$@" "$T/$tname.wasm" <"$T/in" >"$T/$tname.out" 2>"$T/$tname.err" &
    pid=$!
    exec 3>"$T/in"
    n=0
    while [ "$(cat "$T/$tname.out")" != ready ] && [ $n -lt 200 ]; do
        sleep 0.05
        n=$((n + 1))
    done
    : >"$T/$tname.wasm"
    printf 'go\n' >&3
    exec 3>&-
    wait $pid
    rc=$?
}
# expect_truncation_error NAME: the run ended with the one error line and status 1
expect_truncation_error() {
    if [ $n -ge 200 ]; then
        bad "$1" "the guest never printed ready"
    elif [ "$rc" != 1 ]; then
        bad "$1" "exit status $rc, wanted 1"
    elif ! grep -qF "elvm: error: $T/$1.wasm: the file was truncated while elvm was using it" \
        "$T/$1.err"; then
        bad "$1" "stderr lacks the truncation error"
    elif [ "$(wc -l <"$T/$1.err")" != 1 ]; then
        bad "$1" "stderr has more than the error line"
    else
        ok "$1"
    fi
}
# Truncated while the guest waits on stdin: the passive segment's page is gone from the
# mapping, and reading it must end the run with an error line, not a crash.
truncated truncated "$T/late.wasm"
expect_truncation_error truncated
# The same for code: compiled lazily, a function first called after the truncation is
# read from the mapping then; compiled eagerly, nothing is read after loading.
wat2wasm "$WAT/modfile_late_code.wat" -o "$T/late_code.wasm" 2>"$T/wat.err" ||
    bad wat2wasm "$(cat "$T/wat.err")"
truncated truncated_lazy "$T/late_code.wasm" --compile lazy
expect_truncation_error truncated_lazy
truncated truncated_eager "$T/late_code.wasm" --compile eager
if [ "$rc" = 0 ] && [ "$(cat "$T/truncated_eager.out")" = "$(printf 'ready\nlate')" ]; then
    ok truncated_eager
else
    bad truncated_eager "exit status $rc, wanted 0 and ready/late"
fi
# Not regular files: read, as before.
run pipe sh -c "cat '$T/late.wasm' | '$ELVM' validate /dev/stdin"
if [ "$rc" = 0 ]; then ok pipe; else bad pipe "exit status $rc, wanted 0"; fi
: >"$T/empty.wasm"
run empty "$ELVM" validate "$T/empty.wasm"
if [ "$rc" = 1 ] && grep -qF "elvm: error: $T/empty.wasm:" "$T/empty.err"; then
    ok empty
else
    bad empty "exit status $rc, wanted 1 and an error line"
fi
run directory "$ELVM" validate "$T"
if [ "$rc" = 1 ] && grep -qF "is a directory" "$T/directory.err"; then
    ok directory
else
    bad directory "exit status $rc, wanted 1 and 'is a directory'"
fi
run missing "$ELVM" validate "$T/nothing.wasm"
if [ "$rc" = 1 ] && grep -qF "cannot open" "$T/missing.err"; then
    ok missing
else
    bad missing "exit status $rc, wanted 1 and 'cannot open'"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
