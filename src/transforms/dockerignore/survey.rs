//! What the transforms that exclude build context paths (`dockerignore`, `secrets-in-context`)
//! read: the context's entries, the instructions that copy from it, and what the Dockerfile
//! takes from it by name or mentions in its commands (never excluded).

use crate::context::pattern::{clean, has_meta, ComponentGlob};
use crate::context::{BuildContext, ContextEntry};
use crate::knowledge::exclusions::Exclusions;
use crate::model::mounts::MountType;
use crate::model::{Dockerfile, Instruction};
use crate::syntax::InstructionKind;
use std::collections::BTreeSet;

/// More entries than this and the context is not surveyed: the answer would be partial.
const MAX_ENTRIES: usize = 50_000;

/// The context's entries, without entering the folders a walk skips (`[walk]` of
/// `dockerignore.toml`), walked once per opened context for both transforms; `None` when the
/// context is unknown or too large.
pub fn entries(build: &BuildContext) -> Option<&[ContextEntry]> {
    let exclusions = Exclusions::builtin();
    build.survey(&|entry| !exclusions.skips(entry.name()), MAX_ENTRIES)
}

/// A COPY or ADD from the build context (no `--from`, not a heredoc).
fn context_copy_sources(instruction: &Instruction) -> Option<Vec<String>> {
    if instruction.flag("from").is_some() {
        return None;
    }
    let args = instruction.copy_args()?;
    Some(
        args.sources
            .iter()
            .map(|source| source.value.trim_matches('"').to_owned())
            .filter(|source| !is_remote(source))
            .collect(),
    )
}

fn is_remote(source: &str) -> bool {
    source.contains("://") || source.starts_with("git@")
}

/// A source as a path relative to the context root (`./a/` → `a`, `.` → ``).
fn context_path(source: &str) -> String {
    let cleaned = clean(source);
    let relative = cleaned.trim_start_matches('/');
    if relative == "." {
        String::new()
    } else {
        relative.to_owned()
    }
}

/// Which context paths a COPY or ADD copies without naming them: everything (`COPY . …`,
/// `COPY * …`), or what is inside the folders it names.
#[derive(Clone, Debug)]
pub struct Copied {
    whole: bool,
    folders: Vec<String>,
}

impl Copied {
    /// What `instruction` copies, when it copies from the build context.
    pub fn by(instruction: &Instruction, build: &BuildContext) -> Option<Copied> {
        let sources = context_copy_sources(instruction)?;
        let paths: Vec<String> = sources.iter().map(|source| context_path(source)).collect();
        let whole = paths.iter().any(|path| path.is_empty() || path == "*");
        let folders = paths
            .into_iter()
            .filter(|path| !path.is_empty() && !has_meta(path) && build.is_dir(path))
            .collect();
        Some(Copied { whole, folders })
    }

    /// Whether it copies `path` without naming it.
    pub fn takes(&self, path: &str) -> bool {
        self.whole
            || self
                .folders
                .iter()
                .any(|folder| path.starts_with(&format!("{folder}/")))
    }
}

/// The first COPY or ADD that copies the whole build context.
pub fn first_whole_context_copy<'f, 'p>(
    file: &'f Dockerfile<'p>,
    build: &BuildContext,
) -> Option<&'f Instruction<'p>> {
    file.instructions()
        .iter()
        .find(|instruction| Copied::by(instruction, build).is_some_and(|copied| copied.whole))
}

/// What a Dockerfile takes from its build context by name, and the words its commands use:
/// an entry it names is never excluded.
#[derive(Clone, Debug, Default)]
pub struct Named {
    /// COPY/ADD and bind-mount sources relative to the context root, whole-context ones left
    /// out, as globs over their components (a source that is no valid glob matches nothing).
    sources: Vec<Vec<ComponentGlob>>,
    /// The path components that RUN, CMD, ENTRYPOINT, HEALTHCHECK, ENV, WORKDIR and VOLUME
    /// mention.
    words: BTreeSet<String>,
}

impl Named {
    /// Reads what `file` names.
    pub fn of(file: &Dockerfile) -> Named {
        let mut named = Named::default();
        for instruction in file.instructions() {
            let copied = context_copy_sources(instruction)
                .unwrap_or_default()
                .into_iter()
                .map(|source| context_path(&source))
                .filter(|path| !path.is_empty() && path != "*");
            let sources = copied.chain(bind_mount_sources(instruction));
            named
                .sources
                .extend(sources.filter_map(|source| component_globs(&source)));
            if mentions_paths(instruction) {
                named.words.extend(path_components(instruction.source()));
            }
        }
        named
    }

    /// Whether the Dockerfile copies the entry at `path`, or something inside it, by name or by
    /// a glob that matches it.
    pub fn copies(&self, path: &str) -> bool {
        let entry: Vec<&str> = path.split('/').collect();
        self.sources.iter().any(|globs| {
            globs.len() >= entry.len()
                && entry
                    .iter()
                    .zip(globs)
                    .all(|(name, glob)| glob.matches(name))
        })
    }

    /// Whether a command or setting mentions `name` as a path component.
    pub fn mentions(&self, name: &str) -> bool {
        self.words.contains(name)
    }

    /// Whether the entry is the Dockerfile's: copied by name, or mentioned.
    pub fn keeps(&self, entry: &ContextEntry) -> bool {
        self.copies(&entry.path) || self.mentions(entry.name())
    }
}

/// A source path's components as globs; `None` when one is no valid glob.
fn component_globs(source: &str) -> Option<Vec<ComponentGlob>> {
    source
        .split('/')
        .map(|part| ComponentGlob::new(part).ok())
        .collect()
}

/// `RUN --mount=type=bind,source=…` from the build context.
fn bind_mount_sources(instruction: &Instruction) -> Vec<String> {
    instruction
        .mounts()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|mount| mount.kind == MountType::Bind && mount.from.is_none())
        .filter_map(|mount| mount.source)
        .map(|source| context_path(&source))
        .filter(|path| !path.is_empty())
        .collect()
}

fn mentions_paths(instruction: &Instruction) -> bool {
    matches!(
        instruction.kind(),
        Some(
            InstructionKind::Run
                | InstructionKind::Cmd
                | InstructionKind::Entrypoint
                | InstructionKind::Healthcheck
                | InstructionKind::Env
                | InstructionKind::Workdir
                | InstructionKind::Volume
        )
    )
}

/// The path components of a text: runs of the characters names are made of, split at `/`.
fn path_components(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '@' | '~')))
        .filter(|word| !word.is_empty() && *word != "." && *word != "..")
        .map(str::to_owned)
}

/// A command a RUN runs: its RUN and stage, its program's base name and its positional words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunCommand {
    /// The RUN's index among the instructions.
    pub index: usize,
    pub stage: Option<usize>,
    pub program: String,
    pub positionals: Vec<String>,
}

/// Every command the RUNs of `file` run (heredoc scripts included).
pub fn run_commands(file: &Dockerfile) -> Vec<RunCommand> {
    let mut commands = Vec::new();
    for run in file.of_kind(InstructionKind::Run) {
        let mut trees: Vec<crate::model::script::ParsedScript> = file.heredoc_scripts(run);
        if let Some(script) = file.script(run) {
            trees.push(script.tree().clone());
        }
        for tree in &trees {
            for command in tree.script.simple_commands() {
                let Some(line) = command.command_line(&[]) else {
                    continue;
                };
                commands.push(RunCommand {
                    index: run.index,
                    stage: run.stage,
                    program: line.name().to_owned(),
                    positionals: line.positional_values().map(str::to_owned).collect(),
                });
            }
        }
    }
    commands
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    #[test]
    fn named_sources_globs_and_mentions() {
        let parsed = parse(
            "FROM x\nCOPY target/app.jar *.pem ./\nCOPY . .\nRUN --mount=type=bind,source=cfg,target=/c true\nCMD [\"node\", \"node_modules/.bin/next\", \"--env-file=.env\"]\n",
        );
        let file = Dockerfile::new(&parsed);
        let named = Named::of(&file);
        assert!(named.copies("target"));
        assert!(named.copies("server.pem"));
        assert!(named.copies("cfg"));
        assert!(!named.copies("sub/server.pem"));
        assert!(!named.copies(".git"));
        assert!(named.mentions("node_modules"));
        assert!(named.mentions(".env"));
        assert!(!named.mentions(".git"));
    }

    #[test]
    fn commands_of_runs_and_heredocs() {
        let parsed =
            parse("FROM x\nRUN npm ci && git describe\nRUN <<EOF\ncargo build --release\nEOF\n");
        let file = Dockerfile::new(&parsed);
        let commands = run_commands(&file);
        let names: Vec<&str> = commands.iter().map(|c| c.program.as_str()).collect();
        assert_eq!(names, ["npm", "git", "cargo"]);
        assert_eq!(commands[2].positionals, ["build"]);
        assert_eq!(commands[2].stage, Some(0));
    }
}
