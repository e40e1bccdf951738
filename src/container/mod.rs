//! Image containers: where metadata blocks sit inside JPEG, PNG and WebP
//! files, and how to rewrite a file with a new XMP packet without touching
//! anything else.
//!
//! This layer knows bytes, not signals. Scanning reads only the metadata a
//! caller may need (XMP, EXIF, Photoshop IRB, PNG text chunks) and *seeks
//! past* image data, so reading a file costs about what reading its head
//! costs. Rewriting streams every unchanged range from the old file to the
//! new one with `std::io::copy`, which on Linux lets the kernel copy the
//! bytes (`copy_file_range`) and keeps memory bounded whatever the file
//! size.

mod bare_xmp;
pub mod bmff;
mod boxes;
pub mod in_place;
pub mod jpeg;
pub mod jxl;
mod other;
pub mod png;
#[cfg(test)]
mod testing;
pub mod tiff;
mod walk;
pub(crate) use walk::ScanScope;
pub mod webp;

pub use bare_xmp::MAX_SIDECAR_BYTES;
pub use other::{
    other_image_extension, unsupported_format, unsupported_name, OTHER_IMAGE_EXTENSIONS,
};

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::ops::Range;

/// The kinds of file ccsig reads, recognised by their bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Jpeg,
    Png,
    WebP,
    /// TIFF and DNG (BigTIFF read, not written). A camera RAW that is TIFF
    /// inside (NEF, CR2, ARW ...) is read as TIFF but named and written as
    /// [`Format::Other`].
    Tiff,
    /// JPEG XL, a bare codestream or the box container.
    Jxl,
    /// HEIF/HEIC (ISO BMFF; image sequences read, not written).
    Heif,
    /// AVIF (ISO BMFF, as HEIF).
    Avif,
    /// An XMP packet on its own: a sidecar file named directly (its
    /// signals are its own, as an image's embedded packet is).
    Xmp,
    /// An image in a format ccsig recognises but whose bytes it neither
    /// reads nor writes (camera RAW, HEIF, GIF ..., named as
    /// [`unsupported_format`] names them): its signals are read from, and
    /// written into, its XMP sidecars only.
    Other(&'static str),
}

impl serde::Serialize for Format {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.label())
    }
}

impl Format {
    /// Recognises a format from the first bytes of a file (at least 12 bytes
    /// are needed for WebP). Extensions are never consulted.
    pub fn detect(head: &[u8]) -> Option<Format> {
        if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Format::Jpeg)
        } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Format::Png)
        } else if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
            Some(Format::WebP)
        } else if [b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"]
            .iter()
            .any(|m| head.starts_with(*m))
        {
            Some(Format::Tiff)
        } else if head.starts_with(&[0xFF, 0x0A]) || head.starts_with(b"\0\0\0\x0cJXL \r\n\x87\n") {
            Some(Format::Jxl)
        } else {
            match unsupported_format(head) {
                Some("HEIF") => Some(Format::Heif),
                Some("AVIF") => Some(Format::Avif),
                _ => None,
            }
        }
    }

    /// The format's name for people: `JPEG`, `XMP`, `Nikon NEF`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::WebP => "WebP",
            Format::Tiff => "TIFF",
            Format::Jxl => "JPEG XL",
            Format::Heif => "HEIF",
            Format::Avif => "AVIF",
            Format::Xmp => "XMP",
            Format::Other(name) => name,
        }
    }

    /// The format's name in reports (JSON, CSV): `jpeg`, `png`, `webp`,
    /// `xmp`, or for other images the name [`Format::name`] gives.
    ///
    /// ```
    /// assert_eq!(ccsig::Format::WebP.label(), "webp");
    /// assert_eq!(ccsig::Format::Other("Nikon NEF").label(), "Nikon NEF");
    /// ```
    pub fn label(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::WebP => "webp",
            Format::Tiff => "tiff",
            Format::Jxl => "jxl",
            Format::Heif => "heif",
            Format::Avif => "avif",
            Format::Xmp => "xmp",
            Format::Other(name) => name,
        }
    }

    /// The media type, e.g. `image/jpeg`.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::WebP => "image/webp",
            Format::Tiff => "image/tiff",
            Format::Jxl => "image/jxl",
            Format::Heif => "image/heif",
            Format::Avif => "image/avif",
            Format::Xmp => "application/rdf+xml",
            Format::Other(_) => "application/octet-stream",
        }
    }

    /// Whether ccsig writes into files of this format themselves (the
    /// others are tagged through their XMP sidecars).
    ///
    /// ```
    /// assert!(ccsig::Format::Jpeg.embeds());
    /// assert!(!ccsig::Format::Other("Canon CR3").embeds());
    /// ```
    pub fn embeds(self) -> bool {
        matches!(
            self,
            Format::Jpeg
                | Format::Png
                | Format::WebP
                | Format::Tiff
                | Format::Jxl
                | Format::Heif
                | Format::Avif
        )
    }

    /// Whether ccsig signs files of this format with Content Credentials
    /// (`--c2pa-sign`); it detects them in every format it writes.
    ///
    /// ```
    /// assert!(ccsig::Format::Png.signs_c2pa());
    /// assert!(!ccsig::Format::Heif.signs_c2pa());
    /// ```
    pub fn signs_c2pa(self) -> bool {
        matches!(self, Format::Jpeg | Format::Png | Format::WebP)
    }

    /// What the format calls its blocks, for error messages.
    pub(crate) fn block_noun(self) -> &'static str {
        match self {
            Format::Jpeg => "segment",
            Format::Png | Format::WebP => "chunk",
            Format::Tiff => "entry",
            Format::Jxl | Format::Heif | Format::Avif => "box",
            Format::Xmp | Format::Other(_) => "part",
        }
    }

    /// A `Malformed` error about a file of this format.
    pub(crate) fn malformed(self, detail: impl Into<String>) -> ContainerError {
        ContainerError::Malformed {
            format: self.name(),
            detail: detail.into(),
        }
    }
}

/// What each container format provides: its own syntax and nothing else.
/// What they share (reading blocks through windows, checking that a
/// layout still describes a file, splicing a rewrite from copies and new
/// bytes, comparing what a rewrite kept) lives once, in `walk` and here;
/// the functions of this module pick the format's container with
/// [`with_container!`] and never look at a format's bytes themselves.
pub(crate) trait Container {
    /// The blocks of a file of `format` (one this container reads; not
    /// empty), tiling it from its start.
    fn scan_blocks<R: Read + Seek>(
        reader: &mut walk::BlockReader<R>,
        format: Format,
    ) -> Result<Layout, ContainerError>;

    /// `src` written anew to `dst` with `edit` made. [`rewrite`] has
    /// refused what the format cannot hold and copied a file with nothing
    /// to change, so `edit` holds something for this format. By default
    /// the XMP edit, the only part most formats hold ([`rewrite_xmp`]).
    ///
    /// [`rewrite_xmp`]: Container::rewrite_xmp
    fn rewrite<R: Read + Seek, W: Write>(
        src: &mut R,
        layout: &Layout,
        edit: &Edit,
        dst: &mut W,
    ) -> Result<(), ContainerError> {
        match &edit.xmp {
            Some(xmp) => Self::rewrite_xmp(src, layout, xmp, dst),
            None => Ok(copy_range(src, 0..layout.len, dst)?),
        }
    }

    /// `src` written anew to `dst` with its main packet replaced, added or
    /// removed; by default refused (a format ccsig does not rewrite).
    fn rewrite_xmp<R: Read + Seek, W: Write>(
        _src: &mut R,
        layout: &Layout,
        _edit: &XmpEdit,
        _dst: &mut W,
    ) -> Result<(), ContainerError> {
        Err(ContainerError::Unsupported(format!(
            "ccsig does not rewrite {} files themselves",
            layout.format.name()
        )))
    }

    /// Where the bytes of the main packet (in `block`, the main XMP block)
    /// are, for an overwrite of the same length; `None` when only a
    /// rewrite can change it (compressed, a flag to set, a sidecar).
    /// [`in_place::locate`] then checks the bytes against the packet read.
    fn packet_bytes<R: Read + Seek>(
        _reader: &mut walk::BlockReader<R>,
        _layout: &Layout,
        _block: &Block,
    ) -> Result<Option<PacketBytes>, ContainerError> {
        Ok(None)
    }

    /// Checks that `new` (a rewrite of `old`) kept what it must; by
    /// default every block but the main packet and the headers, in order
    /// and byte for byte ([`verify_blocks`]).
    fn verify<A: Read + Seek, B: Read + Seek>(
        old: &mut A,
        old_layout: &Layout,
        new: &mut B,
        new_layout: &Layout,
        changed: &[BlockKind],
        main_removed: bool,
    ) -> Result<(), ContainerError> {
        verify_blocks(old, old_layout, new, new_layout, changed, main_removed)
    }

    /// The C2PA manifest store, from the bytes of the file's C2pa blocks
    /// in order; by default they are the store.
    fn manifest_store(blocks: &[Vec<u8>]) -> Vec<u8> {
        blocks.concat()
    }
}

/// Where a packet's bytes are for an overwrite in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PacketBytes {
    /// The packet, inside its block.
    pub(crate) packet: Range<u64>,
    /// PNG: the chunk type and the `iTXt` header before the packet, which
    /// with it make up what the chunk's CRC (right after it) covers.
    pub(crate) crc_prefix: Option<Vec<u8>>,
}

/// Runs `$body` with `$C` the [`Container`] of `$format`, or `$none` for
/// an image ccsig reads only through its sidecars.
macro_rules! with_container {
    ($format:expr, $C:ident => $body:expr, Other => $none:expr) => {
        match $format {
            Format::Jpeg => {
                type $C = jpeg::Jpeg;
                $body
            }
            Format::Png => {
                type $C = png::Png;
                $body
            }
            Format::WebP => {
                type $C = webp::WebP;
                $body
            }
            Format::Tiff => {
                type $C = tiff::Tiff;
                $body
            }
            Format::Jxl => {
                type $C = jxl::Jxl;
                $body
            }
            Format::Heif | Format::Avif => {
                type $C = bmff::Bmff;
                $body
            }
            Format::Xmp => {
                type $C = bare_xmp::BareXmp;
                $body
            }
            Format::Other(_) => $none,
        }
    };
}

/// How many later XMP packets of one file are read; any more are counted,
/// not loaded (a file may hold thousands).
pub const MAX_LATER_XMP: usize = 4;

/// Tells the main XMP packet of a file from the later ones, as a walker
/// meets them in file order.
#[derive(Debug, Default)]
pub(crate) struct XmpPackets {
    seen: usize,
}

impl XmpPackets {
    /// The kind of the next XMP packet met, and whether its payload is
    /// loaded.
    pub(crate) fn next(&mut self) -> (BlockKind, bool) {
        self.seen += 1;
        match self.seen {
            1 => (BlockKind::Xmp, true),
            n => (BlockKind::LaterXmp, n - 1 <= MAX_LATER_XMP),
        }
    }
}

/// What a block of a container holds, as far as ccsig cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// The main XMP packet (JPEG APP1 `http://ns.adobe.com/xap/1.0/`, PNG
    /// `iTXt` `XML:com.adobe.xmp`, WebP `XMP `). Owned by ccsig on write.
    Xmp,
    /// A later packet of the same kind. The specifications allow one and
    /// readers take the first, but a later one may still state a
    /// preference, so it is read (its payload loaded for the first
    /// [`MAX_LATER_XMP`]); it is never rewritten.
    LaterXmp,
    /// One JPEG Extended XMP APP1 segment. Never rewritten: ccsig edits only
    /// the main packet, so the GUID in `xmpNote:HasExtendedXMP` stays valid.
    ExtendedXmp,
    /// EXIF (JPEG APP1 `Exif\0\0`, PNG `eXIf`, WebP `EXIF`, JPEG XL
    /// `Exif`; in a TIFF, IFD0's Artist value, its payload a TIFF stream of
    /// that one entry).
    Exif,
    /// JPEG APP13 `Photoshop 3.0\0` image resources (holds IPTC-IIM).
    PhotoshopIrb,
    /// PNG `tEXt`/`zTXt`/`iTXt` "Raw profile type iptc" or "Raw profile
    /// type 8bim" (ImageMagick): hex text holding IIM, bare or in an IRB.
    RawIptcProfile,
    /// ICC profile (JPEG APP2 `ICC_PROFILE`, PNG `iCCP`, WebP `ICCP`).
    Icc,
    /// Bare IPTC-IIM datasets (TIFF tag 33723).
    Iim,
    /// C2PA Content Credentials (JPEG APP11 JUMBF, PNG `caBX`, WebP `C2PA`,
    /// TIFF tag 52545).
    C2pa,
    /// The container header that describes the file as a whole and that a
    /// metadata change may have to update: WebP `VP8X`. Compared
    /// field-by-field on validation, not byte-by-byte.
    Header,
    /// Compressed image data: JPEG SOS..EOI (plus any trailing bytes), PNG
    /// `IDAT`, WebP `VP8 `/`VP8L`/`ALPH`/`ANIM`/`ANMF`.
    ImageData,
    /// Anything else (other APPn, DQT, PNG `IHDR`, `tEXt`, ...): copied as is.
    Other,
}

/// One block (segment or chunk) of a file, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub kind: BlockKind,
    /// The whole block as it sits in the file, headers, CRC and padding
    /// included, so that copying this range reproduces it exactly.
    pub range: Range<u64>,
    /// The block's payload, loaded only for the kinds a reader needs
    /// (Xmp, ExtendedXmp, Exif, PhotoshopIrb, RawIptcProfile); `None` for
    /// the rest. For Xmp this is the XMP packet text itself (container
    /// prefixes such as the JPEG namespace string or the PNG iTXt header
    /// removed; a compressed PNG iTXt is inflated); for Exif the TIFF
    /// stream (JPEG's `Exif\0\0` removed); for PhotoshopIrb the bytes after
    /// `Photoshop 3.0\0`.
    pub payload: Option<Vec<u8>>,
}

/// The structure of one file: every block in order. Concatenating every
/// block's range reproduces the whole file (JPEG's "file" ends with the
/// image-data block, which runs to end of file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub format: Format,
    pub blocks: Vec<Block>,
    /// Total length of the file in bytes.
    pub len: u64,
    /// Canvas size (width, height) when the container states it cheaply
    /// (PNG IHDR, WebP VP8X or bitstream header, JPEG SOFn).
    pub dimensions: Option<(u32, u32)>,
    /// The length a new XMP packet must have, when the container fixes it:
    /// a JPEG XL holding JPEG reconstruction data (`jbrd`) rebuilds the
    /// original JPEG's XMP from its packet at the length it recorded.
    /// [`rewrite`] refuses any other length (and removing the packet);
    /// `None`: any length will do.
    pub fixed_xmp_len: Option<usize>,
}

impl Layout {
    pub fn blocks_of(&self, kind: BlockKind) -> impl Iterator<Item = &Block> {
        self.blocks.iter().filter(move |b| b.kind == kind)
    }

    /// The main XMP packet, if the file has one.
    pub fn xmp(&self) -> Option<&[u8]> {
        self.blocks_of(BlockKind::Xmp)
            .find_map(|b| b.payload.as_deref())
    }

    pub fn has(&self, kind: BlockKind) -> bool {
        self.blocks.iter().any(|b| b.kind == kind)
    }
}

/// What a rewrite does to the main XMP packet. Everything else is copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmpEdit {
    /// Put this packet in place of the existing one (at the same position),
    /// or insert it where the format wants it if there is none.
    Replace(Vec<u8>),
    /// Drop the main packet (and, for WebP, clear the XMP flag).
    Remove,
}

/// Why a file could not be scanned or rewritten.
#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    #[error("not a JPEG, PNG, WebP, TIFF, JPEG XL, HEIF or AVIF file")]
    UnknownFormat,
    /// An image, by its first bytes, in a format ccsig does not read
    /// (see [`unsupported_format`]).
    #[error("unsupported format: {0}")]
    OtherFormat(&'static str),
    #[error("empty file")]
    Empty,
    #[error("file is truncated: {0}")]
    Truncated(String),
    #[error("malformed {format}: {detail}")]
    Malformed {
        format: &'static str,
        detail: String,
    },
    #[error("{0}")]
    Unsupported(String),
    #[error("XMP packet of {size} bytes does not fit in {format} (limit {limit} bytes)")]
    XmpTooLarge {
        format: &'static str,
        size: usize,
        limit: usize,
    },
}

impl ContainerError {
    /// A stable name for the kind of error, for callers that sort errors
    /// without matching on variants (e.g. the Python binding's exception
    /// `kind`): `io`, `unknown_format`, `empty`, `truncated`, `malformed`,
    /// `unsupported_format`, `unsupported` or `xmp_too_large`.
    ///
    /// ```
    /// let e = ccsig::read_bytes(b"GIF89a").unwrap_err();
    /// assert_eq!(e.kind(), "unsupported_format");
    /// assert_eq!(e.to_string(), "unsupported format: GIF");
    /// let e = ccsig::read_bytes(b"hello, world").unwrap_err();
    /// assert_eq!(e.kind(), "unknown_format");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            ContainerError::Io(_) => "io",
            ContainerError::UnknownFormat => "unknown_format",
            ContainerError::OtherFormat(_) => "unsupported_format",
            ContainerError::Empty => "empty",
            ContainerError::Truncated(_) => "truncated",
            ContainerError::Malformed { .. } => "malformed",
            ContainerError::Unsupported(_) => "unsupported",
            ContainerError::XmpTooLarge { .. } => "xmp_too_large",
        }
    }
}

/// Scans a file from its start: detects the format and lists its blocks,
/// loading only metadata payloads and seeking past image data.
pub fn scan<R: Read + Seek>(reader: &mut R) -> Result<Layout, ContainerError> {
    scan_within(reader, ScanScope::WholeFile)
}

/// [`scan`], checking only `scope` of the file.
pub(crate) fn scan_within<R: Read + Seek>(
    reader: &mut R,
    scope: ScanScope,
) -> Result<Layout, ContainerError> {
    let mut reader = walk::BlockReader::new(reader)?.within(scope);
    let mut head = [0u8; 16];
    let got = reader.read_up_to_at(0, &mut head)?;
    if got == 0 {
        return Err(ContainerError::Empty);
    }
    let head = &head[..got];
    if bare_xmp::may_begin(head) {
        return bare_xmp::scan_blocks(&mut reader);
    }
    let Some(format) = Format::detect(head) else {
        return match unsupported_format(head) {
            Some(other) => Err(ContainerError::OtherFormat(other)),
            None => Err(ContainerError::UnknownFormat),
        };
    };
    scan_with(&mut reader.for_format(format), format)
}

/// Scans a file known (or required) to be of `format`.
fn scan_as<R: Read + Seek>(reader: &mut R, format: Format) -> Result<Layout, ContainerError> {
    scan_with(
        &mut walk::BlockReader::new(reader)?.for_format(format),
        format,
    )
}

fn scan_with<R: Read + Seek>(
    reader: &mut walk::BlockReader<R>,
    format: Format,
) -> Result<Layout, ContainerError> {
    if reader.len() == 0 {
        return Err(ContainerError::Empty);
    }
    with_container!(format, C => C::scan_blocks(reader, format),
        Other => Err(ContainerError::OtherFormat(format.name())))
}

/// What a rewrite changes. Everything else is copied byte for byte.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edit {
    pub xmp: Option<XmpEdit>,
    /// A new Photoshop IRB payload (after `Photoshop 3.0\0`): JPEG only.
    pub photoshop_irb: Option<Vec<u8>>,
    /// New text for PNG raw profile chunks (ImageMagick's "Raw profile type
    /// iptc"/"8bim"), each named by the offset where its chunk starts.
    pub png_raw_profiles: Vec<(u64, Vec<u8>)>,
}

impl From<XmpEdit> for Edit {
    fn from(xmp: XmpEdit) -> Self {
        Edit {
            xmp: Some(xmp),
            photoshop_irb: None,
            png_raw_profiles: Vec::new(),
        }
    }
}

/// Writes a new file to `dst`: `src` (described by `layout`, which came from
/// [`scan`] of the same bytes) with the edited blocks replaced and every
/// other byte of every other block copied unchanged.
pub fn rewrite<R: Read + Seek, W: Write>(
    src: &mut R,
    layout: &Layout,
    edit: &Edit,
    dst: &mut W,
) -> Result<(), ContainerError> {
    if !edit.png_raw_profiles.is_empty() && layout.format != Format::Png {
        return Err(ContainerError::Unsupported(format!(
            "PNG raw profiles cannot be written into {}",
            layout.format.name()
        )));
    }
    if edit.photoshop_irb.is_some() && layout.format != Format::Jpeg {
        return Err(ContainerError::Unsupported(format!(
            "ccsig writes IPTC-IIM only into JPEG, not {}",
            layout.format.name()
        )));
    }
    if edit.xmp.is_none() && edit.photoshop_irb.is_none() && edit.png_raw_profiles.is_empty() {
        copy_range(src, 0..layout.len, dst)?;
        return Ok(());
    }
    with_container!(layout.format, C => C::rewrite(src, layout, edit, dst),
    Other => Err(ContainerError::Unsupported(format!(
        "ccsig does not rewrite {} files themselves",
        layout.format.name()
    ))))
}

/// Checks that `new` (a rewrite of `old`) kept every block ccsig does not
/// own byte for byte and in the same order: image data, EXIF, ICC, IRB,
/// C2PA, Extended XMP, later XMP packets and every other block. Only the
/// main Xmp block and Header blocks may differ; Header blocks are checked
/// by the format (e.g. WebP canvas size).
pub fn verify_preserved<A: Read + Seek, B: Read + Seek>(
    old: &mut A,
    old_layout: &Layout,
    new: &mut B,
    new_layout: &Layout,
) -> Result<(), ContainerError> {
    verify_preserved_except(old, old_layout, new, new_layout, &[], false)
}

/// [`verify_preserved`], with more kinds of block the rewrite may change
/// (the caller checks those itself, e.g. the IRB resource by resource),
/// and whether the rewrite removed the main packet (then the first later
/// packet, if any, is the new file's main packet, and is compared).
pub fn verify_preserved_except<A: Read + Seek, B: Read + Seek>(
    old: &mut A,
    old_layout: &Layout,
    new: &mut B,
    new_layout: &Layout,
    changed: &[BlockKind],
    main_removed: bool,
) -> Result<(), ContainerError> {
    if old_layout.format != new_layout.format {
        return Err(new_layout.format.malformed("format changed during rewrite"));
    }
    with_container!(old_layout.format,
        C => C::verify(old, old_layout, new, new_layout, changed, main_removed),
        Other => verify_blocks(old, old_layout, new, new_layout, changed, main_removed))
}

/// What a rewrite of most formats must keep: every block but the main
/// packet and the headers (and the kinds in `changed`), of the same kinds,
/// in the same order, byte for byte (the canvas size too); with
/// `main_removed`, the first later packet is the new main one.
pub(crate) fn verify_blocks<A: Read + Seek, B: Read + Seek>(
    old: &mut A,
    old_layout: &Layout,
    new: &mut B,
    new_layout: &Layout,
    changed: &[BlockKind],
    main_removed: bool,
) -> Result<(), ContainerError> {
    let fail = |detail: String| new_layout.format.malformed(detail);
    if old_layout.dimensions != new_layout.dimensions {
        return Err(fail(format!(
            "canvas size changed from {:?} to {:?}",
            old_layout.dimensions, new_layout.dimensions
        )));
    }
    // The main packet may be replaced or removed; every later packet stays,
    // byte for byte and in order.
    let foreign = |l: &'_ Layout, compare_main: bool| {
        l.blocks
            .iter()
            .filter(|b| match b.kind {
                BlockKind::Xmp => compare_main,
                BlockKind::Header => false,
                kind => !changed.contains(&kind),
            })
            .map(|b| match b.kind {
                BlockKind::Xmp => (BlockKind::LaterXmp, b.range.clone()),
                kind => (kind, b.range.clone()),
            })
            .collect::<Vec<_>>()
    };
    let (a, b) = (
        foreign(old_layout, false),
        foreign(new_layout, main_removed),
    );
    // Both files, less the blocks that may change, must be the same bytes
    // of the same kinds in the same order. A run of chunks may be split in
    // one file and whole in the other (a packet between two IDATs dropped),
    // so the two lists are walked in step by bytes, not by block. Pieces of
    // one kind that are adjacent in both files are compared as one run:
    // metadata in full, image data by sampling (`blocks_match`).
    let mut runs: Vec<(BlockKind, Range<u64>, Range<u64>)> = Vec::new();
    let (mut ia, mut ib) = (a.into_iter(), b.into_iter());
    let (mut x, mut y) = (ia.next(), ib.next());
    loop {
        let ((kx, rx), (ky, ry)) = match (&mut x, &mut y) {
            (None, None) => break,
            (Some((_, rx)), None) => {
                return Err(fail(format!(
                    "rewrite lacks the original's bytes from offset {}",
                    rx.start
                )))
            }
            (None, Some((ky, ry))) => {
                return Err(fail(format!(
                    "{ky:?} block at offset {} is not in the original",
                    ry.start
                )))
            }
            (Some(x), Some(y)) => (x, y),
        };
        if kx != ky {
            return Err(fail(format!(
                "{ky:?} block at offset {} differs from the original at offset {}",
                ry.start, rx.start
            )));
        }
        let n = (rx.end - rx.start).min(ry.end - ry.start);
        let (pa, pb) = (rx.start..rx.start + n, ry.start..ry.start + n);
        match runs.last_mut() {
            Some((k, ra, rb)) if *k == *kx && ra.end == pa.start && rb.end == pb.start => {
                ra.end = pa.end;
                rb.end = pb.end;
            }
            _ if n == 0 => {}
            _ => runs.push((*kx, pa, pb)),
        }
        rx.start += n;
        ry.start += n;
        if rx.is_empty() {
            x = ia.next();
        }
        if ry.is_empty() {
            y = ib.next();
        }
    }
    for (_, ra, rb) in runs {
        if !blocks_match(old, ra.clone(), new, rb.clone())? {
            return Err(fail(format!(
                "bytes at offset {} differ from the original at offset {}",
                rb.start, ra.start
            )));
        }
    }
    Ok(())
}

/// Blocks up to this size are compared byte for byte after a rewrite.
pub const FULL_COMPARE_LIMIT: u64 = 1024 * 1024;
/// Larger blocks (image data) are compared at their start, middle and end,
/// this many bytes each.
pub const SAMPLE_LEN: u64 = 64 * 1024;

/// Whether a block was carried over intact. Every block ccsig reads
/// (metadata) and every small one is compared in full. A large block is
/// copied by the kernel (`copy_file_range`) from a range the scan
/// computed; what can go wrong is the range (an offset or length off by
/// some bytes), which changes the length or shifts the start, middle and
/// end, so those are compared, sparing a full re-read of gigabytes of
/// image data (`docs/architecture.md`).
fn blocks_match<A: Read + Seek, B: Read + Seek>(
    a: &mut A,
    ra: Range<u64>,
    b: &mut B,
    rb: Range<u64>,
) -> io::Result<bool> {
    let len = ra.end - ra.start;
    if len != rb.end - rb.start {
        return Ok(false);
    }
    if len <= FULL_COMPARE_LIMIT {
        return ranges_equal(a, ra, b, rb);
    }
    let middle = len / 2 - SAMPLE_LEN / 2;
    for offset in [0, middle, len - SAMPLE_LEN] {
        let at = |r: &Range<u64>| r.start + offset..r.start + offset + SAMPLE_LEN;
        if !ranges_equal(a, at(&ra), b, at(&rb))? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A file read with positioned reads (`pread`): seeking costs no system
/// call, which halves the calls a scan makes on files with thousands of
/// chunks (a 16 MB PNG written in 8 KiB IDATs has 2,000 headers to visit).
#[derive(Debug)]
pub struct PositionedFile<'a> {
    file: &'a std::fs::File,
    pos: u64,
}

impl<'a> PositionedFile<'a> {
    pub fn new(file: &'a std::fs::File) -> Self {
        PositionedFile { file, pos: 0 }
    }
}

#[cfg(unix)]
impl Read for PositionedFile<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(not(unix))]
impl Read for PositionedFile<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut f = self.file;
        f.seek(SeekFrom::Start(self.pos))?;
        let n = f.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for PositionedFile<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = seek_target(self.pos, to, || Ok(self.file.metadata()?.len()))?;
        Ok(self.pos)
    }
}

/// Where a seek from `pos` lands, for readers that keep their own position
/// (`len` is asked only for a seek from the end).
pub(crate) fn seek_target(
    pos: u64,
    to: SeekFrom,
    len: impl FnOnce() -> io::Result<u64>,
) -> io::Result<u64> {
    let target = match to {
        SeekFrom::Start(p) => Some(p),
        SeekFrom::Current(d) => pos.checked_add_signed(d),
        SeekFrom::End(d) => len()?.checked_add_signed(d),
    };
    target.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "seek before the start of the file",
        )
    })
}

/// MD5 of a file's image data (every image-data block, in order): the same
/// picture gives the same digest whatever metadata surrounds it. Reads all
/// of the image data, in bounded memory.
pub fn image_data_digest<R: Read + Seek>(reader: &mut R, layout: &Layout) -> io::Result<[u8; 16]> {
    use md5::{Digest, Md5};
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; 256 * 1024];
    for block in layout.blocks_of(BlockKind::ImageData) {
        reader.seek(SeekFrom::Start(block.range.start))?;
        let mut left = block.range.end - block.range.start;
        while left > 0 {
            let n = left.min(buf.len() as u64) as usize;
            reader.read_exact(&mut buf[..n])?;
            hasher.update(&buf[..n]);
            left -= n as u64;
        }
    }
    Ok(hasher.finalize().into())
}

/// The C2PA manifest store (a JUMBF superbox) a file carries, as its
/// container holds it (each format's container says where). Empty when
/// it has none.
pub fn manifest_store<R: Read + Seek>(reader: &mut R, layout: &Layout) -> io::Result<Vec<u8>> {
    let mut blocks = Vec::new();
    for block in layout.blocks_of(BlockKind::C2pa) {
        let mut bytes = vec![0; (block.range.end - block.range.start) as usize];
        reader.seek(SeekFrom::Start(block.range.start))?;
        reader.read_exact(&mut bytes)?;
        blocks.push(bytes);
    }
    Ok(with_container!(layout.format, C => C::manifest_store(&blocks), Other => Vec::new()))
}

/// Compares two byte ranges of two readers in bounded memory.
pub fn ranges_equal<A: Read + Seek, B: Read + Seek>(
    a: &mut A,
    ra: Range<u64>,
    b: &mut B,
    rb: Range<u64>,
) -> io::Result<bool> {
    if ra.end - ra.start != rb.end - rb.start {
        return Ok(false);
    }
    a.seek(SeekFrom::Start(ra.start))?;
    b.seek(SeekFrom::Start(rb.start))?;
    let mut left = ra.end - ra.start;
    // Most blocks compared are small metadata: size the buffers to them.
    let size = left.min(64 * 1024) as usize;
    let mut ba = vec![0u8; size];
    let mut bb = vec![0u8; size];
    while left > 0 {
        let n = left.min(ba.len() as u64) as usize;
        a.read_exact(&mut ba[..n])?;
        b.read_exact(&mut bb[..n])?;
        if ba[..n] != bb[..n] {
            return Ok(false);
        }
        left -= n as u64;
    }
    Ok(true)
}

/// Writes a new file as a sequence of copied ranges and new bytes, merging
/// copies of adjacent ranges into one: a PNG of 2,000 IDAT chunks is then
/// copied in one kernel-side `copy_file_range` run instead of 2,000.
#[derive(Debug, Default)]
pub(crate) struct Splicer {
    pending: Option<Range<u64>>,
}

impl Splicer {
    pub(crate) fn copy<R: Read + Seek, W: Write>(
        &mut self,
        range: Range<u64>,
        src: &mut R,
        dst: &mut W,
    ) -> io::Result<()> {
        match &mut self.pending {
            Some(p) if p.end == range.start => p.end = range.end,
            _ => {
                self.flush(src, dst)?;
                self.pending = Some(range);
            }
        }
        Ok(())
    }

    pub(crate) fn write<R: Read + Seek, W: Write>(
        &mut self,
        bytes: &[u8],
        src: &mut R,
        dst: &mut W,
    ) -> io::Result<()> {
        self.flush(src, dst)?;
        dst.write_all(bytes)
    }

    pub(crate) fn flush<R: Read + Seek, W: Write>(
        &mut self,
        src: &mut R,
        dst: &mut W,
    ) -> io::Result<()> {
        match self.pending.take() {
            Some(range) => copy_range(src, range, dst),
            None => Ok(()),
        }
    }
}

/// Copies `range` of `src` to `dst` unchanged, in bounded memory.
pub(crate) fn copy_range<R: Read + Seek, W: Write>(
    src: &mut R,
    range: Range<u64>,
    dst: &mut W,
) -> io::Result<()> {
    src.seek(SeekFrom::Start(range.start))?;
    let want = range.end - range.start;
    let copied = io::copy(&mut src.by_ref().take(want), dst)?;
    if copied != want {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "file shrank while it was being copied",
        ));
    }
    Ok(())
}

/// Reads until `buf` is full or the reader ends; returns the count read.
pub(crate) fn read_up_to<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Where the main packet's bytes are for an overwrite in place (see
/// [`Container::packet_bytes`]).
pub(crate) fn packet_bytes<R: Read + Seek>(
    reader: &mut walk::BlockReader<R>,
    layout: &Layout,
    block: &Block,
) -> Result<Option<PacketBytes>, ContainerError> {
    with_container!(layout.format, C => C::packet_bytes(reader, layout, block), Other => Ok(None))
}

/// The data of chunks whose header (`header` bytes) comes first and whose
/// `trailer` bytes (a CRC) come last, put together: what PNG's `caBX` and
/// WebP's `C2PA` chunks hold.
pub(crate) fn chunk_data(blocks: &[Vec<u8>], header: usize, trailer: usize) -> Vec<u8> {
    blocks
        .iter()
        .flat_map(|b| {
            b.get(header..b.len().saturating_sub(trailer))
                .unwrap_or_default()
        })
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn data(len: usize) -> Vec<u8> {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        (0..len).map(|_| testing::xorshift(&mut x) as u8).collect()
    }

    #[test]
    fn small_blocks_are_compared_in_full() {
        let a = data(200_000);
        let mut b = a.clone();
        b[100_000] ^= 1;
        let r = 0..a.len() as u64;
        assert!(!blocks_match(
            &mut Cursor::new(&a),
            r.clone(),
            &mut Cursor::new(&b),
            r.clone()
        )
        .unwrap());
        assert!(blocks_match(&mut Cursor::new(&a), r.clone(), &mut Cursor::new(&a), r).unwrap());
    }

    #[test]
    fn large_blocks_off_by_a_byte_are_caught() {
        let a = data(3 * 1024 * 1024);
        let len = a.len() as u64;
        // The same bytes copied from one byte too far on: the start, middle
        // and end all differ.
        let mut shifted = a[1..].to_vec();
        shifted.push(0);
        assert!(!blocks_match(
            &mut Cursor::new(&a),
            0..len,
            &mut Cursor::new(&shifted),
            0..len
        )
        .unwrap());
        assert!(!blocks_match(
            &mut Cursor::new(&a),
            0..len,
            &mut Cursor::new(&a),
            0..len - 1
        )
        .unwrap());
        assert!(blocks_match(&mut Cursor::new(&a), 0..len, &mut Cursor::new(&a), 0..len).unwrap());
    }
}
