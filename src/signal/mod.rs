//! The signal model: parsing, modelling, combining and explaining IETF
//! AIPREF content-usage expressions that carry Creative Commons CC signals.
//!
//! Knows nothing of files or metadata. A statement is an RFC 9651
//! dictionary such as `train-ai=n;exceptions=cc-cr`, parsed with `sfv`;
//! the vocabulary's processing rules are applied on top, and every
//! deviation is reported as a typed [`Diagnostic`] rather than an error,
//! because readers must still decide something for every file.

pub mod builder;
pub mod decision;
pub mod diagnostic;
pub mod explain;
pub mod expression;
pub mod vocabulary;

pub use builder::{BuildError, StatementBuilder};
pub use decision::{combine, disagree, distinct_decisions, Decision};
pub use diagnostic::{Diagnostic, Severity};
pub use explain::{explain, explain_text, DiagnosticExplanation, Explanation, MemberExplanation};
pub use expression::{
    parse, parse_in, validate_for_writing, validate_for_writing_in, Legacy, Member, NotWritable,
    Parameter, Preference, Statement, EXCEPTIONS_PARAM,
};
pub use vocabulary::{
    current_label_infos, current_labels, lookup, LabelInfo, SignalCode, UnknownSignalCode,
    UnknownVocabulary, Vocabulary,
};
