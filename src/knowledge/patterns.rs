//! Patterns read from knowledge data, compiled when read: globs over names, regular
//! expressions over lines and whole tags.

use crate::context::pattern::{compile_match, has_meta, PatternError};
use regex::Regex;
use serde::Deserialize;

/// Whether any glob matches `name`.
pub(super) fn any_glob_matches(globs: &[NameGlob], name: &str) -> bool {
    globs.iter().any(|glob| glob.matches(name))
}

/// A `filepath.Match` glob over names (image names, package names), compiled when read.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "String")]
pub struct NameGlob {
    source: String,
    /// The expression of a glob with wildcards; a glob without any is compared as it is.
    regex: Option<Regex>,
}

impl NameGlob {
    /// Whether the whole name matches.
    pub fn matches(&self, name: &str) -> bool {
        match &self.regex {
            Some(regex) => regex.is_match(name),
            None => self.source == name,
        }
    }

    /// The glob as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl TryFrom<String> for NameGlob {
    type Error = PatternError;
    fn try_from(source: String) -> Result<Self, Self::Error> {
        // Without `*`, `?`, `[` or `\` the expression would match the glob's own text only.
        let regex = has_meta(&source)
            .then(|| compile_match(&source))
            .transpose()?;
        Ok(NameGlob { source, regex })
    }
}

/// A regular expression read from data, matched anywhere in a line.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "String")]
pub struct TextPattern(pub(super) Regex);

impl TextPattern {
    /// Whether the text contains a match.
    pub fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text)
    }

    /// Where each match in the text ends.
    pub fn match_ends<'s>(&'s self, text: &'s str) -> impl Iterator<Item = usize> + 's {
        self.0.find_iter(text).map(|found| found.end())
    }
}

impl TryFrom<String> for TextPattern {
    type Error = regex::Error;
    fn try_from(source: String) -> Result<Self, Self::Error> {
        Regex::new(&source).map(TextPattern)
    }
}

/// A regular expression read from data that must match a whole tag; the default matches any.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "String")]
pub struct TagPattern(Regex);

impl TagPattern {
    /// The anchored expression.
    pub fn regex(&self) -> &Regex {
        &self.0
    }
}

impl TryFrom<String> for TagPattern {
    type Error = regex::Error;
    fn try_from(source: String) -> Result<Self, Self::Error> {
        Regex::new(&format!("^(?:{source})$")).map(TagPattern)
    }
}

impl Default for TagPattern {
    fn default() -> Self {
        TagPattern(Regex::new("^.*$").unwrap_or_else(|_| unreachable!("a constant expression")))
    }
}
