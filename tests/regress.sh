#!/bin/sh
# regress.sh: runs tests/regress/*.wat: each file says in its header comment how to run
# it (";; run: ARGS" for `elvm run ARGS`, where %W stands for the compiled module) and
# what must come out (";; expect:" lines of stdout, ";; exit: N"). Env B: the build dir
# holding elvm.
B=${B:-build}
dir=$(dirname "$0")/regress
out=$B/regress
mkdir -p "$out"
pass=0
fail=0
for wat in "$dir"/*.wat; do
    name=$(basename "$wat" .wat)
    wasm=$out/$name.wasm
    if ! wat2wasm "$wat" -o "$wasm" 2>"$out/$name.err"; then
        echo "FAIL $name: wat2wasm: $(head -1 "$out/$name.err")"
        fail=$((fail + 1))
        continue
    fi
    # Split the header into runs: each ";; run:" starts one, its ";; expect:" follow.
    grep -E '^;; (run|expect|exit):' "$wat" | awk -v wasm="$wasm" -v out="$out/$name" '
        /^;; run:/ { n++; sub(/^;; run: */, ""); print > (out "." n ".args"); next }
        /^;; expect:/ { sub(/^;; expect: */, ""); print >> (out "." n ".want"); next }
        /^;; exit:/ { sub(/^;; exit: */, ""); print > (out "." n ".exit"); next }'
    for args in "$out/$name".*.args; do
        base=${args%.args}
        want_exit=0
        [ -f "$base.exit" ] && want_exit=$(cat "$base.exit")
        # %W in the run line stands for the module
        # shellcheck disable=SC2046
        set -- $(sed "s|%W|$wasm|g" "$args")
        "$B/elvm" run "$@" >"$base.got" 2>"$base.stderr"
        rc=$?
        touch "$base.want"
        if [ "$rc" = "$want_exit" ] && cmp -s "$base.want" "$base.got"; then
            pass=$((pass + 1))
        else
            echo "FAIL $name ($(cat "$args")): exit $rc (want $want_exit)"
            diff "$base.want" "$base.got" | sed 's/^/    /'
            head -3 "$base.stderr" | sed 's/^/    /'
            fail=$((fail + 1))
        fi
        rm -f "$base.want" "$base.exit"
    done
done
echo "regress: $pass passed, $fail failed"
[ "$fail" = 0 ]
