//! Finding the files to work on: every path given, folders walked
//! recursively in a stable order.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::atomic::is_temp_name;

/// One entry of a walk: a file to process, or a path that could not be read.
#[derive(Debug)]
pub enum Entry {
    File {
        path: PathBuf,
        /// Named on the command line (rather than found in a folder): such
        /// a file is reported even when it is not an image.
        explicit: bool,
    },
    Error {
        path: PathBuf,
        message: String,
    },
}

/// Extensions of the formats ccsig handles. A file found in a folder with
/// one of these that does not hold such an image is reported as unreadable;
/// any other non-image file in a folder is passed over quietly.
pub const IMAGE_EXTENSIONS: &[&str] = &["jpg", "jpeg", "jpe", "jfif", "png", "webp"];

pub fn has_image_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// Walks `roots` lazily, in order: files as given, folders sorted by name.
pub fn walk(roots: &[PathBuf]) -> impl Iterator<Item = Entry> + '_ {
    roots.iter().flat_map(|root| {
        let explicit_file = root.is_file();
        WalkDir::new(root)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_map(move |e| match e {
                Ok(e) if e.file_type().is_dir() => None,
                Ok(e) if explicit_file => Some(Entry::File {
                    path: e.into_path(),
                    explicit: true,
                }),
                Ok(e) if e.file_type().is_file() && !is_temp_name(e.path()) => Some(Entry::File {
                    path: e.into_path(),
                    explicit: false,
                }),
                Ok(_) => None,
                Err(err) => Some(Entry::Error {
                    path: err.path().unwrap_or(root).to_path_buf(),
                    message: match err.io_error() {
                        Some(io) => io.to_string(),
                        None => err.to_string(),
                    },
                }),
            })
    })
}
