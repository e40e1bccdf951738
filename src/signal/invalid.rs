//! One error for every value a caller gives that is not one of the values
//! it may take (a use label, a signal element, a signal code, a vocabulary,
//! a policy), with the nearest valid value suggested, so that a typo is a
//! usage error before any file is read, never a silent "unknown".

use std::fmt;

/// A value that is not one of the values it may take.
///
/// ```
/// use ccsig::signal::{InvalidValue, Vocabulary};
///
/// let e = "draft07".parse::<Vocabulary>().unwrap_err();
/// assert_eq!(e.value, "draft07");
/// assert_eq!(e.suggestion, Some("draft-07"));
/// assert_eq!(
///     e.to_string(),
///     "\"draft07\" is not a vocabulary ccsig knows (expected one of: draft-07, draft-08); \
///      did you mean \"draft-07\"?"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InvalidValue {
    /// The value as given.
    pub value: String,
    /// What it should have been, as a noun phrase: `a usage label of draft-07`.
    pub expected: String,
    /// Every value it may take.
    pub valid: Vec<&'static str>,
    /// The valid value nearest to the one given, when one is near enough
    /// to be a likely typo.
    pub suggestion: Option<&'static str>,
    /// More that may help, in a sentence: `"ai-use" is a usage label of draft-08`.
    pub note: Option<String>,
}

impl InvalidValue {
    /// The error for `value`, which is not one of `valid` (described by
    /// `expected`), with the nearest of them suggested.
    ///
    /// ```
    /// let e = ccsig::signal::InvalidValue::new("alow", "a policy", &["allow", "deny"]);
    /// assert_eq!(e.suggestion, Some("allow"));
    /// let e = ccsig::signal::InvalidValue::new("maybe", "a policy", &["allow", "deny"]);
    /// assert_eq!(e.suggestion, None);
    /// ```
    pub fn new(value: &str, expected: impl Into<String>, valid: &[&'static str]) -> Self {
        InvalidValue {
            value: value.to_owned(),
            expected: expected.into(),
            valid: valid.to_vec(),
            suggestion: nearest(value, valid),
            note: None,
        }
    }
}

impl fmt::Display for InvalidValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not {} (expected one of: {})",
            self.value,
            self.expected,
            self.valid.join(", ")
        )?;
        if let Some(note) = &self.note {
            write!(f, "; {note}")?;
        }
        if let Some(suggestion) = self.suggestion {
            write!(f, "; did you mean {suggestion:?}?")?;
        }
        Ok(())
    }
}

/// The valid value a typo most likely meant: the same apart from case,
/// `_` for `-` and surrounding blanks, else the closest one within a couple
/// of edits (and within a third of its length, so that short words are not
/// matched to anything).
pub(crate) fn nearest(value: &str, valid: &[&'static str]) -> Option<&'static str> {
    let normalised = value.trim().to_lowercase().replace(['_', ' '], "-");
    if let Some(same) = valid.iter().find(|v| **v == normalised) {
        return Some(same);
    }
    let near: Vec<(usize, &'static str)> = valid
        .iter()
        .map(|v| (strsim::damerau_levenshtein(&normalised, v), *v))
        .filter(|(distance, v)| *distance <= 2 && *distance * 3 <= v.len())
        .collect();
    let best = near.iter().map(|(distance, _)| *distance).min()?;
    // Two values as near as each other: guessing would mislead.
    match near.iter().filter(|(d, _)| *d == best).collect::<Vec<_>>()[..] {
        [(_, only)] => Some(only),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LABELS: &[&str] = &["train-ai", "search"];

    #[test]
    fn typos_are_matched_to_the_value_meant() {
        for typo in ["train_ai", "Train-AI", "trian-ai", "train-a", " train-ai "] {
            assert_eq!(nearest(typo, LABELS), Some("train-ai"), "{typo}");
        }
        assert_eq!(nearest("serach", LABELS), Some("search"));
        assert_eq!(
            nearest("cc-cr-opp", &["cc-cr", "cc-cr-dc", "cc-cr-ec", "cc-cr-op"]),
            Some("cc-cr-op")
        );
    }

    #[test]
    fn far_values_get_no_suggestion() {
        for far in ["", "ai", "genai", "bots", "x"] {
            assert_eq!(nearest(far, LABELS), None, "{far}");
        }
        let codes = ["cc-cr", "cc-cr-dc", "cc-cr-ec", "cc-cr-op"];
        assert_eq!(nearest("cc-cr-xx", &codes), None, "three are as near");
    }
}
