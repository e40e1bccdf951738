//! Parsing a content-usage expression into a [`Statement`].
//!
//! The structured-field syntax is entirely `sfv`'s; this module applies the
//! AIPREF vocabulary's processing rules on top and records every deviation
//! as a [`Diagnostic`] instead of failing.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;

use serde::{Deserialize, Serialize};
use sfv::visitor::{DictionaryVisitor, EntryVisitor};
use sfv::{
    BareItem, DictSerializer, Dictionary, Item, ItemSerializer, KeyRef, List, ListEntry,
    ListSerializer, Parser,
};

use super::decision::Decision;
use super::diagnostic::{Diagnostic, Severity};
use super::vocabulary::{self, SignalCode, Vocabulary};

/// The parameter carrying CC signals (CC's extension of the vocabulary).
pub const EXCEPTIONS_PARAM: &str = "exceptions";

/// A member's stated preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Preference {
    /// Token `y`.
    #[serde(rename = "y")]
    Allow,
    /// Token `n`.
    #[serde(rename = "n")]
    Disallow,
    /// Anything else: the vocabulary says to treat it as if absent.
    #[serde(rename = "unknown")]
    Unknown,
}

impl Preference {
    /// `"y"`, `"n"` or `"unknown"`, as in the explain JSON.
    ///
    /// ```
    /// let statement = ccsig::signal::parse("train-ai=n, search=maybe");
    /// let values: Vec<&str> = statement.members.iter().map(|m| m.value.as_str()).collect();
    /// assert_eq!(values, ["n", "unknown"]);
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Preference::Allow => "y",
            Preference::Disallow => "n",
            Preference::Unknown => "unknown",
        }
    }
}

/// Marks a label from an earlier draft.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Legacy {
    /// The current label covering most of the same use, if any.
    pub closest: Option<String>,
}

/// One parameter of a member, kept so the expression can be written back intact.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Parameter {
    /// Parameter name.
    pub name: String,
    /// Its bare item, serialized (`cc-cr`, `"cc-cr"`, `?1`...).
    pub raw_value: String,
}

/// One dictionary member after the vocabulary's rules are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The key, exactly as written.
    pub label: String,
    /// What it means: only Tokens `y`/`n` count.
    pub value: Preference,
    /// The value serialized without parameters (`y`, `?1`, `"n"`, `(a b)`).
    pub raw_value: String,
    /// Some draft of the vocabulary defines the label.
    pub known: bool,
    /// Set when the label is from an earlier draft only.
    pub legacy: Option<Legacy>,
    /// CC signals granted as exceptions; only ever non-empty on a `n`.
    pub exceptions: Vec<SignalCode>,
    /// All parameters of the selected value, known or not, in order.
    pub parameters: Vec<Parameter>,
    /// Findings about this member.
    pub diagnostics: Vec<Diagnostic>,
    /// The vocabulary the label was read against.
    pub vocabulary: Vocabulary,
}

impl Member {
    /// This member's own decision, ignoring every other member.
    ///
    /// ```
    /// use ccsig::signal::{parse, Decision, SignalCode};
    /// let statement = parse("train-ai=n;exceptions=cc-cr");
    /// assert_eq!(statement.members[0].decision(), Decision::AllowedIf(vec![SignalCode::Cr]));
    /// ```
    pub fn decision(&self) -> Decision {
        match self.value {
            Preference::Allow => Decision::Allowed,
            Preference::Disallow => Decision::disallowed_except(self.exceptions.clone()),
            Preference::Unknown => Decision::Unknown,
        }
    }

    /// This member alone as expression text (`train-ai=n;exceptions=cc-cr`),
    /// serialized by sfv; falls back to `label=raw_value` if its raw parts
    /// were edited into something sfv cannot read.
    ///
    /// ```
    /// let statement = ccsig::signal::parse("train-ai=n;exceptions=cc-cr, search=y");
    /// assert_eq!(statement.members[0].to_expression(), "train-ai=n;exceptions=cc-cr");
    /// ```
    pub fn to_expression(&self) -> String {
        rebuild_entry(self)
            .and_then(|(key, entry)| {
                let mut ser = DictSerializer::new();
                ser.members([(key.as_ref(), &entry)]);
                ser.finish()
            })
            .unwrap_or_else(|| format!("{}={}", self.label, self.raw_value))
    }

    /// Vocabulary entry for the label as its vocabulary reads it, if any
    /// draft up to that one defines it.
    ///
    /// ```
    /// let statement = ccsig::signal::parse("train-ai=n, made-up=y");
    /// assert_eq!(statement.members[0].info().unwrap().use_name, "AI training");
    /// assert!(statement.members[1].info().is_none());
    /// ```
    pub fn info(&self) -> Option<&'static vocabulary::LabelInfo> {
        self.vocabulary.lookup(&self.label)
    }
}

/// A parsed content-usage expression. Built by [`parse`]; never an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The text that was parsed, unchanged.
    pub expression: String,
    /// The text is a valid RFC 9651 dictionary.
    pub parsed: bool,
    /// The parser's reason when `parsed` is false.
    pub parse_error: Option<String>,
    /// Members in dictionary order: a repeated key keeps its first position
    /// and its last value. Empty when the text did not parse.
    pub members: Vec<Member>,
    /// Findings about the whole expression (parse failure, emptiness).
    pub(crate) statement_diagnostics: Vec<Diagnostic>,
    /// The vocabulary the labels were read against.
    pub vocabulary: Vocabulary,
}

/// Parses a content-usage expression against the default vocabulary. Never
/// fails: an unparseable text is a statement whose every preference is
/// unknown, with a `ParseFailed` diagnostic.
///
/// ```
/// use ccsig::signal::{parse, Decision};
/// let statement = parse("train-ai=n, search=y");
/// assert!(statement.parsed);
/// assert_eq!(statement.members.len(), 2);
/// assert_eq!(statement.preference("search"), Decision::Allowed);
///
/// let broken = parse("train-ai=n;;");
/// assert!(!broken.parsed && broken.parse_error.is_some());
/// assert_eq!(broken.preference("train-ai"), Decision::Unknown);
/// assert_eq!(broken.diagnostics()[0].kind(), "parse_failed");
/// ```
pub fn parse(text: &str) -> Statement {
    parse_in(text, Vocabulary::default())
}

/// [`parse`] against a chosen draft of the vocabulary: which labels are
/// current, legacy or ambiguous depends on it.
///
/// ```
/// use ccsig::signal::{parse_in, Vocabulary};
/// let statement = parse_in("train-ai=n", Vocabulary::Draft08);
/// assert_eq!(statement.vocabulary, Vocabulary::Draft08);
/// assert!(statement.is_writable());
/// ```
pub fn parse_in(text: &str, vocabulary: Vocabulary) -> Statement {
    // Reading one file parses its expression several times (the statement,
    // its mirrors, the audit), and a batch meets the same few expressions
    // over and over: the last few statements parsed on this thread are
    // kept. Parsing is a function of (text, vocabulary) alone, so a kept
    // statement is the one parsing would give.
    thread_local! {
        static RECENT: RefCell<VecDeque<Statement>> = const { RefCell::new(VecDeque::new()) };
    }
    const KEPT: usize = 4;
    if text.len() > MEMO_LIMIT {
        return parse_uncached(text, vocabulary);
    }
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        if let Some(hit) = recent
            .iter()
            .find(|s| s.vocabulary == vocabulary && s.expression == text)
        {
            return hit.clone();
        }
        let statement = parse_uncached(text, vocabulary);
        if recent.len() == KEPT {
            recent.pop_back();
        }
        recent.push_front(statement.clone());
        statement
    })
}

/// Expressions longer than this are parsed every time rather than kept.
const MEMO_LIMIT: usize = 1024;

fn parse_uncached(text: &str, vocabulary: Vocabulary) -> Statement {
    match Parser::new(text).parse_dictionary_with_visitor(CountingDictionary::default()) {
        Err(err) => {
            let reason = err.to_string();
            Statement {
                expression: text.to_owned(),
                parsed: false,
                parse_error: Some(reason.clone()),
                members: Vec::new(),
                statement_diagnostics: vec![Diagnostic::ParseFailed { reason }],
                vocabulary,
            }
        }
        Ok(counted) => {
            let members: Vec<Member> = counted
                .dict
                .iter()
                .map(|(key, entry)| {
                    let occurrences = counted.occurrences.get(key.as_str()).copied().unwrap_or(1);
                    member_from_entry(key.as_str(), entry, occurrences, vocabulary)
                })
                .collect();
            let statement_diagnostics = if members.is_empty() {
                vec![Diagnostic::EmptyExpression]
            } else {
                Vec::new()
            };
            Statement {
                expression: text.to_owned(),
                parsed: true,
                parse_error: None,
                members,
                statement_diagnostics,
                vocabulary,
            }
        }
    }
}

/// Builds sfv's own `Dictionary` while counting every key occurrence, which
/// the finished map can no longer tell (it keeps only the last value).
#[derive(Default)]
struct CountingDictionary {
    dict: Dictionary,
    occurrences: HashMap<String, usize>,
}

impl<'de> DictionaryVisitor<'de> for CountingDictionary {
    type Out = Self;
    type Error = Infallible;

    fn entry(&mut self, key: &'de KeyRef) -> Result<impl EntryVisitor<'de>, Self::Error> {
        *self.occurrences.entry(key.as_str().to_owned()).or_insert(0) += 1;
        // Delegating keeps RFC 9651 duplicate handling exactly as sfv does it.
        DictionaryVisitor::entry(&mut self.dict, key)
    }

    fn finish(self) -> Result<Self::Out, Self::Error> {
        Ok(self)
    }
}

fn member_from_entry(
    label: &str,
    entry: &ListEntry,
    occurrences: usize,
    vocabulary: Vocabulary,
) -> Member {
    let mut diagnostics = Vec::new();
    let info = vocabulary.lookup(label);
    let legacy = info.filter(|i| !vocabulary.defines(i)).map(|i| Legacy {
        closest: vocabulary.closest(i).map(str::to_owned),
    });
    match (&info, &legacy) {
        (None, _) => diagnostics.push(Diagnostic::UnknownLabel {
            label: label.to_owned(),
        }),
        // A later draft reuses the string: until its text is confirmed,
        // the author's meaning is unknown, which is more than "legacy".
        (Some(_), Some(_)) if vocabulary.later_meaning(label).is_some() => {
            diagnostics.push(Diagnostic::AmbiguousLabel {
                label: label.to_owned(),
                vocabulary,
            })
        }
        (Some(_), Some(l)) => diagnostics.push(Diagnostic::LegacyLabel {
            label: label.to_owned(),
            closest: l.closest.clone(),
        }),
        (Some(_), None) => {}
    }
    if occurrences > 1 {
        diagnostics.push(Diagnostic::DuplicateLabel {
            label: label.to_owned(),
            occurrences,
        });
    }

    let raw_value = serialize_value(entry);
    let (value, params) = match entry {
        ListEntry::Item(item) => (item_preference(label, item, &mut diagnostics), &item.params),
        ListEntry::InnerList(list) => {
            diagnostics.push(Diagnostic::NonTokenValue {
                label: label.to_owned(),
                raw: raw_value.clone(),
            });
            (Preference::Unknown, &list.params)
        }
    };

    let mut exceptions = Vec::new();
    let mut parameters = Vec::new();
    for (name, bare) in params {
        let raw = serialize_bare(bare);
        if name.as_str() == EXCEPTIONS_PARAM {
            if value == Preference::Disallow {
                match exception_code(label, bare, &raw) {
                    Ok(code) => exceptions.push(code),
                    Err(d) => diagnostics.push(d),
                }
            } else {
                diagnostics.push(Diagnostic::ExceptionOnNonDisallow {
                    label: label.to_owned(),
                });
            }
        } else {
            diagnostics.push(Diagnostic::UnknownParameter {
                label: label.to_owned(),
                param: name.as_str().to_owned(),
            });
        }
        parameters.push(Parameter {
            name: name.as_str().to_owned(),
            raw_value: raw,
        });
    }

    Member {
        label: label.to_owned(),
        value,
        raw_value,
        known: info.is_some(),
        legacy,
        exceptions,
        parameters,
        diagnostics,
        vocabulary,
    }
}

fn item_preference(label: &str, item: &Item, diagnostics: &mut Vec<Diagnostic>) -> Preference {
    match item.bare_item.as_token().map(|t| t.as_str()) {
        Some("y") => Preference::Allow,
        Some("n") => Preference::Disallow,
        Some(other) => {
            diagnostics.push(Diagnostic::UnknownValueToken {
                label: label.to_owned(),
                raw: other.to_owned(),
            });
            Preference::Unknown
        }
        None => {
            diagnostics.push(Diagnostic::NonTokenValue {
                label: label.to_owned(),
                raw: serialize_bare(&item.bare_item),
            });
            Preference::Unknown
        }
    }
}

/// CC signals are Tokens; a quoted string or a boolean is a different
/// structured type, and accepting it would let a typo grant an exception.
fn exception_code(label: &str, bare: &BareItem, raw: &str) -> Result<SignalCode, Diagnostic> {
    let malformed = |why: &str| Diagnostic::MalformedException {
        label: label.to_owned(),
        raw: raw.to_owned(),
        why: why.to_owned(),
    };
    match bare {
        BareItem::Token(token) => {
            token
                .as_str()
                .parse()
                .map_err(|_| Diagnostic::UnknownException {
                    label: label.to_owned(),
                    raw: raw.to_owned(),
                })
        }
        BareItem::String(_) => Err(malformed("a quoted string, not a token")),
        BareItem::Boolean(_) => Err(malformed("a boolean, not a token")),
        BareItem::Integer(_) | BareItem::Decimal(_) => Err(malformed("a number, not a token")),
        BareItem::ByteSequence(_) => Err(malformed("a byte sequence, not a token")),
        BareItem::Date(_) => Err(malformed("a date, not a token")),
        BareItem::DisplayString(_) => Err(malformed("a display string, not a token")),
    }
}

fn serialize_bare(bare: &BareItem) -> String {
    ItemSerializer::new().bare_item(bare).finish()
}

fn serialize_value(entry: &ListEntry) -> String {
    match entry {
        ListEntry::Item(item) => serialize_bare(&item.bare_item),
        ListEntry::InnerList(list) => {
            let mut ser = ListSerializer::new();
            {
                let mut inner = ser.inner_list();
                inner.items(&list.items);
            }
            ser.finish().unwrap_or_default()
        }
    }
}

impl Statement {
    /// Every finding: the statement's own first, then each member's in order.
    ///
    /// ```
    /// let statement = ccsig::signal::parse("train-ai=n;exceptions=cc-zz, made-up=y");
    /// let kinds: Vec<&str> = statement.diagnostics().iter().map(|d| d.kind()).collect();
    /// assert_eq!(kinds, ["unknown_exception", "unknown_label"]);
    /// ```
    pub fn diagnostics(&self) -> Vec<&Diagnostic> {
        self.statement_diagnostics
            .iter()
            .chain(self.members.iter().flat_map(|m| m.diagnostics.iter()))
            .collect()
    }

    /// The worst severity among the findings, if there are any.
    ///
    /// ```
    /// use ccsig::signal::{parse, Severity};
    /// assert_eq!(parse("train-ai=n").worst_severity(), None);
    /// assert_eq!(parse("train-ai=n;exceptions=cc-zz, made-up=y").worst_severity(), Some(Severity::Error));
    /// ```
    pub fn worst_severity(&self) -> Option<Severity> {
        self.diagnostics().iter().map(|d| d.severity()).max()
    }

    /// The member for a label (labels are case-sensitive).
    ///
    /// ```
    /// let statement = ccsig::signal::parse("train-ai=n;exceptions=cc-cr");
    /// assert_eq!(statement.member("train-ai").unwrap().exceptions.len(), 1);
    /// assert!(statement.member("Train-AI").is_none());
    /// ```
    pub fn member(&self, label: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.label == label)
    }

    /// The statement's decision for one category, by the vocabulary's rules
    /// only: a legacy label says nothing about the current one.
    ///
    /// ```
    /// use ccsig::signal::{parse, Decision};
    /// assert_eq!(parse("train-ai=n").preference("train-ai"), Decision::Disallowed);
    /// assert_eq!(parse("train-ai=n").preference("search"), Decision::Unknown);
    /// ```
    pub fn preference(&self, label: &str) -> Decision {
        self.member(label)
            .map_or(Decision::Unknown, Member::decision)
    }

    /// Like [`Statement::preference`], but when the label itself is absent or
    /// unknown, falls back to legacy labels whose closest current label it is
    /// (most restrictive wins among them). For readers that choose to honour
    /// files tagged from older examples; the vocabulary itself does not.
    ///
    /// ```
    /// use ccsig::signal::{parse, Decision};
    /// let old = parse("train-genai=n");
    /// assert_eq!(old.preference("train-ai"), Decision::Unknown);
    /// assert_eq!(old.preference_with_legacy("train-ai"), Decision::Disallowed);
    /// ```
    pub fn preference_with_legacy(&self, label: &str) -> Decision {
        let exact = self.preference(label);
        if exact != Decision::Unknown {
            return exact;
        }
        let legacy: Vec<Decision> = self
            .members
            .iter()
            .filter(|m| {
                m.legacy
                    .as_ref()
                    .and_then(|l| l.closest.as_deref())
                    .is_some_and(|c| c == label)
            })
            .map(Member::decision)
            .collect();
        Decision::combine_all(legacy.iter())
    }

    /// Fit to write without `--force`: it parses and has no finding at all.
    ///
    /// Every diagnostic becomes a `check` finding (malformed, legacy,
    /// ambiguous, ignored...), so this is "check would report nothing
    /// about the expression itself": ccsig never writes on its own what it
    /// would then flag. A user who means a legacy label says so with
    /// `--force`.
    ///
    /// ```
    /// use ccsig::signal::parse;
    /// assert!(parse("train-ai=n;exceptions=cc-cr").is_writable());
    /// assert!(!parse("train-genai=n").is_writable()); // legacy label
    /// assert!(!parse("").is_writable()); // says nothing
    /// ```
    pub fn is_writable(&self) -> bool {
        self.parsed && self.diagnostics().is_empty()
    }

    /// Canonical RFC 9651 serialization of the members (the selected value of
    /// each label, with all its parameters), built from `raw_value` and
    /// `parameters`. Empty for an empty or unparsed statement.
    ///
    /// A member whose raw parts were edited into something sfv cannot read
    /// back is left out rather than written invalid.
    ///
    /// ```
    /// let statement = ccsig::signal::parse("train-ai=n;exceptions=cc-cr,search=y,train-ai=y");
    /// // A repeated label keeps its first position and its last value.
    /// assert_eq!(statement.to_expression(), "train-ai=y, search=y");
    /// ```
    pub fn to_expression(&self) -> String {
        let mut ser = DictSerializer::new();
        for member in &self.members {
            let Some((key, entry)) = rebuild_entry(member) else {
                continue;
            };
            ser.members([(key.as_ref(), &entry)]);
        }
        ser.finish().unwrap_or_default()
    }
}

fn rebuild_entry(member: &Member) -> Option<(sfv::Key, ListEntry)> {
    let key = sfv::Key::from_string(member.label.clone()).ok()?;
    let list: List = Parser::new(&member.raw_value).parse().ok()?;
    let [mut entry] = <[ListEntry; 1]>::try_from(list).ok()?;
    let params = match &mut entry {
        ListEntry::Item(item) => &mut item.params,
        ListEntry::InnerList(inner) => &mut inner.params,
    };
    if !params.is_empty() {
        return None;
    }
    for p in &member.parameters {
        let name = sfv::Key::from_string(p.name.clone()).ok()?;
        let item: Item = Parser::new(&p.raw_value).parse().ok()?;
        if !item.params.is_empty() {
            return None;
        }
        params.insert(name, item.bare_item);
    }
    Some((key, entry))
}

/// Checks a raw user expression before it is written (or expected), against
/// the default vocabulary. See [`validate_for_writing_in`].
///
/// # Errors
/// [`NotWritable`] when `check` would report anything about it.
///
/// ```
/// use ccsig::signal::validate_for_writing;
/// assert!(validate_for_writing("train-ai=n;exceptions=cc-cr-op").is_ok());
/// let refused = validate_for_writing("train-ai=n;exceptions=cc-zz").unwrap_err();
/// assert_eq!(refused.problems[0].kind(), "unknown_exception");
/// ```
pub fn validate_for_writing(text: &str) -> Result<Statement, NotWritable> {
    validate_for_writing_in(text, Vocabulary::default())
}

/// The one rule for expressions ccsig writes (`apply`) or compares against
/// (`check --expect`): the very diagnostics `check` reports must be absent
/// ([`Statement::is_writable`]).
///
/// # Errors
/// [`NotWritable`] with every finding when there is one.
///
/// ```
/// use ccsig::signal::{validate_for_writing_in, Vocabulary};
/// assert!(validate_for_writing_in("search=y", Vocabulary::Draft08).is_ok());
/// assert!(validate_for_writing_in("", Vocabulary::Draft07).is_err());
/// ```
pub fn validate_for_writing_in(
    text: &str,
    vocabulary: Vocabulary,
) -> Result<Statement, NotWritable> {
    let statement = parse_in(text, vocabulary);
    if statement.is_writable() {
        return Ok(statement);
    }
    let problems = statement.diagnostics().into_iter().cloned().collect();
    Err(NotWritable {
        expression: text.to_owned(),
        problems,
    })
}

/// A raw expression that `check` would flag if it were written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refusing `{expression}`: {}", join_problems(.problems))]
pub struct NotWritable {
    /// The text as given.
    pub expression: String,
    /// Every finding about it.
    pub problems: Vec<Diagnostic>,
}

fn join_problems(problems: &[Diagnostic]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_statements_are_what_parsing_gives() {
        let texts = [
            "train-ai=n;exceptions=cc-cr",
            "train-ai=y",
            "train-ai=n;;",
            "ai-train=n",
            "search=y, train-ai=n",
            "train-ai=n;exceptions=cc-cr",
            "",
            "train-ai=y",
        ];
        // More texts than are kept, in both vocabularies, twice over: every
        // answer, kept or not, equals a fresh parse of that text.
        for _ in 0..2 {
            for vocabulary in [Vocabulary::Draft07, Vocabulary::Draft08] {
                for text in texts {
                    let got = parse_in(text, vocabulary);
                    assert_eq!(got, parse_uncached(text, vocabulary), "{text:?}");
                    assert_eq!(got.vocabulary, vocabulary);
                    assert_eq!(got.expression, text);
                }
            }
        }
        let long = format!("train-ai=n;exceptions=\"{}\"", "x".repeat(MEMO_LIMIT));
        assert_eq!(parse(&long), parse_uncached(&long, Vocabulary::default()));
    }

    fn kinds(s: &Statement) -> Vec<&'static str> {
        s.diagnostics().iter().map(|d| d.kind()).collect()
    }

    #[test]
    fn simple_expression() {
        let s = parse("train-ai=n, search=y");
        assert!(s.parsed);
        assert_eq!(s.parse_error, None);
        let labels: Vec<_> = s.members.iter().map(|m| m.label.as_str()).collect();
        assert_eq!(labels, ["train-ai", "search"]);
        assert_eq!(s.members[0].value, Preference::Disallow);
        assert_eq!(s.members[1].value, Preference::Allow);
        assert!(s.members.iter().all(|m| m.known && m.legacy.is_none()));
        assert!(s.diagnostics().is_empty(), "{:?}", s.diagnostics());
        assert_eq!(s.preference("train-ai"), Decision::Disallowed);
        assert_eq!(s.preference("search"), Decision::Allowed);
        assert_eq!(s.preference("tdm"), Decision::Unknown);
    }

    #[test]
    fn exception_is_granted_on_n() {
        let s = parse("train-ai=n;exceptions=cc-cr-op");
        let m = &s.members[0];
        assert_eq!(m.exceptions, [SignalCode::CrOp]);
        assert_eq!(m.raw_value, "n");
        assert_eq!(
            m.parameters,
            [Parameter {
                name: "exceptions".into(),
                raw_value: "cc-cr-op".into()
            }]
        );
        assert!(s.diagnostics().is_empty());
        assert_eq!(
            s.preference("train-ai"),
            Decision::AllowedIf(vec![SignalCode::CrOp])
        );
    }

    #[test]
    fn uppercase_key_fails_the_whole_dictionary() {
        let s = parse("search=y, Train-AI=n");
        assert!(!s.parsed);
        assert!(s.members.is_empty());
        assert!(
            s.parse_error.as_deref().unwrap().contains("index"),
            "{:?}",
            s.parse_error
        );
        assert_eq!(kinds(&s), ["parse_failed"]);
        assert_eq!(s.diagnostics()[0].severity(), Severity::Error);
        // Even the well-formed `search=y` before the bad key counts for nothing.
        assert_eq!(s.preference("search"), Decision::Unknown);
        assert_eq!(s.preference("train-ai"), Decision::Unknown);
        assert!(!s.is_writable());
        assert_eq!(s.to_expression(), "");
    }

    #[test]
    fn uppercase_value_token_is_unknown_not_a_parse_error() {
        let s = parse("train-ai=N");
        assert!(s.parsed);
        assert_eq!(s.members[0].value, Preference::Unknown);
        assert_eq!(kinds(&s), ["unknown_value_token"]);
    }

    #[test]
    fn duplicate_key_keeps_first_position_and_last_value() {
        let s = parse("train-ai=n, search=y, train-ai=y");
        let labels: Vec<_> = s.members.iter().map(|m| m.label.as_str()).collect();
        assert_eq!(labels, ["train-ai", "search"]);
        assert_eq!(s.members[0].value, Preference::Allow);
        assert_eq!(
            s.members[0].diagnostics,
            [Diagnostic::DuplicateLabel {
                label: "train-ai".into(),
                occurrences: 2
            }]
        );
        assert_eq!(s.diagnostics()[0].severity(), Severity::Warning);
        assert!(s.members[1].diagnostics.is_empty());
    }

    #[test]
    fn duplicate_counts_every_occurrence() {
        let s = parse("search=y, search=n, search=y");
        assert_eq!(
            s.members[0].diagnostics,
            [Diagnostic::DuplicateLabel {
                label: "search".into(),
                occurrences: 3
            }]
        );
    }

    #[test]
    fn parameters_of_the_non_selected_duplicate_are_ignored() {
        let s = parse("train-ai=n;exceptions=cc-cr, train-ai=y");
        let m = &s.members[0];
        assert_eq!(m.value, Preference::Allow);
        assert!(m.exceptions.is_empty());
        assert!(m.parameters.is_empty());
        assert_eq!(kinds(&s), ["duplicate_label"]);
        assert_eq!(s.preference("train-ai"), Decision::Allowed);

        // And the other way round: the last occurrence's exception applies.
        let s = parse("train-ai=n, train-ai=n;exceptions=cc-cr-ec");
        assert_eq!(s.members[0].exceptions, [SignalCode::CrEc]);
        // The first occurrence's exception does not leak into a later bare `n`.
        let s = parse("train-ai=n;exceptions=cc-cr, train-ai=n");
        assert!(s.members[0].exceptions.is_empty());
        assert_eq!(s.preference("train-ai"), Decision::Disallowed);
    }

    #[test]
    fn boolean_value_is_unknown() {
        for text in ["train-ai=?1", "train-ai", "train-ai=?0"] {
            let s = parse(text);
            assert!(s.parsed, "{text}");
            let m = &s.members[0];
            assert_eq!(m.value, Preference::Unknown, "{text}");
            assert_eq!(kinds(&s), ["non_token_value"], "{text}");
        }
        assert_eq!(parse("train-ai").members[0].raw_value, "?1");
        assert_eq!(parse("train-ai=?0").members[0].raw_value, "?0");
    }

    #[test]
    fn string_value_is_unknown() {
        let s = parse("train-ai=\"n\"");
        let m = &s.members[0];
        assert_eq!(m.value, Preference::Unknown);
        assert_eq!(m.raw_value, "\"n\"");
        assert_eq!(
            m.diagnostics,
            [Diagnostic::NonTokenValue {
                label: "train-ai".into(),
                raw: "\"n\"".into()
            }]
        );
        assert_eq!(s.preference("train-ai"), Decision::Unknown);
    }

    #[test]
    fn other_value_types_are_unknown() {
        for (text, raw) in [
            ("train-ai=1", "1"),
            ("train-ai=0.5", "0.5"),
            ("train-ai=:AQ==:", ":AQ==:"),
            ("train-ai=(n y)", "(n y)"),
            ("train-ai=()", "()"),
            ("train-ai=@1700000000", "@1700000000"),
        ] {
            let s = parse(text);
            assert!(s.parsed, "{text}");
            assert_eq!(s.members[0].value, Preference::Unknown, "{text}");
            assert_eq!(s.members[0].raw_value, raw, "{text}");
            assert_eq!(kinds(&s), ["non_token_value"], "{text}");
        }
    }

    #[test]
    fn unknown_token_value_is_unknown() {
        let s = parse("train-ai=no");
        assert_eq!(s.members[0].value, Preference::Unknown);
        assert_eq!(
            s.members[0].diagnostics,
            [Diagnostic::UnknownValueToken {
                label: "train-ai".into(),
                raw: "no".into()
            }]
        );
    }

    #[test]
    fn unknown_label_is_kept() {
        let s = parse("train-ai=n, foo-bar=y");
        let m = s.member("foo-bar").unwrap();
        assert!(!m.known);
        assert!(m.legacy.is_none());
        assert_eq!(m.value, Preference::Allow);
        assert_eq!(kinds(&s), ["unknown_label"]);
        assert_eq!(s.diagnostics()[0].severity(), Severity::Note);
        assert!(!s.is_writable(), "check reports it as ignored");
    }

    #[test]
    fn unknown_exception_grants_nothing() {
        let s = parse("train-ai=n;exceptions=cc-zz");
        let m = &s.members[0];
        assert_eq!(m.value, Preference::Disallow);
        assert!(m.exceptions.is_empty());
        assert_eq!(
            m.diagnostics,
            [Diagnostic::UnknownException {
                label: "train-ai".into(),
                raw: "cc-zz".into()
            }]
        );
        assert_eq!(m.diagnostics[0].severity(), Severity::Error);
        assert_eq!(s.preference("train-ai"), Decision::Disallowed);
        assert!(!s.is_writable());
    }

    #[test]
    fn exception_codes_are_case_sensitive() {
        let s = parse("train-ai=n;exceptions=cc-CR");
        assert!(s.members[0].exceptions.is_empty());
        assert_eq!(kinds(&s), ["unknown_exception"]);
    }

    #[test]
    fn string_exception_is_malformed() {
        let s = parse("train-ai=n;exceptions=\"cc-cr\"");
        let m = &s.members[0];
        assert!(m.exceptions.is_empty());
        assert_eq!(m.value, Preference::Disallow);
        match &m.diagnostics[..] {
            [Diagnostic::MalformedException { label, raw, why }] => {
                assert_eq!(label, "train-ai");
                assert_eq!(raw, "\"cc-cr\"");
                assert!(why.contains("string"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(s.preference("train-ai"), Decision::Disallowed);
    }

    #[test]
    fn string_with_two_codes_is_malformed() {
        let s = parse("train-ai=n;exceptions=\"cc-cr cc-cr-op\"");
        assert!(s.members[0].exceptions.is_empty());
        assert_eq!(kinds(&s), ["malformed_exception"]);
    }

    #[test]
    fn boolean_and_number_exceptions_are_malformed() {
        for text in ["train-ai=n;exceptions", "train-ai=n;exceptions=1"] {
            let s = parse(text);
            assert!(s.members[0].exceptions.is_empty(), "{text}");
            assert_eq!(kinds(&s), ["malformed_exception"], "{text}");
            assert_eq!(s.preference("train-ai"), Decision::Disallowed);
        }
    }

    #[test]
    fn inner_list_exception_is_not_even_a_dictionary() {
        // RFC 9651 parameters hold only bare items, so sfv rejects the whole
        // field: every preference, not just the exception, is lost.
        let s = parse("train-ai=n;exceptions=(cc-cr cc-cr-op), search=y");
        assert!(!s.parsed);
        assert_eq!(kinds(&s), ["parse_failed"]);
        assert_eq!(s.preference("train-ai"), Decision::Unknown);
        assert_eq!(s.preference("search"), Decision::Unknown);
    }

    #[test]
    fn exception_on_y_or_unknown_is_ignored_and_reported() {
        for text in ["search=y;exceptions=cc-cr", "search=maybe;exceptions=cc-cr"] {
            let s = parse(text);
            let m = &s.members[0];
            assert!(m.exceptions.is_empty(), "{text}");
            assert!(kinds(&s).contains(&"exception_on_non_disallow"), "{text}");
        }
        assert_eq!(
            parse("search=y;exceptions=cc-cr").preference("search"),
            Decision::Allowed
        );
    }

    #[test]
    fn unknown_parameter_is_ignored_and_reported() {
        let s = parse("train-ai=n;until=2030;exceptions=cc-cr");
        let m = &s.members[0];
        assert_eq!(m.exceptions, [SignalCode::Cr]);
        assert_eq!(
            m.diagnostics,
            [Diagnostic::UnknownParameter {
                label: "train-ai".into(),
                param: "until".into()
            }]
        );
        assert_eq!(m.diagnostics[0].severity(), Severity::Note);
        assert_eq!(m.parameters.len(), 2);
    }

    #[test]
    fn repeated_exceptions_parameter_keeps_the_last() {
        let s = parse("train-ai=n;exceptions=cc-zz;exceptions=cc-cr-dc");
        assert_eq!(s.members[0].exceptions, [SignalCode::CrDc]);
        assert!(s.diagnostics().is_empty());
    }

    #[test]
    fn ai_use_is_ambiguous_in_draft_07_and_current_in_draft_08() {
        let s = parse("ai-use=n");
        assert_eq!(kinds(&s), ["ambiguous_label"]);
        assert_eq!(s.diagnostics()[0].severity(), Severity::Warning);
        assert!(s.members[0].legacy.is_some());
        assert_eq!(s.preference("train-ai"), Decision::Unknown);
        let s8 = parse_in("ai-use=n", Vocabulary::Draft08);
        assert!(s8.diagnostics().is_empty(), "{:?}", s8.diagnostics());
        assert!(s8.members[0].legacy.is_none());
        assert_eq!(s8.members[0].info().unwrap().drafts, [8]);
        assert_eq!(s8.vocabulary, Vocabulary::Draft08);
        // Other legacy labels stay plain legacy under -08.
        assert_eq!(
            kinds(&parse_in("tdm=n", Vocabulary::Draft08)),
            ["legacy_label"]
        );
    }

    #[test]
    fn legacy_labels_name_their_closest() {
        for (label, closest) in [
            ("tdm", Some("train-ai")),
            ("ai", Some("train-ai")),
            ("genai", Some("train-ai")),
            ("train-genai", Some("train-ai")),
            ("inference", None),
            ("all", None),
            ("bots", None),
            ("ai-output", None),
        ] {
            let s = parse(&format!("{label}=n"));
            let m = &s.members[0];
            assert!(m.known, "{label}");
            assert_eq!(
                m.legacy,
                Some(Legacy {
                    closest: closest.map(str::to_owned)
                }),
                "{label}"
            );
            assert_eq!(
                m.diagnostics,
                [Diagnostic::LegacyLabel {
                    label: label.into(),
                    closest: closest.map(str::to_owned)
                }]
            );
            assert_eq!(m.diagnostics[0].severity(), Severity::Warning);
            // Strictly, a legacy label says nothing about the current one.
            assert_eq!(s.preference("train-ai"), Decision::Unknown);
            assert_eq!(s.preference(label), Decision::Disallowed);
            assert!(!s.is_writable(), "check reports it as legacy");
        }
    }

    #[test]
    fn preference_with_legacy_falls_back_only_when_needed() {
        let s = parse("ai-use=y, tdm=n;exceptions=cc-cr, genai=n");
        assert_eq!(s.preference("train-ai"), Decision::Unknown);
        // tdm's cc-cr exception does not survive genai's plain n.
        assert_eq!(s.preference_with_legacy("train-ai"), Decision::Disallowed);
        let s = parse("tdm=n;exceptions=cc-cr, train-ai=y");
        assert_eq!(s.preference_with_legacy("train-ai"), Decision::Allowed);
        let s = parse("ai-use=n");
        assert_eq!(s.preference_with_legacy("train-ai"), Decision::Unknown);
        let s = parse("ai=n;exceptions=cc-cr");
        assert_eq!(
            s.preference_with_legacy("train-ai"),
            Decision::AllowedIf(vec![SignalCode::Cr])
        );
    }

    #[test]
    fn empty_and_blank_expressions() {
        for text in ["", "   "] {
            let s = parse(text);
            assert!(s.parsed, "{text:?}");
            assert!(s.members.is_empty());
            assert_eq!(kinds(&s), ["empty_expression"]);
            assert_eq!(s.preference("train-ai"), Decision::Unknown);
            assert_eq!(s.to_expression(), "");
        }
        // A tab is not the SP RFC 9651 trims.
        assert!(!parse("\t").parsed);
    }

    #[test]
    fn whitespace_variants() {
        for text in [
            "train-ai=n, search=y",
            "train-ai=n,search=y",
            "  train-ai=n ,   search=y  ",
            "train-ai=n\t,\tsearch=y",
        ] {
            let s = parse(text);
            assert!(s.parsed, "{text:?}");
            assert_eq!(s.preference("train-ai"), Decision::Disallowed, "{text:?}");
            assert_eq!(s.preference("search"), Decision::Allowed, "{text:?}");
            assert_eq!(s.to_expression(), "train-ai=n, search=y");
        }
        // Space after `;` is allowed, before it or around `=` is not.
        assert_eq!(
            parse("train-ai=n;  exceptions=cc-cr").preference("train-ai"),
            Decision::AllowedIf(vec![SignalCode::Cr])
        );
        for bad in [
            "train-ai = n",
            "train-ai =n",
            "train-ai= n",
            "train-ai=n ;exceptions=cc-cr",
        ] {
            assert!(!parse(bad).parsed, "{bad:?}");
        }
        for bad in ["train-ai=n,", "train-ai=n,,search=y", ",train-ai=n"] {
            assert!(!parse(bad).parsed, "{bad:?}");
        }
    }

    #[test]
    fn round_trip_through_to_expression() {
        for text in [
            "train-ai=n;exceptions=cc-cr-op, search=y",
            "train-ai=n, search=y, train-ai=y",
            "tdm=n, foo=?1, bar=\"x\";q=1.5, baz=(a \"b\");p=?0",
            "train-ai=n;exceptions=\"cc-cr\";until=@1700000000",
            "train-ai=n;exceptions=cc-zz",
            "a=:AQID:, b=%\"caf%c3%a9\"",
        ] {
            let first = parse(text);
            assert!(first.parsed, "{text}");
            let canonical = first.to_expression();
            let second = parse(&canonical);
            // Canonical form has no repeats, so only that finding may go away.
            let mut expected = first.members.clone();
            for m in &mut expected {
                m.diagnostics.retain(|d| d.kind() != "duplicate_label");
            }
            assert_eq!(second.members, expected, "{text} -> {canonical}");
            assert_eq!(second.to_expression(), canonical);
        }
        assert_eq!(
            parse("train-ai=n;exceptions=cc-cr,  search=y,train-ai=n").to_expression(),
            "train-ai=n, search=y"
        );
        assert_eq!(parse("foo;bar").to_expression(), "foo;bar");
    }

    #[test]
    fn member_to_expression() {
        let s = parse("search=y, train-ai=n;exceptions=cc-cr;x=\"a\"");
        assert_eq!(s.members[0].to_expression(), "search=y");
        assert_eq!(
            s.members[1].to_expression(),
            "train-ai=n;exceptions=cc-cr;x=\"a\""
        );
        assert_eq!(parse("x").members[0].to_expression(), "x");
        let mut m = s.members[0].clone();
        m.raw_value = "!".into();
        assert_eq!(m.to_expression(), "search=!");
    }

    #[test]
    fn to_expression_skips_members_edited_into_invalid_shape() {
        let mut s = parse("train-ai=n, search=y");
        s.members[1].raw_value = "not valid!".into();
        assert_eq!(s.to_expression(), "train-ai=n");
        s.members[0].label = "Bad".into();
        assert_eq!(s.to_expression(), "");
    }

    #[test]
    fn validate_for_writing_rejects_every_finding() {
        assert!(validate_for_writing("train-ai=n;exceptions=cc-cr").is_ok());
        assert!(validate_for_writing("train-ai=n, search=y").is_ok());
        for flagged in [
            "tdm=n",
            "train-genai=n",
            "ai-use=n",
            "train-ai=maybe",
            "made-up=y",
            "train-ai=n;foo=1",
            "train-ai=y;exceptions=cc-cr",
            "train-ai=n, train-ai=y",
            "",
        ] {
            assert!(validate_for_writing(flagged).is_err(), "{flagged:?}");
        }
        // The vocabulary decides: -08 defines ai-use.
        assert!(validate_for_writing_in("ai-use=n", Vocabulary::Draft08).is_ok());
        assert!(validate_for_writing_in("ai-use=n", Vocabulary::Draft07).is_err());
        let err = validate_for_writing("train-ai=n;exceptions=cc-zz").unwrap_err();
        assert_eq!(err.problems.len(), 1);
        assert!(err.to_string().contains("cc-zz"), "{err}");
        let err = validate_for_writing("Train-AI=n").unwrap_err();
        assert_eq!(err.problems[0].kind(), "parse_failed");
    }

    #[test]
    fn diagnostics_lists_statement_level_then_members() {
        let s = parse("foo=y, train-ai=n;exceptions=cc-zz, tdm=y, train-ai=no");
        assert_eq!(
            kinds(&s),
            [
                "unknown_label",
                "duplicate_label",
                "unknown_value_token",
                "legacy_label"
            ]
        );
        assert_eq!(s.worst_severity(), Some(Severity::Warning));
        assert_eq!(parse("train-ai=n").worst_severity(), None);
    }
}
