//! ccsig writes, reads and audits Creative Commons CC signals (AI-use
//! preferences) in the XMP metadata of JPEG, PNG, WebP and TIFF files (and
//! the XMP sidecars of camera RAW), without
//! re-encoding them.
//!
//! Data flows one way: path or bytes -> container (metadata blocks of
//! JPEG, PNG and WebP) -> mapping (metadata fields) -> [`signal`]
//! (statements and decisions) -> [`audit`] (findings) and [`Pipeline`]
//! (per-use decisions) -> [`report`]. Container walkers and the metadata
//! mapping are internal; the public API is reading ([`read_path`],
//! [`read_bytes`], [`read_tree`], [`shard`]), deciding ([`Pipeline`]),
//! writing ([`apply_path`], [`apply_bytes`], [`remove_path`],
//! [`remove_bytes`], [`manifest`] for catalogs) and auditing
//! ([`audit::check`]). The command-line tool is a thin layer over this
//! library; pipelines use it directly:
//!
//! ```
//! let signals = ccsig::read_path("sample-images/tagged/ccsig-cr-op.jpg".as_ref()).unwrap();
//! match &signals.decisions["train-ai"] {
//!     ccsig::signal::Decision::Allowed => println!("may train"),
//!     ccsig::signal::Decision::AllowedIf(terms) => println!("may train under {terms:?}"),
//!     _ => println!("may not train, or unknown"),
//! }
//! ```
//!
//! For a pipeline's question (may I use this file, giving what I give, and
//! what do I owe?) see [`Pipeline`]; to read whole folders and WebDataset tar
//! shards in parallel, [`read_tree`].

#![warn(missing_docs)]

pub mod audit;
pub mod batch;
mod decide;
pub mod inspect;
pub mod manifest;
pub mod moves;
mod partial;
pub mod ranged;
mod read_error;
pub mod report;
pub mod shard;
pub mod signal;
pub mod stream;
pub mod tagging;
pub mod tree;

/// ccsig's internals (container walkers, the metadata mapping, sidecars),
/// reachable only so that ccsig's own integration tests and fuzz targets
/// can exercise them. Not part of the public API: anything here may change
/// in any release.
#[doc(hidden)]
#[path = "."]
pub mod internals {
    pub mod container;
    pub mod mapping;
    pub mod sidecar;
}
use internals::{container, mapping, sidecar};

use std::path::Path;

pub use audit::{Finding, FindingKind};
pub use container::{ContainerError, Format};
pub use decide::{
    Commitments, Element, Obligation, Pipeline, State, UnknownPolicy, UnreadablePolicy,
    UseDecision, Verdict,
};
pub use inspect::{FileSignals, ReadError, ReadOptions, WebContext};
#[cfg(feature = "c2pa")]
pub use mapping::c2pa::{SignError, SigningAlgorithm, SigningKey};
pub use mapping::MappingError;
pub use sidecar::SidecarStyle;
pub use signal::SignalCode;
pub use tagging::{
    apply_bytes, apply_path, remove_bytes, remove_path, ApplyRequest, RequestError, RequestOptions,
    WriteOptions,
};
pub use tree::{read_tree, read_tree_from, SkipReason, TreeError, TreeItem, TreeOptions, TreeSink};

/// Reads the signals of the image file at `path` (metadata only: image
/// data is skipped, not read), and of its XMP sidecars if it has any.
///
/// ```
/// use ccsig::signal::Decision;
/// use ccsig::SignalCode;
///
/// let signals = ccsig::read_path("sample-images/tagged/ccsig-cr.png".as_ref()).unwrap();
/// assert_eq!(signals.decisions["train-ai"], Decision::AllowedIf(vec![SignalCode::Cr]));
///
/// // A file that says nothing: every category is unknown.
/// let plain = ccsig::read_path("sample-images/jpeg/plain.jpg".as_ref()).unwrap();
/// assert!(plain.sources.is_empty());
/// assert!(plain.decisions.values().all(|d| *d == Decision::Unknown));
///
/// // A damaged file is an error that says why, not a panic.
/// let error = ccsig::read_path("sample-images/bad/truncated.jpg".as_ref()).unwrap_err();
/// assert!(error.is_bad_input());
/// ```
pub fn read_path(path: &Path) -> Result<FileSignals, ReadError> {
    read_path_in(path, signal::Vocabulary::default())
}

/// [`read_path`], with the statements read against a chosen draft of the
/// vocabulary, or with any [`ReadOptions`] (C2PA trust anchors too).
///
/// ```
/// use ccsig::signal::Vocabulary;
/// let path = "sample-images/tagged/ccsig-cr-op.jpg".as_ref();
/// let signals = ccsig::read_path_in(path, Vocabulary::Draft08).unwrap();
/// assert_eq!(signals.vocabulary, Vocabulary::Draft08);
/// assert!(signals.decisions.contains_key("train-ai"));
/// ```
pub fn read_path_in(
    path: &Path,
    options: impl Into<ReadOptions>,
) -> Result<FileSignals, ReadError> {
    inspect::read_path_listed(path, options, None)
}

/// MD5 of the image data of the file at `path` (not its metadata), to
/// recognise copies of one picture. Unlike [`read_path`], reads every byte
/// of image data.
///
/// ```
/// // Writing a signal changes the file but not the picture.
/// let dir = tempfile::tempdir().unwrap();
/// let copy = dir.path().join("photo.jpg");
/// std::fs::copy("sample-images/jpeg/exif.jpg", &copy).unwrap();
/// let before = ccsig::image_digest_path(&copy).unwrap();
/// let request = ccsig::ApplyRequest::from_expression("train-ai=n").unwrap();
/// ccsig::apply_path(&copy, &request, &Default::default()).unwrap();
/// assert_eq!(ccsig::image_digest_path(&copy).unwrap(), before);
///
/// let other = ccsig::image_digest_path("sample-images/jpeg/progressive.jpg".as_ref()).unwrap();
/// assert_ne!(other, before);
/// ```
pub fn image_digest_path(path: &Path) -> Result<[u8; 16], ReadError> {
    inspect::image_digest_path(path)
}

/// Reads the signals of an image file held in memory.
///
/// ```
/// let bytes = std::fs::read("sample-images/tagged/ccsig-ec.webp").unwrap();
/// let signals = ccsig::read_bytes(&bytes).unwrap();
/// assert_eq!(signals.format, ccsig::Format::WebP);
/// assert_eq!(
///     signals.decisions["train-ai"],
///     ccsig::signal::Decision::AllowedIf(vec![ccsig::SignalCode::CrEc]),
/// );
/// assert!(ccsig::read_bytes(b"not an image").is_err());
/// ```
pub fn read_bytes(bytes: &[u8]) -> Result<FileSignals, ReadError> {
    inspect::read_bytes(bytes)
}

/// [`read_bytes`], with the statements read against a chosen draft of the
/// vocabulary, or with any [`ReadOptions`] (C2PA trust anchors too).
///
/// ```
/// use ccsig::signal::Vocabulary;
/// let bytes = std::fs::read("sample-images/tagged/ccsig-cr.png").unwrap();
/// let signals = ccsig::read_bytes_in(&bytes, Vocabulary::Draft08).unwrap();
/// assert_eq!(signals.vocabulary, Vocabulary::Draft08);
/// ```
pub fn read_bytes_in(
    bytes: &[u8],
    options: impl Into<ReadOptions>,
) -> Result<FileSignals, ReadError> {
    let (_, signals) = inspect::read_in(&mut std::io::Cursor::new(bytes), options)?;
    Ok(signals)
}

/// Reads and audits one file; an unreadable file yields one `unreadable`
/// finding rather than an error, so a batch can go on.
///
/// ```
/// use ccsig::{check_path, FindingKind};
///
/// let findings = check_path("sample-images/tagged/legacy-label.png".as_ref(), None);
/// assert!(findings.iter().any(|f| f.kind == FindingKind::Legacy));
///
/// let findings = check_path("sample-images/bad/garbage.png".as_ref(), None);
/// assert_eq!(findings.len(), 1);
/// assert_eq!(findings[0].kind, FindingKind::Unreadable);
///
/// // With an expected statement: does the file say what the catalog says?
/// let path = "sample-images/tagged/ccsig-cr.png".as_ref();
/// let said = ccsig::signal::parse("train-ai=n;exceptions=cc-cr");
/// assert!(check_path(path, Some(&said)).iter().all(|f| f.kind != FindingKind::Unexpected));
/// let not_said = ccsig::signal::parse("train-ai=y");
/// assert!(check_path(path, Some(&not_said)).iter().any(|f| f.kind == FindingKind::Unexpected));
/// // The file asks for credit but names no one to credit.
/// assert!(check_path(path, None).iter().any(|f| f.kind == FindingKind::Credit));
/// ```
pub fn check_path(path: &Path, expect: Option<&signal::Statement>) -> Vec<Finding> {
    match read_path(path) {
        Ok(signals) => audit::check(&signals, expect),
        Err(e) => vec![audit::unreadable(&e.to_string())],
    }
}

/// What the unit tests of several modules share.
#[cfg(test)]
mod test_support {
    /// The bytes of a file of `sample-images/`.
    pub(crate) fn sample(rel: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/sample-images/{rel}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }
}
