//! Ports below 1024: only root binds them in Kubernetes and most runtimes (Docker 20.10 and
//! later let any user), so a literal `EXPOSE 80`, a bind option of the command (`gunicorn -b
//! 0.0.0.0:80`, `--port 80`) or a configuration file's address (`bind = "0.0.0.0:80"`, uWSGI's
//! `http = :80`) makes the transform decline. The options per program are data
//! (`[[binds]]` of `transforms/runtime-writes.toml`).

use super::blockers::literal_port;
use super::scripts::{shell_c_script, start_script};
use super::FinalStage;
use crate::knowledge::address_port;
use crate::model::script::{self, CommandLine, CommandWord, Word};
use crate::model::shell::quote;
use crate::model::Instruction;
use crate::syntax::InstructionKind;

/// The highest port only root may bind.
const LAST_PRIVILEGED_PORT: u32 = 1023;

/// Why a port is a blocker, said once.
const WHY: &str = "only root binds ports below 1024 in Kubernetes and most runtimes (Docker 20.10 and later let any user)";

impl<'a, 'p> FinalStage<'a, 'p> {
    /// Every port below 1024 the stage exposes literally, its command binds or its
    /// configuration files name.
    pub(super) fn port_blockers(&self) -> Vec<String> {
        let mut blockers = Vec::new();
        for expose in self.of_kind(InstructionKind::Expose) {
            for port in expose.ports() {
                if literal_port(&port.value).is_some_and(|n| n <= LAST_PRIVILEGED_PORT) {
                    blockers.push(format!(
                        "EXPOSE {} on line {} is a port below 1024: {WHY}",
                        port.value,
                        expose.start_line()
                    ));
                }
            }
        }
        for (start, text) in self.start_scripts() {
            let tree = script::parse(&text).script;
            for command in tree.simple_commands() {
                for (option, port) in self.bound_ports(command.program_words()) {
                    if port <= LAST_PRIVILEGED_PORT {
                        blockers.push(format!(
                            "the {} on line {} listens on port {port} (`{option}`): {WHY}",
                            start.keyword().value.to_ascii_uppercase(),
                            start.start_line()
                        ));
                    }
                }
            }
        }
        if let Some(context) = self.context {
            for configured in self.knowledge.writes().ports(context) {
                if configured.port <= LAST_PRIVILEGED_PORT {
                    blockers.push(format!(
                        "{} ({} line {}) listens on port {}: {WHY}",
                        configured.config, configured.file, configured.line, configured.port
                    ));
                }
            }
        }
        blockers.dedup();
        blockers
    }

    /// The scripts the container starts, each with the instruction it comes from: the last
    /// ENTRYPOINT's and the last CMD's, and, when both are in exec form, the CMD's words given
    /// to the ENTRYPOINT as arguments.
    pub(super) fn start_scripts(&self) -> Vec<(&'a Instruction<'p>, String)> {
        let entrypoint = self.of_kind(InstructionKind::Entrypoint).last().copied();
        let cmd = self.of_kind(InstructionKind::Cmd).last().copied();
        let mut scripts: Vec<(&'a Instruction<'p>, String)> = [entrypoint, cmd]
            .into_iter()
            .flatten()
            .filter_map(|start| Some((start, start_script(start)?)))
            .collect();
        if let (Some(entry), Some(cmd)) = (entrypoint, cmd) {
            if let (Some(first), Some(rest)) = (entry.exec_form(), cmd.exec_form()) {
                if shell_c_script(&first).is_none() {
                    let words: Vec<String> =
                        first.iter().chain(&rest).map(|e| quote(&e.value)).collect();
                    scripts.push((entry, words.join(" ")));
                }
            }
        }
        scripts
    }

    /// The ports a command's bind options give literally, with the option as written.
    fn bound_ports(&self, words: &[Word]) -> Vec<(String, u32)> {
        let Some(line) = program_line(words, &[]) else {
            return Vec::new();
        };
        let options = self.knowledge.writes().bind_options(line.name());
        if options.is_empty() {
            return Vec::new();
        }
        let start = words.len() - line.arguments.len() - 1;
        let Some(line) = CommandLine::read(&words[start..], &options) else {
            return Vec::new();
        };
        line.options
            .iter()
            .filter(|option| options.contains(&option.name()))
            .filter_map(|option| {
                let written = option.word.value.as_str();
                let value = match written.split_once('=') {
                    Some((_, value)) => value,
                    None => option.value?.value.as_str(),
                };
                let port = address_port(value)?;
                let shown = match written.contains('=') {
                    true => written.to_owned(),
                    false => format!("{written} {value}"),
                };
                Some((shown, port))
            })
            .collect()
    }
}

/// The command line of the program a command runs: past `python -m MODULE` (the module is the
/// program) and `npx PROGRAM`.
pub(super) fn program_line<'w, W: CommandWord>(
    words: &'w [W],
    value_options: &[&str],
) -> Option<CommandLine<'w, W>> {
    let line = CommandLine::read(words, value_options)?;
    let arguments = line.arguments;
    let module = match line.name() {
        name if name.starts_with("python") => arguments
            .iter()
            .position(|w| w.value() == "-m")
            .map(|at| at + 1),
        "npx" | "bunx" => arguments.iter().position(|w| !w.value().starts_with('-')),
        _ => None,
    };
    match module {
        Some(at) if at < arguments.len() => CommandLine::read(&arguments[at..], value_options),
        _ => Some(line),
    }
}
