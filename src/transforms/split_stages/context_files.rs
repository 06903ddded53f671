//! Files the build stage copied from the build context that the application may read at run
//! time: templates (`LoadHTMLGlob("/templates/*")`), `Rocket.toml`, `.env`, configuration,
//! static files, migrations. The runtime stage receives every file a `COPY`/`ADD` of the stage
//! brought, at the same path, except the build-only files of the profile and of every ecosystem
//! (`build_files`: sources, build files, caches, tests, the Dockerfile, documentation), grouped
//! into the largest folders none of whose files is build-only; the `.dockerignore` is honoured.
//! When what a copy brings cannot be listed, the split declines and says which copy.

use super::facts::expand;
use super::facts::Facts;
use super::layout::is_glob;
use super::{checks, Decline};
use crate::knowledge::file_types::FileTypes;
use crate::knowledge::runtime_stage::RuntimeStage;
use crate::knowledge::RuntimeImage;
use crate::model::packages::is_assignment;
use crate::model::paths::{is_within, normalize, resolve};
use crate::model::Instruction;
use crate::syntax::{Args, InstructionKind};
use std::path::Path;

/// How many build context entries are looked at before giving up.
const MAX_ENTRIES: usize = 20_000;

/// A path the runtime stage copies from the build stage (to the same path) because the build
/// stage copied it from the build context, with the owner that copy gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ContextCopy {
    pub path: String,
    pub chown: Option<String>,
    /// The instruction of the stage that copied it.
    index: usize,
}

/// The files and folders the stage's `COPY`/`ADD` instructions brought from the build
/// context (or fetched) outside `received` (what the runtime stage already copies), minus
/// build-only files and what a later `RUN` removes; the reason to decline when what a copy
/// brings cannot be listed, a `RUN` moves it, or its owner is not in the runtime image.
pub(super) fn context_copies(
    facts: &Facts,
    received: &[String],
    runtime: &RuntimeImage,
) -> Result<Vec<ContextCopy>, Decline> {
    let mut found: Vec<ContextCopy> = Vec::new();
    for (index, instruction) in facts.instructions.iter().enumerate() {
        if !matches!(
            instruction.kind(),
            Some(InstructionKind::Copy | InstructionKind::Add)
        ) || instruction.flag("from").is_some()
        {
            continue;
        }
        let chown = instruction.flag("chown").and_then(|flag| flag.value);
        for path in copied_paths(facts, index, instruction, received)? {
            found.push(ContextCopy {
                path,
                chown: chown.clone(),
                index,
            });
        }
    }
    let mut copies: Vec<ContextCopy> = Vec::new();
    for copy in found {
        if removed_later(facts, &copy)? {
            continue;
        }
        // A later copy of the same path decides its owner.
        copies.retain(|earlier| earlier.path != copy.path);
        copies.push(copy);
    }
    // A COPY source is a glob: a name holding glob characters would match other files, or
    // none. Its folder is copied instead (sources included: harmless), unless that is a
    // system folder.
    for copy in &mut copies {
        while copy.path.contains(['*', '?', '[', '\\']) {
            let parent = copy.path.rsplit_once('/').map_or("/", |(parent, _)| parent);
            let parent = if parent.is_empty() { "/" } else { parent };
            if RuntimeStage::builtin().is_system_folder(parent) {
                return Err(Decline::GlobCharactersInName {
                    path: copy.path.clone(),
                });
            }
            copy.path = parent.to_owned();
        }
    }
    let mut seen = Vec::new();
    copies.retain(|copy| {
        let first = !seen.contains(&copy.path);
        seen.push(copy.path.clone());
        first
    });
    let all = copies.clone();
    copies.retain(|copy| {
        !all.iter()
            .any(|other| other.path != copy.path && is_within(&other.path, &copy.path))
    });
    for copy in &copies {
        if let Some(chown) = &copy.chown {
            checks::check_owner(facts, chown, runtime)?;
        }
    }
    Ok(copies)
}

/// The paths one `COPY`/`ADD` put in the image that the runtime stage must receive.
pub(super) fn copied_paths(
    facts: &Facts,
    index: usize,
    instruction: &Instruction,
    received: &[String],
) -> Result<Vec<String>, Decline> {
    let keyword = instruction.keyword().value.to_ascii_uppercase();
    for flag in ["exclude", "parents"] {
        if instruction.flag(flag).is_some() {
            return Err(Decline::CopyFlag {
                keyword,
                flag,
                line: instruction.start_line(),
            });
        }
    }
    let variables = facts.variables_before(index);
    let literal = |text: &str| {
        expand(text, &variables).ok_or_else(|| Decline::CopyVariable {
            keyword: keyword.clone(),
            line: instruction.start_line(),
        })
    };
    let place = |destination: &str| -> Result<String, Decline> {
        if destination.starts_with('/') {
            return Ok(normalize(destination));
        }
        let cwd = facts.workdir_before(index).ok().flatten().ok_or_else(|| {
            Decline::CopyIntoUnknownFolder {
                keyword: keyword.clone(),
                line: instruction.start_line(),
            }
        })?;
        Ok(resolve(&cwd, destination))
    };
    // A heredoc's text becomes a file at the destination.
    if instruction.heredoc_count() > 0 {
        let Args::Words(words) = instruction.args() else {
            return Ok(Vec::new());
        };
        let Some(destination) = words.last() else {
            return Ok(Vec::new());
        };
        let path = place(&literal(&destination.value)?)?;
        return Ok(outside(received, vec![path]));
    }
    let Some(args) = instruction.copy_args() else {
        return Ok(Vec::new());
    };
    let written = literal(&args.destination.value)?;
    let destination = place(&written)?;
    if received
        .iter()
        .any(|folder| is_within(folder, &destination))
    {
        return Ok(Vec::new());
    }
    let sources = args
        .sources
        .iter()
        .map(|source| literal(&source.value))
        .collect::<Result<Vec<_>, _>>()?;
    let into_folder = written.ends_with('/')
        || sources.len() > 1
        || sources.iter().any(|source| is_glob(source))
        || is_known_folder(facts, &destination, index);
    let is_add = instruction.kind() == Some(InstructionKind::Add);
    let mut paths = Vec::new();
    let mut budget = MAX_ENTRIES;
    for source in &sources {
        if is_add && (source.contains("://") || source.starts_with("git@")) {
            // Fetched at build time: what lands is the destination.
            paths.push(destination.clone());
            continue;
        }
        let relative = normalize(source).trim_start_matches('/').to_owned();
        if !facts.context.has_files() {
            if !is_glob(source) && is_build_file(facts, &relative) {
                continue;
            }
            return Err(Decline::UnknownBuildContext {
                keyword,
                copied: source.clone(),
            });
        }
        let pattern = if relative.is_empty() { "." } else { &relative };
        for matched in facts.context.glob(pattern) {
            let matched = matched.to_string_lossy().into_owned();
            let matched = if matched == "." {
                String::new()
            } else {
                matched
            };
            if !matched.is_empty() && is_build_file(facts, &matched) {
                continue;
            }
            if matched.is_empty() || facts.context.is_dir(&matched) {
                // A folder's contents go into the destination.
                let (_, found) = folder_paths(facts, &matched, &destination, &mut budget)?;
                paths.extend(found);
                continue;
            }
            if is_add && FileTypes::builtin().archive_name(&matched).is_some() {
                return Err(Decline::AddUnpacksArchive {
                    line: instruction.start_line(),
                    archive: matched,
                });
            }
            paths.push(if into_folder {
                let name = matched.rsplit('/').next().unwrap_or(&matched);
                resolve(&destination, name)
            } else {
                destination.clone()
            });
        }
    }
    Ok(outside(received, paths))
}

/// The paths not already inside what the runtime stage receives.
fn outside(received: &[String], paths: Vec<String>) -> Vec<String> {
    paths
        .into_iter()
        .filter(|path| !received.iter().any(|folder| is_within(folder, path)))
        .collect()
}

/// The image paths of a context folder copied to `target`: `target` itself when none of
/// its files is build-only, else its parts that are, folder by folder. The flag says
/// whether the whole folder stays.
pub(super) fn folder_paths(
    facts: &Facts,
    folder: &str,
    target: &str,
    budget: &mut usize,
) -> Result<(bool, Vec<String>), Decline> {
    let root = facts.context.root().ok_or(Decline::ContextFilesUnknown)?;
    let full = if folder.is_empty() {
        root.to_path_buf()
    } else {
        root.join(folder)
    };
    let mut names: Vec<String> = std::fs::read_dir(&full)
        .map_err(|error| Decline::ContextUnreadable {
            folder: folder.to_owned(),
            error: error.to_string(),
        })?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    if names.is_empty() {
        // An empty folder exists in the image too, unless ignored.
        let kept = folder.is_empty() || !facts.context.is_ignored(folder);
        return Ok((
            true,
            if kept {
                vec![target.to_owned()]
            } else {
                Vec::new()
            },
        ));
    }
    let mut whole = true;
    let mut paths = Vec::new();
    for name in names {
        *budget = budget
            .checked_sub(1)
            .ok_or(Decline::TooManyContextFiles { limit: MAX_ENTRIES })?;
        let path = if folder.is_empty() {
            name.clone()
        } else {
            format!("{folder}/{name}")
        };
        let image_path = resolve(target, &name);
        if is_build_file(facts, &path) {
            whole = false;
            continue;
        }
        if is_directory(&root.join(&path)) {
            let (kept, found) = folder_paths(facts, &path, &image_path, budget)?;
            whole &= kept;
            paths.extend(found);
        } else if !facts.context.is_ignored(&path) {
            paths.push(image_path);
        }
    }
    // A system folder is never copied whole: it holds the base image's files too.
    if whole && !paths.is_empty() && !RuntimeStage::builtin().is_system_folder(target) {
        return Ok((true, vec![target.to_owned()]));
    }
    Ok((whole, paths))
}

pub(super) fn is_build_file(facts: &Facts, path: &str) -> bool {
    facts.knowledge.is_build_file(path, Some(facts.profile))
}

/// A folder the image certainly has before the instruction `index`: a system folder, a
/// working directory the stage set, or the destination of an earlier copy into a folder.
pub(super) fn is_known_folder(facts: &Facts, path: &str, index: usize) -> bool {
    if RuntimeStage::builtin().is_system_folder(path) {
        return true;
    }
    (0..=index).any(|at| {
        let instruction = &facts.instructions[at];
        match instruction.kind() {
            Some(InstructionKind::Workdir) => facts
                .workdir_before(at + 1)
                .ok()
                .flatten()
                .is_some_and(|cwd| is_within(path, &cwd)),
            Some(InstructionKind::Copy | InstructionKind::Add) if at < index => instruction
                .copy_args()
                .filter(|args| args.destination.value.ends_with('/'))
                .zip(facts.workdir_before(at).ok().flatten())
                .is_some_and(|(args, cwd)| {
                    is_within(path, &resolve(&cwd, &args.destination.value))
                }),
            _ => false,
        }
    }) || facts
        .base_workdir()
        .is_some_and(|base| is_within(path, base))
}

/// Whether a `RUN` after the copy removes the path (`rm -rf /tmp/requirements.txt`): the
/// original image does not have it either. A `RUN` that moves it makes the split decline:
/// where it went is not traced.
pub(super) fn removed_later(facts: &Facts, copy: &ContextCopy) -> Result<bool, Decline> {
    for (index, run) in facts.instructions.iter().enumerate().skip(copy.index + 1) {
        if run.kind() != Some(InstructionKind::Run) {
            continue;
        }
        let Some(script) = run.script() else { continue };
        let Some(cwd) = facts.workdir_before(index).ok().flatten() else {
            continue;
        };
        for command in &script.lexed.commands {
            let mut words = command
                .words
                .iter()
                .map(|word| word.value.as_str())
                .skip_while(|word| is_assignment(word));
            let program = words.next().unwrap_or_default();
            let program = program.rsplit('/').next().unwrap_or(program);
            if !matches!(program, "rm" | "mv" | "unlink" | "rmdir") {
                continue;
            }
            let operands: Vec<&str> = words.filter(|word| !word.starts_with('-')).collect();
            // `mv a b`: every operand but the last moves.
            let moved = if program == "mv" {
                &operands[..operands.len().saturating_sub(1)]
            } else {
                &operands[..]
            };
            for operand in moved {
                if operand.contains('$') {
                    continue;
                }
                let target = resolve(&cwd, operand);
                if !covers(&target, &copy.path) {
                    continue;
                }
                if program == "mv" {
                    return Err(Decline::RunMovesCopy {
                        line: run.start_line(),
                        path: copy.path.clone(),
                    });
                }
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Whether removing `target` (a path or a glob) removes `path`.
fn covers(target: &str, path: &str) -> bool {
    if !is_glob(target) {
        return is_within(target, path);
    }
    let Ok(glob) = globset::GlobBuilder::new(target)
        .literal_separator(true)
        .build()
    else {
        return false;
    };
    let matcher = glob.compile_matcher();
    let mut candidate = path;
    loop {
        if matcher.is_match(candidate) {
            return true;
        }
        match candidate.rfind('/').filter(|&at| at > 0) {
            Some(at) => candidate = &candidate[..at],
            None => return false,
        }
    }
}

fn is_directory(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|meta| meta.is_dir())
}
