//! BuildKit's `extractBuilderFlags`: the leading `--flag` words of an instruction.

use super::{FlagWord, Word};
use crate::syntax::tree::TextRange;

/// BuildKit's `extractBuilderFlags`: leading `--flag` words. It works byte by byte and always uses
/// backslash as its escape, whatever the `# escape=` directive says.
pub(super) fn extract_flags(line: &str, range: TextRange) -> (Vec<FlagWord>, TextRange) {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let bytes = line.as_bytes();
    let is_space = |b: u8| matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | 0x85 | 0xa0);
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut current = String::new();
    let mut start = range.start;
    let mut blank_ok = false;
    let mut quote = 0u8;
    let mut pos = range.start;
    // Bytes 0x85 and 0xa0 count as blanks even inside a multi-byte character, so a word may end
    // mid-character: its range then takes in the rest of that character.
    let push = |words: &mut Vec<FlagWord>, value: String, start: usize, end: usize| {
        words.push(Word {
            range: TextRange::new(start, char_ceil(line, end)),
            value,
        });
    };
    while pos <= range.end {
        let at_end = pos == range.end;
        let ch = if at_end { 0 } else { bytes[pos] };
        if phase == Phase::Spaces {
            if at_end {
                break;
            }
            if is_space(ch) {
                pos += 1;
                continue;
            }
            if ch != b'-' || pos + 1 == range.end || bytes[pos + 1] != b'-' {
                return (words, TextRange::new(char_floor(line, pos), range.end));
            }
            phase = Phase::Word;
            start = pos;
        }
        if at_end {
            if current != "--" && (blank_ok || !current.is_empty()) {
                push(&mut words, current, start, pos);
            }
            break;
        }
        if phase == Phase::Word {
            if is_space(ch) {
                phase = Phase::Spaces;
                if current == "--" {
                    return (words, TextRange::new(pos, range.end));
                }
                if blank_ok || !current.is_empty() {
                    push(&mut words, std::mem::take(&mut current), start, pos);
                }
                current.clear();
                blank_ok = false;
                pos += 1;
                continue;
            }
            if ch == b'\'' || ch == b'"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
                pos += 1;
                continue;
            }
        } else if ch == quote {
            phase = Phase::Word;
            pos += 1;
            continue;
        }
        // A byte of the word, in a quote or not. A backslash escapes the next byte; a trailing
        // one is dropped (and ends a quote).
        if ch == b'\\' && pos + 1 == range.end {
            phase = Phase::Word;
            pos += 1;
            continue;
        }
        if ch == b'\\' {
            pos += 1;
        }
        current.push(char::from(bytes[pos]));
        pos += 1;
    }
    (words, TextRange::empty(range.end))
}

fn char_ceil(line: &str, mut pos: usize) -> usize {
    while !line.is_char_boundary(pos) {
        pos += 1;
    }
    pos
}

fn char_floor(line: &str, mut pos: usize) -> usize {
    while !line.is_char_boundary(pos) {
        pos -= 1;
    }
    pos
}
