//! The stage's `ENV` variables that only steer the build (`CGO_ENABLED`, `GOOS`, `RUSTFLAGS`:
//! the profile's `[runtime] build_only_env`), which the runtime stage does not repeat, and the
//! text of an `ENV` without them.

use super::facts::Facts;
use super::render::RUNTIME_CONFIG;
use crate::model::{script, Instruction};
use crate::syntax::InstructionKind;

/// The names of the build-only variables the stage sets with `ENV` that the runtime stage
/// leaves out: none when the command starts a shell or a shell script (which may read them),
/// and never one that a carried instruction expands (`ENV PATH=$CARGO_HOME/bin:$PATH`, a
/// shell-form `CMD`).
pub(super) fn dropped(facts: &Facts, command: &[String]) -> Vec<String> {
    let globs = &facts.layout.build_only_env;
    let runs_script = facts.exec_starts_shell()
        || command
            .iter()
            .any(|word| word.ends_with(".sh") || facts.knowledge.is_shell(word));
    if globs.is_empty() || runs_script {
        return Vec::new();
    }
    let referenced: Vec<String> = facts
        .instructions
        .iter()
        .filter(|i| i.kind().is_some_and(is_carried))
        .flat_map(|i| expanded_names(facts, i))
        .collect();
    let mut names: Vec<String> = facts
        .of_kind(InstructionKind::Env)
        .flat_map(|env| env.pairs())
        .map(|(key, _, _)| key.value)
        .filter(|name| globs.iter().any(|glob| glob.matches(name)))
        .filter(|name| !referenced.contains(name))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The variables an instruction expands, as the shell's word reader finds them (`$NAME`,
/// `${NAME}`, also inside the script of a shell-form or `sh -c` command).
fn expanded_names(facts: &Facts, instruction: &Instruction) -> Vec<String> {
    let mut names = script::parse(instruction.logical_text())
        .script
        .parameter_names();
    if let Some(script) = facts.file.script(instruction) {
        names.extend(script.tree().script.parameter_names());
    }
    names
}

/// An `ENV` as the runtime stage writes it without the `dropped` variables: `None` when it
/// sets only those; `Some(None)` to copy it as written (it keeps all of them, or a kept pair
/// spans lines); else `Some(text)`: the keyword and the kept `NAME=value` pairs as written.
pub(super) fn without(
    facts: &Facts,
    env: &Instruction,
    dropped: &[String],
) -> Option<Option<String>> {
    let pairs = env.pairs();
    let kept: Vec<_> = pairs
        .iter()
        .filter(|(key, _, _)| !dropped.contains(&key.value))
        .collect();
    if kept.is_empty() {
        return None;
    }
    if kept.len() == pairs.len() {
        return Some(None);
    }
    let text = facts.file.text();
    let written: Option<Vec<&str>> = kept
        .iter()
        .map(|(key, value, _)| {
            let pair = &text[key.range.start..value.range.end.max(key.range.end)];
            (!pair.contains('\n')).then_some(pair)
        })
        .collect();
    let Some(written) = written else {
        return Some(None);
    };
    let keyword = facts.file.style().keyword(InstructionKind::Env);
    Some(Some(format!("{keyword} {}", written.join(" "))))
}

/// Whether the runtime stage carries instructions of this kind (ENV and the container's
/// configuration), whose variables must keep their values there.
fn is_carried(kind: InstructionKind) -> bool {
    kind == InstructionKind::Env || RUNTIME_CONFIG.contains(&kind)
}
