//! The working directory split-stages assumes before an instruction of the final stage, kept
//! apart from the rest until `model` has one working-directory rule for every transform. Two
//! readings are in use, and they differ where a `WORKDIR` names a variable:
//! [`expanded`] (the application folder, copy destinations) expands variables with literal
//! values and declines otherwise; [`unexpanded`] (where build commands and `cd` run) reads the
//! model's and gives up.

use super::facts::{expand, Facts};
use super::Decline;
use crate::model::paths::normalize;
use crate::model::Workdir;
use crate::syntax::InstructionKind;

/// The working directory before the stage's instruction `end`: the base image's (when known)
/// changed by each `WORKDIR`, variables with literal values expanded. The reason to decline
/// when a `WORKDIR` names another variable, or is relative to an unknown one.
pub(super) fn expanded(facts: &Facts, end: usize) -> Result<Option<String>, Decline> {
    let mut cwd: Option<String> = facts.base_workdir().map(str::to_owned);
    for (index, instruction) in facts.instructions[..end].iter().enumerate() {
        if instruction.kind() != Some(InstructionKind::Workdir) {
            continue;
        }
        let variables = facts.variables_before(index);
        let written = instruction
            .string_arg()
            .map(|w| w.value)
            .unwrap_or_default();
        let value = expand(&written, &variables).ok_or(Decline::WorkdirVariable)?;
        cwd = Some(match cwd {
            _ if value.starts_with('/') => value,
            Some(previous) => format!("{}/{value}", previous.trim_end_matches('/')),
            None => return Err(Decline::RelativeWorkdir),
        });
    }
    Ok(cwd.map(|path| normalize(&path)))
}

/// The working directory before the stage's instruction `index`, by the model's rule
/// ([`Dockerfile::workdir_before`](crate::model::Dockerfile::workdir_before)) with the base
/// image's own from the knowledge base: `None` when it depends on a variable or on an unknown
/// base image's own. Unlike the model, a `WORKDIR` naming a variable leaves it unknown for the
/// rest of the stage, even after an absolute one.
pub(super) fn unexpanded(facts: &Facts, index: usize) -> Option<String> {
    let through = &facts.instructions[..=index];
    let unknown = |instruction| *facts.file.workdir_before(instruction) == Workdir::Unknown;
    if through.iter().any(unknown) {
        return None;
    }
    facts
        .file
        .workdir_before(&facts.instructions[index])
        .known_with(facts.base_workdir())
}
