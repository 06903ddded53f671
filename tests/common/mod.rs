//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The corpus folder from `$DFMIGRATE_CORPUS` (default `../shared/corpus`), or `None` with a
/// printed reason when it is absent, so a user's clone still passes.
pub fn corpus(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("DFMIGRATE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    if dir.join("oracle").is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED {test}: no corpus at {} (set DFMIGRATE_CORPUS)",
            dir.display()
        );
        if std::env::var_os("DFMIGRATE_REQUIRE_CORPUS").is_some() {
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
