//! Images in formats ccsig does not read (HEIF, camera RAW,
//! GIF ...), recognised by their first bytes or, when those say nothing,
//! by their name: such a file is an image to account for (a pipeline gets
//! an `unsupported` answer for it), never a file to pass over in silence.

use std::path::Path;

/// Names the image format of `head` (a file's first 16 bytes or more) when
/// it is one ccsig does not read, so that it is reported as an unsupported
/// image rather than as something that is not an image at all.
///
/// ```
/// use ccsig::tree::unsupported_format;
/// assert_eq!(unsupported_format(b"GIF89a..."), Some("GIF"));
/// assert_eq!(unsupported_format(b"\0\0\0\x18ftypheic"), Some("HEIF"));
/// assert_eq!(unsupported_format(b"FUJIFILMCCD-RAW 0201"), Some("Fujifilm RAF"));
/// assert_eq!(unsupported_format(b"\xFF\xD8\xFF\xE0"), None); // JPEG is read
/// ```
pub fn unsupported_format(head: &[u8]) -> Option<&'static str> {
    let brand = head
        .get(4..8)
        .filter(|b| *b == b"ftyp")
        .and(head.get(8..12));
    Some(match head {
        _ if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") => "GIF",
        // TIFF-based camera RAW with a signature of its own, before TIFF.
        _ if head.starts_with(b"IIU\0") => "Panasonic RW2",
        _ if head.starts_with(b"IIRO")
            || head.starts_with(b"IIRS")
            || head.starts_with(b"MMOR") =>
        {
            "Olympus ORF"
        }
        _ if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") => "TIFF",
        _ if head.starts_with(b"II+\0") || head.starts_with(b"MM\0+") => "BigTIFF",
        _ if head.starts_with(b"FUJIFILMCCD-RAW") => "Fujifilm RAF",
        _ if head.starts_with(b"II\x1a\0\0\0HEAPCCDR") => "Canon CRW",
        _ if head.starts_with(b"FOVb") => "Sigma X3F",
        _ if head.starts_with(b"BM") && head.get(6..10) == Some(&[0; 4]) => "BMP",
        _ if head.starts_with(b"8BPS") => "PSD",
        _ if head.starts_with(b"\0\0\0\x0cjP  \r\n\x87\n") => "JPEG 2000",
        _ if head.starts_with(b"\0\0\x01\0") && head.len() >= 6 && head[4] != 0 => "ICO",
        _ if head.starts_with(b"qoif") => "QOI",
        _ => match brand {
            Some(b"avif" | b"avis") => "AVIF",
            Some(b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1") => {
                "HEIF"
            }
            Some(b"crx ") => "Canon CR3",
            _ => return None,
        },
    })
}

/// Extensions of images in formats ccsig does not read, with the format
/// each names: such a file is an image to account for (a pipeline gets an
/// `unsupported` decision for it), not a file to pass over in silence.
pub const OTHER_IMAGE_EXTENSIONS: &[(&str, &str)] = &[
    ("heic", "HEIF"),
    ("heif", "HEIF"),
    ("hif", "HEIF"),
    ("avif", "AVIF"),
    ("tif", "TIFF"),
    ("tiff", "TIFF"),
    ("dng", "DNG"),
    ("cr2", "Canon CR2"),
    ("cr3", "Canon CR3"),
    ("crw", "Canon CRW"),
    ("nef", "Nikon NEF"),
    ("nrw", "Nikon NRW"),
    ("arw", "Sony ARW"),
    ("srf", "Sony SRF"),
    ("sr2", "Sony SR2"),
    ("raf", "Fujifilm RAF"),
    ("rw2", "Panasonic RW2"),
    ("rwl", "Leica RWL"),
    ("orf", "Olympus ORF"),
    ("pef", "Pentax PEF"),
    ("srw", "Samsung SRW"),
    ("x3f", "Sigma X3F"),
    ("3fr", "Hasselblad 3FR"),
    ("iiq", "Phase One IIQ"),
    ("erf", "Epson ERF"),
    ("mef", "Mamiya MEF"),
    ("mos", "Leaf MOS"),
    ("mrw", "Minolta MRW"),
    ("dcr", "Kodak DCR"),
    ("kdc", "Kodak KDC"),
    ("jxl", "JPEG XL"),
    ("gif", "GIF"),
    ("bmp", "BMP"),
    ("psd", "PSD"),
    ("psb", "PSD"),
    ("jp2", "JPEG 2000"),
    ("j2k", "JPEG 2000"),
    ("jpf", "JPEG 2000"),
    ("jxr", "JPEG XR"),
    ("ico", "ICO"),
    ("qoi", "QOI"),
    ("tga", "TGA"),
    ("exr", "OpenEXR"),
];

/// The format an [`OTHER_IMAGE_EXTENSIONS`] extension names (any case).
///
/// ```
/// use ccsig::internals::container::other_image_extension;
/// assert_eq!(other_image_extension("DSC_0001.NEF".as_ref()), Some("Nikon NEF"));
/// assert_eq!(other_image_extension("photo.jpg".as_ref()), None);
/// assert_eq!(other_image_extension("000001.json".as_ref()), None);
/// ```
pub fn other_image_extension(path: &Path) -> Option<&'static str> {
    let extension = path.extension()?.to_str()?;
    OTHER_IMAGE_EXTENSIONS
        .iter()
        .find(|(x, _)| x.eq_ignore_ascii_case(extension))
        .map(|(_, format)| *format)
}

/// The format to name for an image ccsig does not read: what its bytes say
/// (`by_bytes`), except that a TIFF-based camera RAW (NEF, CR2, ARW, DNG
/// ...) is named by its extension; by its extension when its bytes say
/// nothing.
pub fn unsupported_name(by_bytes: Option<&'static str>, path: &Path) -> Option<&'static str> {
    match (by_bytes, other_image_extension(path)) {
        (Some("TIFF"), Some(by_name)) => Some(by_name),
        (Some(by_bytes), _) => Some(by_bytes),
        (None, by_name) => by_name,
    }
}
