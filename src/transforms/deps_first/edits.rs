//! The text deps-first writes: the COPY lines for the dependency files, moving the
//! whole-context COPY after the install, and splitting an install that needs the sources.

use super::{Install, StageView};
use crate::context::BuildContext;
use crate::diagnostics::Rewriter;
use crate::model::paths::copy_arguments;
use crate::model::shell::{Command, Operator};
use crate::model::Instruction;
use crate::style::Style;
use crate::syntax::{InstructionKind, TextRange};
use crate::transforms::Edit;
use std::path::{Path, PathBuf};

/// Dependency-only install: the whole-context COPY becomes the manifest COPY, and the original
/// COPY (with what followed the install in its RUN) goes after the install.
pub(super) fn move_copy_edits(
    view: &StageView,
    install: &Install,
    copy_lines: &str,
) -> Option<Vec<Edit>> {
    let commands = &install.script.lexed.commands;
    let command = &commands[install.command_index];
    if !joined_plainly(commands, install.command_index) {
        return None;
    }
    let run = &view.instructions[install.run_at];
    let copy = view.copy();
    let mut rewriter = Rewriter::new(view.file);
    let style = rewriter.style().clone();
    rewriter.replace(copy.range(), copy_lines);
    let mut after = copy.source().to_owned();
    if let Some(rest) = commands.get(install.command_index + 1) {
        let last = commands.last()?;
        let removed = TextRange::new(
            install.script.source_range(command.range).end,
            install.script.source_range(last.range).end,
        );
        rewriter.delete(removed);
        let rest_text = TextRange::new(install.script.source_range(rest.range).start, removed.end)
            .slice(view.file.text());
        let flags = flags_text(view.file.text(), run);
        after.push_str(&format!(
            "{} {flags}{rest_text}{}",
            style.keyword(InstructionKind::Run),
            style.newline
        ));
    }
    rewriter.insert_block_after(run, &after);
    Some(rewriter.finish())
}

/// A command that needs the sources: the manifests and the dependency-only technique go
/// before the whole-context COPY; the command itself stays (or is replaced by `after`).
/// The split: `settings` (the `ENV`s and `ARG`s between the copy and the install) move before
/// the copy, then come the manifests' copy and the technique's `RUN`.
pub(super) fn split_edits(
    view: &StageView,
    install: &Install,
    settings: &[&Instruction],
    copy_lines: &str,
    technique: &str,
    after: &str,
) -> Vec<Edit> {
    let mut rewriter = Rewriter::new(view.file);
    let style = rewriter.style().clone();
    let copy = view.copy();
    let at = view.file.block_range(copy).start;
    for setting in settings {
        rewriter.move_lines(view.file.block_range(setting), at);
    }
    let indent = leading_blanks(copy.source());
    // The dependency-only step runs with the install's own flags: its secrets and SSH agent
    // (a private registry), its network setting, and its cache mounts, whose targets name the
    // caches the install shares (a different target would be another cache, or would hide what
    // the step installed from the install after it).
    let flags = flags_text(view.file.text(), &view.instructions[install.run_at]);
    let run = format!(
        "{indent}{} {flags}{technique}{}",
        style.keyword(InstructionKind::Run),
        style.newline
    );
    rewriter.insert(at, format!("{copy_lines}{run}"));
    if after != install.found.text {
        // `{command}` in the technique stands for the command from its program on; put any
        // `VAR=value` prefix back in front of it.
        let range = install.script.lexed.commands[install.command_index].range;
        let whole = range.slice(install.script.text);
        let after = after.replace(&install.found.text, whole);
        rewriter.replace(install.script.source_range(range), after);
    }
    rewriter.finish()
}

/// The install is followed only by `&&` (or `;`) and reached from the start the same way.
pub(super) fn joined_plainly(commands: &[Command], index: usize) -> bool {
    commands[..commands.len().saturating_sub(1)]
        .iter()
        .all(|c| matches!(c.next, Some((Operator::And | Operator::Semicolon, _))))
        && commands.last().is_some_and(|c| c.next.is_none())
        && index < commands.len()
}

/// COPY lines for the dependency files: one for the files of each folder, one per folder entry,
/// each with the original COPY's keyword, indentation and flags.
pub(in crate::transforms) fn manifest_copies(
    text: &str,
    copy: &Instruction,
    files: &[PathBuf],
    context: &BuildContext,
    destination: &str,
    style: &Style,
) -> String {
    let keyword = copy.keyword().value;
    let flags = flags_text(text, copy);
    let indent = leading_blanks(copy.source());
    let mut groups: Vec<(PathBuf, Vec<String>)> = Vec::new();
    let mut lines = String::new();
    for file in files {
        let name = file.to_string_lossy().into_owned();
        if context.is_dir(file) {
            let target = join_destination(destination, Path::new(&name));
            lines.push_str(&format!(
                "{indent}{keyword} {flags}{}{}",
                copy_arguments(&[name], &target),
                style.newline
            ));
            continue;
        }
        let parent = file.parent().map(Path::to_path_buf).unwrap_or_default();
        match groups.iter_mut().find(|(folder, _)| *folder == parent) {
            Some((_, names)) => names.push(name),
            None => groups.push((parent, vec![name])),
        }
    }
    let mut group_lines = String::new();
    for (folder, names) in groups {
        let target = join_destination(destination, &folder);
        group_lines.push_str(&format!(
            "{indent}{keyword} {flags}{}{}",
            copy_arguments(&names, &target),
            style.newline
        ));
    }
    group_lines + &lines
}

/// `dest` + `folder`, ending in `/` so COPY treats it as a folder.
pub(super) fn join_destination(destination: &str, folder: &Path) -> String {
    let base = destination.trim_end_matches('/');
    let folder = folder.to_string_lossy();
    let joined = match (base, folder.is_empty()) {
        ("", true) => "/".to_owned(),
        (base, true) => base.to_owned(),
        ("" | ".", false) => format!("./{folder}"),
        (base, false) => format!("{base}/{folder}"),
    };
    format!("{}/", joined.trim_end_matches('/'))
}

/// The instruction's flags as written, with a trailing space, or nothing.
pub(super) fn flags_text(text: &str, instruction: &Instruction) -> String {
    let flags = instruction.flags();
    match (flags.first(), flags.last()) {
        (Some(first), Some(last)) => format!(
            "{} ",
            TextRange::new(first.range.start, last.range.end).slice(text)
        ),
        _ => String::new(),
    }
}

pub(super) fn leading_blanks(source: &str) -> &str {
    &source[..source.len() - source.trim_start_matches([' ', '\t']).len()]
}
