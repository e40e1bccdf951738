//! The expression parser: any text parses to a statement (with
//! diagnostics), and a statement fit to write prints back to an expression
//! that parses to the same preferences.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let statement = ccsig::signal::parse(text);
        let _ = statement.diagnostics();
        let _ = statement.worst_severity();
        if let Ok(valid) = ccsig::signal::validate_for_writing(text) {
            let again = ccsig::signal::parse(&valid.to_expression());
            for label in ["train-ai", "train-genai", "search", "ai-use"] {
                assert_eq!(valid.preference(label), again.preference(label), "{label}");
            }
        }
    });
}
