#!/usr/bin/env bash
# Makes ccsig-signed-cr.jpg: sample-images/jpeg/xmp-rich.jpg tagged with the
# CC signal cc-cr for train-ai and signed with new Content Credentials by
# `ccsig apply --c2pa-sign`, with a certificate chain made here by openssl
# for this and nothing else (TEST ONLY). The keys live in a temporary
# folder that is deleted on exit: no private key is committed, and the
# chain's root is on no trust list, so the credentials read as "valid",
# never "trusted".
#
#   bash sample-images/c2pa/make-signed.sh [OUT_DIR]      (default: this folder)
#   CCSIG=target/release/ccsig bash sample-images/c2pa/make-signed.sh
#
# Each run signs anew (fresh keys, a new manifest id and signing time): the
# output is never byte-identical to the committed file; tests check what it
# states, not its hash.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${1:-$here}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

ssl() { openssl "$@" 2>/dev/null; }
ec_key() { ssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
ec_key "$work/root.key"
ssl req -x509 -new -key "$work/root.key" -sha256 -days 3650 \
    -subj "/CN=ccsig sample root (TEST ONLY)/O=ccsig samples" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$work/root.pem"
ec_key "$work/signer.key"
ssl req -new -key "$work/signer.key" \
    -subj "/CN=ccsig sample signer (TEST ONLY)/O=ccsig samples" -out "$work/signer.csr"
# What C2PA asks of a signer: not a CA, digitalSignature, an EKU it allows
# (emailProtection), and an organisation in the subject.
printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=emailProtection" "subjectKeyIdentifier=hash" \
    "authorityKeyIdentifier=keyid" >"$work/signer.ext"
ssl x509 -req -in "$work/signer.csr" -CA "$work/root.pem" -CAkey "$work/root.key" \
    -CAcreateserial -days 3650 -sha256 -extfile "$work/signer.ext" -out "$work/signer.pem"
cat "$work/signer.pem" "$work/root.pem" >"$work/chain.pem"

cp "$repo/sample-images/jpeg/xmp-rich.jpg" "$work/ccsig-signed-cr.jpg"
if [[ -n "${CCSIG:-}" ]]; then
    ccsig=("$CCSIG")
else
    ccsig=(cargo run --release --quiet --manifest-path "$repo/Cargo.toml" --)
fi
"${ccsig[@]}" apply --signal cc-cr --c2pa-sign "$work/chain.pem" --c2pa-key "$work/signer.key" \
    "$work/ccsig-signed-cr.jpg" >/dev/null
mkdir -p "$out"
cp "$work/ccsig-signed-cr.jpg" "$out/ccsig-signed-cr.jpg"
echo "wrote $out/ccsig-signed-cr.jpg"
