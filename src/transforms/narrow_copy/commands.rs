//! What the build stage runs after its whole-context copy: only the profile's build commands
//! (whose positional words and package options name the packages built) and the commands that
//! read only the files always copied, with `cd` between them; anything else may read any file,
//! and declines.

use super::decline::Decline;
use super::StageView;
use crate::model::paths::{is_within, resolve};
use crate::model::shell::Command;
use crate::model::Instruction;
use crate::syntax::InstructionKind;

/// Whether a RUN after the copy runs one of the profile's build commands.
pub(super) fn runs_a_build(view: &StageView) -> bool {
    view.runs_after_copy().any(|run| {
        view.file.script(run).is_some_and(|script| {
            script
                .lexed
                .commands
                .iter()
                .any(|command| view.build_rule(command).is_some())
        })
    })
}

/// A package a build command names (`.` when it names none), with where the command runs.
pub(super) struct BuiltPackage {
    /// The command as written.
    pub command: String,
    /// The working directory the command runs in.
    pub cwd: String,
    /// The package as the command names it: a path or a name.
    pub package: String,
}

/// The packages the stage's build commands build, or why what the stage reads cannot be told.
/// `target` is where the copy puts the context's root.
pub(super) fn built_packages(view: &StageView, target: &str) -> Result<Vec<BuiltPackage>, Decline> {
    let mut built = Vec::new();
    for run in view.runs_after_copy() {
        built.extend(run_packages(view, run, target)?);
    }
    Ok(built)
}

/// The packages one RUN builds.
fn run_packages(
    view: &StageView,
    run: &Instruction,
    target: &str,
) -> Result<Vec<BuiltPackage>, Decline> {
    let line = run.start_line();
    let unreadable = Decline::UnreadableRun { line };
    let script = view.file.script(run).ok_or(unreadable.clone())?;
    let lexed = &script.lexed;
    if run.heredoc_count() > 0 || lexed.has_grouping || lexed.incomplete {
        return Err(unreadable);
    }
    let mut cwd = view.workdir_before(run).ok_or(Decline::WorkdirUnknown)?;
    let mut built = Vec::new();
    for command in &lexed.commands {
        let text = command.range.slice(script.text).trim().to_owned();
        if command.name() == Some("cd") {
            match command.args() {
                [dir] if !dir.has_expansion && !dir.has_glob => cwd = resolve(&cwd, &dir.value),
                _ => return Err(Decline::UnreadableRun { line }),
            }
            continue;
        }
        if let Some(skip) = view.build_rule(command) {
            check_words(view, command, script.text, &text)?;
            if !is_within(target, &cwd) {
                return Err(Decline::RunsElsewhere {
                    command: text,
                    cwd,
                    target: target.to_owned(),
                });
            }
            let mut packages = view.positionals(command, skip);
            packages.extend(view.package_option_values(command));
            if packages.is_empty() {
                packages.push(".".to_owned());
            }
            built.extend(packages.into_iter().map(|package| BuiltPackage {
                command: text.clone(),
                cwd: cwd.clone(),
                package,
            }));
        } else if view.is_other(command) {
            check_words(view, command, script.text, &text)?;
        } else {
            return Err(Decline::OtherCommand {
                line,
                command: text,
            });
        }
    }
    Ok(built)
}

/// A build or module command must be read as written: no command substitution (it may read
/// any file: `$(git describe)`), no variable in a package, none of the options that read other
/// files. Variables elsewhere (`GOOS=${TARGETOS}`, `-ldflags "-X main.v=$VERSION"`) read
/// nothing.
fn check_words(
    view: &StageView,
    command: &Command,
    script: &str,
    text: &str,
) -> Result<(), Decline> {
    let substitutes = |raw: &str| raw.contains("$(") || raw.contains('`');
    if command
        .words
        .iter()
        .any(|word| word.has_expansion && substitutes(word.range.slice(script)))
    {
        return Err(Decline::Substitution {
            command: text.to_owned(),
        });
    }
    if let Some(package) = view
        .package_words(command)
        .into_iter()
        .find(|word| word.has_expansion || word.has_glob)
    {
        return Err(Decline::PackageVariable {
            command: text.to_owned(),
            package: package.range.slice(script).to_owned(),
        });
    }
    if let Some(option) = view.declined_option(command) {
        return Err(Decline::DeclinedOption {
            command: text.to_owned(),
            option,
        });
    }
    Ok(())
}

/// The context folder (relative to its root, `""` for the root) a package path names, read
/// where the command runs; `None` when it is outside the copy.
pub(super) fn context_folder(package: &str, cwd: &str, target: &str) -> Option<String> {
    let image = resolve(cwd, package);
    if !is_within(target, &image) {
        return None;
    }
    let relative = image[target.trim_end_matches('/').len()..].trim_start_matches('/');
    Some(relative.to_owned())
}

/// Whether an instruction is a RUN.
pub(super) fn is_run(instruction: &Instruction) -> bool {
    instruction.kind() == Some(InstructionKind::Run)
}
