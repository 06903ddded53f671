//! What the user is given: the working directory itself (not what it holds: the application's
//! code stays owned by root and read-only), and, recursively, the folders the application
//! writes: those its configuration files name (`transforms/runtime-writes.toml`) and those its
//! framework writes under the project (`[[frameworks]]`: Rails' `tmp/`, Laravel's `storage/`).

use super::ports::program_line;
use super::writes::{is_inside, is_root_only, is_writable_by_all, resolve_written, Writable};
use super::FinalStage;
use crate::knowledge::{RuntimeWrite, Started};
use crate::model::paths::{normalize, resolve};
use crate::model::script;

/// A framework's folders, resolved, or why they cannot be.
type FrameworkFolders = Result<Vec<Writable>, String>;

impl FinalStage<'_, '_> {
    /// The folders to hand to the user. `WORKDIR` creates the working directory owned by root,
    /// so a process that creates files in it (gunicorn's pid file, a SQLite database) would
    /// fail: the folder itself is handed over. The folders the application writes (its
    /// configuration's, its framework's) are created and handed over with what they hold.
    /// System folders, `/` and folders every user may write are never handed over (a
    /// configuration writing where only root may is a blocker, see `root_blockers`).
    pub(super) fn writable_folders(&self) -> Vec<Writable> {
        let workdir = self.workdir();
        let mut folders: Vec<Writable> = Vec::new();
        if let Some(folder) = workdir
            .as_deref()
            .filter(|f| *f != "/" && !self.is_shared(f) && !self.is_system_workdir(f))
        {
            folders.push(Writable {
                path: folder.to_owned(),
                named_by: None,
                recursive: false,
            });
        }
        for write in self.runtime_writes() {
            if self.is_stream(&write.path) {
                continue;
            }
            let Some(folder) = resolve_written(&write, workdir.as_deref()) else {
                continue;
            };
            if workdir.as_deref() == Some(folder.as_str())
                || self.is_shared(&folder)
                || is_root_only(&folder)
            {
                continue;
            }
            add(
                &mut folders,
                Writable {
                    path: folder,
                    named_by: Some(format!("written per {} line {}", write.file, write.line)),
                    recursive: true,
                },
            );
        }
        for result in self.framework_folders() {
            for folder in result.unwrap_or_default() {
                add(&mut folders, folder);
            }
        }
        folders
    }

    /// Why a framework's folders cannot be placed: the stage has no WORKDIR to resolve them.
    pub(super) fn framework_blockers(&self) -> Vec<String> {
        self.framework_folders()
            .into_iter()
            .filter_map(Result::err)
            .collect()
    }

    /// The folders each framework the build context and the command show writes.
    fn framework_folders(&self) -> Vec<FrameworkFolders> {
        let Some(context) = self.context else {
            return Vec::new();
        };
        let workdir = self.workdir().filter(|w| w != "/");
        let mut found = Vec::new();
        for framework in self.knowledge.frameworks_in(context) {
            let started = match framework.needs_command() {
                false => Some(Started::InWorkdir),
                true => self.start_scripts().iter().find_map(|(_, text)| {
                    let tree = script::parse(text).script;
                    tree.simple_commands().iter().find_map(|command| {
                        let line = program_line(command.program_words(), &[])?;
                        let positionals: Vec<&str> = line.positional_values().collect();
                        framework.started_by(line.name(), &positionals)
                    })
                }),
            };
            let Some(started) = started else {
                continue;
            };
            let Some(workdir) = workdir.as_deref() else {
                found.push(Err(format!(
                    "{} writes {} under its project folder, and the stage has no WORKDIR of its own to tell where that is",
                    framework.name,
                    framework.writes.join(", ")
                )));
                continue;
            };
            let base = match &started {
                Started::InWorkdir => workdir.to_owned(),
                Started::BesideScript(script) => {
                    let script = normalize(&resolve(workdir, script));
                    script
                        .rsplit_once('/')
                        .map_or("/".to_owned(), |(folder, _)| folder.to_owned())
                }
            };
            found.push(Ok(framework
                .writes
                .iter()
                .map(|folder| Writable {
                    path: normalize(&resolve(&base, folder)),
                    named_by: Some(framework.name.clone()),
                    recursive: true,
                })
                .collect()));
        }
        found
    }

    /// What the build context's configuration files say the application writes.
    pub(super) fn runtime_writes(&self) -> Vec<RuntimeWrite> {
        self.context
            .map(|context| self.knowledge.runtime_writes(context))
            .unwrap_or_default()
    }

    /// A working directory that is a system folder (`/usr/bin`, `/usr/local`, `/opt`): never
    /// handed over.
    pub(super) fn is_system_workdir(&self, folder: &str) -> bool {
        folder != "/" && self.knowledge.writes().is_system_folder(folder)
    }

    /// A folder every user may write (`/tmp`).
    pub(super) fn is_shared(&self, folder: &str) -> bool {
        is_writable_by_all(folder)
    }

    /// A stream or kernel file (`/proc/self/fd/2`): writing there creates nothing.
    pub(super) fn is_stream(&self, path: &str) -> bool {
        path.starts_with('/') && self.knowledge.writes().is_stream(&normalize(path))
    }
}

/// Adds a folder unless it or a folder holding it (handed over recursively) is listed.
fn add(folders: &mut Vec<Writable>, folder: Writable) {
    let covered = folders
        .iter()
        .any(|f| f.path == folder.path || (f.recursive && is_inside(&folder.path, &f.path)));
    if !covered {
        folders.retain(|f| !(f.recursive && is_inside(&f.path, &folder.path)));
        folders.push(folder);
    }
}
