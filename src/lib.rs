//! ccsig writes, reads and audits Creative Commons CC signals (AI-use
//! preferences) in the XMP metadata of JPEG, PNG and WebP files, without
//! re-encoding them.
//!
//! Data flows one way: path or bytes -> container (metadata blocks of
//! JPEG, PNG and WebP) -> mapping (metadata fields) -> [`signal`]
//! (statements and decisions) -> [`audit`] (findings) and [`decide()`]
//! (per-use decisions) -> [`report`]. Container walkers and the metadata
//! mapping are internal; the public API is reading ([`read_path`],
//! [`read_bytes`], [`read_tree`], [`shard`]), deciding ([`decide()`]),
//! writing ([`apply_path`], [`apply_bytes`], [`remove_path`],
//! [`remove_bytes`], [`manifest`] for catalogs) and auditing
//! ([`audit::check`]). The command-line tool is a thin layer over this
//! library; pipelines use it directly:
//!
//! ```no_run
//! let signals = ccsig::read_path("photo.jpg".as_ref()).unwrap();
//! match &signals.decisions["train-ai"] {
//!     ccsig::signal::Decision::Allowed => println!("may train"),
//!     ccsig::signal::Decision::AllowedIf(terms) => println!("may train under {terms:?}"),
//!     _ => println!("may not train, or unknown"),
//! }
//! ```
//!
//! For a pipeline's question (may I use this file, giving what I give, and
//! what do I owe?) see [`decide()`]; to read whole folders and WebDataset tar
//! shards in parallel, [`read_tree`].

pub mod audit;
pub mod batch;
mod decide;
pub mod inspect;
pub mod manifest;
pub mod report;
pub mod shard;
pub mod signal;
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
    decide, decide_unreadable, Commitments, Element, UnknownElement, UnknownPolicy, UseDecision,
    Verdict,
};
pub use inspect::{FileSignals, ReadError};
pub use mapping::MappingError;
pub use signal::SignalCode;
pub use tagging::{
    apply_bytes, apply_path, remove_bytes, remove_path, ApplyRequest, RequestError, RequestOptions,
    WriteOptions,
};
pub use tree::{read_tree, read_tree_from, SkipReason, TreeError, TreeItem, TreeOptions, TreeSink};

/// Reads the signals of the image file at `path` (metadata only: image
/// data is skipped, not read), and of its XMP sidecars if it has any.
pub fn read_path(path: &Path) -> Result<FileSignals, ReadError> {
    read_path_in(path, signal::Vocabulary::default())
}

/// [`read_path`], with the statements read against a chosen draft of the
/// vocabulary.
pub fn read_path_in(path: &Path, vocabulary: signal::Vocabulary) -> Result<FileSignals, ReadError> {
    let file = std::fs::File::open(path)?;
    let (_, mut signals) =
        inspect::read_in(&mut container::PositionedFile::new(&file), vocabulary)?;
    for sidecar_path in sidecar::existing(path) {
        match sidecar::read(&sidecar_path) {
            Ok(bytes) => signals.add_sidecar(sidecar_path, &bytes),
            Err(e) => signals.add_sidecar_error(sidecar_path, e.to_string()),
        }
    }
    Ok(signals)
}

/// MD5 of the image data of the file at `path` (not its metadata), to
/// recognise copies of one picture. Unlike [`read_path`], reads every byte
/// of image data.
pub fn image_digest_path(path: &Path) -> Result<[u8; 16], ReadError> {
    let file = std::fs::File::open(path)?;
    let mut reader = container::PositionedFile::new(&file);
    let layout = container::scan(&mut reader)?;
    Ok(container::image_data_digest(&mut reader, &layout)?)
}

/// Reads the signals of an image file held in memory.
pub fn read_bytes(bytes: &[u8]) -> Result<FileSignals, ReadError> {
    inspect::read_bytes(bytes)
}

/// Reads and audits one file; an unreadable file yields one `unreadable`
/// finding rather than an error, so a batch can go on.
pub fn check_path(path: &Path, expect: Option<&signal::Statement>) -> Vec<Finding> {
    match read_path(path) {
        Ok(signals) => audit::check(&signals, expect),
        Err(e) => vec![audit::unreadable(&e.to_string())],
    }
}
