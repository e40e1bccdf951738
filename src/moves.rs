//! Moved files: a catalog row whose file is gone, matched to an image under
//! `--tree` that no row names by what an earlier audit recorded of the
//! row's file (its `xmpMM:InstanceID`, which a rename keeps, or its
//! image-data digest). A match is one `moved` finding on the new path, and
//! a `sed` line that repairs the catalog's row.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::audit::{Finding, FindingKind};
use crate::inspect::FileSignals;
use crate::manifest::Row;
use crate::signal::Severity;

/// Why an earlier audit cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum EarlierAuditError {
    /// The file cannot be read.
    #[error("{}: {source}", .path.display())]
    Open {
        /// The audit as named.
        path: std::path::PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// The file is not a complete audit in JSON or JSON Lines (`check
    /// --all --format json|jsonl`, schema `ccsig/3`).
    #[error("{}: not a ccsig/3 audit in JSON or JSON Lines (check --all --format jsonl): {reason}", .path.display())]
    NotAnAudit {
        /// The audit as named.
        path: std::path::PathBuf,
        /// What did not parse.
        reason: String,
    },
}

/// What identifies a file across a rename, as a complete audit records it
/// for each file (`instance_id`, `image_digest`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// `xmpMM:InstanceID` (a rename keeps it).
    pub instance_id: Option<String>,
    /// The MD5 of the image data, hex, when it was computed
    /// (`check --copies-by-content`, or to match moved files).
    pub image_digest: Option<String>,
}

impl Identity {
    /// The identity of a file read (`signals`, `None` when it could not
    /// be), with its image-data digest when one was computed.
    ///
    /// ```
    /// let signals = ccsig::read_path("sample-images/jpeg/plain.jpg".as_ref()).unwrap();
    /// let identity = ccsig::moves::Identity::of(Some(&signals), Some([0xab; 16]));
    /// assert_eq!(identity.instance_id, None);
    /// assert_eq!(identity.image_digest.as_deref(), Some("abababababababababababababababab"));
    /// ```
    pub fn of(signals: Option<&FileSignals>, image_digest: Option<[u8; 16]>) -> Self {
        Identity {
            instance_id: signals
                .and_then(|s| s.xmp.as_ref())
                .and_then(|x| x.instance_id.clone()),
            image_digest: image_digest.as_ref().map(crate::inspect::digest_hex),
        }
    }
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    record: Option<String>,
    path: String,
    #[serde(flatten)]
    identity: Identity,
}

#[derive(Deserialize)]
struct Whole {
    files: Vec<Entry>,
}

/// The identities an earlier complete audit recorded, by path.
#[derive(Debug, Clone, Default)]
pub struct EarlierAudit {
    by_path: HashMap<String, Identity>,
}

impl EarlierAudit {
    /// Reads an audit written by `check --all --format json` or `jsonl`.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let audit = dir.path().join("audit.jsonl");
    /// std::fs::write(&audit, concat!(
    ///     r#"{"schema":"ccsig/3","record":"header"}"#, "\n",
    ///     r#"{"schema":"ccsig/3","record":"file","path":"a.jpg","instance_id":"xmp.iid:1"}"#, "\n",
    /// )).unwrap();
    /// let earlier = ccsig::moves::EarlierAudit::read(&audit).unwrap();
    /// assert_eq!(earlier.identity("a.jpg").unwrap().instance_id.as_deref(), Some("xmp.iid:1"));
    /// ```
    ///
    /// # Errors
    /// When the file cannot be read or is not such an audit.
    pub fn read(path: &Path) -> Result<Self, EarlierAuditError> {
        let text = std::fs::read_to_string(path).map_err(|source| EarlierAuditError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let not_an_audit = |reason: String| EarlierAuditError::NotAnAudit {
            path: path.to_path_buf(),
            reason,
        };
        let entries: Vec<Entry> = if let Ok(whole) = serde_json::from_str::<Whole>(&text) {
            whole.files
        } else {
            let mut entries = Vec::new();
            for (i, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                let value: serde_json::Value = serde_json::from_str(line)
                    .map_err(|e| not_an_audit(format!("line {}: {e}", i + 1)))?;
                if value.get("record").and_then(|r| r.as_str()) == Some("file") {
                    entries.push(
                        serde_json::from_value(value)
                            .map_err(|e| not_an_audit(format!("line {}: {e}", i + 1)))?,
                    );
                }
            }
            entries
        };
        if entries.is_empty() && !text.contains("\"ccsig/3\"") {
            return Err(not_an_audit("no ccsig/3 record".into()));
        }
        let by_path = entries
            .into_iter()
            .filter(|e| e.record.as_deref().is_none_or(|r| r == "file"))
            .map(|e| (e.path, e.identity))
            .collect();
        Ok(EarlierAudit { by_path })
    }

    /// Whether the audit recorded image-data digests (it was run with
    /// `--copies-by-content`): then images no row names are digested too.
    pub fn has_digests(&self) -> bool {
        self.by_path.values().any(|i| i.image_digest.is_some())
    }

    /// What the audit recorded of the file at `path` (as it showed it).
    pub fn identity(&self, path: &str) -> Option<&Identity> {
        self.by_path.get(path)
    }
}

/// How a missing row's file was recognised under its new path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    /// The same `xmpMM:InstanceID`.
    InstanceId,
    /// The same image data.
    ImageData,
}

impl MatchedBy {
    fn field(self) -> &'static str {
        match self {
            MatchedBy::InstanceId => "XMP xmpMM:InstanceID",
            MatchedBy::ImageData => "image data MD5",
        }
    }
}

/// Which candidate (an image no row names, with its identity now) is the
/// missing row's file, by what the earlier audit recorded of it: one
/// candidate only, else none (two files with one InstanceID are copies,
/// not a move).
///
/// ```
/// use ccsig::moves::{find_move, Identity, MatchedBy};
/// let was = Identity { instance_id: Some("iid:1".into()), image_digest: None };
/// let now = [
///     Identity { instance_id: Some("iid:2".into()), image_digest: None },
///     Identity { instance_id: Some("iid:1".into()), image_digest: None },
/// ];
/// assert_eq!(find_move(&was, now.iter()), Some((1, MatchedBy::InstanceId)));
/// ```
pub fn find_move<'a>(
    was: &Identity,
    candidates: impl Iterator<Item = &'a Identity> + Clone,
) -> Option<(usize, MatchedBy)> {
    let unique = |by: MatchedBy, same: &dyn Fn(&Identity) -> bool| {
        let mut found = candidates.clone().enumerate().filter(|(_, c)| same(c));
        match (found.next(), found.next()) {
            (Some((i, _)), None) => Some((i, by)),
            _ => None,
        }
    };
    let by_id = was.instance_id.as_ref().and_then(|id| {
        unique(MatchedBy::InstanceId, &|c| {
            c.instance_id.as_ref() == Some(id)
        })
    });
    by_id.or_else(|| {
        was.image_digest.as_ref().and_then(|d| {
            unique(MatchedBy::ImageData, &|c| {
                c.image_digest.as_ref() == Some(d)
            })
        })
    })
}

/// The `moved` finding on the new path of `row`'s file.
///
/// ```
/// let csv = "path,signal,use,credit_name,credit_url\nold/a.jpg,cc-cr,train-ai,,\n";
/// let (m, _) = ccsig::manifest::parse_partly(csv.as_bytes(), "/cat".as_ref(),
///     ccsig::manifest::Files::MayBeMissing).unwrap();
/// let f = ccsig::moves::moved(&m.rows[0], ccsig::moves::MatchedBy::InstanceId);
/// assert_eq!(f.kind, ccsig::FindingKind::Moved);
/// assert!(f.message.contains("/cat/old/a.jpg"), "{}", f.message);
/// ```
pub fn moved(row: &Row, by: MatchedBy) -> Finding {
    Finding::new(
        FindingKind::Moved,
        Severity::Warning,
        vec![by.field().into()],
        format!(
            "the catalog's row (line {}) names {}, which is gone; this is that file (same {}): \
             moved or renamed. Its row is checked against it here",
            row.line,
            row.path.display(),
            by.field()
        ),
    )
}

/// A `sed` command that points `row` at `new_path` in the catalog
/// (relative to the catalog's folder where the new path is under it),
/// changing nothing else on the line.
///
/// ```
/// let csv = "path,signal,use,credit_name,credit_url\nold/a.jpg,cc-cr,train-ai,,\n";
/// let (m, _) = ccsig::manifest::parse_partly(csv.as_bytes(), "/cat".as_ref(),
///     ccsig::manifest::Files::MayBeMissing).unwrap();
/// let line = ccsig::moves::sed_line(&m.rows[0], "/cat/new/a.jpg".as_ref(), "/cat/c.csv".as_ref());
/// assert_eq!(line, "sed -i -e '2s|old/a\\.jpg|new/a.jpg|' /cat/c.csv");
/// ```
pub fn sed_line(row: &Row, new_path: &Path, catalog: &Path) -> String {
    let folder = catalog.parent().unwrap_or(Path::new(""));
    let relative = new_path
        .strip_prefix(folder)
        .ok()
        .filter(|_| !folder.as_os_str().is_empty() || new_path.is_relative());
    let cell = relative.unwrap_or(new_path).display().to_string();
    let quote = |s: &str| s.replace('\'', r"'\''");
    let pattern: String = row
        .path_cell
        .chars()
        .flat_map(|c| match c {
            '.' | '*' | '[' | ']' | '^' | '$' | '\\' | '|' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let replacement = cell
        .replace('\\', r"\\")
        .replace('&', r"\&")
        .replace('|', r"\|");
    format!(
        "sed -i -e '{}s|{}|{}|' {}",
        row.line,
        quote(&pattern),
        quote(&replacement),
        crate::report::ledger::shell_word(&catalog.display().to_string())
    )
}
