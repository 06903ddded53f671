//! Heredoc openers (`<<EOF`, `<<-"EOF"`) found in a logical line the way BuildKit finds them.

use super::*;

/// BuildKit's `heredocsFromLine`: every word of the line (split like a shell, quotes kept) of the
/// form `[fd]<<[-]NAME` opens a heredoc, in order.
pub(super) fn heredoc_openers(line: &str) -> Vec<HeredocOpener> {
    raw_shell_words(line)
        .into_iter()
        .filter_map(|range| heredoc_opener(line, range))
        .collect()
}

fn heredoc_opener(line: &str, range: TextRange) -> Option<HeredocOpener> {
    let text = range.slice(line);
    let digits = text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let after = text[digits..].strip_prefix("<<")?;
    let (chomp, name) = match after.strip_prefix('-') {
        Some(name) => (true, name),
        None => (false, after),
    };
    if name.is_empty() || name.contains('<') {
        return None;
    }
    let (unquoted, quoted) = unquote(name);
    if unquoted.is_empty() {
        return None;
    }
    Some(HeredocOpener {
        range,
        name: unquoted,
        file_descriptor: text[..digits].parse().unwrap_or(0),
        chomp,
        expand: !quoted,
    })
}

/// Splits like BuildKit's shell lexer with raw quotes and escapes: on whitespace outside quotes.
fn raw_shell_words(line: &str) -> Vec<TextRange> {
    let mut words = Vec::new();
    let mut start = None;
    let mut quote = None;
    let mut chars = line.char_indices();
    while let Some((i, c)) = chars.next() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                } else if c == '\\' && q == '"' {
                    chars.next();
                }
            }
            None if c.is_whitespace() => {
                if let Some(s) = start.take() {
                    words.push(TextRange::new(s, i));
                }
            }
            None => {
                start.get_or_insert(i);
                match c {
                    '\'' | '"' => quote = Some(c),
                    '\\' => {
                        chars.next();
                    }
                    _ => {}
                }
            }
        }
    }
    if let Some(s) = start {
        words.push(TextRange::new(s, line.len()));
    }
    words
}

/// Removes shell quoting from a word; also says whether any quote was syntax.
fn unquote(word: &str) -> (String, bool) {
    let mut out = String::with_capacity(word.len());
    let mut quoted = false;
    let mut quote = None;
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                quoted = true;
            }
            (Some(q), _) if c == q => quote = None,
            (None, '\\') | (Some('"'), '\\') => {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            _ => out.push(c),
        }
    }
    (out, quoted)
}
