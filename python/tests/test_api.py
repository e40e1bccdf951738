"""Every function of the binding, in path and bytes form, on the repository's
sample images; bad input; the exceptions' types."""

from __future__ import annotations

import random
import shutil
import threading
from pathlib import Path

import pytest

import ccsig
from conftest import SAMPLES, sample_files

CR_OP = SAMPLES / "tagged" / "ccsig-cr-op.jpg"
CR_PNG = SAMPLES / "tagged" / "ccsig-cr.png"
EC_WEBP = SAMPLES / "tagged" / "ccsig-ec.webp"
CONFLICT = SAMPLES / "tagged" / "conflict.jpg"
PLAIN_JPG = SAMPLES / "jpeg" / "plain.jpg"
PLAIN_PNG = SAMPLES / "png" / "plain.png"
TRUNCATED = SAMPLES / "bad" / "truncated.jpg"
GIF = SAMPLES / "bad" / "unsupported.gif"


# --- read -----------------------------------------------------------------


def test_read_tagged_file():
    s = ccsig.read(CR_OP)
    assert s.format == "jpeg"
    assert s.expression == "train-ai=n;exceptions=cc-cr-op"
    assert s.decisions == {"search": "unknown", "train-ai": "allowed-with-terms"}
    assert s.exceptions == {"search": [], "train-ai": ["cc-cr-op"]}
    assert s.credit_name == "Ada Example"
    assert s.credit_name_from == "XMP ccsig:creditName"
    assert s.credit_url == "https://example.org/ada"
    fields = [field for field, _, _ in s.sources]
    assert "XMP ccsig:expression" in fields
    assert s.c2pa is False


def test_read_untagged_file_states_nothing():
    s = ccsig.read(PLAIN_JPG)
    assert s.expression is None
    assert set(s.decisions.values()) == {"unknown"}
    assert s.sources == []


def test_read_conflict_combines_most_restrictive():
    s = ccsig.read(CONFLICT)
    # DataMining says train-ai=y, OtherConstraints says n except cc-cr-ec: the "n" wins.
    assert s.decisions["train-ai"] == "allowed-with-terms"
    assert s.exceptions["train-ai"] == ["cc-cr-ec"]
    assert "train-ai=n;exceptions=cc-cr-ec" in s.expression


@pytest.mark.parametrize("path", [CR_OP, CR_PNG, EC_WEBP, CONFLICT, PLAIN_PNG])
def test_read_path_str_pathlike_and_bytes_agree(path: Path):
    by_path = ccsig.read(path)
    by_str = ccsig.read(str(path))
    by_bytes = ccsig.read(path.read_bytes())
    by_bytearray = ccsig.read(bytearray(path.read_bytes()))
    for other in (by_str, by_bytes, by_bytearray):
        assert other.expression == by_path.expression
        assert other.decisions == by_path.decisions
        assert other.exceptions == by_path.exceptions
        assert other.credit_name == by_path.credit_name
        assert other.sources == by_path.sources


def test_repr_is_python_syntax():
    r = repr(ccsig.read(CR_OP))
    assert r.startswith("Signals(format='jpeg', expression='train-ai=n;exceptions=cc-cr-op'")
    assert "None" in repr(ccsig.read(PLAIN_JPG))


# --- bad input ------------------------------------------------------------


def test_truncated_file_raises_unreadable_image_with_path():
    with pytest.raises(ccsig.UnreadableImage) as e:
        ccsig.read(TRUNCATED)
    assert e.value.kind == "truncated"
    assert e.value.path == str(TRUNCATED)
    assert str(TRUNCATED) in str(e.value)
    assert isinstance(e.value, ccsig.CcsigError)


@pytest.mark.parametrize(
    "data, kind",
    [
        (b"", "empty"),
        (b"definitely not an image", "unknown_format"),
        (GIF.read_bytes(), "unsupported_format"),
        (TRUNCATED.read_bytes(), "truncated"),
    ],
)
def test_bad_bytes_raise_unreadable_image(data: bytes, kind: str):
    with pytest.raises(ccsig.UnreadableImage) as e:
        ccsig.read(data)
    assert e.value.kind == kind
    assert e.value.path is None


def test_unsupported_format_names_the_format():
    # Bytes: nothing to read them through.
    with pytest.raises(ccsig.UnreadableImage, match="unsupported format: GIF") as e:
        ccsig.read(GIF.read_bytes())
    assert e.value.kind == "unsupported_format"
    # A path: read through its XMP sidecars (it has none).
    signals = ccsig.read(GIF)
    assert signals.format == "GIF"
    assert signals.sources == []


def test_missing_file_is_an_access_error_and_an_oserror(tmp_path: Path):
    missing = tmp_path / "nope.jpg"
    with pytest.raises(ccsig.AccessError) as e:
        ccsig.read(missing)
    assert isinstance(e.value, OSError)
    assert e.value.kind == "io"
    assert e.value.path == str(missing)


def test_wrong_argument_type_is_invalid_argument():
    with pytest.raises(ccsig.InvalidArgument, match="expected a path"):
        ccsig.read(12345)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ccsig.read()  # type: ignore[call-arg]


def test_truncations_and_garbage_never_escape_as_other_errors():
    """Any prefix of any sample, and random bytes behind a real magic
    number, either read or raise UnreadableImage: no other exception, no
    crash."""
    rng = random.Random(20260101)
    outcomes = {"read": 0, "unreadable": 0}
    for path in sample_files():
        data = path.read_bytes()
        cuts = sorted({0, 1, 2, 3, 8, 12, 30, len(data) // 2, len(data) - 1} | {rng.randrange(len(data) + 1) for _ in range(12)})
        for cut in (c for c in cuts if 0 <= c <= len(data)):
            for blob in (data[:cut], data[:cut] + bytes(rng.randrange(256) for _ in range(64))):
                try:
                    ccsig.read(blob)
                    outcomes["read"] += 1
                except ccsig.UnreadableImage:
                    outcomes["unreadable"] += 1
    for magic in (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\x00\x00\x00\x00WEBPVP8X"):
        for _ in range(200):
            blob = magic + bytes(rng.randrange(256) for _ in range(rng.randrange(400)))
            try:
                ccsig.read(blob)
                ccsig.check(blob)
                outcomes["read"] += 1
            except ccsig.UnreadableImage:
                outcomes["unreadable"] += 1
    assert outcomes["read"] > 0 and outcomes["unreadable"] > 0


def test_a_rust_panic_becomes_internal_error():
    from ccsig import _ccsig

    with pytest.raises(ccsig.InternalError) as e:
        _ccsig._panic_for_tests()
    assert e.value.kind == "panic"
    assert "panicked" in str(e.value)


# --- decide ---------------------------------------------------------------


def test_decide_allowed_with_terms_owes_credit():
    d = ccsig.decide(CR_OP, use="train-ai", we_give=["credit", "open"], unknown="deny")
    assert d.decision == "allowed-with-terms"
    assert d.usable is True
    assert d.state == "stated"
    assert d.met_signals == ["cc-cr-op"]
    assert d.unmet_signals == []
    assert [o["element"] for o in d.owed] == ["credit", "open"]
    assert d.credit_name == "Ada Example"
    assert d.credit_url == "https://example.org/ada"
    assert (d.credit_missing, d.credit_looked_at) == (False, [])
    assert "cc-cr-op" in d.reason
    assert d.path == str(CR_OP)
    assert list(d.to_dict()) == [
        "path", "decision", "usable", "state", "met_signals", "unmet_signals", "owed",
        "credit_name", "credit_url", "credit_missing", "credit_looked_at", "reason", "sources",
    ]  # fmt: skip
    assert d.sources == ["XMP ccsig:expression", "XMP plus:OtherConstraints"]


def test_decide_unmet_terms_are_disallowed_and_say_what_is_missing():
    d = ccsig.decide(CR_OP, we_give=["credit"])
    assert d.decision == "disallowed"
    assert d.usable is False
    assert d.unmet_signals == ["cc-cr-op"]
    assert d.credit_name is None
    assert "open" in d.reason


def test_decide_bytes_and_comma_string_forms_agree():
    a = ccsig.decide(CR_OP.read_bytes(), we_give="credit, open")
    b = ccsig.decide(CR_OP, we_give=("open", "credit"))
    assert a.path is None
    da, db = a.to_dict(), b.to_dict()
    da.pop("path"), db.pop("path")
    assert da == db


def test_decide_unknown_policy():
    assert ccsig.decide(PLAIN_JPG).usable is False
    d = ccsig.decide(PLAIN_JPG, unknown="allow")
    assert (d.decision, d.usable, d.state, d.reason) == ("unknown", True, "no-signal", "no signal in the file")
    assert ccsig.decide(PLAIN_JPG, unreadable="allow").usable is False


def test_decide_other_use_label():
    s = ccsig.read(CONFLICT)
    assert s.decisions["search"] == "allowed"
    assert ccsig.decide(CONFLICT, use="search").decision == "allowed"


def test_decide_unreadable_raises_or_decides_unknown():
    with pytest.raises(ccsig.UnreadableImage):
        ccsig.decide(TRUNCATED)
    d = ccsig.decide(TRUNCATED, on_error="unknown")
    assert (d.decision, d.usable, d.state) == ("unknown", False, "unreadable")
    assert d.reason.startswith("unreadable: file is truncated")
    # Unknown is not unreadable: unknown="allow" does not make it usable...
    d = ccsig.decide(TRUNCATED, on_error="unknown", unknown="allow")
    assert (d.decision, d.usable, d.state) == ("unknown", False, "unreadable")
    # ...unreadable="allow" does.
    d = ccsig.decide(TRUNCATED, on_error="unknown", unreadable="allow")
    assert (d.decision, d.usable, d.state) == ("unknown", True, "unreadable")
    d = ccsig.decide(b"junk", on_error="unknown")
    assert (d.decision, d.usable, d.state) == ("unknown", False, "unreadable")
    d = ccsig.decide(GIF.read_bytes(), on_error="unknown")
    assert (d.decision, d.usable, d.state, d.reason) == ("unknown", False, "unsupported", "unsupported format: GIF")
    with pytest.raises(ccsig.UnreadableImage, match="unsupported format: GIF"):
        ccsig.decide(GIF.read_bytes())
    # A path is read through its sidecars; without one it is still unsupported.
    with pytest.raises(ccsig.UnreadableImage, match="unsupported format: GIF"):
        ccsig.decide(GIF)
    d = ccsig.decide(GIF, on_error="unknown")
    assert (d.decision, d.usable, d.state) == ("unknown", False, "unsupported")
    assert d.reason == "unsupported format: GIF"
    assert ccsig.decide(GIF, on_error="unknown", unreadable="allow").usable


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"we_give": ["credit", "money"]}, "money"),
        ({"we_give": [1]}, "element names"),
        ({"we_give": 3}, "list of element names"),
        ({"unknown": "maybe"}, '^unknown: "maybe" is not an unknown policy'),
        ({"unreadable": "maybe"}, '^unreadable: "maybe" is not an unreadable policy'),
        ({"on_error": "ignore"}, '^on_error: "ignore" is not an on_error policy'),
        ({"use": " "}, '^use: " " is not a usage label of draft-07'),
        ({"vocabulary": "draft-99"}, '^vocabulary: "draft-99"'),
    ],
)
def test_decide_bad_arguments(kwargs, match):
    with pytest.raises(ccsig.InvalidArgument, match=match) as e:
        ccsig.decide(CR_OP, **kwargs)
    assert isinstance(e.value, ValueError)
    assert e.value.kind == "argument"


def test_decide_from_many_threads_matches_serial():
    files = [p for p in sample_files() if "bad" not in p.parts]
    serial = [ccsig.decide(p, we_give=["credit"], on_error="unknown").to_dict() for p in files]
    results: dict[int, list] = {}

    def work(n: int) -> None:
        results[n] = [ccsig.decide(p, we_give=["credit"], on_error="unknown").to_dict() for p in files]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[n] == serial for n in range(4))


# --- apply / remove ---------------------------------------------------------


def test_apply_path_writes_reads_back_and_is_idempotent(tmp_path: Path):
    target = tmp_path / "photo.jpg"
    shutil.copyfile(PLAIN_JPG, target)
    r = ccsig.apply(target, signal="cc-cr", use="train-ai", credit_name="Ada", credit_url="https://example.org/ada")
    assert r.change == "written"
    s = ccsig.read(target)
    assert s.expression == "train-ai=n;exceptions=cc-cr"
    assert (s.credit_name, s.credit_url) == ("Ada", "https://example.org/ada")
    assert ccsig.check(target) == []
    again = ccsig.apply(str(target), signal="cc-cr", credit_name="Ada", credit_url="https://example.org/ada")
    assert again.change == "unchanged"
    d = ccsig.decide(target, we_give=["credit"])
    assert (d.decision, d.credit_name) == ("allowed-with-terms", "Ada")


def test_apply_dry_run_and_remove(tmp_path: Path):
    target = tmp_path / "photo.png"
    shutil.copyfile(CR_PNG, target)
    before = target.read_bytes()
    r = ccsig.apply(target, expression="train-ai=n", dry_run=True)
    assert r.change == "would_write"
    assert target.read_bytes() == before
    assert ccsig.remove(target, dry_run=True).change == "would_remove"
    assert ccsig.remove(target).change == "removed"
    assert ccsig.read(target).expression is None
    assert ccsig.remove(target).change == "unchanged"


def test_apply_bytes_returns_new_bytes_or_the_same_object():
    data = PLAIN_PNG.read_bytes()
    new = ccsig.apply_bytes(data, expression="train-ai=n;exceptions=cc-cr")
    assert isinstance(new, bytes) and new != data
    assert ccsig.read(new).expression == "train-ai=n;exceptions=cc-cr"
    assert ccsig.read(data).expression is None  # the input is not modified
    same = ccsig.apply_bytes(new, expression="train-ai=n;exceptions=cc-cr")
    assert same is new
    by_signal = ccsig.apply_bytes(data, signal="cc-cr-dc", credit_name="Bo")
    assert ccsig.decide(by_signal, we_give=["credit", "direct-contribution"]).credit_name == "Bo"
    removed = ccsig.remove_bytes(new)
    assert ccsig.read(removed).expression is None
    assert ccsig.remove_bytes(removed) is removed


def test_hard_links_are_refused_unless_broken_and_mtime_can_be_kept(tmp_path: Path):
    import os

    target = tmp_path / "photo.jpg"
    other = tmp_path / "other-name.jpg"
    shutil.copyfile(PLAIN_JPG, target)
    os.link(target, other)
    with pytest.raises(ccsig.WriteError) as e:
        ccsig.apply(target, signal="cc-cr")
    assert e.value.kind == "refused"
    assert target.read_bytes() == PLAIN_JPG.read_bytes()

    os.utime(target, (1_000_000_000, 1_000_000_000))
    r = ccsig.apply(target, signal="cc-cr", break_hardlinks=True, preserve_mtime=True)
    assert r.change == "written"
    assert ccsig.read(target).expression == "train-ai=n;exceptions=cc-cr"
    assert other.read_bytes() == PLAIN_JPG.read_bytes()  # the other name keeps the old
    assert os.stat(target).st_mtime == 1_000_000_000
    assert os.stat(target).st_ino != os.stat(other).st_ino

    os.link(target, tmp_path / "third.jpg")
    with pytest.raises(ccsig.WriteError):
        ccsig.remove(target)
    assert ccsig.remove(target, break_hardlinks=True, preserve_mtime=True).change == "removed"
    assert os.stat(target).st_mtime == 1_000_000_000


@pytest.mark.parametrize("expression", ["train-ai=", "train-ai=n;exceptions=cc-zz", "", "((("])
def test_apply_bad_expression(expression: str):
    with pytest.raises(ccsig.InvalidExpression) as e:
        ccsig.apply_bytes(PLAIN_JPG.read_bytes(), expression=expression)
    assert isinstance(e.value, ccsig.InvalidArgument)
    assert isinstance(e.value, ValueError)
    assert e.value.kind == "expression"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"signal": "cc-xx"}, "not a CC signal"),
        ({"signal": "cc-cr", "use": "ai-training"}, '^use: "ai-training" is not a usage label of draft-07'),
        ({"signal": "cc-cr", "expression": "train-ai=n"}, "not both"),
        ({"expression": "train-ai=n", "use": "train-ai"}, "use goes with signal"),
        ({}, "signal or expression"),
    ],
)
def test_apply_bad_arguments(kwargs, match):
    with pytest.raises(ccsig.InvalidArgument, match=match):
        ccsig.apply_bytes(PLAIN_JPG.read_bytes(), **kwargs)


def test_apply_unreadable_leaves_file_untouched(tmp_path: Path):
    target = tmp_path / "t.jpg"
    shutil.copyfile(TRUNCATED, target)
    with pytest.raises(ccsig.UnreadableImage) as e:
        ccsig.apply(target, signal="cc-cr")
    assert e.value.path == str(target)
    assert target.read_bytes() == TRUNCATED.read_bytes()
    with pytest.raises(ccsig.UnreadableImage):
        ccsig.apply_bytes(b"nope", signal="cc-cr")
    with pytest.raises(ccsig.AccessError):
        ccsig.apply(tmp_path / "missing.jpg", signal="cc-cr")


def test_write_error_when_the_file_cannot_be_replaced(tmp_path: Path):
    import os

    if os.geteuid() == 0:
        # root ignores directory permissions; a sidecar path that is a
        # directory makes the write fail instead.
        target = tmp_path / "p.jpg"
        shutil.copyfile(PLAIN_JPG, target)
        (tmp_path / "p.jpg.xmp").mkdir()
    else:
        target = tmp_path / "ro" / "p.jpg"
        target.parent.mkdir()
        shutil.copyfile(PLAIN_JPG, target)
        target.parent.chmod(0o500)
    try:
        with pytest.raises(ccsig.CcsigError) as e:
            ccsig.apply(target, signal="cc-cr", sidecar=True)
        assert isinstance(e.value, (ccsig.WriteError, ccsig.AccessError))
        assert e.value.path == str(target)
    finally:
        target.parent.chmod(0o700)
    assert target.read_bytes() == PLAIN_JPG.read_bytes()


# --- check ----------------------------------------------------------------


def test_check_findings():
    kinds = [f.kind for f in ccsig.check(CONFLICT)]
    assert "conflict" in kinds
    f = next(f for f in ccsig.check(CONFLICT) if f.kind == "conflict")
    assert f.severity == "error"
    assert "XMP plus:DataMining" in f.fields
    assert f.message
    assert f.to_dict()["kind"] == "conflict"
    assert [f.kind for f in ccsig.check(PLAIN_JPG)] == ["missing"]
    assert ccsig.check(CR_OP) == []


def test_check_bytes_form_and_expect():
    assert [f.kind for f in ccsig.check(CONFLICT.read_bytes())] == [f.kind for f in ccsig.check(CONFLICT)]
    assert ccsig.check(CR_OP, expect="train-ai=n;exceptions=cc-cr-op") == []
    assert [f.kind for f in ccsig.check(CR_OP, expect="train-ai=n")] == ["unexpected"]
    with pytest.raises(ccsig.InvalidExpression):
        ccsig.check(CR_OP, expect="(((")


def test_check_unreadable_is_a_finding_not_an_exception(tmp_path: Path):
    for f in (ccsig.check(TRUNCATED), ccsig.check(TRUNCATED.read_bytes()), ccsig.check(tmp_path / "missing.jpg")):
        assert [x.kind for x in f] == ["unreadable"]
        assert f[0].severity == "error"


def test_module_surface_matches_the_stubs():
    stub = (Path(ccsig.__file__).parent / "__init__.pyi").read_text()
    for name in ccsig.__all__:
        assert name in stub, name
    assert (Path(ccsig.__file__).parent / "py.typed").exists()
    assert ccsig.decide.__doc__ and ccsig.read.__doc__


def test_stub_signatures_match_the_runtime():
    """Every function in __init__.pyi takes the same parameters, of the same
    kind and with the same defaults, as the compiled function."""
    import ast
    import inspect

    stub = ast.parse((Path(ccsig.__file__).parent / "__init__.pyi").read_text())
    functions = [n for n in stub.body if isinstance(n, ast.FunctionDef)]
    assert {f.name for f in functions} == {
        n for n in ccsig.__all__ if callable(getattr(ccsig, n)) and not isinstance(getattr(ccsig, n), type)
    }
    for f in functions:
        runtime = inspect.signature(getattr(ccsig, f.name))
        a = f.args
        stub_params = [(p.arg, "POSITIONAL_OR_KEYWORD") for p in a.args] + [(p.arg, "KEYWORD_ONLY") for p in a.kwonlyargs]
        assert [(p.name, p.kind.name) for p in runtime.parameters.values()] == stub_params, f.name
        stub_defaults = dict(zip([p.arg for p in a.args][len(a.args) - len(a.defaults) :], a.defaults))
        stub_defaults.update({p.arg: d for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None})
        for name, node in stub_defaults.items():
            expected = ast.literal_eval(node)
            actual = runtime.parameters[name].default
            # pyo3 shows an empty Vec default as `...`
            assert actual == expected or (expected == () and actual is Ellipsis), (f.name, name, actual, expected)


def test_content_credentials_are_a_source_and_a_no_counts():
    """The c2pa-rs fixture's signed `cawg.training-mining` says notAllowed
    for generative training and inference (issue 18)."""
    path = SAMPLES / "c2pa" / "C_with_CAWG_data.jpg"
    s = ccsig.read(path)
    assert s.c2pa and s.c2pa_state == "valid"
    assert s.decisions["train-ai"] == "disallowed"
    fields = [field for field, _, _ in s.sources]
    assert "C2PA cawg.training-mining cawg.ai_generative_training" in fields
    assert ccsig.read(path, vocabulary="draft-08").decisions["ai-use"] == "disallowed"
    d = ccsig.decide(path, use="train-ai", we_give=["credit"], unknown="allow", unreadable="allow")
    assert (d.decision, d.usable, d.state) == ("disallowed", False, "stated")
    assert d.sources == ["C2PA cawg.training-mining cawg.ai_generative_training"]
    assert ccsig.read(SAMPLES / "jpeg" / "plain.jpg").c2pa_state is None


def test_c2pa_trust_is_checked_before_any_file_is_read(tmp_path):
    not_pem = tmp_path / "notes.txt"
    not_pem.write_text("no certificate here")
    missing = tmp_path / "missing.jpg"
    for call in (
        lambda: ccsig.read(missing, c2pa_trust=not_pem),
        lambda: ccsig.decide(missing, c2pa_trust=not_pem),
        lambda: ccsig.decide_tree(missing, c2pa_trust=not_pem),
        lambda: ccsig.decide_listed("a.jpg", b"", c2pa_trust=not_pem),
        lambda: ccsig.check(missing, c2pa_trust=tmp_path / "nowhere.pem"),
    ):
        with pytest.raises(ccsig.InvalidArgument, match="c2pa_trust"):
            call()
