//! The engine: runs the selected transforms over one file's text and applies their fixes to a
//! fixed point. Pure and in memory: no I/O, no printing, so every rule is unit-testable.
//!
//! Invariants:
//! - A file with parse errors gets no fixes; its errors are reported.
//! - The output never has parse errors: a round whose result gains errors is narrowed fix by
//!   fix, and each fix that breaks the parse is reverted and reported naming its transform.
//! - Reported findings are those of the first round, against the original text.
//! - When the fixes do not converge within [`MAX_ROUNDS`], the original text is kept and the
//!   transforms that kept firing are named: a half-applied oscillation is never written.

use crate::diagnostics::{Applicability, Edit, Finding, Fix, Isolation};
use crate::knowledge::KnowledgeBase;
use crate::model::Dockerfile;
use crate::syntax::{parse_owned, Parse, TextRange, TokenKind};
use crate::transforms::{Context, Transform};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;

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
    /// Options for each transform, by id.
    pub options: &'a TransformOptions,
    /// Whether fixes marked [`Applicability::Unsafe`] are applied.
    pub apply_unsafe: bool,
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
}

/// A problem with one file: a parse error, a reverted fix, non-convergence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    /// 1-based line in the original text, or 0 when the problem has no line.
    pub line: usize,
    pub message: String,
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
    let first_findings = collect_findings(job, &parse);
    let findings = first_findings
        .iter()
        .map(|finding| locate(&parse, finding))
        .collect();
    let mut errors = Vec::new();
    let fixed = fix_to_fixed_point(job, parse, first_findings, &mut errors);
    Outcome {
        skipped: false,
        findings,
        errors,
        fixed: fixed.filter(|text| text != job.text),
    }
}

/// Applies one fix alone to `text`, as a round applies fixes: its edits checked (inside the
/// text, on character boundaries, not overlapping) and the result reparsed. `Err` says why it
/// was not applied: a malformed fix, or a result that does not parse.
pub fn apply_one(text: &str, fix: &Fix) -> Result<String, String> {
    let candidate = candidate("", fix, text)?;
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
    }
}

/// Applies rounds of fixes; `None` when the fixes did not converge (errors say why).
fn fix_to_fixed_point(
    job: &Job,
    mut parse: Parse,
    mut findings: Vec<Finding>,
    errors: &mut Vec<FileError>,
) -> Option<String> {
    let mut rejected = BTreeSet::new();
    let mut recently_applied = [BTreeSet::new(), BTreeSet::new()];
    for round in 0..MAX_ROUNDS {
        let fixes = qualifying_fixes(&findings, job.apply_unsafe, parse.text(), &mut rejected);
        let next = round_choices(fixes).into_iter().find_map(|chosen| {
            let applied = chosen.iter().map(|candidate| candidate.transform).collect();
            apply_round(&parse, &chosen, &mut rejected).map(|next| (next, applied))
        });
        let Some((next, applied)) = next else {
            report_rejected(rejected, errors);
            return Some(parse.tree.text().to_owned());
        };
        recently_applied[round % 2] = applied;
        parse = next;
        findings = collect_findings(job, &parse);
    }
    let mut still_firing = firing_transforms(&findings, job.apply_unsafe, parse.text());
    report_rejected(rejected, errors);
    if still_firing.is_empty() {
        return Some(parse.tree.text().to_owned());
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

/// A fix ready to apply: its edits sorted, its covering range, and who made it.
#[derive(Clone)]
struct Candidate<'f> {
    transform: &'static str,
    range: TextRange,
    edits: Vec<&'f Edit>,
    isolation: Isolation,
}

/// The fixes that may be applied this round, sorted by position; malformed ones are rejected.
fn qualifying_fixes<'f>(
    findings: &'f [Finding],
    apply_unsafe: bool,
    text: &str,
    rejected: &mut Rejections,
) -> Vec<Candidate<'f>> {
    let mut candidates: Vec<Candidate> = findings
        .iter()
        .filter_map(|finding| {
            let fix = finding
                .fix
                .as_ref()
                .filter(|fix| qualifies(fix, apply_unsafe))?;
            match candidate(finding.transform, fix, text) {
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

fn qualifies(fix: &Fix, apply_unsafe: bool) -> bool {
    match fix.applicability {
        Applicability::Safe => true,
        Applicability::Unsafe => apply_unsafe,
        Applicability::DisplayOnly => false,
    }
}

/// Checks a fix's edits lie inside the text, on character boundaries, without overlapping.
fn candidate<'f>(
    transform: &'static str,
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
    let range = fix.range().ok_or_else(|| "it has no edits".to_owned())?;
    Ok(Candidate {
        transform,
        range,
        edits,
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

/// Takes fixes in order, skipping any that conflicts with one already taken.
fn non_overlapping(candidates: Vec<Candidate>) -> Vec<Candidate> {
    let mut chosen: Vec<Candidate> = Vec::with_capacity(candidates.len());
    for candidate in candidates {
        let clashes = chosen.iter().any(|taken| {
            taken.edits.iter().any(|a| {
                candidate
                    .edits
                    .iter()
                    .any(|b| conflict(a.range(), b.range()))
            })
        });
        if !clashes {
            chosen.push(candidate);
        }
    }
    chosen
}

/// Applies the chosen fixes; when the result gains parse errors, keeps only the fixes that do
/// not break it. `None` when no change survives.
fn apply_round(parse: &Parse, chosen: &[Candidate], rejected: &mut Rejections) -> Option<Parse> {
    let text = parse.text();
    let all: Vec<&Candidate> = chosen.iter().collect();
    let attempt = parse_owned(apply(text, &all));
    if !attempt.has_errors() {
        return (attempt.text() != text).then_some(attempt);
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
    last_good.filter(|attempt| attempt.text() != text)
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

/// The transforms whose qualifying fixes would still change the text.
fn firing_transforms(
    findings: &[Finding],
    apply_unsafe: bool,
    text: &str,
) -> BTreeSet<&'static str> {
    findings
        .iter()
        .filter(|finding| {
            finding.fix.as_ref().is_some_and(|fix| {
                qualifies(fix, apply_unsafe) && fix.edits.iter().any(|edit| changes(edit, text))
            })
        })
        .map(|finding| finding.transform)
        .collect()
}

fn changes(edit: &Edit, text: &str) -> bool {
    text.get(edit.start..edit.end) != Some(edit.content.as_str())
}

/// Runs every transform and drops the findings that inline comments suppress.
fn collect_findings(job: &Job, parse: &Parse) -> Vec<Finding> {
    let file = Dockerfile::new(parse);
    let mut findings = Vec::new();
    let opened_context = OnceLock::new();
    for transform in job.transforms {
        let context = Context {
            path: job.path,
            build_context: job.build_context,
            options: job.options.get(transform.id()),
            knowledge: job.knowledge,
            opened_context: Some(&opened_context),
        };
        transform.run(&file, &context, &mut findings);
    }
    let suppressions = Suppressions::of(parse);
    findings.retain(|finding| !suppressions.silences(finding));
    findings.sort_by_key(|finding| (finding.range.start, finding.range.end));
    findings
}

/// What a `# dfmigrate:` comment asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Directive {
    SkipFile,
    IgnoreAll,
    Ignore(Vec<String>),
}

/// Parses a comment line as a `# dfmigrate: ...` directive.
fn directive(comment: &str) -> Option<Directive> {
    let body = comment.trim().strip_prefix('#')?.trim_start();
    let command = body.strip_prefix("dfmigrate:")?.trim();
    match command {
        "skip-file" => Some(Directive::SkipFile),
        "ignore" => Some(Directive::IgnoreAll),
        _ => {
            let ids = command
                .strip_prefix("ignore")?
                .trim_start()
                .strip_prefix('=')?;
            let ids = ids
                .split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .collect();
            Some(Directive::Ignore(ids))
        }
    }
}

/// True when a `# dfmigrate: skip-file` comment comes before the first instruction.
fn has_skip_file(parse: &Parse) -> bool {
    let first_instruction = parse
        .instructions
        .first()
        .map_or(usize::MAX, |instruction| instruction.range.start);
    parse
        .tree
        .root()
        .child_tokens()
        .filter(|token| token.kind == TokenKind::Comment && token.range.start < first_instruction)
        .any(|token| directive(parse.tree.token_text(*token)) == Some(Directive::SkipFile))
}

/// The inline suppressions of one parse: for each instruction, what its comments silence.
struct Suppressions {
    /// (instruction range, directive), in file order.
    rules: Vec<(TextRange, Directive)>,
}

impl Suppressions {
    /// Reads the comment lines directly above each instruction (no blank line between).
    fn of(parse: &Parse) -> Suppressions {
        let text = parse.text();
        let mut rules = Vec::new();
        let mut previous_end_line = 0;
        for instruction in &parse.instructions {
            let mut line = instruction.start_line;
            while line > previous_end_line + 1 {
                line -= 1;
                let Some(content) = line_text(parse, text, line) else {
                    break;
                };
                if !content.trim_start().starts_with('#') {
                    break;
                }
                if let Some(found) = directive(content) {
                    rules.push((instruction.range, found));
                }
            }
            previous_end_line = instruction.end_line;
        }
        Suppressions { rules }
    }

    fn silences(&self, finding: &Finding) -> bool {
        self.rules.iter().any(|(range, rule)| {
            range.start <= finding.range.start
                && finding.range.start < range.end
                && match rule {
                    Directive::IgnoreAll => true,
                    Directive::Ignore(ids) => ids.iter().any(|id| id == finding.transform),
                    Directive::SkipFile => false,
                }
        })
    }
}

/// The text of a 1-based line without its line break.
fn line_text<'t>(parse: &Parse, text: &'t str, line: usize) -> Option<&'t str> {
    let start = parse.line_index.line_start(line)?;
    let end = parse.line_index.line_start(line + 1).unwrap_or(text.len());
    Some(text[start..end].trim_end_matches(['\n', '\r']))
}

#[cfg(test)]
mod tests;
