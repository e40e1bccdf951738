//! The signal model: parsing, modelling, combining and explaining IETF
//! AIPREF content-usage expressions that carry Creative Commons CC signals.
//!
//! Knows nothing of files or metadata. A statement is an RFC 9651
//! dictionary such as `train-ai=n;exceptions=cc-cr`, parsed with `sfv`;
//! the vocabulary's processing rules are applied on top, and every
//! deviation is reported as a typed [`Diagnostic`] rather than an error,
//! because readers must still decide something for every file.
//!
//! ```
//! use ccsig::signal::{self, Decision, Severity, SignalCode};
//!
//! let statement = signal::parse("train-ai=n;exceptions=cc-cr-ec, search=y");
//! assert_eq!(statement.preference("train-ai"), Decision::AllowedIf(vec![SignalCode::CrEc]));
//! assert_eq!(statement.preference("search"), Decision::Allowed);
//! assert!(statement.is_writable());
//!
//! // A label from an earlier draft: read, flagged, and deciding nothing.
//! let old = signal::parse("train-genai=n");
//! assert_eq!(old.preference("train-ai"), Decision::Unknown);
//! assert_eq!(old.worst_severity(), Some(Severity::Warning));
//! println!("{}", signal::explain_text(&old));
//!
//! // Two fields of one file: the most restrictive wins.
//! let other = signal::parse("train-ai=n");
//! assert_eq!(signal::combine(&[&statement, &other], "train-ai"), Decision::Disallowed);
//! assert!(signal::disagree(&[&statement, &other], "train-ai"));
//! ```

mod agreement;
pub mod builder;
pub mod decision;
pub mod diagnostic;
pub mod explain;
pub mod expression;
mod invalid;
mod usage;
pub mod vocabulary;

pub use agreement::{combine, disagree, distinct_decisions};
pub use builder::{BuildError, StatementBuilder};
pub use decision::Decision;
pub use diagnostic::{Diagnostic, Severity};
pub use explain::{explain, explain_text, DiagnosticExplanation, Explanation, MemberExplanation};
pub use expression::{
    parse, parse_in, validate_for_writing, validate_for_writing_in, Legacy, Member, NotWritable,
    Parameter, Preference, Statement, EXCEPTIONS_PARAM,
};
pub use invalid::InvalidValue;
pub use usage::Use;
pub use vocabulary::{
    current_label_infos, current_labels, lookup, LabelInfo, SignalCode, Vocabulary,
};
