//! Totals over a run: the summary line, `--statistics` and `--show-fixes`.

use super::{FileReport, Status};
use crate::diagnostics::Applicability;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Totals over every file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub files: usize,
    pub unchanged: usize,
    pub changed: usize,
    pub written: usize,
    pub errors: usize,
    pub skipped: usize,
    pub findings: usize,
    /// Unsafe fixes not applied because `--unsafe` (or `unsafe = true`) was not given.
    pub hidden_fixes: usize,
    /// Files with something left for a person: a finding without a fix, or a hidden fix.
    pub needs_human: usize,
    /// Files beside the Dockerfiles (their build contexts' ignore files) that fixes create or
    /// rewrite, or created and rewrote with `--write`, each counted once.
    pub beside: usize,
}

impl Summary {
    /// Counts the reports.
    pub fn of(reports: &[FileReport]) -> Summary {
        let mut summary = Summary::default();
        summary.add(reports);
        let mut ledger = super::BesideLedger::default();
        for file in reports.iter().flat_map(|report| &report.beside) {
            ledger.record(file);
        }
        summary.beside = ledger.len();
        summary
    }

    /// Adds more reports to the counts (not [`Summary::beside`], which the caller counts once
    /// per file over the run).
    pub fn add(&mut self, reports: &[FileReport]) {
        let summary = self;
        summary.files += reports.len();
        for report in reports {
            summary.findings += report.findings.len();
            summary.hidden_fixes += report.hidden_fixes();
            summary.needs_human += usize::from(report.needs_human());
            // A Dockerfile whose fixes only create or change the ignore file beside it is
            // unchanged; that file is counted in `beside`.
            match report.status {
                Status::Changed | Status::Written if report.only_beside => summary.unchanged += 1,
                Status::Unchanged => summary.unchanged += 1,
                Status::Changed => summary.changed += 1,
                Status::Written => summary.written += 1,
                Status::Error => summary.errors += 1,
                Status::Skipped => summary.skipped += 1,
            }
        }
    }

    /// The summary line of the findings listing.
    pub fn findings_line(&self) -> String {
        format!(
            "Found {} in {}; {} would be changed by fixes{}{}{}.",
            plural(self.findings, "finding"),
            plural(self.files, "file"),
            plural(self.changed, "file"),
            self.beside_suffix("would be created or changed"),
            self.error_suffix(),
            self.hidden_suffix()
        )
    }

    /// The summary line of `--check` and `--diff`.
    pub fn check_line(&self) -> String {
        format!(
            "{} would be changed, {} unchanged{}{}{}.",
            plural(self.changed, "file"),
            self.unchanged,
            self.beside_suffix("would be created or changed"),
            self.error_suffix(),
            self.hidden_suffix()
        )
    }

    /// The summary line of `--write`.
    pub fn write_line(&self) -> String {
        format!(
            "Fixed {}, {} unchanged{}{}{}.",
            plural(self.written + self.changed, "file"),
            self.unchanged,
            self.beside_suffix("written"),
            self.error_suffix(),
            self.hidden_suffix()
        )
    }

    /// `, 1 ignore file written`: the files beside the Dockerfiles.
    fn beside_suffix(&self, what: &str) -> String {
        match self.beside {
            0 => String::new(),
            count => format!(", {} {what}", plural(count, "ignore file")),
        }
    }

    /// ` (N hidden fixes can be enabled with the `--unsafe` option)`, as ruff says it.
    fn hidden_suffix(&self) -> String {
        match self.hidden_fixes {
            0 => String::new(),
            1 => " (1 hidden fix can be enabled with the `--unsafe` option)".to_owned(),
            count => format!(" ({count} hidden fixes can be enabled with the `--unsafe` option)"),
        }
    }

    fn error_suffix(&self) -> String {
        match (self.errors, self.skipped) {
            (0, 0) => String::new(),
            (errors, 0) => format!(", {} with errors", plural(errors, "file")),
            (0, skipped) => format!(", {skipped} skipped"),
            (errors, skipped) => {
                format!(
                    ", {} with errors, {skipped} skipped",
                    plural(errors, "file")
                )
            }
        }
    }
}

pub(super) fn plural(count: usize, noun: &str) -> String {
    match (count, noun.ends_with('x')) {
        (1, _) => format!("1 {noun}"),
        (_, true) => format!("{count} {noun}es"),
        (_, false) => format!("{count} {noun}s"),
    }
}

/// `--statistics`: findings per transform, and how many of them have a safe, an unsafe or no
/// fix.
#[derive(Debug, Default)]
pub struct Statistics {
    by_transform: BTreeMap<&'static str, Counts>,
}

/// The findings of one transform.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub count: usize,
    pub safe: usize,
    #[serde(rename = "unsafe")]
    pub unsafe_fixes: usize,
    pub display_only: usize,
}

/// One row of `--statistics --format json`.
#[derive(Serialize)]
struct StatisticsRow<'s> {
    transform: &'s str,
    #[serde(flatten)]
    counts: Counts,
}

impl Statistics {
    /// Counts the findings of these reports.
    pub fn add(&mut self, reports: &[FileReport]) {
        for finding in reports.iter().flat_map(|report| &report.findings) {
            let counts = self
                .by_transform
                .entry(finding.finding.transform)
                .or_default();
            counts.count += 1;
            match finding.finding.applicability() {
                Applicability::Safe => counts.safe += 1,
                Applicability::Unsafe => counts.unsafe_fixes += 1,
                Applicability::DisplayOnly => counts.display_only += 1,
            }
        }
    }

    /// Most findings first, then by id.
    fn rows(&self) -> Vec<(&'static str, Counts)> {
        let mut rows: Vec<(&'static str, Counts)> = self
            .by_transform
            .iter()
            .map(|(id, counts)| (*id, *counts))
            .collect();
        rows.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
        rows
    }

    /// One line per transform: `COUNT  ID  N safe, N unsafe, N display-only` (zero counts
    /// left out), aligned.
    pub fn text(&self) -> String {
        let rows = self.rows();
        let count_width = rows
            .iter()
            .map(|(_, counts)| counts.count.to_string().len())
            .max()
            .unwrap_or(1);
        let id_width = rows.iter().map(|(id, _)| id.len()).max().unwrap_or(0);
        let mut out = String::new();
        for (id, counts) in rows {
            let kinds: Vec<String> = [
                (counts.safe, "safe"),
                (counts.unsafe_fixes, "unsafe"),
                (counts.display_only, "display-only"),
            ]
            .iter()
            .filter(|(count, _)| *count > 0)
            .map(|(count, kind)| format!("{count} {kind}"))
            .collect();
            let _ = writeln!(
                out,
                "{:>count_width$}  {id:<id_width$}  {}",
                counts.count,
                kinds.join(", ")
            );
        }
        out
    }

    /// `[{"transform", "count", "safe", "unsafe", "display_only"}, ...]`, in the order of
    /// [`Statistics::text`], ending in a newline.
    pub fn json(&self) -> String {
        let rows: Vec<StatisticsRow> = self
            .rows()
            .into_iter()
            .map(|(transform, counts)| StatisticsRow { transform, counts })
            .collect();
        let mut json = serde_json::to_string_pretty(&rows).unwrap_or_default();
        json.push('\n');
        json
    }
}

/// `--show-fixes`: the fixes applied to each written file, as ruff lists them.
///
/// A file's applied fixes are its findings (reported against the original text) whose fix the
/// final text holds ([`FileReport::applied_findings`]).
#[derive(Debug, Default)]
pub struct AppliedFixes {
    count: usize,
    listing: String,
}

impl AppliedFixes {
    /// Adds the written files among `reports`.
    pub fn add<'r>(&mut self, reports: impl IntoIterator<Item = &'r FileReport>) {
        for report in reports {
            let mut by_transform: BTreeMap<&str, usize> = BTreeMap::new();
            for finding in report.applied_findings() {
                *by_transform.entry(finding.finding.transform).or_default() += 1;
            }
            if by_transform.is_empty() {
                continue;
            }
            let _ = writeln!(self.listing, "- {}:", report.path);
            for (transform, count) in by_transform {
                self.count += count;
                let _ = writeln!(self.listing, "    {count} × {transform}");
            }
        }
    }

    /// `Applied N fixes:` and the listing, or nothing when no fix was applied.
    pub fn text(&self) -> String {
        if self.count == 0 {
            return String::new();
        }
        format!("Applied {}:\n{}", plural(self.count, "fix"), self.listing)
    }
}
