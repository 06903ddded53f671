//! Every transform on its own fixtures (`tests/fixtures/transforms/ID/*.Dockerfile`): a snapshot
//! of the input, the findings and the diff (unsafe fixes applied) with the files beside the
//! Dockerfile that fixes create or rewrite, plus the invariants: the output parses without
//! errors, a second run (with those files written) changes nothing, CRLF files stay CRLF. The
//! examples in each transform's documentation are executed too.

use dfmigrate::emit::{new_file_diff, unified_diff, Paint};
use dfmigrate::engine::{run, Job, Outcome, TransformOptions};
use dfmigrate::syntax::parse;
use dfmigrate::transforms::{self, Transform};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/transforms")
}

fn fix(
    transform: &'static dyn Transform,
    text: &str,
    context: Option<&Path>,
    apply_unsafe: bool,
) -> Outcome {
    let options = TransformOptions::new();
    let selected = [transform];
    let dockerfile = context.map(|dir| dir.join("Dockerfile"));
    run(&Job {
        text,
        transforms: &selected,
        path: dockerfile.as_deref(),
        build_context: context,
        other_dockerfiles: None,
        change_files: true,
        options: &options,
        apply_unsafe,
        knowledge: None,
    })
}

fn report(text: &str, outcome: &Outcome, context: Option<&Path>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "--- input ---\n{}", text.replace('\r', "␍"));
    let _ = writeln!(out, "--- findings ---");
    for reported in &outcome.findings {
        let finding = &reported.finding;
        let _ = writeln!(
            out,
            "{}: ({}) {}",
            reported.line,
            finding.applicability().as_str(),
            finding.message
        );
    }
    for error in &outcome.errors {
        let _ = writeln!(out, "error {}: {}", error.line, error.message);
    }
    let _ = writeln!(out, "--- diff (unsafe fixes applied) ---");
    match &outcome.fixed {
        Some(fixed) => out.push_str(
            &unified_diff("Dockerfile", text, fixed, Paint::default()).replace('\r', "␍"),
        ),
        None => out.push_str("(no change)\n"),
    }
    for file in &outcome.files {
        let name = context
            .and_then(|dir| file.path.strip_prefix(dir).ok())
            .unwrap_or(&file.path)
            .display()
            .to_string();
        let diff = match &file.original {
            Some(original) => unified_diff(&name, original, &file.content, Paint::default()),
            None => new_file_diff(&name, &file.content, Paint::default()),
        };
        out.push_str(&diff.replace('\r', "␍"));
    }
    out
}

/// Writes the files beside the Dockerfile that the outcome creates or rewrites.
fn write_beside(outcome: &Outcome) {
    for file in &outcome.files {
        std::fs::write(&file.path, &file.content).expect("write a file beside the Dockerfile");
    }
}

/// A copy of a fixture's build context, where fixes may write their files.
fn scratch_copy(context: &Path) -> tempfile::TempDir {
    let scratch = tempfile::tempdir().expect("temp dir");
    copy_tree(context, scratch.path());
    scratch
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// A fixture: `NAME.Dockerfile` (no build context), or a folder `NAME/` holding a `Dockerfile`
/// and its build context.
struct Case {
    name: String,
    dockerfile: PathBuf,
    context: Option<PathBuf>,
}

impl Case {
    fn at(path: &Path) -> Option<Case> {
        let name = path.file_stem()?.to_str()?.to_owned();
        if path.is_dir() {
            let dockerfile = path.join("Dockerfile");
            return dockerfile.is_file().then(|| Case {
                name,
                dockerfile,
                context: Some(path.to_owned()),
            });
        }
        (path.extension()? == "Dockerfile").then(|| Case {
            name,
            dockerfile: path.to_owned(),
            context: None,
        })
    }
}

fn check_invariants(
    name: &str,
    transform: &'static dyn Transform,
    text: &str,
    outcome: &Outcome,
    context: Option<&Path>,
) {
    assert!(
        outcome.errors.is_empty(),
        "{name}: {:?}",
        outcome
            .errors
            .iter()
            .map(|e| &e.message)
            .collect::<Vec<_>>()
    );
    write_beside(outcome);
    if outcome.fixed.is_none() && !outcome.files.is_empty() {
        let again = fix(transform, text, context, true);
        assert!(
            !again.changes(),
            "{name}: a second run changes files again: {:?}",
            again.files
        );
    }
    let Some(fixed) = &outcome.fixed else { return };
    let reparsed = parse(fixed);
    assert!(
        reparsed.errors.is_empty(),
        "{name}: output does not parse: {:?}\n{fixed}",
        reparsed.errors
    );
    let again = fix(transform, fixed, context, true);
    assert_eq!(
        again.fixed, None,
        "{name}: a second run changes the output again"
    );
    assert_eq!(
        again.files,
        [],
        "{name}: a second run changes files beside the Dockerfile again"
    );
    if text.contains("\r\n") && !text.replace("\r\n", "").contains('\n') {
        assert!(
            !fixed.replace("\r\n", "").contains('\n'),
            "{name}: CRLF file got LF line endings: {fixed:?}"
        );
    }
    assert_eq!(
        text.ends_with('\n'),
        fixed.ends_with('\n'),
        "{name}: final newline added or lost"
    );
}

#[test]
fn transform_fixtures() {
    let mut checked = 0;
    for transform in transforms::all() {
        let dir = fixtures_dir().join(transform.id());
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
        paths.sort();
        for case in paths.iter().filter_map(|path| Case::at(path)) {
            let text = std::fs::read_to_string(&case.dockerfile).expect("fixture is UTF-8");
            let name = format!("transforms__{}__{}", transform.id(), case.name);
            let scratch = case.context.as_deref().map(scratch_copy);
            let context = scratch.as_ref().map(|dir| dir.path());
            let outcome = fix(*transform, &text, context, true);
            let shown = report(&text, &outcome, context);
            check_invariants(&name, *transform, &text, &outcome, context);
            insta::with_settings!({snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"), prepend_module_to_snapshot => false}, {
                insta::assert_snapshot!(name, shown);
            });
            checked += 1;
        }
    }
    assert!(checked >= 25, "only {checked} transform fixtures found");
}

#[test]
fn every_transform_has_fixtures_with_and_without_changes() {
    for transform in transforms::all() {
        let dir = fixtures_dir().join(transform.id());
        let cases: Vec<Case> = std::fs::read_dir(&dir)
            .unwrap_or_else(|_| panic!("no fixtures for {}", transform.id()))
            .filter_map(|e| Case::at(&e.ok()?.path()))
            .collect();
        // A positive fixture gets findings (display-only transforms never change the text).
        let changed = cases
            .iter()
            .filter(|case| {
                let text = std::fs::read_to_string(&case.dockerfile).unwrap_or_default();
                !fix(*transform, &text, case.context.as_deref(), true)
                    .findings
                    .is_empty()
            })
            .count();
        assert!(changed > 0, "{}: no positive fixture", transform.id());
        assert!(
            changed < cases.len(),
            "{}: no negative fixture",
            transform.id()
        );
    }
}

/// The ```dockerfile blocks of a documentation page: the example input, the expected output
/// with safe fixes, and optionally the expected output with unsafe fixes too.
fn doc_example(documentation: &str) -> Option<(String, String, Option<String>)> {
    let mut blocks = documentation
        .split("```dockerfile\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap_or("").to_owned());
    Some((blocks.next()?, blocks.next()?, blocks.next()))
}

#[test]
fn documentation_examples_hold() {
    for transform in transforms::all() {
        let documentation = transform.metadata().documentation;
        assert!(
            documentation.starts_with(&format!("# {}\n", transform.id())),
            "{}: doc title",
            transform.id()
        );
        for section in ["## Why", "## Example"] {
            assert!(
                documentation.contains(section),
                "{}: doc lacks {section}",
                transform.id()
            );
        }
        let (input, expected, expected_unsafe) =
            doc_example(documentation).unwrap_or_else(|| panic!("{}: no example", transform.id()));
        let context = example_context(documentation);
        let outcome = fix(
            *transform,
            &input,
            context.as_ref().map(|dir| dir.path()),
            false,
        );
        assert!(
            !outcome.findings.is_empty(),
            "{}: the documented example has no finding",
            transform.id()
        );
        assert_eq!(
            outcome.fixed.as_deref().unwrap_or(&input),
            expected,
            "{}: documented example",
            transform.id()
        );
        let dir = context.as_ref().map(|dir| dir.path());
        let outcome = fix(*transform, &input, dir, true);
        if let Some(expected_unsafe) = expected_unsafe {
            assert_eq!(
                outcome.fixed.as_deref().unwrap_or(&input),
                expected_unsafe,
                "{}: documented example with --unsafe",
                transform.id()
            );
        }
        if let Some((created, content)) = documented_file(documentation) {
            let file = outcome
                .files
                .iter()
                .find(|file| file.path.file_name() == Some(created.as_ref()))
                .unwrap_or_else(|| panic!("{}: the example creates no {created}", transform.id()));
            assert_eq!(
                file.content,
                content,
                "{}: documented {created}",
                transform.id()
            );
        }
    }
}

/// `<!-- creates: NAME -->` followed by a ```text block: the file beside the Dockerfile the
/// example's fixes (with `--unsafe`) create, and its content.
fn documented_file(documentation: &str) -> Option<(String, String)> {
    let rest = documentation.split("<!-- creates:").nth(1)?;
    let (name, rest) = rest.split_once("-->")?;
    let content = rest.split("```text\n").nth(1)?.split("```").next()?;
    Some((name.trim().to_owned(), content.to_owned()))
}

/// `<!-- context: FILE... -->` in a documentation page: a build context holding those files (JSON
/// files hold `{}`, Go files `package main`, `go.mod` a module line, `NAME=CONTENT` holds
/// CONTENT and a newline, others are empty).
fn example_context(documentation: &str) -> Option<tempfile::TempDir> {
    let list = documentation
        .split("<!-- context:")
        .nth(1)?
        .split("-->")
        .next()?;
    let dir = tempfile::tempdir().expect("temp dir");
    for item in list.split_whitespace() {
        let (name, content) = match item.split_once('=') {
            Some((name, content)) => (name, format!("{content}\n")),
            None if item == "go.mod" => (item, "module example.com/app\n".to_owned()),
            None if item.ends_with(".json") => (item, "{}\n".to_owned()),
            None if item.ends_with(".go") => (item, "package main\n".to_owned()),
            None => (item, String::new()),
        };
        let path = dir.path().join(name);
        if name.ends_with('/') {
            std::fs::create_dir_all(&path).expect("create example folder");
            continue;
        }
        std::fs::write(path, content).expect("write example file");
    }
    Some(dir)
}

#[test]
fn copy_over_add_checks_globs_and_contents_against_the_context() {
    let transform = transforms::by_id("copy-over-add").expect("registered");
    let context = tempfile::tempdir().expect("temp dir");
    std::fs::write(context.path().join("a.conf"), "x=1\n").expect("write");
    std::fs::write(context.path().join("bundle"), tar_header()).expect("write");
    let text = "FROM alpine\nADD *.conf /etc/\nADD bundle /opt/\nADD *.bin /opt/\n";
    let outcome = fix(transform, text, Some(context.path()), false);
    assert_eq!(
        outcome.fixed.as_deref(),
        Some("FROM alpine\nCOPY *.conf /etc/\nADD bundle /opt/\nADD *.bin /opt/\n"),
        "a glob matching no archive is safe; a file that is a tar archive stays ADD; a glob \
         matching nothing in the context may match an archive where the build runs (unsafe)"
    );
    std::fs::write(context.path().join("b.conf"), tar_header()).expect("write");
    let outcome = fix(transform, text, Some(context.path()), true);
    assert_eq!(
        outcome.fixed.as_deref(),
        Some("FROM alpine\nADD *.conf /etc/\nADD bundle /opt/\nCOPY *.bin /opt/\n")
    );
}

fn tar_header() -> Vec<u8> {
    let mut header = vec![0u8; 512];
    header[257..262].copy_from_slice(b"ustar");
    header
}
