//! WebDataset tar shards, read in place: one sequential pass over the
//! archive (plain, or gzip-compressed), every member classified by its
//! bytes, image members handed over whole in memory (one buffer, reused
//! from member to member). Nothing is extracted
//! and a shard is never written.
//!
//! ```
//! use std::ops::ControlFlow;
//! use ccsig::shard::{self, MemberContent};
//!
//! // A two-member shard, made in memory with the `tar` crate.
//! let jpeg = std::fs::read("sample-images/jpeg/plain.jpg").unwrap();
//! let mut builder = tar::Builder::new(Vec::new());
//! for (name, bytes) in [("000001.jpg", &jpeg[..]), ("000001.json", &b"{}"[..])] {
//!     let mut header = tar::Header::new_gnu();
//!     header.set_size(bytes.len() as u64);
//!     header.set_mode(0o644);
//!     header.set_cksum();
//!     builder.append_data(&mut header, name, bytes).unwrap();
//! }
//! let archive = builder.into_inner().unwrap();
//!
//! let mut names = vec![];
//! shard::read_members(&archive[..], |_| None, |member| {
//!     let image = matches!(member.content, MemberContent::Image(_));
//!     names.push((member.name, image));
//!     ControlFlow::Continue(())
//! })
//! .unwrap();
//! assert_eq!(names, [("000001.jpg".to_string(), true), ("000001.json".to_string(), false)]);
//! ```

use std::cell::Cell;
use std::io::{self, Read};
use std::ops::ControlFlow;
use std::path::Path;
use std::rc::Rc;

use crate::batch::walk::{has_image_extension, SkipReason};
use crate::container::{unsupported_format, unsupported_name};
use crate::container::{ContainerError, Format};
use crate::inspect::{FileSignals, ReadOptions};
use crate::read_error::ReadError;
use crate::stream::StreamRead;

/// The largest member held in memory to be read (1 GiB): a bigger image
/// member is reported as an error rather than read.
pub const MAX_MEMBER_BYTES: u64 = 1 << 30;

/// How a shard's bytes are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    /// A plain `.tar`.
    None,
    /// A `.tar.gz` or `.tgz`.
    Gzip,
}

/// Recognises a shard by its name: `.tar`, `.tar.gz` or `.tgz`.
///
/// ```
/// use ccsig::shard::{compression_from_name, Compression};
/// assert_eq!(compression_from_name("shard-00000.tar".as_ref()), Some(Compression::None));
/// assert_eq!(compression_from_name("shard.TGZ".as_ref()), Some(Compression::Gzip));
/// assert_eq!(compression_from_name("photo.jpg".as_ref()), None);
/// ```
pub fn compression_from_name(path: &Path) -> Option<Compression> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if name.ends_with(".tar") {
        Some(Compression::None)
    } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        Some(Compression::Gzip)
    } else {
        None
    }
}

/// Whether `head` (the first 512 bytes of a file) is a tar header: POSIX
/// `ustar\0` or GNU `ustar ` magic at offset 257.
///
/// ```
/// let mut head = [0u8; 512];
/// head[257..263].copy_from_slice(b"ustar\0");
/// assert!(ccsig::shard::is_tar_header(&head));
/// assert!(!ccsig::shard::is_tar_header(b"\xFF\xD8\xFF"));
/// ```
pub fn is_tar_header(head: &[u8]) -> bool {
    head.get(257..263)
        .is_some_and(|m| m == b"ustar\0" || m == b"ustar ")
}

pub use crate::read_error::ShardError;

/// One member of a shard, as classified by its bytes.
#[derive(Debug)]
pub struct Member<'a> {
    /// The member's name inside the archive, e.g. `000001.jpg`.
    pub name: String,
    /// The image, or why the member was not read as one.
    pub content: MemberContent<'a>,
}

/// What a member holds.
#[derive(Debug)]
pub enum MemberContent<'a> {
    /// A JPEG, PNG or WebP, whole: valid until the next member is read
    /// (the reader reuses one buffer, so that a shard of large images is
    /// not one fresh allocation, zeroed, per member).
    Image(&'a [u8]),
    /// An image's signals, read as its bytes streamed past
    /// ([`MemberRead::Signals`]): the image was never held whole.
    Signals(Box<Result<FileSignals, ReadError>>),
    /// A member that should be an image (its name says so) but could not
    /// be taken: not an image, too large, truncated.
    Unreadable(ReadError),
    /// Not an image of ours (`.json`, `.txt`, `.cls`, a GIF ...), or passed
    /// over by the caller's filter.
    Skipped(SkipReason),
}

/// Reads every member of the tar archive in `reader` in one sequential
/// pass and hands each to `each`, in archive order; `each` may stop the
/// pass early by breaking. `skip` is asked first for each regular member's
/// name: a reason passes the member over unread.
///
/// Directories are not reported; links are reported as skipped. An error
/// that ends the pass (truncated or corrupt archive) is returned after the
/// members before the damage have been handed over.
///
/// ```
/// use std::ops::ControlFlow;
/// use ccsig::{shard, SkipReason};
///
/// let png = std::fs::read("sample-images/tagged/ccsig-cr.png").unwrap();
/// let mut builder = tar::Builder::new(Vec::new());
/// for name in ["000001.png", "000002.png", "000003.png"] {
///     let mut header = tar::Header::new_gnu();
///     header.set_size(png.len() as u64);
///     header.set_cksum();
///     builder.append_data(&mut header, name, &png[..]).unwrap();
/// }
/// let archive = builder.into_inner().unwrap();
///
/// // Pass over the second member unread, and stop after two.
/// let mut seen = vec![];
/// let skip = |name: &str| (name == "000002.png").then_some(SkipReason::Excluded);
/// shard::read_members(&archive[..], skip, |member| {
///     seen.push(member.name);
///     if seen.len() == 2 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
/// })
/// .unwrap();
/// assert_eq!(seen, ["000001.png", "000002.png"]);
/// ```
pub fn read_members<R: Read>(
    reader: R,
    skip: impl FnMut(&str) -> Option<SkipReason>,
    each: impl FnMut(Member<'_>) -> ControlFlow<()>,
) -> Result<(), ShardError> {
    read_members_as(reader, &MemberRead::Whole, skip, each)
}

/// How [`read_members_as`] takes an image member.
#[derive(Debug, Clone)]
pub enum MemberRead {
    /// Whole, in memory: [`MemberContent::Image`].
    Whole,
    /// Its signals, read as it streams past ([`crate::stream`]):
    /// [`MemberContent::Signals`]. A JPEG's image data is never held, so
    /// memory stays flat over a shard of large photos; a PNG or WebP is
    /// held to its end, where its metadata may be.
    Signals(ReadOptions),
}

/// [`read_members`], taking image members as `how` says.
///
/// ```
/// use std::ops::ControlFlow;
/// use ccsig::shard::{self, MemberContent, MemberRead};
///
/// let jpeg = std::fs::read("sample-images/tagged/ccsig-cr-op.jpg").unwrap();
/// let mut builder = tar::Builder::new(Vec::new());
/// let mut header = tar::Header::new_gnu();
/// header.set_size(jpeg.len() as u64);
/// header.set_cksum();
/// builder.append_data(&mut header, "000001.jpg", &jpeg[..]).unwrap();
/// let archive = builder.into_inner().unwrap();
///
/// let how = MemberRead::Signals(ccsig::ReadOptions::default());
/// let mut found = vec![];
/// shard::read_members_as(&archive[..], &how, |_| None, |member| {
///     if let MemberContent::Signals(read) = member.content {
///         found.push(read.unwrap().decisions["train-ai"].clone());
///     }
///     ControlFlow::Continue(())
/// })
/// .unwrap();
/// assert_eq!(found, [ccsig::read_bytes(&jpeg).unwrap().decisions["train-ai"].clone()]);
/// ```
pub fn read_members_as<R: Read>(
    reader: R,
    how: &MemberRead,
    mut skip: impl FnMut(&str) -> Option<SkipReason>,
    mut each: impl FnMut(Member<'_>) -> ControlFlow<()>,
) -> Result<(), ShardError> {
    let mut buffer = Vec::new();
    let consumed = Rc::new(Cell::new(0u64));
    let mut archive = tar::Archive::new(Counting {
        inner: reader,
        consumed: consumed.clone(),
    });
    // Where the last member's data ends, padded to a block: a proper
    // archive has its end-of-archive block after that.
    let mut data_end = 0u64;
    for entry in archive.entries()? {
        let mut entry = entry.map_err(corrupt)?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let size = entry.size();
        data_end = entry.raw_file_position() + size.div_ceil(512) * 512;
        let kind = entry.header().entry_type();
        let content = if kind.is_dir() {
            continue;
        } else if kind.is_symlink() || kind.is_hard_link() {
            MemberContent::Skipped(SkipReason::Symlink)
        } else if !kind.is_file() {
            MemberContent::Skipped(SkipReason::NotAnImage)
        } else if let Some(reason) = skip(&name) {
            MemberContent::Skipped(reason)
        } else {
            match take_member(&mut entry, &name, size, how, &mut buffer) {
                Ok(content) => content,
                Err(truncated @ ShardError::Truncated(_)) => {
                    let _ = each(Member {
                        name: name.clone(),
                        content: MemberContent::Unreadable(ReadError::Container(
                            ContainerError::Truncated(format!(
                                "shard ends inside this member of {size} bytes"
                            )),
                        )),
                    });
                    return Err(truncated);
                }
                Err(e) => return Err(e),
            }
        };
        if each(Member { name, content }).is_break() {
            return Ok(());
        }
    }
    if consumed.get() < data_end + 512 {
        return Err(ShardError::Truncated(
            "no end-of-archive block after the last member".into(),
        ));
    }
    Ok(())
}

/// Reads a regular member's bytes into `buffer` if they are an image of
/// ours.
fn take_member<'a>(
    entry: &mut impl Read,
    name: &str,
    size: u64,
    how: &MemberRead,
    buffer: &'a mut Vec<u8>,
) -> Result<MemberContent<'a>, ShardError> {
    let mut head = [0u8; 512];
    let head_len = size.min(512) as usize;
    match entry.read_exact(&mut head[..head_len]) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            return Err(ShardError::Truncated(format!("member {name} is cut short")));
        }
        Err(e) => return Err(e.into()),
    }
    let head = &head[..head_len];
    if let Some(content) = not_read(name, head, size) {
        return Ok(content);
    }
    if let MemberRead::Signals(options) = how {
        return stream_member(entry, name, size, head, options, buffer);
    }
    // The rest is read straight into the buffer: large reads bypass the
    // archive's BufReader, where `read_to_end`'s growing reads went through
    // it and were copied twice (a sixth of decide's CPU time on a shard of
    // large images). The buffer only ever grows, so it is zeroed once, not
    // once per member (that was a fifth of decide's time).
    let size = size as usize;
    if buffer.len() < size {
        buffer.resize(size, 0);
    }
    let bytes = &mut buffer[..size];
    bytes[..head_len].copy_from_slice(head);
    match entry.read_exact(&mut bytes[head_len..]) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            return Err(ShardError::Truncated(format!("member {name} is cut short")));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(MemberContent::Image(bytes))
}

/// What a regular member of `size` bytes is, by its name and `head` (its
/// first 512 bytes, or all of a shorter one), when it is not an image to
/// read: passed over, or unreadable (too large to hold). `None`: an image
/// of ours, to read.
pub(crate) fn not_read(name: &str, head: &[u8], size: u64) -> Option<MemberContent<'static>> {
    if Format::detect(head).is_none() {
        let named_image = has_image_extension(name.as_ref());
        let other_format = unsupported_name(unsupported_format(head), name.as_ref());
        return Some(if let Some(format) = other_format {
            MemberContent::Skipped(SkipReason::Unsupported(format.to_string()))
        } else if named_image && head.is_empty() {
            MemberContent::Unreadable(ReadError::Container(ContainerError::Empty))
        } else if named_image {
            MemberContent::Unreadable(ReadError::Container(ContainerError::UnknownFormat))
        } else {
            MemberContent::Skipped(SkipReason::NotAnImage)
        });
    }
    let too_large = ShardError::MemberTooLarge {
        size,
        limit: MAX_MEMBER_BYTES,
    };
    (size > MAX_MEMBER_BYTES).then_some(MemberContent::Unreadable(ReadError::Shard(too_large)))
}

/// Reads an image member's signals as its bytes stream past, `head`
/// (its first bytes) already read; `buffer` carries the chunks.
fn stream_member<'a>(
    entry: &mut impl Read,
    name: &str,
    size: u64,
    head: &[u8],
    options: &ReadOptions,
    buffer: &mut Vec<u8>,
) -> Result<MemberContent<'a>, ShardError> {
    let mut read = StreamRead::new(Some(size), options.clone());
    read.feed(head);
    buffer.resize(STREAM_CHUNK, 0);
    let mut left = size - head.len() as u64;
    while left > 0 {
        // Bytes the read no longer needs (a JPEG's image data once its
        // metadata is read) are passed over, not handed to it.
        let skipping = read.skippable() > 0;
        let want = match skipping {
            true => read.skippable().min(STREAM_CHUNK as u64) as usize,
            false => (left as usize).min(STREAM_CHUNK),
        };
        match entry.read_exact(&mut buffer[..want]) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Err(ShardError::Truncated(format!("member {name} is cut short")));
            }
            Err(e) => return Err(e.into()),
        }
        match skipping {
            true => read.skip(want as u64),
            false => {
                read.feed(&buffer[..want]);
            }
        }
        left -= want as u64;
    }
    Ok(MemberContent::Signals(Box::new(read.finish())))
}

/// The chunks a member is streamed in.
const STREAM_CHUNK: usize = 128 * 1024;

/// A parse error of the archive itself means the shard is damaged.
pub(crate) fn corrupt(e: io::Error) -> ShardError {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => ShardError::Truncated(e.to_string()),
        io::ErrorKind::InvalidData | io::ErrorKind::Other => {
            ShardError::Truncated(format!("corrupt archive: {e}"))
        }
        _ => ShardError::Io(e),
    }
}

/// Counts the bytes the archive reader consumed, to tell a complete
/// archive from one cut at a member boundary.
struct Counting<R> {
    inner: R,
    consumed: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.set(self.consumed.get() + n as u64);
        Ok(n)
    }
}

/// Opens a shard file for one sequential pass, decompressing if needed.
///
/// ```
/// use std::ops::ControlFlow;
/// use ccsig::shard::{self, compression_from_name, MemberContent};
///
/// // A gzip-compressed shard holding one PNG.
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("shard-00000.tar.gz");
/// let gz = flate2::write::GzEncoder::new(
///     std::fs::File::create(&path).unwrap(),
///     flate2::Compression::default(),
/// );
/// let mut builder = tar::Builder::new(gz);
/// builder.append_path_with_name("sample-images/tagged/ccsig-cr.png", "000001.png").unwrap();
/// builder.into_inner().unwrap().finish().unwrap();
///
/// let compression = compression_from_name(&path).unwrap();
/// let mut decisions = vec![];
/// shard::read_members(shard::open(&path, compression).unwrap(), |_| None, |member| {
///     if let MemberContent::Image(bytes) = member.content {
///         let signals = ccsig::read_bytes(&bytes).unwrap();
///         decisions.push(signals.decisions["train-ai"].clone());
///     }
///     ControlFlow::Continue(())
/// })
/// .unwrap();
/// assert_eq!(decisions.len(), 1);
/// ```
pub fn open(path: &Path, compression: Compression) -> io::Result<Box<dyn Read + Send>> {
    // A small buffer for the 512-byte headers: member data is read in
    // larger pieces, which pass it by when it is empty. A buffer as large
    // as those pieces copied half the data twice (a shard of JPEGs took
    // 1.7x `cat`'s time with 256 KiB, 1.1x with this).
    let file = io::BufReader::with_capacity(16 * 1024, std::fs::File::open(path)?);
    Ok(Box::new(compression.decompress(file)))
}

impl Compression {
    /// The shard's tar bytes from `reader`, which gives them stored this way.
    pub(crate) fn decompress<R: Read>(self, reader: R) -> Decompressed<R> {
        match self {
            Compression::None => Decompressed::Plain(reader),
            Compression::Gzip => Decompressed::Gzip(flate2::read::MultiGzDecoder::new(reader)),
        }
    }
}

/// A shard's tar bytes, read through the decompressor its
/// [`Compression`] needs (`Send` when the reader is).
pub(crate) enum Decompressed<R: Read> {
    Plain(R),
    Gzip(flate2::read::MultiGzDecoder<R>),
}

impl<R: Read> Read for Decompressed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decompressed::Plain(r) => r.read(buf),
            Decompressed::Gzip(r) => r.read(buf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, bytes) in members {
            let mut header = tar::Header::new_ustar();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, name, *bytes).unwrap();
        }
        builder.into_inner().unwrap()
    }

    use crate::test_support::sample;

    /// A member as the tests keep it: the image copied out of the
    /// reader's buffer.
    struct Kept {
        name: String,
        content: Content,
    }

    #[derive(Debug)]
    enum Content {
        Image(Vec<u8>),
        Unreadable(ReadError),
        Skipped(SkipReason),
    }

    fn collect(archive: &[u8]) -> (Vec<Kept>, Result<(), ShardError>) {
        collect_reader(archive)
    }

    #[test]
    fn each_member_is_handed_over_exactly_though_the_buffer_is_reused() {
        let png = sample("tagged/ccsig-cr.png");
        let jpeg = sample("jpeg/plain.jpg");
        let (small, large) = if png.len() > jpeg.len() {
            (&jpeg, &png)
        } else {
            (&png, &jpeg)
        };
        let archive = shard(&[("1.img", large), ("2.img", small), ("3.img", large)]);
        let (members, r) = collect(&archive);
        r.unwrap();
        let got: Vec<&[u8]> = members
            .iter()
            .map(|m| match &m.content {
                Content::Image(b) => b.as_slice(),
                other => panic!("{}: {other:?}", m.name),
            })
            .collect();
        assert_eq!(got, [&large[..], &small[..], &large[..]]);
    }

    #[test]
    fn members_streamed_past_give_what_whole_members_give() {
        let names = [
            "jpeg/xmp-rich.jpg",
            "tagged/ccsig-cr-op.jpg",
            "png/xmp-after-idat.png",
            "webp/exif.webp",
            "tiff/exiftool-xmp.tif",
            "heif/exiftool-xmp.heic",
            "bad/truncated.jpg",
        ];
        let files: Vec<Vec<u8>> = names.iter().map(|n| sample(n)).collect();
        let members: Vec<(&str, &[u8])> = names
            .iter()
            .zip(&files)
            .map(|(n, f)| (*n, &f[..]))
            .collect();
        let archive = shard(&members);
        let how = MemberRead::Signals(ReadOptions::default());
        let mut streamed = vec![];
        read_members_as(
            &archive[..],
            &how,
            |_| None,
            |m| {
                match m.content {
                    MemberContent::Signals(s) => streamed.push((m.name, (*s).map(|s| s.decisions))),
                    other => panic!("{}: {other:?}", m.name),
                }
                ControlFlow::Continue(())
            },
        )
        .unwrap();
        let whole: Vec<_> = names
            .iter()
            .zip(&files)
            .map(|(n, f)| (n.to_string(), crate::read_bytes(f).map(|s| s.decisions)))
            .collect();
        assert_eq!(streamed.len(), whole.len());
        for (s, w) in streamed.iter().zip(&whole) {
            assert_eq!(s.0, w.0);
            match (&s.1, &w.1) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{}", s.0),
                (Err(_), Err(_)) => {}
                (a, b) => panic!("{}: streamed {a:?}, whole {b:?}", s.0),
            }
        }
        assert!(whole.last().unwrap().1.is_err());
        // A shard cut inside a streamed member: that member is unreadable,
        // and the pass ends with the damage.
        let cut = &archive[..archive.len() / 2];
        let mut last = None;
        let r = read_members_as(
            cut,
            &how,
            |_| None,
            |m| {
                last = Some(matches!(m.content, MemberContent::Unreadable(_)));
                ControlFlow::Continue(())
            },
        );
        assert!(matches!(r, Err(ShardError::Truncated(_))), "{r:?}");
        assert_eq!(last, Some(true));
    }

    #[test]
    fn members_are_classified_by_their_bytes() {
        let jpeg = sample("jpeg/plain.jpg");
        let gif = sample("bad/unsupported.gif");
        let archive = shard(&[
            ("a.jpg", &jpeg),
            ("a.json", b"{\"k\":1}"),
            ("b.gif", &gif),
            ("c.png", b"not a png"),
            ("d.jpg", b""),
            ("image-without-extension", &jpeg),
        ]);
        assert!(is_tar_header(&archive[..512]));
        let (members, r) = collect(&archive);
        r.unwrap();
        let kinds: Vec<String> = members
            .iter()
            .map(|m| match &m.content {
                Content::Image(b) => format!("{} image {}", m.name, b.len()),
                Content::Unreadable(e) => format!("{} unreadable {e}", m.name),
                Content::Skipped(r) => format!("{} skipped {r}", m.name),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                format!("a.jpg image {}", jpeg.len()),
                "a.json skipped not an image".into(),
                "b.gif skipped unsupported format (GIF)".into(),
                "c.png unreadable not a JPEG, PNG, WebP, TIFF, JPEG XL, HEIF or AVIF file".into(),
                "d.jpg unreadable empty file".into(),
                format!("image-without-extension image {}", jpeg.len()),
            ]
        );
        assert!(matches!(&members[0].content, Content::Image(b) if *b == jpeg));
    }

    #[test]
    fn truncation_is_reported_after_the_members_before_it() {
        let jpeg = sample("jpeg/plain.jpg");
        let archive = shard(&[("a.jpg", &jpeg), ("b.jpg", &jpeg)]);
        // Cut inside the second member's data.
        let cut = archive.len() - 1024 - 512 * 2;
        let (members, r) = collect(&archive[..cut]);
        assert!(matches!(r, Err(ShardError::Truncated(_))), "{r:?}");
        assert_eq!(members[0].name, "a.jpg");
        assert!(matches!(members[0].content, Content::Image(_)));
        assert_eq!(members.len(), 2);
        assert!(matches!(members[1].content, Content::Unreadable(_)));
        // Cut at the member boundary: no end-of-archive block.
        let first_end = 512 + jpeg.len().div_ceil(512) * 512;
        let (members, r) = collect(&archive[..first_end]);
        assert_eq!(members.len(), 1);
        assert!(matches!(r, Err(ShardError::Truncated(_))), "{r:?}");
        // An empty file is no archive.
        assert!(collect(b"").1.is_err());
    }

    #[test]
    fn an_image_member_too_large_to_hold_is_an_error_not_a_read() {
        let jpeg = sample("jpeg/plain.jpg");
        // A header claiming 2 GiB of JPEG, and only the start of it.
        let mut header = tar::Header::new_ustar();
        header.set_path("huge.jpg").unwrap();
        header.set_size(2 * MAX_MEMBER_BYTES);
        header.set_mode(0o644);
        header.set_cksum();
        let mut archive = header.as_bytes().to_vec();
        archive.extend_from_slice(&jpeg[..1024]);
        let (members, r) = collect(&archive);
        assert_eq!(members.len(), 1);
        match &members[0].content {
            Content::Unreadable(e) => {
                assert!(
                    e.to_string()
                        .contains("larger than the 1073741824-byte limit"),
                    "{e}"
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(r.is_err(), "the shard itself is cut short");
    }

    #[test]
    fn filter_and_early_stop() {
        let jpeg = sample("jpeg/plain.jpg");
        let archive = shard(&[(".hidden.jpg", &jpeg), ("a.jpg", &jpeg), ("b.jpg", &jpeg)]);
        let mut names = vec![];
        read_members(
            &archive[..],
            |n| n.starts_with('.').then_some(SkipReason::Hidden),
            |m| {
                names.push((m.name, matches!(m.content, MemberContent::Skipped(_))));
                if names.len() == 2 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        )
        .unwrap();
        assert_eq!(
            names,
            [(".hidden.jpg".into(), true), ("a.jpg".into(), false)]
        );
    }

    #[test]
    fn gzip_shards_decompress() {
        use std::io::Write;
        let jpeg = sample("jpeg/plain.jpg");
        let archive = shard(&[("a.jpg", &jpeg)]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&archive).unwrap();
        let gz = gz.finish().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.tar.gz");
        std::fs::write(&path, &gz).unwrap();
        let (members, r) = collect_reader(open(&path, Compression::Gzip).unwrap());
        r.unwrap();
        assert_eq!(members.len(), 1);
        // A cut gzip stream is an error, not a quiet end.
        std::fs::write(&path, &gz[..gz.len() / 2]).unwrap();
        let (_, r) = collect_reader(open(&path, Compression::Gzip).unwrap());
        assert!(r.is_err());
    }

    fn collect_reader(reader: impl Read) -> (Vec<Kept>, Result<(), ShardError>) {
        let mut members = vec![];
        let r = read_members(
            reader,
            |_| None,
            |m| {
                let content = match m.content {
                    MemberContent::Image(bytes) => Content::Image(bytes.to_vec()),
                    MemberContent::Signals(s) => panic!("{}: read as signals: {s:?}", m.name),
                    MemberContent::Unreadable(e) => Content::Unreadable(e),
                    MemberContent::Skipped(r) => Content::Skipped(r),
                };
                members.push(Kept {
                    name: m.name,
                    content,
                });
                ControlFlow::Continue(())
            },
        );
        (members, r)
    }
}
