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
use super::{environments, NoVirtualenv};
use crate::knowledge::{NameGlob, Shape, VirtualenvLayout};
use crate::model::paths::{self, is_within, resolve};
use crate::model::script::base_name;
use crate::model::shell;
use crate::model::Instruction;
use crate::syntax::InstructionKind;

mod commands;

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
                    .or_else(|| self.named_in_arguments(instruction));
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
            return match self.named_in_arguments(copy) {
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

    /// The path inside the replaced folder or the virtualenv's that an argument of the
    /// instruction names, as written.
    fn named_in_arguments(&self, instruction: &Instruction) -> Option<String> {
        let values = instruction.argument_values();
        values
            .into_iter()
            .find_map(|value| self.named_folder(value))
    }

    /// The path in `text` inside the replaced folder or the virtualenv's, as written.
    fn named_folder(&self, text: &str) -> Option<String> {
        [&self.virtualenv.replaces, &self.virtualenv.folder]
            .into_iter()
            .find_map(|folder| names_folder(text, folder))
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
mod tests;
