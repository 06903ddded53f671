//! The heredoc bodies of a `RUN` that a shell runs as a script: `RUN <<EOF` alone (BuildKit runs
//! the body with the stage's shell, or with its `#!` interpreter), or a shell reading the heredoc
//! (`RUN bash <<EOF`, `RUN sh -e <<'EOF'`). Bodies a shebang gives to another interpreter
//! (`#!/usr/bin/env python3`) and heredocs fed to other programs (`RUN python3 <<EOF`,
//! `RUN cat <<EOF > file`) are not scripts.

use super::script::{self, ParsedScript, RedirectOp};
use super::Instruction;
use crate::syntax::InstructionKind;

/// Shells whose standard input, or a `#!` line naming them, makes a body a shell script.
const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh", "ksh", "busybox"];

/// The heredoc bodies `instruction` (a shell-form RUN) runs as shell scripts, parsed, in order.
pub(super) fn shell_bodies(instruction: &Instruction) -> Vec<ParsedScript> {
    shell_body_texts(instruction)
        .iter()
        .map(|body| script::parse(body))
        .collect()
}

/// The text of the heredoc bodies `instruction` (a shell-form RUN) runs as shell scripts, in
/// order (leading tabs removed from `<<-` bodies).
pub(super) fn shell_body_texts(instruction: &Instruction) -> Vec<String> {
    if instruction.kind() != Some(InstructionKind::Run) || instruction.heredoc_count() == 0 {
        return Vec::new();
    }
    let Some(line) = instruction.script() else {
        return Vec::new();
    };
    let tree = line.tree();
    let commands = tree.script.simple_commands();
    // Only heredoc markers on the line (`RUN <<EOF`, `RUN <<A <<B`): each body is a script.
    let markers_only = commands.iter().all(|command| {
        command.words.is_empty()
            && command
                .redirects
                .iter()
                .all(|r| matches!(r.op, RedirectOp::HereDocument { .. }))
    });
    // A shell reading its standard input from the heredoc, without `-c`.
    let shell_reads = !markers_only
        && commands.len() == 1
        && commands[0].program_words().first().is_some_and(|program| {
            let name = program.value.rsplit('/').next().unwrap_or("");
            SHELLS.contains(&name)
                && !commands[0].program_words()[1..]
                    .iter()
                    .any(|w| w.value == "-c" || !w.value.starts_with('-'))
        });
    if !markers_only && !shell_reads {
        return Vec::new();
    }
    let text = instruction.text;
    instruction
        .parsed
        .heredocs
        .iter()
        .zip(&instruction.parsed.analysis.heredocs)
        .filter_map(|(body, opener)| {
            let raw = body.body.slice(text);
            let body: String = if opener.chomp {
                raw.lines()
                    .map(|line| format!("{}\n", line.trim_start_matches('\t')))
                    .collect()
            } else {
                raw.to_owned()
            };
            is_shell_script(&body).then_some(body)
        })
        .collect()
}

/// A body without a `#!` line, or one naming a shell.
fn is_shell_script(body: &str) -> bool {
    let Some(shebang) = body.strip_prefix("#!") else {
        return true;
    };
    let line = shebang.lines().next().unwrap_or("");
    let mut words = line.split_whitespace();
    let Some(first) = words.next() else {
        return true;
    };
    let mut name = first.rsplit('/').next().unwrap_or(first);
    if name == "env" {
        name = words.find(|w| !w.starts_with('-')).unwrap_or("");
    }
    SHELLS.contains(&name)
}

#[cfg(test)]
mod tests {
    use crate::model::Dockerfile;
    use crate::syntax::parse;

    fn programs(text: &str) -> Vec<Vec<String>> {
        let parse = parse(text);
        let file = Dockerfile::new(&parse);
        let run = &file.instructions()[1];
        file.heredoc_scripts(run)
            .iter()
            .map(|parsed| {
                parsed
                    .script
                    .simple_commands()
                    .iter()
                    .filter_map(|c| c.program_words().first().map(|w| w.value.clone()))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn shell_bodies_are_read_as_scripts() {
        assert_eq!(
            programs("FROM alpine\nRUN <<EOF\naddgroup -S docker\nadduser -S vscode\nEOF\n"),
            [["addgroup", "adduser"]]
        );
        assert_eq!(
            programs("FROM alpine\nRUN bash -e <<'EOF'\nuseradd -m app\nEOF\n"),
            [["useradd"]]
        );
        assert_eq!(
            programs("FROM alpine\nRUN <<-EOF\n\tuseradd app\n\tEOF\n"),
            [["useradd"]]
        );
        let none: [[&str; 0]; 0] = [];
        assert_eq!(
            programs("FROM alpine\nRUN python3 <<EOF\nimport os\nEOF\n"),
            none
        );
        assert_eq!(
            programs("FROM alpine\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n"),
            none
        );
        assert_eq!(
            programs("FROM alpine\nRUN cat <<EOF > /x\nuseradd a\nEOF\n"),
            none
        );
        assert_eq!(programs("FROM alpine\nRUN useradd app\n"), none);
    }
}
