//! Why a file, or a member of a shard, could not be read: one vocabulary
//! of read errors for the reader of files (`inspect`) and the reader of
//! tar shards (`shard`), which hands unreadable members on with them.

use std::io;

use crate::container;

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The bytes are not a JPEG, PNG or WebP ccsig can read (unsupported,
    /// truncated, malformed).
    #[error(transparent)]
    Container(#[from] container::ContainerError),
    /// The file could not be opened or read.
    #[error("cannot open: {0}")]
    Io(#[from] std::io::Error),
    /// A member of a tar shard could not be taken, or the shard is damaged.
    #[error(transparent)]
    Shard(#[from] ShardError),
}

impl ReadError {
    /// A stable name for the kind of error: `io` when the file could not be
    /// opened or read, else the container's or shard's kind (see
    /// [`container::ContainerError::kind`], [`ShardError::kind`]).
    ///
    /// ```
    /// let truncated = ccsig::read_path("sample-images/bad/truncated.png".as_ref()).unwrap_err();
    /// assert_eq!(truncated.kind(), "truncated");
    /// let missing = ccsig::read_path("no/such/file.png".as_ref()).unwrap_err();
    /// assert_eq!(missing.kind(), "io");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            ReadError::Io(_) => "io",
            ReadError::Container(e) => e.kind(),
            ReadError::Shard(e) => e.kind(),
        }
    }

    /// This error, for a file named `path`: an image in a format ccsig does
    /// not read is named as its name says when its bytes only say TIFF (a
    /// camera RAW: `Nikon NEF`), and a file whose bytes ccsig does not know
    /// but whose name is that of such an image (`.heic`, `.cr3`) is one.
    /// So a file gets the same answer whether it was named or found.
    ///
    /// ```
    /// use std::path::Path;
    /// // A TIFF whose IFD0 has no entries: no TIFF, but a NEF still.
    /// let tiff = ccsig::read_bytes(b"II*\0\x08\0\0\0\0\0\0\0\0\0\0\0").unwrap_err();
    /// assert_eq!(tiff.named_by(Path::new("a.nef")).to_string(), "unsupported format: Nikon NEF");
    /// let tiff = ccsig::read_bytes(b"II*\0\x08\0\0\0\0\0\0\0\0\0\0\0").unwrap_err();
    /// assert_eq!(tiff.named_by(Path::new("a.tif")).kind(), "malformed");
    /// let unknown = ccsig::read_bytes(b"not an image at all").unwrap_err();
    /// assert_eq!(unknown.named_by(Path::new("a.heic")).to_string(), "unsupported format: HEIF");
    /// let unknown = ccsig::read_bytes(b"not an image at all").unwrap_err();
    /// assert_eq!(unknown.named_by(Path::new("a.txt")).kind(), "unknown_format");
    /// ```
    pub fn named_by(self, path: &std::path::Path) -> ReadError {
        use container::ContainerError::{Malformed, OtherFormat, Truncated, UnknownFormat};
        let by_bytes = match &self {
            ReadError::Container(OtherFormat(format)) => Some(*format),
            ReadError::Container(UnknownFormat) => None,
            // A RAW whose TIFF structure ccsig cannot follow (makers take
            // liberties) is still that RAW, read through its sidecars.
            ReadError::Container(Malformed { format: "TIFF", .. } | Truncated(_)) => {
                return match raw_named(path) {
                    Some(raw) => ReadError::Container(OtherFormat(raw)),
                    None => self,
                };
            }
            _ => return self,
        };
        match container::unsupported_name(by_bytes, path) {
            Some(format) => ReadError::Container(OtherFormat(format)),
            None => self,
        }
    }

    /// Whether the bytes are at fault (not an image ccsig reads, truncated,
    /// malformed), rather than the system (the file could not be opened or
    /// read).
    ///
    /// ```
    /// let gif = ccsig::read_bytes(b"GIF89a....").unwrap_err();
    /// assert!(gif.is_bad_input());
    /// let missing = ccsig::read_path("no/such/file.png".as_ref()).unwrap_err();
    /// assert!(!missing.is_bad_input());
    /// ```
    pub fn is_bad_input(&self) -> bool {
        !matches!(
            self,
            ReadError::Io(_)
                | ReadError::Container(container::ContainerError::Io(_))
                | ReadError::Shard(ShardError::Io(_))
        )
    }
}

/// Why a shard, or one of its members, could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    /// The shard could not be opened or read (or does not decompress).
    #[error("cannot read shard: {0}")]
    Io(#[from] io::Error),
    /// The archive ends, or is damaged, partway through; the message says
    /// where.
    #[error("shard is truncated: {0}")]
    Truncated(String),
    /// An image member is too large to hold in memory to read.
    #[error("member of {size} bytes is larger than the {limit}-byte limit for an image read from a shard")]
    MemberTooLarge {
        /// The member's size in bytes.
        size: u64,
        /// The limit in bytes ([`crate::shard::MAX_MEMBER_BYTES`]).
        limit: u64,
    },
}

impl ShardError {
    /// A stable name for the kind of error: `io`, `shard_truncated` or
    /// `member_too_large`.
    ///
    /// ```
    /// use std::ops::ControlFlow;
    /// // A shard cut short in its first member.
    /// let jpeg = std::fs::read("sample-images/jpeg/plain.jpg").unwrap();
    /// let mut builder = tar::Builder::new(Vec::new());
    /// let mut header = tar::Header::new_gnu();
    /// header.set_size(jpeg.len() as u64);
    /// header.set_cksum();
    /// builder.append_data(&mut header, "000001.jpg", &jpeg[..]).unwrap();
    /// let archive = builder.into_inner().unwrap();
    /// let cut = &archive[..1024];
    ///
    /// let mut kinds = vec![];
    /// let error = ccsig::shard::read_members(cut, |_| None, |member| {
    ///     // The member cut short is still handed over, as unreadable.
    ///     if let ccsig::shard::MemberContent::Unreadable(e) = member.content {
    ///         kinds.push(e.kind());
    ///     }
    ///     ControlFlow::Continue(())
    /// })
    /// .unwrap_err();
    /// assert_eq!(error.kind(), "shard_truncated");
    /// assert_eq!(kinds, ["truncated"]);
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            ShardError::Io(_) => "io",
            ShardError::Truncated(_) => "shard_truncated",
            ShardError::MemberTooLarge { .. } => "member_too_large",
        }
    }
}

/// The RAW format a path's extension names, when it names one ccsig does
/// not write (not TIFF, DNG, HEIF, AVIF or JPEG XL): a file whose bytes
/// ccsig cannot follow but whose name is such a RAW's is that RAW, read
/// through its sidecars; a damaged file of a format ccsig writes is an
/// error, as a damaged JPEG is.
pub(crate) fn raw_named(path: &std::path::Path) -> Option<&'static str> {
    container::other_image_extension(path)
        .filter(|name| !matches!(*name, "TIFF" | "DNG" | "HEIF" | "AVIF" | "JPEG XL"))
}
