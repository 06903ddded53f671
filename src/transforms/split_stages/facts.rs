//! Facts about the final stage, gathered from the model once and asked by the other parts:
//! what it launches (`CMD`/`ENTRYPOINT`), builds (the profile's build commands and their
//! outputs), installs and copies from the build context, its variables, working directory and
//! PATH, and its `HEALTHCHECK`s.

use super::launch::{self, command_words};
use super::Decline;
use crate::context::BuildContext;
use crate::knowledge::runtime_stage::RuntimeStage;
use crate::knowledge::{KnowledgeBase, Profile, RuntimeLayout, VirtualenvLayout};
use crate::model::packages::is_assignment;
use crate::model::paths::{self, is_within, normalize, resolve};
use crate::model::{Dockerfile, Instruction, Stage, Workdir, WorkdirUnknown};
use crate::syntax::InstructionKind;

/// The final stage and what is known around it: its file, the knowledge base, the ecosystem
/// profile and runtime layout chosen for it, and the build context.
pub(super) struct Facts<'a, 'p> {
    pub file: &'a Dockerfile<'p>,
    pub stage: &'a Stage,
    pub instructions: &'a [Instruction<'p>],
    pub knowledge: &'a KnowledgeBase,
    pub profile: &'a Profile,
    pub layout: &'a RuntimeLayout,
    /// Whether the profile was detected in the build context (not only the base image's).
    pub detected: bool,
    pub context: &'a BuildContext,
    /// The virtualenv the build stage creates for the installs, when it does: its `bin` leads
    /// the PATH and it is the folder installs fill.
    pub virtualenv: Option<&'a VirtualenvLayout>,
}

/// A build output: an absolute path or glob, whether it is exact (copy it whole) or a folder
/// of candidates (copy only what the command names), and the only names candidates may have.
pub(super) struct Output {
    pub path: String,
    pub exact: bool,
    pub names: Option<Vec<String>>,
}

impl Facts<'_, '_> {
    /// The working directory the base image starts in, when known.
    pub(super) fn base_workdir(&self) -> Option<&str> {
        self.knowledge.image_workdir(&self.stage.base)
    }

    /// The working directory before the stage's instruction `index` (where build commands
    /// and `cd` run), by the model's rule with the base image's own from the knowledge base:
    /// `None` when it depends on a variable or on an unknown base image's own. Unlike the
    /// model, a `WORKDIR` naming a variable leaves it unknown for the rest of the stage, even
    /// after an absolute one.
    pub(super) fn cwd_at(&self, index: usize) -> Option<String> {
        let unknown = |instruction| *self.file.workdir_before(instruction) == Workdir::Unknown;
        if self.instructions[..=index].iter().any(unknown) {
            return None;
        }
        self.file
            .workdir_before(&self.instructions[index])
            .known_with(self.base_workdir())
    }

    /// The variables with literal values in force before the stage's instruction `index`: its
    /// ARGs (a global ARG's default when the stage declares it again without one) and ENVs.
    pub(super) fn variables_before(&self, index: usize) -> Vec<(String, String)> {
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
    pub(super) fn workdir(&self) -> Result<Option<String>, Decline> {
        self.workdir_before(self.instructions.len())
    }

    /// The working directory before the stage's instruction `end` (the application folder,
    /// copy destinations): the model's, with the variables `WORKDIR`s name expanded from
    /// literal values and the base image's own from the knowledge base. The reason to decline
    /// when a `WORKDIR` names another variable, or is relative to an unknown one.
    pub(super) fn workdir_before(&self, end: usize) -> Result<Option<String>, Decline> {
        let base = self.base_workdir();
        let found = match self.instructions.get(end) {
            Some(instruction) => self.file.expanded_workdir_before(instruction, base),
            None => self.file.expanded_workdir_at_end(self.stage, base),
        };
        found.map_err(|unknown| match unknown {
            WorkdirUnknown::Variable => Decline::WorkdirVariable,
            WorkdirUnknown::Relative => Decline::RelativeWorkdir,
        })
    }

    /// The text of the stage's RUN instructions.
    pub(super) fn run_texts(&self) -> Vec<&str> {
        self.of_kind(InstructionKind::Run)
            .map(|run| run.logical_text())
            .collect()
    }

    /// Whether the stage sets the variable `name` to `value` for its builds: with an `ENV` or
    /// an `ARG` default, or a word of one of its RUN commands (`CGO_ENABLED=0 go build`,
    /// `export CGO_ENABLED=0`), not in a comment.
    pub(super) fn sets_value(&self, name: &str, value: &str) -> bool {
        let assignment = format!("{name}={value}");
        self.variables_before(self.instructions.len())
            .iter()
            .any(|(key, set)| key == name && set == value)
            || self.run_words().any(|word| word == assignment)
    }

    /// Whether a RUN command of the stage has the word `option` (`pip install --user`).
    pub(super) fn runs_with(&self, option: &str) -> bool {
        self.run_words().any(|word| word == option)
    }

    /// The words of the stage's RUN commands, as the shell reads them.
    fn run_words(&self) -> impl Iterator<Item = String> + '_ {
        self.of_kind(InstructionKind::Run)
            .filter_map(|run| self.file.script(run))
            .flat_map(|script| {
                let commands = script.lexed.commands.iter();
                let words = commands.flat_map(|command| &command.words);
                words.map(|word| word.value.clone()).collect::<Vec<_>>()
            })
    }

    pub(super) fn of_kind(&self, kind: InstructionKind) -> impl Iterator<Item = &Instruction<'_>> {
        self.instructions
            .iter()
            .filter(move |i| i.kind() == Some(kind))
    }

    /// The last ENTRYPOINT and the CMD passed to it (none after a shell-form ENTRYPOINT, which
    /// runs `sh -c` with its text alone).
    pub(super) fn launch_instructions(
        &self,
    ) -> (Option<&Instruction<'_>>, Option<&Instruction<'_>>) {
        let last = |kind| {
            self.instructions
                .iter()
                .rev()
                .find(|i| i.kind() == Some(kind))
        };
        let entrypoint = last(InstructionKind::Entrypoint);
        let cmd =
            last(InstructionKind::Cmd).filter(|_| entrypoint.is_none_or(|e| e.script().is_none()));
        (entrypoint, cmd)
    }

    /// The words the container runs: ENTRYPOINT then CMD (unless the ENTRYPOINT is in shell
    /// form), each in exec form or a plain command; a shell's `-c` script is traced as a
    /// shell-form command (`launch::through_shell`).
    pub(super) fn command(&self) -> Result<Vec<String>, Decline> {
        let (entrypoint, cmd) = self.launch_instructions();
        let mut words = Vec::new();
        let mut keywords = Vec::new();
        for instruction in [entrypoint, cmd].into_iter().flatten() {
            let found = command_words(instruction, self.knowledge)?;
            let keyword = instruction.keyword().value.to_ascii_uppercase();
            keywords.extend(std::iter::repeat_n(keyword, found.len()));
            words.extend(found);
        }
        if words.is_empty() {
            return Err(Decline::NoCommand);
        }
        launch::through_shell(words, &keywords, self.knowledge)
    }

    /// Whether the container's exec-form command starts a shell (`["sh", "-c", "…"]`,
    /// `["bash", "start.sh"]`), which the runtime image must then have.
    pub(super) fn exec_starts_shell(&self) -> bool {
        let (entrypoint, cmd) = self.launch_instructions();
        let words = [entrypoint, cmd]
            .into_iter()
            .flatten()
            .filter_map(|instruction| instruction.exec_form())
            .flatten()
            .next();
        words.is_some_and(|first| self.knowledge.is_shell(&first.value))
    }

    /// The download tools the `HEALTHCHECK` calls (toolchain images have them, slim ones not).
    pub(super) fn healthcheck_tools(&self) -> Vec<&'static str> {
        let programs = self.healthcheck_programs();
        let tools = RuntimeStage::builtin().runtime_images.download_tools.iter();
        tools
            .map(String::as_str)
            .filter(|tool| {
                programs
                    .iter()
                    .any(|program| program.rsplit('/').next() == Some(*tool))
            })
            .collect()
    }

    /// The programs the stage's `HEALTHCHECK`s run (each command's first word).
    pub(super) fn healthcheck_programs(&self) -> Vec<String> {
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

    /// The folders a bare program name is looked up in: those of the stage's `ENV PATH`, its
    /// `$PATH` standing for the image's own, else the image's (`/go/bin` first in golang).
    pub(super) fn search_path(&self) -> Vec<String> {
        let mut path: Vec<String> = self.virtualenv.map(|v| v.bin()).into_iter().collect();
        path.extend(self.image_path_folders());
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
    pub(super) fn module_folders(&self, cwd: &str) -> Result<Vec<(&'static str, String)>, Decline> {
        let mut folders = Vec::new();
        for (index, env) in self.instructions.iter().enumerate() {
            if env.kind() != Some(InstructionKind::Env) {
                continue;
            }
            let variables = self.variables_before(index);
            for (key, value, _) in env.pairs() {
                let Some(variable) = RuntimeStage::builtin().module_path(&key.value) else {
                    continue;
                };
                for entry in unquote(&value.value).split(':') {
                    if entry.is_empty()
                        || entry == format!("${variable}")
                        || entry == format!("${{{variable}}}")
                    {
                        continue;
                    }
                    let entry =
                        expand(entry, &variables).ok_or_else(|| Decline::ModuleFolderVariable {
                            variable,
                            entry: entry.to_owned(),
                        })?;
                    folders.push((variable, resolve(cwd, &entry)));
                }
            }
        }
        Ok(folders)
    }

    /// The folders the builder image puts before the standard PATH (`/go/bin`).
    pub(super) fn image_path_folders(&self) -> Vec<String> {
        self.knowledge
            .image_path(&self.stage.base)
            .map(|image| image.path.clone())
            .unwrap_or_default()
    }

    /// The folders installs fill outside the application: the virtualenv the build stage
    /// creates, else the builder image's own (`/opt/pypy`) when it says, else the profile's
    /// (`/usr/local`).
    pub(super) fn install_folders(&self) -> &[String] {
        if let Some(virtualenv) = self.virtualenv {
            return std::slice::from_ref(&virtualenv.folder);
        }
        self.knowledge
            .image_path(&self.stage.base)
            .and_then(|image| image.keep.as_deref())
            .unwrap_or(&self.layout.keep)
    }

    /// A folder of system or toolchain programs (`/usr/local/bin`, `/usr/local/cargo/bin`).
    pub(super) fn is_program_folder(&self, path: &str) -> bool {
        let path = path.trim_end_matches('/');
        paths::DEFAULT_PATH.contains(&path) || self.image_path_folders().iter().any(|f| f == path)
    }

    /// A program of the builder image's toolchain (`go`, `cargo`), which no runtime has.
    pub(super) fn is_toolchain_program(&self, word: &str) -> bool {
        let name = word.rsplit('/').next().unwrap_or(word);
        self.knowledge
            .image_path(&self.stage.base)
            .is_some_and(|image| image.programs.iter().any(|program| program == name))
    }

    /// The builder image's own PATH folders that copied programs are in (`go install` puts
    /// them in `/go/bin`): the runtime stage puts them on its PATH, as the builder had them.
    pub(super) fn builder_path_folders(&self, copies: &[String]) -> Vec<String> {
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
    pub(super) fn environment_paths(&self) -> Vec<String> {
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

    /// Whether `path` is a file a `COPY`/`ADD` of the stage brought from the build context, and
    /// the context has it (when its files are known).
    pub(super) fn copied_from_context(&self, path: &str) -> Result<bool, Decline> {
        Ok(self.context_source(path).is_some())
    }

    /// The build context path a `COPY`/`ADD` of the stage brought `path` from: `Some(None)`
    /// when the context's files are not known, `None` when no copy brought it.
    /// The last copy that brought it decides.
    pub(super) fn context_source(&self, path: &str) -> Option<Option<String>> {
        for (index, instruction) in self.instructions.iter().enumerate().rev() {
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
                return Some(None);
            }
            let inside = path[destination.len()..].trim_start_matches('/');
            let into_folder = args.destination.value.ends_with('/') || args.sources.len() > 1;
            let found = args.sources.iter().rev().find_map(|source| {
                let source = source.value.trim_start_matches("./");
                let candidate = if inside.is_empty() {
                    source.to_owned()
                } else if self.context.is_dir(source) || source == "." {
                    format!("{}/{inside}", source.trim_end_matches('/'))
                } else if into_folder && source.rsplit('/').next() == Some(inside) {
                    source.to_owned()
                } else {
                    return None;
                };
                let candidate = normalize(&candidate).trim_start_matches('/').to_owned();
                self.context.is_available(&candidate).then_some(candidate)
            });
            if found.is_some() {
                return Some(found);
            }
        }
        None
    }

    /// Absolute build outputs of the stage's build commands, and whether each is exact (copy
    /// it whole) or a folder of candidates (copy only what the command names).
    pub(super) fn build_outputs(&self) -> Result<Vec<Output>, Decline> {
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
                        || script.lexed.commands.iter().any(|command| {
                            command
                                .words
                                .iter()
                                .any(|word| word.value.starts_with(&format!("{name}=")))
                        })
                }) {
                    continue;
                }
                let Some(cwd) = cwd.as_deref() else {
                    return Err(Decline::BuildFolderUnknown);
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

    /// The build stage's name: `builder`, or a variant no stage uses yet; for a stage that
    /// has a name, which the runtime stage takes over (`docker build --target NAME` then still
    /// builds the image that runs), `NAME-build` or a variant.
    pub(super) fn builder_name(&self) -> String {
        let taken = |name: &str| {
            self.file.stages().iter().any(|s| {
                s.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
        };
        let candidates: Vec<String> = match &self.stage.name {
            // A name that already says it builds (`build`) leaves `builder` to the build stage.
            Some(name) if !name.to_ascii_lowercase().contains("build") => {
                ["build", "builder", "build-stage"]
                    .iter()
                    .map(|suffix| format!("{name}-{suffix}"))
                    .collect()
            }
            _ => ["builder", "build", "build-stage"]
                .map(str::to_owned)
                .to_vec(),
        };
        let fallback = format!("{}{}", candidates[0], self.file.stages().len());
        candidates
            .into_iter()
            .find(|name| !taken(name))
            .unwrap_or(fallback)
    }

    /// `name`, or `name2`, `name3`… when a stage of the file has it (the new stages besides
    /// the build stage: `deps`).
    pub(super) fn unused_stage_name(&self, name: &str) -> String {
        let taken = |candidate: &str| {
            candidate.eq_ignore_ascii_case(&self.builder_name())
                || self.file.stages().iter().any(|s| {
                    s.name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(candidate))
                })
        };
        std::iter::once(name.to_owned())
            .chain((2..).map(|n| format!("{name}{n}")))
            .find(|candidate| !taken(candidate))
            .unwrap_or_else(|| name.to_owned())
    }

    /// Whether the stage (or a global ARG) defines the variable `name`.
    pub(super) fn sets_variable(&self, name: &str) -> bool {
        let globals = self
            .file
            .instructions()
            .iter()
            .take_while(|i| i.stage.is_none());
        let arguments = globals
            .chain(self.of_kind(InstructionKind::Arg))
            .flat_map(|i| i.arg_definitions())
            .any(|(key, _)| key == name);
        arguments
            || self
                .of_kind(InstructionKind::Env)
                .flat_map(|env| env.pairs())
                .any(|(key, _, _)| key.value == name)
    }
}

/// An `ENV` value without its quotes (`"a b"`, `'a b'`).
pub(super) fn unquote(value: &str) -> &str {
    value.trim_matches(|c| c == '"' || c == '\'')
}

/// `$NAME` and `${NAME}` replaced by literal values; `None` when one is unknown or not literal.
pub(super) fn expand(text: &str, variables: &[(String, String)]) -> Option<String> {
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

#[cfg(test)]
impl<'a, 'p> Facts<'a, 'p> {
    /// The facts of the final stage of `file` under `profile`'s runtime layout, for tests: the
    /// built-in knowledge base, the profile not detected in the build context, no virtualenv.
    pub(super) fn of_final_stage(
        file: &'a Dockerfile<'p>,
        profile: &'a Profile,
        context: &'a BuildContext,
    ) -> Self {
        let stage = file.final_stage().expect("a stage");
        Facts {
            file,
            stage,
            instructions: file.stage_instructions(stage),
            knowledge: KnowledgeBase::builtin(),
            profile,
            layout: profile.runtime.as_ref().expect("a runtime layout"),
            detected: false,
            context,
            virtualenv: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    /// Runs `check` on the facts of the file's final stage, with the built-in knowledge base.
    fn with_facts(text: &str, check: impl FnOnce(&Facts)) {
        let parsed = parse(text);
        let file = Dockerfile::new(&parsed);
        let stage = file.final_stage().expect("a stage");
        let knowledge = KnowledgeBase::builtin();
        let context = BuildContext::without_files();
        let profile = knowledge
            .profiles_for_image(&stage.base)
            .into_iter()
            .find(|profile| profile.runtime.is_some())
            .expect("a profile with a runtime layout");
        check(&Facts::of_final_stage(&file, profile, &context));
    }

    #[test]
    fn reads_settings_from_instructions_and_commands_not_comments() {
        let comment = "FROM golang:1.22\n# CGO_ENABLED=0 would make it static\nRUN go build -o /app .\nCMD [\"/app\"]\n";
        with_facts(comment, |facts| {
            assert!(!facts.sets_value("CGO_ENABLED", "0"))
        });
        for set in [
            "ENV CGO_ENABLED 0",
            "ARG CGO_ENABLED=0",
            "RUN CGO_ENABLED=0 go build -o /app .",
            "RUN export CGO_ENABLED=0 && go build -o /app .",
        ] {
            let text = format!("FROM golang:1.22\n{set}\nCMD [\"/app\"]\n");
            with_facts(&text, |facts| {
                assert!(facts.sets_value("CGO_ENABLED", "0"), "{set}");
                assert!(!facts.sets_value("CGO_ENABLED", "1"), "{set}");
            });
        }
    }

    #[test]
    fn finds_an_option_among_the_words_of_run_commands() {
        let elsewhere = "FROM python:3.12\n# pip install --user would not do\nRUN useradd --user-group app && pip install -r requirements.txt\nCMD [\"python\", \"app.py\"]\n";
        with_facts(elsewhere, |facts| assert!(!facts.runs_with("--user")));
        let user = "FROM python:3.12\nRUN pip install --user flask\nCMD [\"python\", \"app.py\"]\n";
        with_facts(user, |facts| assert!(facts.runs_with("--user")));
    }
}
