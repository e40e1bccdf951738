//! Writing and removing a signal in one file: what to change (a plan made
//! from the file's signals), producing the new file, and validating it
//! before it replaces the old one. Works on paths (atomically) and on byte
//! buffers (for pipelines that hold files in memory).

use std::fs::File;
use std::io::{Cursor, Read, Seek, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::batch::atomic::{self, AtomicError, Fingerprint};
#[cfg(unix)]
use crate::batch::commit;
use crate::container::{self, in_place, ContainerError, Edit, Layout, XmpEdit};
use crate::inspect::{self, FileSignals, ReadError};
use crate::mapping::{c2pa, iptc, xmp, MappingError, Tag};
use crate::signal::{self, InvalidValue, NotWritable, Severity, SignalCode, Use, Vocabulary};

/// What the user asks `apply` to write.
///
/// Build it with [`ApplyRequest::from_signal`] or
/// [`ApplyRequest::from_expression`] (which refuse what `check` would flag)
/// and [`ApplyRequest::credited`] (which refuses unusable credit values), so
/// every problem with the request is one usage error before any file is
/// touched.
///
/// ```
/// use ccsig::{ApplyRequest, SignalCode};
/// let request = ApplyRequest::from_signal(SignalCode::CrOp, "train-ai")
///     .unwrap()
///     .credited(Some("Ada Lovelace"), Some("https://example.org/ada"))
///     .unwrap();
/// assert_eq!(request.expression, "train-ai=n;exceptions=cc-cr-op");
/// assert!(ApplyRequest::from_signal(SignalCode::Cr, "no-such-use").is_err());
/// assert!(request.clone().credited(Some("Ada"), Some("ftp://x")).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyRequest {
    /// The expression written into `ccsig:expression` (and mapped onto the
    /// other fields), e.g. `train-ai=n;exceptions=cc-cr`.
    pub expression: String,
    /// The CC signal the expression grants, written into `ccsig:signal`;
    /// `None` when the expression names no exception.
    pub signal: Option<SignalCode>,
    /// Who to credit; `None` to take the name from the file's own credit
    /// fields, when they have one (a note says which).
    pub credit_name: Option<String>,
    /// Where to link the credit (absolute http(s)); `None` to keep the URL
    /// the file already gives with the same credit, if any.
    pub credit_url: Option<String>,
}

/// How a request's expression is checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestOptions {
    /// The draft of the vocabulary labels are checked against.
    pub vocabulary: Vocabulary,
    /// Write an expression that `check` would flag (a legacy label, say)
    /// exactly as given: the user means it.
    pub force: bool,
}

/// Why a request cannot be written at all (a usage error, not a file error).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RequestError {
    /// The use given with a signal is not a category of the vocabulary.
    #[error(transparent)]
    Use(#[from] InvalidValue),
    /// The expression states nothing (it is empty).
    #[error("expression {expression:?} is not fit to write: {reason}")]
    BadExpression {
        /// The expression as given.
        expression: String,
        /// Why it is refused, for people.
        reason: String,
    },
    /// `check` would report the expression (malformed, unknown label,
    /// legacy, ambiguous...); `--force` writes it anyway.
    #[error(transparent)]
    Flagged(#[from] NotWritable),
    /// The credit name is given but blank.
    #[error("the credit name is empty")]
    BlankCreditName,
    /// The credit URL is not an absolute http(s) URL with a host, or holds
    /// a space.
    #[error("credit URL {url:?} {reason}")]
    BadCreditUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it, for people.
        reason: String,
    },
    /// A value holds a control character, which no metadata field should
    /// carry.
    #[error("the {what} {value:?} holds a control character or line break")]
    ControlCharacter {
        /// Which value: `expression`, `credit name` or `credit URL`.
        what: &'static str,
        /// The value as given.
        value: String,
    },
}

fn refuse_controls(what: &'static str, value: &str) -> Result<(), RequestError> {
    if value.chars().any(char::is_control) {
        return Err(RequestError::ControlCharacter {
            what,
            value: value.to_string(),
        });
    }
    Ok(())
}

/// An absolute `http` or `https` URL with a host: what a credit link must be
/// for a reader to follow it.
/// Checks a credit name and URL as [`ApplyRequest::credited`] does: no
/// blank name, an absolute http(s) URL, no control characters.
///
/// ```
/// assert!(ccsig::tagging::validate_credit(Some("Ada"), Some("https://example.org/ada")).is_ok());
/// assert!(ccsig::tagging::validate_credit(Some(" "), None).is_err());
/// assert!(ccsig::tagging::validate_credit(None, Some("example.org")).is_err());
/// ```
pub fn validate_credit(name: Option<&str>, url: Option<&str>) -> Result<(), RequestError> {
    if let Some(name) = name {
        refuse_controls("credit name", name)?;
        if name.trim().is_empty() {
            return Err(RequestError::BlankCreditName);
        }
    }
    if let Some(url) = url {
        check_credit_url(url)?;
    }
    Ok(())
}

fn check_credit_url(url: &str) -> Result<(), RequestError> {
    let bad = |reason: &str| RequestError::BadCreditUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    refuse_controls("credit URL", url)?;
    if url.chars().any(char::is_whitespace) {
        return Err(bad("contains a space (write it as %20)"));
    }
    let parsed = url::Url::parse(url).map_err(|e| bad(&format!("is not an absolute URL ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("is not an http(s) URL"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    Ok(())
}

impl ApplyRequest {
    /// `<use>=n;exceptions=<signal>`: AI use `use` is disallowed unless the
    /// terms of `signal` are met. `use` must be a label of the default
    /// vocabulary.
    ///
    /// ```
    /// use ccsig::{ApplyRequest, RequestError, SignalCode};
    /// let request = ApplyRequest::from_signal(SignalCode::CrDc, "search").unwrap();
    /// assert_eq!(request.expression, "search=n;exceptions=cc-cr-dc");
    /// assert_eq!(request.signal, Some(SignalCode::CrDc));
    /// let refused = ApplyRequest::from_signal(SignalCode::Cr, "train-genai");
    /// assert!(matches!(refused, Err(RequestError::Use(..))));
    /// ```
    pub fn from_signal(signal: SignalCode, use_label: &str) -> Result<Self, RequestError> {
        Self::from_signal_in(signal, use_label, Vocabulary::default())
    }

    /// [`ApplyRequest::from_signal`] with `use` checked against a chosen
    /// draft of the vocabulary.
    ///
    /// ```
    /// use ccsig::{signal::Vocabulary, ApplyRequest, SignalCode};
    /// assert!(ApplyRequest::from_signal_in(SignalCode::Cr, "ai-use", Vocabulary::Draft08).is_ok());
    /// assert!(ApplyRequest::from_signal_in(SignalCode::Cr, "ai-use", Vocabulary::Draft07).is_err());
    /// ```
    pub fn from_signal_in(
        signal: SignalCode,
        use_label: &str,
        vocabulary: Vocabulary,
    ) -> Result<Self, RequestError> {
        Ok(Self::for_use(signal, Use::parse(use_label, vocabulary)?))
    }

    /// `<use>=n;exceptions=<signal>` for a use already checked.
    ///
    /// ```
    /// use ccsig::{signal::Use, ApplyRequest, SignalCode};
    /// let train: Use = "train-ai".parse().unwrap();
    /// let request = ApplyRequest::for_use(SignalCode::CrOp, train);
    /// assert_eq!(request.expression, "train-ai=n;exceptions=cc-cr-op");
    /// ```
    pub fn for_use(signal: SignalCode, use_: Use) -> Self {
        ApplyRequest {
            expression: format!("{}=n;exceptions={}", use_.label(), signal.code()),
            signal: Some(signal),
            credit_name: None,
            credit_url: None,
        }
    }

    /// An expression `check` would report nothing about (against the
    /// default vocabulary), written exactly as given.
    ///
    /// ```
    /// use ccsig::{ApplyRequest, RequestError, SignalCode};
    /// let request = ApplyRequest::from_expression("train-ai=n;exceptions=cc-cr, search=y").unwrap();
    /// assert_eq!(request.signal, Some(SignalCode::Cr));
    /// let refused = ApplyRequest::from_expression("train-genai=n");
    /// assert!(matches!(refused, Err(RequestError::Flagged(_))));
    /// ```
    pub fn from_expression(raw: &str) -> Result<Self, RequestError> {
        Self::from_expression_with(raw, RequestOptions::default())
    }

    /// An expression checked by the same rule as `check --expect`
    /// ([`signal::validate_for_writing_in`]); with `force`, any expression
    /// that states something, written exactly as given.
    ///
    /// ```
    /// use ccsig::{ApplyRequest, RequestOptions};
    /// let forced = RequestOptions { force: true, ..Default::default() };
    /// let request = ApplyRequest::from_expression_with("train-genai=n", forced).unwrap();
    /// assert_eq!(request.expression, "train-genai=n");
    /// // Even with force, an expression must state something.
    /// assert!(ApplyRequest::from_expression_with("  ", forced).is_err());
    /// ```
    pub fn from_expression_with(raw: &str, opts: RequestOptions) -> Result<Self, RequestError> {
        let expression = raw.trim().to_string();
        refuse_controls("expression", &expression)?;
        if expression.is_empty() {
            return Err(RequestError::BadExpression {
                expression,
                reason: "it states no preference".into(),
            });
        }
        let statement = if opts.force {
            signal::parse_in(&expression, opts.vocabulary)
        } else {
            signal::validate_for_writing_in(&expression, opts.vocabulary)?
        };
        let signal = statement
            .members
            .iter()
            .flat_map(|m| m.exceptions.iter().copied())
            .next();
        Ok(ApplyRequest {
            expression,
            signal,
            credit_name: None,
            credit_url: None,
        })
    }

    /// Sets the credit without checking it (see [`ApplyRequest::credited`]).
    ///
    /// ```
    /// use ccsig::ApplyRequest;
    /// let request = ApplyRequest::from_expression("train-ai=n;exceptions=cc-cr")
    ///     .unwrap()
    ///     .with_credit(Some("  ".into()), None);
    /// assert!(request.validate().is_err()); // checked later, before any write
    /// ```
    pub fn with_credit(mut self, name: Option<String>, url: Option<String>) -> Self {
        self.credit_name = name;
        self.credit_url = url;
        self
    }

    /// Sets the credit, refusing a blank name, a URL that is not absolute
    /// http(s), and control characters; surrounding blanks are dropped
    /// (readers drop them too).
    ///
    /// ```
    /// use ccsig::{ApplyRequest, RequestError};
    /// let request = ApplyRequest::from_expression("train-ai=n;exceptions=cc-cr").unwrap();
    /// let credited = request.clone().credited(Some(" Ada Example "), None).unwrap();
    /// assert_eq!(credited.credit_name.as_deref(), Some("Ada Example"));
    /// let refused = request.credited(None, Some("example.org/ada"));
    /// assert!(matches!(refused, Err(RequestError::BadCreditUrl { .. })));
    /// ```
    pub fn credited(self, name: Option<&str>, url: Option<&str>) -> Result<Self, RequestError> {
        let request = self.with_credit(
            name.map(|n| n.trim().to_string()),
            url.map(|u| u.trim().to_string()),
        );
        request.validate()?;
        Ok(request)
    }

    /// Checks what every file would be refused for alike: control
    /// characters in any value, a blank credit name, a credit URL that is
    /// not absolute http(s), an empty expression.
    ///
    /// ```
    /// use ccsig::{ApplyRequest, RequestError};
    /// let mut request = ApplyRequest::from_expression("train-ai=n").unwrap();
    /// assert!(request.validate().is_ok());
    /// request.expression.push('\n');
    /// assert!(matches!(request.validate(), Err(RequestError::ControlCharacter { .. })));
    /// ```
    pub fn validate(&self) -> Result<(), RequestError> {
        refuse_controls("expression", &self.expression)?;
        if self.expression.trim().is_empty() {
            return Err(RequestError::BadExpression {
                expression: self.expression.clone(),
                reason: "it states no preference".into(),
            });
        }
        validate_credit(self.credit_name.as_deref(), self.credit_url.as_deref())
    }
}

/// Options for every write.
///
/// ```
/// use ccsig::{apply_path, ApplyRequest, WriteOptions};
///
/// // Into a sidecar: the image's bytes stay exactly as they were.
/// let dir = tempfile::tempdir().unwrap();
/// let photo = dir.path().join("photo.webp");
/// std::fs::copy("sample-images/webp/lossless.webp", &photo).unwrap();
/// let before = std::fs::read(&photo).unwrap();
///
/// let request = ApplyRequest::from_expression("train-ai=n").unwrap();
/// let options = WriteOptions { sidecar_only: true, ..Default::default() };
/// apply_path(&photo, &request, &options).unwrap();
/// assert_eq!(std::fs::read(&photo).unwrap(), before);
/// assert!(dir.path().join("photo.webp.xmp").is_file());
///
/// // Readers of the path see the sidecar's signal.
/// let signals = ccsig::read_path(&photo).unwrap();
/// assert_eq!(signals.decisions["train-ai"], ccsig::signal::Decision::Disallowed);
/// ```
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Decide and report, but write nothing.
    pub dry_run: bool,
    /// Rewrite files that carry C2PA Content Credentials (which breaks
    /// their signature's hard binding).
    pub allow_breaking_c2pa: bool,
    /// Sign every file written with new Content Credentials: a manifest
    /// that records the metadata edit, states the CC signal in a
    /// `cawg.training-mining` assertion, and takes the file as it was as
    /// its parent ingredient (`docs/mapping.md`, "C2PA Content
    /// Credentials"). Files that carry Content Credentials are then
    /// rewritten instead of refused.
    #[cfg(feature = "c2pa")]
    pub c2pa_sign: Option<std::sync::Arc<crate::mapping::c2pa::SigningKey>>,
    /// Write the signal into an XMP sidecar (created if none exists) and
    /// leave the image untouched. Images ccsig does not write itself
    /// (camera RAW, HEIF, GIF ...: [`crate::Format::Other`]) are always
    /// tagged this way.
    pub sidecar_only: bool,
    /// How a new sidecar is named; `None`: `IMG_0001.xmp` for an image
    /// ccsig does not write itself, `photo.jpg.xmp` for a JPEG, PNG or WebP
    /// (see [`crate::internals::sidecar`]).
    pub sidecar_style: Option<crate::sidecar::SidecarStyle>,
    /// Add IPTC-IIM to JPEGs that have none (files that have it are always
    /// kept in sync).
    pub add_iim: bool,
    /// Leave files that already state a preference (in any field or
    /// sidecar) alone, instead of replacing it.
    pub keep_existing: bool,
    /// Leave the directory fsync after each rename to the caller (returned
    /// in [`Outcome::unsynced_dirs`]), so a batch syncs each directory once.
    /// Files are fsynced before their rename either way: old or new after a
    /// crash is guaranteed; only the durability of the rename waits.
    pub defer_dir_sync: bool,
    /// Rewrite files that have other hard links: the rewritten name gets
    /// the new content, the other names keep the old. Without it such a
    /// file is refused.
    pub break_hardlinks: bool,
    /// Give rewritten files (images and sidecars) their original
    /// modification and access times.
    pub preserve_mtime: bool,
    /// Always write a fresh copy of the image and rename it over the old
    /// one, even when the new XMP packet fits in the old one's padding
    /// (which is otherwise overwritten in place, under an undo journal:
    /// docs/reliability.md, "In-place writes").
    pub no_in_place: bool,
}

impl WriteOptions {
    fn keep(&self) -> atomic::Keep {
        atomic::Keep {
            times: self.preserve_mtime,
            break_hardlinks: self.break_hardlinks,
        }
    }
}

/// What happened to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// `apply` wrote the file.
    Written,
    /// `apply --dry-run`: would write the file.
    WouldWrite,
    /// `remove` took ccsig's fields out.
    Removed,
    /// `remove --dry-run`: would take ccsig's fields out.
    WouldRemove,
    /// Already as requested (or nothing to remove): the file was not
    /// touched.
    Unchanged,
    /// Left alone: it already states a preference (`--keep-existing`).
    Kept,
}

impl Change {
    /// The name in reports (the same as its serde form).
    ///
    /// ```
    /// use ccsig::tagging::Change;
    /// assert_eq!(Change::WouldRemove.as_str(), "would_remove");
    /// assert_eq!(serde_json::to_string(&Change::Kept).unwrap(), "\"kept\"");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Written => "written",
            Change::WouldWrite => "would_write",
            Change::Removed => "removed",
            Change::WouldRemove => "would_remove",
            Change::Unchanged => "unchanged",
            Change::Kept => "kept",
        }
    }
}

/// Something worth telling the user about one file's write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// `warning` for something the user may want to act on (a credit
    /// signal with no name to credit, another party's field replaced or
    /// left disagreeing), `info` otherwise.
    pub severity: Severity,
    /// The note, for people; its wording may change.
    pub message: String,
}

/// What a write did to one file (and its sidecars).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Written, unchanged, kept, ...
    pub change: Change,
    /// What the user should know about this write (e.g. which field the
    /// credit name came from); empty when the file was not changed.
    pub notes: Vec<Note>,
    /// With [`WriteOptions::defer_dir_sync`]: directories whose renames the
    /// caller must still make durable ([`crate::batch::atomic::sync_dir`]).
    #[serde(skip)]
    pub unsynced_dirs: Vec<PathBuf>,
}

/// Why a file was not written. The file is untouched in every case.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file could not be read (opened, or recognised as an image).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The file's existing metadata cannot be read, so it cannot be updated
    /// without losing some of it.
    #[error("{0}")]
    Metadata(#[from] MappingError),
    /// ccsig will not write this file as asked (e.g. it carries C2PA
    /// Content Credentials a write would break); the message says why.
    #[error("{0}")]
    Refused(String),
    /// The request itself is unfit to write.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The new file, read back, did not hold what was meant (image data,
    /// other metadata or the signal differ).
    #[error("validation of the new file failed, original kept: {0}")]
    Validation(String),
    /// The container could not be rewritten.
    #[error("{0}")]
    Container(#[from] ContainerError),
    /// The new file could not be written or put in place.
    #[error("{0}")]
    Write(String),
    /// Content Credentials could not be signed, or the signed file did not
    /// validate.
    #[cfg(feature = "c2pa")]
    #[error(transparent)]
    Signing(#[from] crate::mapping::c2pa::SignError),
}

impl FileError {
    /// A stable name for the kind of error: a [`ReadError::kind`] or
    /// [`ContainerError::kind`], or `metadata` (the file's metadata cannot
    /// be read to be updated), `refused` (e.g. C2PA-signed), `request`
    /// (the request itself is unfit to write), `validation` (the new file
    /// failed its checks) or `write`.
    ///
    /// ```
    /// let request = ccsig::ApplyRequest::from_expression("train-ai=n").unwrap();
    /// let truncated = std::fs::read("sample-images/bad/truncated.jpg").unwrap();
    /// let error = ccsig::apply_bytes(&truncated, &request, &Default::default()).unwrap_err();
    /// assert_eq!(error.kind(), "truncated");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            FileError::Read(e) => e.kind(),
            FileError::Metadata(_) => "metadata",
            FileError::Refused(_) => "refused",
            FileError::Request(_) => "request",
            FileError::Validation(_) => "validation",
            FileError::Container(e) => e.kind(),
            FileError::Write(_) => "write",
            #[cfg(feature = "c2pa")]
            FileError::Signing(_) => "signing",
        }
    }

    /// Whether the problem is the file's content (rather than the system:
    /// permissions, full disk, I/O), which decides the exit code.
    ///
    /// ```
    /// let request = ccsig::ApplyRequest::from_expression("train-ai=n").unwrap();
    /// let options = ccsig::WriteOptions::default();
    /// let damaged = ccsig::apply_path("sample-images/bad/garbage.png".as_ref(), &request, &options);
    /// assert!(damaged.unwrap_err().is_bad_input());
    /// let missing = ccsig::apply_path("no/such/photo.jpg".as_ref(), &request, &options);
    /// assert!(!missing.unwrap_err().is_bad_input());
    /// ```
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
#[derive(Clone)]
enum Goal {
    Holds(Tag),
    NoCcsig,
}

struct Plan {
    edit: Edit,
    goal: Goal,
    /// With `c2pa_sign`: the key, and the training-and-data-mining entries
    /// the new manifest states (none: it withdraws a preference).
    signing: Option<Signing>,
    /// When the IIM is rewritten: what 2:40 must read afterwards.
    iim_2_40: Option<Option<String>>,
    /// PNG raw profiles rewritten, and what 2:40 must read in each.
    raw_profiles: Vec<RawProfilePlan>,
}

/// One PNG raw profile chunk to rewrite.
struct RawProfilePlan {
    /// Where its chunk starts in the original file.
    start: u64,
    text: Vec<u8>,
    expected_2_40: Option<String>,
}

/// The PNG raw profiles (ImageMagick's IIM copies) whose 2:40 must change,
/// kept in sync like JPEG IIM. `want` gives, for a profile's current 2:40,
/// the 2:40 it must hold (`Some(None)`: none), or `None` to leave it be.
/// A profile that cannot be read or holds no IIM is left as it is.
fn plan_raw_profiles(
    layout: &Layout,
    want: impl Fn(Option<&str>) -> Option<Option<String>>,
) -> Result<Vec<RawProfilePlan>, FileError> {
    let mut plans = Vec::new();
    for block in layout.blocks_of(container::BlockKind::RawIptcProfile) {
        let Some(payload) = block.payload.as_deref() else {
            continue;
        };
        let Ok(Some(fields)) = iptc::read_raw_profile(payload) else {
            continue;
        };
        let Some(target) = want(fields.special_instructions.as_deref()) else {
            continue;
        };
        let text = iptc::raw_profile_with_special_instructions(payload, target.as_deref())
            .map_err(|e| FileError::Refused(format!("PNG raw profile: {e}; nothing written")))?;
        if let Some(text) = text {
            plans.push(RawProfilePlan {
                start: block.range.start,
                text,
                expected_2_40: target,
            });
        }
    }
    Ok(plans)
}

fn raw_profile_edits(plans: &[RawProfilePlan]) -> Vec<(u64, Vec<u8>)> {
    plans.iter().map(|p| (p.start, p.text.clone())).collect()
}

fn refuse_signed(signals: &FileSignals, opts: &WriteOptions) -> Result<(), FileError> {
    if let (Some(Err(why)), true) = (&signals.c2pa, signs(opts)) {
        return Err(FileError::Refused(format!(
            "its Content Credentials cannot be read ({why}); not signing over them"
        )));
    }
    if signals.has_c2pa && !opts.allow_breaking_c2pa && !signs(opts) {
        let sign = match signals.format.signs_c2pa() {
            true => "use --c2pa-sign CERT --c2pa-key KEY to sign new ones, ",
            false => "",
        };
        return Err(FileError::Refused(format!(
            "file carries C2PA Content Credentials; rewriting it would break their signature \
             ({sign}--sidecar to leave it untouched, or --allow-breaking-c2pa)"
        )));
    }
    Ok(())
}

/// The key that signs a rewritten file, and the entries its new manifest
/// states (none: it withdraws a preference).
#[cfg(feature = "c2pa")]
type Signing = (
    std::sync::Arc<crate::mapping::c2pa::SigningKey>,
    Vec<c2pa::Entry>,
);
/// Without the `c2pa` feature nothing is signed.
#[cfg(not(feature = "c2pa"))]
type Signing = std::convert::Infallible;

/// Whether written files get new Content Credentials.
fn signs(opts: &WriteOptions) -> bool {
    signing_for(opts, Vec::new()).is_some()
}

#[cfg(feature = "c2pa")]
fn signing_for(opts: &WriteOptions, entries: Vec<c2pa::Entry>) -> Option<Signing> {
    opts.c2pa_sign.clone().map(|key| (key, entries))
}

#[cfg(not(feature = "c2pa"))]
fn signing_for(_: &WriteOptions, _: Vec<c2pa::Entry>) -> Option<Signing> {
    None
}

/// With signing, what a new manifest states for `expression`, unless the
/// file's active manifest is a valid one that already states exactly that.
fn signing_of(signals: &FileSignals, expression: &str, opts: &WriteOptions) -> Option<Signing> {
    let entries = c2pa::entries_for(expression);
    let already = matches!(&signals.c2pa, Some(Ok(creds))
        if creds.state != c2pa::ManifestState::Invalid && c2pa::same_entries(&creds.entries, &entries));
    signing_for(opts, entries).filter(|_| !already)
}

/// The tag to write: the request, with the credit resolved as a pair from
/// one source (docs/mapping.md, "Credit"): both given, or the name given
/// with the URL stored with that same name, or the URL given with the
/// first name the file has, or neither given and the first source that
/// credits anyone, name and URL together.
fn resolve_tag(signals: &FileSignals, request: &ApplyRequest) -> (Tag, Vec<Note>) {
    let mut notes = Vec::new();
    let sources = inspect::credit_sources(signals);
    let mut note = |message: String| {
        notes.push(Note {
            severity: Severity::Note,
            message,
        })
    };
    let (credit_name, credit_url) = match (&request.credit_name, &request.credit_url) {
        (Some(name), Some(url)) => (Some(name.clone()), Some(url.clone())),
        (Some(name), None) => {
            let same = sources
                .iter()
                .find(|s| s.name.as_ref() == Some(name) && s.url.is_some());
            let url = same.and_then(|s| s.url.clone());
            if let (Some(s), Some(url)) = (same, &url) {
                note(format!(
                    "credit URL {url:?} kept: {} gave it with this name",
                    s.from
                ));
            }
            (Some(name.clone()), url)
        }
        (None, Some(url)) => {
            let named = sources.iter().find(|s| s.name.is_some());
            if let Some(s) = named {
                note(format!(
                    "credit name {:?} taken from {}",
                    s.name.as_deref().unwrap_or_default(),
                    s.from
                ));
            }
            (named.and_then(|s| s.name.clone()), Some(url.clone()))
        }
        (None, None) => match sources.first() {
            Some(s) => {
                let with_url = s
                    .url
                    .as_ref()
                    .map(|u| format!(" and URL {u:?}"))
                    .unwrap_or_default();
                match &s.name {
                    Some(name) => note(format!(
                        "credit name {name:?}{with_url} taken from {}",
                        s.from
                    )),
                    None => note(format!(
                        "credit URL {:?} taken from {}",
                        s.url.as_deref().unwrap_or_default(),
                        s.from
                    )),
                }
                (s.name.clone(), s.url.clone())
            }
            None => (None, None),
        },
    };
    let credits_someone = credit_name.is_some();
    let tag = Tag {
        expression: request.expression.clone(),
        signal: request.signal,
        credit_name,
        credit_url,
        replaced_special_instructions: replaced_special_instructions(signals, &request.expression),
    };
    if !credits_someone && asks_for_credit(&tag.expression) {
        notes.push(Note {
            severity: Severity::Warning,
            message: "credit has no name: none was given (--credit-name, or a catalog's \
                      credit_name column) and the file names nobody in XMP ccsig:creditName, \
                      cc:attributionName, dc:creator, EXIF Artist or IIM By-line"
                .into(),
        });
    }
    (tag, notes)
}

/// The IIM 2:40 text to record before ccsig's segment replaces it: text
/// another tool wrote whose `Content-Usage:` segment is not ccsig's own.
fn replaced_special_instructions(signals: &FileSignals, expression: &str) -> Option<String> {
    let text = signals.iim.as_ref()?.special_instructions.as_deref()?;
    text.find(crate::mapping::constraints::MARKER)?;
    let ours = signals.xmp.as_ref().and_then(|f| f.expression.as_deref());
    let ccsig_wrote = ours.is_some_and(|e| iptc::special_instructions_for(Some(text), e) == text);
    let unchanged = iptc::special_instructions_for(Some(text), expression) == text;
    (!ccsig_wrote && !unchanged).then(|| text.to_string())
}

/// The 2:40 text `remove` leaves: what ccsig replaced, if 2:40 is still
/// exactly what ccsig made of it; else the text without ccsig's segment
/// (`None`: leave 2:40 alone).
fn special_instructions_after_remove(
    text: &str,
    expression: &str,
    replaced: Option<&str>,
) -> Option<Option<String>> {
    if let Some(old) = replaced {
        if iptc::special_instructions_for(Some(old), expression) == text {
            return Some(Some(old.to_string()));
        }
    }
    match iptc::without_segment(text, expression) {
        iptc::Remainder::NotOurs => None,
        iptc::Remainder::Empty => Some(None),
        iptc::Remainder::Text(rest) => Some(Some(rest)),
    }
}

/// Whether an expression grants a CC signal, every one of which asks for
/// credit.
fn asks_for_credit(expression: &str) -> bool {
    signal::parse(expression)
        .members
        .iter()
        .any(|m| !m.exceptions.is_empty())
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
        fields => {
            let held = fields.as_ref().map(|f| xmp::extension_conflicts(f, tag));
            if let Some(held) = held.filter(|h| !h.is_empty()) {
                return Err(FileError::Refused(format!(
                    "the JPEG Extended XMP already holds {}, which ccsig does not rewrite; \
                     writing them into the main packet would leave two values",
                    held.join(", ")
                )));
            }
            let translations = fields
                .as_ref()
                .map(|f| xmp::translation_conflicts(f, &tag.expression));
            if let Some(items) = translations.filter(|t| !t.is_empty()) {
                return Err(FileError::Refused(format!(
                    "{} states another preference; ccsig writes only the default item, \
                     so the file would state two (change or remove that item first)",
                    items.join(", ")
                )));
            }
            // The file is rewritten now: the packet gets room, so that a
            // re-tag (an agency changing a contributor's terms) overwrites
            // it in place instead of copying the file again; unless its
            // length is fixed, and then it takes what room there is.
            let packet = match layout.fixed_xmp_len {
                Some(len) => fixed_length(xmp::apply(layout.xmp(), tag)?, len)?,
                None => xmp::fit(xmp::apply_with_room(layout.xmp(), tag)?, xmp_limit(layout)),
            };
            Some(XmpEdit::Replace(packet.into_bytes()))
        }
    };
    let iim_edit = plan_iim_apply(layout, signals, &tag.expression, opts)?;
    let raw_profiles = plan_raw_profiles(layout, |existing| {
        let text = iptc::special_instructions_for(existing, &tag.expression);
        (existing != Some(text.as_str())).then_some(Some(text))
    })?;
    let signing = signing_of(signals, &tag.expression, opts);
    if xmp_edit.is_none() && iim_edit.is_none() && raw_profiles.is_empty() && signing.is_none() {
        return Ok(None);
    }
    refuse_signed(signals, opts)?;
    refuse_later_packet_conflicts(signals, tag)?;
    refuse_unwritten_iim(layout, signals, &tag.expression)?;
    let (photoshop_irb, iim_2_40) = match iim_edit {
        Some((irb, text)) => (Some(irb), Some(Some(text))),
        None => (None, None),
    };
    Ok(Some(Plan {
        edit: Edit {
            xmp: xmp_edit,
            photoshop_irb,
            png_raw_profiles: raw_profile_edits(&raw_profiles),
        },
        goal: Goal::Holds(tag.clone()),
        signing,
        iim_2_40,
        raw_profiles,
    }))
}

/// IIM that ccsig reads but does not write (a TIFF's IPTC-NAA tag or
/// image resources) and that states another preference: the file would
/// state two, which `check` reports.
fn refuse_unwritten_iim(
    layout: &Layout,
    signals: &FileSignals,
    expression: &str,
) -> Result<(), FileError> {
    if layout.format != container::Format::Tiff {
        return Ok(());
    }
    let stated = signals
        .iim
        .as_ref()
        .and_then(|i| i.special_instructions.as_deref())
        .and_then(crate::mapping::constraints::find_expression);
    match stated {
        Some(other) if other != expression => Err(FileError::Refused(format!(
            "IPTC-IIM 2:40 Special Instructions states {other:?}; ccsig does not write IIM into \
             TIFF, so the file would state two preferences (change 2:40 first, or use --sidecar)"
        ))),
        _ => Ok(()),
    }
}

/// A later XMP packet that states another preference: ccsig writes only
/// the main packet, so the file would state two, which `check` reports.
fn refuse_later_packet_conflicts(signals: &FileSignals, tag: &Tag) -> Result<(), FileError> {
    let written = inspect::source(
        inspect::Place::CcsigExpression,
        &tag.expression,
        &tag.expression,
        signals.vocabulary,
    );
    let disagreeing: Vec<String> = signals
        .sources
        .iter()
        .filter(|s| s.later_packet.is_some())
        .filter(|s| crate::audit::sources_conflict(s, &written, signals.vocabulary))
        .map(|s| format!("{} ({:?})", s.field(), s.expression))
        .collect();
    if disagreeing.is_empty() {
        return Ok(());
    }
    Err(FileError::Refused(format!(
        "{} states another preference; ccsig writes only the first XMP packet, so the file \
         would state two (remove the later packet first)",
        disagreeing.join(", ")
    )))
}

/// The largest main XMP packet the container holds (JPEG: one APP1).
fn xmp_limit(layout: &Layout) -> usize {
    match layout.format {
        container::Format::Jpeg => container::jpeg::MAX_XMP_PACKET,
        _ => usize::MAX,
    }
}

/// A note when the XMP packet is written back in another encoding.
fn xmp_rewrite_note(layout: &Layout) -> Option<Note> {
    xmp::rewrite_note(layout.xmp()).map(|message| Note {
        severity: Severity::Note,
        message: message.into(),
    })
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

/// Why a file's packet has a fixed length (see [`Layout::fixed_xmp_len`]).
const FIXED_LENGTH_WHY: &str = "this JPEG XL holds the data that rebuilds its original JPEG \
                                (jbrd), which takes the XMP packet from the file at its \
                                recorded length";

/// The packet with its padding resized to exactly `len` bytes, or the
/// write refused when its content alone is longer.
fn fixed_length(packet: String, len: usize) -> Result<String, FileError> {
    xmp::with_length(&packet, len).ok_or_else(|| {
        FileError::Refused(format!(
            "{FIXED_LENGTH_WHY}: the new packet does not fit in the old one's {len} bytes (its \
             padding is too small); nothing written (--sidecar writes a sidecar instead)"
        ))
    })
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
    if let Some(held) = signals.xmp.as_ref().map(xmp::ccsig_in_extension) {
        if !held.is_empty() {
            return Err(FileError::Refused(format!(
                "the JPEG Extended XMP holds {}, which ccsig does not rewrite; not touching the file",
                held.join(", ")
            )));
        }
    }
    let edit = match (xmp::remove(packet)?, layout.fixed_xmp_len) {
        (xmp::Removal::NothingToRemove, _) => return Ok(None),
        (xmp::Removal::Packet(p), None) => XmpEdit::Replace(p.into_bytes()),
        (xmp::Removal::Packet(p), Some(len)) => {
            XmpEdit::Replace(fixed_length(p, len)?.into_bytes())
        }
        (xmp::Removal::Empty, None) => XmpEdit::Remove,
        (xmp::Removal::Empty, Some(_)) => {
            return Err(FileError::Refused(format!(
                "{FIXED_LENGTH_WHY}: the packet, which holds only ccsig's fields, cannot be \
                 removed (--sidecar leaves the file alone)"
            )))
        }
    };
    // IIM 2:40 loses ccsig's segment for the expression being removed.
    let expression = signals.xmp.as_ref().and_then(|f| f.expression.as_deref());
    let iim_2_40 = signals
        .iim
        .as_ref()
        .and_then(|i| i.special_instructions.as_deref());
    let replaced = signals
        .xmp
        .as_ref()
        .and_then(|f| f.replaced.special_instructions.as_deref());
    let (photoshop_irb, iim_expected) = match (expression, iim_2_40, irb_payload(layout)) {
        (Some(expr), Some(text), Some(irb)) if layout.format == container::Format::Jpeg => {
            match special_instructions_after_remove(text, expr, replaced) {
                None => (None, None),
                Some(after) => (
                    Some(iptc::irb_with_special_instructions_or_none(
                        irb,
                        after.as_deref(),
                    )?),
                    Some(after),
                ),
            }
        }
        _ => (None, None),
    };
    let raw_profiles = match expression {
        Some(expr) => plan_raw_profiles(layout, |existing| {
            special_instructions_after_remove(existing?, expr, replaced)
        })?,
        None => Vec::new(),
    };
    refuse_signed(signals, opts)?;
    Ok(Some(Plan {
        edit: Edit {
            xmp: Some(edit),
            photoshop_irb,
            png_raw_profiles: raw_profile_edits(&raw_profiles),
        },
        goal: Goal::NoCcsig,
        signing: signing_for(opts, Vec::new()),
        iim_2_40: iim_expected,
        raw_profiles,
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
    let mut changed = Vec::new();
    if plan.iim_2_40.is_some() {
        changed.push(container::BlockKind::PhotoshopIrb);
    }
    if !plan.raw_profiles.is_empty() {
        changed.push(container::BlockKind::RawIptcProfile);
    }
    let main_removed = matches!(plan.edit.xmp, Some(XmpEdit::Remove));
    container::verify_preserved_except(old, old_layout, new, &new_layout, &changed, main_removed)
        .map_err(|e| invalid(&e))?;
    if !plan.raw_profiles.is_empty() {
        verify_raw_profiles(old, old_layout, new, &new_layout, &plan.raw_profiles)?;
    }
    if let Some(expected) = &plan.iim_2_40 {
        let new_irb = irb_payload(&new_layout).ok_or_else(|| invalid(&"the IIM is gone"))?;
        iptc::verify_rewrite(irb_payload(old_layout), new_irb, expected.as_deref())
            .map_err(|e| invalid(&e))?;
    }
    reaches_goal(&new_layout, &plan.goal)
}

/// Whether the new file's XMP reads as the plan intended.
fn reaches_goal(new_layout: &Layout, goal: &Goal) -> Result<(), FileError> {
    packet_reaches_goal(new_layout.xmp(), goal)
}

/// [`reaches_goal`] for the main XMP packet alone.
fn packet_reaches_goal(packet: Option<&[u8]>, goal: &Goal) -> Result<(), FileError> {
    let fields = match packet {
        Some(p) => Some(xmp::read_fields(p).map_err(|e| FileError::Validation(e.to_string()))?),
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

/// Each raw profile in the new file: a planned one decodes to the intended
/// IIM with everything else kept, any other one is byte-identical.
fn verify_raw_profiles<A: Read + Seek, B: Read + Seek>(
    old: &mut A,
    old_layout: &Layout,
    new: &mut B,
    new_layout: &Layout,
    plans: &[RawProfilePlan],
) -> Result<(), FileError> {
    let invalid = |e: &dyn std::fmt::Display| FileError::Validation(e.to_string());
    let kind = container::BlockKind::RawIptcProfile;
    let before: Vec<_> = old_layout.blocks_of(kind).collect();
    let after: Vec<_> = new_layout.blocks_of(kind).collect();
    if before.len() != after.len() {
        return Err(invalid(&"a PNG raw profile chunk is missing or extra"));
    }
    for (o, n) in before.iter().zip(&after) {
        match plans.iter().find(|p| p.start == o.range.start) {
            Some(plan) => {
                let (Some(old_text), Some(new_text)) = (&o.payload, &n.payload) else {
                    return Err(invalid(&"a PNG raw profile was not read"));
                };
                iptc::verify_raw_profile_rewrite(old_text, new_text, plan.expected_2_40.as_deref())
                    .map_err(|e| invalid(&format!("PNG raw profile: {e}")))?;
            }
            None => {
                let same = container::ranges_equal(old, o.range.clone(), new, n.range.clone())
                    .map_err(|e| invalid(&e))?;
                if !same {
                    return Err(invalid(&"a PNG raw profile ccsig did not edit changed"));
                }
            }
        }
    }
    Ok(())
}

/// Signs `edited` (the original, `old`, rewritten as planned and already
/// validated against it) into `dest` with the plan's entries, and checks
/// the result before it may be used: the same container with every block
/// but the manifest store byte-identical to `edited`'s, and credentials
/// that validate and state what was meant.
#[cfg(feature = "c2pa")]
fn sign_checked<R, E, W>(
    (key, entries): &Signing,
    layout: &Layout,
    title: &str,
    old: &mut R,
    mut edited: E,
    dest: &mut W,
) -> Result<(), FileError>
where
    R: Read + Seek + Send,
    E: Read + Seek + Send,
    W: Read + Write + Seek + Send,
{
    let mime = layout.format.mime();
    edited
        .rewind()
        .map_err(|e| FileError::Write(e.to_string()))?;
    let edited_layout = container::scan(&mut edited)?;
    key.sign(mime, title, old, &mut edited, dest, entries)?;
    let invalid = |e: &dyn std::fmt::Display| FileError::Validation(e.to_string());
    let signed_layout = container::scan(dest).map_err(|e| invalid(&e))?;
    let store = [container::BlockKind::C2pa];
    container::verify_preserved_except(
        &mut edited,
        &edited_layout,
        dest,
        &signed_layout,
        &store,
        false,
    )
    .map_err(|e| invalid(&format!("after signing: {e}")))?;
    if signed_layout.xmp() != edited_layout.xmp() {
        return Err(invalid(&"signing changed the XMP packet"));
    }
    c2pa::verify_signed(mime, dest, entries)?;
    Ok(())
}

#[cfg(not(feature = "c2pa"))]
fn sign_checked<R, E, W>(
    signing: &Signing,
    _: &Layout,
    _: &str,
    _: &mut R,
    _: E,
    _: &mut W,
) -> Result<(), FileError> {
    match *signing {}
}

/// Replaces the image at `path` with the planned rewrite, validated first.
fn write_image(
    path: &Path,
    file: &File,
    seen: &Fingerprint,
    layout: &Layout,
    plan: &Plan,
    keep: atomic::Keep,
) -> Result<PathBuf, FileError> {
    let result = atomic::replace_keeping(path, file, seen, keep, |temp| -> Result<(), FileError> {
        let mut source = file;
        // Positioned reads: re-scanning costs no seek calls.
        let mut old = container::PositionedFile::new(file);
        if let Some(signing) = &plan.signing {
            // The edited file, before signing, in an unnamed file beside
            // the original (O_TMPFILE: no name to leave behind on a crash),
            // not in memory: the c2pa crate holds a whole copy already.
            let io = |e: std::io::Error| FileError::Write(e.to_string());
            let mut edited = tempfile::tempfile_in(atomic::folder_of(path)).map_err(io)?;
            container::rewrite(&mut source, layout, &plan.edit, &mut edited)?;
            edited.flush().map_err(io)?;
            validate(
                &mut old,
                layout,
                &mut container::PositionedFile::new(&edited),
                plan,
            )?;
            let title = path.file_name().unwrap_or_default().to_string_lossy();
            sign_checked(signing, layout, &title, &mut old, edited, temp)?;
            return temp.flush().map_err(io);
        }
        container::rewrite(&mut source, layout, &plan.edit, temp)?;
        temp.flush().map_err(|e| FileError::Write(e.to_string()))?;
        let mut new = container::PositionedFile::new(temp);
        validate(&mut old, layout, &mut new, plan)
    });
    match result {
        Ok(dir) => Ok(dir),
        Err(AtomicError::Produce(e)) => Err(e),
        Err(AtomicError::Unsafe(e)) => Err(FileError::Refused(e.to_string())),
        Err(e) => Err(FileError::Write(e.to_string())),
    }
}

/// The folder a file is in (`.` for a bare name).
/// The overwrite that writes the plan into the file in place, when it can
/// be: a re-tag (the packet already holds ccsig's fields: a first tagging
/// rewrites the file, so that `remove` can give back its exact bytes) that
/// changes only the main XMP packet (no IIM, no PNG raw profile, no flag),
/// stored uncompressed where a same-length packet can replace it, and the
/// new packet fits the old one's length once its padding is resized.
/// `None`: the whole file is rewritten.
fn overwrite_for<R: Read + Seek>(
    reader: &mut R,
    layout: &Layout,
    signals: &FileSignals,
    plan: &Plan,
    opts: &WriteOptions,
) -> Result<Option<(in_place::PacketSite, in_place::Overwrite)>, FileError> {
    let Some(XmpEdit::Replace(packet)) = &plan.edit.xmp else {
        return Ok(None);
    };
    let only_xmp = plan.edit.photoshop_irb.is_none()
        && plan.edit.png_raw_profiles.is_empty()
        && plan.iim_2_40.is_none()
        && plan.raw_profiles.is_empty();
    let retag =
        matches!(plan.goal, Goal::Holds(_)) && signals.xmp.as_ref().is_some_and(|f| f.has_ccsig());
    // A signed file is rewritten whole: its manifest binds every byte.
    if opts.no_in_place || !only_xmp || !retag || plan.signing.is_some() {
        return Ok(None);
    }
    let Some(old) = layout.xmp().filter(|p| !xmp::is_utf16(p)) else {
        return Ok(None);
    };
    let (Ok(old_text), Ok(new_text)) = (std::str::from_utf8(old), std::str::from_utf8(packet))
    else {
        return Ok(None);
    };
    let Some(sized) = xmp::with_length(new_text, old.len()) else {
        return Ok(None);
    };
    // The old packet must allow edits in place too (`end="w"`).
    if !xmp::allows_edits_in_place(old_text) {
        return Ok(None);
    }
    let Some(site) = in_place::locate(reader, layout)? else {
        return Ok(None);
    };
    Ok(site.overwrite(sized.as_bytes()).map(|o| (site, o)))
}

/// [`overwrite_for`] a file on disk, which must also have no other hard
/// link (that name would see the change: with `--break-hardlinks` the file
/// is copied instead) and be writable.
#[cfg(unix)]
fn in_place_overwrite(
    image: &OpenImage,
    meta: &std::fs::Metadata,
    plan: &Plan,
    opts: &WriteOptions,
) -> Result<Option<(in_place::PacketSite, in_place::Overwrite)>, FileError> {
    use std::os::unix::fs::MetadataExt;
    if meta.nlink() != 1 {
        return Ok(None);
    }
    let mut reader = container::PositionedFile::new(&image.file);
    let found = overwrite_for(&mut reader, &image.layout, &image.signals, plan, opts)?;
    if found.is_some() {
        atomic::check_replaceable(&image.path, meta, opts.keep())
            .map_err(|e| FileError::Refused(e.to_string()))?;
    }
    Ok(found)
}

#[cfg(not(unix))]
fn in_place_overwrite(
    _: &OpenImage,
    _: &std::fs::Metadata,
    _: &Plan,
    _: &WriteOptions,
) -> Result<Option<(in_place::PacketSite, in_place::Overwrite)>, FileError> {
    Ok(None)
}

/// Writes the new packet over the old one in the file itself, crash-safe:
/// the result is validated before a byte is written
/// ([`validate_overwrite`]); under an exclusive lock on the file, with
/// the file as it was read, the old bytes go into an undo journal that is
/// made durable; then the overwrite, made durable, is checked by reading
/// the file back (rolled back if it does not hold), and the journal is
/// removed. Journal and syncs are shared with the other in-place writes
/// under way ([`commit`], a group commit). A crash at any moment leaves the journal, whose
/// replay by the next run restores the old bytes. Returns the folder whose
/// entry (the journal's removal) is still to be synced.
#[cfg(unix)]
fn write_in_place(
    image: &OpenImage,
    plan: &Plan,
    site: &in_place::PacketSite,
    overwrite: &in_place::Overwrite,
    opts: &WriteOptions,
) -> Result<PathBuf, FileError> {
    use std::os::unix::fs::{FileExt, MetadataExt};
    let write_err = |e: &dyn std::fmt::Display| FileError::Write(e.to_string());
    let changed = || FileError::Write(AtomicError::<std::io::Error>::ChangedMeanwhile.to_string());
    validate_overwrite(site, overwrite, &plan.goal)?;

    let target = std::fs::OpenOptions::new()
        .write(true)
        .open(&image.path)
        .map_err(|e| write_err(&e))?;
    let (now, then) = (
        target.metadata().map_err(|e| write_err(&e))?,
        image.file.metadata().map_err(|e| write_err(&e))?,
    );
    if (now.dev(), now.ino()) != (then.dev(), then.ino()) {
        return Err(changed());
    }
    // Another ccsig writing the same file in place holds this lock; the
    // old bytes are compared under it, so neither loses the other's write.
    // Held briefly (an overwrite takes milliseconds; a child process
    // forked elsewhere in this program holds a copy until it execs), so
    // it is waited for a while rather than forever.
    if !lock_within(&target, std::time::Duration::from_secs(2)) {
        return Err(changed());
    }
    let mut before = vec![0u8; overwrite.bytes.len()];
    image
        .file
        .read_exact_at(&mut before, overwrite.offset)
        .map_err(|e| write_err(&e))?;
    let packet_len = (site.packet.end - site.packet.start) as usize;
    let still_as_read = Fingerprint::of(&image.file).map_err(|e| write_err(&e))? == image.seen
        && Some(&before[..packet_len]) == image.layout.xmp();
    if !still_as_read {
        return Err(changed());
    }

    let times = match opts.preserve_mtime {
        true => Some(
            std::fs::FileTimes::new()
                .set_accessed(then.accessed().map_err(|e| write_err(&e))?)
                .set_modified(then.modified().map_err(|e| write_err(&e))?),
        ),
        false => None,
    };
    let committed = commit::commit(commit::Request {
        path: image.path.clone(),
        target: target.try_clone().map_err(|e| write_err(&e))?,
        offset: overwrite.offset,
        old: before,
        new: overwrite.bytes.clone(),
        times,
    })
    .map_err(|e| write_err(&e))?;
    let mut back = vec![0u8; overwrite.bytes.len()];
    let verified = image
        .file
        .read_exact_at(&mut back, overwrite.offset)
        .map_err(|e| write_err(&e))
        .and_then(|()| match back == overwrite.bytes {
            true => Ok(()),
            false => Err(FileError::Validation(
                "the overwritten bytes do not read back".into(),
            )),
        });
    match verified {
        Ok(()) => {
            committed.release().map_err(|e| write_err(&e))?;
            Ok(atomic::folder_of(&image.path).to_path_buf())
        }
        Err(e) => {
            // The old bytes go back now; if even that fails, the journal
            // stays for the next run to replay.
            let _ = committed.roll_back();
            Err(e)
        }
    }
}

#[cfg(not(unix))]
fn write_in_place(
    _: &OpenImage,
    _: &Plan,
    _: &in_place::PacketSite,
    _: &in_place::Overwrite,
    _: &WriteOptions,
) -> Result<PathBuf, FileError> {
    unreachable!("in-place writes are planned on Unix only")
}

/// Validates an overwrite in place before it is written: the new packet
/// reads back as intended. Nothing else needs checking: the site holds
/// exactly the packet the scan read (and a PNG chunk's CRC matched it,
/// [`in_place::locate`]), and the overwrite stays inside the packet's
/// block, so every other byte of the file is one the scan already parsed,
/// and a scan of the new file would see the same blocks.
fn validate_overwrite(
    site: &in_place::PacketSite,
    overwrite: &in_place::Overwrite,
    goal: &Goal,
) -> Result<(), FileError> {
    let len = (site.packet.end - site.packet.start) as usize;
    packet_reaches_goal(overwrite.bytes.get(..len), goal)
}

/// Takes an exclusive lock on `file`, trying until `patience` runs out.
#[cfg(unix)]
fn lock_within(file: &File, patience: std::time::Duration) -> bool {
    let start = std::time::Instant::now();
    loop {
        if file.try_lock().is_ok() {
            return true;
        }
        if start.elapsed() > patience {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
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
    image_permissions: &std::fs::Permissions,
    op: SidecarOp,
    opts: &WriteOptions,
    dirs: &mut Vec<PathBuf>,
) -> Result<Option<Note>, FileError> {
    let dry_run = opts.dry_run;
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
        severity: Severity::Note,
        message,
    };
    if dry_run {
        return Ok(Some(note));
    }
    let write_err = |e: &dyn std::fmt::Display| FileError::Write(format!("sidecar {name}: {e}"));
    match (existing, new) {
        (Some((file, seen, _)), Some(new)) => dirs.push(
            atomic::replace_keeping(path, &file, &seen, opts.keep(), |temp| {
                temp.write_all(new.as_bytes())
            })
            .map_err(|e| match e {
                AtomicError::Unsafe(e) => FileError::Refused(format!("sidecar {name}: {e}")),
                e => write_err(&e),
            })?,
        ),
        (Some(_), None) => {
            std::fs::remove_file(path).map_err(|e| write_err(&e))?;
            dirs.extend(path.parent().map(Path::to_path_buf));
        }
        (None, Some(new)) => dirs
            .push(create_new(path, new.as_bytes(), image_permissions).map_err(|e| write_err(&e))?),
        (None, None) => {}
    }
    Ok(Some(note))
}

/// Creates a file that must not exist yet, atomically: written and synced
/// under a temporary name, then linked into place without replacing
/// anything a concurrent writer put there. It gets `permissions` (the
/// image's: a sidecar is as private or as shared as its image).
fn create_new(
    path: &Path,
    bytes: &[u8],
    permissions: &std::fs::Permissions,
) -> std::io::Result<PathBuf> {
    let dir = atomic::folder_of(path);
    let mut temp = atomic::temp_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().set_permissions(permissions.clone())?;
    temp.as_file().sync_all()?;
    temp.persist_noclobber(path).map_err(|e| e.error)?;
    Ok(dir.to_path_buf())
}

/// What a write (or, with `removing`, a removal) did to a file.
fn outcome(changed: bool, dry_run: bool, removing: bool, notes: Vec<Note>) -> Outcome {
    let (change, notes) = match (changed, dry_run, removing) {
        (false, _, _) => (Change::Unchanged, vec![]),
        (true, true, false) => (Change::WouldWrite, notes),
        (true, false, false) => (Change::Written, notes),
        (true, true, true) => (Change::WouldRemove, notes),
        (true, false, true) => (Change::Removed, notes),
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
/// Unless nothing will be written, the folder is settled first: a stale
/// undo journal there means the file may hold a half-written packet, which
/// its replay restores before the file is read.
fn open_image(path: &Path, opts: &WriteOptions) -> Result<OpenImage, FileError> {
    let is_link = std::fs::symlink_metadata(path)
        .map(|m| m.file_type().is_symlink())
        .map_err(ReadError::Io)?;
    let path = if is_link {
        std::fs::canonicalize(path).map_err(ReadError::Io)?
    } else {
        path.to_path_buf()
    };
    if !opts.dry_run {
        atomic::clean_dir_once(atomic::folder_of(&path));
    }
    let file = File::open(&path).map_err(ReadError::Io)?;
    let seen = Fingerprint::of(&file).map_err(ReadError::Io)?;
    let (layout, signals) = inspect::read_named(
        &mut container::PositionedFile::new(&file),
        &path,
        crate::signal::Vocabulary::default(),
    )?;
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
    removing: bool,
    opts: &WriteOptions,
    plan_for: impl FnOnce(&Layout, &FileSignals) -> Result<Option<Plan>, FileError>,
) -> Result<(Option<Vec<u8>>, Outcome), FileError> {
    let mut old = Cursor::new(bytes);
    let (layout, signals) = inspect::read(&mut old)?;
    let Some(plan) = plan_for(&layout, &signals)? else {
        return Ok((None, outcome(false, false, removing, vec![])));
    };
    // The same bytes as a write to a path: in place when it would be there.
    if let Some((site, overwrite)) = overwrite_for(&mut old, &layout, &signals, &plan, opts)? {
        let mut new = bytes.to_vec();
        let range = overwrite.range();
        new[range.start as usize..range.end as usize].copy_from_slice(&overwrite.bytes);
        validate_overwrite(&site, &overwrite, &plan.goal)?;
        return Ok((Some(new), outcome(true, false, removing, vec![])));
    }
    let mut new = Cursor::new(Vec::with_capacity(bytes.len() + 4096));
    container::rewrite(&mut old, &layout, &plan.edit, &mut new)?;
    validate(&mut old, &layout, &mut new, &plan)?;
    if let Some(signing) = &plan.signing {
        let mut signed = Cursor::new(Vec::with_capacity(bytes.len() + 65536));
        sign_checked(signing, &layout, "image", &mut old, new, &mut signed)?;
        new = signed;
    }
    Ok((
        Some(new.into_inner()),
        outcome(true, false, removing, vec![]),
    ))
}

/// Writes the requested signal into the file at `path`, atomically, and
/// into its XMP sidecars if it has any (with `sidecar_only`, into a
/// sidecar only, created if needed, leaving the image untouched).
///
/// ```
/// use ccsig::{apply_path, ApplyRequest, SignalCode, WriteOptions};
/// use ccsig::tagging::Change;
///
/// let dir = tempfile::tempdir().unwrap();
/// let photo = dir.path().join("photo.jpg");
/// std::fs::copy("sample-images/jpeg/xmp-rich.jpg", &photo).unwrap();
///
/// let request = ApplyRequest::from_signal(SignalCode::Cr, "train-ai")
///     .unwrap()
///     .credited(None, Some("https://example.org/ada"))
///     .unwrap();
/// let outcome = apply_path(&photo, &request, &WriteOptions::default()).unwrap();
/// assert_eq!(outcome.change, Change::Written);
/// // The file had no credit field of ccsig's: the name came from dc:creator.
/// assert!(outcome.notes.iter().any(|n| n.message.contains("dc:creator")), "{:?}", outcome.notes);
///
/// let signals = ccsig::read_path(&photo).unwrap();
/// assert_eq!(signals.combined_expression().as_deref(), Some("train-ai=n;exceptions=cc-cr"));
/// assert_eq!(signals.credit.name.as_deref(), Some("Ada Example"));
///
/// // Asked again, the file already says it: nothing is written.
/// let again = apply_path(&photo, &request, &WriteOptions::default()).unwrap();
/// assert_eq!(again.change, Change::Unchanged);
///
/// // A dry run decides and reports, but leaves the file alone.
/// let other = ApplyRequest::from_expression("train-ai=y").unwrap();
/// let before = std::fs::read(&photo).unwrap();
/// let dry = WriteOptions { dry_run: true, ..Default::default() };
/// assert_eq!(apply_path(&photo, &other, &dry).unwrap().change, Change::WouldWrite);
/// assert_eq!(std::fs::read(&photo).unwrap(), before);
/// ```
pub fn apply_path(
    path: &Path,
    request: &ApplyRequest,
    opts: &WriteOptions,
) -> Result<Outcome, FileError> {
    request.validate()?;
    let mut image = open_image(path, opts)?;
    let through_sidecar = through_sidecar(&image, opts)?;
    let mut sidecars = sidecars_of(&image);
    // What the sidecars say counts for credit and for what is replaced.
    for sidecar in &sidecars {
        match crate::sidecar::read(sidecar) {
            Ok(bytes) => image.signals.add_sidecar(sidecar.clone(), &bytes),
            Err(e) => image
                .signals
                .add_sidecar_error(sidecar.clone(), e.to_string()),
        }
    }
    if let Some(kept) = keep_existing(&image.signals, opts) {
        return Ok(kept);
    }
    let (tag, mut notes) = resolve_tag(&image.signals, request);
    notes.extend(replacement_notes(&image.signals, &tag.expression, opts));
    notes.extend(unreadable_raw_profile_note(&image.layout, &image.signals));
    let plan = if through_sidecar {
        refuse_unwritable_disagreement(&image, &tag, opts)?;
        None
    } else {
        plan_apply(&image.layout, &image.signals, &tag, opts)?
    };
    if plan.is_some() {
        notes.extend(xmp_rewrite_note(&image.layout));
    }
    if through_sidecar && sidecars.is_empty() {
        sidecars.push(new_sidecar(&image, opts)?);
    }
    carry_out(&image, plan, &sidecars, SidecarOp::Apply(&tag), notes, opts)
}

/// Whether the signal goes into sidecars only: when asked, and always for
/// an image ccsig does not write itself (camera RAW: the tools that
/// develop it keep its metadata in a sidecar, and a proprietary file is
/// never rewritten) or a sidecar named directly.
fn through_sidecar(image: &OpenImage, opts: &WriteOptions) -> Result<bool, FileError> {
    let format = image.layout.format;
    if format.embeds() {
        if signs(opts) && !format.signs_c2pa() && !opts.sidecar_only {
            return Err(FileError::Refused(format!(
                "ccsig does not sign {} files with Content Credentials yet (leave out \
                 --c2pa-sign)",
                format.name()
            )));
        }
        return Ok(opts.sidecar_only);
    }
    if signs(opts) {
        return Err(FileError::Refused(format!(
            "{} files are tagged through their XMP sidecars, which cannot carry Content \
             Credentials (leave out --c2pa-sign)",
            format.name()
        )));
    }
    Ok(true)
}

/// A file ccsig does not write whose own metadata (a RAW's IFD0 packet, a
/// HEIF's XMP item) states another preference: the sidecar would contradict
/// it, which `check` reports, so `apply` refuses unless told to write the
/// sidecar anyway (`--sidecar`).
fn refuse_unwritable_disagreement(
    image: &OpenImage,
    tag: &Tag,
    opts: &WriteOptions,
) -> Result<(), FileError> {
    if opts.sidecar_only || image.layout.format.embeds() {
        return Ok(());
    }
    let own: Vec<String> = image
        .signals
        .sources
        .iter()
        .filter(|s| s.sidecar.is_none() && s.expression != tag.expression)
        .map(|s| format!("{} says {:?}", s.field(), s.expression))
        .collect();
    if own.is_empty() {
        return Ok(());
    }
    Err(FileError::Refused(format!(
        "{}; ccsig does not write {} files, so their sidecar would contradict it \
         (--sidecar writes the sidecar anyway)",
        own.join(", "),
        image.layout.format.name()
    )))
}

/// The sidecars a write updates: those that exist next to the image, or
/// the file itself when it is a sidecar named directly.
fn sidecars_of(image: &OpenImage) -> Vec<PathBuf> {
    match image.layout.format {
        container::Format::Xmp => vec![image.path.clone()],
        _ => crate::sidecar::existing(&image.path),
    }
}

/// Where the sidecar of an image that has none is created.
fn new_sidecar(image: &OpenImage, opts: &WriteOptions) -> Result<PathBuf, FileError> {
    use crate::sidecar::{self, SidecarStyle};
    let embeds = image.layout.format.embeds();
    let style = opts
        .sidecar_style
        .unwrap_or(SidecarStyle::default_for(embeds));
    let path = sidecar::new_path(&image.path, style);
    if style == SidecarStyle::Lightroom {
        if let Some(owner) = sidecar::stem_sidecar_owner(&image.path) {
            return Err(FileError::Refused(format!(
                "{} would be {}'s sidecar too (a RAW+JPEG pair); leave out \
                 --sidecar-style lightroom to create {}",
                sidecar::display_name(&path),
                sidecar::display_name(&owner),
                sidecar::display_name(&sidecar::new_path(&image.path, SidecarStyle::Darktable)),
            )));
        }
    }
    Ok(path)
}

/// With `--keep-existing`, a file (or sidecar) that already states a
/// preference is left alone, and the report says which field states it.
fn keep_existing(signals: &FileSignals, opts: &WriteOptions) -> Option<Outcome> {
    if !opts.keep_existing {
        return None;
    }
    let stating = stated_preferences(signals);
    let (field, expression) = stating.first()?;
    Some(Outcome {
        change: Change::Kept,
        notes: vec![Note {
            severity: Severity::Note,
            message: format!(
                "already states a preference ({field}: {expression:?}); left alone (--keep-existing)"
            ),
        }],
        unsynced_dirs: vec![],
    })
}

/// The fields that state a `y` or `n` for some label, with the expression
/// each stands for.
fn stated_preferences(signals: &FileSignals) -> Vec<(String, String)> {
    signals
        .sources
        .iter()
        .filter(|s| {
            s.statement
                .members
                .iter()
                .any(|m| m.value != signal::Preference::Unknown)
        })
        .map(|s| (s.field(), s.expression.clone()))
        .collect()
}

/// Names each preference that writing `expression` replaces: a field that
/// states something else now and that ccsig overwrites (`remove` puts it
/// back), or one it cannot overwrite and leaves disagreeing. ccsig's own
/// mirrors of its earlier expression are named once, as that expression.
fn replacement_notes(signals: &FileSignals, expression: &str, opts: &WriteOptions) -> Vec<Note> {
    let ours = signals.xmp.as_ref().and_then(|f| f.expression.as_deref());
    let writes_data_mining = xmp::mirrors_for(expression).data_mining.is_some();
    let mut notes = Vec::new();
    for s in &signals.sources {
        let ccsig_mirror =
            s.place != inspect::Place::CcsigExpression && Some(s.expression.as_str()) == ours;
        if s.expression == expression || ccsig_mirror || (opts.sidecar_only && s.sidecar.is_none())
        {
            continue;
        }
        let stored = if s.stored == s.expression {
            format!("{:?}", s.expression)
        } else {
            format!("{:?}, read as {:?}", s.stored, s.expression)
        };
        let overwritten = match &s.place {
            inspect::Place::CcsigExpression | inspect::Place::IimSpecialInstructions => true,
            inspect::Place::DataMining => writes_data_mining,
            inspect::Place::OtherConstraints { lang } => lang.is_empty() || lang == "x-default",
            // A new signed manifest supersedes the active one's entries.
            inspect::Place::C2pa { .. } => signs(opts),
            // Around the file, not in it: never written.
            inspect::Place::TdmReservation
            | inspect::Place::HttpContentUsage
            | inspect::Place::XRobotsTag { .. }
            | inspect::Place::Robots { .. } => false,
        };
        let (severity, message) = match (&s.place, overwritten) {
            (inspect::Place::CcsigExpression, _) => (
                Severity::Note,
                format!("replaces {} {stored} (ccsig's earlier expression)", s.field()),
            ),
            (inspect::Place::C2pa { .. }, true) => (
                Severity::Warning,
                format!(
                    "replaces {} {stored} (the new manifest states the signal; the earlier one \
                     stays, signed, as its parent ingredient)",
                    s.field()
                ),
            ),
            (_, true) => (
                Severity::Warning,
                format!("replaces {} {stored} (remove puts it back)", s.field()),
            ),
            (_, false) => (
                Severity::Warning,
                format!(
                    "{} says {stored} and is not written by ccsig: check will report the disagreement",
                    s.field()
                ),
            ),
        };
        notes.push(Note { severity, message });
    }
    notes
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
    let image_meta = image.file.metadata().map_err(ReadError::Io)?;
    if plan.is_some() && opts.dry_run {
        // What the write itself would refuse, a dry run reports.
        atomic::check_replaceable(&image.path, &image_meta, opts.keep())
            .map_err(|e| FileError::Refused(e.to_string()))?;
    }
    if let (Some(plan), false) = (&plan, opts.dry_run) {
        match in_place_overwrite(image, &image_meta, plan, opts)? {
            Some((site, overwrite)) => {
                dirs.push(write_in_place(image, plan, &site, &overwrite, opts)?);
                notes.push(Note {
                    severity: Severity::Note,
                    message: format!(
                        "written in place: the new XMP packet took the old one's room \
                         ({} bytes rewritten, the rest of the file untouched)",
                        overwrite.bytes.len()
                    ),
                });
            }
            None => dirs.push(write_image(
                &image.path,
                &image.file,
                &image.seen,
                &image.layout,
                plan,
                opts.keep(),
            )?),
        }
    }
    let image_permissions = image_meta.permissions();
    for sidecar in sidecars {
        if let Some(note) = update_sidecar(sidecar, &image_permissions, op, opts, &mut dirs)? {
            changed = true;
            notes.push(note);
        }
    }
    let removing = matches!(op, SidecarOp::Remove);
    finish(outcome(changed, opts.dry_run, removing, notes), dirs, opts)
}

/// A PNG raw IPTC profile that cannot be read is left as it is, and so
/// cannot be kept in sync: the user must know.
fn unreadable_raw_profile_note(layout: &Layout, signals: &FileSignals) -> Option<Note> {
    if layout.format != container::Format::Png {
        return None;
    }
    let reason = signals.iim_error.as_ref()?;
    Some(Note {
        severity: Severity::Warning,
        message: format!(
            "the IPTC raw profile of this PNG cannot be read ({reason}); it is left as it is"
        ),
    })
}

/// Removes what ccsig wrote from the file at `path` and its sidecars,
/// atomically (with `sidecar_only`, from the sidecars only).
///
/// ```
/// use ccsig::tagging::Change;
///
/// let dir = tempfile::tempdir().unwrap();
/// let photo = dir.path().join("photo.png");
/// std::fs::copy("sample-images/tagged/ccsig-cr.png", &photo).unwrap();
///
/// let outcome = ccsig::remove_path(&photo, &Default::default()).unwrap();
/// assert_eq!(outcome.change, Change::Removed);
/// assert!(ccsig::read_path(&photo).unwrap().sources.is_empty());
///
/// // Nothing left to remove.
/// let again = ccsig::remove_path(&photo, &Default::default()).unwrap();
/// assert_eq!(again.change, Change::Unchanged);
/// ```
pub fn remove_path(path: &Path, opts: &WriteOptions) -> Result<Outcome, FileError> {
    let image = open_image(path, opts)?;
    let plan = if through_sidecar(&image, opts)? {
        None
    } else {
        plan_remove(&image.layout, &image.signals, opts)?
    };
    let sidecars = sidecars_of(&image);
    let notes = match plan {
        Some(_) => xmp_rewrite_note(&image.layout).into_iter().collect(),
        None => vec![],
    };
    carry_out(&image, plan, &sidecars, SidecarOp::Remove, notes, opts)
}

/// Writes the requested signal into an in-memory file. Returns the new
/// bytes, or `None` when the file already carries exactly this signal.
///
/// ```
/// use ccsig::{apply_bytes, ApplyRequest, SignalCode, WriteOptions};
///
/// let original = std::fs::read("sample-images/webp/lossy.webp").unwrap();
/// let request = ApplyRequest::from_signal(SignalCode::CrOp, "train-ai").unwrap();
/// let (new, _outcome) = apply_bytes(&original, &request, &WriteOptions::default()).unwrap();
/// let new = new.expect("the file had no signal, so it changes");
/// let signals = ccsig::read_bytes(&new).unwrap();
/// assert_eq!(
///     signals.decisions["train-ai"],
///     ccsig::signal::Decision::AllowedIf(vec![SignalCode::CrOp]),
/// );
///
/// // Already tagged: no new bytes.
/// let (unchanged, _) = apply_bytes(&new, &request, &WriteOptions::default()).unwrap();
/// assert!(unchanged.is_none());
/// ```
pub fn apply_bytes(
    bytes: &[u8],
    request: &ApplyRequest,
    opts: &WriteOptions,
) -> Result<(Option<Vec<u8>>, Outcome), FileError> {
    request.validate()?;
    let mut left_alone = None;
    let (new, outcome) = execute_on_bytes(bytes, false, opts, |l, s| {
        left_alone = keep_existing(s, opts);
        if left_alone.is_some() {
            return Ok(None);
        }
        let (tag, _) = resolve_tag(s, request);
        plan_apply(l, s, &tag, opts)
    })?;
    Ok((new, left_alone.unwrap_or(outcome)))
}

/// Removes what ccsig wrote from an in-memory file. Returns the new bytes,
/// or `None` when there was nothing to remove.
///
/// ```
/// let tagged = std::fs::read("sample-images/tagged/ccsig-ec.webp").unwrap();
/// let (new, _) = ccsig::remove_bytes(&tagged, &Default::default()).unwrap();
/// let new = new.expect("ccsig's fields were there to remove");
/// assert!(ccsig::read_bytes(&new).unwrap().sources.is_empty());
/// assert!(ccsig::remove_bytes(&new, &Default::default()).unwrap().0.is_none());
/// let (_, outcome) = ccsig::remove_bytes(&tagged, &Default::default()).unwrap();
/// assert_eq!(outcome.change, ccsig::tagging::Change::Removed);
/// ```
pub fn remove_bytes(
    bytes: &[u8],
    opts: &WriteOptions,
) -> Result<(Option<Vec<u8>>, Outcome), FileError> {
    execute_on_bytes(bytes, true, opts, |l, s| plan_remove(l, s, opts))
}
