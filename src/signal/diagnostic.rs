//! Typed findings about an expression, each with a severity and a sentence.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::vocabulary::{self, Vocabulary};

/// How much a finding matters.
///
/// Ordered so that `max()` over a statement's diagnostics gives its worst one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Allowed by the vocabulary and harmless, but worth knowing. Written
    /// `note` since schema `ccsig/3` (`info` before; still read).
    #[serde(alias = "info")]
    Note,
    /// Probably not what the author meant, or read differently by other tools.
    Warning,
    /// The expression does not say what it appears to say.
    Error,
}

impl Severity {
    /// Lower-case name, as used in JSON output.
    ///
    /// ```
    /// use ccsig::signal::Severity;
    /// assert_eq!(Severity::Warning.as_str(), "warning");
    /// assert!(Severity::Error > Severity::Warning);
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding about an expression or one of its members.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Diagnostic {
    /// Not an RFC 9651 dictionary; every preference is unknown.
    ParseFailed {
        /// The parser's reason, with the byte index.
        reason: String,
    },
    /// A label no draft of the vocabulary defines.
    UnknownLabel {
        /// The label.
        label: String,
    },
    /// A label from an earlier draft.
    LegacyLabel {
        /// The label.
        label: String,
        /// The closest current label, if any.
        closest: Option<String>,
    },
    /// A legacy label whose string a later, unconfirmed draft reuses for
    /// another category: which meaning the author had in mind is unknown.
    AmbiguousLabel {
        /// The label.
        label: String,
        /// The vocabulary it was read against (where it is legacy).
        vocabulary: Vocabulary,
    },
    /// The same label more than once; only the last value counts.
    DuplicateLabel {
        /// The label.
        label: String,
        /// How many times it appears.
        occurrences: usize,
    },
    /// A value that is not a Token (a boolean, a string, a number, an inner list...).
    NonTokenValue {
        /// The label.
        label: String,
        /// The value as serialized.
        raw: String,
    },
    /// A Token other than `y` or `n`.
    UnknownValueToken {
        /// The label.
        label: String,
        /// The token.
        raw: String,
    },
    /// A parameter other than `exceptions`.
    UnknownParameter {
        /// The label.
        label: String,
        /// The parameter's name.
        param: String,
    },
    /// `exceptions` names a token that is not a CC signal code.
    UnknownException {
        /// The label.
        label: String,
        /// The token.
        raw: String,
    },
    /// `exceptions` is not a single Token.
    MalformedException {
        /// The label.
        label: String,
        /// The parameter value as serialized.
        raw: String,
        /// What is wrong with it.
        why: String,
    },
    /// `exceptions` on a value other than `n`, where it means nothing.
    ExceptionOnNonDisallow {
        /// The label.
        label: String,
    },
    /// The expression is an empty dictionary: no preferences at all.
    EmptyExpression,
}

impl Diagnostic {
    /// How much this finding matters.
    ///
    /// Errors are findings where the expression silently fails to say what
    /// it looks like it says (nothing parses, an exception grants nothing).
    /// Warnings are readable but likely mistakes or read differently by
    /// other tools. Infos are things the vocabulary tells readers to ignore.
    ///
    /// ```
    /// use ccsig::signal::{parse, Severity};
    /// let statement = parse("train-ai=n;exceptions=cc-zz, made-up=y");
    /// let severities: Vec<Severity> = statement.diagnostics().iter().map(|d| d.severity()).collect();
    /// assert_eq!(severities, [Severity::Error, Severity::Note]);
    /// ```
    pub fn severity(&self) -> Severity {
        match self {
            Diagnostic::ParseFailed { .. }
            | Diagnostic::UnknownException { .. }
            | Diagnostic::MalformedException { .. } => Severity::Error,
            Diagnostic::LegacyLabel { .. }
            | Diagnostic::AmbiguousLabel { .. }
            | Diagnostic::DuplicateLabel { .. }
            | Diagnostic::NonTokenValue { .. }
            | Diagnostic::UnknownValueToken { .. }
            | Diagnostic::ExceptionOnNonDisallow { .. }
            | Diagnostic::EmptyExpression => Severity::Warning,
            Diagnostic::UnknownLabel { .. } | Diagnostic::UnknownParameter { .. } => Severity::Note,
        }
    }

    /// Stable snake_case name, for JSON and for filtering.
    ///
    /// ```
    /// let statement = ccsig::signal::parse("train-genai=n");
    /// assert_eq!(statement.diagnostics()[0].kind(), "legacy_label");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Diagnostic::ParseFailed { .. } => "parse_failed",
            Diagnostic::UnknownLabel { .. } => "unknown_label",
            Diagnostic::LegacyLabel { .. } => "legacy_label",
            Diagnostic::AmbiguousLabel { .. } => "ambiguous_label",
            Diagnostic::DuplicateLabel { .. } => "duplicate_label",
            Diagnostic::NonTokenValue { .. } => "non_token_value",
            Diagnostic::UnknownValueToken { .. } => "unknown_value_token",
            Diagnostic::UnknownParameter { .. } => "unknown_parameter",
            Diagnostic::UnknownException { .. } => "unknown_exception",
            Diagnostic::MalformedException { .. } => "malformed_exception",
            Diagnostic::ExceptionOnNonDisallow { .. } => "exception_on_non_disallow",
            Diagnostic::EmptyExpression => "empty_expression",
        }
    }

    /// The label the finding is about; `None` for the whole expression.
    ///
    /// ```
    /// use ccsig::signal::parse;
    /// assert_eq!(parse("train-genai=n").diagnostics()[0].label(), Some("train-genai"));
    /// assert_eq!(parse("").diagnostics()[0].label(), None);
    /// ```
    pub fn label(&self) -> Option<&str> {
        match self {
            Diagnostic::ParseFailed { .. } | Diagnostic::EmptyExpression => None,
            Diagnostic::UnknownLabel { label }
            | Diagnostic::LegacyLabel { label, .. }
            | Diagnostic::AmbiguousLabel { label, .. }
            | Diagnostic::DuplicateLabel { label, .. }
            | Diagnostic::NonTokenValue { label, .. }
            | Diagnostic::UnknownValueToken { label, .. }
            | Diagnostic::UnknownParameter { label, .. }
            | Diagnostic::UnknownException { label, .. }
            | Diagnostic::MalformedException { label, .. }
            | Diagnostic::ExceptionOnNonDisallow { label } => Some(label),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Diagnostic::ParseFailed { reason } => write!(
                f,
                "the expression is not a valid structured-field dictionary ({reason}), \
                 so every preference in it is unknown"
            ),
            Diagnostic::UnknownLabel { label } => {
                write!(
                    f,
                    "`{label}` is not a category any draft of the AIPREF vocabulary defines; \
                     readers ignore it"
                )?;
                let labels: Vec<&'static str> =
                    vocabulary::LABELS.iter().map(|info| info.label).collect();
                match super::invalid::nearest(label, &labels) {
                    Some(meant) => write!(f, " (did you mean `{meant}`?)"),
                    None => Ok(()),
                }
            }
            Diagnostic::LegacyLabel { label, closest } => {
                let drafts = vocabulary::lookup(label)
                    .map(|info| format!(" (draft-ietf-aipref-vocab {})", info.drafts_text()))
                    .unwrap_or_default();
                write!(
                    f,
                    "`{label}` is a legacy category{drafts} that current readers ignore; "
                )?;
                match closest {
                    Some(c) => write!(f, "the closest current label is `{c}`"),
                    None => {
                        let why = vocabulary::lookup(label)
                            .and_then(|info| info.no_closest_reason)
                            .unwrap_or("no current label corresponds");
                        write!(f, "no current label replaces it: {why}")
                    }
                }
            }
            Diagnostic::AmbiguousLabel { label, vocabulary } => {
                let earlier = vocabulary.lookup(label);
                let later = vocabulary.later_meaning(label);
                let meaning = |info: Option<&vocabulary::LabelInfo>| {
                    info.map(|i| {
                        format!(
                            "-{:02} meaning {} ({})",
                            i.last_draft(),
                            i.use_name,
                            i.description
                        )
                    })
                    .unwrap_or_default()
                };
                write!(
                    f,
                    "`{label}` is ambiguous: {}; {} may use it for {}; text not confirmed. \
                     Read against {vocabulary} it is a legacy label that decides nothing",
                    meaning(earlier),
                    later
                        .map(|l| format!("draft -{:02}", l.last_draft()))
                        .unwrap_or_else(|| "a later draft".into()),
                    later.map(|l| l.use_name).unwrap_or("another category"),
                )
            }
            Diagnostic::DuplicateLabel { label, occurrences } => write!(
                f,
                "`{label}` appears {occurrences} times; only the last value and its \
                 parameters count"
            ),
            Diagnostic::NonTokenValue { label, raw } => write!(
                f,
                "`{label}` has the value `{raw}`, which is not the token y or n, \
                 so this preference is unknown"
            ),
            Diagnostic::UnknownValueToken { label, raw } => write!(
                f,
                "`{label}={raw}`: only the tokens y (allow) and n (disallow) are defined, \
                 so this preference is unknown"
            ),
            Diagnostic::UnknownParameter { label, param } => write!(
                f,
                "`{label}` carries a parameter `{param}` that has no defined meaning; \
                 readers ignore it"
            ),
            Diagnostic::UnknownException { label, raw } => write!(
                f,
                "the exception `{raw}` on `{label}` is not a CC signal code (cc-cr, \
                 cc-cr-dc, cc-cr-ec or cc-cr-op): no exception is granted and the `n` stands"
            ),
            Diagnostic::MalformedException { label, raw, why } => write!(
                f,
                "the exceptions parameter on `{label}` is {why} (`{raw}`), but it must be a \
                 single token such as cc-cr: no exception is granted and the `n` stands"
            ),
            Diagnostic::ExceptionOnNonDisallow { label } => write!(
                f,
                "`{label}` has an exceptions parameter but its value is not n; an exception \
                 can only qualify a \"no\", so it is ignored"
            ),
            Diagnostic::EmptyExpression => {
                f.write_str("the expression is empty: it states no preferences at all")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_kinds() -> Vec<Diagnostic> {
        let l = || "train-ai".to_string();
        vec![
            Diagnostic::ParseFailed { reason: "x".into() },
            Diagnostic::UnknownLabel { label: l() },
            Diagnostic::LegacyLabel {
                label: "tdm".into(),
                closest: Some(l()),
            },
            Diagnostic::AmbiguousLabel {
                label: "ai-use".into(),
                vocabulary: Vocabulary::Draft07,
            },
            Diagnostic::DuplicateLabel {
                label: l(),
                occurrences: 2,
            },
            Diagnostic::NonTokenValue {
                label: l(),
                raw: "?1".into(),
            },
            Diagnostic::UnknownValueToken {
                label: l(),
                raw: "no".into(),
            },
            Diagnostic::UnknownParameter {
                label: l(),
                param: "foo".into(),
            },
            Diagnostic::UnknownException {
                label: l(),
                raw: "cc-zz".into(),
            },
            Diagnostic::MalformedException {
                label: l(),
                raw: "1".into(),
                why: "a number".into(),
            },
            Diagnostic::ExceptionOnNonDisallow { label: l() },
            Diagnostic::EmptyExpression,
        ]
    }

    #[test]
    fn kinds_are_distinct_snake_case() {
        let kinds: Vec<_> = all_kinds().iter().map(Diagnostic::kind).collect();
        let mut dedup = kinds.clone();
        dedup.sort_unstable();
        dedup.dedup();
        assert_eq!(dedup.len(), kinds.len());
        for k in kinds {
            assert!(k.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{k}");
        }
    }

    #[test]
    fn severities_follow_the_policy() {
        use Severity::*;
        let got: Vec<_> = all_kinds().iter().map(Diagnostic::severity).collect();
        assert_eq!(
            got,
            [
                Error, Note, Warning, Warning, Warning, Warning, Warning, Note, Error, Error,
                Warning, Warning
            ]
        );
        assert!(Error > Warning && Warning > Note);
    }

    #[test]
    fn messages_name_the_label() {
        for d in all_kinds() {
            let msg = d.to_string();
            if let Some(label) = d.label() {
                assert!(msg.contains(label), "{msg}");
            }
            assert!(!msg.is_empty());
        }
    }

    #[test]
    fn ambiguous_message_names_both_meanings() {
        let d = Diagnostic::AmbiguousLabel {
            label: "ai-use".into(),
            vocabulary: Vocabulary::Draft07,
        };
        let msg = d.to_string();
        for part in [
            "-02 meaning AI use",
            "-08 may use it for AI Use",
            "not confirmed",
        ] {
            assert!(msg.contains(part), "{part}: {msg}");
        }
    }

    #[test]
    fn legacy_message_says_closest_or_why_not() {
        let tdm = Diagnostic::LegacyLabel {
            label: "tdm".into(),
            closest: Some("train-ai".into()),
        };
        assert!(tdm
            .to_string()
            .contains("closest current label is `train-ai`"));
        assert!(tdm.to_string().contains("-01"));
        let bots = Diagnostic::LegacyLabel {
            label: "bots".into(),
            closest: None,
        };
        assert!(
            bots.to_string().contains("umbrella category was dropped"),
            "{bots}"
        );
    }
}
