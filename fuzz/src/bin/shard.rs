//! The tar shard reader: every member of any archive is handed over once
//! (read, skipped or unreadable) or the archive fails with a typed error.

use std::ops::ControlFlow;

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = ccsig::shard::read_members(
            data,
            |_| None,
            |member| {
                let _ = member.name.len();
                ControlFlow::Continue(())
            },
        );
    });
}
