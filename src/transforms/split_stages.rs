#![doc = include_str!("../../transforms/docs/split-stages.md")]

use super::{
    platform, Applicability, Context, Edit, Finding, Fix, IntendedChange, Metadata, Transform,
};
use crate::context::BuildContext;
use crate::knowledge::{
    AccountKind, Distro, KnowledgeBase, Profile, RuntimeHints, RuntimeImage, RuntimeLayout, Shape,
};
use crate::model::packages::is_assignment;
use crate::model::paths::{self, copy_arguments, is_within, normalize, resolve};
use crate::model::{workdir_after, Dockerfile, Flag, ImageRef, Instruction, Stage};
use crate::style::Style;
use crate::syntax::InstructionKind;
use launch::{command_words, file_path, named_paths};

mod context_files;
mod environments;
mod launch;
mod packages;
mod pins;
mod static_site;

use context_files::ContextCopy;
use packages::install_command;

/// The image rule flavour of web server images for static front-end builds.
const STATIC_SITE: &str = "static-site";

pub struct SplitStages;

/// Interpreters and launchers a runtime image provides on its PATH.
const RUNTIME_PROGRAMS: &[&str] = &[
    "node", "npm", "npx", "yarn", "python", "python3", "java", "dotnet", "ruby", "bundle", "php",
];
/// Folders whose `bin` is on the runtime images' PATH.
const PATH_ROOTS: &[&str] = &["/usr/local", "/usr/local/bundle"];
/// Instructions of the build stage that configure the running container, copied in order.
const RUNTIME_CONFIG: &[InstructionKind] = &[
    InstructionKind::Label,
    InstructionKind::Expose,
    InstructionKind::Volume,
    InstructionKind::Healthcheck,
    InstructionKind::Stopsignal,
    InstructionKind::User,
    InstructionKind::Entrypoint,
    InstructionKind::Cmd,
];

impl Transform for SplitStages {
    fn metadata(&self) -> &'static Metadata {
        &Metadata {
            id: "split-stages",
            summary:
                "A build on a full toolchain image becomes a build stage plus a slim runtime stage",
            documentation: include_str!("../../transforms/docs/split-stages.md"),
            enabled_by_default: true,
            max_applicability: Applicability::Unsafe,
            intended_changes: &[IntendedChange::BaseImage],
        }
    }

    fn run(&self, file: &Dockerfile, context: &Context, out: &mut Vec<Finding>) {
        let Some(stage) = file.final_stage() else {
            return;
        };
        let instructions = file.stage_instructions(stage);
        let copies_from_elsewhere = instructions.iter().any(|i| i.flag("from").is_some());
        if stage.base_stage.is_some() || copies_from_elsewhere {
            return;
        }
        let knowledge = context.knowledge();
        if !knowledge
            .profiles_for_image(&stage.base)
            .iter()
            .any(|p| p.runtime.is_some())
        {
            return;
        }
        if let Some(why) = platform::windows_reason(file, stage, knowledge) {
            out.push(Finding {
                transform: self.id(),
                message: format!(
                    "single-stage build on `{}` not split: {why}",
                    stage.base.raw
                ),
                range: file.instructions()[stage.from].range(),
                fix: None,
            });
            return;
        }
        let without_files = BuildContext::without_files();
        let build_context = context.build_context_files().unwrap_or(&without_files);
        let Some((profile, layout, detected)) = choose_profile(knowledge, stage, build_context)
        else {
            return;
        };
        let split = Split {
            file,
            stage,
            instructions,
            knowledge,
            profile,
            layout,
            detected,
            context: build_context,
        };
        let from = &instructions[0];
        let finding = |message: String, fix: Option<Fix>| Finding {
            transform: self.id(),
            message,
            range: from.range(),
            fix,
        };
        match split.plan() {
            Ok(Some(plan)) => out.push(finding(
                plan.message,
                Some(Fix::unsafe_edits(plan.edits).isolated()),
            )),
            Ok(None) => {}
            Err(reason) => out.push(finding(
                format!("{} ships its whole toolchain, but splitting off a runtime stage is not safe to automate: {reason}", stage.base.raw),
                None,
            )),
        }
    }
}

/// The ecosystem of the stage: a profile for its base image with a runtime layout, preferring
/// the ones the build context shows; `true` when it was detected there.
fn choose_profile<'k>(
    knowledge: &'k KnowledgeBase,
    stage: &Stage,
    context: &BuildContext,
) -> Option<(&'k Profile, &'k RuntimeLayout, bool)> {
    let candidates: Vec<&Profile> = knowledge
        .profiles_for_image(&stage.base)
        .into_iter()
        .filter(|p| p.runtime.is_some())
        .collect();
    let detected = candidates.iter().find(|p| p.detects(context));
    let profile = detected.or(candidates.first())?;
    Some((profile, profile.runtime.as_ref()?, detected.is_some()))
}

struct Split<'a, 'p> {
    file: &'a Dockerfile<'p>,
    stage: &'a Stage,
    instructions: &'a [Instruction<'p>],
    knowledge: &'a KnowledgeBase,
    profile: &'a Profile,
    layout: &'a RuntimeLayout,
    detected: bool,
    context: &'a BuildContext,
}

struct Plan {
    message: String,
    edits: Vec<Edit>,
}

/// An `ENV` value without its quotes (`"a b"`, `'a b'`).
fn unquote(value: &str) -> &str {
    value.trim_matches(|c| c == '"' || c == '\'')
}

/// A build output: an absolute path or glob, whether it is exact (copy it whole) or a folder
/// of candidates (copy only what the command names), and the only names candidates may have.
struct Output {
    path: String,
    exact: bool,
    names: Option<Vec<String>>,
}

/// What the new final stage is made of.
struct RuntimeStage<'s> {
    runtime: &'s RuntimeImage,
    builder: &'s str,
    workdir: Option<&'s str>,
    copies: &'s [String],
    /// Files and folders the build stage copied from the build context.
    context: &'s [ContextCopy],
    install: Option<&'s str>,
    /// Folders of the builder's PATH the copied programs are in, put on the runtime's PATH.
    path: &'s [String],
}

impl Split<'_, '_> {
    fn plan(&self) -> Result<Option<Plan>, String> {
        let command = self.command()?;
        let workdir = self.workdir()?;
        // A command that only serves a built folder of static files gets a web server image;
        // when that cannot be done, the runtime image keeps running the command.
        let static_site = match self.static_site_plan(&command, workdir.as_deref()) {
            Ok(Some(plan)) => return Ok(Some(plan)),
            Ok(None) => None,
            Err(reason) => Some(reason),
        };
        match (self.runtime_plan(&command, workdir)?, static_site) {
            (Some(mut plan), Some(reason)) => {
                plan.message
                    .push_str(&format!(" (not served by a web server image: {reason})"));
                Ok(Some(plan))
            }
            // The runtime image is the stage's own (`node:20-alpine`): only the web server
            // image would have been slimmer.
            (None, Some(reason)) => Err(format!(
                "a web server image cannot serve the files: {reason}"
            )),
            (plan, None) => Ok(plan),
        }
    }

    /// The runtime image of the builder image's ecosystem, receiving the artifacts the command
    /// needs.
    fn runtime_plan(
        &self,
        command: &[String],
        workdir: Option<String>,
    ) -> Result<Option<Plan>, String> {
        let hints = RuntimeHints {
            static_binary: self.file.text().contains("CGO_ENABLED=0"),
            flavour: self
                .profile
                .runtime_flavour(self.context, &self.run_texts()),
        };
        let runtime = self
            .knowledge
            .runtime_for(&self.stage.base, &hints)
            .ok_or_else(|| format!("no runtime image is known for {}", self.stage.base.raw))?;
        // The same image (a slim or Alpine builder, also pinned by digest): nothing to gain.
        if self
            .knowledge
            .same_image(&ImageRef::parse(&runtime.reference), &self.stage.base)
        {
            return Ok(None);
        }
        self.check_runtime_fit(&runtime)?;
        if let Some(hook) = self.profile.runtime_hooks_present(self.context).first() {
            return Err(hook.clone());
        }
        let packages = self.runtime_packages(&runtime, &hints);
        self.check_release_live(&runtime, packages.as_deref().map_err(String::as_str))?;
        let packages = packages?;
        let install = install_command(&runtime, &packages)?;
        let has_userland = matches!(runtime.distro, Distro::Debian | Distro::Alpine);
        let copies = match self.layout.shape {
            Shape::AppFolder => {
                self.app_folder_copies(workdir.as_deref(), command, has_userland)?
            }
            Shape::Artifact => self.artifact_copies(workdir.as_deref(), command, has_userland)?,
        };
        let context = self.context_copies(&copies, &runtime)?;
        // A file the command names inside a folder copied whole is copied with it.
        let mut copies = copies;
        copies.retain(|copy| !context.iter().any(|unit| is_within(&unit.path, copy)));
        let path = self.builder_path_folders(&copies);
        let style = Style::detect(self.file.parse());
        let builder = self.builder_name();
        let mut edits: Vec<Edit> = self.name_builder(&builder, &style).into_iter().collect();
        let prune = self.prune(command);
        if let Some(prune) = prune {
            edits.push(self.prune_edit(prune, &style));
        }
        let parts = RuntimeStage {
            runtime: &runtime,
            builder: &builder,
            workdir: workdir.as_deref().filter(|w| *w != "/"),
            copies: &copies,
            context: &context,
            install: install.as_deref(),
            path: &path,
        };
        let runtime_stage = self.runtime_stage(&parts, &style);
        self.append_stage(&mut edits, runtime_stage, &style);
        let mut installs = if packages.is_empty() {
            String::new()
        } else {
            format!(" and installs {}", packages.join(" "))
        };
        if !path.is_empty() {
            installs.push_str(&format!(", with {} on its PATH", path.join(":")));
        }
        let received: Vec<&str> = copies
            .iter()
            .map(String::as_str)
            .chain(context.iter().map(|copy| copy.path.as_str()))
            .collect();
        let message = format!(
            "{} ships its whole toolchain: build there and run on {}, which receives only {}{}{installs}; review what the application reads at run time",
            self.stage.base.raw,
            runtime.reference,
            received.join(", "),
            if prune.is_some() { " (development dependencies pruned)" } else { "" },
        ) + &self.pin_note(&runtime.reference);
        Ok(Some(Plan { message, edits }))
    }

    /// ` AS builder` after the stage's `FROM`, unless the stage has a name already.
    fn name_builder(&self, builder: &str, style: &Style) -> Option<Edit> {
        let as_word = if style.uppercase_keywords { "AS" } else { "as" };
        self.stage.name.is_none().then(|| {
            Edit::insert(
                self.instructions[0].content_end(),
                format!(" {as_word} {builder}"),
            )
        })
    }

    /// Appends the new final stage at the end of the file, after a blank line.
    fn append_stage(&self, edits: &mut Vec<Edit>, stage: String, style: &Style) {
        let end = self.file.text().len();
        let line_break = if self.file.text().ends_with('\n') {
            ""
        } else {
            style.newline
        };
        let stage_text = format!("{line_break}{stage}");
        // The prune may land at the very end too (a last RUN after CMD): one insertion, in order.
        match edits
            .iter_mut()
            .find(|edit| edit.start == end && edit.end == end)
        {
            Some(prune) => prune.content.push_str(&stage_text),
            None => edits.push(Edit::insert(end, stage_text)),
        }
    }

    /// The words the container runs: ENTRYPOINT then CMD (unless the ENTRYPOINT is in shell
    /// form), each in exec form or a plain command.
    fn command(&self) -> Result<Vec<String>, String> {
        let last = |kind| {
            self.instructions
                .iter()
                .rev()
                .find(|i| i.kind() == Some(kind))
        };
        let entrypoint = last(InstructionKind::Entrypoint);
        // A shell-form ENTRYPOINT runs `sh -c` with its text alone: CMD is not passed to it.
        let cmd =
            last(InstructionKind::Cmd).filter(|_| entrypoint.is_none_or(|e| e.script().is_none()));
        let mut words = Vec::new();
        for instruction in [entrypoint, cmd].into_iter().flatten() {
            words.extend(command_words(instruction, self.knowledge)?);
        }
        if words.is_empty() {
            return Err(
                "the stage has no CMD or ENTRYPOINT, so what the image runs cannot be traced"
                    .to_owned(),
            );
        }
        Ok(words)
    }

    /// The working directory the base image starts in, when known.
    fn base_workdir(&self) -> Option<&str> {
        self.knowledge.image_workdir(&self.stage.base)
    }

    /// The working directory before the stage's instruction `index`: `None` when it depends on
    /// a variable or on an unknown base image's own.
    fn cwd_at(&self, index: usize) -> Option<String> {
        let before = &self.instructions[..index];
        if let Some(base) = self.base_workdir() {
            return workdir_after(before, base);
        }
        let first = before
            .iter()
            .find(|i| i.kind() == Some(InstructionKind::Workdir))?;
        let absolute = first.string_arg()?.value.trim_matches('"').starts_with('/');
        absolute.then(|| workdir_after(before, "/")).flatten()
    }

    /// The variables with literal values in force before the stage's instruction `index`: its
    /// ARGs (a global ARG's default when the stage declares it again without one) and ENVs.
    fn variables_before(&self, index: usize) -> Vec<(String, String)> {
        let globals: Vec<(String, Option<String>)> = self
            .file
            .instructions()
            .iter()
            .take_while(|i| i.stage.is_none())
            .flat_map(|i| i.arg_definitions())
            .collect();
        let mut variables = Vec::new();
        for instruction in &self.instructions[..index.min(self.instructions.len())] {
            match instruction.kind() {
                Some(InstructionKind::Arg) => {
                    for (name, value) in instruction.arg_definitions() {
                        let global = || {
                            globals
                                .iter()
                                .rev()
                                .find(|(global, _)| *global == name)
                                .and_then(|(_, value)| value.clone())
                        };
                        if let Some(value) = value.or_else(global) {
                            variables.push((name, value));
                        }
                    }
                }
                Some(InstructionKind::Env) => variables.extend(
                    instruction
                        .pairs()
                        .into_iter()
                        .map(|(key, value, _)| (key.value, unquote(&value.value).to_owned())),
                ),
                _ => {}
            }
        }
        variables
    }

    /// The final working directory: the stage's WORKDIR or the base image's; variables are
    /// resolved from the literal ARG defaults and ENV values set before it.
    fn workdir(&self) -> Result<Option<String>, String> {
        self.workdir_before(self.instructions.len())
    }

    /// The working directory before the stage's instruction `end`, as [`Split::workdir`]
    /// resolves it (variables with literal values expanded).
    fn workdir_before(&self, end: usize) -> Result<Option<String>, String> {
        let mut cwd: Option<String> = self.base_workdir().map(str::to_owned);
        for (index, instruction) in self.instructions[..end].iter().enumerate() {
            if instruction.kind() != Some(InstructionKind::Workdir) {
                continue;
            }
            let variables = self.variables_before(index);
            let written = instruction
                .string_arg()
                .map(|w| w.value)
                .unwrap_or_default();
            let value = expand(&written, &variables)
                .ok_or("WORKDIR uses a variable with no literal value")?;
            cwd = Some(match cwd {
                _ if value.starts_with('/') => value,
                Some(previous) => format!("{}/{value}", previous.trim_end_matches('/')),
                None => {
                    return Err(
                        "a relative WORKDIR builds on the base image's, which is not known"
                            .to_owned(),
                    )
                }
            });
        }
        Ok(cwd.map(|path| normalize(&path)))
    }

    /// The text of the stage's RUN instructions.
    fn run_texts(&self) -> Vec<&str> {
        self.of_kind(InstructionKind::Run)
            .map(|run| run.logical_text())
            .collect()
    }

    fn of_kind(&self, kind: InstructionKind) -> impl Iterator<Item = &Instruction<'_>> {
        self.instructions
            .iter()
            .filter(move |i| i.kind() == Some(kind))
    }

    /// What the runtime image cannot offer that the stage relies on.
    fn check_runtime_fit(&self, runtime: &RuntimeImage) -> Result<(), String> {
        if self.of_kind(InstructionKind::Shell).next().is_some()
            || self.of_kind(InstructionKind::Onbuild).next().is_some()
        {
            return Err("the stage uses SHELL or ONBUILD".to_owned());
        }
        if runtime.distro == Distro::Distroless {
            let shell_form = self.instructions.iter().any(|i| {
                matches!(
                    i.kind(),
                    Some(
                        InstructionKind::Cmd
                            | InstructionKind::Entrypoint
                            | InstructionKind::Healthcheck
                    )
                ) && i.script().is_some()
            });
            if shell_form {
                return Err(format!(
                    "{} has no shell for the shell-form CMD/ENTRYPOINT/HEALTHCHECK",
                    runtime.reference
                ));
            }
        }
        let installs = matches!(runtime.distro, Distro::Debian | Distro::Alpine);
        if let Some(tool) = self.healthcheck_tools().first().filter(|_| !installs) {
            return Err(format!(
                "HEALTHCHECK uses {tool}, which {} does not have",
                runtime.reference
            ));
        }
        for user in self.of_kind(InstructionKind::User) {
            self.check_user(user, runtime)?;
        }
        Ok(())
    }

    /// The runtime image has the user and group a `USER` names: numeric ids, `root`, the
    /// runtime's own user, or accounts its base ships (`transforms/base-users.toml`). The
    /// runtime stage is on another base than the build stage, so an account the build stage
    /// has (its own `useradd`, or its base image's) may be missing there.
    fn check_user(&self, user: &Instruction, runtime: &RuntimeImage) -> Result<(), String> {
        let value = user.string_arg().map(|w| w.value).unwrap_or_default();
        if value.contains('$') {
            return Err(format!(
                "USER {value} uses a variable, so whether {} has that user is unknown",
                runtime.reference
            ));
        }
        let (name, group) = match value.split_once(':') {
            Some((name, group)) => (name, Some(group)),
            None => (value.as_str(), None),
        };
        let image = ImageRef::parse(&runtime.reference);
        let accounts = [(AccountKind::User, name)]
            .into_iter()
            .chain(group.map(|group| (AccountKind::Group, group)));
        for (kind, account) in accounts {
            if self.has_account(runtime, &image, kind, account) {
                continue;
            }
            let what = match kind {
                AccountKind::User => "user",
                AccountKind::Group => "group",
            };
            return Err(if self.creates_account(kind, account) {
                format!(
                    "USER {value}: the {what} {account} is created in the build stage, not in {}",
                    runtime.reference
                )
            } else {
                format!(
                    "USER {value}: the {what} {account} is not one {} is known to have",
                    runtime.reference
                )
            });
        }
        Ok(())
    }

    /// Whether the runtime image has the account: a numeric id, `root`, its own user (which
    /// comes with a group of the same name) or one its base ships.
    fn has_account(
        &self,
        runtime: &RuntimeImage,
        image: &ImageRef,
        kind: AccountKind,
        account: &str,
    ) -> bool {
        account.chars().all(|c| c.is_ascii_digit())
            || account == "root"
            || runtime.user.as_deref() == Some(account)
            || self
                .knowledge
                .image_has_account(image, runtime.distro, kind, account)
    }

    /// A `RUN` of the stage runs a program that creates the account (`useradd -r app`).
    fn creates_account(&self, kind: AccountKind, account: &str) -> bool {
        self.of_kind(InstructionKind::Run)
            .filter_map(|run| run.script())
            .any(|script| {
                script.lexed.commands.iter().any(|command| {
                    let mut words = command.words.iter().skip_while(|w| is_assignment(&w.value));
                    words.next().is_some_and(|program| {
                        self.knowledge.creates_accounts(kind, &program.value)
                    }) && words.any(|word| word.value == account)
                })
            })
    }

    /// The download tools the `HEALTHCHECK` calls (toolchain images have them, slim ones not).
    fn healthcheck_tools(&self) -> Vec<&'static str> {
        let programs = self.healthcheck_programs();
        ["curl", "wget"]
            .into_iter()
            .filter(|tool| {
                programs
                    .iter()
                    .any(|program| program.rsplit('/').next() == Some(*tool))
            })
            .collect()
    }

    /// The application's folder and the folders holding its installed dependencies.
    fn app_folder_copies(
        &self,
        workdir: Option<&str>,
        command: &[String],
        has_userland: bool,
    ) -> Result<Vec<String>, String> {
        let app = workdir
            .filter(|w| *w != "/")
            .ok_or("the stage has no WORKDIR, so the application's folder is unknown")?;
        if self.file.text().contains("--user") || self.sets_variable("PIP_USER") {
            return Err("a `--user` install puts dependencies in the home folder".to_owned());
        }
        let mut copies = vec![app.to_owned()];
        copies.extend(
            self.layout
                .keep
                .iter()
                .filter(|keep| !is_within(app, keep))
                .cloned(),
        );
        for folder in self.environment_folders()? {
            if !copies.iter().any(|copy| is_within(copy, &folder)) {
                copies.push(folder);
            }
        }
        // Modules are looked up in the folders the stage's ENV adds.
        for (variable, folder) in self.module_folders(app)? {
            if !copies.iter().any(|copy| is_within(copy, &folder)) {
                return Err(format!(
                    "the stage's {variable} names {folder}, which the runtime stage would not receive"
                ));
            }
        }
        for word in command
            .iter()
            .skip(1)
            .filter_map(|w| file_path(w))
            .filter(|w| w.starts_with('/'))
        {
            if !copies.iter().any(|folder| is_within(folder, word)) {
                return Err(format!(
                    "the command uses {word}, outside the folders the runtime stage would receive"
                ));
            }
        }
        let program = command.first().map(String::as_str).unwrap_or_default();
        // A bare name is found on PATH: the runtime's own programs, or the console scripts the
        // installs put in a copied `bin` folder (`/usr/local/bin/gunicorn`).
        let installed = !program.contains('/')
            && self
                .layout
                .keep
                .iter()
                .any(|keep| PATH_ROOTS.contains(&keep.as_str()));
        let copied = |path: &str| copies.iter().any(|folder| is_within(folder, path));
        // Folders the stage put on PATH that the runtime stage would not receive may hold a
        // tool installed into the home folder.
        let search_path = self.search_path();
        let unreceived =
            |folder: &&String| !copied(folder) && !paths::DEFAULT_PATH.contains(&folder.as_str());
        let found = if program.contains('/') {
            // A script may run any program on PATH.
            if let Some(folder) = search_path.iter().find(unreceived) {
                return Err(format!(
                    "the command runs {program}, which may run programs from {folder}, a folder on PATH the runtime stage would not receive"
                ));
            }
            copied(&resolve(app, program))
        } else if RUNTIME_PROGRAMS.contains(&program) {
            true
        } else {
            // A bare program is found in the first folder that has it: one not received that
            // comes before every received one may be it.
            let first = search_path
                .iter()
                .find(|folder| copied(folder) || unreceived(folder));
            if let Some(folder) = first.filter(unreceived) {
                return Err(format!(
                    "the command runs {program}, which may be in {folder}, a folder on PATH the runtime stage would not receive"
                ));
            }
            installed
                || search_path
                    .iter()
                    .any(|dir| copied(&format!("{dir}/{program}")))
        };
        if !RUNTIME_PROGRAMS.contains(&program) && !found {
            return Err(format!(
                "the command runs {program}, which the runtime image may not have"
            ));
        }
        self.check_healthcheck(app, &copies, has_userland)?;
        Ok(copies)
    }

    /// The build output the command names, traced through the profile's build commands, and
    /// the files it names that the stage copied from the build context.
    fn artifact_copies(
        &self,
        workdir: Option<&str>,
        command: &[String],
        has_userland: bool,
    ) -> Result<Vec<String>, String> {
        let outputs = self.build_outputs()?;
        let cwd = workdir.ok_or_else(|| {
            format!(
                "the stage sets no WORKDIR, and the one {} starts in is not known",
                self.stage.base.raw
            )
        })?;
        let mut copies = Vec::new();
        // The HEALTHCHECK's programs from the build run in the runtime stage too.
        let health_programs = self
            .healthcheck_programs()
            .into_iter()
            .filter(|program| program.contains('/') && !is_system_program(program))
            .map(|program| (0, program));
        // Paths the environment makes the launcher load (`JAVA_TOOL_OPTIONS=-javaagent:…`).
        let environment_paths = self.environment_paths().into_iter().map(|path| (1, path));
        for (position, word) in
            named_paths(command, &self.layout.path_lists, &self.layout.path_prefixes)
                .into_iter()
                .chain(health_programs)
                .chain(environment_paths)
        {
            // A program without a slash is looked up on PATH, not in the working directory.
            let candidates: Vec<String> = if position == 0 && self.is_toolchain_program(&word) {
                Vec::new()
            } else if position == 0 && !word.contains('/') {
                self.search_path()
                    .iter()
                    .map(|dir| format!("{dir}/{word}"))
                    .collect()
            } else {
                vec![resolve(cwd, &word)]
            };
            let produced = candidates.iter().find_map(|path| {
                outputs.iter().find_map(|output| {
                    let unit = produced_by(&output.path, path)?;
                    let name = path.rsplit('/').next().unwrap_or(path);
                    if output
                        .names
                        .as_ref()
                        .is_some_and(|names| !names.iter().any(|n| n == name))
                    {
                        return None;
                    }
                    let unit = if output.exact { unit } else { normalize(path) };
                    Some((&output.path, unit, output.exact))
                })
            });
            let path = candidates
                .first()
                .cloned()
                .unwrap_or_else(|| resolve(cwd, &word));
            match produced {
                // A build into a folder of system programs (`go build -o /usr/local/bin/`)
                // mixes its output with programs the build did not make.
                Some((output, _, true)) if self.is_program_folder(output) => {
                    return Err(format!(
                    "the build writes into {output}, so which of its programs it made is unknown"
                ))
                }
                Some((output, unit, true)) => copies.push(if is_glob(output) {
                    unit
                } else {
                    output.clone()
                }),
                Some((output, path, false)) => {
                    copies.push(distribution_of(output, &path, position).unwrap_or(path))
                }
                None if position == 0 && RUNTIME_PROGRAMS.contains(&word.as_str()) => {}
                // Data files the command names may come from the context; a program from
                // there (an entrypoint script) runs what cannot be traced.
                None if position > 0 && self.copied_from_context(&path)? => copies.push(path),
                None if position == 0 => {
                    return Err(format!(
                        "the command runs {word}, which is not a build output dfmigrate can trace"
                    ))
                }
                None => {
                    return Err(format!(
                        "the command uses {word}, which is not a build output dfmigrate can trace"
                    ))
                }
            }
        }
        copies.sort();
        copies.dedup();
        self.check_healthcheck(cwd, &copies, has_userland)?;
        let built = |copy: &String| {
            outputs
                .iter()
                .any(|output| produced_by(&output.path, copy).is_some())
        };
        if !copies.iter().any(built) {
            return Err("the command names no build output".to_owned());
        }
        Ok(copies)
    }

    /// The programs the `HEALTHCHECK` runs exist in the runtime stage: a copied path, the
    /// download tool installed for it, a runtime or base-system program, or a shell builtin.
    fn check_healthcheck(
        &self,
        cwd: &str,
        copies: &[String],
        has_userland: bool,
    ) -> Result<(), String> {
        for program in self.healthcheck_programs() {
            let copied = |path: &str| copies.iter().any(|copy| is_within(copy, path));
            let name = program.rsplit('/').next().unwrap_or(&program);
            let available = if !program.contains('/') {
                self.bare_program_available(name, copies, has_userland)
            } else if is_system_program(&program) {
                // Only that path: the download tool the runtime stage installs, or a copy.
                copied(&program)
                    || (["curl", "wget"].contains(&name)
                        && program.starts_with("/usr/bin/")
                        && has_userland)
            } else {
                copied(&resolve(cwd, &program))
            };
            if !available {
                return Err(format!(
                    "the HEALTHCHECK runs {program}, which the runtime stage would not have"
                ));
            }
        }
        Ok(())
    }

    /// A program found on PATH in the runtime stage: copied into a PATH folder, the runtime's
    /// own, or a base-system program or download tool where the runtime has a userland.
    fn bare_program_available(&self, name: &str, copies: &[String], has_userland: bool) -> bool {
        let copied = |path: &str| copies.iter().any(|copy| is_within(copy, path));
        let base_system = ["curl", "wget", "exit", "true", "false", "test", "[", "echo"]
            .contains(&name)
            || self.knowledge.is_shell_program(name);
        self.search_path()
            .iter()
            .any(|dir| copied(&format!("{dir}/{name}")))
            || RUNTIME_PROGRAMS.contains(&name)
            || (base_system && has_userland)
    }

    /// The folders a bare program name is looked up in: those of the stage's `ENV PATH`, its
    /// `$PATH` standing for the image's own, else the image's (`/go/bin` first in golang).
    fn search_path(&self) -> Vec<String> {
        let mut path: Vec<String> = self.image_path_folders();
        path.extend(paths::DEFAULT_PATH.iter().map(|dir| (*dir).to_owned()));
        // A relative folder is looked up from the container's working directory; a folder
        // named by a variable without a literal value stays as written (`$HOME/.local/bin`).
        let cwd = self.workdir().ok().flatten();
        for (index, env) in self.instructions.iter().enumerate() {
            if env.kind() != Some(InstructionKind::Env) {
                continue;
            }
            let variables = self.variables_before(index);
            for (_, value, _) in env
                .pairs()
                .into_iter()
                .filter(|(key, _, _)| key.value == "PATH")
            {
                let previous = std::mem::take(&mut path);
                for entry in unquote(&value.value).split(':') {
                    if matches!(entry, "$PATH" | "${PATH}") {
                        path.extend(previous.iter().cloned());
                        continue;
                    }
                    let Some(entry) = expand(entry, &variables) else {
                        path.push(entry.to_owned());
                        continue;
                    };
                    match &cwd {
                        _ if entry.is_empty() => {}
                        _ if entry.starts_with('/') => path.push(normalize(&entry)),
                        Some(cwd) => path.push(resolve(cwd, &entry)),
                        None => path.push(entry),
                    }
                }
            }
        }
        path
    }

    /// The folders the stage's `ENV` adds to the module search paths (`PYTHONPATH`,
    /// `NODE_PATH`), with their variables expanded and relative ones resolved against the
    /// working directory; the reason to decline when one cannot be expanded.
    fn module_folders(&self, cwd: &str) -> Result<Vec<(&'static str, String)>, String> {
        let mut folders = Vec::new();
        for (index, env) in self.instructions.iter().enumerate() {
            if env.kind() != Some(InstructionKind::Env) {
                continue;
            }
            let variables = self.variables_before(index);
            for (key, value, _) in env.pairs() {
                let Some(variable) = ["PYTHONPATH", "NODE_PATH"]
                    .into_iter()
                    .find(|name| *name == key.value)
                else {
                    continue;
                };
                for entry in unquote(&value.value).split(':') {
                    if entry.is_empty()
                        || entry == format!("${variable}")
                        || entry == format!("${{{variable}}}")
                    {
                        continue;
                    }
                    let entry = expand(entry, &variables).ok_or_else(|| {
                        format!("the stage's {variable} names {entry}, a variable without a literal value")
                    })?;
                    folders.push((variable, resolve(cwd, &entry)));
                }
            }
        }
        Ok(folders)
    }

    /// The folders the builder image puts before the standard PATH (`/go/bin`).
    fn image_path_folders(&self) -> Vec<String> {
        self.knowledge
            .image_path(&self.stage.base)
            .map(|image| image.path.clone())
            .unwrap_or_default()
    }

    /// A folder of system or toolchain programs (`/usr/local/bin`, `/usr/local/cargo/bin`).
    fn is_program_folder(&self, path: &str) -> bool {
        let path = path.trim_end_matches('/');
        paths::DEFAULT_PATH.contains(&path) || self.image_path_folders().iter().any(|f| f == path)
    }

    /// A program of the builder image's toolchain (`go`, `cargo`), which no runtime has.
    fn is_toolchain_program(&self, word: &str) -> bool {
        let name = word.rsplit('/').next().unwrap_or(word);
        self.knowledge
            .image_path(&self.stage.base)
            .is_some_and(|image| image.programs.iter().any(|program| program == name))
    }

    /// The builder image's own PATH folders that copied programs are in (`go install` puts
    /// them in `/go/bin`): the runtime stage puts them on its PATH, as the builder had them.
    fn builder_path_folders(&self, copies: &[String]) -> Vec<String> {
        self.image_path_folders()
            .into_iter()
            .filter(|folder| {
                copies.iter().any(|copy| {
                    copy == folder
                        || copy.rsplit_once('/').map(|(parent, _)| parent) == Some(folder)
                })
            })
            .collect()
    }

    /// Paths after the profile's path prefixes in the stage's `ENV` values.
    fn environment_paths(&self) -> Vec<String> {
        self.of_kind(InstructionKind::Env)
            .flat_map(|env| env.pairs())
            .flat_map(|(_, value, _)| {
                value
                    .value
                    .split_whitespace()
                    .filter_map(|word| {
                        launch::prefixed_path(word.trim_matches('"'), &self.layout.path_prefixes)
                    })
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The programs the stage's `HEALTHCHECK`s run (each command's first word).
    fn healthcheck_programs(&self) -> Vec<String> {
        let mut programs = Vec::new();
        for check in self.of_kind(InstructionKind::Healthcheck) {
            match (check.health_exec_form(), check.script()) {
                (Some(words), _) => programs.extend(words.into_iter().take(1).map(|w| w.value)),
                (None, Some(script)) => {
                    programs.extend(script.lexed.commands.iter().filter_map(|command| {
                        command
                            .words
                            .iter()
                            .find(|w| !is_assignment(&w.value))
                            .map(|w| w.value.clone())
                    }))
                }
                (None, None) => {}
            }
        }
        programs
    }

    /// Whether `path` is a file a `COPY`/`ADD` of the stage brought from the build context, and
    /// the context has it (when its files are known).
    fn copied_from_context(&self, path: &str) -> Result<bool, String> {
        for (index, instruction) in self.instructions.iter().enumerate() {
            if !matches!(
                instruction.kind(),
                Some(InstructionKind::Copy | InstructionKind::Add)
            ) || instruction.flag("from").is_some()
            {
                continue;
            }
            let Some(args) = instruction.copy_args() else {
                continue;
            };
            let Some(cwd) = self.cwd_at(index) else {
                continue;
            };
            let destination = resolve(&cwd, &args.destination.value);
            if !is_within(&destination, path) {
                continue;
            }
            if !self.context.has_files() {
                return Ok(true);
            }
            let inside = path[destination.len()..].trim_start_matches('/');
            let into_folder = args.destination.value.ends_with('/') || args.sources.len() > 1;
            let found = args.sources.iter().any(|source| {
                let source = source.value.trim_start_matches("./");
                let candidate = if inside.is_empty() {
                    source.to_owned()
                } else if self.context.is_dir(source) || source == "." {
                    format!("{}/{inside}", source.trim_end_matches('/'))
                } else if into_folder && source.rsplit('/').next() == Some(inside) {
                    source.to_owned()
                } else {
                    return false;
                };
                self.context
                    .is_available(normalize(&candidate).trim_start_matches('/'))
            });
            if found {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Absolute build outputs of the stage's build commands, and whether each is exact (copy
    /// it whole) or a folder of candidates (copy only what the command names).
    fn build_outputs(&self) -> Result<Vec<Output>, String> {
        let mut outputs = Vec::new();
        for (index, run) in self
            .instructions
            .iter()
            .enumerate()
            .filter(|(_, i)| i.kind() == Some(InstructionKind::Run))
        {
            let Some(script) = run.script() else { continue };
            let cwd = self.cwd_at(index);
            for command in &script.lexed.commands {
                let Some(found) = self.profile.match_command(command, script.text) else {
                    continue;
                };
                let Some(artifacts) = found.artifacts(self.context) else {
                    continue;
                };
                let assigned = command
                    .words
                    .iter()
                    .take_while(|word| is_assignment(&word.value))
                    .filter_map(|word| word.value.split_once('=').map(|(name, _)| name.to_owned()));
                let variables: Vec<String> = self
                    .variables_before(index)
                    .into_iter()
                    .map(|(name, _)| name)
                    .chain(assigned)
                    .collect();
                // Also an ARG without a default (a build argument may set it) and a setting
                // anywhere in the RUN (`export GOBIN=…`, `go env -w GOBIN=…`).
                let declared = self.instructions[..index]
                    .iter()
                    .filter(|i| i.kind() == Some(InstructionKind::Arg))
                    .flat_map(|arg| arg.arg_definitions())
                    .map(|(name, _)| name)
                    .collect::<Vec<_>>();
                if artifacts.unless_env.iter().any(|name| {
                    variables.contains(name)
                        || declared.contains(name)
                        || script.text.contains(&format!("{name}="))
                }) {
                    continue;
                }
                let Some(cwd) = cwd.as_deref() else {
                    return Err("a build runs in a folder that depends on a variable or on the base image's own working directory".to_owned());
                };
                outputs.extend(artifacts.paths.iter().map(|path| Output {
                    path: resolve(cwd, path),
                    exact: artifacts.exact,
                    names: artifacts.names.clone(),
                }));
            }
        }
        Ok(outputs)
    }

    /// The prune command right after the stage's last RUN, so it runs as the same user, before
    /// any USER, CMD or metadata that follows.
    fn prune_edit(&self, prune: &str, style: &Style) -> Edit {
        let last_run = self
            .of_kind(InstructionKind::Run)
            .last()
            .unwrap_or(&self.instructions[0]);
        let end = last_run.range().end;
        let keyword = style.keyword(InstructionKind::Run);
        if self.file.text()[..end].ends_with('\n') {
            Edit::insert(end, format!("{keyword} {prune}{}", style.newline))
        } else {
            Edit::insert(end, format!("{}{keyword} {prune}", style.newline))
        }
    }

    /// `npm prune --omit=dev` when the profile prunes, it is the project's own package manager,
    /// and the command is a plain `node …` (npm scripts may call development tools).
    fn prune(&self, command: &[String]) -> Option<&str> {
        let runs_node = command.first().is_some_and(|program| program == "node");
        self.layout
            .prune
            .as_deref()
            .filter(|_| self.detected && runs_node)
    }

    /// `builder`, or a variant no stage uses yet; the stage's own name when it has one.
    fn builder_name(&self) -> String {
        if let Some(name) = &self.stage.name {
            return name.clone();
        }
        let taken = |name: &str| {
            self.file
                .stages()
                .iter()
                .any(|s| s.name.as_deref() == Some(name))
        };
        ["builder", "build", "build-stage"]
            .into_iter()
            .find(|name| !taken(name))
            .map_or_else(
                || format!("builder{}", self.file.stages().len()),
                str::to_owned,
            )
    }

    fn runtime_stage(&self, parts: &RuntimeStage, style: &Style) -> String {
        let RuntimeStage {
            runtime,
            builder,
            workdir,
            copies,
            context,
            install,
            path,
        } = parts;
        let keyword = |kind| style.keyword(kind);
        let mut body = Vec::new();
        // System packages first, as the build stage installed them before setting up the
        // application (an `ENV LD_PRELOAD` of a library the install brings must follow it);
        // the copies use literal paths, so no variable of the stage is needed before them.
        if let Some(install) = install {
            body.push(format!("{} {install}", keyword(InstructionKind::Run)));
        }
        if let Some(workdir) = workdir {
            body.push(format!("{} {workdir}", keyword(InstructionKind::Workdir)));
        }
        for path in copies.iter() {
            body.push(format!(
                "{} --from={builder} {}",
                keyword(InstructionKind::Copy),
                copy_arguments(std::slice::from_ref(path), path)
            ));
        }
        for copy in context.iter() {
            let chown = match &copy.chown {
                Some(owner) => format!(" --chown={owner}"),
                None => String::new(),
            };
            body.push(format!(
                "{} --from={builder}{chown} {}",
                keyword(InstructionKind::Copy),
                copy_arguments(std::slice::from_ref(&copy.path), &copy.path)
            ));
        }
        if !path.is_empty() {
            body.push(format!(
                "{} PATH={}:$PATH",
                keyword(InstructionKind::Env),
                path.join(":")
            ));
        }
        self.stage_text(&runtime.reference, &body, RUNTIME_CONFIG, true, style)
    }

    /// A new final stage: `FROM reference`, `body`, then the stage's ARG, ENV
    /// (`with_environment`) and `carried` instructions in their original order, so each sees the
    /// variables it saw before (`EXPOSE $PORT`; a global ARG only where the stage declared it).
    fn stage_text(
        &self,
        reference: &str,
        body: &[String],
        carried: &[InstructionKind],
        with_environment: bool,
        style: &Style,
    ) -> String {
        let keyword = |kind| style.keyword(kind);
        let newline = style.newline;
        let mut text = String::new();
        text.push_str(newline);
        if let Some(comment) = self.pin_comment(reference) {
            text.push_str(&format!("{comment}{newline}"));
        }
        // The runtime stage is for the platform the build stage names, as the image was.
        let platform = match self.instructions[0].flag("platform") {
            Some(Flag {
                value: Some(value), ..
            }) => format!("--platform={value} "),
            _ => String::new(),
        };
        text.push_str(&format!(
            "{} {platform}{reference}{newline}",
            keyword(InstructionKind::From)
        ));
        for line in body {
            text.push_str(&format!("{line}{newline}"));
        }
        for instruction in self.instructions.iter().filter(|i| {
            i.kind().is_some_and(|k| {
                k == InstructionKind::Arg
                    || (k == InstructionKind::Env && with_environment)
                    || carried.contains(&k)
            })
        }) {
            text.push_str(&verbatim(instruction, newline));
        }
        if !self.file.text().ends_with('\n') {
            text.truncate(text.len() - newline.len());
        }
        text
    }
}

/// `$NAME` and `${NAME}` replaced by literal values; `None` when one is unknown or not literal.
fn expand(text: &str, variables: &[(String, String)]) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, tail) = match after.strip_prefix('{') {
            Some(braced) => {
                let end = braced.find('}')?;
                (&braced[..end], &braced[end + 1..])
            }
            None => {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        let value = variables
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)?;
        if value.contains('$') {
            return None;
        }
        out.push_str(value);
        rest = tail;
    }
    out.push_str(rest);
    Some(out)
}

/// An instruction's own text (indentation, continuations and heredocs included), ending in a
/// newline.
fn verbatim(instruction: &Instruction, newline: &str) -> String {
    let mut text = instruction.source().to_owned();
    if !text.ends_with('\n') {
        text.push_str(newline);
    }
    text
}

/// The part of `path` a build output (a path, a folder, or a glob such as `/build/target/*.jar`
/// or `/src/**/build`) covers: `path` itself or the ancestor the output names.
fn produced_by(output: &str, path: &str) -> Option<String> {
    let path = normalize(path);
    if !is_glob(output) {
        return is_within(output, &path).then_some(path);
    }
    let glob = globset::GlobBuilder::new(output)
        .literal_separator(true)
        .build()
        .ok()?
        .compile_matcher();
    // A glob naming files (`target/release/*`) covers only what it matches; one naming folders
    // (`**/build`) covers what is inside them too.
    let names_folders = !is_glob(output.rsplit('/').next().unwrap_or(output));
    if !names_folders {
        return glob.is_match(&path).then_some(path);
    }
    let mut candidate = path.as_str();
    loop {
        if glob.is_match(candidate) {
            return Some(candidate.to_owned());
        }
        candidate = &candidate[..candidate.rfind('/').filter(|&at| at > 0)?];
    }
}

fn is_glob(output: &str) -> bool {
    output.contains(['*', '?', '['])
}

/// A program in one of the system's program folders (`/usr/bin/curl`).
fn is_system_program(path: &str) -> bool {
    path.rsplit_once('/')
        .is_some_and(|(folder, _)| paths::DEFAULT_PATH.contains(&folder))
}

/// A program run from a `bin` folder inside a build output belongs to a distribution whose
/// other folders (`lib`) it loads: the folder above `bin`.
fn distribution_of(output: &str, path: &str, position: usize) -> Option<String> {
    let (folder, _) = path.rsplit_once('/')?;
    let (distribution, bin) = folder.rsplit_once('/')?;
    (position == 0 && bin == "bin" && produced_by(output, distribution).is_some())
        .then(|| distribution.to_owned())
}
