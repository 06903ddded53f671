//! `--format json`: one document `{"files": [...], "summary": {...}}`, written piece by piece.

use super::{FileReport, Status, Summary};
use crate::diagnostics::{Edit, FileChange};
use crate::walk::display_path;
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
/// `files`: the files beside it that the fixes create or rewrite, with their whole new content.
#[derive(Serialize)]
pub struct JsonFix<'r> {
    pub edits: &'r [Edit],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<JsonFileChange<'r>>,
}

/// A file beside the Dockerfile that a fix creates or rewrites.
#[derive(Serialize)]
pub struct JsonFileChange<'r> {
    pub path: String,
    /// `create` or `update`.
    pub action: &'static str,
    pub content: &'r str,
}

impl<'r> JsonFileChange<'r> {
    fn of(change: &'r FileChange) -> JsonFileChange<'r> {
        JsonFileChange {
            path: display_path(&change.path),
            action: if change.creates() { "create" } else { "update" },
            content: &change.content,
        }
    }
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
    /// The files beside the Dockerfile its fix creates or rewrites (applied alone).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<JsonFileChange<'r>>,
    /// Why a fix the run's settings apply is not in the result (absent when it is, or when
    /// the settings do not apply it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_applied: Option<&'static str>,
}

/// The reason [`JsonFinding::not_applied`] gives.
const LEFT_OUT: &str =
    "the result does not hold this fix: once other fixes were applied, its transform declined it or another fix undid it";

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

/// What the run's fixes do to the file and beside it; `None` when nothing changes.
fn json_fix(report: &FileReport) -> Option<JsonFix<'_>> {
    if report.fix_edits.is_none() && report.beside.is_empty() {
        return None;
    }
    Some(JsonFix {
        edits: report.fix_edits.as_deref().unwrap_or_default(),
        files: report
            .beside
            .iter()
            .map(|file| JsonFileChange {
                path: file.path.clone(),
                action: if file.created() { "create" } else { "update" },
                content: &file.content,
            })
            .collect(),
    })
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
                files: reported
                    .finding
                    .fix
                    .iter()
                    .flat_map(|fix| &fix.files)
                    .map(JsonFileChange::of)
                    .collect(),
                not_applied: report.left_out(reported).then_some(LEFT_OUT),
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
        fix: json_fix(report),
    }
}
