//! Writing and removing a signal in one file: what to change (a plan made
//! from the file's signals), producing the new file, and validating it
//! before it replaces the old one. Works on paths (atomically) and on byte
//! buffers (for pipelines that hold files in memory).

use std::fs::File;
use std::io::{Cursor, Read, Seek, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::batch::atomic::{self, AtomicError, Fingerprint};
use crate::container::{self, ContainerError, Edit, Layout, XmpEdit};
use crate::inspect::{self, FileSignals, ReadError};
use crate::mapping::{iptc, xmp, MappingError, Tag};
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
    /// Write the signal into an XMP sidecar (created if none exists) and
    /// leave the image untouched.
    pub sidecar_only: bool,
    /// Add IPTC-IIM to JPEGs that have none (files that have it are always
    /// kept in sync).
    pub add_iim: bool,
    /// Leave the directory fsync after each rename to the caller (returned
    /// in [`Outcome::unsynced_dirs`]), so a batch syncs each directory once.
    /// Files are fsynced before their rename either way: old or new after a
    /// crash is guaranteed; only the durability of the rename waits.
    pub defer_dir_sync: bool,
}

/// What happened to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Written,
    WouldWrite,
    Unchanged,
}

impl Change {
    /// The name in reports (the same as its serde form).
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Written => "written",
            Change::WouldWrite => "would_write",
            Change::Unchanged => "unchanged",
        }
    }
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
    /// With [`WriteOptions::defer_dir_sync`]: directories whose renames the
    /// caller must still make durable ([`crate::batch::atomic::sync_dir`]).
    #[serde(skip)]
    pub unsynced_dirs: Vec<PathBuf>,
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
    /// A stable name for the kind of error: a [`ReadError::kind`] or
    /// [`ContainerError::kind`], or `metadata` (the file's metadata cannot
    /// be read to be updated), `refused` (e.g. C2PA-signed), `validation`
    /// (the new file failed its checks) or `write`.
    pub fn kind(&self) -> &'static str {
        match self {
            FileError::Read(e) => e.kind(),
            FileError::Metadata(_) => "metadata",
            FileError::Refused(_) => "refused",
            FileError::Validation(_) => "validation",
            FileError::Container(e) => e.kind(),
            FileError::Write(_) => "write",
        }
    }

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
    edit: Edit,
    goal: Goal,
    /// When the IIM is rewritten: what 2:40 must read afterwards.
    iim_2_40: Option<Option<String>>,
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

/// The tag to write: the request, with the credit name resolved from the
/// file when the request has none (XMP dc:creator, then EXIF Artist).
fn resolve_tag(signals: &FileSignals, request: &ApplyRequest) -> (Tag, Vec<Note>) {
    let mut notes = Vec::new();
    let credit_name = match &request.credit_name {
        Some(n) => Some(n.clone()),
        None => {
            let creator = signals.xmp.as_ref().and_then(|f| f.creator.clone());
            let found = creator
                .map(|c| (c, "XMP dc:creator"))
                .or_else(|| signals.exif_artist.clone().map(|a| (a, "EXIF Artist")))
                .or_else(|| {
                    let by_line = signals.iim.as_ref()?.by_line.first()?.clone();
                    Some((by_line, "IIM 2:80 By-line"))
                });
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
                            message: "credit has no name: no --credit-name, XMP dc:creator, EXIF Artist or IIM By-line".into(),
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
    (tag, notes)
}

fn plan_apply(
    layout: &Layout,
    signals: &FileSignals,
    tag: &Tag,
    opts: &WriteOptions,
) -> Result<Option<Plan>, FileError> {
    if let Some(reason) = &signals.xmp_error {
        return Err(FileError::Refused(format!(
            "the existing XMP packet cannot be read ({reason}); not overwriting it"
        )));
    }
    let xmp_edit = match &signals.xmp {
        Some(fields) if xmp::holds_tag(fields, tag) => None,
        _ => Some(XmpEdit::Replace(
            xmp::apply(layout.xmp(), tag)?.into_bytes(),
        )),
    };
    let iim_edit = plan_iim_apply(layout, signals, &tag.expression, opts)?;
    if xmp_edit.is_none() && iim_edit.is_none() {
        return Ok(None);
    }
    refuse_signed(signals, opts)?;
    let (photoshop_irb, iim_2_40) = match iim_edit {
        Some((irb, text)) => (Some(irb), Some(Some(text))),
        None => (None, None),
    };
    Ok(Some(Plan {
        edit: Edit {
            xmp: xmp_edit,
            photoshop_irb,
        },
        goal: Goal::Holds(tag.clone()),
        iim_2_40,
    }))
}

fn irb_payload(layout: &Layout) -> Option<&[u8]> {
    layout
        .blocks_of(container::BlockKind::PhotoshopIrb)
        .find_map(|b| b.payload.as_deref())
}

/// The new IRB and 2:40 text when IIM needs the expression: JPEGs that
/// already carry IIM are kept in sync, others get IIM only with `--iim`.
fn plan_iim_apply(
    layout: &Layout,
    signals: &FileSignals,
    expression: &str,
    opts: &WriteOptions,
) -> Result<Option<(Vec<u8>, String)>, FileError> {
    if layout.format != container::Format::Jpeg {
        return Ok(None);
    }
    if let Some(reason) = &signals.iim_error {
        return Err(FileError::Refused(format!(
            "the existing IPTC-IIM cannot be read ({reason}); not overwriting it"
        )));
    }
    let existing = match &signals.iim {
        Some(iim) => iim.special_instructions.as_deref(),
        None if opts.add_iim => None,
        None => return Ok(None),
    };
    let text = iptc::special_instructions_for(existing, expression);
    if existing == Some(text.as_str()) {
        return Ok(None);
    }
    let irb = iptc::irb_with_special_instructions(irb_payload(layout), &text)
        .map_err(|e| FileError::Refused(format!("{e}; nothing written")))?;
    Ok(Some((irb, text)))
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
    // IIM 2:40 loses ccsig's segment for the expression being removed.
    let expression = signals.xmp.as_ref().and_then(|f| f.expression.as_deref());
    let iim_2_40 = signals
        .iim
        .as_ref()
        .and_then(|i| i.special_instructions.as_deref());
    let (photoshop_irb, iim_expected) = match (expression, iim_2_40, irb_payload(layout)) {
        (Some(expr), Some(text), Some(irb)) => match iptc::without_segment(text, expr) {
            iptc::Remainder::NotOurs => (None, None),
            iptc::Remainder::Empty => (
                Some(iptc::irb_with_special_instructions_or_none(irb, None)?),
                Some(None),
            ),
            iptc::Remainder::Text(rest) => (
                Some(iptc::irb_with_special_instructions_or_none(
                    irb,
                    Some(&rest),
                )?),
                Some(Some(rest)),
            ),
        },
        _ => (None, None),
    };
    refuse_signed(signals, opts)?;
    Ok(Some(Plan {
        edit: Edit {
            xmp: Some(edit),
            photoshop_irb,
        },
        goal: Goal::NoCcsig,
        iim_2_40: iim_expected,
    }))
}

/// Re-reads a freshly written file and checks it before it may replace the
/// original: well-formed container, every foreign block and the image data
/// byte-identical, and the signal reads back as intended.
fn validate<A: Read + Seek, B: Read + Seek>(
    old: &mut A,
    old_layout: &Layout,
    new: &mut B,
    plan: &Plan,
) -> Result<(), FileError> {
    let invalid = |e: &dyn std::fmt::Display| FileError::Validation(e.to_string());
    let new_layout = container::scan(new).map_err(|e| invalid(&e))?;
    let changed: &[container::BlockKind] = match plan.iim_2_40 {
        Some(_) => &[container::BlockKind::PhotoshopIrb],
        None => &[],
    };
    container::verify_preserved_except(old, old_layout, new, &new_layout, changed)
        .map_err(|e| invalid(&e))?;
    if let Some(expected) = &plan.iim_2_40 {
        let new_irb = irb_payload(&new_layout).ok_or_else(|| invalid(&"the IIM is gone"))?;
        iptc::verify_rewrite(irb_payload(old_layout), new_irb, expected.as_deref())
            .map_err(|e| invalid(&e))?;
    }
    let goal = &plan.goal;
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

/// Replaces the image at `path` with the planned rewrite, validated first.
fn write_image(
    path: &Path,
    file: &File,
    seen: &Fingerprint,
    layout: &Layout,
    plan: &Plan,
) -> Result<PathBuf, FileError> {
    let result = atomic::replace(path, file, seen, |temp| -> Result<(), FileError> {
        let mut source = file;
        container::rewrite(&mut source, layout, &plan.edit, temp)?;
        temp.flush().map_err(|e| FileError::Write(e.to_string()))?;
        // Positioned reads: re-scanning costs no seek calls.
        let mut old = container::PositionedFile::new(file);
        let mut new = container::PositionedFile::new(temp);
        validate(&mut old, layout, &mut new, plan)
    });
    match result {
        Ok(dir) => Ok(dir),
        Err(AtomicError::Produce(e)) => Err(e),
        Err(e) => Err(FileError::Write(e.to_string())),
    }
}

/// What to do to a sidecar.
#[derive(Clone, Copy)]
enum SidecarOp<'a> {
    Apply(&'a Tag),
    Remove,
}

/// Updates (or, for apply, creates) one sidecar atomically. Returns a note
/// when the sidecar changed (or would).
fn update_sidecar(
    path: &Path,
    op: SidecarOp,
    dry_run: bool,
    dirs: &mut Vec<PathBuf>,
) -> Result<Option<Note>, FileError> {
    let name = crate::sidecar::display_name(path);
    let fail = |e: &dyn std::fmt::Display| FileError::Refused(format!("sidecar {name}: {e}"));
    let existing = match File::open(path) {
        Ok(f) => {
            let seen = Fingerprint::of(&f).map_err(ReadError::Io)?;
            let bytes = crate::sidecar::read(path).map_err(|e| fail(&e))?;
            Some((f, seen, bytes))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(ReadError::Io(e).into()),
    };
    let packet = existing.as_ref().map(|(_, _, b)| b.as_slice());
    let (new, message) = match op {
        SidecarOp::Apply(tag) => {
            if let Some(p) = packet {
                if xmp::holds_tag(&xmp::read_fields(p).map_err(|e| fail(&e))?, tag) {
                    return Ok(None);
                }
            }
            let new = xmp::apply(packet, tag).map_err(|e| fail(&e))?;
            if !xmp::holds_tag(
                &xmp::read_fields(new.as_bytes()).map_err(|e| fail(&e))?,
                tag,
            ) {
                return Err(FileError::Validation(format!(
                    "sidecar {name}: the signal does not read back"
                )));
            }
            let verb = if packet.is_some() {
                "updated"
            } else {
                "created"
            };
            (Some(new), format!("sidecar {name} {verb}"))
        }
        SidecarOp::Remove => {
            let Some(p) = packet else { return Ok(None) };
            match xmp::remove(p).map_err(|e| fail(&e))? {
                xmp::Removal::NothingToRemove => return Ok(None),
                xmp::Removal::Packet(new) => (Some(new), format!("sidecar {name} cleaned")),
                xmp::Removal::Empty => (
                    None,
                    format!("sidecar {name} deleted: nothing else was in it"),
                ),
            }
        }
    };
    let note = Note {
        severity: Severity::Info,
        message,
    };
    if dry_run {
        return Ok(Some(note));
    }
    let write_err = |e: &dyn std::fmt::Display| FileError::Write(format!("sidecar {name}: {e}"));
    match (existing, new) {
        (Some((file, seen, _)), Some(new)) => dirs.push(
            atomic::replace(path, &file, &seen, |temp| temp.write_all(new.as_bytes()))
                .map_err(|e| write_err(&e))?,
        ),
        (Some(_), None) => {
            std::fs::remove_file(path).map_err(|e| write_err(&e))?;
            dirs.extend(path.parent().map(Path::to_path_buf));
        }
        (None, Some(new)) => {
            dirs.push(create_new(path, new.as_bytes()).map_err(|e| write_err(&e))?)
        }
        (None, None) => {}
    }
    Ok(Some(note))
}

/// Creates a file that must not exist yet, atomically: written and synced
/// under a temporary name, then linked into place without replacing
/// anything a concurrent writer put there.
fn create_new(path: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(atomic::TEMP_PREFIX)
        .suffix(atomic::TEMP_SUFFIX)
        .tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist_noclobber(path).map_err(|e| e.error)?;
    Ok(dir.to_path_buf())
}

fn outcome(changed: bool, dry_run: bool, notes: Vec<Note>) -> Outcome {
    let (change, notes) = match (changed, dry_run) {
        (false, _) => (Change::Unchanged, vec![]),
        (true, true) => (Change::WouldWrite, notes),
        (true, false) => (Change::Written, notes),
    };
    Outcome {
        change,
        notes,
        unsynced_dirs: vec![],
    }
}

/// Makes the renames durable now, or hands the directories to the caller
/// when it syncs them once for a whole batch.
fn finish(
    mut outcome: Outcome,
    mut dirs: Vec<PathBuf>,
    opts: &WriteOptions,
) -> Result<Outcome, FileError> {
    dirs.sort();
    dirs.dedup();
    if opts.defer_dir_sync {
        outcome.unsynced_dirs = dirs;
    } else {
        for dir in &dirs {
            atomic::sync_dir(dir).map_err(|e| FileError::Write(e.to_string()))?;
        }
    }
    Ok(outcome)
}

/// An image opened for writing, as it was read.
struct OpenImage {
    /// The file itself (symlinks resolved, so the link stays a link).
    path: PathBuf,
    file: File,
    seen: Fingerprint,
    layout: Layout,
    signals: FileSignals,
}

/// Opens an image for writing: through symlinks, to the file they name.
fn open_image(path: &Path) -> Result<OpenImage, FileError> {
    let is_link = std::fs::symlink_metadata(path)
        .map(|m| m.file_type().is_symlink())
        .map_err(ReadError::Io)?;
    let path = if is_link {
        std::fs::canonicalize(path).map_err(ReadError::Io)?
    } else {
        path.to_path_buf()
    };
    let file = File::open(&path).map_err(ReadError::Io)?;
    let seen = Fingerprint::of(&file).map_err(ReadError::Io)?;
    let (layout, signals) = inspect::read(&mut container::PositionedFile::new(&file))?;
    Ok(OpenImage {
        path,
        file,
        seen,
        layout,
        signals,
    })
}

fn execute_on_bytes(
    bytes: &[u8],
    plan_for: impl FnOnce(&Layout, &FileSignals) -> Result<Option<Plan>, FileError>,
) -> Result<(Option<Vec<u8>>, Outcome), FileError> {
    let mut old = Cursor::new(bytes);
    let (layout, signals) = inspect::read(&mut old)?;
    let Some(plan) = plan_for(&layout, &signals)? else {
        return Ok((None, outcome(false, false, vec![])));
    };
    let mut new = Cursor::new(Vec::with_capacity(bytes.len() + 4096));
    container::rewrite(&mut old, &layout, &plan.edit, &mut new)?;
    validate(&mut old, &layout, &mut new, &plan)?;
    Ok((Some(new.into_inner()), outcome(true, false, vec![])))
}

/// Writes the requested signal into the file at `path`, atomically, and
/// into its XMP sidecars if it has any (with `sidecar_only`, into a
/// sidecar only, created if needed, leaving the image untouched).
pub fn apply_path(
    path: &Path,
    request: &ApplyRequest,
    opts: &WriteOptions,
) -> Result<Outcome, FileError> {
    let image = open_image(path)?;
    let (tag, mut notes) = resolve_tag(&image.signals, request);
    notes.extend(unwritable_iim_note(
        &image.layout,
        &image.signals,
        &tag.expression,
    ));
    let plan = if opts.sidecar_only {
        None
    } else {
        plan_apply(&image.layout, &image.signals, &tag, opts)?
    };
    let mut sidecars = crate::sidecar::existing(&image.path);
    if opts.sidecar_only && sidecars.is_empty() {
        sidecars.push(crate::sidecar::default_for(&image.path));
    }
    carry_out(&image, plan, &sidecars, SidecarOp::Apply(&tag), notes, opts)
}

/// Writes the image (if it has a plan) and then each sidecar, and reports.
fn carry_out(
    image: &OpenImage,
    plan: Option<Plan>,
    sidecars: &[PathBuf],
    op: SidecarOp,
    mut notes: Vec<Note>,
    opts: &WriteOptions,
) -> Result<Outcome, FileError> {
    let mut changed = plan.is_some();
    let mut dirs = Vec::new();
    if let (Some(plan), false) = (&plan, opts.dry_run) {
        dirs.push(write_image(
            &image.path,
            &image.file,
            &image.seen,
            &image.layout,
            plan,
        )?);
    }
    for sidecar in sidecars {
        if let Some(note) = update_sidecar(sidecar, op, opts.dry_run, &mut dirs)? {
            changed = true;
            notes.push(note);
        }
    }
    finish(outcome(changed, opts.dry_run, notes), dirs, opts)
}

/// ccsig writes IIM only into JPEG: an expression in a PNG's raw IPTC
/// profile that differs from the new one stays, and the user must know.
fn unwritable_iim_note(layout: &Layout, signals: &FileSignals, expression: &str) -> Option<Note> {
    if layout.format == container::Format::Jpeg {
        return None;
    }
    let text = signals.iim.as_ref()?.special_instructions.as_deref()?;
    let theirs = crate::mapping::constraints::find_expression(text)?;
    (theirs != expression).then(|| Note {
        severity: Severity::Warning,
        message: format!(
            "the IPTC raw profile of this {} says {theirs:?} in 2:40; ccsig does not write IIM into {}, so check will report a conflict",
            layout.format.name(),
            layout.format.name()
        ),
    })
}

/// Removes what ccsig wrote from the file at `path` and its sidecars,
/// atomically (with `sidecar_only`, from the sidecars only).
pub fn remove_path(path: &Path, opts: &WriteOptions) -> Result<Outcome, FileError> {
    let image = open_image(path)?;
    let plan = if opts.sidecar_only {
        None
    } else {
        plan_remove(&image.layout, &image.signals, opts)?
    };
    let sidecars = crate::sidecar::existing(&image.path);
    carry_out(&image, plan, &sidecars, SidecarOp::Remove, vec![], opts)
}

/// Writes the requested signal into an in-memory file. Returns the new
/// bytes, or `None` when the file already carries exactly this signal.
pub fn apply_bytes(
    bytes: &[u8],
    request: &ApplyRequest,
    opts: &WriteOptions,
) -> Result<(Option<Vec<u8>>, Outcome), FileError> {
    execute_on_bytes(bytes, |l, s| {
        let (tag, _) = resolve_tag(s, request);
        plan_apply(l, s, &tag, opts)
    })
}

/// Removes what ccsig wrote from an in-memory file.
pub fn remove_bytes(
    bytes: &[u8],
    opts: &WriteOptions,
) -> Result<(Option<Vec<u8>>, Outcome), FileError> {
    execute_on_bytes(bytes, |l, s| plan_remove(l, s, opts))
}
