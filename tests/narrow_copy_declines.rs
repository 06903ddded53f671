//! narrow-copy over the real build contexts of `$DFMIGRATE_CORPUS/contexts`: every finding
//! without a fix is told by a typed `Decline` whose message ends the finding's, a finding with a
//! fix has none, and the narrowed copies and the declines by kind are printed per ecosystem (the
//! figures of BENCHMARKS.md). The contexts hold empty placeholders for sources, so a stage whose
//! sources must be read declines (`empty-source`) rather than narrows on guesswork.

mod common;

use dfmigrate::model::Dockerfile;
use dfmigrate::syntax::parse;
use dfmigrate::transforms::narrow_copy::{self, NarrowCopy};
use dfmigrate::transforms::{Context, Transform};
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[test]
fn narrow_copy_on_real_build_contexts() {
    let test = "narrow_copy_on_real_build_contexts";
    let Some(rows) = common::context_rows(test) else {
        return;
    };
    let mut kinds: BTreeMap<(String, &'static str), usize> = BTreeMap::new();
    let mut narrowed: BTreeMap<String, usize> = BTreeMap::new();
    for (dockerfile, folder) in rows {
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
        NarrowCopy.run(&file, &context, &mut findings);
        let outcomes = narrow_copy::outcomes(&file, &context);
        let name = dockerfile.display();
        assert_eq!(findings.len(), outcomes.len(), "{name}: {findings:?}");
        for (finding, stage) in findings.iter().zip(&outcomes) {
            match &stage.outcome {
                Ok(_) => {
                    assert!(finding.fix.is_some(), "{name}: {}", finding.message);
                    *narrowed.entry(stage.ecosystem.clone()).or_default() += 1;
                }
                Err(decline) => {
                    assert!(
                        finding.fix.is_none()
                            && finding
                                .message
                                .ends_with(&format!("not narrowed: {decline}")),
                        "{name}: the message is not the decline's: {}",
                        finding.message
                    );
                    *kinds
                        .entry((stage.ecosystem.clone(), decline.kind()))
                        .or_default() += 1;
                }
            }
        }
    }
    let declined: usize = kinds.values().sum();
    let total: usize = narrowed.values().sum();
    eprintln!("narrow-copy on real build contexts: {total} narrowed, {declined} declined");
    for (ecosystem, count) in &narrowed {
        eprintln!("  {count:4} {ecosystem}: narrowed");
    }
    for ((ecosystem, kind), count) in &kinds {
        eprintln!("  {count:4} {ecosystem}: {kind}");
    }
    for ecosystem in ["go", "cargo"] {
        assert!(
            kinds.keys().any(|(e, _)| e == ecosystem),
            "no {ecosystem} build stage found in the contexts"
        );
    }
}
