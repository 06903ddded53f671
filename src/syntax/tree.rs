//! The lossless concrete syntax tree: one vector of tokens per file, nodes are runs of it.
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

/// A node as stored: its kind and range, the run of tokens it covers and where its
/// descendants end in the node vector (nodes are stored in pre-order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NodeData {
    pub(crate) kind: NodeKind,
    pub(crate) range: TextRange,
    /// `[first_token, end_token)` in the tree's token vector.
    pub(crate) first_token: usize,
    pub(crate) end_token: usize,
    /// One past this node's last descendant in the node vector.
    pub(crate) subtree_end: usize,
}

/// A node of a [`SyntaxTree`]: a view of a contiguous run of the file's tokens.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    pub kind: NodeKind,
    pub range: TextRange,
    tree: &'a SyntaxTree,
    index: usize,
}

/// A node's child: a node or a token.
#[derive(Clone, Copy, Debug)]
pub enum Element<'a> {
    Node(Node<'a>),
    Token(Token),
}

impl Element<'_> {
    pub fn range(&self) -> TextRange {
        match self {
            Element::Node(node) => node.range,
            Element::Token(token) => token.range,
        }
    }
}

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("kind", &self.kind)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

impl<'a> Node<'a> {
    fn data(&self) -> &'a NodeData {
        &self.tree.nodes[self.index]
    }

    /// Child nodes and tokens, in source order.
    pub fn children(&self) -> Children<'a> {
        let data = self.data();
        Children {
            tree: self.tree,
            token: data.first_token,
            token_end: data.end_token,
            node: self.index + 1,
            node_end: data.subtree_end,
        }
    }

    /// Child nodes, in order.
    pub fn child_nodes(&self) -> impl Iterator<Item = Node<'a>> {
        self.children().filter_map(|element| match element {
            Element::Node(node) => Some(node),
            Element::Token(_) => None,
        })
    }

    /// Tokens directly under this node (not those of child nodes).
    pub fn child_tokens(&self) -> impl Iterator<Item = Token> + 'a {
        self.children().filter_map(|element| match element {
            Element::Token(token) => Some(token),
            Element::Node(_) => None,
        })
    }

    /// Every token under this node, in source order.
    pub fn tokens(&self) -> Vec<Token> {
        self.token_slice().to_vec()
    }

    /// Every token under this node, in source order, without collecting them.
    pub fn iter_tokens(&self) -> Tokens<'a> {
        self.token_slice().iter().copied()
    }

    fn token_slice(&self) -> &'a [Token] {
        let data = self.data();
        &self.tree.tokens[data.first_token..data.end_token]
    }

    /// The first token of `kind` directly under this node.
    pub fn token(&self, kind: TokenKind) -> Option<Token> {
        self.child_tokens().find(|token| token.kind == kind)
    }
}

/// The tokens under a node, in source order: [`Node::iter_tokens`].
pub type Tokens<'a> = std::iter::Copied<std::slice::Iter<'a, Token>>;

/// A node's children in source order: [`Node::children`].
pub struct Children<'a> {
    tree: &'a SyntaxTree,
    token: usize,
    token_end: usize,
    /// The next child node, and one past the parent's last descendant.
    node: usize,
    node_end: usize,
}

impl<'a> Iterator for Children<'a> {
    type Item = Element<'a>;

    fn next(&mut self) -> Option<Element<'a>> {
        if let Some(data) = self.tree.nodes[..self.node_end].get(self.node) {
            if data.first_token <= self.token {
                let node = self.tree.node(self.node);
                self.token = data.end_token;
                self.node = data.subtree_end;
                return Some(Element::Node(node));
            }
        }
        let token = *self.tree.tokens[..self.token_end].get(self.token)?;
        self.token += 1;
        Some(Element::Token(token))
    }
}

/// The tree of one file together with its text: every token in one vector, every node in
/// another (pre-order), each node a run of tokens.
#[derive(Clone, Debug)]
pub struct SyntaxTree {
    text: String,
    tokens: Vec<Token>,
    nodes: Vec<NodeData>,
}

impl SyntaxTree {
    /// `nodes[0]` is the root; [`TreeBuilder`] builds both vectors.
    pub(crate) fn new(text: String, builder: TreeBuilder) -> Self {
        Self {
            text,
            tokens: builder.tokens,
            nodes: builder.nodes,
        }
    }
    pub fn text(&self) -> &str {
        &self.text
    }
    pub fn root(&self) -> Node<'_> {
        self.node(0)
    }
    fn node(&self, index: usize) -> Node<'_> {
        let data = &self.nodes[index];
        Node {
            kind: data.kind,
            range: data.range,
            tree: self,
            index,
        }
    }
    pub fn token_text(&self, token: Token) -> &str {
        token.range.slice(&self.text)
    }

    /// Prints the tree by concatenating its tokens: always equal to the parsed text.
    pub fn print(&self) -> String {
        let mut out = String::with_capacity(self.text.len());
        for token in &self.tokens {
            out.push_str(self.token_text(*token));
        }
        out
    }

    /// An indented dump (kind, byte range, escaped text) for snapshot tests and `parse --format tree`.
    pub fn dump(&self) -> String {
        let mut out = String::new();
        self.dump_node(self.root(), 0, &mut out);
        out
    }

    fn dump_node(&self, node: Node<'_>, depth: usize, out: &mut String) {
        dump_line(out, depth, node.kind, node.range, None);
        for element in node.children() {
            match element {
                Element::Node(child) => self.dump_node(child, depth + 1, out),
                Element::Token(token) => dump_line(
                    out,
                    depth + 1,
                    token.kind,
                    token.range,
                    Some(self.token_text(token)),
                ),
            }
        }
    }
}

/// Builds a tree's token and node vectors in source order: the root is open from the start,
/// other nodes are opened, filled with tokens and child nodes, and closed.
#[derive(Debug)]
pub(crate) struct TreeBuilder {
    pub(crate) tokens: Vec<Token>,
    nodes: Vec<NodeData>,
}

impl TreeBuilder {
    pub(crate) fn new(tokens_capacity: usize) -> Self {
        let mut builder = TreeBuilder {
            tokens: Vec::with_capacity(tokens_capacity),
            nodes: Vec::new(),
        };
        builder.open(NodeKind::File);
        builder
    }

    /// Adds a token unless it is empty.
    pub(crate) fn token(&mut self, kind: TokenKind, start: usize, end: usize) {
        if start < end {
            self.tokens.push(Token {
                kind,
                range: TextRange::new(start, end),
            });
        }
    }

    /// Opens a node at the current token; returns its index for [`TreeBuilder::close`].
    pub(crate) fn open(&mut self, kind: NodeKind) -> usize {
        let at = self.tokens.len();
        self.nodes.push(NodeData {
            kind,
            range: TextRange::default(),
            first_token: at,
            end_token: at,
            subtree_end: self.nodes.len() + 1,
        });
        self.nodes.len() - 1
    }

    pub(crate) fn nodes_len(&self) -> usize {
        self.nodes.len()
    }

    /// Closes a node after its last token and child: it spans its first child through its
    /// last, or is the empty range at `at` when it has none.
    pub(crate) fn close(&mut self, node: usize, at: usize) -> TextRange {
        let end_token = self.tokens.len();
        let subtree_end = self.nodes.len();
        let first_token = self.nodes[node].first_token;
        let mut first = self.tokens[first_token..end_token].first().map(|t| t.range);
        let mut last = self.tokens[first_token..end_token].last().map(|t| t.range);
        let mut child = node + 1;
        let mut first_child = true;
        while let Some(data) = self.nodes[..subtree_end].get(child) {
            if first_child && data.first_token == first_token {
                first = Some(data.range);
            }
            if data.end_token == end_token {
                last = Some(data.range);
            }
            first_child = false;
            child = data.subtree_end;
        }
        let range = match (first, last) {
            (Some(first), Some(last)) => TextRange::new(first.start, last.end),
            _ => TextRange::empty(at),
        };
        let data = &mut self.nodes[node];
        data.end_token = end_token;
        data.subtree_end = subtree_end;
        data.range = range;
        range
    }

    /// Wraps tokens already added, `[first_token, end_token)`, in a node of its own. Nodes are
    /// wrapped outermost first, then [`TreeBuilder::nest_wrapped`] nests them.
    pub(crate) fn wrap(&mut self, kind: NodeKind, first_token: usize, end_token: usize) {
        let range = TextRange::new(
            self.tokens[first_token].range.start,
            self.tokens[end_token - 1].range.end,
        );
        self.nodes.push(NodeData {
            kind,
            range,
            first_token,
            end_token,
            subtree_end: self.nodes.len() + 1,
        });
    }

    /// Makes every wrapped node from `first` on hold the wrapped nodes inside it.
    pub(crate) fn nest_wrapped(&mut self, first: usize) {
        for outer in first..self.nodes.len() {
            let mut end = outer + 1;
            while let Some(inner) = self.nodes.get(end) {
                if inner.first_token < self.nodes[outer].end_token {
                    end += 1;
                } else {
                    break;
                }
            }
            self.nodes[outer].subtree_end = end;
        }
    }

    /// Closes the root.
    pub(crate) fn finish(mut self) -> Self {
        self.close(0, 0);
        self
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
