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

/// Rewrites a text line by line. `keep` gets each line without its break
/// and says what to keep of it (`None`: drop the line). Every kept byte,
/// carriage returns and blank lines included, stays as it was. A dropped
/// last line takes the line break before it, which is the one
/// [`merge_text`] put there.
fn rewrite_lines<'a>(text: &'a str, mut keep: impl FnMut(&'a str) -> Option<&'a str>) -> String {
    let mut out = String::with_capacity(text.len());
    for piece in text.split_inclusive('\n') {
        let (line, end) = match piece.strip_suffix('\n') {
            Some(line) => (line, "\n"),
            None => (piece, ""),
        };
        let (line, cr) = match line.strip_suffix('\r') {
            Some(line) => (line, "\r"),
            None => (line, ""),
        };
        match keep(line) {
            Some(kept) => {
                out.push_str(kept);
                out.push_str(cr);
                out.push_str(end);
            }
            None if end.is_empty() && out.ends_with('\n') => {
                out.pop();
            }
            None => {}
        }
    }
    out
}

/// The `x-default` text to write: the text someone else wrote is kept
/// byte for byte, ccsig's line goes after it on a line of its own; earlier
/// expression lines (ccsig's or anyone's) give way to the new one, but
/// prose before a marker on its line is kept.
pub fn merge_text(existing: Option<&str>, ours: &str) -> String {
    let kept = rewrite_lines(existing.unwrap_or(""), |line| match line.find(MARKER) {
        Some(_) if is_ccsig_line(line) => None,
        Some(at) => Some(line[..at].trim_end()).filter(|prose| !prose.trim().is_empty()),
        None => Some(line),
    });
    if kept.is_empty() {
        ours.to_string()
    } else {
        format!("{kept}\n{ours}")
    }
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

/// The text without ccsig's line (the inverse of [`merge_text`], byte for
/// byte); `None` when nothing else is left.
pub fn without_line(existing: &str, ours: &str) -> Option<String> {
    let kept = rewrite_lines(existing, |line| (line.trim() != ours).then_some(line));
    (!kept.is_empty()).then_some(kept)
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
    fn merge_and_removal_keep_every_other_byte() {
        let ours = "AI training is not allowed. Content-Usage: train-ai=n";
        for theirs in ["A\r\n\r\nB", "A\n", "\n\nA\n\n", " A ", "A\rB"] {
            let merged = merge_text(Some(theirs), ours);
            assert_eq!(merged, format!("{theirs}\n{ours}"));
            assert_eq!(without_line(&merged, ours).as_deref(), Some(theirs));
            // Applying again (or another expression) does not pile up.
            assert_eq!(merge_text(Some(&merged), ours), merged);
        }
        // ccsig's line in the middle goes with its line break only.
        assert_eq!(
            without_line(&format!("A\r\n{ours}\r\nB"), ours).as_deref(),
            Some("A\r\nB")
        );
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
