//! IPTC-IIM datasets: the data of the Photoshop IRB resource 0x0404 (see
//! [`super::irb`]).
//!
//! The block is a sequence of datasets `0x1C record number length value`.
//! The length is a big-endian u16; when its high bit is set, the low 15
//! bits give the count of the following bytes that hold the real length
//! (an "extended dataset"; 1 to 8 bytes accepted here, as ExifTool does,
//! and the length must fit the block). Zero bytes after the last dataset
//! are padding: tolerated, and kept at the end by every writer here. Any
//! other byte where a dataset should start is an error.
//!
//! Datasets read: 1:90 Coded Character Set, 2:40 Special Instructions,
//! 2:80 By-line (repeatable), 2:116 Copyright Notice. Trailing NULs in a
//! value are dropped on reading (some tools write C strings).
//!
//! # Character set (1:90)
//!
//! `ESC % G` (1B 25 47, exactly, as ExifTool matches it) declares UTF-8.
//! Without 1:90 (or with an empty one) the record is undeclared; reading
//! then decodes all text of the record as UTF-8 if every text value of
//! records 1 and 2 is valid UTF-8, else all of it as Latin-1 (ExifTool's
//! default for undeclared IIM). Any other declaration (ISO 2022 escape
//! sequences) is not decoded: printable ASCII is kept, other bytes become
//! U+FFFD and [`IimText::lossy`] says so.
//!
//! Writing 2:40 ([`set_special_instructions`]) never re-encodes or drops
//! anything, and refuses rather than write bytes that readers would decode
//! differently from what was meant:
//! - UTF-8 declared: the text is written as UTF-8.
//! - Another charset declared: ASCII text is written if the declaration
//!   leaves G0 as ASCII (designations of G1-G3 sets, `ESC ( B`, and
//!   `ESC , A`, which tools use for Latin-1); non-ASCII text is refused
//!   ([`IimError::CharsetMismatch`]), and so is any text under a declaration
//!   that changes G0 or the coding system ([`IimError::UnsupportedCharset`]).
//! - Undeclared: ASCII text is written as is. Non-ASCII text is written as
//!   UTF-8 together with a new 1:90 = `ESC % G` only if every other text
//!   value of records 1 and 2 is pure ASCII (so the declaration changes the
//!   meaning of nothing else); otherwise it is refused
//!   ([`IimError::UndeclaredNonAscii`]), because existing non-ASCII bytes
//!   are Latin-1 to ExifTool and could be anything to other readers. The new
//!   1:90 goes among the record-1 datasets in ascending order, or first in
//!   the block when there is no record 1; no 1:00 is added with it (as
//!   Photoshop writes it; the envelope's other "mandatory" datasets are for
//!   news transmission and no image tool writes them).
//!
//! "Text values" are every dataset of records 1 and 2 except the binary
//! ones (1:00, 1:20, 1:22, 1:90, 1:120, 1:122, 2:00, 2:200, 2:201, 2:202)
//! and except the 2:40 being replaced.
//!
//! # Special Instructions (2:40)
//!
//! IIM 4.2 makes 2:40 non-repeatable, at most 256 octets of graphic
//! characters and spaces. Longer text is refused ([`IimError::TooLong`],
//! counted in encoded bytes), never truncated; control characters (C0, DEL,
//! C1) are refused ([`IimError::InvalidCharacter`]). An existing 2:40 is
//! replaced in place (any further 2:40 is removed, so readers see one
//! value). A new 2:40 goes before the first record-2 dataset numbered above
//! 40, or after the last record-2 dataset (ExifTool appends new datasets at
//! the end of their record; both are valid, ascending order is what IIM
//! recommends). If there is no record 2 at all, 2:00 Record Version (4,
//! mandatory in IIM) is added first, then 2:40, before any record 3-9
//! dataset. A record 2 that lacks 2:00 is left as it is. Every other
//! dataset is copied byte for byte and in order.

use std::ops::Range;

/// Maximum length of 2:40 Special Instructions in bytes (IIM 4.2).
pub const SPECIAL_INSTRUCTIONS_MAX: usize = 256;
/// The 1:90 value that declares UTF-8: `ESC % G`.
pub const UTF8_DECLARATION: &[u8] = b"\x1b%G";

const TAG_MARKER: u8 = 0x1C;

/// One dataset, located in the IIM block it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    pub record: u8,
    pub number: u8,
    /// The whole dataset, from its 0x1C marker to the end of its value.
    pub range: Range<usize>,
    pub value: Range<usize>,
}

impl Dataset {
    fn is(&self, record: u8, number: u8) -> bool {
        self.record == record && self.number == number
    }
}

/// The coded character set declared by 1:90.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Charset {
    /// `ESC % G`.
    Utf8,
    /// Any other declaration (the raw 1:90 value).
    Declared(Vec<u8>),
    /// No 1:90, or an empty one.
    Undeclared,
}

/// The text datasets ccsig reads from IIM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IimText {
    /// 2:40 (the first one, should there be several).
    pub special_instructions: Option<String>,
    /// Every 2:80, in order.
    pub by_line: Vec<String>,
    /// 2:116 (the first one).
    pub copyright_notice: Option<String>,
    pub charset: Charset,
    /// Some text could not be decoded faithfully: a charset other than
    /// UTF-8 was declared (only ASCII kept), or declared UTF-8 was invalid.
    pub lossy: bool,
}

/// Why an IIM block could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IimError {
    #[error("IPTC-IIM: dataset at offset {offset} is truncated")]
    Truncated { offset: usize },
    #[error("IPTC-IIM: byte {byte:#04x} at offset {offset} does not start a dataset")]
    BadMarker { offset: usize, byte: u8 },
    #[error("IPTC-IIM: dataset at offset {offset} has an extended length of {count} bytes")]
    BadExtendedLength { offset: usize, count: u16 },
    #[error("IPTC-IIM: {field} would be {len} bytes, more than its limit of {max}")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("IPTC-IIM: text contains control character {ch:?}")]
    InvalidCharacter { ch: char },
    #[error("IPTC-IIM: non-ASCII text cannot be written into a record declared as {declared}")]
    CharsetMismatch { declared: String },
    #[error("IPTC-IIM: the record declares a character set ccsig cannot write into ({declared})")]
    UnsupportedCharset { declared: String },
    #[error(
        "IPTC-IIM: non-ASCII text cannot be written: the record declares no character set \
         and already holds non-ASCII text"
    )]
    UndeclaredNonAscii,
}

/// Parses every dataset of an IIM block. Zero bytes after the last dataset
/// are padding, not an error.
pub fn parse(iim: &[u8]) -> Result<Vec<Dataset>, IimError> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < iim.len() {
        let byte = iim[pos];
        if byte != TAG_MARKER {
            if iim[pos..].iter().all(|&b| b == 0) {
                break;
            }
            return Err(IimError::BadMarker { offset: pos, byte });
        }
        let truncated = IimError::Truncated { offset: pos };
        let head = iim.get(pos..pos + 5).ok_or(truncated.clone())?;
        let (record, number) = (head[1], head[2]);
        let len16 = u16::from_be_bytes([head[3], head[4]]);
        let mut value_start = pos + 5;
        let len = if len16 & 0x8000 == 0 {
            len16 as u64
        } else {
            let count = len16 & 0x7FFF;
            if count == 0 || count > 8 {
                return Err(IimError::BadExtendedLength { offset: pos, count });
            }
            let bytes = iim
                .get(value_start..value_start + count as usize)
                .ok_or(truncated.clone())?;
            value_start += count as usize;
            bytes.iter().fold(0u64, |acc, &b| (acc << 8) | b as u64)
        };
        let available = (iim.len() - value_start) as u64;
        if len > available {
            return Err(truncated);
        }
        let value_end = value_start + len as usize;
        out.push(Dataset {
            record,
            number,
            range: pos..value_end,
            value: value_start..value_end,
        });
        pos = value_end;
    }
    Ok(out)
}

/// The character set declared by the first 1:90 of the block.
pub fn charset(iim: &[u8]) -> Result<Charset, IimError> {
    Ok(charset_of(iim, &parse(iim)?))
}

fn charset_of(iim: &[u8], datasets: &[Dataset]) -> Charset {
    match datasets.iter().find(|d| d.is(1, 90)) {
        None => Charset::Undeclared,
        Some(d) => {
            let v = &iim[d.value.clone()];
            if v == UTF8_DECLARATION {
                Charset::Utf8
            } else if v.iter().all(|&b| b == 0) {
                Charset::Undeclared
            } else {
                Charset::Declared(v.to_vec())
            }
        }
    }
}

/// Datasets holding binary values, not text.
fn is_binary(d: &Dataset) -> bool {
    matches!(
        (d.record, d.number),
        (1, 0 | 20 | 22 | 90 | 120 | 122) | (2, 0 | 200 | 201 | 202)
    )
}

/// Text datasets of records 1 and 2.
fn text_values<'a>(
    iim: &'a [u8],
    datasets: &'a [Dataset],
) -> impl Iterator<Item = (&'a Dataset, &'a [u8])> + 'a {
    datasets
        .iter()
        .filter(|d| (d.record == 1 || d.record == 2) && !is_binary(d))
        .map(move |d| (d, &iim[d.value.clone()]))
}

fn trim_nuls(mut v: &[u8]) -> &[u8] {
    while let [rest @ .., 0] = v {
        v = rest;
    }
    v
}

/// Reads 2:40, 2:80 and 2:116, decoded per the record's character set (see
/// the module documentation).
pub fn read_text(iim: &[u8]) -> Result<IimText, IimError> {
    let datasets = parse(iim)?;
    let charset = charset_of(iim, &datasets);
    let undeclared_utf8 = text_values(iim, &datasets).all(|(_, v)| std::str::from_utf8(v).is_ok());
    let mut lossy = false;
    let mut decode = |v: &[u8]| -> String {
        let v = trim_nuls(v);
        match &charset {
            Charset::Utf8 => match std::str::from_utf8(v) {
                Ok(s) => s.to_string(),
                Err(_) => {
                    lossy = true;
                    String::from_utf8_lossy(v).into_owned()
                }
            },
            Charset::Undeclared if undeclared_utf8 => String::from_utf8_lossy(v).into_owned(),
            Charset::Undeclared => v.iter().map(|&b| b as char).collect(),
            Charset::Declared(decl) => {
                if !g0_is_ascii(decl) {
                    lossy = true;
                }
                v.iter()
                    .map(|&b| match b {
                        b'\t' | b'\n' | b'\r' | 0x20..=0x7E => b as char,
                        _ => {
                            lossy = true;
                            char::REPLACEMENT_CHARACTER
                        }
                    })
                    .collect()
            }
        }
    };
    let mut special_instructions = None;
    let mut by_line = Vec::new();
    let mut copyright_notice = None;
    for d in &datasets {
        let v = &iim[d.value.clone()];
        match (d.record, d.number) {
            (2, 40) if special_instructions.is_none() => special_instructions = Some(decode(v)),
            (2, 80) => by_line.push(decode(v)),
            (2, 116) if copyright_notice.is_none() => copyright_notice = Some(decode(v)),
            _ => {}
        }
    }
    Ok(IimText {
        special_instructions,
        by_line,
        copyright_notice,
        charset,
        lossy,
    })
}

/// Whether an ISO 2022 declaration leaves G0 as ASCII (so ASCII bytes mean
/// ASCII): every escape sequence is well formed, none changes the coding
/// system (`ESC %`), and the only G0 designations are `ESC ( B` (ASCII) and
/// `ESC , A` (ISO 8859-1, which tools write meaning Latin-1).
fn g0_is_ascii(decl: &[u8]) -> bool {
    let decl = trim_nuls(decl);
    let mut i = 0;
    if decl.is_empty() {
        return false;
    }
    while i < decl.len() {
        if decl[i] != 0x1B {
            return false;
        }
        let mut j = i + 1;
        while j < decl.len() && (0x20..=0x2F).contains(&decl[j]) {
            j += 1;
        }
        let Some(&fin) = decl.get(j) else {
            return false;
        };
        if !(0x30..=0x7E).contains(&fin) {
            return false;
        }
        let inter = &decl[i + 1..j];
        let ok = match inter {
            [] => false,
            [b'%', ..] => false,
            [b'(' | b','] => matches!((inter[0], fin), (b'(', b'B') | (b',', b'A')),
            [b')' | b'*' | b'+' | b'-' | b'.' | b'/'] => true,
            // Multi-byte sets: ESC $ F and ESC $ ( F / ESC $ , F go to G0.
            [b'$', b')' | b'*' | b'+' | b'-' | b'.' | b'/'] => true,
            _ => false,
        };
        if !ok {
            return false;
        }
        i = j + 1;
    }
    true
}

fn describe(decl: &[u8]) -> String {
    decl.iter()
        .map(|&b| match b {
            0x1B => "ESC".to_string(),
            0x21..=0x7E => (b as char).to_string(),
            _ => format!("{b:#04x}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn check_text(text: &str) -> Result<(), IimError> {
    match text.chars().find(|c| c.is_control()) {
        Some(ch) => Err(IimError::InvalidCharacter { ch }),
        None => Ok(()),
    }
}

fn check_length(bytes: &[u8]) -> Result<(), IimError> {
    if bytes.len() > SPECIAL_INSTRUCTIONS_MAX {
        return Err(IimError::TooLong {
            field: "2:40 Special Instructions",
            len: bytes.len(),
            max: SPECIAL_INSTRUCTIONS_MAX,
        });
    }
    Ok(())
}

/// A standard (non-extended) dataset; `value` must be at most 32767 bytes.
fn dataset(record: u8, number: u8, value: &[u8]) -> Vec<u8> {
    debug_assert!(value.len() <= 0x7FFF);
    let mut v = vec![TAG_MARKER, record, number];
    v.extend_from_slice(&(value.len() as u16).to_be_bytes());
    v.extend_from_slice(value);
    v
}

/// Edits to apply to a parsed block.
struct Edits {
    /// Bytes to insert before dataset `i` (`i == len`: after the last one),
    /// in the order given.
    insert: Vec<(usize, Vec<u8>)>,
    /// Replacement of dataset `i` (empty: remove it).
    replace: Vec<(usize, Vec<u8>)>,
}

fn apply(iim: &[u8], datasets: &[Dataset], edits: &Edits) -> Vec<u8> {
    let mut out = Vec::with_capacity(iim.len() + 300);
    let mut end = 0;
    for (i, d) in datasets.iter().enumerate() {
        for (_, bytes) in edits.insert.iter().filter(|(at, _)| *at == i) {
            out.extend_from_slice(bytes);
        }
        match edits.replace.iter().find(|(at, _)| *at == i) {
            Some((_, bytes)) => out.extend_from_slice(bytes),
            None => out.extend_from_slice(&iim[d.range.clone()]),
        }
        end = d.range.end;
    }
    for (_, bytes) in edits.insert.iter().filter(|(at, _)| *at == datasets.len()) {
        out.extend_from_slice(bytes);
    }
    out.extend_from_slice(&iim[end..]);
    out
}

/// A copy of the block with 2:40 Special Instructions set to `text` (see
/// the module documentation for placement, length and charset rules).
pub fn set_special_instructions(iim: &[u8], text: &str) -> Result<Vec<u8>, IimError> {
    check_text(text)?;
    let datasets = parse(iim)?;
    let charset = charset_of(iim, &datasets);
    let mut declare_utf8 = false;
    if !text.is_ascii() {
        match &charset {
            Charset::Utf8 => {}
            Charset::Declared(decl) => {
                return Err(IimError::CharsetMismatch {
                    declared: describe(decl),
                })
            }
            Charset::Undeclared => {
                let others_ascii = text_values(iim, &datasets)
                    .filter(|(d, _)| !d.is(2, 40))
                    .all(|(_, v)| v.is_ascii());
                if !others_ascii {
                    return Err(IimError::UndeclaredNonAscii);
                }
                declare_utf8 = true;
            }
        }
    } else if let Charset::Declared(decl) = &charset {
        if !g0_is_ascii(decl) {
            return Err(IimError::UnsupportedCharset {
                declared: describe(decl),
            });
        }
    }
    let value = text.as_bytes();
    check_length(value)?;
    let new_40 = dataset(2, 40, value);

    let mut edits = Edits {
        insert: Vec::new(),
        replace: Vec::new(),
    };
    if declare_utf8 {
        let decl = dataset(1, 90, UTF8_DECLARATION);
        // An empty 1:90 (undeclared) is replaced rather than doubled.
        if let Some(i) = datasets.iter().position(|d| d.is(1, 90)) {
            edits.replace.push((i, decl));
        } else {
            let at = insertion_point(&datasets, 1, 90).unwrap_or(0);
            edits.insert.push((at, decl));
        }
    }
    let existing: Vec<usize> = (0..datasets.len())
        .filter(|&i| datasets[i].is(2, 40))
        .collect();
    if let Some((&first, rest)) = existing.split_first() {
        edits.replace.push((first, new_40));
        for &i in rest {
            edits.replace.push((i, Vec::new()));
        }
    } else if let Some(at) = insertion_point(&datasets, 2, 40) {
        edits.insert.push((at, new_40));
    } else {
        // No record 2: 2:00 Record Version 4, then 2:40, after records 0-1.
        let at = datasets
            .iter()
            .position(|d| d.record > 2)
            .unwrap_or(datasets.len());
        edits
            .insert
            .push((at, [dataset(2, 0, &[0, 4]), new_40].concat()));
    }
    Ok(apply(iim, &datasets, &edits))
}

/// Where a new `record:number` goes among the existing datasets of its
/// record: before the first one numbered above it, else after the last
/// one. `None` if the record has no dataset.
fn insertion_point(datasets: &[Dataset], record: u8, number: u8) -> Option<usize> {
    let last = datasets.iter().rposition(|d| d.record == record)?;
    Some(
        datasets
            .iter()
            .position(|d| d.record == record && d.number > number)
            .unwrap_or(last + 1),
    )
}

/// A copy of the block without any 2:40; everything else byte for byte.
pub fn remove_special_instructions(iim: &[u8]) -> Result<Vec<u8>, IimError> {
    let datasets = parse(iim)?;
    let edits = Edits {
        insert: Vec::new(),
        replace: (0..datasets.len())
            .filter(|&i| datasets[i].is(2, 40))
            .map(|i| (i, Vec::new()))
            .collect(),
    };
    Ok(apply(iim, &datasets, &edits))
}

/// A new IIM block for a file that had none: 1:90 = UTF-8, 2:00 Record
/// Version 4, 2:40 = `text`.
pub fn new_iim(text: &str) -> Result<Vec<u8>, IimError> {
    check_text(text)?;
    check_length(text.as_bytes())?;
    Ok([
        dataset(1, 90, UTF8_DECLARATION),
        dataset(2, 0, &[0, 4]),
        dataset(2, 40, text.as_bytes()),
    ]
    .concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::irb;
    use crate::mapping::irb::tests::{sample_irb, splice_app13, XorShift, SAMPLE};

    fn sample_iim() -> Vec<u8> {
        irb::iptc(&sample_irb()).unwrap().unwrap().to_vec()
    }

    fn ds(record: u8, number: u8, value: &[u8]) -> Vec<u8> {
        dataset(record, number, value)
    }

    /// (record, number, raw bytes) of every dataset except 2:40, 1:90.
    fn others(iim: &[u8], skip: &[(u8, u8)]) -> Vec<(u8, u8, Vec<u8>)> {
        parse(iim)
            .unwrap()
            .into_iter()
            .filter(|d| !skip.contains(&(d.record, d.number)))
            .map(|d| (d.record, d.number, iim[d.range].to_vec()))
            .collect()
    }

    #[test]
    fn sample_iim_reads_as_exiftool_wrote_it() {
        let iim = sample_iim();
        let sets = parse(&iim).unwrap();
        let ids: Vec<(u8, u8)> = sets.iter().map(|d| (d.record, d.number)).collect();
        assert_eq!(
            ids,
            vec![(2, 25), (2, 25), (2, 80), (2, 116), (2, 120), (2, 0)]
        );
        let t = read_text(&iim).unwrap();
        assert_eq!(t.by_line, vec!["Ada Example".to_string()]);
        assert_eq!(t.copyright_notice.as_deref(), Some("(c) 2024 Ada Example"));
        assert_eq!(t.special_instructions, None);
        assert_eq!(t.charset, Charset::Undeclared);
        assert!(!t.lossy);
    }

    #[test]
    fn set_then_with_iptc_keeps_everything_else() {
        let irb_bytes = sample_irb();
        let iim = sample_iim();
        let text = "train-ai=n;exceptions=cc-cr-op";
        let new = set_special_instructions(&iim, text).unwrap();
        assert_eq!(others(&iim, &[(2, 40)]), others(&new, &[(2, 40)]));
        // Placed before 2:80, the first record-2 dataset numbered above 40.
        let ids: Vec<(u8, u8)> = parse(&new)
            .unwrap()
            .iter()
            .map(|d| (d.record, d.number))
            .collect();
        assert_eq!(
            ids,
            vec![
                (2, 25),
                (2, 25),
                (2, 40),
                (2, 80),
                (2, 116),
                (2, 120),
                (2, 0)
            ]
        );
        assert_eq!(
            read_text(&new).unwrap().special_instructions.as_deref(),
            Some(text)
        );
        assert_eq!(new.len(), iim.len() + 5 + text.len());

        let new_irb = irb::with_iptc(&irb_bytes, &new).unwrap();
        assert_eq!(irb::iptc(&new_irb).unwrap().unwrap(), &new[..]);
        assert_eq!(
            irb::digest(&new_irb).unwrap().unwrap(),
            irb::iim_digest(&new)
        );

        // Replacing again is in place; removing gives back the original.
        let again = set_special_instructions(&new, "search=y").unwrap();
        let ids2: Vec<(u8, u8)> = parse(&again)
            .unwrap()
            .iter()
            .map(|d| (d.record, d.number))
            .collect();
        assert_eq!(ids, ids2);
        assert_eq!(
            read_text(&again).unwrap().special_instructions.as_deref(),
            Some("search=y")
        );
        assert_eq!(remove_special_instructions(&again).unwrap(), iim);
        assert_eq!(remove_special_instructions(&iim).unwrap(), iim);
    }

    #[test]
    fn placement_without_record_2_and_after_last() {
        // Record 1 only (+ a record-8 dataset): 2:00 and 2:40 go between.
        let iim = [ds(1, 90, b"\x1b%G"), ds(8, 10, b"obj")].concat();
        let new = set_special_instructions(&iim, "x").unwrap();
        let ids: Vec<(u8, u8)> = parse(&new)
            .unwrap()
            .iter()
            .map(|d| (d.record, d.number))
            .collect();
        assert_eq!(ids, vec![(1, 90), (2, 0), (2, 40), (8, 10)]);
        let v = parse(&new).unwrap()[1].value.clone();
        assert_eq!(&new[v], &[0, 4]);
        // Record 2 without a dataset above 40: after the last one.
        let iim = [ds(2, 0, &[0, 4]), ds(2, 25, b"k"), ds(3, 5, b"z")].concat();
        let new = set_special_instructions(&iim, "x").unwrap();
        let ids: Vec<(u8, u8)> = parse(&new)
            .unwrap()
            .iter()
            .map(|d| (d.record, d.number))
            .collect();
        assert_eq!(ids, vec![(2, 0), (2, 25), (2, 40), (3, 5)]);
        // Empty block.
        let new = set_special_instructions(&[], "x").unwrap();
        assert_eq!(new, [ds(2, 0, &[0, 4]), ds(2, 40, b"x")].concat());
    }

    #[test]
    fn trailing_padding_is_preserved() {
        let iim = [ds(2, 0, &[0, 4]), ds(2, 80, b"A"), vec![0; 5]].concat();
        let sets = parse(&iim).unwrap();
        assert_eq!(sets.len(), 2);
        let new = set_special_instructions(&iim, "x").unwrap();
        assert!(new.ends_with(&[0; 5]));
        assert_eq!(
            read_text(&new).unwrap().special_instructions.as_deref(),
            Some("x")
        );
        assert_eq!(remove_special_instructions(&new).unwrap(), iim);
    }

    #[test]
    fn duplicate_2_40_collapses_to_one() {
        let iim = [ds(2, 40, b"a"), ds(2, 80, b"B"), ds(2, 40, b"c")].concat();
        assert_eq!(
            read_text(&iim).unwrap().special_instructions.as_deref(),
            Some("a")
        );
        let new = set_special_instructions(&iim, "z").unwrap();
        assert_eq!(new, [ds(2, 40, b"z"), ds(2, 80, b"B")].concat());
    }

    #[test]
    fn length_limit_is_refused_not_truncated() {
        let iim = sample_iim();
        let max = "a".repeat(SPECIAL_INSTRUCTIONS_MAX);
        let ok = set_special_instructions(&iim, &max).unwrap();
        assert_eq!(
            read_text(&ok).unwrap().special_instructions,
            Some(max.clone())
        );
        let over = format!("{max}b");
        assert_eq!(
            set_special_instructions(&iim, &over),
            Err(IimError::TooLong {
                field: "2:40 Special Instructions",
                len: 257,
                max: 256
            })
        );
        // Counted in encoded bytes: 129 two-byte characters.
        let utf8 = [ds(1, 90, b"\x1b%G")].concat();
        let e = set_special_instructions(&utf8, &"é".repeat(129)).unwrap_err();
        assert!(matches!(e, IimError::TooLong { len: 258, .. }));
        assert!(set_special_instructions(&utf8, &"é".repeat(128)).is_ok());
        assert!(matches!(new_iim(&over), Err(IimError::TooLong { .. })));
        assert!(matches!(
            set_special_instructions(&iim, "a\nb"),
            Err(IimError::InvalidCharacter { ch: '\n' })
        ));
    }

    #[test]
    fn charset_rules() {
        // Declared UTF-8: non-ASCII written as is.
        let utf8 = [
            ds(1, 90, b"\x1b%G"),
            ds(2, 0, &[0, 4]),
            ds(2, 80, "Zoë".as_bytes()),
        ]
        .concat();
        let t = read_text(&utf8).unwrap();
        assert_eq!(t.charset, Charset::Utf8);
        assert_eq!(t.by_line, vec!["Zoë".to_string()]);
        let new = set_special_instructions(&utf8, "crédit: Zoë").unwrap();
        assert_eq!(
            read_text(&new).unwrap().special_instructions.as_deref(),
            Some("crédit: Zoë")
        );

        // Declared Latin-1 (G1): ASCII fine, non-ASCII refused.
        let latin = [ds(1, 90, b"\x1b-A"), ds(2, 80, b"Zo\xeb")].concat();
        let t = read_text(&latin).unwrap();
        assert_eq!(t.charset, Charset::Declared(b"\x1b-A".to_vec()));
        assert_eq!(t.by_line, vec!["Zo\u{FFFD}".to_string()]);
        assert!(t.lossy);
        assert!(set_special_instructions(&latin, "train-ai=n").is_ok());
        assert!(matches!(
            set_special_instructions(&latin, "é"),
            Err(IimError::CharsetMismatch { .. })
        ));
        // A declaration that moves G0 away from ASCII: nothing written.
        let jis = [ds(1, 90, b"\x1b$B"), ds(2, 80, b"x")].concat();
        assert!(matches!(
            set_special_instructions(&jis, "train-ai=n"),
            Err(IimError::UnsupportedCharset { .. })
        ));
        assert!(read_text(&jis).unwrap().lossy);

        // Undeclared with Latin-1 bytes elsewhere: read as Latin-1, refuse non-ASCII.
        let undeclared = [ds(2, 0, &[0, 4]), ds(2, 80, b"Zo\xeb")].concat();
        let t = read_text(&undeclared).unwrap();
        assert_eq!(t.by_line, vec!["Zoë".to_string()]);
        assert!(!t.lossy);
        assert_eq!(
            set_special_instructions(&undeclared, "é"),
            Err(IimError::UndeclaredNonAscii)
        );
        assert!(set_special_instructions(&undeclared, "ascii").is_ok());
        // Undeclared but valid UTF-8 elsewhere: read as UTF-8, still refused
        // (declaring would change how Latin-1 readers see the other field).
        let undeclared_utf8 = [ds(2, 80, "Zoë".as_bytes())].concat();
        assert_eq!(
            read_text(&undeclared_utf8).unwrap().by_line,
            vec!["Zoë".to_string()]
        );
        assert_eq!(
            set_special_instructions(&undeclared_utf8, "é"),
            Err(IimError::UndeclaredNonAscii)
        );

        // Undeclared, ASCII elsewhere: UTF-8 written with a new 1:90 first.
        let iim = sample_iim();
        let new = set_special_instructions(&iim, "crédit").unwrap();
        let sets = parse(&new).unwrap();
        assert!(sets[0].is(1, 90));
        assert_eq!(&new[sets[0].value.clone()], UTF8_DECLARATION);
        assert_eq!(others(&iim, &[(2, 40)]), others(&new, &[(2, 40), (1, 90)]));
        let t = read_text(&new).unwrap();
        assert_eq!(t.charset, Charset::Utf8);
        assert_eq!(t.special_instructions.as_deref(), Some("crédit"));
        // A 1:90 among existing record-1 datasets, in ascending order.
        let r1 = [ds(1, 0, &[0, 4]), ds(1, 100, b"uno"), ds(2, 0, &[0, 4])].concat();
        let new = set_special_instructions(&r1, "é").unwrap();
        let ids: Vec<(u8, u8)> = parse(&new)
            .unwrap()
            .iter()
            .map(|d| (d.record, d.number))
            .collect();
        assert_eq!(ids, vec![(1, 0), (1, 90), (1, 100), (2, 0), (2, 40)]);
        // An existing non-ASCII 2:40 does not block its own replacement.
        let old40 = [ds(2, 40, b"\xe9")].concat();
        assert!(set_special_instructions(&old40, "é").is_ok());
    }

    #[test]
    fn new_iim_layout() {
        let iim = new_iim("train-ai=n;exceptions=cc-cr").unwrap();
        let ids: Vec<(u8, u8)> = parse(&iim)
            .unwrap()
            .iter()
            .map(|d| (d.record, d.number))
            .collect();
        assert_eq!(ids, vec![(1, 90), (2, 0), (2, 40)]);
        let t = read_text(&iim).unwrap();
        assert_eq!(t.charset, Charset::Utf8);
        assert_eq!(
            t.special_instructions.as_deref(),
            Some("train-ai=n;exceptions=cc-cr")
        );
        assert_eq!(&iim[..8], b"\x1c\x01\x5a\x00\x03\x1b%G");
    }

    #[test]
    fn extended_length_datasets() {
        let preview = vec![0xABu8; 40_000];
        let mut ext = vec![0x1C, 2, 202, 0x80, 0x04];
        ext.extend_from_slice(&(preview.len() as u32).to_be_bytes());
        ext.extend_from_slice(&preview);
        let iim = [ds(2, 0, &[0, 4]), ext.clone(), ds(2, 80, b"A")].concat();
        let sets = parse(&iim).unwrap();
        assert_eq!(sets.len(), 3);
        assert_eq!(sets[1].value.len(), 40_000);
        assert_eq!(sets[1].range.len(), 40_000 + 9);
        assert_eq!(&iim[sets[1].value.clone()], &preview[..]);
        let new = set_special_instructions(&iim, "x").unwrap();
        assert_eq!(others(&iim, &[(2, 40)]), others(&new, &[(2, 40)]));
        // A 2-byte extended length.
        let short = [0x1C, 2, 202, 0x80, 0x02, 0x00, 0x03, 1, 2, 3];
        assert_eq!(parse(&short).unwrap()[0].value, 7..10);
        // Bad counts and lengths past the end.
        let zero = [0x1C, 2, 202, 0x80, 0x00];
        assert_eq!(
            parse(&zero),
            Err(IimError::BadExtendedLength {
                offset: 0,
                count: 0
            })
        );
        let nine = [0x1C, 2, 202, 0x80, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert!(matches!(
            parse(&nine),
            Err(IimError::BadExtendedLength { count: 9, .. })
        ));
        let huge = [
            0x1C, 2, 202, 0x80, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        ];
        assert_eq!(parse(&huge), Err(IimError::Truncated { offset: 0 }));
    }

    #[test]
    fn bad_blocks_are_typed_errors() {
        assert_eq!(
            parse(&[0x1C, 2, 80, 0, 5, b'a']),
            Err(IimError::Truncated { offset: 0 })
        );
        assert_eq!(parse(&[0x1C, 2]), Err(IimError::Truncated { offset: 0 }));
        let garbage = [ds(2, 80, b"A"), vec![0, 0, 7]].concat();
        assert_eq!(
            parse(&garbage),
            Err(IimError::BadMarker { offset: 6, byte: 0 })
        );
        assert!(set_special_instructions(&garbage, "x").is_err());
        assert!(read_text(&garbage).is_err());
    }

    fn exercise(iim: &[u8]) {
        if let Ok(sets) = parse(iim) {
            for d in &sets {
                assert!(d.range.start < d.value.start || d.value.is_empty());
                assert!(d.range.end <= iim.len());
            }
        }
        let _ = read_text(iim);
        let _ = charset(iim);
        for text in ["train-ai=n", "crédit"] {
            if let Ok(new) = set_special_instructions(iim, text) {
                assert_eq!(
                    read_text(&new).unwrap().special_instructions.as_deref(),
                    Some(text)
                );
            }
        }
        if let Ok(new) = remove_special_instructions(iim) {
            assert_eq!(read_text(&new).unwrap().special_instructions, None);
        }
    }

    #[test]
    fn hostile_inputs_never_panic() {
        let iim = [
            ds(1, 90, b"\x1b%G"),
            sample_iim(),
            vec![0x1C, 2, 202, 0x80, 0x02, 0x00, 0x03, 1, 2, 3],
            vec![0, 0],
        ]
        .concat();
        for n in 0..=iim.len() {
            exercise(&iim[..n]);
        }
        let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
        for _ in 0..3000 {
            let mut v = iim.clone();
            for _ in 0..1 + rng.next() % 4 {
                let i = (rng.next() % v.len() as u64) as usize;
                v[i] = rng.next() as u8;
            }
            exercise(&v);
        }
    }

    // ---- interop with ExifTool and exiv2 ----

    fn tool_ok(cmd: &str, arg: &str) -> bool {
        std::process::Command::new(cmd)
            .arg(arg)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    /// ExifTool and exiv2 commands. The tests that call this are ignored
    /// when `build.rs` did not find the tools (unless CCSIG_REQUIRE_TOOLS is
    /// set), so here a missing tool is a failure.
    fn tools() -> (String, String) {
        let exiftool = std::env::var("EXIFTOOL").unwrap_or_else(|_| "exiftool".into());
        let have_et = tool_ok(&exiftool, "-ver");
        let have_exiv2 = tool_ok("exiv2", "--version");
        assert!(
            have_et && have_exiv2,
            "IIM interop test needs ExifTool ({exiftool}: {have_et}) and exiv2 ({have_exiv2}); \
             set EXIFTOOL or install them (bash .ci/run does)"
        );
        (exiftool, "exiv2".into())
    }

    fn run(cmd: &str, args: &[&str]) -> String {
        let out = std::process::Command::new(cmd).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{cmd} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn write_with_text(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
        let new = set_special_instructions(&sample_iim(), text).unwrap();
        let irb_bytes = irb::with_iptc(&sample_irb(), &new).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, splice_app13(SAMPLE, &irb_bytes)).unwrap();
        path
    }

    #[test]
    #[cfg_attr(
        not(all(ccsig_has_exiftool, ccsig_has_exiv2)),
        ignore = "needs exiftool and exiv2 (bash .ci/run installs them)"
    )]
    fn exiftool_and_exiv2_read_what_we_wrote() {
        let (exiftool, exiv2) = tools();
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("ascii.jpg", "train-ai=n;exceptions=cc-cr-op"),
            ("utf8.jpg", "train-ai=n;exceptions=cc-cr; crédit Zoë"),
        ] {
            let path = write_with_text(dir.path(), name, text);
            let p = path.to_str().unwrap();
            let json = run(
                &exiftool,
                &[
                    "-j",
                    "-validate",
                    "-Warning",
                    "-IPTC:all",
                    "-IPTCDigest",
                    "-CurrentIPTCDigest",
                    p,
                ],
            );
            let v: serde_json::Value = serde_json::from_str(&json).unwrap();
            let v = &v[0];
            assert_eq!(v["SpecialInstructions"], text, "{json}");
            assert!(v.get("Warning").is_none(), "{json}");
            assert_eq!(v["Validate"], "OK", "{json}");
            assert_eq!(v["By-line"], "Ada Example", "{json}");
            assert_eq!(v["CopyrightNotice"], "(c) 2024 Ada Example", "{json}");
            assert!(v["IPTCDigest"].is_string(), "{json}");
            assert_eq!(v["IPTCDigest"], v["CurrentIPTCDigest"], "{json}");
            if !text.is_ascii() {
                assert_eq!(v["CodedCharacterSet"], "UTF8", "{json}");
            }
            let pi = run(&exiv2, &["-pi", p]);
            let line = pi
                .lines()
                .find(|l| l.starts_with("Iptc.Application2.SpecialInstructions"))
                .unwrap_or_else(|| panic!("exiv2 -pi shows no 2:40:\n{pi}"));
            assert!(line.ends_with(text), "{line}");
            assert!(pi.contains("Iptc.Application2.Byline"), "{pi}");
        }
    }

    #[test]
    #[cfg_attr(
        not(all(ccsig_has_exiftool, ccsig_has_exiv2)),
        ignore = "needs exiftool and exiv2 (bash .ci/run installs them)"
    )]
    fn missing_digest_is_added_where_exiftool_adds_it() {
        let (exiftool, _) = tools();
        let dir = tempfile::tempdir().unwrap();
        // A file whose IRB has the IPTC block, another resource after it,
        // and no digest.
        let iim = sample_iim();
        let other = [
            b"8BIM".as_slice(),
            &[0x04, 0x08, 0, 0, 0, 0, 0, 4],
            &[1, 2, 3, 4],
        ]
        .concat();
        let mut start = irb::new_irb(&iim);
        start.truncate(irb::parse(&start).unwrap()[0].range.end);
        let start = [start, other].concat();
        let path = dir.path().join("nodigest.jpg");
        std::fs::write(&path, splice_app13(SAMPLE, &start)).unwrap();
        let p = path.to_str().unwrap();
        run(
            &exiftool,
            &[
                "-q",
                "-overwrite_original",
                "-IPTC:SpecialInstructions=x",
                "-IPTCDigest=new",
                p,
            ],
        );
        let theirs = irb::tests::app13_payload(&std::fs::read(&path).unwrap()).unwrap();
        let ours = irb::with_iptc(&start, &set_special_instructions(&iim, "x").unwrap()).unwrap();
        let ids = |b: &[u8]| {
            irb::parse(b)
                .unwrap()
                .iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&theirs), vec![irb::IPTC_ID, 0x0408, irb::DIGEST_ID]);
        assert_eq!(ids(&ours), ids(&theirs));
        let their_iim = irb::iptc(&theirs).unwrap().unwrap();
        assert_eq!(
            irb::digest(&theirs).unwrap().unwrap(),
            irb::iim_digest(their_iim)
        );
        assert_eq!(
            read_text(their_iim)
                .unwrap()
                .special_instructions
                .as_deref(),
            Some("x")
        );
    }
}
