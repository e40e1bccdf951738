//! The XMP mapping: reading the fields of a packet, merging a tag into it
//! and removing ccsig's fields again. A packet that reads must take the
//! tag, and the merged packet must read back with the tag's expression.

use ccsig::internals::mapping::{xmp, Tag};
use ccsig::SignalCode;

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = xmp::remove(data);
        if xmp::read_fields(data).is_err() {
            return;
        }
        let tag = Tag {
            expression: "train-ai=n;exceptions=cc-cr".into(),
            signal: Some(SignalCode::Cr),
            credit_name: Some("Ada Example".into()),
            credit_url: Some("https://example.org/ada".into()),
            replaced_special_instructions: None,
        };
        if let Ok(merged) = xmp::apply(Some(data), &tag) {
            let fields = xmp::read_fields(merged.as_bytes()).expect("merged packet reads");
            assert_eq!(fields.expression.as_deref(), Some(tag.expression.as_str()));
        }
    });
}
