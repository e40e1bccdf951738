//! Reads from parts of a file: the stream reader (chunks of every size,
//! the length known or not), the ranged reader (fetches that come back
//! whole or short) and the ranged shard reader, each over any bytes. None
//! may panic or loop, and each ends with an answer.

use ccsig::ranged::{RangedRead, RangedShardRead, ShardStep, Step};
use ccsig::stream::StreamRead;
use ccsig::ReadOptions;

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let Some((&knob, file)) = data.split_first() else {
            return;
        };
        let chunk = 1 + (knob as usize % 64) * 97;
        let size = (knob & 1 == 0).then_some(file.len() as u64);
        let mut stream = StreamRead::new(size, ReadOptions::default());
        for piece in file.chunks(chunk) {
            match stream.skippable() {
                0 => {
                    stream.feed(piece);
                }
                n => stream.skip(n.min(piece.len() as u64)),
            }
        }
        let _ = stream.finish();

        let mut ranged = RangedRead::new(size, ReadOptions::default());
        for _ in 0..10_000 {
            match ranged.step() {
                Step::Fetch(ranges) => {
                    for r in ranges {
                        let end = (r.end as usize).min(file.len());
                        let start = (r.start as usize).min(end);
                        let got = &file[start..end];
                        // A short fetch now and then, as a server may answer.
                        let got = if knob & 2 == 0 {
                            got
                        } else {
                            &got[..got.len().div_ceil(2)]
                        };
                        ranged.feed_asked(r.start, r.end - r.start, got);
                    }
                }
                Step::Done(_) => break,
            }
        }

        let mut shard = RangedShardRead::new(file.len() as u64, ReadOptions::default());
        for _ in 0..10_000 {
            match shard.step() {
                ShardStep::Fetch(ranges) => {
                    for r in ranges {
                        let end = (r.end as usize).min(file.len());
                        let start = (r.start as usize).min(end);
                        shard.feed(r.start, &file[start..end]);
                    }
                }
                ShardStep::Done(_) => break,
            }
            let _ = shard.take_members();
        }
    });
}
