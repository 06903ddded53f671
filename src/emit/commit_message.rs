//! `--write --commit-message PATH`: a commit message that describes a bulk change — the
//! transforms applied, each with what it does and in how many files, then each file's fixes with
//! the reason the finding gave — so a pull request made of the commit describes itself.

use super::FileReport;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// The longest subject that lists the transforms by name; longer lists are counted instead.
const SUBJECT_LIST_LIMIT: usize = 50;

/// The fixes written so far, gathered chunk by chunk.
#[derive(Default)]
pub struct CommitMessage {
    files_by_transform: BTreeMap<&'static str, BTreeSet<String>>,
    per_file: String,
    files: usize,
}

impl CommitMessage {
    /// Adds the fixes applied to the written files among `reports`.
    pub fn add<'r>(&mut self, reports: impl IntoIterator<Item = &'r FileReport>) {
        for report in reports.into_iter().filter(|report| report.changes()) {
            let mut lines = String::new();
            for reported in report.applied_findings() {
                let transform = reported.finding.transform;
                self.files_by_transform
                    .entry(transform)
                    .or_default()
                    .insert(report.path.clone());
                let message = &reported.finding.message;
                let _ = writeln!(lines, "- line {} [{transform}] {message}", reported.line);
            }
            if !lines.is_empty() {
                self.files += 1;
                let _ = write!(self.per_file, "\n{}:\n{lines}", report.path);
            }
        }
    }

    /// The message, or `None` when no fix was written. `summaries` gives each transform's
    /// one-line summary by id.
    pub fn text(&self, summaries: &BTreeMap<&str, &str>) -> Option<String> {
        if self.files == 0 {
            return None;
        }
        let mut text = format!("{}\n\nTransforms applied:\n", self.subject());
        for (transform, files) in &self.files_by_transform {
            let summary = summaries.get(transform).copied().unwrap_or_default();
            let count = super::plural(files.len(), "file");
            let _ = writeln!(text, "- {transform} ({count}): {summary}");
        }
        text.push_str("\nWhy, file by file:\n");
        text.push_str(&self.per_file);
        Some(text)
    }

    fn subject(&self) -> String {
        let names: Vec<&str> = self.files_by_transform.keys().copied().collect();
        let listed = names.join(", ");
        let what = if listed.len() <= SUBJECT_LIST_LIMIT {
            listed
        } else {
            format!("{} transforms", names.len())
        };
        format!(
            "dfmigrate: {what} in {}",
            super::plural(self.files, "Dockerfile")
        )
    }
}
