//! The one ignore file the transforms that exclude build context paths write to, and its new
//! content: their entries appended, each group under a `# title` comment line.
//!
//! Which file: the one the build reads now (`<Dockerfile>.dockerignore`, else the context's
//! `.dockerignore`), when only this Dockerfile reads it; else a new one. A new `.dockerignore` is
//! made at the context root when the Dockerfile is in that folder and no other Dockerfile there
//! (nor of the run) builds from the context without an ignore file of its own; otherwise
//! `<Dockerfile>.dockerignore` beside the Dockerfile, which BuildKit reads for that Dockerfile
//! instead of `.dockerignore` (so it starts with a copy of `.dockerignore`'s patterns). Other
//! Dockerfiles of the context never see their ignore file change.

use crate::context::{is_dockerfile_name, BuildContext, IgnoreFilePaths, PendingFiles};
use crate::diagnostics::FileChange;
use crate::transforms::Context;
use std::path::{Path, PathBuf};

/// Where the excluded entries go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoreTarget {
    /// The file.
    pub path: PathBuf,
    /// What it holds now (`None`: it is created).
    pub replaces: Option<String>,
    /// What the new content starts with: the file's text, or the copied `.dockerignore`.
    prefix: String,
    /// How the message names the change.
    pub action: Action,
}

/// What happens to the ignore file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Entries are added to the file the build reads (its name).
    Append(String),
    /// `.dockerignore` is created at the context root.
    CreateShared,
    /// `<Dockerfile>.dockerignore` is created (its name), with a copy of `.dockerignore` when
    /// there is one.
    CreateOwn { name: String, copies_shared: bool },
}

/// One group of entries written under a comment line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub title: String,
    pub entries: Vec<String>,
}

impl IgnoreTarget {
    /// The ignore file for the Dockerfile of `context`; `None` without a Dockerfile path or a
    /// build context folder.
    pub fn of(context: &Context, build: &BuildContext) -> Option<IgnoreTarget> {
        let dockerfile = context.path?;
        let dir = context.build_context?;
        let paths = IgnoreFilePaths::of(dir, Some(dockerfile));
        let own = paths.own.clone()?;
        let own_name = file_name(&own);
        let pending = context.pending.cloned().unwrap_or_default();
        let sole_reader =
            || sole_reader_of_shared(dockerfile, dir, context.other_dockerfiles, &pending);
        let text = build.ignore_text().unwrap_or_default().to_owned();
        match build.ignore_file() {
            Some(file) if file == own || sole_reader() => Some(IgnoreTarget {
                path: file.to_owned(),
                replaces: Some(text.clone()),
                prefix: text,
                action: Action::Append(file_name(file)),
            }),
            Some(_) => Some(IgnoreTarget {
                path: own,
                replaces: None,
                prefix: copied_shared(&text, &file_name(dockerfile)),
                action: Action::CreateOwn {
                    name: own_name,
                    copies_shared: true,
                },
            }),
            None if sole_reader() => Some(IgnoreTarget {
                path: paths.shared,
                replaces: None,
                prefix: String::new(),
                action: Action::CreateShared,
            }),
            None => Some(IgnoreTarget {
                path: own,
                replaces: None,
                prefix: String::new(),
                action: Action::CreateOwn {
                    name: own_name,
                    copies_shared: false,
                },
            }),
        }
    }

    /// The change that adds `blocks` to the file.
    pub fn change(&self, blocks: &[Block]) -> FileChange {
        FileChange {
            path: self.path.clone(),
            replaces: self.replaces.clone(),
            content: appended(&self.prefix, blocks),
        }
    }
}

/// The `.dockerignore` pattern that matches exactly the entry named `name` (one component):
/// the characters patterns give a meaning (`*`, `?`, `[`, `\`) escaped, and a leading `#` or `!`
/// too, which would start a comment or an exception.
pub fn pattern_for_name(name: &str) -> String {
    let mut pattern = String::with_capacity(name.len());
    for (index, character) in name.chars().enumerate() {
        let special = matches!(character, '*' | '?' | '[' | '\\')
            || (index == 0 && matches!(character, '#' | '!'));
        if special {
            pattern.push('\\');
        }
        pattern.push(character);
    }
    pattern
}

/// The pattern that matches exactly the context path `path` (`/`-separated).
pub fn pattern_for_path(path: &str) -> String {
    path.split('/')
        .map(pattern_for_name)
        .collect::<Vec<_>>()
        .join("/")
}

/// `prefix` followed by each block (a `# title` line, then its entries), one blank line
/// between what was there and what is added; in the prefix's line endings.
fn appended(prefix: &str, blocks: &[Block]) -> String {
    let newline = if prefix.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let mut out = prefix.to_owned();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push_str(newline);
    }
    if !out.trim().is_empty() {
        out.push_str(newline);
    }
    for block in blocks {
        out.push_str(&format!("# {}{newline}", block.title));
        for entry in &block.entries {
            out.push_str(entry);
            out.push_str(newline);
        }
    }
    out
}

/// The start of a Dockerfile's own ignore file made from the context's `.dockerignore`: a line
/// saying why, then its patterns.
fn copied_shared(shared: &str, dockerfile: &str) -> String {
    let newline = if shared.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    format!(
        "# BuildKit reads this file instead of .dockerignore when it builds {dockerfile}: .dockerignore's patterns, then the additions.{newline}{shared}"
    )
}

/// Whether the Dockerfile is in its context's root folder and is the only Dockerfile that would
/// read a `.dockerignore` at that root. `others`, from a run of the CLI, are the other readers
/// as the run knew them when it started (so a file the run writes beside one of them changes
/// nothing); without a run, a Dockerfile beside this one reads it unless it has an ignore file
/// of its own.
fn sole_reader_of_shared(
    dockerfile: &Path,
    dir: &Path,
    others: Option<&[PathBuf]>,
    pending: &PendingFiles,
) -> bool {
    let folder = folder_of(dockerfile);
    if !same_folder(&folder, dir) {
        return false;
    }
    if let Some(others) = others {
        return others.is_empty();
    }
    let has_own = |other: &Path| {
        IgnoreFilePaths::of(dir, Some(other))
            .own
            .is_some_and(|own| pending.contains_key(&own) || own.is_file())
    };
    let name = file_name(dockerfile);
    let siblings = std::fs::read_dir(&folder)
        .map(|listing| {
            listing
                .filter_map(Result::ok)
                .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
                .filter_map(|entry| entry.file_name().into_string().ok())
                .filter(|sibling| *sibling != name && is_dockerfile_name(sibling))
                .map(|sibling| folder.join(sibling))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    siblings.iter().all(|other| has_own(other))
}

fn folder_of(file: &Path) -> PathBuf {
    file.parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_owned)
}

/// Whether two folder paths name the same folder.
fn same_folder(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |name| name.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_names_literally() {
        assert_eq!(pattern_for_name("node_modules"), "node_modules");
        assert_eq!(pattern_for_name("a[1]*.swp"), "a\\[1]\\*.swp");
        assert_eq!(pattern_for_path("#x/!y"), "\\#x/\\!y");
    }

    #[test]
    fn blocks_follow_the_text_after_a_blank_line_in_its_line_endings() {
        let blocks = [Block {
            title: "version control".to_owned(),
            entries: vec![".git".to_owned()],
        }];
        assert_eq!(appended("", &blocks), "# version control\n.git\n");
        assert_eq!(
            appended("*.log", &blocks),
            "*.log\n\n# version control\n.git\n"
        );
        assert_eq!(
            appended("a\r\n", &blocks),
            "a\r\n\r\n# version control\r\n.git\r\n"
        );
    }
}
