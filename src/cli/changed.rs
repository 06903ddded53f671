//! `--changed-since REV`: only the Dockerfiles a change touched — the Dockerfile itself, or a
//! file in its build context — since a git revision, counting uncommitted and untracked files
//! (those git does not ignore), so a pull request's check runs on what it changed.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The files changed since a revision, as absolute paths.
#[derive(Debug)]
pub(super) struct ChangedFiles {
    paths: Vec<PathBuf>,
}

impl ChangedFiles {
    /// Asks git, in the current folder's repository, what changed since `revision`.
    pub(super) fn since(revision: &str) -> Result<ChangedFiles, String> {
        let top = git(&["rev-parse", "--show-toplevel"], None)?;
        let top = PathBuf::from(top.trim_end_matches(['\n', '\r']));
        let changed = git(
            &["diff", "--name-only", "-z", "--no-renames", revision, "--"],
            Some(&top),
        )
        .map_err(|message| format!("--changed-since {revision}: {message}"))?;
        let untracked = git(
            &[
                "ls-files",
                "--others",
                "--exclude-standard",
                "-z",
                "--full-name",
            ],
            Some(&top),
        )?;
        let paths = changed
            .split('\0')
            .chain(untracked.split('\0'))
            .filter(|path| !path.is_empty())
            .map(|path| top.join(path))
            .collect();
        Ok(ChangedFiles { paths })
    }

    /// Whether the change touched the Dockerfile or a file under its build context folder.
    pub(super) fn touches(&self, dockerfile: &Path, build_context: &Path) -> bool {
        let dockerfile = canonical(dockerfile);
        let context = canonical(build_context);
        self.paths
            .iter()
            .any(|path| *path == dockerfile || path.starts_with(&context))
    }
}

/// The path with symbolic links resolved (git names files under the resolved top folder), or as
/// given when it does not exist.
fn canonical(path: &Path) -> PathBuf {
    path.canonicalize()
        .unwrap_or_else(|_| crate::walk::absolute(path))
}

/// Runs git and returns its standard output, or what it said on failure.
fn git(args: &[&str], folder: Option<&Path>) -> Result<String, String> {
    let mut command = Command::new("git");
    command.args(args);
    if let Some(folder) = folder {
        command.current_dir(folder);
    }
    let output = command
        .output()
        .map_err(|error| format!("cannot run git: {error}"))?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr);
        return Err(format!("git {}: {}", args[0], said.trim()));
    }
    String::from_utf8(output.stdout).map_err(|_| "git printed a path that is not UTF-8".to_owned())
}
