//! The engine: runs the selected transforms over one file's text and applies their fixes to a
//! fixed point. Pure and in memory: no I/O, no printing, so every rule is unit-testable.
//!
//! Fixes change the Dockerfile's text and, for the transforms that say so
//! ([`Changes::IgnoreFile`]), files beside it: its build context's ignore file. Those are
//! settled first, on the original text, so every other transform sees the build context as the
//! build will (a file the new `.dockerignore` excludes is not available to copy). The files'
//! new contents are kept in memory, never written here.
//!
//! Invariants:
//! - A file with parse errors gets no fixes; its errors are reported.
//! - The output never has parse errors: a round whose result gains errors is narrowed fix by
//!   fix, and each fix that breaks the parse is reverted and reported naming its transform.
//! - Reported findings are those of the first round, against the original text (for the
//!   transforms that change the Dockerfile, with the settled ignore file in place); a finding is
//!   marked applied only when a fix the final text still holds claims it ([`ledger`]).
//! - When the fixes do not converge within [`MAX_ROUNDS`], the original text is kept, no file
//!   beside it changes, and the transforms that kept firing are named: a half-applied
//!   oscillation is never written.

use crate::diagnostics::{Applicability, Edit, FileChange, Finding, Fix, Isolation};
use crate::knowledge::KnowledgeBase;
use crate::model::Dockerfile;
use crate::syntax::{parse_owned, Parse, TextRange};
use crate::transforms::{Changes, Context, Transform};
use ledger::{Claimable, Ledger};
use side_files::SideFiles;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
#[cfg(test)]
use suppressions::{directive, Directive};
use suppressions::{has_skip_file, Suppressions};

mod ledger;
mod side_files;
mod suppressions;

/// Rounds of fixing before the engine gives up and reports non-convergence.
pub const MAX_ROUNDS: usize = 10;

/// Per-transform options from the configuration (`[transforms.ID]`), by transform id.
pub type TransformOptions = BTreeMap<String, toml::Table>;

/// Everything the engine needs to process one file.
#[derive(Clone, Copy)]
pub struct Job<'a> {
    /// The file's text, exactly as read.
    pub text: &'a str,
    /// The transforms to run, in order.
    pub transforms: &'a [&'a dyn Transform],
    /// The Dockerfile's path, when it has one.
    pub path: Option<&'a Path>,
    /// The build context folder, when known.
    pub build_context: Option<&'a Path>,
    /// The other Dockerfiles that read the build context's `.dockerignore` (paths as given), as
    /// the run knew them when it started: a new `.dockerignore` at the context's root would
    /// change their builds too. `None` outside a run of the CLI (see
    /// [`Context::other_dockerfiles`]).
    pub other_dockerfiles: Option<&'a [PathBuf]>,
    /// Options for each transform, by id.
    pub options: &'a TransformOptions,
    /// Whether fixes marked [`Applicability::Unsafe`] are applied.
    pub apply_unsafe: bool,
    /// Whether fixes may create or rewrite files beside the Dockerfile; when not (standard
    /// input, `--interactive`), such fixes are reported and not applied.
    pub change_files: bool,
    /// The knowledge base with configuration overrides; `None` means the built-in one.
    pub knowledge: Option<&'a KnowledgeBase>,
}

/// A finding with its position in the original text (1-based lines, 1-based byte columns).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportedFinding {
    pub finding: Finding,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    /// Whether its fix is in the final text: applied in some round and not undone by a later
    /// one (a transform that declines once other fixes are applied leaves it out).
    pub applied: bool,
}

/// A problem with one file: a parse error, a reverted fix, non-convergence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    /// 1-based line in the original text, or 0 when the problem has no line.
    pub line: usize,
    pub message: String,
}

/// A file beside the Dockerfile that the fixes create or rewrite.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangedFile {
    /// As the Dockerfile's path and build context were given.
    pub path: PathBuf,
    /// What it held when the fixes read it; `None` when they create it.
    pub original: Option<String>,
    /// Its new content.
    pub content: String,
}

/// What the engine made of one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// True when `# dfmigrate: skip-file` told the engine to leave the file alone.
    pub skipped: bool,
    /// First-round findings, in source order, suppressions applied.
    pub findings: Vec<ReportedFinding>,
    pub errors: Vec<FileError>,
    /// The fixed text, or `None` when nothing changed.
    pub fixed: Option<String>,
    /// The files beside the Dockerfile the fixes create or rewrite, by path.
    pub files: Vec<ChangedFile>,
}

impl Outcome {
    /// Whether the fixes change the Dockerfile or a file beside it.
    pub fn changes(&self) -> bool {
        self.fixed.is_some() || !self.files.is_empty()
    }
}

/// Runs the transforms over one file and applies qualifying fixes to a fixed point.
pub fn run(job: &Job) -> Outcome {
    let parse = parse_owned(job.text.to_owned());
    if has_skip_file(&parse) {
        return Outcome {
            skipped: true,
            ..Outcome::default()
        };
    }
    if parse.has_errors() {
        return Outcome {
            errors: parse_errors(&parse),
            ..Outcome::default()
        };
    }
    let (of_files, of_text): (Vec<&dyn Transform>, Vec<&dyn Transform>) = job
        .transforms
        .iter()
        .copied()
        .partition(|transform| transform.metadata().changes == Changes::IgnoreFile);
    let mut rejected = Rejections::new();
    let mut side = SideFiles::default();
    let mut ledger = Ledger::default();
    let file = Dockerfile::new(&parse);
    let first_of_files = collect_findings(job, &file, &side, &of_files);
    let settled_of_files = settle_files(
        job,
        &file,
        (&of_files, &first_of_files),
        (&mut side, &mut ledger),
        &mut rejected,
    );
    let first_of_text = collect_findings(job, &file, &side, &of_text);
    drop(file);
    let mut reported: Vec<ReportedFinding> = merged(&first_of_files, &first_of_text)
        .iter()
        .map(|finding| locate(&parse, finding))
        .collect();
    let findings = merged(
        settled_of_files.as_deref().unwrap_or(&first_of_files),
        &first_of_text,
    );
    let mut errors = Vec::new();
    let state = State { parse, side };
    let fixed = fix_to_fixed_point(job, (state, &mut ledger), findings, rejected, &mut errors);
    let (fixed, files) = match fixed {
        Some(state) => (
            Some(state.parse.text().to_owned()).filter(|text| text != job.text),
            state.side.changed_files(),
        ),
        None => (None, Vec::new()),
    };
    if fixed.is_some() || !files.is_empty() {
        mark_applied(&mut reported, &ledger, job, &files);
    }
    Outcome {
        skipped: false,
        findings: reported,
        errors,
        fixed,
        files,
    }
}

/// Applies one fix alone to `text`, as a round applies fixes: its edits checked (inside the
/// text, on character boundaries, not overlapping) and the result reparsed. `Err` says why it
/// was not applied: a malformed fix, one that changes files beside the Dockerfile, or a result
/// that does not parse.
pub fn apply_one(text: &str, fix: &Fix) -> Result<String, String> {
    if !fix.files.is_empty() {
        return Err("it changes files beside the Dockerfile".to_owned());
    }
    let candidate = candidate(("", TextRange::new(0, 0), ""), fix, text)?;
    let reparsed = parse_owned(apply(text, &[&candidate]));
    match reparsed.errors.first() {
        None => Ok(reparsed.text().to_owned()),
        Some(error) => Err(format!("its result does not parse ({})", error.message)),
    }
}

/// The file's parse errors, as file errors.
fn parse_errors(parse: &Parse) -> Vec<FileError> {
    parse
        .errors
        .iter()
        .map(|error| FileError {
            line: error.line,
            message: error.message.clone(),
        })
        .collect()
}

fn locate(parse: &Parse, finding: &Finding) -> ReportedFinding {
    let index = &parse.line_index;
    let last_byte = finding.range.end.saturating_sub(1).max(finding.range.start);
    ReportedFinding {
        finding: finding.clone(),
        line: index.line(finding.range.start),
        column: index.column(finding.range.start),
        end_line: index.line(last_byte),
        applied: false,
    }
}

/// Marks the findings that a fix the final text holds claims.
fn mark_applied(
    reported: &mut [ReportedFinding],
    ledger: &Ledger,
    job: &Job,
    files: &[ChangedFile],
) {
    let claimable: Vec<Claimable> = reported
        .iter()
        .map(|reported| Claimable {
            transform: reported.finding.transform,
            range: reported.finding.range,
            message: &reported.finding.message,
            qualifies: reported
                .finding
                .fix
                .as_ref()
                .is_some_and(|fix| qualifies(fix, job)),
        })
        .collect();
    let changed: Vec<PathBuf> = files.iter().map(|file| file.path.clone()).collect();
    let claims = ledger.claims(&claimable, &changed);
    for (reported, claim) in reported.iter_mut().zip(claims) {
        reported.applied = claim.is_some();
        // A fix made in a later round, on text other fixes changed (non-root-user on
        // split-stages' runtime stage), may differ from what the first round proposed: the
        // report says what was written.
        if let Some(message) = claim {
            reported.finding.message = message;
        }
    }
}

/// Two lists of findings as one, in source order.
fn merged(a: &[Finding], b: &[Finding]) -> Vec<Finding> {
    let mut all: Vec<Finding> = a.iter().chain(b).cloned().collect();
    all.sort_by_key(|finding| (finding.range.start, finding.range.end));
    all
}

/// The text and the files beside it, as a round leaves them.
struct State {
    parse: Parse,
    side: SideFiles,
}

/// Applies the qualifying fixes of the transforms that change files beside the Dockerfile
/// (`first` are their findings on the disk's files), round by round on the original text, until
/// they propose nothing more; returns their findings against the settled files (`None` when no
/// fix applied).
fn settle_files(
    job: &Job,
    file: &Dockerfile,
    (transforms, first): (&[&dyn Transform], &[Finding]),
    (side, ledger): (&mut SideFiles, &mut Ledger),
    rejected: &mut Rejections,
) -> Option<Vec<Finding>> {
    let mut findings = first.to_vec();
    let mut settled = None;
    for _ in 0..MAX_ROUNDS {
        let fixes = qualifying_fixes(&findings, job, file.text(), rejected);
        let file_only: Vec<Candidate> = fixes
            .into_iter()
            .filter(|candidate| candidate.edits.is_empty())
            .collect();
        let chosen = non_overlapping(file_only);
        let applied: Vec<&Candidate> = chosen
            .iter()
            .filter(|candidate| apply_files(candidate, side, rejected))
            .collect();
        if applied.is_empty() {
            break;
        }
        ledger.record(file.text(), &applied);
        findings = collect_findings(job, file, side, transforms);
        settled = Some(findings.clone());
    }
    settled
}

/// Applies a candidate's file changes; true when one changed a file.
fn apply_files(candidate: &Candidate, side: &mut SideFiles, rejected: &mut Rejections) -> bool {
    let mut changed = false;
    for change in &candidate.files {
        if !side.would_change(change) {
            continue;
        }
        match side.apply(change) {
            Ok(()) => changed = true,
            Err(reason) => {
                rejected.insert((candidate.transform, reason));
            }
        }
    }
    changed
}

/// Applies rounds of fixes; `None` when the fixes did not converge (errors say why).
fn fix_to_fixed_point(
    job: &Job,
    (mut state, ledger): (State, &mut Ledger),
    mut findings: Vec<Finding>,
    mut rejected: Rejections,
    errors: &mut Vec<FileError>,
) -> Option<State> {
    let mut recently_applied = [BTreeSet::new(), BTreeSet::new()];
    for round in 0..MAX_ROUNDS {
        let fixes = qualifying_fixes(&findings, job, state.parse.text(), &mut rejected);
        let next = round_choices(fixes).into_iter().find_map(|chosen| {
            let transforms = chosen.iter().map(|candidate| candidate.transform).collect();
            let (next, applied) = apply_round(&state, &chosen, &mut rejected)?;
            ledger.record(state.parse.text(), &applied);
            Some((next, transforms))
        });
        let Some((next, applied)) = next else {
            report_rejected(rejected, errors);
            return Some(state);
        };
        recently_applied[round % 2] = applied;
        state = next;
        let file = Dockerfile::new(&state.parse);
        findings = collect_findings(job, &file, &state.side, job.transforms);
    }
    let mut still_firing = firing_transforms(&findings, job, &state);
    report_rejected(rejected, errors);
    if still_firing.is_empty() {
        return Some(state);
    }
    still_firing.extend(recently_applied.into_iter().flatten());
    errors.push(FileError {
        line: 0,
        message: format!(
            "fixes did not converge after {MAX_ROUNDS} rounds (kept firing: {}); file left unchanged",
            still_firing.into_iter().collect::<Vec<_>>().join(", ")
        ),
    });
    None
}

/// Reasons fixes were not applied, one error each, deduplicated across rounds.
type Rejections = BTreeSet<(&'static str, String)>;

fn report_rejected(rejected: Rejections, errors: &mut Vec<FileError>) {
    errors.extend(rejected.into_iter().map(|(transform, reason)| FileError {
        line: 0,
        message: format!("[{transform}] fix not applied: {reason}"),
    }));
}

/// A fix ready to apply: its edits sorted, its covering range, its file changes, and who made
/// it.
#[derive(Clone)]
struct Candidate<'f> {
    transform: &'static str,
    /// Its finding's range.
    found_at: TextRange,
    /// Its finding's message: what the reports say of the fix when the final text holds it.
    message: &'f str,
    /// The range its edits cover (empty at 0 for a fix that only changes files).
    range: TextRange,
    edits: Vec<&'f Edit>,
    files: Vec<&'f FileChange>,
    isolation: Isolation,
}

/// The fixes that may be applied this round, sorted by position; malformed ones are rejected.
fn qualifying_fixes<'f>(
    findings: &'f [Finding],
    job: &Job,
    text: &str,
    rejected: &mut Rejections,
) -> Vec<Candidate<'f>> {
    let mut candidates: Vec<Candidate> = findings
        .iter()
        .filter_map(|finding| {
            let fix = finding.fix.as_ref().filter(|fix| qualifies(fix, job))?;
            match candidate(
                (finding.transform, finding.range, &finding.message),
                fix,
                text,
            ) {
                Ok(candidate) => Some(candidate),
                Err(reason) => {
                    rejected.insert((finding.transform, reason));
                    None
                }
            }
        })
        .collect();
    candidates.sort_by_key(|candidate| (candidate.range.start, candidate.range.end));
    candidates
}

/// Whether the job applies the fix: safe, or unsafe with `--unsafe`, and changing files beside
/// the Dockerfile only when the job may.
fn qualifies(fix: &Fix, job: &Job) -> bool {
    let applies = match fix.applicability {
        Applicability::Safe => true,
        Applicability::Unsafe => job.apply_unsafe,
        Applicability::DisplayOnly => false,
    };
    applies && (job.change_files || fix.files.is_empty())
}

/// Checks a fix's edits lie inside the text, on character boundaries, without overlapping, and
/// that it changes no file twice.
fn candidate<'f>(
    (transform, found_at, message): (&'static str, TextRange, &'f str),
    fix: &'f Fix,
    text: &str,
) -> Result<Candidate<'f>, String> {
    let mut edits: Vec<&Edit> = fix.edits.iter().collect();
    edits.sort_by_key(|edit| (edit.start, edit.end));
    for edit in &edits {
        let valid = edit.start <= edit.end
            && edit.end <= text.len()
            && text.is_char_boundary(edit.start)
            && text.is_char_boundary(edit.end);
        if !valid {
            return Err(format!(
                "edit {}..{} is outside the text or splits a character",
                edit.start, edit.end
            ));
        }
    }
    if edits
        .windows(2)
        .any(|pair| conflict(pair[0].range(), pair[1].range()))
    {
        return Err("its edits overlap each other".to_owned());
    }
    let paths: BTreeSet<&PathBuf> = fix.files.iter().map(|change| &change.path).collect();
    if paths.len() < fix.files.len() {
        return Err("it changes one file twice".to_owned());
    }
    let range = match fix.range() {
        Some(range) => range,
        None if !fix.files.is_empty() => TextRange::new(0, 0),
        None => return Err("it has no edits".to_owned()),
    };
    Ok(Candidate {
        transform,
        found_at,
        message,
        range,
        edits,
        files: fix.files.iter().collect(),
        isolation: fix.isolation,
    })
}

/// Two ranges conflict when they overlap, or when an insertion sits where another edit starts
/// (their order would be ambiguous).
fn conflict(a: TextRange, b: TextRange) -> bool {
    let overlap = a.start < b.end && b.start < a.end;
    let ambiguous_insertion = a.start == b.start && (a.is_empty() || b.is_empty());
    overlap || ambiguous_insertion
}

/// Two fixes clash when their edits conflict or they change the same file.
fn clash(a: &Candidate, b: &Candidate) -> bool {
    let edits = a
        .edits
        .iter()
        .any(|x| b.edits.iter().any(|y| conflict(x.range(), y.range())));
    edits
        || a.files
            .iter()
            .any(|x| b.files.iter().any(|y| x.path == y.path))
}

/// What one round may apply, in order of preference: the fixes that go before isolated ones
/// (when there is an isolated fix), the first isolated fix alone, then every other fix that
/// does not conflict with one before it (when those fail).
fn round_choices(fixes: Vec<Candidate>) -> Vec<Vec<Candidate>> {
    let (isolated, others): (Vec<Candidate>, Vec<Candidate>) = fixes
        .into_iter()
        .partition(|candidate| candidate.isolation == Isolation::Alone);
    let mut choices: Vec<Vec<Candidate>> = Vec::new();
    if !isolated.is_empty() {
        let first: Vec<Candidate> = others
            .iter()
            .filter(|candidate| candidate.isolation == Isolation::BeforeAlone)
            .cloned()
            .collect();
        let first = non_overlapping(first);
        if !first.is_empty() {
            choices.push(first);
        }
    }
    choices.extend(isolated.into_iter().take(1).map(|c| vec![c]));
    let together = non_overlapping(others);
    if !together.is_empty() {
        choices.push(together);
    }
    choices
}

/// Takes fixes in order, skipping any that clashes with one already taken.
fn non_overlapping(candidates: Vec<Candidate>) -> Vec<Candidate> {
    let mut chosen: Vec<Candidate> = Vec::with_capacity(candidates.len());
    for candidate in candidates {
        if !chosen.iter().any(|taken| clash(taken, &candidate)) {
            chosen.push(candidate);
        }
    }
    chosen
}

/// Applies the chosen fixes: their edits (keeping only the fixes that do not break the parse)
/// and the file changes of the fixes kept. The new state and the fixes that changed it; `None`
/// when nothing changes.
fn apply_round<'c, 'f>(
    state: &State,
    chosen: &'c [Candidate<'f>],
    rejected: &mut Rejections,
) -> Option<(State, Vec<&'c Candidate<'f>>)> {
    let with_edits: Vec<&Candidate> = chosen.iter().filter(|c| !c.edits.is_empty()).collect();
    let (parse, kept) = apply_edits(&state.parse, &with_edits, rejected);
    let mut side = state.side.clone();
    let mut applied = Vec::new();
    for candidate in chosen {
        let edits_kept = kept.iter().any(|taken| std::ptr::eq(*taken, candidate));
        let files_changed = (candidate.edits.is_empty() || edits_kept)
            && apply_files(candidate, &mut side, rejected);
        if files_changed || (edits_kept && parse.is_some()) {
            applied.push(candidate);
        }
    }
    let parse = match parse {
        Some(parse) => parse,
        None if !applied.is_empty() => state.parse.clone(),
        None => return None,
    };
    Some((State { parse, side }, applied))
}

/// Applies the fixes' edits; when the result gains parse errors, keeps only the fixes that do
/// not break it. The new parse (`None` when no change survives) and the fixes kept.
fn apply_edits<'c, 'f>(
    parse: &Parse,
    chosen: &[&'c Candidate<'f>],
    rejected: &mut Rejections,
) -> (Option<Parse>, Vec<&'c Candidate<'f>>) {
    let text = parse.text();
    if chosen.is_empty() {
        return (None, Vec::new());
    }
    let attempt = parse_owned(apply(text, chosen));
    if !attempt.has_errors() {
        let changed = attempt.text() != text;
        return (changed.then_some(attempt), chosen.to_vec());
    }
    let mut kept: Vec<&Candidate> = Vec::new();
    let mut last_good = None;
    for candidate in chosen {
        kept.push(candidate);
        let attempt = parse_owned(apply(text, &kept));
        match attempt.errors.first() {
            None => last_good = Some(attempt),
            Some(error) => {
                kept.pop();
                rejected.insert((
                    candidate.transform,
                    format!("its result does not parse ({})", error.message),
                ));
            }
        }
    }
    (last_good.filter(|attempt| attempt.text() != text), kept)
}

/// The text with every edit of the given (non-conflicting) fixes applied.
fn apply(text: &str, fixes: &[&Candidate]) -> String {
    let mut edits: Vec<&Edit> = fixes
        .iter()
        .flat_map(|fix| fix.edits.iter().copied())
        .collect();
    edits.sort_by_key(|edit| (edit.start, edit.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut cursor = 0;
    for edit in edits {
        out.push_str(&text[cursor..edit.start]);
        out.push_str(&edit.content);
        cursor = edit.end;
    }
    out.push_str(&text[cursor..]);
    out
}

/// The transforms whose qualifying fixes would still change the text or a file beside it.
fn firing_transforms(findings: &[Finding], job: &Job, state: &State) -> BTreeSet<&'static str> {
    let text = state.parse.text();
    findings
        .iter()
        .filter(|finding| {
            finding.fix.as_ref().is_some_and(|fix| {
                qualifies(fix, job)
                    && (fix.edits.iter().any(|edit| changes(edit, text))
                        || fix.files.iter().any(|file| state.side.would_change(file)))
            })
        })
        .map(|finding| finding.transform)
        .collect()
}

fn changes(edit: &Edit, text: &str) -> bool {
    text.get(edit.start..edit.end) != Some(edit.content.as_str())
}

/// Runs the transforms, with the files beside the Dockerfile as `side` holds them, and drops
/// the findings that inline comments suppress.
fn collect_findings(
    job: &Job,
    file: &Dockerfile,
    side: &SideFiles,
    transforms: &[&dyn Transform],
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if transforms.is_empty() {
        return findings;
    }
    for transform in transforms {
        let context = Context {
            path: job.path,
            build_context: job.build_context,
            options: job.options.get(transform.id()),
            knowledge: job.knowledge,
            opened_context: Some(side.opened_context()),
            pending: Some(&side.now),
            other_dockerfiles: job.other_dockerfiles,
        };
        transform.run(file, &context, &mut findings);
    }
    let suppressions = Suppressions::of(file.parse());
    findings.retain(|finding| !suppressions.silences(finding));
    findings.sort_by_key(|finding| (finding.range.start, finding.range.end));
    findings
}

#[cfg(test)]
mod tests;
