//! What one RUN does with a package manager's caches, read from its commands (the shell syntax
//! tree, heredoc scripts included, each simple command through the command-line view).

use super::decline::Decline;
use crate::knowledge::{value_listed, CommandPattern, NamedCache};
use crate::model::script::{CommandLine, CommandWord};
use crate::model::{Dockerfile, Instruction};

/// What a RUN does with the caches.
#[derive(Debug, Default)]
pub(super) struct Usage {
    /// It runs the tool.
    pub uses: bool,
    /// It runs a command the caches pay off for.
    pub fills: bool,
    /// Why its caches cannot be mounted, if something in its commands says so.
    pub problem: Option<Decline>,
}

/// Whether the words are a command of one of the patterns.
pub(super) fn runs<W: CommandWord>(patterns: &[CommandPattern], line: &CommandLine<W>) -> bool {
    patterns.iter().any(|pattern| pattern.matches(line))
}

/// What `run` does with `cache`'s tool.
pub(super) fn usage(file: &Dockerfile, run: &Instruction, cache: &NamedCache) -> Usage {
    let value_options: Vec<&str> = cache.value_options.iter().map(String::as_str).collect();
    let line_number = run.start_line();
    if let Some(words) = run.exec_form() {
        let Some(line) = CommandLine::read(&words, &value_options) else {
            return Usage::default();
        };
        let uses = runs(&cache.spec.uses, &line);
        return Usage {
            uses,
            fills: runs(&cache.spec.fills, &line),
            problem: uses.then_some(Decline::UnreadableRun { line: line_number }),
        };
    }
    let mut usage = Usage::default();
    let mut refreshed = false;
    let variables = cache.spec.variables();
    for script in file.shell_scripts(run) {
        for command in script.simple_commands() {
            let Some(line) = command.command_line(&value_options) else {
                let values = command.assignments.iter().map(|word| word.value.as_str());
                if let Some(name) = assigned(values, &variables) {
                    usage.note(Decline::ScriptVariable {
                        line: line_number,
                        variable: name,
                    });
                }
                continue;
            };
            refreshed |= runs(&cache.spec.refreshed_by, &line);
            if let Some(state) = &cache.spec.shared_state {
                if let Some(pattern) = state.commands.iter().find(|p| p.matches(&line)) {
                    usage.uses = true;
                    usage.note(Decline::SharedState {
                        line: line_number,
                        command: pattern.describe(),
                        what: state.what.clone(),
                    });
                }
            }
            if let Some(name) = exported(&line, &variables) {
                usage.note(Decline::ScriptVariable {
                    line: line_number,
                    variable: name,
                });
            }
            if runs(&cache.spec.uses, &line) {
                usage.uses = true;
                if let Some(problem) = command_problem(cache, &line, line_number) {
                    usage.note(problem);
                }
            }
            if let Some(fill) = cache.spec.fills.iter().find(|p| p.matches(&line)) {
                usage.fills = true;
                if !cache.spec.refreshed_by.is_empty() && !refreshed {
                    usage.note(Decline::NotRefreshed {
                        line: line_number,
                        command: fill.describe(),
                    });
                }
            }
        }
    }
    if usage.fills && offline_network(run) {
        usage.note(Decline::Offline {
            line: line_number,
            setting: "--network=none".to_owned(),
        });
    }
    usage
}

/// Whether the RUN runs without network (`--network=none`).
pub(super) fn offline_network(run: &Instruction) -> bool {
    run.flag("network")
        .and_then(|flag| flag.value)
        .is_some_and(|value| value.eq_ignore_ascii_case("none"))
}

impl Usage {
    /// Keeps the first problem found.
    fn note(&mut self, problem: Decline) {
        self.problem.get_or_insert(problem);
    }
}

/// The name of an assignment among `words` (`NAME=value`) that `variables` lists.
fn assigned<'w>(mut words: impl Iterator<Item = &'w str>, variables: &[&str]) -> Option<String> {
    words.find_map(|word| {
        let (name, _) = word.split_once('=')?;
        variables.contains(&name).then(|| name.to_owned())
    })
}

/// A variable `export NAME=…` (or `export NAME`) sets that `variables` lists.
fn exported<W: CommandWord>(line: &CommandLine<W>, variables: &[&str]) -> Option<String> {
    if line.name() != "export" {
        return None;
    }
    line.positional_values().find_map(|word| {
        let name = word.split_once('=').map_or(word, |(name, _)| name);
        variables.contains(&name).then(|| name.to_owned())
    })
}

/// Why one command of the tool keeps its RUN's caches from being mounted.
fn command_problem<W: CommandWord>(
    cache: &NamedCache,
    line: &CommandLine<W>,
    line_number: usize,
) -> Option<Decline> {
    let spec = &cache.spec;
    let text = || {
        let words = std::iter::once(line.program).chain(line.arguments);
        words.map(CommandWord::value).collect::<Vec<_>>().join(" ")
    };
    if line.changes_user() {
        return Some(Decline::OtherUser {
            line: line_number,
            command: text(),
        });
    }
    let variables = spec.variables();
    let assignments = line.assignments.iter().map(|word| word.value());
    if let Some(variable) = assigned(assignments, &variables) {
        return Some(Decline::ScriptVariable {
            line: line_number,
            variable,
        });
    }
    for option in &line.options {
        let value = option.value.map(CommandWord::value);
        let joined = format!("{}{}", option.word.value(), value.unwrap_or_default());
        if let Some(named) = spec.folder_options.iter().find(|o| joined.starts_with(*o)) {
            return Some(Decline::FolderOption {
                line: line_number,
                option: named.clone(),
            });
        }
        let value = option
            .word
            .value()
            .split_once('=')
            .map(|(_, value)| value)
            .or(value);
        if let Some((name, values)) = spec.runtime_options.get_key_value(option.name()) {
            if value.is_some_and(|value| value_listed(values, value)) {
                return Some(Decline::HoldsRuntime {
                    line: line_number,
                    setting: format!("{name} {}", value.unwrap_or_default()),
                });
            }
        }
    }
    let offline = spec.offline_options.iter().find(|o| line.has_option(o));
    offline.map(|option| Decline::Offline {
        line: line_number,
        setting: option.clone(),
    })
}
