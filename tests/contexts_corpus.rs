//! Every transform over the real build contexts of `$DFMIGRATE_CORPUS/contexts` (application
//! Dockerfiles with their manifests, lock files and `.dockerignore`): outputs reparse cleanly, a
//! second run (with the ignore files the first wrote, in a copy of the context) changes nothing,
//! and the number of files each transform changes is printed, with how many contexts get an
//! ignore file and hold secrets (recorded in BENCHMARKS.md).

mod common;

use dfmigrate::engine::{run, Job, Outcome, TransformOptions};
use dfmigrate::knowledge::secrets::{FileSample, Secrets};
use dfmigrate::knowledge::KnowledgeBase;
use dfmigrate::model::Dockerfile;
use dfmigrate::syntax::{parse, InstructionKind};
use dfmigrate::transforms::{self, Transform};
use std::path::{Path, PathBuf};

struct Row {
    context: PathBuf,
    dockerfile: PathBuf,
}

fn rows(corpus: &Path) -> Vec<Row> {
    let index =
        std::fs::read_to_string(corpus.join("contexts/CONTEXTS.tsv")).expect("CONTEXTS.tsv");
    index
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let context = corpus.join("contexts").join(fields.first()?);
            let dockerfile = context.join(fields.get(3)?);
            Some(Row {
                context,
                dockerfile,
            })
        })
        .collect()
}

fn fix(selected: &[&'static dyn Transform], text: &str, row: &Row) -> Outcome {
    let options = TransformOptions::new();
    run(&Job {
        text,
        transforms: selected,
        path: Some(&row.dockerfile),
        build_context: Some(&row.context),
        other_dockerfiles: None,
        change_files: true,
        options: &options,
        apply_unsafe: true,
        knowledge: None,
    })
}

#[test]
fn transforms_on_real_build_contexts() {
    let Some(corpus) = common::corpus("transforms_on_real_build_contexts") else {
        return;
    };
    if !corpus.join("contexts/CONTEXTS.tsv").is_file() {
        common::skipped(
            "transforms_on_real_build_contexts",
            "no contexts/ in the corpus",
        );
        return;
    }
    let all = transforms::all();
    let mut changed_by = vec![0usize; all.len()];
    let (mut files, mut changed) = (0, 0);
    for row in rows(&corpus) {
        let Ok(text) = std::fs::read_to_string(&row.dockerfile) else {
            continue;
        };
        if parse(&text).has_errors() {
            continue;
        }
        files += 1;
        let outcome = fix(all, &text, &row);
        let name = row.dockerfile.display();
        assert!(
            outcome.errors.is_empty(),
            "{name}: {:?}",
            outcome
                .errors
                .iter()
                .map(|e| &e.message)
                .collect::<Vec<_>>()
        );
        if outcome.changes() {
            changed += 1;
            let fixed = outcome.fixed.as_deref().unwrap_or(&text);
            assert!(
                !parse(fixed).has_errors(),
                "{name}: output does not parse:\n{fixed}"
            );
            let again = second_run(all, &outcome, fixed, &row);
            assert_eq!(again.fixed, None, "{name}: a second run changes the output");
            assert_eq!(
                again.files,
                [],
                "{name}: a second run changes the ignore file again"
            );
        }
        for (index, transform) in all.iter().enumerate() {
            if fix(&[*transform], &text, &row).changes() {
                changed_by[index] += 1;
            }
        }
    }
    eprintln!(
        "{changed} of {files} Dockerfiles with build contexts change (all transforms, --unsafe)"
    );
    for (transform, count) in all.iter().zip(&changed_by) {
        eprintln!("  {:<16} {count}", transform.id());
    }
    assert!(files > 500, "only {files} Dockerfiles read");
    let deps_first = all
        .iter()
        .position(|t| t.id() == "deps-first")
        .expect("registered");
    assert!(
        changed_by[deps_first] > 0,
        "deps-first changes nothing on real projects"
    );
}

/// The transforms again over the first run's output, in a copy of the build context holding the
/// ignore files the first run created or rewrote (the corpus is never written).
fn second_run(
    selected: &[&'static dyn Transform],
    first: &Outcome,
    fixed: &str,
    row: &Row,
) -> Outcome {
    if first.files.is_empty() {
        return fix(selected, fixed, row);
    }
    let scratch = tempfile::tempdir().expect("temp dir");
    copy_tree(&row.context, scratch.path());
    for file in &first.files {
        let relative = file
            .path
            .strip_prefix(&row.context)
            .expect("inside the context");
        std::fs::write(scratch.path().join(relative), &file.content).expect("write");
    }
    let relative = row.dockerfile.strip_prefix(&row.context).expect("inside");
    let copy = Row {
        context: scratch.path().to_owned(),
        dockerfile: scratch.path().join(relative),
    };
    fix(selected, fixed, &copy)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        let kind = entry.file_type().expect("type");
        if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// How many contexts get an ignore file from `dockerignore` and `secrets-in-context`, and how
/// many hold secrets (figures recorded in BENCHMARKS.md).
#[test]
fn ignore_files_and_secrets_on_real_build_contexts() {
    let Some(corpus) = common::corpus("ignore_files_and_secrets_on_real_build_contexts") else {
        return;
    };
    if !corpus.join("contexts/CONTEXTS.tsv").is_file() {
        common::skipped(
            "ignore_files_and_secrets_on_real_build_contexts",
            "no contexts/ in the corpus",
        );
        return;
    }
    let by_id = |id| transforms::by_id(id).expect("registered");
    let (dockerignore, in_context, in_args) = (
        by_id("dockerignore"),
        by_id("secrets-in-context"),
        by_id("secrets-in-args"),
    );
    let mut contexts = std::collections::BTreeSet::new();
    let mut ignored = std::collections::BTreeMap::new();
    let (mut created, mut appended, mut safe_only) = (0, 0, 0);
    let (mut secret_findings, mut secret_fixes, mut arg_findings, mut arg_fixes) = (0, 0, 0, 0);
    let mut named_secrets = std::collections::BTreeSet::new();
    let (mut filled_findings, mut filled_fixes) = (0, 0);
    let mut dockerfiles = 0;
    let (mut repository_roots, mut checkout_fires) = (0, 0);
    for row in rows(&corpus) {
        let Ok(text) = std::fs::read_to_string(&row.dockerfile) else {
            continue;
        };
        if parse(&text).has_errors() {
            continue;
        }
        dockerfiles += 1;
        if contexts.insert(row.context.clone()) && holds_secret_names(&row.context) {
            named_secrets.insert(row.context.clone());
        }
        if named_secrets.contains(&row.context) {
            let filled = fires_with_secrets_filled(in_context, &text, &row);
            filled_findings += usize::from(filled.is_some());
            filled_fixes += usize::from(filled == Some(true));
        }
        if row.context.parent() == Some(corpus.join("contexts").as_path()) {
            repository_roots += 1;
            checkout_fires += usize::from(fires_in_a_checkout(dockerignore, &text, &row));
        }
        let outcome = fix(&[dockerignore], &text, &row);
        for file in &outcome.files {
            ignored.insert(file.path.clone(), file.original.is_none());
        }
        if !outcome.files.is_empty() {
            if outcome.files.iter().all(|file| file.original.is_none()) {
                created += 1;
            } else {
                appended += 1;
            }
            let safe = outcome
                .findings
                .iter()
                .all(|f| f.finding.applicability().as_str() == "safe");
            safe_only += usize::from(safe);
        }
        let secrets = fix(&[in_context], &text, &row);
        secret_findings += secrets.findings.len();
        secret_fixes += usize::from(!secrets.files.is_empty());
        let args = fix(&[in_args], &text, &row);
        arg_findings += args.findings.len();
        arg_fixes += usize::from(args.fixed.is_some());
    }
    eprintln!(
        "dockerignore over {dockerfiles} Dockerfiles of {} contexts: {} ignore files ({} new); {created} Dockerfiles create one, {appended} add to one, {safe_only} of them with a safe fix",
        contexts.len(),
        ignored.len(),
        ignored.values().filter(|new| **new).count()
    );
    eprintln!(
        "dockerignore in a checkout: {checkout_fires} of the {repository_roots} Dockerfiles built from their repository's root, with its .git"
    );
    eprintln!(
        "secrets-in-context: {secret_findings} findings, {secret_fixes} with a fix; contexts holding files named like secrets (empty placeholders included): {}",
        named_secrets.len()
    );
    eprintln!(
        "secrets-in-context with those files filled (one line each, as in the repository): {filled_findings} Dockerfiles reported, {filled_fixes} with a fix"
    );
    eprintln!("secrets-in-args: {arg_findings} findings, {arg_fixes} with a fix");
    assert!(
        contexts.len() > 400,
        "only {} contexts read",
        contexts.len()
    );
}

/// Whether `dockerignore` changes the ignore file of a context at its repository's root once
/// the context holds `.git`, as a checkout does (the corpus skeletons hold tracked files only).
fn fires_in_a_checkout(dockerignore: &'static dyn Transform, text: &str, row: &Row) -> bool {
    let scratch = tempfile::tempdir().expect("temp dir");
    copy_tree(&row.context, scratch.path());
    std::fs::create_dir_all(scratch.path().join(".git")).expect("mkdir");
    std::fs::write(scratch.path().join(".git/HEAD"), "ref: refs/heads/main\n").expect("write");
    let relative = row.dockerfile.strip_prefix(&row.context).expect("inside");
    let copy = Row {
        context: scratch.path().to_owned(),
        dockerfile: scratch.path().join(relative),
    };
    !fix(&[dockerignore], text, &copy).files.is_empty()
}

/// What `secrets-in-context` says of a Dockerfile once the context's files named like secrets
/// hold a line, as they do in the repository (the corpus keeps them as empty placeholders):
/// `None` without a finding, else whether it has a fix.
fn fires_with_secrets_filled(
    transform: &'static dyn Transform,
    text: &str,
    row: &Row,
) -> Option<bool> {
    let scratch = tempfile::tempdir().expect("temp dir");
    copy_tree(&row.context, scratch.path());
    let secrets = Secrets::builtin();
    let mut pending = vec![scratch.path().to_owned()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder)
            .expect("read folder")
            .filter_map(Result::ok)
        {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let relative = path.strip_prefix(scratch.path()).expect("inside");
            let sample = FileSample {
                len: 1,
                start: None,
            };
            let named = secrets
                .classify(&relative.to_string_lossy(), sample)
                .is_some();
            let empty = entry.metadata().is_ok_and(|meta| meta.len() == 0);
            if named && empty {
                std::fs::write(&path, "PLACEHOLDER=1\n").expect("fill");
            }
        }
    }
    let relative = row.dockerfile.strip_prefix(&row.context).expect("inside");
    let copy = Row {
        context: scratch.path().to_owned(),
        dockerfile: scratch.path().join(relative),
    };
    let outcome = fix(&[transform], text, &copy);
    (!outcome.findings.is_empty()).then_some(!outcome.files.is_empty())
}

/// Whether a context holds a file whose name or path alone makes it a secret (the corpus keeps
/// such files as empty placeholders, so what they hold is not known).
fn holds_secret_names(context: &Path) -> bool {
    let secrets = Secrets::builtin();
    let mut pending = vec![context.to_owned()];
    while let Some(folder) = pending.pop() {
        let Ok(listing) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in listing.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let relative = path.strip_prefix(context).expect("inside");
            let sample = FileSample {
                len: 1,
                start: None,
            };
            if secrets
                .classify(&relative.to_string_lossy(), sample)
                .is_some()
            {
                return true;
            }
        }
    }
    false
}

/// How the final stage starts: its last ENTRYPOINT and CMD (the words it runs when it needs no
/// shell, which a runtime without one gets in exec form; else as written), its ports and user
/// as written, and each variable its `ENV`s set (the working directory is resolved, so it is
/// written differently).
fn launch(text: &str) -> Vec<String> {
    let parsed = parse(text);
    let file = Dockerfile::new(&parsed);
    let Some(stage) = file.final_stage() else {
        return Vec::new();
    };
    let instructions = file.stage_instructions(stage);
    let last = |kind: InstructionKind| {
        let found = instructions.iter().rev().find(|i| i.kind() == Some(kind))?;
        let keyword = found.keyword().value.to_ascii_uppercase();
        let words = match found.exec_form() {
            Some(words) => Some(words.into_iter().map(|word| word.value).collect()),
            None => file
                .script(found)
                .and_then(|script| script.tree().plain_command()),
        };
        Some(match words {
            Some(words) => format!("{keyword} {words:?}"),
            None => found.logical_text().trim().to_owned(),
        })
    };
    let mut started: Vec<String> = [InstructionKind::Entrypoint, InstructionKind::Cmd]
        .into_iter()
        .filter_map(last)
        .collect();
    for instruction in instructions {
        match instruction.kind() {
            Some(InstructionKind::Expose | InstructionKind::User) => {
                started.push(instruction.logical_text().trim().to_owned())
            }
            Some(InstructionKind::Env) => started.extend(
                instruction
                    .pairs()
                    .into_iter()
                    .map(|(key, value, _)| format!("ENV {}={}", key.value, value.value)),
            ),
            _ => {}
        }
    }
    started
}

/// `ENV NAME=…` of a variable the final stage's ecosystem lists as read only by the build
/// (`CGO_ENABLED`, `RUSTFLAGS`), which the runtime stage need not repeat.
fn build_only(text: &str, line: &str) -> bool {
    let parsed = parse(text);
    let file = Dockerfile::new(&parsed);
    let Some(name) = line
        .strip_prefix("ENV ")
        .and_then(|pair| pair.split('=').next())
    else {
        return false;
    };
    file.final_stage().is_some_and(|stage| {
        KnowledgeBase::builtin()
            .profiles_for_image(&stage.base)
            .iter()
            .filter_map(|profile| profile.runtime.as_ref())
            .any(|layout| layout.build_only_env.iter().any(|glob| glob.matches(name)))
    })
}

/// The folders the final stage's base image puts on PATH (`/go/bin` in golang).
fn builder_path_folders(text: &str) -> Vec<String> {
    let parsed = parse(text);
    let file = Dockerfile::new(&parsed);
    file.final_stage()
        .and_then(|stage| KnowledgeBase::builtin().image_path(&stage.base))
        .map(|image| image.path.clone())
        .unwrap_or_default()
}

/// `ENV VIRTUAL_ENV=/opt/venv`, `ENV PATH=/opt/venv/bin:$PATH`: the variables of the virtualenv
/// split-stages creates for the final stage's ecosystem (`[runtime.virtualenv]`), one line each.
fn virtualenv_env(text: &str) -> Vec<String> {
    let parsed = parse(text);
    let file = Dockerfile::new(&parsed);
    file.final_stage()
        .map(|stage| {
            KnowledgeBase::builtin()
                .profiles_for_image(&stage.base)
                .iter()
                .filter_map(|profile| profile.runtime.as_ref()?.virtualenv.as_ref())
                .flat_map(|virtualenv| virtualenv.env.iter().map(|pair| format!("ENV {pair}")))
                .collect()
        })
        .unwrap_or_default()
}

/// `ENV PATH=/go/bin:$PATH`: a runtime stage giving back PATH folders the builder image had.
fn restores_path(line: &str, builder_path: &[String]) -> bool {
    line.strip_prefix("ENV PATH=")
        .and_then(|value| value.strip_suffix(":$PATH"))
        .is_some_and(|folders| {
            folders
                .split(':')
                .all(|f| builder_path.iter().any(|b| b == f))
        })
}

/// How often `split-stages` splits the single-stage application Dockerfiles, and why it declines
/// the others (figures recorded in BENCHMARKS.md).
#[test]
fn split_stages_coverage_on_single_stage_apps() {
    let Some(corpus) = common::corpus("split_stages_coverage_on_single_stage_apps") else {
        return;
    };
    let Ok(index) = std::fs::read_to_string(corpus.join("contexts/CONTEXTS.tsv")) else {
        common::skipped(
            "split_stages_coverage_on_single_stage_apps",
            "no contexts/ in the corpus",
        );
        return;
    };
    let split = transforms::by_id("split-stages").expect("registered");
    let (mut known, mut unknown, mut applied) = (0usize, 0usize, 0usize);
    let mut reasons: std::collections::BTreeMap<String, usize> = Default::default();
    for line in index.lines().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.get(4) != Some(&"app-single-stage") {
            continue;
        }
        let context = corpus.join("contexts").join(fields[0]);
        let row = Row {
            dockerfile: context.join(fields[3]),
            context,
        };
        let Ok(text) = std::fs::read_to_string(&row.dockerfile) else {
            continue;
        };
        let outcome = fix(&[split], &text, &row);
        match outcome.findings.first() {
            None => unknown += 1,
            Some(_) if outcome.fixed.is_some() => {
                known += 1;
                applied += 1;
                let fixed = outcome.fixed.as_deref().unwrap_or_default();
                let builder_path = builder_path_folders(&text);
                let mut started = launch(fixed);
                started.retain(|line| !restores_path(line, &builder_path));
                let mut expected = launch(&text);
                let virtualenv = virtualenv_env(&text);
                started.retain(|line| expected.contains(line) || !virtualenv.contains(line));
                expected.retain(|line| started.contains(line) || !build_only(&text, line));
                assert_eq!(
                    started,
                    expected,
                    "{}: the runtime stage starts differently",
                    row.dockerfile.display()
                );
            }
            Some(reported) => {
                known += 1;
                if std::env::var_os("DFMIGRATE_SPLIT_DETAIL").is_some() {
                    eprintln!("{}\t{}", row.dockerfile.display(), reported.finding.message);
                }
                let reason = reported
                    .finding
                    .message
                    .split(": ")
                    .last()
                    .unwrap_or_default();
                let reason: String = reason
                    .split(|c: char| c.is_ascii_digit())
                    .next()
                    .unwrap_or(reason)
                    .chars()
                    .take(70)
                    .collect();
                *reasons.entry(reason).or_default() += 1;
            }
        }
    }
    eprintln!("single-stage apps: {} with a known ecosystem, {unknown} without; split: {applied} of {known}", known);
    let mut sorted: Vec<_> = reasons.into_iter().collect();
    sorted.sort_by_key(|entry| std::cmp::Reverse(entry.1));
    for (reason, count) in sorted {
        eprintln!("  declined {count:>4}: {reason}");
    }
    assert!(
        applied > 0,
        "split-stages splits none of the single-stage apps"
    );
}
