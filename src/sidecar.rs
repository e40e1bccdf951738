//! XMP sidecar files next to an image. Two conventions exist and both are
//! read and updated: `IMG_0001.CR2.xmp` (darktable, digiKam) and
//! `IMG_0001.xmp` (Lightroom, Bridge, Camera Raw, Capture One, ExifTool's
//! `%f.xmp`). When none exists, ccsig creates `IMG_0001.xmp` for an image
//! it does not write itself (camera RAW: the name those tools look for)
//! and `photo.jpg.xmp` for a JPEG, PNG or WebP tagged with `--sidecar`
//! (`photo.xmp` would be shared by `photo.jpg` and `photo.png`); a
//! [`SidecarStyle`] chooses the other form.
//!
//! A RAW+JPEG pair (`IMG_0001.CR2` and `IMG_0001.JPG`) would share
//! `IMG_0001.xmp`. Lightroom writes that file for the RAW and puts the
//! JPEG's metadata inside the JPEG, so `IMG_0001.xmp` belongs to the RAW:
//! the JPEG neither reads it nor gets it as its new sidecar.

use std::collections::HashSet;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

pub use crate::container::MAX_SIDECAR_BYTES;

/// The sidecar paths an image may have, `photo.jpg.xmp` first.
pub fn candidates(image: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Some(name) = image.file_name() else {
        return out;
    };
    for ext in ["xmp", "XMP"] {
        let mut appended = name.to_os_string();
        appended.push(".");
        appended.push(ext);
        out.push(image.with_file_name(appended));
    }
    if image.extension().is_some() {
        for ext in ["xmp", "XMP"] {
            out.push(image.with_extension(ext));
        }
    }
    out
}

/// How a new sidecar is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SidecarStyle {
    /// `IMG_0001.xmp`, as Lightroom, Bridge, Camera Raw and Capture One
    /// write it (ExifTool's `%f.xmp`).
    Lightroom,
    /// `IMG_0001.CR2.xmp`, as darktable and digiKam write it.
    Darktable,
}

impl SidecarStyle {
    /// The style a new sidecar of an image gets unless told otherwise:
    /// [`SidecarStyle::Lightroom`] for an image ccsig does not write itself
    /// (camera RAW), [`SidecarStyle::Darktable`] for one it does.
    pub fn default_for(embeds: bool) -> SidecarStyle {
        if embeds {
            SidecarStyle::Darktable
        } else {
            SidecarStyle::Lightroom
        }
    }
}

/// A sidecar style that is neither `lightroom` nor `darktable`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a sidecar style (expected lightroom, for IMG_0001.xmp, or darktable, for IMG_0001.CR2.xmp)")]
pub struct UnknownSidecarStyle(pub String);

impl std::str::FromStr for SidecarStyle {
    type Err = UnknownSidecarStyle;

    /// `lightroom` (or `stem`) and `darktable` (or `appended`), as the
    /// CLI's `--sidecar-style` takes them.
    ///
    /// ```
    /// use ccsig::SidecarStyle;
    /// assert_eq!("darktable".parse(), Ok(SidecarStyle::Darktable));
    /// assert_eq!("stem".parse(), Ok(SidecarStyle::Lightroom));
    /// assert!("capture-one".parse::<SidecarStyle>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "lightroom" | "stem" => Ok(SidecarStyle::Lightroom),
            "darktable" | "appended" => Ok(SidecarStyle::Darktable),
            other => Err(UnknownSidecarStyle(other.to_string())),
        }
    }
}

/// The image another image's `stem.xmp` belongs to: a RAW (or other image
/// ccsig does not write) of the same stem in the same folder, when `image`
/// is not one itself.
pub fn stem_sidecar_owner(image: &Path) -> Option<PathBuf> {
    if crate::container::other_image_extension(image).is_some() {
        return None;
    }
    let stem = image.file_stem()?;
    let folder = match image.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::read_dir(folder)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| {
            p.file_stem().is_some_and(|s| s.eq_ignore_ascii_case(stem))
                && crate::container::other_image_extension(p).is_some()
                && p.is_file()
        })
}

/// The sidecars that exist next to an image (each file once, even on a
/// case-insensitive file system). In a RAW+JPEG pair, `IMG_0001.xmp` is the
/// RAW's, not the JPEG's.
pub fn existing(image: &Path) -> Vec<PathBuf> {
    existing_unless_owned(image, || stem_sidecar_owner(image).is_some())
}

/// [`existing`], with `stem_owned` saying whether another image owns
/// `stem.xmp` (asked once, and only when such a file exists).
fn existing_unless_owned(image: &Path, stem_owned: impl FnOnce() -> bool) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = Vec::new();
    let stem_form = |c: &Path| c.file_stem() == image.file_stem();
    let mut stem_owned = Some(stem_owned);
    for candidate in candidates(image) {
        if candidate.is_file() {
            if stem_form(&candidate) && stem_owned.take().is_some_and(|owned| owned()) {
                break;
            }
            let same = found.iter().any(|f| same_file(f, &candidate));
            if !same {
                found.push(candidate);
            }
        }
    }
    found
}

/// The sidecar-like names (`*.xmp` in any case) of one folder, and the
/// stems of its RAW files, from one listing of it. A batch that reads a
/// whole folder asks this rather than probing four names per image: an
/// image none of whose candidate names is listed has no sidecar, and costs
/// no system call; an image that may have one goes through the probes of
/// [`existing`], but learns from the listing whether a RAW owns its
/// `stem.xmp` (rather than listing the folder again), so both give the
/// same sidecars.
#[derive(Debug, Default)]
pub struct FolderSidecars {
    /// Lower-cased, so that a sidecar whose name differs from a candidate
    /// only in case (on a case-insensitive file system, `existing` finds
    /// it) is never missed.
    names: HashSet<String>,
    /// The stems (ASCII lower-cased, as [`stem_sidecar_owner`] compares
    /// them) of the files whose extension is a RAW's or another image's
    /// ccsig does not write.
    raw_stems: HashSet<String>,
}

impl FolderSidecars {
    /// Lists `folder` once.
    pub fn list(folder: &Path) -> io::Result<Self> {
        let mut listing = FolderSidecars::default();
        for entry in std::fs::read_dir(folder)? {
            let path = entry?.path();
            let Some(name) = path.file_name() else {
                continue;
            };
            let name = name.to_string_lossy().to_lowercase();
            if name.ends_with(".xmp") {
                listing.names.insert(name);
            } else if crate::container::other_image_extension(&path).is_some() && path.is_file() {
                if let Some(stem) = path.file_stem() {
                    listing
                        .raw_stems
                        .insert(stem.to_string_lossy().to_ascii_lowercase());
                }
            }
        }
        Ok(listing)
    }

    /// The sidecars of `image`, an image in the listed folder: what
    /// [`existing`] gives, without a system call when the listing holds
    /// none of its candidate names.
    pub fn existing(&self, image: &Path) -> Vec<PathBuf> {
        if self.names.is_empty() {
            return Vec::new();
        }
        let listed = candidates(image).iter().any(|c| {
            c.file_name()
                .is_some_and(|n| self.names.contains(&n.to_string_lossy().to_lowercase()))
        });
        if !listed {
            return Vec::new();
        }
        existing_unless_owned(image, || {
            crate::container::other_image_extension(image).is_none()
                && image.file_stem().is_some_and(|stem| {
                    self.raw_stems
                        .contains(&stem.to_string_lossy().to_ascii_lowercase())
                })
        })
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// How findings and notes name a sidecar: its file name.
pub fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Where ccsig creates a sidecar in `style` when there is none.
pub fn new_path(image: &Path, style: SidecarStyle) -> PathBuf {
    let mut names = candidates(image);
    match style {
        SidecarStyle::Darktable => names.swap_remove(0),
        SidecarStyle::Lightroom if names.len() > 2 => names.swap_remove(2),
        // No extension: only the appended form exists.
        SidecarStyle::Lightroom => names.swap_remove(0),
    }
}

/// Reads a sidecar, refusing anything too large to be a packet.
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_SIDECAR_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SIDECAR_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {MAX_SIDECAR_BYTES} bytes: not an XMP sidecar"),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_conventions_are_found_appended_first() {
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("photo.jpg");
        assert!(existing(&image).is_empty());
        std::fs::write(dir.path().join("photo.xmp"), "x").unwrap();
        std::fs::write(dir.path().join("photo.jpg.xmp"), "y").unwrap();
        let found = existing(&image);
        assert_eq!(found.len(), 2);
        assert!(found[0].ends_with("photo.jpg.xmp"));
        assert!(found[1].ends_with("photo.xmp"));
        assert!(new_path(&image, SidecarStyle::Darktable).ends_with("photo.jpg.xmp"));
        assert!(new_path(&image, SidecarStyle::Lightroom).ends_with("photo.xmp"));
    }

    #[test]
    fn in_a_raw_and_jpeg_pair_the_stem_sidecar_is_the_raws() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for name in [
            "IMG_0001.CR2",
            "IMG_0001.JPG",
            "IMG_0001.xmp",
            "IMG_0002.JPG",
            "IMG_0002.xmp",
        ] {
            std::fs::write(d.join(name), "x").unwrap();
        }
        let names = |image: &str| -> Vec<String> {
            existing(&d.join(image))
                .iter()
                .map(|p| display_name(p))
                .collect()
        };
        assert_eq!(names("IMG_0001.CR2"), ["IMG_0001.xmp"]);
        assert!(names("IMG_0001.JPG").is_empty());
        // Without a RAW beside it, the JPEG's stem sidecar is its own.
        assert_eq!(names("IMG_0002.JPG"), ["IMG_0002.xmp"]);
        assert_eq!(
            stem_sidecar_owner(&d.join("IMG_0001.JPG")),
            Some(d.join("IMG_0001.CR2"))
        );
        assert_eq!(stem_sidecar_owner(&d.join("IMG_0001.CR2")), None);
        let listing = FolderSidecars::list(d).unwrap();
        assert!(listing.existing(&d.join("IMG_0001.JPG")).is_empty());
    }

    #[test]
    fn a_folder_listing_finds_what_probing_finds() {
        let dir = tempfile::tempdir().unwrap();
        let names = [
            "a.jpg",
            "a.xmp",
            "b.png",
            "b.png.XMP",
            "c.webp",
            "d.jpg",
            "D.JPG.xmp",
            "e.jpg",
            "e.jpg.txt",
            "f.jpg",
            "f.xmp.jpg",
            // A RAW+JPEG pair: g.xmp is the RAW's.
            "g.CR2",
            "g.jpg",
            "g.xmp",
            "G.JPG.xmp",
        ];
        for name in names {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        // A folder named like a sidecar is not one.
        std::fs::create_dir(dir.path().join("c.webp.xmp")).unwrap();
        let listing = FolderSidecars::list(dir.path()).unwrap();
        for name in names {
            let image = dir.path().join(name);
            assert_eq!(listing.existing(&image), existing(&image), "{name}");
        }
        assert_eq!(listing.existing(&dir.path().join("a.jpg")).len(), 1);
        assert_eq!(listing.existing(&dir.path().join("b.png")).len(), 1);
        assert!(listing.existing(&dir.path().join("c.webp")).is_empty());
        assert!(listing.existing(&dir.path().join("e.jpg")).is_empty());
        assert!(listing.existing(&dir.path().join("g.jpg")).is_empty());
        assert_eq!(
            listing.existing(&dir.path().join("g.CR2")),
            [dir.path().join("g.xmp")]
        );
        assert!(FolderSidecars::list(&dir.path().join("missing")).is_err());
    }
}
