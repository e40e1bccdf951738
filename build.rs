//! Finds the external tools the interop tests compare against (ExifTool,
//! exiv2, libwebp's webpmux, libtiff's tools, libjxl's djxl, Chromium), so that a test whose tool is missing shows as
//! *ignored* in the test summary instead of passing without checking
//! anything. With `CCSIG_REQUIRE_TOOLS` set (CI) every tool counts as
//! present, so a missing one fails its tests.
//!
//! It also tells whether the tests are built by root (`ccsig_is_root`):
//! the tests that mount or `chattr` need it.
//!
//! Only probes when ccsig is built from its own checkout (not from the
//! registry as a dependency of a pipeline), and never affects the
//! library's code.

use std::path::PathBuf;
use std::process::Command;

const TOOLS: &[(&str, &str)] = &[
    ("exiftool", "-ver"),
    ("exiv2", "--version"),
    ("webpmux", "-version"),
    ("setfacl", "--version"),
    // libtiff's tools (tiffinfo, tiffdump, tiffcmp): the TIFF tests' own
    // parser and pixel comparison.
    ("tiffinfo", "-h"),
    // libjxl's decoder: the JPEG XL tests' pixel comparison and JPEG
    // reconstruction.
    ("djxl", "--version"),
    // libheif's and libavif's decoders, for the HEIF and AVIF tests.
    ("heif-convert", "-h"),
    // The HTML audit is loaded, filtered and photographed in it.
    ("chromium", "--version"),
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PATH");
    println!("cargo:rerun-if-env-changed=CCSIG_REQUIRE_TOOLS");
    // Cargo sets CARGO_PRIMARY_PACKAGE for rustc, not for build scripts, so
    // tell a checkout from a registry or git dependency by where it lives.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let probe = !["/registry/src/", "/git/checkouts/", "/vendor/"]
        .iter()
        .any(|dir| manifest_dir.contains(dir));
    let required = std::env::var_os("CCSIG_REQUIRE_TOOLS").is_some();
    // The file-system tests that mount a tmpfs or make a folder immutable
    // run when the tests are built by root, and show as ignored otherwise.
    println!("cargo:rerun-if-env-changed=USER");
    println!("cargo::rustc-check-cfg=cfg(ccsig_is_root)");
    let root = probe
        && Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    if root {
        println!("cargo:rustc-cfg=ccsig_is_root");
    }
    for (name, version_flag) in TOOLS {
        let cfg_name = name.replace('-', "_");
        let env_name = cfg_name.to_uppercase();
        println!("cargo:rerun-if-env-changed={env_name}");
        println!("cargo::rustc-check-cfg=cfg(ccsig_has_{cfg_name})");
        let candidate = std::env::var_os(&env_name)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(name));
        let found = probe
            && Command::new(&candidate)
                .arg(version_flag)
                .output()
                .is_ok_and(|o| o.status.success());
        if found || required {
            println!("cargo:rustc-cfg=ccsig_has_{cfg_name}");
        }
    }
}
