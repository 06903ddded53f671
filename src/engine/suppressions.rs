//! Comments that steer the engine: `# dfmigrate: skip-file` before the first instruction, and
//! `# dfmigrate: ignore[=IDS]` in the comment block directly above an instruction.

use crate::diagnostics::Finding;
use crate::syntax::{Parse, TextRange, TokenKind};

/// What a `# dfmigrate:` comment asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Directive {
    SkipFile,
    IgnoreAll,
    Ignore(Vec<String>),
}

/// Parses a comment line as a `# dfmigrate: ...` directive.
pub(super) fn directive(comment: &str) -> Option<Directive> {
    let body = comment.trim().strip_prefix('#')?.trim_start();
    let command = body.strip_prefix("dfmigrate:")?.trim();
    match command {
        "skip-file" => Some(Directive::SkipFile),
        "ignore" => Some(Directive::IgnoreAll),
        _ => {
            let ids = command
                .strip_prefix("ignore")?
                .trim_start()
                .strip_prefix('=')?;
            let ids = ids
                .split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .collect();
            Some(Directive::Ignore(ids))
        }
    }
}

/// True when a `# dfmigrate: skip-file` comment comes before the first instruction.
pub(super) fn has_skip_file(parse: &Parse) -> bool {
    let first_instruction = parse
        .instructions
        .first()
        .map_or(usize::MAX, |instruction| instruction.range.start);
    parse
        .tree
        .root()
        .child_tokens()
        .filter(|token| token.kind == TokenKind::Comment && token.range.start < first_instruction)
        .any(|token| directive(parse.tree.token_text(token)) == Some(Directive::SkipFile))
}

/// The inline suppressions of one parse: for each instruction, what its comments silence.
pub(super) struct Suppressions {
    /// (instruction range, directive), in file order.
    rules: Vec<(TextRange, Directive)>,
}

impl Suppressions {
    /// Reads the comment lines directly above each instruction (no blank line between).
    pub(super) fn of(parse: &Parse) -> Suppressions {
        let text = parse.text();
        let mut rules = Vec::new();
        let mut previous_end_line = 0;
        for instruction in &parse.instructions {
            let mut line = instruction.start_line;
            while line > previous_end_line + 1 {
                line -= 1;
                let Some(content) = line_text(parse, text, line) else {
                    break;
                };
                if !content.trim_start().starts_with('#') {
                    break;
                }
                if let Some(found) = directive(content) {
                    rules.push((instruction.range, found));
                }
            }
            previous_end_line = instruction.end_line;
        }
        Suppressions { rules }
    }

    pub(super) fn silences(&self, finding: &Finding) -> bool {
        self.rules.iter().any(|(range, rule)| {
            range.start <= finding.range.start
                && finding.range.start < range.end
                && match rule {
                    Directive::IgnoreAll => true,
                    Directive::Ignore(ids) => ids.iter().any(|id| id == finding.transform),
                    Directive::SkipFile => false,
                }
        })
    }
}

/// The text of a 1-based line without its line break.
fn line_text<'t>(parse: &Parse, text: &'t str, line: usize) -> Option<&'t str> {
    let start = parse.line_index.line_start(line)?;
    let end = parse.line_index.line_start(line + 1).unwrap_or(text.len());
    Some(text[start..end].trim_end_matches(['\n', '\r']))
}
