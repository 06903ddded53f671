//! `{name}` placeholders in the templates of the knowledge data (split commands, artifact
//! paths, runtime images).

/// The `{name}` placeholders of a template.
pub(super) fn placeholders(template: &str) -> Vec<&str> {
    template
        .split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name))
        .filter(|name| !name.is_empty())
        .collect()
}

/// Replaces each `{name}` for which `value` gives a string; other text is kept.
pub(super) fn fill_template(
    template: &str,
    mut value: impl FnMut(&str) -> Option<String>,
) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let filled = after
            .find('}')
            .filter(|close| *close > 0)
            .and_then(|close| Some((close, value(&after[..close])?)));
        match filled {
            Some((close, filled)) => {
                out.push_str(&filled);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}
