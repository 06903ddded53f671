//! What the commands a container starts need from root: programs that need it or drop
//! privileges themselves, writes into root-owned folders, scripts dfmigrate cannot read.

use super::writes::is_root_path;
use crate::knowledge::vocabulary::{lists, vocabulary};
use crate::model::{script, shell, Instruction, Located};

/// How sure a reason to keep root is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Severity {
    /// The command will fail as another user: the fix is declined.
    Blocks,
    /// It may: the fix stays, unsafe, naming it.
    Risk,
}

/// Why a CMD/ENTRYPOINT needs root (a program that does, a write to a root-owned folder) or may
/// (a script dfmigrate cannot read), when that is `severity`.
pub(super) fn command_risk(instruction: &Instruction, severity: Severity) -> Option<String> {
    let keyword = instruction.keyword().value.to_ascii_uppercase();
    let line = instruction.start_line();
    let (found, risk) = script_risk(&start_script(instruction)?, true)?;
    (found == severity).then(|| format!("the {keyword} on line {line} {risk}"))
}

/// What in a shell script needs or may need root; the script of a `sh -c` inside is read too
/// (once).
pub(super) fn script_risk(text: &str, nested: bool) -> Option<(Severity, String)> {
    let tree = script::parse(text).script;
    let found: Vec<(Severity, String)> = tree
        .simple_commands()
        .into_iter()
        .filter_map(|command| {
            let words: Vec<&str> = command
                .program_words()
                .iter()
                .map(|w| w.value.as_str())
                .collect();
            let program = words.first().map(|w| w.rsplit('/').next().unwrap_or(w))?;
            if lists(&vocabulary().users.root_programs, program) {
                return Some((
                    Severity::Blocks,
                    format!("runs `{program}`, which needs root or drops privileges itself"),
                ));
            }
            let redirects_to_root_path = command
                .redirects
                .iter()
                .filter_map(|redirect| redirect.written_file())
                .any(|target| is_root_path(&target.value));
            let writes_root_path = lists(&vocabulary().users.writers, program)
                && words[1..].iter().any(|w| is_root_path(w));
            if redirects_to_root_path || writes_root_path {
                return Some((
                    Severity::Blocks,
                    "writes to a folder owned by root".to_owned(),
                ));
            }
            if let (true, [_, "-c", script, ..]) = (nested && is_shell(program), words.as_slice()) {
                return script_risk(script, false);
            }
            let script = words.iter().take(2).find(|word| word.ends_with(".sh"))?;
            Some((
                Severity::Risk,
                format!("runs {script}, whose commands dfmigrate cannot see"),
            ))
        })
        .collect();
    let blocking = found
        .iter()
        .position(|(severity, _)| *severity == Severity::Blocks);
    found.into_iter().nth(blocking.unwrap_or(0))
}

pub(super) fn is_shell(program: &str) -> bool {
    matches!(program, "sh" | "bash" | "ash" | "dash")
}

/// The script a CMD/ENTRYPOINT starts: its shell form, the script of an exec-form `sh -c`,
/// or the exec-form words quoted as one command.
pub(super) fn start_script(instruction: &Instruction) -> Option<String> {
    Some(match instruction.exec_form() {
        Some(elements) => shell_c_script(&elements).unwrap_or_else(|| {
            elements
                .iter()
                .map(|e| shell::quote(&e.value))
                .collect::<Vec<_>>()
                .join(" ")
        }),
        None => instruction.script()?.text.to_owned(),
    })
}

/// The script of an exec-form `["sh", "-c", "script"]`.
pub(super) fn shell_c_script(elements: &[Located<String>]) -> Option<String> {
    match elements {
        [shell, flag, script, ..]
            if is_shell(shell.value.rsplit('/').next().unwrap_or("")) && flag.value == "-c" =>
        {
            Some(script.value.clone())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sees_root_needs_inside_shell_scripts() {
        let blocks = |text| Some((Severity::Blocks, text));
        assert_eq!(
            script_risk("sh -c 'exec gosu app node server.js'", true),
            blocks("runs `gosu`, which needs root or drops privileges itself".to_owned())
        );
        assert_eq!(script_risk("node server.js > /tmp/log", true), None);
        assert!(script_risk("./start.sh", true).is_some_and(|(s, _)| s == Severity::Risk));
        assert_eq!(
            script_risk("./start.sh && nginx -g 'daemon off;'", true).map(|(s, _)| s),
            Some(Severity::Blocks)
        );
    }
}
