//! Parser directives (`# syntax=…`, `# escape=…`, `# check=…`), read with nom.
//!
//! BuildKit matches `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` against each line (left-trimmed)
//! until the first line that does not match or names an unknown directive.

use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::satisfy;
use nom::combinator::recognize;
use nom::sequence::pair;
use nom::IResult;

/// Byte offsets (within the line) of a directive's parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectiveParts {
    pub name: (usize, usize),
    pub equals: usize,
    pub value: (usize, usize),
}

/// RE2's `\s`.
fn is_re2_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{c}' | '\r' | ' ')
}

fn name(input: &str) -> IResult<&str, &str> {
    recognize(pair(
        satisfy(|c| c.is_ascii_alphabetic()),
        take_while(|c: char| c.is_ascii_alphanumeric()),
    ))(input)
}

fn directive(input: &str) -> IResult<&str, (&str, &str, &str)> {
    let (input, _) = tag("#")(input)?;
    let (input, _) = take_while(is_re2_space)(input)?;
    let (input, name) = name(input)?;
    let (input, _) = take_while(is_re2_space)(input)?;
    let (input, equals) = tag("=")(input)?;
    let (_, value) = take_while1(|_| true)(input)?;
    Ok(("", (name, equals, value)))
}

/// Splits a left-trimmed line into a directive's name and value, or `None` if it is not one.
pub fn parse_directive(line: &str) -> Option<DirectiveParts> {
    let (_, (name, equals, after)) = directive(line).ok()?;
    let offset = |s: &str| s.as_ptr() as usize - line.as_ptr() as usize;
    let trimmed = after
        .trim_start_matches(is_re2_space)
        .trim_end_matches(is_re2_space);
    let value_start = if trimmed.is_empty() {
        // `(.+?)` must take one character: the last blank.
        offset(after) + after.len() - after.chars().last().map_or(0, char::len_utf8)
    } else {
        offset(trimmed)
    };
    let value_end = if trimmed.is_empty() {
        offset(after) + after.len()
    } else {
        value_start + trimmed.len()
    };
    Some(DirectiveParts {
        name: (offset(name), offset(name) + name.len()),
        equals: offset(equals),
        value: (value_start, value_end),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_directives() {
        let line = "# escape = ` ";
        let parts = parse_directive(line).unwrap();
        assert_eq!(&line[parts.name.0..parts.name.1], "escape");
        assert_eq!(&line[parts.value.0..parts.value.1], "`");
        assert_eq!(
            parse_directive("#syntax=docker/dockerfile:1").map(|p| p.value),
            Some((8, 27))
        );
        assert!(parse_directive("# not a directive").is_none());
        assert!(parse_directive("#1x=2").is_none());
        let blank = parse_directive("#x=  ").unwrap();
        assert_eq!(blank.value, (4, 5));
    }
}
