"""Signing Content Credentials from Python (issue 18), read back by the
C2PA project's own Python package (c2pa-python, from PyPI): the signed file
validates, and its active manifest holds the CC signal's
``cawg.training-mining`` assertion and the file as it was as its parent
ingredient. The certificate chain is made by ``openssl`` at test time."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import ccsig
from conftest import SAMPLES

try:
    import c2pa  # c2pa-python
except ImportError:  # pragma: no cover - CI installs it
    if os.environ.get("CCSIG_REQUIRE_TOOLS"):
        raise
    pytest.skip("c2pa-python is not installed (bash .ci/run installs it)", allow_module_level=True)

SIGNER_EXTENSIONS = (
    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
    "extendedKeyUsage=emailProtection\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
)


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> tuple[Path, Path]:
    """A test-only root CA and signer made by openssl: (chain PEM, key PEM)."""
    d = tmp_path_factory.mktemp("keys")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    ec = ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out"]
    openssl(*ec, "root.key")
    openssl("req", "-x509", "-new", "-key", "root.key", "-sha256", "-days", "30",
            "-subj", "/CN=ccsig test root (test only)/O=ccsig tests",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "root.pem")
    openssl(*ec, "signer.key")
    openssl("req", "-new", "-key", "signer.key", "-subj", "/CN=ccsig test signer (test only)/O=ccsig tests",
            "-out", "signer.csr")
    (d / "signer.ext").write_text(SIGNER_EXTENSIONS)
    openssl("x509", "-req", "-in", "signer.csr", "-CA", "root.pem", "-CAkey", "root.key",
            "-CAcreateserial", "-days", "30", "-sha256", "-extfile", "signer.ext",
            "-out", "signer.pem")
    (d / "chain.pem").write_bytes((d / "signer.pem").read_bytes() + (d / "root.pem").read_bytes())
    return d / "chain.pem", d / "signer.key"


def manifest_store(path: Path, mime: str) -> dict:
    with open(path, "rb") as f:
        return json.loads(c2pa.Reader(mime, f).json())


@pytest.mark.parametrize(
    "rel, mime",
    [
        ("jpeg/plain.jpg", "image/jpeg"),
        ("png/alpha.png", "image/png"),
        ("webp/lossy.webp", "image/webp"),
        ("c2pa/C_with_CAWG_data.jpg", "image/jpeg"),
    ],
)
def test_c2pa_python_reads_what_ccsig_signs(tmp_path, keys, rel, mime):
    chain, key = keys
    path = tmp_path / Path(rel).name
    shutil.copy(SAMPLES / rel, path)
    earlier = manifest_store(path, mime)["active_manifest"] if rel.startswith("c2pa/") else None

    result = ccsig.apply(path, signal="cc-cr", c2pa_sign=chain, c2pa_key=key)
    assert result.change == "written"

    store = manifest_store(path, mime)
    assert store["validation_state"] in ("Valid", "Trusted"), store.get("validation_status")
    active = store["manifests"][store["active_manifest"]]
    training = next(a for a in active["assertions"] if a["label"] == "cawg.training-mining")
    entry = training["data"]["entries"]["cawg.ai_training"]
    assert entry["use"] == "constrained"
    assert "Content-Usage: train-ai=n;exceptions=cc-cr" in entry["constraint_info"]
    parents = [i for i in active["ingredients"] if i["relationship"] == "parentOf"]
    assert len(parents) == 1
    if earlier:
        assert parents[0]["active_manifest"] == earlier

    signals = ccsig.read(path)
    assert signals.c2pa_state == "valid"
    decision = ccsig.decide(path, use="train-ai", we_give=["credit"])
    assert decision.usable
    assert any(s.startswith("C2PA cawg.training-mining") for s in decision.sources)


def test_a_signed_file_is_refused_without_a_key_and_a_bad_key_before_the_file(tmp_path, keys):
    chain, key = keys
    path = tmp_path / "signed.jpg"
    shutil.copy(SAMPLES / "c2pa" / "C_with_CAWG_data.jpg", path)
    before = path.read_bytes()
    with pytest.raises(ccsig.WriteError) as refused:
        ccsig.apply(path, signal="cc-cr")
    assert refused.value.kind == "refused"
    assert "--c2pa-sign" in str(refused.value)
    with pytest.raises(ccsig.InvalidArgument):
        ccsig.apply(path, signal="cc-cr", c2pa_sign=chain, c2pa_key=chain)
    with pytest.raises(ccsig.InvalidArgument):
        ccsig.apply(path, signal="cc-cr", c2pa_sign=chain)
    with pytest.raises(ccsig.InvalidArgument):
        ccsig.apply(path, signal="cc-cr", c2pa_sign=chain, c2pa_key=key, c2pa_alg="rs256")
    assert path.read_bytes() == before

    # remove signs a withdrawal: the active manifest states nothing.
    ccsig.apply(path, signal="cc-cr", c2pa_sign=chain, c2pa_key=key)
    assert ccsig.remove(path, c2pa_sign=chain, c2pa_key=key).change == "removed"
    store = manifest_store(path, "image/jpeg")
    active = store["manifests"][store["active_manifest"]]
    assert not any(a["label"] == "cawg.training-mining" for a in active["assertions"])


def test_apply_bytes_signs_too(keys):
    chain, key = keys
    original = (SAMPLES / "webp" / "lossy.webp").read_bytes()
    signed = ccsig.apply_bytes(original, signal="cc-cr-op", c2pa_sign=chain, c2pa_key=key)
    store = json.loads(c2pa.Reader("image/webp", io.BytesIO(signed)).json())
    assert store["validation_state"] in ("Valid", "Trusted")
    assert ccsig.read(signed).c2pa_state == "valid"
