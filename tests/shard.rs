//! Tar shards and walks through the command line: members read in place,
//! damaged shards reported, shards never written, and every input of a walk
//! accounted for (hidden, links, excludes, sidecars, the skip summary).

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use common::{ccsig_on, sample, stderr, stdout, with_xmp};
use serde_json::Value;

fn lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

fn paths_of(out: &str) -> Vec<String> {
    lines(out)
        .iter()
        .map(|v| v["path"].as_str().unwrap().to_string())
        .collect()
}

/// A WebDataset-style shard: each sample's image next to its metadata.
fn members(tagged: &Path) -> Vec<(String, Vec<u8>)> {
    vec![
        ("000000.jpg".into(), fs::read(tagged).unwrap()),
        ("000000.json".into(), b"{\"caption\": \"a cat\"}".to_vec()),
        ("000000.txt".into(), b"a cat".to_vec()),
        (
            "000001.png".into(),
            fs::read(sample("png/plain.png")).unwrap(),
        ),
        ("000001.cls".into(), b"3".to_vec()),
        (
            "000002.webp".into(),
            fs::read(sample("webp/lossy.webp")).unwrap(),
        ),
    ]
}

fn write_tar(path: &Path, members: &[(String, Vec<u8>)]) {
    let mut builder = tar::Builder::new(fs::File::create(path).unwrap());
    for (name, bytes) in members {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, name, &bytes[..]).unwrap();
    }
    builder.finish().unwrap();
}

fn shard_dir() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let tagged = with_xmp(
        d.path(),
        "jpeg/plain.jpg",
        "tagged.jpg",
        "<ccsig:expression>train-ai=n;exceptions=cc-cr</ccsig:expression><ccsig:creditName>Ada</ccsig:creditName>",
    );
    let shards = d.path().join("shards");
    fs::create_dir(&shards).unwrap();
    let shard = shards.join("shard-00000.tar");
    write_tar(&shard, &members(&tagged));
    fs::remove_file(tagged).unwrap();
    (d, shard)
}

#[test]
fn shard_members_are_read_and_decided_in_place() {
    let (d, shard) = shard_dir();
    let before = fs::read(&shard).unwrap();
    let o = ccsig_on(&["read", "--format", "jsonl"], &[d.path().join("shards")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = shard.display();
    assert_eq!(
        paths_of(&stdout(&o)),
        [
            format!("{s}:000000.jpg"),
            format!("{s}:000001.png"),
            format!("{s}:000002.webp"),
        ]
    );
    let records = lines(&stdout(&o));
    assert_eq!(records[0]["format"], "jpeg");
    assert_eq!(records[1]["format"], "png");
    assert_eq!(records[2]["format"], "webp");
    // Non-image members are counted, not reported.
    assert!(
        stderr(&o).contains("3 read, 3 skipped: 3 not an image"),
        "{}",
        stderr(&o)
    );
    let o = ccsig_on(
        &["decide", "--use", "train-ai", "--we-give", "credit"],
        std::slice::from_ref(&shard),
    );
    let decided = lines(&stdout(&o));
    assert_eq!(decided.len(), 3);
    assert_eq!(decided[0]["decision"], "allowed-with-terms");
    assert_eq!(decided[0]["credit_name"], "Ada");
    assert_eq!(decided[1]["decision"], "unknown");
    // check sees the members too.
    let o = ccsig_on(
        &["check", "--format", "jsonl"],
        std::slice::from_ref(&shard),
    );
    let missing: Vec<String> = lines(&stdout(&o))
        .iter()
        .filter(|v| v["kind"] == "missing")
        .map(|v| v["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        missing,
        [format!("{s}:000001.png"), format!("{s}:000002.webp")]
    );
    assert_eq!(
        fs::read(&shard).unwrap(),
        before,
        "a shard is never written"
    );
}

#[test]
fn gzip_shards_and_shards_by_magic() {
    let (d, shard) = shard_dir();
    let tar = fs::read(&shard).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    let tgz = d.path().join("shard.tar.gz");
    fs::write(&tgz, gz.finish().unwrap()).unwrap();
    let unnamed = d.path().join("shard-without-extension");
    fs::write(&unnamed, &tar).unwrap();
    for path in [&tgz, &unnamed] {
        let o = ccsig_on(&["decide", "--use", "train-ai"], std::slice::from_ref(path));
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let got = paths_of(&stdout(&o));
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[2], format!("{}:000002.webp", path.display()));
    }
}

#[test]
fn a_truncated_shard_reports_what_came_before_and_the_damage() {
    let (_d, shard) = shard_dir();
    let tar = fs::read(&shard).unwrap();
    // Cut inside the WebP member's data (the last member).
    let webp_len = fs::read(sample("webp/lossy.webp")).unwrap().len();
    let cut = tar.len() - 1024 - webp_len.div_ceil(512) * 512 + 100;
    fs::write(&shard, &tar[..cut]).unwrap();
    let o = ccsig_on(&["read", "--format", "jsonl"], std::slice::from_ref(&shard));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let records = lines(&stdout(&o));
    let s = shard.display().to_string();
    let got: Vec<(String, bool)> = records
        .iter()
        .map(|v| {
            (
                v["path"].as_str().unwrap().to_string(),
                v["error"].is_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (format!("{s}:000000.jpg"), false),
            (format!("{s}:000001.png"), false),
            (format!("{s}:000002.webp"), true),
            (s.clone(), true),
        ]
    );
    assert!(
        records[3]["error"].as_str().unwrap().contains("truncated"),
        "{}",
        records[3]
    );
    let o = ccsig_on(
        &["decide", "--use", "train-ai"],
        std::slice::from_ref(&shard),
    );
    let last = lines(&stdout(&o)).pop().unwrap();
    assert_eq!(last["path"], s.as_str());
    assert_eq!(last["decision"], "unknown");
    assert!(last["reason"]
        .as_str()
        .unwrap()
        .starts_with("unreadable: shard is truncated"));
}

#[test]
fn apply_and_remove_refuse_to_write_into_a_shard() {
    let (d, shard) = shard_dir();
    let before = fs::read(&shard).unwrap();
    let unnamed = d.path().join("by-magic");
    fs::write(&unnamed, &before).unwrap();
    for args in [
        &["apply", "--signal", "cc-cr", "--format", "jsonl"][..],
        &["remove", "--format", "jsonl"][..],
    ] {
        for path in [&shard, &unnamed] {
            let o = ccsig_on(args, std::slice::from_ref(path));
            assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stdout(&o));
            let record = &lines(&stdout(&o))[0];
            assert_eq!(record["status"], "error");
            assert!(
                record["error"].as_str().unwrap().contains("tar shard"),
                "{record}"
            );
        }
    }
    assert_eq!(fs::read(&shard).unwrap(), before);
    assert_eq!(fs::read(&unnamed).unwrap(), before);
}

/// A tree with one of each thing a walk passes over.
fn mixed_tree() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    fs::create_dir_all(p.join(".cache")).unwrap();
    fs::create_dir_all(p.join("raw")).unwrap();
    fs::copy(sample("jpeg/plain.jpg"), p.join("a.jpg")).unwrap();
    fs::copy(sample("jpeg/plain.jpg"), p.join(".hidden.jpg")).unwrap();
    fs::copy(sample("jpeg/plain.jpg"), p.join(".cache/c.jpg")).unwrap();
    fs::copy(sample("png/plain.png"), p.join("raw/r.png")).unwrap();
    fs::copy(sample("bad/unsupported.gif"), p.join("g.gif")).unwrap();
    fs::write(p.join("notes.txt"), "notes").unwrap();
    std::os::unix::fs::symlink(p.join("a.jpg"), p.join("link.jpg")).unwrap();
    d
}

fn decided_names(o: &std::process::Output, base: &Path) -> Vec<String> {
    paths_of(&stdout(o))
        .iter()
        .map(|p| {
            Path::new(p)
                .strip_prefix(base)
                .unwrap()
                .display()
                .to_string()
        })
        .collect()
}

#[test]
fn walks_account_for_every_input() {
    let d = mixed_tree();
    let dir = d.path().to_path_buf();
    let o = ccsig_on(&["decide", "--use", "train-ai"], std::slice::from_ref(&dir));
    // decide answers every image, the GIF it cannot read included.
    assert_eq!(decided_names(&o, &dir), ["a.jpg", "g.gif", "raw/r.png"]);
    assert!(
        stderr(&o).contains(
            "3 decided (1 in a format ccsig does not write: 1 GIF), 4 skipped: 1 not an image, 1 symlink not followed, 2 hidden"
        ),
        "{}",
        stderr(&o)
    );
    let o = ccsig_on(
        &[
            "decide",
            "--use",
            "train-ai",
            "--hidden",
            "--follow",
            "--exclude",
            "raw",
            "--verbose",
        ],
        std::slice::from_ref(&dir),
    );
    assert_eq!(
        decided_names(&o, &dir),
        [".cache/c.jpg", ".hidden.jpg", "a.jpg", "g.gif", "link.jpg"]
    );
    let err = stderr(&o);
    assert!(
        err.contains(&format!("skipped {}: excluded", dir.join("raw").display())),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{}: GIF, a format ccsig does not write (its XMP sidecars are read)",
            dir.join("g.gif").display()
        )),
        "{err}"
    );
    assert!(
        err.contains(
            "5 decided (1 in a format ccsig does not write: 1 GIF), 2 skipped: 1 not an image, 1 excluded"
        ),
        "{err}"
    );
    // read and check give the same account.
    for cmd in ["read", "check"] {
        let o = ccsig_on(
            &[cmd, "--format", "jsonl", "--exclude", "*.png"],
            std::slice::from_ref(&dir),
        );
        assert!(
            stderr(&o).contains("1 symlink not followed, 2 hidden, 1 excluded"),
            "{cmd}: {}",
            stderr(&o)
        );
    }
    // apply leaves what it skips untouched.
    let hidden_before = fs::read(dir.join(".hidden.jpg")).unwrap();
    let o = ccsig_on(
        &["apply", "--signal", "cc-cr", "--exclude", "raw"],
        std::slice::from_ref(&dir),
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    // The GIF is tagged through a new sidecar, and itself left alone.
    assert!(stdout(&o).contains("2 files: 2 written"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("sidecar g.xmp created"),
        "{}",
        stdout(&o)
    );
    assert!(
        stderr(&o).contains("2 processed, 5 skipped"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        fs::read(dir.join("g.gif")).unwrap(),
        fs::read(sample("bad/unsupported.gif")).unwrap()
    );
    assert_eq!(fs::read(dir.join(".hidden.jpg")).unwrap(), hidden_before);
    assert_eq!(
        fs::read(dir.join("raw/r.png")).unwrap(),
        fs::read(sample("png/plain.png")).unwrap()
    );
}

#[test]
fn sidecars_are_not_inputs_of_a_walk() {
    let d = tempfile::tempdir().unwrap();
    fs::copy(sample("jpeg/plain.jpg"), d.path().join("a.jpg")).unwrap();
    fs::copy(sample("png/plain.png"), d.path().join("b.png")).unwrap();
    let dir = d.path().to_path_buf();
    let o = ccsig_on(
        &["apply", "--signal", "cc-cr", "--sidecar"],
        std::slice::from_ref(&dir),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(dir.join("a.jpg.xmp").is_file() && dir.join("b.png.xmp").is_file());
    // read reports two images, not four inputs.
    let o = ccsig_on(&["read", "--format", "jsonl"], std::slice::from_ref(&dir));
    assert_eq!(lines(&stdout(&o)).len(), 2);
    assert!(stderr(&o).is_empty(), "nothing skipped: {}", stderr(&o));
    // remove deletes the sidecars it cleans, and does not then trip on them.
    let o = ccsig_on(
        &["remove", "--sidecar", "--format", "jsonl"],
        std::slice::from_ref(&dir),
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let records = lines(&stdout(&o));
    assert_eq!(records.len(), 2, "{records:?}");
    assert!(
        records.iter().all(|r| r["status"] != "error"),
        "{records:?}"
    );
}
