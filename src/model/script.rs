//! A POSIX shell syntax tree for the scripts of `RUN`, `CMD`, `ENTRYPOINT` and `HEALTHCHECK`.
//!
//! [`parse`] never fails: like the Dockerfile parser it returns a tree and the errors it met
//! (an unterminated quote, a missing `fi`), and every node carries its byte range in the script.
//! The tree has lists of and-or lists, pipelines, simple commands (leading assignments, words,
//! redirections as `{fd, op, target}`), subshells, brace groups, `if`, `for`, `while`/`until`,
//! `case` and function definitions. Words are made of parts, and the bodies of `$(…)` and
//! backquotes are parsed as scripts of their own, with ranges into the same text.
//!
//! Nothing is evaluated: a parameter expansion is a part with its name, a glob character is
//! recorded, and transforms decide what to do with what is only known when the shell runs.

use crate::syntax::TextRange;

/// A parsed script and the errors met on the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedScript {
    pub script: Script,
    pub errors: Vec<ScriptError>,
}

/// Something the parser could not read as the shell would.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptError {
    pub range: TextRange,
    pub message: String,
}

impl ParsedScript {
    /// The words of a script that needs no shell to run: one simple command (after an `exec`)
    /// without assignments, redirections, operators, expansions (`$VAR`, `$(…)`, a leading
    /// `~`) or globs, read without errors. Its words, quotes removed, are what an exec-form
    /// command would run.
    pub fn plain_command(&self) -> Option<Vec<String>> {
        let [item] = self.script.items.as_slice() else {
            return None;
        };
        let single = item.rest.is_empty()
            && !item.first.negated
            && !matches!(item.terminator, Some((Terminator::Background, _)));
        let [CommandNode::Simple(command)] = item.first.commands.as_slice() else {
            return None;
        };
        let words = command.program_words();
        let needs_shell = |word: &Word| {
            word.has_expansion()
                || word.has_glob()
                || matches!(word.parts.first(), Some(WordPart::Literal { text, .. }) if text.starts_with('~'))
        };
        let plain = self.errors.is_empty()
            && single
            && command.assignments.is_empty()
            && command.redirects.is_empty()
            && !words.is_empty()
            && !words.iter().any(needs_shell);
        plain.then(|| words.iter().map(|word| word.value.clone()).collect())
    }
}

/// A list: and-or lists run one after the other (`;`, newline) or in the background (`&`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Script {
    pub range: TextRange,
    pub items: Vec<AndOr>,
}

impl Script {
    /// Every simple command the script runs itself, in order: those of its pipelines and of
    /// the bodies of its compound commands and functions (not those inside `$(…)`).
    pub fn simple_commands(&self) -> Vec<&SimpleCommand> {
        let mut found = Vec::new();
        self.collect_simple_commands(&mut found);
        found
    }

    fn collect_simple_commands<'a>(&'a self, found: &mut Vec<&'a SimpleCommand>) {
        for item in &self.items {
            let pipelines = std::iter::once(&item.first).chain(item.rest.iter().map(|(_, p)| p));
            for command in pipelines.flat_map(|pipeline| &pipeline.commands) {
                match command {
                    CommandNode::Simple(simple) => found.push(simple),
                    CommandNode::Compound(compound) => compound.collect_simple_commands(found),
                    CommandNode::Function { body, .. } => body.collect_simple_commands(found),
                }
            }
        }
    }
}

impl Script {
    /// The names of the parameters the script expands (`$NAME`, `${NAME…}`) in the words,
    /// assignments and redirections of its commands, inside quotes and command substitutions.
    pub fn parameter_names(&self) -> Vec<String> {
        self.simple_commands()
            .into_iter()
            .flat_map(SimpleCommand::parameter_names)
            .collect()
    }
}

impl SimpleCommand {
    /// The names of the parameters the command expands in its words, assignments and
    /// redirections, inside quotes and command substitutions.
    pub fn parameter_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for word in self.all_words() {
            collect_parameters(&word.parts, &mut names);
        }
        names
    }
}

fn collect_parameters(parts: &[WordPart], names: &mut Vec<String>) {
    for part in parts {
        match part {
            WordPart::Parameter { name, .. } => names.push(name.clone()),
            WordPart::DoubleQuoted { parts, .. } => collect_parameters(parts, names),
            WordPart::CommandSubstitution { script, .. } => names.extend(script.parameter_names()),
            _ => {}
        }
    }
}

impl Compound {
    /// The scripts it runs: conditions and bodies, in order.
    pub fn bodies(&self) -> Vec<&Script> {
        match &self.kind {
            CompoundKind::Subshell(body) | CompoundKind::Group(body) => vec![body],
            CompoundKind::If {
                branches,
                otherwise,
            } => branches
                .iter()
                .flat_map(|(condition, body)| [condition, body])
                .chain(otherwise)
                .collect(),
            CompoundKind::For { body, .. } => vec![body],
            CompoundKind::While {
                condition, body, ..
            } => vec![condition, body],
            CompoundKind::Case { arms, .. } => arms.iter().map(|arm| &arm.body).collect(),
        }
    }

    fn collect_simple_commands<'a>(&'a self, found: &mut Vec<&'a SimpleCommand>) {
        for body in self.bodies() {
            body.collect_simple_commands(found);
        }
    }
}

/// Pipelines joined by `&&` and `||`, and what ends the list item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AndOr {
    pub range: TextRange,
    pub first: Pipeline,
    pub rest: Vec<(Connector, Pipeline)>,
    /// `;`, `&` or a newline after it, with its range.
    pub terminator: Option<(Terminator, TextRange)>,
}

/// `&&` or `||`, with its range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Connector {
    pub and: bool,
    pub range: TextRange,
}

/// What ends a list item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Terminator {
    Semicolon,
    Background,
    Newline,
}

/// Commands joined by `|`, optionally negated with `!`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pipeline {
    pub range: TextRange,
    pub negated: bool,
    pub commands: Vec<CommandNode>,
}

/// One command of a pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandNode {
    Simple(SimpleCommand),
    Compound(Compound),
    /// `name() body`
    Function {
        range: TextRange,
        name: Word,
        body: Box<Compound>,
    },
}

impl CommandNode {
    pub fn range(&self) -> TextRange {
        match self {
            CommandNode::Simple(command) => command.range,
            CommandNode::Compound(compound) => compound.range,
            CommandNode::Function { range, .. } => *range,
        }
    }
}

/// Assignments, words and redirections, in any order as written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimpleCommand {
    pub range: TextRange,
    /// `NAME=value` words before the command name.
    pub assignments: Vec<Word>,
    /// The command name and its arguments.
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
}

impl SimpleCommand {
    /// Every word of the command as the shell expands it: the assignments, the command name
    /// and its arguments, then the redirections' targets.
    pub fn all_words(&self) -> impl Iterator<Item = &Word> {
        let targets = self.redirects.iter().filter_map(|r| r.target.as_ref());
        self.assignments.iter().chain(&self.words).chain(targets)
    }

    /// The words from the program on, past an `exec` that replaces the shell with it.
    pub fn program_words(&self) -> &[Word] {
        let skipped = self
            .words
            .iter()
            .take_while(|word| word.value == "exec" && !word.quoted)
            .count();
        &self.words[skipped..]
    }
}

/// A compound command and the redirections that follow it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compound {
    pub range: TextRange,
    pub kind: CompoundKind,
    pub redirects: Vec<Redirect>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompoundKind {
    /// `( … )`
    Subshell(Script),
    /// `{ …; }`
    Group(Script),
    /// `if c; then b; elif c; then b; else b; fi`: the condition/body pairs, then the else body.
    If {
        branches: Vec<(Script, Script)>,
        otherwise: Option<Script>,
    },
    /// `for name [in words]; do body; done`; `words` is `None` without `in`.
    For {
        name: Word,
        words: Option<Vec<Word>>,
        body: Script,
    },
    /// `while c; do b; done`, or `until` when `until` is true.
    While {
        until: bool,
        condition: Script,
        body: Script,
    },
    /// `case word in pattern|pattern) body ;; … esac`
    Case { word: Word, arms: Vec<CaseArm> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseArm {
    pub patterns: Vec<Word>,
    pub body: Script,
}

/// `[fd]op target`: `2>&1`, `>>log`, `<in`, `<<EOF`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    pub range: TextRange,
    pub fd: Option<u32>,
    pub op: RedirectOp,
    /// The file, descriptor or here-document delimiter; `None` when missing.
    pub target: Option<Word>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirectOp {
    /// `<`
    Read,
    /// `>`
    Write,
    /// `>>`
    Append,
    /// `>|`
    Clobber,
    /// `<>`
    ReadWrite,
    /// `<&`
    DuplicateInput,
    /// `>&`
    DuplicateOutput,
    /// `<<` and `<<-`
    HereDocument { strip_tabs: bool },
    /// `<<<` (bash)
    HereString,
    /// `&>` and `&>>` (bash): standard output and error together.
    OutputAndError { append: bool },
}

impl Redirect {
    /// The file the redirection writes (`> log`, `>> out`, `&> both`), if it writes one.
    pub fn written_file(&self) -> Option<&Word> {
        self.target.as_ref().filter(|_| self.op.writes_file())
    }
}

impl RedirectOp {
    /// Whether the target is a file the command may write.
    pub fn writes_file(self) -> bool {
        matches!(
            self,
            RedirectOp::Write
                | RedirectOp::Append
                | RedirectOp::Clobber
                | RedirectOp::ReadWrite
                | RedirectOp::OutputAndError { .. }
        )
    }
}

/// One shell word: its parts, and its value with quotes and escapes removed (expansions kept
/// as written).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Word {
    pub range: TextRange,
    pub parts: Vec<WordPart>,
    pub value: String,
    /// Any quoting or escaping was used.
    pub quoted: bool,
}

impl Word {
    /// `$VAR`, `${…}`, `$(…)`, `$((…))` or backquotes: the value is only known when the shell
    /// runs.
    pub fn has_expansion(&self) -> bool {
        self.parts.iter().any(WordPart::is_expansion)
    }

    /// An unquoted `*`, `?` or `[`.
    pub fn has_glob(&self) -> bool {
        self.parts
            .iter()
            .any(|part| matches!(part, WordPart::Glob(_)))
    }

    /// The scripts of the command substitutions in the word, at any depth of quoting.
    pub fn substitutions(&self) -> Vec<&Script> {
        let mut found = Vec::new();
        collect_substitutions(&self.parts, &mut found);
        found
    }
}

fn collect_substitutions<'a>(parts: &'a [WordPart], found: &mut Vec<&'a Script>) {
    for part in parts {
        match part {
            WordPart::CommandSubstitution { script, .. } => found.push(script),
            WordPart::DoubleQuoted { parts, .. } => collect_substitutions(parts, found),
            _ => {}
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WordPart {
    /// Unquoted text (backslash escapes removed in `text`).
    Literal { range: TextRange, text: String },
    /// `'…'` (also `$'…'`), the text between the quotes.
    SingleQuoted { range: TextRange, text: String },
    /// `"…"` and what it holds.
    DoubleQuoted {
        range: TextRange,
        parts: Vec<WordPart>,
    },
    /// `$name`, `$1`, `$@`, `${name…}`: the name, as far as it can be read.
    Parameter { range: TextRange, name: String },
    /// `$(…)` or `` `…` ``, with the script inside.
    CommandSubstitution { range: TextRange, script: Script },
    /// `$((…))`
    Arithmetic { range: TextRange },
    /// An unquoted `*`, `?` or `[`.
    Glob(TextRange),
}

impl WordPart {
    pub fn range(&self) -> TextRange {
        match self {
            WordPart::Literal { range, .. }
            | WordPart::SingleQuoted { range, .. }
            | WordPart::DoubleQuoted { range, .. }
            | WordPart::Parameter { range, .. }
            | WordPart::CommandSubstitution { range, .. }
            | WordPart::Arithmetic { range } => *range,
            WordPart::Glob(range) => *range,
        }
    }

    fn is_expansion(&self) -> bool {
        match self {
            WordPart::Parameter { .. }
            | WordPart::CommandSubstitution { .. }
            | WordPart::Arithmetic { .. } => true,
            WordPart::DoubleQuoted { parts, .. } => parts.iter().any(WordPart::is_expansion),
            _ => false,
        }
    }
}

mod command_line;
mod flat;
mod parser;
mod words;

pub use command_line::{
    base_name, is_assignment, CommandLine, CommandOption, CommandWord, Wrapper,
};
pub use flat::lex as lex_flat;
pub use parser::parse;

#[cfg(test)]
mod tests;
