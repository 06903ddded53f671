//! split-stages' reasons to decline, grouped over the real build contexts of
//! `$DFMIGRATE_CORPUS/contexts`: every finding without a fix is told by a typed `Decline` whose
//! message is the finding's, a finding with a fix has none, and the number of findings of each
//! kind is printed.

mod common;

use dfmigrate::model::Dockerfile;
use dfmigrate::syntax::parse;
use dfmigrate::transforms::split_stages::{self, SplitStages};
use dfmigrate::transforms::{Context, Transform};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The Dockerfile and build context folder of each row of `contexts/CONTEXTS.tsv`.
fn rows(corpus: &Path) -> Vec<(PathBuf, PathBuf)> {
    let index =
        std::fs::read_to_string(corpus.join("contexts/CONTEXTS.tsv")).expect("CONTEXTS.tsv");
    index
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let context = corpus.join("contexts").join(fields.first()?);
            let dockerfile = context.join(fields.get(3)?);
            Some((dockerfile, context))
        })
        .collect()
}

#[test]
fn every_decline_on_real_build_contexts_has_a_kind() {
    let test = "every_decline_on_real_build_contexts_has_a_kind";
    let Some(corpus) = common::corpus(test) else {
        return;
    };
    if !corpus.join("contexts/CONTEXTS.tsv").is_file() {
        common::skipped(test, "no contexts/ in the corpus");
        return;
    }
    let mut kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut fixed = 0;
    for (dockerfile, folder) in rows(&corpus) {
        let Ok(text) = std::fs::read_to_string(&dockerfile) else {
            continue;
        };
        let parsed = parse(&text);
        if parsed.has_errors() {
            continue;
        }
        let file = Dockerfile::new(&parsed);
        let opened = OnceLock::new();
        let context = Context {
            path: Some(&dockerfile),
            build_context: Some(&folder),
            opened_context: Some(&opened),
            ..Context::default()
        };
        let mut findings = Vec::new();
        SplitStages.run(&file, &context, &mut findings);
        let decline = split_stages::decline(&file, &context);
        let name = dockerfile.display();
        assert!(findings.len() <= 1, "{name}: {findings:?}");
        match (findings.first(), decline) {
            (None, None) => {}
            (Some(finding), None) if finding.fix.is_some() => fixed += 1,
            (Some(finding), Some(decline)) if finding.fix.is_none() => {
                let base = &file.final_stage().expect("a final stage").base.raw;
                assert_eq!(
                    finding.message,
                    decline.finding_message(base),
                    "{name}: the message is not the decline's"
                );
                *kinds.entry(decline.kind()).or_default() += 1;
            }
            (finding, decline) => {
                panic!("{name}: the finding {finding:?} does not match the decline {decline:?}")
            }
        }
    }
    let declined: usize = kinds.values().sum();
    eprintln!("split-stages on real build contexts: {fixed} split, {declined} declined");
    for (kind, count) in &kinds {
        eprintln!("  {count:4} {kind}");
    }
    assert!(fixed > 0, "no build context was split");
    // The reasons are told apart: no single kind stands for most declines.
    let largest = kinds.values().max().copied().unwrap_or_default();
    assert!(
        kinds.len() > 1 && largest * 2 < declined,
        "the declines fall into too few kinds: {kinds:?}"
    );
}
