//! The complete audit as one self-contained HTML page (`check --format
//! html`): header, totals, a chart of statuses by contributor (or folder),
//! the findings grouped by kind with the fix for each, and a table of
//! every file that sorts and filters in the browser. No external script,
//! font or image: it opens from an email attachment and prints to PDF.
//! The page is an askama template (`templates/audit.html`), compiled in.

use std::io::{self, Write};

use askama::Template;
use serde::Serialize;

use super::ledger::{AuditEntry, RunHeader, Status, StatusCounts, Totals};
use crate::audit::FindingKind;
use crate::signal::Severity;

/// The chart shows this many groups; the rest are summed into one bar.
const CHART_GROUPS: usize = 15;
/// Width of the chart's bars, in SVG units.
const BAR_WIDTH: f64 = 560.0;
/// Files listed under each kind of finding; the table has every one.
const FILES_PER_KIND: usize = 8;

/// One coloured piece of a chart bar.
struct Segment {
    status: Status,
    count: usize,
    x: f64,
    width: f64,
}

/// One bar of the chart: a contributor or folder and its files by status.
struct Bar {
    label: String,
    total: usize,
    y: usize,
    segments: Vec<Segment>,
}

/// Findings of one kind, with the fix and the first files.
struct KindGroup {
    kind: FindingKind,
    /// The worst severity found with it.
    severity: Severity,
    count: usize,
    /// The first files found with it: path and message.
    files: Vec<(String, String)>,
    more: usize,
}

/// One row of the table of every file, as the page's script reads it:
/// an array, to keep a 100,000-file page small.
#[derive(Serialize)]
struct Row<'a>(
    /// path
    &'a str,
    /// status
    &'static str,
    /// signal
    Option<&'a str>,
    /// contributor
    Option<&'a str>,
    /// format
    Option<&'static str>,
    /// catalog_path, for a moved file
    Option<&'a str>,
    /// findings: kind, severity, message
    Vec<(&'static str, &'static str, &'a str)>,
);

#[derive(Template)]
#[template(path = "audit.html", config = "src/report/askama.toml")]
struct Page<'a> {
    header: &'a RunHeader,
    totals: &'a Totals,
    chart_of: &'static str,
    bars: Vec<Bar>,
    chart_height: usize,
    groups: &'a [KindGroup],
    /// The table's rows as JSON array items, in runs by status, worst
    /// first (joined by commas in the template); see [`Row`].
    rows: Vec<String>,
    kinds: Vec<&'static str>,
}

/// The page, built as entries come: each table row is serialized at once
/// (in a run per status, so the table starts with the errors) and only
/// the first files of each kind of finding are kept, so the page holds
/// the size of its own data rather than every entry.
///
/// The table's rows travel as JSON in the page (`<script
/// type="application/json">`), and its script builds the rows shown: a
/// browser lays out a 100,000-row table in minutes, and parses the same
/// data as JSON in a second (`docs/benchmarks.md`).
#[derive(Default)]
pub(super) struct PageBuilder {
    /// Serialized rows, by status (`Status::ALL` order), comma-separated.
    rows: [Vec<u8>; 4],
    groups: Vec<KindGroup>,
}

impl PageBuilder {
    /// Renders the entry's row and counts its findings by kind.
    pub(super) fn add(&mut self, entry: &AuditEntry) -> io::Result<()> {
        let row = Row(
            &entry.path,
            entry.status.as_str(),
            entry.signal.as_deref(),
            entry.contributor.as_deref(),
            entry.format,
            entry.catalog_path.as_deref(),
            entry
                .findings
                .iter()
                .map(|f| (f.kind.name(), f.severity.as_str(), f.message.as_str()))
                .collect(),
        );
        let run = &mut self.rows[entry.status as usize];
        if !run.is_empty() {
            run.push(b',');
        }
        let json = serde_json::to_vec(&row).map_err(io::Error::from)?;
        script_safe(&json, run);
        for f in &entry.findings {
            let at = match self.groups.iter().position(|g| g.kind == f.kind) {
                Some(at) => at,
                None => {
                    self.groups.push(KindGroup {
                        kind: f.kind,
                        severity: f.severity,
                        count: 0,
                        files: Vec::new(),
                        more: 0,
                    });
                    self.groups.len() - 1
                }
            };
            let group = &mut self.groups[at];
            group.severity = group.severity.max(f.severity);
            group.count += 1;
            if group.files.len() < FILES_PER_KIND {
                group.files.push((entry.path.clone(), f.message.clone()));
            } else {
                group.more += 1;
            }
        }
        Ok(())
    }

    /// Writes the whole page.
    pub(super) fn write<W: Write>(
        mut self,
        out: &mut W,
        header: &RunHeader,
        totals: &Totals,
    ) -> io::Result<()> {
        let (chart_of, by) = match header.catalog {
            Some(_) => ("contributor", &totals.by_contributor),
            None => ("folder", &totals.by_folder),
        };
        let bars = bars(by);
        // Worst kinds first, then the most found.
        self.groups
            .sort_by(|a, b| b.severity.cmp(&a.severity).then(b.count.cmp(&a.count)));
        // Worst status first; each run moves into its string, no copy.
        let rows = std::mem::take(&mut self.rows)
            .into_iter()
            .rev()
            .filter(|run| !run.is_empty())
            .map(|run| String::from_utf8(run).map_err(io::Error::other))
            .collect::<io::Result<Vec<String>>>()?;
        let page = Page {
            header,
            totals,
            chart_of,
            chart_height: bars.len() * 26 + 4,
            bars,
            groups: &self.groups,
            rows,
            kinds: totals.by_kind.keys().copied().collect(),
        };
        page.write_into(out)
    }
}

/// JSON made safe to stand inside a `<script>` element: `<`, `>` and `&`
/// (which JSON has only inside strings) written as `\u003c` escapes, so no
/// file name or message can close the element.
fn script_safe(json: &[u8], out: &mut Vec<u8>) {
    for &b in json {
        match b {
            b'<' => out.extend_from_slice(b"\\u003c"),
            b'>' => out.extend_from_slice(b"\\u003e"),
            b'&' => out.extend_from_slice(b"\\u0026"),
            b => out.push(b),
        }
    }
}

/// The chart's bars: the largest groups, the rest summed into one.
fn bars(groups: &std::collections::BTreeMap<String, StatusCounts>) -> Vec<Bar> {
    let mut sized: Vec<(&String, &StatusCounts, usize)> = groups
        .iter()
        .map(|(name, counts)| (name, counts, counts.values().sum()))
        .collect();
    sized.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
    let mut shown: Vec<(String, StatusCounts)> = sized
        .iter()
        .take(CHART_GROUPS)
        .map(|(n, c, _)| ((*n).clone(), (*c).clone()))
        .collect();
    if sized.len() > CHART_GROUPS {
        let mut rest = StatusCounts::new();
        for (_, counts, _) in &sized[CHART_GROUPS..] {
            for (status, n) in *counts {
                *rest.entry(*status).or_default() += n;
            }
        }
        shown.push((format!("{} others", sized.len() - CHART_GROUPS), rest));
    }
    // The widest bar fills the chart (the "others" bar may be it).
    let largest = shown
        .iter()
        .map(|(_, c)| c.values().sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1);
    shown
        .into_iter()
        .enumerate()
        .map(|(i, (label, counts))| {
            let mut x = 0.0;
            let segments = Status::ALL
                .iter()
                .map(|s| {
                    let count = counts.get(s).copied().unwrap_or(0);
                    let width = BAR_WIDTH * count as f64 / largest as f64;
                    let segment = Segment {
                        status: *s,
                        count,
                        x,
                        width,
                    };
                    x += width;
                    segment
                })
                .filter(|s| s.count > 0)
                .collect();
            Bar {
                label,
                total: counts.values().sum(),
                y: i * 26,
                segments,
            }
        })
        .collect()
}

impl Bar {
    /// The bar's tooltip: `Phil H: 3 ok, 1 error`.
    fn title(&self) -> String {
        let parts: Vec<String> = self
            .segments
            .iter()
            .map(|s| format!("{} {}", s.count, s.status.as_str()))
            .collect();
        format!("{}: {}", self.label, parts.join(", "))
    }
}

impl Segment {
    fn x(&self) -> String {
        format!("{:.1}", self.x)
    }

    fn width(&self) -> String {
        format!("{:.1}", self.width)
    }
}

impl Page<'_> {
    /// Where a bar's total is written: just after its end.
    fn label_x(&self, bar: &Bar) -> String {
        let end = bar.segments.last().map_or(0.0, |s| s.x + s.width);
        format!("{:.1}", 316.0 + end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_cannot_close_its_script_element() {
        let mut out = Vec::new();
        let json = serde_json::to_vec(&("</script><b>&", 1)).unwrap();
        script_safe(&json, &mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        let back: (String, u8) = serde_json::from_str(&text).unwrap();
        assert_eq!(back.0, "</script><b>&");
    }
}
