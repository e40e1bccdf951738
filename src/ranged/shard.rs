//! A WebDataset tar shard read from ranges of its bytes: member headers,
//! and of each image member only what its read needs (a JPEG's head and
//! its last bytes); the bodies are never fetched. Each member's answer is
//! the one [`crate::shard::read_members_as`] gives it in a pass over the
//! whole shard.
//!
//! Member headers chain one to the next (a header says how long its
//! member is, and the next header follows), so a shard costs at least a
//! round trip per member: the end of one member and the next header come
//! in one fetch, and a member's head with its header. Streaming the shard
//! ([`crate::shard::MemberRead::Signals`]) reads every byte once, in
//! order, and is the better choice where bytes are cheap and round trips
//! are not.

use std::io;
use std::ops::Range;

use super::{FIRST_FETCH, MAX_BARREN, MAX_FETCH};
use crate::container::ScanScope;
use crate::inspect::ReadOptions;
use crate::partial::{missing_io, Held};
use crate::shard::{self, Member, MemberContent, ShardError};
use crate::SkipReason;

/// What to do next.
#[derive(Debug)]
pub enum ShardStep {
    /// Fetch these ranges of the shard and [`RangedShardRead::feed`] each.
    Fetch(Vec<Range<u64>>),
    /// Every member has been read ([`RangedShardRead::take_members`]), or
    /// the shard is damaged here.
    Done(Result<(), ShardError>),
}

/// A read of a tar shard's members from ranges of its bytes (see the
/// module docs).
///
/// ```
/// use ccsig::ranged::{RangedShardRead, ShardStep};
/// use ccsig::shard::MemberContent;
///
/// // A shard of two large JPEGs and a caption.
/// let mut jpeg = std::fs::read("sample-images/tagged/ccsig-cr-op.jpg").unwrap();
/// let eoi = jpeg.split_off(jpeg.len() - 2);
/// jpeg.extend(vec![0u8; 1 << 20]);
/// jpeg.extend(eoi);
/// let mut builder = tar::Builder::new(Vec::new());
/// for (name, bytes) in [("1.jpg", &jpeg[..]), ("1.txt", b"a cat"), ("2.jpg", &jpeg[..])] {
///     let mut header = tar::Header::new_gnu();
///     header.set_size(bytes.len() as u64);
///     header.set_cksum();
///     builder.append_data(&mut header, name, bytes).unwrap();
/// }
/// let shard = builder.into_inner().unwrap();
///
/// let mut read = RangedShardRead::new(shard.len() as u64, ccsig::ReadOptions::default());
/// let mut fetched = 0;
/// let done = loop {
///     match read.step() {
///         ShardStep::Fetch(ranges) => {
///             for r in ranges {
///                 fetched += r.end - r.start;
///                 read.feed(r.start, &shard[r.start as usize..r.end as usize]);
///             }
///         }
///         ShardStep::Done(done) => break done,
///     }
/// };
/// done.unwrap();
/// let names: Vec<_> = read.take_members().into_iter().map(|m| m.name).collect();
/// assert_eq!(names, ["1.jpg", "1.txt", "2.jpg"]);
/// // Heads and ends: a tenth of the shard.
/// assert!(fetched * 10 < shard.len() as u64, "{fetched}");
/// ```
#[derive(Debug)]
pub struct RangedShardRead {
    size: u64,
    have: Held,
    options: ReadOptions,
    /// Where the first header not yet walked past starts: every member
    /// before it is read.
    resume: u64,
    members: Vec<Member<'static>>,
    /// How much the next fetch asks for at least; it doubles while one
    /// member's read goes on, as [`super::RangedRead`]'s does.
    window: u64,
    barren: u32,
    held_before: u64,
}

impl RangedShardRead {
    /// A read of a shard of `size` bytes (a plain tar: a compressed one
    /// cannot be read in ranges).
    pub fn new(size: u64, options: impl Into<ReadOptions>) -> Self {
        RangedShardRead {
            size,
            have: Held::default(),
            options: options.into(),
            resume: 0,
            members: Vec::new(),
            window: FIRST_FETCH,
            barren: 0,
            held_before: 0,
        }
    }

    /// Hands over bytes of the shard at offset `at`.
    pub fn feed(&mut self, at: u64, bytes: &[u8]) {
        self.have.add(at, bytes);
    }

    /// The members read so far, in archive order, each once: what
    /// [`crate::shard::read_members_as`] hands over, image members as
    /// [`MemberContent::Signals`].
    pub fn take_members(&mut self) -> Vec<Member<'static>> {
        std::mem::take(&mut self.members)
    }

    /// What to do next: fetch ranges, or the end.
    pub fn step(&mut self) -> ShardStep {
        let held = self.have.total();
        self.barren = match held == self.held_before && self.held_before > 0 {
            true => self.barren + 1,
            false => 0,
        };
        self.held_before = held;
        if self.barren >= MAX_BARREN {
            return ShardStep::Done(Err(ShardError::Io(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the fetches brought no more of the shard",
            ))));
        }
        match self.walk() {
            Ok(done) => ShardStep::Done(done),
            Err(lacking) => {
                let end = lacking
                    .end
                    .max(lacking.start.saturating_add(self.window))
                    .min(self.size);
                self.window = (self.window * 2).min(MAX_FETCH);
                let range = lacking.start..end;
                ShardStep::Fetch(vec![range])
            }
        }
    }

    /// Walks the headers from the first member not read, reading each
    /// member in turn: the end of the shard, or the first range lacked.
    fn walk(&mut self) -> Result<Result<(), ShardError>, Range<u64>> {
        let base = self.resume;
        let view = self.have.view(base..self.size);
        let mut archive = tar::Archive::new(view);
        let entries = match archive.entries_with_seek() {
            Ok(entries) => entries,
            Err(e) => return Ok(Err(shard::corrupt(e))),
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => match missing_io(&e) {
                    Some(lacking) => return Err(lacking),
                    None => return Ok(Err(shard::corrupt(e))),
                },
            };
            let data_at = base + entry.raw_file_position();
            let size = entry.size();
            let data_end = data_at + size.div_ceil(512) * 512;
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let kind = entry.header().entry_type();
            let content = if kind.is_dir() {
                None
            } else if kind.is_symlink() || kind.is_hard_link() {
                Some(MemberContent::Skipped(SkipReason::Symlink))
            } else if !kind.is_file() {
                Some(MemberContent::Skipped(SkipReason::NotAnImage))
            } else {
                Some(self.read_member(&name, data_at..data_at + size, data_end)?)
            };
            let cut = data_at + size > self.size;
            if let Some(content) = content {
                self.members.push(Member {
                    name: name.clone(),
                    content,
                });
            }
            // As the pass over the whole shard does: the member cut short
            // is reported, then the damage ends the read.
            if cut {
                return Ok(Err(ShardError::Truncated(format!(
                    "member {name} is cut short"
                ))));
            }
            self.resume = data_end;
            self.window = FIRST_FETCH;
        }
        // The walk stops at the end-of-archive block, or where the bytes
        // end: a proper shard has the block.
        if self.resume + 512 > self.size {
            return Ok(Err(ShardError::Truncated(
                "no end-of-archive block after the last member".into(),
            )));
        }
        Ok(Ok(()))
    }

    /// Reads one regular member, `data` in the shard, padded to
    /// `data_end`; a range lacked near its end takes the next header and
    /// the next member's head along.
    fn read_member(
        &self,
        name: &str,
        data: Range<u64>,
        data_end: u64,
    ) -> Result<MemberContent<'static>, Range<u64>> {
        let member_end = data.end;
        let cut_short = || {
            MemberContent::Unreadable(crate::ReadError::Container(
                crate::ContainerError::Truncated(format!(
                    "shard ends inside this member of {} bytes",
                    data.end - data.start
                )),
            ))
        };
        let and_next = |lacking: Range<u64>| {
            let near_end = lacking.end + FIRST_FETCH >= member_end;
            match near_end {
                true => lacking.start..(data_end + FIRST_FETCH).min(self.size),
                false => lacking,
            }
        };
        let head_end = data.start + (data.end - data.start).min(512);
        if head_end > self.size {
            return Ok(cut_short());
        }
        let Some(head) = self.have.bytes(data.start..head_end) else {
            return Err(and_next(data.start..head_end));
        };
        if let Some(content) = shard::not_read(name, &head, data.end - data.start) {
            return Ok(content);
        }
        if data.end > self.size {
            return Ok(cut_short());
        }
        match self
            .have
            .attempt_in(data, ScanScope::WholeFile, &self.options)
        {
            Ok(answer) => Ok(MemberContent::Signals(Box::new(answer))),
            Err(lacking) => Err(and_next(lacking)),
        }
    }
}
