//! The virtualenv the build stage creates for the installs (`python -m venv /opt/venv`, its
//! `bin` first on `PATH`), which the runtime stage receives instead of the image's whole
//! `/usr/local`, where the install allows it. Every reason it does not is a [`NoVirtualenv`],
//! and the split then keeps the profile's layout.
//!
//! The install allows it when nothing but the installs the virtualenv takes over puts files
//! in the folder it replaces, and nothing depends on them being there: no instruction, variable
//! or script the stage runs names that folder (or the virtualenv's), no command writes into it
//! without naming it (`make install`), pipes a download into an installer, runs a script that
//! cannot be read, installs another Python or installs packages its own way; each install runs
//! one of the virtualenv's programs as root, with its `bin` first on `PATH` and no option or
//! variable sending it elsewhere.

use super::facts::Facts;
use super::layout::is_system_program;
use super::{environments, NoVirtualenv};
use crate::knowledge::{NameGlob, Shape, VirtualenvLayout};
use crate::model::packages::{is_assignment, PackageChange};
use crate::model::paths::{self, is_within, resolve};
use crate::model::script::{base_name, CommandLine};
use crate::model::shell::{self, Command, Operator, ShellScript, ShellWord};
use crate::model::Instruction;
use crate::syntax::InstructionKind;

/// How many scripts deep (a script a script runs) the checks follow.
const MAX_DEPTH: usize = 3;

/// The virtualenv the split creates, or why the install does not allow one; `None` when the
/// profile has none for an application folder.
pub(super) fn choose<'a>(
    facts: &Facts<'a, '_>,
    app: Option<&str>,
) -> Option<Result<&'a VirtualenvLayout, NoVirtualenv>> {
    let virtualenv = facts.layout.virtualenv.as_ref()?;
    if facts.layout.shape != Shape::AppFolder {
        return None;
    }
    let checker = Checker { facts, virtualenv };
    Some(checker.check(app).map(|()| virtualenv))
}

/// Where a command runs, for messages and for the install checks.
#[derive(Clone)]
struct Place<'i> {
    /// `the RUN on line 7`, `start.sh (run by the CMD on line 9)`.
    text: String,
    /// The RUN the command runs in (its user and PATH); `None` when the container runs it.
    run: Option<&'i Instruction<'i>>,
    /// The folder relative program paths are resolved against.
    cwd: Option<String>,
    depth: usize,
}

struct Checker<'f, 'a, 'p> {
    facts: &'f Facts<'a, 'p>,
    virtualenv: &'a VirtualenvLayout,
}

impl<'a, 'p> Checker<'_, 'a, 'p> {
    fn check(&self, app: Option<&str>) -> Result<(), NoVirtualenv> {
        self.image()?;
        self.own_environment()?;
        if let Some(app) = app {
            let folder = &self.virtualenv.folder;
            if is_within(app, folder) || is_within(folder, app) {
                return Err(NoVirtualenv::FolderOverlap {
                    app: app.to_owned(),
                    folder: folder.clone(),
                });
            }
        }
        self.variables()?;
        for (index, instruction) in self.facts.instructions.iter().enumerate() {
            self.instruction(index, instruction)?;
        }
        let end = self.facts.workdir().ok().flatten();
        let path =
            self.facts
                .file
                .path_at_end(self.facts.stage, self.initial_path(), end.as_deref());
        if !self.leads(&path) {
            return Err(NoVirtualenv::PathOrder {
                place: "the container".to_owned(),
                bin: self.virtualenv.bin(),
            });
        }
        Ok(())
    }

    /// The image installs into the folder the virtualenv replaces, and its tag names a Python
    /// the virtualenv is made for.
    fn image(&self) -> Result<(), NoVirtualenv> {
        let folders = self.facts.install_folders();
        if folders != std::slice::from_ref(&self.virtualenv.replaces) {
            return Err(NoVirtualenv::OtherInstallFolder {
                folder: folders.join(" "),
            });
        }
        let base = &self.facts.stage.base;
        let tag = base.tag.as_deref().unwrap_or("latest");
        if tag == "latest" {
            return Ok(());
        }
        let version = tag.split('-').next().unwrap_or_default();
        // `3`: the newest Python 3.
        let have = version_numbers(version)
            .or_else(|| version.parse::<u32>().ok().map(|major| (major, u32::MAX)));
        match (have, version_numbers(&self.virtualenv.since)) {
            (Some(have), Some(since)) if have >= since => Ok(()),
            (Some(_), _) => Err(NoVirtualenv::OlderPython {
                base: base.raw.clone(),
                since: self.virtualenv.since.clone(),
                folder: self.virtualenv.replaces.clone(),
            }),
            (None, _) => Err(NoVirtualenv::UnknownPython {
                base: base.raw.clone(),
            }),
        }
    }

    /// The stage makes an environment of its own (`python -m venv`, `pip install --target`).
    fn own_environment(&self) -> Result<(), NoVirtualenv> {
        match environments::environment_folders(self.facts) {
            Ok(folders) => match folders.into_iter().next() {
                Some(folder) => Err(NoVirtualenv::OwnEnvironment { folder }),
                None => Ok(()),
            },
            // The split itself declines for that reason.
            Err(_) => Ok(()),
        }
    }

    /// No variable of the stage sends installs elsewhere or names the folders.
    fn variables(&self) -> Result<(), NoVirtualenv> {
        if let Some(variable) = self
            .virtualenv
            .conflicting_env
            .iter()
            .find(|name| self.facts.sets_variable(name))
        {
            return Err(NoVirtualenv::ConflictingVariable {
                variable: variable.clone(),
            });
        }
        let variables = self.facts.variables_before(self.facts.instructions.len());
        for (name, value) in &variables {
            if let Some(path) = self.named_folder(value) {
                return Err(NoVirtualenv::NamesFolder {
                    place: format!("the stage's {name}"),
                    path,
                });
            }
        }
        Ok(())
    }

    fn instruction(
        &self,
        index: usize,
        instruction: &'a Instruction<'p>,
    ) -> Result<(), NoVirtualenv> {
        let Some(kind) = instruction.kind() else {
            return Ok(());
        };
        let place = |run: Option<&'a Instruction<'p>>, cwd: Option<String>| Place {
            text: format!(
                "the {} on line {}",
                instruction.keyword().value.to_ascii_uppercase(),
                instruction.start_line()
            ),
            run,
            cwd,
            depth: 0,
        };
        match kind {
            InstructionKind::Run => self.run(
                instruction,
                &place(Some(instruction), self.facts.cwd_at(index)),
            ),
            InstructionKind::Cmd | InstructionKind::Entrypoint | InstructionKind::Healthcheck => {
                let cwd = self.facts.workdir().ok().flatten();
                self.launched(instruction, &place(None, cwd))
            }
            InstructionKind::Copy | InstructionKind::Add => {
                self.copy(index, instruction, &place(None, None))
            }
            InstructionKind::Workdir | InstructionKind::Volume => {
                let resolved = match kind {
                    InstructionKind::Workdir => self.facts.workdir_before(index + 1).ok().flatten(),
                    _ => None,
                };
                let named = resolved
                    .as_deref()
                    .and_then(|path| self.named_folder(path))
                    .or_else(|| self.named_folder(instruction.logical_text()));
                match named {
                    Some(path) => Err(NoVirtualenv::NamesFolder {
                        place: place(None, None).text,
                        path,
                    }),
                    None => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }

    /// A `RUN`: its script, the heredoc bodies a shell runs, its exec form, and any heredoc
    /// body naming the folders (data a command writes somewhere).
    fn run(&self, run: &Instruction, place: &Place) -> Result<(), NoVirtualenv> {
        if let Some(script) = self.facts.file.script(run) {
            self.script(&script.lexed, script.text, place)?;
        }
        for body in self.facts.file.heredoc_script_texts(run) {
            self.script(&shell::lex(&body), &body, place)?;
        }
        for body in &run.parsed().heredocs {
            if let Some(path) = self.named_folder(body.body.slice(self.facts.file.text())) {
                return Err(NoVirtualenv::NamesFolder {
                    place: place.text.clone(),
                    path,
                });
            }
        }
        if let Some(words) = run.exec_form() {
            let values: Vec<&str> = words.iter().map(|word| word.value.as_str()).collect();
            self.words(values.iter().copied(), place)?;
            self.runs_script(&values, false, place)?;
        }
        Ok(())
    }

    /// `CMD`, `ENTRYPOINT`, `HEALTHCHECK`: what the container runs must not name the folders,
    /// nor run a script that does or cannot be read.
    fn launched(&self, instruction: &Instruction, place: &Place) -> Result<(), NoVirtualenv> {
        if let Some(script) = self.facts.file.script(instruction) {
            return self.script(&script.lexed, script.text, place);
        }
        let words = instruction
            .exec_form()
            .or_else(|| instruction.health_exec_form())
            .unwrap_or_default();
        let values: Vec<&str> = words.iter().map(|word| word.value.as_str()).collect();
        self.words(values.iter().copied(), place)?;
        self.runs_script(&values, false, place)
    }

    /// A `COPY`/`ADD` must not write into the folders, nor bring a pip configuration that
    /// installs elsewhere.
    fn copy(&self, index: usize, copy: &Instruction, place: &Place) -> Result<(), NoVirtualenv> {
        let Some(args) = copy.copy_args() else {
            // A heredoc source (`COPY <<EOF /usr/local/bin/x`): its destination as written.
            return match self.named_folder(copy.logical_text()) {
                Some(path) => Err(NoVirtualenv::NamesFolder {
                    place: place.text.clone(),
                    path,
                }),
                None => Ok(()),
            };
        };
        let destination = match self.facts.cwd_at(index) {
            Some(cwd) => resolve(&cwd, &args.destination.value),
            None => args.destination.value.clone(),
        };
        if let Some(path) = self.named_folder(&destination) {
            return Err(NoVirtualenv::NamesFolder {
                place: place.text.clone(),
                path,
            });
        }
        let configures = |name: &str| self.is_config_file(name);
        let into_config = configures(base_name(destination.trim_end_matches('/')));
        for source in &args.sources {
            let name = base_name(source.value.trim_end_matches('/'));
            if !(configures(name) || into_config) {
                continue;
            }
            let file = source.value.trim_start_matches("./");
            let sends_elsewhere = match self.facts.context.read_to_string(file) {
                Ok(text) => self.config_sends_elsewhere(&text),
                Err(_) => true,
            };
            if sends_elsewhere {
                return Err(NoVirtualenv::PipConfiguration {
                    place: place.text.clone(),
                    file: source.value.clone(),
                });
            }
        }
        Ok(())
    }

    /// Each command of a script (see the module's rules).
    fn script(&self, script: &ShellScript, text: &str, place: &Place) -> Result<(), NoVirtualenv> {
        if script.incomplete {
            return Err(NoVirtualenv::UnreadScript {
                place: place.text.clone(),
                script: "its own script (an unterminated quote or substitution)".to_owned(),
            });
        }
        for (at, command) in script.commands.iter().enumerate() {
            let redirects = command
                .redirects
                .iter()
                .filter_map(|range| text.get(range.start..range.end));
            let words = command.words.iter().map(|word| word.value.as_str());
            self.words(words.chain(redirects), place)?;
            if command.next.map(|(operator, _)| operator) == Some(Operator::Pipe) {
                self.piped(script.commands.get(at + 1), place)?;
            }
            self.command(command, place)?;
        }
        // Scripts it runs last: what the script itself shows is the clearer reason.
        for command in &script.commands {
            let words: Vec<&str> = match command.command_line(&[]) {
                Some(line) => std::iter::once(line.program.value.as_str())
                    .chain(line.arguments.iter().map(|word| word.value.as_str()))
                    .collect(),
                None => continue,
            };
            let expanded = command.words.iter().any(|word| word.has_expansion);
            self.runs_script(&words, expanded, place)?;
        }
        Ok(())
    }

    /// The words of a command: none names the folders or a pip configuration file, and none
    /// sets a variable that sends installs elsewhere (`export PIP_TARGET=…`).
    fn words<'w>(
        &self,
        words: impl Iterator<Item = &'w str>,
        place: &Place,
    ) -> Result<(), NoVirtualenv> {
        for word in words {
            if let Some(path) = self.named_folder(word) {
                return Err(NoVirtualenv::NamesFolder {
                    place: place.text.clone(),
                    path,
                });
            }
            let named = word.rsplit(['/', '=', '>', '<']).next().unwrap_or(word);
            if self.is_config_file(named) {
                return Err(NoVirtualenv::PipConfiguration {
                    place: place.text.clone(),
                    file: word.to_owned(),
                });
            }
            if let Some((name, _)) = word.split_once('=').filter(|_| is_assignment(word)) {
                if self.virtualenv.conflicting_env.iter().any(|v| v == name) {
                    return Err(NoVirtualenv::ConflictingVariable {
                        variable: name.to_owned(),
                    });
                }
            }
        }
        Ok(())
    }

    /// A command fed another's output (`curl … | sh`).
    fn piped(&self, next: Option<&Command>, place: &Place) -> Result<(), NoVirtualenv> {
        let Some(line) = next.and_then(|command| command.command_line(&[])) else {
            return Ok(());
        };
        let program = base_name(&line.program.value);
        if any_matches(&self.virtualenv.piped_installers, program) {
            return Err(NoVirtualenv::PipedInstaller {
                place: place.text.clone(),
                program: program.to_owned(),
            });
        }
        Ok(())
    }

    /// One simple command.
    fn command(&self, command: &Command, place: &Place) -> Result<(), NoVirtualenv> {
        let options: Vec<&str> = self
            .facts
            .profile
            .value_options
            .iter()
            .map(String::as_str)
            .collect();
        let Some(line) = command.command_line(&options) else {
            return Ok(());
        };
        let program = line.program.value.as_str();
        let name = base_name(program);
        let words: Vec<&str> = std::iter::once(program)
            .chain(line.arguments.iter().map(|word| word.value.as_str()))
            .collect();
        let shown = || words.join(" ");
        let virtualenv = self.virtualenv;
        let writes = virtualenv.writers.iter().any(|writer| {
            matches_words(&writer.words, &words)
                && (writer.any.is_empty()
                    || words[1..]
                        .iter()
                        .any(|word| writer.any.iter().any(|w| w == word)))
        });
        if writes {
            return Err(NoVirtualenv::Writer {
                place: place.text.clone(),
                command: shown(),
                folder: virtualenv.replaces.clone(),
            });
        }
        if virtualenv
            .config_commands
            .iter()
            .any(|rule| matches_words(rule, &words))
        {
            let key = words.iter().find(|word| {
                word.rsplit_once('.')
                    .is_some_and(|(_, key)| virtualenv.config_keys.iter().any(|k| k == key))
            });
            if let Some(key) = key {
                return Err(NoVirtualenv::PipConfiguration {
                    place: place.text.clone(),
                    file: format!("`{}` ({key})", words[..2].join(" ")),
                });
            }
        }
        if any_matches(&virtualenv.other_installers, name) {
            return Err(NoVirtualenv::OtherInstaller {
                place: place.text.clone(),
                program: name.to_owned(),
            });
        }
        if virtualenv
            .interpreter_installs
            .iter()
            .any(|rule| matches_words(rule, &words))
        {
            return Err(NoVirtualenv::OtherInterpreter {
                place: place.text.clone(),
                what: shown(),
            });
        }
        if let Ok(Some(change)) = PackageChange::read(command) {
            let other = change
                .names
                .iter()
                .find(|package| any_matches(&virtualenv.other_interpreters, package));
            if let (false, Some(package)) = (change.removes, other) {
                return Err(NoVirtualenv::OtherInterpreter {
                    place: place.text.clone(),
                    what: format!("the package {package}"),
                });
            }
        }
        if virtualenv
            .installs
            .iter()
            .any(|rule| matches_words(rule, &words))
        {
            self.install(&line, &words, place)?;
        }
        Ok(())
    }

    /// An install: run by the virtualenv's program, as root, with its `bin` first on PATH, and
    /// no option sending it elsewhere.
    fn install(
        &self,
        line: &CommandLine<'_, ShellWord>,
        words: &[&str],
        place: &Place,
    ) -> Result<(), NoVirtualenv> {
        let program = words[0];
        if !self.is_virtualenv_program(program) {
            return Err(NoVirtualenv::InstallerNotInVirtualenv {
                place: place.text.clone(),
                program: program.to_owned(),
            });
        }
        if let Some(option) = line.options.iter().find(|option| {
            self.virtualenv
                .elsewhere_options
                .iter()
                .any(|elsewhere| elsewhere == option.name())
        }) {
            return Err(NoVirtualenv::InstallsElsewhere {
                place: place.text.clone(),
                option: option.name().to_owned(),
            });
        }
        if let Some(wrapper) = line.wrappers.iter().find(|w| w.changes_user()) {
            return Err(NoVirtualenv::NotRoot {
                place: place.text.clone(),
                user: format!("the user {wrapper:?} switches to").to_lowercase(),
            });
        }
        let Some(run) = place.run else {
            return Ok(());
        };
        if let Some(user) = self.facts.file.user_before(run) {
            let value = user.string_arg().map(|w| w.value).unwrap_or_default();
            let name = value.split(':').next().unwrap_or_default();
            if !matches!(name, "root" | "0") {
                return Err(NoVirtualenv::NotRoot {
                    place: place.text.clone(),
                    user: format!("USER {value}"),
                });
            }
        }
        let path = self
            .facts
            .file
            .path_before(run, self.initial_path(), place.cwd.as_deref());
        if !self.leads(&path) {
            return Err(NoVirtualenv::PathOrder {
                place: place.text.clone(),
                bin: self.virtualenv.bin(),
            });
        }
        Ok(())
    }

    /// A command (program first) that runs a script: a shell given a `-c` script (unless
    /// `expanded`: its words hold expansions) or a file, or a program from outside the
    /// system's folders (`./install.sh`), which is read from the build context.
    fn runs_script(
        &self,
        words: &[&str],
        expanded: bool,
        place: &Place,
    ) -> Result<(), NoVirtualenv> {
        let Some((program, arguments)) = words.split_first() else {
            return Ok(());
        };
        if !self.facts.knowledge.is_shell(program) {
            return self.script_file(program, place, program);
        }
        if let Some(at) = arguments.iter().position(|word| *word == "-c") {
            let Some(script) = arguments.get(at + 1) else {
                return Ok(());
            };
            if expanded {
                return Err(NoVirtualenv::UnreadScript {
                    place: place.text.clone(),
                    script: format!("the `{} -c` script", base_name(program)),
                });
            }
            let nested = Place {
                depth: place.depth + 1,
                ..place.clone()
            };
            return self.nested(|| self.script(&shell::lex(script), script, &nested), place);
        }
        match arguments.iter().find(|word| !word.starts_with('-')) {
            Some(file) => self.script_file(file, place, file),
            None => Ok(()),
        }
    }

    /// `program` run as a file: a program from the system's folders or found on PATH is not a
    /// script; a file from the build context is read, and a shell script checked in turn; any
    /// other file (built, downloaded, unreadable, not a shell or Python script) cannot be
    /// checked.
    fn script_file(&self, program: &str, place: &Place, shown: &str) -> Result<(), NoVirtualenv> {
        let is_file = program.contains('/') || program.ends_with(".sh");
        if !is_file || is_system_program(program) || program.contains('$') {
            return Ok(());
        }
        let unread = || NoVirtualenv::UnreadScript {
            place: place.text.clone(),
            script: shown.split(' ').next().unwrap_or(shown).to_owned(),
        };
        let path = match &place.cwd {
            Some(cwd) => resolve(cwd, program),
            None if program.starts_with('/') => paths::normalize(program),
            None => return Err(unread()),
        };
        let Some(Some(source)) = self.facts.context_source(&path) else {
            return Err(unread());
        };
        let Ok(text) = self.facts.context.read_to_string(&source) else {
            return Err(unread());
        };
        match script_kind(&text, program) {
            ScriptKind::Python => Ok(()),
            ScriptKind::Other => Err(unread()),
            ScriptKind::Shell => {
                let nested = Place {
                    text: format!("{program} (run by {})", place.text),
                    depth: place.depth + 1,
                    ..place.clone()
                };
                self.nested(|| self.script(&shell::lex(&text), &text, &nested), place)
            }
        }
    }

    /// Runs a nested check unless scripts are already `MAX_DEPTH` deep.
    fn nested(
        &self,
        check: impl FnOnce() -> Result<(), NoVirtualenv>,
        place: &Place,
    ) -> Result<(), NoVirtualenv> {
        if place.depth >= MAX_DEPTH {
            return Err(NoVirtualenv::UnreadScript {
                place: place.text.clone(),
                script: "scripts nested deeper than dfmigrate follows".to_owned(),
            });
        }
        check()
    }

    /// A bare program name the virtualenv's `bin` provides; a version in it is the image's.
    fn is_virtualenv_program(&self, program: &str) -> bool {
        if program.contains('/') || !any_matches(&self.virtualenv.programs, program) {
            return false;
        }
        let version = program.trim_start_matches(|c: char| c.is_ascii_alphabetic());
        if !version.contains('.') {
            return true;
        }
        let tag = self.facts.stage.base.tag.as_deref().unwrap_or_default();
        let image = tag.split('-').next().unwrap_or_default();
        version_numbers(version).is_some() && version_numbers(image) == version_numbers(version)
    }

    /// Whether a file name is an installer configuration file.
    fn is_config_file(&self, name: &str) -> bool {
        any_matches(&self.virtualenv.config_files, name)
    }

    /// Whether an installer configuration sets a key that installs elsewhere.
    fn config_sends_elsewhere(&self, text: &str) -> bool {
        text.lines().any(|line| {
            let key = line.split(['=', ':']).next().unwrap_or_default().trim();
            !key.starts_with(['#', ';', '['])
                && self.virtualenv.config_keys.iter().any(|k| k == key)
        })
    }

    /// The PATH the build stage starts with: the virtualenv's `bin`, then the image's.
    fn initial_path(&self) -> Vec<String> {
        let mut path = vec![self.virtualenv.bin()];
        path.extend(self.system_path());
        path
    }

    /// The folders the image itself looks programs up in (where another Python may be).
    fn system_path(&self) -> Vec<String> {
        let mut path = self.facts.image_path_folders();
        path.extend(
            paths::DEFAULT_PATH
                .iter()
                .map(|folder| (*folder).to_owned()),
        );
        path
    }

    /// Whether the virtualenv's `bin` is on `path` before every folder of the image's own.
    fn leads(&self, path: &[String]) -> bool {
        let bin = self.virtualenv.bin();
        let system = self.system_path();
        path.iter()
            .position(|folder| *folder == bin)
            .is_some_and(|at| !path[..at].iter().any(|folder| system.contains(folder)))
    }

    /// The path in `text` inside the replaced folder or the virtualenv's, as written.
    fn named_folder(&self, text: &str) -> Option<String> {
        [&self.virtualenv.replaces, &self.virtualenv.folder]
            .into_iter()
            .find_map(|folder| names_folder(text, folder))
    }
}

/// What kind of script a file is, by its `#!` line or, without one, by its name.
enum ScriptKind {
    Shell,
    Python,
    Other,
}

fn script_kind(text: &str, name: &str) -> ScriptKind {
    let Some(line) = text.strip_prefix("#!").and_then(|rest| rest.lines().next()) else {
        return if name.ends_with(".sh") {
            ScriptKind::Shell
        } else if name.ends_with(".py") {
            ScriptKind::Python
        } else {
            ScriptKind::Other
        };
    };
    let mut words = line.split_whitespace();
    let mut interpreter = base_name(words.next().unwrap_or_default());
    if interpreter == "env" {
        interpreter = words
            .find(|word| !word.starts_with('-'))
            .unwrap_or_default();
    }
    if matches!(interpreter, "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh") {
        ScriptKind::Shell
    } else if interpreter.starts_with("python") {
        ScriptKind::Python
    } else {
        ScriptKind::Other
    }
}

/// The path starting where `text` names `folder` or a path inside it (`--prefix=/usr/local`,
/// `/usr/local/bin:$PATH`), up to the end of that path.
pub(super) fn names_folder(text: &str, folder: &str) -> Option<String> {
    let path_char =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '$' | '{' | '}');
    let mut from = 0;
    while let Some(found) = text[from..].find(folder) {
        let at = from + found;
        let end = at + folder.len();
        let before = text[..at].chars().next_back();
        let after = text[end..].chars().next();
        let starts = before.is_none_or(|c| !path_char(c));
        let ends = after.is_none_or(|c| c == '/' || !path_char(c));
        if starts && ends {
            let rest = &text[at..];
            let length = rest.find(|c: char| !path_char(c)).unwrap_or(rest.len());
            return Some(rest[..length].trim_end_matches('/').to_owned())
                .filter(|path| !path.is_empty());
        }
        from = end;
    }
    None
}

/// Whether `words` (program first) are the rule's: the program's file name matches the first
/// glob, and the following globs match the next words, options before them skipped.
fn matches_words(rule: &[NameGlob], words: &[&str]) -> bool {
    let Some((first, expected)) = rule.split_first() else {
        return false;
    };
    let Some((program, arguments)) = words.split_first() else {
        return false;
    };
    if !first.matches(base_name(program)) {
        return false;
    }
    let mut arguments = arguments.iter();
    expected.iter().all(|glob| {
        arguments
            .by_ref()
            .find(|word| glob.matches(word) || !word.starts_with('-'))
            .is_some_and(|word| glob.matches(word))
    })
}

fn any_matches(globs: &[NameGlob], name: &str) -> bool {
    globs.iter().any(|glob| glob.matches(name))
}

/// Major and minor of a version (`3.12.4` → (3, 12)); `None` without both.
fn version_numbers(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor: String = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some((major, minor.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::BuildContext;
    use crate::knowledge::KnowledgeBase;
    use crate::model::Dockerfile;
    use crate::syntax::parse;

    /// The virtualenv choice for the final stage of `text` (pip's profile, no build context).
    fn chosen(text: &str) -> Result<(), NoVirtualenv> {
        let parsed = parse(text);
        let file = Dockerfile::new(&parsed);
        let stage = file.final_stage().expect("a stage");
        let knowledge = KnowledgeBase::builtin();
        let profile = knowledge
            .profiles_for_image(&stage.base)
            .into_iter()
            .find(|profile| profile.id == "pip")
            .expect("pip's profile");
        let context = BuildContext::without_files();
        let facts = Facts {
            file: &file,
            stage,
            instructions: file.stage_instructions(stage),
            knowledge,
            profile,
            layout: profile.runtime.as_ref().expect("a runtime layout"),
            detected: false,
            context: &context,
            virtualenv: None,
        };
        let app = facts.workdir().ok().flatten();
        choose(&facts, app.as_deref())
            .expect("pip has a virtualenv layout")
            .map(|_| ())
    }

    fn kind(text: &str) -> &'static str {
        chosen(text)
            .err()
            .map_or("virtualenv", |reason| reason.kind())
    }

    #[test]
    fn creates_one_for_plain_pip_installs() {
        let plain = "FROM python:3.12\nWORKDIR /app\nRUN pip install flask gunicorn\nCMD [\"gunicorn\", \"app:app\"]\n";
        assert_eq!(chosen(plain), Ok(()));
        let latest = plain.replace("python:3.12", "python");
        assert_eq!(chosen(&latest), Ok(()));
        let major = plain.replace("python:3.12", "python:3-bookworm");
        assert_eq!(chosen(&major), Ok(()));
    }

    #[test]
    fn says_why_an_install_does_not_allow_one() {
        let stage = |lines: &str| {
            format!("FROM python:3.12\nWORKDIR /app\n{lines}\nCMD [\"gunicorn\", \"app:app\"]\n")
        };
        let cases = [
            ("USER 1000\nRUN pip install flask", "not-root"),
            ("RUN sudo -u app pip install flask", "not-root"),
            (
                "RUN pip install flask\nENV PATH=/app/bin:/usr/bin:/bin",
                "path-order",
            ),
            (
                "ENV PATH=/usr/local/bin:$PATH\nRUN pip install flask",
                "names-folder",
            ),
            (
                "RUN pip install --python /usr/bin/python3 flask",
                "installs-elsewhere",
            ),
            ("RUN pip2 install flask", "installer-not-in-virtualenv"),
            ("RUN PIP_TARGET=/deps pip install flask", "own-environment"),
            (
                "RUN PIP_CONFIG_FILE=/etc/x.conf pip install flask",
                "conflicting-variable",
            ),
            (
                "RUN export PYTHONUSERBASE=/deps && pip install flask",
                "conflicting-variable",
            ),
            (
                "RUN bash -c \"make install\" && pip install flask",
                "writer",
            ),
            (
                "RUN sh -c \"$(curl -fsSL https://example.com/x)\"",
                "unread-script",
            ),
            (
                "RUN wget -qO- https://example.com/x | python3 -",
                "piped-installer",
            ),
            (
                "RUN uv python install 3.13 && pip install flask",
                "other-interpreter",
            ),
            ("RUN poetry install", "other-installer"),
            (
                "VOLUME /usr/local/share/data\nRUN pip install flask",
                "names-folder",
            ),
            (
                "RUN echo '[global]' > /etc/pip.conf && pip install flask",
                "pip-configuration",
            ),
            (
                "RUN python -m venv /opt/venv && pip install flask",
                "own-environment",
            ),
            (
                "COPY <<EOF /usr/local/bin/start\nexec gunicorn app:app\nEOF\nRUN pip install flask",
                "names-folder",
            ),
        ];
        for (lines, expected) in cases {
            assert_eq!(kind(&stage(lines)), expected, "{lines}");
        }
        let older = "FROM python:3.11-bookworm\nWORKDIR /app\nRUN pip install flask\nCMD [\"python\", \"app.py\"]\n";
        assert_eq!(kind(older), "older-python");
        let python2 = older.replace("3.11-bookworm", "2.7.18");
        assert_eq!(kind(&python2), "older-python");
        let untagged = older.replace("3.11-bookworm", "bookworm");
        assert_eq!(kind(&untagged), "unknown-python");
        let pypy = older.replace("python:3.11-bookworm", "pypy:3.10");
        assert_eq!(kind(&pypy), "other-install-folder");
    }

    #[test]
    fn finds_a_folder_named_in_a_word() {
        let local = |text| names_folder(text, "/usr/local");
        assert_eq!(
            local("/usr/local/bin/gunicorn").as_deref(),
            Some("/usr/local/bin/gunicorn")
        );
        assert_eq!(local("--prefix=/usr/local").as_deref(), Some("/usr/local"));
        assert_eq!(
            local("/usr/local/bin:$PATH").as_deref(),
            Some("/usr/local/bin")
        );
        assert_eq!(
            local("cp x /usr/local/lib/ && y").as_deref(),
            Some("/usr/local/lib")
        );
        assert_eq!(local("/usr/localbin"), None);
        assert_eq!(local("/home/usr/local"), None);
        assert_eq!(local("$HOME/usr/local"), None);
        assert_eq!(local("/usr/lib"), None);
    }

    #[test]
    fn matches_commands_with_options_before_their_words() {
        let rule = |words: &[&str]| -> Vec<NameGlob> {
            words
                .iter()
                .map(|w| NameGlob::try_from((*w).to_owned()).expect("a glob"))
                .collect()
        };
        let module = rule(&["python*", "-m", "pip", "install"]);
        assert!(matches_words(
            &module,
            &["python3", "-m", "pip", "install", "x"]
        ));
        assert!(matches_words(
            &module,
            &["/usr/bin/python3.11", "-u", "-m", "pip", "install"]
        ));
        assert!(!matches_words(
            &module,
            &["python", "-m", "venv", "/opt/venv"]
        ));
        let pip = rule(&["pip*", "install"]);
        assert!(matches_words(
            &pip,
            &["pip", "--no-cache-dir", "install", "-r", "r.txt"]
        ));
        assert!(!matches_words(&pip, &["pip", "freeze", "install"]));
        assert!(!matches_words(&pip, &["pipenv"]));
        assert_eq!(version_numbers("3.13.0rc1"), Some((3, 13)));
        assert_eq!(version_numbers("3"), None);
    }
}
