//! `--format json`: one document `{"files": [...], "summary": {...}}`, written piece by piece.

use super::{FileReport, Status, Summary};
use crate::diagnostics::Edit;
use serde::Serialize;

/// One file of the JSON document.
#[derive(Serialize)]
pub struct JsonFile<'r> {
    pub path: &'r str,
    pub status: Status,
    pub findings: Vec<JsonFinding<'r>>,
    pub errors: Vec<JsonError<'r>>,
    /// What the run's fixes do to the whole file (`null` when nothing changes).
    pub fix: Option<JsonFix<'r>>,
}

/// The combined result of the fixes applied to one file, as edits of the original text that
/// never overlap: unlike the findings' own edits, which each apply alone, these apply together.
#[derive(Serialize)]
pub struct JsonFix<'r> {
    pub edits: &'r [Edit],
}

/// One finding of the JSON document.
#[derive(Serialize)]
pub struct JsonFinding<'r> {
    pub path: &'r str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub transform: &'static str,
    pub applicability: &'static str,
    pub message: &'r str,
    pub edits: &'r [Edit],
}

/// One error of the JSON document (`line` is 0 when there is none).
#[derive(Serialize)]
pub struct JsonError<'r> {
    pub line: usize,
    pub message: &'r str,
}

/// The JSON document (pretty-printed, ending in a newline) written piece by piece, so a run never holds every file's report.
#[derive(Debug, Default)]
pub struct JsonStream {
    started: bool,
}

impl JsonStream {
    /// The entries of these reports (the document's opening before the first one).
    pub fn entries(&mut self, reports: &[FileReport]) -> String {
        let mut out = String::new();
        for report in reports {
            out.push_str(if self.started {
                ",\n"
            } else {
                "{\n  \"files\": [\n"
            });
            self.started = true;
            let text = serde_json::to_string_pretty(&json_file(report)).unwrap_or_default();
            out.push_str(&super::indented(&text, "    "));
        }
        out
    }

    /// The end of the document: the summary.
    pub fn finish(self, summary: &Summary) -> String {
        let text = serde_json::to_string_pretty(summary).unwrap_or_default();
        let summary = text.replace('\n', "\n  ");
        if self.started {
            format!("\n  ],\n  \"summary\": {summary}\n}}\n")
        } else {
            format!("{{\n  \"files\": [],\n  \"summary\": {summary}\n}}\n")
        }
    }
}

/// The whole JSON document for these reports.
pub fn json_document(reports: &[FileReport]) -> String {
    let mut stream = JsonStream::default();
    let entries = stream.entries(reports);
    entries + &stream.finish(&Summary::of(reports))
}

fn json_file(report: &FileReport) -> JsonFile<'_> {
    JsonFile {
        path: &report.path,
        status: report.status,
        findings: report
            .findings
            .iter()
            .map(|reported| JsonFinding {
                path: &report.path,
                line: reported.line,
                column: reported.column,
                end_line: reported.end_line,
                transform: reported.finding.transform,
                applicability: reported.finding.applicability().as_str(),
                message: &reported.finding.message,
                edits: reported
                    .finding
                    .fix
                    .as_ref()
                    .map_or(&[][..], |fix| &fix.edits),
            })
            .collect(),
        errors: report
            .errors
            .iter()
            .map(|error| JsonError {
                line: error.line,
                message: &error.message,
            })
            .collect(),
        fix: report.fix_edits.as_deref().map(|edits| JsonFix { edits }),
    }
}
