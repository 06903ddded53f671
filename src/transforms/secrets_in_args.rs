#![doc = include_str!("../../transforms/docs/secrets-in-args.md")]

mod runs;
mod user;

use super::{platform, Applicability, Changes, Context, Finding, Fix, Metadata, Transform};
use crate::diagnostics::Rewriter;
use crate::knowledge::secrets::{SecretMounts, SecretVariables, Secrets};
use crate::model::{Dockerfile, Instruction};
use crate::syntax::InstructionKind;
use runs::{has_secret_mount, mentions_variable, Use};

pub struct SecretsInArgs;

impl Transform for SecretsInArgs {
    fn metadata(&self) -> &'static Metadata {
        &Metadata {
            id: "secrets-in-args",
            summary: "ARG and ENV holding secrets (`*_TOKEN`, `*_PASSWORD`, `*_KEY`, …) become build secrets mounted in the RUNs that use them",
            documentation: include_str!("../../transforms/docs/secrets-in-args.md"),
            enabled_by_default: true,
            max_applicability: Applicability::Unsafe,
            changes: Changes::Dockerfile,
            intended_changes: &[],
        }
    }

    fn run(&self, file: &Dockerfile, context: &Context, out: &mut Vec<Finding>) {
        let variables = &Secrets::builtin().variables;
        for name in secret_names(file, variables) {
            let declarations = declarations_of(file, &name);
            let Some(first) = declarations.first() else {
                continue;
            };
            // `ENV NAME=` holds nothing to leak: a placeholder the container's environment fills.
            let empty_env = declarations.iter().all(|declaration| {
                declaration.instruction.kind() == Some(InstructionKind::Env)
                    && declaration.value.is_none()
            });
            if empty_env {
                continue;
            }
            let finding = Finding {
                transform: self.id(),
                message: String::new(),
                range: first.instruction.range(),
                fix: None,
            };
            let plan = Plan {
                file,
                name: &name,
                declarations: &declarations,
                variables,
                context,
            };
            out.push(match plan.conversion() {
                Ok(conversion) => Finding {
                    message: conversion.message,
                    fix: Some(Fix::unsafe_edits(conversion.edits)),
                    ..finding
                },
                Err(reason) => finding.declined(declined_message(first, &name, &reason)),
            });
        }
    }
}

/// The secret-like names ARG and ENV instructions declare, each once, in file order.
fn secret_names(file: &Dockerfile, variables: &SecretVariables) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for instruction in file.instructions() {
        for name in declared_names(instruction) {
            if variables.is_secret(&name) && !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

fn declared_names(instruction: &Instruction) -> Vec<String> {
    match instruction.kind() {
        Some(InstructionKind::Arg) => instruction
            .arg_definitions()
            .into_iter()
            .map(|(name, _)| name)
            .collect(),
        Some(InstructionKind::Env) => instruction
            .pairs()
            .into_iter()
            .map(|(key, _, _)| key.value)
            .collect(),
        _ => Vec::new(),
    }
}

/// One ARG or ENV that declares the name.
struct Declaration<'f, 'p> {
    instruction: &'f Instruction<'p>,
    /// The value written in the Dockerfile (an ARG's default, an ENV's value), quotes removed.
    value: Option<String>,
}

fn declarations_of<'f, 'p>(file: &'f Dockerfile<'p>, name: &str) -> Vec<Declaration<'f, 'p>> {
    let mut found = Vec::new();
    for instruction in file.instructions() {
        let value = match instruction.kind() {
            Some(InstructionKind::Arg) => instruction
                .arg_definitions()
                .into_iter()
                .find(|(declared, _)| declared == name)
                .map(|(_, default)| default),
            Some(InstructionKind::Env) => instruction
                .pairs()
                .into_iter()
                .find(|(key, _, _)| key.value == name)
                .map(|(_, value, _)| Some(value.value)),
            _ => None,
        };
        if let Some(value) = value {
            let value = value
                .map(|value| value.trim_matches(['"', '\'']).to_owned())
                .filter(|value| !value.is_empty());
            found.push(Declaration { instruction, value });
        }
    }
    found
}

/// The edits that make a secret build argument a build secret, and what they say.
struct Conversion {
    message: String,
    edits: Vec<crate::diagnostics::Edit>,
}

struct Plan<'a, 'f, 'p> {
    file: &'a Dockerfile<'p>,
    name: &'a str,
    declarations: &'a [Declaration<'f, 'p>],
    variables: &'a SecretVariables,
    context: &'a Context<'a>,
}

impl Plan<'_, '_, '_> {
    /// The conversion, or why there is none.
    fn conversion(&self) -> Result<Conversion, String> {
        let name = self.name;
        let mounts = self.secret_mounts()?;
        let mut rewriter = Rewriter::new(self.file);
        let mut runs: Vec<usize> = Vec::new();
        for declaration in self.declarations {
            self.check_declaration(declaration)?;
            rewriter.delete_instruction(declaration.instruction);
            let is_arg = declaration.instruction.kind() == Some(InstructionKind::Arg);
            if let Some(stage) = declaration.instruction.stage.filter(|_| is_arg) {
                runs.extend(self.runs_reading(declaration.instruction, stage)?);
            }
        }
        runs.sort_unstable();
        runs.dedup();
        let variables = self.variables;
        let mut kept_in_build_stages = Vec::new();
        let mut owned = Vec::new();
        for &index in &runs {
            let run = &self.file.instructions()[index];
            let stored = runs::stored_by(self.file, run, name, variables);
            match stored {
                Some(reason) if self.in_final_image(run) => {
                    return Err(format!(
                        "{reason}: a secret mount would not keep it out of the image (use it where it is mounted without storing it, or remove what stores it in the same RUN)"
                    ));
                }
                Some(reason) => kept_in_build_stages.push(reason),
                None => {}
            }
            let mut owner = None;
            if mounts == SecretMounts::File {
                let env_form = || {
                    format!("(with `# syntax=docker/dockerfile:1.10` the RUN could take it as a variable: `--mount=type=secret,id={name},env={name}`)")
                };
                if let Some(reason) = runs::file_mount_blocker(self.file, run, variables) {
                    return Err(format!("{reason} {}", env_form()));
                }
                owner = user::owner_for(self.file, self.context.knowledge(), run)
                    .map_err(|reason| format!("{reason} {}", env_form()))?;
            }
            if let Some(uid) = owner {
                owned.push(format!("`uid={uid}` on line {}", run.start_line()));
            }
            runs::mount(&mut rewriter, run, name, mounts, owner);
        }
        let mut message = self.message(&runs, mounts);
        if !owned.is_empty() {
            message.push_str(&format!(
                "; the file is given to the RUN's non-root user ({}), who could not read it as root's (BuildKit's default: uid 0, mode 0400)",
                owned.join(", ")
            ));
        }
        if !kept_in_build_stages.is_empty() {
            message.push_str(&format!(
                "; note: {} in a build stage, whose layer the final image does not hold but the build cache and `--target` builds of that stage keep",
                kept_in_build_stages.join("; ")
            ));
        }
        Ok(Conversion {
            message,
            edits: rewriter.finish(),
        })
    }

    /// Whether the instruction's layers are the final image's: its stage is the final stage or
    /// one the final stage is built on.
    fn in_final_image(&self, instruction: &Instruction) -> bool {
        let Some(stage) = instruction.stage else {
            return false;
        };
        self.file.final_stage().is_some_and(|last| {
            self.file
                .stage_chain(last)
                .iter()
                .any(|link| link.index == stage)
        })
    }

    /// How the file's Dockerfile syntax lets a RUN take a build secret: as a variable with
    /// `env=` (1.10 and later), else from its file; an older syntax or an unknown frontend
    /// declines.
    fn secret_mounts(&self) -> Result<SecretMounts, String> {
        let syntax = self
            .file
            .parse()
            .directives
            .iter()
            .find(|directive| directive.name == "syntax")
            .map(|directive| directive.value.as_str());
        match (self.variables.secret_mounts(syntax), syntax) {
            (SecretMounts::None, Some(syntax)) => Err(format!(
                "the file's `# syntax={syntax}` is not known to mount build secrets (Dockerfile syntax 1.2 and later do)"
            )),
            (mounts, _) => Ok(mounts),
        }
    }

    /// What the finding says: what changes, in which RUNs, and how builds now pass the value.
    fn message(&self, runs: &[usize], mounts: SecretMounts) -> String {
        let name = self.name;
        let lines: Vec<String> = runs
            .iter()
            .map(|&index| self.file.instructions()[index].start_line().to_string())
            .collect();
        let envs: Vec<String> = self
            .declarations
            .iter()
            .filter(|d| d.instruction.kind() == Some(InstructionKind::Env))
            .map(|d| d.instruction.start_line().to_string())
            .collect();
        let env_part = match envs.as_slice() {
            [] => String::new(),
            [line] => format!(" (and into the environment of its stage by the ENV on line {line})"),
            _ => format!(
                " (and into the environment of its stages by the ENVs on lines {})",
                envs.join(", ")
            ),
        };
        let mut message = format!(
            "ARG {name} passes a secret to the build as a build argument{env_part}, whose value `docker history` shows and the build cache keeps; it becomes a build secret"
        );
        let where_runs = match lines.as_slice() {
            [] => String::new(),
            [line] => format!("the RUN on line {line}"),
            _ => format!("the RUNs on lines {}", lines.join(", ")),
        };
        match (lines.is_empty(), mounts) {
            (true, _) => message.push_str(" (no RUN reads it: the ARG is removed)"),
            (false, SecretMounts::Env) => message.push_str(&format!(
                ", mounted as ${name} in {where_runs} (`env=`, which the file's Dockerfile syntax reads)"
            )),
            (false, _) => message.push_str(&format!(
                ", mounted at /run/secrets/{name} and read into ${name} in {where_runs} (`export {name}=\"$(cat /run/secrets/{name})\"`)"
            )),
        }
        let target = match envs.is_empty() {
            true => "",
            false => {
                "; an image built with `--target` at that stage no longer has it in its environment"
            }
        };
        message.push_str(&format!(
            " (unsafe: builds must pass it with `docker build --secret id={name},env={name}` (Compose: `build.secrets`) instead of `--build-arg {name}=…`, and one that does not runs with it empty{target})"
        ));
        if !lines.is_empty() {
            // BuildKit keys a RUN's cache on its build arguments, not on its secrets' contents.
            let (those, their) = match lines.len() {
                1 => ("that RUN", "its"),
                _ => ("those RUNs", "their"),
            };
            message.push_str(&format!(
                "; BuildKit's cache ignores a secret's value, so changing it alone no longer reruns {those} (use `--no-cache-filter` or an ARG of a non-secret version if {their} output must follow it)"
            ));
        }
        message
    }

    /// Why a declaration cannot become a build secret, if it cannot.
    fn check_declaration(&self, declaration: &Declaration) -> Result<(), String> {
        let instruction = declaration.instruction;
        if instruction.kind() == Some(InstructionKind::Env) {
            return self.check_env(declaration);
        }
        if declaration.value.is_some() {
            return Err("its default value is written in the Dockerfile, and so in the repository: remove it and pass the value as a build secret".to_owned());
        }
        if instruction.arg_definitions().len() > 1 {
            return Err(format!(
                "the ARG on line {} declares other names too",
                instruction.start_line()
            ));
        }
        let Some(stage) = instruction
            .stage
            .and_then(|index| self.file.stages().get(index))
        else {
            return self.check_global(instruction);
        };
        match platform::windows_reason(self.file, stage, self.context.knowledge()) {
            Some(reason) => Err(format!(
                "{reason}, whose shells (cmd, PowerShell) read no /run/secrets file"
            )),
            None => Ok(()),
        }
    }

    /// An ENV can go when it only hands its stage's build argument of the same name to the RUNs
    /// (`ENV NPM_TOKEN=$NPM_TOKEN`) of a stage the final image does not come from and no stage
    /// builds on; in the final image's stages the application may read it at run time.
    fn check_env(&self, declaration: &Declaration) -> Result<(), String> {
        let instruction = declaration.instruction;
        let name = self.name;
        let runtime = || {
            Err(format!(
                "ENV keeps it in the image's configuration, which `docker inspect` shows, and the application may read it at run time: give it to the container when it starts (`docker run --env`, a secret), and to the build as a secret (`RUN --mount=type=secret,id={name}`)"
            ))
        };
        let Some(stage) = instruction.stage else {
            return runtime();
        };
        if self.in_final_image(instruction) {
            return runtime();
        }
        if let Some(child) = self
            .file
            .stages()
            .iter()
            .find(|s| s.base_stage == Some(stage))
        {
            let from = &self.file.instructions()[child.from];
            return Err(format!(
                "the stage of line {} is built on its stage and inherits the ENV",
                from.start_line()
            ));
        }
        if instruction.pairs().len() > 1 {
            return Err(format!(
                "the ENV on line {} sets other variables too",
                instruction.start_line()
            ));
        }
        let hands_on_its_argument = declaration
            .value
            .as_deref()
            .is_some_and(|value| value == format!("${name}") || value == format!("${{{name}}}"));
        let argument_before = self.declarations.iter().any(|other| {
            other.instruction.kind() == Some(InstructionKind::Arg)
                && other.instruction.stage == Some(stage)
                && other.instruction.index < instruction.index
        });
        match hands_on_its_argument && argument_before {
            true => Ok(()),
            false => Err(format!(
                "the ENV on line {} sets it to something else than its stage's build argument ${name}",
                instruction.start_line()
            )),
        }
    }

    /// A global ARG (before the first FROM) only reaches FROM lines and the stages that declare
    /// it again: it can go when no FROM uses it.
    fn check_global(&self, instruction: &Instruction) -> Result<(), String> {
        let from = self
            .file
            .of_kind(InstructionKind::From)
            .find(|from| mentions_variable(from.source(), self.name));
        match from {
            Some(from) => Err(format!(
                "the FROM on line {} uses the ARG on line {}",
                from.start_line(),
                instruction.start_line()
            )),
            None => Ok(()),
        }
    }

    /// The RUNs of the declaration's stage after it that receive the value: those whose shell
    /// expands it, or every one when none does or one only refers to it (`'…${NPM_TOKEN}'`
    /// written for a program that reads it from its environment later). An instruction of the
    /// stage other than RUN that names it (ENV, LABEL, COPY, a FROM using a global ARG) is a
    /// reason not to convert.
    fn runs_reading(&self, declaration: &Instruction, stage: usize) -> Result<Vec<usize>, String> {
        let Some(stage) = self.file.stages().get(stage) else {
            return Ok(Vec::new());
        };
        let after = &self.file.stage_instructions(stage)[declaration.index + 1 - stage.from..];
        let mut runs = Vec::new();
        for instruction in after {
            let redeclared = declared_names(instruction).iter().any(|n| n == self.name);
            if instruction.kind() == Some(InstructionKind::Arg) && redeclared {
                break;
            }
            if self.removes(instruction) {
                continue;
            }
            match instruction.kind() {
                Some(InstructionKind::Run) if has_secret_mount(instruction, self.name) => {}
                Some(InstructionKind::Run) => runs.push((
                    instruction.index,
                    runs::use_of(self.file, instruction, self.name, self.variables),
                )),
                _ if mentions_variable(instruction.source(), self.name) => {
                    return Err(format!(
                        "{} on line {} uses it too, outside a RUN",
                        instruction.keyword().value.to_ascii_uppercase(),
                        instruction.start_line()
                    ))
                }
                _ => {}
            }
        }
        let every = !runs.iter().any(|(_, used)| *used == Use::Expands)
            || runs.iter().any(|(_, used)| *used == Use::Refers);
        Ok(runs
            .into_iter()
            .filter(|(_, used)| every || *used == Use::Expands)
            .map(|(index, _)| index)
            .collect())
    }

    /// Whether the conversion removes the instruction (an ENV handing the argument on).
    fn removes(&self, instruction: &Instruction) -> bool {
        self.declarations
            .iter()
            .any(|declaration| declaration.instruction.index == instruction.index)
    }
}

fn declined_message(first: &Declaration, name: &str, reason: &str) -> String {
    let keyword = first.instruction.keyword().value.to_ascii_uppercase();
    format!(
        "{keyword} {name} holds a secret, which the image's history or configuration keeps for anyone who pulls it; no change: {reason}"
    )
}
