//! Emitters: what the user sees. Per-file results are rendered to strings inside the parallel
//! workers (diffs, findings) and printed once, sorted by path, by the CLI.
//!
//! - text findings: `path:line:column: [id] message (safe|unsafe|display-only)`;
//! - `--diff`: a unified diff `git apply` and `patch -p1` accept, line endings kept byte for byte;
//! - `--check`: `Would fix: PATH`;
//! - `--write`: atomic replacement ([`write_atomically`]);
//! - `--format json`: one document `{"files": [...], "summary": {...}}` ([`JsonStream`]);
//! - `--statistics`: counts per transform ([`Statistics`]); `--show-fixes`: the fixes applied
//!   per file ([`AppliedFixes`]).

use crate::diagnostics::{Applicability, Edit};
use crate::engine::{FileError, ReportedFinding};
use serde::Serialize;
use similar::{Algorithm, DiffOp, DiffTag};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::{File, Metadata};
use std::io::{Seek as _, Write as _};
use std::path::{Path, PathBuf};

/// Lines of unchanged context around each hunk, as `diff -u`.
const CONTEXT_LINES: usize = 3;

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

/// A unified diff from `old` to `new` with headers `--- a/PATH` and `+++ b/PATH`.
///
/// Lines end at `\n` only, as `git apply` and `patch` read them: a CRLF line keeps its `\r`, a
/// lone `\r` stays inside its line. A last line without a line break is followed by
/// `\ No newline at end of file`. Colour codes are added only around whole lines, never inside
/// them. The hunks are checked before they are written (see [`diff_ops`]), so a faulty diff
/// algorithm can make a patch larger, never wrong.
pub fn unified_diff(path: &str, old: &str, new: &str, paint: Paint) -> String {
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let groups = similar::group_diff_ops(diff_ops(&old_lines, &new_lines), CONTEXT_LINES);
    let mut out = String::new();
    if groups.is_empty() {
        return out;
    }
    // An absolute path (outside the current folder) is written from the root, so the patch
    // applies with `patch -p1` or `git apply` run in `/`.
    let path = path.trim_start_matches('/');
    out.push_str(&paint.bold(&format!("--- a/{path}")));
    out.push('\n');
    out.push_str(&paint.bold(&format!("+++ b/{path}")));
    out.push('\n');
    for group in &groups {
        out.push_str(&paint.cyan(&hunk_header(group)));
        out.push('\n');
        for op in group {
            for line in &old_lines[op.old_range()] {
                let sign = if op.tag() == DiffTag::Equal { ' ' } else { '-' };
                push_line(&mut out, sign, line, paint);
            }
            if op.tag() != DiffTag::Equal {
                for line in &new_lines[op.new_range()] {
                    push_line(&mut out, '+', line, paint);
                }
            }
        }
    }
    out
}

/// The line-level edit script from `old` to `new`: Myers' diff when its operations tile both
/// texts in order, else one replacement between the common first and last lines.
///
/// similar 2.7's compaction pass emitted operations whose cursors overlapped (a `Delete` at
/// new line 12 followed by an `Equal` at new line 11), and the hunk headers computed from them
/// counted one line too few; `git apply` rejected those patches. The check keeps any such fault
/// in a diff library from reaching a patch.
fn diff_ops(old: &[&str], new: &[&str]) -> Vec<DiffOp> {
    let ops = similar::capture_diff_slices(Algorithm::Myers, old, new);
    if tiles_both(&ops, old.len(), new.len()) {
        return ops;
    }
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let mut ops = Vec::new();
    if prefix > 0 {
        ops.push(DiffOp::Equal {
            old_index: 0,
            new_index: 0,
            len: prefix,
        });
    }
    ops.push(DiffOp::Replace {
        old_index: prefix,
        old_len: old.len() - prefix - suffix,
        new_index: prefix,
        new_len: new.len() - prefix - suffix,
    });
    if suffix > 0 {
        ops.push(DiffOp::Equal {
            old_index: old.len() - suffix,
            new_index: new.len() - suffix,
            len: suffix,
        });
    }
    ops
}

/// True when each operation starts where the one before it ended, on both sides, and together
/// they cover exactly `old_len` and `new_len` lines.
fn tiles_both(ops: &[DiffOp], old_len: usize, new_len: usize) -> bool {
    let (mut old_at, mut new_at) = (0, 0);
    for op in ops {
        let (old, new) = (op.old_range(), op.new_range());
        if old.start != old_at || new.start != new_at {
            return false;
        }
        (old_at, new_at) = (old.end, new.end);
    }
    old_at == old_len && new_at == new_len
}

/// Writes one diff line: its sign, the line without its `\n`, a line break, and the marker
/// when the text's last line has no line break.
fn push_line(out: &mut String, sign: char, line: &str, paint: Paint) {
    let rendered = format!("{sign}{}", line.strip_suffix('\n').unwrap_or(line));
    match sign {
        '-' => out.push_str(&paint.red(&rendered)),
        '+' => out.push_str(&paint.green(&rendered)),
        _ => out.push_str(&rendered),
    }
    out.push('\n');
    if !line.ends_with('\n') {
        out.push_str("\\ No newline at end of file\n");
    }
}

/// `@@ -a,b +c,d @@` for a group of diff operations.
fn hunk_header(group: &[DiffOp]) -> String {
    let (Some(first), Some(last)) = (group.first(), group.last()) else {
        return String::from("@@ -0,0 +0,0 @@");
    };
    let old = first.old_range().start..last.old_range().end;
    let new = first.new_range().start..last.new_range().end;
    format!(
        "@@ -{} +{} @@",
        hunk_range(old.start, old.len()),
        hunk_range(new.start, new.len())
    )
}

/// A hunk range: the 1-based first line and the count; for an empty range, the line before it.
fn hunk_range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start},0"),
        _ => format!("{},{len}", start + 1),
    }
}

/// The edits that turn `old` into `new`, at line granularity: byte ranges of `old`, sorted,
/// neither overlapping nor touching, so they apply together (in any order from the end, or
/// front to back keeping track of the shift). Computed from the same line diff as
/// [`unified_diff`].
pub fn combined_edits(old: &str, new: &str) -> Vec<Edit> {
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let mut offsets = Vec::with_capacity(old_lines.len() + 1);
    let mut offset = 0;
    offsets.push(0);
    for line in &old_lines {
        offset += line.len();
        offsets.push(offset);
    }
    let mut edits: Vec<Edit> = Vec::new();
    for op in diff_ops(&old_lines, &new_lines) {
        if op.tag() == DiffTag::Equal {
            continue;
        }
        let (start, end) = (offsets[op.old_range().start], offsets[op.old_range().end]);
        let content = new_lines[op.new_range()].concat();
        match edits.last_mut() {
            Some(last) if last.end == start => {
                last.end = end;
                last.content.push_str(&content);
            }
            _ => edits.push(Edit {
                start,
                end,
                content,
            }),
        }
    }
    edits
}

/// Why a file was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("file is read-only; not written")]
    ReadOnly,
    /// The file's own permissions do not let this user write it, even if its folder would let
    /// the user replace it.
    #[error("file is not writable by this user ({detail}); not written")]
    NotWritable { detail: String },
    #[error("file changed on disk while it was being processed; not written")]
    ChangedMeanwhile,
    #[error("cannot write: {0}")]
    Io(#[from] std::io::Error),
}

/// Replaces the file at `path` with `text` atomically: a temporary file in the same folder,
/// given the original's permissions and owner, renamed over it.
///
/// A symbolic link is written through: its target is replaced and the link stays a link. A
/// read-only file is refused, and so is a file this user may not write itself: the folder's
/// permissions alone (a world-writable folder) would let the rename replace a file owned by
/// someone else. When the owner cannot be given to the temporary file (a file of another user
/// that this user may write through its group or other permissions), the file is rewritten in
/// place instead, which keeps its owner and permissions but is not atomic. `original` is what
/// was read; when the file no longer holds it, nothing is written.
pub fn write_atomically(path: &Path, original: &[u8], text: &str) -> Result<(), WriteError> {
    let target = resolve_symlink(path)?;
    let metadata = std::fs::metadata(&target)?;
    if metadata.permissions().readonly() {
        return Err(WriteError::ReadOnly);
    }
    // Opening for writing without truncating changes nothing, and asks the system whether this
    // user may write the file itself (root may; others per owner, group and mode).
    let in_place = match std::fs::OpenOptions::new().write(true).open(&target) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(WriteError::NotWritable {
                detail: ownership(&metadata),
            });
        }
        Err(error) => return Err(error.into()),
    };
    if std::fs::read(&target)? != original {
        return Err(WriteError::ChangedMeanwhile);
    }
    let folder = target
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temporary = tempfile::Builder::new()
        .prefix(".dfmigrate-")
        .tempfile_in(folder)?;
    if !give_owner(temporary.as_file(), &metadata) {
        drop(temporary);
        return write_in_place(in_place, text);
    }
    temporary.write_all(text.as_bytes())?;
    temporary.as_file().sync_all()?;
    std::fs::set_permissions(temporary.path(), metadata.permissions())?;
    temporary
        .persist(&target)
        .map_err(|error| WriteError::Io(error.error))?;
    Ok(())
}

/// Truncates and rewrites an open file.
fn write_in_place(mut file: File, text: &str) -> Result<(), WriteError> {
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

/// Gives `file` the owner and group in `metadata`; false when that is not allowed.
#[cfg(unix)]
fn give_owner(file: &File, metadata: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(current) = file.metadata() else {
        return false;
    };
    if (current.uid(), current.gid()) == (metadata.uid(), metadata.gid()) {
        return true;
    }
    std::os::unix::fs::fchown(file, Some(metadata.uid()), Some(metadata.gid())).is_ok()
}

#[cfg(not(unix))]
fn give_owner(_file: &File, _metadata: &Metadata) -> bool {
    true
}

/// `owner uid 0, mode 0644` for messages.
#[cfg(unix)]
fn ownership(metadata: &Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    format!(
        "owner uid {}, mode {:04o}",
        metadata.uid(),
        metadata.mode() & 0o7777
    )
}

#[cfg(not(unix))]
fn ownership(_metadata: &Metadata) -> String {
    "permission denied".to_owned()
}

/// The final target of a symbolic link, or the path itself.
fn resolve_symlink(path: &Path) -> std::io::Result<PathBuf> {
    if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        std::fs::canonicalize(path)
    } else {
        Ok(path.to_owned())
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
        }
    }

    /// A file that could not be processed at all.
    pub fn failed(path: String, line: usize, message: String) -> FileReport {
        let mut report = FileReport::new(path, Status::Error);
        report.errors.push(FileError { line, message });
        report
    }

    /// Whether a finding's fix is applied under this file's settings.
    fn applies(&self, finding: &ReportedFinding) -> bool {
        match finding.finding.applicability() {
            Applicability::Safe => true,
            Applicability::Unsafe => self.apply_unsafe,
            Applicability::DisplayOnly => false,
        }
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

    /// True when fixes change (or changed) the file.
    pub fn changes(&self) -> bool {
        matches!(self.status, Status::Changed | Status::Written)
    }
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
}

impl Summary {
    /// Counts the reports.
    pub fn of(reports: &[FileReport]) -> Summary {
        let mut summary = Summary::default();
        summary.add(reports);
        summary
    }

    /// Adds more reports to the counts.
    pub fn add(&mut self, reports: &[FileReport]) {
        let summary = self;
        summary.files += reports.len();
        for report in reports {
            summary.findings += report.findings.len();
            summary.hidden_fixes += report.hidden_fixes();
            match report.status {
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
            "Found {} in {}; {} would be changed by fixes{}{}.",
            plural(self.findings, "finding"),
            plural(self.files, "file"),
            plural(self.changed, "file"),
            self.error_suffix(),
            self.hidden_suffix()
        )
    }

    /// The summary line of `--check` and `--diff`.
    pub fn check_line(&self) -> String {
        format!(
            "{} would be changed, {} unchanged{}{}.",
            plural(self.changed, "file"),
            self.unchanged,
            self.error_suffix(),
            self.hidden_suffix()
        )
    }

    /// The summary line of `--write`.
    pub fn write_line(&self) -> String {
        format!(
            "Fixed {}, {} unchanged{}{}.",
            plural(self.written + self.changed, "file"),
            self.unchanged,
            self.error_suffix(),
            self.hidden_suffix()
        )
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

fn plural(count: usize, noun: &str) -> String {
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
/// A file's applied fixes are its findings (reported against the original text) whose fix
/// qualifies under its settings (safe; unsafe with `--unsafe`), except for transforms whose fix
/// the engine had to revert (`[ID] fix not applied: …`).
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
            for finding in report.findings.iter().filter(|f| report.applies(f)) {
                let transform = finding.finding.transform;
                let reverted = format!("[{transform}] fix not applied: ");
                if report
                    .errors
                    .iter()
                    .any(|error| error.message.starts_with(&reverted))
                {
                    continue;
                }
                *by_transform.entry(transform).or_default() += 1;
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

/// Renders every report as one JSON document (pretty-printed, ending in a newline).
/// The JSON document written piece by piece, so a run never holds every file's report.
#[derive(Default)]
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
            let indented: Vec<String> = text.lines().map(|line| format!("    {line}")).collect();
            out.push_str(&indented.join("\n"));
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

    #[test]
    fn combined_edits_apply_together() {
        let old = "a\nb\nc\nd\ne\n";
        let new = "a\nB\nc\nd\nx\ne\nf";
        let edits = combined_edits(old, new);
        let mut out = String::new();
        let mut cursor = 0;
        for edit in &edits {
            out.push_str(&old[cursor..edit.start]);
            out.push_str(&edit.content);
            cursor = edit.end;
        }
        out.push_str(&old[cursor..]);
        assert_eq!(out, new);
        assert!(
            edits.windows(2).all(|pair| pair[0].end < pair[1].start),
            "{edits:?}"
        );
        assert_eq!(combined_edits(old, old), []);
    }

    #[test]
    fn diff_keeps_crlf_and_marks_missing_newline() {
        let diff = unified_diff(
            "d/Dockerfile",
            "FROM a\r\nRUN x",
            "FROM a\r\nRUN y",
            Paint::default(),
        );
        assert_eq!(
            diff,
            "--- a/d/Dockerfile\n+++ b/d/Dockerfile\n@@ -1,2 +1,2 @@\n FROM a\r\n-RUN x\n\\ No newline at end of file\n+RUN y\n\\ No newline at end of file\n"
        );
    }

    #[test]
    fn diff_of_the_reported_gradle_split_counts_every_line() {
        let old = "FROM g\nUSER root\nWORKDIR /w\nCOPY a a\nCOPY b b\nCOPY c c\nCOPY d d\nCOPY e e\nRUN g\n\nEXPOSE 9000\n\nCMD [\"j\"]\n";
        let new = "FROM g AS builder\nUSER root\nWORKDIR /w\nEXPOSE 9000\nCOPY a a\nCOPY b b\nCOPY c c\nCOPY d d\nCOPY e e\nRUN g\n\n\nCMD [\"j\"]\n\nFROM r\nWORKDIR /w\nCOPY x x\nUSER root\nEXPOSE 9000\nCMD [\"j\"]\n";
        let diff = unified_diff("x", old, new, Paint::default());
        assert!(diff.contains("@@ -8,6 +9,12 @@\n"), "{diff}");
        assert!(!diff.contains("No newline"), "{diff}");
    }

    #[test]
    fn operations_that_do_not_tile_become_one_replacement() {
        let old = ["a\n", "b\n", "c\n", "d\n"];
        let new = ["a\n", "x\n", "d\n"];
        let overlapping = [
            DiffOp::Equal {
                old_index: 0,
                new_index: 0,
                len: 1,
            },
            DiffOp::Delete {
                old_index: 1,
                old_len: 1,
                new_index: 2,
            },
            DiffOp::Equal {
                old_index: 2,
                new_index: 1,
                len: 2,
            },
        ];
        assert!(!tiles_both(&overlapping, old.len(), new.len()));
        assert!(tiles_both(&diff_ops(&old, &new), old.len(), new.len()));
    }

    #[test]
    fn lone_carriage_return_stays_inside_its_line() {
        let diff = unified_diff("x", "a\rb\nc\n", "a\rb\nd\n", Paint::default());
        assert_eq!(diff, "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\rb\n-c\n+d\n");
    }

    #[test]
    fn diff_of_equal_texts_is_empty() {
        assert_eq!(unified_diff("x", "a\n", "a\n", Paint::default()), "");
    }

    #[test]
    fn hunk_of_pure_insertion_names_the_line_before() {
        let diff = unified_diff("x", "", "a\n", Paint::default());
        assert!(diff.contains("@@ -0,0 +1,1 @@\n+a\n"), "{diff}");
    }

    #[test]
    fn colour_wraps_whole_lines_only() {
        let diff = unified_diff("x", "a\n", "b\n", Paint { enabled: true });
        assert!(diff.contains("\x1b[31m-a\x1b[0m\n"), "{diff:?}");
        assert!(diff.contains("\x1b[32m+b\x1b[0m\n"), "{diff:?}");
    }
}
