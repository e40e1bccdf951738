//! Per-file decisions for pipelines: given what a file says, the use a
//! pipeline intends and what the pipeline gives in return, may it use the
//! file, and what does it owe?
//!
//! A CC signal is a bundle of *elements* (credit, direct contribution,
//! ecosystem contribution, open). A pipeline states the elements it
//! commits to; a signal is met when the pipeline gives every element the
//! signal names, so committing to `credit` and `open` meets both `cc-cr`
//! and `cc-cr-op`.
//!
//! ```
//! use ccsig::{decide, Commitments, Element, UnknownPolicy, Verdict};
//!
//! let bytes = std::fs::read("sample-images/tagged/ccsig-cr-op.jpg").unwrap();
//! let signals = ccsig::read_bytes(&bytes).unwrap();
//! let we_give = Commitments::from([Element::Credit, Element::Open]);
//! let d = decide(&signals, "train-ai", &we_give, UnknownPolicy::Deny);
//! assert_eq!(d.verdict, Verdict::AllowedWithTerms);
//! assert!(d.usable);
//! assert_eq!(d.met_signals, [ccsig::SignalCode::CrOp]);
//!
//! // Credit alone does not meet Credit + Open.
//! let d = decide(&signals, "train-ai", &Commitments::from([Element::Credit]), UnknownPolicy::Deny);
//! assert_eq!(d.verdict, Verdict::Disallowed);
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::inspect::FileSignals;
use crate::signal::{self, Decision, SignalCode, Statement};

/// One thing a pipeline can give in return for using a work: the building
/// blocks of the four CC signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Element {
    /// Appropriate credit for the use (part of every signal).
    Credit,
    /// Money or in-kind support to the declaring party.
    DirectContribution,
    /// Money or in-kind support to the wider commons.
    EcosystemContribution,
    /// The resulting AI system is open.
    Open,
}

impl Element {
    /// Every element, in the order CC lists them.
    pub const ALL: [Element; 4] = [
        Element::Credit,
        Element::DirectContribution,
        Element::EcosystemContribution,
        Element::Open,
    ];

    /// The name used on the command line and in JSON, e.g. `direct-contribution`.
    ///
    /// ```
    /// assert_eq!(ccsig::Element::Open.as_str(), "open");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Element::Credit => "credit",
            Element::DirectContribution => "direct-contribution",
            Element::EcosystemContribution => "ecosystem-contribution",
            Element::Open => "open",
        }
    }

    /// The elements a CC signal asks for.
    ///
    /// ```
    /// use ccsig::{Element, SignalCode};
    /// assert_eq!(Element::of_signal(SignalCode::CrOp), [Element::Credit, Element::Open]);
    /// ```
    pub fn of_signal(signal: SignalCode) -> &'static [Element] {
        match signal {
            SignalCode::Cr => &[Element::Credit],
            SignalCode::CrDc => &[Element::Credit, Element::DirectContribution],
            SignalCode::CrEc => &[Element::Credit, Element::EcosystemContribution],
            SignalCode::CrOp => &[Element::Credit, Element::Open],
        }
    }
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the four elements.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a signal element (expected credit, direct-contribution, ecosystem-contribution or open)")]
pub struct UnknownElement(pub String);

impl FromStr for Element {
    type Err = UnknownElement;

    /// ```
    /// let e: ccsig::Element = "ecosystem-contribution".parse().unwrap();
    /// assert_eq!(e, ccsig::Element::EcosystemContribution);
    /// assert!("money".parse::<ccsig::Element>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Element::ALL
            .into_iter()
            .find(|e| e.as_str() == s.trim())
            .ok_or_else(|| UnknownElement(s.to_owned()))
    }
}

/// The elements a pipeline commits to give.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Commitments(BTreeSet<Element>);

impl Commitments {
    /// No commitment at all: only files that say `y` are usable.
    ///
    /// ```
    /// let nothing = ccsig::Commitments::none();
    /// assert!(!nothing.meets(ccsig::SignalCode::Cr));
    /// assert_eq!(nothing.elements().count(), 0);
    /// ```
    pub fn none() -> Self {
        Commitments::default()
    }

    /// Parses a comma-separated list such as `credit,open` (empty: none).
    ///
    /// ```
    /// let c = ccsig::Commitments::parse("credit, open").unwrap();
    /// assert!(c.meets(ccsig::SignalCode::CrOp));
    /// assert!(c.meets(ccsig::SignalCode::Cr));
    /// assert!(!c.meets(ccsig::SignalCode::CrDc));
    /// ```
    pub fn parse(list: &str) -> Result<Self, UnknownElement> {
        list.split(',')
            .filter(|s| !s.trim().is_empty())
            .map(str::parse)
            .collect::<Result<BTreeSet<_>, _>>()
            .map(Commitments)
    }

    /// Whether these commitments give every element `signal` asks for.
    ///
    /// ```
    /// use ccsig::{Commitments, Element, SignalCode};
    /// let credit_only = Commitments::from([Element::Credit]);
    /// assert!(credit_only.meets(SignalCode::Cr));
    /// assert!(!credit_only.meets(SignalCode::CrEc));
    /// ```
    pub fn meets(&self, signal: SignalCode) -> bool {
        Element::of_signal(signal)
            .iter()
            .all(|e| self.0.contains(e))
    }

    /// The committed elements, in CC's order.
    ///
    /// ```
    /// let c = ccsig::Commitments::parse("open,credit").unwrap();
    /// let names: Vec<&str> = c.elements().map(|e| e.as_str()).collect();
    /// assert_eq!(names, ["credit", "open"]);
    /// ```
    pub fn elements(&self) -> impl Iterator<Item = Element> + '_ {
        self.0.iter().copied()
    }
}

impl<const N: usize> From<[Element; N]> for Commitments {
    fn from(elements: [Element; N]) -> Self {
        Commitments(elements.into_iter().collect())
    }
}

impl FromIterator<Element> for Commitments {
    fn from_iter<I: IntoIterator<Item = Element>>(iter: I) -> Self {
        Commitments(iter.into_iter().collect())
    }
}

/// What a file says about one use, for one pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The file says `y` for the use.
    Allowed,
    /// The file says `n` except under a CC signal whose terms the pipeline
    /// meets: usable, and the pipeline owes those terms.
    AllowedWithTerms,
    /// The file says `n`, with no exception the pipeline meets.
    Disallowed,
    /// The file says nothing usable about the use, or could not be read.
    Unknown,
}

impl Verdict {
    /// `allowed`, `allowed-with-terms`, `disallowed` or `unknown`.
    ///
    /// ```
    /// assert_eq!(ccsig::Verdict::AllowedWithTerms.as_str(), "allowed-with-terms");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::AllowedWithTerms => "allowed-with-terms",
            Verdict::Disallowed => "disallowed",
            Verdict::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a file that says nothing (or cannot be read) may be used. The
/// verdict stays [`Verdict::Unknown`] either way; the policy only sets
/// [`UseDecision::usable`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum UnknownPolicy {
    /// Use files that state nothing.
    Allow,
    /// Skip files that state nothing (the safe default).
    #[default]
    Deny,
}

/// The answer for one file: may the pipeline use it, and on what terms.
/// Owned data only, so it crosses thread and language boundaries freely.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UseDecision {
    /// What the file says, for this pipeline.
    #[serde(rename = "decision")]
    pub verdict: Verdict,
    /// Whether the pipeline may use the file: allowed, allowed with terms,
    /// or unknown under [`UnknownPolicy::Allow`].
    pub usable: bool,
    /// The CC signals whose terms the pipeline meets (only with
    /// [`Verdict::AllowedWithTerms`]).
    pub met_signals: Vec<SignalCode>,
    /// The signals the file offers that the pipeline does not meet (with
    /// [`Verdict::Disallowed`]), so a pipeline can see what it would take.
    pub unmet_signals: Vec<SignalCode>,
    /// Who to credit, when the pipeline owes credit (every CC signal asks for it).
    pub credit_name: Option<String>,
    /// Where to link the credit, when the pipeline owes credit.
    pub credit_url: Option<String>,
    /// One line in words: why this verdict.
    pub reason: String,
}

/// Decides, for a file's signals, whether a pipeline doing `use_label`
/// (e.g. `train-ai`) and giving `commitments` may use it.
///
/// Every signal-bearing field of the file counts, most restrictive first
/// (see `docs/signals.md`); `use_label` may be any label, current or not.
///
/// ```
/// use ccsig::{decide, Commitments, UnknownPolicy, Verdict};
/// let signals = ccsig::read_path("sample-images/jpeg/plain.jpg".as_ref()).unwrap();
/// let d = decide(&signals, "train-ai", &Commitments::none(), UnknownPolicy::Allow);
/// assert_eq!(d.verdict, Verdict::Unknown);
/// assert!(d.usable);
/// ```
pub fn decide(
    signals: &FileSignals,
    use_label: &str,
    commitments: &Commitments,
    unknown: UnknownPolicy,
) -> UseDecision {
    let statements: Vec<&Statement> = signals.sources.iter().map(|s| &s.statement).collect();
    let decision = signal::combine(&statements, use_label);
    let mut out = UseDecision {
        verdict: Verdict::Unknown,
        usable: false,
        met_signals: vec![],
        unmet_signals: vec![],
        credit_name: None,
        credit_url: None,
        reason: String::new(),
    };
    match decision {
        Decision::Allowed => {
            out.verdict = Verdict::Allowed;
            out.usable = true;
            out.reason = format!("{use_label}=y");
        }
        Decision::Disallowed => {
            out.verdict = Verdict::Disallowed;
            out.reason = format!("{use_label}=n with no exception");
        }
        Decision::AllowedIf(offered) => {
            let (met, unmet): (Vec<SignalCode>, Vec<SignalCode>) =
                offered.iter().partition(|s| commitments.meets(**s));
            let offered_text = codes(&offered);
            if met.is_empty() {
                out.verdict = Verdict::Disallowed;
                out.reason = format!(
                    "{use_label}=n except under {offered_text}; missing: {}",
                    missing_elements(&unmet, commitments)
                );
                out.unmet_signals = unmet;
            } else {
                out.verdict = Verdict::AllowedWithTerms;
                out.usable = true;
                out.reason = format!(
                    "{use_label}=n except under {offered_text}; the terms of {} are met",
                    codes(&met)
                );
                out.met_signals = met;
                out.credit_name = signals.credit.name.clone();
                out.credit_url = signals.credit.url.clone();
            }
        }
        Decision::Unknown => {
            out.usable = unknown == UnknownPolicy::Allow;
            out.reason = if signals.sources.is_empty() {
                "no signal in the file".to_string()
            } else {
                format!("no preference stated for {use_label}")
            };
        }
    }
    out
}

/// The decision for a file that could not be read: unknown, with the
/// error as the reason; usable only under [`UnknownPolicy::Allow`].
///
/// ```
/// let d = ccsig::decide_unreadable("file is truncated", ccsig::UnknownPolicy::Deny);
/// assert_eq!(d.verdict, ccsig::Verdict::Unknown);
/// assert!(!d.usable);
/// ```
pub fn decide_unreadable(error: &str, unknown: UnknownPolicy) -> UseDecision {
    UseDecision {
        verdict: Verdict::Unknown,
        usable: unknown == UnknownPolicy::Allow,
        met_signals: vec![],
        unmet_signals: vec![],
        credit_name: None,
        credit_url: None,
        reason: format!("unreadable: {error}"),
    }
}

fn codes(signals: &[SignalCode]) -> String {
    signals
        .iter()
        .map(|s| s.code())
        .collect::<Vec<_>>()
        .join(" or ")
}

/// For each unmet signal, the elements the pipeline does not give.
fn missing_elements(unmet: &[SignalCode], commitments: &Commitments) -> String {
    unmet
        .iter()
        .map(|s| {
            let missing: Vec<&str> = Element::of_signal(*s)
                .iter()
                .filter(|e| !commitments.0.contains(e))
                .map(|e| e.as_str())
                .collect();
            format!("{} ({})", s.code(), missing.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect;
    use Element::*;
    use SignalCode::*;

    /// File signals whose only source is `expression` in ccsig's namespace.
    fn signals_saying(expression: &str) -> FileSignals {
        let packet = format!(
            r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:ccsig="https://ns.ccsig.dev/xmp/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" ccsig:expression="{expression}" ccsig:creditName="Ada" ccsig:creditURL="https://example.org/ada"/></rdf:RDF></x:xmpmeta>"#
        );
        let mut s = inspect::read_bytes(&minimal_png()).unwrap();
        s.add_sidecar("x.xmp".into(), packet.as_bytes());
        s
    }

    fn minimal_png() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/sample-images/png/plain.png"
        ))
        .unwrap()
    }

    const ALL_COMBINATIONS: usize = 16;

    fn combination(bits: usize) -> Commitments {
        Element::ALL
            .into_iter()
            .enumerate()
            .filter(|(i, _)| bits & (1 << i) != 0)
            .map(|(_, e)| e)
            .collect()
    }

    #[test]
    fn every_signal_against_every_combination_of_elements() {
        for signal in SignalCode::ALL {
            let s = signals_saying(&format!("train-ai=n;exceptions={}", signal.code()));
            for bits in 0..ALL_COMBINATIONS {
                let we_give = combination(bits);
                let wanted = Element::of_signal(signal);
                let meets = wanted.iter().all(|e| we_give.elements().any(|g| g == *e));
                let d = decide(&s, "train-ai", &we_give, UnknownPolicy::Deny);
                if meets {
                    assert_eq!(d.verdict, Verdict::AllowedWithTerms, "{signal} {we_give:?}");
                    assert_eq!(d.met_signals, [signal]);
                    assert!(d.usable);
                    assert_eq!(d.credit_name.as_deref(), Some("Ada"));
                    assert_eq!(d.credit_url.as_deref(), Some("https://example.org/ada"));
                } else {
                    assert_eq!(d.verdict, Verdict::Disallowed, "{signal} {we_give:?}");
                    assert!(d.met_signals.is_empty());
                    assert_eq!(d.unmet_signals, [signal]);
                    assert!(!d.usable);
                    assert_eq!(d.credit_name, None);
                    assert!(d.reason.contains("missing"), "{}", d.reason);
                }
            }
        }
    }

    #[test]
    fn credit_and_open_meet_both_credit_and_credit_open() {
        let c = Commitments::from([Credit, Open]);
        assert!(c.meets(Cr) && c.meets(CrOp));
        assert!(!c.meets(CrDc) && !c.meets(CrEc));
        assert!(!Commitments::from([Open]).meets(CrOp));
    }

    #[test]
    fn yes_no_and_silence() {
        let nothing = Commitments::none();
        let d = decide(
            &signals_saying("train-ai=y"),
            "train-ai",
            &nothing,
            UnknownPolicy::Deny,
        );
        assert_eq!((d.verdict, d.usable), (Verdict::Allowed, true));
        let every = Commitments::from(Element::ALL);
        let d = decide(
            &signals_saying("train-ai=n"),
            "train-ai",
            &every,
            UnknownPolicy::Allow,
        );
        assert_eq!((d.verdict, d.usable), (Verdict::Disallowed, false));
        let d = decide(
            &signals_saying("search=n"),
            "train-ai",
            &every,
            UnknownPolicy::Deny,
        );
        assert_eq!((d.verdict, d.usable), (Verdict::Unknown, false));
        assert!(d.reason.contains("no preference"), "{}", d.reason);
        let d = decide(
            &signals_saying("search=n"),
            "train-ai",
            &every,
            UnknownPolicy::Allow,
        );
        assert_eq!((d.verdict, d.usable), (Verdict::Unknown, true));
        let d = decide(
            &signals_saying("search=n"),
            "search",
            &every,
            UnknownPolicy::Allow,
        );
        assert_eq!((d.verdict, d.usable), (Verdict::Disallowed, false));
    }

    #[test]
    fn untagged_and_unreadable_are_unknown() {
        let plain = inspect::read_bytes(&minimal_png()).unwrap();
        let d = decide(
            &plain,
            "train-ai",
            &Commitments::none(),
            UnknownPolicy::Deny,
        );
        assert_eq!(d.verdict, Verdict::Unknown);
        assert_eq!(d.reason, "no signal in the file");
        let d = decide_unreadable("bad", UnknownPolicy::Allow);
        assert_eq!((d.verdict, d.usable), (Verdict::Unknown, true));
    }

    #[test]
    fn most_restrictive_source_wins() {
        let mut s = signals_saying("train-ai=n;exceptions=cc-cr");
        let other = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:ccsig="https://ns.ccsig.dev/xmp/1.0/" ccsig:expression="train-ai=n"/></rdf:RDF></x:xmpmeta>"#;
        s.add_sidecar("y.xmp".into(), other.as_bytes());
        let d = decide(
            &s,
            "train-ai",
            &Commitments::from([Credit]),
            UnknownPolicy::Deny,
        );
        assert_eq!(d.verdict, Verdict::Disallowed);
    }

    #[test]
    fn element_names_round_trip() {
        for e in Element::ALL {
            assert_eq!(e.as_str().parse::<Element>(), Ok(e));
        }
        assert_eq!(
            Commitments::parse("credit,,open").unwrap(),
            Commitments::from([Credit, Open])
        );
        assert!(Commitments::parse("credit,money").is_err());
        assert_eq!(Commitments::parse("").unwrap(), Commitments::none());
        let j = serde_json::to_value(Verdict::AllowedWithTerms).unwrap();
        assert_eq!(j, "allowed-with-terms");
    }
}
