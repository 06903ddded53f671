//! The parser against BuildKit's own reading of real files (`oracle/*.jsonl` in the corpus).

mod common;

use dfmigrate::syntax::parse;
use std::collections::BTreeMap;
use std::path::Path;

/// Our instructions in the oracle's JSON shape.
fn ours(text: &str) -> Vec<serde_json::Value> {
    let parse = parse(text);
    parse
        .buildkit_instructions()
        .into_iter()
        .map(|instruction| as_c_strings(serde_json::to_value(instruction).expect("serialisable")))
        .collect()
}

/// The oracle comes through a Python binding that hands strings over as C strings, so a string
/// holding NUL (`"\u0000"` in an exec-form list) ends there. Ours are cut the same way to compare.
fn as_c_strings(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(s.split('\0').next().unwrap_or_default().to_owned()),
        Value::Array(items) => Value::Array(items.into_iter().map(as_c_strings).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, as_c_strings(v))).collect())
        }
        other => other,
    }
}

/// The oracle's instructions; `file_descriptor` is compared as part of each heredoc.
fn first_difference(
    expected: &[serde_json::Value],
    actual: &[serde_json::Value],
) -> Option<String> {
    for (i, (e, a)) in expected.iter().zip(actual).enumerate() {
        if e != a {
            return Some(format!(
                "instruction {i}:\n  buildkit: {e}\n  ours:     {a}"
            ));
        }
    }
    (expected.len() != actual.len())
        .then(|| format!("{} instructions, ours {}", expected.len(), actual.len()))
}

fn read(path: &Path) -> Option<String> {
    String::from_utf8(std::fs::read(path).ok()?).ok()
}

#[test]
fn buildkit_parser_suite_matches_exactly() {
    let Some(corpus) = common::corpus("buildkit_parser_suite_matches_exactly") else {
        return;
    };
    let mut failures = Vec::new();
    for row in common::oracle(&corpus, "buildkit-parser") {
        let text = read(&corpus.join("buildkit-parser").join(&row.file)).expect("readable fixture");
        let parse = parse(&text);
        assert_eq!(parse.tree.print(), text, "{} round-trips", row.file);
        if !row.ok {
            if parse.errors.is_empty() {
                failures.push(format!(
                    "{}: BuildKit rejects it ({:?}) but we report no error",
                    row.file, row.error
                ));
            }
            continue;
        }
        if let Some(diff) = first_difference(&row.instructions, &ours(&text)) {
            failures.push(format!("{}: {diff}", row.file));
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn buildkit_negative_cases_yield_errors() {
    let Some(corpus) = common::corpus("buildkit_negative_cases_yield_errors") else {
        return;
    };
    let rows = common::oracle(&corpus, "buildkit-parser-negative");
    assert!(!rows.is_empty());
    for row in rows {
        let text = read(&corpus.join("buildkit-parser-negative").join(&row.file))
            .expect("readable fixture");
        let parse = parse(&text);
        assert_eq!(parse.tree.print(), text);
        assert!(
            !parse.errors.is_empty(),
            "{}: BuildKit says {:?}, we found no error",
            row.file,
            row.error
        );
    }
}

/// Files whose instructions are allowed to differ from BuildKit's, each with its reason.
fn known_differences() -> BTreeMap<String, String> {
    let list = include_str!("buildkit-differences.tsv");
    list.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| line.split_once('\t'))
        .map(|(file, reason)| (file.to_owned(), reason.to_owned()))
        .collect()
}

#[test]
fn public_corpus_round_trips_and_matches_buildkit() {
    let Some(corpus) = common::corpus("public_corpus_round_trips_and_matches_buildkit") else {
        return;
    };
    let known = known_differences();
    let rows = common::oracle(&corpus, "public");
    let (mut accepted, mut matching) = (0usize, 0usize);
    let mut unexpected = Vec::new();
    let mut stale = Vec::new();
    for row in &rows {
        let path = corpus.join("public").join(&row.file);
        let Some(text) = read(&path) else {
            assert!(!row.ok, "{} is not UTF-8 but BuildKit read it", row.file);
            continue;
        };
        let parse = parse(&text);
        assert_eq!(
            parse.tree.print(),
            text,
            "{} must round-trip byte for byte",
            row.file
        );
        if !row.ok {
            continue;
        }
        accepted += 1;
        match (
            first_difference(&row.instructions, &ours(&text)),
            known.get(&row.file),
        ) {
            (None, None) => matching += 1,
            (None, Some(_)) => {
                matching += 1;
                stale.push(row.file.clone());
            }
            (Some(_), Some(_)) => {}
            (Some(diff), None) => unexpected.push(format!("{}: {diff}", row.file)),
        }
    }
    let share = matching as f64 / accepted as f64;
    eprintln!(
        "{matching} of {accepted} BuildKit-accepted files match field by field ({:.2}%)",
        share * 100.0
    );
    assert!(
        unexpected.is_empty(),
        "unlisted differences:\n{}",
        unexpected.join("\n")
    );
    assert!(
        stale.is_empty(),
        "listed as differing but now match (remove them from tests/buildkit-differences.tsv):\n{}",
        stale.join("\n")
    );
    let unknown: Vec<_> = known
        .keys()
        .filter(|file| !rows.iter().any(|row| &row.file == *file))
        .collect();
    assert!(
        unknown.is_empty(),
        "tests/buildkit-differences.tsv lists files not in the corpus: {unknown:?}"
    );
    assert!(share >= 0.995, "only {:.2}% match", share * 100.0);
}
