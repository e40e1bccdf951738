//! Writing and removing a signal in one file: what to change (a plan made
//! from the file's signals), producing the new file, and validating it
//! before it replaces the old one. Works on paths (atomically) and on byte
//! buffers (for pipelines that hold files in memory).

use std::fs::File;
use std::io::{Cursor, Read, Seek, Write};
use std::path::Path;

use serde::Serialize;

use crate::batch::atomic::{self, AtomicError, Fingerprint};
use crate::container::{self, ContainerError, Layout, XmpEdit};
use crate::inspect::{self, FileSignals, ReadError};
use crate::mapping::{xmp, MappingError, Tag};
use crate::signal::{self, Severity, SignalCode};

/// What the user asks `apply` to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyRequest {
    pub expression: String,
    pub signal: Option<SignalCode>,
    pub credit_name: Option<String>,
    pub credit_url: Option<String>,
}

/// Why a request cannot be written at all (a usage error, not a file error).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RequestError {
    #[error("{0:?} is not a current usage category (current: {1})")]
    NotCurrentLabel(String, String),
    #[error("expression {expression:?} is not fit to write: {reason}")]
    BadExpression { expression: String, reason: String },
}

impl ApplyRequest {
    /// `<use>=n;exceptions=<signal>`: AI use `use` is disallowed unless the
    /// terms of `signal` are met.
    pub fn from_signal(signal: SignalCode, use_label: &str) -> Result<Self, RequestError> {
        let info = signal::vocabulary::lookup(use_label).filter(|l| l.current);
        if info.is_none() {
            let current: Vec<&str> = signal::vocabulary::current_labels().collect();
            return Err(RequestError::NotCurrentLabel(
                use_label.to_string(),
                current.join(", "),
            ));
        }
        Ok(ApplyRequest {
            expression: format!("{use_label}=n;exceptions={}", signal.code()),
            signal: Some(signal),
            credit_name: None,
            credit_url: None,
        })
    }

    /// Any expression that parses without errors, written exactly as given.
    pub fn from_expression(raw: &str) -> Result<Self, RequestError> {
        let expression = raw.trim().to_string();
        let statement = signal::parse(&expression);
        let errors: Vec<String> = statement
            .diagnostics()
            .iter()
            .filter(|d| d.severity() == Severity::Error)
            .map(|d| d.to_string())
            .collect();
        if !statement.parsed || !errors.is_empty() || statement.members.is_empty() {
            let reason = if statement.members.is_empty() && errors.is_empty() {
                "it states no preference".to_string()
            } else {
                errors.join("; ")
            };
            return Err(RequestError::BadExpression { expression, reason });
        }
        let mut signals = statement
            .members
            .iter()
            .flat_map(|m| m.exceptions.iter().copied());
        let signal = signals.next();
        Ok(ApplyRequest {
            expression,
            signal,
            credit_name: None,
            credit_url: None,
        })
    }

    pub fn with_credit(mut self, name: Option<String>, url: Option<String>) -> Self {
        self.credit_name = name;
        self.credit_url = url;
        self
    }
}

/// Options for every write.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions {
    /// Decide and report, but write nothing.
    pub dry_run: bool,
    /// Rewrite files that carry C2PA Content Credentials (which breaks
    /// their signature's hard binding).
    pub allow_breaking_c2pa: bool,
}

/// What happened to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Written,
    WouldWrite,
    Unchanged,
}

/// Something worth telling the user about one file's write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub severity: Severity,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub change: Change,
    pub notes: Vec<Note>,
}

/// Why a file was not written. The file is untouched in every case.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("{0}")]
    Metadata(#[from] MappingError),
    #[error("{0}")]
    Refused(String),
    #[error("validation of the new file failed, original kept: {0}")]
    Validation(String),
    #[error("{0}")]
    Container(#[from] ContainerError),
    #[error("{0}")]
    Write(String),
}

impl FileError {
    /// Whether the problem is the file's content (rather than the system:
    /// permissions, full disk, I/O), which decides the exit code.
    pub fn is_bad_input(&self) -> bool {
        !matches!(
            self,
            FileError::Read(ReadError::Io(_))
                | FileError::Write(_)
                | FileError::Read(ReadError::Container(ContainerError::Io(_)))
                | FileError::Container(ContainerError::Io(_))
        )
    }
}

/// What a rewrite must achieve, checked on the new file before it is used.
enum Goal {
    Holds(Tag),
    NoCcsig,
}

struct Plan {
    edit: XmpEdit,
    goal: Goal,
    notes: Vec<Note>,
}

fn refuse_signed(signals: &FileSignals, opts: &WriteOptions) -> Result<(), FileError> {
    if signals.has_c2pa && !opts.allow_breaking_c2pa {
        return Err(FileError::Refused(
            "file carries C2PA Content Credentials; rewriting it would break their signature \
             (use --sidecar to leave it untouched, or --allow-breaking-c2pa)"
                .into(),
        ));
    }
    Ok(())
}

fn plan_apply(
    layout: &Layout,
    signals: &FileSignals,
    request: &ApplyRequest,
    opts: &WriteOptions,
) -> Result<Option<Plan>, FileError> {
    if let Some(reason) = &signals.xmp_error {
        return Err(FileError::Refused(format!(
            "the existing XMP packet cannot be read ({reason}); not overwriting it"
        )));
    }
    let mut notes = Vec::new();
    let credit_name = match &request.credit_name {
        Some(n) => Some(n.clone()),
        None => {
            let creator = signals.xmp.as_ref().and_then(|f| f.creator.clone());
            let found = creator
                .map(|c| (c, "XMP dc:creator"))
                .or_else(|| signals.exif_artist.clone().map(|a| (a, "EXIF Artist")));
            match found {
                Some((name, from)) => {
                    notes.push(Note {
                        severity: Severity::Info,
                        message: format!("credit name {name:?} taken from {from}"),
                    });
                    Some(name)
                }
                None => {
                    let kept = signals.xmp.as_ref().and_then(|f| f.credit_name.clone());
                    if kept.is_none() {
                        notes.push(Note {
                            severity: Severity::Warning,
                            message: "credit has no name: no --credit-name, XMP dc:creator or EXIF Artist".into(),
                        });
                    }
                    None
                }
            }
        }
    };
    let tag = Tag {
        expression: request.expression.clone(),
        signal: request.signal,
        credit_name,
        credit_url: request.credit_url.clone(),
    };
    if let Some(fields) = &signals.xmp {
        if xmp::holds_tag(fields, &tag) {
            return Ok(None);
        }
    }
    refuse_signed(signals, opts)?;
    let packet = xmp::apply(layout.xmp(), &tag)?;
    Ok(Some(Plan {
        edit: XmpEdit::Replace(packet.into_bytes()),
        goal: Goal::Holds(tag),
        notes,
    }))
}

fn plan_remove(
    layout: &Layout,
    signals: &FileSignals,
    opts: &WriteOptions,
) -> Result<Option<Plan>, FileError> {
    let Some(packet) = layout.xmp() else {
        return Ok(None);
    };
    if let Some(reason) = &signals.xmp_error {
        return Err(FileError::Refused(format!(
            "the existing XMP packet cannot be read ({reason}); not touching it"
        )));
    }
    let edit = match xmp::remove(packet)? {
        xmp::Removal::NothingToRemove => return Ok(None),
        xmp::Removal::Packet(p) => XmpEdit::Replace(p.into_bytes()),
        xmp::Removal::Empty => XmpEdit::Remove,
    };
    refuse_signed(signals, opts)?;
    Ok(Some(Plan {
        edit,
        goal: Goal::NoCcsig,
        notes: vec![],
    }))
}

/// Re-reads a freshly written file and checks it before it may replace the
/// original: well-formed container, every foreign block and the image data
/// byte-identical, and the signal reads back as intended.
fn validate<A: Read + Seek, B: Read + Seek>(
    old: &mut A,
    old_layout: &Layout,
    new: &mut B,
    goal: &Goal,
) -> Result<(), FileError> {
    let invalid = |e: &dyn std::fmt::Display| FileError::Validation(e.to_string());
    let new_layout = container::scan(new).map_err(|e| invalid(&e))?;
    container::verify_preserved(old, old_layout, new, &new_layout).map_err(|e| invalid(&e))?;
    let fields = match new_layout.xmp() {
        Some(p) => Some(xmp::read_fields(p).map_err(|e| invalid(&e))?),
        None => None,
    };
    let ok = match goal {
        Goal::Holds(tag) => fields.as_ref().is_some_and(|f| xmp::holds_tag(f, tag)),
        Goal::NoCcsig => fields.as_ref().is_none_or(|f| !f.has_ccsig()),
    };
    if !ok {
        return Err(FileError::Validation(
            "the signal does not read back as written".into(),
        ));
    }
    Ok(())
}

fn execute_on_path(
    path: &Path,
    plan_for: impl FnOnce(&Layout, &FileSignals) -> Result<Option<Plan>, FileError>,
    opts: &WriteOptions,
) -> Result<Outcome, FileError> {
    // Write through symlinks to the file they name, not over the link.
    let path = &std::fs::canonicalize(path).map_err(ReadError::Io)?;
    let mut file = File::open(path).map_err(ReadError::Io)?;
    let seen = Fingerprint::of(&file).map_err(ReadError::Io)?;
    let (layout, signals) = inspect::read(&mut file)?;
    let Some(plan) = plan_for(&layout, &signals)? else {
        return Ok(Outcome {
            change: Change::Unchanged,
            notes: vec![],
        });
    };
    if opts.dry_run {
        return Ok(Outcome {
            change: Change::WouldWrite,
            notes: plan.notes,
        });
    }
    let result = atomic::replace(path, &file, &seen, |temp| -> Result<(), FileError> {
        let mut source = &file;
        container::rewrite(&mut source, &layout, &plan.edit, temp)?;
        temp.flush().map_err(|e| FileError::Write(e.to_string()))?;
        validate(&mut source, &layout, temp, &plan.goal)
    });
    match result {
        Ok(()) => Ok(Outcome {
            change: Change::Written,
            notes: plan.notes,
        }),
        Err(AtomicError::Produce(e)) => Err(e),
        Err(e) => Err(FileError::Write(e.to_string())),
    }
}

fn execute_on_bytes(
    bytes: &[u8],
    plan_for: impl FnOnce(&Layout, &FileSignals) -> Result<Option<Plan>, FileError>,
) -> Result<(Option<Vec<u8>>, Outcome), FileError> {
    let mut old = Cursor::new(bytes);
    let (layout, signals) = inspect::read(&mut old)?;
    let Some(plan) = plan_for(&layout, &signals)? else {
        return Ok((
            None,
            Outcome {
                change: Change::Unchanged,
                notes: vec![],
            },
        ));
    };
    let mut new = Cursor::new(Vec::with_capacity(bytes.len() + 4096));
    container::rewrite(&mut old, &layout, &plan.edit, &mut new)?;
    validate(&mut old, &layout, &mut new, &plan.goal)?;
    Ok((
        Some(new.into_inner()),
        Outcome {
            change: Change::Written,
            notes: plan.notes,
        },
    ))
}

/// Writes the requested signal into the file at `path`, atomically.
pub fn apply_path(
    path: &Path,
    request: &ApplyRequest,
    opts: &WriteOptions,
) -> Result<Outcome, FileError> {
    execute_on_path(path, |l, s| plan_apply(l, s, request, opts), opts)
}

/// Removes what ccsig wrote from the file at `path`, atomically.
pub fn remove_path(path: &Path, opts: &WriteOptions) -> Result<Outcome, FileError> {
    execute_on_path(path, |l, s| plan_remove(l, s, opts), opts)
}

/// Writes the requested signal into an in-memory file. Returns the new
/// bytes, or `None` when the file already carries exactly this signal.
pub fn apply_bytes(
    bytes: &[u8],
    request: &ApplyRequest,
    opts: &WriteOptions,
) -> Result<(Option<Vec<u8>>, Outcome), FileError> {
    execute_on_bytes(bytes, |l, s| plan_apply(l, s, request, opts))
}

/// Removes what ccsig wrote from an in-memory file.
pub fn remove_bytes(
    bytes: &[u8],
    opts: &WriteOptions,
) -> Result<(Option<Vec<u8>>, Outcome), FileError> {
    execute_on_bytes(bytes, |l, s| plan_remove(l, s, opts))
}
