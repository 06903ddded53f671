//! Words and what sits between them: redirections, here-document bodies, quotes and
//! expansions.

use super::parser::{Parser, CLOSERS};
use super::*;

impl Parser<'_> {
    pub(super) fn trailing_redirects(&mut self) -> Vec<Redirect> {
        let mut redirects = Vec::new();
        loop {
            self.skip_blanks();
            match self.redirect() {
                Some(redirect) => redirects.push(redirect),
                None => return redirects,
            }
        }
    }

    pub(super) fn simple_command(&mut self) -> Option<SimpleCommand> {
        let mut command = SimpleCommand {
            range: TextRange::empty(self.pos),
            ..SimpleCommand::default()
        };
        loop {
            self.skip_blanks();
            if let Some(redirect) = self.redirect() {
                command.range.end = redirect.range.end;
                command.redirects.push(redirect);
                continue;
            }
            let at_name = command.words.is_empty();
            if at_name && command.assignments.is_empty() && self.reserved(CLOSERS).is_some() {
                break;
            }
            let Some(word) = self.word() else {
                break;
            };
            command.range.end = word.range.end;
            if at_name && is_assignment(&word) {
                command.assignments.push(word);
            } else {
                if command.words.capacity() == 0 {
                    // Room for a program and its argument: most commands are short.
                    command.words.reserve_exact(2);
                }
                command.words.push(word);
            }
        }
        let empty = command.words.is_empty()
            && command.assignments.is_empty()
            && command.redirects.is_empty();
        if empty {
            return None;
        }
        Some(command)
    }

    /// `[n]op target` at the current position, or nothing (the position is kept).
    pub(super) fn redirect(&mut self) -> Option<Redirect> {
        let start = self.pos;
        let digits = self.text.as_bytes()[self.pos..]
            .iter()
            .take_while(|byte| byte.is_ascii_digit())
            .count();
        let after = &self.text[self.pos + digits..];
        if !matches!(after.as_bytes().first(), Some(b'<' | b'>' | b'&')) {
            return None;
        }
        let operators: [(&str, RedirectOp); 12] = [
            ("&>>", RedirectOp::OutputAndError { append: true }),
            ("&>", RedirectOp::OutputAndError { append: false }),
            ("<<<", RedirectOp::HereString),
            ("<<-", RedirectOp::HereDocument { strip_tabs: true }),
            ("<<", RedirectOp::HereDocument { strip_tabs: false }),
            (">>", RedirectOp::Append),
            (">|", RedirectOp::Clobber),
            (">&", RedirectOp::DuplicateOutput),
            ("<&", RedirectOp::DuplicateInput),
            ("<>", RedirectOp::ReadWrite),
            (">", RedirectOp::Write),
            ("<", RedirectOp::Read),
        ];
        let (symbol, op) = operators
            .into_iter()
            .find(|(symbol, _)| after.starts_with(symbol))?;
        if digits > 0 && matches!(op, RedirectOp::OutputAndError { .. }) {
            return None;
        }
        let fd = match digits {
            0 => None,
            _ => self.text[self.pos..self.pos + digits].parse().ok(),
        };
        self.pos += digits + symbol.len();
        self.skip_blanks();
        let target = self.word();
        match &target {
            Some(word) => {
                if let RedirectOp::HereDocument { strip_tabs } = op {
                    self.heredocs.push((word.value.clone(), strip_tabs));
                }
            }
            None => self.error(
                TextRange::new(start, self.pos),
                "a redirection without a target",
            ),
        }
        let end = target.as_ref().map_or(self.pos, |w| w.range.end);
        Some(Redirect {
            range: TextRange::new(start, end),
            fd,
            op,
            target,
        })
    }

    /// Skips the bodies of here-documents opened on the line just ended.
    pub(super) fn read_heredoc_bodies(&mut self) {
        for (delimiter, strip_tabs) in std::mem::take(&mut self.heredocs) {
            loop {
                let rest = &self.text[self.pos..];
                if rest.is_empty() {
                    self.error(
                        TextRange::empty(self.pos),
                        format!("here-document `{delimiter}` is not terminated"),
                    );
                    break;
                }
                let line_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
                let line = rest[..line_end].trim_end_matches('\n');
                let line = if strip_tabs {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                self.pos += line_end;
                if line == delimiter {
                    break;
                }
            }
        }
    }

    /// One word, or `None` at an operator, a blank or the end.
    pub(super) fn word(&mut self) -> Option<Word> {
        let start = self.pos;
        let plain_end = plain_run_end(self.text, start);
        let plain = &self.text[start..plain_end];
        if !plain.is_empty() && ends_word(self.text, plain_end) {
            // The common case: unquoted text only, one literal part, no per-character work.
            self.pos = plain_end;
            let range = TextRange::new(start, plain_end);
            return Some(Word {
                range,
                parts: vec![WordPart::Literal {
                    range,
                    text: plain.to_owned(),
                }],
                value: plain.to_owned(),
                quoted: false,
            });
        }
        let mut word = Word {
            value: plain.to_owned(),
            ..Word::default()
        };
        let mut literal = plain.to_owned();
        let mut literal_start = start;
        self.pos = plain_end;
        while let Some(c) = self.peek_char() {
            let part = match c {
                ' ' | '\t' | '\r' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')' => break,
                '\\' => {
                    word.quoted = true;
                    self.pos += 1;
                    match self.peek_char() {
                        Some('\n') => self.pos += 1,
                        Some(next) => {
                            literal.push(next);
                            word.value.push(next);
                            self.pos += next.len_utf8();
                        }
                        None => {}
                    }
                    continue;
                }
                '\'' => {
                    word.quoted = true;
                    self.single_quoted(self.pos, 1)
                }
                '$' if self.text[self.pos + 1..].starts_with('\'') => {
                    word.quoted = true;
                    self.single_quoted(self.pos, 2)
                }
                '"' => {
                    word.quoted = true;
                    self.double_quoted()
                }
                '$' | '`' => match self.expansion() {
                    Some(part) => part,
                    None => {
                        literal.push('$');
                        word.value.push('$');
                        self.pos += 1;
                        continue;
                    }
                },
                '*' | '?' | '[' => {
                    self.pos += 1;
                    WordPart::Glob(TextRange::new(self.pos - 1, self.pos))
                }
                _ => {
                    literal.push(c);
                    word.value.push(c);
                    self.pos += c.len_utf8();
                    continue;
                }
            };
            flush_literal(
                &mut word.parts,
                &mut literal,
                literal_start,
                part.range().start,
            );
            append_value(&mut word.value, &part, self.text);
            word.parts.push(part);
            literal_start = self.pos;
        }
        flush_literal(&mut word.parts, &mut literal, literal_start, self.pos);
        if self.pos == start {
            return None;
        }
        word.range = TextRange::new(start, self.pos);
        Some(word)
    }

    /// `'…'` or `$'…'` starting at `start`; `open` is the length of the opening.
    pub(super) fn single_quoted(&mut self, start: usize, open: usize) -> WordPart {
        self.pos = start + open;
        let text = match self.text[self.pos..].find('\'') {
            Some(end) => {
                let text = self.text[self.pos..self.pos + end].to_owned();
                self.pos += end + 1;
                text
            }
            None => {
                let text = self.text[self.pos..].to_owned();
                self.pos = self.text.len();
                self.unterminated(TextRange::new(start, self.pos), "unterminated single quote");
                text
            }
        };
        WordPart::SingleQuoted {
            range: TextRange::new(start, self.pos),
            text,
        }
    }

    pub(super) fn double_quoted(&mut self) -> WordPart {
        let start = self.pos;
        self.pos += 1;
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut literal_start = self.pos;
        loop {
            let Some(c) = self.peek_char() else {
                flush_literal(&mut parts, &mut literal, literal_start, self.pos);
                self.unterminated(TextRange::new(start, self.pos), "unterminated double quote");
                break;
            };
            match c {
                '"' => {
                    flush_literal(&mut parts, &mut literal, literal_start, self.pos);
                    self.pos += 1;
                    break;
                }
                '\\' => {
                    self.pos += 1;
                    match self.peek_char() {
                        Some(next @ ('"' | '\\' | '$' | '`')) => {
                            literal.push(next);
                            self.pos += 1;
                        }
                        Some('\n') => self.pos += 1,
                        _ => literal.push('\\'),
                    }
                }
                '$' | '`' => match self.expansion() {
                    Some(part) => {
                        flush_literal(&mut parts, &mut literal, literal_start, part.range().start);
                        parts.push(part);
                        literal_start = self.pos;
                    }
                    None => {
                        literal.push('$');
                        self.pos += 1;
                    }
                },
                _ => {
                    literal.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
        WordPart::DoubleQuoted {
            range: TextRange::new(start, self.pos),
            parts,
        }
    }

    /// `$name`, `${…}`, `$(…)`, `$((…))` or a backquoted command; `None` for a lone `$`.
    pub(super) fn expansion(&mut self) -> Option<WordPart> {
        let start = self.pos;
        if self.starts_with("`") {
            return Some(self.backquoted());
        }
        let rest = &self.text[self.pos + 1..];
        if rest.starts_with("((") {
            self.pos += 3;
            self.skip_balanced('(', ')', 2);
            return Some(WordPart::Arithmetic {
                range: TextRange::new(start, self.pos),
            });
        }
        if rest.starts_with('(') {
            self.pos += 2;
            // Only the substitution itself left open makes the word incomplete.
            let incomplete = self.incomplete;
            let script = self.list();
            self.incomplete = incomplete;
            self.skip_blank_lines();
            if self.starts_with(")") {
                self.pos += 1;
            } else {
                // The body does not read as a list up to a `)`: it ends where the parentheses
                // balance (or the word runs to the end of the text, unterminated).
                self.error(TextRange::new(start, self.pos), "`$(` is not closed");
                self.pos = start + 2;
                self.skip_balanced('(', ')', 1);
            }
            return Some(WordPart::CommandSubstitution {
                range: TextRange::new(start, self.pos),
                script,
            });
        }
        if rest.starts_with('{') {
            self.pos += 2;
            let name_start = self.pos;
            let name_len = self.text[self.pos..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(0);
            let name = self.text[name_start..name_start + name_len].to_owned();
            self.skip_balanced('{', '}', 1);
            return Some(WordPart::Parameter {
                range: TextRange::new(start, self.pos),
                name,
            });
        }
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let len = match (name_len, rest.chars().next()) {
            (0, Some(c)) if "@*#?$!-0123456789".contains(c) => 1,
            (0, _) => return None,
            (len, _) => len,
        };
        self.pos += 1 + len;
        Some(WordPart::Parameter {
            range: TextRange::new(start, self.pos),
            name: self.text[start + 1..self.pos].to_owned(),
        })
    }

    /// `` `…` ``: the body (up to an unescaped backquote) parsed as a script.
    pub(super) fn backquoted(&mut self) -> WordPart {
        let start = self.pos;
        let body_start = start + 1;
        let mut end = None;
        let mut index = body_start;
        let bytes = self.text.as_bytes();
        while index < bytes.len() {
            match bytes[index] {
                b'\\' => index += 2,
                b'`' => {
                    end = Some(index);
                    break;
                }
                _ => index += 1,
            }
        }
        let body_end = end.unwrap_or(self.text.len());
        let mut inner = Parser {
            text: &self.text[..body_end],
            pos: body_start,
            errors: Vec::new(),
            heredocs: Vec::new(),
            incomplete: false,
        };
        let script = inner.list();
        self.errors.append(&mut inner.errors);
        match end {
            Some(end) => self.pos = end + 1,
            None => {
                self.pos = self.text.len();
                self.unterminated(TextRange::new(start, self.pos), "unterminated backquote");
            }
        }
        WordPart::CommandSubstitution {
            range: TextRange::new(start, self.pos),
            script,
        }
    }

    /// Skips to just after the `close` that balances `depth` open ones, across quotes.
    pub(super) fn skip_balanced(&mut self, open: char, close: char, mut depth: usize) {
        let start = self.pos;
        while let Some(c) = self.peek_char() {
            self.pos += c.len_utf8();
            match c {
                '\\' => {
                    if let Some(next) = self.peek_char() {
                        self.pos += next.len_utf8();
                    }
                }
                '\'' => match self.text[self.pos..].find('\'') {
                    Some(end) => self.pos += end + 1,
                    None => break,
                },
                c if c == open => depth += 1,
                c if c == close => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
        self.pos = self.text.len();
        self.unterminated(
            TextRange::new(start, self.pos),
            format!("`{open}` is not closed"),
        );
    }
}

/// Where the run of bytes from `start` that a word takes as plain literal text ends: anything
/// but blanks, operators, quotes, escapes, expansions and glob characters.
pub(super) fn plain_run_end(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let mut end = start;
    while end < bytes.len() && !is_special(bytes[end]) {
        end += 1;
    }
    end
}

/// A byte that is not plain literal text in an unquoted word.
fn is_special(byte: u8) -> bool {
    matches!(
        byte,
        b' ' | b'\t'
            | b'\r'
            | b'\n'
            | b';'
            | b'&'
            | b'|'
            | b'<'
            | b'>'
            | b'('
            | b')'
            | b'\\'
            | b'\''
            | b'"'
            | b'$'
            | b'`'
            | b'*'
            | b'?'
            | b'['
    )
}

/// Whether an unquoted word ends at `at`: the end of the text, a blank or an operator.
pub(super) fn ends_word(text: &str, at: usize) -> bool {
    text.as_bytes().get(at).is_none_or(|byte| {
        matches!(
            byte,
            b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')'
        )
    })
}

/// Ends the current run of unquoted text as a literal part.
fn flush_literal(parts: &mut Vec<WordPart>, literal: &mut String, start: usize, end: usize) {
    if end > start {
        parts.push(WordPart::Literal {
            range: TextRange::new(start, end),
            text: std::mem::take(literal),
        });
    }
    literal.clear();
}

/// Adds a part's contribution to a word's value: quoted text without its quotes, expansions
/// and globs as written.
pub(super) fn append_value(value: &mut String, part: &WordPart, text: &str) {
    match part {
        WordPart::SingleQuoted { text: inner, .. } => value.push_str(inner),
        WordPart::DoubleQuoted { parts, .. } => {
            for inner in parts {
                match inner {
                    WordPart::Literal { text: literal, .. } => value.push_str(literal),
                    other => append_value(value, other, text),
                }
            }
        }
        WordPart::Literal { text: literal, .. } => value.push_str(literal),
        other => value.push_str(other.range().slice(text)),
    }
}

/// `NAME=…` with a valid, unquoted name.
fn is_assignment(word: &Word) -> bool {
    let Some(WordPart::Literal { text, .. }) = word.parts.first() else {
        return false;
    };
    let Some((name, _)) = text.split_once('=') else {
        return false;
    };
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
