//! Where a command's records go: a reporter on stdout in the format asked
//! for, with colour only for a terminal that wants it.

use std::io::{self, BufWriter, IsTerminal};

use ccsig::report::{self, Reporter};

use super::OutputFormat;

pub(super) fn report_format(f: OutputFormat) -> report::Format {
    match f {
        OutputFormat::Table => report::Format::Table,
        OutputFormat::Json => report::Format::Json,
        OutputFormat::Jsonl => report::Format::Jsonl,
        OutputFormat::Csv => report::Format::Csv,
        OutputFormat::Html => report::Format::Html,
    }
}

pub(super) fn reporter(format: OutputFormat) -> Reporter<BufWriter<io::StdoutLock<'static>>> {
    let stdout = io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    Reporter::new(report_format(format), BufWriter::new(stdout.lock()), color)
}
