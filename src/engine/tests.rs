//! Engine rules, checked with small transforms that exist only here.

use super::*;
use crate::diagnostics::{Applicability, Edit, Finding, Fix};
use crate::transforms::{Changes, Context, Metadata, Transform};

/// The metadata of a test transform (leaked: it lives as long as the test).
fn metadata_of(id: &'static str, max_applicability: Applicability) -> &'static Metadata {
    Box::leak(Box::new(Metadata {
        id,
        summary: "test transform",
        documentation: "test transform",
        enabled_by_default: true,
        max_applicability,
        changes: Changes::Dockerfile,
        intended_changes: &[],
    }))
}

/// A transform that replaces every occurrence of `from` with `to`.
struct Replace {
    id: &'static str,
    from: &'static str,
    to: &'static str,
    applicability: Applicability,
}

impl Transform for Replace {
    fn metadata(&self) -> &'static Metadata {
        metadata_of(self.id, self.applicability)
    }
    fn run(&self, file: &Dockerfile, _context: &Context, out: &mut Vec<Finding>) {
        let text = file.text();
        for (start, _) in text.match_indices(self.from) {
            let range = TextRange::new(start, start + self.from.len());
            out.push(Finding {
                transform: self.id,
                message: format!("replace {:?}", self.from),
                range,
                fix: Some(Fix::new(
                    self.applicability,
                    vec![Edit::replace(range, self.to)],
                )),
            });
        }
    }
}

const fn safe(id: &'static str, from: &'static str, to: &'static str) -> Replace {
    Replace {
        id,
        from,
        to,
        applicability: Applicability::Safe,
    }
}

fn run_with(text: &str, transforms: &[&dyn Transform], apply_unsafe: bool) -> Outcome {
    let options = TransformOptions::new();
    run(&Job {
        text,
        transforms,
        path: None,
        build_context: None,
        other_dockerfiles: None,
        change_files: true,
        options: &options,
        apply_unsafe,
        knowledge: None,
    })
}

fn ids(outcome: &Outcome) -> Vec<&'static str> {
    outcome
        .findings
        .iter()
        .map(|reported| reported.finding.transform)
        .collect()
}

#[test]
fn overlapping_fix_waits_for_the_next_round() {
    let whole = safe("whole", "echo one", "echo two");
    let digit_one = safe("digit-one", "one", "1");
    let digit_two = safe("digit-two", "two", "2");
    let outcome = run_with(
        "FROM a\nRUN echo one\n",
        &[&whole, &digit_one, &digit_two],
        false,
    );
    assert_eq!(outcome.fixed.as_deref(), Some("FROM a\nRUN echo 2\n"));
    assert_eq!(ids(&outcome), ["whole", "digit-one"]);
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
}

#[test]
fn findings_are_located_in_the_original_text() {
    let digit_one = safe("digit-one", "one", "1");
    let outcome = run_with("FROM a\n\nRUN echo one\n", &[&digit_one], false);
    let reported = &outcome.findings[0];
    assert_eq!(
        (reported.line, reported.column, reported.end_line),
        (3, 10, 3)
    );
}

#[test]
fn fix_that_breaks_the_parse_is_reverted_and_others_kept() {
    let breaker = safe("breaker", "RUN make", "RUN <<EOF make");
    let fine = safe("fine", "FROM a", "FROM b");
    let outcome = run_with("FROM a\nRUN make\n", &[&breaker, &fine], false);
    assert_eq!(outcome.fixed.as_deref(), Some("FROM b\nRUN make\n"));
    assert_eq!(outcome.errors.len(), 1, "{:?}", outcome.errors);
    assert!(outcome.errors[0]
        .message
        .starts_with("[breaker] fix not applied: its result does not parse"));
}

#[test]
fn non_convergence_keeps_the_original_and_names_the_transforms() {
    let forth = safe("forth", "echo a", "echo b");
    let back = safe("back", "echo b", "echo a");
    let outcome = run_with("FROM x\nRUN echo a\n", &[&forth, &back], false);
    assert_eq!(outcome.fixed, None);
    assert_eq!(outcome.errors.len(), 1);
    let message = &outcome.errors[0].message;
    assert!(
        message.contains("did not converge after 10 rounds"),
        "{message}"
    );
    assert!(message.contains("back, forth"), "{message}");
}

#[test]
fn unsafe_fixes_need_the_flag() {
    let risky = Replace {
        id: "risky",
        from: "FROM a",
        to: "FROM b",
        applicability: Applicability::Unsafe,
    };
    let text = "FROM a\n";
    assert_eq!(run_with(text, &[&risky], false).fixed, None);
    assert_eq!(run_with(text, &[&risky], false).findings.len(), 1);
    assert_eq!(
        run_with(text, &[&risky], true).fixed.as_deref(),
        Some("FROM b\n")
    );
}

#[test]
fn display_only_is_never_applied() {
    let shown = Replace {
        id: "shown",
        from: "FROM a",
        to: "FROM b",
        applicability: Applicability::DisplayOnly,
    };
    let outcome = run_with("FROM a\n", &[&shown], true);
    assert_eq!(outcome.fixed, None);
    assert_eq!(ids(&outcome), ["shown"]);
}

#[test]
fn file_with_parse_errors_gets_no_fixes() {
    let fine = safe("fine", "FROM a", "FROM b");
    let outcome = run_with("FROM a\nRUN <<EOF\n", &[&fine], false);
    assert_eq!(outcome.fixed, None);
    assert!(outcome.findings.is_empty());
    assert_eq!(outcome.errors[0].line, 2);
}

#[test]
fn ignore_comment_silences_every_finding_of_the_next_instruction() {
    let digit_one = safe("digit-one", "one", "1");
    let text = "FROM a\n# dfmigrate: ignore\nRUN echo one\nRUN echo one\n";
    let outcome = run_with(text, &[&digit_one], false);
    assert_eq!(outcome.findings.len(), 1);
    assert_eq!(outcome.findings[0].line, 4);
    assert_eq!(
        outcome.fixed.as_deref(),
        Some("FROM a\n# dfmigrate: ignore\nRUN echo one\nRUN echo 1\n")
    );
}

#[test]
fn ignore_with_ids_silences_only_those() {
    let numeral = safe("numeral", "one", "1");
    let word = safe("word", "echo", "printf");
    let text = "FROM a\n# dfmigrate: ignore=other, numeral\n# why: reasons\nRUN echo one\n";
    let outcome = run_with(text, &[&numeral, &word], false);
    assert_eq!(ids(&outcome), ["word"]);
}

#[test]
fn ignore_comment_separated_by_a_blank_line_does_not_apply() {
    let digit_one = safe("digit-one", "one", "1");
    let outcome = run_with(
        "FROM a\n# dfmigrate: ignore\n\nRUN echo one\n",
        &[&digit_one],
        false,
    );
    assert_eq!(ids(&outcome), ["digit-one"]);
}

#[test]
fn skip_file_before_the_first_instruction_skips_the_file() {
    let fine = safe("fine", "FROM a", "FROM b");
    let skipped = run_with("# dfmigrate: skip-file\nFROM a\n", &[&fine], false);
    assert!(skipped.skipped);
    assert_eq!(skipped.fixed, None);
    assert!(skipped.findings.is_empty());
    let late = run_with("FROM a\n# dfmigrate: skip-file\nRUN x\n", &[&fine], false);
    assert!(!late.skipped);
    assert_eq!(
        late.fixed.as_deref(),
        Some("FROM b\n# dfmigrate: skip-file\nRUN x\n")
    );
}

/// A transform whose fix points outside the text.
struct OutOfBounds;

impl Transform for OutOfBounds {
    fn metadata(&self) -> &'static Metadata {
        metadata_of("out-of-bounds", Applicability::Safe)
    }
    fn run(&self, file: &Dockerfile, _context: &Context, out: &mut Vec<Finding>) {
        let end = file.text().len();
        out.push(Finding {
            transform: self.id(),
            message: "broken".to_owned(),
            range: TextRange::empty(0),
            fix: Some(Fix::safe(vec![Edit::insert(end + 5, "x")])),
        });
    }
}

#[test]
fn malformed_fix_is_rejected_with_an_error() {
    let outcome = run_with("FROM a\n", &[&OutOfBounds], false);
    assert_eq!(outcome.fixed, None);
    assert!(outcome.errors[0]
        .message
        .starts_with("[out-of-bounds] fix not applied: edit 12..12"));
}

#[test]
fn directive_comments_are_read_strictly() {
    assert_eq!(directive("# dfmigrate: ignore"), Some(Directive::IgnoreAll));
    assert_eq!(directive("#dfmigrate:skip-file"), Some(Directive::SkipFile));
    assert_eq!(
        directive("# dfmigrate: ignore = a,b"),
        Some(Directive::Ignore(vec!["a".to_owned(), "b".to_owned()]))
    );
    assert_eq!(directive("# dfmigrate: ignored"), None);
    assert_eq!(directive("# see dfmigrate: ignore"), None);
}

fn candidate_of<'f>(transform: &'static str, fix: &'f Fix) -> Candidate<'f> {
    candidate(
        (transform, TextRange::new(0, 0), ""),
        fix,
        "FROM a\nRUN echo one two\n",
    )
    .expect("valid fix")
}

#[test]
fn an_isolated_fix_gets_a_round_of_its_own() {
    let replace = |start, end| Edit::replace(TextRange::new(start, end), "x");
    let first = Fix::safe(vec![replace(16, 19)]);
    let isolated = Fix::safe(vec![replace(0, 4)]).isolated();
    let last = Fix::safe(vec![replace(20, 23)]);
    let choices = round_choices(vec![
        candidate_of("first", &first),
        candidate_of("isolated", &isolated),
        candidate_of("last", &last),
    ]);
    let transforms: Vec<Vec<&str>> = choices
        .iter()
        .map(|choice| choice.iter().map(|c| c.transform).collect())
        .collect();
    assert_eq!(transforms, vec![vec!["isolated"], vec!["first", "last"]]);
}

/// Opens a heredoc that never ends: a fix that breaks the parse.
struct OpenHeredoc;

impl Transform for OpenHeredoc {
    fn metadata(&self) -> &'static Metadata {
        metadata_of("open-heredoc", Applicability::Safe)
    }
    fn run(&self, file: &Dockerfile, _context: &Context, out: &mut Vec<Finding>) {
        if let Some(start) = file.text().find("RUN ") {
            let range = TextRange::new(start, start + 4);
            out.push(Finding {
                transform: self.id(),
                message: "break".to_owned(),
                range,
                fix: Some(Fix::safe(vec![Edit::replace(range, "RUN <<EOF ")]).isolated()),
            });
        }
    }
}

#[test]
fn a_failing_isolated_fix_does_not_hold_back_the_others() {
    let digit = safe("digit", "one", "1");
    let outcome = run_with("FROM a\nRUN echo one\n", &[&OpenHeredoc, &digit], false);
    assert_eq!(outcome.fixed.as_deref(), Some("FROM a\nRUN echo 1\n"));
}
