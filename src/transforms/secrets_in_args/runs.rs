//! How the RUNs after a secret build argument use it, and how one receives it as a build
//! secret instead: which RUNs need the value, whether one stores it in the image (where a
//! secret mount cannot keep it out), and the mount (`env=` where the Dockerfile syntax reads it,
//! else the file `/run/secrets/NAME` read into the variable by the RUN's shell).

use crate::diagnostics::Rewriter;
use crate::knowledge::secrets::{SecretMounts, SecretVariables};
use crate::model::script::{
    CommandNode, ParsedScript, Pipeline, Redirect, RedirectOp, Script, SimpleCommand,
};
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

/// How `run` uses `$name`; a program that prints it from its environment (`envsubst`,
/// `printenv NAME`) expands it too.
pub fn use_of(
    file: &Dockerfile,
    run: &Instruction,
    name: &str,
    variables: &SecretVariables,
) -> Use {
    let scripts = scripts_of(file, run);
    let from_environment = scripts.iter().any(|tree| {
        tree.script.simple_commands().into_iter().any(|command| {
            let (program, positionals) = program_of(command);
            variables.environment_printers.contains(&program)
                && prints_from_environment(&positionals, name)
        })
    });
    if from_environment {
        return Use::Expands;
    }
    if !mentions_variable(run.source(), name) {
        return Use::None;
    }
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
/// that has it writes it into a file the RUN does not remove (a redirection of a printer, `tee`,
/// `envsubst`, an in-place `sed -i`, and the copies `cp`/`install`/`mv` make of such a file), or
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
    let files = Files {
        commands: &commands,
        variables,
    };
    for command in &commands {
        if !command.parameter_names().iter().any(|n| n == name) {
            continue;
        }
        let (program, positionals) = program_of(command);
        if let Some(place) = variables.stores(&program, &positionals) {
            return Some(format!("{place} (`{program}`)"));
        }
        for edited in edited_files(command, variables) {
            if let Some(kept) = files.kept(&edited, command.range.end, 0) {
                return Some(format!(
                    "`{kept}`, which the image keeps (`{program}` edits it)"
                ));
            }
        }
    }
    for pipeline in pipelines(script) {
        // Whether the secret flows through the pipeline: a command that printed it ran before.
        let mut carrying = false;
        for node in &pipeline.commands {
            let (written, end) = match node {
                CommandNode::Simple(command) => {
                    let (program, positionals) = program_of(command);
                    if !(carrying || prints(command, &program, &positionals, name, variables)) {
                        continue;
                    }
                    carrying = true;
                    let mut written = written_files(&command.redirects);
                    if variables.file_writers.contains(&program) {
                        written.extend(positionals.iter().map(|p| p.to_string()));
                    }
                    (written, command.range.end)
                }
                // `{ echo "$TOKEN"; } > file`, `if …; then printf …; fi >> file`
                CommandNode::Compound(compound) => {
                    let inside = compound.bodies().into_iter().any(|body| {
                        body.simple_commands().into_iter().any(|command| {
                            let (program, positionals) = program_of(command);
                            prints(command, &program, &positionals, name, variables)
                        })
                    });
                    carrying = carrying || inside;
                    if !carrying {
                        continue;
                    }
                    (written_files(&compound.redirects), compound.range.end)
                }
                CommandNode::Function { .. } => {
                    carrying = false;
                    continue;
                }
            };
            if let Some(kept) = written
                .iter()
                .filter(|path| !path.starts_with("/dev/"))
                .find_map(|path| files.kept(path, end, 0))
            {
                return Some(format!("`{kept}`, which the image keeps"));
            }
        }
    }
    None
}

/// Whether a command prints the secret: a printer given it (`echo "$TOKEN"`), a program that
/// prints its environment or the variable from it (`envsubst`, `printenv TOKEN`), or one that
/// prints a here-string holding it (`cat <<< "$TOKEN"`).
fn prints(
    command: &SimpleCommand,
    program: &str,
    positionals: &[&str],
    name: &str,
    variables: &SecretVariables,
) -> bool {
    let printer = |list: &[String]| list.iter().any(|p| p == program);
    if printer(&variables.printers) && command.parameter_names().iter().any(|n| n == name) {
        return true;
    }
    if printer(&variables.environment_printers) {
        return prints_from_environment(positionals, name);
    }
    printer(&variables.input_printers)
        && command
            .redirects
            .iter()
            .any(|redirect| redirect.op == RedirectOp::HereString)
        && command.parameter_names().iter().any(|n| n == name)
}

/// Whether an environment printer given `positionals` prints the variable: with none it prints
/// every variable, else those it names (`printenv NAME`, `envsubst '$NAME ${OTHER}'`).
fn prints_from_environment(positionals: &[&str], name: &str) -> bool {
    positionals.is_empty()
        || positionals
            .iter()
            .any(|word| *word == name || mentions_variable(word, name))
}

/// The files a command's redirections write its standard output to.
fn written_files(redirects: &[Redirect]) -> Vec<String> {
    redirects
        .iter()
        .filter(|redirect| redirect.op.writes_file() && redirect.fd.is_none_or(|fd| fd == 1))
        .filter_map(|redirect| redirect.target.as_ref())
        .map(|target| target.value.clone())
        .collect()
}

/// The files a command edits in place with a script it is given (`sed -i SCRIPT FILE…`).
fn edited_files(command: &SimpleCommand, variables: &SecretVariables) -> Vec<String> {
    let Some(program) = command.command_line(&[]).map(|line| line.name().to_owned()) else {
        return Vec::new();
    };
    let Some(editor) = variables.editors.iter().find(|e| e.program == program) else {
        return Vec::new();
    };
    let value_options: Vec<&str> = editor.value_options.iter().map(String::as_str).collect();
    let Some(line) = command.command_line(&value_options) else {
        return Vec::new();
    };
    if !line
        .options
        .iter()
        .any(|option| editor.edits_in_place(option.name()))
    {
        return Vec::new();
    }
    let scripted = line
        .options
        .iter()
        .any(|option| editor.script_options.iter().any(|o| o == option.name()));
    line.positional_values()
        .skip(usize::from(!scripted))
        .map(str::to_owned)
        .collect()
}

/// The commands of a RUN's script, to follow a file that holds the secret.
struct Files<'a> {
    commands: &'a [&'a SimpleCommand],
    variables: &'a SecretVariables,
}

impl Files<'_> {
    /// Where the file `path`, written before `offset`, keeps the secret in the image: `path`
    /// itself unless a later command removes (or moves) it, else a copy of it that stays.
    fn kept(&self, path: &str, offset: usize, depth: usize) -> Option<String> {
        let later: Vec<&SimpleCommand> = self
            .commands
            .iter()
            .copied()
            .filter(|other| other.range.start >= offset)
            .collect();
        let mut moved = false;
        if depth < 4 {
            for command in &later {
                let Some((sources, destination, moves)) = self.copy(command) else {
                    continue;
                };
                let Some(source) = sources.iter().find(|source| *source == path) else {
                    continue;
                };
                moved |= moves;
                let destination = match destination {
                    Copy::To(destination) => destination,
                    Copy::Into(folder) => {
                        let file = source.rsplit('/').next().unwrap_or(source);
                        format!("{}/{file}", folder.trim_end_matches('/'))
                    }
                };
                if let Some(kept) = self.kept(&destination, command.range.end, depth + 1) {
                    return Some(kept);
                }
            }
        }
        (!moved && !removed(&later, path)).then(|| path.to_owned())
    }

    /// A copying command's sources and destination, and whether it moves them.
    fn copy(&self, command: &SimpleCommand) -> Option<(Vec<String>, Copy, bool)> {
        let copiers = &self.variables.copiers;
        let program = command.command_line(&[])?.name().to_owned();
        if !copiers.programs.contains(&program) {
            return None;
        }
        let value_options: Vec<&str> = copiers.value_options.iter().map(String::as_str).collect();
        let line = command.command_line(&value_options)?;
        let mut positionals: Vec<String> = line.positional_values().map(str::to_owned).collect();
        let target = line.options.iter().find_map(|option| {
            if !copiers.target_options.iter().any(|o| o == option.name()) {
                return None;
            }
            match option.word.value.split_once('=') {
                Some((_, value)) => Some(value.to_owned()),
                None => option.value.map(|value| value.value.clone()),
            }
        });
        let destination = match target {
            Some(folder) => Copy::Into(folder),
            None if positionals.len() >= 2 => Copy::To(positionals.pop()?),
            None => return None,
        };
        Some((positionals, destination, copiers.moves.contains(&program)))
    }
}

/// Where a copy goes: a file (or folder) named last, or into the folder of `-t`.
enum Copy {
    To(String),
    Into(String),
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
                    use_of(&file, run, "T", variables),
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

    #[test]
    fn stores_through_edits_environment_printers_and_copies() {
        let stores = |run: &str| runs_of(&format!("FROM x\nRUN {run}\n"))[0].clone();
        let kept = |run: &str| stores(run).1.unwrap_or_default();
        assert!(kept("sed -i \"s/@T@/$T/\" /etc/a.conf").contains("`/etc/a.conf`"));
        assert!(kept("sed -Ei.bak -e \"s/@T@/$T/\" a.conf b.conf").contains("`a.conf`"));
        assert_eq!(stores("sed -i \"s/@T@/$T/\" a && use a && rm a").1, None);
        // Without -i sed prints to its standard output.
        assert_eq!(stores("sed \"s/@T@/$T/\" a | use").1, None);
        assert!(kept("envsubst < in > /etc/out").contains("/etc/out"));
        assert_eq!(stores("envsubst < in > /etc/out").0, Use::Expands);
        assert!(kept("envsubst '$T' < in > /etc/out").contains("/etc/out"));
        assert_eq!(
            stores("envsubst '$HOST' < in > /etc/out"),
            (Use::None, None)
        );
        assert!(kept("printenv T >> /etc/env").contains("/etc/env"));
        assert!(kept("cat <<< \"$T\" | tee -a /etc/t").contains("/etc/t"));
        assert!(kept("{ echo a; echo \"$T\"; } > /etc/g").contains("/etc/g"));
        assert!(
            kept("echo \"$T\" > /tmp/k && install -m 600 /tmp/k /etc/k && rm /tmp/k")
                .contains("`/etc/k`")
        );
        assert!(kept("echo \"$T\" > k && cp -t /etc/app k && rm k").contains("`/etc/app/k`"));
        assert!(kept("echo \"$T\" > /tmp/k && mv /tmp/k /etc/k").contains("`/etc/k`"));
        assert_eq!(
            stores("echo \"$T\" > /tmp/k && mv /tmp/k /tmp/j && rm /tmp/j").1,
            None
        );
        assert_eq!(
            stores("echo \"$T\" > a && cp a b && use b && rm a b").1,
            None
        );
    }
}
