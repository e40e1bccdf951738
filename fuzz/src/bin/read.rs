//! The whole read path on bytes, then the audit of what was read.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(signals) = ccsig::read_bytes(data) {
            let _ = ccsig::audit::check(&signals, None);
        }
    });
}
