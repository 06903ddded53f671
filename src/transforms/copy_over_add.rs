#![doc = include_str!("../../transforms/docs/copy-over-add.md")]

use super::{Applicability, Changes, Context, Finding, Fix, Metadata, Transform};
use crate::context::BuildContext;
use crate::diagnostics::Rewriter;
use crate::knowledge::file_types::{read_head, FileTypes};
use crate::model::{paths, Dockerfile, Instruction};
use crate::syntax::{Args, InstructionKind};
use std::path::Path;

pub struct CopyOverAdd;

const ADD_ONLY_FLAGS: &[&str] = &["checksum", "keep-git-dir", "unpack"];

/// What is known about one ADD source.
#[derive(Debug, PartialEq, Eq)]
enum Source {
    /// A local path that is not an archive.
    Plain,
    /// A local path that may be an archive ADD would unpack, and why it cannot be checked.
    Unknown(String),
    /// A URL, git source or archive: ADD does something COPY cannot.
    NeedsAdd,
}

impl Transform for CopyOverAdd {
    fn metadata(&self) -> &'static Metadata {
        &Metadata {
            id: "copy-over-add",
            summary: "ADD of local files and folders becomes COPY",
            documentation: include_str!("../../transforms/docs/copy-over-add.md"),
            enabled_by_default: true,
            max_applicability: Applicability::Safe,
            changes: Changes::Dockerfile,
            intended_changes: &[],
        }
    }

    fn run(&self, file: &Dockerfile, context: &Context, out: &mut Vec<Finding>) {
        for instruction in file.of_kind(InstructionKind::Add) {
            if let Some(finding) = self.check(file, instruction, context) {
                out.push(finding);
            }
        }
    }
}

impl CopyOverAdd {
    fn check(
        &self,
        file: &Dockerfile,
        instruction: &Instruction,
        context: &Context,
    ) -> Option<Finding> {
        if instruction
            .flags()
            .iter()
            .any(|flag| ADD_ONLY_FLAGS.contains(&flag.name.to_ascii_lowercase().as_str()))
        {
            return None;
        }
        let sources = file_sources(instruction)?;
        let files = context.build_context_files().filter(|c| c.has_files());
        let mut unknown = Vec::new();
        for source in &sources {
            match classify(source, files) {
                Source::Plain => {}
                Source::Unknown(reason) => unknown.push(reason),
                Source::NeedsAdd => return None,
            }
        }
        let keyword = instruction.keyword();
        let mut rewriter = Rewriter::new(file);
        rewriter.replace(keyword.range, copy_keyword(&keyword.value));
        let (applicability, message) = match unknown.first() {
            None => (
                Applicability::Safe,
                "ADD of local files: use COPY, which does not unpack archives or fetch URLs"
                    .to_owned(),
            ),
            Some(reason) => (
                Applicability::Unsafe,
                format!("ADD of local files: use COPY unless a source is a tar archive, which ADD unpacks whatever its name; not checked: {reason}"),
            ),
        };
        Some(Finding {
            transform: self.id(),
            message,
            range: instruction.range(),
            fix: Some(Fix::new(applicability, rewriter.finish())),
        })
    }
}

/// The sources that are not heredocs (`ADD <<EOF`: the heredoc's text is written as it is,
/// never unpacked); `None` when the arguments cannot be read.
fn file_sources(instruction: &Instruction) -> Option<Vec<String>> {
    if instruction.heredoc_count() == 0 {
        let args = instruction.copy_args()?;
        return Some(args.sources.into_iter().map(|s| s.value).collect());
    }
    let Args::Words(words) = instruction.args() else {
        return None;
    };
    let (_, sources) = words.split_last()?;
    Some(
        sources
            .iter()
            .filter(|word| !instruction.opens_heredoc(word))
            .map(|word| word.value.clone())
            .collect(),
    )
}

/// `COPY` in the case `ADD` was written in.
fn copy_keyword(add: &str) -> &'static str {
    if add.chars().all(|c| c.is_ascii_lowercase()) {
        "copy"
    } else if add.chars().all(|c| c.is_ascii_uppercase()) {
        "COPY"
    } else {
        "Copy"
    }
}

/// What one source is: what its name says, then what the build context holds for it.
fn classify(source: &str, context: Option<&BuildContext>) -> Source {
    let types = FileTypes::builtin();
    let source = source.trim_matches('"');
    if paths::is_remote(source) || types.archive_name(source).is_some() {
        return Source::NeedsAdd;
    }
    if source.contains('$') {
        return Source::Unknown(format!("`{source}` uses a variable"));
    }
    let is_glob = source.contains(['*', '?', '[']);
    // A glob whose words name an archive (`app.tar.gz*`) is meant for one.
    let names_archive = is_glob
        && types
            .archive_name(&source.replace(['*', '?'], ""))
            .is_some();
    let Some(context) = context else {
        return if names_archive {
            Source::NeedsAdd
        } else {
            Source::Unknown(format!(
                "there is no build context to look `{source}` up in"
            ))
        };
    };
    let matches = context.glob(source);
    if matches.is_empty() {
        if names_archive {
            return Source::NeedsAdd;
        }
        let elsewhere = "(made before the build, or the context is elsewhere)";
        return Source::Unknown(if is_glob {
            format!("`{source}` matches nothing in the build context {elsewhere}")
        } else if context.exists(source) {
            let ignore = context
                .ignore_file()
                .and_then(|path| path.file_name())
                .map_or_else(|| ".dockerignore".into(), |name| name.to_string_lossy());
            format!("`{source}` is excluded by {ignore}")
        } else {
            format!("`{source}` is not in the build context {elsewhere}")
        });
    }
    let root = context.root().unwrap_or(Path::new("."));
    for found in matches {
        let full = root.join(&found);
        if full.is_dir() {
            // ADD copies a folder's files; it never unpacks an archive inside one.
            continue;
        }
        if types.archive_name(&found.to_string_lossy()).is_some() {
            return Source::NeedsAdd;
        }
        match read_head(&full) {
            Some(head) if types.archive_content(&head).is_some() => return Source::NeedsAdd,
            Some(_) => {}
            None => {
                return Source::Unknown(format!("`{}` cannot be read", found.display()));
            }
        }
    }
    Source::Plain
}
