//! Folders installs fill outside the application folder: environments the stage creates
//! (`python -m venv /opt/venv`), which the runtime stage receives too, and environments a tool
//! keeps in its own home or cache folder (Pipenv, Poetry), which make the split decline.

use super::{expand, Split};
use crate::knowledge::{EnvironmentCommand, PrivateEnvironment, Profile};
use crate::model::packages::is_assignment;
use crate::model::paths::{normalize, resolve};
use crate::syntax::InstructionKind;

impl Split<'_, '_> {
    /// The environment folders the stage's RUNs create, absolute; the reason to decline when
    /// one cannot be placed or an install fills a tool's private environment.
    pub(super) fn environment_folders(&self) -> Result<Vec<String>, String> {
        let profiles = self.knowledge.profiles_for_image(&self.stage.base);
        let mut folders = Vec::new();
        for (index, run) in self.instructions.iter().enumerate() {
            if run.kind() != Some(InstructionKind::Run) {
                continue;
            }
            let Some(script) = run.script() else { continue };
            let variables = self.variables_before(index);
            for command in &script.lexed.commands {
                let all: Vec<&str> = command.words.iter().map(|w| w.value.as_str()).collect();
                let assigned = all.iter().take_while(|w| is_assignment(w)).count();
                let (assignments, words) = all.split_at(assigned);
                for profile in &profiles {
                    let Some(layout) = &profile.runtime else {
                        continue;
                    };
                    for rule in &layout.environments {
                        let Some(folder) = created_folder(rule, words, &variables) else {
                            continue;
                        };
                        folders.push(self.place_environment(index, &folder, &variables)?);
                    }
                    if let Some(private) = &layout.private_environment {
                        let mut set = variables.clone();
                        set.extend(assignments.iter().filter_map(|a| {
                            let (name, value) = a.split_once('=')?;
                            Some((name.to_owned(), value.trim_matches('"').to_owned()))
                        }));
                        if self.fills_private(profile, private, words, &set) {
                            return Err(private.why.clone());
                        }
                    }
                }
            }
        }
        folders.sort();
        folders.dedup();
        Ok(folders)
    }

    /// The absolute folder of an environment the RUN at `index` creates.
    fn place_environment(
        &self,
        index: usize,
        folder: &str,
        variables: &[(String, String)],
    ) -> Result<String, String> {
        let value = expand(folder, variables).ok_or_else(|| {
            format!("an environment is created in {folder}, a variable without a literal value")
        })?;
        if value.starts_with('/') {
            return Ok(normalize(&value));
        }
        let cwd = self.cwd_at(index).ok_or_else(|| {
            format!("an environment is created in {value}, relative to a working directory that is not known")
        })?;
        Ok(resolve(&cwd, &value))
    }

    /// Whether `words` is one of the private environment's installs, and nothing in the
    /// command, the stage's variables, its RUNs or the build context puts it elsewhere.
    fn fills_private(
        &self,
        profile: &Profile,
        private: &PrivateEnvironment,
        words: &[&str],
        variables: &[(String, String)],
    ) -> bool {
        let installs = private.commands.iter().any(|command| {
            command.len() <= words.len()
                && words[0].rsplit('/').next() == command.first().map(String::as_str)
                && command[1..]
                    .iter()
                    .zip(&words[1..])
                    .all(|(expected, word)| expected == word)
        });
        if !installs {
            return false;
        }
        let option = words.iter().any(|word| {
            private
                .unless_options
                .iter()
                .any(|option| word.split('=').next() == Some(option.as_str()))
        });
        let variable = private.unless_env.iter().any(|(name, values)| {
            variables
                .iter()
                .rev()
                .find(|(key, _)| key == name)
                .is_some_and(|(_, value)| {
                    values.is_empty() || values.iter().any(|v| v.eq_ignore_ascii_case(value))
                })
        });
        let configured = self.of_kind(InstructionKind::Run).any(|run| {
            let text = run.logical_text();
            private
                .unless_text
                .iter()
                .any(|pattern| pattern.is_match(text))
        });
        !(option || variable || configured || profile.configures_environment(self.context))
    }
}

/// The folder a command creates when it is `rule`'s (`python3 -m venv /opt/venv`): its first
/// positional word after the matched ones, else the rule's default; a variable naming the
/// environment instead (`UV_PROJECT_ENVIRONMENT`) wins.
fn created_folder(
    rule: &EnvironmentCommand,
    words: &[&str],
    variables: &[(String, String)],
) -> Option<String> {
    let (program, rest) = words.split_first()?;
    let (first, expected) = rule.words.split_first()?;
    let name = program.rsplit('/').next().unwrap_or(program);
    if !first.matches(name)
        || rest.len() < expected.len()
        || !expected
            .iter()
            .zip(rest)
            .all(|(glob, word)| glob.matches(word))
    {
        return None;
    }
    if let Some(named) = rule
        .env
        .as_ref()
        .and_then(|env| variables.iter().rev().find(|(key, _)| key == env))
    {
        return Some(named.1.clone());
    }
    let mut arguments = rest[expected.len()..].iter();
    if !rule.option.is_empty() {
        while let Some(word) = arguments.next() {
            let (name, attached): (&str, Option<&str>) = match word.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (word, None),
            };
            if rule.option.iter().any(|option| option == name) {
                return attached.or(arguments.next().copied()).map(str::to_owned);
            }
        }
        return None;
    }
    while let Some(word) = arguments.next() {
        if rule.value_options.iter().any(|option| option == word) {
            arguments.next();
        } else if !word.starts_with('-') {
            return Some((*word).to_owned());
        }
    }
    rule.default.clone()
}
