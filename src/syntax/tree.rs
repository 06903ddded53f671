//! The lossless concrete syntax tree: nodes own a contiguous run of elements, tokens own bytes.
//!
//! Every byte of the input belongs to exactly one token, in order, so printing the tokens of the
//! root gives the input back byte for byte. Nodes carry no text of their own.

use serde::Serialize;
use std::fmt::Write as _;

/// A half-open byte range `[start, end)` into the parsed text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct TextRange {
    pub start: usize,
    pub end: usize,
}

impl TextRange {
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }
    pub const fn empty(at: usize) -> Self {
        Self { start: at, end: at }
    }
    pub const fn len(self) -> usize {
        self.end - self.start
    }
    pub const fn is_empty(self) -> bool {
        self.start == self.end
    }
    pub const fn contains_range(self, other: TextRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }
    /// The smallest range covering both.
    pub fn cover(self, other: TextRange) -> TextRange {
        TextRange::new(self.start.min(other.start), self.end.max(other.end))
    }
    pub fn slice(self, text: &str) -> &str {
        &text[self.start..self.end]
    }
}

/// What a token is. Tokens are leaves; their text is the slice of the source they cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// The UTF-8 byte order mark at the very start of the file.
    Bom,
    /// Spaces, tabs and other non-newline whitespace.
    Whitespace,
    /// `\n`, `\r\n` (and any `\r` run before the `\n`), or a final lone `\r`.
    Newline,
    /// A `#` comment line's text, without its newline.
    Comment,
    /// `#` opening a parser directive.
    DirectiveHash,
    /// The directive's name (`syntax`, `escape`, `check`).
    DirectiveName,
    /// `=` in a directive.
    DirectiveEquals,
    /// The directive's value.
    DirectiveValue,
    /// The instruction keyword (`RUN`, `copy`, …), or the first word of an unknown instruction.
    Keyword,
    /// A `--flag` or `--flag=value` option word (or a piece of one split by a line continuation).
    Flag,
    /// A word of shell-form or whitespace-separated arguments.
    Text,
    /// A heredoc opener word such as `<<EOF`, `<<-"EOF"` or `3<<EOF`.
    HeredocMarker,
    /// `[` of an exec-form (JSON) argument list.
    JsonOpen,
    /// `]` of an exec-form argument list.
    JsonClose,
    /// `,` between exec-form elements.
    JsonComma,
    /// A quoted element of an exec-form list, quotes included.
    JsonString,
    /// The escape character ending a line (plus the blanks after it), newline excluded.
    LineContinuation,
    /// The lines of a heredoc body, newlines included.
    HeredocBody,
    /// The line that closes a heredoc, newline excluded.
    HeredocTerminator,
}

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// The whole file.
    File,
    /// A parser directive line (`# syntax=…`, `# escape=…`, `# check=…`).
    Directive,
    /// One instruction: its lines, continuations, the newline ending it and its heredoc bodies.
    Instruction,
    /// The instruction wrapped by `ONBUILD`.
    Trigger,
    /// An exec-form (JSON array) argument list.
    ExecForm,
    /// One heredoc body and its terminator line.
    Heredoc,
    /// A line (with its continuations) that is not a valid instruction.
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub range: TextRange,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub kind: NodeKind,
    pub range: TextRange,
    pub children: Vec<Element>,
}

/// A node's child. Nodes are boxed so that an element is no bigger than a token: most
/// elements are tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Element {
    Node(Box<Node>),
    Token(Token),
}

impl Element {
    pub fn range(&self) -> TextRange {
        match self {
            Element::Node(node) => node.range,
            Element::Token(token) => token.range,
        }
    }
}

impl Node {
    pub(crate) fn new(kind: NodeKind, children: Vec<Element>) -> Node {
        let range = match (children.first(), children.last()) {
            (Some(first), Some(last)) => TextRange::new(first.range().start, last.range().end),
            _ => TextRange::default(),
        };
        Node {
            kind,
            range,
            children,
        }
    }

    pub(crate) fn new_at(kind: NodeKind, at: usize, children: Vec<Element>) -> Node {
        let mut node = Node::new(kind, children);
        if node.children.is_empty() {
            node.range = TextRange::empty(at);
        }
        node
    }

    /// Child nodes, in order.
    pub fn child_nodes(&self) -> impl Iterator<Item = &Node> {
        self.children.iter().filter_map(|element| match element {
            Element::Node(node) => Some(&**node),
            Element::Token(_) => None,
        })
    }

    /// Tokens directly under this node (not those of child nodes).
    pub fn child_tokens(&self) -> impl Iterator<Item = &Token> {
        self.children.iter().filter_map(|element| match element {
            Element::Token(token) => Some(token),
            Element::Node(_) => None,
        })
    }

    /// Every token under this node, in source order.
    pub fn tokens(&self) -> Vec<Token> {
        self.iter_tokens().collect()
    }

    /// Every token under this node, in source order, without collecting them.
    pub fn iter_tokens(&self) -> Tokens<'_> {
        Tokens {
            stack: vec![self.children.iter()],
        }
    }

    /// The first token of `kind` directly under this node.
    pub fn token(&self, kind: TokenKind) -> Option<Token> {
        self.child_tokens()
            .find(|token| token.kind == kind)
            .copied()
    }
}

/// The tokens under a node, depth first: [`Node::iter_tokens`].
pub struct Tokens<'a> {
    stack: Vec<std::slice::Iter<'a, Element>>,
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        loop {
            match self.stack.last_mut()?.next() {
                Some(Element::Token(token)) => return Some(*token),
                Some(Element::Node(node)) => self.stack.push(node.children.iter()),
                None => {
                    self.stack.pop();
                }
            }
        }
    }
}

/// The tree of one file together with its text.
#[derive(Clone, Debug)]
pub struct SyntaxTree {
    text: String,
    root: Node,
}

impl SyntaxTree {
    pub(crate) fn new(text: String, root: Node) -> Self {
        Self { text, root }
    }
    pub fn text(&self) -> &str {
        &self.text
    }
    pub fn root(&self) -> &Node {
        &self.root
    }
    pub fn token_text(&self, token: Token) -> &str {
        token.range.slice(&self.text)
    }

    /// Prints the tree by concatenating its tokens: always equal to the parsed text.
    pub fn print(&self) -> String {
        let mut out = String::with_capacity(self.text.len());
        for token in self.root.iter_tokens() {
            out.push_str(self.token_text(token));
        }
        out
    }

    /// An indented dump (kind, byte range, escaped text) for snapshot tests and `parse --format tree`.
    pub fn dump(&self) -> String {
        let mut out = String::new();
        self.dump_node(&self.root, 0, &mut out);
        out
    }

    fn dump_node(&self, node: &Node, depth: usize, out: &mut String) {
        dump_line(out, depth, node.kind, node.range, None);
        for element in &node.children {
            match element {
                Element::Node(child) => self.dump_node(child, depth + 1, out),
                Element::Token(token) => dump_line(
                    out,
                    depth + 1,
                    token.kind,
                    token.range,
                    Some(self.token_text(*token)),
                ),
            }
        }
    }
}

/// One line of [`SyntaxTree::dump`]: indentation, kind, range and, for a token, its text.
fn dump_line(
    out: &mut String,
    depth: usize,
    kind: impl serde::Serialize,
    range: TextRange,
    text: Option<&str>,
) {
    let kind = serde_json::to_value(kind).unwrap_or_default();
    let _ = write!(
        out,
        "{:indent$}{}@{}..{}",
        "",
        kind.as_str().unwrap_or("?"),
        range.start,
        range.end,
        indent = depth * 2
    );
    if let Some(text) = text {
        let _ = write!(out, " {text:?}");
    }
    out.push('\n');
}
