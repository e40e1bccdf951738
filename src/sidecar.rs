//! XMP sidecar files next to an image. Two conventions exist and both are
//! read: `photo.jpg.xmp` (darktable, digiKam) and `photo.xmp` (Lightroom,
//! Capture One, ExifTool's `%f.xmp`). ccsig creates `photo.jpg.xmp` when
//! asked for a sidecar and none exists: `photo.xmp` would be shared by
//! `photo.jpg` and `photo.png` in the same folder.

use std::collections::HashSet;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Sidecars larger than this are not XMP packets ccsig will load.
pub const MAX_SIDECAR_BYTES: u64 = 16 * 1024 * 1024;

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

/// The sidecars that exist next to an image (each file once, even on a
/// case-insensitive file system).
pub fn existing(image: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = Vec::new();
    for candidate in candidates(image) {
        if candidate.is_file() {
            let same = found.iter().any(|f| same_file(f, &candidate));
            if !same {
                found.push(candidate);
            }
        }
    }
    found
}

/// The sidecar-like names (`*.xmp` in any case) of one folder, from one
/// listing of it. A batch that reads a whole folder asks this rather than
/// probing four names per image: an image none of whose candidate names is
/// listed has no sidecar, and costs no system call; an image that may have
/// one goes through [`existing`], so both give the same sidecars.
#[derive(Debug, Default)]
pub struct FolderSidecars {
    /// Lower-cased, so that a sidecar whose name differs from a candidate
    /// only in case (on a case-insensitive file system, `existing` finds
    /// it) is never missed.
    names: HashSet<String>,
}

impl FolderSidecars {
    /// Lists `folder` once.
    pub fn list(folder: &Path) -> io::Result<Self> {
        let mut names = HashSet::new();
        for entry in std::fs::read_dir(folder)? {
            let name = entry?.file_name();
            let name = name.to_string_lossy().to_lowercase();
            if name.ends_with(".xmp") {
                names.insert(name);
            }
        }
        Ok(FolderSidecars { names })
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
        if listed {
            existing(image)
        } else {
            Vec::new()
        }
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

/// Where ccsig creates a sidecar when there is none.
pub fn default_for(image: &Path) -> PathBuf {
    candidates(image).remove(0)
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
        assert!(default_for(&image).ends_with("photo.jpg.xmp"));
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
        assert!(FolderSidecars::list(&dir.path().join("missing")).is_err());
    }
}
