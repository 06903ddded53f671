//! Syntax: a lossless concrete syntax tree for Dockerfiles, read the way BuildKit reads them.
//!
//! [`parse`] never fails and never panics. The tree's tokens cover every byte of the input in
//! order ([`SyntaxTree::print`] gives it back byte for byte); problems are reported in
//! [`Parse::errors`] and the offending lines become [`NodeKind::Error`] nodes.

mod buildkit;
mod directive;
mod logical;
mod parser;
mod tree;
mod view;

pub use buildkit::{Analysis, Args, ExecForm, HeredocOpener, InstructionKind, KeyValue, Word};
pub use logical::LogicalLine;
pub use tree::{
    Children, Element, Node, NodeKind, SyntaxTree, TextRange, Token, TokenKind, Tokens,
};
pub use view::{BuildkitHeredoc, BuildkitInstruction};

use serde::Serialize;

/// The result of parsing one file: the tree, what went wrong, and each instruction's reading.
#[derive(Clone, Debug)]
pub struct Parse {
    pub tree: SyntaxTree,
    pub errors: Vec<SyntaxError>,
    /// The escape character in force (from `# escape=`, else backslash).
    pub escape: char,
    pub directives: Vec<ParsedDirective>,
    /// Every instruction node (valid or not) in file order, with BuildKit's reading of it.
    pub instructions: Vec<ParsedInstruction>,
    pub line_index: LineIndex,
}

impl Parse {
    pub fn text(&self) -> &str {
        self.tree.text()
    }

    /// Every instruction with BuildKit's fields and values.
    pub fn buildkit_instructions(&self) -> Vec<BuildkitInstruction> {
        view::buildkit_instructions(self)
    }
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// Something the parser could not accept, with the 1-based line where it starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SyntaxError {
    pub message: String,
    pub range: TextRange,
    pub line: usize,
}

/// A parser directive at the top of the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParsedDirective {
    /// Lower-cased name: `syntax`, `escape` or `check`.
    pub name: String,
    pub value: String,
    pub range: TextRange,
}

/// One instruction as BuildKit reads it, tied to its node in the tree.
#[derive(Clone, Debug)]
pub struct ParsedInstruction {
    /// The node's range: indentation, lines, continuations, final newline and heredoc bodies.
    pub range: TextRange,
    /// The joined instruction line; `analysis` ranges index into it.
    pub logical: LogicalLine,
    pub analysis: Analysis,
    /// One body per heredoc opener, in order.
    pub heredocs: Vec<HeredocBody>,
    /// 1-based first and last line (heredoc bodies included), as BuildKit counts them.
    pub start_line: usize,
    pub end_line: usize,
}

impl ParsedInstruction {
    /// The source range of a range of the logical line.
    pub fn source_range(&self, logical: TextRange) -> TextRange {
        self.logical.source_range(logical)
    }
}

/// Where a heredoc's body and terminator lie in the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeredocBody {
    pub body: TextRange,
    /// `None` when the file ended before the terminator.
    pub terminator: Option<TextRange>,
}

/// Byte offset to line number conversions.
#[derive(Clone, Debug, Default)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let newlines = memchr::memchr_iter(b'\n', text.as_bytes()).count();
        let mut starts = Vec::with_capacity(newlines + 1);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Self { starts }
    }
    /// The 1-based line holding `offset`.
    pub fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset).max(1)
    }
    /// The 1-based column (in bytes) of `offset`.
    pub fn column(&self, offset: usize) -> usize {
        offset - self.starts[self.line(offset) - 1] + 1
    }
    /// The byte offset where a 1-based line starts.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.starts.get(line.checked_sub(1)?).copied()
    }
}

/// Parses Dockerfile text. Never fails: errors are collected in [`Parse::errors`].
pub fn parse(text: &str) -> Parse {
    parser::parse(text.to_owned())
}

/// Parses an owned string without copying it.
pub fn parse_owned(text: String) -> Parse {
    parser::parse(text)
}
