//! Every transform on its own fixtures (`tests/fixtures/transforms/ID/*.Dockerfile`): a snapshot
//! of the input, the findings and the diff (unsafe fixes applied), plus the invariants: the output
//! parses without errors, a second run changes nothing, CRLF files stay CRLF. The examples in each
//! transform's documentation are executed too.

use dfmigrate::emit::{unified_diff, Paint};
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
    run(&Job {
        text,
        transforms: &selected,
        path: None,
        build_context: context,
        options: &options,
        apply_unsafe,
        knowledge: None,
    })
}

fn report(text: &str, outcome: &Outcome) -> String {
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
    out
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
            let outcome = fix(*transform, &text, case.context.as_deref(), true);
            check_invariants(&name, *transform, &text, &outcome, case.context.as_deref());
            insta::with_settings!({snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"), prepend_module_to_snapshot => false}, {
                insta::assert_snapshot!(name, report(&text, &outcome));
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
        if let Some(expected_unsafe) = expected_unsafe {
            let dir = context.as_ref().map(|dir| dir.path());
            let outcome = fix(*transform, &input, dir, true);
            assert_eq!(
                outcome.fixed.as_deref().unwrap_or(&input),
                expected_unsafe,
                "{}: documented example with --unsafe",
                transform.id()
            );
        }
    }
}

/// `<!-- context: FILE... -->` in a documentation page: a build context holding those files (JSON
/// files hold `{}`, Go files `package main`, `go.mod` a module line).
fn example_context(documentation: &str) -> Option<tempfile::TempDir> {
    let list = documentation
        .split("<!-- context:")
        .nth(1)?
        .split("-->")
        .next()?;
    let dir = tempfile::tempdir().expect("temp dir");
    for name in list.split_whitespace() {
        let path = dir.path().join(name);
        if name.ends_with('/') {
            std::fs::create_dir_all(&path).expect("create example folder");
            continue;
        }
        let content = match name {
            "go.mod" => "module example.com/app\n",
            name if name.ends_with(".json") => "{}\n",
            name if name.ends_with(".go") => "package main\n",
            _ => "",
        };
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
