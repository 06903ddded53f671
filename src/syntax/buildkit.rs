//! BuildKit's reading of one logical line: keyword, `--flags`, and the arguments split the way each
//! instruction's BuildKit line parser splits them (moby/buildkit `frontend/dockerfile/parser`).
//!
//! All ranges are byte ranges into the logical line; [`super::LogicalLine`] maps them to the source.
//! Values are BuildKit's values: quotes and escapes are kept where BuildKit keeps them.

mod args;
mod flags;
mod heredoc;

use super::tree::TextRange;
use args::{
    health_config, maybe_json, maybe_json_to_list, name_or_name_val, name_val, whitespace_delimited,
};
use flags::extract_flags;
use heredoc::heredoc_openers;

/// Instructions BuildKit's parser knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum InstructionKind {
    Add,
    Arg,
    Cmd,
    Copy,
    Entrypoint,
    Env,
    Expose,
    From,
    Healthcheck,
    Label,
    Maintainer,
    Onbuild,
    Run,
    Shell,
    Stopsignal,
    User,
    Volume,
    Workdir,
}

impl InstructionKind {
    pub fn from_keyword(keyword: &str) -> Option<Self> {
        use InstructionKind::*;
        const ALL: [(&str, InstructionKind); 18] = [
            ("add", Add),
            ("arg", Arg),
            ("cmd", Cmd),
            ("copy", Copy),
            ("entrypoint", Entrypoint),
            ("env", Env),
            ("expose", Expose),
            ("from", From),
            ("healthcheck", Healthcheck),
            ("label", Label),
            ("maintainer", Maintainer),
            ("onbuild", Onbuild),
            ("run", Run),
            ("shell", Shell),
            ("stopsignal", Stopsignal),
            ("user", User),
            ("volume", Volume),
            ("workdir", Workdir),
        ];
        ALL.iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(keyword))
            .map(|(_, kind)| *kind)
    }

    /// CMD, ENTRYPOINT and HEALTHCHECK: the instructions whose commands run in the container,
    /// not during the build.
    pub fn runs_in_container(self) -> bool {
        matches!(
            self,
            InstructionKind::Cmd | InstructionKind::Entrypoint | InstructionKind::Healthcheck
        )
    }

    /// The keyword in upper case, as the Dockerfile reference writes it.
    pub fn keyword(self) -> &'static str {
        use InstructionKind::*;
        match self {
            Add => "ADD",
            Arg => "ARG",
            Cmd => "CMD",
            Copy => "COPY",
            Entrypoint => "ENTRYPOINT",
            Env => "ENV",
            Expose => "EXPOSE",
            From => "FROM",
            Healthcheck => "HEALTHCHECK",
            Label => "LABEL",
            Maintainer => "MAINTAINER",
            Onbuild => "ONBUILD",
            Run => "RUN",
            Shell => "SHELL",
            Stopsignal => "STOPSIGNAL",
            User => "USER",
            Volume => "VOLUME",
            Workdir => "WORKDIR",
        }
    }

    /// Instructions whose bodies may open heredocs.
    pub fn takes_heredocs(self) -> bool {
        matches!(
            self,
            InstructionKind::Run | InstructionKind::Copy | InstructionKind::Add
        )
    }
}

/// A piece of the logical line and BuildKit's value for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub range: TextRange,
    pub value: String,
}

/// One `--flag[=value]` word: its raw extent and BuildKit's processed text (leading `--` kept).
pub type FlagWord = Word;

/// A `key=value` pair of ENV or LABEL (or the legacy `ENV key value`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    pub key: Word,
    pub value: Word,
    /// True for the legacy `ENV key value` form (no `=`).
    pub legacy: bool,
}

/// An exec-form argument list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecForm {
    /// `[` through `]`.
    pub range: TextRange,
    pub elements: Vec<Word>,
    /// Ranges of `[`, `,` and `]`.
    pub punctuation: Vec<TextRange>,
}

/// The arguments after the keyword and flags, as the instruction's BuildKit line parser splits them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Args {
    /// Nothing after the keyword and flags.
    Empty,
    /// Exec form (a JSON array of strings).
    Exec(ExecForm),
    /// The whole rest as one string: shell form, or MAINTAINER/USER/WORKDIR/STOPSIGNAL.
    String(Word),
    /// Whitespace-separated words (FROM, EXPOSE, shell-form COPY/ADD/VOLUME) or ARG's quote-aware words.
    Words(Vec<Word>),
    /// ENV and LABEL pairs.
    KeyValues(Vec<KeyValue>),
    /// HEALTHCHECK: the type word (`CMD`, `NONE`) and its command.
    Health { kind: Word, command: Box<Args> },
    /// ONBUILD: the wrapped instruction.
    Trigger(Box<Analysis>),
}

/// A heredoc opened on the instruction line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeredocOpener {
    /// The `<<EOF` word.
    pub range: TextRange,
    pub name: String,
    pub file_descriptor: u32,
    /// `<<-`: leading tabs are stripped from the body and the terminator.
    pub chomp: bool,
    /// False when the name was quoted: the body is not expanded.
    pub expand: bool,
}

/// BuildKit's reading of one logical line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Analysis {
    /// Where this instruction starts in the logical line (non-zero only for ONBUILD's trigger).
    pub range: TextRange,
    pub keyword: Word,
    pub kind: Option<InstructionKind>,
    pub flags: Vec<FlagWord>,
    /// The arguments' extent after the flags, trimmed.
    pub rest: TextRange,
    pub args: Args,
    pub heredocs: Vec<HeredocOpener>,
    /// Why BuildKit (or dfmigrate) rejects this line, if it does.
    pub error: Option<String>,
}

impl Analysis {
    /// True when the arguments are in exec (JSON) form.
    pub fn is_json(&self) -> bool {
        match &self.args {
            Args::Exec(_) => true,
            Args::Health { command, .. } => matches!(**command, Args::Exec(_)),
            Args::Trigger(inner) => inner.is_json(),
            _ => false,
        }
    }

    /// The instruction heredocs belong to: ONBUILD's trigger, or this one.
    pub fn innermost(&self) -> &Analysis {
        match &self.args {
            Args::Trigger(inner) => inner.innermost(),
            _ => self,
        }
    }
}

const ERR_NOT_STRING_ARRAY: &str =
    "when using JSON array syntax, arrays must be comprised of strings only";

/// Go's `unicode.IsSpace`.
pub(crate) fn is_go_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    ) || (c > '\u{ff}' && c.is_whitespace())
}

/// BuildKit's `reWhitespace`: `[\t\v\f\r ]`.
fn is_split_space(c: char) -> bool {
    matches!(c, '\t' | '\u{b}' | '\u{c}' | '\r' | ' ')
}

fn trim_range(line: &str, range: TextRange) -> TextRange {
    let text = range.slice(line);
    let start = range.start + (text.len() - text.trim_start_matches(is_go_space).len());
    let end = range.start + text.trim_end_matches(is_go_space).len();
    TextRange::new(start.min(end), end)
}

fn word(line: &str, range: TextRange) -> Word {
    Word {
        range,
        value: range.slice(line).to_owned(),
    }
}

/// Reads a logical line (or, for ONBUILD, the part of it from `start`).
pub fn analyze(line: &str, escape: char) -> Analysis {
    analyze_from(line, TextRange::new(0, line.len()), escape, true)
}

fn analyze_from(line: &str, range: TextRange, escape: char, outermost: bool) -> Analysis {
    let trimmed = trim_range(line, range);
    let text = trimmed.slice(line);
    let keyword_len = text.find(is_split_space).unwrap_or(text.len());
    let keyword = word(
        line,
        TextRange::new(trimmed.start, trimmed.start + keyword_len),
    );
    let after_keyword = TextRange::new(keyword.range.end, trimmed.end);
    let after_keyword = TextRange::new(
        after_keyword.start
            + (after_keyword.slice(line).len()
                - after_keyword
                    .slice(line)
                    .trim_start_matches(is_split_space)
                    .len()),
        after_keyword.end,
    );
    let (flags, rest) = extract_flags(line, after_keyword);
    let rest = trim_range(line, rest);
    let kind = InstructionKind::from_keyword(&keyword.value);
    let mut analysis = Analysis {
        range: trimmed,
        keyword,
        kind,
        flags,
        rest,
        args: Args::Empty,
        heredocs: Vec::new(),
        error: None,
    };
    match kind {
        Some(kind) => match split_args(line, rest, kind, escape) {
            Ok(args) => analysis.args = args,
            Err(message) => analysis.error = Some(message),
        },
        None if analysis.keyword.value.is_empty() => {
            analysis.error = Some("a line continuation with no instruction".to_owned());
        }
        None => {
            analysis.error = Some(format!("unknown instruction: {}", analysis.keyword.value));
        }
    }
    if let Args::Trigger(inner) = &analysis.args {
        if let Some(error) = &inner.error {
            analysis.error = Some(error.clone());
        }
    }
    if outermost {
        let innermost = analysis.innermost();
        let takes =
            innermost.kind.is_some_and(InstructionKind::takes_heredocs) && !innermost.is_json();
        if takes && text.contains("<<") {
            analysis.heredocs = heredoc_openers(line);
        }
    }
    analysis
}

fn split_args(
    line: &str,
    rest: TextRange,
    kind: InstructionKind,
    escape: char,
) -> Result<Args, String> {
    use InstructionKind::*;
    let text = rest.slice(line);
    match kind {
        Add | Copy | Volume => maybe_json_to_list(line, rest),
        Arg => Ok(name_or_name_val(line, rest, escape)),
        Cmd | Entrypoint | Run | Shell => maybe_json(line, rest),
        Env => name_val(line, rest, "ENV", escape),
        Label => name_val(line, rest, "label", escape),
        Expose | From => Ok(whitespace_delimited(line, rest)),
        Healthcheck => health_config(line, rest),
        Maintainer | Stopsignal | User | Workdir if text.is_empty() => Ok(Args::Empty),
        Maintainer | Stopsignal | User | Workdir => Ok(Args::String(word(line, rest))),
        Onbuild if text.is_empty() => Ok(Args::Empty),
        Onbuild => Ok(Args::Trigger(Box::new(analyze_from(
            line, rest, escape, false,
        )))),
    }
}

#[cfg(test)]
mod tests;
