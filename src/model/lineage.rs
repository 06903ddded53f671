//! What an instruction inherits from the stages its stage builds on (`FROM base AS next`): the
//! chain of stages, the instructions that ran before it and the working directory they leave.

use super::{paths, Dockerfile, ImageRef, Instruction, Stage, Workdir};
use std::borrow::Cow;

/// Whether `stage` builds on `ancestor`, directly or through other stages.
pub fn builds_on(file: &Dockerfile, stage: &Stage, ancestor: &Stage) -> bool {
    file.stage_chain(stage)
        .iter()
        .skip(1)
        .any(|base| base.index == ancestor.index)
}

/// The image the stage's lineage starts from (the FROM of its first stage).
pub fn root_image<'f>(file: &'f Dockerfile, stage: &'f Stage) -> &'f ImageRef {
    let chain = file.stage_chain(stage);
    &chain[chain.len() - 1].base
}

/// [`root_image`] with the variables of its FROM replaced by the global ARGs' defaults, when
/// they all have one ([`Dockerfile::base_by_defaults`]); as written otherwise.
pub fn root_image_by_defaults<'f>(file: &'f Dockerfile, stage: &'f Stage) -> Cow<'f, ImageRef> {
    let chain = file.stage_chain(stage);
    let root = chain[chain.len() - 1];
    match file.base_by_defaults(root) {
        Some(image) => Cow::Owned(image),
        None => Cow::Borrowed(&root.base),
    }
}

/// The instructions that made the filesystem `instruction` runs in, in build order: every
/// instruction of the stages its stage builds on, then those before it in its own stage (FROM
/// lines included). Empty before the first FROM.
pub fn history<'f, 'p>(
    file: &'f Dockerfile<'p>,
    instruction: &Instruction,
) -> Vec<&'f Instruction<'p>> {
    let Some(stage) = instruction.stage.and_then(|index| file.stages().get(index)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for base in file.stage_chain(stage).iter().skip(1).rev() {
        out.extend(file.stage_instructions(base));
    }
    out.extend(&file.instructions()[stage.from..instruction.index.max(stage.from)]);
    out
}

/// The working directory after these instructions (in build order), starting from `start`, the
/// image's own when known ([`Dockerfile::workdir_before`] answers it for an instruction). `None` when a WORKDIR uses a variable, or when it is relative and
/// the directory it is relative to is unknown; a later absolute WORKDIR makes it known again.
pub fn workdir_after(instructions: &[&Instruction], start: Option<&str>) -> Option<String> {
    let start = start.map_or_else(Workdir::image, |start| {
        Workdir::Known(paths::normalize(start))
    });
    let cwd = start.after_all(instructions.iter().copied());
    cwd.known().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    #[test]
    fn history_follows_base_stages() {
        let text = "FROM node:20 AS base\nWORKDIR /app\nFROM alpine AS other\nWORKDIR /x\nFROM base AS dev\nWORKDIR src\nCMD ls\n";
        let parse = parse(text);
        let file = Dockerfile::new(&parse);
        let dev = &file.stages()[2];
        let names: Vec<_> = file.stage_chain(dev).iter().map(|s| s.index).collect();
        assert_eq!(names, [2, 0]);
        assert!(builds_on(&file, dev, &file.stages()[0]));
        assert!(!builds_on(&file, dev, &file.stages()[1]));
        assert_eq!(root_image(&file, dev).repository, "node");
        let cmd = &file.instructions()[6];
        let before = history(&file, cmd);
        let lines: Vec<_> = before.iter().map(|i| i.start_line()).collect();
        assert_eq!(lines, [1, 2, 5, 6]);
        assert_eq!(workdir_after(&before, None).as_deref(), Some("/app/src"));
        assert_eq!(workdir_after(&before[2..], None), None);
        assert_eq!(
            workdir_after(&before[2..], Some("/srv/")).as_deref(),
            Some("/srv/src")
        );
    }
}
