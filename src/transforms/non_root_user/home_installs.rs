//! Dependencies installed into root's home folder by the final image's own RUNs: `pip install
//! --user` (`[runtime.user_install]` of the profiles), Poetry's and Pipenv's default virtualenvs
//! (`[runtime.private_environment]`, which split-stages declines on too). `/root` is mode 0700
//! and tools look in the running user's own home, so the application would not find them.

use super::ports::program_line;
use super::scripts::start_script;
use super::writes::is_inside;
use super::FinalStage;
use crate::knowledge::{PrivateEnvironment, Profile, UserInstall};
use crate::model::script::{self, CommandLine, CommandWord};
use crate::model::{Instruction, Located};
use crate::syntax::InstructionKind;

/// Root's home folder, which `~` is for the RUNs of a stage running as root.
const ROOT_HOME: &str = "/root";

/// The positional words shown with the program to name an install (`pip install`).
const NAMING_WORDS: usize = 1;

/// One command a RUN runs: its words (leading assignments included), as the shell reads them.
struct Command {
    words: Vec<Located<String>>,
}

impl FinalStage<'_, '_> {
    /// Why the dependencies the final image's RUNs install are in root's home folder, naming
    /// the first install that puts them there, as root, and what to do instead.
    pub(super) fn home_install_blocker(&self, user: &str) -> Option<String> {
        let mut configured: Vec<String> = Vec::new();
        let profiles: Vec<&Profile> = self
            .knowledge
            .profiles()
            .iter()
            .filter(|p| {
                p.runtime.as_ref().is_some_and(|layout| {
                    layout.user_install.is_some() || layout.private_environment.is_some()
                })
            })
            .collect();
        // The programs of the rules: a RUN that runs none of them installs nothing of theirs,
        // and what is in force before it (as long as the stage) is not worth reading.
        let is_tool = |program: &str| {
            profiles
                .iter()
                .filter_map(|p| p.runtime.as_ref())
                .any(|layout| {
                    let asked = layout.user_install.iter().flat_map(|rule| &rule.commands);
                    let private = layout.private_environment.iter();
                    asked
                        .filter_map(|pattern| pattern.program())
                        .any(|glob| glob.matches(program))
                        || private
                            .flat_map(|rule| &rule.commands)
                            .any(|words| words.first().is_some_and(|first| first == program))
                })
        };
        for (position, run) in self.instructions.iter().enumerate() {
            // Only RUNs as root install into root's home (the fix runs only when no USER is set).
            if run.kind() != Some(InstructionKind::Run) || self.file.user_before(run).is_some() {
                continue;
            }
            if !self.file.run_programs(run).iter().any(|p| is_tool(p)) {
                configured.extend(self.commands(run).iter().map(|c| command_text(&c.words)));
                continue;
            }
            let variables = self.file.variables_before(run);
            let env = self.env_before(position);
            for command in self.commands(run) {
                for profile in &profiles {
                    let value_options: Vec<&str> =
                        profile.value_options.iter().map(String::as_str).collect();
                    let Some(line) = program_line(&command.words, &value_options) else {
                        continue;
                    };
                    if line.changes_user() {
                        continue;
                    }
                    let Some(layout) = profile.runtime.as_ref() else {
                        continue;
                    };
                    let found = layout
                        .user_install
                        .as_ref()
                        .and_then(|rule| user_install(rule, &line, &variables, &env))
                        .or_else(|| {
                            let rule = layout.private_environment.as_ref()?;
                            let setting = Settings {
                                variables: &variables,
                                env: &env,
                                configured: &configured,
                                runs_tool: self.container_runs(line.name()),
                            };
                            private_environment(rule, &line, &setting)
                        });
                    if let Some((shown, folder)) = found {
                        return Some(format!(
                            "dependencies are installed under {ROOT_HOME} by `{shown}` (the RUN on line {}, into {folder}), which `{user}` cannot read: install them system-wide or in the project",
                            run.start_line()
                        ));
                    }
                }
                configured.push(command_text(&command.words));
            }
        }
        None
    }

    /// The `ENV` pairs of the chain before its instruction at `position`: what the running
    /// container keeps.
    fn env_before(&self, position: usize) -> Vec<(String, String)> {
        self.instructions[..position]
            .iter()
            .filter(|i| i.kind() == Some(InstructionKind::Env))
            .flat_map(|env| env.pairs())
            .map(|(key, value, _)| (key.value, value.value.trim_matches('"').to_owned()))
            .collect()
    }

    /// The commands of a RUN: its exec form, or the simple commands of its script and of the
    /// heredoc scripts a shell runs.
    fn commands(&self, run: &Instruction) -> Vec<Command> {
        if let Some(words) = run.exec_form() {
            return vec![Command { words }];
        }
        self.file
            .shell_scripts(run)
            .iter()
            .flat_map(|script| script.simple_commands())
            .map(|command| {
                let words = command.assignments.iter().chain(&command.words);
                let words = words.map(|word| Located {
                    value: word.value.clone(),
                    range: word.range,
                });
                Command {
                    words: words.collect(),
                }
            })
            .collect()
    }

    /// Whether the container's command runs `tool` (`poetry run …`).
    fn container_runs(&self, tool: &str) -> bool {
        [InstructionKind::Entrypoint, InstructionKind::Cmd]
            .into_iter()
            .filter_map(|kind| self.of_kind(kind).last())
            .filter_map(|start| start_script(start))
            .any(|text| {
                script::parse(&text)
                    .script
                    .simple_commands()
                    .iter()
                    .filter_map(|command| program_line(command.program_words(), &[]))
                    .any(|line| line.name() == tool)
            })
    }
}

/// What the stage set before an install.
struct Settings<'s> {
    /// ARG and ENV values in force (the build's).
    variables: &'s [(String, String)],
    /// ENV values in force: the running container's too.
    env: &'s [(String, String)],
    /// The commands run before, as text (`poetry config virtualenvs.create false`).
    configured: &'s [String],
    /// Whether the container's command runs the tool, which then reads its settings from the
    /// running user's home and environment.
    runs_tool: bool,
}

/// A `pip install --user` as root, unless a variable the container keeps moves the folder
/// outside root's home: the command as shown and the folder.
fn user_install<W: CommandWord>(
    rule: &UserInstall,
    line: &CommandLine<W>,
    variables: &[(String, String)],
    env: &[(String, String)],
) -> Option<(String, String)> {
    let asked = rule.asked_by(line, variables)?;
    let folder = home_folder(&rule.folder, &rule.moved_by, &[], env)?;
    let mut shown = shown_command(line, NAMING_WORDS);
    if asked.starts_with('-') {
        if !shown.contains(&asked) {
            shown.push(' ');
            shown.push_str(&asked);
        }
    } else {
        shown = format!("{shown}` with `{asked}");
    }
    Some((shown, folder))
}

/// A Poetry or Pipenv install into its own virtualenv in root's home: the command as shown
/// and the folder; `None` when its options, an ENV, or (when the container does not run the
/// tool, which would read the running user's settings) a setting of the build put it
/// elsewhere.
fn private_environment<W: CommandWord>(
    rule: &PrivateEnvironment,
    line: &CommandLine<W>,
    settings: &Settings,
) -> Option<(String, String)> {
    if !rule.is_install(line) {
        return None;
    }
    if line
        .options
        .iter()
        .any(|option| rule.unless_options.iter().any(|o| o == option.name()))
    {
        return None;
    }
    let own: Vec<(String, String)> = line
        .assignments
        .iter()
        .filter_map(|word| {
            let (name, value) = word.value().split_once('=')?;
            Some((name.to_owned(), value.to_owned()))
        })
        .collect();
    let elsewhere = |set: &[(String, String)]| {
        rule.unless_env.iter().any(|(name, values)| {
            set.iter()
                .rev()
                .find(|(key, _)| key == name)
                .is_some_and(|(_, value)| {
                    values.is_empty() || values.iter().any(|v| v.eq_ignore_ascii_case(value))
                })
        })
    };
    let build_only: Vec<(String, String)> = settings.variables.iter().cloned().chain(own).collect();
    let configured = settings
        .configured
        .iter()
        .any(|text| rule.unless_config.iter().any(|p| p.is_match(text)));
    if elsewhere(settings.env) || (!settings.runs_tool && (elsewhere(&build_only) || configured)) {
        return None;
    }
    let folder = rule.folder.as_deref().unwrap_or("~");
    let build = if settings.runs_tool {
        &[][..]
    } else {
        &build_only[..]
    };
    let folder = home_folder(folder, &rule.moved_by, build, settings.env)?;
    Some((shown_command(line, NAMING_WORDS), folder))
}

/// The folder `~/…` stands for as root, unless the first of `moved_by` set (in `env`, the
/// container's, or `build`) or `HOME` puts it outside root's home; a value naming a variable is
/// not followed.
fn home_folder(
    folder: &str,
    moved_by: &[String],
    build: &[(String, String)],
    env: &[(String, String)],
) -> Option<String> {
    let value_of = |name: &str| {
        env.iter()
            .chain(build)
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let moved = moved_by.iter().find_map(|name| value_of(name));
    let outside = |value: &str| {
        value.starts_with('/') && !value.contains('$') && !is_inside(value, ROOT_HOME)
    };
    if moved.as_deref().is_some_and(outside) {
        return None;
    }
    if let Some(moved) = moved {
        return Some(moved);
    }
    if value_of("HOME").as_deref().is_some_and(outside) {
        return None;
    }
    Some(match folder.strip_prefix('~') {
        Some(rest) => format!("{ROOT_HOME}{rest}"),
        None => folder.to_owned(),
    })
}

/// The command as written from its program through its first `count` positional words.
fn shown_command<W: CommandWord>(line: &CommandLine<W>, count: usize) -> String {
    let mut words = vec![line.program.value().to_owned()];
    let mut left = count;
    for word in line.arguments {
        if left == 0 {
            break;
        }
        words.push(word.value().to_owned());
        if line.positionals.iter().any(|p| std::ptr::eq(*p, word)) {
            left -= 1;
        }
    }
    words.join(" ")
}

/// A command's words as one line of text, for configuration patterns.
fn command_text(words: &[Located<String>]) -> String {
    let values: Vec<&str> = words.iter().map(|w| w.value.as_str()).collect();
    values.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn places_home_folders_as_root() {
        let moved = ["WORKON_HOME".to_owned(), "XDG_DATA_HOME".to_owned()];
        let folder = "~/.local/share/virtualenvs";
        assert_eq!(
            home_folder(folder, &moved, &[], &[]),
            Some("/root/.local/share/virtualenvs".to_owned())
        );
        assert_eq!(
            home_folder(folder, &moved, &[], &set(&[("WORKON_HOME", "/opt/venvs")])),
            None
        );
        // The first variable set decides; one under /root, or naming a variable, keeps it there.
        assert_eq!(
            home_folder(
                folder,
                &moved,
                &set(&[("WORKON_HOME", "/root/envs")]),
                &set(&[("XDG_DATA_HOME", "/srv")])
            ),
            Some("/root/envs".to_owned())
        );
        assert!(home_folder(folder, &moved, &[], &set(&[("WORKON_HOME", "$X/v")])).is_some());
        assert_eq!(
            home_folder(folder, &[], &[], &set(&[("HOME", "/app")])),
            None
        );
    }
}
