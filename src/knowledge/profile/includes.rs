//! The files an install reads through the profile's `[includes]` (`pip install -r
//! requirements.txt`): the files the command names and the files those name in turn, and
//! the local paths among their requirements.

use super::{Profile, ReadFiles};
use crate::context::ContextFiles;
use crate::knowledge::command::{option_values, CommandMatch};
use crate::model::paths::{is_within, normalize, resolve};
use std::collections::VecDeque;
use std::path::Path;

/// [`Profile::files_read`].
pub(super) fn files_read(
    profile: &Profile,
    found: &CommandMatch,
    context: &dyn ContextFiles,
    cwd: &str,
    target: &str,
) -> Option<ReadFiles> {
    let includes = profile.includes.as_ref()?;
    let named = option_values(&found.option_values, &includes.options);
    if named.is_empty() {
        return None;
    }
    let local = profile.local_paths.clone().unwrap_or_default();
    let mut read = ReadFiles::default();
    let mut queue: VecDeque<(String, String, String)> = named
        .into_iter()
        .map(|value| (value.to_owned(), cwd.to_owned(), "the command".to_owned()))
        .collect();
    while let Some((value, folder, by)) = queue.pop_front() {
        if value.contains("://") {
            // A URL: fetched, not read from the build context.
            continue;
        }
        if value.contains('$') {
            read.unknown
                .push(format!("{by} names `{value}` through a variable"));
            continue;
        }
        let image_path = resolve(&folder, &value);
        if !is_within(target, &image_path) || normalize(target) == image_path {
            read.unknown.push(format!(
                "{by} names {image_path}, which the copy of the build context does not provide"
            ));
            continue;
        }
        let relative = image_path[normalize(target).len()..]
            .trim_start_matches('/')
            .to_owned();
        if read.files.contains(&relative) {
            continue;
        }
        let path = Path::new(&relative);
        if !context.is_available(path) || context.is_dir(path) {
            let missing = format!("{relative} (named by {by})");
            if !read.missing.contains(&missing) {
                read.missing.push(missing);
            }
            continue;
        }
        read.files.push(relative.clone());
        let text = match context.read_to_string(path) {
            Ok(text) => text,
            Err(error) => {
                read.unknown
                    .push(format!("{relative} cannot be read ({error})"));
                continue;
            }
        };
        let here = image_path
            .rsplit_once('/')
            .map_or(
                "/",
                |(parent, _)| if parent.is_empty() { "/" } else { parent },
            )
            .to_owned();
        for (number, line) in requirement_lines(&text) {
            let words: Vec<String> = line
                .split_whitespace()
                .map(|w| w.trim_matches(|c| c == '"' || c == '\'').to_owned())
                .collect();
            let Some(first) = words.first() else { continue };
            let at = format!("{relative} line {number}");
            let included = option_values(&words, &includes.options);
            // A local path in the copy of the build context (relative paths are read from
            // the install's folder, where the context is copied).
            let in_copy = |path: String| !path.starts_with('/') || is_within(target, &path);
            if first.starts_with('-') {
                if let Some(value) = included.first() {
                    queue.push_back(((*value).to_owned(), here.clone(), at));
                } else if local
                    .option_values(&words)
                    .iter()
                    .filter_map(|value| local.local_path(value))
                    .any(in_copy)
                {
                    read.local.push(format!("{at} (`{line}`)"));
                }
                continue;
            }
            // A requirement: up to its environment markers and per-line options.
            let requirement = line.split(';').next().unwrap_or(&line);
            let requirement = requirement.split(" -").next().unwrap_or(requirement);
            if local.local_path(requirement).is_some_and(in_copy) {
                read.local.push(format!("{at} (`{line}`)"));
            }
        }
    }
    Some(read)
}

/// The logical lines of a requirements file with their first physical line number: lines
/// ending in `\\` joined to the next, comments (`#` at the start or after a blank) removed,
/// blank lines skipped.
fn requirement_lines(text: &str) -> Vec<(usize, String)> {
    let mut lines = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (index, physical) in text.lines().enumerate() {
        let physical = physical.strip_suffix('\r').unwrap_or(physical);
        let (start, mut joined) = current.take().unwrap_or((index + 1, String::new()));
        match physical.strip_suffix('\\') {
            Some(continued) => {
                joined.push_str(continued);
                current = Some((start, joined));
            }
            None => {
                joined.push_str(physical);
                lines.push((start, joined));
            }
        }
    }
    lines.extend(current);
    lines
        .into_iter()
        .filter_map(|(number, line)| {
            let code = match line.find('#') {
                Some(0) => "",
                Some(at) if line[..at].ends_with(char::is_whitespace) => &line[..at],
                _ => &line,
            };
            let code = code.trim();
            (!code.is_empty()).then(|| (number, code.to_owned()))
        })
        .collect()
}
