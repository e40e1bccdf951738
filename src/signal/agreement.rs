//! What several statements about one asset say together about a label
//! (one in a file's XMP, another in its IIM, a third in a sidecar): the
//! decision they combine to, and whether they disagree.

use super::decision::Decision;
use super::expression::Statement;

/// Combines what several statements about one asset say about `label`
/// (see [`Decision::combine_all`]).
///
/// ```
/// use ccsig::signal::{combine, parse, Decision};
/// let (a, b) = (parse("train-ai=y, search=y"), parse("train-ai=n"));
/// assert_eq!(combine(&[&a, &b], "train-ai"), Decision::Disallowed);
/// assert_eq!(combine(&[&a, &b], "search"), Decision::Allowed);
/// ```
pub fn combine(statements: &[&Statement], label: &str) -> Decision {
    let decisions: Vec<Decision> = statements.iter().map(|s| s.preference(label)).collect();
    Decision::combine_all(decisions.iter())
}

/// The different decisions the statements reach for `label`, in first-seen
/// order, so a linter can say who says what.
///
/// ```
/// use ccsig::signal::{distinct_decisions, parse, Decision};
/// let (a, b, c) = (parse("train-ai=y"), parse("train-ai=n"), parse("train-ai=y"));
/// assert_eq!(distinct_decisions(&[&a, &b, &c], "train-ai"), [Decision::Allowed, Decision::Disallowed]);
/// ```
pub fn distinct_decisions(statements: &[&Statement], label: &str) -> Vec<Decision> {
    let mut out: Vec<Decision> = Vec::new();
    for s in statements {
        let d = s.preference(label);
        if !out.contains(&d) {
            out.push(d);
        }
    }
    out
}

/// The statements state different things about `label`. A statement that
/// says nothing (`Unknown`) is silent, not in disagreement.
///
/// ```
/// use ccsig::signal::{disagree, parse};
/// let (a, b, silent) = (parse("train-ai=y"), parse("train-ai=n"), parse("search=n"));
/// assert!(disagree(&[&a, &b], "train-ai"));
/// assert!(!disagree(&[&a, &silent], "train-ai"));
/// ```
pub fn disagree(statements: &[&Statement], label: &str) -> bool {
    distinct_decisions(statements, label)
        .iter()
        .filter(|d| **d != Decision::Unknown)
        .count()
        > 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::expression::parse;
    use crate::signal::SignalCode::*;

    fn combined(texts: &[&str], label: &str) -> Decision {
        let statements: Vec<Statement> = texts.iter().map(|t| parse(t)).collect();
        let refs: Vec<&Statement> = statements.iter().collect();
        combine(&refs, label)
    }

    #[test]
    fn disallow_beats_allow() {
        assert_eq!(
            combined(&["train-ai=y", "train-ai=n"], "train-ai"),
            Decision::Disallowed
        );
        assert_eq!(
            combined(&["train-ai=n", "train-ai=y"], "train-ai"),
            Decision::Disallowed
        );
    }

    #[test]
    fn disallow_without_exception_beats_disallow_with() {
        assert_eq!(
            combined(&["train-ai=n;exceptions=cc-cr", "train-ai=n"], "train-ai"),
            Decision::Disallowed
        );
    }

    #[test]
    fn exceptions_intersect() {
        assert_eq!(
            combined(
                &["train-ai=n;exceptions=cc-cr", "train-ai=n;exceptions=cc-cr"],
                "train-ai"
            ),
            Decision::AllowedIf(vec![Cr])
        );
        assert_eq!(
            combined(
                &[
                    "train-ai=n;exceptions=cc-cr",
                    "train-ai=n;exceptions=cc-cr-op"
                ],
                "train-ai"
            ),
            Decision::Disallowed
        );
        // Sets larger than one only arise from direct use of the API.
        let a = Decision::disallowed_except(vec![CrOp, Cr, CrDc]);
        let b = Decision::disallowed_except(vec![CrDc, CrOp]);
        assert_eq!(
            Decision::combine_all([&a, &b]),
            Decision::AllowedIf(vec![CrDc, CrOp])
        );
    }

    #[test]
    fn allow_with_unknown_is_allowed_and_allowed_if_beats_allow() {
        assert_eq!(
            combined(&["train-ai=y", "search=n"], "train-ai"),
            Decision::Allowed
        );
        assert_eq!(
            combined(
                &["train-ai=y", "train-ai=n;exceptions=cc-cr-dc"],
                "train-ai"
            ),
            Decision::AllowedIf(vec![CrDc])
        );
    }

    #[test]
    fn all_unknown_is_unknown() {
        assert_eq!(
            combined(&["search=y", "Bad=n", "train-ai=?1"], "train-ai"),
            Decision::Unknown
        );
        assert_eq!(combined(&[], "train-ai"), Decision::Unknown);
    }

    #[test]
    fn disagreement_ignores_silence() {
        let texts = ["train-ai=n", "search=y", "train-ai=n"];
        let st: Vec<_> = texts.iter().map(|t| parse(t)).collect();
        let refs: Vec<_> = st.iter().collect();
        assert!(!disagree(&refs, "train-ai"));
        assert_eq!(
            distinct_decisions(&refs, "train-ai"),
            [Decision::Disallowed, Decision::Unknown]
        );

        let texts = ["train-ai=n;exceptions=cc-cr", "train-ai=n"];
        let st: Vec<_> = texts.iter().map(|t| parse(t)).collect();
        let refs: Vec<_> = st.iter().collect();
        assert!(
            disagree(&refs, "train-ai"),
            "different exceptions are a disagreement"
        );
    }
}
