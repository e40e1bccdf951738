//! Building expressions to write from structured choices.
//!
//! Only current labels are accepted here: legacy labels may be written only
//! when the user types a raw expression (see
//! [`validate_for_writing`](super::expression::validate_for_writing)).

use sfv::{DictSerializer, KeyRef, TokenRef};

use super::expression::{parse, Preference, Statement, EXCEPTIONS_PARAM};
use super::vocabulary::{self, SignalCode};

/// Why a statement could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The label is legacy or unknown.
    #[error("`{label}` is not a current AIPREF category label{}", closest_hint(.closest))]
    NotCurrentLabel {
        /// The label given.
        label: String,
        /// The current label to use instead, if one is close.
        closest: Option<&'static str>,
    },
    /// The same label was given twice.
    #[error("`{label}` is given more than once")]
    DuplicateLabel {
        /// The label given.
        label: String,
    },
    /// Nothing was added.
    #[error("no preference was given")]
    Empty,
}

fn closest_hint(closest: &Option<&'static str>) -> String {
    match closest {
        Some(c) => format!(" (use `{c}`)"),
        None => String::new(),
    }
}

/// Collects preferences for current labels, then serializes them with sfv.
///
/// ```
/// use ccsig::signal::{Decision, Statement, StatementBuilder};
/// use ccsig::SignalCode;
///
/// let text = StatementBuilder::new()
///     .disallow_unless("train-ai", SignalCode::CrOp)
///     .allow("search")
///     .to_expression()
///     .unwrap();
/// assert_eq!(text, "train-ai=n;exceptions=cc-cr-op, search=y");
///
/// let statement = Statement::builder().disallow("train-ai").build().unwrap();
/// assert_eq!(statement.preference("train-ai"), Decision::Disallowed);
///
/// // Legacy labels, repeats and empty statements are refused.
/// assert!(StatementBuilder::new().disallow("train-genai").to_expression().is_err());
/// assert!(StatementBuilder::new().allow("search").allow("search").to_expression().is_err());
/// assert!(StatementBuilder::new().to_expression().is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct StatementBuilder {
    entries: Vec<(String, Preference, Option<SignalCode>)>,
}

impl StatementBuilder {
    /// An empty builder.
    ///
    /// ```
    /// assert!(ccsig::signal::StatementBuilder::new().build().is_err()); // states nothing
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// `label=y`.
    ///
    /// ```
    /// let text = ccsig::signal::StatementBuilder::new().allow("search").to_expression();
    /// assert_eq!(text.unwrap(), "search=y");
    /// ```
    pub fn allow(mut self, label: &str) -> Self {
        self.entries
            .push((label.to_owned(), Preference::Allow, None));
        self
    }

    /// `label=n`.
    ///
    /// ```
    /// let text = ccsig::signal::StatementBuilder::new().disallow("train-ai").to_expression();
    /// assert_eq!(text.unwrap(), "train-ai=n");
    /// ```
    pub fn disallow(mut self, label: &str) -> Self {
        self.entries
            .push((label.to_owned(), Preference::Disallow, None));
        self
    }

    /// `label=n;exceptions=<signal>`.
    ///
    /// ```
    /// use ccsig::{signal::StatementBuilder, SignalCode};
    /// let text = StatementBuilder::new().disallow_unless("train-ai", SignalCode::CrDc).to_expression();
    /// assert_eq!(text.unwrap(), "train-ai=n;exceptions=cc-cr-dc");
    /// ```
    pub fn disallow_unless(mut self, label: &str, signal: SignalCode) -> Self {
        self.entries
            .push((label.to_owned(), Preference::Disallow, Some(signal)));
        self
    }

    /// The expression text, in the order the preferences were added.
    ///
    /// # Errors
    /// A legacy or unknown label, a label given twice, or no preference.
    ///
    /// ```
    /// use ccsig::signal::{BuildError, StatementBuilder};
    /// let text = StatementBuilder::new().allow("search").disallow("train-ai").to_expression();
    /// assert_eq!(text.unwrap(), "search=y, train-ai=n"); // in the order added
    /// let unknown = StatementBuilder::new().allow("made-up").to_expression();
    /// assert!(matches!(unknown, Err(BuildError::NotCurrentLabel { .. })));
    /// ```
    pub fn to_expression(&self) -> Result<String, BuildError> {
        let mut ser = DictSerializer::new();
        for (i, (label, value, signal)) in self.entries.iter().enumerate() {
            let info = vocabulary::lookup(label).filter(|info| info.current);
            if info.is_none() {
                return Err(BuildError::NotCurrentLabel {
                    label: label.clone(),
                    closest: vocabulary::lookup(label).and_then(|i| i.closest_current),
                });
            }
            if self.entries[..i].iter().any(|(l, _, _)| l == label) {
                return Err(BuildError::DuplicateLabel {
                    label: label.clone(),
                });
            }
            // Vocabulary labels and CC codes are valid keys/tokens by construction.
            let key = KeyRef::constant(label);
            let token = TokenRef::constant(if *value == Preference::Allow {
                "y"
            } else {
                "n"
            });
            let params = ser.bare_item(key, token);
            if let Some(signal) = signal {
                let _ = params.parameter(
                    KeyRef::constant(EXCEPTIONS_PARAM),
                    TokenRef::constant(signal.code()),
                );
            }
        }
        ser.finish().ok_or(BuildError::Empty)
    }

    /// The statement, parsed back from its own text so it is exactly what a
    /// reader of the written expression will see.
    ///
    /// # Errors
    /// As [`StatementBuilder::to_expression`].
    ///
    /// ```
    /// use ccsig::signal::{Decision, StatementBuilder};
    /// let statement = StatementBuilder::new().allow("train-ai").build().unwrap();
    /// assert_eq!(statement.preference("train-ai"), Decision::Allowed);
    /// assert!(statement.is_writable());
    /// ```
    pub fn build(&self) -> Result<Statement, BuildError> {
        self.to_expression().map(|text| parse(&text))
    }
}

impl Statement {
    /// A builder for a statement of several preferences.
    ///
    /// ```
    /// let statement = ccsig::signal::Statement::builder().allow("search").disallow("train-ai").build();
    /// assert_eq!(statement.unwrap().members.len(), 2);
    /// ```
    pub fn builder() -> StatementBuilder {
        StatementBuilder::new()
    }

    /// The usual CC-signal statement: `use_label=n;exceptions=<signal>`.
    ///
    /// # Errors
    /// `use_label` is not a current label.
    ///
    /// ```
    /// use ccsig::signal::Statement;
    /// use ccsig::SignalCode;
    /// let statement = Statement::from_signal("train-ai", SignalCode::Cr).unwrap();
    /// assert_eq!(statement.expression, "train-ai=n;exceptions=cc-cr");
    /// assert!(Statement::from_signal("ai-training", SignalCode::Cr).is_err());
    /// ```
    pub fn from_signal(use_label: &str, signal: SignalCode) -> Result<Statement, BuildError> {
        StatementBuilder::new()
            .disallow_unless(use_label, signal)
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::decision::Decision;

    #[test]
    fn from_signal_writes_the_cc_form() {
        let s = Statement::from_signal("train-ai", SignalCode::CrOp).unwrap();
        assert_eq!(s.expression, "train-ai=n;exceptions=cc-cr-op");
        assert_eq!(s.to_expression(), s.expression);
        assert!(s.diagnostics().is_empty());
        assert_eq!(
            s.preference("train-ai"),
            Decision::AllowedIf(vec![SignalCode::CrOp])
        );
    }

    #[test]
    fn every_signal_on_every_current_label_reads_back() {
        for label in vocabulary::current_labels() {
            for code in SignalCode::ALL {
                let s = Statement::from_signal(label, code).unwrap();
                assert_eq!(
                    s.expression,
                    format!("{}=n;exceptions={}", label, code.code())
                );
                assert!(s.is_writable());
                assert_eq!(s.preference(label), Decision::AllowedIf(vec![code]));
            }
        }
    }

    #[test]
    fn legacy_and_unknown_labels_are_refused() {
        assert_eq!(
            Statement::from_signal("tdm", SignalCode::Cr).unwrap_err(),
            BuildError::NotCurrentLabel {
                label: "tdm".into(),
                closest: Some("train-ai")
            }
        );
        let err = Statement::from_signal("bots", SignalCode::Cr).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`bots` is not a current AIPREF category label"
        );
        let err = Statement::from_signal("Train-AI", SignalCode::Cr).unwrap_err();
        assert!(matches!(
            err,
            BuildError::NotCurrentLabel { closest: None, .. }
        ));
        let err = Statement::from_signal("ai", SignalCode::Cr).unwrap_err();
        assert!(err.to_string().contains("(use `train-ai`)"), "{err}");
    }

    #[test]
    fn builder_combines_and_checks() {
        let text = Statement::builder()
            .disallow_unless("train-ai", SignalCode::Cr)
            .allow("search")
            .to_expression()
            .unwrap();
        assert_eq!(text, "train-ai=n;exceptions=cc-cr, search=y");
        assert_eq!(
            Statement::builder()
                .disallow("search")
                .to_expression()
                .unwrap(),
            "search=n"
        );
        assert_eq!(
            Statement::builder()
                .allow("search")
                .disallow("search")
                .build()
                .unwrap_err(),
            BuildError::DuplicateLabel {
                label: "search".into()
            }
        );
        assert_eq!(Statement::builder().build().unwrap_err(), BuildError::Empty);
    }
}
