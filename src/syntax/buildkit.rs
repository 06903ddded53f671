//! BuildKit's reading of one logical line: keyword, `--flags`, and the arguments split the way each
//! instruction's BuildKit line parser splits them (moby/buildkit `frontend/dockerfile/parser`).
//!
//! All ranges are byte ranges into the logical line; [`super::LogicalLine`] maps them to the source.
//! Values are BuildKit's values: quotes and escapes are kept where BuildKit keeps them.

use super::tree::TextRange;

/// Instructions BuildKit's parser knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum InstructionKind {
    Add,
    Arg,
    Cmd,
    Copy,
    Entrypoint,
    Env,
    Expose,
    From,
    Healthcheck,
    Label,
    Maintainer,
    Onbuild,
    Run,
    Shell,
    Stopsignal,
    User,
    Volume,
    Workdir,
}

impl InstructionKind {
    pub fn from_keyword(keyword: &str) -> Option<Self> {
        use InstructionKind::*;
        const ALL: [(&str, InstructionKind); 18] = [
            ("add", Add),
            ("arg", Arg),
            ("cmd", Cmd),
            ("copy", Copy),
            ("entrypoint", Entrypoint),
            ("env", Env),
            ("expose", Expose),
            ("from", From),
            ("healthcheck", Healthcheck),
            ("label", Label),
            ("maintainer", Maintainer),
            ("onbuild", Onbuild),
            ("run", Run),
            ("shell", Shell),
            ("stopsignal", Stopsignal),
            ("user", User),
            ("volume", Volume),
            ("workdir", Workdir),
        ];
        ALL.iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(keyword))
            .map(|(_, kind)| *kind)
    }

    /// The keyword in upper case, as the Dockerfile reference writes it.
    pub fn keyword(self) -> &'static str {
        use InstructionKind::*;
        match self {
            Add => "ADD",
            Arg => "ARG",
            Cmd => "CMD",
            Copy => "COPY",
            Entrypoint => "ENTRYPOINT",
            Env => "ENV",
            Expose => "EXPOSE",
            From => "FROM",
            Healthcheck => "HEALTHCHECK",
            Label => "LABEL",
            Maintainer => "MAINTAINER",
            Onbuild => "ONBUILD",
            Run => "RUN",
            Shell => "SHELL",
            Stopsignal => "STOPSIGNAL",
            User => "USER",
            Volume => "VOLUME",
            Workdir => "WORKDIR",
        }
    }

    /// Instructions whose bodies may open heredocs.
    pub fn takes_heredocs(self) -> bool {
        matches!(
            self,
            InstructionKind::Run | InstructionKind::Copy | InstructionKind::Add
        )
    }
}

/// A piece of the logical line and BuildKit's value for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub range: TextRange,
    pub value: String,
}

/// One `--flag[=value]` word: its raw extent and BuildKit's processed text (leading `--` kept).
pub type FlagWord = Word;

/// A `key=value` pair of ENV or LABEL (or the legacy `ENV key value`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    pub key: Word,
    pub value: Word,
    /// True for the legacy `ENV key value` form (no `=`).
    pub legacy: bool,
}

/// An exec-form argument list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecForm {
    /// `[` through `]`.
    pub range: TextRange,
    pub elements: Vec<Word>,
    /// Ranges of `[`, `,` and `]`.
    pub punctuation: Vec<TextRange>,
}

/// The arguments after the keyword and flags, as the instruction's BuildKit line parser splits them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Args {
    /// Nothing after the keyword and flags.
    Empty,
    /// Exec form (a JSON array of strings).
    Exec(ExecForm),
    /// The whole rest as one string: shell form, or MAINTAINER/USER/WORKDIR/STOPSIGNAL.
    String(Word),
    /// Whitespace-separated words (FROM, EXPOSE, shell-form COPY/ADD/VOLUME) or ARG's quote-aware words.
    Words(Vec<Word>),
    /// ENV and LABEL pairs.
    KeyValues(Vec<KeyValue>),
    /// HEALTHCHECK: the type word (`CMD`, `NONE`) and its command.
    Health { kind: Word, command: Box<Args> },
    /// ONBUILD: the wrapped instruction.
    Trigger(Box<Analysis>),
}

/// A heredoc opened on the instruction line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeredocOpener {
    /// The `<<EOF` word.
    pub range: TextRange,
    pub name: String,
    pub file_descriptor: u32,
    /// `<<-`: leading tabs are stripped from the body and the terminator.
    pub chomp: bool,
    /// False when the name was quoted: the body is not expanded.
    pub expand: bool,
}

/// BuildKit's reading of one logical line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Analysis {
    /// Where this instruction starts in the logical line (non-zero only for ONBUILD's trigger).
    pub range: TextRange,
    pub keyword: Word,
    pub kind: Option<InstructionKind>,
    pub flags: Vec<FlagWord>,
    /// The arguments' extent after the flags, trimmed.
    pub rest: TextRange,
    pub args: Args,
    pub heredocs: Vec<HeredocOpener>,
    /// Why BuildKit (or dfmigrate) rejects this line, if it does.
    pub error: Option<String>,
}

impl Analysis {
    /// True when the arguments are in exec (JSON) form.
    pub fn is_json(&self) -> bool {
        match &self.args {
            Args::Exec(_) => true,
            Args::Health { command, .. } => matches!(**command, Args::Exec(_)),
            Args::Trigger(inner) => inner.is_json(),
            _ => false,
        }
    }

    /// The instruction heredocs belong to: ONBUILD's trigger, or this one.
    pub fn innermost(&self) -> &Analysis {
        match &self.args {
            Args::Trigger(inner) => inner.innermost(),
            _ => self,
        }
    }
}

const ERR_NOT_STRING_ARRAY: &str =
    "when using JSON array syntax, arrays must be comprised of strings only";

/// Go's `unicode.IsSpace`.
pub(crate) fn is_go_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    ) || (c > '\u{ff}' && c.is_whitespace())
}

/// BuildKit's `reWhitespace`: `[\t\v\f\r ]`.
fn is_split_space(c: char) -> bool {
    matches!(c, '\t' | '\u{b}' | '\u{c}' | '\r' | ' ')
}

fn trim_range(line: &str, range: TextRange) -> TextRange {
    let text = range.slice(line);
    let start = range.start + (text.len() - text.trim_start_matches(is_go_space).len());
    let end = range.start + text.trim_end_matches(is_go_space).len();
    TextRange::new(start.min(end), end)
}

fn word(line: &str, range: TextRange) -> Word {
    Word {
        range,
        value: range.slice(line).to_owned(),
    }
}

/// Reads a logical line (or, for ONBUILD, the part of it from `start`).
pub fn analyze(line: &str, escape: char) -> Analysis {
    analyze_from(line, TextRange::new(0, line.len()), escape, true)
}

fn analyze_from(line: &str, range: TextRange, escape: char, outermost: bool) -> Analysis {
    let trimmed = trim_range(line, range);
    let text = trimmed.slice(line);
    let keyword_len = text.find(is_split_space).unwrap_or(text.len());
    let keyword = word(
        line,
        TextRange::new(trimmed.start, trimmed.start + keyword_len),
    );
    let after_keyword = TextRange::new(keyword.range.end, trimmed.end);
    let after_keyword = TextRange::new(
        after_keyword.start
            + (after_keyword.slice(line).len()
                - after_keyword
                    .slice(line)
                    .trim_start_matches(is_split_space)
                    .len()),
        after_keyword.end,
    );
    let (flags, rest) = extract_flags(line, after_keyword);
    let rest = trim_range(line, rest);
    let kind = InstructionKind::from_keyword(&keyword.value);
    let mut analysis = Analysis {
        range: trimmed,
        keyword,
        kind,
        flags,
        rest,
        args: Args::Empty,
        heredocs: Vec::new(),
        error: None,
    };
    match kind {
        Some(kind) => match split_args(line, rest, kind, escape) {
            Ok(args) => analysis.args = args,
            Err(message) => analysis.error = Some(message),
        },
        None if analysis.keyword.value.is_empty() => {
            analysis.error = Some("a line continuation with no instruction".to_owned());
        }
        None => {
            analysis.error = Some(format!("unknown instruction: {}", analysis.keyword.value));
        }
    }
    if let Args::Trigger(inner) = &analysis.args {
        if let Some(error) = &inner.error {
            analysis.error = Some(error.clone());
        }
    }
    if outermost {
        let innermost = analysis.innermost();
        let takes =
            innermost.kind.is_some_and(InstructionKind::takes_heredocs) && !innermost.is_json();
        if takes && text.contains("<<") {
            analysis.heredocs = heredoc_openers(line);
        }
    }
    analysis
}

/// BuildKit's `extractBuilderFlags`: leading `--flag` words. It works byte by byte and always uses
/// backslash as its escape, whatever the `# escape=` directive says.
fn extract_flags(line: &str, range: TextRange) -> (Vec<FlagWord>, TextRange) {
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
            let mut c = ch;
            if ch == b'\\' {
                if pos + 1 == range.end {
                    pos += 1;
                    continue;
                }
                pos += 1;
                c = bytes[pos];
            }
            current.push(char::from(c));
            pos += 1;
            continue;
        }
        // in a quote
        if ch == quote {
            phase = Phase::Word;
            pos += 1;
            continue;
        }
        let mut c = ch;
        if ch == b'\\' {
            if pos + 1 == range.end {
                phase = Phase::Word;
                pos += 1;
                continue;
            }
            pos += 1;
            c = bytes[pos];
        }
        current.push(char::from(c));
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

fn split_args(
    line: &str,
    rest: TextRange,
    kind: InstructionKind,
    escape: char,
) -> Result<Args, String> {
    use InstructionKind::*;
    let text = rest.slice(line);
    match kind {
        Add | Copy | Volume => maybe_json_to_list(line, rest),
        Arg => Ok(name_or_name_val(line, rest, escape)),
        Cmd | Entrypoint | Run | Shell => maybe_json(line, rest),
        Env => name_val(line, rest, "ENV", escape),
        Label => name_val(line, rest, "label", escape),
        Expose | From => Ok(whitespace_delimited(line, rest)),
        Healthcheck => health_config(line, rest),
        Maintainer | Stopsignal | User | Workdir if text.is_empty() => Ok(Args::Empty),
        Maintainer | Stopsignal | User | Workdir => Ok(Args::String(word(line, rest))),
        Onbuild if text.is_empty() => Ok(Args::Empty),
        Onbuild => Ok(Args::Trigger(Box::new(analyze_from(
            line, rest, escape, false,
        )))),
    }
}

/// `parseStringsWhitespaceDelimited`.
fn whitespace_delimited(line: &str, rest: TextRange) -> Args {
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

fn maybe_json(line: &str, rest: TextRange) -> Result<Args, String> {
    if rest.is_empty() {
        return Ok(Args::Empty);
    }
    match json_array(line, rest) {
        Some(result) => result.map(Args::Exec),
        None => Ok(Args::String(word(line, rest))),
    }
}

fn maybe_json_to_list(line: &str, rest: TextRange) -> Result<Args, String> {
    match json_array(line, rest) {
        Some(result) => result.map(Args::Exec),
        None => Ok(whitespace_delimited(line, rest)),
    }
}

fn health_config(line: &str, rest: TextRange) -> Result<Args, String> {
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

fn name_or_name_val(line: &str, rest: TextRange, escape: char) -> Args {
    let words = parse_words(line, rest, escape);
    if words.is_empty() {
        Args::Empty
    } else {
        Args::Words(words)
    }
}

/// `parseNameVal` for ENV and LABEL: `key=value ...`, or the legacy `key value`.
fn name_val(line: &str, rest: TextRange, key: &str, escape: char) -> Result<Args, String> {
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

/// BuildKit's `heredocsFromLine`: every word of the line (split like a shell, quotes kept) of the
/// form `[fd]<<[-]NAME` opens a heredoc, in order.
fn heredoc_openers(line: &str) -> Vec<HeredocOpener> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn values(args: &Args) -> Vec<String> {
        args.values()
    }

    #[test]
    fn flags_and_shell_form() {
        let a = analyze(
            "RUN --mount=type=cache,target=/x  --network=none echo hi",
            '\\',
        );
        assert_eq!(a.kind, Some(InstructionKind::Run));
        let flags: Vec<_> = a.flags.iter().map(|f| f.value.as_str()).collect();
        assert_eq!(flags, ["--mount=type=cache,target=/x", "--network=none"]);
        assert_eq!(values(&a.args), ["echo hi"]);
    }

    #[test]
    fn flag_ending_inside_a_character_keeps_whole_characters() {
        // U+00A0 is C2 A0 in UTF-8; BuildKit's byte loop sees A0 as a blank and C2 as 'Â'.
        let line = "FROM --from=b\u{a0} --x y";
        let a = analyze(line, '\\');
        let flags: Vec<_> = a.flags.iter().map(|f| f.value.as_str()).collect();
        assert_eq!(flags, ["--from=b\u{c2}", "--x"]);
        assert_eq!(a.flags[0].range, TextRange::new(5, 15));
        assert!(a.flags.iter().all(|f| line.is_char_boundary(f.range.end)));
    }

    #[test]
    fn json_fallback_and_errors() {
        assert_eq!(
            values(&analyze("CMD [\"a\", \"b c\"]", '\\').args),
            ["a", "b c"]
        );
        assert_eq!(values(&analyze("CMD [\"a\", ]", '\\').args), ["[\"a\", ]"]);
        let trailing = analyze("CMD [\"a\"] [\"b\"]", '\\');
        assert_eq!(values(&trailing.args), ["a"]);
        match &trailing.args {
            Args::Exec(exec) => assert_eq!(exec.range, TextRange::new(4, 9)),
            other => panic!("not exec form: {other:?}"),
        }
        assert_eq!(
            analyze("CMD [1]", '\\').error.as_deref(),
            Some(ERR_NOT_STRING_ARRAY)
        );
    }

    #[test]
    fn env_forms() {
        assert_eq!(
            values(&analyze("ENV A=1 B=\"x y\"", '\\').args),
            ["A", "1", "B", "\"x y\""]
        );
        assert_eq!(values(&analyze("ENV A  x y", '\\').args), ["A", "x y"]);
        assert!(analyze("ENV A", '\\').error.is_some());
        assert!(analyze("ENV A=1 B", '\\').error.is_some());
    }

    #[test]
    fn heredocs() {
        let a = analyze("RUN 3<<-\"E O\" cat <<EOF cat<<X", '\\');
        let names: Vec<_> = a
            .heredocs
            .iter()
            .map(|h| (h.name.as_str(), h.file_descriptor, h.chomp, h.expand))
            .collect();
        assert_eq!(names, [("E O", 3, true, false), ("EOF", 0, false, true)]);
    }

    #[test]
    fn onbuild_and_unknown() {
        let a = analyze("ONBUILD RUN [\"a\"]", '\\');
        assert!(a.is_json());
        assert_eq!(values(&a.args), ["a"]);
        assert_eq!(
            analyze("FOO bar", '\\').error.as_deref(),
            Some("unknown instruction: FOO")
        );
    }
}
