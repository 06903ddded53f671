//! How the RUNs after a secret build argument use it, and how one receives it as a build
//! secret instead: which RUNs need the value, whether one stores it in the image (where a
//! secret mount cannot keep it out), and the mount (`env=` where the Dockerfile syntax reads it,
//! else the file `/run/secrets/NAME` read into the variable by the RUN's shell).

use crate::diagnostics::Rewriter;
use crate::knowledge::secrets::{SecretMounts, SecretVariables};
use crate::model::script::{CommandNode, ParsedScript, Pipeline, Script, SimpleCommand};
use crate::model::{Dockerfile, Instruction};
use crate::syntax::InstructionKind;

/// How one RUN uses the variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    /// Its shell expands `$NAME` (or an exec-form RUN names it).
    Expands,
    /// It names `$NAME` without expanding it (`'…${NAME}…'`, `\$NAME`): it writes a reference
    /// a program resolves later from its environment (npm's `.npmrc`).
    Refers,
    /// It does not name it; a program may still read it from its environment.
    None,
}

/// How `run` uses `$name`.
pub fn use_of(file: &Dockerfile, run: &Instruction, name: &str) -> Use {
    if !mentions_variable(run.source(), name) {
        return Use::None;
    }
    let scripts = scripts_of(file, run);
    if scripts.is_empty() {
        // Exec form: whatever runs it reads the text as written.
        return Use::Expands;
    }
    let expands = scripts
        .iter()
        .any(|tree| tree.script.parameter_names().iter().any(|n| n == name));
    match expands {
        true => Use::Expands,
        false => Use::Refers,
    }
}

/// The shell scripts of a RUN: its shell-form script and the heredoc bodies a shell runs.
fn scripts_of(file: &Dockerfile, run: &Instruction) -> Vec<ParsedScript> {
    let mut trees = file.heredoc_scripts(run);
    if let Some(script) = file.script(run) {
        trees.push(script.tree().clone());
    }
    trees
}

/// Why the value would stay in the image although the RUN receives it as a secret: a command
/// that expands it writes it into a file the RUN does not remove (a redirection, `tee`), or
/// hands it to a command that keeps it (`git clone https://$TOKEN@…`).
pub fn stored_by(
    file: &Dockerfile,
    run: &Instruction,
    name: &str,
    variables: &SecretVariables,
) -> Option<String> {
    scripts_of(file, run)
        .iter()
        .find_map(|tree| stored_in(&tree.script, name, variables))
        .map(|place| {
            format!(
                "the RUN on line {} writes it into {place}",
                run.start_line()
            )
        })
}

fn stored_in(script: &Script, name: &str, variables: &SecretVariables) -> Option<String> {
    let commands = script.simple_commands();
    for command in &commands {
        if !command.parameter_names().iter().any(|n| n == name) {
            continue;
        }
        let (program, positionals) = program_of(command);
        if let Some(place) = variables.stores(&program, &positionals) {
            return Some(format!("{place} (`{program}`)"));
        }
    }
    for pipeline in pipelines(script) {
        // Whether the secret flows through the pipeline: a printer given it printed it.
        let mut carrying = false;
        for node in &pipeline.commands {
            let CommandNode::Simple(command) = node else {
                carrying = false;
                continue;
            };
            let (program, positionals) = program_of(command);
            let prints = variables.printers.contains(&program)
                && command.parameter_names().iter().any(|n| n == name);
            if !(prints || carrying) {
                continue;
            }
            carrying = true;
            let mut written: Vec<&str> = command
                .redirects
                .iter()
                .filter(|redirect| {
                    redirect.op.writes_file() && redirect.fd.is_none_or(|fd| fd == 1)
                })
                .filter_map(|redirect| redirect.target.as_ref())
                .map(|target| target.value.as_str())
                .collect();
            if program == "tee" {
                written.extend(positionals.iter().copied());
            }
            let later: Vec<&SimpleCommand> = commands
                .iter()
                .copied()
                .filter(|other| other.range.start >= command.range.end)
                .collect();
            if let Some(kept) = written
                .into_iter()
                .filter(|path| !path.starts_with("/dev/"))
                .find(|path| !removed(&later, path))
            {
                return Some(format!("`{kept}`, which the image keeps"));
            }
        }
    }
    None
}

/// A simple command's program base name and positional words.
fn program_of(command: &SimpleCommand) -> (String, Vec<&str>) {
    match command.command_line(&[]) {
        Some(line) => (line.name().to_owned(), line.positional_values().collect()),
        None => (String::new(), Vec::new()),
    }
}

/// The pipelines of a script and of the bodies of its compound commands.
fn pipelines(script: &Script) -> Vec<&Pipeline> {
    let mut found = Vec::new();
    for item in &script.items {
        for pipeline in std::iter::once(&item.first).chain(item.rest.iter().map(|(_, p)| p)) {
            found.push(pipeline);
            for node in &pipeline.commands {
                let body = match node {
                    CommandNode::Compound(compound) => compound,
                    CommandNode::Function { body, .. } => body,
                    CommandNode::Simple(_) => continue,
                };
                for script in body.bodies() {
                    found.extend(pipelines(script));
                }
            }
        }
    }
    found
}

/// Whether one of `commands` removes `path` (`rm` of it or of a folder holding it).
fn removed(commands: &[&SimpleCommand], path: &str) -> bool {
    commands.iter().any(|command| {
        let Some(line) = command.command_line(&[]) else {
            return false;
        };
        line.name() == "rm"
            && line.positional_values().any(|removed| {
                let folder = removed.trim_end_matches('/');
                removed == path || path.starts_with(&format!("{folder}/"))
            })
    })
}

/// Why `run` cannot read the secret from `/run/secrets/NAME` through its shell, if it cannot:
/// exec form, a heredoc script, or a SHELL that is not a POSIX shell.
pub fn file_mount_blocker(
    file: &Dockerfile,
    run: &Instruction,
    variables: &SecretVariables,
) -> Option<String> {
    let line = run.start_line();
    if file.script(run).is_none() {
        return Some(format!(
            "the RUN on line {line} is in exec form: no shell reads the secret's file into the variable"
        ));
    }
    if run.heredoc_count() > 0 {
        return Some(format!(
            "the RUN on line {line} runs a heredoc: the secret's file cannot be read in front of it"
        ));
    }
    let shell = file.shell_before(run)?;
    let program = shell
        .exec_form()
        .and_then(|words| words.first().map(|word| word.value.clone()))
        .unwrap_or_default();
    (!variables.is_posix_shell(&program)).then(|| {
        format!(
            "the SHELL on line {} ({program}) is not a POSIX shell",
            shell.start_line()
        )
    })
}

/// Adds the secret mount to `run` and, for a file mount, the shell words that read the file
/// into the variable in front of its command; `owner` is the user id a file mount is given
/// (`uid=`) so that a RUN under a non-root `USER` can read it.
pub fn mount(
    rewriter: &mut Rewriter,
    run: &Instruction,
    name: &str,
    mounts: SecretMounts,
    owner: Option<u32>,
) {
    match mounts {
        SecretMounts::Env => {
            rewriter.insert(
                run.keyword().range.end,
                format!(" --mount=type=secret,id={name},env={name}"),
            );
        }
        SecretMounts::File | SecretMounts::None => {
            let uid = owner.map(|uid| format!(",uid={uid}")).unwrap_or_default();
            rewriter.insert(
                run.keyword().range.end,
                format!(" --mount=type=secret,id={name}{uid}"),
            );
            rewriter.insert(
                run.args_range().start,
                format!("export {name}=\"$(cat /run/secrets/{name})\"; "),
            );
        }
    }
}

/// Whether a RUN already mounts the secret `id=NAME`.
pub fn has_secret_mount(run: &Instruction, name: &str) -> bool {
    run.kind() == Some(InstructionKind::Run)
        && run.flags().iter().any(|flag| {
            flag.name.eq_ignore_ascii_case("mount")
                && flag.value.as_deref().is_some_and(|value| {
                    value.contains("type=secret")
                        && value.split(',').any(|part| part == format!("id={name}"))
                })
        })
}

/// Whether `text` names the variable: `$NAME` or `${NAME…}`.
pub fn mentions_variable(text: &str, name: &str) -> bool {
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices('$').any(|(at, _)| {
        let rest = &text[at + 1..];
        let rest = rest.strip_prefix('{').unwrap_or(rest);
        rest.strip_prefix(name)
            .is_some_and(|after| !after.starts_with(is_name_char))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::secrets::Secrets;
    use crate::syntax::parse;

    #[test]
    fn variable_mentions_are_whole_names() {
        assert!(mentions_variable("echo $NPM_TOKEN", "NPM_TOKEN"));
        assert!(mentions_variable("echo ${NPM_TOKEN:-x}", "NPM_TOKEN"));
        assert!(!mentions_variable("echo $NPM_TOKENS", "NPM_TOKEN"));
        assert!(!mentions_variable("echo NPM_TOKEN", "NPM_TOKEN"));
    }

    fn runs_of(text: &str) -> Vec<(Use, Option<String>)> {
        let parsed = parse(text);
        let file = Dockerfile::new(&parsed);
        let variables = &Secrets::builtin().variables;
        file.of_kind(InstructionKind::Run)
            .map(|run| {
                (
                    use_of(&file, run, "T"),
                    stored_by(&file, run, "T", variables),
                )
            })
            .collect()
    }

    #[test]
    fn uses_and_stores() {
        let found = runs_of(
            "FROM x\n\
             RUN echo \"//r/:_authToken=$T\" > .npmrc && npm ci && rm -f .npmrc\n\
             RUN echo '//r/:_authToken=${T}' > .npmrc\n\
             RUN npm ci\n\
             RUN echo \"$T\" > /root/.ssh/id_rsa\n\
             RUN git clone https://x:$T@example.com/r.git\n\
             RUN curl -H \"Authorization: $T\" https://x > out.json 2>/dev/null\n\
             RUN if true; then printf '%s' \"$T\" | base64 | tee /etc/t; fi\n",
        );
        assert_eq!(found[0], (Use::Expands, None));
        assert_eq!(found[1], (Use::Refers, None));
        assert_eq!(found[2], (Use::None, None));
        assert!(found[3]
            .1
            .as_deref()
            .is_some_and(|s| s.contains("/root/.ssh/id_rsa")));
        assert!(found[4]
            .1
            .as_deref()
            .is_some_and(|s| s.contains(".git/config")));
        // The output of a command given the secret is not the secret.
        assert_eq!(found[5], (Use::Expands, None));
        assert!(found[6].1.as_deref().is_some_and(|s| s.contains("/etc/t")));
    }
}
