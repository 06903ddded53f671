//! How the build stage's files leave it: only through `COPY --from=<stage>` in other stages.
//! A stage built on it or a RUN mounting it would see every copied file; a copy of a path
//! under the copy's destination that the build context has must still find it.

use super::decline::Decline;
use super::StageView;
use crate::model::paths::{is_within, resolve};
use crate::model::{Instruction, Stage};
use crate::syntax::InstructionKind;

/// The build context paths (relative to its root) that other stages copy out of the stage
/// from under `target`, where the copy puts the context; or why the stage is not a build
/// stage whose files leave it only that way.
pub(super) fn copied_out(view: &StageView, target: &str) -> Result<Vec<String>, Decline> {
    let mut paths = Vec::new();
    for other in view.file.stages() {
        if other.index == view.stage.index {
            continue;
        }
        for instruction in view.file.stage_instructions(other) {
            if let Some(path) = copied_from(view, instruction, target)? {
                paths.extend(path);
            }
        }
    }
    Ok(paths)
}

/// Whether the stage is the final one, or another stage is built on it; else `Ok`.
pub(super) fn check_build_stage(view: &StageView) -> Result<(), Decline> {
    let file = view.file;
    if file.final_stage().map(|s| s.index) == Some(view.stage.index) {
        return Err(Decline::FinalStage);
    }
    if let Some(child) = file
        .stages()
        .iter()
        .find(|s| s.base_stage == Some(view.stage.index))
    {
        return Err(Decline::BuiltOn {
            stage: stage_name(child),
        });
    }
    Ok(())
}

/// What one instruction of another stage takes from the stage: the context paths it copies
/// out, `None` when it takes nothing.
fn copied_from(
    view: &StageView,
    instruction: &Instruction,
    target: &str,
) -> Result<Option<Vec<String>>, Decline> {
    let line = instruction.start_line();
    if instruction.kind() == Some(InstructionKind::Run) {
        let mounted = instruction.mounts().into_iter().flatten().any(|mount| {
            mount
                .from
                .as_deref()
                .is_some_and(|from| names(view.stage, from))
        });
        return match mounted {
            true => Err(Decline::Mounted { line }),
            false => Ok(None),
        };
    }
    let from = instruction.flag("from").and_then(|flag| flag.value);
    if !from.is_some_and(|from| names(view.stage, &from)) {
        return Ok(None);
    }
    let args = instruction
        .copy_args()
        .ok_or(Decline::CopiedUnknown { line })?;
    let mut paths = Vec::new();
    for source in &args.sources {
        let value = source.value.trim_matches('"');
        if value.contains(['$', '*', '?', '[']) {
            return Err(Decline::CopiedUnknown { line });
        }
        let path = resolve("/", value);
        if is_within(&path, target) {
            return Err(Decline::CopiedWhole { line, path });
        }
        if is_within(target, &path) {
            let relative = path[target.trim_end_matches('/').len()..].trim_start_matches('/');
            if view.context.is_available(relative) {
                paths.push(relative.to_owned());
            }
        }
    }
    Ok(Some(paths))
}

/// Whether a `--from` value names the stage: its name (any case) or its index.
fn names(stage: &Stage, from: &str) -> bool {
    stage
        .name
        .as_deref()
        .is_some_and(|name| name.eq_ignore_ascii_case(from))
        || from.parse::<usize>() == Ok(stage.index)
}

/// A stage as messages name it: its name, else its index.
pub(super) fn stage_name(stage: &Stage) -> String {
    stage
        .name
        .clone()
        .unwrap_or_else(|| stage.index.to_string())
}
