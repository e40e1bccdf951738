//! The metadata mapping: which metadata fields carry a CC signal, how a
//! signal is written into them and how they are read back as statements.
//! `docs/mapping.md` is the contract this module implements.
//!
//! This layer knows metadata fields (XMP properties, EXIF tags), not file
//! containers: it takes packets and blocks as bytes and gives back packets
//! and field values. The carriers around a file (an HTTP response's
//! headers, a site's robots.txt) are read here too (`http`, `robots`).

pub mod c2pa;
pub mod constraints;
pub mod datamining;
pub mod exif;
pub mod extended;
pub mod http;
pub mod iim;
pub mod iptc;
pub mod irb;
pub mod rdf;
pub mod robots;
pub mod xmp;

use crate::signal::SignalCode;

/// Version of the mapping that ccsig writes (also in the namespace URI).
pub const MAPPING_VERSION: &str = "1.0";

/// What `apply` asks to be written into a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The exact expression, already validated as fit to write.
    pub expression: String,
    /// The CC signal the expression grants as an exception, if any.
    pub signal: Option<SignalCode>,
    pub credit_name: Option<String>,
    pub credit_url: Option<String>,
    /// The IIM 2:40 text another tool wrote that this write replaces, to
    /// be recorded (`ccsig:replacedSpecialInstructions`) for `remove`.
    pub replaced_special_instructions: Option<String>,
}

impl Tag {
    /// Whether the tag names a credit (a name, a URL or both), which then
    /// replaces the credit stored before as a whole.
    pub fn has_credit(&self) -> bool {
        self.credit_name.is_some() || self.credit_url.is_some()
    }
}

/// Why metadata could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("XMP packet does not parse: {0}")]
    XmpParse(String),
    #[error("XMP packet is neither UTF-8 nor UTF-16")]
    XmpEncoding,
    #[error("XMP {0} has a form ccsig cannot edit without losing what it holds; not writing it")]
    XmpForm(String),
    #[error("IPTC-IIM: {0}")]
    Iim(String),
}
