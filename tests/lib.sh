# lib.sh: what the shell test scripts share (sourced by tests/examples.sh and
# tests/cli_limits.sh): counters, ok/bad reports and running a command into $T/NAME.*.
# The sourcing script sets T (its output folder) and may set TEST_TIMEOUT (seconds).
pass=0
fail=0
TO=""
command -v timeout >/dev/null 2>&1 && TO="timeout ${TEST_TIMEOUT:-120}"

ok() { pass=$((pass + 1)); printf 'ok    %s\n' "$1"; }

# bad NAME WHY: a failure, with the first lines of what NAME printed.
bad() {
    fail=$((fail + 1))
    printf 'FAIL  %s: %s\n' "$1" "$2"
    for f in "$T/$1.out" "$T/$1.err"; do
        [ -s "$f" ] && head -n 8 "$f" | sed "s|^|      $(basename "$f"): |"
    done
    return 0
}

# run NAME CMD...: runs CMD with stdout in $T/NAME.out, stderr in $T/NAME.err, status in $rc.
run() {
    name=$1
    shift
    $TO "$@" >"$T/$name.out" 2>"$T/$name.err"
    rc=$?
}
