#!/usr/bin/env bash
# What signing Content Credentials costs (issue 18, "Sign instead of
# refuse"). Usage:
#
#   benches/c2pa_sign.sh [COPIES] [RUNS]
#
# Makes a test-only certificate chain with openssl, then, on fresh copies
# each run (untimed: cp -a, then sync), times with /usr/bin/time:
#   floor    cp -a of the unsigned set, then sync (the bytes a rewrite moves)
#   plain    ccsig apply --signal cc-cr on COPIES (default 300) copies of
#            sample-images/jpeg/xmp-rich.jpg (20 KB, no manifest)
#   sign     the same with --c2pa-sign (adds Content Credentials)
#   resign   --c2pa-sign on COPIES copies of the c2pa-rs fixture
#            C_with_CAWG_data.jpg (140 KB, a signed manifest that becomes
#            the new one's parent ingredient)
# and prints the median (of RUNS, default 5) wall and CPU seconds, files/s
# and peak RSS of each. C2PA_WORK is where the copies go (default
# /tmp/ccsig-c2pa-bench).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
copies="${1:-300}"
runs="${2:-5}"
ccsig="${CCSIG:-$root/target/release/ccsig}"
work="${C2PA_WORK:-/tmp/ccsig-c2pa-bench}"
[ -x "$ccsig" ] || (cd "$root" && cargo build --release --quiet)

rm -rf "$work"
mkdir -p "$work/keys" "$work/plain" "$work/signed"
keys="$work/keys"
ssl() { openssl "$@" 2>/dev/null; }
ssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$keys/root.key"
ssl req -x509 -new -key "$keys/root.key" -sha256 -days 30 -subj "/CN=bench root/O=ccsig bench" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$keys/root.pem"
ssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$keys/signer.key"
ssl req -new -key "$keys/signer.key" -subj "/CN=bench signer/O=ccsig bench" -out "$keys/signer.csr"
printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=emailProtection" >"$keys/signer.ext"
ssl x509 -req -in "$keys/signer.csr" -CA "$keys/root.pem" -CAkey "$keys/root.key" \
    -CAcreateserial -days 30 -sha256 -extfile "$keys/signer.ext" -out "$keys/signer.pem"
cat "$keys/signer.pem" "$keys/root.pem" >"$keys/chain.pem"
for i in $(seq -w "$copies"); do
    cp "$root/sample-images/jpeg/xmp-rich.jpg" "$work/plain/$i.jpg"
    cp "$root/sample-images/c2pa/C_with_CAWG_data.jpg" "$work/signed/$i.jpg"
done
sign=(--c2pa-sign "$keys/chain.pem" --c2pa-key "$keys/signer.key")

# shellcheck source=benches/timing.sh
. "$here/timing.sh"
measure() { # name set command...: RUNS timed runs on fresh copies of set
    local name="$1" set="$2"; shift 2
    time_runs "$runs" "$work/$set" "$work/run" "$work" "$@"
    printf '%-7s wall %6.2f s  cpu %6.2f s  %6.0f files/s  %5.1f ms cpu/file  peak RSS %6.1f MB\n' \
        "$name" "$WALL" "$CPU" "$(echo "$copies / $WALL" | bc -l)" \
        "$(echo "1000 * $CPU / $copies" | bc -l)" "$(echo "$RSS / 1024" | bc -l)"
}
echo "$copies files per set, median of $runs; $(nproc) cores"
measure floor plain sh -c "cp -a '$work/plain' '$work/floor' && sync && rm -rf '$work/floor'"
measure plain plain "$ccsig" apply --signal cc-cr "$work/run"
measure sign plain "$ccsig" apply --signal cc-cr "${sign[@]}" "$work/run"
measure resign signed "$ccsig" apply --signal cc-cr "${sign[@]}" "$work/run"
