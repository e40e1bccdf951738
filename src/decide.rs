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
//! Every argument is parsed once, into a type that cannot hold a bad value
//! ([`Use`], [`Commitments`], [`UnknownPolicy`], [`UnreadablePolicy`]), so a
//! typo is an error before any file is read, never a silent "unknown". A
//! file that could not be read, or whose format ccsig does not read, is
//! never taken for one that states nothing (see [`State`]).
//!
//! ```
//! use ccsig::{Commitments, Element, Pipeline, Verdict};
//!
//! let bytes = std::fs::read("sample-images/tagged/ccsig-cr-op.jpg").unwrap();
//! let signals = ccsig::read_bytes(&bytes).unwrap();
//! let train = "train-ai".parse().unwrap();
//! let pipeline = Pipeline::new(train, Commitments::from([Element::Credit, Element::Open]));
//! let d = pipeline.decide(&signals);
//! assert_eq!(d.verdict, Verdict::AllowedWithTerms);
//! assert!(d.usable);
//! assert_eq!(d.met_signals, [ccsig::SignalCode::CrOp]);
//! let owed: Vec<Element> = d.owed.iter().map(|o| o.element).collect();
//! assert_eq!(owed, [Element::Credit, Element::Open]);
//!
//! // Credit alone does not meet Credit + Open.
//! let pipeline = Pipeline::new(train, Commitments::from([Element::Credit]));
//! assert_eq!(pipeline.decide(&signals).verdict, Verdict::Disallowed);
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::container::ContainerError;
use crate::inspect::{Credit, FileSignals, ReadError, Source, WebContext, CREDIT_FIELDS};
use crate::signal::{Decision, InvalidValue, SignalCode, Use};
use crate::tree::{SkipReason, TreeItem};

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

    /// What a pipeline that gives this element must do, in one line (CC
    /// signals 0.1, in our words: the signal's definition is the authority,
    /// see [`SignalCode::definition`]).
    ///
    /// ```
    /// assert!(ccsig::Element::Open.requirement().contains("open"));
    /// ```
    pub fn requirement(self) -> &'static str {
        match self {
            Element::Credit => {
                "give appropriate credit, suited to the method, means and context of the use"
            }
            Element::DirectContribution => {
                "give money or in-kind support to the declaring party for developing and \
                 maintaining the works, valued in good faith by the use made and the means of \
                 the one using them"
            }
            Element::EcosystemContribution => {
                "give money or in-kind support back to the ecosystem the works come from, \
                 valued in good faith by the use made and the means of the one using them"
            }
            Element::Open => {
                "the AI system must be open, for example meeting MOF Class I or II or the \
                 Open Source AI Definition (OSAID)"
            }
        }
    }
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Element {
    type Err = InvalidValue;

    /// ```
    /// let e: ccsig::Element = "ecosystem-contribution".parse().unwrap();
    /// assert_eq!(e, ccsig::Element::EcosystemContribution);
    /// let typo = "credt".parse::<ccsig::Element>().unwrap_err();
    /// assert_eq!(typo.suggestion, Some("credit"));
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Element::ALL
            .into_iter()
            .find(|e| e.as_str() == s.trim())
            .ok_or_else(|| {
                InvalidValue::new(s, "a signal element", &Element::ALL.map(Element::as_str))
            })
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
    /// assert!(ccsig::Commitments::parse("credit,money").is_err());
    /// ```
    pub fn parse(list: &str) -> Result<Self, InvalidValue> {
        Self::parse_all([list])
    }

    /// Parses several lists (each comma-separated) as one: what a caller
    /// gives as `["credit", "open"]` or `["credit,open"]`.
    ///
    /// ```
    /// let c = ccsig::Commitments::parse_all(["credit", "open"]).unwrap();
    /// assert_eq!(c, ccsig::Commitments::parse("credit,open").unwrap());
    /// ```
    pub fn parse_all<'a>(lists: impl IntoIterator<Item = &'a str>) -> Result<Self, InvalidValue> {
        lists
            .into_iter()
            .flat_map(|list| list.split(','))
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
    /// Nothing is known: the file states nothing for the use, or could not
    /// be read ([`State`] says which).
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

/// How much ccsig could see of a file: whether its verdict rests on what
/// it states, on its silence, or on nothing at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Read, and it states a preference for the use.
    Stated,
    /// Read, and it states nothing for the use.
    NoSignal,
    /// It could not be read (damaged, truncated, cannot be opened): it may
    /// hold a "no" ccsig could not see.
    Unreadable,
    /// An image in a format ccsig does not read (HEIF, TIFF, camera RAW
    /// ...): it may hold a "no" ccsig could not see.
    Unsupported,
}

impl State {
    /// `stated`, `no-signal`, `unreadable` or `unsupported`.
    ///
    /// ```
    /// assert_eq!(ccsig::State::NoSignal.as_str(), "no-signal");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            State::Stated => "stated",
            State::NoSignal => "no-signal",
            State::Unreadable => "unreadable",
            State::Unsupported => "unsupported",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A policy value: `allow` or `deny`.
macro_rules! policy {
    ($(#[$doc:meta])* $name:ident, $what:literal, $allow:literal, $deny:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
        pub enum $name {
            #[doc = $allow]
            Allow,
            #[doc = $deny]
            #[default]
            Deny,
        }

        impl $name {
            /// `allow` or `deny`, as typed.
            pub fn as_str(self) -> &'static str {
                match self {
                    $name::Allow => "allow",
                    $name::Deny => "deny",
                }
            }
        }

        impl FromStr for $name {
            type Err = InvalidValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    "allow" => Ok($name::Allow),
                    "deny" => Ok($name::Deny),
                    other => Err(InvalidValue::new(other, $what, &["deny", "allow"])),
                }
            }
        }
    };
}

policy!(
    /// Whether a file that was read and states nothing for the use may be
    /// used. The verdict stays [`Verdict::Unknown`] either way; the policy
    /// only sets [`UseDecision::usable`]. It never covers a file that could
    /// not be read: that is [`UnreadablePolicy`].
    ///
    /// ```
    /// use ccsig::UnknownPolicy;
    /// assert_eq!("allow".parse::<UnknownPolicy>(), Ok(UnknownPolicy::Allow));
    /// assert_eq!(UnknownPolicy::default(), UnknownPolicy::Deny);
    /// assert_eq!("alow".parse::<UnknownPolicy>().unwrap_err().suggestion, Some("allow"));
    /// ```
    UnknownPolicy,
    "an unknown policy",
    "Use files that were read and state nothing.",
    "Skip them (the safe default)."
);

policy!(
    /// Whether a file that could not be read, or whose format ccsig does not
    /// read, may be used: the riskier choice, since such a file may carry a
    /// "no" that ccsig could not see.
    ///
    /// ```
    /// use ccsig::UnreadablePolicy;
    /// assert_eq!("deny".parse::<UnreadablePolicy>(), Ok(UnreadablePolicy::Deny));
    /// assert!("yes".parse::<UnreadablePolicy>().is_err());
    /// ```
    UnreadablePolicy,
    "an unreadable policy",
    "Use files ccsig could not read (they may say \"no\" where ccsig cannot see).",
    "Skip them (the safe default)."
);

/// What a pipeline asks of every file: the use it makes, what it gives in
/// return, and whether it takes files it knows nothing about. Built from
/// checked values only, so every decision it makes answers the question the
/// pipeline meant to ask.
///
/// ```
/// use ccsig::{Commitments, Pipeline, State, UnknownPolicy, Verdict};
///
/// let mut pipeline = Pipeline::new("train-ai".parse().unwrap(), Commitments::parse("credit").unwrap());
/// let plain = ccsig::read_path("sample-images/jpeg/plain.jpg".as_ref()).unwrap();
/// let d = pipeline.decide(&plain);
/// assert_eq!((d.verdict, d.state, d.usable), (Verdict::Unknown, State::NoSignal, false));
///
/// pipeline.unknown = UnknownPolicy::Allow;
/// assert!(pipeline.decide(&plain).usable);
///
/// // Unknown is not unreadable: a damaged file stays unusable.
/// let error = ccsig::read_path("sample-images/bad/truncated.jpg".as_ref()).unwrap_err();
/// let d = pipeline.decide_error(&error);
/// assert_eq!((d.state, d.usable), (State::Unreadable, false));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    /// The use the pipeline makes of the files.
    pub usage: Use,
    /// The elements it gives in return.
    pub we_give: Commitments,
    /// Whether a file that states nothing for the use is usable.
    pub unknown: UnknownPolicy,
    /// Whether a file ccsig could not read is usable.
    pub unreadable: UnreadablePolicy,
}

impl Pipeline {
    /// A pipeline that uses files for `usage`, gives `we_give`, and skips
    /// every file it knows nothing about.
    pub fn new(usage: Use, we_give: Commitments) -> Self {
        Pipeline {
            usage,
            we_give,
            unknown: UnknownPolicy::Deny,
            unreadable: UnreadablePolicy::Deny,
        }
    }

    /// Decides for a file that was read. Every signal-bearing field of the
    /// file counts, most restrictive first (see `docs/signals.md`).
    ///
    /// ```
    /// use ccsig::{Commitments, Pipeline, Verdict};
    /// let signals = ccsig::read_path("sample-images/tagged/ccsig-cr.png".as_ref()).unwrap();
    /// let d = Pipeline::new("train-ai".parse().unwrap(), Commitments::parse("credit").unwrap())
    ///     .decide(&signals);
    /// assert_eq!(d.verdict, Verdict::AllowedWithTerms);
    /// // The file asks for credit but names nobody: the record says so.
    /// assert!(d.credit_missing);
    /// assert!(d.credit_looked_at.contains(&"XMP dc:creator".to_string()));
    /// ```
    pub fn decide(&self, signals: &FileSignals) -> UseDecision {
        let label = self.usage.label();
        // Each source's say, once: combined for the decision, and kept to
        // name the sources that decided it.
        let said: Vec<(&Source, Decision)> = signals
            .sources
            .iter()
            .map(|s| (s, s.statement.preference(label)))
            .collect();
        let decision = Decision::combine_all(said.iter().map(|(_, d)| d));
        let mut out = self.decide_on(decision, !signals.sources.is_empty(), &signals.credit);
        out.sources = said
            .iter()
            .filter(|(_, d)| *d != Decision::Unknown)
            .map(|(s, _)| s.field())
            .collect();
        // An image whose own bytes ccsig does not read (camera RAW ...) is
        // decided by its sidecars; when they say nothing, the file itself
        // may, so it is not known to be silent (fail closed).
        if let crate::container::Format::Other(format) = signals.format {
            if out.verdict == Verdict::Unknown {
                // The answer for a file read without sidecars (a shard's
                // member), so both ways of reading one file agree.
                out = self.decide_unsupported(format);
            } else {
                out.reason
                    .push_str(&format!(" ({format}: ccsig writes only its XMP sidecars)"));
            }
        }
        // Content Credentials that could not be read may hold a "no": what
        // the rest of the file allows is not enough (fail closed).
        if let (Some(Err(why)), Verdict::Allowed | Verdict::AllowedWithTerms | Verdict::Unknown) =
            (&signals.c2pa, out.verdict)
        {
            out.state = State::Unreadable;
            out.usable = self.unreadable == UnreadablePolicy::Allow;
            out.reason
                .push_str(&format!("; its Content Credentials cannot be read ({why})"));
        }
        out
    }

    /// The decision for a file whose sources, combined, say `decision`.
    fn decide_on(&self, decision: Decision, states_anything: bool, credit: &Credit) -> UseDecision {
        let label = self.usage.label();
        let mut out = UseDecision::empty(State::Stated);
        match decision {
            Decision::Allowed => {
                out.verdict = Verdict::Allowed;
                out.usable = true;
                out.reason = format!("{label}=y");
            }
            Decision::Disallowed => {
                out.verdict = Verdict::Disallowed;
                out.reason = format!("{label}=n with no exception");
            }
            Decision::AllowedIf(offered) => {
                let (met, unmet): (Vec<SignalCode>, Vec<SignalCode>) =
                    offered.iter().partition(|s| self.we_give.meets(**s));
                let offered_text = codes(&offered);
                if met.is_empty() {
                    out.verdict = Verdict::Disallowed;
                    out.reason = format!(
                        "{label}=n except under {offered_text}; missing: {}",
                        missing_elements(&unmet, &self.we_give)
                    );
                } else {
                    out.verdict = Verdict::AllowedWithTerms;
                    out.usable = true;
                    out.reason = format!(
                        "{label}=n except under {offered_text}; the terms of {} are met",
                        codes(&met)
                    );
                    out.owed = owed(&met);
                    out.credit_name = credit.name.clone();
                    out.credit_url = credit.url.clone();
                    if out.credit_name.is_none() {
                        out.reason.push_str("; the file names nobody to credit");
                        out.credit_missing = true;
                        out.credit_looked_at =
                            CREDIT_FIELDS.iter().map(|f| f.to_string()).collect();
                    }
                    out.met_signals = met;
                }
                out.unmet_signals = unmet;
            }
            Decision::Unknown => {
                out.state = State::NoSignal;
                out.usable = self.unknown == UnknownPolicy::Allow;
                out.reason = if states_anything {
                    format!("no preference stated for {label}")
                } else {
                    "no signal in the file".to_string()
                };
            }
        }
        out
    }

    /// Decides for a file that could not be read: `unknown`, with the error
    /// as the reason; an image in a format ccsig does not read is
    /// [`State::Unsupported`], anything else [`State::Unreadable`]. Usable
    /// only under [`UnreadablePolicy::Allow`].
    ///
    /// ```
    /// use ccsig::{Commitments, Pipeline, State};
    /// let pipeline = Pipeline::new("train-ai".parse().unwrap(), Commitments::none());
    /// // Bytes with no sidecar to read (a shard's member, say).
    /// let gif = std::fs::read("sample-images/bad/unsupported.gif").unwrap();
    /// let error = ccsig::read_bytes(&gif).unwrap_err();
    /// let d = pipeline.decide_error(&error);
    /// assert_eq!(d.state, State::Unsupported);
    /// assert_eq!(d.reason, "unsupported format: GIF");
    ///
    /// // A path: the GIF is read through its sidecars, and has none.
    /// let signals = ccsig::read_path("sample-images/bad/unsupported.gif".as_ref()).unwrap();
    /// let d = pipeline.decide(&signals);
    /// assert_eq!(d.state, State::Unsupported);
    /// assert_eq!(d.reason, "unsupported format: GIF");
    /// ```
    pub fn decide_error(&self, error: &ReadError) -> UseDecision {
        match error {
            ReadError::Container(ContainerError::OtherFormat(format)) => {
                self.decide_unsupported(format)
            }
            other => self.not_read(State::Unreadable, format!("unreadable: {other}")),
        }
    }

    /// [`decide_error`](Self::decide_error) for an image whose surroundings
    /// are known: a "no" they state stands though the file could not be
    /// read (what the file says could only make it stricter); otherwise
    /// the file's error decides, as without them.
    ///
    /// ```
    /// use ccsig::{Commitments, Pipeline, Verdict, WebContext};
    /// let pipeline = Pipeline::new("train-ai".parse().unwrap(), Commitments::none());
    /// let error = ccsig::read_bytes(b"not an image").unwrap_err();
    /// let web = WebContext {
    ///     headers: vec![("X-Robots-Tag".into(), "noai".into())],
    ///     ..Default::default()
    /// };
    /// let decision = pipeline.decide_error_with(&error, &web);
    /// assert_eq!(decision.verdict, Verdict::Disallowed);
    /// assert_eq!(decision.sources, ["HTTP X-Robots-Tag noai"]);
    /// // Without a "no" around it, the file's error decides.
    /// let silent = pipeline.decide_error_with(&error, &WebContext::default());
    /// assert_eq!(silent.verdict, Verdict::Unknown);
    /// ```
    pub fn decide_error_with(&self, error: &ReadError, web: &WebContext) -> UseDecision {
        match self.decide_around(web) {
            Some(mut out) => {
                out.reason
                    .push_str(&format!(" (the file itself could not be read: {error})"));
                out
            }
            None => self.decide_error(error),
        }
    }

    /// The decision the context around a file settles on its own: a "no"
    /// for this use in the response's headers or the site's robots.txt,
    /// which nothing in the file can lift (the most restrictive statement
    /// wins). `None` when the context leaves the decision to the file: a
    /// downloader asks this before the body arrives.
    ///
    /// ```
    /// use ccsig::{Commitments, Pipeline, Verdict, WebContext};
    /// let pipeline = Pipeline::new("train-ai".parse().unwrap(), Commitments::none());
    /// let web = WebContext {
    ///     headers: vec![("Content-Usage".into(), "train-ai=n".into())],
    ///     ..Default::default()
    /// };
    /// let decision = pipeline.decide_around(&web).unwrap();
    /// assert_eq!(decision.verdict, Verdict::Disallowed);
    /// assert_eq!(decision.sources, ["HTTP Content-Usage"]);
    /// // A "yes" around the file leaves the file its say.
    /// let yes = WebContext {
    ///     headers: vec![("Content-Usage".into(), "train-ai=y".into())],
    ///     ..Default::default()
    /// };
    /// assert!(pipeline.decide_around(&yes).is_none());
    /// ```
    pub fn decide_around(&self, web: &WebContext) -> Option<UseDecision> {
        let label = self.usage.label();
        let sources = crate::inspect::web_sources(web, Default::default());
        let said: Vec<(&Source, Decision)> = sources
            .iter()
            .map(|s| (s, s.statement.preference(label)))
            .collect();
        let decision = Decision::combine_all(said.iter().map(|(_, d)| d));
        let mut out = self.decide_on(decision, !sources.is_empty(), &Credit::default());
        if out.verdict != Verdict::Disallowed {
            return None;
        }
        out.sources = said
            .iter()
            .filter(|(_, d)| *d != Decision::Unknown)
            .map(|(s, _)| s.field())
            .collect();
        Some(out)
    }

    /// Decides for an image in a format ccsig does not read (`format`, e.g.
    /// `HEIF`): `unknown`, usable only under [`UnreadablePolicy::Allow`].
    ///
    /// ```
    /// use ccsig::{Commitments, Pipeline, UnreadablePolicy};
    /// let mut pipeline = Pipeline::new("train-ai".parse().unwrap(), Commitments::none());
    /// assert!(!pipeline.decide_unsupported("HEIF").usable);
    /// pipeline.unreadable = UnreadablePolicy::Allow;
    /// assert!(pipeline.decide_unsupported("HEIF").usable);
    /// ```
    pub fn decide_unsupported(&self, format: &str) -> UseDecision {
        self.not_read(State::Unsupported, format!("unsupported format: {format}"))
    }

    /// Decides for one item of a tree read ([`crate::read_tree`]): every
    /// image gets a decision (read, unreadable, or in a format ccsig does
    /// not read); anything that is not an image (captions, JSON, hidden or
    /// excluded files) gets none.
    ///
    /// ```
    /// use ccsig::{Commitments, Pipeline, State};
    /// let pipeline = Pipeline::new("train-ai".parse().unwrap(), Commitments::none());
    /// let mut states = vec![];
    /// ccsig::read_tree(&["sample-images/bad".into()], &Default::default(), |item| {
    ///     if let Some(d) = pipeline.decide_item(&item) {
    ///         states.push((item.path().to_string(), d.state));
    ///     }
    /// })
    /// .unwrap();
    /// assert!(states.contains(&("sample-images/bad/unsupported.gif".into(), State::Unsupported)));
    /// assert!(states.contains(&("sample-images/bad/truncated.jpg".into(), State::Unreadable)));
    /// ```
    pub fn decide_item(&self, item: &TreeItem) -> Option<UseDecision> {
        match item {
            TreeItem::Read {
                signals: Ok(signals),
                ..
            } => Some(self.decide(signals)),
            TreeItem::Read {
                signals: Err(e), ..
            } => Some(self.decide_error(e)),
            TreeItem::Skipped {
                reason: SkipReason::Unsupported(format),
                ..
            } => Some(self.decide_unsupported(format)),
            TreeItem::Skipped { .. } => None,
        }
    }

    fn not_read(&self, state: State, reason: String) -> UseDecision {
        UseDecision {
            usable: self.unreadable == UnreadablePolicy::Allow,
            reason,
            ..UseDecision::empty(state)
        }
    }
}

/// One thing a pipeline owes for using a file under the signal(s) it met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Obligation {
    /// The element owed.
    pub element: Element,
    /// What giving it means, in one line ([`Element::requirement`]).
    pub requirement: &'static str,
    /// The met signals that ask for it: when several signals are met, the
    /// pipeline may use the file under any one of them and owes that one's
    /// elements.
    pub signals: Vec<SignalCode>,
    /// Where CC defines it: the definition of the first of `signals`.
    pub definition: &'static str,
}

/// The answer for one file: may the pipeline use it, and on what terms.
/// Owned data only, so it crosses thread and language boundaries freely.
/// Its JSON form is the `decide` record of `docs/schema.md`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UseDecision {
    /// What the file says, for this pipeline.
    #[serde(rename = "decision")]
    pub verdict: Verdict,
    /// Whether the pipeline may use the file: allowed, allowed with terms,
    /// or unknown where the pipeline's policy for the [`State`] allows it.
    pub usable: bool,
    /// Whether the verdict rests on what the file states, on its silence,
    /// or on nothing (unreadable, unsupported).
    pub state: State,
    /// The CC signals whose terms the pipeline meets (only with
    /// [`Verdict::AllowedWithTerms`]).
    pub met_signals: Vec<SignalCode>,
    /// The signals the file offers that the pipeline does not meet, so a
    /// pipeline can see what it would take.
    pub unmet_signals: Vec<SignalCode>,
    /// What the pipeline owes under the met signals, element by element.
    pub owed: Vec<Obligation>,
    /// Who to credit, when the pipeline owes credit (every CC signal asks for it).
    pub credit_name: Option<String>,
    /// Where to link the credit, when the pipeline owes credit.
    pub credit_url: Option<String>,
    /// Credit is owed but the file names nobody to credit.
    pub credit_missing: bool,
    /// With `credit_missing`, the fields that were searched for a name.
    pub credit_looked_at: Vec<String>,
    /// One line in words: why this verdict.
    pub reason: String,
    /// The fields whose statements decided it, in the order read (e.g.
    /// `XMP ccsig:expression`, `C2PA cawg.training-mining
    /// cawg.ai_training`): every field that states something for the use.
    pub sources: Vec<String>,
}

impl UseDecision {
    /// The names of the record's fields, in the order its JSON form gives
    /// them (`decision` first): the columns of `decide --format csv` after
    /// `schema` and `path`, and the keys of Python's `Decision.to_dict()`
    /// after `path`.
    ///
    /// ```
    /// let d = ccsig::Pipeline::new("train-ai".parse().unwrap(), ccsig::Commitments::none())
    ///     .decide_unsupported("HEIF");
    /// let json = serde_json::to_value(&d).unwrap();
    /// let mut keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    /// keys.sort();
    /// let mut fields = ccsig::UseDecision::FIELDS.to_vec();
    /// fields.sort();
    /// assert_eq!(keys, fields);
    /// ```
    pub const FIELDS: [&'static str; 12] = [
        "decision",
        "usable",
        "state",
        "met_signals",
        "unmet_signals",
        "owed",
        "credit_name",
        "credit_url",
        "credit_missing",
        "credit_looked_at",
        "reason",
        "sources",
    ];

    fn empty(state: State) -> Self {
        UseDecision {
            verdict: Verdict::Unknown,
            usable: false,
            state,
            met_signals: vec![],
            unmet_signals: vec![],
            owed: vec![],
            credit_name: None,
            credit_url: None,
            credit_missing: false,
            credit_looked_at: vec![],
            reason: String::new(),
            sources: vec![],
        }
    }
}

/// Every element the met signals name, in CC's order, with the signals
/// that name it.
fn owed(met: &[SignalCode]) -> Vec<Obligation> {
    Element::ALL
        .into_iter()
        .filter_map(|element| {
            let signals: Vec<SignalCode> = met
                .iter()
                .copied()
                .filter(|s| Element::of_signal(*s).contains(&element))
                .collect();
            let first = *signals.first()?;
            Some(Obligation {
                element,
                requirement: element.requirement(),
                definition: first.definition(),
                signals,
            })
        })
        .collect()
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

    /// File signals whose only source is `expression` in ccsig's namespace,
    /// with the credit named when `credit` is true.
    fn signals_credited(expression: &str, credit: bool) -> FileSignals {
        let credit = if credit {
            r#"ccsig:creditName="Ada" ccsig:creditURL="https://example.org/ada""#
        } else {
            ""
        };
        let packet = format!(
            r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:ccsig="https://ns.ccsig.dev/xmp/1.0/" ccsig:expression="{expression}" {credit}/></rdf:RDF></x:xmpmeta>"#
        );
        let mut s = inspect::read_bytes(&minimal_png()).unwrap();
        s.add_sidecar("x.xmp".into(), packet.as_bytes());
        s
    }

    fn signals_saying(expression: &str) -> FileSignals {
        signals_credited(expression, true)
    }

    fn minimal_png() -> Vec<u8> {
        crate::test_support::sample("png/plain.png")
    }

    fn train(we_give: Commitments) -> Pipeline {
        Pipeline::new("train-ai".parse().unwrap(), we_give)
    }

    fn with_policies(
        we_give: Commitments,
        unknown: UnknownPolicy,
        unreadable: UnreadablePolicy,
    ) -> Pipeline {
        Pipeline {
            unknown,
            unreadable,
            ..train(we_give)
        }
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
                let d = train(we_give.clone()).decide(&s);
                assert_eq!(d.state, State::Stated);
                if meets {
                    assert_eq!(d.verdict, Verdict::AllowedWithTerms, "{signal} {we_give:?}");
                    assert_eq!(d.met_signals, [signal]);
                    assert!(d.usable);
                    assert_eq!(d.credit_name.as_deref(), Some("Ada"));
                    assert_eq!(d.credit_url.as_deref(), Some("https://example.org/ada"));
                    assert!(!d.credit_missing);
                    let owed: Vec<Element> = d.owed.iter().map(|o| o.element).collect();
                    assert_eq!(owed, wanted);
                    assert!(d.owed.iter().all(|o| o.definition == signal.definition()));
                } else {
                    assert_eq!(d.verdict, Verdict::Disallowed, "{signal} {we_give:?}");
                    assert!(d.met_signals.is_empty());
                    assert!(d.owed.is_empty());
                    assert_eq!(d.unmet_signals, [signal]);
                    assert!(!d.usable);
                    assert_eq!(d.credit_name, None);
                    assert!(d.reason.contains("missing"), "{}", d.reason);
                }
            }
        }
    }

    #[test]
    fn credit_owed_to_nobody_is_spelled_out() {
        let s = signals_credited("train-ai=n;exceptions=cc-cr", false);
        let d = train(Commitments::from([Credit])).decide(&s);
        assert_eq!(d.verdict, Verdict::AllowedWithTerms);
        assert_eq!(d.credit_name, None);
        assert!(d.credit_missing);
        assert_eq!(d.credit_looked_at, CREDIT_FIELDS);
        // Credit that is not owed is not missing.
        let d = train(Commitments::none()).decide(&s);
        assert!(!d.credit_missing && d.credit_looked_at.is_empty());
    }

    #[test]
    fn two_signals_met_at_once_owe_each_element_once() {
        // One member carries one exception, so no file offers two signals
        // today; the model allows it, and the record must still be right.
        let credit = signals_saying("train-ai=n").credit;
        let both = || Decision::AllowedIf(vec![Cr, CrOp]);
        let d = train(Commitments::from([Credit, Open])).decide_on(both(), true, &credit);
        assert_eq!(d.met_signals, [Cr, CrOp]);
        assert!(d.unmet_signals.is_empty());
        let owed: Vec<(Element, Vec<SignalCode>)> = d
            .owed
            .iter()
            .map(|o| (o.element, o.signals.clone()))
            .collect();
        assert_eq!(owed, [(Credit, vec![Cr, CrOp]), (Open, vec![CrOp])]);
        assert_eq!(d.owed[1].definition, CrOp.definition());
        // Meeting one of two: the other is named as unmet.
        let d = train(Commitments::from([Credit])).decide_on(both(), true, &credit);
        assert_eq!(
            (d.met_signals.clone(), d.unmet_signals.clone()),
            (vec![Cr], vec![CrOp])
        );
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
        let every = Commitments::from(Element::ALL);
        let d = train(Commitments::none()).decide(&signals_saying("train-ai=y"));
        assert_eq!((d.verdict, d.usable), (Verdict::Allowed, true));
        let allow = with_policies(every.clone(), UnknownPolicy::Allow, UnreadablePolicy::Allow);
        let d = allow.decide(&signals_saying("train-ai=n"));
        assert_eq!((d.verdict, d.usable), (Verdict::Disallowed, false));
        let d = train(every.clone()).decide(&signals_saying("search=n"));
        assert_eq!(
            (d.verdict, d.usable, d.state),
            (Verdict::Unknown, false, State::NoSignal)
        );
        assert!(d.reason.contains("no preference"), "{}", d.reason);
        let d = allow.decide(&signals_saying("search=n"));
        assert_eq!((d.verdict, d.usable), (Verdict::Unknown, true));
        let search = Pipeline {
            usage: "search".parse().unwrap(),
            ..allow
        };
        let d = search.decide(&signals_saying("search=n"));
        assert_eq!((d.verdict, d.usable), (Verdict::Disallowed, false));
    }

    #[test]
    fn unknown_is_not_unreadable() {
        let plain = inspect::read_bytes(&minimal_png()).unwrap();
        let truncated = inspect::read_bytes(&minimal_png()[..60]).unwrap_err();
        let gif = inspect::read_bytes(b"GIF89a\x01\0\x01\0\0\0\0;").unwrap_err();
        for (unknown, unreadable) in [
            (UnknownPolicy::Deny, UnreadablePolicy::Deny),
            (UnknownPolicy::Allow, UnreadablePolicy::Deny),
            (UnknownPolicy::Deny, UnreadablePolicy::Allow),
            (UnknownPolicy::Allow, UnreadablePolicy::Allow),
        ] {
            let p = with_policies(Commitments::none(), unknown, unreadable);
            let d = p.decide(&plain);
            assert_eq!((d.verdict, d.state), (Verdict::Unknown, State::NoSignal));
            assert_eq!(d.reason, "no signal in the file");
            assert_eq!(d.usable, unknown == UnknownPolicy::Allow);
            let d = p.decide_error(&truncated);
            assert_eq!((d.verdict, d.state), (Verdict::Unknown, State::Unreadable));
            assert!(d.reason.starts_with("unreadable: "), "{}", d.reason);
            assert_eq!(d.usable, unreadable == UnreadablePolicy::Allow);
            let d = p.decide_error(&gif);
            assert_eq!((d.verdict, d.state), (Verdict::Unknown, State::Unsupported));
            assert_eq!(d.reason, "unsupported format: GIF");
            assert_eq!(d.usable, unreadable == UnreadablePolicy::Allow);
        }
    }

    #[test]
    fn most_restrictive_source_wins() {
        let mut s = signals_saying("train-ai=n;exceptions=cc-cr");
        let other = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:ccsig="https://ns.ccsig.dev/xmp/1.0/" ccsig:expression="train-ai=n"/></rdf:RDF></x:xmpmeta>"#;
        s.add_sidecar("y.xmp".into(), other.as_bytes());
        let d = train(Commitments::from([Credit])).decide(&s);
        assert_eq!(d.verdict, Verdict::Disallowed);
    }

    #[test]
    fn element_and_policy_names_round_trip() {
        for e in Element::ALL {
            assert_eq!(e.as_str().parse::<Element>(), Ok(e));
        }
        assert_eq!(
            Commitments::parse("credit,,open").unwrap(),
            Commitments::from([Credit, Open])
        );
        let e = Commitments::parse("credit,money").unwrap_err();
        assert_eq!((e.value.as_str(), e.suggestion), ("money", None));
        assert_eq!(Commitments::parse("").unwrap(), Commitments::none());
        assert!(Commitments::parse_all(["credit", "opne"]).is_err());
        for p in [UnknownPolicy::Allow, UnknownPolicy::Deny] {
            assert_eq!(p.as_str().parse::<UnknownPolicy>(), Ok(p));
        }
        for p in [UnreadablePolicy::Allow, UnreadablePolicy::Deny] {
            assert_eq!(p.as_str().parse::<UnreadablePolicy>(), Ok(p));
        }
        assert!("Allow".parse::<UnknownPolicy>().is_err());
        let j = serde_json::to_value(Verdict::AllowedWithTerms).unwrap();
        assert_eq!(j, "allowed-with-terms");
        assert_eq!(serde_json::to_value(State::NoSignal).unwrap(), "no-signal");
    }
}
