//! Helpers shared by the integration tests: sample files in scratch
//! folders, running the binary, external tools (ExifTool, exiv2), and an
//! independent parser (img-parts) to check byte identity.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use img_parts::{jpeg::Jpeg, png::Png, webp::WebP, Bytes};

/// Every well-formed, untagged sample: all container layouts ccsig handles.
pub const IMAGE_SAMPLES: &[&str] = &[
    "jpeg/plain.jpg",
    "jpeg/exif.jpg",
    "jpeg/xmp-rich.jpg",
    "jpeg/iim.jpg",
    "jpeg/progressive.jpg",
    "png/plain.png",
    "png/alpha.png",
    "png/text-before-idat.png",
    "png/xmp-after-idat.png",
    "png/multi-idat.png",
    "webp/lossy.webp",
    "webp/lossless.webp",
    "webp/alpha.webp",
    "webp/animated.webp",
    "webp/exif.webp",
];

/// An XMP packet whose one description holds `body` (RDF properties), with
/// the namespaces the tests use declared.
pub fn packet(body: &str) -> String {
    format!(
        r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:ccsig="https://ns.ccsig.dev/xmp/1.0/" xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"
 xmlns:cc="http://creativecommons.org/ns#" xmlns:tdm="http://www.w3.org/ns/tdmrep/" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/">
{body}
</rdf:Description></rdf:RDF></x:xmpmeta>"#
    )
}

/// A copy of a sample, named `name` in `dir`, whose XMP packet is replaced
/// by [`packet`]`(body)`: how tests make files with any field values.
pub fn with_xmp(dir: &Path, rel: &str, name: &str, body: &str) -> PathBuf {
    with_packet(dir, rel, name, packet(body).into_bytes())
}

/// A copy of a sample, named `name` in `dir`, whose XMP packet is replaced
/// by exactly these bytes (any form, any encoding).
pub fn with_packet(dir: &Path, rel: &str, name: &str, packet: Vec<u8>) -> PathBuf {
    let bytes = std::fs::read(sample(rel)).unwrap();
    let mut src = std::io::Cursor::new(&bytes);
    let layout = ccsig::internals::container::scan(&mut src).unwrap();
    let mut out = Vec::new();
    let edit = ccsig::internals::container::XmpEdit::Replace(packet);
    ccsig::internals::container::rewrite(&mut src, &layout, &edit.into(), &mut out).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, out).unwrap();
    path
}

pub fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-images")
}

pub fn sample(rel: &str) -> PathBuf {
    samples().join(rel)
}

/// A scratch folder holding copies of the given samples (flattened names).
pub fn scratch(rels: &[&str]) -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let paths = rels
        .iter()
        .map(|rel| {
            let to = dir.path().join(rel.replace('/', "__"));
            std::fs::copy(sample(rel), &to).unwrap();
            to
        })
        .collect();
    (dir, paths)
}

pub fn ccsig(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ccsig"))
        .args(args)
        .output()
        .expect("run ccsig")
}

pub fn ccsig_on(args: &[&str], paths: &[PathBuf]) -> Output {
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.extend(paths.iter().map(|p| p.display().to_string()));
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    ccsig(&refs)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// An external tool an interop test needs. A test that calls this carries
/// `#[cfg_attr(not(ccsig_has_TOOL), ignore = ...)]`: `build.rs` sets the cfg
/// when the tool was found (or CCSIG_REQUIRE_TOOLS is set), so without the
/// tool the test shows as ignored, and here a missing tool is a failure.
pub fn tool(name: &str) -> PathBuf {
    let env_name = name.replace('-', "_").to_uppercase();
    let candidate = std::env::var_os(&env_name)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(name));
    let version_flag = match name {
        "exiftool" => "-ver",
        "webpmux" => "-version",
        "tiffinfo" | "heif-convert" => "-h",
        _ => "--version",
    };
    let works = Command::new(&candidate)
        .arg(version_flag)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        works,
        "{name} is needed by this test but was not found: set ${env_name} or put it on PATH \
         (`bash .ci/run` installs it); if it was just installed, `touch build.rs`"
    );
    candidate
}

/// ExifTool's validation warnings of a file, sorted: a write must add
/// none.
pub fn exiftool_warnings(et: &Path, file: &Path) -> Vec<String> {
    let out = run_tool(
        et,
        &["-validate", "-warning", "-a", "-s3", file.to_str().unwrap()],
    );
    let mut lines: Vec<String> = out
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

pub fn run_tool(tool: &Path, args: &[&str]) -> String {
    let o = Command::new(tool).args(args).output().unwrap();
    assert!(
        o.status.success() || !o.stdout.is_empty(),
        "{} {:?} failed: {}",
        tool.display(),
        args,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn is_xmp_app1(contents: &[u8]) -> bool {
    contents.starts_with(b"http://ns.adobe.com/xap/1.0/\0")
}

fn is_xmp_itxt(contents: &[u8]) -> bool {
    contents.starts_with(b"XML:com.adobe.xmp\0")
}

/// Every block of an image that is not ccsig's to change, as (name, exact
/// bytes), parsed by img-parts (JPEG, PNG, WebP) or the box parsers below
/// (JPEG XL, HEIF), independently of ccsig's own walkers.
/// JPEG: every segment (the SOS segment with its entropy-coded data) but
/// the main XMP APP1 and the Photoshop APP13 (IIM). PNG: every chunk but the
/// XMP iTXt and the raw IPTC/8BIM profiles. WebP: every chunk
/// but `XMP ` and the `VP8X` header.
pub fn foreign_blocks(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let b = Bytes::copy_from_slice(bytes);
    if bytes.starts_with(&[0xFF, 0xD8]) {
        let jpeg = Jpeg::from_bytes(b).expect("img-parts parses the JPEG");
        jpeg.segments()
            .iter()
            .filter(|s| !(s.marker() == 0xE1 && is_xmp_app1(s.contents())))
            // IIM is ccsig's to keep in sync; tests/iim.rs checks it dataset by dataset.
            .filter(|s| !(s.marker() == 0xED && s.contents().starts_with(b"Photoshop 3.0\0")))
            .map(|s| {
                (
                    format!("JPEG marker {:02X}", s.marker()),
                    s.clone().encoder().bytes().to_vec(),
                )
            })
            .collect()
    } else if bytes.starts_with(b"\x89PNG") {
        let png = Png::from_bytes(b).expect("img-parts parses the PNG");
        png.chunks()
            .iter()
            .filter(|c| !(&c.kind() == b"iTXt" && is_xmp_itxt(c.contents())))
            // ImageMagick's IIM copies are ccsig's to keep in sync;
            // tests/trust.rs checks them dataset by dataset.
            .filter(|c| !c.contents().starts_with(b"Raw profile type iptc\0"))
            .filter(|c| !c.contents().starts_with(b"Raw profile type 8bim\0"))
            .map(|c| {
                (
                    String::from_utf8_lossy(&c.kind()).into_owned(),
                    c.clone().encoder().bytes().to_vec(),
                )
            })
            .collect()
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        tiff_foreign(bytes)
    } else if bytes.starts_with(&[0xFF, 0x0A]) || bytes.get(4..8) == Some(b"JXL ") {
        foreign_boxes(bytes)
    } else if bytes.get(4..8) == Some(b"ftyp") {
        // Every item but the XMP, and every top-level box but meta (its
        // item tables change) and mdat (its items are compared one by one;
        // the old packet's bytes are blanked).
        let mut out: Vec<(String, Vec<u8>)> = image_items(bytes)
            .into_iter()
            .map(|(id, (ty, data))| (format!("item {id} {ty}"), data))
            .collect();
        for (ty, start, end) in box_list(bytes, 0, bytes.len()) {
            if &ty != b"meta" && &ty != b"mdat" {
                let name = String::from_utf8_lossy(&ty).into_owned();
                out.push((name, bytes[start..end].to_vec()));
            }
        }
        out
    } else {
        let webp = WebP::from_bytes(b).expect("img-parts parses the WebP");
        webp.chunks()
            .iter()
            .filter(|c| &c.id() != b"XMP " && &c.id() != b"VP8X")
            .map(|c| {
                (
                    String::from_utf8_lossy(&c.id()).into_owned(),
                    c.clone().encoder().bytes().to_vec(),
                )
            })
            .collect()
    }
}

// ISO BMFF boxes, read by the tests' own parser (not ccsig's): JPEG XL's
// top-level boxes, HEIF's items.

pub fn be(b: &[u8]) -> u64 {
    b.iter().fold(0, |v, x| v << 8 | u64::from(*x))
}

/// (type, payload start, end) of the boxes in `b[from..to]`.
pub fn box_list(b: &[u8], from: usize, to: usize) -> Vec<([u8; 4], usize, usize)> {
    let mut out = Vec::new();
    let mut at = from;
    while at + 8 <= to {
        let (mut size, mut head) = (be(&b[at..at + 4]) as usize, 8);
        if size == 1 {
            size = be(&b[at + 8..at + 16]) as usize;
            head = 16;
        } else if size == 0 {
            size = to - at;
        }
        out.push((b[at + 4..at + 8].try_into().unwrap(), at + head, at + size));
        at += size;
    }
    out
}

/// Every item of a HEIF file: id -> (item type, its bytes), by the test's
/// own reading of `iinf` and `iloc` (construction methods 0 and 1).
pub fn items(file: &[u8]) -> BTreeMap<u32, (String, Vec<u8>)> {
    let top = box_list(file, 0, file.len());
    let &(_, meta_at, meta_end) = top.iter().find(|(t, _, _)| t == b"meta").unwrap();
    let children = box_list(file, meta_at + 4, meta_end);
    let find = |ty: &[u8; 4]| {
        children
            .iter()
            .find(|(t, _, _)| t == ty)
            .map(|&(_, s, e)| (s, e))
    };
    let mut types = BTreeMap::new();
    let (s, e) = find(b"iinf").unwrap();
    let skip = if file[s] == 0 { 6 } else { 8 };
    for (_, p, _) in box_list(file, s + skip, e) {
        let v = file[p];
        let (id, at) = match v {
            2 => (be(&file[p + 4..p + 6]) as u32, p + 8),
            _ => (be(&file[p + 4..p + 8]) as u32, p + 10),
        };
        types.insert(id, String::from_utf8_lossy(&file[at..at + 4]).into_owned());
    }
    let idat = find(b"idat").map(|(s, _)| s);
    let (s, _) = find(b"iloc").unwrap();
    let v = file[s];
    let sizes = be(&file[s + 4..s + 6]);
    let (os, ls, bs, is) = (
        (sizes >> 12) as usize,
        (sizes >> 8 & 15) as usize,
        (sizes >> 4 & 15) as usize,
        if v == 0 { 0 } else { (sizes & 15) as usize },
    );
    let ids = if v < 2 { 2 } else { 4 };
    let mut at = s + 6;
    let mut take = |n: usize| {
        let x = be(&file[at..at + n]);
        at += n;
        x
    };
    let count = take(ids);
    let mut out = BTreeMap::new();
    for _ in 0..count {
        let id = take(ids) as u32;
        let method = if v == 0 { 0 } else { take(2) & 15 };
        take(2);
        let base = take(bs) as usize;
        let mut bytes = Vec::new();
        for _ in 0..take(2) {
            take(is);
            let (off, len) = (take(os) as usize, take(ls) as usize);
            let origin = if method == 1 { idat.unwrap() } else { 0 };
            bytes.extend_from_slice(&file[origin + base + off..origin + base + off + len]);
        }
        out.insert(id, (types[&id].clone(), bytes));
    }
    out
}

/// Every item but the XMP (`mime`).
pub fn image_items(file: &[u8]) -> BTreeMap<u32, (String, Vec<u8>)> {
    let mut all = items(file);
    all.retain(|_, (ty, _)| ty != "mime");
    all
}

/// A file's top-level boxes as (type, whole box bytes); a bare codestream
/// is one pseudo-box `bare` holding it.
pub fn boxes(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    if bytes.starts_with(&[0xFF, 0x0A]) {
        return vec![("bare".into(), bytes.to_vec())];
    }
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let size = match size {
            0 => bytes.len() - at,
            1 => u64::from_be_bytes(bytes[at + 8..at + 16].try_into().unwrap()) as usize,
            s => s,
        };
        let ty = String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned();
        out.push((ty, bytes[at..at + size].to_vec()));
        at += size;
    }
    assert_eq!(at, bytes.len(), "boxes do not end with the file");
    out
}

/// The boxes ccsig does not own: all but the XMP (`xml `, or `brob`
/// holding `xml `); a bare codestream is compared as the codestream.
pub fn foreign_boxes(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    boxes(bytes)
        .into_iter()
        .filter(|(ty, b)| ty != "xml " && !(ty == "brob" && &b[8..12] == b"xml "))
        .filter(|(ty, _)| ty != "JXL " && ty != "ftyp")
        .map(|(ty, b)| match ty.as_str() {
            "bare" => ("codestream".into(), b),
            "jxlc" => ("codestream".into(), b[8..].to_vec()),
            _ => (ty, b),
        })
        .collect()
}

/// A classic TIFF's IFD0, by the tests' own reading: every entry but the
/// XMP (tag 700) with its value's bytes, and each strip's or tile's bytes.
pub fn tiff_foreign(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let little = bytes.starts_with(b"II");
    let int = |b: &[u8]| -> u64 {
        let fold = |v: u64, x: &u8| v << 8 | u64::from(*x);
        match little {
            true => b.iter().rev().fold(0, fold),
            false => b.iter().fold(0, fold),
        }
    };
    let ifd = int(&bytes[4..8]) as usize;
    let count = int(&bytes[ifd..ifd + 2]) as usize;
    let mut out = Vec::new();
    let mut values = BTreeMap::new();
    for i in 0..count {
        let e = &bytes[ifd + 2 + 12 * i..ifd + 14 + 12 * i];
        let (tag, ty, n) = (int(&e[0..2]), int(&e[2..4]), int(&e[4..8]) as usize);
        let unit = match ty {
            1 | 2 | 6 | 7 => 1,
            3 | 8 => 2,
            4 | 9 | 11 => 4,
            _ => 8,
        };
        let value = match unit * n {
            len if len <= 4 => e[8..8 + len].to_vec(),
            len => {
                let at = int(&e[8..12]) as usize;
                bytes[at..at + len].to_vec()
            }
        };
        if tag != 700 {
            out.push((format!("IFD0 tag {tag} type {ty}"), value.clone()));
        }
        values.insert(tag, (unit, value));
    }
    let list = |tag: u64| -> Vec<u64> {
        values
            .get(&tag)
            .map_or(vec![], |(unit, v)| v.chunks(*unit).map(int).collect())
    };
    let (offsets, counts) = match values.contains_key(&324) {
        true => (list(324), list(325)),
        false => (list(273), list(279)),
    };
    for (at, len) in offsets.into_iter().zip(counts) {
        out.push((
            format!("image data at {at}"),
            bytes[at as usize..(at + len) as usize].to_vec(),
        ));
    }
    out
}

/// The main XMP packet as img-parts sees it.
pub fn xmp_packet(bytes: &[u8]) -> Option<String> {
    let b = Bytes::copy_from_slice(bytes);
    let raw: Vec<u8> = if bytes.starts_with(&[0xFF, 0xD8]) {
        let jpeg = Jpeg::from_bytes(b).ok()?;
        let seg = jpeg
            .segments()
            .iter()
            .find(|s| s.marker() == 0xE1 && is_xmp_app1(s.contents()))?;
        seg.contents()[29..].to_vec()
    } else if bytes.starts_with(b"\x89PNG") {
        let png = Png::from_bytes(b).ok()?;
        let c = png
            .chunks()
            .iter()
            .find(|c| &c.kind() == b"iTXt" && is_xmp_itxt(c.contents()))?;
        // keyword\0, compression flag, method, lang\0, translated\0, text
        let data = c.contents();
        let mut nul = 0;
        let mut i = 0;
        while nul < 3 && i < data.len() {
            if data[i] == 0 {
                nul += 1;
                if nul == 1 {
                    i += 2;
                }
            }
            i += 1;
        }
        data[i..].to_vec()
    } else {
        let webp = WebP::from_bytes(b).ok()?;
        webp.chunk_by_id(*b"XMP ")?.content().data()?.to_vec()
    };
    Some(String::from_utf8_lossy(&raw).into_owned())
}

/// A root CA and a signer certificate with the extensions C2PA requires,
/// made by the `openssl` command in `dir` (test-only keys, never
/// committed): returns the chain PEM (signer, then root) and the signer's
/// key PEM, also left in `dir` as `chain.pem` and `signer.key` (the root
/// as `root.pem`).
pub fn c2pa_certificates(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    let run = |args: &[&str]| {
        let o = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("the C2PA tests need the openssl command (bash .ci/run installs it)");
        assert!(
            o.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    let ec = [
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
    ];
    run(&[&ec[..], &["root.key"]].concat());
    run(&[
        "req",
        "-x509",
        "-new",
        "-key",
        "root.key",
        "-sha256",
        "-days",
        "30",
        "-subj",
        "/CN=ccsig test root (test only)/O=ccsig tests",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-out",
        "root.pem",
    ]);
    run(&[&ec[..], &["signer.key"]].concat());
    run(&[
        "req",
        "-new",
        "-key",
        "signer.key",
        "-subj",
        "/CN=ccsig test signer (test only)/O=ccsig tests",
        "-out",
        "signer.csr",
    ]);
    fs::write(
        dir.join("signer.ext"),
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=emailProtection\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "signer.csr",
        "-CA",
        "root.pem",
        "-CAkey",
        "root.key",
        "-CAcreateserial",
        "-days",
        "30",
        "-sha256",
        "-extfile",
        "signer.ext",
        "-out",
        "signer.pem",
    ]);
    let mut chain = fs::read(dir.join("signer.pem")).unwrap();
    chain.extend(fs::read(dir.join("root.pem")).unwrap());
    fs::write(dir.join("chain.pem"), &chain).unwrap();
    (chain, fs::read(dir.join("signer.key")).unwrap())
}
