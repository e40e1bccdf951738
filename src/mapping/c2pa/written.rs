//! What ccsig states in the training-and-data-mining assertion of the
//! manifests it signs: the way back from a content-usage expression to
//! CAWG entries (`docs/mapping.md`, "C2PA Content Credentials"), chosen so
//! that [`super::meaning`] reads each entry back as the member it came
//! from.

use super::Entry;
use crate::signal::{self, Preference};

/// The label of the assertion ccsig writes (CAWG v1.1's).
pub const WRITTEN_LABEL: &str = "cawg.training-mining";

/// The entry keys that speak for a category: `train-ai` is all AI training
/// and so also generative training (which Adobe's readers look at);
/// draft-08's `ai-use` is inference. Other categories have no entry.
fn keys_for(label: &str) -> &'static [&'static str] {
    match label {
        "train-ai" => &["cawg.ai_training", "cawg.ai_generative_training"],
        "ai-use" => &["cawg.ai_inference"],
        _ => &[],
    }
}

/// The entries that state `expression` in a signed manifest: per member
/// with an entry key, `n` is `notAllowed`, `y` is `allowed`, and `n` with
/// CC signal exceptions is `constrained`, its `constraint_info` holding the
/// member after `Content-Usage:` and, a line each, every signal's name and
/// the URL of its definition. Members without a `y` or `n`, or about a
/// category no entry speaks for, give none.
///
/// ```
/// use ccsig::internals::mapping::c2pa::entries_for;
/// let entries = entries_for("train-ai=n;exceptions=cc-cr, search=y");
/// let keys: Vec<_> = entries.iter().map(|e| e.key.as_str()).collect();
/// assert_eq!(keys, ["cawg.ai_training", "cawg.ai_generative_training"]);
/// assert_eq!(entries[0].use_value, "constrained");
/// let info = entries[0].constraint_info.as_deref().unwrap();
/// assert!(info.starts_with("Content-Usage: train-ai=n;exceptions=cc-cr\nCC signal Credit (cc-cr): https://"));
/// assert_eq!(entries_for("train-ai=y")[1].use_value, "allowed");
/// assert!(entries_for("search=n").is_empty());
/// ```
pub fn entries_for(expression: &str) -> Vec<Entry> {
    let statement = signal::parse(expression);
    let mut entries = Vec::new();
    for member in &statement.members {
        let (use_value, constraint_info) = match (member.value, member.exceptions.is_empty()) {
            (Preference::Allow, _) => ("allowed", None),
            (Preference::Disallow, true) => ("notAllowed", None),
            (Preference::Disallow, false) => {
                let mut info = format!(
                    "{} {}",
                    crate::mapping::constraints::MARKER,
                    member.to_expression()
                );
                for code in &member.exceptions {
                    info.push_str(&format!(
                        "\nCC signal {} ({}): {}",
                        code.name(),
                        code.code(),
                        code.definition()
                    ));
                }
                ("constrained", Some(info))
            }
            (Preference::Unknown, _) => continue,
        };
        for key in keys_for(&member.label) {
            entries.push(Entry {
                assertion: WRITTEN_LABEL.to_string(),
                key: key.to_string(),
                use_value: use_value.to_string(),
                constraint_info: constraint_info.clone(),
            });
        }
    }
    entries
}

/// The assertion's JSON (`{"entries": {key: {"use": ..., "constraint_info":
/// ...}}}`), or `None` when there are no entries.
#[cfg_attr(not(feature = "c2pa"), allow(dead_code))]
pub(super) fn assertion_json(entries: &[Entry]) -> Option<serde_json::Value> {
    if entries.is_empty() {
        return None;
    }
    let mut map = serde_json::Map::new();
    for entry in entries {
        let mut value = serde_json::json!({ "use": entry.use_value });
        if let Some(info) = &entry.constraint_info {
            value["constraint_info"] = info.clone().into();
        }
        map.insert(entry.key.clone(), value);
    }
    Some(serde_json::json!({ "entries": map }))
}

/// Whether two lists hold the same entries, in any order (a map's keys
/// may come back in another order from CBOR).
pub(crate) fn same_entries(a: &[Entry], b: &[Entry]) -> bool {
    let key = |e: &&Entry| (e.assertion.clone(), e.key.clone());
    let mut a: Vec<&Entry> = a.iter().collect();
    let mut b: Vec<&Entry> = b.iter().collect();
    a.sort_by_key(key);
    b.sort_by_key(key);
    a == b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::c2pa::{meaning, Meaning};
    use crate::signal::Vocabulary;

    #[test]
    fn every_entry_reads_back_as_the_member_it_came_from() {
        for expression in [
            "train-ai=n",
            "train-ai=y",
            "train-ai=n;exceptions=cc-cr",
            "train-ai=n;exceptions=cc-cr-dc",
        ] {
            let entries = entries_for(expression);
            assert_eq!(entries.len(), 2, "{expression}");
            for entry in &entries {
                assert_eq!(
                    meaning(entry, true, Vocabulary::Draft08),
                    Meaning::States(signal::parse(expression).members[0].to_expression()),
                    "{expression} {entry:?}"
                );
            }
        }
        let inference = entries_for("ai-use=n");
        assert_eq!(inference[0].key, "cawg.ai_inference");
        assert_eq!(
            meaning(&inference[0], true, Vocabulary::Draft08),
            Meaning::States("ai-use=n".into())
        );
    }

    #[test]
    fn the_json_holds_each_entry_and_nothing_for_none() {
        let json = assertion_json(&entries_for("train-ai=n;exceptions=cc-cr-ec")).unwrap();
        let entry = &json["entries"]["cawg.ai_training"];
        assert_eq!(entry["use"], "constrained");
        assert!(entry["constraint_info"]
            .as_str()
            .unwrap()
            .contains("Credit + Ecosystem Contribution (cc-cr-ec)"));
        assert!(assertion_json(&entries_for("search=y")).is_none());
    }
}
