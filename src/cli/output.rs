//! Printing: reports chunk by chunk in path order, then statistics, applied fixes and the
//! summary.

use super::run::RunOptions;
use super::{Mode, OutputFormat, RunArgs, EXIT_ERROR, EXIT_FOUND, EXIT_NEEDS_HUMAN, EXIT_OK};
use crate::emit::{self, BesideEntry, BesideLedger, FileReport, Paint, Summary};
use std::fmt::Write as _;
use std::io::Write;

/// Prints reports chunk by chunk, in path order, keeping only counts between chunks.
pub(super) struct Output {
    pub(super) mode: Mode,
    pub(super) quiet: bool,
    pub(super) exit_zero: bool,
    /// `--detailed-exit-code`: exit 3 when something needs a human.
    pub(super) detailed_exit_code: bool,
    pub(super) summary: Summary,
    /// The machine-readable document (JSON, SARIF, GitLab Code Quality) stdout carries.
    pub(super) document: Option<emit::Document>,
    /// `--format github`: findings as workflow-command annotations.
    pub(super) annotations: bool,
    /// `--statistics`: counts per transform, printed instead of the findings.
    pub(super) statistics: Option<emit::Statistics>,
    /// `--show-fixes`: the fixes applied to each written file, printed before the summary.
    pub(super) applied: Option<emit::AppliedFixes>,
    /// `--commit-message FILE`: where the message goes, and the fixes gathered for it.
    pub(super) commit_message: Option<(std::path::PathBuf, emit::CommitMessage)>,
    /// Fixed texts for `--write -` (standard input), printed after the summary goes to stderr.
    pub(super) stdin_outputs: String,
    pub(super) any_error: bool,
    pub(super) any_finding: bool,
    pub(super) any_change: bool,
    /// A finding without a fix, or an unsafe fix not applied, remains.
    pub(super) any_left_to_human: bool,
    /// The files beside Dockerfiles met so far: each is printed and counted once.
    pub(super) beside: BesideLedger,
}

impl Output {
    pub(super) fn new(
        args: &RunArgs,
        mode: Mode,
        format: OutputFormat,
        options: &RunOptions,
    ) -> Output {
        let document = match format {
            OutputFormat::Json => Some(emit::Document::Json(emit::JsonStream::default())),
            OutputFormat::Sarif => Some(emit::Document::Sarif(emit::SarifStream::new(
                options.sarif_rules.clone().unwrap_or_default(),
            ))),
            OutputFormat::Gitlab => Some(emit::Document::Gitlab(emit::GitlabStream::default())),
            OutputFormat::Text | OutputFormat::Github => None,
        };
        Output {
            mode,
            quiet: args.quiet,
            exit_zero: args.exit_zero,
            detailed_exit_code: args.detailed_exit_code,
            summary: Summary::default(),
            document,
            annotations: format == OutputFormat::Github,
            statistics: args.statistics.then(emit::Statistics::default),
            applied: args.show_fixes.then(emit::AppliedFixes::default),
            commit_message: args
                .commit_message
                .clone()
                .map(|path| (path, emit::CommitMessage::default())),
            stdin_outputs: String::new(),
            any_error: false,
            any_finding: false,
            any_change: false,
            any_left_to_human: false,
            beside: BesideLedger::default(),
        }
    }

    pub(super) fn chunk(&mut self, reports: &[FileReport], options: &RunOptions) {
        let mut errors = String::new();
        for report in reports {
            for error in &report.errors {
                errors.push_str(&emit::error_line(&report.path, error));
                errors.push('\n');
            }
        }
        let beside = self.beside_of(reports, options.paint);
        errors.push_str(&beside.errors);
        print_stderr(&errors);
        self.any_error |= !beside.errors.is_empty();
        self.summary.add(reports);
        self.summary.beside = self.beside.len();
        self.any_error |= reports.iter().any(|report| !report.errors.is_empty());
        self.any_finding |= reports.iter().any(|report| !report.findings.is_empty());
        self.any_change |= reports.iter().any(FileReport::changes);
        self.any_left_to_human |= reports.iter().any(FileReport::needs_human);
        if let Some(applied) = &mut self.applied {
            applied.add(reports.iter().filter(|report| report.changes()));
        }
        if let Some((_, message)) = &mut self.commit_message {
            message.add(reports);
        }
        if let Some(statistics) = &mut self.statistics {
            statistics.add(reports);
            return;
        }
        if let Some(document) = &mut self.document {
            print_stdout(&document.entries(reports));
            return;
        }
        let stdout = match self.mode {
            Mode::Report | Mode::Check if self.annotations => emit::github_annotations(reports),
            Mode::Report => emit::findings_text(reports, options.paint),
            Mode::Check => {
                let written: Vec<&FileReport> = reports
                    .iter()
                    .filter(|report| !beside.conflicting.contains(&report.path))
                    .collect();
                would_fix_lines(written) + &beside.check_lines
            }
            Mode::Diff => reports
                .iter()
                // As `--write` writes neither, a Dockerfile proposing other content for a file
                // another one proposes has no diff (the error says why).
                .filter(|report| !beside.conflicting.contains(&report.path))
                .map(|report| {
                    let diff = report.diff.as_deref().unwrap_or_default();
                    let files = beside.diffs.get(&report.path).map_or("", String::as_str);
                    format!("{diff}{files}")
                })
                .collect(),
            Mode::Write => {
                let outputs = reports.iter().filter_map(|report| report.output.as_deref());
                self.stdin_outputs.extend(outputs);
                String::new()
            }
        };
        print_stdout(&stdout);
    }

    /// The files beside the Dockerfiles of `reports` met for the first time in the run: their
    /// diffs (by Dockerfile) and `Would create:` / `Would fix:` lines; an error for one that
    /// another Dockerfile proposes with other content (`--write` says it when it writes).
    fn beside_of(&mut self, reports: &[FileReport], paint: Paint) -> BesideOutput {
        let mut out = BesideOutput::default();
        for report in reports {
            for file in &report.beside {
                match self.beside.record(file) {
                    BesideEntry::New if self.mode == Mode::Diff => {
                        out.diffs
                            .entry(report.path.clone())
                            .or_default()
                            .push_str(&file.diff(paint));
                    }
                    BesideEntry::New => {
                        let verb = if file.created() { "create" } else { "fix" };
                        let _ = writeln!(out.check_lines, "Would {verb}: {}", file.path);
                    }
                    BesideEntry::Repeated => {}
                    BesideEntry::Conflicting if self.mode == Mode::Write => {}
                    BesideEntry::Conflicting => {
                        out.conflicting.insert(report.path.clone());
                        let _ = writeln!(
                            out.errors,
                            "{}: error: {}: another Dockerfile of this run proposes other content for it; --write writes neither this Dockerfile's change nor this file's",
                            report.path, file.path
                        );
                    }
                }
            }
        }
        out
    }

    /// Writes the `--commit-message` file when fixes were written; false (said on stderr) when
    /// it cannot be written.
    fn write_commit_message(&self) -> bool {
        let Some((path, message)) = &self.commit_message else {
            return true;
        };
        let summaries = crate::transforms::all()
            .iter()
            .map(|transform| (transform.id(), transform.metadata().summary))
            .collect();
        let Some(text) = message.text(&summaries) else {
            return true;
        };
        match std::fs::write(path, text) {
            Ok(()) => true,
            Err(error) => {
                print_stderr(&format!(
                    "{}: error: cannot write the commit message: {error}\n",
                    path.display()
                ));
                false
            }
        }
    }

    /// Prints what comes after the files (statistics, applied fixes, the summary) and returns
    /// the exit code.
    pub(super) fn finish(self, other_errors: bool) -> i32 {
        let message_written = self.write_commit_message();
        let summary = &self.summary;
        // The summary and notes go to stderr when stdout carries a diff or a fixed text.
        let to_stderr = self.mode == Mode::Diff || !self.stdin_outputs.is_empty();
        let print_note = |text: &str| {
            if to_stderr {
                print_stderr(text);
            } else {
                print_stdout(text);
            }
        };
        if let (Some(applied), None) = (&self.applied, &self.document) {
            print_note(&applied.text());
        }
        let line = match self.mode {
            Mode::Report => summary.findings_line(),
            Mode::Check | Mode::Diff => summary.check_line(),
            Mode::Write => summary.write_line(),
        };
        match (&self.statistics, &self.document) {
            (Some(statistics), Some(_)) => print_stdout(&statistics.json()),
            (Some(statistics), None) => {
                print_stdout(&statistics.text());
                if !self.quiet {
                    print_stdout(&format!("{line}\n"));
                }
            }
            (None, Some(_)) => {}
            (None, None) if self.quiet => {}
            (None, None) => print_note(&format!("{line}\n")),
        }
        if let (None, Some(document)) = (&self.statistics, self.document) {
            print_stdout(&document.finish(summary));
        }
        print_stdout(&self.stdin_outputs);
        if other_errors || self.any_error || !message_written {
            return EXIT_ERROR;
        }
        if self.detailed_exit_code {
            return match (self.any_left_to_human, self.any_change) {
                (true, _) => EXIT_NEEDS_HUMAN,
                (false, true) => EXIT_FOUND,
                (false, false) => EXIT_OK,
            };
        }
        let found = match self.mode {
            Mode::Report => self.any_finding,
            Mode::Diff | Mode::Check => self.any_change,
            Mode::Write => false,
        };
        if found && !self.exit_zero {
            EXIT_FOUND
        } else {
            EXIT_OK
        }
    }
}

/// What the files beside the Dockerfiles of a chunk print.
#[derive(Default)]
struct BesideOutput {
    /// Diffs by Dockerfile path (as shown).
    diffs: std::collections::HashMap<String, String>,
    check_lines: String,
    errors: String,
    /// Dockerfiles (as shown) whose file beside them conflicts with another's.
    conflicting: std::collections::HashSet<String>,
}

pub(super) fn would_fix_lines<'r>(reports: impl IntoIterator<Item = &'r FileReport>) -> String {
    reports
        .into_iter()
        .filter(|report| report.changes() && !report.only_beside)
        .map(|report| format!("Would fix: {}\n", report.path))
        .collect()
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth reporting.
pub(super) fn print_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

pub(super) fn print_stderr(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
}
