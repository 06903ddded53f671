//! Programs the stage copies from images (`COPY --from=composer:2 /usr/bin/composer …`), for a
//! runtime stage on the builder's own image: the profile's `[runtime.same_image]` says which
//! image and file each is and whether only builds run it. A build tool stays behind; another
//! program (RoadRunner's `rr`, which the command may run) is copied to the runtime stage at
//! the path it landed at; a copy of anything else from an image declines.

use super::facts::{expand, Facts};
use super::Decline;
use crate::knowledge::runtime_stage::RuntimeStage;
use crate::knowledge::{image_name, SameImage};
use crate::model::paths::{normalize, resolve};
use crate::model::{Dockerfile, ImageRef, Instruction, Stage};
use crate::syntax::InstructionKind;

/// Whether a `COPY --from` names a stage of the file (by name or index) rather than an image.
pub(super) fn copies_from_stage(file: &Dockerfile, instruction: &Instruction) -> bool {
    let Some(from) = instruction.flag("from").and_then(|flag| flag.value) else {
        return false;
    };
    let is_stage = |stage: &Stage| {
        stage
            .name
            .as_deref()
            .is_some_and(|name| name.eq_ignore_ascii_case(&from))
    };
    from.chars().all(|c| c.is_ascii_digit()) || file.stages().iter().any(is_stage)
}

/// The paths, in the build stage, of the programs copied from images that the runtime stage
/// receives; the reason to decline for a copy from an image that is not a known program.
pub(super) fn runtime_tools(facts: &Facts, same: &SameImage) -> Result<Vec<String>, Decline> {
    let mut tools = Vec::new();
    for (index, instruction) in facts.instructions.iter().enumerate() {
        let Some(from) = instruction.flag("from").and_then(|flag| flag.value) else {
            continue;
        };
        if !matches!(
            instruction.kind(),
            Some(InstructionKind::Copy | InstructionKind::Add)
        ) {
            continue;
        }
        let line = instruction.start_line();
        let unknown = |file: &str| Decline::ImageCopy {
            line,
            image: from.clone(),
            file: file.to_owned(),
        };
        let image = ImageRef::parse(&from);
        let args = instruction
            .copy_args()
            .ok_or_else(|| unknown("its sources"))?;
        if image.has_variables() {
            return Err(unknown(&args.destination.value));
        }
        let name = image_name(&image);
        let variables = facts.variables_before(index);
        let destination = expand(&args.destination.value, &variables)
            .ok_or_else(|| unknown(&args.destination.value))?;
        let into_folder = destination.ends_with('/')
            || args.sources.len() > 1
            || RuntimeStage::builtin().is_system_folder(&normalize(&destination));
        let destination = if destination.starts_with('/') {
            normalize(&destination)
        } else {
            let cwd = facts
                .workdir_before(index)
                .ok()
                .flatten()
                .ok_or_else(|| unknown(&destination))?;
            resolve(&cwd, &destination)
        };
        for source in &args.sources {
            let file = source.value.trim_end_matches('/');
            let file = file.rsplit('/').next().unwrap_or(file);
            let tool = same
                .image_tool(&name, file)
                .ok_or_else(|| unknown(&source.value))?;
            if tool.build_only {
                continue;
            }
            tools.push(if into_folder {
                resolve(&destination, file)
            } else {
                destination.clone()
            });
        }
    }
    Ok(tools)
}
