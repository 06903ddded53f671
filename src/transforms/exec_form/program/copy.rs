//! A COPY or ADD read for tracing: its sources, its destination resolved against the working
//! directory, and its heredoc sources.

use super::resolve;
use crate::context::pattern::has_meta;
use crate::model::{Dockerfile, Instruction};
use crate::syntax::{Args, InstructionKind};

/// A COPY/ADD, read for tracing.
pub(super) struct Copy<'i, 'p> {
    pub(super) instruction: &'i Instruction<'p>,
    pub(super) is_add: bool,
    pub(super) from: Option<String>,
    pub(super) sources: Vec<String>,
    /// Resolved against the working directory; `None` when not known.
    pub(super) destination: Option<String>,
    /// Sources land inside the destination folder (a trailing `/`, several sources or a
    /// pattern) rather than at it.
    pub(super) into_folder: bool,
}

impl<'i, 'p> Copy<'i, 'p> {
    pub(super) fn read(instruction: &'i Instruction<'p>, cwd: Option<&str>) -> Copy<'i, 'p> {
        // Each word, and whether it opens a heredoc (never with `copy_args`).
        let words: Vec<(String, bool)> = match instruction.copy_args() {
            Some(args) => args
                .sources
                .iter()
                .chain([&args.destination])
                .map(|word| (word.value.trim_matches('"').to_owned(), false))
                .collect(),
            None => match instruction.args() {
                Args::Words(words) => words
                    .iter()
                    .map(|word| (word.value.clone(), instruction.opens_heredoc(word)))
                    .collect(),
                _ => Vec::new(),
            },
        };
        let (written, sources) = match words.split_last() {
            Some(((destination, _), sources)) => (Some(destination.clone()), sources),
            None => (None, &[][..]),
        };
        let heredocs = instruction.heredoc_count();
        let sources: Vec<String> = sources
            .iter()
            .filter(|(_, heredoc)| !heredoc)
            .map(|(source, _)| source.clone())
            .collect();
        let into_folder = written.as_deref().is_some_and(|d| d.ends_with('/'))
            || sources.len() + heredocs > 1
            || sources.iter().any(|source| has_meta(source));
        let destination = written
            .filter(|written| !written.contains('$'))
            .and_then(|written| resolve(cwd, &written));
        Copy {
            instruction,
            is_add: instruction.kind() == Some(InstructionKind::Add),
            from: instruction.flag("from").and_then(|flag| flag.value),
            sources,
            destination,
            into_folder,
        }
    }

    pub(super) fn keyword(&self) -> &'static str {
        if self.is_add {
            "ADD"
        } else {
            "COPY"
        }
    }

    /// The heredoc sources: the name of the file each writes, and its text.
    pub(super) fn heredocs(&self, file: &Dockerfile) -> Vec<(String, String)> {
        let parsed = self.instruction.parsed();
        parsed
            .analysis
            .heredocs
            .iter()
            .zip(&parsed.heredocs)
            .map(|(opener, body)| {
                let text = body.body.slice(file.text());
                let text = match opener.chomp {
                    true => text
                        .lines()
                        .map(|line| line.trim_start_matches('\t'))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    false => text.to_owned(),
                };
                (opener.name.clone(), text)
            })
            .collect()
    }
}
