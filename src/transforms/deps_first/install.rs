//! The install deps-first moves: the RUN command a profile matched after the whole-context
//! COPY, what it reads, and whether the projects it names are among the files copied first.

use crate::knowledge::{CommandMatch, Needs, ProjectPath};
use crate::model::Script;
use std::path::PathBuf;

/// The install found after the whole-context copy.
pub(super) struct Install<'a, 'p> {
    pub(super) run_at: usize,
    pub(super) script: Script<'p>,
    pub(super) command_index: usize,
    pub(super) found: CommandMatch<'a>,
    /// Package names that are also paths in the build context (`pip install app` next to a
    /// folder `app`): the command may install those rather than packages of the index.
    pub(super) local_names: Vec<String>,
}

impl Install<'_, '_> {
    /// What the install reads: a command that installs named packages reads nothing unless a
    /// name is a path in the build context.
    pub(super) fn needs(&self) -> Needs {
        match self.found.needs() {
            Needs::Nothing | Needs::Manifests if !self.local_names.is_empty() => Needs::Sources,
            Needs::Nothing if self.found.dynamic => Needs::Sources,
            needs => needs,
        }
    }

    /// Why it needs the sources, for messages.
    pub(super) fn why_sources(&self) -> String {
        if let Some(name) = self.local_names.first() {
            return format!(
                "`{name}` is a path in the build context's copy, which {} may install from",
                self.found.program
            );
        }
        if self.found.needs() == Needs::Nothing && self.found.dynamic {
            return "a variable or glob in it may name a local path".to_owned();
        }
        self.found
            .rule
            .note
            .clone()
            .unwrap_or_else(|| "it reads the sources".to_owned())
    }
}

/// A dependency install after the whole-context copy, or only installs of named packages.
pub(super) enum Found<'a, 'p> {
    /// The first install that reads dependency files (or the sources).
    Install(Install<'a, 'p>),
    /// No such install, but a `RUN` installing packages by name, which reads nothing from the
    /// build context.
    Named(Install<'a, 'p>),
}

/// Every project the dependency-only step reads (`before`, the technique's command, when it
/// holds the word; the install itself otherwise) is among the files copied first: a named
/// file, or a named folder holding one of them.
pub(super) fn named_projects_copied(
    projects: &[(ProjectPath, String)],
    files: &[PathBuf],
    before: Option<&str>,
) -> Result<(), String> {
    for (project, relative) in projects {
        if relative.is_empty() || before.is_some_and(|text| !text.contains(&project.written)) {
            continue;
        }
        let copied = files.iter().any(|file| {
            let file = file.to_string_lossy();
            *file == **relative
                || file.starts_with(&format!("{relative}/"))
                || relative.starts_with(&format!("{file}/"))
        });
        if !copied {
            let names: Vec<String> = files
                .iter()
                .map(|f| f.to_string_lossy().into_owned())
                .collect();
            return Err(format!(
                "`{}` reads {relative}, and none of the dependency files copied first ({}) is there",
                project.written,
                names.join(", ")
            ));
        }
    }
    Ok(())
}
