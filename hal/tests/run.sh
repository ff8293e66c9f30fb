#!/bin/sh
# run.sh: the HAL's tests: each guest test program (build/hal/test_*.wasm) under the test
# host $B/hal_run with the grants it needs, the traps the canonical ABI asks for, the
# profile check ("unlinkable"), the host-side cmocka tests (storage crash safety, the
# socket allow-list) and the examples. Ends with "N passed, N failed".
#
#   B=build sh hal/tests/run.sh        (make hal-test)
set -u

B=${B:-build}
R=$B/hal_run
W=build/hal
T=$(mktemp -d /tmp/elvm-hal-test.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
TO=""
command -v timeout >/dev/null 2>&1 && TO="timeout 120"

pass=0
fail=0
ok() { pass=$((pass + 1)); printf 'ok    %s\n' "$1"; }
bad() {
    fail=$((fail + 1))
    printf 'FAIL  %s: %s\n' "$1" "$2"
    sed 's/^/      | /' "$T/out" | tail -20
}

# expect NAME RC COMMAND...: the exit status is RC and the output has no "FAIL".
expect() {
    name=$1 want=$2
    shift 2
    $TO "$@" >"$T/out" 2>&1
    rc=$?
    if [ "$rc" != "$want" ]; then bad "$name" "exit $rc, expected $want"
    elif grep -q '^FAIL' "$T/out"; then bad "$name" "a check failed"
    else ok "$name"; fi
}
# expect_msg NAME RC TEXT COMMAND...: also the output holds TEXT.
expect_msg() {
    name=$1 want=$2 text=$3
    shift 3
    $TO "$@" >"$T/out" 2>&1
    rc=$?
    if [ "$rc" != "$want" ]; then bad "$name" "exit $rc, expected $want"
    elif ! grep -qF -- "$text" "$T/out"; then bad "$name" "no '$text' in the output"
    else ok "$name"; fi
}

# ---- platform, capabilities, random, clock --------------------------------------------------
expect platform 0 $R --snp none $W/test_platform.wasm none
expect platform-minimal-profile 0 $R --profile elastic-tee-minimal --snp none $W/test_platform.wasm none
if $R --snp-sim-keygen "$T/simkeys" >"$T/out" 2>&1; then
    expect platform-simulated 0 $R --snp simulated --snp-sim-keys "$T/simkeys" $W/test_platform.wasm simulated
    expect capabilities-simulated 0 $R --snp simulated --snp-sim-keys "$T/simkeys" \
        $W/test_capabilities.wasm attestation=1 hardware-sealing=0
else
    printf 'skip  platform-simulated: %s\n' "$(head -1 "$T/out")"
fi
expect capabilities 0 $R --snp none --no-gpu $W/test_capabilities.wasm \
    platform=1 attestation=0 crypto=1 random=1 storage=0 communication=0 sockets=0 gpu=0 \
    resources=1 events=1 clock=1
mkdir -p "$T/caps"
head -c 32 /dev/urandom >"$T/caps.key"
expect capabilities-granted 0 $R --snp none --storage "$T/caps" --storage-key "$T/caps.key" \
    --channel c1 --allow 127.0.0.1:1 $W/test_capabilities.wasm storage=1 communication=1 \
    sockets=1 tls=1
expect capabilities-profile 0 $R --profile elastic-tee-storage --snp none \
    $W/test_capabilities.wasm storage=0 sockets=0 gpu=0 events=0 crypto=1
expect random 0 $R $W/test_random.wasm
expect clock 0 $R $W/test_clock.wasm

# ---- crypto, and the canonical ABI's traps ----------------------------------------------------
expect crypto 0 $R $W/test_crypto.wasm
expect_msg trap-bad-handle 70 'unknown handle 12345 (expected a key)' $R $W/test_crypto.wasm bad-handle
expect_msg trap-dropped-handle 70 'unknown handle' $R $W/test_crypto.wasm dropped-handle
expect_msg trap-bad-pointer 70 'out of bounds memory access: elastic:crypto/crypto@0.1.0 hash: data' \
    $R $W/test_crypto.wasm bad-pointer
expect_msg trap-bad-retptr 70 'return area' $R $W/test_crypto.wasm bad-retptr
expect_msg trap-bad-enum 70 'invalid key-algorithm discriminant 42' $R $W/test_crypto.wasm bad-enum

# ---- profiles: an interface outside the world does not link -------------------------------------
expect_msg unlinkable-profile 70 \
    'unlinkable: import "elastic:crypto/crypto@0.1.0" "' \
    $R --profile elastic-tee-compute $W/test_crypto.wasm
expect_msg unlinkable-profile-storage 70 'is not in profile elastic-tee-minimal' \
    $R --profile elastic-tee-minimal $W/test_storage.wasm
expect_msg unlinkable-single-world 70 'is not in profile random-world' \
    $R --profile random-world $W/test_clock.wasm
expect_msg unknown-import-without-check 70 'unknown import' \
    $R --no-check --profile elastic-tee-compute $W/test_crypto.wasm
expect_msg unknown-profile 70 "unknown HAL profile 'elastic-tee-everything'" \
    $R --profile elastic-tee-everything $W/test_random.wasm

# ---- storage ---------------------------------------------------------------------------------------
S="$T/storage"
mkdir -p "$S"
head -c 32 /dev/urandom >"$T/key1"
od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$T/key2" # the hex form of a key file
expect storage-write 0 $R --storage "$S" --storage-key "$T/key1" $W/test_storage.wasm write
expect storage-read 0 $R --storage "$S" --storage-key "$T/key1" $W/test_storage.wasm read
if grep -rq 'TOP-SECRET' "$S"; then bad storage-sealed "plaintext found on disk"; else ok storage-sealed; fi
expect_msg storage-wrong-key 0 'the sealing key does not match' \
    $R --log --storage "$S" --storage-key "$T/key2" $W/test_storage.wasm wrong-key
expect storage-no-grant 0 $R $W/test_storage.wasm no-grant
expect_msg storage-no-key 70 'give a storage key file' $R --snp none --storage "$S" $W/test_storage.wasm read
expect_msg storage-bad-key-file 70 'must hold 32 bytes or 64 hex digits' \
    $R --storage "$S" --storage-key "$T/out" $W/test_storage.wasm read
# Flip one byte inside one object: exactly that object fails authentication.
victim=$(ls "$S/notes"/*.obj | head -1)
printf '\001' | dd of="$victim" bs=1 seek=40 conv=notrunc 2>/dev/null
# Which key it was does not matter to the guest: it checks that some get fails and the
# others still read; find the victim's key by trying each.
found=""
for k in alpha empty bin/ary größe big; do
    if $R --storage "$S" --storage-key "$T/key1" $W/test_storage.wasm tampered "$k" >"$T/out" 2>&1; then
        found=$k
        break
    fi
done
if [ -n "$found" ]; then ok "storage-tampered ($found)"; else bad storage-tampered "no key reported integrity-failure"; fi
if [ -n "$(ls "$T/simkeys" 2>/dev/null)" ]; then
    mkdir -p "$T/simstore"
    expect storage-simulated-key 0 $R --snp simulated --snp-sim-keys "$T/simkeys" --storage "$T/simstore" \
        $W/test_storage.wasm write
fi

# ---- events, communication, resources ----------------------------------------------------------------
expect events 0 $R $W/test_events.wasm
expect events-two-instances 0 $R $W/test_events.wasm sub ++ $W/test_events.wasm pub
expect communication-errors 0 $R --channel small:2:16:rw --channel ro:4:64:r --channel wo:4:64:w \
    $W/test_communication.wasm
expect communication-ping-pong 0 $R --channel to-pong:4 --channel to-ping:4 \
    $W/test_communication.wasm ping ++ $W/test_communication.wasm pong
expect resources-grants 0 $R --memory 4194304 --fuel 200000000 --time-ms 20000 \
    $W/test_resources.wasm grants
expect resources-none 0 $R $W/test_resources.wasm none
expect_msg resources-timeout 70 'timeout' $R --time-ms 20000 $W/test_resources.wasm timeout
expect_msg resources-timeout-blocked 70 'timeout' $R --time-ms 20000 --channel idle \
    $W/test_resources.wasm blocked
expect_msg resources-fuel-out 70 'out of fuel' $R --fuel 200000000 $W/test_resources.wasm fuel-out

# ---- sockets (127.0.0.1 only) -----------------------------------------------------------------------
mkdir -p "$T/certs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout "$T/certs/key.pem" -out "$T/certs/cert.pem" -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1
P=$((20000 + $$ % 20000))
NET="--dir $T/certs::/certs --allow 127.0.0.1:$P --allow localhost:$P --allow 127.0.0.1:$((P + 2))
     --allow 127.0.0.1:$((P + 4)) --allow localhost:$((P + 4)) --allow 127.0.0.1:$((P + 5))
     --allow no-such-host.invalid:$P --listen 127.0.0.1:*"
# shellcheck disable=SC2086
expect sockets-basic 0 $R $NET $W/test_sockets.wasm basic $P
# shellcheck disable=SC2086
expect sockets-tls 0 $R $NET $W/test_sockets.wasm tls-server $P ++ $W/test_sockets.wasm tls-client $P
# shellcheck disable=SC2086
expect sockets-dtls 0 $R $NET $W/test_sockets.wasm dtls-server $P ++ $W/test_sockets.wasm dtls-client $P
# shellcheck disable=SC2086
expect_msg sockets-denials-logged 0 'denied: sockets: connect example.com:443: not on the allow-list' \
    $R --log $NET $W/test_sockets.wasm basic $P

# ---- gpu ---------------------------------------------------------------------------------------------
if ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1; then
    expect gpu-compute 0 $R $W/test_gpu.wasm compute
else
    printf 'skip  gpu-compute: no OpenCL ICD installed (Debian: pocl-opencl-icd)\n'
fi
expect gpu-hidden 0 $R --no-gpu $W/test_gpu.wasm absent
expect gpu-no-icd 0 env OCL_ICD_VENDORS=/nonexistent $R $W/test_gpu.wasm absent

# ---- host-side cmocka tests ------------------------------------------------------------------------------
for u in "$B"/hal/unit_*; do
    [ -x "$u" ] || continue
    expect "$(basename "$u")" 0 "$u"
done

# ---- examples ---------------------------------------------------------------------------------------------
E=build/examples/hal
if [ -f $E/sealed_notes.wasm ]; then
    mkdir -p "$T/notes"
    expect_msg example-sealed-notes-add 0 'stored note' $R --profile elastic-tee-storage \
        --storage "$T/notes" --storage-key "$T/key1" $E/sealed_notes.wasm add groceries "milk, eggs"
    expect_msg example-sealed-notes-show 0 'milk, eggs' $R --profile elastic-tee-storage \
        --storage "$T/notes" --storage-key "$T/key1" $E/sealed_notes.wasm show groceries
    expect_msg example-sealed-notes-wrong-key 1 'wrong sealing key' $R --profile elastic-tee-storage \
        --storage "$T/notes" --storage-key "$T/key2" $E/sealed_notes.wasm list
fi
if [ -f $E/tls_echo.wasm ]; then
    # shellcheck disable=SC2086
    expect_msg example-tls-echo 0 'echo: hello over TLS' $R --profile elastic-tee-network $NET \
        $E/tls_echo.wasm server $((P + 4)) ++ $E/tls_echo.wasm client $((P + 4)) "hello over TLS"
fi

echo "hal: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
