//! JSON (one array, streamed) and JSON Lines (one record per line).

use std::io::{self, Write};

use serde::Serialize;

/// Keeps the I/O error's kind (a closed pipe must stay `BrokenPipe`).
fn to_io(e: serde_json::Error) -> io::Error {
    io::Error::from(e)
}

/// Writes `record` as one line of JSON Lines.
///
/// ```
/// let mut out = Vec::new();
/// ccsig::report::json::line(&mut out, &serde_json::json!({"a": 1})).unwrap();
/// assert_eq!(out, b"{\"a\":1}\n");
/// ```
pub fn line<W: Write, T: Serialize>(out: &mut W, record: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, record).map_err(to_io)?;
    out.write_all(b"\n")
}

/// Writes `record` as an item of a JSON array, opening the array when it
/// is the `first` (close it with [`close_array`]).
///
/// ```
/// use ccsig::report::json::{array_item, close_array};
/// let mut out = Vec::new();
/// for (i, n) in [1, 2].iter().enumerate() {
///     array_item(&mut out, n, i == 0).unwrap();
/// }
/// close_array(&mut out, false).unwrap();
/// assert_eq!(serde_json::from_slice::<Vec<u8>>(&out).unwrap(), [1, 2]);
/// ```
pub fn array_item<W: Write, T: Serialize>(out: &mut W, record: &T, first: bool) -> io::Result<()> {
    out.write_all(if first { b"[\n" } else { b",\n" })?;
    serde_json::to_writer_pretty(&mut *out, record).map_err(to_io)
}

/// Closes the array [`array_item`] opened; `empty` when no item was
/// written, so the output is still a (empty) JSON array.
///
/// ```
/// let mut out = Vec::new();
/// ccsig::report::json::close_array(&mut out, true).unwrap();
/// assert!(serde_json::from_slice::<Vec<u8>>(&out).unwrap().is_empty());
/// ```
pub fn close_array<W: Write>(out: &mut W, empty: bool) -> io::Result<()> {
    out.write_all(if empty { b"[]\n" } else { b"\n]\n" })
}
