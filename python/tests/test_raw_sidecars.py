"""Camera RAW through XMP sidecars, from Python: read, decide and apply
act on the sidecar, never on the RAW file (sample-images/raw)."""

import shutil
from pathlib import Path

import pytest

import ccsig

RAW = Path(__file__).resolve().parents[2] / "sample-images" / "raw"


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    for f in RAW.iterdir():
        if f.suffix != ".sh":
            shutil.copy(f, tmp_path / f.name)
    return tmp_path


def test_a_raw_is_read_and_decided_through_its_sidecar(archive: Path):
    raf = archive / "DSCF0003.RAF"
    signals = ccsig.read(raf)
    assert signals.format == "Fujifilm RAF"
    assert [s[0] for s in signals.sources] == ["sidecar DSCF0003.RAF.xmp: XMP plus:DataMining"]
    d = ccsig.decide(raf, use="train-ai")
    assert (d.decision, d.state, d.usable) == ("disallowed", "stated", False)
    # No sidecar: not silent, unsupported (raised unless on_error="unknown");
    # unknown="allow" does not take it.
    with pytest.raises(ccsig.UnreadableImage, match="unsupported format: Nikon NEF"):
        ccsig.decide(archive / "DSC_0002.NEF", use="train-ai", unknown="allow")
    d = ccsig.decide(archive / "DSC_0002.NEF", use="train-ai", unknown="allow", on_error="unknown")
    assert (d.state, d.usable) == ("unsupported", False)
    # A sidecar named directly.
    assert ccsig.read(archive / "DSCF0003.RAF.xmp").format == "xmp"


def test_apply_writes_the_sidecar_and_never_the_raw(archive: Path):
    nef = archive / "DSC_0002.NEF"
    before = nef.read_bytes()
    result = ccsig.apply(nef, signal="cc-cr", sidecar_style="darktable")
    assert result.change == "written"
    assert any("sidecar DSC_0002.NEF.xmp created" in message for _, message in result.notes)
    assert nef.read_bytes() == before
    assert ccsig.read(nef).expression == "train-ai=n;exceptions=cc-cr"
    with pytest.raises(ccsig.InvalidArgument, match="sidecar_style"):
        ccsig.apply(nef, signal="cc-cr", sidecar_style="capture-one")


def test_a_tiff_is_written_in_memory_and_reads_back():
    tif = RAW.parent / "tiff" / "exiftool-xmp.tif"
    data = tif.read_bytes()
    assert ccsig.read(data).format == "tiff"
    new = ccsig.apply_bytes(data, signal="cc-cr")
    assert new != data
    signals = ccsig.read(new)
    assert signals.expression == "train-ai=n;exceptions=cc-cr"
    assert signals.credit_name == "Ada Example"  # dc:creator, kept
    # Nothing moved: the original bytes are all there at their offsets but
    # the header, IFD0 and the old packet, which the checks in Rust cover.
    assert len(new) >= len(data)
