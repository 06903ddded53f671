//! A Cargo workspace's members, as the root manifest names them (`[workspace]` `members`, globs
//! matched against the build context's folders, without the `exclude`d ones), and context paths
//! read from a package folder. Shared by deps-first's stubs and narrow-copy.

use crate::context::ContextFiles;
use toml::{Table, Value};

/// One `members` entry and the context folders it names (relative to the context root, never
/// the root itself), without the excluded ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberPattern {
    pub pattern: String,
    pub folders: Vec<String>,
}

/// The `members` entries of the root manifest's `workspace` table (none without the table). A
/// glob names the folders it matches; a plain path names itself, whether or not it exists. An
/// entry outside the context is the error.
pub fn members(root: &Table, context: &dyn ContextFiles) -> Result<Vec<MemberPattern>, String> {
    let Some(workspace) = root.get("workspace") else {
        return Ok(Vec::new());
    };
    let list = |key: &str| -> Vec<&str> {
        workspace
            .get(key)
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    };
    let excluded: Vec<String> = list("exclude")
        .into_iter()
        .filter_map(|path| relative("", path))
        .collect();
    let mut members = Vec::new();
    for written in list("members") {
        let pattern = relative("", written).ok_or_else(|| written.to_owned())?;
        let matched: Vec<String> = match pattern.contains(['*', '?', '[']) {
            true => context
                .glob(&pattern)
                .into_iter()
                .filter(|path| context.is_dir(path))
                .filter_map(|path| path.to_str().map(str::to_owned))
                .collect(),
            false => vec![pattern],
        };
        members.push(MemberPattern {
            pattern: written.to_owned(),
            folders: matched
                .into_iter()
                .filter(|member| !member.is_empty() && !excluded.contains(member))
                .collect(),
        });
    }
    Ok(members)
}

/// `path` (relative) read from the context folder `folder`, normalized; `None` when it is
/// absolute or leaves the context.
pub fn relative(folder: &str, path: &str) -> Option<String> {
    if path.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = folder.split('/').filter(|p| !p.is_empty()).collect();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// `name` in the context folder `folder` (`""` for the root).
pub fn joined(folder: &str, name: &str) -> String {
    match folder {
        "" => name.to_owned(),
        folder => format!("{folder}/{name}"),
    }
}
