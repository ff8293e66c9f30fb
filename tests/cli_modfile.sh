#!/bin/sh
# cli_modfile.sh: how `elvm` takes a module file (cli/modfile.c): a regular file is mapped,
# anything else is read. Checks that a module file truncated by another process while
# elvm runs ends in a one-line error and exit status 1 (not a SIGBUS crash), and that
# modules from a pipe, an empty file and a directory are handled as before.
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

# Truncated while the guest waits on stdin: the passive segment's page is gone from the
# mapping, and reading it must end the run with an error line, not a crash.
cp "$T/late.wasm" "$T/trunc.wasm"
mkfifo "$T/in"
$TO "$ELVM" run "$T/trunc.wasm" <"$T/in" >"$T/truncated.out" 2>"$T/truncated.err" &
pid=$!
exec 3>"$T/in"
n=0
while [ "$(cat "$T/truncated.out")" != ready ] && [ $n -lt 200 ]; do
    sleep 0.05
    n=$((n + 1))
done
: >"$T/trunc.wasm"
printf 'go\n' >&3
exec 3>&-
wait $pid
rc=$?
if [ $n -ge 200 ]; then
    bad truncated "the guest never printed ready"
elif [ "$rc" != 1 ]; then
    bad truncated "exit status $rc, wanted 1"
elif ! grep -qF "elvm: error: $T/trunc.wasm: the file was truncated while elvm was using it" \
    "$T/truncated.err"; then
    bad truncated "stderr lacks the truncation error"
elif [ "$(wc -l <"$T/truncated.err")" != 1 ]; then
    bad truncated "stderr has more than the error line"
else
    ok truncated
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
