//! cache-mounts over the real build contexts of `$DFMIGRATE_CORPUS/contexts`: every finding
//! without a fix is told by a typed `Decline` whose message it carries, and the figures of
//! `BENCHMARKS.md` ("Issue 15: cache mounts") are printed: files and stage families that get
//! mounts per package manager, declines by kind, and what becomes of the files that copy the
//! whole build context before an install (deps-first, only cache mounts, or neither and why).

mod common;

use dfmigrate::model::Dockerfile;
use dfmigrate::syntax::parse;
use dfmigrate::transforms::cache_mounts::{self, Outcome};
use dfmigrate::transforms::{self, Applicability, Context, Finding};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

/// Counts by name, printed largest first.
#[derive(Default)]
struct Tally(BTreeMap<String, usize>);

impl Tally {
    fn add(&mut self, name: impl Into<String>) {
        *self.0.entry(name.into()).or_default() += 1;
    }

    fn total(&self) -> usize {
        self.0.values().sum()
    }

    fn print(&self, title: &str) {
        eprintln!("{title}: {}", self.total());
        let mut rows: Vec<(&String, &usize)> = self.0.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (name, count) in rows {
            eprintln!("  {count:4} {name}");
        }
    }
}

/// The outcomes, and deps-first's findings, of one file.
fn run(dockerfile: &Path, folder: &Path) -> Option<(Vec<Outcome>, Vec<Finding>)> {
    let text = std::fs::read_to_string(dockerfile).ok()?;
    let parsed = parse(&text);
    if parsed.has_errors() {
        return None;
    }
    let file = Dockerfile::new(&parsed);
    let opened = OnceLock::new();
    let context = Context {
        path: Some(dockerfile),
        build_context: Some(folder),
        opened_context: Some(&opened),
        ..Context::default()
    };
    let outcomes = cache_mounts::outcomes(&file, &context);
    let mut deps_first = Vec::new();
    let transform = transforms::by_id("deps-first").expect("deps-first is registered");
    transform.run(&file, &context, &mut deps_first);
    Some((outcomes, deps_first))
}

#[test]
fn cache_mounts_on_real_build_contexts() {
    let test = "cache_mounts_on_real_build_contexts";
    let Some(rows) = common::context_rows(test) else {
        return;
    };
    let mut files_mounted = 0;
    let mut families_mounted = Tally::default();
    let mut safe = 0;
    let mut declines = Tally::default();
    let mut declines_by_manager = Tally::default();
    let mut whole_context = Tally::default();
    for (dockerfile, folder) in rows {
        let Some((outcomes, deps_first)) = run(&dockerfile, &folder) else {
            continue;
        };
        let name = dockerfile.display();
        let mut mounted = false;
        for outcome in &outcomes {
            match (&outcome.decline, &outcome.finding.fix) {
                (None, Some(fix)) => {
                    mounted = true;
                    families_mounted.add(outcome.cache.clone());
                    safe += usize::from(fix.applicability == Applicability::Safe);
                }
                (Some(decline), None) => {
                    assert!(
                        outcome.finding.message.contains(&decline.to_string()),
                        "{name}: the message is not the decline's: {}",
                        outcome.finding.message
                    );
                    declines.add(decline.kind());
                    declines_by_manager.add(format!("{} {}", outcome.cache, decline.kind()));
                }
                (decline, fix) => panic!("{name}: decline {decline:?} with fix {fix:?}"),
            }
        }
        files_mounted += usize::from(mounted);
        // deps-first reports every whole-context COPY before an install it recognises.
        let Some(finding) = deps_first.first() else {
            continue;
        };
        let unmounted = || {
            let kinds: Vec<&str> = outcomes
                .iter()
                .filter_map(|o| o.decline.as_ref().map(|d| d.kind()))
                .collect();
            kinds
                .first()
                .map_or("no cache known", |kind| kind)
                .to_owned()
        };
        whole_context.add(match (finding.fix.is_some(), mounted) {
            (true, true) => "deps-first and cache mounts".to_owned(),
            (true, false) => format!("deps-first only (no mount: {})", unmounted()),
            (false, true) => "cache mounts only".to_owned(),
            (false, false) => format!("neither: {}", unmounted()),
        });
    }
    eprintln!(
        "cache-mounts on real build contexts: {files_mounted} files get mounts ({safe} safe fixes)"
    );
    families_mounted.print("stage families mounted, by package manager");
    declines.print("declines, by reason");
    declines_by_manager.print("declines, by package manager and reason");
    whole_context.print("files copying the whole context before an install");
    assert!(files_mounted > 0, "no build context got a cache mount");
    assert!(
        declines.0.len() > 1,
        "the declines fall into one kind: {:?}",
        declines.0
    );
}
