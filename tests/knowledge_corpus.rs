//! Coverage report over the corpus's real build contexts: how many contexts each profile
//! detects (manifests present and not ignored), and how many of those have hooks. Printed for
//! the record (`cargo test --test knowledge_corpus -- --nocapture`); asserted only for sanity.

mod common;

use dfmigrate::context::BuildContext;
use dfmigrate::knowledge::KnowledgeBase;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each context folder with its first Dockerfile, from `CONTEXTS.tsv`.
fn contexts(index: &Path) -> Vec<(PathBuf, PathBuf)> {
    let text = std::fs::read_to_string(index).expect("CONTEXTS.tsv");
    let root = index.parent().expect("contexts folder");
    let mut seen = Vec::new();
    for line in text.lines().skip(1) {
        let mut fields = line.split('\t');
        let (Some(dir), Some(dockerfile)) = (fields.next(), fields.nth(2)) else {
            continue;
        };
        let dir = root.join(dir);
        if !seen.iter().any(|(known, _)| known == &dir) {
            let dockerfile = dir.join(dockerfile);
            seen.push((dir, dockerfile));
        }
    }
    seen
}

#[test]
fn profile_coverage_report() {
    let Some(corpus) = common::corpus("profile_coverage_report") else {
        return;
    };
    let index = corpus.join("contexts/CONTEXTS.tsv");
    if !index.is_file() {
        common::skipped(
            "profile_coverage_report",
            &format!("no {}", index.display()),
        );
        return;
    }
    let knowledge = KnowledgeBase::builtin();
    let mut detected: BTreeMap<&str, (usize, usize)> = knowledge
        .profiles()
        .iter()
        .map(|p| (p.id.as_str(), (0, 0)))
        .collect();
    let (mut total, mut with_any, mut unreadable) = (0, 0, 0);
    for (dir, dockerfile) in contexts(&index) {
        total += 1;
        let Ok(context) = BuildContext::open(&dir, Some(&dockerfile)) else {
            unreadable += 1;
            continue;
        };
        let profiles = knowledge.detect(&context);
        with_any += usize::from(!profiles.is_empty());
        for profile in profiles {
            let entry = detected.entry(profile.id.as_str()).or_default();
            entry.0 += 1;
            entry.1 += usize::from(!profile.hooks_present(&context).is_empty());
        }
    }
    println!("contexts: {total}, detected by some profile: {with_any}, unreadable: {unreadable}");
    println!("{:<14} {:>8} {:>10}", "profile", "contexts", "with hooks");
    for (id, (count, hooked)) in &detected {
        println!("{id:<14} {count:>8} {hooked:>10}");
    }
    assert!(total > 100, "only {total} contexts");
    assert_eq!(unreadable, 0);
    assert!(
        with_any * 2 > total,
        "profiles detect only {with_any} of {total} contexts"
    );
    for id in [
        "npm", "pip", "go", "maven", "gradle", "cargo", "composer", "dotnet",
    ] {
        assert!(detected[id].0 > 0, "{id} detects nothing");
    }
}
