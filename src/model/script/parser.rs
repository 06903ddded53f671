//! The grammar: lists, and-or lists, pipelines, simple and compound commands.

use super::*;

/// Parses a whole script.
pub fn parse(text: &str) -> ParsedScript {
    let mut parser = Parser {
        text,
        pos: 0,
        errors: Vec::new(),
        heredocs: Vec::new(),
        incomplete: false,
    };
    let mut script = parser.list();
    // A stray `)`, `;;`, `fi` or `done`: reported, skipped, and the rest read on.
    while let Some(stray) = parser.peek_char() {
        let at = parser.pos;
        let len = parser.reserved(CLOSERS).map_or(stray.len_utf8(), str::len);
        parser.pos += len;
        let word = &text[at..parser.pos];
        parser.error(
            TextRange::new(at, parser.pos),
            format!("unexpected `{word}`"),
        );
        let rest = parser.list();
        script.items.extend(rest.items);
        script.range.end = script.range.end.max(rest.range.end);
    }
    for (delimiter, _) in std::mem::take(&mut parser.heredocs) {
        let end = TextRange::empty(text.len());
        parser.error(end, format!("here-document `{delimiter}` has no body"));
    }
    ParsedScript {
        script,
        errors: parser.errors,
    }
}

/// Reserved words that end a list when they stand where a command would start.
pub(super) const CLOSERS: &[&str] = &["then", "elif", "else", "fi", "do", "done", "esac", "}"];

pub(super) struct Parser<'a> {
    pub(super) text: &'a str,
    pub(super) pos: usize,
    pub(super) errors: Vec<ScriptError>,
    /// Here-documents whose bodies start after the next newline: (delimiter, strip tabs).
    pub(super) heredocs: Vec<(String, bool)>,
    /// An unterminated quote or substitution was met.
    pub(super) incomplete: bool,
}

impl Parser<'_> {
    pub(super) fn peek_char(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    pub(super) fn starts_with(&self, prefix: &str) -> bool {
        self.text[self.pos..].starts_with(prefix)
    }

    pub(super) fn error(&mut self, range: TextRange, message: impl Into<String>) {
        self.errors.push(ScriptError {
            range,
            message: message.into(),
        });
    }

    /// An error that leaves a quote or substitution open to the end of the text.
    pub(super) fn unterminated(&mut self, range: TextRange, message: impl Into<String>) {
        self.incomplete = true;
        self.error(range, message);
    }

    /// Skips blanks, escaped newlines and comments, not newlines.
    pub(super) fn skip_blanks(&mut self) {
        loop {
            match self.peek_char() {
                Some(' ' | '\t' | '\r') => self.pos += 1,
                Some('\\') if self.text[self.pos + 1..].starts_with('\n') => self.pos += 2,
                Some('#') => {
                    let end = self.text[self.pos..].find('\n');
                    self.pos = end.map_or(self.text.len(), |i| self.pos + i);
                }
                _ => return,
            }
        }
    }

    /// Skips blanks and newlines (reading pending here-document bodies).
    pub(super) fn skip_blank_lines(&mut self) {
        loop {
            self.skip_blanks();
            if self.peek_char() == Some('\n') {
                self.pos += 1;
                self.read_heredoc_bodies();
            } else {
                return;
            }
        }
    }

    /// The reserved word at the current position, if a plain word there is one of `words`.
    pub(super) fn reserved(&self, words: &[&str]) -> Option<&'static str> {
        let rest = &self.text[self.pos..];
        // Every reserved word starts with one of these: most words are rejected here.
        let first = rest.as_bytes().first()?;
        if !matches!(
            first,
            b'i' | b't' | b'e' | b'f' | b'd' | b'w' | b'u' | b'c' | b'{' | b'}' | b'!'
        ) {
            return None;
        }
        // The word up to its end; reserved words are at most five characters long.
        let mut end = rest.len();
        for (count, (at, c)) in rest.char_indices().enumerate() {
            if c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(' | ')' | '<' | '>') {
                end = at;
                break;
            }
            if count == 5 {
                return None;
            }
        }
        let reserved = match &rest[..end] {
            "if" => "if",
            "then" => "then",
            "elif" => "elif",
            "else" => "else",
            "fi" => "fi",
            "for" => "for",
            "in" => "in",
            "do" => "do",
            "done" => "done",
            "while" => "while",
            "until" => "until",
            "case" => "case",
            "esac" => "esac",
            "{" => "{",
            "}" => "}",
            "!" => "!",
            _ => return None,
        };
        words.contains(&reserved).then_some(reserved)
    }

    pub(super) fn expect_reserved(&mut self, word: &'static str, opened: TextRange) -> bool {
        self.skip_blank_lines();
        if self.reserved(&[word]).is_some() {
            self.pos += word.len();
            true
        } else {
            let at = TextRange::empty(self.pos);
            let opening = &self.text[opened.start..opened.end];
            self.error(at, format!("`{word}` expected to close `{opening}`"));
            false
        }
    }

    /// A list of and-or lists, up to the end, a `)`, a `;;` or a closing reserved word.
    pub(super) fn list(&mut self) -> Script {
        let start = self.pos;
        let mut items = Vec::new();
        loop {
            self.skip_blank_lines();
            if self.at_list_end() {
                break;
            }
            let before = self.pos;
            match self.and_or() {
                Some(item) => items.push(item),
                None if self.pos == before => break,
                None => {}
            }
        }
        let end = items.last().map_or(start, |item: &AndOr| item.range.end);
        Script {
            range: TextRange::new(start.min(end), end),
            items,
        }
    }

    pub(super) fn at_list_end(&self) -> bool {
        self.pos >= self.text.len()
            || self.starts_with(")")
            || self.starts_with(";;")
            || self.reserved(CLOSERS).is_some()
    }

    pub(super) fn and_or(&mut self) -> Option<AndOr> {
        let first = self.pipeline()?;
        let mut rest = Vec::new();
        loop {
            self.skip_blanks();
            let and = self.starts_with("&&");
            if !and && !self.starts_with("||") {
                break;
            }
            let range = TextRange::new(self.pos, self.pos + 2);
            self.pos += 2;
            self.skip_blank_lines();
            match self.pipeline() {
                Some(next) => rest.push((Connector { and, range }, next)),
                None => {
                    self.error(range, "a command is expected after it");
                    break;
                }
            }
        }
        self.skip_blanks();
        let terminator = self.terminator();
        let end = terminator
            .map(|(_, range)| range.end)
            .or_else(|| rest.last().map(|(_, p)| p.range.end))
            .unwrap_or(first.range.end);
        Some(AndOr {
            range: TextRange::new(first.range.start, end),
            first,
            rest,
            terminator,
        })
    }

    pub(super) fn terminator(&mut self) -> Option<(Terminator, TextRange)> {
        let kind = match self.peek_char()? {
            ';' if !self.starts_with(";;") => Terminator::Semicolon,
            '&' if !self.starts_with("&&") && !self.starts_with("&>") => Terminator::Background,
            '\n' => Terminator::Newline,
            _ => return None,
        };
        let range = TextRange::new(self.pos, self.pos + 1);
        self.pos += 1;
        if kind == Terminator::Newline {
            self.read_heredoc_bodies();
        }
        Some((kind, range))
    }

    pub(super) fn pipeline(&mut self) -> Option<Pipeline> {
        self.skip_blanks();
        let start = self.pos;
        let negated = self.reserved(&["!"]).is_some();
        if negated {
            self.pos += 1;
            self.skip_blanks();
        }
        // Most pipelines are one command: no room for more until a `|` asks for it.
        let mut commands = Vec::with_capacity(1);
        while let Some(command) = self.command() {
            commands.push(command);
            self.skip_blanks();
            if self.starts_with("|") && !self.starts_with("||") {
                let bar = TextRange::new(self.pos, self.pos + 1);
                self.pos += if self.starts_with("|&") { 2 } else { 1 };
                self.skip_blank_lines();
                if self.at_list_end() {
                    self.error(bar, "a command is expected after `|`");
                    break;
                }
            } else {
                break;
            }
        }
        let end = commands.last().map_or(self.pos, |c| c.range().end);
        if commands.is_empty() && !negated {
            return None;
        }
        Some(Pipeline {
            range: TextRange::new(start, end),
            negated,
            commands,
        })
    }

    pub(super) fn command(&mut self) -> Option<CommandNode> {
        self.skip_blanks();
        if self.at_list_end() || self.peek_char().is_none() {
            return None;
        }
        let start = self.pos;
        let compound = if self.starts_with("(") {
            self.pos += 1;
            let body = self.list();
            if self.starts_with(")") {
                self.pos += 1;
            } else {
                self.error(TextRange::new(start, start + 1), "`(` is not closed");
            }
            Some(CompoundKind::Subshell(body))
        } else {
            self.reserved(&["{", "if", "for", "while", "until", "case"])
                .map(|word| self.compound(word, start))
        };
        if let Some(kind) = compound {
            let redirects = self.trailing_redirects();
            let end = redirects.last().map_or(self.pos, |r| r.range.end);
            return Some(CommandNode::Compound(Compound {
                range: TextRange::new(start, end),
                kind,
                redirects,
            }));
        }
        let simple = self.simple_command()?;
        self.function_definition(simple)
    }

    /// `name() { …; }`: a simple command of one word followed by `()`.
    pub(super) fn function_definition(&mut self, simple: SimpleCommand) -> Option<CommandNode> {
        self.skip_blanks();
        let is_definition = simple.words.len() == 1
            && simple.assignments.is_empty()
            && simple.redirects.is_empty()
            && self.starts_with("(");
        if !is_definition {
            return Some(CommandNode::Simple(simple));
        }
        let after_paren = self.text[self.pos + 1..].trim_start_matches([' ', '\t']);
        if !after_paren.starts_with(')') {
            return Some(CommandNode::Simple(simple));
        }
        self.pos = self.text.len() - after_paren.len() + 1;
        self.skip_blank_lines();
        let start = self.pos;
        let body = match self.command() {
            Some(CommandNode::Compound(compound)) => compound,
            _ => {
                self.error(TextRange::empty(start), "a function body is expected");
                return Some(CommandNode::Simple(simple));
            }
        };
        let name = simple.words.into_iter().next().unwrap_or_default();
        Some(CommandNode::Function {
            range: TextRange::new(name.range.start, body.range.end),
            name,
            body: Box::new(body),
        })
    }

    pub(super) fn compound(&mut self, word: &'static str, start: usize) -> CompoundKind {
        let opened = TextRange::new(start, start + word.len());
        self.pos += word.len();
        match word {
            "{" => {
                let body = self.list();
                self.expect_reserved("}", opened);
                CompoundKind::Group(body)
            }
            "if" => self.if_clause(opened),
            "for" => self.for_clause(opened),
            "while" | "until" => {
                let condition = self.list();
                let body = self.do_group(opened);
                CompoundKind::While {
                    until: word == "until",
                    condition,
                    body,
                }
            }
            _ => self.case_clause(opened),
        }
    }

    pub(super) fn if_clause(&mut self, opened: TextRange) -> CompoundKind {
        let mut branches = Vec::new();
        let mut otherwise = None;
        loop {
            let condition = self.list();
            self.expect_reserved("then", opened);
            let body = self.list();
            branches.push((condition, body));
            self.skip_blank_lines();
            match self.reserved(&["elif", "else"]) {
                Some("elif") => self.pos += 4,
                Some(_) => {
                    self.pos += 4;
                    otherwise = Some(self.list());
                    break;
                }
                None => break,
            }
        }
        self.expect_reserved("fi", opened);
        CompoundKind::If {
            branches,
            otherwise,
        }
    }

    pub(super) fn for_clause(&mut self, opened: TextRange) -> CompoundKind {
        self.skip_blanks();
        let name = self.word().unwrap_or_default();
        self.skip_blank_lines();
        let mut words = None;
        if self.reserved(&["in"]).is_some() {
            self.pos += 2;
            let mut list = Vec::new();
            loop {
                self.skip_blanks();
                if matches!(self.peek_char(), Some(';' | '\n') | None) {
                    break;
                }
                match self.word() {
                    Some(word) => list.push(word),
                    None => break,
                }
            }
            words = Some(list);
        }
        self.skip_blanks();
        if self.starts_with(";") {
            self.pos += 1;
        }
        let body = self.do_group(opened);
        CompoundKind::For { name, words, body }
    }

    pub(super) fn do_group(&mut self, opened: TextRange) -> Script {
        if !self.expect_reserved("do", opened) {
            return Script::default();
        }
        let body = self.list();
        self.expect_reserved("done", opened);
        body
    }

    pub(super) fn case_clause(&mut self, opened: TextRange) -> CompoundKind {
        self.skip_blanks();
        let word = self.word().unwrap_or_default();
        self.expect_reserved("in", opened);
        let mut arms = Vec::new();
        loop {
            self.skip_blank_lines();
            if self.reserved(&["esac"]).is_some() || self.pos >= self.text.len() {
                break;
            }
            if self.starts_with("(") {
                self.pos += 1;
            }
            let mut patterns = Vec::new();
            loop {
                self.skip_blanks();
                match self.word() {
                    Some(pattern) => patterns.push(pattern),
                    None => break,
                }
                self.skip_blanks();
                if self.starts_with("|") {
                    self.pos += 1;
                } else {
                    break;
                }
            }
            if !self.starts_with(")") || patterns.is_empty() {
                self.error(
                    TextRange::empty(self.pos),
                    "a `case` pattern and `)` expected",
                );
                break;
            }
            self.pos += 1;
            let body = self.list();
            arms.push(CaseArm { patterns, body });
            self.skip_blank_lines();
            for end in [";;&", ";;", ";&"] {
                if self.starts_with(end) {
                    self.pos += end.len();
                    break;
                }
            }
        }
        self.expect_reserved("esac", opened);
        CompoundKind::Case { word, arms }
    }
}
