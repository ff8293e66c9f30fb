#!/bin/sh
# run.sh: the WASI host's tests. Builds each wasi/tests/NAME.c with clang
# --target=wasm32-wasi (Debian's wasi-libc) into build/wasi-tests/NAME.wasm, then runs it
# in a fresh fixture directory three ways and wants the same stdout and exit status:
#   NAME          under elvm (paths resolved with openat2 where the kernel has it)
#   NAME.walk     under elvm with ELVM_WASI_PATH_WALK=1 (the portable component walk)
#   NAME.node     under Node's node:wasi, unless the test says "NODE: skip"; Node's
#                 output is compared with NAME.node.expected if there is one (the calls
#                 where Node differs: NODE_DIFFERENCES.md), else with NAME.expected
# After every run the fixture outside the writable preopen must be as it was: nothing
# escaped. A test's header comment sets it up, one " * KEY: value" line each:
#   DIRS: HOST::GUEST[:ro] ...   preopens; HOST is relative to the fixture
#   ARGS: words (shell quoting)   ENV: K=V ...   STDIN: text (a pipe; default /dev/null)
#   EXIT: status (default 0)      DENIALS: yes (--log must record a sandbox denial)
#   TCP: yes     a --tcplisten 127.0.0.1:PORT socket; the script is the client: it sends
#                NAME.client.send and wants NAME.client.expected back
#   NODE: skip REASON
#
#   ELVM=build/elvm sh wasi/tests/run.sh [NAME...]
# Ends with "N passed, N failed" and exits non-zero on any failure.
set -u

ELVM=${ELVM:-build/elvm}
NODE=${NODE:-node}
CLANG=${WASI_CC:-clang}
SRC=$(cd "$(dirname "$0")" && pwd)
OUT=${WASI_TESTS_OUT:-build/wasi-tests}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TO=""
command -v timeout >/dev/null 2>&1 && TO="timeout 60"

pass=0
fail=0
ok() { pass=$((pass + 1)); printf 'ok    %s\n' "$1"; }
bad() {
    fail=$((fail + 1))
    printf 'FAIL  %s: %s\n' "$1" "$2"
}

if [ ! -x "$ELVM" ]; then
    echo "run.sh: $ELVM is missing (set ELVM=path/to/elvm)"
    echo "0 passed, 1 failed"
    exit 1
fi
ELVM=$(cd "$(dirname "$ELVM")" && pwd)/$(basename "$ELVM")
have_node=0
"$NODE" --version >/dev/null 2>&1 && have_node=1

# header NAME KEY: the value of " * KEY: value" in NAME.c, or "".
header() { sed -n "s/^ \* $2: //p" "$SRC/$1.c" | head -n 1; }

# fixture DIR: a fresh world for one run.
fixture() {
    rm -rf "$1"
    mkdir -p "$1/sandbox/sub" "$1/ro/dir" "$1/other"
    printf 'top secret\n' >"$1/secret.txt"
    printf 'hello, sandbox\n' >"$1/sandbox/hello.txt"
    printf 'inner\n' >"$1/sandbox/sub/inner.txt"
    printf 'read only data\n' >"$1/ro/data.txt"
    printf 'x\n' >"$1/ro/dir/file.txt"
    printf 'other\n' >"$1/other/o.txt"
    (
        cd "$1/sandbox" || exit 1
        ln -s hello.txt link_in
        ln -s ../hello.txt sub/link_up
        ln -s "$1/secret.txt" link_abs
        ln -s /etc link_etc
        ln -s ../secret.txt link_out
        ln -s ../../secret.txt sub/link_out
        ln -s chain2 chain1
        ln -s sub/link_out chain2
        ln -s chain_in2 chain_in1
        ln -s sub/inner.txt chain_in2
        ln -s .. dir_out
        ln -s sub dir_in
        ln -s loop2 loop1
        ln -s loop1 loop2
        ln -s nowhere dangling
        ln -s ../nowhere_out dangling_out
    )
}

# outside DIR: what must not change: every name outside sandbox/ and other/, and the
# contents of the files there.
outside() {
    (cd "$1" && find . -path ./sandbox -prune -o -path ./other -prune -o -print | sort &&
        find . -path ./sandbox -prune -o -path ./other -prune -o -type f -print | sort |
        xargs cat)
}

# ---- build ---------------------------------------------------------------------------------
names=""
for c in "$SRC"/*.c; do
    n=$(basename "$c" .c)
    if [ $# -gt 0 ]; then
        case " $* " in *" $n "*) ;; *) continue ;; esac
    fi
    w=$OUT/$n.wasm
    if [ ! -f "$w" ] || [ "$c" -nt "$w" ] || [ "$SRC/t.h" -nt "$w" ]; then
        if ! $CLANG --target=wasm32-wasi -O2 -Wall -Werror -o "$w" "$c" 2>"$OUT/$n.build.err"; then
            bad "$n.build" "clang failed: $(head -n 3 "$OUT/$n.build.err")"
            continue
        fi
    fi
    names="$names $n"
done

# ---- run -----------------------------------------------------------------------------------
PORT=
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# client NAME PORT OUTFILE: connects (retrying while the server starts), sends
# NAME.client.send, half-closes and writes everything it gets back to OUTFILE.
client() {
    python3 - "$SRC/$1.client.send" "$2" "$3" <<'EOF'
import socket, sys, time
data = open(sys.argv[1], 'rb').read()
deadline = time.time() + 20
while True:
    try:
        s = socket.create_connection(('127.0.0.1', int(sys.argv[2])), timeout=20)
        break
    except OSError:
        if time.time() > deadline: raise
        time.sleep(0.05)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
got = b''
while True:
    b = s.recv(4096)
    if not b: break
    got += b
open(sys.argv[3], 'wb').write(got)
EOF
}

# one NAME MODE: runs NAME's wasm one way (elvm, walk, node) and checks it.
one() {
    name=$1 mode=$2
    label=$name
    [ "$mode" != elvm ] && label=$name.$mode
    fx=$OUT/$label.fx
    fixture "$fx"
    rm -f "$fx.log"
    before=$(outside "$fx")
    dirs=$(header "$name" DIRS)
    args=$(header "$name" ARGS)
    envs=$(header "$name" ENV)
    stdin=$(header "$name" STDIN)
    want_rc=$(header "$name" EXIT)
    want_rc=${want_rc:-0}
    set --
    for d in $dirs; do
        hostp=${d%%::*} rest=${d#*::}
        if [ "$mode" = node ]; then
            set -- "$@" --dir "${rest%:ro}=$fx/$hostp"
        else
            set -- "$@" --dir "$fx/$hostp::$rest"
        fi
    done
    for e in $envs; do set -- "$@" --env "$e"; done
    if [ "$mode" = node ]; then
        set -- "$NODE" --no-warnings "$SRC/node_run.mjs" "$@" -- "$OUT/$name.wasm"
    else
        set -- "$ELVM" run --log "$fx.log" "$@"
        if [ "$(header "$name" TCP)" = yes ]; then
            PORT=$(free_port)
            set -- "$@" --tcplisten "127.0.0.1:$PORT"
        fi
        set -- "$@" "$OUT/$name.wasm"
    fi
    eval "set -- \"\$@\" $args" # ARGS may quote: "two words" ''
    if [ "$mode" = walk ]; then
        set -- env ELVM_WASI_PATH_WALK=1 "$@"
    else
        set -- env -u ELVM_WASI_PATH_WALK "$@"
    fi
    if [ "$(header "$name" TCP)" = yes ]; then
        rm -f "$fx.client"
        (cd "$fx" && $TO "$@" </dev/null >"$fx.out" 2>"$fx.err"; echo $? >"$fx.rc") &
        server=$!
        client "$name" "$PORT" "$fx.client" 2>"$fx.client.err"
        wait $server
        rc=$(cat "$fx.rc")
        if ! cmp -s "$SRC/$name.client.expected" "$fx.client"; then
            bad "$label" "the client got something else:"
            diff "$SRC/$name.client.expected" "$fx.client" | head -n 10
            head -n 5 "$fx.client.err" "$fx.err"
            return
        fi
    elif [ -n "$stdin" ]; then
        printf '%s\n' "$stdin" | (cd "$fx" && $TO "$@" >"$fx.out" 2>"$fx.err")
        rc=$?
    else
        (cd "$fx" && $TO "$@" </dev/null >"$fx.out" 2>"$fx.err")
        rc=$?
    fi
    expected=$SRC/$name.expected
    [ "$mode" = node ] && [ -f "$SRC/$name.node.expected" ] && expected=$SRC/$name.node.expected
    if [ "$rc" != "$want_rc" ]; then
        bad "$label" "exit status $rc, wanted $want_rc"
        head -n 5 "$fx.err"
        return
    fi
    if ! cmp -s "$expected" "$fx.out"; then
        bad "$label" "stdout differs from $(basename "$expected"):"
        diff "$expected" "$fx.out" | head -n 20
        head -n 5 "$fx.err"
        return
    fi
    if [ "$(outside "$fx")" != "$before" ]; then
        bad "$label" "the fixture outside the writable preopens changed"
        return
    fi
    if [ "$mode" != node ] && [ "$(header "$name" DENIALS)" = yes ] &&
        ! grep -q '"denied"' "$fx.log" 2>/dev/null; then
        bad "$label" "--log recorded no sandbox denial"
        return
    fi
    ok "$label"
    rm -rf "$fx" "$fx.out" "$fx.err" "$fx.log" "$fx.rc" "$fx.client" "$fx.client.err"
}

for n in $names; do
    one "$n" elvm
    one "$n" walk
    node_says=$(header "$n" NODE)
    case $node_says in
    skip*) printf 'skip  %s.node: %s\n' "$n" "${node_says#skip }" ;;
    *) if [ $have_node = 1 ]; then one "$n" node; else printf 'skip  %s.node: no node\n' "$n"; fi ;;
    esac
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
