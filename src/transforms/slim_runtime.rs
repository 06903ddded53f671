#![doc = include_str!("../../transforms/docs/slim-runtime.md")]

use super::{Applicability, Changes, Context, Finding, Fix, Metadata, Transform};
use crate::diagnostics::Rewriter;
use crate::knowledge::{image_name, KnowledgeBase, RuntimeHints};
use crate::model::packages::{apt_installs, package_command};
use crate::model::shell::quote;
use crate::model::shell::{self, Command};
use crate::model::{Dockerfile, ImageRef, Instruction};
use crate::syntax::InstructionKind;

pub struct SlimRuntime;

impl Transform for SlimRuntime {
    fn metadata(&self) -> &'static Metadata {
        &Metadata {
            id: "slim-runtime",
            summary: "The final stage of a multi-stage build runs on the slim runtime image, not the full toolchain",
            documentation: include_str!("../../transforms/docs/slim-runtime.md"),
            enabled_by_default: true,
            max_applicability: Applicability::Unsafe,
            changes: Changes::Dockerfile,
            intended_changes: &[],
        }
    }

    fn run(&self, file: &Dockerfile, context: &Context, out: &mut Vec<Finding>) {
        if let Some(finding) = self.check(file, context.knowledge()) {
            out.push(finding);
        }
    }
}

impl SlimRuntime {
    fn check(&self, file: &Dockerfile, knowledge: &KnowledgeBase) -> Option<Finding> {
        if file.stages().len() < 2 {
            return None;
        }
        let stage = file.final_stage()?;
        let base = &stage.base;
        if stage.base_stage.is_some() || base.has_variables() || base.is_scratch() {
            return None;
        }
        let from = &file.instructions()[stage.from];
        let image_range = from.from_args()?.image.range;
        if image_range.slice(file.text()) != base.raw {
            return None;
        }
        let runtime = knowledge.runtime_for(base, &RuntimeHints::default())?;
        let proposed = ImageRef::parse(&runtime.reference);
        if same_image(base, &proposed) {
            return None;
        }
        let instructions = file.stage_instructions(stage);
        let finding = |message: String, fix: Option<Fix>| Finding {
            transform: self.id(),
            message,
            range: from.range(),
            fix,
        };
        let current = &base.raw;
        let slim = &runtime.reference;
        let opening = format!(
            "the final stage runs on the full toolchain image `{current}`; `{slim}` is smaller"
        );
        if base.digest.is_some() {
            return Some(finding(
                format!("{opening}, but the digest pins this exact image and cannot be carried over: choose the slim image's digest by hand"),
                None,
            ));
        }
        if let Some(reason) = needs_full_image(instructions, base, &proposed, knowledge) {
            return Some(finding(format!("{opening}, but {reason}"), None));
        }
        let mut rewriter = Rewriter::new(file);
        rewriter.replace(image_range, slim.clone());
        Some(finding(
            format!("{opening}, but it lacks the compilers and system libraries of `{current}` that the application or its native modules may load at run time"),
            Some(Fix::unsafe_edits(rewriter.finish())),
        ))
    }
}

/// The same image: same name and tag (`latest` when none is written).
fn same_image(a: &ImageRef, b: &ImageRef) -> bool {
    let tag = |image: &ImageRef| image.tag.clone().unwrap_or_else(|| "latest".to_owned());
    image_name(a) == image_name(b) && tag(a) == tag(b)
}

/// Why the final stage visibly needs the full image: it runs the toolchain (when the runtime is
/// another image family), or a tool slim images lack without installing packages.
fn needs_full_image(
    instructions: &[Instruction],
    base: &ImageRef,
    proposed: &ImageRef,
    knowledge: &KnowledgeBase,
) -> Option<String> {
    let other_family = base.family() != proposed.family();
    let installs_packages = instructions.iter().any(installs_system_packages);
    let profiles = knowledge.profiles_for_image(base);
    for instruction in instructions {
        let Some(script) = script_of(instruction) else {
            continue;
        };
        let keyword = instruction.keyword().value.to_ascii_uppercase();
        let line = instruction.start_line();
        for command in &shell::lex(&script).commands {
            let program = program_name(command);
            let runs_toolchain = knowledge.is_toolchain_program(program)
                || is_sdk_command(command)
                || profiles
                    .iter()
                    .any(|p| p.match_command(command, &script).is_some());
            if other_family && runs_toolchain {
                let verb = command
                    .args()
                    .first()
                    .filter(|word| !word.value.starts_with('-'))
                    .map_or(String::new(), |word| format!(" {}", word.value));
                return Some(format!(
                    "the {keyword} on line {line} runs `{program}{verb}`, which `{}` does not have",
                    proposed.raw
                ));
            }
            if knowledge.is_full_image_tool(program) && !installs_packages {
                return Some(format!(
                    "the {keyword} on line {line} runs `{program}`, which slim images do not have"
                ));
            }
        }
    }
    None
}

/// The shell script of a RUN, CMD, ENTRYPOINT or HEALTHCHECK; exec-form words are quoted.
fn script_of(instruction: &Instruction) -> Option<String> {
    match instruction.exec_form() {
        Some(elements) => Some(
            elements
                .iter()
                .map(|e| quote(&e.value))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        None => instruction.script().map(|script| script.text.to_owned()),
    }
}

/// `dotnet run`, `dotnet watch`, `dotnet ef` …: SDK commands, unlike `dotnet app.dll`.
fn is_sdk_command(command: &Command) -> bool {
    program_name(command) == "dotnet"
        && command
            .args()
            .first()
            .is_some_and(|verb| !verb.value.starts_with('-') && !verb.value.ends_with(".dll"))
}

/// The command's program without its folder (`/usr/bin/curl` → `curl`).
fn program_name(command: &Command) -> &str {
    let name = command.name().unwrap_or("");
    name.rsplit('/').next().unwrap_or(name)
}

/// A RUN that installs system packages (apt-get/apt install, apk add, dnf/yum/microdnf install).
fn installs_system_packages(instruction: &Instruction) -> bool {
    if instruction.kind() != Some(InstructionKind::Run) {
        return false;
    }
    let Some(script) = instruction.script() else {
        return false;
    };
    let commands = &script.lexed.commands;
    !apt_installs(commands).is_empty()
        || commands.iter().enumerate().any(|(index, command)| {
            package_command(index, command, &["apk"], &["add"]).is_some()
                || package_command(index, command, &["dnf", "yum", "microdnf"], &["install"])
                    .is_some()
        })
}
