//! The file's own style, so inserted text looks like the text around it: line ending, keyword
//! case, escape character and the indentation of continuation lines.

use crate::syntax::{InstructionKind, Parse, TokenKind};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Style {
    /// `"\n"` or `"\r\n"`, whichever the file mostly uses.
    pub newline: &'static str,
    /// False when most keywords are written in lower case.
    pub uppercase_keywords: bool,
    /// The escape character (`\` or `` ` ``).
    pub escape: char,
    /// The indentation of continuation lines (default four spaces).
    pub continuation_indent: String,
}

impl Style {
    pub fn detect(parse: &Parse) -> Style {
        let (mut crlf, mut lf) = (0usize, 0usize);
        let mut indents = Counts::default();
        let mut after_continuation = false;
        // A blank run after a continuation is an indentation unless a newline, a comment or
        // the end of the file follows it: decided at the next token.
        let mut pending: Option<&str> = None;
        for token in parse.tree.root().iter_tokens() {
            let token_text = parse.tree.token_text(token);
            if let Some(indent) = pending.take() {
                if !matches!(token.kind, TokenKind::Newline | TokenKind::Comment) {
                    indents.add(indent);
                }
            }
            match token.kind {
                TokenKind::Newline if token_text.ends_with("\r\n") => crlf += 1,
                TokenKind::Newline => lf += 1,
                _ => {}
            }
            if after_continuation && token.kind == TokenKind::Whitespace {
                pending = Some(token_text);
            }
            after_continuation = match token.kind {
                TokenKind::LineContinuation => true,
                TokenKind::Newline => after_continuation,
                _ => false,
            };
        }
        let (upper, lower) =
            parse
                .instructions
                .iter()
                .fold((0, 0), |(upper, lower), instruction| {
                    let keyword = &instruction.analysis.keyword.value;
                    if keyword.chars().any(|c| c.is_ascii_lowercase()) {
                        (upper, lower + 1)
                    } else {
                        (upper + 1, lower)
                    }
                });
        Style {
            newline: if crlf > lf { "\r\n" } else { "\n" },
            uppercase_keywords: upper >= lower,
            escape: parse.escape,
            continuation_indent: indents.most_common().unwrap_or("    ").to_owned(),
        }
    }

    /// An instruction keyword in the file's case.
    pub fn keyword(&self, kind: InstructionKind) -> String {
        if self.uppercase_keywords {
            kind.keyword().to_owned()
        } else {
            kind.keyword().to_ascii_lowercase()
        }
    }

    /// The text that breaks a line inside an instruction: ` \` + newline + indentation.
    pub fn line_break(&self) -> String {
        format!(
            " {}{}{}",
            self.escape, self.newline, self.continuation_indent
        )
    }
}

/// How often each text occurs, and which occurred first: one lookup per item, however many
/// distinct items a file has.
#[derive(Default)]
struct Counts<'a> {
    /// Per distinct text: its count and the order in which it was first seen.
    seen: std::collections::HashMap<&'a str, (usize, usize)>,
}

impl<'a> Counts<'a> {
    fn add(&mut self, item: &'a str) {
        let order = self.seen.len();
        self.seen.entry(item).or_insert((0, order)).0 += 1;
    }

    /// The most frequent item; of equally frequent ones, the last first seen.
    fn most_common(&self) -> Option<&'a str> {
        self.seen
            .iter()
            .max_by_key(|(_, &(count, order))| (count, order))
            .map(|(item, _)| *item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    #[test]
    fn detects_style() {
        let style = Style::detect(&parse("from x\r\nrun a && \\\r\n\tb\r\n"));
        assert_eq!(style.newline, "\r\n");
        assert!(!style.uppercase_keywords);
        assert_eq!(style.continuation_indent, "\t");
        assert_eq!(style.keyword(InstructionKind::Copy), "copy");
        let style = Style::detect(&parse("# escape=`\nFROM x\nRUN a `\n  b\n"));
        assert_eq!(style.escape, '`');
        assert_eq!(style.line_break(), " `\n  ");
        assert_eq!(
            Style::detect(&parse("FROM x\n")).continuation_indent,
            "    "
        );
    }
}
