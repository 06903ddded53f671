#![doc = include_str!("../../transforms/docs/narrow-copy.md")]
//!
//! ## How it is built
//!
//! `commands` reads what the stage runs after the copy (the packages its builds name);
//! `stage_use` checks the stage's files leave it only through `COPY --from` and lists the
//! context paths those copies take. What the build reads is the ecosystem's: `packages` follows
//! a Go module's imports from the built packages (`go_source` reads one file's imports);
//! `cargo_packages` reads a Cargo workspace's manifests (`rust_source` checks the sources they
//! point at); a profile with `unknown_reads` declines. The COPY lines are written by
//! deps-first's `manifest_copies`. Every reason to leave the copy as it is is a [`Decline`].

use super::deps_first::edits::manifest_copies;
use super::{platform, Changes, Context, Finding, Fix, Metadata, Transform};
use crate::context::BuildContext;
use crate::diagnostics::{Applicability, Rewriter};
use crate::knowledge::narrow::NarrowSpec;
use crate::knowledge::{KnowledgeBase, Profile};
use crate::model::paths::resolve;
use crate::model::shell::{Command, ShellWord};
use crate::model::{Dockerfile, Instruction, Stage};
use std::path::PathBuf;

mod cargo_packages;
mod commands;
mod decline;
mod go_source;
mod packages;
mod rust_source;
mod stage_use;

pub use decline::Decline;

/// The `narrow-copy` transform.
pub struct NarrowCopy;

impl Transform for NarrowCopy {
    fn metadata(&self) -> &'static Metadata {
        &Metadata {
            id: "narrow-copy",
            summary: "A build stage's whole-context COPY becomes COPYs of what its build reads",
            documentation: include_str!("../../transforms/docs/narrow-copy.md"),
            enabled_by_default: true,
            max_applicability: Applicability::Unsafe,
            changes: Changes::Dockerfile,
            intended_changes: &[],
        }
    }

    fn run(&self, file: &Dockerfile, context: &Context, out: &mut Vec<Finding>) {
        for stage in file.stages() {
            let Some((view, outcome)) = evaluate(file, stage, context) else {
                continue;
            };
            let copy = view.copy();
            let finding = |message: String, fix: Option<Fix>| Finding {
                transform: self.id(),
                message,
                range: copy.range(),
                fix,
            };
            let whole = whole_copy_text(copy);
            let stage_name = stage_use::stage_name(stage);
            let ecosystem = &view.profile.name;
            out.push(match outcome {
                Ok(narrowed) => finding(
                    format!(
                        "`{whole}` copies the whole build context into the build stage {stage_name}, which only builds with {ecosystem}: copy only what the build and the stages copying from it need ({}), so edits to other files no longer rebuild it (unsafe: {})",
                        narrowed.paths.join(", "),
                        view.unsafe_reason(),
                    ),
                    Some(Fix::unsafe_edits(narrowed.edits).isolated()),
                ),
                Err(decline) => finding(
                    format!("`{whole}` copies the whole build context into stage {stage_name}; not narrowed: {decline}"),
                    None,
                ),
            });
        }
    }
}

/// What narrow-copy makes of one stage's whole-context copy.
pub struct StageOutcome {
    /// The profile whose build the stage runs (`go`, `cargo`, `npm`).
    pub ecosystem: String,
    /// The context paths the narrowed copy copies, or why it is left as it is.
    pub outcome: Result<Vec<String>, Decline>,
}

/// What narrow-copy makes of each build stage's whole-context copy of the file, in stage order.
pub fn outcomes(file: &Dockerfile, context: &Context) -> Vec<StageOutcome> {
    file.stages()
        .iter()
        .filter_map(|stage| {
            let (view, outcome) = evaluate(file, stage, context)?;
            Some(StageOutcome {
                ecosystem: view.profile.id.clone(),
                outcome: outcome.map(|narrowed| narrowed.paths),
            })
        })
        .collect()
}

/// The stage's first whole-context copy and what becomes of it, when a build of a profile with
/// `[narrow]` runs after the copy, or else the stage runs on such a profile's builder image;
/// `None` otherwise.
fn evaluate<'a, 'p>(
    file: &'a Dockerfile<'p>,
    stage: &'a Stage,
    context: &'a Context,
) -> Option<(StageView<'a, 'p>, Result<Narrowed, Decline>)> {
    let instructions = file.stage_instructions(stage);
    let copy_at = instructions.iter().position(copies_whole_context)?;
    let knowledge = context.knowledge();
    let narrowing = || {
        knowledge
            .profiles()
            .iter()
            .filter_map(|profile| Some((profile, profile.narrow.as_ref()?)))
    };
    let image_profiles = knowledge.profiles_for_image(&stage.base);
    let (profile, spec) = narrowing()
        .find(|(profile, spec)| {
            commands::runs_a_build(&StageView::new(
                file, stage, copy_at, profile, spec, knowledge, None,
            ))
        })
        .or_else(|| {
            narrowing().find(|(profile, _)| image_profiles.iter().any(|p| p.id == profile.id))
        })?;
    // An ecosystem that is never narrowed has nothing to say of the final image's stage, which
    // is no build stage.
    let is_final = file.final_stage().map(|s| s.index) == Some(stage.index);
    if spec.unknown_reads.is_some() && is_final {
        return None;
    }
    let build_context = context.build_context_files();
    let view = StageView::new(
        file,
        stage,
        copy_at,
        profile,
        spec,
        knowledge,
        build_context,
    );
    let outcome = match build_context {
        Some(_) => view.narrow(),
        None => Err(Decline::NoContext),
    };
    Some((view, outcome))
}

/// `COPY . <dest>` / `COPY ./ …` from the build context, without heredocs (`ADD` is
/// left alone: it may fetch or unpack).
fn copies_whole_context(instruction: &Instruction) -> bool {
    if instruction.kind() != Some(crate::syntax::InstructionKind::Copy)
        || instruction.flag("from").is_some()
    {
        return false;
    }
    instruction.copy_args().is_some_and(|args| {
        matches!(args.sources.as_slice(), [source] if matches!(source.value.trim_matches('"'), "." | "./" | "./."))
    })
}

/// The copy as written on one line, for messages.
fn whole_copy_text(copy: &Instruction) -> String {
    copy.logical_text()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a build reads from the context: files (in the order the copy names them) and folders
/// copied whole (relative to the context root, never the root itself).
struct Reads {
    files: Vec<String>,
    folders: Vec<String>,
}

/// The narrowed copy: the context paths it copies and its edits.
struct Narrowed {
    paths: Vec<String>,
    edits: Vec<crate::diagnostics::Edit>,
}

/// One stage with a whole-context copy, seen by one profile's `[narrow]`.
pub(super) struct StageView<'a, 'p> {
    file: &'a Dockerfile<'p>,
    stage: &'a Stage,
    instructions: &'a [Instruction<'p>],
    copy_at: usize,
    profile: &'a Profile,
    spec: &'a NarrowSpec,
    knowledge: &'a KnowledgeBase,
    /// The build context; an unknown one (no files) until it is needed.
    context: &'a BuildContext,
}

/// The context of a stage read without its build context's files.
static NO_FILES: std::sync::OnceLock<BuildContext> = std::sync::OnceLock::new();

impl<'a, 'p> StageView<'a, 'p> {
    fn new(
        file: &'a Dockerfile<'p>,
        stage: &'a Stage,
        copy_at: usize,
        profile: &'a Profile,
        spec: &'a NarrowSpec,
        knowledge: &'a KnowledgeBase,
        context: Option<&'a BuildContext>,
    ) -> Self {
        StageView {
            file,
            stage,
            instructions: file.stage_instructions(stage),
            copy_at,
            profile,
            spec,
            knowledge,
            context: context.unwrap_or_else(|| NO_FILES.get_or_init(BuildContext::without_files)),
        }
    }

    fn copy(&self) -> &'a Instruction<'p> {
        &self.instructions[self.copy_at]
    }

    /// The RUNs of the stage after the copy.
    fn runs_after_copy(&self) -> impl Iterator<Item = &'a Instruction<'p>> {
        self.instructions[self.copy_at + 1..]
            .iter()
            .filter(|i| commands::is_run(i))
    }

    /// The working directory before an instruction, the image's own when the knowledge base
    /// has it; `None` when unknown.
    fn workdir_before(&self, instruction: &Instruction) -> Option<String> {
        self.file
            .workdir_before(instruction)
            .known_with(self.knowledge.image_workdir(&self.stage.base))
    }

    fn value_options(&self) -> Vec<&str> {
        self.profile
            .value_options
            .iter()
            .map(String::as_str)
            .collect()
    }

    /// The program's name and positional words of a command.
    fn words<'c>(&self, command: &'c Command) -> Vec<&'c str> {
        let options = self.value_options();
        let Some(line) = command.command_line(&options) else {
            return Vec::new();
        };
        std::iter::once(line.name())
            .chain(line.positional_values())
            .collect()
    }

    /// How many leading positional words of a build command its rule spans (the packages
    /// follow), when it is one.
    fn build_rule(&self, command: &Command) -> Option<usize> {
        let words = self.words(command);
        self.spec.build_rule_len(&words).map(|len| len - 1)
    }

    fn is_other(&self, command: &Command) -> bool {
        self.spec.is_other(&self.words(command))
    }

    /// The words naming packages: the positionals (the rule's words included) and the words
    /// holding the values of the package options.
    fn package_words<'c>(&self, command: &'c Command) -> Vec<&'c ShellWord> {
        let options = self.value_options();
        let Some(line) = command.command_line(&options) else {
            return Vec::new();
        };
        let mut words = line.positionals.clone();
        words.extend(
            line.options
                .iter()
                .filter(|option| self.is_package_option(option.name()))
                .map(|option| option.value.unwrap_or(option.word)),
        );
        words
    }

    fn is_package_option(&self, name: &str) -> bool {
        self.spec
            .package_options
            .iter()
            .any(|option| option == name)
    }

    /// The values of a command's package options (`--path .`, `--path=.`).
    fn package_option_values(&self, command: &Command) -> Vec<String> {
        let options = self.value_options();
        let Some(line) = command.command_line(&options) else {
            return Vec::new();
        };
        line.options
            .iter()
            .filter(|option| self.is_package_option(option.name()))
            .filter_map(|option| match option.value {
                Some(value) => Some(value.value.clone()),
                None => option
                    .word
                    .value
                    .split_once('=')
                    .map(|(_, value)| value.to_owned()),
            })
            .collect()
    }

    /// The profile's `module_files` the context has.
    fn module_files(&self) -> Vec<String> {
        self.spec
            .module_files
            .iter()
            .filter(|path| self.context.is_available(path.as_str()))
            .cloned()
            .collect()
    }

    /// Why a narrowed copy may miss a file, for the finding.
    fn unsafe_reason(&self) -> &'static str {
        match self.spec.cargo {
            Some(_) => "the packages are found from their manifests, and a file that a macro or a dependency's code reads when it compiles, and that no manifest or include! names, would be missing",
            None => "the packages are found from their imports, and a file the build reads that no import shows would be missing",
        }
    }

    /// The positional words of a command after the first `skip`.
    fn positionals(&self, command: &Command, skip: usize) -> Vec<String> {
        self.words(command)
            .into_iter()
            .skip(1 + skip)
            .map(str::to_owned)
            .collect()
    }

    /// The first option of a command the profile declines.
    fn declined_option(&self, command: &Command) -> Option<String> {
        let options = self.value_options();
        let line = command.command_line(&options)?;
        line.options
            .iter()
            .map(|option| option.name().to_owned())
            .find(|name| self.spec.declined_options.contains(name))
    }

    /// The narrowed copy, or why not.
    fn narrow(&self) -> Result<Narrowed, Decline> {
        if let Some(reason) = platform::windows_reason(self.file, self.stage, self.knowledge) {
            return Err(Decline::Windows { reason });
        }
        stage_use::check_build_stage(self)?;
        let (destination, target) = self.target()?;
        let copied_out = stage_use::copied_out(self, &target)?;
        let reads = self.reads(&target)?;
        let paths = self.paths(reads, copied_out);
        let files: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
        let copy = self.copy();
        let lines = manifest_copies(
            self.file.text(),
            copy,
            &files,
            self.context,
            &destination,
            self.file.style(),
        );
        let mut rewriter = Rewriter::new(self.file);
        rewriter.replace(copy.range(), lines);
        Ok(Narrowed {
            paths: paths.iter().map(|path| self.shown_path(path)).collect(),
            edits: rewriter.finish(),
        })
    }

    /// The copy's destination as written and where it puts the context's root.
    fn target(&self) -> Result<(String, String), Decline> {
        let copy = self.copy();
        if let Some(flag) = copy
            .flags()
            .into_iter()
            .find(|f| matches!(f.name.to_ascii_lowercase().as_str(), "exclude" | "parents"))
        {
            return Err(Decline::CopyFlag {
                flag: format!("--{}", flag.name),
            });
        }
        if copy.mentions_variable() {
            return Err(Decline::CopyVariable);
        }
        let args = copy.copy_args().ok_or(Decline::CopyVariable)?;
        let destination = args.destination.value.trim_matches('"').to_owned();
        let workdir = self.workdir_before(copy).ok_or(Decline::WorkdirUnknown)?;
        let target = resolve(&workdir, &destination);
        Ok((destination, target))
    }

    /// What the build reads from the context, as the ecosystem tells it.
    fn reads(&self, target: &str) -> Result<Reads, Decline> {
        if let Some(why) = &self.spec.unknown_reads {
            return Err(Decline::UnknownReads {
                ecosystem: self.profile.name.clone(),
                why: why.clone(),
            });
        }
        let built = commands::built_packages(self, target)?;
        match (&self.spec.go, &self.spec.cargo) {
            (Some(go), _) => packages::reads(self, go, &built, target),
            (None, Some(cargo)) => cargo_packages::reads(self, cargo, &built, target),
            // Validation gives every `[narrow]` one way to read its sources; never narrow blind.
            (None, None) => Err(Decline::UnknownReads {
                ecosystem: self.profile.name.clone(),
                why: "its [narrow] has no way to read the sources".to_owned(),
            }),
        }
    }

    /// The context paths to copy, each once and none inside a folder copied whole: the files
    /// the build reads, the profile's folders, the folders it reads and what other stages copy
    /// out.
    fn paths(&self, reads: Reads, copied_out: Vec<String>) -> Vec<String> {
        let mut paths = reads.files;
        let mut whole: Vec<String> = self
            .spec
            .folders
            .iter()
            .filter(|path| self.context.is_available(path.as_str()))
            .cloned()
            .collect();
        whole.extend(reads.folders);
        whole.sort();
        paths.extend(whole);
        paths.extend(copied_out);
        let mut kept: Vec<String> = Vec::new();
        for path in paths {
            if !kept.contains(&path) {
                kept.push(path);
            }
        }
        let folders: Vec<String> = kept
            .iter()
            .filter(|path| self.context.is_dir(path.as_str()))
            .cloned()
            .collect();
        kept.retain(|path| {
            !folders
                .iter()
                .any(|folder| path != folder && path.starts_with(&format!("{folder}/")))
        });
        kept
    }

    /// A context path for messages, folders with a trailing `/`.
    fn shown_path(&self, path: &str) -> String {
        match self.context.is_dir(path) {
            true => format!("{path}/"),
            false => path.to_owned(),
        }
    }
}
