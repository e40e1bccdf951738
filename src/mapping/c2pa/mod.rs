//! C2PA Content Credentials as a carrier of AI-use preferences: the CAWG
//! training-and-data-mining assertion (`cawg.training-mining`, and the older
//! `c2pa.training-mining`) of a signed manifest, read and validated with the
//! `c2pa` crate (contentauth/c2pa-rs, the reference implementation), and
//! mapped to content-usage expressions (`docs/mapping.md`, "C2PA Content
//! Credentials").
//!
//! Like the other carriers it knows fields, not containers: it is handed
//! the whole asset as a stream (a manifest is validated against the bytes
//! it signs) and gives back the entries and the manifest's validation
//! state. Nothing is fetched over a network: remote manifests, OCSP and
//! timestamp look-ups are off.

#[cfg(feature = "c2pa")]
use std::io::{Read, Seek};
#[cfg(feature = "c2pa")]
use std::panic::{self, AssertUnwindSafe};

use serde_json::Value;

use crate::signal::{Use, Vocabulary};

#[cfg(feature = "c2pa")]
mod sign;
#[cfg(feature = "c2pa")]
pub(crate) use sign::verify as verify_signed;
#[cfg(feature = "c2pa")]
pub use sign::{SignError, SigningAlgorithm, SigningKey};
pub use written::entries_for;
pub(crate) use written::same_entries;

mod written;

#[cfg(feature = "c2pa")]
mod store;
#[cfg(feature = "c2pa")]
pub use store::cbor_bomb;

/// The labels of the training-and-data-mining assertion, current first.
pub const ASSERTION_LABELS: [&str; 2] = ["cawg.training-mining", "c2pa.training-mining"];

/// How far a manifest store can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ManifestState {
    /// It does not validate: broken signature, a hash that no longer
    /// matches the bytes it binds, a malformed store.
    Invalid,
    /// Its signature and bindings hold, but its signer is not known to
    /// chain to a trust anchor.
    Valid,
    /// Valid, and its signer chains to a trust anchor.
    Trusted,
}

impl ManifestState {
    /// `invalid`, `valid` or `trusted`.
    pub fn as_str(self) -> &'static str {
        match self {
            ManifestState::Invalid => "invalid",
            ManifestState::Valid => "valid",
            ManifestState::Trusted => "trusted",
        }
    }
}

/// One entry of a training-and-data-mining assertion, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The assertion's label (`cawg.training-mining`).
    pub assertion: String,
    /// The entry's key (`cawg.ai_generative_training`, or a custom one).
    pub key: String,
    /// `allowed`, `notAllowed`, `constrained`, or whatever else it says.
    pub use_value: String,
    /// The entry's free text (`constraint_info`, also read as the prose's
    /// `constraints_info`).
    pub constraint_info: Option<String>,
}

/// The name of an entry's field in reports: `C2PA cawg.training-mining
/// cawg.ai_training`.
pub fn field(assertion: &str, key: &str) -> String {
    format!("C2PA {assertion} {key}")
}

impl Entry {
    /// The entry's field name in reports (see [`field`]).
    pub fn field(&self) -> String {
        field(&self.assertion, &self.key)
    }

    /// The value as people read it: `notAllowed`, or `constrained: <text>`.
    pub fn stored(&self) -> String {
        match &self.constraint_info {
            Some(info) => format!("{}: {info}", self.use_value),
            None => self.use_value.clone(),
        }
    }
}

/// What a file's Content Credentials say about AI use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The validation state of the manifest store.
    pub state: ManifestState,
    /// The failure codes when it does not validate (`assertion.dataHash.mismatch` ...).
    pub failures: Vec<String>,
    /// The active manifest's label.
    pub active: Option<String>,
    /// The entries of the active manifest's training-and-data-mining
    /// assertions.
    pub entries: Vec<Entry>,
    /// Entries found only in other manifests of the store (the history of
    /// ingredients), with the manifest's label.
    pub history: Vec<(String, Entry)>,
    /// Trust anchors were given, so an `allowed` needs a trusted signer.
    pub trust_required: bool,
}

impl Credentials {
    /// Whether an `allowed` entry counts: from credentials that validate,
    /// and, when trust anchors were given, whose signer chains to one.
    pub fn allowed_counts(&self) -> bool {
        match self.state {
            ManifestState::Invalid => false,
            ManifestState::Valid => !self.trust_required,
            ManifestState::Trusted => true,
        }
    }
}

/// Reads and validates the manifest store of the asset in `stream`
/// (only with the `c2pa` feature; the rest of this module is plain data)
/// (`mime`: `image/jpeg`, `image/png`, `image/webp`), checking its signer
/// against `trust_anchors` (a PEM bundle of root certificates) when given.
/// A panic inside the `c2pa` crate is caught here and reported as an
/// error, never passed on.
///
/// # Errors
/// Why the store could not be read at all, in words.
#[cfg(feature = "c2pa")]
pub fn read(
    stream: impl Read + Seek + Send,
    mime: &str,
    trust_anchors: Option<&str>,
) -> Result<Credentials, String> {
    guarded(|| read_unguarded(stream, mime, trust_anchors)).unwrap_or_else(Err)
}

/// Runs `work`, which calls into the `c2pa` crate, turning a panic there
/// into an error that says so (the crate is not ours: a panic on a
/// hostile manifest must cost one file, never the batch).
#[cfg(feature = "c2pa")]
fn guarded<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    panic::catch_unwind(AssertUnwindSafe(work)).map_err(|p| {
        let what = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        format!("the c2pa crate failed on this manifest (panic: {what})")
    })
}

/// Settings that keep the reader off the network, validate what it can,
/// and check the signer against `trust_anchors` when there are any.
#[cfg(feature = "c2pa")]
fn settings(trust_anchors: Option<&str>) -> String {
    let mut settings = serde_json::json!({"verify": {
        "remote_manifest_fetch": false,
        "ocsp_fetch": false,
        "verify_after_reading": true,
        "verify_trust": trust_anchors.is_some(),
    }});
    if let Some(pem) = trust_anchors {
        settings["trust"] = serde_json::json!({"trust_anchors": pem});
    }
    settings.to_string()
}

/// The code the crate gives a signer that does not chain to an anchor.
#[cfg(feature = "c2pa")]
const UNTRUSTED: &str = "signingCredential.untrusted";

#[cfg(feature = "c2pa")]
fn read_unguarded(
    stream: impl Read + Seek + Send,
    mime: &str,
    trust_anchors: Option<&str>,
) -> Result<Credentials, String> {
    let reader = open(stream, mime, trust_anchors)?;
    Ok(credentials_of(&reader, trust_anchors))
}

/// A reader of the asset's manifest store, validated, off the network.
#[cfg(feature = "c2pa")]
fn open(
    stream: impl Read + Seek + Send,
    mime: &str,
    trust_anchors: Option<&str>,
) -> Result<c2pa::Reader, String> {
    let context = c2pa::Context::new()
        .with_settings(settings(trust_anchors).as_str())
        .map_err(|e| format!("c2pa settings: {e}"))?;
    c2pa::Reader::from_context(context)
        .with_stream(mime, stream)
        .map_err(|e| e.to_string())
}

/// What a validated store says: its state and its entries.
#[cfg(feature = "c2pa")]
fn credentials_of(reader: &c2pa::Reader, trust_anchors: Option<&str>) -> Credentials {
    let codes: Vec<String> = match reader.validation_results() {
        Some(results) => results
            .active_manifest()
            .map(|codes| {
                codes
                    .failure()
                    .iter()
                    .map(|s| s.code().to_string())
                    .collect()
            })
            .unwrap_or_default(),
        None => reader
            .validation_status()
            .unwrap_or_default()
            .iter()
            .map(|s| s.code().to_string())
            .collect(),
    };
    // An untrusted signer is not a broken manifest: it is valid, and
    // trusted only when anchors were given and it chains to one.
    let untrusted = codes.iter().any(|c| c == UNTRUSTED);
    let failures: Vec<String> = codes.into_iter().filter(|c| c != UNTRUSTED).collect();
    let state = match reader.validation_state() {
        // Invalid for any reason but an untrusted signer.
        c2pa::ValidationState::Invalid if !failures.is_empty() || !untrusted => {
            ManifestState::Invalid
        }
        _ if trust_anchors.is_some() && !untrusted => ManifestState::Trusted,
        c2pa::ValidationState::Trusted => ManifestState::Trusted,
        _ => ManifestState::Valid,
    };
    let active = reader.active_label().map(str::to_string);
    let entries = reader.active_manifest().map(entries_of).unwrap_or_default();
    let mut history = Vec::new();
    for manifest in reader.iter_manifests() {
        let label = manifest.label().unwrap_or_default();
        if Some(label) == active.as_deref() {
            continue;
        }
        history.extend(
            entries_of(manifest)
                .into_iter()
                .map(|e| (label.to_string(), e)),
        );
    }
    Credentials {
        state,
        failures,
        active,
        entries,
        history,
        trust_required: trust_anchors.is_some(),
    }
}

#[cfg(feature = "c2pa")]
fn entries_of(manifest: &c2pa::Manifest) -> Vec<Entry> {
    let mut out = Vec::new();
    for assertion in manifest.assertions() {
        let label = assertion.label();
        if !ASSERTION_LABELS.contains(&label) {
            continue;
        }
        let Ok(value) = assertion.value() else {
            continue;
        };
        out.extend(entries_in(label, value));
    }
    out
}

/// The entries of one assertion's JSON value (`{"entries": {key: {"use":
/// ..., "constraint_info": ...}}}`), in the order stored.
pub fn entries_in(assertion: &str, value: &Value) -> Vec<Entry> {
    let Some(entries) = value.get("entries").and_then(Value::as_object) else {
        return Vec::new();
    };
    entries
        .iter()
        .map(|(key, entry)| {
            let text = |name: &str| entry.get(name).and_then(Value::as_str).map(str::to_string);
            Entry {
                assertion: assertion.to_string(),
                key: key.clone(),
                use_value: text("use")
                    .unwrap_or_else(|| entry.get("use").map_or_else(String::new, Value::to_string)),
                constraint_info: text("constraint_info").or_else(|| text("constraints_info")),
            }
        })
        .collect()
}

/// What one entry means for the AIPREF vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Meaning {
    /// It states this expression.
    States(String),
    /// It states nothing a reader of this vocabulary may act on, and why.
    Silent(String),
}

/// The category an entry's key speaks for under `vocabulary`, if any
/// (`docs/mapping.md`, "C2PA Content Credentials"): `ai_training` and
/// `ai_generative_training` for `train-ai`, `ai_inference` for draft-08's
/// AI Use; `data_mining` and custom entries for none.
fn category(key: &str, vocabulary: Vocabulary) -> Option<Use> {
    let label = match key.rsplit('.').next().unwrap_or(key) {
        "ai_training" | "ai_generative_training" => "train-ai",
        "ai_inference" => "ai-use",
        _ => return None,
    };
    Use::parse(label, vocabulary).ok()
}

/// What `entry` states, read against `vocabulary`, in credentials whose
/// `allowed` entries count or not ([`Credentials::allowed_counts`]).
///
/// A "no" (`notAllowed`, or `constrained` without a CC signal in its
/// text) counts whatever the state: it needs no proof, and a forged one
/// costs a pipeline only a skipped image. An `allowed` counts only from a
/// manifest that validates; `constrained` with a content-usage expression
/// carrying a CC signal in its text reads as that expression.
///
/// ```
/// use ccsig::internals::mapping::c2pa::{meaning, Entry, Meaning};
/// use ccsig::signal::Vocabulary;
/// let entry = |key: &str, use_value: &str| Entry {
///     assertion: "cawg.training-mining".into(),
///     key: key.into(),
///     use_value: use_value.into(),
///     constraint_info: None,
/// };
/// let v07 = Vocabulary::Draft07;
/// let no = entry("cawg.ai_generative_training", "notAllowed");
/// assert_eq!(meaning(&no, false, v07), Meaning::States("train-ai=n".into()));
/// let yes = entry("cawg.ai_training", "allowed");
/// assert_eq!(meaning(&yes, true, v07), Meaning::States("train-ai=y".into()));
/// assert!(matches!(meaning(&yes, false, v07), Meaning::Silent(_)));
/// ```
pub fn meaning(entry: &Entry, allowed_counts: bool, vocabulary: Vocabulary) -> Meaning {
    let Some(usage) = category(&entry.key, vocabulary) else {
        return Meaning::Silent(format!(
            "no AIPREF category of {} speaks for `{}`",
            vocabulary.name(),
            entry.key
        ));
    };
    let label = usage.label();
    let generative_only = entry.key.ends_with("ai_generative_training");
    match entry.use_value.as_str() {
        "notAllowed" => Meaning::States(format!("{label}=n")),
        "constrained" => {
            let stated = entry
                .constraint_info
                .as_deref()
                .and_then(super::constraints::find_expression)
                .filter(|e| {
                    let s = crate::signal::parse_in(e, vocabulary);
                    matches!(s.preference(label), crate::signal::Decision::AllowedIf(_))
                });
            Meaning::States(stated.unwrap_or_else(|| format!("{label}=n")))
        }
        "allowed" if !allowed_counts => Meaning::Silent(
            "unverified: an `allowed` counts only from Content Credentials that validate \
             (and whose signer chains to a trust anchor, when anchors are given)"
                .to_string(),
        ),
        "allowed" if generative_only && vocabulary == Vocabulary::Draft07 => Meaning::Silent(
            "allows generative training only, a part of what draft-07's `train-ai` covers"
                .to_string(),
        ),
        "allowed" => Meaning::States(format!("{label}=y")),
        other => Meaning::Silent(format!("`use` is {other:?}, not a value CAWG defines")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, use_value: &str, info: Option<&str>) -> Entry {
        Entry {
            assertion: "cawg.training-mining".into(),
            key: key.into(),
            use_value: use_value.into(),
            constraint_info: info.map(str::to_string),
        }
    }

    #[test]
    fn entries_are_read_with_either_spelling_of_the_text() {
        let value = serde_json::json!({"entries": {
            "cawg.ai_inference": {"use": "notAllowed"},
            "cawg.ai_training": {"use": "constrained", "constraints_info": "ask first"},
            "com.example.custom": {"use": "allowed", "constraint_info": "sure"},
        }});
        let got = entries_in("cawg.training-mining", &value);
        assert_eq!(got.len(), 3);
        assert_eq!(got[1].constraint_info.as_deref(), Some("ask first"));
        assert_eq!(got[2].stored(), "allowed: sure");
        assert!(entries_in("x", &serde_json::json!({"entries": 3})).is_empty());
    }

    #[test]
    fn every_key_and_use_under_both_drafts() {
        use Vocabulary::*;
        let states = |m: Meaning| match m {
            Meaning::States(e) => e,
            Meaning::Silent(_) => "-".into(),
        };
        let cases = [
            (
                "cawg.ai_training",
                "notAllowed",
                false,
                Draft07,
                "train-ai=n",
            ),
            ("cawg.ai_training", "allowed", true, Draft07, "train-ai=y"),
            ("cawg.ai_training", "allowed", false, Draft07, "-"),
            (
                "c2pa.ai_generative_training",
                "notAllowed",
                true,
                Draft07,
                "train-ai=n",
            ),
            ("cawg.ai_generative_training", "allowed", true, Draft07, "-"),
            (
                "cawg.ai_generative_training",
                "allowed",
                true,
                Draft08,
                "train-ai=y",
            ),
            ("cawg.ai_inference", "notAllowed", true, Draft07, "-"),
            ("cawg.ai_inference", "notAllowed", true, Draft08, "ai-use=n"),
            ("cawg.data_mining", "notAllowed", true, Draft07, "-"),
            (
                "cawg.ai_training",
                "constrained",
                true,
                Draft07,
                "train-ai=n",
            ),
            ("cawg.ai_training", "maybe", true, Draft07, "-"),
        ];
        for (key, use_value, allowed_counts, vocabulary, want) in cases {
            let got = states(meaning(
                &entry(key, use_value, None),
                allowed_counts,
                vocabulary,
            ));
            assert_eq!(got, want, "{key} {use_value} {allowed_counts} {vocabulary}");
        }
    }

    #[test]
    fn constrained_with_a_cc_signal_reads_as_that_expression() {
        let text = "Credit required. Content-Usage: train-ai=n;exceptions=cc-cr";
        let e = entry("cawg.ai_training", "constrained", Some(text));
        assert_eq!(
            meaning(&e, false, Vocabulary::Draft07),
            Meaning::States("train-ai=n;exceptions=cc-cr".into())
        );
        // An expression without a signal, or about another use, is a plain no.
        let e = entry(
            "cawg.ai_training",
            "constrained",
            Some("Content-Usage: search=n"),
        );
        assert_eq!(
            meaning(&e, true, Vocabulary::Draft07),
            Meaning::States("train-ai=n".into())
        );
    }
}
