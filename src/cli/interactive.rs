//! `--interactive`: each fix is shown with its reason and its diff, and the user accepts it,
//! skips it, accepts or skips every fix of its transform, or quits, as with `git add -p`; each
//! file is then written with what was accepted. After an accepted fix the transforms run again
//! on the new text, so what is offered next is always what the file now needs.
//!
//! A fix that creates or extends the build context's ignore file is offered first (as the
//! engine settles it first), with that file's diff; accepted, the file is written at once,
//! atomically, so the transforms that run next see the context as the build will.

use super::beside::write_one;
use super::run::{fix_text, read_bytes, RunOptions};
use super::{EXIT_ERROR, EXIT_OK};
use crate::config::Lookup;
use crate::diagnostics::{Applicability, Fix};
use crate::emit::{self, BesideFile};
use crate::engine::{self, ReportedFinding};
use crate::walk::display_path;
use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::Path;

/// More decisions than this in one file means the fixes do not settle.
const MAX_DECISIONS_PER_FILE: usize = 500;

const HELP: &str = "y - apply this fix
n - do not apply this fix
a - apply this fix and every later fix of the same transform
d - do not apply this fix nor any later fix of the same transform
q - quit; files already reviewed keep what was accepted, this one too
? - print help
";

/// What the user said about one fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    Apply,
    Skip,
    ApplyTransform,
    SkipTransform,
    Quit,
}

/// The decisions of a whole session, across files.
#[derive(Default)]
struct Session {
    applied_transforms: HashSet<&'static str>,
    skipped_transforms: HashSet<&'static str>,
    accepted: usize,
    skipped: usize,
    written: usize,
    hidden: usize,
    quit: bool,
    failed: bool,
}

/// Reviews the files one by one with the user, reading answers from `input`.
pub(super) fn review(
    files: &[std::path::PathBuf],
    lookups: &[Lookup],
    options: &RunOptions,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> i32 {
    let mut session = Session::default();
    for (file, lookup) in files.iter().zip(lookups) {
        if let Err(message) = review_file(file, lookup, options, &mut session, input, out) {
            eprintln!("{}: error: {message}", display_path(file));
            session.failed = true;
        }
        if session.quit {
            break;
        }
    }
    let _ = writeln!(out, "\n{}", session.summary());
    if session.failed {
        EXIT_ERROR
    } else {
        EXIT_OK
    }
}

impl Session {
    fn summary(&self) -> String {
        let mut line = format!(
            "Applied {} of {} fixes reviewed; wrote {} {}.",
            self.accepted,
            self.accepted + self.skipped,
            self.written,
            if self.written == 1 { "file" } else { "files" }
        );
        if self.hidden > 0 {
            line.push_str(&format!(
                " {} unsafe fixes were not offered (use --unsafe).",
                self.hidden
            ));
        }
        line
    }
}

/// The fixes of one file, offered until none is left undecided; then the file is written.
fn review_file(
    file: &Path,
    lookup: &Lookup,
    options: &RunOptions,
    session: &mut Session,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<(), String> {
    let config = match lookup {
        Ok(config) => config.as_deref(),
        Err(error) => return Err(format!("invalid configuration {}", error.path.display())),
    };
    let bytes = read_bytes(file)?;
    let original = std::str::from_utf8(&bytes).map_err(|_| "not valid UTF-8".to_owned())?;
    let path = display_path(file);
    let mut text = original.to_owned();
    let mut declined: HashSet<(&'static str, String)> = HashSet::new();
    let mut noted: HashSet<(&'static str, String)> = HashSet::new();
    for _ in 0..MAX_DECISIONS_PER_FILE {
        let (outcome, apply_unsafe) = fix_text(file, &text, config, options, false);
        if outcome.skipped {
            return Ok(());
        }
        if let Some(error) = outcome.errors.first() {
            return Err(format!(
                "line {}: {} (not changed)",
                error.line, error.message
            ));
        }
        note_display_only(&path, &outcome.findings, &mut noted, out);
        let undecided = |reported: &&ReportedFinding| {
            let finding = &reported.finding;
            !session.skipped_transforms.contains(finding.transform)
                && !declined.contains(&(finding.transform, finding.message.clone()))
        };
        // Fixes of the files beside the Dockerfile first, as the engine settles them first.
        let offered = outcome
            .findings
            .iter()
            .filter(undecided)
            .filter_map(|reported| {
                let fix = reported.finding.fix.as_ref()?;
                offerable(fix, apply_unsafe).then_some((reported, fix))
            })
            .min_by_key(|(_, fix)| fix.files.is_empty());
        let Some((reported, fix)) = offered else {
            session.hidden += hidden_fixes(&outcome.findings, apply_unsafe);
            return finish_file(file, &bytes, original, &text, session, out);
        };
        let transform = reported.finding.transform;
        let change = if fix.files.is_empty() {
            match engine::apply_one(&text, fix) {
                Ok(fixed) if fixed != text => Change::Text(fixed),
                Ok(_) | Err(_) => {
                    declined.insert((transform, reported.finding.message.clone()));
                    continue;
                }
            }
        } else {
            Change::Beside(beside_files(fix))
        };
        let answer = if session.applied_transforms.contains(transform) {
            Answer::Apply
        } else {
            show(&path, reported, &text, &change, options, out);
            ask(input, out)
        };
        match answer {
            Answer::Apply | Answer::ApplyTransform => {
                if answer == Answer::ApplyTransform {
                    session.applied_transforms.insert(transform);
                }
                session.accepted += 1;
                match change {
                    Change::Text(fixed) => text = fixed,
                    Change::Beside(files) => write_beside(&files, session, out)?,
                }
            }
            Answer::Skip | Answer::SkipTransform => {
                if answer == Answer::SkipTransform {
                    session.skipped_transforms.insert(transform);
                }
                session.skipped += 1;
                declined.insert((transform, reported.finding.message.clone()));
            }
            Answer::Quit => {
                session.quit = true;
                return finish_file(file, &bytes, original, &text, session, out);
            }
        }
    }
    Err(format!(
        "the fixes did not settle after {MAX_DECISIONS_PER_FILE} decisions (not changed)"
    ))
}

/// What accepting a fix changes: the Dockerfile's text, or files beside it (written at once).
enum Change {
    Text(String),
    Beside(Vec<BesideFile>),
}

/// Whether a fix may be offered under these settings: one that changes the Dockerfile, or only
/// files beside it.
fn offerable(fix: &Fix, apply_unsafe: bool) -> bool {
    let allowed = match fix.applicability {
        Applicability::Safe => true,
        Applicability::Unsafe => apply_unsafe,
        Applicability::DisplayOnly => false,
    };
    allowed && (fix.files.is_empty() || fix.edits.is_empty())
}

/// The files a fix creates or rewrites beside the Dockerfile.
fn beside_files(fix: &Fix) -> Vec<BesideFile> {
    fix.files
        .iter()
        .map(|change| BesideFile {
            path: display_path(&change.path),
            location: change.path.clone(),
            original: change.replaces.clone(),
            content: change.content.clone(),
        })
        .collect()
}

/// Writes accepted files beside the Dockerfile, each atomically; an error stops the file's
/// review.
fn write_beside(
    files: &[BesideFile],
    session: &mut Session,
    out: &mut dyn Write,
) -> Result<(), String> {
    for file in files {
        write_one(file)?;
        session.written += 1;
        let verb = if file.created() { "Created" } else { "Wrote" };
        let _ = writeln!(out, "{verb} {}", file.path);
    }
    Ok(())
}

fn hidden_fixes(findings: &[ReportedFinding], apply_unsafe: bool) -> usize {
    findings
        .iter()
        .filter(|reported| {
            !apply_unsafe && reported.finding.applicability() == Applicability::Unsafe
        })
        .count()
}

/// Findings without a fix are shown once, so nothing is skipped silently; so are fixes that
/// change both the Dockerfile and files beside it (no transform makes one yet), which are not
/// offered here.
fn note_display_only(
    path: &str,
    findings: &[ReportedFinding],
    noted: &mut HashSet<(&'static str, String)>,
    out: &mut dyn Write,
) {
    for reported in findings {
        let finding = &reported.finding;
        let new = noted.insert((finding.transform, finding.message.clone()));
        let mixed = finding
            .fix
            .as_ref()
            .is_some_and(|fix| !fix.files.is_empty() && !fix.edits.is_empty());
        let note = match (finding.applicability(), mixed) {
            (Applicability::DisplayOnly, _) => "no fix",
            (_, true) => "it changes the Dockerfile and files beside it: apply it with --write",
            _ => continue,
        };
        if new {
            let _ = writeln!(
                out,
                "{path}:{}: note: [{}] {} ({note})",
                reported.line, finding.transform, finding.message
            );
        }
    }
}

/// The fix's reason and its diff: against the current text, or of the files beside it.
fn show(
    path: &str,
    reported: &ReportedFinding,
    text: &str,
    change: &Change,
    options: &RunOptions,
    out: &mut dyn Write,
) {
    let finding = &reported.finding;
    let _ = writeln!(
        out,
        "\n{path}:{}: [{}] {} ({})",
        reported.line,
        finding.transform,
        finding.message,
        finding.applicability().as_str()
    );
    let diff = match change {
        Change::Text(fixed) => emit::unified_diff(path, text, fixed, options.paint),
        Change::Beside(files) => files.iter().map(|file| file.diff(options.paint)).collect(),
    };
    let _ = write!(out, "{diff}");
}

/// Asks until the answer is one of the choices; the end of the input quits.
fn ask(input: &mut dyn BufRead, out: &mut dyn Write) -> Answer {
    loop {
        let _ = write!(out, "Apply this fix [y,n,a,d,q,?]? ");
        let _ = out.flush();
        let mut line = String::new();
        match input.read_line(&mut line) {
            Ok(0) | Err(_) => return Answer::Quit,
            Ok(_) => {}
        }
        match line.trim() {
            "y" => return Answer::Apply,
            "n" => return Answer::Skip,
            "a" => return Answer::ApplyTransform,
            "d" => return Answer::SkipTransform,
            "q" => return Answer::Quit,
            _ => {
                let _ = write!(out, "{HELP}");
            }
        }
    }
}

/// Writes the file when fixes were accepted.
fn finish_file(
    file: &Path,
    bytes: &[u8],
    original: &str,
    text: &str,
    session: &mut Session,
    out: &mut dyn Write,
) -> Result<(), String> {
    if text == original {
        return Ok(());
    }
    emit::write_atomically(file, bytes, text).map_err(|error| error.to_string())?;
    session.written += 1;
    let _ = writeln!(out, "Wrote {}", display_path(file));
    Ok(())
}
