//! The flat view of a shell script (`RUN`, shell-form CMD/ENTRYPOINT): simple commands split at
//! `&&`, `||`, `;`, `|`, `&` and newlines, each a list of words with quotes and escapes
//! respected. Ranges are byte ranges into the script text. The words and redirections are read
//! by the syntax tree's reader ([`super::script`]); this module holds the types.
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

    /// What the command is written with, comments aside: its words' values, then its
    /// redirections (`>/etc/apt/sources.list`) as written in `script`, the text its ranges
    /// index.
    pub fn texts<'a>(&'a self, script: &'a str) -> impl Iterator<Item = &'a str> {
        let redirects = self
            .redirects
            .iter()
            .filter_map(|range| script.get(range.start..range.end));
        self.words
            .iter()
            .map(|word| word.value.as_str())
            .chain(redirects)
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

    /// Whether the command at `index` runs after `&&`, `;` or at the start, not inside `||`, a
    /// pipe or a group: removing it with the operator after it (or, for the last one, before
    /// it) leaves the other commands running as they did.
    pub fn is_reached_plainly(&self, index: usize) -> bool {
        let commands = &self.commands;
        let before = index
            .checked_sub(1)
            .and_then(|i| commands[i].next)
            .map(|(op, _)| op);
        let after = commands.get(index).and_then(|c| c.next).map(|(op, _)| op);
        matches!(before, None | Some(Operator::And | Operator::Semicolon))
            && !matches!(
                after,
                Some(Operator::Pipe | Operator::Or | Operator::Background)
            )
            && !self.has_grouping
    }
}

/// Splits a script into commands and words (read by the syntax tree's word reader; see
/// [`script::flat`](super::script)).
pub fn lex(script: &str) -> ShellScript {
    super::script::lex_flat(script)
}

/// A word as the shell reads it back: as it is when plain (letters, digits and `._-/+@%,:=`, not
/// starting with `-`), else single-quoted.
pub fn quote_word(value: &str) -> String {
    let plain = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-/+@%,:=".contains(c));
    if plain && !value.is_empty() && !value.starts_with('-') {
        value.to_owned()
    } else {
        quote(value)
    }
}

/// A word single-quoted for the shell.
pub fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
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

    #[test]
    fn words_are_quoted_only_when_the_shell_would_read_them_otherwise() {
        assert_eq!(quote_word("src/main.rs"), "src/main.rs");
        assert_eq!(quote_word("fn main() {}"), "'fn main() {}'");
        assert_eq!(quote_word("it's"), r"'it'\''s'");
        assert_eq!(quote_word("-rf"), "'-rf'");
        assert_eq!(quote_word(""), "''");
    }
}
