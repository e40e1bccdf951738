//! The audit: every way a file's signal can be missing, malformed, legacy,
//! contradictory or not what the user expected, as typed findings.
//! `docs/audit.md` lists the kinds with the fields they compare.

use serde::Serialize;

use crate::inspect::{FileSignals, Place, Source};
use crate::mapping::c2pa::ManifestState;
use crate::mapping::xmp;
use crate::signal::{self, Diagnostic, Preference, Severity, Statement};

/// What kind of problem a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// No signal anywhere in the file.
    Missing,
    /// A field that does not parse, or holds values the vocabulary ignores.
    Malformed,
    /// Two fields of one file disagree.
    Conflict,
    /// An old category label from an earlier draft.
    Legacy,
    /// An `exceptions` code that names no CC signal: it grants nothing.
    UnknownException,
    /// A label or parameter the vocabulary ignores, or a duplicated label.
    Ignored,
    /// The signal differs from the one the user expected.
    Unexpected,
    /// The file itself could not be read.
    Unreadable,
    /// The name credited differs from the creator the file names elsewhere
    /// (informational: an agency may rightly credit itself).
    Credit,
    /// The file's licence puts the signal in context (informational).
    Licence,
    /// The file carries C2PA Content Credentials that a rewrite would break.
    Signed,
    /// The IIM digest (8BIM 0x0425) no longer matches the IIM: MWG readers
    /// will distrust one of IIM and XMP.
    StaleDigest,
    /// The file's signal or credit differs from its row of a manifest
    /// (`check --manifest`); the finding carries the expected and found values.
    ManifestMismatch,
    /// A manifest row names a file that does not exist.
    MissingFile,
    /// An image under `check --tree` that no manifest row names.
    NotInManifest,
    /// A manifest row that cannot be used (`check --manifest`): its line
    /// and why; its file is not compared with it.
    BadRow,
    /// A temporary file left by a ccsig that was killed mid-write; the next
    /// `apply` or `remove` in its folder removes it.
    StaleTemporary,
    /// The file's C2PA Content Credentials do not validate (or cannot be
    /// read): their "no" still counts, an "allowed" does not.
    C2paInvalid,
    /// An `allowed` in Content Credentials that do not validate: ignored.
    Unverified,
    /// A preference stated only in the manifest of an ingredient (the
    /// file's history), not in its active manifest.
    C2paHistory,
    /// A manifest row whose file is gone while an image under `--tree` is
    /// the same file (same `xmpMM:InstanceID` or image data): moved or
    /// renamed. Reported once, on the new path, naming the row's.
    Moved,
}

impl FindingKind {
    /// The stable name in reports, e.g. `unknown_exception` (see
    /// `docs/schema.md`).
    ///
    /// ```
    /// assert_eq!(ccsig::FindingKind::StaleDigest.name(), "stale_digest");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::Missing => "missing",
            FindingKind::Malformed => "malformed",
            FindingKind::Conflict => "conflict",
            FindingKind::Legacy => "legacy",
            FindingKind::UnknownException => "unknown_exception",
            FindingKind::Ignored => "ignored",
            FindingKind::Unexpected => "unexpected",
            FindingKind::Unreadable => "unreadable",
            FindingKind::Credit => "credit",
            FindingKind::Licence => "licence",
            FindingKind::Signed => "signed",
            FindingKind::StaleDigest => "stale_digest",
            FindingKind::StaleTemporary => "stale_temporary",
            FindingKind::ManifestMismatch => "manifest_mismatch",
            FindingKind::MissingFile => "missing_file",
            FindingKind::NotInManifest => "not_in_manifest",
            FindingKind::BadRow => "bad_row",
            FindingKind::C2paInvalid => "c2pa_invalid",
            FindingKind::Unverified => "unverified",
            FindingKind::C2paHistory => "c2pa_history",
            FindingKind::Moved => "moved",
        }
    }

    /// What to do about a finding of this kind, in one sentence for people
    /// (the audit report prints it above each group of findings).
    ///
    /// ```
    /// assert!(ccsig::FindingKind::Missing.fix().contains("ccsig apply"));
    /// ```
    pub fn fix(self) -> &'static str {
        match self {
            FindingKind::Missing => "Tag the files: ccsig apply --signal ... (or apply --manifest from the catalog).",
            FindingKind::Malformed => "Rewrite the field with ccsig apply; it writes every field in the form the standards define.",
            FindingKind::Conflict => "Decide which statement holds and apply it: ccsig apply rewrites every field the same way.",
            FindingKind::Legacy => "Re-apply with the current label (the finding names it): older drafts' labels are read differently by other tools.",
            FindingKind::UnknownException => "Use one of the CC signals cc-cr, cc-cr-dc, cc-cr-ec or cc-cr-op; an unknown code grants nothing.",
            FindingKind::Ignored => "Drop the label or parameter: readers of the vocabulary ignore it.",
            FindingKind::Unexpected => "Apply the expected signal, or change the expectation if the file is right.",
            FindingKind::Unreadable => "Replace the file from a good copy: ccsig cannot read it and leaves it untouched.",
            FindingKind::Credit => "Name whom to credit (the catalog's credit_name, or --credit-name) and apply; a note only asks you to check who is credited: an agency may rightly credit itself.",
            FindingKind::Licence => "Check the licence and the signal together: a public-domain dedication with a 'no' confuses readers.",
            FindingKind::Signed => "Tag through an XMP sidecar (apply --sidecar), or re-sign with apply --c2pa-sign.",
            FindingKind::StaleDigest => "Run ccsig apply once: it recomputes the IIM digest so MWG readers trust both IIM and XMP.",
            FindingKind::ManifestMismatch => "Apply the catalog (ccsig apply --manifest), or correct the row if the file is right.",
            FindingKind::MissingFile => "Restore the file, or remove its row from the catalog.",
            FindingKind::NotInManifest => "Add a row for the image to the catalog, or move it out of the tree.",
            FindingKind::BadRow => "Correct the row (the finding names the nearest valid value); it is not compared until then.",
            FindingKind::StaleTemporary => "Run ccsig apply or remove in that folder once: it deletes what a killed run left.",
            FindingKind::C2paInvalid => "Ask the signer for intact Content Credentials: their 'allowed' entries do not count until they validate.",
            FindingKind::Unverified => "Add the signer's root with --c2pa-trust if you trust it; until then its 'allowed' is ignored.",
            FindingKind::C2paHistory => "State the preference in the active manifest (or XMP) if it still holds for this file.",
            FindingKind::Moved => "Update the catalog row to the new path: ccsig apply --manifest --follow-moves, or the sed list the report prints.",
        }
    }
}

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What kind of problem it is.
    pub kind: FindingKind,
    /// `error` and `warning` need fixing (exit code 1); `info` is for
    /// information only.
    pub severity: Severity,
    /// The field(s) involved, e.g. `XMP plus:DataMining`.
    pub fields: Vec<String>,
    /// What is wrong, for people; its wording may change.
    pub message: String,
    /// The value a comparison wanted (`manifest_mismatch` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// The value the file holds instead (`manifest_mismatch` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
}

impl Finding {
    pub(crate) fn new(
        kind: FindingKind,
        severity: Severity,
        fields: Vec<String>,
        message: String,
    ) -> Self {
        Finding {
            kind,
            severity,
            fields,
            message,
            expected: None,
            found: None,
        }
    }

    /// The finding with the values it compared.
    pub(crate) fn with_values(mut self, expected: String, found: String) -> Self {
        self.expected = Some(expected);
        self.found = Some(found);
        self
    }

    /// Whether this finding is something to fix (exit code 1).
    ///
    /// ```
    /// let signals = ccsig::read_path("sample-images/jpeg/plain.jpg".as_ref()).unwrap();
    /// let findings = ccsig::audit::check(&signals, None);
    /// assert_eq!(findings[0].kind, ccsig::FindingKind::Missing);
    /// assert!(findings[0].needs_fixing());
    /// ```
    pub fn needs_fixing(&self) -> bool {
        self.severity != Severity::Note
    }
}

/// A finding for a file that could not be read at all.
///
/// ```
/// let finding = ccsig::audit::unreadable("file is truncated");
/// assert_eq!(finding.kind, ccsig::FindingKind::Unreadable);
/// assert!(finding.needs_fixing());
/// ```
pub fn unreadable(reason: &str) -> Finding {
    Finding::new(
        FindingKind::Unreadable,
        Severity::Error,
        vec![],
        reason.to_string(),
    )
}

/// The finding for a file a stopped ccsig left behind in a folder: a
/// temporary ([`stale_temporary`]) or the undo journal of an in-place write
/// ([`pending_journal`], naming the images it is for). `None` when `path` is
/// not one, or a live ccsig still holds it.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let left = dir.path().join(".ccsig-x7Yq2.tmp");
/// std::fs::write(&left, b"half a photo").unwrap();
/// let finding = ccsig::audit::left_behind(&left).unwrap();
/// assert_eq!(finding.kind.name(), "stale_temporary");
/// assert!(ccsig::audit::left_behind(&dir.path().join("photo.jpg")).is_none());
/// ```
pub fn left_behind(path: &std::path::Path) -> Option<Finding> {
    use crate::batch::atomic;
    if !atomic::is_stale_temp(path) {
        return None;
    }
    if !atomic::is_journal_name(path) {
        return Some(stale_temporary());
    }
    #[cfg(unix)]
    let images = crate::batch::journal::targets_of(path).unwrap_or_default();
    #[cfg(not(unix))]
    let images: Vec<std::path::PathBuf> = Vec::new();
    Some(pending_journal(&images))
}

/// The finding for a temporary file that a killed ccsig left behind.
///
/// ```
/// let finding = ccsig::audit::stale_temporary();
/// assert_eq!(finding.kind.name(), "stale_temporary");
/// ```
pub fn stale_temporary() -> Finding {
    Finding::new(
        FindingKind::StaleTemporary,
        Severity::Warning,
        vec![],
        "temporary file left by a ccsig that was stopped mid-write (the image beside it is \
         intact); the next apply or remove in this folder deletes it"
            .to_string(),
    )
}

/// The finding for the undo journal of an in-place write that a killed
/// ccsig left behind (a `stale_temporary` too: the next write replays it).
///
/// `images` are the files the journal names (none: the journal is torn,
/// and no image was touched).
///
/// ```
/// let finding = ccsig::audit::pending_journal(&["photo.jpg".into()]);
/// assert_eq!(finding.kind.name(), "stale_temporary");
/// assert!(finding.message.contains("photo.jpg"));
/// ```
pub fn pending_journal(images: &[std::path::PathBuf]) -> Finding {
    let names = || {
        images
            .iter()
            .map(|i| i.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let message = match images.len() {
        0 => "undo journal torn while it was written (the image it was for was never \
              touched); the next apply or remove in this folder deletes it"
            .to_string(),
        1 => format!(
            "undo journal of an in-place write that was stopped: {} may hold a half-written \
             XMP packet until the next apply or remove in this folder puts its old bytes back \
             from the journal and deletes it",
            names()
        ),
        _ => format!(
            "undo journal of in-place writes that were stopped: {} may hold a half-written \
             XMP packet until the next apply or remove in this folder puts their old bytes \
             back from the journal and deletes it",
            names()
        ),
    };
    Finding::new(
        FindingKind::StaleTemporary,
        Severity::Warning,
        vec![],
        message,
    )
}

/// Audits one file's signals, optionally against an expected statement.
///
/// A clean file yields no finding; with `expect`, every category the
/// expected statement names must have the same decision in the file
/// (`unexpected` otherwise).
///
/// ```
/// use ccsig::audit::check;
/// use ccsig::FindingKind;
///
/// let signals = ccsig::read_path("sample-images/tagged/conflict.jpg".as_ref()).unwrap();
/// assert!(check(&signals, None).iter().any(|f| f.kind == FindingKind::Conflict));
///
/// let signals = ccsig::read_path("sample-images/tagged/ccsig-cr-op.jpg".as_ref()).unwrap();
/// let wanted = ccsig::signal::parse("train-ai=n;exceptions=cc-cr-op");
/// assert!(check(&signals, Some(&wanted)).iter().all(|f| !f.needs_fixing()));
/// let other = ccsig::signal::parse("train-ai=y");
/// let findings = check(&signals, Some(&other));
/// assert!(findings.iter().any(|f| f.kind == FindingKind::Unexpected));
/// ```
pub fn check(signals: &FileSignals, expect: Option<&Statement>) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(reason) = &signals.xmp_error {
        findings.push(Finding::new(
            FindingKind::Malformed,
            Severity::Error,
            vec!["XMP packet".into()],
            format!("the XMP packet cannot be read ({reason}), so its fields were not checked"),
        ));
    }
    for u in &signals.unparsable {
        let message = match u.stored.as_str() {
            "" => format!("{}: {}", u.field, u.reason),
            stored => format!("{} holds {stored:?}: {}", u.field, u.reason),
        };
        findings.push(Finding::new(
            FindingKind::Malformed,
            Severity::Error,
            vec![u.field.clone()],
            message,
        ));
    }
    let credentials_entries = matches!(&signals.c2pa, Some(Ok(c)) if !c.entries.is_empty());
    if signals.sources.is_empty()
        && signals.unparsable.is_empty()
        && signals.xmp_error.is_none()
        && !credentials_entries
    {
        let message = match signals.format {
            crate::container::Format::Other(format) => format!(
                "no CC signal or AI-use preference in the file or its XMP sidecars (ccsig \
                 tags {format} files through their sidecars only; `ccsig apply` creates one)"
            ),
            _ => "no CC signal or AI-use preference in any field".into(),
        };
        findings.push(Finding::new(
            FindingKind::Missing,
            Severity::Error,
            vec![],
            message,
        ));
    }
    for source in &signals.sources {
        for d in source.statement.diagnostics() {
            findings.push(from_diagnostic(source, d));
        }
    }
    conflicts_between_sources(&signals.sources, signals.vocabulary, &mut findings);
    if let Some(fields) = &signals.xmp {
        mirror_conflicts(fields, None, &mut findings);
    }
    for sidecar in &signals.sidecars {
        match &sidecar.fields {
            Ok(fields) => mirror_conflicts(fields, Some(&sidecar.name), &mut findings),
            Err(reason) => findings.push(Finding::new(
                FindingKind::Malformed,
                Severity::Error,
                vec![format!("sidecar {}", sidecar.name)],
                format!("the XMP sidecar {} cannot be read ({reason})", sidecar.name),
            )),
        }
    }
    if let Some(reason) = &signals.iim_error {
        findings.push(Finding::new(
            FindingKind::Malformed,
            Severity::Error,
            vec!["IPTC-IIM".into()],
            format!("the IPTC-IIM block cannot be read ({reason})"),
        ));
    }
    if signals
        .iim
        .as_ref()
        .is_some_and(|i| i.digest == crate::mapping::iptc::DigestState::Stale)
    {
        findings.push(Finding::new(
            FindingKind::StaleDigest,
            Severity::Warning,
            vec!["Photoshop 0x0425 IPTC digest".into(), "IPTC-IIM".into()],
            "the IPTC digest does not match the IIM (a tool changed IIM without updating it): \
             MWG readers will trust only one of IIM and XMP"
                .into(),
        ));
    }
    tdm_conflicts(signals, &mut findings);
    credit_disagreement(signals, &mut findings);
    credit_missing(signals, &mut findings);
    licence_context(signals, &mut findings);
    content_credentials(signals, &mut findings);
    if signals.has_c2pa {
        let sign = match signals.format.signs_c2pa() {
            true => "apply signs new ones with --c2pa-sign, and otherwise refuses",
            false => "apply refuses",
        };
        // Advice to use a sidecar is stale once the file has one.
        let sidecar = match signals.sidecars.first() {
            Some(sidecar) => format!("its sidecar {} is tagged instead", sidecar.name),
            None => "use --sidecar to tag it without touching it".into(),
        };
        findings.push(Finding::new(
            FindingKind::Signed,
            Severity::Note,
            vec!["C2PA manifest".into()],
            format!(
                "the file carries C2PA Content Credentials: {sign} to break them unless \
                 --allow-breaking-c2pa ({sidecar})"
            ),
        ));
    }
    if let Some(expected) = expect {
        unexpected(signals, expected, &mut findings);
    }
    findings
}

/// What the file's Content Credentials need said: that they do not
/// validate (their `allowed` entries are then ignored, each said), or that
/// a preference stands only in the history of ingredients.
fn content_credentials(signals: &FileSignals, findings: &mut Vec<Finding>) {
    let manifest = || vec!["C2PA manifest".to_string()];
    let creds = match &signals.c2pa {
        None => return,
        Some(Err(e)) => {
            findings.push(Finding::new(
                FindingKind::C2paInvalid,
                Severity::Warning,
                manifest(),
                format!("the Content Credentials cannot be read: {e}"),
            ));
            return;
        }
        Some(Ok(creds)) => creds,
    };
    if creds.state == ManifestState::Invalid {
        let codes = match creds.failures.is_empty() {
            true => String::new(),
            false => format!(" ({})", creds.failures.join(", ")),
        };
        findings.push(Finding::new(
            FindingKind::C2paInvalid,
            Severity::Warning,
            manifest(),
            format!(
                "the Content Credentials do not validate{codes}: what they disallow still \
                 counts, what they allow does not"
            ),
        ));
    }
    if !creds.allowed_counts() {
        let why = match creds.state {
            ManifestState::Invalid => "Content Credentials that do not validate",
            _ => "Content Credentials whose signer chains to none of the trust anchors given",
        };
        for entry in creds.entries.iter().filter(|e| e.use_value == "allowed") {
            findings.push(Finding::new(
                FindingKind::Unverified,
                Severity::Warning,
                vec![entry.field()],
                format!("`allowed` in {why}: ignored"),
            ));
        }
    }
    if creds.entries.is_empty() {
        if let Some((label, entry)) = creds.history.first() {
            findings.push(Finding::new(
                FindingKind::C2paHistory,
                Severity::Note,
                vec![entry.field()],
                format!(
                    "an ingredient's manifest ({label}) states {} {}, the active manifest \
                     states nothing: the preference is history, not this file's",
                    entry.key,
                    entry.stored()
                ),
            ));
        }
    }
}

/// A TDMRep reservation that frames an expression must agree with it:
/// reserved (1) against training allowed, or not reserved (0) against
/// training disallowed, is a conflict.
fn tdm_conflicts(signals: &FileSignals, findings: &mut Vec<Finding>) {
    let train = &signals.decisions.get("train-ai");
    for d in signals
        .deferring
        .iter()
        .filter(|d| d.field.ends_with("tdm:reservation"))
    {
        let contradicts = match d.stored.trim() {
            "1" => matches!(train, Some(signal::Decision::Allowed)),
            "0" => matches!(
                train,
                Some(signal::Decision::Disallowed | signal::Decision::AllowedIf(_))
            ),
            _ => false,
        };
        if contradicts {
            let fields: Vec<String> = std::iter::once(d.field.clone())
                .chain(signals.sources.iter().map(|s| s.field()))
                .collect();
            findings.push(Finding::new(
                FindingKind::Conflict,
                Severity::Error,
                fields,
                format!(
                    "{} is {} (TDM rights {}) but the signal says AI training is {}",
                    d.field,
                    d.stored.trim(),
                    if d.stored.trim() == "1" {
                        "reserved"
                    } else {
                        "not reserved"
                    },
                    train.map(|t| t.to_string()).unwrap_or_default()
                ),
            ));
        }
    }
}

/// The credited name against the creators the file names (XMP dc:creator,
/// EXIF Artist): informational, since crediting an agency may be right.
fn credit_disagreement(signals: &FileSignals, findings: &mut Vec<Finding>) {
    let Some(fields) = &signals.xmp else { return };
    let Some(credited) = fields
        .credit_name
        .as_ref()
        .or(fields.attribution_name.as_ref())
    else {
        return;
    };
    let by_line = signals.iim.as_ref().and_then(|i| i.by_line.first());
    let creators: Vec<(&str, &String)> = [
        ("XMP dc:creator", fields.creator.as_ref()),
        ("EXIF Artist", signals.exif_artist.as_ref()),
        ("IIM 2:80 By-line", by_line),
    ]
    .into_iter()
    .filter_map(|(f, v)| v.map(|v| (f, v)))
    .collect();
    let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    if creators.is_empty() || creators.iter().any(|(_, c)| same(c, credited)) {
        return;
    }
    let (field, creator) = creators[0];
    findings.push(Finding::new(
        FindingKind::Credit,
        Severity::Note,
        vec!["XMP ccsig:creditName".into(), field.into()],
        format!("credit goes to {credited:?} but {field} is {creator:?}"),
    ));
}

/// Every CC signal asks for credit: one granted while no field names
/// anyone to credit cannot be honoured.
fn credit_missing(signals: &FileSignals, findings: &mut Vec<Finding>) {
    let granting: Vec<&Source> = signals
        .sources
        .iter()
        .filter(|s| s.statement.members.iter().any(|m| !m.exceptions.is_empty()))
        .collect();
    if granting.is_empty() || signals.credit.name.is_some() {
        return;
    }
    let codes: Vec<&str> = granting
        .iter()
        .flat_map(|s| s.statement.members.iter())
        .flat_map(|m| m.exceptions.iter().map(|c| c.code()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    findings.push(Finding::new(
        FindingKind::Credit,
        Severity::Warning,
        granting.iter().map(|s| s.field()).collect(),
        format!(
            "the signal grants {} (which asks for credit) but no field names whom to credit \
             (ccsig:creditName, cc:attributionName, dc:creator, EXIF Artist, IIM By-line)",
            codes.join(", ")
        ),
    ));
}

/// A public-domain dedication (CC0, Public Domain Mark) leaves no rights to
/// reserve: a disallowing signal on such a file is a request only. CC
/// licences proper are not compared: CC signals are preferences that sit on
/// top of a licence, not licence terms (see docs/audit.md).
fn licence_context(signals: &FileSignals, findings: &mut Vec<Finding>) {
    let Some(licence) = signals.xmp.as_ref().and_then(|f| f.license.as_ref()) else {
        return;
    };
    let public_domain = licence.contains("creativecommons.org/publicdomain/");
    let disallows = signals.decisions.values().any(|d| {
        matches!(
            d,
            signal::Decision::Disallowed | signal::Decision::AllowedIf(_)
        )
    });
    if public_domain && disallows {
        findings.push(Finding::new(
            FindingKind::Licence,
            Severity::Note,
            vec!["XMP cc:license".into()],
            format!(
                "cc:license is {licence}: the work is in the public domain, so the signal is a request with no rights behind it"
            ),
        ));
    }
}

/// Finds copies of one image across a library whose signals differ: same
/// `xmpMM:DocumentID`, or, for files without one, the same image-data digest
/// when the caller computed it. Feed it every file of a batch in order.
#[derive(Debug, Default)]
pub struct CopyTracker {
    seen: std::collections::HashMap<String, Seen>,
}

/// The first file seen under an identifier.
#[derive(Debug)]
struct Seen {
    path: String,
    summary: String,
    image_digest: Option<[u8; 16]>,
    dimensions: Option<(u32, u32)>,
}

impl CopyTracker {
    /// Records a file; returns a conflict when an earlier copy says
    /// something else.
    ///
    /// ```
    /// use ccsig::audit::CopyTracker;
    ///
    /// // The same picture twice: once tagged, once not.
    /// let plain = "sample-images/jpeg/plain.jpg";
    /// let bytes = std::fs::read(plain).unwrap();
    /// let request = ccsig::ApplyRequest::from_expression("train-ai=n").unwrap();
    /// let tagged = ccsig::apply_bytes(&bytes, &request, &Default::default()).unwrap().0.unwrap();
    /// let digest = ccsig::image_digest_path(plain.as_ref()).unwrap();
    ///
    /// let mut copies = CopyTracker::default();
    /// let first = ccsig::read_bytes(&bytes).unwrap();
    /// assert!(copies.observe(plain, &first, Some(digest)).is_none());
    /// let second = ccsig::read_bytes(&tagged).unwrap();
    /// let conflict = copies.observe("copy.jpg", &second, Some(digest)).unwrap();
    /// assert_eq!(conflict.kind, ccsig::FindingKind::Conflict);
    /// assert_eq!(conflict.fields, ["image data MD5"]);
    /// ```
    pub fn observe(
        &mut self,
        path: &str,
        signals: &FileSignals,
        image_digest: Option<[u8; 16]>,
    ) -> Option<Finding> {
        let document_id = signals.xmp.as_ref().and_then(|x| x.document_id.clone());
        let (id, field) = match (document_id, image_digest) {
            (Some(id), _) => (id, "XMP xmpMM:DocumentID"),
            (None, Some(d)) => (crate::inspect::digest_hex(&d), "image data MD5"),
            (None, None) => return None,
        };
        let summary: Vec<String> = signals
            .decisions
            .iter()
            .map(|(label, d)| format!("{label}: {d}"))
            .collect();
        let summary = summary.join(", ");
        let Some(first) = self.seen.get(&id) else {
            let seen = Seen {
                path: path.to_string(),
                summary,
                image_digest,
                dimensions: signals.dimensions,
            };
            self.seen.insert(id, seen);
            return None;
        };
        if first.summary == summary {
            return None;
        }
        let (theirs, other) = (&first.summary, &first.path);
        let same_picture = match (first.image_digest, image_digest) {
            (Some(a), Some(b)) => Some(a == b),
            _ => match (first.dimensions, signals.dimensions) {
                (Some(a), Some(b)) if a != b => Some(false),
                _ => None,
            },
        };
        Some(match (field, same_picture) {
            ("XMP xmpMM:DocumentID", Some(false)) => Finding::new(
                FindingKind::Conflict,
                Severity::Warning,
                vec![field.into()],
                format!(
                    "shares xmpMM:DocumentID {id} with {other}, a different picture (other image \
                     data or size: a version or rendition of one document, or an ID a tool \
                     copied), which says {theirs}; this one says {summary}"
                ),
            ),
            ("XMP xmpMM:DocumentID", None) => Finding::new(
                FindingKind::Conflict,
                Severity::Error,
                vec![field.into()],
                format!(
                    "shares xmpMM:DocumentID {id} with {other} (a copy, version or rendition of \
                     one document; --copies-by-content compares the pictures), which says \
                     {theirs}; this one says {summary}"
                ),
            ),
            _ => Finding::new(
                FindingKind::Conflict,
                Severity::Error,
                vec![field.into()],
                format!(
                    "another copy of this image ({other}, same {field} {id}) says {theirs}; this \
                     one says {summary}"
                ),
            ),
        })
    }
}

fn from_diagnostic(source: &Source, d: &Diagnostic) -> Finding {
    let kind = match d {
        Diagnostic::LegacyLabel { .. } | Diagnostic::AmbiguousLabel { .. } => FindingKind::Legacy,
        Diagnostic::UnknownException { .. } => FindingKind::UnknownException,
        Diagnostic::UnknownLabel { .. }
        | Diagnostic::UnknownParameter { .. }
        | Diagnostic::DuplicateLabel { .. } => FindingKind::Ignored,
        _ => FindingKind::Malformed,
    };
    let origin = if source.place == Place::DataMining {
        format!(" (derived from {:?})", source.stored)
    } else {
        String::new()
    };
    Finding::new(
        kind,
        d.severity(),
        vec![source.field()],
        format!("{}: {:?}{origin}: {d}", source.field(), source.expression),
    )
}

/// The `y`/`n` a statement gives a label, with its exceptions, if it gives one.
fn stance(statement: &Statement, label: &str) -> Option<(Preference, Vec<signal::SignalCode>)> {
    let m = statement.member(label)?;
    match m.value {
        Preference::Unknown => None,
        v => {
            let mut ex = m.exceptions.clone();
            ex.sort();
            Some((v, ex))
        }
    }
}

fn describe(statement: &Statement, label: &str) -> String {
    statement
        .member(label)
        .map(signal::explain::member_expression)
        .unwrap_or_else(|| format!("no {label}"))
}

/// Whether two sources state preferences that `check` reports as a
/// conflict.
pub(crate) fn sources_conflict(a: &Source, b: &Source, vocabulary: signal::Vocabulary) -> bool {
    let mut findings = Vec::new();
    pair_conflicts(a, b, vocabulary, &mut findings);
    !findings.is_empty()
}

fn conflicts_between_sources(
    sources: &[Source],
    vocabulary: signal::Vocabulary,
    findings: &mut Vec<Finding>,
) {
    for (i, a) in sources.iter().enumerate() {
        for b in &sources[i + 1..] {
            pair_conflicts(a, b, vocabulary, findings);
        }
    }
}

/// The conflicts between two sources: another stance on a label, or a
/// legacy `n` against a `y` for the label that contains it.
fn pair_conflicts(
    a: &Source,
    b: &Source,
    vocabulary: signal::Vocabulary,
    findings: &mut Vec<Finding>,
) {
    for label in vocabulary.labels() {
        let (Some(sa), Some(sb)) = (stance(&a.statement, label), stance(&b.statement, label))
        else {
            continue;
        };
        if sa != sb {
            findings.push(conflict(
                a,
                b,
                &describe(&a.statement, label),
                &describe(&b.statement, label),
            ));
        }
    }
    narrower_legacy_conflicts(a, b, findings);
    narrower_legacy_conflicts(b, a, findings);
}

/// A legacy `n` for a narrower category (e.g. `train-genai=n`, which
/// DataMining's GENAIMLTRAINING stands for) contradicts a `y` for the current
/// category that contains it (`train-ai=y`).
fn narrower_legacy_conflicts(a: &Source, b: &Source, findings: &mut Vec<Finding>) {
    for m in &a.statement.members {
        let Some(closest) = m.legacy.as_ref().and_then(|l| l.closest.as_deref()) else {
            continue;
        };
        if m.value == Preference::Disallow
            && stance(&b.statement, closest).map(|s| s.0) == Some(Preference::Allow)
        {
            findings.push(conflict(
                a,
                b,
                &signal::explain::member_expression(m),
                &describe(&b.statement, closest),
            ));
        }
    }
}

fn conflict(a: &Source, b: &Source, va: &str, vb: &str) -> Finding {
    Finding::new(
        FindingKind::Conflict,
        Severity::Error,
        vec![a.field(), b.field()],
        format!("{} says {va} but {} says {vb}", shown(a), shown(b)),
    )
}

/// A field's name, with the stored value when that is not the expression.
fn shown(source: &Source) -> String {
    if source.place == Place::DataMining {
        format!("{} ({})", source.field(), short_dmi(&source.stored))
    } else {
        source.field()
    }
}

/// With ccsig's namespace present, the mirrors must hold what ccsig writes.
fn mirror_conflicts(fields: &xmp::XmpFields, sidecar: Option<&str>, findings: &mut Vec<Finding>) {
    let at = |field: &str| crate::inspect::in_sidecar(sidecar, format!("XMP {field}"));
    let Some(expression) = &fields.expression else {
        return;
    };
    let mirrors = xmp::mirrors_for(expression);
    if let (Some(have), Some(want)) = (&fields.data_mining, &mirrors.data_mining) {
        let same = crate::mapping::datamining::DataMining::parse(have)
            == crate::mapping::datamining::DataMining::parse(want);
        if !same {
            findings.push(Finding::new(
                FindingKind::Conflict,
                Severity::Error,
                vec![at("ccsig:expression"), at("plus:DataMining")],
                format!(
                    "ccsig:expression {expression:?} means plus:DataMining {} but the file has {have}",
                    short_dmi(want)
                ),
            ));
        }
    }
    let pairs = [
        (
            "ccsig:creditName",
            &fields.credit_name,
            "cc:attributionName",
            &fields.attribution_name,
        ),
        (
            "ccsig:creditURL",
            &fields.credit_url,
            "cc:attributionURL",
            &fields.attribution_url,
        ),
    ];
    for (na, a, nb, b) in pairs {
        if let (Some(a), Some(b)) = (a, b) {
            if a != b {
                findings.push(Finding::new(
                    FindingKind::Conflict,
                    Severity::Warning,
                    vec![at(na), at(nb)],
                    format!("{na} is {a:?} but {nb} is {b:?}"),
                ));
            }
        }
    }
    let statement = signal::parse(expression);
    let granted: Vec<&str> = statement
        .members
        .iter()
        .flat_map(|m| m.exceptions.iter().map(|s| s.code()))
        .collect();
    if let Some(sig) = &fields.signal {
        if !granted.contains(&sig.as_str()) {
            findings.push(Finding::new(
                FindingKind::Conflict,
                Severity::Error,
                vec![at("ccsig:signal"), at("ccsig:expression")],
                format!("ccsig:signal is {sig:?} but ccsig:expression {expression:?} grants no such exception"),
            ));
        }
    }
}

fn short_dmi(uri: &str) -> &str {
    uri.strip_prefix(crate::mapping::datamining::VOCAB_PREFIX)
        .unwrap_or(uri)
}

fn unexpected(signals: &FileSignals, expected: &Statement, findings: &mut Vec<Finding>) {
    let sources: Vec<&Statement> = signals.sources.iter().map(|s| &s.statement).collect();
    for m in &expected.members {
        let want = signal::combine(&[expected], &m.label);
        let have = signal::combine(&sources, &m.label);
        if want != have {
            findings.push(Finding::new(
                FindingKind::Unexpected,
                Severity::Error,
                signals.sources.iter().map(|s| s.field()).collect(),
                format!("{}: expected {} but the file says {}", m.label, want, have),
            ));
        }
    }
}
