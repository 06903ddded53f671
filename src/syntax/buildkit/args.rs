//! Each instruction's argument splitting as BuildKit's line parsers do it: whitespace-delimited
//! strings, JSON arrays or a shell string, HEALTHCHECK, shell words, `name=value` pairs.

use super::*;

/// `parseStringsWhitespaceDelimited`.
pub(super) fn whitespace_delimited(line: &str, rest: TextRange) -> Args {
    let text = rest.slice(line);
    if text.is_empty() {
        return Args::Empty;
    }
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (is_split_space(c), start) {
            (true, Some(s)) => {
                words.push(word(line, TextRange::new(rest.start + s, rest.start + i)));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    match start {
        Some(s) => words.push(word(line, TextRange::new(rest.start + s, rest.end))),
        // A trailing separator gives BuildKit an empty last word (regexp.Split keeps it).
        None => words.push(word(line, TextRange::empty(rest.end))),
    }
    Args::Words(words)
}

/// `parseJSON`: `Some(Ok)` for an array of strings, `Some(Err)` for a JSON array holding
/// something else, `None` when the text is not JSON at all.
fn json_array(line: &str, rest: TextRange) -> Option<Result<ExecForm, String>> {
    let text = rest.slice(line);
    if !text.starts_with('[') {
        return None;
    }
    // Like Go's `json.Decoder`, read the first JSON value and ignore whatever follows it.
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Vec<serde_json::Value>>();
    let values = stream.next()?.ok()?;
    let end = stream.byte_offset();
    let mut strings = Vec::with_capacity(values.len());
    for value in values {
        match value {
            serde_json::Value::String(s) => strings.push(s),
            _ => return Some(Err(ERR_NOT_STRING_ARRAY.to_owned())),
        }
    }
    let (elements, punctuation) = json_layout(&text[..end], rest.start, strings);
    Some(Ok(ExecForm {
        range: TextRange::new(rest.start, rest.start + end),
        elements,
        punctuation,
    }))
}

/// Finds where each string and each `[`, `,`, `]` of a valid JSON string array lies.
fn json_layout(text: &str, offset: usize, values: Vec<String>) -> (Vec<Word>, Vec<TextRange>) {
    let bytes = text.as_bytes();
    let mut elements = Vec::with_capacity(values.len());
    let mut punctuation = Vec::new();
    let mut values = values.into_iter();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'[' | b',' | b']' => {
                punctuation.push(TextRange::new(offset + i, offset + i + 1));
                i += 1;
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
                let value = values.next().unwrap_or_default();
                elements.push(Word {
                    range: TextRange::new(offset + start, offset + i),
                    value,
                });
            }
            _ => i += 1,
        }
    }
    (elements, punctuation)
}

pub(super) fn maybe_json(line: &str, rest: TextRange) -> Result<Args, String> {
    if rest.is_empty() {
        return Ok(Args::Empty);
    }
    match json_array(line, rest) {
        Some(result) => result.map(Args::Exec),
        None => Ok(Args::String(word(line, rest))),
    }
}

pub(super) fn maybe_json_to_list(line: &str, rest: TextRange) -> Result<Args, String> {
    match json_array(line, rest) {
        Some(result) => result.map(Args::Exec),
        None => Ok(whitespace_delimited(line, rest)),
    }
}

pub(super) fn health_config(line: &str, rest: TextRange) -> Result<Args, String> {
    let text = rest.slice(line);
    let sep = text
        .find(|c: char| c.is_ascii() && is_go_space(c))
        .unwrap_or(text.len());
    if sep == 0 {
        return Ok(Args::Empty);
    }
    let next = text[sep..]
        .find(|c: char| !(c.is_ascii() && is_go_space(c)))
        .map_or(text.len(), |i| sep + i);
    let kind = word(line, TextRange::new(rest.start, rest.start + sep));
    let command = maybe_json(line, TextRange::new(rest.start + next, rest.end))?;
    Ok(Args::Health {
        kind,
        command: Box::new(command),
    })
}

/// BuildKit's `parseWords`: whitespace-separated words where quotes group and the escape character
/// escapes; quotes and escapes stay in the words.
fn parse_words(line: &str, rest: TextRange, escape: char) -> Vec<Word> {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let text = rest.slice(line);
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut current = String::new();
    let mut start = 0;
    let mut blank_ok = false;
    let mut quote = '\0';
    let mut chars = text.char_indices().peekable();
    let finish = |words: &mut Vec<Word>, current: &mut String, start: usize, end: usize| {
        words.push(Word {
            range: TextRange::new(rest.start + start, rest.start + end),
            value: std::mem::take(current),
        });
    };
    while let Some((pos, ch)) = chars.next() {
        if phase == Phase::Spaces {
            if is_go_space(ch) {
                continue;
            }
            phase = Phase::Word;
            start = pos;
        }
        if phase == Phase::Word {
            if is_go_space(ch) {
                phase = Phase::Spaces;
                if blank_ok || !current.is_empty() {
                    finish(&mut words, &mut current, start, pos);
                }
                blank_ok = false;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
            }
            if ch == escape {
                match chars.next() {
                    None => continue,
                    Some((_, next)) => {
                        current.push(ch);
                        current.push(next);
                        continue;
                    }
                }
            }
            current.push(ch);
            continue;
        }
        // in a quote
        if ch == quote {
            phase = Phase::Word;
        }
        if ch == escape && quote != '\'' {
            match chars.next() {
                None => {
                    phase = Phase::Word;
                    continue;
                }
                Some((_, next)) => {
                    current.push(ch);
                    current.push(next);
                    continue;
                }
            }
        }
        current.push(ch);
    }
    if phase != Phase::Spaces && (blank_ok || !current.is_empty()) {
        finish(&mut words, &mut current, start, text.len());
    }
    words
}

pub(super) fn name_or_name_val(line: &str, rest: TextRange, escape: char) -> Args {
    let words = parse_words(line, rest, escape);
    if words.is_empty() {
        Args::Empty
    } else {
        Args::Words(words)
    }
}

/// `parseNameVal` for ENV and LABEL: `key=value ...`, or the legacy `key value`.
pub(super) fn name_val(
    line: &str,
    rest: TextRange,
    key: &str,
    escape: char,
) -> Result<Args, String> {
    let words = parse_words(line, rest, escape);
    let Some(first) = words.first() else {
        return Ok(Args::Empty);
    };
    if !first.value.contains('=') {
        let text = rest.slice(line);
        let Some(sep) = text.find(is_split_space) else {
            return Err(format!("{key} must have two arguments"));
        };
        let value_start = text[sep..]
            .find(|c| !is_split_space(c))
            .map_or(text.len(), |i| sep + i);
        let key = word(line, TextRange::new(rest.start, rest.start + sep));
        let value = word(line, TextRange::new(rest.start + value_start, rest.end));
        return Ok(Args::KeyValues(vec![KeyValue {
            key,
            value,
            legacy: true,
        }]));
    }
    let mut pairs = Vec::with_capacity(words.len());
    for w in words {
        let Some(eq) = w.value.find('=') else {
            return Err(format!(
                "Syntax error - can't find = in {:?}. Must be of the form: name=value",
                w.value
            ));
        };
        let key = Word {
            range: TextRange::new(w.range.start, w.range.start + eq),
            value: w.value[..eq].to_owned(),
        };
        let value = Word {
            range: TextRange::new(w.range.start + eq + 1, w.range.end),
            value: w.value[eq + 1..].to_owned(),
        };
        pairs.push(KeyValue {
            key,
            value,
            legacy: false,
        });
    }
    Ok(Args::KeyValues(pairs))
}
