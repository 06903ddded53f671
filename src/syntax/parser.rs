//! The line-level parser: BuildKit's scanning loop (directives, comments, continuations,
//! heredocs), building a lossless tree as it goes.

use super::buildkit::{analyze, Analysis, Args};
use super::directive::parse_directive;
use super::logical::LogicalLine;
use super::tree::{NodeKind, SyntaxTree, TextRange, Token, TokenKind, TreeBuilder};
use super::{HeredocBody, LineIndex, Parse, ParsedDirective, ParsedInstruction, SyntaxError};

const BOM: &str = "\u{feff}";
const KNOWN_DIRECTIVES: [&str; 3] = ["syntax", "escape", "check"];

/// One physical line: content `[start, content_end)`, then its line break `[content_end, end)`.
#[derive(Clone, Copy, Debug)]
struct Line {
    start: usize,
    content_end: usize,
    end: usize,
}

fn split_lines(text: &str) -> Vec<Line> {
    let bytes = text.as_bytes();
    let mut lines = Vec::with_capacity(memchr::memchr_iter(b'\n', bytes).count() + 1);
    let mut start = 0;
    while start < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i + 1);
        let mut content_end = end;
        while content_end > start && matches!(bytes[content_end - 1], b'\n' | b'\r') {
            content_end -= 1;
        }
        lines.push(Line {
            start,
            content_end,
            end,
        });
        start = end;
    }
    lines
}

fn leading_space_len(text: &str) -> usize {
    text.len() - text.trim_start_matches(super::buildkit::is_go_space).len()
}

/// Where a line's text ends once a trailing line continuation (escape char plus blanks) is
/// removed, or `None` when the line does not continue. An escape char preceded by another escape
/// char does not continue the line (BuildKit).
fn continuation_start(content: &str, escape: char) -> Option<usize> {
    let without_blanks = content.trim_end_matches([' ', '\t']);
    let before = without_blanks.strip_suffix(escape)?;
    if before.ends_with(escape) {
        return None;
    }
    Some(before.len())
}

/// Pieces of an instruction's header before its tokens are classified.
#[derive(Clone, Copy)]
enum Piece {
    /// Source bytes that are part of the logical line.
    Logical(TextRange),
    Token(Token),
}

struct Parser<'a> {
    text: &'a str,
    lines: Vec<Line>,
    next_line: usize,
    escape: char,
    directives_done: bool,
    tree: TreeBuilder,
    errors: Vec<SyntaxError>,
    directives: Vec<ParsedDirective>,
    instructions: Vec<ParsedInstruction>,
    line_index: LineIndex,
    scratch: Scratch,
}

pub(super) fn parse(text: String) -> Parse {
    let lines = split_lines(&text);
    let line_index = LineIndex::new(&text);
    let mut parser = Parser {
        text: &text,
        lines,
        next_line: 0,
        escape: '\\',
        directives_done: false,
        tree: TreeBuilder::new(text.len() / 4),
        errors: Vec::new(),
        directives: Vec::new(),
        instructions: Vec::new(),
        line_index,
        scratch: Scratch::default(),
    };
    parser.run();
    let Parser {
        tree,
        errors,
        directives,
        instructions,
        escape,
        line_index,
        ..
    } = parser;
    let tree = tree.finish();
    Parse {
        tree: SyntaxTree::new(text, tree),
        errors,
        escape,
        directives,
        instructions,
        line_index,
    }
}

impl Parser<'_> {
    fn error(&mut self, message: impl Into<String>, range: TextRange) {
        let line = self.line_index.line(range.start);
        self.errors.push(SyntaxError {
            message: message.into(),
            range,
            line,
        });
    }

    fn run(&mut self) {
        if self.text.starts_with(BOM) {
            self.tree.token(TokenKind::Bom, 0, BOM.len());
        }
        while self.next_line < self.lines.len() {
            let line = self.lines[self.next_line];
            let start = if line.start == 0 && self.text.starts_with(BOM) {
                BOM.len()
            } else {
                line.start
            };
            let content = &self.text[start..line.content_end.max(start)];
            let trimmed = start + leading_space_len(content);
            if !self.directives_done && self.try_directive(line, start, trimmed) {
                continue;
            }
            self.directives_done = true;
            let rest = &self.text[trimmed..line.content_end.max(trimmed)];
            if rest.starts_with('#') || rest.is_empty() {
                self.tree.token(TokenKind::Whitespace, start, trimmed);
                self.tree
                    .token(TokenKind::Comment, trimmed, line.content_end);
                self.tree
                    .token(TokenKind::Newline, line.content_end, line.end);
                self.next_line += 1;
                continue;
            }
            self.instruction(start, trimmed);
        }
        if self.instructions.is_empty() {
            let end = self.text.len();
            self.error("file with no instructions", TextRange::empty(end));
        }
    }

    /// Reads a directive line; false when the line is not one (directives are then over).
    fn try_directive(&mut self, line: Line, start: usize, trimmed: usize) -> bool {
        let content = &self.text[trimmed..line.content_end.max(trimmed)];
        let Some(parts) = parse_directive(content) else {
            return false;
        };
        let name = content[parts.name.0..parts.name.1].to_ascii_lowercase();
        if !KNOWN_DIRECTIVES.contains(&name.as_str()) {
            return false;
        }
        let value = content[parts.value.0..parts.value.1].to_owned();
        let at = |offset: usize| trimmed + offset;
        let range = TextRange::new(trimmed, line.content_end);
        let tree = &mut self.tree;
        let node = tree.open(NodeKind::Directive);
        tree.token(TokenKind::Whitespace, start, trimmed);
        tree.token(TokenKind::DirectiveHash, trimmed, trimmed + 1);
        tree.token(TokenKind::Whitespace, trimmed + 1, at(parts.name.0));
        tree.token(TokenKind::DirectiveName, at(parts.name.0), at(parts.name.1));
        tree.token(TokenKind::Whitespace, at(parts.name.1), at(parts.equals));
        tree.token(
            TokenKind::DirectiveEquals,
            at(parts.equals),
            at(parts.equals) + 1,
        );
        tree.token(
            TokenKind::Whitespace,
            at(parts.equals) + 1,
            at(parts.value.0),
        );
        tree.token(
            TokenKind::DirectiveValue,
            at(parts.value.0),
            at(parts.value.1),
        );
        tree.token(TokenKind::Whitespace, at(parts.value.1), line.content_end);
        tree.token(TokenKind::Newline, line.content_end, line.end);
        tree.close(node, trimmed);
        self.next_line += 1;
        if self.directives.iter().any(|d| d.name == name) {
            self.error(
                format!("only one {name} parser directive can be used"),
                range,
            );
        } else if name == "escape" {
            match value.as_str() {
                "\\" => self.escape = '\\',
                "`" => self.escape = '`',
                _ => self.error(
                    format!("invalid escape token '{value}' does not match ` or \\"),
                    range,
                ),
            }
        }
        self.directives.push(ParsedDirective { name, value, range });
        true
    }

    /// Reads one instruction starting at the current line: its continuation lines, then the
    /// bodies of the heredocs it opens.
    fn instruction(&mut self, line_start: usize, content_start: usize) {
        let first_line = self.next_line;
        let mut pieces = std::mem::take(&mut self.scratch.pieces);
        pieces.clear();
        let mut logical = std::mem::take(&mut self.scratch.logical);
        logical.clear();
        push_token(
            &mut pieces,
            TokenKind::Whitespace,
            line_start,
            content_start,
        );
        let mut continues = self.header_line(content_start, &mut pieces, &mut logical);
        while continues && self.next_line < self.lines.len() {
            let line = self.lines[self.next_line];
            let content = &self.text[line.start..line.content_end];
            let trimmed = line.start + leading_space_len(content);
            let rest = &self.text[trimmed..line.content_end];
            if rest.is_empty() || rest.starts_with('#') {
                for (kind, start, end) in [
                    (TokenKind::Whitespace, line.start, trimmed),
                    (TokenKind::Comment, trimmed, line.content_end),
                    (TokenKind::Newline, line.content_end, line.end),
                ] {
                    push_token(&mut pieces, kind, start, end);
                }
                self.next_line += 1;
                continue;
            }
            continues = self.header_line(line.start, &mut pieces, &mut logical);
        }
        let header_end = self.lines[self.next_line - 1].end;
        let analysis = analyze(logical.text(), self.escape);
        let kind = if analysis.error.is_some() {
            NodeKind::Error
        } else {
            NodeKind::Instruction
        };
        let node = self.tree.open(kind);
        let first_token = self.tree.tokens.len();
        classify(
            &pieces,
            &logical,
            &analysis,
            &mut self.scratch,
            &mut self.tree.tokens,
        );
        self.scratch.pieces = pieces;
        group_nodes(&mut self.tree, first_token, &logical, &analysis);
        let joined = logical;
        let logical = joined.clone();
        self.scratch.logical = joined;
        let mut heredocs = Vec::new();
        for opener in &analysis.heredocs {
            heredocs.push(self.heredoc(&opener.name, opener.chomp));
        }
        let range = self.tree.close(node, line_start);
        if let Some(message) = &analysis.error {
            self.error(message.clone(), TextRange::new(content_start, header_end));
        }
        for body in &heredocs {
            if body.terminator.is_none() {
                self.error("unterminated heredoc", range);
            }
        }
        self.instructions.push(ParsedInstruction {
            range,
            logical,
            analysis,
            heredocs,
            start_line: first_line + 1,
            end_line: self.next_line,
        });
    }

    /// Adds one header line's pieces (from `start`); true when it ends in a line continuation.
    fn header_line(
        &mut self,
        start: usize,
        pieces: &mut Vec<Piece>,
        logical: &mut LogicalLine,
    ) -> bool {
        let line = self.lines[self.next_line];
        self.next_line += 1;
        let content = &self.text[start..line.content_end];
        let split = continuation_start(content, self.escape);
        let logical_end = split.map_or(line.content_end, |len| start + len);
        if logical_end > start {
            pieces.push(Piece::Logical(TextRange::new(start, logical_end)));
            logical.push(self.text, TextRange::new(start, logical_end));
        }
        push_token(
            pieces,
            TokenKind::LineContinuation,
            logical_end,
            line.content_end,
        );
        push_token(pieces, TokenKind::Newline, line.content_end, line.end);
        split.is_some()
    }

    /// Reads a heredoc body up to its terminator line (or to the end of the file) into a
    /// heredoc node.
    fn heredoc(&mut self, name: &str, chomp: bool) -> HeredocBody {
        let body_start = self
            .lines
            .get(self.next_line)
            .map_or(self.text.len(), |line| line.start);
        let node = self.tree.open(NodeKind::Heredoc);
        while self.next_line < self.lines.len() {
            let line = self.lines[self.next_line];
            self.next_line += 1;
            let content = &self.text[line.start..line.content_end];
            let candidate = if chomp {
                content.trim_start_matches('\t')
            } else {
                content
            };
            if candidate == name {
                let tree = &mut self.tree;
                tree.token(TokenKind::HeredocBody, body_start, line.start);
                tree.token(TokenKind::HeredocTerminator, line.start, line.content_end);
                tree.token(TokenKind::Newline, line.content_end, line.end);
                tree.close(node, body_start);
                return HeredocBody {
                    body: TextRange::new(body_start, line.start),
                    terminator: Some(TextRange::new(line.start, line.content_end)),
                };
            }
        }
        let end = self.text.len();
        self.tree.token(TokenKind::HeredocBody, body_start, end);
        self.tree.close(node, body_start);
        HeredocBody {
            body: TextRange::new(body_start, end),
            terminator: None,
        }
    }
}

/// Adds a header piece for a token unless it is empty.
fn push_token(pieces: &mut Vec<Piece>, kind: TokenKind, start: usize, end: usize) {
    if start < end {
        pieces.push(Piece::Token(Token {
            kind,
            range: TextRange::new(start, end),
        }));
    }
}

/// Token spans of the logical line that are not plain words or blanks.
fn special_spans(text: &str, analysis: &Analysis, out: &mut Vec<(TextRange, TokenKind)>) {
    out.push((analysis.keyword.range, TokenKind::Keyword));
    out.extend(
        analysis
            .flags
            .iter()
            .map(|flag| (flag.range, TokenKind::Flag)),
    );
    let exec = match &analysis.args {
        Args::Exec(exec) => Some(exec),
        Args::Health { command, .. } => match &**command {
            Args::Exec(exec) => Some(exec),
            _ => None,
        },
        Args::Trigger(inner) => {
            special_spans(text, inner, out);
            None
        }
        _ => None,
    };
    if let Some(exec) = exec {
        out.extend(
            exec.elements
                .iter()
                .map(|element| (element.range, TokenKind::JsonString)),
        );
        for range in &exec.punctuation {
            let kind = match text.as_bytes().get(range.start) {
                Some(b'[') => TokenKind::JsonOpen,
                Some(b']') => TokenKind::JsonClose,
                _ => TokenKind::JsonComma,
            };
            out.push((*range, kind));
        }
    }
    out.extend(
        analysis
            .heredocs
            .iter()
            .map(|heredoc| (heredoc.range, TokenKind::HeredocMarker)),
    );
}

/// Buffers reused from one instruction to the next.
#[derive(Default)]
struct Scratch {
    pieces: Vec<Piece>,
    spans: Vec<(TextRange, TokenKind)>,
    /// The logical line being joined; each instruction keeps an exactly sized copy.
    logical: LogicalLine,
}

/// Turns header pieces into tokens added to `tokens`: logical bytes become keyword, flag, JSON,
/// heredoc-marker, word (`Text`) and blank tokens.
fn classify(
    pieces: &[Piece],
    logical: &LogicalLine,
    analysis: &Analysis,
    scratch: &mut Scratch,
    tokens: &mut Vec<Token>,
) {
    let text = logical.text();
    let spans = &mut scratch.spans;
    spans.clear();
    special_spans(text, analysis, spans);
    spans.retain(|(range, _)| !range.is_empty());
    spans.sort_unstable_by_key(|(range, _)| range.start);
    let mut mapper = Mapper {
        pieces: pieces.iter(),
        tokens,
        segment: TextRange::default(),
        source_start: 0,
    };
    for_each_run(text, spans, |run, kind| mapper.run(run, kind));
    mapper.finish()
}

/// Every logical byte range in order as (range, kind): the special spans, and the gaps between
/// them split into words and blanks.
fn for_each_run(
    text: &str,
    spans: &[(TextRange, TokenKind)],
    mut emit: impl FnMut(TextRange, TokenKind),
) {
    let mut at = 0;
    for &(range, kind) in spans {
        if range.start < at {
            continue;
        }
        push_gap(text, at, range.start, &mut emit);
        emit(range, kind);
        at = range.end;
    }
    push_gap(text, at, text.len(), &mut emit);
}

/// Maps runs of the logical line, in order, onto the header pieces: each run becomes one
/// token per source segment it crosses, with the pieces' own tokens (continuations, newlines,
/// comment lines) in between.
struct Mapper<'a> {
    pieces: std::slice::Iter<'a, Piece>,
    tokens: &'a mut Vec<Token>,
    /// The current logical segment and where it starts in the source.
    segment: TextRange,
    source_start: usize,
}

impl Mapper<'_> {
    fn run(&mut self, run: TextRange, kind: TokenKind) {
        let mut start = run.start;
        while start < run.end {
            while self.segment.end <= start {
                match self.pieces.next() {
                    Some(Piece::Token(token)) => self.tokens.push(*token),
                    Some(Piece::Logical(range)) => {
                        let logical = self.segment.end;
                        self.segment = TextRange::new(logical, logical + range.len());
                        self.source_start = range.start;
                    }
                    None => return,
                }
            }
            let end = run.end.min(self.segment.end);
            let offset = |at: usize| self.source_start + at - self.segment.start;
            let range = TextRange::new(offset(start), offset(end));
            self.tokens.push(Token { kind, range });
            start = end;
        }
    }

    fn finish(self) {
        for piece in self.pieces {
            if let Piece::Token(token) = piece {
                self.tokens.push(*token);
            }
        }
    }
}

/// What a byte of the logical line is, for splitting words from blanks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ByteClass {
    Word,
    Blank,
    /// A UTF-8 continuation byte: part of the character before it.
    Continuation,
    /// The first byte of a non-ASCII character, decoded to tell whether it is a blank.
    NonAscii,
}

const BYTE_CLASSES: [ByteClass; 256] = {
    let mut classes = [ByteClass::Word; 256];
    let mut byte = 0x80;
    while byte < 256 {
        classes[byte] = if byte < 0xc0 {
            ByteClass::Continuation
        } else {
            ByteClass::NonAscii
        };
        byte += 1;
    }
    let mut blanks = [b'\t', b'\n', 0x0b, 0x0c, b'\r', b' '].as_slice();
    while let [blank, rest @ ..] = blanks {
        classes[*blank as usize] = ByteClass::Blank;
        blanks = rest;
    }
    classes
};

/// Whether the character at `at` is a blank (Go's `unicode.IsSpace`); `None` for a
/// continuation byte.
fn blank_at(text: &str, at: usize) -> Option<bool> {
    match BYTE_CLASSES[usize::from(text.as_bytes()[at])] {
        ByteClass::Word => Some(false),
        ByteClass::Blank => Some(true),
        ByteClass::Continuation => None,
        ByteClass::NonAscii => Some(
            text[at..]
                .chars()
                .next()
                .is_some_and(super::buildkit::is_go_space),
        ),
    }
}

/// Splits a gap between special spans into `Text` words and `Whitespace` (byte-wise, decoding
/// only non-ASCII characters).
fn push_gap(text: &str, start: usize, end: usize, emit: &mut impl FnMut(TextRange, TokenKind)) {
    let bytes = &text.as_bytes()[..end];
    let mut at = start;
    while at < end {
        let run_start = at;
        let blank = blank_at(text, at).unwrap_or(false);
        let (same, kind) = if blank {
            (ByteClass::Blank, TokenKind::Whitespace)
        } else {
            (ByteClass::Word, TokenKind::Text)
        };
        at += 1;
        loop {
            // ASCII bytes of the run's own class first, then any other character decides.
            while bytes
                .get(at)
                .is_some_and(|&byte| BYTE_CLASSES[usize::from(byte)] == same)
            {
                at += 1;
            }
            if at < end && blank_at(text, at).is_none_or(|next| next == blank) {
                at += 1;
            } else {
                break;
            }
        }
        emit(TextRange::new(run_start, at), kind);
    }
}

/// Wraps the exec-form list and ONBUILD's trigger, among the header tokens from
/// `first_token`, in nodes of their own (the trigger first: it holds the list).
fn group_nodes(
    tree: &mut TreeBuilder,
    first_token: usize,
    logical: &LogicalLine,
    analysis: &Analysis,
) {
    let exec = match &analysis.innermost().args {
        Args::Exec(exec) => Some(exec.range),
        Args::Health { command, .. } => match &**command {
            Args::Exec(exec) => Some(exec.range),
            _ => None,
        },
        _ => None,
    };
    let trigger = match &analysis.args {
        Args::Trigger(inner) => Some(inner.range),
        _ => None,
    };
    let first_wrapped = tree.nodes_len();
    for (range, kind) in [(trigger, NodeKind::Trigger), (exec, NodeKind::ExecForm)] {
        let Some(range) = range.map(|range| logical.source_range(range)) else {
            continue;
        };
        if let Some((first, end)) = token_span(&tree.tokens[first_token..], range) {
            tree.wrap(kind, first_token + first, first_token + end);
        }
    }
    tree.nest_wrapped(first_wrapped);
}

/// The tokens lying within `range`: from the first starting in it to the last ending in it.
fn token_span(tokens: &[Token], range: TextRange) -> Option<(usize, usize)> {
    if range.is_empty() {
        return None;
    }
    let first = tokens.iter().position(|t| t.range.start >= range.start)?;
    let last = tokens.iter().rposition(|t| t.range.end <= range.end)?;
    (first <= last).then_some((first, last + 1))
}
