//! Docker's path patterns: `.dockerignore` lines (moby/patternmatcher) and `COPY` source globs
//! (Go's `filepath.Match`). Both are translated to anchored regular expressions the way
//! patternmatcher does, so `*` and `?` never cross `/`, `[...]` is a character class (`^` negates)
//! and `\` escapes the next character; only `.dockerignore` patterns give `**` its meaning of
//! "any number of directories".

use regex::Regex;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use thiserror::Error;

/// A pattern Docker would reject.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("invalid pattern `{pattern}`: {reason}")]
pub struct PatternError {
    pub pattern: String,
    pub reason: String,
}

/// Which dialect a pattern is written in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialect {
    /// `.dockerignore`: `**` spans directories.
    Ignore,
    /// `COPY` sources and `filepath.Match`: `**` is just two `*`.
    Match,
}

/// Go's `filepath.Clean` for slash-separated paths: drops `.` and empty components, resolves
/// `..` against earlier components, keeps a leading `/`, and gives `.` for an empty result.
pub fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|last| *last != "..") => {
                parts.pop();
            }
            ".." if rooted => {}
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// One compiled `.dockerignore` line.
#[derive(Clone, Debug)]
struct IgnorePattern {
    regex: Arc<Regex>,
    exclusion: bool,
    /// The pattern as cleaned, without `!`.
    source: String,
}

/// The patterns of a `.dockerignore` file, evaluated like moby's `MatchesOrParentMatches`: the
/// last pattern that matches the path or one of its parent folders decides.
#[derive(Clone, Debug, Default)]
pub struct IgnorePatterns {
    patterns: Vec<IgnorePattern>,
}

impl IgnorePatterns {
    /// Reads the text of an ignore file: `#` comment lines and blank lines are skipped, lines
    /// are trimmed, `!` marks an exception, patterns are cleaned and a leading `/` dropped.
    pub fn parse(text: &str) -> Result<IgnorePatterns, PatternError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let patterns = text
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(normalise_line)
            .map(|(pattern, exclusion)| compile_ignore(&pattern, exclusion))
            .collect::<Result<_, _>>()?;
        Ok(IgnorePatterns { patterns })
    }

    /// True when there are no patterns.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// True when a pattern re-includes paths (`!pattern`).
    pub fn has_exceptions(&self) -> bool {
        self.patterns.iter().any(|pattern| pattern.exclusion)
    }

    /// Whether `path` (relative to the context, `/`-separated, already cleaned) is excluded.
    pub fn matches(&self, path: &str) -> bool {
        let parents = parent_prefixes(path);
        let mut matched = false;
        for pattern in &self.patterns {
            if pattern.exclusion != matched {
                continue;
            }
            let hit = pattern.regex.is_match(path)
                || parents.iter().any(|parent| pattern.regex.is_match(parent));
            if hit {
                matched = !pattern.exclusion;
            }
        }
        matched
    }

    /// Whether an exception (`!pattern`) may name a path inside the folder `folder` (relative,
    /// `/`-separated), judged from the patterns' text alone, for folders whose entries are not
    /// listed: its components match the folder's and it goes deeper, or a `**` may.
    pub fn may_reinclude_within(&self, folder: &str) -> bool {
        let folder: Vec<&str> = folder.split('/').collect();
        self.patterns
            .iter()
            .filter(|pattern| pattern.exclusion)
            .any(|pattern| {
                let components: Vec<&str> = pattern.source.split('/').collect();
                for (index, component) in components.iter().enumerate() {
                    if component.contains("**") {
                        return true;
                    }
                    let Some(name) = folder.get(index) else {
                        return true;
                    };
                    let matches =
                        ComponentGlob::new(component).map_or(true, |glob| glob.matches(name));
                    if !matches {
                        return false;
                    }
                }
                false
            })
    }

    /// Whether `path` is available and an exception (`!pattern`) names it — matches the path
    /// itself, not only a folder above it: the file keeps it on purpose, so a pattern added
    /// after the exceptions must not exclude it (nor a folder above it).
    pub fn reincludes(&self, path: &str) -> bool {
        self.patterns
            .iter()
            .any(|pattern| pattern.exclusion && pattern.regex.is_match(path))
            && !self.matches(path)
    }
}

/// Trims a line and splits off `!`; returns the cleaned pattern, or `None` for a blank line.
fn normalise_line(line: &str) -> Option<(String, bool)> {
    let line = line.trim();
    if line.is_empty() {
        return None;
    }
    let (exclusion, rest) = match line.strip_prefix('!') {
        Some(rest) => (true, rest.trim()),
        None => (false, line),
    };
    let mut pattern = clean(rest);
    if pattern.len() > 1 && pattern.starts_with('/') {
        pattern.remove(0);
    }
    Some((pattern, exclusion))
}

fn compile_ignore(pattern: &str, exclusion: bool) -> Result<IgnorePattern, PatternError> {
    Ok(IgnorePattern {
        regex: translate(pattern, Dialect::Ignore)?,
        exclusion,
        source: pattern.to_owned(),
    })
}

/// `a/b/c` → `["a", "a/b"]`: the folders above a path.
fn parent_prefixes(path: &str) -> Vec<&str> {
    path.match_indices('/')
        .map(|(index, _)| &path[..index])
        .collect()
}

/// A `COPY` source glob compiled with `filepath.Match` rules, matched one path component at a
/// time.
#[derive(Clone, Debug)]
pub struct ComponentGlob {
    /// The expression of a component with wildcards; a literal one is compared as it is.
    regex: Option<Arc<Regex>>,
    literal: Option<String>,
}

impl ComponentGlob {
    /// Compiles one path component of a glob.
    pub fn new(component: &str) -> Result<ComponentGlob, PatternError> {
        if !has_meta(component) {
            // Without `*`, `?`, `[` or `\` the expression would match the component only.
            return Ok(ComponentGlob {
                regex: None,
                literal: Some(component.to_owned()),
            });
        }
        Ok(ComponentGlob {
            regex: Some(translate(component, Dialect::Match)?),
            literal: None,
        })
    }

    /// The component itself when it has no wildcard or escape.
    pub fn literal(&self) -> Option<&str> {
        self.literal.as_deref()
    }

    /// Whether a file name matches.
    pub fn matches(&self, name: &str) -> bool {
        match (&self.regex, &self.literal) {
            (Some(regex), _) => regex.is_match(name),
            (None, literal) => literal.as_deref() == Some(name),
        }
    }
}

/// True when a glob uses `*`, `?`, `[` or `\`.
pub fn has_meta(pattern: &str) -> bool {
    pattern.contains(['*', '?', '[', '\\'])
}

/// Whether a whole `/`-separated path matches a `filepath.Match` pattern.
pub fn path_matches(pattern: &str, path: &str) -> Result<bool, PatternError> {
    Ok(translate(pattern, Dialect::Match)?.is_match(path))
}

/// A `filepath.Match` pattern as an anchored regular expression, to match many paths.
pub fn compile_match(pattern: &str) -> Result<Regex, PatternError> {
    translate(pattern, Dialect::Match).map(|regex| Regex::clone(&regex))
}

/// Translates a pattern into an anchored regular expression (compiled once per thread).
fn translate(pattern: &str, dialect: Dialect) -> Result<Arc<Regex>, PatternError> {
    let error = |reason: &str| PatternError {
        pattern: pattern.to_owned(),
        reason: reason.to_owned(),
    };
    let mut out = String::from("^");
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if dialect == Dialect::Ignore && chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                }
                out.push_str(if chars.peek().is_none() {
                    ".*"
                } else {
                    "(.*/)?"
                });
            }
            '*' => out.push_str("[^/]*"),
            '?' => out.push_str("[^/]"),
            '\\' => {
                let next = chars.next().ok_or_else(|| error("trailing backslash"))?;
                out.push_str(&regex::escape(&next.to_string()));
            }
            '[' => out.push_str(&class(&mut chars).ok_or_else(|| error("unclosed `[`"))?),
            other => out.push_str(&regex::escape(&other.to_string())),
        }
    }
    out.push('$');
    compiled(&out).map_err(|e| error(&e.to_string()))
}

/// How many compiled expressions a thread keeps before it starts over.
const COMPILED_LIMIT: usize = 4096;

/// The expression compiled once per thread: the same globs (the knowledge base's configuration
/// files, a project's `.dockerignore`) are asked of every Dockerfile, and compiling them was
/// most of a run over many small contexts (BENCHMARKS.md, issue 17).
/// Shared (`Arc`), not cloned: a cloned `Regex` builds its matching cache again on first use.
fn compiled(source: &str) -> Result<Arc<Regex>, regex::Error> {
    thread_local! {
        static COMPILED: RefCell<HashMap<String, Arc<Regex>>> = RefCell::new(HashMap::new());
    }
    COMPILED.with(|compiled| {
        if let Some(regex) = compiled.borrow().get(source) {
            return Ok(Arc::clone(regex));
        }
        let regex = Arc::new(Regex::new(source)?);
        let mut compiled = compiled.borrow_mut();
        if compiled.len() >= COMPILED_LIMIT {
            compiled.clear();
        }
        compiled.insert(source.to_owned(), Arc::clone(&regex));
        Ok(regex)
    })
}

/// Reads a character class after its `[` and returns it as regex syntax, each member escaped.
fn class(chars: &mut std::iter::Peekable<std::str::Chars>) -> Option<String> {
    let mut out = String::from("[");
    if chars.peek() == Some(&'^') {
        chars.next();
        out.push('^');
    }
    let mut first = true;
    loop {
        let c = chars.next()?;
        match c {
            ']' if !first => break,
            '-' if !first && chars.peek() != Some(&']') => out.push('-'),
            '\\' => out.push_str(&regex::escape(&chars.next()?.to_string())),
            other => out.push_str(&escape_in_class(other)),
        }
        first = false;
    }
    if out.ends_with('[') || out.ends_with("[^") {
        return None;
    }
    out.push(']');
    Some(out)
}

fn escape_in_class(c: char) -> String {
    if c.is_ascii_alphanumeric() || !c.is_ascii() {
        c.to_string()
    } else {
        format!("\\{c}")
    }
}
