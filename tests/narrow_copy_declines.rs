//! narrow-copy over the real build contexts of `$DFMIGRATE_CORPUS/contexts`: every finding
//! without a fix is told by a typed `Decline` whose message ends the finding's, a finding with a
//! fix has none, and the narrowed copies and the declines by kind are printed (the figures of
//! BENCHMARKS.md). The contexts hold empty placeholders for sources, so a stage whose packages
//! must be read declines (`empty-source`) rather than narrows on guesswork.

mod common;

use dfmigrate::model::Dockerfile;
use dfmigrate::syntax::parse;
use dfmigrate::transforms::narrow_copy::{self, Decline, NarrowCopy};
use dfmigrate::transforms::{Context, Transform};
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[test]
fn narrow_copy_on_real_build_contexts() {
    let test = "narrow_copy_on_real_build_contexts";
    let Some(rows) = common::context_rows(test) else {
        return;
    };
    let mut kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut narrowed = 0;
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
        let declines: Vec<Decline> = narrow_copy::declines(&file, &context);
        let name = dockerfile.display();
        let unfixed: Vec<_> = findings.iter().filter(|f| f.fix.is_none()).collect();
        assert_eq!(unfixed.len(), declines.len(), "{name}: {findings:?}");
        for (finding, decline) in unfixed.iter().zip(&declines) {
            assert!(
                finding
                    .message
                    .ends_with(&format!("not narrowed: {decline}")),
                "{name}: the message is not the decline's: {}",
                finding.message
            );
            *kinds.entry(decline.kind()).or_default() += 1;
        }
        narrowed += findings.len() - unfixed.len();
    }
    let declined: usize = kinds.values().sum();
    eprintln!("narrow-copy on real build contexts: {narrowed} narrowed, {declined} declined");
    for (kind, count) in &kinds {
        eprintln!("  {count:4} {kind}");
    }
    assert!(declined > 0, "no Go build stage found in the contexts");
}
