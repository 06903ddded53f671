//! Build contexts declared by Bake files (`docker buildx bake`): the targets of
//! `docker-bake.hcl` and `docker-bake.json`, with their `.override` variants.
//!
//! Bake reads the files of the folder it runs in, the base files first and the override files
//! after them, merging each target's attributes (a later file's value wins). A target's
//! `context` is relative to that folder (default `.`) and its `dockerfile` relative to the
//! context (default `Dockerfile`); `inherits` takes the attributes a target does not set from
//! the targets it names, the later ones winning.
//!
//! Stated limitations, as for Compose: only literal strings are followed. A value with an
//! interpolation (`"${CONTEXT}"`), a variable, a function call or a `matrix`, a remote or
//! named context (`target:base`, `docker-image://…`, Git and HTTP URLs) and
//! `dockerfile-inline` leave that target out; `-f` files under other names are not looked for.

use super::compose::{normalize, ComposeBuild};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The Bake files Bake reads by default, in the order it merges them.
const BAKE_FILE_NAMES: [&str; 4] = [
    "docker-bake.json",
    "docker-bake.hcl",
    "docker-bake.override.json",
    "docker-bake.override.hcl",
];

/// What one target declares that decides its build: an attribute is `None` when the target
/// does not set it, `Some(None)` when it sets it to something other than a literal string.
#[derive(Clone, Debug, Default)]
struct TargetAttributes {
    context: Option<Option<String>>,
    dockerfile: Option<Option<String>>,
    inline: bool,
    matrix: bool,
    inherits: Vec<String>,
}

impl TargetAttributes {
    /// `later`'s attributes over these, as Bake merges a target declared in two files.
    fn merged_with(mut self, later: TargetAttributes) -> TargetAttributes {
        self.context = later.context.or(self.context);
        self.dockerfile = later.dockerfile.or(self.dockerfile);
        self.inline |= later.inline;
        self.matrix |= later.matrix;
        if !later.inherits.is_empty() {
            self.inherits = later.inherits;
        }
        self
    }
}

/// The Bake files of a folder, in the order Bake merges them.
pub(super) fn bake_files(folder: &Path) -> Vec<PathBuf> {
    BAKE_FILE_NAMES
        .iter()
        .map(|name| folder.join(name))
        .filter(|path| path.is_file())
        .collect()
}

/// The builds the Bake files of one folder declare (`files` from [`bake_files`]), and the
/// files that could not be read, each with why.
pub(super) fn read_bake_files(files: &[PathBuf]) -> (Vec<ComposeBuild>, Vec<String>) {
    let mut targets: BTreeMap<String, (TargetAttributes, PathBuf)> = BTreeMap::new();
    let mut problems = Vec::new();
    for file in files {
        match read_targets(file) {
            Ok(declared) => {
                for (name, attributes) in declared {
                    let merged = match targets.remove(&name) {
                        Some((earlier, _)) => earlier.merged_with(attributes),
                        None => attributes,
                    };
                    targets.insert(name, (merged, file.clone()));
                }
            }
            Err(problem) => problems.push(problem),
        }
    }
    let builds = targets
        .iter()
        .filter_map(|(name, (_, file))| build_of(name, &targets, file))
        .collect();
    (builds, problems)
}

/// The build of one target, its inherited attributes filled in, when it is local and literal.
fn build_of(
    name: &str,
    targets: &BTreeMap<String, (TargetAttributes, PathBuf)>,
    file: &Path,
) -> Option<ComposeBuild> {
    let attributes = resolved(name, targets, &mut HashSet::new())?;
    if attributes.inline || attributes.matrix {
        return None;
    }
    let context = attributes.context.unwrap_or(Some(".".to_owned()))?;
    let dockerfile = attributes
        .dockerfile
        .unwrap_or(Some("Dockerfile".to_owned()))?;
    if !is_local_path(&context) || !is_local_path(&dockerfile) {
        return None;
    }
    let folder = file.parent().unwrap_or(Path::new("."));
    let context = normalize(&folder.join(context));
    Some(ComposeBuild {
        dockerfile: normalize(&context.join(dockerfile)),
        context,
        service: name.to_owned(),
        compose_file: file.to_owned(),
    })
}

/// A target's attributes over those of the targets it inherits, in order (a later one's
/// win); `None` for an unknown target or a cycle.
fn resolved(
    name: &str,
    targets: &BTreeMap<String, (TargetAttributes, PathBuf)>,
    visiting: &mut HashSet<String>,
) -> Option<TargetAttributes> {
    if !visiting.insert(name.to_owned()) {
        return None;
    }
    let (own, _) = targets.get(name)?;
    let mut inherited = TargetAttributes::default();
    for parent in &own.inherits {
        inherited = inherited.merged_with(resolved(parent, targets, visiting)?);
    }
    visiting.remove(name);
    let own = TargetAttributes {
        inherits: Vec::new(),
        ..own.clone()
    };
    Some(inherited.merged_with(own))
}

/// A path on this machine: not a URL, a named context or an image.
fn is_local_path(path: &str) -> bool {
    !path.is_empty()
        && !path.contains("://")
        && !path.starts_with("target:")
        && !path.starts_with("git@")
        && !path.starts_with("github.com/")
}

/// The targets one Bake file declares, by name, or why it cannot be read.
fn read_targets(file: &Path) -> Result<Vec<(String, TargetAttributes)>, String> {
    let text = fs::read_to_string(file)
        .map_err(|error| format!("{}: cannot read: {error}", file.display()))?;
    let is_json = file
        .extension()
        .is_some_and(|extension| extension == "json");
    if is_json {
        json_targets(&text).map_err(|error| {
            format!(
                "{}:{}: not valid JSON ({error}); its build contexts are not used",
                file.display(),
                error.line()
            )
        })
    } else {
        hcl_targets(&text).map_err(|error| {
            format!(
                "{}{}: not valid HCL ({}); its build contexts are not used",
                file.display(),
                hcl_location(&error),
                hcl_message(&error)
            )
        })
    }
}

/// The `target "NAME" { … }` blocks of an HCL Bake file.
fn hcl_targets(text: &str) -> Result<Vec<(String, TargetAttributes)>, hcl::Error> {
    let body = hcl::parse(text)?;
    Ok(body
        .blocks()
        .filter(|block| block.identifier() == "target")
        .filter_map(|block| {
            let [label] = block.labels() else {
                return None;
            };
            let mut attributes = TargetAttributes::default();
            for attribute in block.body().attributes() {
                let value = attribute.expr();
                let literal = || match value {
                    hcl::Expression::String(text) => Some(text.clone()),
                    _ => None,
                };
                match attribute.key() {
                    "context" => attributes.context = Some(literal()),
                    "dockerfile" => attributes.dockerfile = Some(literal()),
                    "dockerfile-inline" => attributes.inline = true,
                    "matrix" => attributes.matrix = true,
                    "inherits" => attributes.inherits = hcl_strings(value),
                    _ => {}
                }
            }
            Some((label.as_str().to_owned(), attributes))
        })
        .collect())
}

/// The literal strings of an HCL array (a target's `inherits`); an element that is not one
/// stands for a target that cannot be known.
fn hcl_strings(value: &hcl::Expression) -> Vec<String> {
    let hcl::Expression::Array(items) = value else {
        return vec![String::new()];
    };
    items
        .iter()
        .map(|item| match item {
            hcl::Expression::String(text) => text.clone(),
            _ => String::new(),
        })
        .collect()
}

/// `:LINE:COLUMN` of an HCL syntax error, when it has one.
fn hcl_location(error: &hcl::Error) -> String {
    match error {
        hcl::Error::Parse(parse) => {
            let location = parse.location();
            format!(":{}:{}", location.line(), location.column())
        }
        _ => String::new(),
    }
}

/// An HCL error's message without the source excerpt `Display` adds.
fn hcl_message(error: &hcl::Error) -> String {
    match error {
        hcl::Error::Parse(parse) => parse.message().to_owned(),
        other => other.to_string(),
    }
}

/// The `"target": {"NAME": {…}}` entries of a JSON Bake file.
fn json_targets(text: &str) -> Result<Vec<(String, TargetAttributes)>, serde_json::Error> {
    let document: Value = serde_json::from_str(text)?;
    let Some(Value::Object(targets)) = document.get("target") else {
        return Ok(Vec::new());
    };
    Ok(targets
        .iter()
        .filter_map(|(name, target)| {
            let Value::Object(target) = target else {
                return None;
            };
            let literal = |key: &str| {
                target.get(key).map(|value| {
                    value
                        .as_str()
                        .filter(|text| !text.contains("${"))
                        .map(str::to_owned)
                })
            };
            let inherits = match target.get("inherits") {
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|item| item.as_str().unwrap_or_default().to_owned())
                    .collect(),
                Some(_) => vec![String::new()],
                None => Vec::new(),
            };
            let attributes = TargetAttributes {
                context: literal("context"),
                dockerfile: literal("dockerfile"),
                inline: target.contains_key("dockerfile-inline"),
                matrix: target.contains_key("matrix"),
                inherits,
            };
            Some((name.clone(), attributes))
        })
        .collect())
}

#[cfg(test)]
mod tests;
