//! Every transform, unsafe fixes included, over the public corpus: no panic, every output
//! parses without errors, and a second run on the output changes nothing.

mod common;

use dfmigrate::engine::{self, Job, TransformOptions};
use dfmigrate::transforms;
use std::path::Path;

fn run(text: &str, path: &Path) -> engine::Outcome {
    let options = TransformOptions::new();
    engine::run(&Job {
        text,
        transforms: transforms::all(),
        path: Some(path),
        build_context: path.parent(),
        other_dockerfiles: None,
        change_files: true,
        options: &options,
        apply_unsafe: true,
        knowledge: None,
    })
}

#[test]
fn corpus_fixes_are_valid_and_idempotent() {
    let Some(corpus) = common::corpus("corpus_fixes_are_valid_and_idempotent") else {
        return;
    };
    let mut files = 0;
    let mut changed = 0;
    let mut failures = Vec::new();
    for path in common::files_under(&corpus.join("public")) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        files += 1;
        let first = run(&text, &path);
        let Some(fixed) = first.fixed else {
            continue;
        };
        changed += 1;
        let reparsed = dfmigrate::syntax::parse(&fixed);
        if reparsed.has_errors() {
            failures.push(format!(
                "{}: output has parse errors {:?}",
                path.display(),
                reparsed.errors
            ));
        }
        let second = run(&fixed, &path);
        if second.fixed.is_some() {
            failures.push(format!("{}: second run changed the output", path.display()));
        }
    }
    eprintln!("corpus: {files} files, {changed} changed by fixes");
    assert!(files > 1000, "only {files} corpus files read");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
