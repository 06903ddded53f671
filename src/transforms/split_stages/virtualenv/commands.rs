//! The commands of the stage's scripts, and of the scripts they run: none may name the
//! folders, write into them without naming them, pipe a download into an installer, install
//! another Python or install packages its own way; each install runs one of the
//! virtualenv's programs as root, with its `bin` first on `PATH`.

use super::{any_matches, Checker, Place};
use crate::knowledge::NameGlob;
use crate::model::packages::{is_assignment, PackageChange};
use crate::model::paths::{self, resolve};
use crate::model::script::{base_name, CommandLine};
use crate::model::shell::{self, Command, Operator, ShellScript, ShellWord};
use crate::transforms::split_stages::layout::is_system_program;
use crate::transforms::split_stages::NoVirtualenv;

/// How many scripts deep (a script a script runs) the checks follow.
const MAX_DEPTH: usize = 3;

impl Checker<'_, '_, '_> {
    /// Each command of a script (see the module's rules).
    pub(super) fn script(
        &self,
        script: &ShellScript,
        text: &str,
        place: &Place,
    ) -> Result<(), NoVirtualenv> {
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
    pub(super) fn words<'w>(
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
    pub(super) fn runs_script(
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

/// Whether `words` (program first) are the rule's: the program's file name matches the first
/// glob, and the following globs match the next words, options before them skipped.
pub(super) fn matches_words(rule: &[NameGlob], words: &[&str]) -> bool {
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
