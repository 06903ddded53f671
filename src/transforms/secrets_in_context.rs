#![doc = include_str!("../../transforms/docs/secrets-in-context.md")]

use super::dockerignore::survey::{self, Copied, Named, RunCommand};
use super::dockerignore::target::{pattern_for_path, Action, Block, IgnoreTarget};
use super::{Applicability, Changes, Context, Finding, Fix, IntendedChange, Metadata, Transform};
use crate::context::{BuildContext, ContextEntry};
use crate::knowledge::secrets::{FileSample, SecretKind, Secrets};
use crate::model::{Dockerfile, Instruction};

pub struct SecretsInContext;

impl Transform for SecretsInContext {
    fn metadata(&self) -> &'static Metadata {
        &Metadata {
            id: "secrets-in-context",
            summary: "A COPY that takes .env files, private keys or credentials from the build context into the image gets them excluded in its .dockerignore",
            documentation: include_str!("../../transforms/docs/secrets-in-context.md"),
            enabled_by_default: true,
            max_applicability: Applicability::Unsafe,
            changes: Changes::IgnoreFile,
            intended_changes: &[IntendedChange::ExcludedPaths],
        }
    }

    fn run(&self, file: &Dockerfile, context: &Context, out: &mut Vec<Finding>) {
        let Some(build) = context.build_context_files() else {
            return;
        };
        let copies: Vec<(&Instruction, Copied)> = file
            .instructions()
            .iter()
            .filter_map(|instruction| Some((instruction, Copied::by(instruction, build)?)))
            .collect();
        if copies.is_empty() {
            return;
        }
        let Some(entries) = survey::entries(build) else {
            return;
        };
        let secrets = copied_secrets(build, entries, &copies);
        let Some(first) = secrets.first() else {
            return;
        };
        let named = Named::of(file);
        let ignore_name = build
            .ignore_file()
            .and_then(|path| path.file_name())
            .map_or_else(String::new, |name| name.to_string_lossy().into_owned());
        let commands = survey::run_commands(file);
        let kept_why = |secret: &Secret| -> Option<String> {
            if named.keeps(&secret.entry) {
                return Some(format!("{} (the Dockerfile names it)", secret.entry.path));
            }
            if build.is_reincluded(&secret.entry.path) {
                return Some(format!(
                    "{} ({ignore_name} keeps it with a `!` exception)",
                    secret.entry.path
                ));
            }
            read_by_build(file, &commands, secret)
        };
        let kept: Vec<String> = secrets.iter().filter_map(kept_why).collect();
        let excluded: Vec<&Secret> = secrets
            .iter()
            .filter(|secret| kept_why(secret).is_none())
            .collect();
        let finding = Finding {
            transform: self.id(),
            message: String::new(),
            range: first.copy.range(),
            fix: None,
        };
        if excluded.is_empty() {
            out.push(finding.declined(declined_message(&kept)));
            return;
        }
        let Some(target) = IgnoreTarget::of(context, build) else {
            return;
        };
        let block = Block {
            title: "secrets".to_owned(),
            entries: excluded
                .iter()
                .map(|secret| pattern_for_path(&secret.entry.path))
                .collect(),
        };
        out.push(Finding {
            message: message(&excluded, &kept, &target),
            fix: Some(Fix::of_files(
                Applicability::Unsafe,
                vec![target.change(&[block])],
            )),
            ..finding
        });
    }
}

/// A secret file a COPY takes from the context without naming it.
struct Secret<'i, 'p> {
    entry: ContextEntry,
    kind: SecretKind,
    /// The first COPY or ADD that takes it.
    copy: &'i Instruction<'p>,
}

impl Secret<'_, '_> {
    /// `PATH`, or `PATH (what it holds)`.
    fn describe(&self) -> String {
        match &self.kind {
            SecretKind::Named => self.entry.path.clone(),
            SecretKind::Holds(what) => format!("{} ({what})", self.entry.path),
        }
    }
}

/// The secret files the build context holds, does not ignore, and a COPY or ADD takes without
/// naming them (the whole context, or a folder holding them).
fn copied_secrets<'i, 'p>(
    build: &BuildContext,
    entries: &[ContextEntry],
    copies: &[(&'i Instruction<'p>, Copied)],
) -> Vec<Secret<'i, 'p>> {
    let secrets = Secrets::builtin();
    entries
        .iter()
        .filter(|entry| !entry.is_dir && !entry.ignored)
        .filter_map(|entry| {
            let (copy, _) = copies
                .iter()
                .find(|(_, copied)| copied.takes(&entry.path))?;
            let start = secrets
                .wants_content(&entry.path, entry.len)
                .then(|| build.read_prefix(&entry.path, secrets.content.max_bytes as usize))
                .flatten();
            let sample = FileSample {
                len: entry.len,
                start: start.as_deref(),
            };
            let kind = secrets.classify(&entry.path, sample)?;
            Some(Secret {
                entry: entry.clone(),
                kind,
                copy,
            })
        })
        .collect()
}

/// Why a secret stays when the build itself reads it: a RUN after the COPY that takes it, in that
/// stage or one built on it, runs a tool that reads such a file (`npm ci` and `.npmrc`,
/// `[[files.read_by_build]]` of `secrets.toml`); excluding it would break that RUN. The reason
/// proposes a build secret instead, as text.
fn read_by_build(file: &Dockerfile, commands: &[RunCommand], secret: &Secret) -> Option<String> {
    let rule = Secrets::builtin().read_by_build(&secret.entry.path)?;
    let copy_stage = secret.copy.stage?;
    let command = commands.iter().find(|command| {
        command.index > secret.copy.index
            && rule.programs.contains(&command.program)
            && command
                .stage
                .and_then(|index| file.stages().get(index))
                .is_some_and(|stage| {
                    let chain = file.stage_chain(stage);
                    chain.iter().any(|link| link.index == copy_stage)
                })
    })?;
    let run = file.instructions().get(command.index)?;
    let user = file
        .user_before(run)
        .and_then(|user| user.string_arg())
        .map(|word| word.value.split(':').next().unwrap_or_default().to_owned());
    let home = match user.as_deref() {
        None | Some("root" | "0") => "/root".to_owned(),
        Some(name) => format!("<home of {name}>"),
    };
    let written: Vec<&str> = std::iter::once(command.program.as_str())
        .chain(command.positionals.first().map(String::as_str))
        .collect();
    let written = written.join(" ");
    let (id, path) = (&rule.id, &secret.entry.path);
    Some(format!(
        "{} (the build's `{written}` reads it, so excluding it would break that RUN: hand it to the RUN as a build secret instead, `RUN --mount=type=secret,id={id},target={home}/{} {written}` built with `--secret id={id},src={path}`, then exclude it)",
        secret.describe(),
        rule.home_path
    ))
}

fn listed(secrets: &[&Secret]) -> String {
    secrets
        .iter()
        .map(|secret| secret.describe())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The finding with the fix: what is copied, what stays (and why), and what changes.
fn message(excluded: &[&Secret], kept: &[String], target: &IgnoreTarget) -> String {
    let action = match &target.action {
        Action::Append(name) => format!("add them to {name}"),
        Action::CreateShared => "exclude them in a new .dockerignore".to_owned(),
        Action::CreateOwn { name, .. } => format!(
            "exclude them in a new {name}, which BuildKit reads instead of .dockerignore for this Dockerfile only"
        ),
    };
    let kept = match kept {
        [] => String::new(),
        _ => format!("; not excluded: {}", kept.join(", ")),
    };
    format!(
        "this COPY puts secrets of the build context into the image, where anyone who can pull it reads them: {}; {action}{kept} (unsafe: the application may read them at run time: give it their values when the container starts, with `docker run --env-file` or a secret mount)",
        listed(excluded)
    )
}

/// The finding without a fix: every secret is one the Dockerfile names, or the ignore file
/// keeps with an exception (each with its reason).
fn declined_message(kept: &[String]) -> String {
    format!(
        "this COPY puts secrets of the build context into the image, where anyone who can pull it reads them: {}; they are not excluded: pass them to the build as secrets (`RUN --mount=type=secret`) or to the container when it starts",
        kept.join(", ")
    )
}
