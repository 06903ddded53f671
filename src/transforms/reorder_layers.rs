#![doc = include_str!("../../transforms/docs/reorder-layers.md")]

use super::{Applicability, Changes, Context, Finding, Fix, Metadata, Transform};
use crate::diagnostics::Rewriter;
use crate::model::mounts::MountType;
use crate::model::packages::{package_command, package_managers};
use crate::model::shell::{Command, Operator};
use crate::model::{lineage, paths, Dockerfile, Instruction};
use crate::syntax::{Args, InstructionKind};

pub struct ReorderLayers;

impl Transform for ReorderLayers {
    fn metadata(&self) -> &'static Metadata {
        &Metadata {
            id: "reorder-layers",
            summary: "System package installs and metadata move before the first COPY of the build context",
            documentation: include_str!("../../transforms/docs/reorder-layers.md"),
            enabled_by_default: true,
            max_applicability: Applicability::Safe,
            changes: Changes::Dockerfile,
            intended_changes: &[],
        }
    }

    fn run(&self, file: &Dockerfile, context: &Context, out: &mut Vec<Finding>) {
        for stage in file.stages() {
            let instructions = file.stage_instructions(stage);
            let Some(target) = instructions.iter().position(is_context_copy) else {
                continue;
            };
            // Movers that reach the target, in this round or after the movers before them.
            let mut moves = vec![false; instructions.len()];
            for (offset, instruction) in instructions.iter().enumerate().skip(target + 1) {
                let Some(mover) = Mover::of(instruction) else {
                    continue;
                };
                if let Some(why) = mount_blocker(instruction) {
                    out.push(self.declined(instruction, &instructions[target], &why));
                    continue;
                }
                let blockers: Vec<(usize, String)> = (target..offset)
                    .filter_map(|jumped| {
                        let why = mover.blocker(file, context, &instructions[jumped])?;
                        Some((jumped, why))
                    })
                    .collect();
                if blockers.is_empty() {
                    moves[offset] = true;
                    out.push(self.finding(file, instruction, &instructions[target]));
                    continue;
                }
                // A blocking package RUN that moves itself stops blocking in a later round.
                match blockers.iter().rev().find(|(jumped, _)| !moves[*jumped]) {
                    None => moves[offset] = true,
                    Some((_, why)) => {
                        out.push(self.declined(instruction, &instructions[target], why))
                    }
                }
            }
        }
    }
}

impl ReorderLayers {
    fn finding(&self, file: &Dockerfile, moved: &Instruction, target: &Instruction) -> Finding {
        let mut rewriter = Rewriter::new(file);
        rewriter.move_lines(file.block_range(moved), file.block_range(target).start);
        let what = moved.keyword().value.to_ascii_uppercase();
        Finding {
            transform: self.id(),
            message: format!(
                "{what} does not depend on the build context: move it before line {} so source edits do not re-run it",
                target.start_line()
            ),
            range: moved.range(),
            fix: Some(Fix::safe(rewriter.finish())),
        }
    }
}

impl ReorderLayers {
    /// A package install that stays after the context COPY, and why.
    fn declined(&self, run: &Instruction, target: &Instruction, why: &str) -> Finding {
        Finding {
            transform: self.id(),
            message: format!(
                "this package install comes after the first COPY from the build context (line {}), so editing those files re-runs it; not moved before that COPY: {why}",
                target.start_line()
            ),
            range: run.range(),
            fix: None,
        }
    }
}

/// A COPY or ADD from the build context (not `--from` another stage or image).
fn is_context_copy(instruction: &Instruction) -> bool {
    matches!(
        instruction.kind(),
        Some(InstructionKind::Copy | InstructionKind::Add)
    ) && instruction.flag("from").is_none()
}

/// An instruction that may move, and what it may jump over.
enum Mover {
    Metadata,
    Packages,
}

impl Mover {
    fn of(instruction: &Instruction) -> Option<Mover> {
        match instruction.kind()? {
            InstructionKind::Label | InstructionKind::Expose
                if !instruction.mentions_variable() =>
            {
                Some(Mover::Metadata)
            }
            InstructionKind::Run if is_package_run(instruction) => Some(Mover::Packages),
            _ => None,
        }
    }

    /// Why the mover may not jump over `jumped` (`None`: it may).
    fn blocker(
        &self,
        file: &Dockerfile,
        context: &Context,
        jumped: &Instruction,
    ) -> Option<String> {
        use InstructionKind::*;
        if matches!(self, Mover::Metadata) {
            return None;
        }
        let line = jumped.start_line();
        let keyword = jumped.keyword().value.to_ascii_uppercase();
        match jumped.kind()? {
            Copy | Add => copy_blocker(file, context, jumped),
            Workdir | Label | Expose | Cmd | Entrypoint | Healthcheck | Stopsignal | Maintainer => {
                None
            }
            Run => Some(format!(
                "the RUN on line {line} runs in between, and the install may depend on it or change what it does"
            )),
            Env | Arg => Some(format!(
                "the {keyword} on line {line} sets variables the install sees"
            )),
            User => Some(format!(
                "the USER on line {line} changes the user it runs as"
            )),
            Shell => Some(format!(
                "the SHELL on line {line} changes the shell that runs it"
            )),
            Volume => Some(format!(
                "the VOLUME on line {line} discards what later instructions write into its folders"
            )),
            _ => Some(format!(
                "the {keyword} on line {line} may change what it does"
            )),
        }
    }
}

/// A `--mount` other than a cache or tmpfs (a bind, secret or ssh mount, or one BuildKit rejects):
/// it brings in files the install may read, so the RUN stays where it is.
fn mount_blocker(run: &Instruction) -> Option<String> {
    run.mounts().iter().find_map(|mount| match mount {
        Ok(mount) if matches!(mount.kind, MountType::Cache | MountType::Tmpfs) => None,
        Ok(mount) => Some(format!(
            "its {} mount brings in files the install may read",
            mount.kind.as_str()
        )),
        Err(error) => Some(format!("its --mount cannot be read ({error})")),
    })
}

/// A shell-form RUN of literal system package commands only (mounts aside).
fn is_package_run(run: &Instruction) -> bool {
    // A bind, secret or ssh mount brings in files the install may read.
    let Some(script) = run.script() else {
        return false;
    };
    let lexed = &script.lexed;
    if run.heredoc_count() > 0 || lexed.incomplete || lexed.has_grouping || lexed.has_comment {
        return false;
    }
    lexed.commands.iter().all(|command| {
        let joined = matches!(
            command.next,
            None | Some((Operator::And | Operator::Semicolon, _))
        );
        let literal = command.redirects.is_empty()
            && command
                .words
                .iter()
                .all(|w| !w.has_expansion && !w.has_glob || is_cache_glob(&w.value));
        joined && literal && (is_package_command(command) || is_cache_cleanup(command))
    })
}

fn is_package_command(command: &Command) -> bool {
    package_managers()
        .system_verbs
        .iter()
        .any(|(program, verbs)| {
            package_command(0, command, &[program], verbs).is_some_and(|found| {
                found.rest.iter().all(|word| {
                    !word.value.contains('/')
                        && !word.value.ends_with(".deb")
                        && !word.value.ends_with(".rpm")
                })
            })
        })
}

fn is_cache_glob(word: &str) -> bool {
    package_managers()
        .cache_folders
        .iter()
        .any(|folder| word.starts_with(folder.as_str()))
}

fn is_cache_cleanup(command: &Command) -> bool {
    command.name() == Some("rm")
        && command
            .arg_values()
            .all(|arg| arg.starts_with('-') || is_cache_glob(arg))
        && command.arg_values().any(is_cache_glob)
}

/// Why a package install may not move above this COPY/ADD: its destination is `/` or a system
/// folder (where it can deliver configuration the install reads: package sources,
/// `policy-rc.d`, `pip.conf`, `.npmrc`), or cannot be resolved. `None` when it copies elsewhere.
fn copy_blocker(file: &Dockerfile, context: &Context, copy: &Instruction) -> Option<String> {
    let line = copy.start_line();
    let keyword = copy.keyword().value.to_ascii_uppercase();
    let Some(destination) = destination(copy) else {
        return Some(format!(
            "the destination of the {keyword} on line {line} cannot be read"
        ));
    };
    if destination.contains('$') {
        return Some(format!(
            "the destination of the {keyword} on line {line} uses a variable, so it may write where the install reads its configuration"
        ));
    }
    let resolved = if destination.starts_with('/') {
        paths::normalize(&destination)
    } else {
        let stage = file.stages().get(copy.stage?)?;
        let image = lineage::root_image(file, stage);
        let start = context.knowledge().image_workdir(image);
        match file.workdir_before(copy).known_with(start) {
            Some(cwd) => paths::resolve(&cwd, &destination),
            None => {
                return Some(format!(
                    "the {keyword} on line {line} copies into `{destination}` relative to a working directory that is not known (it may be /)"
                ))
            }
        }
    };
    let system = package_managers().system_folders.iter().find(|folder| {
        paths::is_within(folder, &resolved) || paths::is_within(&resolved, folder)
    })?;
    let place = if resolved == "/" {
        "into /, the root of the file system".to_owned()
    } else if resolved == *system {
        format!("into the system folder {system}")
    } else {
        format!("to {resolved}, in the system folder {system}")
    };
    Some(format!(
        "the {keyword} on line {line} copies {place}, where it can deliver files the install reads (package sources and keys, policy-rc.d, pip.conf, .npmrc, …) or that it overwrites"
    ))
}

/// The destination of a COPY/ADD as written, quotes removed (also with heredoc sources).
fn destination(copy: &Instruction) -> Option<String> {
    let written = match copy.copy_args() {
        Some(args) => args.destination.value,
        None => match copy.args() {
            Args::Words(words) => words.last()?.value.clone(),
            _ => return None,
        },
    };
    Some(written.trim_matches('"').to_owned())
}
