#![doc = include_str!("../../transforms/docs/deps-first.md")]

use super::{Applicability, Changes, Context, Edit, Finding, Fix, Metadata, Transform};
use crate::context::BuildContext;
use crate::knowledge::project_install::ProjectUnfit;
use crate::knowledge::{CommandMatch, KnowledgeBase, Needs, NoSplit, Positionals, Profile, Role};
use crate::model::mounts::MountType;
use crate::model::paths::{normalize, resolve};
use crate::model::shell::Command;
use crate::model::{Dockerfile, Instruction, Script, Stage};
use crate::syntax::InstructionKind;
use edits::{joined_plainly, manifest_copies};
use install::{Found, Install};
use std::path::{Path, PathBuf};

pub(super) mod edits;
mod install;
mod plan;

pub struct DepsFirst;

impl Transform for DepsFirst {
    fn metadata(&self) -> &'static Metadata {
        &Metadata {
            id: "deps-first",
            summary:
                "Copy dependency manifests and install dependencies before copying the sources",
            documentation: include_str!("../../transforms/docs/deps-first.md"),
            enabled_by_default: true,
            max_applicability: Applicability::Safe,
            changes: Changes::Dockerfile,
            intended_changes: &[],
        }
    }

    fn run(&self, file: &Dockerfile, context: &Context, out: &mut Vec<Finding>) {
        for stage in file.stages() {
            let instructions = file.stage_instructions(stage);
            let Some(copy_at) = instructions.iter().position(copies_whole_context) else {
                continue;
            };
            let Some(build_context) = context.build_context_files() else {
                return;
            };
            let stage = StageView {
                file,
                stage,
                instructions,
                copy_at,
                context: build_context,
                knowledge: context.knowledge(),
            };
            if let Some(finding) = stage.check(self.id()) {
                out.push(finding);
            }
        }
    }
}

/// `COPY . <dest>` / `COPY ./ …` / `ADD . …` from the build context, without heredocs.
fn copies_whole_context(instruction: &Instruction) -> bool {
    if instruction.flag("from").is_some() {
        return false;
    }
    let Some(args) = instruction.copy_args() else {
        return false;
    };
    matches!(args.sources.as_slice(), [source] if matches!(source.value.trim_matches('"'), "." | "./" | "./."))
}

struct StageView<'a, 'p> {
    file: &'a Dockerfile<'p>,
    stage: &'a Stage,
    instructions: &'a [Instruction<'p>],
    copy_at: usize,
    context: &'a BuildContext,
    knowledge: &'a KnowledgeBase,
}

impl<'a, 'p> StageView<'a, 'p> {
    fn copy(&self) -> &Instruction<'p> {
        &self.instructions[self.copy_at]
    }

    fn check(&self, id: &'static str) -> Option<Finding> {
        let install = match self.find_install()? {
            Found::Install(install) => install,
            Found::Named(install) => return Some(self.check_named(id, &install)),
        };
        let finding = |message: String, fix: Option<Fix>| Finding {
            transform: id,
            message,
            range: self.instructions[install.run_at].range(),
            fix,
        };
        let copy_line = self.copy().start_line();
        let command = install.found.text.clone();
        let again = self.install_again(&install);
        let needs = install.needs();
        let split = (needs == Needs::Sources).then(|| install.found.split(self.context));
        match split {
            Some(Err(NoSplit::NoTechnique)) => return Some(finding(
                format!("`{command}` after the full COPY on line {copy_line} reinstalls on every source edit, but it needs the sources ({}); no change", install.why_sources()),
                None,
            )),
            Some(Err(NoSplit::Unfit(reason))) => return Some(finding(
                format!("`{command}` after the full COPY on line {copy_line} {again} on every source edit, but the dependency-only technique does not fit this project ({reason}); no change"),
                None,
            )),
            Some(Ok(_)) => {
                if let Err(unfit) = self.interpreter_fits(&install) {
                    return Some(finding(
                        format!("`{command}` after the full COPY on line {copy_line} {again} on every source edit, but the dependency-only technique does not fit this project ({unfit}); no change"),
                        None,
                    ));
                }
            }
            _ => {}
        }
        if needs == Needs::Sources {
            // A technique rewrites the build around stand-in sources: a hook means the project
            // does not fit it (a `[[bin]]` section, a workspace, a local replace), so no change.
            let hooks = install.found.profile.hooks_explained(self.context);
            if !hooks.is_empty() {
                return Some(finding(
                    format!("`{command}` after the full COPY on line {copy_line} {again} on every source edit, but the dependency-only technique does not fit this project ({}); no change", hooks.join("; ")),
                    None,
                ));
            }
        }
        if needs == Needs::Sources && self.wrapper_not_executable(&install) {
            let program = &install.found.program;
            return Some(finding(
                format!("`{command}` after the full COPY on line {copy_line} {again} on every source edit, but {program} has no executable bit in the build context, so run before the sources it would fail; no change"),
                None,
            ));
        }
        let plan = match self.plan(&install) {
            Ok(plan) => plan,
            Err(reason) => {
                return Some(finding(
                    format!("`{command}` after the full COPY on line {copy_line} {again} on every source edit, but {reason}; no change"),
                    None,
                ))
            }
        };
        let files = plan.files.join(", ");
        let first = match &plan.technique {
            Some(technique) => format!("copy {files} and run `{technique}` first"),
            None => format!("copy {files} first"),
        };
        let mut message = format!(
            "`{command}` runs after the full COPY on line {copy_line}, so every source edit {again}; {first}"
        );
        if !plan.risks.is_empty() {
            message.push_str(&format!(" (unsafe: {})", plan.risks.join("; ")));
        }
        let applicability = if plan.risks.is_empty() {
            Applicability::Safe
        } else {
            Applicability::Unsafe
        };
        Some(finding(
            message,
            Some(Fix::new(applicability, plan.edits).before_isolated()),
        ))
    }

    /// A RUN after the whole-context copy that installs packages by name only: it reads
    /// nothing from the context, so the copy moves after it (with the profile's config files
    /// before it), unless a RUN between them may need the sources.
    fn check_named(&self, id: &'static str, install: &Install) -> Finding {
        let run = &self.instructions[install.run_at];
        let command = &install.found.text;
        let copy_line = self.copy().start_line();
        let mut message = format!(
            "`{command}` installs packages by name and reads nothing from the build context, but it runs after the full COPY on line {copy_line}, so every source edit runs it again"
        );
        let fix = match self.named_edits(install) {
            Ok((edits, files)) => {
                match files.is_empty() {
                    true => message.push_str("; run it first"),
                    false => {
                        message.push_str(&format!("; copy {} and run it first", files.join(", ")))
                    }
                }
                Some(Fix::new(Applicability::Safe, edits).before_isolated())
            }
            Err(reason) => {
                message.push_str(&format!(", and {reason}; no change"));
                None
            }
        };
        Finding {
            transform: id,
            message,
            range: run.range(),
            fix,
        }
    }

    /// The edits that move the whole-context copy after a RUN of named-package installs, and
    /// the config files copied before it.
    fn named_edits(&self, install: &Install) -> Result<(Vec<Edit>, Vec<String>), String> {
        let between = &self.instructions[self.copy_at + 1..install.run_at];
        let first = |kind| between.iter().find(|i| i.kind() == Some(kind));
        if let Some(run) = first(InstructionKind::Run) {
            return Err(format!(
                "the RUN on line {} between them may need the sources",
                run.start_line()
            ));
        }
        if let Some(workdir) = first(InstructionKind::Workdir) {
            return Err(format!(
                "the WORKDIR on line {} between them changes where the COPY puts the files",
                workdir.start_line()
            ));
        }
        let copy = self.copy();
        if copy.mentions_variable() {
            return Err("the COPY uses a variable".to_owned());
        }
        let args = copy.copy_args().ok_or("the COPY cannot be read")?;
        let destination = args.destination.value.trim_matches('"').to_owned();
        let files = self.config_files(install.found.profile);
        let copy_lines = if files.is_empty() {
            String::new()
        } else {
            self.first_copies(&files, &destination)
        };
        let edits = edits::move_copy_edits(self, install, &copy_lines)
            .ok_or("its RUN joins commands with operators other than `&&` and `;`")?;
        let files = files
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        Ok((edits, files))
    }

    /// The first RUN after the copy whose script holds an install of a detected profile that
    /// reads dependency files or the sources; else the first that installs packages by name.
    fn find_install(&self) -> Option<Found<'a, 'p>> {
        // Detection globs the build context, so it runs only for profiles whose commands appear.
        let mut detected: Vec<(String, bool)> = Vec::new();
        let mut is_detected =
            |profile: &Profile| match detected.iter().find(|(id, _)| *id == profile.id) {
                Some((_, known)) => *known,
                None => {
                    let known = profile.detects(self.context);
                    detected.push((profile.id.clone(), known));
                    known
                }
            };
        let mut named: Option<Install<'a, 'p>> = None;
        for (run_at, instruction) in self.instructions.iter().enumerate().skip(self.copy_at + 1) {
            if instruction.kind() != Some(InstructionKind::Run) || instruction.heredoc_count() > 0 {
                continue;
            }
            let Some(script) = self.file.script(instruction) else {
                continue;
            };
            for (command_index, command) in script.lexed.commands.iter().enumerate() {
                let found = self.knowledge.profiles().iter().find_map(|profile| {
                    let found = profile.match_command(command, script.text)?;
                    (is_detected(profile) || self.names_its_manifest(&found)).then_some(found)
                });
                let Some(found) = found else { continue };
                let cwd = self.command_cwd(run_at, &script, command_index).ok();
                let install = Install {
                    run_at,
                    script: script.clone(),
                    command_index,
                    local_names: self.context_reads(&found, cwd.as_deref()),
                    found,
                };
                if install.needs() == Needs::Nothing {
                    // Packages by name: not the install that reads the dependency files.
                    if named.is_none() && install.found.rule.role == Role::Install {
                        named = Some(install);
                    }
                    continue;
                }
                let relevant =
                    install.found.rule.role == Role::Install || install.found.rule.split.is_some();
                if relevant && !self.runs_before_copy(&install) {
                    return Some(Found::Install(install));
                }
                // Already first, or a build: installs by name before it may still move.
                return named.map(Found::Named);
            }
        }
        named.map(Found::Named)
    }

    /// A RUN before the whole-context copy already runs an install of the profile that reads
    /// its dependency files: the stage installs its dependencies first already. Installs of
    /// packages by name do not count; when the installs name the files they read
    /// (`pip install -r`), only earlier installs that read all of this one's files count.
    fn runs_before_copy(&self, install: &Install) -> bool {
        let profile = install.found.profile;
        if self.builds_dependencies_first(profile) {
            return true;
        }
        let target = self.copy_target();
        let read = |run_at: usize, script: &Script, index: usize, found: &CommandMatch| {
            let cwd = self.command_cwd(run_at, script, index).ok()?;
            profile.files_read(found, self.context, &cwd, target.as_deref()?)
        };
        let wanted = read(
            install.run_at,
            &install.script,
            install.command_index,
            &install.found,
        );
        let mut covered: Vec<String> = Vec::new();
        for (run_at, instruction) in self.instructions[..self.copy_at].iter().enumerate() {
            let Some(script) = self
                .file
                .script(instruction)
                .filter(|_| instruction.kind() == Some(InstructionKind::Run))
            else {
                continue;
            };
            for (index, command) in script.lexed.commands.iter().enumerate() {
                let Some(found) = profile.match_command(command, script.text) else {
                    continue;
                };
                let cwd = self.command_cwd(run_at, &script, index).ok();
                let reads_files = found.needs() != Needs::Nothing
                    || found.dynamic
                    || !self.context_reads(&found, cwd.as_deref()).is_empty();
                if !reads_files {
                    continue;
                }
                match (&wanted, read(run_at, &script, index, &found)) {
                    (Some(_), Some(earlier)) => covered.extend(earlier.files),
                    _ => return true,
                }
            }
        }
        wanted.is_some_and(|wanted| {
            !covered.is_empty() && wanted.files.iter().all(|file| covered.contains(file))
        })
    }

    /// What a source edit makes the install do again: fetch every dependency, or, when the
    /// RUN keeps its downloads in cache mounts, install them again from those.
    fn install_again(&self, install: &Install) -> &'static str {
        let run = &self.instructions[install.run_at];
        match run
            .mounts()
            .iter()
            .flatten()
            .any(|mount| mount.kind == MountType::Cache)
        {
            true => "installs all dependencies again (its cache mounts keep only the downloads)",
            false => "fetches all dependencies again",
        }
    }

    /// A RUN before the whole-context copy runs one of the profile's commands that build the
    /// dependencies on their own (`cargo chef cook`).
    fn builds_dependencies_first(&self, profile: &Profile) -> bool {
        if profile.dependencies_first.is_empty() {
            return false;
        }
        let options: Vec<&str> = profile.value_options.iter().map(String::as_str).collect();
        let runs = self.instructions[..self.copy_at]
            .iter()
            .filter(|instruction| instruction.kind() == Some(InstructionKind::Run));
        runs.flat_map(|run| self.file.shell_scripts(run))
            .any(|script| {
                script.simple_commands().iter().any(|command| {
                    let line = command.command_line(&options);
                    line.is_some_and(|line| {
                        profile.dependencies_first.iter().any(|p| p.matches(&line))
                    })
                })
            })
    }

    /// The words of a package install that may read the copy of the build context (see
    /// [`CommandMatch::context_reads`]); `cwd` is the folder it runs in, when known.
    fn context_reads(&self, found: &CommandMatch, cwd: Option<&str>) -> Vec<String> {
        let target = self.copy_target();
        found
            .context_reads(
                self.context,
                cwd,
                target.as_deref().filter(|_| cwd.is_some()),
            )
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    /// The COPY lines that bring `files` to `destination` before the install, written like the
    /// whole-context copy.
    fn first_copies(&self, files: &[PathBuf], destination: &str) -> String {
        let text = self.file.text();
        let style = self.file.style();
        manifest_copies(text, self.copy(), files, self.context, destination, style)
    }

    /// The profile's config files in the build context (`.npmrc`), copied before the install.
    fn config_files(&self, profile: &Profile) -> Vec<PathBuf> {
        profile
            .files
            .config
            .iter()
            .flat_map(|glob| self.context.glob(glob))
            .collect()
    }

    /// The working directory of the stage's instruction `index`, the base image's unknown one
    /// written `/@base`; `None` when a WORKDIR uses a variable.
    fn workdir_before(&self, index: usize) -> Option<String> {
        let cwd = self.file.workdir_before(&self.instructions[index]);
        cwd.with_marker("/@base")
    }

    /// Where the whole-context copy puts the context's root, when it can be told.
    fn copy_target(&self) -> Option<String> {
        let args = self.copy().copy_args()?;
        let destination = args.destination.value.trim_matches('"').to_owned();
        let copy_workdir = self.workdir_before(self.copy_at)?;
        Some(resolve(&copy_workdir, &destination))
    }

    /// An install of the project in the working directory whose manifest the build context
    /// has (`pip install .` beside a pyproject.toml): the profile applies even when its other
    /// files are absent.
    fn names_its_manifest(&self, found: &CommandMatch) -> bool {
        found.rule.positionals == Positionals::Project && self.has_project_manifest(found.profile)
    }

    /// The build context has the manifest of the profile's `[project_install]`.
    fn has_project_manifest(&self, profile: &Profile) -> bool {
        let spec = profile.project_install.as_ref();
        spec.is_some_and(|spec| self.context.is_available(Path::new(&spec.manifest)))
    }

    /// A technique reading the project's manifest runs the stage's interpreter: its base image
    /// must run one that can (`[project_install]`'s `interpreter_since`).
    fn interpreter_fits(&self, install: &Install) -> Result<(), ProjectUnfit> {
        let profile = install.found.profile;
        match &profile.project_install {
            Some(spec) if install.found.rule.positionals == Positionals::Project => {
                spec.interpreter_fits(&self.stage.base, &profile.images)
            }
            _ => Ok(()),
        }
    }

    /// A RUN made only of installs of packages by name (`pip install -U pip`), joined by `&&`
    /// or `;`: it reads nothing from the build context.
    fn only_named_installs(&self, run: &Instruction) -> bool {
        let Some(script) = self.file.script(run) else {
            return false;
        };
        let commands = &script.lexed.commands;
        run.heredoc_count() == 0
            && !script.lexed.has_grouping
            && !commands.is_empty()
            && joined_plainly(commands, 0)
            && commands
                .iter()
                .all(|command| self.installs_by_name(command, script.text))
    }

    /// A command of a detected profile that installs packages by name only.
    fn installs_by_name(&self, command: &Command, text: &str) -> bool {
        self.knowledge.profiles().iter().any(|profile| {
            profile.match_command(command, text).is_some_and(|found| {
                found.needs() == Needs::Nothing
                    && found.rule.role == Role::Install
                    && !found.dynamic
                    && self.context_reads(&found, None).is_empty()
                    && (profile.detects(self.context) || self.has_project_manifest(profile))
            })
        })
    }

    /// The install runs a program from the sources (`./gradlew`) whose file in the build
    /// context has no executable bit: copied again before the sources, it would not run.
    fn wrapper_not_executable(&self, install: &Install) -> bool {
        let program = install.found.program.as_str();
        let Some(relative) = program.strip_prefix("./") else {
            return false;
        };
        let source = self
            .copy()
            .copy_args()
            .and_then(|args| match args.sources.as_slice() {
                [only] => Some(only.value.clone()),
                _ => None,
            })
            .unwrap_or_else(|| ".".to_owned());
        self.context
            .is_not_executable(normalize(&format!("{source}/{relative}")).trim_start_matches('/'))
    }

    /// The directory the install command runs in, or why it cannot be told.
    fn install_cwd(&self, install: &Install) -> Result<String, String> {
        self.command_cwd(install.run_at, &install.script, install.command_index)
    }

    /// The directory the command `index` of the RUN `run_at` runs in: the WORKDIR at its RUN,
    /// then any `cd` before it. Any other command before it must install packages by name: the
    /// fix leaves those commands where they are, before the sources are copied.
    fn command_cwd(&self, run_at: usize, script: &Script, index: usize) -> Result<String, String> {
        let mut cwd = self
            .workdir_before(run_at)
            .ok_or("a WORKDIR uses a variable")?;
        for command in &script.lexed.commands[..index] {
            match (command.name(), command.args()) {
                (Some("cd"), [dir]) if !dir.has_expansion && !dir.has_glob => {
                    cwd = resolve(&cwd, &dir.value)
                }
                _ if self.installs_by_name(command, script.text) => {}
                _ => {
                    return Err(format!(
                        "`{}` runs before it in its RUN, which may need the sources or change its folder",
                        command.range.slice(script.text).trim()
                    ))
                }
            }
        }
        Ok(cwd)
    }
}
