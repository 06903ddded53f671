//! split-stages' reasons to decline, grouped over the real build contexts of
//! `$DFMIGRATE_CORPUS/contexts`: every finding without a fix is told by a typed `Decline` whose
//! message is the finding's, a finding with a fix has none, and the number of findings of each
//! kind is printed; so are the splits that install into a new virtualenv, and why the others
//! keep the install folder (each said in the message).

mod common;

use dfmigrate::model::Dockerfile;
use dfmigrate::syntax::parse;
use dfmigrate::transforms::split_stages::{self, SplitStages};
use dfmigrate::transforms::{Context, Transform};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

#[test]
fn every_decline_on_real_build_contexts_has_a_kind() {
    let test = "every_decline_on_real_build_contexts_has_a_kind";
    let Some(rows) = common::context_rows(test) else {
        return;
    };
    let mut kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut fixed = 0;
    let mut virtualenvs = 0;
    let mut kept: BTreeMap<&'static str, usize> = BTreeMap::new();
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
        SplitStages.run(&file, &context, &mut findings);
        let decline = split_stages::decline(&file, &context);
        let name = dockerfile.display();
        assert!(findings.len() <= 1, "{name}: {findings:?}");
        match (findings.first(), decline) {
            (None, None) => {}
            (Some(finding), None) if finding.fix.is_some() => {
                fixed += 1;
                match split_stages::virtualenv(&file, &context) {
                    Some(Ok(())) => {
                        assert!(
                            finding.message.contains("into a virtualenv"),
                            "{name}: the message does not say it installs into a virtualenv"
                        );
                        virtualenvs += 1;
                    }
                    Some(Err(reason)) => {
                        assert!(
                            finding.message.contains(&reason.to_string()),
                            "{name}: the message does not say why there is no virtualenv"
                        );
                        *kept.entry(reason.kind()).or_default() += 1;
                    }
                    None => {}
                }
            }
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
    let without: usize = kept.values().sum();
    eprintln!(
        "splits with a virtualenv layout: {virtualenvs} install into a new virtualenv, {without} keep the install folder"
    );
    for (kind, count) in &kept {
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

/// A shell-form command that needs a shell declines on a runtime without one when no runtime
/// with a shell is known for the build (here every golang build maps to distroless), and is
/// written in exec form when it needs no shell.
#[test]
fn a_command_needing_a_shell_declines_without_a_runtime_that_has_one() {
    use dfmigrate::engine::{run, Job, TransformOptions};
    use dfmigrate::knowledge::KnowledgeBase;
    let overrides: toml::Table = toml::from_str(
        "[[images]]\nimage = \"golang\"\ntag = '.*'\nruntime = \"gcr.io/distroless/base-debian12\"\n",
    )
    .expect("TOML");
    let knowledge = KnowledgeBase::with_overrides(&overrides).expect("valid overrides");
    let options = TransformOptions::new();
    let selected: [&'static dyn Transform; 1] = [&SplitStages];
    let context = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/transforms/split-stages/go-static");
    let split = |command: &str| {
        let text = format!(
            "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/server .\n{command}\n"
        );
        let outcome = run(&Job {
            text: &text,
            transforms: &selected,
            path: None,
            build_context: Some(&context),
            other_dockerfiles: None,
            change_files: true,
            options: &options,
            apply_unsafe: true,
            knowledge: Some(&knowledge),
        });
        let finding = outcome.findings.first().expect("a finding");
        (finding.finding.message.clone(), outcome.fixed)
    };
    let (message, fixed) = split("CMD /out/server --port ${PORT:-8080}");
    assert!(fixed.is_none(), "{message}");
    assert!(
        message.ends_with("gcr.io/distroless/base-debian12 has no shell for the shell-form CMD/ENTRYPOINT/HEALTHCHECK or the command that starts a shell"),
        "{message}"
    );
    let (message, fixed) = split("CMD /out/server --port 8080");
    let fixed = fixed.unwrap_or_else(|| panic!("not split: {message}"));
    assert!(
        fixed.ends_with("FROM gcr.io/distroless/base-debian12\nWORKDIR /src\nCOPY --from=builder /out/server /out/server\nCMD [\"/out/server\", \"--port\", \"8080\"]\n"),
        "{fixed}"
    );
}
