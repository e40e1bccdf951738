//! `plus:OtherConstraints`: the human-readable terms that
//! `DMI-PROHIBITED-SEECONSTRAINT` points to. ccsig writes a sentence and the
//! expression after a `Content-Usage:` marker, and recognises an expression
//! in text written by people or other tools.

use crate::signal::{self, Statement};

/// Marker that introduces a machine-readable expression inside free text.
/// Named after the HTTP header that carries the same expressions.
pub const MARKER: &str = "Content-Usage:";

/// The `x-default` text ccsig writes for an expression.
pub fn text_for(statement: &Statement, expression: &str) -> String {
    let sentence = signal::explain::sentence(statement);
    if sentence.is_empty() {
        format!("{MARKER} {expression}")
    } else {
        format!("{sentence} {MARKER} {expression}")
    }
}

/// Finds an expression in a constraints text: the rest of the line after
/// the marker, or the whole text when it parses as a dictionary with at
/// least one label that some draft defines. Prose gives `None`.
pub fn find_expression(text: &str) -> Option<String> {
    if let Some(at) = text.find(MARKER) {
        let rest = &text[at + MARKER.len()..];
        let line = rest.lines().next().unwrap_or("").trim();
        return Some(line.to_string());
    }
    let whole = text.trim();
    if whole.is_empty() {
        return None;
    }
    let statement = signal::parse(whole);
    let speaks_vocabulary = statement.parsed
        && statement
            .members
            .iter()
            .any(|m| signal::vocabulary::lookup(&m.label).is_some());
    speaks_vocabulary.then(|| whole.to_string())
}

/// The `x-default` text to write: the lines someone else wrote are kept,
/// earlier expression lines (ccsig's or anyone's) give way to the new one.
pub fn merge_text(existing: Option<&str>, ours: &str) -> String {
    // Text before a marker on the same line is someone's prose: kept.
    let mut lines: Vec<&str> = existing
        .unwrap_or("")
        .lines()
        .map(|l| match l.find(MARKER) {
            Some(_) if is_ccsig_line(l) => "",
            Some(at) => l[..at].trim_end(),
            None => l,
        })
        .filter(|l| !l.trim().is_empty())
        .collect();
    lines.push(ours);
    lines.join("\n")
}

/// Whether a line is one ccsig wrote (for whatever expression).
fn is_ccsig_line(line: &str) -> bool {
    let Some(at) = line.find(MARKER) else {
        return false;
    };
    let expression = line[at + MARKER.len()..].trim();
    line.trim() == text_for(&signal::parse(expression), expression)
}

/// Whether a constraints text holds exactly the line ccsig wrote.
pub fn holds_line(existing: &str, ours: &str) -> bool {
    existing.lines().any(|l| l.trim() == ours)
}

/// The text without ccsig's line; `None` when nothing else is left.
pub fn without_line(existing: &str, ours: &str) -> Option<String> {
    let kept: Vec<&str> = existing
        .lines()
        .filter(|l| l.trim() != ours && !l.trim().is_empty())
        .collect();
    (!kept.is_empty()).then(|| kept.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_text_yields_the_expression_even_when_it_does_not_parse() {
        assert_eq!(
            find_expression("Credit me. Content-Usage: train-ai=n;exceptions=cc-cr\nmore"),
            Some("train-ai=n;exceptions=cc-cr".into())
        );
        assert_eq!(
            find_expression("Content-Usage: Train-AI=n"),
            Some("Train-AI=n".into())
        );
    }

    #[test]
    fn bare_expressions_are_recognised_and_prose_is_not() {
        assert_eq!(
            find_expression(" train-ai=n, search=y "),
            Some("train-ai=n, search=y".into())
        );
        assert_eq!(find_expression("No use without permission."), None);
        assert_eq!(find_expression("foo=bar"), None, "no vocabulary label");
        assert_eq!(find_expression(""), None);
    }

    #[test]
    fn prose_written_by_others_is_kept_around_our_line() {
        let ours = "AI training is not allowed. Content-Usage: train-ai=n";
        let merged = merge_text(Some("Editorial use only.\nContent-Usage: tdm=n"), ours);
        assert_eq!(merged, format!("Editorial use only.\n{ours}"));
        let same_line = merge_text(Some("Credit me. Content-Usage: tdm=n"), ours);
        assert_eq!(same_line, format!("Credit me.\n{ours}"));
        assert!(holds_line(&merged, ours));
        assert_eq!(
            without_line(&merged, ours),
            Some("Editorial use only.".into())
        );
        assert_eq!(without_line(ours, ours), None);
        assert_eq!(merge_text(None, ours), ours);
    }

    #[test]
    fn written_text_round_trips() {
        let expr = "train-ai=n;exceptions=cc-cr-op";
        let text = text_for(&signal::parse(expr), expr);
        assert!(text.ends_with("Content-Usage: train-ai=n;exceptions=cc-cr-op"));
        assert!(
            text.len() > MARKER.len() + expr.len() + 10,
            "has a sentence: {text}"
        );
        assert_eq!(find_expression(&text), Some(expr.to_string()));
    }
}
