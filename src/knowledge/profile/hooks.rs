//! What the build context shows for a profile's hooks (`[[hooks]]`, `[[runtime.hooks]]`): the
//! files present, the JSON and TOML keys they set, the lines matching a pattern.

use super::{Hook, TextPattern};
use crate::context::manifests::{json_lookup, toml_lookup};
use crate::context::ContextFiles;
use std::path::Path;

/// The hook's findings, each as `why (file: detail)` when the hook says why: for messages.
pub(super) fn hook_findings_explained(hook: &Hook, context: &dyn ContextFiles) -> Vec<String> {
    let found = hook_findings(hook, context);
    match &hook.why {
        Some(why) => found
            .into_iter()
            .map(|found| format!("{why} ({found})"))
            .collect(),
        None => found,
    }
}

pub(super) fn hook_findings(hook: &Hook, context: &dyn ContextFiles) -> Vec<String> {
    context
        .glob(&hook.file)
        .into_iter()
        .flat_map(|path| {
            let name = path.to_string_lossy().into_owned();
            file_findings(hook, context, &path)
                .into_iter()
                .map(move |detail| format!("{name}: {detail}"))
        })
        .collect()
}

/// What one file shows for a hook.
fn file_findings(hook: &Hook, context: &dyn ContextFiles, path: &Path) -> Vec<String> {
    let inspects = !hook.json.is_empty() || !hook.toml.is_empty() || hook.line.is_some();
    if !inspects {
        return vec![hook.why.clone().unwrap_or_else(|| "present".to_owned())];
    }
    let text = match context.read_to_string(path) {
        Ok(text) => text,
        Err(error) => return vec![format!("unreadable ({error})")],
    };
    let mut found = Vec::new();
    found.extend(json_keys(&hook.json, &text));
    found.extend(toml_keys(&hook.toml, &text));
    if let Some(line) = &hook.line {
        found.extend(matching_lines(line, &text));
    }
    found
}

fn json_keys(keys: &[String], text: &str) -> Vec<String> {
    if keys.is_empty() {
        return Vec::new();
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => keys
            .iter()
            .filter(|key| json_lookup(&value, key).is_some())
            .cloned()
            .collect(),
        Err(error) => vec![format!("invalid JSON ({error})")],
    }
}

fn toml_keys(keys: &[String], text: &str) -> Vec<String> {
    if keys.is_empty() {
        return Vec::new();
    }
    match text.parse::<toml::Table>() {
        Ok(table) => keys
            .iter()
            .filter(|key| toml_lookup(&table, key).is_some())
            .cloned()
            .collect(),
        Err(error) => vec![format!("invalid TOML ({})", error.message())],
    }
}

fn matching_lines(pattern: &TextPattern, text: &str) -> Vec<String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| pattern.is_match(line))
        .map(|(index, line)| format!("line {}: {}", index + 1, line.trim()))
        .collect()
}
