//! The working directory split-stages assumes before an instruction of the final stage, kept
//! apart from the rest until `model` has one working-directory rule for every transform. Two
//! readings are in use, and they differ where a `WORKDIR` names a variable:
//! [`expanded`] (the application folder, copy destinations) expands variables with literal
//! values and declines otherwise; [`unexpanded`] (where build commands and `cd` run) gives up.

use super::facts::{expand, Facts};
use super::Decline;
use crate::model::paths::normalize;
use crate::model::workdir_after;
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

/// The working directory before the stage's instruction `index` (`model::workdir_after`):
/// `None` when it depends on a variable or on an unknown base image's own.
pub(super) fn unexpanded(facts: &Facts, index: usize) -> Option<String> {
    let before = &facts.instructions[..index];
    if let Some(base) = facts.base_workdir() {
        return workdir_after(before, base);
    }
    let first = before
        .iter()
        .find(|i| i.kind() == Some(InstructionKind::Workdir))?;
    let absolute = first.string_arg()?.value.trim_matches('"').starts_with('/');
    absolute.then(|| workdir_after(before, "/")).flatten()
}
