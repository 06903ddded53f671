//! System package manager commands (apt, apk, dnf, …) recognised inside lexed shell scripts.

use super::shell::{Command, ShellWord};

/// A package manager command: where its words start once `VAR=value` prefixes are skipped.
pub struct PackageCommand<'c> {
    pub index: usize,
    pub command: &'c Command,
    /// The word after the program (`install`, `add`, `update`).
    pub verb: &'c ShellWord,
    /// The words after the verb.
    pub rest: &'c [ShellWord],
}

/// Matches `programs verb …` (options before the verb and `VAR=x` prefixes allowed).
pub fn package_command<'c>(
    index: usize,
    command: &'c Command,
    programs: &[&str],
    verbs: &[&str],
) -> Option<PackageCommand<'c>> {
    let words = &command.words;
    let start = words.iter().position(|w| !is_assignment(&w.value))?;
    if !programs.contains(&words[start].value.as_str()) {
        return None;
    }
    let verb_at = start
        + 1
        + words[start + 1..]
            .iter()
            .position(|w| !w.value.starts_with('-'))?;
    let verb = &words[verb_at];
    verbs
        .contains(&verb.value.as_str())
        .then(|| PackageCommand {
            index,
            command,
            verb,
            rest: &words[verb_at + 1..],
        })
}

/// `NAME=value`.
pub fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit())
    })
}

/// Every `apt-get install` / `apt install` command.
pub fn apt_installs(commands: &[Command]) -> Vec<PackageCommand<'_>> {
    commands
        .iter()
        .enumerate()
        .filter_map(|(i, c)| package_command(i, c, &["apt-get", "apt"], &["install"]))
        .collect()
}

/// `apt-get update` / `apt update`.
pub fn is_apt_update(command: &Command) -> bool {
    package_command(0, command, &["apt-get", "apt"], &["update"]).is_some()
}
