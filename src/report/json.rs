//! JSON (one array, streamed) and JSON Lines (one record per line).

use std::io::{self, Write};

use serde::Serialize;

/// Keeps the I/O error's kind (a closed pipe must stay `BrokenPipe`).
fn to_io(e: serde_json::Error) -> io::Error {
    io::Error::from(e)
}

pub fn line<W: Write, T: Serialize>(out: &mut W, record: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, record).map_err(to_io)?;
    out.write_all(b"\n")
}

pub fn array_item<W: Write, T: Serialize>(out: &mut W, record: &T, first: bool) -> io::Result<()> {
    out.write_all(if first { b"[\n" } else { b",\n" })?;
    serde_json::to_writer_pretty(&mut *out, record).map_err(to_io)
}

pub fn close_array<W: Write>(out: &mut W, empty: bool) -> io::Result<()> {
    out.write_all(if empty { b"[]\n" } else { b"\n]\n" })
}
