//! The programs `go install` makes, named after the packages it builds (an artifact's names).

use crate::context::{go_packages, ContextFiles};

/// The programs `go install PATTERNS` makes, as far as the build context shows: the last
/// element of each package path (`./cmd/api` → `api`), the folders holding Go files under a
/// `./x/...` pattern, and the module's name for `.` (a `/vN` suffix skipped). Patterns are read
/// relative to the context root, where `COPY . .` puts them.
pub(super) fn go_program_names(positionals: &[String], context: &dyn ContextFiles) -> Vec<String> {
    let patterns: Vec<&str> = if positionals.is_empty() {
        vec!["."]
    } else {
        positionals.iter().map(String::as_str).collect()
    };
    // The folders holding Go files, listed once and only for a `...` pattern.
    let mut go_folders: Option<std::collections::BTreeSet<String>> = None;
    let mut names = Vec::new();
    for pattern in patterns {
        let trimmed = pattern.trim_start_matches("./");
        match trimmed.strip_suffix("...") {
            Some(prefix) => {
                let prefix = prefix.trim_end_matches('/');
                let folders =
                    go_folders.get_or_insert_with(|| go_packages::folders_with_go_files(context));
                let below = folders.iter().filter(|folder| {
                    prefix.is_empty()
                        || *folder == prefix
                        || folder.starts_with(&format!("{prefix}/"))
                });
                for folder in below {
                    match folder.rsplit('/').next().filter(|name| !name.is_empty()) {
                        Some(name) => names.push(name.to_owned()),
                        None => names.extend(go_module_name(context)),
                    }
                }
            }
            None if matches!(trimmed, "" | ".") => names.extend(go_module_name(context)),
            None => names.extend(
                trimmed
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .map(str::to_owned),
            ),
        }
    }
    names.sort();
    names.dedup();
    names
}

/// The program name of the module in the context's `go.mod`: its path's last element, or the
/// one before a major version suffix (`example.com/tool/v2` → `tool`).
fn go_module_name(context: &dyn ContextFiles) -> Option<String> {
    let path = go_packages::module_path(context)?;
    let mut elements = path.rsplit('/');
    let last = elements.next()?;
    let is_major =
        last.len() > 1 && last.starts_with('v') && last[1..].chars().all(|c| c.is_ascii_digit());
    Some(if is_major { elements.next()? } else { last }.to_owned())
}
