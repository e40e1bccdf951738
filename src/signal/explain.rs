//! Words for people: what a statement means, as JSON or as terminal text.
//!
//! The JSON shape of [`Explanation`] is a documented contract read by
//! pipelines: field names and value spellings must not change casually.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::decision::Decision;
use super::diagnostic::{Diagnostic, Severity};
use super::expression::{Member, Preference, Statement};
use super::vocabulary::SignalCode;

/// A statement explained, member by member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// The text as given.
    pub expression: String,
    /// It is a valid RFC 9651 dictionary.
    pub parsed: bool,
    /// The parser's reason when it is not.
    pub parse_error: Option<String>,
    /// One entry per effective member, in dictionary order.
    pub members: Vec<MemberExplanation>,
    /// Every finding, statement-level first.
    pub diagnostics: Vec<DiagnosticExplanation>,
    /// One paragraph for the whole statement.
    pub summary: String,
}

/// One member explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberExplanation {
    /// The label as written.
    pub label: String,
    /// `"y"`, `"n"` or `"unknown"`.
    pub value: Preference,
    /// The value as serialized, without parameters.
    pub raw_value: String,
    /// Some draft defines the label.
    pub known: bool,
    /// The label is from an earlier draft only.
    pub legacy: bool,
    /// For a legacy label, the closest current label, if any.
    pub closest_current_label: Option<String>,
    /// The CC signals granted as exceptions.
    pub exceptions: Vec<SignalCode>,
    /// The member's decision, in the words `read` and `decide` use:
    /// `allowed`, `disallowed`, `allowed-with-terms` or `unknown`.
    #[serde(default)]
    pub decision: String,
    /// A sentence saying what the member means.
    pub meaning: String,
}

/// One finding explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnosticExplanation {
    /// `"error"`, `"warning"` or `"note"`.
    pub severity: Severity,
    /// The diagnostic's snake_case kind, e.g. `"legacy_label"`.
    pub kind: String,
    /// The label concerned; `null` for the whole expression.
    pub label: Option<String>,
    /// A sentence a person understands.
    pub message: String,
}

impl From<&Diagnostic> for DiagnosticExplanation {
    fn from(d: &Diagnostic) -> Self {
        DiagnosticExplanation {
            severity: d.severity(),
            kind: d.kind().to_owned(),
            label: d.label().map(str::to_owned),
            message: d.to_string(),
        }
    }
}

/// Explains a statement: each member's meaning, every finding as a
/// sentence, and a summary (what `ccsig explain --format json` prints).
///
/// ```
/// use ccsig::signal::{explain, parse};
/// let explanation = explain(&parse("train-ai=n;exceptions=cc-cr, train-genai=n"));
/// assert_eq!(explanation.members.len(), 2);
/// assert!(explanation.members[1].legacy);
/// assert_eq!(explanation.diagnostics[0].kind, "legacy_label");
/// let json = serde_json::to_value(&explanation).unwrap();
/// assert_eq!(json["members"][0]["exceptions"][0], "cc-cr");
/// ```
pub fn explain(statement: &Statement) -> Explanation {
    Explanation {
        expression: statement.expression.clone(),
        parsed: statement.parsed,
        parse_error: statement.parse_error.clone(),
        members: statement.members.iter().map(explain_member).collect(),
        diagnostics: statement
            .diagnostics()
            .into_iter()
            .map(DiagnosticExplanation::from)
            .collect(),
        summary: summary(statement),
    }
}

/// Explains a statement as multi-line text for a terminal.
///
/// ```
/// let text = ccsig::signal::explain_text(&ccsig::signal::parse("train-ai=n"));
/// assert!(text.starts_with("Expression: train-ai=n\n"));
/// ```
pub fn explain_text(statement: &Statement) -> String {
    explain(statement).to_text()
}

/// One member as expression text, e.g. `train-ai=n;exceptions=cc-cr`.
///
/// ```
/// let statement = ccsig::signal::parse("search=y, train-ai=n;exceptions=cc-cr");
/// assert_eq!(ccsig::signal::explain::member_expression(&statement.members[1]), "train-ai=n;exceptions=cc-cr");
/// ```
pub fn member_expression(member: &Member) -> String {
    member.to_expression()
}

/// Plain sentences for what the statement decides about the current
/// categories, e.g. "AI training is not allowed unless ... Search is allowed.";
/// empty when it decides nothing about them. For human-readable mirrors.
///
/// ```
/// use ccsig::signal::{explain::sentence, parse};
/// assert_eq!(sentence(&parse("search=y")), "Search is allowed.");
/// assert_eq!(sentence(&parse("made-up=y")), "");
/// ```
pub fn sentence(statement: &Statement) -> String {
    statement
        .vocabulary
        .label_infos()
        .filter_map(|info| match statement.preference(info.label) {
            Decision::Unknown => None,
            d => Some(format!("{} is {}.", info.use_name, decision_phrase(&d))),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn explain_member(member: &Member) -> MemberExplanation {
    let closest = member.legacy.as_ref().and_then(|l| l.closest.clone());
    MemberExplanation {
        label: member.label.clone(),
        value: member.value,
        raw_value: member.raw_value.clone(),
        known: member.known,
        legacy: member.legacy.is_some(),
        closest_current_label: closest,
        exceptions: member.exceptions.clone(),
        decision: member.decision().as_str().to_string(),
        meaning: meaning(member),
    }
}

fn signal_terms(code: SignalCode) -> String {
    format!(
        "CC signal {} ({}): {}",
        code.code(),
        code.name(),
        code.obligation()
    )
}

fn meaning(member: &Member) -> String {
    let Some(info) = member.info() else {
        return format!(
            "`{}` is not a category any AIPREF draft defines, so readers ignore it.",
            member.label
        );
    };
    let use_name = info.use_name;
    let mut text = match (member.value, member.exceptions.as_slice()) {
        (Preference::Allow, _) => format!("{use_name} is allowed."),
        (Preference::Disallow, []) => format!("{use_name} is not allowed."),
        (Preference::Disallow, [one]) => {
            format!(
                "{use_name} is not allowed, except under {}",
                signal_terms(*one)
            )
        }
        (Preference::Disallow, several) => {
            let terms: Vec<_> = several.iter().map(|c| signal_terms(*c)).collect();
            format!(
                "{use_name} is not allowed, except under one of these: {}",
                terms.join(" Or ")
            )
        }
        (Preference::Unknown, _) => format!(
            "No usable preference for `{}`: the value `{}` is not y or n, so it counts as unknown.",
            member.label, member.raw_value
        ),
    };
    if member.legacy.is_some() {
        let _ = write!(
            text,
            " This is a legacy label (draft-ietf-aipref-vocab {}) that current readers ignore; ",
            info.drafts_text()
        );
        let closest = member.legacy.as_ref().and_then(|l| l.closest.as_deref());
        match (closest, info.no_closest_reason) {
            (Some(c), _) => {
                let _ = write!(text, "the closest current label is `{c}`.");
            }
            (None, reason) => {
                let _ = write!(
                    text,
                    "no current label replaces it: {}.",
                    reason.unwrap_or("none corresponds")
                );
            }
        }
    }
    text
}

fn decision_phrase(decision: &Decision) -> String {
    match decision {
        Decision::Allowed => "allowed".to_owned(),
        Decision::Disallowed => "not allowed".to_owned(),
        Decision::AllowedIf(signals) => {
            let terms: Vec<_> = signals
                .iter()
                .map(|c| format!("{} ({})", c.code(), c.name()))
                .collect();
            format!(
                "not allowed unless the AI developer meets the terms of {}",
                terms.join(" or ")
            )
        }
        Decision::Unknown => "no preference stated".to_owned(),
    }
}

fn summary(statement: &Statement) -> String {
    if !statement.parsed {
        return format!(
            "The expression could not be parsed ({}), so it states no usable preference: \
             every category is unknown.",
            statement.parse_error.as_deref().unwrap_or("unknown reason")
        );
    }
    if statement.members.is_empty() {
        return "The expression is empty, so it states no preferences: every category is \
                unknown."
            .to_owned();
    }
    let mut parts: Vec<String> = statement
        .vocabulary
        .label_infos()
        .map(|info| {
            format!(
                "{} (`{}`): {}.",
                info.use_name,
                info.label,
                decision_phrase(&statement.preference(info.label))
            )
        })
        .collect();

    let legacy: Vec<String> = statement
        .members
        .iter()
        .filter_map(|m| {
            let l = m.legacy.as_ref()?;
            Some(match &l.closest {
                Some(c) => format!("`{}` (closest current label `{c}`)", m.label),
                None => format!("`{}` (no current equivalent)", m.label),
            })
        })
        .collect();
    if !legacy.is_empty() {
        parts.push(format!(
            "Legacy labels that current readers ignore: {}.",
            legacy.join(", ")
        ));
    }
    let unknown: Vec<String> = statement
        .members
        .iter()
        .filter(|m| !m.known)
        .map(|m| format!("`{}`", m.label))
        .collect();
    if !unknown.is_empty() {
        parts.push(format!(
            "Labels no AIPREF draft defines, ignored: {}.",
            unknown.join(", ")
        ));
    }

    let diagnostics = statement.diagnostics();
    let count = |sev: Severity| diagnostics.iter().filter(|d| d.severity() == sev).count();
    let counts: Vec<String> = [
        (count(Severity::Error), "error", "errors"),
        (count(Severity::Warning), "warning", "warnings"),
        (count(Severity::Note), "note", "notes"),
    ]
    .into_iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|(n, one, many)| format!("{n} {}", if n == 1 { one } else { many }))
    .collect();
    if counts.is_empty() {
        parts.push("No problems found.".to_owned());
    } else {
        parts.push(format!("Findings: {}.", counts.join(", ")));
    }
    parts.join(" ")
}

impl Explanation {
    /// Multi-line text for a terminal.
    ///
    /// ```
    /// use ccsig::signal::{explain, parse};
    /// let text = explain(&parse("train-ai=n;;")).to_text();
    /// assert!(text.contains("Parsed:     no ("), "{text}");
    /// ```
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Expression: {}", self.expression);
        match &self.parse_error {
            Some(reason) if !self.parsed => {
                let _ = writeln!(out, "Parsed:     no ({reason})");
            }
            _ => {
                let _ = writeln!(out, "Parsed:     yes");
            }
        }
        if !self.members.is_empty() {
            let _ = writeln!(out, "Members:");
            for m in &self.members {
                let mut tag = String::new();
                if !m.known {
                    tag.push_str("  [unknown label]");
                } else if m.legacy {
                    tag.push_str("  [legacy]");
                }
                let _ = writeln!(
                    out,
                    "  {} = {}  ({}){tag}",
                    m.label, m.raw_value, m.decision
                );
                let _ = writeln!(out, "      {}", m.meaning);
            }
        }
        if !self.diagnostics.is_empty() {
            let _ = writeln!(out, "Findings:");
            for d in &self.diagnostics {
                let _ = writeln!(out, "  {:<7} {}", d.severity.as_str(), d.message);
            }
        }
        let _ = writeln!(out, "Summary:");
        let _ = writeln!(out, "  {}", self.summary);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::expression::parse;
    use serde_json::{json, Value};

    fn keys(v: &Value) -> Vec<&str> {
        let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        k.sort_unstable();
        k
    }

    #[test]
    fn json_shape_is_the_contract() {
        let s = parse("train-ai=n;exceptions=cc-cr-op, tdm=y");
        let v = serde_json::to_value(explain(&s)).unwrap();
        assert_eq!(
            keys(&v),
            [
                "diagnostics",
                "expression",
                "members",
                "parse_error",
                "parsed",
                "summary"
            ]
        );
        assert_eq!(v["expression"], "train-ai=n;exceptions=cc-cr-op, tdm=y");
        assert_eq!(v["members"][0]["decision"], "allowed-with-terms");
        assert_eq!(v["members"][1]["decision"], "allowed");
        assert_eq!(v["parsed"], true);
        assert_eq!(v["parse_error"], Value::Null);

        let m0 = &v["members"][0];
        assert_eq!(
            keys(m0),
            [
                "closest_current_label",
                "decision",
                "exceptions",
                "known",
                "label",
                "legacy",
                "meaning",
                "raw_value",
                "value"
            ]
        );
        assert_eq!(m0["label"], "train-ai");
        assert_eq!(m0["value"], "n");
        assert_eq!(m0["raw_value"], "n");
        assert_eq!(m0["known"], true);
        assert_eq!(m0["legacy"], false);
        assert_eq!(m0["closest_current_label"], Value::Null);
        assert_eq!(m0["exceptions"], json!(["cc-cr-op"]));
        let meaning = m0["meaning"].as_str().unwrap();
        assert!(
            meaning.starts_with(
                "AI training is not allowed, except under CC signal cc-cr-op (Credit + Open): "
            ),
            "{meaning}"
        );

        let m1 = &v["members"][1];
        assert_eq!(m1["value"], "y");
        assert_eq!(m1["legacy"], true);
        assert_eq!(m1["closest_current_label"], "train-ai");

        let d = &v["diagnostics"][0];
        assert_eq!(keys(d), ["kind", "label", "message", "severity"]);
        assert_eq!(d["severity"], "warning");
        assert_eq!(d["kind"], "legacy_label");
        assert_eq!(d["label"], "tdm");
        assert!(v["summary"].as_str().unwrap().contains("`tdm`"));
    }

    #[test]
    fn json_for_unparsed_and_unknown_values() {
        let v = serde_json::to_value(explain(&parse("Train-AI=n"))).unwrap();
        assert_eq!(v["parsed"], false);
        assert!(v["parse_error"].is_string());
        assert_eq!(v["members"], json!([]));
        assert_eq!(v["diagnostics"][0]["kind"], "parse_failed");
        assert_eq!(v["diagnostics"][0]["severity"], "error");
        assert_eq!(v["diagnostics"][0]["label"], Value::Null);
        assert!(v["summary"]
            .as_str()
            .unwrap()
            .contains("every category is unknown"));

        let v = serde_json::to_value(explain(&parse("train-ai=?1"))).unwrap();
        assert_eq!(v["members"][0]["value"], "unknown");
        assert_eq!(v["members"][0]["raw_value"], "?1");
    }

    #[test]
    fn explanation_round_trips_through_json() {
        let e = explain(&parse("train-ai=n;exceptions=cc-cr, search=y, foo=1"));
        let back: Explanation = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn meanings() {
        let e = explain(&parse(
            "search=y, train-ai=n, foo=y, bots=n, train-ai=n;exceptions=cc-cr-dc",
        ));
        let by = |l: &str| {
            e.members
                .iter()
                .find(|m| m.label == l)
                .unwrap()
                .meaning
                .clone()
        };
        assert_eq!(by("search"), "Search is allowed.");
        assert!(by("train-ai").contains("Credit + Direct Contribution"));
        assert!(by("train-ai").contains("proportion"));
        assert!(by("foo").contains("not a category"));
        assert!(by("bots").contains("legacy"));
        assert!(by("bots").contains("no current label replaces it"));
        assert_eq!(
            explain(&parse("train-ai=n")).members[0].meaning,
            "AI training is not allowed."
        );
    }

    #[test]
    fn summary_covers_current_labels_and_counts() {
        let e = explain(&parse("train-ai=n;exceptions=cc-cr"));
        assert!(
            e.summary.contains(
                "AI training (`train-ai`): not allowed unless the AI developer meets the terms \
                 of cc-cr (Credit)."
            ),
            "{}",
            e.summary
        );
        assert!(e
            .summary
            .contains("Search (`search`): no preference stated."));
        assert!(e.summary.ends_with("No problems found."));

        let e = explain(&parse("train-ai=n;exceptions=cc-zz, ai=y, foo=y"));
        assert!(
            e.summary.contains("Findings: 1 error, 1 warning, 1 note."),
            "{}",
            e.summary
        );
        assert!(e.summary.contains("AI training (`train-ai`): not allowed."));

        let e = explain(&parse(""));
        assert!(e.summary.contains("empty"));
    }

    #[test]
    fn sentence_covers_only_stated_current_categories() {
        assert_eq!(
            sentence(&parse("train-ai=n;exceptions=cc-cr-op, search=y")),
            "AI training is not allowed unless the AI developer meets the terms of cc-cr-op \
             (Credit + Open). Search is allowed."
        );
        assert_eq!(sentence(&parse("search=n")), "Search is not allowed.");
        assert_eq!(sentence(&parse("tdm=n, foo=y")), "");
        assert_eq!(sentence(&parse("Bad")), "");
    }

    #[test]
    fn member_expression_serializes_one_member() {
        let s = parse("search=y,  train-ai=n;exceptions=cc-cr-ec");
        assert_eq!(
            member_expression(&s.members[1]),
            "train-ai=n;exceptions=cc-cr-ec"
        );
    }

    #[test]
    fn text_form_is_readable() {
        let text = explain_text(&parse("train-ai=n;exceptions=cc-cr-op, genai=n, x=y"));
        assert!(text.starts_with("Expression: train-ai=n;exceptions=cc-cr-op, genai=n, x=y\n"));
        assert!(text.contains("Parsed:     yes"));
        assert!(text.contains("  train-ai = n  (allowed-with-terms)\n"));
        assert!(text.contains("  genai = n  (disallowed)  [legacy]"));
        assert!(text.contains("  x = y  (allowed)  [unknown label]"));
        assert!(text.contains("warning"));
        assert!(text.contains("Summary:"));
        assert!(text.lines().count() >= 10, "{text}");

        let text = explain_text(&parse("train-ai=n,"));
        assert!(text.contains("Parsed:     no (trailing comma"), "{text}");
    }
}
