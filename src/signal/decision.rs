//! What a reader may do in one usage category, and how several statements
//! about the same asset combine.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::vocabulary::SignalCode;

/// The outcome for one usage category.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "decision", content = "signals", rename_all = "snake_case")]
pub enum Decision {
    /// Stated `y`.
    Allowed,
    /// Stated `n` with no (valid) exception.
    Disallowed,
    /// Stated `n`, except for whoever meets the terms of one of these signals.
    /// Never empty; sorted and without repeats when built by this crate.
    /// Written `allowed-with-terms`, the word `decide` uses (`ccsig/1`
    /// records said `allowed_if`, still read).
    #[serde(rename = "allowed-with-terms", alias = "allowed_if")]
    AllowedIf(Vec<SignalCode>),
    /// Nothing usable was stated.
    Unknown,
}

impl Decision {
    /// A "no" qualified by exceptions; normalises so that equal sets compare equal
    /// and an empty set is a plain `Disallowed`.
    ///
    /// ```
    /// use ccsig::signal::Decision;
    /// use ccsig::SignalCode::{Cr, CrOp};
    /// assert_eq!(Decision::disallowed_except(vec![CrOp, Cr, CrOp]), Decision::AllowedIf(vec![Cr, CrOp]));
    /// assert_eq!(Decision::disallowed_except(vec![]), Decision::Disallowed);
    /// ```
    pub fn disallowed_except(mut signals: Vec<SignalCode>) -> Decision {
        signals.sort_unstable();
        signals.dedup();
        if signals.is_empty() {
            Decision::Disallowed
        } else {
            Decision::AllowedIf(signals)
        }
    }

    /// The statement behind it said `n` (with or without exceptions).
    ///
    /// ```
    /// use ccsig::signal::Decision;
    /// assert!(Decision::AllowedIf(vec![ccsig::SignalCode::Cr]).is_disallow());
    /// assert!(!Decision::Unknown.is_disallow());
    /// ```
    pub fn is_disallow(&self) -> bool {
        matches!(self, Decision::Disallowed | Decision::AllowedIf(_))
    }

    /// The signals whose terms lift the "no"; empty unless `AllowedIf`.
    ///
    /// ```
    /// use ccsig::signal::Decision;
    /// assert_eq!(Decision::AllowedIf(vec![ccsig::SignalCode::CrEc]).signals()[0].code(), "cc-cr-ec");
    /// assert!(Decision::Disallowed.signals().is_empty());
    /// ```
    pub fn signals(&self) -> &[SignalCode] {
        match self {
            Decision::AllowedIf(s) => s,
            _ => &[],
        }
    }

    /// `"allowed"`, `"disallowed"`, `"allowed-with-terms"` or `"unknown"`.
    ///
    /// ```
    /// use ccsig::signal::Decision;
    /// let d = Decision::AllowedIf(vec![ccsig::SignalCode::Cr]);
    /// assert_eq!(d.as_str(), "allowed-with-terms");
    /// assert_eq!(d.to_string(), "allowed if cc-cr");
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::Disallowed => "disallowed",
            Decision::AllowedIf(_) => "allowed-with-terms",
            Decision::Unknown => "unknown",
        }
    }

    /// Most restrictive wins: any "no" makes the result a "no", whose
    /// exceptions are only those every "no" grants (so a "no" without
    /// exceptions beats one with); else any "yes" gives `Allowed`; else `Unknown`.
    ///
    /// ```
    /// use ccsig::signal::Decision;
    /// use ccsig::SignalCode::{Cr, CrOp};
    /// let some = [Decision::AllowedIf(vec![Cr, CrOp]), Decision::AllowedIf(vec![CrOp]), Decision::Allowed];
    /// assert_eq!(Decision::combine_all(&some), Decision::AllowedIf(vec![CrOp]));
    /// assert_eq!(Decision::combine_all(&[Decision::Allowed, Decision::Unknown]), Decision::Allowed);
    /// assert_eq!(Decision::combine_all(&[]), Decision::Unknown);
    /// ```
    pub fn combine_all<'a>(decisions: impl IntoIterator<Item = &'a Decision>) -> Decision {
        let mut common: Option<Vec<SignalCode>> = None;
        let mut any_allowed = false;
        for decision in decisions {
            match decision {
                Decision::Allowed => any_allowed = true,
                Decision::Unknown => {}
                Decision::Disallowed | Decision::AllowedIf(_) => {
                    let granted = decision.signals();
                    common = Some(match common {
                        None => granted.to_vec(),
                        Some(prev) => prev.into_iter().filter(|c| granted.contains(c)).collect(),
                    });
                }
            }
        }
        match common {
            Some(signals) => Decision::disallowed_except(signals),
            None if any_allowed => Decision::Allowed,
            None => Decision::Unknown,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::AllowedIf(signals) => {
                let codes: Vec<_> = signals.iter().map(|s| s.code()).collect();
                write!(f, "allowed if {}", codes.join(" or "))
            }
            other => f.write_str(other.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SignalCode::*;

    #[test]
    fn normalisation_and_helpers() {
        assert_eq!(Decision::disallowed_except(vec![]), Decision::Disallowed);
        assert_eq!(
            Decision::disallowed_except(vec![CrOp, Cr, CrOp]),
            Decision::AllowedIf(vec![Cr, CrOp])
        );
        let d = Decision::AllowedIf(vec![Cr, CrOp]);
        assert!(d.is_disallow());
        assert!(!Decision::Allowed.is_disallow());
        assert_eq!(d.to_string(), "allowed if cc-cr or cc-cr-op");
    }

    #[test]
    fn decision_json() {
        let j = serde_json::to_value(Decision::AllowedIf(vec![CrOp])).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"decision": "allowed-with-terms", "signals": ["cc-cr-op"]})
        );
        let j = serde_json::to_value(Decision::Disallowed).unwrap();
        assert_eq!(j, serde_json::json!({"decision": "disallowed"}));
    }
}
