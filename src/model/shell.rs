//! A small POSIX shell lexer for the commands inside `RUN` (and shell-form CMD/ENTRYPOINT): splits
//! a script into simple commands at `&&`, `||`, `;`, `|`, `&` and newlines, and each command into
//! words with quotes and escapes respected. Ranges are byte ranges into the script text.
//!
//! It does not evaluate anything: expansions (`$VAR`, `$(…)`, backquotes), globs, redirections,
//! grouping and comments are recorded so transforms can decline when a command is not plain.

use crate::syntax::TextRange;

/// What separates a command from the next one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    And,
    Or,
    Semicolon,
    Pipe,
    Background,
    Newline,
}

impl Operator {
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::And => "&&",
            Operator::Or => "||",
            Operator::Semicolon => ";",
            Operator::Pipe => "|",
            Operator::Background => "&",
            Operator::Newline => "\n",
        }
    }
}

/// One shell word: its raw extent and its value with quotes and escapes removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShellWord {
    pub range: TextRange,
    pub value: String,
    /// Any quoting or escaping was used.
    pub quoted: bool,
    /// `$VAR`, `${…}`, `$(…)` or backquotes: the value is only known when the shell runs.
    pub has_expansion: bool,
    /// Unquoted `*`, `?` or `[`.
    pub has_glob: bool,
}

/// One simple command and what follows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// From the first word to the end of the last word or redirection.
    pub range: TextRange,
    pub words: Vec<ShellWord>,
    /// Redirections (`>file`, `2>&1`, `<in`), operator and target together.
    pub redirects: Vec<TextRange>,
    /// The operator after this command, with its range.
    pub next: Option<(Operator, TextRange)>,
}

impl Command {
    /// The command name (first word's value), if any.
    pub fn name(&self) -> Option<&str> {
        self.words.first().map(|word| word.value.as_str())
    }

    /// The words after the command name.
    pub fn args(&self) -> &[ShellWord] {
        self.words.get(1..).unwrap_or(&[])
    }

    /// The argument values, for matching.
    pub fn arg_values(&self) -> impl Iterator<Item = &str> {
        self.args().iter().map(|word| word.value.as_str())
    }
}

/// A lexed script.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShellScript {
    pub commands: Vec<Command>,
    /// `(`, `)`, `{`, `}` used for grouping or subshells.
    pub has_grouping: bool,
    /// A `#` comment.
    pub has_comment: bool,
    /// An unterminated quote or substitution.
    pub incomplete: bool,
}

impl ShellScript {
    /// True when the script is one command of plain words: no operators, expansions, globs,
    /// redirections, grouping or comments.
    pub fn is_plain_command(&self) -> bool {
        matches!(self.commands.as_slice(), [command]
            if command.next.is_none()
                && command.redirects.is_empty()
                && command.words.iter().all(|w| !w.has_expansion && !w.has_glob))
            && !self.has_grouping
            && !self.has_comment
            && !self.incomplete
    }
}

/// Splits a script into commands and words.
pub fn lex(script: &str) -> ShellScript {
    Lexer {
        text: script,
        pos: 0,
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

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    out: ShellScript,
    current: CommandBuilder,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.text[self.pos..].chars().nth(offset)
    }

    fn run(mut self) -> ShellScript {
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\r' => self.pos += 1,
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
                    self.pos += 1;
                }
                _ => {
                    let word = self.word();
                    if is_fd_redirect(&word, self.peek()) {
                        self.pos = word.range.start;
                        self.redirect();
                    } else {
                        if matches!(word.value.as_str(), "{" | "}") && !word.quoted {
                            self.out.has_grouping = true;
                        }
                        self.push_word(word);
                    }
                }
            }
        }
        self.finish_command(None);
        self.out
    }

    fn push_word(&mut self, word: ShellWord) {
        self.current.start.get_or_insert(word.range.start);
        self.current.end = word.range.end;
        self.current.words.push(word);
    }

    fn comment(&mut self) {
        self.out.has_comment = true;
        let end = self.text[self.pos..]
            .find('\n')
            .map_or(self.text.len(), |i| self.pos + i);
        self.pos = end;
    }

    fn operator(&mut self, operator: Operator, len: usize) {
        let range = TextRange::new(self.pos, self.pos + len);
        self.pos += len;
        self.finish_command(Some((operator, range)));
    }

    fn finish_command(&mut self, next: Option<(Operator, TextRange)>) {
        let builder = std::mem::take(&mut self.current);
        match builder.start {
            Some(start) => self.out.commands.push(Command {
                range: TextRange::new(start, builder.end),
                words: builder.words,
                redirects: builder.redirects,
                next,
            }),
            None => {
                // An operator with no command before it (`; ;`, leading newline): attach it to
                // the previous command when that one had none, else drop it.
                if let (Some(last), Some(next)) = (self.out.commands.last_mut(), next) {
                    if last.next.is_none() && next.0 != Operator::Newline {
                        last.next = Some(next);
                    }
                }
            }
        }
    }

    /// `[n]>`, `>>`, `>&n`, `<`, `<<`, `<<<`, `&>`, `<>`, `>|` and the word they apply to.
    fn redirect(&mut self) {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        while self
            .peek()
            .is_some_and(|c| matches!(c, '>' | '<' | '&' | '|'))
        {
            self.pos += 1;
        }
        while self.peek().is_some_and(|c| c == ' ' || c == '\t') {
            self.pos += 1;
        }
        let target_end = if self
            .peek()
            .is_some_and(|c| !matches!(c, '\n' | ';' | '|' | '&' | '>' | '<'))
        {
            self.word().range.end
        } else {
            self.pos
        };
        let range = TextRange::new(start, target_end);
        self.current.start.get_or_insert(start);
        self.current.end = target_end;
        self.current.redirects.push(range);
    }

    fn word(&mut self) -> ShellWord {
        let start = self.pos;
        let mut word = ShellWord {
            range: TextRange::empty(start),
            value: String::new(),
            quoted: false,
            has_expansion: false,
            has_glob: false,
        };
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\r' | '\n' | ';' | '&' | '|' | '>' | '<' | '(' | ')' => break,
                '\'' => self.single_quoted(&mut word),
                '"' => self.double_quoted(&mut word),
                '\\' => {
                    word.quoted = true;
                    self.pos += 1;
                    match self.peek() {
                        Some('\n') => self.pos += 1,
                        Some(next) => {
                            word.value.push(next);
                            self.pos += next.len_utf8();
                        }
                        None => {}
                    }
                }
                '$' | '`' => self.expansion(&mut word),
                '*' | '?' | '[' => {
                    word.has_glob = true;
                    word.value.push(c);
                    self.pos += 1;
                }
                _ => {
                    word.value.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
        word.range = TextRange::new(start, self.pos);
        word
    }

    fn single_quoted(&mut self, word: &mut ShellWord) {
        word.quoted = true;
        self.pos += 1;
        match self.text[self.pos..].find('\'') {
            Some(end) => {
                word.value.push_str(&self.text[self.pos..self.pos + end]);
                self.pos += end + 1;
            }
            None => {
                word.value.push_str(&self.text[self.pos..]);
                self.pos = self.text.len();
                self.out.incomplete = true;
            }
        }
    }

    fn double_quoted(&mut self, word: &mut ShellWord) {
        word.quoted = true;
        self.pos += 1;
        while let Some(c) = self.peek() {
            match c {
                '"' => {
                    self.pos += 1;
                    return;
                }
                '\\' => {
                    self.pos += 1;
                    match self.peek() {
                        Some(next @ ('"' | '\\' | '$' | '`')) => {
                            word.value.push(next);
                            self.pos += 1;
                        }
                        Some('\n') => self.pos += 1,
                        _ => word.value.push('\\'),
                    }
                }
                '$' | '`' => self.expansion(word),
                _ => {
                    word.value.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
        self.out.incomplete = true;
    }

    /// `$name`, `${…}`, `$(…)`, `$((…))` or a backquoted command: kept verbatim in the value.
    fn expansion(&mut self, word: &mut ShellWord) {
        let start = self.pos;
        let closer = match (self.peek(), self.peek_at(1)) {
            (Some('`'), _) => Some(('`', '`')),
            (Some('$'), Some('(')) => Some(('(', ')')),
            (Some('$'), Some('{')) => Some(('{', '}')),
            _ => None,
        };
        match closer {
            Some(('`', _)) => {
                self.pos += 1;
                match self.text[self.pos..].find('`') {
                    Some(end) => self.pos += end + 1,
                    None => {
                        self.pos = self.text.len();
                        self.out.incomplete = true;
                    }
                }
            }
            Some((open, close)) => {
                self.pos += 2;
                self.skip_balanced(open, close);
            }
            None => {
                self.pos += 1;
                let name_len = self.text[self.pos..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(self.text.len() - self.pos);
                let special = self.peek().is_some_and(|c| "@*#?$!-0123456789".contains(c));
                if name_len == 0 && !special {
                    word.value.push('$');
                    return;
                }
                self.pos += if name_len == 0 { 1 } else { name_len };
            }
        }
        word.has_expansion = true;
        word.value.push_str(&self.text[start..self.pos]);
    }

    fn skip_balanced(&mut self, open: char, close: char) {
        let mut depth = 1;
        while let Some(c) = self.peek() {
            self.pos += c.len_utf8();
            match c {
                '\\' => {
                    if let Some(next) = self.peek() {
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
        self.out.incomplete = true;
    }
}

/// `2>` style: a word of digits directly followed by a redirection operator.
fn is_fd_redirect(word: &ShellWord, next: Option<char>) -> bool {
    !word.quoted
        && !word.value.is_empty()
        && word.value.bytes().all(|b| b.is_ascii_digit())
        && matches!(next, Some('>' | '<'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(script: &str) -> Vec<(String, Option<Operator>)> {
        lex(script)
            .commands
            .iter()
            .map(|c| {
                (
                    c.words
                        .iter()
                        .map(|w| w.value.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    c.next.map(|n| n.0),
                )
            })
            .collect()
    }

    #[test]
    fn splits_commands_and_words() {
        assert_eq!(
            names("apt-get update && apt-get install -y \"a b\" 'c' d\\ e || true; echo x | tee y"),
            vec![
                ("apt-get update".into(), Some(Operator::And)),
                ("apt-get install -y a b c d e".into(), Some(Operator::Or)),
                ("true".into(), Some(Operator::Semicolon)),
                ("echo x".into(), Some(Operator::Pipe)),
                ("tee y".into(), None),
            ]
        );
    }

    #[test]
    fn records_what_is_not_plain() {
        assert!(lex("node server.js --port 80").is_plain_command());
        assert!(!lex("node $APP").is_plain_command());
        assert!(!lex("node \"${APP}\"").is_plain_command());
        assert!(!lex("node *.js").is_plain_command());
        assert!(!lex("node app.js > log").is_plain_command());
        assert!(!lex("node app.js 2>&1").is_plain_command());
        assert!(!lex("(node app.js)").is_plain_command());
        assert!(!lex("node app.js # comment").is_plain_command());
        assert!(!lex("node 'app.js").is_plain_command());
        assert!(!lex("a && b").is_plain_command());
        let script = lex("echo $(date +%s) `id -u` \"$((1 + 2))\"");
        assert_eq!(script.commands[0].words.len(), 4);
        assert!(script.commands[0].words[1..]
            .iter()
            .all(|w| w.has_expansion));
    }

    #[test]
    fn ranges_point_into_the_script() {
        let text = "cd /app &&  npm ci 2>/dev/null";
        let script = lex(text);
        let npm = &script.commands[1];
        assert_eq!(npm.range.slice(text), "npm ci 2>/dev/null");
        assert_eq!(npm.redirects[0].slice(text), "2>/dev/null");
        assert_eq!(
            script.commands[0].next.map(|(_, r)| r.slice(text)),
            Some("&&")
        );
    }
}
