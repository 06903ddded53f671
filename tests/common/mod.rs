//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;

/// Says on the terminal that a test did not run its checks, even though it passes.
///
/// The test harness captures the output of `print!`/`eprint!` (and shows it only for failing
/// tests or with `--nocapture`), but not what is written to the `std::io::stderr()` handle
/// itself, so this line shows in a plain `cargo test` run, next to the test's `ok`.
pub fn skipped(test: &str, reason: &str) {
    let line = format!("SKIPPED {test}: {reason}\n");
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(line.as_bytes());
    let _ = stderr.flush();
}

/// The corpus folder from `$DFMIGRATE_CORPUS` (default `../shared/corpus`), or `None` when it
/// is absent, so a user's clone still passes; the skip is reported with [`skipped`]. With
/// `DFMIGRATE_REQUIRE_CORPUS` set (as CI does), a missing corpus fails the test instead.
pub fn corpus(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("DFMIGRATE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    if dir.join("oracle").is_dir() {
        Some(dir)
    } else {
        if std::env::var_os("DFMIGRATE_REQUIRE_CORPUS").is_none() {
            skipped(
                test,
                &format!("no corpus at {} (set DFMIGRATE_CORPUS)", dir.display()),
            );
        } else {
            panic!(
                "DFMIGRATE_REQUIRE_CORPUS is set but the corpus is missing at {}",
                dir.display()
            );
        }
        None
    }
}

/// One row of an `oracle/*.jsonl` file.
#[derive(serde::Deserialize)]
pub struct OracleRow {
    pub file: String,
    pub ok: bool,
    pub error: Option<String>,
    pub instructions: Vec<serde_json::Value>,
}

pub fn oracle(corpus: &std::path::Path, set: &str) -> Vec<OracleRow> {
    let text = std::fs::read_to_string(corpus.join("oracle").join(format!("{set}.jsonl")))
        .expect("oracle file");
    text.lines()
        .map(|line| serde_json::from_str(line).expect("oracle row"))
        .collect()
}

/// Every file under a folder, sorted.
pub fn files_under(folder: &std::path::Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![folder.to_owned()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).expect("corpus folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The Dockerfile and build context folder of each row of `contexts/CONTEXTS.tsv`, or `None`
/// (with the skip said) when the corpus or its `contexts/` is missing.
pub fn context_rows(test: &str) -> Option<Vec<(PathBuf, PathBuf)>> {
    let corpus = corpus(test)?;
    let Ok(index) = std::fs::read_to_string(corpus.join("contexts/CONTEXTS.tsv")) else {
        skipped(test, "no contexts/ in the corpus");
        return None;
    };
    let rows = index
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let context = corpus.join("contexts").join(fields.first()?);
            let dockerfile = context.join(fields.get(3)?);
            Some((dockerfile, context))
        })
        .collect();
    Some(rows)
}
