//! Emitters: what the user sees. Per-file results are rendered to strings inside the parallel
//! workers (diffs, findings) and printed once, sorted by path, by the CLI.
//!
//! - text findings: `path:line:column: [id] message (safe|unsafe|display-only)`;
//! - `--diff`: a unified diff `git apply` and `patch -p1` accept, line endings kept byte for byte;
//!   a file beside the Dockerfile that a fix creates comes as `--- /dev/null` / `+++ b/PATH`;
//! - `--check`: `Would fix: PATH` (`Would create: PATH` for a new file beside it);
//! - `--write`: atomic replacement ([`write_atomically`]) or creation ([`create_atomically`]);
//! - `--format json`: one document `{"files": [...], "summary": {...}}` ([`JsonStream`]);
//! - `--statistics`: counts per transform ([`Statistics`]); `--show-fixes`: the fixes applied
//!   per file ([`AppliedFixes`]).

mod annotations;
mod commit_message;
mod diff;
mod json;
mod sarif;
mod summary;
mod write;

pub use annotations::{github_annotations, GitlabStream};
pub use commit_message::CommitMessage;
pub use diff::{combined_edits, new_file_diff, unified_diff};
pub use json::{json_document, JsonError, JsonFile, JsonFinding, JsonFix, JsonStream};
pub use sarif::{sarif_results, SarifResult, SarifRule, SarifStream};
use summary::plural;
pub use summary::{AppliedFixes, Counts, Statistics, Summary};
pub use write::{create_atomically, write_atomically, WriteError};

use crate::diagnostics::{Applicability, Edit};
use crate::engine::{FileError, ReportedFinding};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

/// ANSI colouring, enabled or not.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Paint {
    pub enabled: bool,
}

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        if self.enabled {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
    pub fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }
    pub fn red(self, text: &str) -> String {
        self.wrap("31", text)
    }
    pub fn green(self, text: &str) -> String {
        self.wrap("32", text)
    }
    pub fn cyan(self, text: &str) -> String {
        self.wrap("36", text)
    }
}

/// What happened to one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Nothing to change.
    Unchanged,
    /// Fixes would change it (not written: no `--write`).
    Changed,
    /// Fixes were written to it.
    Written,
    /// It could not be processed, fixed or written; see its errors.
    Error,
    /// `# dfmigrate: skip-file`.
    Skipped,
}

/// The result for one file, rendered inside the worker that processed it.
#[derive(Clone, Debug)]
pub struct FileReport {
    /// The path as shown to the user.
    pub path: String,
    pub status: Status,
    pub findings: Vec<ReportedFinding>,
    pub errors: Vec<FileError>,
    /// The unified diff, in `--diff` mode.
    pub diff: Option<String>,
    /// The fixed text for stdout (stdin with `--write`).
    pub output: Option<String>,
    /// Whether this file's settings apply unsafe fixes.
    pub apply_unsafe: bool,
    /// The combined edits of the fixes applied (JSON output only): original → fixed.
    pub fix_edits: Option<Vec<Edit>>,
    /// The findings as SARIF results (SARIF output only).
    pub sarif_results: Vec<SarifResult>,
    /// The files beside the Dockerfile that its fixes create or rewrite (its build context's
    /// ignore file).
    pub beside: Vec<BesideFile>,
    /// Whether the fixes change only files beside the Dockerfile, not its own text.
    pub only_beside: bool,
}

/// A file beside a Dockerfile that its fixes create or rewrite.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BesideFile {
    /// The path as shown to the user.
    pub path: String,
    /// The path as the Dockerfile's was given, to write it.
    pub location: PathBuf,
    /// What it holds now; `None` when the fixes create it.
    pub original: Option<String>,
    /// Its new content.
    pub content: String,
}

impl BesideFile {
    /// Whether the fixes create it.
    pub fn created(&self) -> bool {
        self.original.is_none()
    }

    /// Its unified diff: `--- /dev/null` for a new file.
    pub fn diff(&self, paint: Paint) -> String {
        match &self.original {
            Some(original) => unified_diff(&self.path, original, &self.content, paint),
            None => new_file_diff(&self.path, &self.content, paint),
        }
    }
}

/// The files beside Dockerfiles already met in a run, by path, so that two Dockerfiles of a
/// context that propose the same file print and count it once, and two that propose different
/// contents for one file are caught.
#[derive(Debug, Default)]
pub struct BesideLedger {
    seen: HashMap<String, String>,
}

/// What the ledger says of a file beside a Dockerfile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BesideEntry {
    /// Met for the first time.
    New,
    /// Met before with the same content.
    Repeated,
    /// Met before with another content.
    Conflicting,
}

impl BesideLedger {
    /// Records a file and says whether it is new.
    pub fn record(&mut self, file: &BesideFile) -> BesideEntry {
        match self.seen.get(&file.path) {
            Some(content) if *content == file.content => BesideEntry::Repeated,
            Some(_) => BesideEntry::Conflicting,
            None => {
                self.seen.insert(file.path.clone(), file.content.clone());
                BesideEntry::New
            }
        }
    }

    /// How many distinct files were recorded.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether none was recorded.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

impl FileReport {
    /// A report with no findings, errors or output yet.
    pub fn new(path: String, status: Status) -> FileReport {
        FileReport {
            path,
            status,
            findings: Vec::new(),
            errors: Vec::new(),
            diff: None,
            output: None,
            apply_unsafe: false,
            fix_edits: None,
            sarif_results: Vec::new(),
            beside: Vec::new(),
            only_beside: false,
        }
    }

    /// A file that could not be processed at all.
    pub fn failed(path: String, line: usize, message: String) -> FileReport {
        let mut report = FileReport::new(path, Status::Error);
        report.errors.push(FileError { line, message });
        report
    }

    /// Whether a finding's fix qualifies under this file's settings (safe; unsafe with
    /// `--unsafe`), applied or not.
    fn qualifies(&self, finding: &ReportedFinding) -> bool {
        match finding.finding.applicability() {
            Applicability::Safe => true,
            Applicability::Unsafe => self.apply_unsafe,
            Applicability::DisplayOnly => false,
        }
    }

    /// The findings whose fixes the final text holds (the engine's [`ReportedFinding::applied`]:
    /// not reverted, not declined by a later round, not undone by a later fix). Reported
    /// against the original text, as the user saw them.
    pub fn applied_findings(&self) -> impl Iterator<Item = &ReportedFinding> {
        self.findings.iter().filter(|finding| finding.applied)
    }

    /// Whether a finding's fix qualified under this file's settings but the final text does not
    /// hold it: a later round declined it, or a later fix undid it.
    pub fn left_out(&self, finding: &ReportedFinding) -> bool {
        self.qualifies(finding) && !finding.applied
    }

    /// Unsafe fixes that were not applied because unsafe fixes are not enabled.
    pub fn hidden_fixes(&self) -> usize {
        if self.apply_unsafe {
            return 0;
        }
        self.findings
            .iter()
            .filter(|finding| finding.finding.applicability() == Applicability::Unsafe)
            .count()
    }

    /// True when something is left for a person to decide: a finding without a fix, or an
    /// unsafe fix these settings do not apply.
    pub fn needs_human(&self) -> bool {
        self.findings
            .iter()
            .any(|reported| match reported.finding.applicability() {
                Applicability::DisplayOnly => true,
                Applicability::Unsafe => !self.apply_unsafe,
                Applicability::Safe => false,
            })
    }

    /// True when fixes change (or changed) the file.
    pub fn changes(&self) -> bool {
        matches!(self.status, Status::Changed | Status::Written)
    }
}

/// `--diff --explain`: what the run applied to a file and why, as `#` lines placed before its
/// diff, where `git apply` and `patch` skip them.
pub fn explanation(report: &FileReport) -> String {
    let mut out = format!("# dfmigrate: {}\n", report.path);
    for reported in report.applied_findings() {
        let finding = &reported.finding;
        let _ = writeln!(
            out,
            "#   line {} [{}] {} ({})",
            reported.line,
            finding.transform,
            finding.message.replace(['\r', '\n'], " "),
            finding.applicability().as_str()
        );
    }
    out
}

/// `PATH:LINE: error: message`, or `PATH: error: message` when there is no line.
pub fn error_line(path: &str, error: &FileError) -> String {
    match error.line {
        0 => format!("{path}: error: {}", error.message),
        line => format!("{path}:{line}: error: {}", error.message),
    }
}

/// `path:line:column: [id] message (applicability)`. A message that already ends with its
/// applicability and the reason for it (`… (unsafe: the application may write …)`) is not
/// given a second `(unsafe)`.
pub fn finding_line(path: &str, finding: &ReportedFinding, paint: Paint) -> String {
    let message = &finding.finding.message;
    let applicability = finding.finding.applicability().as_str();
    let suffix = if ends_stating(message, applicability) {
        String::new()
    } else {
        format!(" ({applicability})")
    };
    format!(
        "{path}:{}:{}: {} {message}{suffix}",
        finding.line,
        finding.column,
        paint.red(&format!("[{}]", finding.finding.transform)),
    )
}

/// True when `message` ends with a parenthesised `(LABEL)` or `(LABEL: reason)`.
fn ends_stating(message: &str, label: &str) -> bool {
    let Some(body) = message.strip_suffix(')') else {
        return false;
    };
    // The `(` that the final `)` closes.
    let mut depth = 0usize;
    let mut open = None;
    for (index, character) in body.char_indices().rev() {
        match character {
            ')' => depth += 1,
            '(' if depth == 0 => {
                open = Some(index);
                break;
            }
            '(' => depth -= 1,
            _ => {}
        }
    }
    let Some(open) = open else {
        return false;
    };
    let group = &body[open + 1..];
    group == label
        || group
            .strip_prefix(label)
            .is_some_and(|rest| rest.starts_with(':'))
}

/// The findings listing of every report (text format), without the summary.
pub fn findings_text(reports: &[FileReport], paint: Paint) -> String {
    let mut out = String::new();
    for report in reports {
        for finding in &report.findings {
            let _ = writeln!(out, "{}", finding_line(&report.path, finding, paint));
        }
    }
    out
}

/// A machine-readable document on stdout, written chunk by chunk.
#[derive(Debug)]
pub enum Document {
    Json(JsonStream),
    Sarif(SarifStream),
    Gitlab(GitlabStream),
}

impl Document {
    /// The part of the document for these reports.
    pub fn entries(&mut self, reports: &[FileReport]) -> String {
        match self {
            Document::Json(stream) => stream.entries(reports),
            Document::Sarif(stream) => stream.entries(reports),
            Document::Gitlab(stream) => stream.entries(reports),
        }
    }

    /// The end of the document.
    pub fn finish(self, summary: &Summary) -> String {
        match self {
            Document::Json(stream) => stream.finish(summary),
            Document::Sarif(stream) => stream.finish(),
            Document::Gitlab(stream) => stream.finish(),
        }
    }
}

/// Each line of `text` after `prefix`, joined by newlines (no final newline).
fn indented(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|line| format!("{prefix}{line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn applicability_stated_by_the_message_is_not_repeated() {
        assert!(ends_stating("x (unsafe: a (b); c)", "unsafe"));
        assert!(ends_stating("x (unsafe)", "unsafe"));
        assert!(!ends_stating("x (unsafe: a) y", "unsafe"));
        assert!(!ends_stating("x (unsafe: a)", "safe"));
        assert!(!ends_stating("x (unsafely: a)", "unsafe"));
        assert!(!ends_stating("x (see (unsafe: a))", "unsafe"));
        assert!(!ends_stating("x)", "unsafe"));
    }
}
