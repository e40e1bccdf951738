//! Round trips through the library for every sample and every signal:
//! the signal reads back, image data and every foreign block stay
//! byte-identical (checked with img-parts, a parser independent of ours),
//! foreign XMP properties survive, a second apply is a no-op and remove
//! gives the original back.

mod common;

use std::fs;
use std::path::Path;

use ccsig::internals::mapping::{rdf, xmp};
use ccsig::signal::{Decision, SignalCode};
use ccsig::tagging::{Change, WriteOptions};
use ccsig::{apply_bytes, apply_path, read_path, remove_path, ApplyRequest};
use common::{foreign_blocks, sample, scratch, xmp_packet, IMAGE_SAMPLES};

/// Every untagged sample, and the tagged ones (foreign signals to overwrite).
fn images() -> Vec<&'static str> {
    let tagged = [
        "tagged/datamining-only.jpg",
        "tagged/conflict.jpg",
        "tagged/legacy-label.png",
        "tagged/malformed.webp",
    ];
    IMAGE_SAMPLES.iter().copied().chain(tagged).collect()
}

const SIGNALS: &[SignalCode] = &[
    SignalCode::Cr,
    SignalCode::CrDc,
    SignalCode::CrEc,
    SignalCode::CrOp,
];

/// XMP properties outside what ccsig owns, as parsed from a packet.
fn foreign_xmp(bytes: &[u8]) -> Vec<(String, String, rdf::Value)> {
    let Some(packet) = xmp_packet(bytes) else {
        return vec![];
    };
    let owned = |ns: &str, name: &str| {
        ns == xmp::NS_CCSIG
            || ns == xmp::NS_CC
            || (ns == xmp::NS_PLUS && (name == "DataMining" || name == "OtherConstraints"))
    };
    rdf::parse(packet.trim_end_matches('\0'))
        .expect("packet parses")
        .properties
        .into_iter()
        .filter(|p| !owned(&p.ns, &p.name))
        .map(|p| (p.ns, p.name, p.value))
        .collect()
}

fn request(signal: SignalCode) -> ApplyRequest {
    ApplyRequest::from_signal(signal, "train-ai")
        .unwrap()
        .with_credit(
            Some("Ada Example".into()),
            Some("https://example.org/ada".into()),
        )
}

fn check_written(original: &[u8], written: &[u8], signal: SignalCode, what: &str) {
    assert_eq!(
        foreign_blocks(original),
        foreign_blocks(written),
        "{what}: image data or a foreign block changed"
    );
    assert_eq!(
        foreign_xmp(original),
        foreign_xmp(written),
        "{what}: a foreign XMP property changed"
    );
    let signals = ccsig::read_bytes(written).unwrap();
    assert_eq!(
        signals.decisions["train-ai"],
        Decision::AllowedIf(vec![signal]),
        "{what}: signal does not read back"
    );
    assert!(
        ccsig::audit::check(&signals, None)
            .iter()
            .all(|f| !f.needs_fixing()),
        "{what}: findings on a freshly tagged file: {:?}",
        ccsig::audit::check(&signals, None)
    );
    let packet = xmp_packet(written).expect("img-parts finds the XMP packet");
    assert!(packet.contains(&format!("train-ai=n;exceptions={}", signal.code())));
    assert_eq!(
        packet.matches("<x:xmpmeta").count(),
        1,
        "{what}: one packet"
    );
}

#[test]
fn every_sample_and_signal_round_trips_through_files() {
    for rel in images() {
        for &signal in SIGNALS {
            let (_dir, paths) = scratch(&[rel]);
            let path = &paths[0];
            let original = fs::read(path).unwrap();
            let what = format!("{rel} with {}", signal.code());

            let outcome = apply_path(path, &request(signal), &WriteOptions::default()).unwrap();
            assert_eq!(outcome.change, Change::Written, "{what}");
            let written = fs::read(path).unwrap();
            check_written(&original, &written, signal, &what);

            // Same bytes whether the library works on a path or a buffer.
            let (from_buffer, _) =
                apply_bytes(&original, &request(signal), &WriteOptions::default()).unwrap();
            assert_eq!(
                from_buffer.as_deref(),
                Some(written.as_slice()),
                "{what}: path and buffer differ"
            );

            // Second run: nothing to do, file untouched (not even its mtime).
            let mtime = fs::metadata(path).unwrap().modified().unwrap();
            let again = apply_path(path, &request(signal), &WriteOptions::default()).unwrap();
            assert_eq!(
                again.change,
                Change::Unchanged,
                "{what}: second apply rewrote"
            );
            assert_eq!(fs::read(path).unwrap(), written);
            assert_eq!(fs::metadata(path).unwrap().modified().unwrap(), mtime);

            let removed = remove_path(path, &WriteOptions::default()).unwrap();
            assert_eq!(
                removed.change,
                Change::Removed,
                "{what}: remove did nothing"
            );
            let back = fs::read(path).unwrap();
            assert_eq!(
                foreign_blocks(&original),
                foreign_blocks(&back),
                "{what}: remove changed image data"
            );
            assert_eq!(
                foreign_xmp(&original),
                foreign_xmp(&back),
                "{what}: remove changed foreign XMP"
            );
            assert!(read_path(path).unwrap().xmp.is_none_or(|f| !f.has_ccsig()));
            let had_xmp = xmp_packet(&original).is_some();
            let was_simple_webp = rel.starts_with("webp/lossy") || rel.starts_with("webp/lossless");
            if !had_xmp && !was_simple_webp {
                assert_eq!(
                    back, original,
                    "{what}: apply then remove is not the identity"
                );
            }
        }
    }
}

#[test]
fn raw_expressions_round_trip_with_their_decisions() {
    let cases: &[(&str, &str, Decision, Decision)] = &[
        (
            "png/plain.png",
            "train-ai=n",
            Decision::Disallowed,
            Decision::Unknown,
        ),
        (
            "jpeg/exif.jpg",
            "train-ai=y",
            Decision::Allowed,
            Decision::Unknown,
        ),
        (
            "webp/animated.webp",
            "train-ai=n, search=y",
            Decision::Disallowed,
            Decision::Allowed,
        ),
        (
            "png/xmp-after-idat.png",
            "search=n",
            Decision::Unknown,
            Decision::Disallowed,
        ),
    ];
    for (rel, expr, train, search) in cases {
        let (_dir, paths) = scratch(&[rel]);
        let original = fs::read(&paths[0]).unwrap();
        let req = ApplyRequest::from_expression(expr).unwrap();
        apply_path(&paths[0], &req, &WriteOptions::default()).unwrap();
        let written = fs::read(&paths[0]).unwrap();
        assert_eq!(
            foreign_blocks(&original),
            foreign_blocks(&written),
            "{rel} {expr}"
        );
        let signals = read_path(&paths[0]).unwrap();
        assert_eq!(&signals.decisions["train-ai"], train, "{rel} {expr}");
        assert_eq!(&signals.decisions["search"], search, "{rel} {expr}");
        assert_eq!(signals.xmp.unwrap().expression.as_deref(), Some(*expr));
    }
}

#[test]
fn xmp_keeps_its_place_before_or_after_image_data() {
    let (_dir, paths) = scratch(&["png/xmp-after-idat.png", "png/plain.png"]);
    for path in &paths {
        apply_path(path, &request(SignalCode::Cr), &WriteOptions::default()).unwrap();
    }
    let kinds = |p: &Path| -> Vec<String> {
        let png = img_parts::png::Png::from_bytes(fs::read(p).unwrap().into()).unwrap();
        png.chunks()
            .iter()
            .map(|c| String::from_utf8_lossy(&c.kind()).into_owned())
            .collect()
    };
    let after = kinds(&paths[0]);
    let idat = after.iter().position(|k| k == "IDAT").unwrap();
    let itxt = after.iter().position(|k| k == "iTXt").unwrap();
    assert!(itxt > idat, "XMP moved before IDAT: {after:?}");
    let fresh = kinds(&paths[1]);
    let idat = fresh.iter().position(|k| k == "IDAT").unwrap();
    let itxt = fresh.iter().position(|k| k == "iTXt").unwrap();
    assert!(itxt < idat, "new XMP not before IDAT: {fresh:?}");
}

#[test]
fn simple_webp_becomes_extended_with_right_canvas_and_flags() {
    for rel in ["webp/lossy.webp", "webp/lossless.webp"] {
        let (_dir, paths) = scratch(&[rel]);
        let before =
            img_parts::webp::WebP::from_bytes(fs::read(&paths[0]).unwrap().into()).unwrap();
        let dims = before.dimensions().unwrap();
        apply_path(
            &paths[0],
            &request(SignalCode::CrEc),
            &WriteOptions::default(),
        )
        .unwrap();
        let bytes = fs::read(&paths[0]).unwrap();
        let riff_size = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
        assert_eq!(riff_size + 8, bytes.len(), "{rel}: RIFF size");
        let after = img_parts::webp::WebP::from_bytes(bytes.clone().into()).unwrap();
        let vp8x = after.chunk_by_id(*b"VP8X").expect("VP8X added");
        let data = vp8x.content().data().unwrap();
        assert_eq!(data[0] & 0x04, 0x04, "{rel}: XMP flag");
        let w = u32::from_le_bytes([data[4], data[5], data[6], 0]) + 1;
        let h = u32::from_le_bytes([data[7], data[8], data[9], 0]) + 1;
        assert_eq!((w, h), dims, "{rel}: canvas");
        assert_eq!(after.chunks()[0].id(), *b"VP8X");
    }
}

#[test]
fn permissions_are_kept() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, paths) = scratch(&["jpeg/plain.jpg"]);
    fs::set_permissions(&paths[0], fs::Permissions::from_mode(0o604)).unwrap();
    apply_path(
        &paths[0],
        &request(SignalCode::Cr),
        &WriteOptions::default(),
    )
    .unwrap();
    let mode = fs::metadata(&paths[0]).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o604);
}

#[test]
fn dry_run_touches_nothing() {
    let (_dir, paths) = scratch(&["jpeg/xmp-rich.jpg"]);
    let before = fs::read(&paths[0]).unwrap();
    let opts = WriteOptions {
        dry_run: true,
        ..WriteOptions::default()
    };
    let outcome = apply_path(&paths[0], &request(SignalCode::Cr), &opts).unwrap();
    assert_eq!(outcome.change, Change::WouldWrite);
    assert_eq!(fs::read(&paths[0]).unwrap(), before);
}

#[test]
fn bad_inputs_are_errors_and_stay_untouched() {
    for rel in [
        "bad/truncated.jpg",
        "bad/truncated.png",
        "bad/zero.webp",
        "bad/garbage.png",
    ] {
        let (dir, paths) = scratch(&[rel]);
        let before = fs::read(&paths[0]).unwrap();
        let result = apply_path(
            &paths[0],
            &request(SignalCode::Cr),
            &WriteOptions::default(),
        );
        assert!(result.is_err(), "{rel}: apply succeeded");
        assert!(read_path(&paths[0]).is_err(), "{rel}: read succeeded");
        assert_eq!(fs::read(&paths[0]).unwrap(), before, "{rel}: file changed");
        let leftovers = fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "{rel}: temporary file left behind");
    }
    assert!(sample("bad/zero.webp").metadata().unwrap().len() == 0);
}

#[test]
fn every_truncation_of_every_sample_is_an_error_or_a_good_read() {
    // Cutting a file anywhere must never panic, and a cut file is never
    // rewritten into something that claims to be whole.
    for rel in [
        "jpeg/xmp-rich.jpg",
        "png/xmp-after-idat.png",
        "webp/animated.webp",
    ] {
        let bytes = fs::read(sample(rel)).unwrap();
        let step = (bytes.len() / 300).max(1);
        for n in (0..bytes.len()).step_by(step) {
            let cut = &bytes[..n];
            if let Ok((Some(out), _)) =
                apply_bytes(cut, &request(SignalCode::Cr), &WriteOptions::default())
            {
                assert!(out.len() > n, "{rel}: cut at {n} rewritten");
            }
        }
    }
}

#[test]
fn a_symlink_is_written_through_and_stays_a_link() {
    let (dir, paths) = scratch(&["jpeg/plain.jpg"]);
    let link = dir.path().join("link.jpg");
    std::os::unix::fs::symlink(&paths[0], &link).unwrap();
    apply_path(&link, &request(SignalCode::Cr), &WriteOptions::default()).unwrap();
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let signals = read_path(&paths[0]).unwrap();
    assert_eq!(
        signals.decisions["train-ai"],
        Decision::AllowedIf(vec![SignalCode::Cr])
    );
}
