#!/bin/sh
# demo.sh: the ELASTIC TEE HAL examples (make hal-demo): sealed notes in encrypted storage,
# then a TLS echo between two guest instances, with a self-signed certificate made here.
# Runs them with the HAL test host ($B/hal_run; HAL_RUN overrides it).
set -eu
B=${B:-build}
R=${HAL_RUN:-$B/hal_run}
E=build/examples/hal
T=$(mktemp -d /tmp/elvm-hal-demo.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM

echo "== sealed notes: elastic:storage, sealed under an operator key file"
mkdir -p "$T/store"
head -c 32 /dev/urandom >"$T/storage.key"
H="$R --profile elastic-tee-storage --storage $T/store --storage-key $T/storage.key"
$H $E/sealed_notes.wasm add groceries "milk, eggs, coffee"
$H $E/sealed_notes.wasm add ideas "seal everything"
$H $E/sealed_notes.wasm list
$H $E/sealed_notes.wasm show groceries
echo "-- on disk (ciphertext only):"
ls "$T/store/notes"
if grep -rq "coffee" "$T/store"; then echo "plaintext on disk!"; exit 1; fi
echo "-- with another key:"
head -c 32 /dev/urandom >"$T/other.key"
$R --profile elastic-tee-storage --storage "$T/store" --storage-key "$T/other.key" \
    $E/sealed_notes.wasm show groceries || true

echo
echo "== TLS echo: elastic:sockets, two guests, certificate verified"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -keyout "$T/key.pem" -out "$T/cert.pem" -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1
mkdir -p "$T/certs" && mv "$T/key.pem" "$T/cert.pem" "$T/certs/"
PORT=$((30000 + $$ % 20000))
$R --profile elastic-tee-network --dir "$T/certs::/certs" --listen "127.0.0.1:$PORT" \
    --allow "localhost:$PORT" \
    $E/tls_echo.wasm server $PORT ++ $E/tls_echo.wasm client $PORT "hello over TLS"
