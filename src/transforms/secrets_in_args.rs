#![doc = include_str!("../../transforms/docs/secrets-in-args.md")]

use super::{platform, Applicability, Changes, Context, Finding, Fix, Metadata, Transform};
use crate::diagnostics::Rewriter;
use crate::knowledge::secrets::{SecretVariables, Secrets};
use crate::model::{Dockerfile, Instruction};
use crate::syntax::{InstructionKind, TokenKind};

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
        let mount = format!(" --mount=type=secret,id={name},env={name}");
        for &index in &runs {
            let run = &self.file.instructions()[index];
            rewriter.insert(run.keyword().range.end, mount.clone());
        }
        let syntax_added = self.add_syntax(&mut rewriter)?;
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
            "ARG {name} passes a secret to the build as a build argument{env_part}, whose value `docker history` shows and the build cache keeps; it becomes a build secret mounted as ${name}"
        );
        match lines.as_slice() {
            [] => message.push_str(" (no RUN reads it: the ARG is removed)"),
            [line] => message.push_str(&format!(" in the RUN on line {line}")),
            _ => message.push_str(&format!(" in the RUNs on lines {}", lines.join(", "))),
        }
        if syntax_added {
            message.push_str(&format!(
                "; `# syntax={}` is added, the first Dockerfile syntax whose secret mounts take `env=`",
                self.variables.syntax
            ));
        }
        let target = match envs.is_empty() {
            true => "",
            false => {
                "; an image built with `--target` at that stage no longer has it in its environment"
            }
        };
        message.push_str(&format!(
            " (unsafe: builds must pass it with `--secret id={name},env={name}` instead of `--build-arg {name}=…`{target})"
        ));
        Ok(Conversion {
            message,
            edits: rewriter.finish(),
        })
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
            Some(reason) => Err(format!("{reason}, where secrets are mounted as files only")),
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
                "ENV keeps it in the image's configuration, which `docker inspect` shows, and the application may read it at run time: give it to the container when it starts (`docker run --env`, a secret), and to the build as a secret (`RUN --mount=type=secret,id={name},env={name}`)"
            ))
        };
        let Some(stage) = instruction.stage else {
            return runtime();
        };
        let in_final_image = self.file.final_stage().is_some_and(|last| {
            self.file
                .stage_chain(last)
                .iter()
                .any(|link| link.index == stage)
        });
        if in_final_image {
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

    /// The RUNs of the declaration's stage after it that read the value: those that name it, or
    /// every one when none does (a program reads it from its environment: npm's `.npmrc`). An
    /// instruction of the stage other than RUN that names it (ENV, LABEL, COPY, a FROM using a
    /// global ARG) is a reason not to convert.
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
            let names_it = mentions_variable(instruction.source(), self.name);
            match instruction.kind() {
                Some(InstructionKind::Run) if has_secret_mount(instruction, self.name) => {}
                Some(InstructionKind::Run) => runs.push((instruction.index, names_it)),
                _ if names_it => {
                    return Err(format!(
                        "{} on line {} uses it too, outside a RUN",
                        instruction.keyword().value.to_ascii_uppercase(),
                        instruction.start_line()
                    ))
                }
                _ => {}
            }
        }
        let any_names = runs.iter().any(|(_, names_it)| *names_it);
        Ok(runs
            .into_iter()
            .filter(|(_, names_it)| *names_it || !any_names)
            .map(|(index, _)| index)
            .collect())
    }

    /// Whether the conversion removes the instruction (an ENV handing the argument on).
    fn removes(&self, instruction: &Instruction) -> bool {
        self.declarations
            .iter()
            .any(|declaration| declaration.instruction.index == instruction.index)
    }

    /// Adds `# syntax=…` when the file has no syntax directive; an older one is a reason not to
    /// convert. True when it was added.
    fn add_syntax(&self, rewriter: &mut Rewriter) -> Result<bool, String> {
        let parse = self.file.parse();
        if let Some(directive) = parse.directives.iter().find(|d| d.name == "syntax") {
            return match self.variables.syntax_supports_env(&directive.value) {
                true => Ok(false),
                false => Err(format!(
                    "the file's `# syntax={}` reads no `env=` in secret mounts (Dockerfile syntax 1.10 does)",
                    directive.value
                )),
            };
        }
        let start = parse
            .tree
            .root()
            .child_tokens()
            .find(|token| token.kind == TokenKind::Bom)
            .map_or(0, |bom| bom.range.end);
        rewriter.insert_lines(start, &[format!("# syntax={}", self.variables.syntax)]);
        Ok(true)
    }
}

/// Whether a RUN already mounts the secret `id=NAME`.
fn has_secret_mount(run: &Instruction, name: &str) -> bool {
    run.flags().iter().any(|flag| {
        flag.name.eq_ignore_ascii_case("mount")
            && flag.value.as_deref().is_some_and(|value| {
                value.contains("type=secret")
                    && value.split(',').any(|part| part == format!("id={name}"))
            })
    })
}

/// Whether `text` expands the variable: `$NAME` or `${NAME…}`.
fn mentions_variable(text: &str, name: &str) -> bool {
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices('$').any(|(at, _)| {
        let rest = &text[at + 1..];
        let rest = rest.strip_prefix('{').unwrap_or(rest);
        rest.strip_prefix(name)
            .is_some_and(|after| !after.starts_with(is_name_char))
    })
}

fn declined_message(first: &Declaration, name: &str, reason: &str) -> String {
    let keyword = first.instruction.keyword().value.to_ascii_uppercase();
    format!(
        "{keyword} {name} holds a secret, which the image's history or configuration keeps for anyone who pulls it; no change: {reason}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_mentions_are_whole_names() {
        assert!(mentions_variable("echo $NPM_TOKEN", "NPM_TOKEN"));
        assert!(mentions_variable("echo ${NPM_TOKEN:-x}", "NPM_TOKEN"));
        assert!(!mentions_variable("echo $NPM_TOKENS", "NPM_TOKEN"));
        assert!(!mentions_variable("echo NPM_TOKEN", "NPM_TOKEN"));
    }
}
