//! What the RUNs of the stage chain say about its users: one creates a user, one uses `sudo`
//! (so the image runs as a non-root user already), read from the model's command lines.

use crate::knowledge::vocabulary::{lists, vocabulary};
use crate::model::script::{CommandLine, Script, Word, Wrapper};
use crate::model::{Dockerfile, Instruction};

/// The first of `runs` that runs a program creating a user or group.
pub(super) fn creates_user<'a, 'p: 'a>(
    file: &Dockerfile<'p>,
    runs: impl IntoIterator<Item = &'a &'a Instruction<'p>>,
) -> Option<&'a Instruction<'p>> {
    first_running(file, runs, |line| {
        lists(&vocabulary().users.creators, line.name())
    })
}

/// The first of `runs` that runs `sudo`.
pub(super) fn uses_sudo<'a, 'p: 'a>(
    file: &Dockerfile<'p>,
    runs: impl IntoIterator<Item = &'a &'a Instruction<'p>>,
) -> Option<&'a Instruction<'p>> {
    first_running(file, runs, |line| {
        line.name() == "sudo" || line.wrappers.contains(&Wrapper::Sudo)
    })
}

/// The first of `runs` one of whose commands (nested ones, and those of heredoc bodies a shell
/// runs, included) matches `wanted`.
fn first_running<'a, 'p: 'a>(
    file: &Dockerfile<'p>,
    runs: impl IntoIterator<Item = &'a &'a Instruction<'p>>,
    wanted: impl Fn(&CommandLine<Word>) -> bool,
) -> Option<&'a Instruction<'p>> {
    runs.into_iter().copied().find(|run| {
        let matches = |tree: &Script| {
            tree.simple_commands()
                .iter()
                .filter_map(|command| command.command_line(&[]))
                .any(|line| wanted(&line))
        };
        file.script(run)
            .is_some_and(|script| matches(&script.tree().script))
            || file
                .heredoc_scripts(run)
                .iter()
                .any(|body| matches(&body.script))
    })
}
