//! Other people's XMP, kept word for word. Each test writes one form of
//! RDF/XML that Adobe's parser, ExifTool or exiv2 read into a JPEG's
//! packet, runs `apply --signal cc-cr-op`, `read` and `remove`, and checks
//! that the foreign text survives byte for byte (after apply, ccsig's line
//! follows it; after remove, it is exactly as it was), that read sees the
//! value, and where they can tell, that ExifTool and exiv2 read the result
//! as intended (see docs/mapping.md, "Forms read and written back").

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use ccsig::internals::mapping::{extended, xmp};
use common::*;
use serde_json::Value;

const EXPRESSION: &str = "train-ai=n;exceptions=cc-cr-op";
const PLUS_VOCAB: &str = "http://ns.useplus.org/ldf/vocab/";
const RDF_NS: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

/// ccsig's line in the default item of plus:OtherConstraints.
fn ours() -> String {
    xmp::mirrors_for(EXPRESSION).other_constraints
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

/// The XMP fields as ccsig's library reads them from the file.
fn fields(path: &Path) -> xmp::XmpFields {
    ccsig::read_path(path)
        .unwrap()
        .xmp
        .expect("the file has an XMP packet")
}

fn constraints(path: &Path) -> Vec<(String, String)> {
    fields(path).other_constraints
}

fn item(lang: &str, text: &str) -> (String, String) {
    (lang.to_string(), text.to_string())
}

fn ok(args: &[&str], path: &Path) -> Output {
    let o = ccsig_on(args, &[path.to_path_buf()]);
    assert!(
        o.status.success(),
        "ccsig {args:?}: {}\n{}\n{}",
        o.status,
        stdout(&o),
        stderr(&o)
    );
    o
}

fn apply(path: &Path) -> Output {
    ok(&["apply", "--signal", "cc-cr-op", "--format", "json"], path)
}

fn remove(path: &Path) {
    ok(&["remove", "--format", "json"], path);
}

/// `ccsig read --format json` of one file.
fn read_json(path: &Path) -> Value {
    let o = ok(&["read", "--format", "json"], path);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    v[0].clone()
}

fn source_fields(report: &Value) -> Vec<String> {
    report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["field"].as_str().unwrap().to_string())
        .collect()
}

/// What plus:OtherConstraints must read after apply: ccsig's line after
/// the default item's text, on a line of its own, or a new x-default item
/// first when there was no default; every other item as it was.
fn with_our_line(before: &[(String, String)]) -> Vec<(String, String)> {
    let mut after = before.to_vec();
    match default_position(before) {
        Some(i) => after[i].1 = format!("{}\n{}", after[i].1, ours()),
        None => after.insert(0, item("x-default", &ours())),
    }
    after
}

/// The default item: x-default (any case), else the first without a language.
fn default_position(items: &[(String, String)]) -> Option<usize> {
    items
        .iter()
        .position(|(lang, _)| lang.eq_ignore_ascii_case("x-default"))
        .or_else(|| items.iter().position(|(lang, _)| lang.is_empty()))
}

/// Apply, then remove: after apply the signal reads back and the foreign
/// items are as [`with_our_line`] says; after remove they are exactly as
/// before. Every block but the XMP stays byte-identical (img-parts).
fn round_trip(path: &Path) {
    let before = constraints(path);
    let blocks = foreign_blocks(&read(path));
    apply(path);
    let after = fields(path);
    assert_eq!(after.expression.as_deref(), Some(EXPRESSION));
    assert_eq!(after.other_constraints, with_our_line(&before));
    assert_eq!(foreign_blocks(&read(path)), blocks);
    remove(path);
    let back = fields(path);
    assert!(!back.has_ccsig(), "{back:?}");
    assert_eq!(back.other_constraints, before, "remove restores the text");
    assert_eq!(foreign_blocks(&read(path)), blocks);
}

/// A JPEG whose XMP packet holds `body` in one description.
fn jpeg(dir: &Path, name: &str, body: &str) -> PathBuf {
    with_xmp(dir, "jpeg/plain.jpg", name, body)
}

fn alt(items: &str) -> String {
    format!("<plus:OtherConstraints><rdf:Alt>{items}</rdf:Alt></plus:OtherConstraints>")
}

/// ExifTool's tags (`-G1 -a -XMP:all`, values as stored with `-n`).
fn exiftool(et: &Path, path: &Path) -> serde_json::Map<String, Value> {
    let out = run_tool(
        et,
        &[
            "-j",
            "-q",
            "-n",
            "-G1",
            "-a",
            "-XMP:all",
            &path.display().to_string(),
        ],
    );
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    v[0].as_object().unwrap().clone()
}

fn tag<'a>(tags: &'a serde_json::Map<String, Value>, key: &str) -> &'a str {
    tags.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("ExifTool has no {key}: {tags:#?}"))
}

/// exiv2's view of the XMP (`-PXkv`), as printed.
fn exiv2(exiv2: &Path, path: &Path) -> String {
    run_tool(exiv2, &["-PXkv", &path.display().to_string()])
}

// ---------------------------------------------------------------------------
// 1. rdf:parseType="Resource" with rdf:value

#[test]
#[cfg_attr(
    not(all(ccsig_has_exiftool, ccsig_has_exiv2)),
    ignore = "needs exiftool and exiv2 (bash .ci/run installs them)"
)]
fn qualified_values_are_read_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "<plus:DataMining rdf:parseType=\"Resource\"><rdf:value>{PLUS_VOCAB}DMI-PROHIBITED</rdf:value></plus:DataMining>\n{}",
        alt("<rdf:li xml:lang=\"x-default\" rdf:parseType=\"Resource\"><rdf:value>Editorial only.</rdf:value></rdf:li>\
             <rdf:li xml:lang=\"fr\">Usage éditorial.</rdf:li>")
    );
    let path = jpeg(dir.path(), "qualified.jpg", &body);
    let f = fields(&path);
    assert_eq!(
        f.data_mining,
        Some(format!("{PLUS_VOCAB}DMI-PROHIBITED")),
        "read sees the qualified DataMining"
    );
    assert_eq!(
        f.other_constraints,
        [
            item("x-default", "Editorial only."),
            item("fr", "Usage éditorial.")
        ]
    );
    let report = read_json(&path);
    assert_eq!(report["decisions"]["train-ai"]["decision"], "disallowed");
    assert!(source_fields(&report).contains(&"XMP plus:DataMining".to_string()));
    let check = ccsig_on(&["check", "--format", "json"], std::slice::from_ref(&path));
    assert!(
        !stdout(&check).contains("\"missing\""),
        "{}",
        stdout(&check)
    );

    let copy = dir.path().join("copy.jpg");
    std::fs::copy(&path, &copy).unwrap();
    round_trip(&path);

    apply(&copy);
    let packet = xmp_packet(&read(&copy)).unwrap();
    assert!(
        packet.contains("rdf:parseType=\"Resource\"><rdf:value>Editorial only.\n"),
        "the item keeps its form: {packet}"
    );
    {
        let et = tool("exiftool");
        let tags = exiftool(&et, &copy);
        assert_eq!(
            tag(&tags, "XMP-plus:OtherConstraints"),
            format!("Editorial only.\n{}", ours())
        );
        assert_eq!(
            tag(&tags, "XMP-plus:OtherConstraints-fr"),
            "Usage éditorial."
        );
        // ExifTool prints the code without the vocabulary prefix.
        assert!(tag(&tags, "XMP-plus:DataMining").ends_with("DMI-PROHIBITED-SEECONSTRAINT"));
        assert_eq!(tag(&tags, "XMP-ccsig:Expression"), EXPRESSION);
    }
    {
        let exiv2_path = tool("exiv2");
        let shown = exiv2(&exiv2_path, &copy);
        assert!(shown.contains("DMI-PROHIBITED-SEECONSTRAINT"), "{shown}");
        let default = format!("lang=\"x-default\" Editorial only.\n{}", ours());
        assert!(shown.contains(&default), "{shown}");
    }
    remove(&copy);
    {
        let et = tool("exiftool");
        let tags = exiftool(&et, &copy);
        assert_eq!(tag(&tags, "XMP-plus:OtherConstraints"), "Editorial only.");
    }
}

// ---------------------------------------------------------------------------
// 2. Language tags compare without case

#[test]
#[cfg_attr(
    not(all(ccsig_has_exiftool, ccsig_has_exiv2)),
    ignore = "needs exiftool and exiv2 (bash .ci/run installs them)"
)]
fn language_tags_compare_without_case() {
    let dir = tempfile::tempdir().unwrap();
    let body = alt(
        "<rdf:li xml:lang=\"X-Default\">Editorial only.</rdf:li><rdf:li xml:lang=\"de\">Nur redaktionell.</rdf:li>",
    );
    let path = jpeg(dir.path(), "case.jpg", &body);
    let copy = dir.path().join("copy.jpg");
    std::fs::copy(&path, &copy).unwrap();
    round_trip(&path);

    apply(&copy);
    let defaults = constraints(&copy)
        .iter()
        .filter(|(lang, _)| lang.eq_ignore_ascii_case("x-default"))
        .count();
    assert_eq!(defaults, 1, "one default item: {:?}", constraints(&copy));
    let want = format!("Editorial only.\n{}", ours());
    {
        let et = tool("exiftool");
        let tags = exiftool(&et, &copy);
        assert_eq!(tag(&tags, "XMP-plus:OtherConstraints"), want);
        assert_eq!(
            tag(&tags, "XMP-plus:OtherConstraints-de"),
            "Nur redaktionell."
        );
    }
    {
        let exiv2_path = tool("exiv2");
        // exiv2 shows the x-default item: the one that holds both texts.
        let shown = exiv2(&exiv2_path, &copy);
        let default = format!("lang=\"x-default\" {want}, lang=\"de\" Nur redaktionell.");
        assert!(shown.contains(&default), "{shown}");
        assert_eq!(shown.matches("x-default").count(), 1, "{shown}");
    }
}

// ---------------------------------------------------------------------------
// 3. An item without a language beside the x-default one

#[test]
fn item_without_language_beside_x_default_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    for (name, items) in [
        (
            "after.jpg",
            "<rdf:li xml:lang=\"x-default\">Editorial only.</rdf:li><rdf:li>No language.</rdf:li>",
        ),
        (
            "before.jpg",
            "<rdf:li>No language.</rdf:li><rdf:li xml:lang=\"x-default\">Editorial only.</rdf:li>",
        ),
    ] {
        let path = jpeg(dir.path(), name, &alt(items));
        let before = constraints(&path);
        assert_eq!(before.len(), 2);
        assert!(before.contains(&item("", "No language.")));
        assert!(before.contains(&item("x-default", "Editorial only.")));
        round_trip(&path);
    }
}

// ---------------------------------------------------------------------------
// 4. OtherConstraints as rdf:Bag or rdf:Seq

#[test]
fn bag_and_seq_items_are_all_kept() {
    let dir = tempfile::tempdir().unwrap();
    for container in ["Bag", "Seq"] {
        let body = format!(
            "<plus:OtherConstraints><rdf:{container}><rdf:li>First.</rdf:li><rdf:li>Second.</rdf:li>\
             <rdf:li>Third.</rdf:li></rdf:{container}></plus:OtherConstraints>"
        );
        let path = jpeg(dir.path(), &format!("{container}.jpg"), &body);
        assert_eq!(
            constraints(&path),
            [item("", "First."), item("", "Second."), item("", "Third.")]
        );
        round_trip(&path);
    }
}

// ---------------------------------------------------------------------------
// 5. A single-language simple value

#[test]
fn language_of_a_simple_value_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let body = "<plus:OtherConstraints xml:lang=\"de\">Nur redaktionell.</plus:OtherConstraints>";
    let path = jpeg(dir.path(), "de.jpg", body);
    assert_eq!(constraints(&path), [item("de", "Nur redaktionell.")]);
    round_trip(&path);
}

// ---------------------------------------------------------------------------
// 6. Carriage returns and blank lines

#[test]
#[cfg_attr(
    not(all(ccsig_has_exiftool, ccsig_has_exiv2)),
    ignore = "needs exiftool and exiv2 (bash .ci/run installs them)"
)]
fn carriage_returns_and_blank_lines_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Line one.\r\n\r\n\nLine four.\n";
    let body = alt(
        "<rdf:li xml:lang=\"x-default\">Line one.&#xD;\n&#13;\n\nLine four.\n</rdf:li><rdf:li xml:lang=\"de\">A&#xD;B</rdf:li>",
    );
    let path = jpeg(dir.path(), "cr.jpg", &body);
    assert_eq!(
        constraints(&path),
        [item("x-default", text), item("de", "A\rB")]
    );
    round_trip(&path);
    // An earlier expression line gives way; the blank lines stay.
    let marked = alt(
        "<rdf:li xml:lang=\"x-default\">Line one.&#xD;\n\nContent-Usage: tdm=n\nLast.</rdf:li>",
    );
    let path = jpeg(dir.path(), "marked.jpg", &marked);
    apply(&path);
    assert_eq!(
        fields(&path).other_constraints_default(),
        Some(format!("Line one.\r\n\nLast.\n{}", ours()).as_str())
    );
}

// ---------------------------------------------------------------------------
// 7. Packets other parsers read: self-closing rdf:RDF, RDF as the default
//    namespace, UTF-16, a packet near 64 KB that is mostly padding

/// A packet in the usual wrapper around an `rdf:RDF` element given whole.
fn wrapped(rdf: &str, padding: usize) -> String {
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
         <x:xmpmeta xmlns:x=\"adobe:ns:meta/\">{rdf}</x:xmpmeta>\n{}<?xpacket end=\"w\"?>",
        " ".repeat(padding)
    )
}

/// The RDF of a packet with a title and OtherConstraints, RDF bound to
/// the default namespace.
fn default_namespace_rdf() -> String {
    format!(
        "<RDF xmlns=\"{RDF_NS}\">\n<Description xmlns:rdf=\"{RDF_NS}\" rdf:about=\"\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:plus=\"http://ns.useplus.org/ldf/xmp/1.0/\">\n\
         <dc:title><Alt><li xml:lang=\"x-default\">Harbour</li></Alt></dc:title>\n\
         <plus:OtherConstraints><Alt><li xml:lang=\"x-default\">Editorial only.</li></Alt></plus:OtherConstraints>\n\
         </Description>\n</RDF>"
    )
}

fn prefixed_rdf() -> String {
    format!(
        "<rdf:RDF xmlns:rdf=\"{RDF_NS}\"><rdf:Description rdf:about=\"\" \
         xmlns:plus=\"http://ns.useplus.org/ldf/xmp/1.0/\">\
         <plus:OtherConstraints><rdf:Alt><rdf:li xml:lang=\"x-default\">Editorial only.</rdf:li>\
         <rdf:li xml:lang=\"de\">Nur redaktionell.</rdf:li></rdf:Alt></plus:OtherConstraints>\
         </rdf:Description></rdf:RDF>"
    )
}

/// ExifTool and exiv2 read ccsig's expression and the default text.
fn tools_read_the_result(path: &Path, default_text: Option<&str>) {
    {
        let et = tool("exiftool");
        let tags = exiftool(&et, path);
        assert_eq!(tag(&tags, "XMP-ccsig:Expression"), EXPRESSION);
        let want = match default_text {
            Some(t) => format!("{t}\n{}", ours()),
            None => ours(),
        };
        assert_eq!(tag(&tags, "XMP-plus:OtherConstraints"), want);
    }
    {
        let exiv2_path = tool("exiv2");
        let shown = exiv2(&exiv2_path, path);
        assert!(shown.contains("Xmp.ccsig.expression"), "{shown}");
        assert!(shown.contains(EXPRESSION), "{shown}");
        if let Some(t) = default_text {
            assert!(shown.contains(t), "{shown}");
        }
    }
}

#[test]
#[cfg_attr(
    not(all(ccsig_has_exiftool, ccsig_has_exiv2)),
    ignore = "needs exiftool and exiv2 (bash .ci/run installs them)"
)]
fn self_closing_rdf_is_written_into() {
    let dir = tempfile::tempdir().unwrap();
    let packet = wrapped(&format!("<rdf:RDF xmlns:rdf=\"{RDF_NS}\"/>"), 0);
    let path = with_packet(
        dir.path(),
        "jpeg/plain.jpg",
        "empty.jpg",
        packet.into_bytes(),
    );
    assert!(fields(&path).other_constraints.is_empty());
    apply(&path);
    assert_eq!(fields(&path).expression.as_deref(), Some(EXPRESSION));
    tools_read_the_result(&path, None);
    remove(&path);
    assert!(ccsig::read_path(&path)
        .unwrap()
        .xmp
        .is_none_or(|f| !f.has_ccsig()));
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn rdf_in_the_default_namespace_is_read_and_written() {
    let dir = tempfile::tempdir().unwrap();
    let packet = wrapped(&default_namespace_rdf(), 0);
    let path = with_packet(
        dir.path(),
        "jpeg/plain.jpg",
        "default-ns.jpg",
        packet.into_bytes(),
    );
    assert_eq!(constraints(&path), [item("x-default", "Editorial only.")]);
    let copy = dir.path().join("copy.jpg");
    std::fs::copy(&path, &copy).unwrap();
    round_trip(&path);
    apply(&copy);
    let written = xmp_packet(&read(&copy)).unwrap();
    assert!(
        written.contains("<li xml:lang=\"x-default\">Editorial only.\n"),
        "spliced in the packet's own form: {written}"
    );
    // ExifTool 13.59 does not take a default-namespace RDF element for
    // rdf:RDF: it reads the packet as an unknown structure, with flattened
    // names (XMP-ccsig:RdfExpression). The values must still be ours.
    {
        let et = tool("exiftool");
        let tags = exiftool(&et, &copy);
        let value_of = |group: &str, want: &str| {
            tags.iter()
                .any(|(k, v)| k.starts_with(group) && v.as_str() == Some(want))
        };
        assert!(value_of("XMP-ccsig:", EXPRESSION), "{tags:#?}");
        let text = format!("Editorial only.\n{}", ours());
        assert!(value_of("XMP-plus:", &text), "{tags:#?}");
    }
    // exiv2 0.27.6 reads nothing at all from such a packet, before or
    // after: there is nothing for it to confirm.
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for unit in std::iter::once(0xFEFF).chain(text.encode_utf16()) {
        out.extend(match big_endian {
            true => unit.to_be_bytes(),
            false => unit.to_le_bytes(),
        });
    }
    out
}

#[test]
#[cfg_attr(
    not(all(ccsig_has_exiftool, ccsig_has_exiv2)),
    ignore = "needs exiftool and exiv2 (bash .ci/run installs them)"
)]
fn utf16_packets_are_read_and_written_back_as_utf8() {
    let dir = tempfile::tempdir().unwrap();
    for big_endian in [true, false] {
        let text = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n{}",
            wrapped(&prefixed_rdf(), 100)
        );
        let name = format!("utf16-{big_endian}.jpg");
        let path = with_packet(
            dir.path(),
            "jpeg/plain.jpg",
            &name,
            utf16(&text, big_endian),
        );
        assert_eq!(
            constraints(&path),
            [
                item("x-default", "Editorial only."),
                item("de", "Nur redaktionell.")
            ]
        );
        let copy = dir.path().join(format!("copy-{name}"));
        std::fs::copy(&path, &copy).unwrap();
        round_trip(&path);

        let out = apply(&copy);
        assert!(
            stdout(&out).contains("written back as UTF-8")
                || stdout(&out).contains("back as UTF-8"),
            "the outcome says so: {}",
            stdout(&out)
        );
        let written = xmp_packet(&read(&copy)).unwrap();
        assert!(written.contains("encoding=\"UTF-8\""), "{written}");
        assert!(!written.contains('\0'));
        tools_read_the_result(&copy, Some("Editorial only."));
    }
}

#[test]
#[cfg_attr(
    not(all(ccsig_has_exiftool, ccsig_has_exiv2)),
    ignore = "needs exiftool and exiv2 (bash .ci/run installs them)"
)]
fn a_packet_near_64k_gives_up_padding_instead_of_being_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bare = wrapped(&prefixed_rdf(), 0);
    // 40 bytes short of the most one APP1 holds: ccsig's additions fit
    // only by using up padding.
    let size = 65_502 - 40;
    let packet = wrapped(&prefixed_rdf(), size - bare.len());
    assert_eq!(packet.len(), size);
    let path = with_packet(
        dir.path(),
        "jpeg/plain.jpg",
        "padded.jpg",
        packet.into_bytes(),
    );
    let copy = dir.path().join("copy.jpg");
    std::fs::copy(&path, &copy).unwrap();
    round_trip(&path);
    apply(&copy);
    let written = xmp_packet(&read(&copy)).unwrap();
    assert!(written.len() <= 65_502, "{}", written.len());
    assert!(
        written.len() > 65_400,
        "only the excess came out of the padding"
    );
    tools_read_the_result(&copy, Some("Editorial only."));
}

// ---------------------------------------------------------------------------
// 8. JPEG Extended XMP

/// The prefix of an Extended XMP APP1 segment.
const EXTENSION_PREFIX: &[u8] = b"http://ns.adobe.com/xmp/extension/\0";

/// A JPEG whose main packet names an extension holding `extension_body`,
/// split into 3 segments (in reverse order, as any order is allowed),
/// with `tamper` applied to the segment payloads.
fn with_extension(
    dir: &Path,
    name: &str,
    main_body: &str,
    extension_body: &str,
    tamper: impl Fn(&mut Vec<Vec<u8>>),
) -> PathBuf {
    let extension = packet(extension_body);
    let chunk = extension.len() / 3 + 1;
    let (guid, mut payloads) = extended::split(extension.as_bytes(), chunk);
    payloads.reverse();
    tamper(&mut payloads);
    let main = format!(
        "{main_body}\n<xmpNote:HasExtendedXMP xmlns:xmpNote=\"http://ns.adobe.com/xmp/note/\">{guid}</xmpNote:HasExtendedXMP>"
    );
    let path = with_xmp(dir, "jpeg/plain.jpg", name, &main);
    let bytes = read(&path);
    let layout = ccsig::internals::container::scan(&mut std::io::Cursor::new(&bytes)).unwrap();
    let at = layout
        .blocks_of(ccsig::internals::container::BlockKind::Xmp)
        .next()
        .unwrap()
        .range
        .end as usize;
    let mut out = bytes[..at].to_vec();
    for p in payloads {
        let len = (2 + EXTENSION_PREFIX.len() + p.len()) as u16;
        out.extend([0xFF, 0xE1]);
        out.extend(len.to_be_bytes());
        out.extend(EXTENSION_PREFIX);
        out.extend(p);
    }
    out.extend(&bytes[at..]);
    std::fs::write(&path, out).unwrap();
    path
}

fn extension_segments(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    foreign_blocks(bytes)
        .into_iter()
        .filter(|(_, b)| b.len() > 4 && b[4..].starts_with(EXTENSION_PREFIX))
        .collect()
}

#[test]
fn extended_xmp_is_read_and_a_duplicate_write_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ext = format!(
        "<plus:DataMining>{PLUS_VOCAB}DMI-PROHIBITED</plus:DataMining>\n{}",
        alt("<rdf:li xml:lang=\"x-default\">Editorial only.</rdf:li>")
    );
    let path = with_extension(dir.path(), "ext.jpg", "", &ext, |_| {});
    assert_eq!(extension_segments(&read(&path)).len(), 3);
    let f = fields(&path);
    assert_eq!(f.data_mining, Some(format!("{PLUS_VOCAB}DMI-PROHIBITED")));
    assert_eq!(f.other_constraints, [item("x-default", "Editorial only.")]);
    let report = read_json(&path);
    assert_eq!(report["decisions"]["train-ai"]["decision"], "disallowed");
    assert!(source_fields(&report).contains(&"XMP plus:DataMining".to_string()));

    let before = read(&path);
    let o = ccsig_on(
        &["apply", "--signal", "cc-cr-op"],
        std::slice::from_ref(&path),
    );
    assert!(!o.status.success(), "refused: {}", stdout(&o));
    let said = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        said.contains("Extended XMP") && said.contains("plus:OtherConstraints"),
        "{said}"
    );
    assert_eq!(read(&path), before, "nothing written");
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn extended_xmp_stays_byte_identical_when_apply_writes_around_it() {
    let dir = tempfile::tempdir().unwrap();
    let ext = "<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">A long description.</rdf:li></rdf:Alt></dc:description>";
    let main = alt("<rdf:li xml:lang=\"x-default\">Editorial only.</rdf:li>");
    let path = with_extension(dir.path(), "ext.jpg", &main, ext, |_| {});
    let segments = extension_segments(&read(&path));
    assert_eq!(segments.len(), 3);
    let check = ccsig_on(&["check", "--format", "json"], std::slice::from_ref(&path));
    assert!(
        !stdout(&check).contains("extension"),
        "a valid extension: {}",
        stdout(&check)
    );
    round_trip(&path);
    apply(&path);
    assert_eq!(extension_segments(&read(&path)), segments);
    {
        let et = tool("exiftool");
        let tags = exiftool(&et, &path);
        assert_eq!(tag(&tags, "XMP-dc:Description"), "A long description.");
        assert_eq!(tag(&tags, "XMP-ccsig:Expression"), EXPRESSION);
    }
}

#[test]
fn a_broken_extension_is_ignored_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let ext = format!("<plus:DataMining>{PLUS_VOCAB}DMI-PROHIBITED</plus:DataMining>");
    type Tamper = fn(&mut Vec<Vec<u8>>);
    let broken: [(&str, Tamper); 3] = [
        ("digest", |p| *p[0].last_mut().unwrap() ^= 1),
        ("overlap", |p| {
            p[0][36..40].copy_from_slice(&1u32.to_be_bytes())
        }),
        ("guid", |p| p.iter_mut().for_each(|s| s[0] = b'X')),
    ];
    for (name, tamper) in broken {
        let path = with_extension(dir.path(), &format!("{name}.jpg"), "", &ext, tamper);
        let segments = extension_segments(&read(&path));
        let f = fields(&path);
        assert_eq!(f.data_mining, None, "{name}: the extension is ignored");
        let check = ccsig_on(&["check", "--format", "json"], std::slice::from_ref(&path));
        assert!(
            stdout(&check).contains("Extended XMP") && stdout(&check).contains("ignored"),
            "{name}: {}",
            stdout(&check)
        );
        apply(&path);
        assert_eq!(extension_segments(&read(&path)), segments, "{name}");
        assert_eq!(fields(&path).expression.as_deref(), Some(EXPRESSION));
    }
}

#[test]
fn a_named_extension_whose_segments_are_gone_gets_no_note() {
    let dir = tempfile::tempdir().unwrap();
    let ext = format!("<plus:DataMining>{PLUS_VOCAB}DMI-PROHIBITED</plus:DataMining>");
    let path = with_extension(dir.path(), "gone.jpg", "", &ext, |p| p.clear());
    assert!(extension_segments(&read(&path)).is_empty());
    assert!(fields(&path).has_extended_xmp.is_some());
    let check = ccsig_on(&["check", "--format", "json"], std::slice::from_ref(&path));
    assert!(
        !stdout(&check).contains("Extended XMP"),
        "{}",
        stdout(&check)
    );
    assert!(stdout(&check).contains("\"missing\""), "{}", stdout(&check));
}

#[test]
fn ccsig_fields_in_the_extension_are_read_and_never_doubled() {
    let dir = tempfile::tempdir().unwrap();
    let ext = format!("<ccsig:expression>{EXPRESSION}</ccsig:expression>");
    let path = with_extension(dir.path(), "ours.jpg", "", &ext, |_| {});
    assert_eq!(fields(&path).expression.as_deref(), Some(EXPRESSION));
    let report = read_json(&path);
    assert_eq!(
        report["decisions"]["train-ai"]["decision"],
        "allowed-with-terms"
    );
    let before = read(&path);
    for args in [&["apply", "--signal", "cc-cr-op"][..], &["remove"][..]] {
        let o = ccsig_on(args, std::slice::from_ref(&path));
        assert!(!o.status.success(), "{args:?} refused: {}", stdout(&o));
        let said = format!("{}{}", stdout(&o), stderr(&o));
        assert!(said.contains("ccsig:expression"), "{said}");
        assert_eq!(read(&path), before, "{args:?}: nothing written");
    }
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn a_control_character_in_the_packet_header_is_read_and_kept() {
    // Some writers put a control character in `begin=` where the
    // byte-order mark belongs; XML forbids it there, ExifTool reads it.
    let dir = tempfile::tempdir().unwrap();
    let header = "<?xpacket begin=\"\u{1}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>";
    let packet = format!(
        "{header}\n{}\n<?xpacket end=\"w\"?>",
        packet("<dc:creator><rdf:Seq><rdf:li>Ada Example</rdf:li></rdf:Seq></dc:creator>")
    );
    let path = with_packet(
        dir.path(),
        "jpeg/plain.jpg",
        "control.jpg",
        packet.into_bytes(),
    );
    assert_eq!(
        ccsig::read_path(&path).unwrap().credit.name.as_deref(),
        Some("Ada Example")
    );
    apply(&path);
    assert_eq!(fields(&path).expression.as_deref(), Some(EXPRESSION));
    // The header is written back as it was (img-parts reads the packet).
    let written = xmp_packet(&read(&path)).unwrap();
    assert!(written.starts_with(header), "{written:.80}");
    let exiftool = tool("exiftool");
    let out = run_tool(
        &exiftool,
        &["-XMP-ccsig:Expression", "-s3", path.to_str().unwrap()],
    );
    assert_eq!(out.trim(), EXPRESSION);
    remove(&path);
    assert!(xmp_packet(&read(&path)).unwrap().starts_with(header));
}
