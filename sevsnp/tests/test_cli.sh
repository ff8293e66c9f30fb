#!/bin/sh
# test_cli.sh: `attest report|show|verify|simulate-keys` end to end, through the standalone
# binary (ATTEST=build/sevsnp/elvm-attest) or `elvm attest` (ATTEST="build/elvm attest").
# Ends with "N passed, N failed"; exits 1 on any failure.
ATTEST=${ATTEST:-build/sevsnp/elvm-attest}
DATA=${DATA:-sevsnp/tests/data}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

# check NAME WANT_STATUS PATTERN CMD...: runs CMD, wants its exit status and PATTERN in its output
check() {
    name=$1 want=$2 pattern=$3
    shift 3
    "$@" >"$T/out" 2>&1
    got=$?
    if [ "$got" -eq "$want" ] && grep -q -- "$pattern" "$T/out"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $name: exit $got (wanted $want), output:"
        sed 's/^/    /' "$T/out"
    fi
}

RD=$(printf 'ab%.0s' $(seq 64))
RD2=$(printf 'cd%.0s' $(seq 64))
K=$T/keys

check "simulate-keys" 0 "simulated: not a hardware attestation" $ATTEST simulate-keys "$K"
for f in ark.pem ask.pem vcek.pem vcek-key.pem; do
    check "simulate-keys wrote $f" 0 "$f" ls -l "$K/$f"
done
check "vcek key is private" 0 "600" stat -c %a "$K/vcek-key.pem"

check "report --out" 0 "wrote $T/r.bin: 1184-byte attestation report from the simulated backend (simulated: not a hardware attestation)" \
    $ATTEST report --backend simulated --sim-keys "$K" --report-data "$RD" --out "$T/r.bin"
check "report is 1184 bytes" 0 "^1184$" stat -c %s "$T/r.bin"
check "report as JSON is marked" 0 '"warning": "simulated: not a hardware attestation"' \
    $ATTEST report --backend=simulated --sim-keys="$K" --report-data="$RD"
check "report --certs-dir" 0 "wrote $T/certs/vcek.der (VCEK certificate" \
    sh -c "mkdir -p '$T/certs' && $ATTEST report --backend simulated --sim-keys '$K' --report-data $RD --certs-dir '$T/certs' --out '$T/r2.bin'"
check "show" 0 '"report_data": "'"$RD"'"' $ATTEST show "$T/r.bin"
check "show marks simulated" 0 '"simulated": true' $ATTEST show "$T/r.bin"

check "verify: everything holds" 0 "^OK: signature verifies" \
    $ATTEST verify "$T/r.bin" --vcek "$K/vcek.pem" --ask "$K/ask.pem" --ark "$K/ark.pem" \
    --report-data "$RD" --min-tcb bl=10,tee=0,snp=23,ucode=72 --vmpl 0 --no-debug
check "verify says simulated" 0 "^simulated: not a hardware attestation$" \
    $ATTEST verify "$T/r.bin" --vcek "$K/vcek.pem"
check "verify with the certs from the extended report" 0 "^OK" \
    $ATTEST verify "$T/r2.bin" --vcek "$T/certs/vcek.der" --ask "$T/certs/ask.der" --ark "$T/certs/ark.der"
check "verify: wrong report data" 1 "^FAIL: REPORT_DATA is abab" \
    $ATTEST verify "$T/r.bin" --vcek "$K/vcek.pem" --report-data "$RD2"

# three checks fail: each on its own line
$ATTEST verify "$T/r.bin" --vcek "$K/vcek.pem" --report-data "$RD2" --vmpl 2 \
    --min-tcb snp=30 >"$T/out" 2>&1
st=$?
n=$(grep -c '^FAIL: ' "$T/out")
if [ "$st" -eq 1 ] && [ "$n" -eq 3 ] && grep -q "^3 checks failed$" "$T/out"; then
    pass=$((pass + 1))
else
    fail=$((fail + 1)); echo "FAIL: three failed checks (exit $st, $n FAIL lines):"; cat "$T/out"
fi

$ATTEST simulate-keys "$T/other" >/dev/null
check "verify: another key set's VCEK" 1 "does not verify with the VCEK public key" \
    $ATTEST verify "$T/r.bin" --vcek "$T/other/vcek.pem"
check "verify: another chain" 1 "^FAIL: VCEK was not issued by ASK" \
    $ATTEST verify "$T/r.bin" --vcek "$K/vcek.pem" --ask "$T/other/ask.pem" --ark "$T/other/ark.pem"

# a byte changed in the signed part
cp "$T/r.bin" "$T/bad.bin"
printf '\377' | dd of="$T/bad.bin" bs=1 seek=100 conv=notrunc 2>/dev/null
check "verify: altered report" 1 "signature over bytes 0x000-0x29F does not verify" \
    $ATTEST verify "$T/bad.bin" --vcek "$K/vcek.pem"
head -c 1000 "$T/r.bin" >"$T/short.bin"
check "show: truncated" 1 "1000 bytes; an ATTESTATION_REPORT is exactly 1184 bytes (truncated)" \
    $ATTEST show "$T/short.bin"
cat "$T/r.bin" "$T/r.bin" >"$T/long.bin"
check "verify: oversized" 1 "(oversized)" $ATTEST verify "$T/long.bin" --vcek "$K/vcek.pem"

# usage errors exit 1, as elsewhere in elvm's CLI
check "usage: short report data" 1 "needs exactly 128 hex digits" \
    $ATTEST report --backend simulated --sim-keys "$K" --report-data abcd
check "usage: unknown backend" 1 "unknown backend" \
    $ATTEST report --backend sgx --report-data "$RD"
check "usage: verify without --vcek" 1 "--vcek CERT is required" $ATTEST verify "$T/r.bin"
check "usage: --ask without --ark" 1 "go together" \
    $ATTEST verify "$T/r.bin" --vcek "$K/vcek.pem" --ask "$K/ask.pem"
check "usage: bad --min-tcb" 1 "min-tcb" \
    $ATTEST verify "$T/r.bin" --vcek "$K/vcek.pem" --min-tcb fast
check "usage: unknown subcommand" 1 "unknown subcommand" $ATTEST fly
check "simulated needs keys" 1 "needs a key directory" \
    $ATTEST report --backend simulated --report-data "$RD"

# detection never falls back to the simulated backend
if [ ! -e /dev/sev-guest ] && [ ! -d /sys/kernel/config/tsm/report ]; then
    check "auto without hardware" 1 "no SEV-SNP attestation here" \
        $ATTEST report --report-data "$RD"
fi

# a real Milan report with its VCEK and AMD's chain (the VCEK is valid until 2030-04-03)
if [ "$(date +%s)" -lt 1901404800 ]; then
    check "real Milan report" 0 "^OK: signature verifies" \
        $ATTEST verify "$DATA/milan-report.bin" --vcek "$DATA/milan-vcek.der" \
        --ask "$DATA/milan-ask.pem" --ark "$DATA/milan-ark.pem" --no-debug --vmpl 0 \
        --min-tcb bl=3,tee=0,snp=8,ucode=115
    check "real Milan report, Turin root" 1 "^FAIL: VCEK was not issued by ASK" \
        $ATTEST verify "$DATA/milan-report.bin" --vcek "$DATA/milan-vcek.der" \
        --ask "$DATA/turin-ask.pem" --ark "$DATA/turin-ark.pem"
fi
check "real Milan report as JSON" 0 '"chip_id": "d49554ec717f4e5b' $ATTEST show "$DATA/milan-report.bin"

echo "sevsnp cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
