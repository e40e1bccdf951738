//! Helpers shared by the integration tests: sample files in scratch
//! folders, running the binary, external tools (ExifTool, exiv2), and an
//! independent parser (img-parts) to check byte identity.
#![allow(dead_code)]

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
/// bytes), parsed by img-parts, independently of ccsig's own walker.
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
