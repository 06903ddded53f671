//! Shell-form commands on a runtime image without a shell (distroless): a `CMD` that is one
//! plain command runs in exec form there; otherwise the build's runtime image with a shell
//! (the Debian slim image a dynamically linked binary would get) stands in; otherwise the
//! split declines.

use super::facts::Facts;
use super::Decline;
use crate::knowledge::{Distro, RuntimeHints, RuntimeImage};
use crate::syntax::InstructionKind;

/// A shell-form instruction of the stage written in exec form in the runtime stage.
pub(super) struct ExecForm {
    /// Its position among the stage's instructions.
    pub index: usize,
    /// The instruction's new text, without a line break.
    pub text: String,
}

/// The runtime image the launch can run on, and how.
pub(super) struct ShellFit {
    pub runtime: RuntimeImage,
    pub hints: RuntimeHints,
    pub exec_forms: Vec<ExecForm>,
    /// What the message says about it.
    pub note: String,
}

/// Where the stage's shell-form CMD/ENTRYPOINT/HEALTHCHECK (or an exec-form command that
/// starts a shell) can run: `runtime` when it has a shell or nothing needs one; there in exec
/// form when each shell-form command is one plain command; else on the runtime image chosen
/// for a dynamically linked build, when it has a shell.
pub(super) fn fit(
    facts: &Facts,
    runtime: RuntimeImage,
    hints: RuntimeHints,
) -> Result<ShellFit, Decline> {
    let unchanged = |runtime, hints, exec_forms, note: String| {
        Ok(ShellFit {
            runtime,
            hints,
            exec_forms,
            note,
        })
    };
    let shell_form: Vec<usize> = facts
        .instructions
        .iter()
        .enumerate()
        .filter(|(_, i)| {
            i.kind().is_some_and(InstructionKind::runs_in_container) && i.script().is_some()
        })
        .map(|(index, _)| index)
        .collect();
    if runtime.distro != Distro::Distroless || (shell_form.is_empty() && !facts.exec_starts_shell())
    {
        return unchanged(runtime, hints, Vec::new(), String::new());
    }
    if let Some(exec_forms) = exec_forms(facts, &shell_form).filter(|_| !facts.exec_starts_shell())
    {
        let written: Vec<&str> = exec_forms.iter().map(|e| e.text.as_str()).collect();
        let note = format!(
            "; {} has no shell, so the runtime stage runs `{}` in exec form (the program receives signals itself)",
            runtime.reference,
            written.join("`, `")
        );
        return unchanged(runtime, hints, exec_forms, note);
    }
    let dynamic = RuntimeHints {
        static_binary: false,
        ..hints.clone()
    };
    match facts.knowledge.runtime_for(&facts.stage.base, &dynamic) {
        Some(shelled) if shelled.distro != Distro::Distroless => {
            let note = format!(
                "; {} has no shell for the stage's shell-form or `sh -c` command, so it runs on {}",
                runtime.reference, shelled.reference
            );
            unchanged(shelled, dynamic, Vec::new(), note)
        }
        _ => Err(Decline::NoShell {
            runtime: runtime.reference,
        }),
    }
}

/// Each shell-form instruction in exec form, when every one is a `CMD` (or an `ENTRYPOINT`
/// without a `CMD` in the stage, which an exec-form one would receive as arguments) that is
/// one plain command, and there is no `ENTRYPOINT` a `CMD` would be appended to.
fn exec_forms(facts: &Facts, shell_form: &[usize]) -> Option<Vec<ExecForm>> {
    let has = |kind| facts.of_kind(kind).next().is_some();
    let style = facts.file.style();
    shell_form
        .iter()
        .map(|&index| {
            let instruction = &facts.instructions[index];
            let kind = instruction.kind()?;
            let alone = match kind {
                InstructionKind::Cmd => !has(InstructionKind::Entrypoint),
                InstructionKind::Entrypoint => !has(InstructionKind::Cmd),
                _ => false,
            };
            let script = facts.file.script(instruction)?;
            let words = script.tree().plain_command().filter(|_| alone)?;
            let elements: Vec<String> = words
                .iter()
                .map(serde_json::to_string)
                .collect::<Result<_, _>>()
                .ok()?;
            Some(ExecForm {
                index,
                text: format!("{} [{}]", style.keyword(kind), elements.join(", ")),
            })
        })
        .collect()
}
