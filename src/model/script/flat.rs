//! The flat view of a script ([`ShellScript`]): simple commands split at `&&`, `||`, `;`, `|`,
//! `&` and newlines, whatever compound command they sit in, with words and redirections read by
//! the syntax tree's own readers (one shell reader). Reserved words stay words, `(` and `)`
//! only mark grouping, and here-document bodies are read as commands: what the transforms
//! that read scripts flat have always seen.

use super::parser::Parser;
use super::words::{append_value, ends_word, plain_run_end};
use super::{Word, WordPart};
use crate::model::shell::{Command, Operator, ShellScript, ShellWord};
use crate::syntax::TextRange;

/// Splits a script into commands and words.
pub fn lex(text: &str) -> ShellScript {
    Flat {
        parser: Parser {
            text,
            pos: 0,
            errors: Vec::new(),
            heredocs: Vec::new(),
            incomplete: false,
        },
        out: ShellScript::default(),
        current: CommandBuilder::default(),
    }
    .run()
}

#[derive(Default)]
struct CommandBuilder {
    words: Vec<ShellWord>,
    redirects: Vec<TextRange>,
    start: Option<usize>,
    end: usize,
}

struct Flat<'a> {
    parser: Parser<'a>,
    out: ShellScript,
    current: CommandBuilder,
}

impl Flat<'_> {
    fn peek_at(&self, offset: usize) -> Option<char> {
        self.parser.text[self.parser.pos..].chars().nth(offset)
    }

    fn run(mut self) -> ShellScript {
        while let Some(c) = self.parser.peek_char() {
            match c {
                ' ' | '\t' | '\r' => self.parser.pos += 1,
                '\n' => self.operator(Operator::Newline, 1),
                '#' => self.comment(),
                '&' if self.peek_at(1) == Some('&') => self.operator(Operator::And, 2),
                '|' if self.peek_at(1) == Some('|') => self.operator(Operator::Or, 2),
                ';' => self.operator(Operator::Semicolon, 1),
                '|' => self.operator(Operator::Pipe, 1),
                '&' if self.peek_at(1) == Some('>') => self.redirect(),
                '&' => self.operator(Operator::Background, 1),
                '>' | '<' => self.redirect(),
                '(' | ')' => {
                    self.out.has_grouping = true;
                    self.parser.pos += 1;
                }
                _ => self.word_or_fd_redirect(),
            }
        }
        self.finish_command(None);
        self.out.incomplete |= self.parser.incomplete;
        self.out
    }

    fn word_or_fd_redirect(&mut self) {
        let Some(word) = self.word() else {
            // Not a word start after all: step over the character.
            let step = self.parser.peek_char().map_or(1, char::len_utf8);
            self.parser.pos += step;
            return;
        };
        if is_fd_redirect(&word, self.parser.peek_char()) {
            self.parser.pos = word.range.start;
            self.redirect();
            return;
        }
        if matches!(word.value.as_str(), "{" | "}") && !word.quoted {
            self.out.has_grouping = true;
        }
        self.current.start.get_or_insert(word.range.start);
        self.current.end = word.range.end;
        if self.current.words.capacity() == 0 {
            // Room for a program and its argument: most commands are short.
            self.current.words.reserve_exact(2);
        }
        self.current.words.push(word);
    }

    fn word(&mut self) -> Option<ShellWord> {
        let text = self.parser.text;
        let start = self.parser.pos;
        let plain_end = plain_run_end(text, start);
        if plain_end > start && ends_word(text, plain_end) {
            // Unquoted text only: the value is the text, read without building the word's parts.
            self.parser.pos = plain_end;
            return Some(ShellWord {
                range: TextRange::new(start, plain_end),
                value: text[start..plain_end].to_owned(),
                quoted: false,
                has_expansion: false,
                has_glob: false,
            });
        }
        let word = self.parser.word()?;
        Some(flat_word(word, text))
    }

    fn comment(&mut self) {
        self.out.has_comment = true;
        let rest = &self.parser.text[self.parser.pos..];
        self.parser.pos += rest.find('\n').unwrap_or(rest.len());
    }

    fn operator(&mut self, operator: Operator, len: usize) {
        let start = self.parser.pos;
        self.parser.pos += len;
        let range = TextRange::new(start, self.parser.pos);
        self.finish_command(Some((operator, range)));
    }

    fn finish_command(&mut self, next: Option<(Operator, TextRange)>) {
        let builder = std::mem::take(&mut self.current);
        // An operator with no command before it (`; ;`, a leading newline) is dropped.
        if let Some(start) = builder.start {
            self.out.commands.push(Command {
                range: TextRange::new(start, builder.end),
                words: builder.words,
                redirects: builder.redirects,
                next,
            });
        }
    }

    /// `[n]>`, `>>`, `>&n`, `<`, `<<`, `<<<`, `&>`, `<>`, `>|` and the word they apply to:
    /// the operator characters as far as they go, blanks, then the target word.
    fn redirect(&mut self) {
        let start = self.parser.pos;
        let text = self.parser.text;
        let operator_end = text[start..]
            .find(|c: char| !c.is_ascii_digit())
            .map_or(text.len(), |digits| start + digits);
        let blanks_start = text[operator_end..]
            .find(|c: char| !matches!(c, '>' | '<' | '&' | '|'))
            .map_or(text.len(), |len| operator_end + len);
        self.parser.pos = text[blanks_start..]
            .find(|c: char| c != ' ' && c != '\t')
            .map_or(text.len(), |len| blanks_start + len);
        let has_target = self
            .parser
            .peek_char()
            .is_some_and(|c| !matches!(c, '\n' | ';' | '|' | '&' | '>' | '<'));
        let target_end = match has_target.then(|| self.parser.word()).flatten() {
            Some(target) => target.range.end,
            None => self.parser.pos,
        };
        self.current.start.get_or_insert(start);
        self.current.end = target_end;
        self.current
            .redirects
            .push(TextRange::new(start, target_end));
    }
}

/// A word of the tree as the flat view keeps it: `$'…'` keeps its `$` in the value.
fn flat_word(word: Word, text: &str) -> ShellWord {
    let ansi_c = |part: &WordPart| matches!(part, WordPart::SingleQuoted { range, .. } if range.slice(text).starts_with('$'));
    let (has_expansion, has_glob) = (word.has_expansion(), word.has_glob());
    let value = if word.parts.iter().any(ansi_c) {
        let mut value = String::new();
        for part in &word.parts {
            if ansi_c(part) {
                value.push('$');
            }
            append_value(&mut value, part, text);
        }
        value
    } else {
        word.value
    };
    ShellWord {
        range: word.range,
        value,
        quoted: word.quoted,
        has_expansion,
        has_glob,
    }
}

/// `2>` style: a word of digits directly followed by a redirection operator.
fn is_fd_redirect(word: &ShellWord, next: Option<char>) -> bool {
    !word.quoted
        && !word.value.is_empty()
        && word.value.bytes().all(|b| b.is_ascii_digit())
        && matches!(next, Some('>' | '<'))
}
