//! What else touches a cache folder besides the RUNs that get the mount: a COPY or ADD that puts
//! files there (the mount would hide them), a later instruction that reads it from a family
//! stage (`COPY --from=deps /go/pkg/mod …`, a bind mount), and a container command that reads
//! the cache at run time (`npx`, `go run`, `mvn spring-boot:run`).

use super::decline::Decline;
use super::hazards::{names_command, reach, text_words, unseen, Reach, Unseen};
use crate::context::ContextFiles;
use crate::knowledge::{KnowledgeBase, NamedCache};
use crate::model::mounts::MountType;
use crate::model::paths::{self, is_within};
use crate::model::script::{self, CommandLine, CommandWord};
use crate::model::{lineage, Dockerfile, Instruction, Stage};
use crate::syntax::InstructionKind;
use std::path::Path;

/// The stages whose filesystems share the caches: a stage and those built on it.
pub(super) struct Family<'a, 'p> {
    pub file: &'a Dockerfile<'p>,
    pub stages: Vec<&'a Stage>,
    pub knowledge: &'a KnowledgeBase,
    /// The build context's files, when known.
    pub context: Option<&'a dyn ContextFiles>,
}

/// Whether one folder holds the other (or they are the same).
fn overlaps(a: &str, b: &str) -> bool {
    is_within(a, b) || is_within(b, a)
}

impl Family<'_, '_> {
    pub(super) fn instructions(&self) -> impl Iterator<Item = &Instruction<'_>> {
        self.stages
            .iter()
            .flat_map(|stage| self.file.stage_instructions(stage))
    }

    fn holds(&self, stage: usize) -> bool {
        self.stages.iter().any(|s| s.index == stage)
    }

    /// A COPY or ADD of the family that puts files in one of the folders: its destination is in
    /// the folder, or holds it and what is copied may hold the folder's path.
    pub(super) fn copied_into(&self, folders: &[String]) -> Option<Decline> {
        for copy in self.instructions().filter(|i| is_copy(i)) {
            let Some(destination) = self.destination(copy) else {
                continue;
            };
            let found = folders
                .iter()
                .find(|folder| self.may_fill(copy, &destination, folder));
            if let Some(folder) = found {
                return Some(Decline::CopiedInto {
                    line: copy.start_line(),
                    folder: folder.clone(),
                });
            }
        }
        None
    }

    /// Whether a COPY to `destination` may put files in `folder`: the destination is in it, or
    /// holds it (other than `/`) and the copy brings the folder's path along. From the build
    /// context that is known by looking (the whole context, or a copied folder, holding that
    /// path); without it only a copy of the whole context may; from a stage or image, any may.
    fn may_fill(&self, copy: &Instruction, destination: &str, folder: &str) -> bool {
        if is_within(folder, destination) {
            return true;
        }
        if destination == "/" || !is_within(destination, folder) {
            return false;
        }
        if copy.flag("from").is_some() {
            return true;
        }
        let relative = folder[destination.len()..].trim_start_matches('/');
        let sources = copy
            .copy_args()
            .map(|args| args.sources)
            .unwrap_or_default();
        sources.iter().any(|source| {
            let source = source.value.trim_start_matches("./").trim_end_matches('/');
            let whole = source.is_empty() || source == ".";
            match (self.context, whole) {
                (None, whole) => whole,
                (Some(context), true) => context.is_available(Path::new(relative)),
                (Some(context), false) => {
                    let inside = Path::new(source).join(relative);
                    context.is_dir(Path::new(source)) && context.is_available(&inside)
                }
            }
        })
    }

    /// Where a COPY or ADD puts its files, when known.
    fn destination(&self, copy: &Instruction) -> Option<String> {
        let written = copy.copy_args()?.destination.value;
        let destination = match written.contains('$') {
            true => self.file.expand(copy, &written)?,
            false => written,
        };
        if destination.starts_with('/') {
            return Some(paths::normalize(&destination));
        }
        let stage = self.file.stages().get(copy.stage?)?;
        let image = lineage::root_image_by_defaults(self.file, stage);
        let start = self.knowledge.image_workdir(&image);
        let cwd = self.file.workdir_before(copy).known_with(start)?;
        Some(paths::resolve(&cwd, &destination))
    }

    /// An instruction anywhere in the file that reads one of the folders from a family stage:
    /// `COPY --from=STAGE` or a bind mount `from=STAGE`.
    pub(super) fn read_later(&self, folders: &[String]) -> Option<Decline> {
        for instruction in self.file.instructions() {
            for source in self.sources_from_family(instruction) {
                let path = paths::normalize(&format!("/{}", source.trim_start_matches('/')));
                if let Some(folder) = folders.iter().find(|f| overlaps(f, &path)) {
                    return Some(Decline::ReadLater {
                        line: instruction.start_line(),
                        folder: folder.clone(),
                    });
                }
            }
        }
        None
    }

    /// The source paths an instruction reads from a family stage.
    fn sources_from_family(&self, instruction: &Instruction) -> Vec<String> {
        if is_copy(instruction) {
            let from = instruction.flag("from").and_then(|flag| flag.value);
            if from.is_some_and(|from| self.names_member(&from)) {
                let sources = instruction.copy_args().map(|args| args.sources);
                return sources
                    .unwrap_or_default()
                    .into_iter()
                    .map(|s| s.value)
                    .collect();
            }
            return Vec::new();
        }
        instruction
            .mounts()
            .into_iter()
            .flatten()
            .filter(|mount| mount.kind == MountType::Bind)
            .filter(|mount| mount.from.as_deref().is_some_and(|f| self.names_member(f)))
            .map(|mount| mount.source.unwrap_or_else(|| "/".to_owned()))
            .collect()
    }

    /// Whether a `--from` value names a family stage (by name or index).
    fn names_member(&self, from: &str) -> bool {
        let by_index = from.parse::<usize>().ok();
        self.file.stages().iter().any(|stage| {
            let named = stage
                .name
                .as_deref()
                .is_some_and(|name| name.eq_ignore_ascii_case(from));
            (named || by_index == Some(stage.index)) && self.holds(stage.index)
        })
    }

    /// A command a family stage's container runs (its CMD, ENTRYPOINT or HEALTHCHECK, its own or
    /// inherited) that reads the cache at run time, itself or unseen (a script, a build driver,
    /// read as for RUNs).
    pub(super) fn read_at_run_time(&self, cache: &NamedCache) -> Option<Decline> {
        let kinds = [
            InstructionKind::Cmd,
            InstructionKind::Entrypoint,
            InstructionKind::Healthcheck,
        ];
        for stage in &self.stages {
            for kind in kinds {
                let Some(instruction) = self.last_of(stage, kind) else {
                    continue;
                };
                let line = instruction.start_line();
                match self.runtime_command(instruction, cache) {
                    Some(RunTimeRead::Runs(command)) => {
                        return Some(Decline::ReadAtRunTime { line, command })
                    }
                    Some(RunTimeRead::Unseen(command)) => {
                        return Some(Decline::UnseenAtRunTime { line, command })
                    }
                    None => {}
                }
            }
        }
        None
    }

    /// The last instruction of a kind in force at the end of a stage (its chain included).
    fn last_of<'s>(&'s self, stage: &Stage, kind: InstructionKind) -> Option<&'s Instruction<'s>> {
        let chain = self.file.stage_chain(stage);
        chain.iter().find_map(|link| {
            let instructions = self.file.stage_instructions(link);
            instructions.iter().rev().find(|i| i.kind() == Some(kind))
        })
    }

    /// How the instruction's command reads the cache, if it does.
    fn runtime_command(
        &self,
        instruction: &Instruction,
        cache: &NamedCache,
    ) -> Option<RunTimeRead> {
        let value_options: Vec<&str> = cache.value_options.iter().map(String::as_str).collect();
        if let Some(script) = self.file.script(instruction) {
            let tree = script.tree().script.clone();
            return self.first_read(&tree, &value_options, cache);
        }
        let words = instruction
            .exec_form()
            .or_else(|| instruction.health_exec_form())?;
        let line = CommandLine::read(&words, &value_options)?;
        let shell_script = match line.positional_values().collect::<Vec<_>>().as_slice() {
            [text] if self.knowledge.is_shell(line.name()) && line.has_option("-c") => {
                (*text).to_owned()
            }
            _ => return self.read_by(&line, cache),
        };
        self.first_read(&script::parse(&shell_script).script, &value_options, cache)
    }

    /// The first command of a script that reads the cache at run time.
    fn first_read(
        &self,
        tree: &script::Script,
        value_options: &[&str],
        cache: &NamedCache,
    ) -> Option<RunTimeRead> {
        let commands = tree.simple_commands();
        commands.iter().find_map(|command| {
            let line = command.command_line(value_options)?;
            self.read_by(&line, cache)
        })
    }

    /// Whether one command reads the cache at run time: it runs a `runtime` command, or hands
    /// its commands to a script or build file that names one (or cannot be read). A program
    /// named by a path is followed only into the build context: without it, it is taken for
    /// what the build made.
    fn read_by<W: CommandWord>(
        &self,
        line: &CommandLine<W>,
        cache: &NamedCache,
    ) -> Option<RunTimeRead> {
        let patterns = &cache.spec.runtime;
        if let Some(pattern) = patterns.iter().find(|p| p.matches(line)) {
            return Some(RunTimeRead::Runs(pattern.describe()));
        }
        let unseen = unseen(line)?;
        let written = || {
            let words = std::iter::once(line.program).chain(line.arguments);
            words.map(CommandWord::value).collect::<Vec<_>>().join(" ")
        };
        let path_program = matches!(unseen, Unseen::Files { script: false, .. })
            && line.program.value().contains('/');
        if path_program && self.context.is_none() {
            return None;
        }
        let runs = |text: &str| match names_command(&text_words(text), patterns) {
            true => Reach::Runs,
            false => Reach::None,
        };
        // `sh ./mvnw spring-boot:run` runs what its operand and words say, as `./mvnw …` would.
        let operands: Vec<&str> = line.positional_values().collect();
        let shell_file = matches!(unseen, Unseen::Files { script: true, .. });
        if shell_file && runs(&operands.join(" ")) == Reach::Runs {
            return Some(RunTimeRead::Unseen(written()));
        }
        match reach(self.context, unseen, runs) {
            Reach::None => None,
            _ => Some(RunTimeRead::Unseen(written())),
        }
    }
}

/// How a container's command reads the cache at run time.
enum RunTimeRead {
    /// It runs a `runtime` command (described).
    Runs(String),
    /// It hands its commands to a script or build file that may (the command as written).
    Unseen(String),
}

fn is_copy(instruction: &Instruction) -> bool {
    matches!(
        instruction.kind(),
        Some(InstructionKind::Copy | InstructionKind::Add)
    )
}

/// Whether a RUN's existing mounts already cover `folder`: a mount at it, above it or inside
/// it (of any type), or one whose target cannot be told.
pub(super) fn already_mounted(run: &Instruction, folder: &str, cwd: Option<&str>) -> bool {
    run.mounts().iter().any(|mount| match mount {
        Err(_) => true,
        Ok(mount) if mount.target.is_none() => {
            !matches!(mount.kind, MountType::Secret | MountType::Ssh)
        }
        Ok(mount) => mount
            .resolved_target(cwd)
            .is_none_or(|target| overlaps(&target, folder)),
    })
}
