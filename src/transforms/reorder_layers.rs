#![doc = include_str!("../../transforms/docs/reorder-layers.md")]

use super::{Applicability, Context, Edit, Finding, Fix, Transform};
use crate::model::packages::package_command;
use crate::model::shell::{Command, Operator};
use crate::model::{Dockerfile, Instruction};
use crate::style::Style;
use crate::syntax::InstructionKind;

pub struct ReorderLayers;

/// Package managers and the verbs that only touch system packages.
const PACKAGE_COMMANDS: &[(&str, &[&str])] = &[
    (
        "apt-get",
        &[
            "update",
            "install",
            "upgrade",
            "dist-upgrade",
            "clean",
            "autoremove",
            "autoclean",
        ],
    ),
    (
        "apt",
        &["update", "install", "upgrade", "clean", "autoremove"],
    ),
    ("apk", &["add", "update", "upgrade"]),
    ("dnf", &["install", "clean", "makecache", "upgrade"]),
    ("yum", &["install", "clean", "makecache", "update"]),
    ("microdnf", &["install", "clean", "update"]),
];
const CACHE_FOLDERS: &[&str] = &[
    "/var/lib/apt/lists",
    "/var/cache/apt",
    "/var/cache/apk",
    "/var/cache/dnf",
    "/var/cache/yum",
];
const SYSTEM_FOLDERS: &[&str] = &[
    "/etc", "/usr", "/var", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin",
];

impl Transform for ReorderLayers {
    fn id(&self) -> &'static str {
        "reorder-layers"
    }
    fn summary(&self) -> &'static str {
        "System package installs and metadata move before the first COPY of the build context"
    }
    fn documentation(&self) -> &'static str {
        include_str!("../../transforms/docs/reorder-layers.md")
    }
    fn max_applicability(&self) -> Applicability {
        Applicability::Safe
    }

    fn run(&self, file: &Dockerfile, _context: &Context, out: &mut Vec<Finding>) {
        let newline = Style::detect(file.parse()).newline;
        for stage in file.stages() {
            let instructions = file.stage_instructions(stage);
            let Some(target) = instructions.iter().position(is_context_copy) else {
                continue;
            };
            for (offset, instruction) in instructions.iter().enumerate().skip(target + 1) {
                let Some(mover) = Mover::of(instruction) else {
                    continue;
                };
                let jumps = (target..offset)
                    .all(|jumped| mover.may_jump(&instructions[jumped], &instructions[..jumped]));
                if jumps {
                    out.push(self.finding(file, instruction, &instructions[target], newline));
                }
            }
        }
    }
}

impl ReorderLayers {
    fn finding(
        &self,
        file: &Dockerfile,
        moved: &Instruction,
        target: &Instruction,
        newline: &str,
    ) -> Finding {
        let mut block = file.block_range(moved);
        let mut text = block.slice(file.text()).to_owned();
        if !text.ends_with('\n') {
            // The last line of a file without a final newline: take the line break before it
            // along, so the file still ends without one.
            text.push_str(newline);
            let before = &file.text()[..block.start];
            block.start -= ["\r\n", "\n"]
                .iter()
                .find(|end| before.ends_with(*end))
                .map_or(0, |end| end.len());
        }
        let at = file.block_range(target).start;
        let what = moved.keyword().value.to_ascii_uppercase();
        Finding {
            transform: self.id(),
            message: format!(
                "{what} does not depend on the build context: move it before line {} so source edits do not re-run it",
                target.start_line()
            ),
            range: moved.range(),
            fix: Some(Fix::safe(vec![Edit::insert(at, text), Edit::delete(block)])),
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
                if !instruction.logical_text().contains('$') =>
            {
                Some(Mover::Metadata)
            }
            InstructionKind::Run if is_package_run(instruction) => Some(Mover::Packages),
            _ => None,
        }
    }

    /// Whether the mover may jump over `jumped`, given the stage's instructions before it.
    fn may_jump(&self, jumped: &Instruction, before: &[Instruction]) -> bool {
        use InstructionKind::*;
        if matches!(self, Mover::Metadata) {
            return true;
        }
        match jumped.kind() {
            Some(Copy | Add) => copies_outside_system_folders(jumped, before),
            Some(
                Workdir | Label | Expose | Cmd | Entrypoint | Healthcheck | Stopsignal | Maintainer,
            ) => true,
            _ => false,
        }
    }
}

/// A shell-form RUN of literal system package commands only.
fn is_package_run(run: &Instruction) -> bool {
    let reads_context = run.flags().iter().any(|flag| {
        flag.name.eq_ignore_ascii_case("mount")
            && !flag
                .value
                .as_deref()
                .is_some_and(|v| v.contains("type=cache") || v.contains("type=tmpfs"))
    });
    let Some(script) = run.script() else {
        return false;
    };
    let lexed = &script.lexed;
    if reads_context
        || run.heredoc_count() > 0
        || lexed.incomplete
        || lexed.has_grouping
        || lexed.has_comment
    {
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
    PACKAGE_COMMANDS.iter().any(|(program, verbs)| {
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
    CACHE_FOLDERS.iter().any(|folder| word.starts_with(folder))
}

fn is_cache_cleanup(command: &Command) -> bool {
    command.name() == Some("rm")
        && command
            .arg_values()
            .all(|arg| arg.starts_with('-') || is_cache_glob(arg))
        && command.arg_values().any(is_cache_glob)
}

/// The COPY/ADD destination resolves, through the stage's WORKDIRs, outside system folders.
fn copies_outside_system_folders(copy: &Instruction, before: &[Instruction]) -> bool {
    let Some(args) = copy.copy_args() else {
        return false;
    };
    let destination = args.destination.value.trim_matches('"');
    if destination.contains('$') {
        return false;
    }
    let absolute = if destination.starts_with('/') {
        destination.to_owned()
    } else {
        match workdir(before) {
            Some(workdir) => format!("{}/{destination}", workdir.trim_end_matches('/')),
            None => return false,
        }
    };
    let normalized = absolute.replace("/./", "/");
    !SYSTEM_FOLDERS
        .iter()
        .any(|folder| normalized == *folder || normalized.starts_with(&format!("{folder}/")))
}

/// The literal, absolute WORKDIR set by these instructions (only this stage's WORKDIRs are known).
fn workdir(before: &[Instruction]) -> Option<String> {
    let mut workdir: Option<String> = None;
    for instruction in before
        .iter()
        .filter(|i| i.kind() == Some(InstructionKind::Workdir))
    {
        let value = instruction.string_arg()?.value;
        if value.contains('$') {
            return None;
        }
        workdir = Some(match (value.starts_with('/'), workdir) {
            (true, _) => value,
            (false, Some(previous)) => format!("{}/{value}", previous.trim_end_matches('/')),
            (false, None) => return None,
        });
    }
    workdir
}
