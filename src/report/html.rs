//! The complete audit as one self-contained HTML page (`check --format
//! html`): header, totals, a chart of statuses by contributor (or folder),
//! the findings grouped by kind with the fix for each, and a table of
//! every file that sorts and filters in the browser. No external script,
//! font or image: it opens from an email attachment and prints to PDF.
//! The page is an askama template (`templates/audit.html`), compiled in.

use std::io::{self, Write};

use askama::Template;

use super::ledger::{AuditEntry, RunHeader, Status, StatusCounts, Totals};
use crate::audit::FindingKind;

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
struct KindGroup<'a> {
    name: &'static str,
    severity: &'static str,
    count: usize,
    fix: &'static str,
    files: Vec<(&'a str, &'a str)>,
    more: usize,
}

/// A table row: an entry and what its cells show.
struct Row<'a> {
    entry: &'a AuditEntry,
    kinds: String,
}

#[derive(Template)]
#[template(path = "audit.html", config = "src/report/askama.toml")]
struct Page<'a> {
    header: &'a RunHeader,
    totals: &'a Totals,
    chart_of: &'static str,
    bars: Vec<Bar>,
    chart_height: usize,
    groups: Vec<KindGroup<'a>>,
    rows: Vec<Row<'a>>,
    statuses: [&'static str; 4],
    kinds: Vec<&'static str>,
}

/// Writes the page for an audit that found `entries` (in the order
/// checked; the table starts worst first).
pub(super) fn page<W: Write>(
    out: &mut W,
    header: &RunHeader,
    totals: &Totals,
    entries: &[AuditEntry],
) -> io::Result<()> {
    let (chart_of, groups) = match header.catalog {
        Some(_) => ("contributor", &totals.by_contributor),
        None => ("folder", &totals.by_folder),
    };
    let bars = bars(groups);
    let mut rows: Vec<Row> = entries
        .iter()
        .map(|entry| Row {
            entry,
            kinds: entry
                .findings
                .iter()
                .map(|f| f.kind.name())
                .collect::<Vec<_>>()
                .join(" "),
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.entry.status));
    let page = Page {
        header,
        totals,
        chart_of,
        chart_height: bars.len() * 26 + 4,
        bars,
        groups: kind_groups(entries),
        rows,
        statuses: Status::ALL.map(Status::as_str),
        kinds: totals.by_kind.keys().copied().collect(),
    };
    page.write_into(out)
}

/// The chart's bars: the largest groups, the rest summed into one.
fn bars(groups: &std::collections::BTreeMap<String, StatusCounts>) -> Vec<Bar> {
    let mut sized: Vec<(&String, &StatusCounts, usize)> = groups
        .iter()
        .map(|(name, counts)| (name, counts, counts.values().sum()))
        .collect();
    sized.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
    let largest = sized.first().map_or(1, |g| g.2.max(1));
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
    let largest = shown
        .iter()
        .map(|(_, c)| c.values().sum::<usize>())
        .max()
        .unwrap_or(largest)
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

/// The findings grouped by kind, worst kinds first, then the most found.
fn kind_groups(entries: &[AuditEntry]) -> Vec<KindGroup<'_>> {
    let mut groups: Vec<(FindingKind, crate::signal::Severity, KindGroup)> = Vec::new();
    for entry in entries {
        for f in &entry.findings {
            let at = match groups.iter().position(|g| g.0 == f.kind) {
                Some(at) => at,
                None => {
                    let group = KindGroup {
                        name: f.kind.name(),
                        severity: f.severity.as_str(),
                        count: 0,
                        fix: f.kind.fix(),
                        files: Vec::new(),
                        more: 0,
                    };
                    groups.push((f.kind, f.severity, group));
                    groups.len() - 1
                }
            };
            let (_, severity, group) = &mut groups[at];
            if f.severity > *severity {
                *severity = f.severity;
                group.severity = f.severity.as_str();
            }
            group.count += 1;
            if group.files.len() < FILES_PER_KIND {
                group.files.push((&entry.path, &f.message));
            } else {
                group.more += 1;
            }
        }
    }
    groups.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.count.cmp(&a.2.count)));
    groups.into_iter().map(|(_, _, g)| g).collect()
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
    fn status_count(&self, status: &str) -> usize {
        let of = |s: &&Status| s.as_str() == status;
        self.totals
            .by_status
            .iter()
            .find(|(s, _)| of(s))
            .map_or(0, |(_, n)| *n)
    }

    /// Where a bar's total is written: just after its end.
    fn label_x(&self, bar: &Bar) -> String {
        let end = bar.segments.last().map_or(0.0, |s| s.x + s.width);
        format!("{:.1}", 316.0 + end)
    }
}
