//! Typed views of one instruction, with every value tied to its bytes in the source.

use super::image::ImageRef;
use super::script::{self, ParsedScript};
use super::shell::{self, ShellScript};
use crate::syntax::{Args, InstructionKind, KeyValue, ParsedInstruction, TextRange, Word};
use std::sync::{Arc, OnceLock};

/// A value and the source bytes it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub range: TextRange,
}

/// A `--name[=value]` option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    /// Without the leading `--`.
    pub name: String,
    pub value: Option<String>,
    /// The whole `--name=value` word in the source.
    pub range: TextRange,
}

/// `FROM [--platform=…] image [AS name]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FromArgs {
    pub image: Located<ImageRef>,
    pub name: Option<Located<String>>,
    pub platform: Option<String>,
}

/// COPY or ADD: sources and destination (shell or exec form), or a heredoc source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyArgs {
    pub sources: Vec<Located<String>>,
    pub destination: Located<String>,
    pub exec_form: bool,
}

/// A shell script (shell-form RUN/CMD/ENTRYPOINT/HEALTHCHECK) and the way back to the source.
#[derive(Clone, Debug)]
pub struct Script<'p> {
    /// The script as the shell receives it (continuations removed).
    pub text: &'p str,
    /// Where `text` starts in the logical line.
    logical_start: usize,
    parsed: &'p ParsedInstruction,
    /// The flat view: simple commands split at operators (read by the tree's word reader).
    pub lexed: Arc<ShellScript>,
    /// The syntax tree, parsed on first use.
    tree: Arc<OnceLock<ParsedScript>>,
}

/// What reading a script leaves, kept by the [`Dockerfile`](super::Dockerfile) so each script
/// is read once.
#[derive(Clone, Debug)]
pub(super) struct ReadScript {
    lexed: Arc<ShellScript>,
    tree: Arc<OnceLock<ParsedScript>>,
}

impl Script<'_> {
    /// What was read, to keep.
    pub(super) fn read(&self) -> ReadScript {
        ReadScript {
            lexed: Arc::clone(&self.lexed),
            tree: Arc::clone(&self.tree),
        }
    }

    /// The script's syntax tree (and the errors met reading it).
    pub fn tree(&self) -> &ParsedScript {
        self.tree.get_or_init(|| script::parse(self.text))
    }

    /// The source range of a range of the script text.
    pub fn source_range(&self, range: TextRange) -> TextRange {
        let logical = TextRange::new(
            self.logical_start + range.start,
            self.logical_start + range.end,
        );
        self.parsed.source_range(logical)
    }
}

/// One instruction of the file.
#[derive(Clone, Copy, Debug)]
pub struct Instruction<'p> {
    pub index: usize,
    pub(super) parsed: &'p ParsedInstruction,
    pub(super) text: &'p str,
    /// Index of the stage it belongs to; `None` before the first FROM.
    pub stage: Option<usize>,
}

impl<'p> Instruction<'p> {
    pub fn parsed(&self) -> &'p ParsedInstruction {
        self.parsed
    }

    /// The instruction kind; `None` for unknown instructions.
    pub fn kind(&self) -> Option<InstructionKind> {
        self.parsed.analysis.kind
    }

    /// True when BuildKit (and dfmigrate) accept the instruction.
    pub fn is_valid(&self) -> bool {
        self.parsed.analysis.error.is_none()
    }

    /// The whole node: indentation, lines, final newline, heredoc bodies.
    pub fn range(&self) -> TextRange {
        self.parsed.range
    }

    /// The node's source text.
    pub fn source(&self) -> &'p str {
        self.parsed.range.slice(self.text)
    }

    /// The instruction line as BuildKit joins it.
    pub fn logical_text(&self) -> &'p str {
        self.parsed.logical.text()
    }

    /// Whether a flag or the arguments name a variable (`$NAME`, `${NAME}`): what the
    /// instruction does then depends on build arguments and the environment. An escaped `\$`
    /// counts too, erring towards "not known".
    pub fn mentions_variable(&self) -> bool {
        let analysis = &self.parsed.analysis;
        let rest = self
            .logical_text()
            .get(analysis.rest.start..analysis.rest.end)
            .unwrap_or_default();
        rest.contains('$') || analysis.flags.iter().any(|flag| flag.value.contains('$'))
    }

    pub fn start_line(&self) -> usize {
        self.parsed.start_line
    }

    pub fn end_line(&self) -> usize {
        self.parsed.end_line
    }

    fn locate(&self, word: &Word) -> Located<String> {
        Located {
            value: word.value.clone(),
            range: self.parsed.source_range(word.range),
        }
    }

    pub fn keyword(&self) -> Located<String> {
        self.locate(&self.parsed.analysis.keyword)
    }

    /// The source offset just after the instruction's last argument (before trailing blanks,
    /// the newline and any heredoc bodies): where text is appended to the instruction.
    pub fn content_end(&self) -> usize {
        let analysis = &self.parsed.analysis;
        let end = analysis.range.end;
        self.parsed.logical.source_end(end)
    }

    /// The `--flags`, with BuildKit's processing of quotes.
    pub fn flags(&self) -> Vec<Flag> {
        self.parsed
            .analysis
            .flags
            .iter()
            .map(|word| {
                let body = word.value.trim_start_matches("--");
                let (name, value) = match body.split_once('=') {
                    Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
                    None => (body.to_owned(), None),
                };
                Flag {
                    name,
                    value,
                    range: self.parsed.source_range(word.range),
                }
            })
            .collect()
    }

    /// A flag by name (case-insensitive, as BuildKit matches them).
    pub fn flag(&self, name: &str) -> Option<Flag> {
        self.flags()
            .into_iter()
            .find(|flag| flag.name.eq_ignore_ascii_case(name))
    }

    /// The arguments as BuildKit splits them (ranges into the logical line).
    pub fn args(&self) -> &'p Args {
        &self.parsed.analysis.args
    }

    /// The source range of everything after the keyword and flags.
    pub fn args_range(&self) -> TextRange {
        self.parsed.source_range(self.parsed.analysis.rest)
    }

    /// Exec-form elements (`["a", "b"]`), if the instruction is in exec form.
    pub fn exec_form(&self) -> Option<Vec<Located<String>>> {
        match self.args() {
            Args::Exec(exec) => Some(exec.elements.iter().map(|w| self.locate(w)).collect()),
            _ => None,
        }
    }

    /// The exec-form command of `HEALTHCHECK CMD ["a", "b"]`.
    pub fn health_exec_form(&self) -> Option<Vec<Located<String>>> {
        match self.args() {
            Args::Health { command, .. } => match &**command {
                Args::Exec(exec) => Some(exec.elements.iter().map(|w| self.locate(w)).collect()),
                _ => None,
            },
            _ => None,
        }
    }

    /// The shell-form script of RUN, CMD, ENTRYPOINT (or HEALTHCHECK CMD), lexed; read anew at
    /// each call ([`Dockerfile::script`](super::Dockerfile::script) keeps it).
    pub fn script(&self) -> Option<Script<'p>> {
        self.script_with(|text| ReadScript {
            lexed: Arc::new(shell::lex(text)),
            tree: Arc::default(),
        })
    }

    /// The shell-form script, with `read` reading its text (or giving what was read before).
    pub(super) fn script_with(&self, read: impl FnOnce(&str) -> ReadScript) -> Option<Script<'p>> {
        let word = match self.args() {
            Args::String(word) if self.kind().is_some_and(takes_script) => word,
            Args::Health { command, .. } => match &**command {
                Args::String(word) => word,
                _ => return None,
            },
            _ => return None,
        };
        let text = word.range.slice(self.parsed.logical.text());
        let ReadScript { lexed, tree } = read(text);
        Some(Script {
            text,
            logical_start: word.range.start,
            parsed: self.parsed,
            lexed,
            tree,
        })
    }

    /// `FROM` arguments.
    pub fn from_args(&self) -> Option<FromArgs> {
        let (Some(InstructionKind::From), Args::Words(words)) = (self.kind(), self.args()) else {
            return None;
        };
        let image_word = words.first()?;
        let image = Located {
            value: ImageRef::parse(&image_word.value),
            range: self.locate(image_word).range,
        };
        let name = match words.as_slice() {
            [_, as_word, name] if as_word.value.eq_ignore_ascii_case("as") => {
                Some(self.locate(name))
            }
            _ => None,
        };
        let platform = self.flag("platform").and_then(|flag| flag.value);
        Some(FromArgs {
            image,
            name,
            platform,
        })
    }

    /// COPY/ADD sources and destination; `None` for heredoc sources or too few arguments.
    pub fn copy_args(&self) -> Option<CopyArgs> {
        if !matches!(
            self.kind(),
            Some(InstructionKind::Copy | InstructionKind::Add)
        ) {
            return None;
        }
        if !self.parsed.analysis.heredocs.is_empty() {
            return None;
        }
        let (words, exec_form) = match self.args() {
            Args::Words(words) => (words.as_slice(), false),
            Args::Exec(exec) => (exec.elements.as_slice(), true),
            _ => return None,
        };
        let (destination, sources) = words.split_last()?;
        if sources.is_empty() {
            return None;
        }
        Some(CopyArgs {
            sources: sources.iter().map(|w| self.locate(w)).collect(),
            destination: self.locate(destination),
            exec_form,
        })
    }

    /// ENV or LABEL pairs: (key, value as written, legacy form).
    pub fn pairs(&self) -> Vec<(Located<String>, Located<String>, bool)> {
        match self.args() {
            Args::KeyValues(pairs) => pairs
                .iter()
                .map(|KeyValue { key, value, legacy }| {
                    (self.locate(key), self.locate(value), *legacy)
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// ARG definitions: name and default (as written).
    pub fn arg_definitions(&self) -> Vec<(String, Option<String>)> {
        match (self.kind(), self.args()) {
            (Some(InstructionKind::Arg), Args::Words(words)) => words
                .iter()
                .map(|w| match w.value.split_once('=') {
                    Some((name, default)) => (name.to_owned(), Some(default.to_owned())),
                    None => (w.value.clone(), None),
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// EXPOSE ports as written (`80`, `8080/tcp`, `${PORT}`).
    pub fn ports(&self) -> Vec<Located<String>> {
        match (self.kind(), self.args()) {
            (Some(InstructionKind::Expose), Args::Words(words)) => {
                words.iter().map(|w| self.locate(w)).collect()
            }
            _ => Vec::new(),
        }
    }

    /// The values of the arguments after the keyword and flags, for instructions that take a
    /// string, words or an exec form (`WORKDIR`'s path, `VOLUME`'s folders, a heredoc `COPY`'s
    /// words); empty for the others.
    pub fn argument_values(&self) -> Vec<&'p str> {
        match self.args() {
            Args::String(word) => vec![word.value.as_str()],
            Args::Words(words) => words.iter().map(|word| word.value.as_str()).collect(),
            Args::Exec(exec) => exec.elements.iter().map(|w| w.value.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    /// The single-string argument of USER, WORKDIR, STOPSIGNAL or MAINTAINER.
    pub fn string_arg(&self) -> Option<Located<String>> {
        match self.args() {
            Args::String(word) => Some(self.locate(word)),
            _ => None,
        }
    }

    /// Whether an argument word opens a heredoc (`<<EOF`, `2<<-"EOF"`), as BuildKit found the
    /// openers of the line.
    pub fn opens_heredoc(&self, word: &Word) -> bool {
        let openers = &self.parsed.analysis.heredocs;
        openers.iter().any(|opener| opener.range == word.range)
    }

    /// The number of heredocs the instruction opens.
    pub fn heredoc_count(&self) -> usize {
        self.parsed.heredocs.len()
    }
}

fn takes_script(kind: InstructionKind) -> bool {
    matches!(
        kind,
        InstructionKind::Run | InstructionKind::Cmd | InstructionKind::Entrypoint
    )
}
