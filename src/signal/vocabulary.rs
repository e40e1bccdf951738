//! The AIPREF category labels and the CC signal codes, kept as data.
//!
//! The label set changed with almost every draft of draft-ietf-aipref-vocab
//! and new categories are still being proposed, so labels live in a static
//! table: a release adds a row, no parsing or combining logic changes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::invalid::InvalidValue;

/// What ccsig knows about one usage-category label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct LabelInfo {
    /// The label exactly as it appears in an expression (labels are case-sensitive).
    pub label: &'static str,
    /// Short noun phrase for sentences ("AI training").
    pub use_name: &'static str,
    /// What the category covers, in plain words.
    pub description: &'static str,
    /// Revisions of draft-ietf-aipref-vocab that define it (1 = "-01").
    pub drafts: &'static [u8],
    /// Defined by the default vocabulary ([`Vocabulary::default`], draft
    /// [`CURRENT_DRAFT`]); [`Vocabulary::defines`] answers for any other.
    pub current: bool,
    /// For a legacy label, the current label covering most of the same use.
    pub closest_current: Option<&'static str>,
    /// For a legacy label with no closest current label, why there is none.
    pub no_closest_reason: Option<&'static str>,
}

impl LabelInfo {
    /// A label that some draft defined but the default vocabulary does not.
    ///
    /// ```
    /// use ccsig::signal::lookup;
    /// assert!(lookup("train-genai").unwrap().is_legacy());
    /// assert!(!lookup("train-ai").unwrap().is_legacy());
    /// ```
    pub fn is_legacy(&self) -> bool {
        !self.current
    }

    /// The last draft that defines this row's meaning of the label.
    ///
    /// ```
    /// assert_eq!(ccsig::signal::lookup("train-genai").unwrap().last_draft(), 3);
    /// ```
    pub fn last_draft(&self) -> u8 {
        self.drafts.iter().copied().max().unwrap_or(0)
    }

    /// The drafts as people cite them: "-02, -03".
    ///
    /// ```
    /// assert_eq!(ccsig::signal::lookup("train-genai").unwrap().drafts_text(), "-02, -03");
    /// ```
    pub fn drafts_text(&self) -> String {
        self.drafts
            .iter()
            .map(|d| format!("-{d:02}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The revision of draft-ietf-aipref-vocab the `current` flags describe.
pub const CURRENT_DRAFT: u8 = 7;

/// Every label any revision of draft-ietf-aipref-vocab defined, current first.
pub static LABELS: &[LabelInfo] = &[
    LabelInfo {
        label: "train-ai",
        use_name: "AI training",
        description: "using the content to train or fine-tune AI models",
        drafts: &[2, 3, 4, 5, 6, 7, 8],
        current: true,
        closest_current: None,
        no_closest_reason: None,
    },
    LabelInfo {
        label: "search",
        use_name: "Search",
        description: "indexing the content so that search results can point people back to it",
        drafts: &[1, 2, 3, 4, 5, 6, 7, 8],
        current: true,
        closest_current: None,
        no_closest_reason: None,
    },
    LabelInfo {
        label: "tdm",
        use_name: "Text and data mining",
        description: "automated analysis of the content (text and data mining)",
        drafts: &[1],
        current: false,
        closest_current: Some("train-ai"),
        no_closest_reason: None,
    },
    LabelInfo {
        label: "ai",
        use_name: "AI training",
        description: "using the content to train AI models (the -01 name of the category)",
        drafts: &[1],
        current: false,
        closest_current: Some("train-ai"),
        no_closest_reason: None,
    },
    LabelInfo {
        label: "genai",
        use_name: "Generative AI training",
        description: "using the content to train AI models that generate content",
        drafts: &[1],
        current: false,
        closest_current: Some("train-ai"),
        no_closest_reason: None,
    },
    LabelInfo {
        label: "inference",
        use_name: "AI inference",
        description: "giving the content to a deployed AI model as input when it answers",
        drafts: &[1],
        current: false,
        closest_current: None,
        no_closest_reason: Some(
            "draft-07 has no category for using content as AI input (-08 adds \"AI Use\", \
             text not confirmed)",
        ),
    },
    LabelInfo {
        label: "all",
        use_name: "All automated processing",
        description: "every kind of automated processing of the content",
        drafts: &[2],
        current: false,
        closest_current: None,
        no_closest_reason: Some(
            "the umbrella category was dropped; no current label covers every use",
        ),
    },
    LabelInfo {
        label: "train-genai",
        use_name: "Generative AI training",
        description: "using the content to train AI models that generate content",
        drafts: &[2, 3],
        current: false,
        closest_current: Some("train-ai"),
        no_closest_reason: None,
    },
    LabelInfo {
        label: "ai-use",
        use_name: "AI use",
        description:
            "using the content in AI systems beyond training, such as input when answering",
        drafts: &[2],
        current: false,
        closest_current: None,
        no_closest_reason: Some(
            "draft-07 has no category for AI use other than training (-08 reuses the label \
             for \"AI Use\", text not confirmed)",
        ),
    },
    // Listed after the -02 row of the same string: the row for an earlier
    // draft is the one a reader of the default vocabulary finds.
    LabelInfo {
        label: "ai-use",
        use_name: "AI Use",
        description: "using the content as input to a generative AI model when a user did not \
                      provide it directly (the -08 \"AI Use\" category; label from a secondary \
                      source, -08 text not confirmed)",
        drafts: &[8],
        current: false,
        closest_current: None,
        no_closest_reason: None,
    },
    LabelInfo {
        label: "bots",
        use_name: "Automated processing",
        description: "any automated processing of the content by bots",
        drafts: &[3, 4],
        current: false,
        closest_current: None,
        no_closest_reason: Some(
            "the umbrella category was dropped; no current label covers every use",
        ),
    },
    LabelInfo {
        label: "ai-output",
        use_name: "AI output",
        description: "using the content to produce what an AI system outputs",
        drafts: &[4],
        current: false,
        closest_current: None,
        no_closest_reason: Some("the category was dropped in -05 and has no successor"),
    },
];

/// The revision of draft-ietf-aipref-vocab that ccsig validates against:
/// which labels are current, which legacy, which ambiguous.
///
/// Each draft's label set is data (the `drafts` of [`LABELS`]); this only
/// picks one. The default is the newest draft whose text the project has
/// verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum Vocabulary {
    /// draft-ietf-aipref-vocab-07 (Aug 2026): `train-ai`, `search`.
    #[default]
    Draft07,
    /// draft-ietf-aipref-vocab-08 (Sep 2026): adds "AI Use", whose label
    /// `ai-use` comes from a secondary source (the text was not available).
    Draft08,
}

impl Vocabulary {
    /// Every selectable vocabulary, oldest first.
    pub const ALL: [Vocabulary; 2] = [Vocabulary::Draft07, Vocabulary::Draft08];

    /// The draft revision (7 for "-07").
    ///
    /// ```
    /// assert_eq!(ccsig::signal::Vocabulary::default().draft(), 7);
    /// ```
    pub fn draft(self) -> u8 {
        match self {
            Vocabulary::Draft07 => 7,
            Vocabulary::Draft08 => 8,
        }
    }

    /// The name users type: `draft-07`.
    ///
    /// ```
    /// use ccsig::signal::Vocabulary;
    /// assert_eq!(Vocabulary::Draft08.name(), "draft-08");
    /// assert_eq!("draft-08".parse::<Vocabulary>(), Ok(Vocabulary::Draft08));
    /// assert!("draft-99".parse::<Vocabulary>().is_err());
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Vocabulary::Draft07 => "draft-07",
            Vocabulary::Draft08 => "draft-08",
        }
    }

    /// Whether the project checked this draft's label set in its text.
    ///
    /// ```
    /// use ccsig::signal::Vocabulary;
    /// assert!(Vocabulary::Draft07.text_confirmed());
    /// ```
    pub fn text_confirmed(self) -> bool {
        match self {
            Vocabulary::Draft07 => true,
            Vocabulary::Draft08 => false,
        }
    }

    /// Whether this draft defines the row's meaning of its label.
    ///
    /// ```
    /// use ccsig::signal::{lookup, Vocabulary};
    /// let train_genai = lookup("train-genai").unwrap();
    /// assert!(!Vocabulary::Draft07.defines(train_genai));
    /// ```
    pub fn defines(self, info: &LabelInfo) -> bool {
        info.drafts.contains(&self.draft())
    }

    /// A label as this draft's reader understands it: the row this draft
    /// defines, else the latest earlier meaning (a legacy label). Meanings
    /// from later drafts are not this draft's business.
    ///
    /// ```
    /// use ccsig::signal::Vocabulary;
    /// // `ai-use` was a -02 label, and is a label again in -08.
    /// assert!(Vocabulary::Draft07.lookup("ai-use").unwrap().is_legacy());
    /// let ai_use = Vocabulary::Draft08.lookup("ai-use").unwrap();
    /// assert!(Vocabulary::Draft08.defines(ai_use));
    /// assert!(Vocabulary::Draft07.lookup("made-up").is_none());
    /// ```
    pub fn lookup(self, label: &str) -> Option<&'static LabelInfo> {
        let rows = || LABELS.iter().filter(move |info| info.label == label);
        rows().find(|info| self.defines(info)).or_else(|| {
            rows()
                .filter(|info| info.last_draft() < self.draft())
                .max_by_key(|info| info.last_draft())
        })
    }

    /// A later draft's meaning of a label that is only legacy in this one:
    /// the same string, reused for something else.
    ///
    /// ```
    /// use ccsig::signal::Vocabulary;
    /// let later = Vocabulary::Draft07.later_meaning("ai-use").unwrap();
    /// assert_eq!(later.drafts, [8]);
    /// assert!(Vocabulary::Draft07.later_meaning("train-genai").is_none());
    /// ```
    pub fn later_meaning(self, label: &str) -> Option<&'static LabelInfo> {
        let known = self.lookup(label)?;
        if self.defines(known) {
            return None;
        }
        LABELS
            .iter()
            .find(|info| info.label == label && info.drafts.iter().any(|d| *d > self.draft()))
    }

    /// The entries of this draft's labels.
    ///
    /// ```
    /// let infos: Vec<_> = ccsig::signal::Vocabulary::Draft07.label_infos().collect();
    /// assert!(infos.iter().all(|info| info.drafts.contains(&7)));
    /// ```
    pub fn label_infos(self) -> impl Iterator<Item = &'static LabelInfo> {
        LABELS.iter().filter(move |info| self.defines(info))
    }

    /// This draft's labels, the only ones ccsig writes on its own.
    ///
    /// ```
    /// use ccsig::signal::Vocabulary;
    /// assert!(Vocabulary::Draft08.labels().any(|l| l == "ai-use"));
    /// assert!(!Vocabulary::Draft07.labels().any(|l| l == "ai-use"));
    /// ```
    pub fn labels(self) -> impl Iterator<Item = &'static str> {
        self.label_infos().map(|info| info.label)
    }

    /// For a legacy label, the label of this draft closest to it.
    ///
    /// ```
    /// use ccsig::signal::{lookup, Vocabulary};
    /// let train_genai = lookup("train-genai").unwrap();
    /// assert_eq!(Vocabulary::Draft07.closest(train_genai), Some("train-ai"));
    /// ```
    pub fn closest(self, info: &LabelInfo) -> Option<&'static str> {
        info.closest_current
            .and_then(|c| self.lookup(c))
            .filter(|c| self.defines(c))
            .map(|c| c.label)
    }
}

impl fmt::Display for Vocabulary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Vocabulary {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Vocabulary::ALL
            .into_iter()
            .find(|v| v.name() == s)
            .ok_or_else(|| {
                let names = Vocabulary::ALL.map(Vocabulary::name);
                InvalidValue::new(s, "a vocabulary ccsig knows", &names)
            })
    }
}

impl Serialize for Vocabulary {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Looks a label up in the default vocabulary, case-sensitively as the
/// vocabulary requires.
///
/// ```
/// use ccsig::signal::lookup;
/// assert_eq!(lookup("train-ai").unwrap().use_name, "AI training");
/// assert!(lookup("Train-AI").is_none());
/// ```
pub fn lookup(label: &str) -> Option<&'static LabelInfo> {
    Vocabulary::default().lookup(label)
}

/// The labels of the current draft, the only ones ccsig writes on its own.
///
/// ```
/// let labels: Vec<&str> = ccsig::signal::current_labels().collect();
/// assert!(labels.contains(&"train-ai") && labels.contains(&"search"));
/// ```
pub fn current_labels() -> impl Iterator<Item = &'static str> {
    current_label_infos().map(|info| info.label)
}

/// The vocabulary entries of the current draft's labels.
///
/// ```
/// assert!(ccsig::signal::current_label_infos().all(|info| !info.is_legacy()));
/// ```
pub fn current_label_infos() -> impl Iterator<Item = &'static LabelInfo> {
    LABELS.iter().filter(|info| info.current)
}

/// The four CC signals, each an exception to a "no".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SignalCode {
    /// `cc-cr`: Credit.
    Cr,
    /// `cc-cr-dc`: Credit + Direct Contribution.
    CrDc,
    /// `cc-cr-ec`: Credit + Ecosystem Contribution.
    CrEc,
    /// `cc-cr-op`: Credit + Open.
    CrOp,
}

impl SignalCode {
    /// All signals, in the order CC lists them.
    pub const ALL: [SignalCode; 4] = [
        SignalCode::Cr,
        SignalCode::CrDc,
        SignalCode::CrEc,
        SignalCode::CrOp,
    ];

    /// The token written in expressions, e.g. `cc-cr-op`.
    ///
    /// ```
    /// use ccsig::SignalCode;
    /// assert_eq!(SignalCode::CrOp.code(), "cc-cr-op");
    /// assert_eq!("cc-cr-op".parse::<SignalCode>(), Ok(SignalCode::CrOp));
    /// assert!("CC-CR".parse::<SignalCode>().is_err()); // tokens are case-sensitive
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            SignalCode::Cr => "cc-cr",
            SignalCode::CrDc => "cc-cr-dc",
            SignalCode::CrEc => "cc-cr-ec",
            SignalCode::CrOp => "cc-cr-op",
        }
    }

    /// The signal's name as CC gives it.
    ///
    /// ```
    /// assert_eq!(ccsig::SignalCode::CrEc.name(), "Credit + Ecosystem Contribution");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            SignalCode::Cr => "Credit",
            SignalCode::CrDc => "Credit + Direct Contribution",
            SignalCode::CrEc => "Credit + Ecosystem Contribution",
            SignalCode::CrOp => "Credit + Open",
        }
    }

    /// Where CC defines the signal (CC signals 0.1): the text that says
    /// what each of its elements requires.
    ///
    /// ```
    /// assert!(ccsig::SignalCode::CrOp.definition().ends_with("/signals/cr-op/0.1/README.md"));
    /// ```
    pub fn definition(self) -> &'static str {
        match self {
            SignalCode::Cr => {
                "https://github.com/creativecommons/cc-signals/blob/main/signals/cr/0.1/README.md"
            }
            SignalCode::CrDc => {
                "https://github.com/creativecommons/cc-signals/blob/main/signals/cr-dc/0.1/README.md"
            }
            SignalCode::CrEc => {
                "https://github.com/creativecommons/cc-signals/blob/main/signals/cr-ec/0.1/README.md"
            }
            SignalCode::CrOp => {
                "https://github.com/creativecommons/cc-signals/blob/main/signals/cr-op/0.1/README.md"
            }
        }
    }

    /// What the AI developer owes in return for the use.
    ///
    /// ```
    /// assert!(ccsig::SignalCode::Cr.obligation().contains("credit"));
    /// ```
    pub fn obligation(self) -> &'static str {
        match self {
            SignalCode::Cr => "the AI developer must give appropriate credit for the use.",
            SignalCode::CrDc => {
                "the AI developer must give credit and give money or in-kind support to the \
                 declaring party, in proportion to the use and to the developer's means."
            }
            SignalCode::CrEc => {
                "the AI developer must give credit and give money or in-kind support to the \
                 wider commons the work comes from."
            }
            SignalCode::CrOp => {
                "the AI developer must give credit and the resulting AI system must be open \
                 (for example MOF Class I/II or OSAID)."
            }
        }
    }
}

impl fmt::Display for SignalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for SignalCode {
    type Err = InvalidValue;

    /// Exact match only: expression tokens are case-sensitive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SignalCode::ALL
            .into_iter()
            .find(|c| c.code() == s)
            .ok_or_else(|| {
                let codes = SignalCode::ALL.map(SignalCode::code);
                InvalidValue::new(s, "a CC signal code", &codes)
            })
    }
}

impl Serialize for SignalCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for SignalCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_draft_label_is_in_the_table() {
        let by_draft: [(u8, &[&str]); 8] = [
            (1, &["tdm", "ai", "genai", "search", "inference"]),
            (2, &["all", "train-ai", "train-genai", "ai-use", "search"]),
            (3, &["bots", "train-ai", "train-genai", "search"]),
            (4, &["bots", "train-ai", "ai-output", "search"]),
            (5, &["train-ai", "search"]),
            (6, &["train-ai", "search"]),
            (7, &["train-ai", "search"]),
            (8, &["train-ai", "search", "ai-use"]),
        ];
        for (draft, labels) in by_draft {
            for label in labels {
                assert!(
                    LABELS
                        .iter()
                        .any(|i| i.label == *label && i.drafts.contains(&draft)),
                    "{label} not in -{draft:02}"
                );
            }
            // And no label claims a draft it is not in.
            for info in LABELS.iter().filter(|i| i.drafts.contains(&draft)) {
                assert!(
                    labels.contains(&info.label),
                    "{} wrongly in -{draft}",
                    info.label
                );
            }
        }
        assert_eq!(LABELS.len(), 12);
    }

    #[test]
    fn current_means_in_current_draft() {
        for info in LABELS {
            assert_eq!(
                info.current,
                info.drafts.contains(&CURRENT_DRAFT),
                "{}",
                info.label
            );
        }
        let current: Vec<_> = current_labels().collect();
        assert_eq!(current, ["train-ai", "search"]);
        assert!(current_label_infos().all(|i| i.current));
    }

    #[test]
    fn legacy_labels_name_their_closest_or_say_why_not() {
        let expected = [
            ("tdm", Some("train-ai")),
            ("ai", Some("train-ai")),
            ("genai", Some("train-ai")),
            ("train-genai", Some("train-ai")),
            ("inference", None),
            ("all", None),
            ("ai-use", None),
            ("bots", None),
            ("ai-output", None),
        ];
        for (label, closest) in expected {
            let info = lookup(label).unwrap();
            assert!(info.is_legacy());
            assert_eq!(info.closest_current, closest, "{label}");
            // Exactly one of "closest" and "why none" is given.
            assert_eq!(
                info.no_closest_reason.is_some(),
                closest.is_none(),
                "{label}"
            );
            if let Some(c) = closest {
                assert!(lookup(c).unwrap().current);
            }
        }
        for info in current_label_infos() {
            assert!(info.closest_current.is_none() && info.no_closest_reason.is_none());
        }
    }

    #[test]
    fn each_vocabulary_reads_labels_as_its_draft_does() {
        let v7 = Vocabulary::Draft07;
        let v8 = Vocabulary::Draft08;
        assert_eq!(Vocabulary::default(), v7);
        assert!(v7.text_confirmed() && !v8.text_confirmed());
        assert_eq!(v7.labels().collect::<Vec<_>>(), ["train-ai", "search"]);
        assert_eq!(
            v8.labels().collect::<Vec<_>>(),
            ["train-ai", "search", "ai-use"]
        );
        // The same string, two meanings: -02's for -07, -08's for -08.
        let old = v7.lookup("ai-use").unwrap();
        let new = v8.lookup("ai-use").unwrap();
        assert_eq!(old.drafts, [2]);
        assert_eq!(new.drafts, [8]);
        assert!(!v7.defines(old) && v8.defines(new));
        assert_eq!(lookup("ai-use"), Some(old));
        assert_eq!(v7.later_meaning("ai-use"), Some(new));
        assert_eq!(v8.later_meaning("ai-use"), None);
        assert_eq!(v7.later_meaning("tdm"), None);
        assert_eq!(v7.later_meaning("train-ai"), None);
        assert_eq!(v8.closest(lookup("tdm").unwrap()), Some("train-ai"));
        for v in Vocabulary::ALL {
            assert_eq!(v.name().parse::<Vocabulary>(), Ok(v));
            assert_eq!(v.to_string(), v.name());
        }
        assert!("draft-09".parse::<Vocabulary>().is_err());
        assert!("Draft-07".parse::<Vocabulary>().is_err());
    }

    #[test]
    fn lookup_is_case_sensitive() {
        assert!(lookup("train-ai").is_some());
        assert!(lookup("Train-AI").is_none());
        assert!(lookup("TDM").is_none());
        assert!(lookup("").is_none());
    }

    #[test]
    fn drafts_text_is_zero_padded() {
        assert_eq!(lookup("train-genai").unwrap().drafts_text(), "-02, -03");
    }

    #[test]
    fn signal_codes_round_trip() {
        for code in SignalCode::ALL {
            assert_eq!(code.code().parse::<SignalCode>(), Ok(code));
            assert_eq!(code.to_string(), code.code());
            assert!(code.name().starts_with("Credit"));
            assert!(code.obligation().contains("credit"));
        }
        assert_eq!(SignalCode::CrOp.code(), "cc-cr-op");
        assert_eq!(SignalCode::CrDc.name(), "Credit + Direct Contribution");
        assert!("CC-CR".parse::<SignalCode>().is_err());
        assert!("cc-zz".parse::<SignalCode>().is_err());
    }

    #[test]
    fn signal_code_serde_is_the_code_string() {
        assert_eq!(
            serde_json::to_string(&SignalCode::CrEc).unwrap(),
            "\"cc-cr-ec\""
        );
        let back: SignalCode = serde_json::from_str("\"cc-cr\"").unwrap();
        assert_eq!(back, SignalCode::Cr);
        assert!(serde_json::from_str::<SignalCode>("\"credit\"").is_err());
    }
}
