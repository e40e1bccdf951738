//! Where `check` (with paths or a catalog) sends what it finds: a list of
//! findings, or the complete audit (`--all`) with its header and totals.

use std::io::{self, BufWriter, IsTerminal, StdoutLock};

use ccsig::audit::Finding;
use ccsig::report::audit_writer::AuditWriter;
use ccsig::report::ledger::{AuditEntry, RunHeader};
use ccsig::report::{Reporter, Tally};
use ccsig::FileSignals;

use super::{output, CheckArgs, OutputFormat};

type Out = BufWriter<StdoutLock<'static>>;

/// One file as `check` saw it.
pub(super) struct Checked<'a> {
    pub path: &'a str,
    pub signals: Option<&'a FileSignals>,
    pub findings: Vec<Finding>,
    /// The catalog's `credit_name` for the file's row.
    pub contributor: Option<String>,
    pub digest: Option<[u8; 16]>,
    /// For a moved file: the path its row names.
    pub catalog_path: Option<String>,
}

pub(super) enum CheckOutput {
    Findings(Reporter<Out>, Tally),
    Audit(Box<AuditWriter<Out>>),
}

impl CheckOutput {
    /// The output `args` ask for; an audit's header names the catalog, tree
    /// and paths. Errors are usage errors, said as they are.
    pub fn new(args: &CheckArgs) -> Result<Self, String> {
        if !args.lists_every_file() {
            if args.batch.format == OutputFormat::Html {
                return Err("--format html is the complete audit; drop --findings-only".into());
            }
            return Ok(CheckOutput::Findings(
                output::reporter(args.batch.format),
                Tally::default(),
            ));
        }
        // The program as `ccsig`, not as the path it was started by: the
        // report goes to people who run their own copy.
        let command = std::env::args().enumerate().map(|(i, a)| match i {
            0 => "ccsig".to_string(),
            _ => a,
        });
        let mut header = RunHeader::now(args.reading.vocabulary, command);
        header.catalog = args.manifest.as_ref().map(|p| p.display().to_string());
        header.tree = args.tree.as_ref().map(|p| p.display().to_string());
        header.paths = args.paths.iter().map(|p| p.display().to_string()).collect();
        let stdout = io::stdout();
        let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
        let format = output::report_format(args.batch.format);
        AuditWriter::new(format, BufWriter::new(stdout.lock()), color, header)
            .map(|writer| CheckOutput::Audit(Box::new(writer)))
            .map_err(|e| e.to_string())
    }

    pub fn file(&mut self, file: Checked) -> io::Result<()> {
        match self {
            CheckOutput::Findings(out, tally) => {
                tally.count_findings(&file.findings);
                out.findings(file.path, &file.findings)
            }
            CheckOutput::Audit(out) => {
                let mut entry = AuditEntry::file(
                    file.path.to_string(),
                    file.signals,
                    file.findings,
                    file.contributor,
                )
                .with_digest(file.digest);
                entry.catalog_path = file.catalog_path;
                out.entry(entry)
            }
        }
    }

    /// A catalog row that could not be used, shown as `catalog.csv:LINE`.
    pub fn bad_row(&mut self, shown: &str, findings: Vec<Finding>) -> io::Result<()> {
        match self {
            CheckOutput::Findings(out, tally) => {
                tally.count_bad_row(&findings);
                out.findings(shown, &findings)
            }
            CheckOutput::Audit(out) => out.entry(AuditEntry::bad_row(shown.into(), findings)),
        }
    }

    /// Closes the output; the machine formats of an audit also say the
    /// closing line on stderr, for whoever redirected stdout to a file.
    pub fn finish(self, format: OutputFormat) -> io::Result<Tally> {
        match self {
            CheckOutput::Findings(mut out, tally) => {
                out.finish(Some(&tally.checked_line()))?;
                Ok(tally)
            }
            CheckOutput::Audit(out) => {
                let tally = out.finish()?.tally();
                if format != OutputFormat::Table {
                    eprintln!("ccsig: {}", tally.checked_line());
                }
                Ok(tally)
            }
        }
    }
}
