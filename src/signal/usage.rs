//! The use a caller asks about (a pipeline's `--use`, a signal's `use`),
//! checked once against a vocabulary, so that nothing downstream can hold a
//! label the vocabulary does not define.

use std::fmt;
use std::str::FromStr;

use super::invalid::InvalidValue;
use super::vocabulary::{LabelInfo, Vocabulary};

/// A usage category of one vocabulary draft, such as `train-ai`.
///
/// Only the chosen draft's own labels are uses: a legacy label (`ai-use`
/// under draft-07, `train-genai`), a label in the wrong case or a typo is
/// an [`InvalidValue`] naming the nearest valid label.
///
/// ```
/// use ccsig::signal::{Use, Vocabulary};
///
/// let train = Use::parse("train-ai", Vocabulary::Draft07).unwrap();
/// assert_eq!(train.label(), "train-ai");
/// assert_eq!("search".parse::<Use>().unwrap().label(), "search");
///
/// let typo = Use::parse("train_ai", Vocabulary::Draft07).unwrap_err();
/// assert_eq!(typo.suggestion, Some("train-ai"));
/// assert!(Use::parse("ai-use", Vocabulary::Draft07).is_err());
/// assert!(Use::parse("ai-use", Vocabulary::Draft08).is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Use {
    info: &'static LabelInfo,
    vocabulary: Vocabulary,
}

impl Use {
    /// `label` as a use of `vocabulary`, or why it is not one.
    ///
    /// # Errors
    /// [`InvalidValue`] when the draft does not define the label.
    pub fn parse(label: &str, vocabulary: Vocabulary) -> Result<Use, InvalidValue> {
        match vocabulary.lookup(label) {
            Some(info) if vocabulary.defines(info) => Ok(Use { info, vocabulary }),
            known => {
                let valid: Vec<&'static str> = vocabulary.labels().collect();
                let mut e = InvalidValue::new(
                    label,
                    format!("a usage label of {}", vocabulary.name()),
                    &valid,
                );
                // A legacy label: its closest current label is what was meant.
                if let Some(closest) = known.and_then(|info| vocabulary.closest(info)) {
                    e.suggestion.get_or_insert(closest);
                    e.note = Some(format!(
                        "{label:?} is a legacy label that current readers ignore"
                    ));
                }
                let elsewhere: Vec<&str> = Vocabulary::ALL
                    .into_iter()
                    .filter(|v| *v != vocabulary && v.labels().any(|l| l == label))
                    .map(Vocabulary::name)
                    .collect();
                if !elsewhere.is_empty() {
                    e.note = Some(format!(
                        "{label:?} is a usage label of {}",
                        elsewhere.join(" and ")
                    ));
                }
                Err(e)
            }
        }
    }

    /// The label exactly as expressions spell it.
    ///
    /// ```
    /// assert_eq!("train-ai".parse::<ccsig::signal::Use>().unwrap().label(), "train-ai");
    /// ```
    pub fn label(&self) -> &'static str {
        self.info.label
    }

    /// What the vocabulary says of the category.
    ///
    /// ```
    /// let train: ccsig::signal::Use = "train-ai".parse().unwrap();
    /// assert_eq!(train.info().use_name, "AI training");
    /// ```
    pub fn info(&self) -> &'static LabelInfo {
        self.info
    }

    /// The draft the label was checked against.
    ///
    /// ```
    /// use ccsig::signal::{Use, Vocabulary};
    /// let u = Use::parse("ai-use", Vocabulary::Draft08).unwrap();
    /// assert_eq!(u.vocabulary(), Vocabulary::Draft08);
    /// ```
    pub fn vocabulary(&self) -> Vocabulary {
        self.vocabulary
    }
}

impl FromStr for Use {
    type Err = InvalidValue;

    /// A use of the default vocabulary.
    fn from_str(label: &str) -> Result<Self, Self::Err> {
        Use::parse(label, Vocabulary::default())
    }
}

impl fmt::Display for Use {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_drafts_own_labels_are_uses() {
        for vocabulary in Vocabulary::ALL {
            for label in vocabulary.labels() {
                assert_eq!(Use::parse(label, vocabulary).unwrap().label(), label);
            }
        }
        for bad in ["", "Train-AI", "train_ai", "train-genai", "tdm", "ai-use"] {
            assert!(Use::parse(bad, Vocabulary::Draft07).is_err(), "{bad}");
        }
        let e = Use::parse("train-genai", Vocabulary::Draft07).unwrap_err();
        assert_eq!(e.valid, ["train-ai", "search"]);
        assert_eq!(e.suggestion, Some("train-ai"));
        assert!(
            e.to_string()
                .ends_with("legacy label that current readers ignore; did you mean \"train-ai\"?"),
            "{e}"
        );
        let e = Use::parse("ai-use", Vocabulary::Draft07).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("\"ai-use\" is a usage label of draft-08"),
            "{e}"
        );
    }
}
