//! How deps-first moves an install before the sources: the files copied first, the
//! dependency-only technique and where it runs, the settings that move with it, the projects
//! the command names, and the risks that make the fix unsafe.

use super::install::{named_projects_copied, Install};
use super::{edits, StageView};
use crate::diagnostics::Edit;
use crate::knowledge::{Needs, ProjectPath};
use crate::model::paths::{is_within, normalize, resolve};
use crate::model::Instruction;
use crate::syntax::InstructionKind;
use std::path::PathBuf;

impl<'p> StageView<'_, 'p> {
    /// How to install the dependencies first, or why it cannot be done.
    pub(super) fn plan(&self, install: &Install) -> Result<Plan, String> {
        let copy = self.copy();
        let copy_line = copy.start_line();
        let args = copy.copy_args().ok_or("the COPY cannot be read")?;
        let flags = copy.flags();
        if flags
            .iter()
            .any(|f| matches!(f.name.to_ascii_lowercase().as_str(), "exclude" | "parents"))
        {
            return Err(format!(
                "the COPY on line {copy_line} uses --exclude or --parents"
            ));
        }
        if copy.mentions_variable() {
            return Err(format!("the COPY on line {copy_line} uses a variable"));
        }
        let destination = args.destination.value.trim_matches('"').to_owned();
        let copy_workdir = self
            .workdir_before(self.copy_at)
            .ok_or("a WORKDIR uses a variable")?;
        let target = resolve(&copy_workdir, &destination);
        let run_cwd = self.install_cwd(install)?;
        if normalize(&run_cwd) != normalize(&target) {
            return Err(format!(
                "it runs in {}, not where the COPY puts the build context ({})",
                shown(&run_cwd),
                shown(&target)
            ));
        }
        if install.found.dynamic {
            return Err("the command uses a variable or a glob".to_owned());
        }
        let projects = self.named_projects(install, &run_cwd, &target)?;
        let profile = install.found.profile;
        let mut risks: Vec<String> = Vec::new();
        // What a technique's step reads besides the files the command names.
        let technique_reads: Vec<PathBuf> = match install.needs() {
            Needs::Sources => (install.found.rule.split.iter())
                .flat_map(|split| &split.reads)
                .flat_map(|glob| self.context.glob(glob))
                .collect(),
            _ => Vec::new(),
        };
        let mut files: Vec<PathBuf> =
            match profile.files_read(&install.found, self.context, &run_cwd, &target) {
                // The command names the files it reads: exactly those, and the config files.
                Some(read) => {
                    if let Some(local) = read.local.first() {
                        return Err(format!(
                            "{local} installs from a local path, so it needs the sources"
                        ));
                    }
                    if let Some(missing) = read.missing.first() {
                        return Err(format!(
                            "{missing} is not in the build context (or .dockerignore excludes it)"
                        ));
                    }
                    risks.extend(
                        read.unknown
                            .iter()
                            .map(|why| format!("{why}, so what it reads is unknown")),
                    );
                    let mut files: Vec<PathBuf> = read.files.iter().map(PathBuf::from).collect();
                    for path in self.config_files(profile) {
                        if !files.contains(&path) {
                            files.push(path);
                        }
                    }
                    files
                }
                None if !technique_reads.is_empty() => self.config_files(profile),
                None => {
                    risks.extend(
                        profile
                            .hooks_present(self.context)
                            .into_iter()
                            .map(|hook| format!("{hook} may read other files during the install")),
                    );
                    profile.dependency_files(self.context)
                }
            };
        for path in technique_reads.into_iter().rev() {
            if !files.contains(&path) {
                files.insert(0, path);
            }
        }
        if files.is_empty() {
            return Err("none of its dependency files is in the build context".to_owned());
        }
        let split = match install.needs() {
            Needs::Sources => Some(
                install
                    .found
                    .split(self.context)
                    .map_err(|_| "it needs the sources")?,
            ),
            _ => None,
        };
        // The files the technique reads besides (a workspace's member manifests).
        for path in split.iter().flat_map(|split| &split.files) {
            let path = PathBuf::from(path);
            if !files.contains(&path) {
                files.push(path);
            }
        }
        let copy_lines = self.first_copies(&files, &destination);
        let (edits, technique) = match split {
            Some(split) => {
                let whole = install.script.lexed.commands[install.command_index]
                    .range
                    .slice(install.script.text);
                let technique = split
                    .before
                    .join(" && ")
                    .replace(&install.found.text, whole);
                // It runs before the sources are copied: a USER, ENV or ARG set between that
                // point and the install would not apply to it (files owned by root, another
                // cache or registry).
                let settings = self.settings_to_move(install)?;
                // The dependency-only command runs where the sources are copied: when the
                // install's WORKDIR is only set after that, it changes there first.
                let technique = if normalize(&copy_workdir) == normalize(&run_cwd) {
                    technique
                } else if run_cwd.starts_with('/') && is_plain_path(&run_cwd) {
                    format!("cd {run_cwd} && {technique}")
                } else {
                    return Err(format!(
                        "it runs in {}, which cannot be entered before the COPY",
                        shown(&run_cwd)
                    ));
                };
                named_projects_copied(&projects, &files, Some(&technique))?;
                if !install.found.rule.split.as_ref().is_some_and(|s| s.safe) {
                    risks.push("a known technique that may not fit every project".to_owned());
                }
                let edits = edits::split_edits(
                    self,
                    install,
                    &settings,
                    &copy_lines,
                    &technique,
                    &split.after,
                );
                (edits, Some(technique))
            }
            _ => {
                named_projects_copied(&projects, &files, None)?;
                let between = &self.instructions[self.copy_at + 1..install.run_at];
                if let Some(run) = between.iter().find(|i| {
                    i.kind() == Some(InstructionKind::Run) && !self.only_named_installs(i)
                }) {
                    risks.push(format!(
                        "the RUN on line {} would run before the sources are copied",
                        run.start_line()
                    ));
                }
                let edits = edits::move_copy_edits(self, install, &copy_lines)
                    .ok_or("its RUN joins commands with operators other than `&&` and `;`")?;
                (edits, None)
            }
        };
        Ok(Plan {
            files: files
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect(),
            technique,
            edits,
            risks,
        })
    }

    /// The `ENV` and `ARG` instructions between the whole-context copy and the install, which
    /// move before the copy so the dependency-only step inserted there sees them too. Anything
    /// else between them that the step would then run before (a `RUN` or `COPY` that installs
    /// the tool, a `USER`, a `SHELL`) leaves the stage alone; `WORKDIR` (entered with `cd`)
    /// and instructions that only describe the image may stay.
    fn settings_to_move(&self, install: &Install) -> Result<Vec<&Instruction<'p>>, String> {
        let between = &self.instructions[self.copy_at + 1..install.run_at];
        if let Some(blocking) = between.iter().find(|i| {
            matches!(
                i.kind(),
                Some(
                    InstructionKind::Run
                        | InstructionKind::Copy
                        | InstructionKind::Add
                        | InstructionKind::User
                        | InstructionKind::Shell
                        | InstructionKind::Onbuild
                )
            )
        }) {
            return Err(format!(
                "the dependency-only step before the COPY would run before the {} on line {}",
                blocking.keyword().value.to_ascii_uppercase(),
                blocking.start_line()
            ));
        }
        Ok(between
            .iter()
            .filter(|i| matches!(i.kind(), Some(InstructionKind::Env | InstructionKind::Arg)))
            .collect())
    }

    /// The projects the command names (`npm --prefix client ci`, `dotnet publish
    /// src/App/App.csproj`), as context paths (empty for the copy's folder itself), or why the
    /// build context cannot be the one the image is built from: a named path it lacks (read
    /// where the COPY puts the context, it would not exist there), or one outside the copy.
    fn named_projects(
        &self,
        install: &Install,
        run_cwd: &str,
        target: &str,
    ) -> Result<Vec<(ProjectPath, String)>, String> {
        let copy_line = self.copy().start_line();
        let mut named = Vec::new();
        for project in install.found.project_paths() {
            if project.path.contains("://") {
                continue;
            }
            let image = resolve(run_cwd, &project.path);
            if !is_within(target, &image) {
                return Err(format!(
                    "`{}` names {}, outside the folder the COPY on line {copy_line} fills ({}), so what it reads is unknown",
                    project.written,
                    shown(&image),
                    shown(target)
                ));
            }
            let relative = image[normalize(target).len()..]
                .trim_start_matches('/')
                .to_owned();
            if !relative.is_empty() && !self.context.is_available(&relative) {
                let lacks = if self.context.exists(&relative) {
                    format!("{relative}, which .dockerignore excludes from the build context")
                } else {
                    format!("{relative}, which the build context does not have")
                };
                let names = if project.written == project.path {
                    "it names".to_owned()
                } else {
                    format!("`{}` names", project.written)
                };
                return Err(format!(
                    "{names} {lacks}: the image is probably built from another build context (such as a folder above this one), so which files to copy first is unknown"
                ));
            }
            named.push((project, relative));
        }
        Ok(named)
    }
}

pub(super) struct Plan {
    pub(super) files: Vec<String>,
    /// The dependency-only command run before the sources, for commands that need them.
    pub(super) technique: Option<String>,
    pub(super) edits: Vec<Edit>,
    pub(super) risks: Vec<String>,
}

/// An image path for messages: the base image's own working directory when unknown.
fn shown(path: &str) -> String {
    match path.strip_prefix("/@base") {
        Some(rest) => format!("the base image's working directory{rest}"),
        None => path.to_owned(),
    }
}

/// A path a shell reads as written (no quoting needed).
fn is_plain_path(path: &str) -> bool {
    path.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+@".contains(c))
}
