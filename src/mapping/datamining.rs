//! `plus:DataMining` (IPTC Photo Metadata / PLUS): the field DAMs and crawlers
//! already read. Both directions of the table in `docs/mapping.md`.

use crate::signal::{Preference, Statement};

/// Prefix of the PLUS vocabulary URIs stored in `plus:DataMining`.
pub const VOCAB_PREFIX: &str = "http://ns.useplus.org/ldf/vocab/";

/// The values of the PLUS data-mining vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataMining {
    Unspecified,
    Allowed,
    ProhibitedAiMlTraining,
    ProhibitedGenAiMlTraining,
    ProhibitedExceptSearchEngineIndexing,
    Prohibited,
    ProhibitedSeeConstraint,
    ProhibitedSeeEmbeddedRightsExpr,
    ProhibitedSeeLinkedRightsExpr,
}

const CODES: &[(DataMining, &str)] = &[
    (DataMining::Unspecified, "DMI-UNSPECIFIED"),
    (DataMining::Allowed, "DMI-ALLOWED"),
    (
        DataMining::ProhibitedAiMlTraining,
        "DMI-PROHIBITED-AIMLTRAINING",
    ),
    (
        DataMining::ProhibitedGenAiMlTraining,
        "DMI-PROHIBITED-GENAIMLTRAINING",
    ),
    (
        DataMining::ProhibitedExceptSearchEngineIndexing,
        "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING",
    ),
    (DataMining::Prohibited, "DMI-PROHIBITED"),
    (
        DataMining::ProhibitedSeeConstraint,
        "DMI-PROHIBITED-SEECONSTRAINT",
    ),
    (
        DataMining::ProhibitedSeeEmbeddedRightsExpr,
        "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR",
    ),
    (
        DataMining::ProhibitedSeeLinkedRightsExpr,
        "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR",
    ),
];

impl DataMining {
    /// The bare vocabulary code, e.g. `DMI-ALLOWED`.
    pub fn code(self) -> &'static str {
        CODES
            .iter()
            .find(|(v, _)| *v == self)
            .map(|(_, c)| *c)
            .unwrap_or("DMI-UNSPECIFIED")
    }

    /// The full URI that ExifTool and Photo Mechanic store.
    pub fn uri(self) -> String {
        format!("{VOCAB_PREFIX}{}", self.code())
    }

    /// Parses a stored value, with or without the vocabulary prefix.
    pub fn parse(stored: &str) -> Option<DataMining> {
        let code = stored.trim();
        let code = code.strip_prefix(VOCAB_PREFIX).unwrap_or(code);
        CODES.iter().find(|(_, c)| *c == code).map(|(v, _)| *v)
    }

    /// What the value defers to another field for its terms.
    pub fn defers(self) -> bool {
        matches!(
            self,
            DataMining::ProhibitedSeeConstraint
                | DataMining::ProhibitedSeeEmbeddedRightsExpr
                | DataMining::ProhibitedSeeLinkedRightsExpr
        )
    }

    /// The statement this value stands for (reverse mapping). `expression_elsewhere`
    /// says whether the file holds a machine-readable expression in another
    /// field, which the deferring values point to.
    pub fn derived_expression(self, expression_elsewhere: bool) -> Option<&'static str> {
        match self {
            DataMining::Unspecified => None,
            DataMining::Allowed => Some("train-ai=y, search=y"),
            DataMining::ProhibitedAiMlTraining => Some("train-ai=n"),
            DataMining::ProhibitedGenAiMlTraining => Some("train-genai=n"),
            DataMining::ProhibitedExceptSearchEngineIndexing => Some("train-ai=n, search=y"),
            DataMining::Prohibited => Some("train-ai=n, search=n"),
            d if d.defers() && expression_elsewhere => None,
            _ => Some("train-ai=n"),
        }
    }
}

/// The value ccsig writes into `plus:DataMining` for a statement, or `None`
/// when DataMining cannot say what the statement says.
pub fn mirror_for(statement: &Statement) -> Option<DataMining> {
    let train = member_state(statement, "train-ai");
    let search = member_state(statement, "search");
    use DataMining::*;
    use MemberState::*;
    match (train, search) {
        (DisallowWithException, _) => Some(ProhibitedSeeConstraint),
        (Disallow, Disallow | DisallowWithException) => Some(Prohibited),
        (Disallow, Allow) => Some(ProhibitedExceptSearchEngineIndexing),
        (Disallow, Absent) => Some(ProhibitedAiMlTraining),
        (Allow, Disallow | DisallowWithException) => Some(ProhibitedSeeConstraint),
        (Allow, _) => Some(Allowed),
        (Absent, Disallow | DisallowWithException) => Some(ProhibitedSeeConstraint),
        (Absent, _) => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MemberState {
    Allow,
    Disallow,
    DisallowWithException,
    Absent,
}

fn member_state(statement: &Statement, label: &str) -> MemberState {
    match statement.member(label) {
        Some(m) => match m.value {
            Preference::Allow => MemberState::Allow,
            Preference::Disallow if m.exceptions.is_empty() => MemberState::Disallow,
            Preference::Disallow => MemberState::DisallowWithException,
            Preference::Unknown => MemberState::Absent,
        },
        None => MemberState::Absent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::parse;

    fn mirror(expr: &str) -> Option<&'static str> {
        mirror_for(&parse(expr)).map(DataMining::code)
    }

    #[test]
    fn mirror_follows_the_documented_table() {
        assert_eq!(
            mirror("train-ai=n;exceptions=cc-cr-op"),
            Some("DMI-PROHIBITED-SEECONSTRAINT")
        );
        assert_eq!(mirror("train-ai=n"), Some("DMI-PROHIBITED-AIMLTRAINING"));
        assert_eq!(mirror("train-ai=n, search=n"), Some("DMI-PROHIBITED"));
        assert_eq!(
            mirror("train-ai=n, search=y"),
            Some("DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING")
        );
        assert_eq!(mirror("train-ai=y"), Some("DMI-ALLOWED"));
        assert_eq!(mirror("train-ai=y, search=y"), Some("DMI-ALLOWED"));
        assert_eq!(
            mirror("train-ai=y, search=n"),
            Some("DMI-PROHIBITED-SEECONSTRAINT")
        );
        assert_eq!(mirror("search=n"), Some("DMI-PROHIBITED-SEECONSTRAINT"));
        assert_eq!(mirror("search=y"), None);
        assert_eq!(mirror("ai-use=n"), None, "legacy labels do not map");
        assert_eq!(mirror("train-ai=?1"), None, "unknown value maps to nothing");
    }

    #[test]
    fn stored_values_parse_with_or_without_prefix() {
        for (value, code) in CODES {
            assert_eq!(DataMining::parse(code), Some(*value));
            assert_eq!(DataMining::parse(&value.uri()), Some(*value));
        }
        assert_eq!(DataMining::parse("Allowed"), None);
        assert_eq!(DataMining::parse(""), None);
    }

    #[test]
    fn deferring_values_yield_no_statement_when_an_expression_exists() {
        let d = DataMining::ProhibitedSeeConstraint;
        assert_eq!(d.derived_expression(true), None);
        assert_eq!(d.derived_expression(false), Some("train-ai=n"));
        assert_eq!(DataMining::Unspecified.derived_expression(false), None);
    }
}
