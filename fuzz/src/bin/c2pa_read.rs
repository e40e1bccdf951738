//! The read path as it meets Content Credentials: seeded with signed files,
//! `read_bytes` scans the container, keeps a store whose CBOR claims more
//! than it holds from the `c2pa` crate (`mapping::c2pa::cbor_bomb`), and
//! has the crate read and validate the rest. A panic inside the crate is
//! caught by ccsig at its boundary (an error, not a crash), so this target
//! installs no panic hook of its own: what AFL++ records is what ccsig lets
//! through (an abort, a stack overflow, a panic outside the guard, an input
//! that takes over a second or 2 GiB).

use ccsig::signal::Vocabulary;

fn main() {
    afl::fuzz_nohook!(|data: &[u8]| {
        if let Ok(signals) = ccsig::read_bytes_in(data, Vocabulary::Draft08) {
            let _ = ccsig::audit::check(&signals, None);
        }
    });
}
