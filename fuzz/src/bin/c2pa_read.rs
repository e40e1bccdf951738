//! The Content Credentials read path on its own: the `c2pa` crate reading
//! and validating a manifest store, then each entry's meaning. A panic
//! inside the crate is caught by ccsig at its boundary (an error, not a
//! crash), so this target installs no panic hook of its own: what AFL++
//! records is a crash ccsig lets through (an abort, a stack overflow, a
//! panic outside the guard).

use std::io::Cursor;

use ccsig::internals::mapping::c2pa;
use ccsig::signal::Vocabulary;

fn main() {
    afl::fuzz_nohook!(|data: &[u8]| {
        let mime = if data.starts_with(&[0xff, 0xd8]) {
            "image/jpeg"
        } else if data.starts_with(b"\x89PNG") {
            "image/png"
        } else {
            "image/webp"
        };
        if let Ok(credentials) = c2pa::read(Cursor::new(data), mime, None) {
            for entry in &credentials.entries {
                let _ = c2pa::meaning(entry, credentials.allowed_counts(), Vocabulary::Draft08);
            }
        }
    });
}
