//! Finding the files to work on: every path given, folders walked
//! recursively in a stable order. Hidden files and folders are passed over
//! unless asked for (as `exiftool -r` and `fd` do), symbolic links are not
//! followed unless asked for, `--exclude` globs pass over what they match,
//! and XMP sidecars are never inputs of their own (they are read, written
//! and removed with their image). Whatever is passed over is reported as
//! [`Entry::Skipped`], so every input is accounted for.

use std::fmt;
use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use walkdir::WalkDir;

use super::atomic::is_temp_name;

/// One entry of a walk: a file to process, a path passed over, or a path
/// that could not be read.
#[derive(Debug)]
pub enum Entry {
    /// A file to process (not yet known to be an image).
    File {
        /// The file, as given or joined onto the folder it was found in.
        path: PathBuf,
        /// Named on the command line (rather than found in a folder): such
        /// a file is reported even when it is not an image.
        explicit: bool,
    },
    /// A path that could not be read: a root that does not exist, a folder
    /// that cannot be listed.
    Error {
        /// The path that could not be read.
        path: PathBuf,
        /// Why, for people.
        message: String,
    },
    /// Passed over by the walk (hidden, excluded, a link not followed).
    Skipped {
        /// The path passed over.
        path: PathBuf,
        /// Why it was passed over.
        reason: SkipReason,
    },
}

/// How folders are walked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WalkOptions {
    /// Also walk hidden files and folders (names starting with `.`).
    pub hidden: bool,
    /// Follow symbolic links found in folders (links named as roots are
    /// always followed).
    pub follow_links: bool,
    /// Globs of paths to pass over (`*.raw`, `cache`, `data/tmp/**`): each is
    /// matched against the file or folder name and against the whole path.
    pub exclude: Vec<String>,
}

impl WalkOptions {
    /// The exclude globs, compiled (`*` also crosses `/`).
    ///
    /// ```
    /// use ccsig::batch::walk::{is_excluded, WalkOptions};
    /// let options = WalkOptions { exclude: vec!["cache".into(), "*.raw".into()], ..Default::default() };
    /// let globs = options.exclude_set().unwrap();
    /// assert!(is_excluded(&globs, "photos/cache".as_ref()));
    /// assert!(is_excluded(&globs, "photos/2024/a.raw".as_ref()));
    /// assert!(!is_excluded(&globs, "photos/a.jpg".as_ref()));
    /// let bad = WalkOptions { exclude: vec!["[".into()], ..Default::default() };
    /// assert!(bad.exclude_set().is_err());
    /// ```
    pub fn exclude_set(&self) -> Result<GlobSet, globset::Error> {
        let mut set = GlobSetBuilder::new();
        for pattern in &self.exclude {
            set.add(GlobBuilder::new(pattern).literal_separator(false).build()?);
        }
        set.build()
    }
}

/// Extensions of the formats ccsig handles. A file found in a folder with
/// one of these that does not hold such an image is reported as unreadable;
/// any other non-image file in a folder is passed over.
pub const IMAGE_EXTENSIONS: &[&str] = &["jpg", "jpeg", "jpe", "jfif", "png", "webp"];

/// Whether the file name ends in one of [`IMAGE_EXTENSIONS`] (any case).
///
/// ```
/// use ccsig::batch::walk::has_image_extension;
/// assert!(has_image_extension("a/Photo.JPG".as_ref()));
/// assert!(!has_image_extension("a/photo.jpg.xmp".as_ref()));
/// ```
pub fn has_image_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// An XMP sidecar (`photo.jpg.xmp`, `photo.xmp`): part of its image, never
/// an input of its own.
///
/// ```
/// use ccsig::batch::walk::is_sidecar;
/// assert!(is_sidecar("photo.jpg.xmp".as_ref()));
/// assert!(is_sidecar("photo.XMP".as_ref()));
/// assert!(!is_sidecar("photo.jpg".as_ref()));
/// ```
pub fn is_sidecar(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xmp"))
}

/// Whether a file or folder name is hidden (starts with `.`).
///
/// ```
/// use ccsig::batch::walk::is_hidden_name;
/// assert!(is_hidden_name(".cache"));
/// assert!(!is_hidden_name("..") && !is_hidden_name("photo.jpg"));
/// ```
pub fn is_hidden_name(name: &str) -> bool {
    name.starts_with('.') && name != "." && name != ".."
}

/// Whether `path` matches one of the exclude globs, by name or whole path.
///
/// ```
/// use ccsig::batch::walk::{is_excluded, WalkOptions};
/// let none = WalkOptions::default().exclude_set().unwrap();
/// assert!(!is_excluded(&none, "anything".as_ref()));
/// let tmp = WalkOptions { exclude: vec!["data/tmp/**".into()], ..Default::default() };
/// assert!(is_excluded(&tmp.exclude_set().unwrap(), "data/tmp/x/a.jpg".as_ref()));
/// ```
pub fn is_excluded(globs: &GlobSet, path: &Path) -> bool {
    !globs.is_empty()
        && (globs.is_match(path) || path.file_name().is_some_and(|n| globs.is_match(n)))
}

/// Walks `roots` lazily with the default options (hidden files passed
/// over, links not followed, nothing excluded).
///
/// ```
/// use ccsig::batch::walk::{walk, Entry};
/// let roots = ["sample-images/png".into(), "no/such/file.jpg".into()];
/// let entries: Vec<Entry> = walk(&roots).collect();
/// assert!(entries.iter().any(|e| matches!(e, Entry::File { path, .. } if path.ends_with("plain.png"))));
/// assert!(matches!(entries.last(), Some(Entry::Error { .. })));
/// ```
pub fn walk(roots: &[PathBuf]) -> impl Iterator<Item = Entry> + '_ {
    Walk::new(
        roots.iter().cloned(),
        &WalkOptions::default(),
        GlobSet::empty(),
    )
}

/// Walks `roots` lazily, in order: files as given, folders sorted by name.
///
/// ```
/// use ccsig::batch::walk::{walk_with, Entry, WalkOptions};
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("b.jpg"), b"").unwrap();
/// std::fs::write(dir.path().join("a.jpg"), b"").unwrap();
/// std::fs::write(dir.path().join(".hidden.jpg"), b"").unwrap();
///
/// let files = |options: &WalkOptions| -> Vec<String> {
///     walk_with([dir.path().to_path_buf()], options)
///         .unwrap()
///         .filter_map(|entry| match entry {
///             Entry::File { path, .. } => Some(path.file_name()?.to_str()?.to_string()),
///             _ => None,
///         })
///         .collect()
/// };
/// assert_eq!(files(&WalkOptions::default()), ["a.jpg", "b.jpg"]);
/// let hidden = WalkOptions { hidden: true, ..Default::default() };
/// assert_eq!(files(&hidden), [".hidden.jpg", "a.jpg", "b.jpg"]);
/// ```
pub fn walk_with<I: IntoIterator<Item = PathBuf>>(
    roots: I,
    options: &WalkOptions,
) -> Result<impl Iterator<Item = Entry>, globset::Error> {
    Ok(Walk::new(
        roots.into_iter(),
        options,
        options.exclude_set()?,
    ))
}

struct Walk<I> {
    roots: I,
    current: Option<(PathBuf, walkdir::IntoIter)>,
    hidden: bool,
    follow_links: bool,
    exclude: GlobSet,
}

impl<I: Iterator<Item = PathBuf>> Walk<I> {
    fn new(roots: I, options: &WalkOptions, exclude: GlobSet) -> Self {
        Walk {
            roots,
            current: None,
            hidden: options.hidden,
            follow_links: options.follow_links,
            exclude,
        }
    }

    /// What to make of one entry found under a root; `None` to go on.
    fn entry(&mut self, e: walkdir::DirEntry) -> Option<Entry> {
        let (_, walker) = self.current.as_mut()?;
        let is_dir = e.file_type().is_dir();
        if e.depth() == 0 {
            return if is_dir {
                None
            } else if is_excluded(&self.exclude, e.path()) {
                Some(skipped(e, SkipReason::Excluded))
            } else {
                Some(Entry::File {
                    path: e.into_path(),
                    explicit: true,
                })
            };
        }
        let reason = if !is_dir && is_temp_name(e.path()) {
            Some(SkipReason::CcsigTemporary)
        } else if !self.hidden && e.file_name().to_str().is_some_and(is_hidden_name) {
            Some(SkipReason::Hidden)
        } else if is_excluded(&self.exclude, e.path()) {
            Some(SkipReason::Excluded)
        } else {
            None
        };
        if let Some(reason) = reason {
            if is_dir {
                walker.skip_current_dir();
            }
            return Some(skipped(e, reason));
        }
        let kind = e.file_type();
        if is_dir || is_sidecar(e.path()) {
            None
        } else if kind.is_symlink() {
            Some(skipped(e, SkipReason::Symlink))
        } else if kind.is_file() {
            Some(Entry::File {
                path: e.into_path(),
                explicit: false,
            })
        } else {
            // A FIFO, socket or device found in a folder.
            Some(skipped(e, SkipReason::NotAnImage))
        }
    }
}

fn skipped(e: walkdir::DirEntry, reason: SkipReason) -> Entry {
    Entry::Skipped {
        path: e.into_path(),
        reason,
    }
}

impl<I: Iterator<Item = PathBuf>> Iterator for Walk<I> {
    type Item = Entry;

    fn next(&mut self) -> Option<Entry> {
        loop {
            let Some((root, walker)) = self.current.as_mut() else {
                let root = self.roots.next()?;
                let walker = WalkDir::new(&root)
                    .follow_links(self.follow_links)
                    .sort_by_file_name()
                    .into_iter();
                self.current = Some((root, walker));
                continue;
            };
            match walker.next() {
                None => self.current = None,
                Some(Ok(e)) => {
                    if let Some(entry) = self.entry(e) {
                        return Some(entry);
                    }
                }
                Some(Err(err)) => {
                    return Some(Entry::Error {
                        path: err.path().unwrap_or(root).to_path_buf(),
                        message: match err.io_error() {
                            Some(io) => io.to_string(),
                            None => err.to_string(),
                        },
                    })
                }
            }
        }
    }
}

/// Why an input was passed over rather than read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkipReason {
    /// Not an image (`.json`, `.txt`, a README ...).
    NotAnImage,
    /// An image in a format ccsig does not read, recognised by its bytes
    /// or its extension (`GIF`, `TIFF`, `HEIF`, `Nikon NEF` ...).
    Unsupported(String),
    /// A symbolic link found in a folder, not followed.
    Symlink,
    /// A hidden file or folder (its name starts with `.`).
    Hidden,
    /// Matched an exclude glob.
    Excluded,
    /// A temporary file of ccsig's own (`.ccsig-*.tmp`): a write in
    /// progress, or left by a ccsig that was killed (`check` reports those).
    CcsigTemporary,
}

impl SkipReason {
    /// A short stable name for counting: `not-an-image`, `unsupported`,
    /// `symlink`, `hidden`, `excluded`, `ccsig-temporary`.
    ///
    /// ```
    /// use ccsig::SkipReason;
    /// let gif = SkipReason::Unsupported("GIF".into());
    /// assert_eq!(gif.kind(), "unsupported");
    /// assert_eq!(gif.to_string(), "unsupported format (GIF)");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            SkipReason::NotAnImage => "not-an-image",
            SkipReason::Unsupported(_) => "unsupported",
            SkipReason::Symlink => "symlink",
            SkipReason::Hidden => "hidden",
            SkipReason::Excluded => "excluded",
            SkipReason::CcsigTemporary => "ccsig-temporary",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::NotAnImage => f.write_str("not an image"),
            SkipReason::Unsupported(format) => write!(f, "unsupported format ({format})"),
            SkipReason::Symlink => f.write_str("symlink not followed"),
            SkipReason::Hidden => f.write_str("hidden"),
            SkipReason::Excluded => f.write_str("excluded"),
            SkipReason::CcsigTemporary => f.write_str("ccsig temporary file"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(entries: impl Iterator<Item = Entry>, base: &Path) -> Vec<String> {
        entries
            .map(|e| match e {
                Entry::File { path, .. } => {
                    format!("file {}", path.strip_prefix(base).unwrap().display())
                }
                Entry::Skipped { path, reason } => format!(
                    "skipped {} ({reason})",
                    path.strip_prefix(base).unwrap().display()
                ),
                Entry::Error { path, message } => format!("error {} {message}", path.display()),
            })
            .collect()
    }

    #[test]
    fn hidden_excluded_links_and_sidecars() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in [
            "a.jpg",
            "a.jpg.xmp",
            ".hidden.jpg",
            ".cache/x.jpg",
            "raw/b.jpg",
            "sub/c.json",
        ] {
            let p = d.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"x").unwrap();
        }
        std::os::unix::fs::symlink(d.join("a.jpg"), d.join("link.jpg")).unwrap();
        let opts = WalkOptions {
            exclude: vec!["raw".into()],
            ..WalkOptions::default()
        };
        let got = names(walk_with([d.to_path_buf()], &opts).unwrap(), d);
        assert_eq!(
            got,
            [
                "skipped .cache (hidden)",
                "skipped .hidden.jpg (hidden)",
                "file a.jpg",
                "skipped link.jpg (symlink not followed)",
                "skipped raw (excluded)",
                "file sub/c.json",
            ]
        );
        let opts = WalkOptions {
            hidden: true,
            follow_links: true,
            exclude: vec!["*.json".into()],
        };
        let got = names(walk_with([d.to_path_buf()], &opts).unwrap(), d);
        assert_eq!(
            got,
            [
                "file .cache/x.jpg",
                "file .hidden.jpg",
                "file a.jpg",
                "file link.jpg",
                "file raw/b.jpg",
                "skipped sub/c.json (excluded)",
            ]
        );
        // A file named as a root is taken even when hidden.
        let got = names(walk_with([d.join(".hidden.jpg")], &opts).unwrap(), d);
        assert_eq!(got, ["file .hidden.jpg"]);
        assert!(WalkOptions {
            exclude: vec!["[".into()],
            ..Default::default()
        }
        .exclude_set()
        .is_err());
    }
}
