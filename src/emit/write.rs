//! `--write`: atomic replacement that keeps permissions and owners and refuses files the
//! user may not write, and atomic creation of new files beside a Dockerfile.

use std::fs::{File, Metadata};
use std::io::{Seek as _, Write as _};
use std::path::{Path, PathBuf};

/// Why a file was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("file is read-only; not written")]
    ReadOnly,
    /// The file's own permissions do not let this user write it, even if its folder would let
    /// the user replace it.
    #[error("file is not writable by this user ({detail}); not written")]
    NotWritable { detail: String },
    #[error("file changed on disk while it was being processed; not written")]
    ChangedMeanwhile,
    #[error("file appeared on disk while it was being processed; not written")]
    AppearedMeanwhile,
    #[error("cannot write: {0}")]
    Io(#[from] std::io::Error),
}

/// Replaces the file at `path` with `text` atomically: a temporary file in the same folder,
/// given the original's permissions and owner, renamed over it.
///
/// A symbolic link is written through: its target is replaced and the link stays a link. A
/// read-only file is refused, and so is a file this user may not write itself: the folder's
/// permissions alone (a world-writable folder) would let the rename replace a file owned by
/// someone else. When the owner cannot be given to the temporary file (a file of another user
/// that this user may write through its group or other permissions), the file is rewritten in
/// place instead, which keeps its owner and permissions but is not atomic. `original` is what
/// was read; when the file no longer holds it, nothing is written.
pub fn write_atomically(path: &Path, original: &[u8], text: &str) -> Result<(), WriteError> {
    let target = resolve_symlink(path)?;
    let metadata = std::fs::metadata(&target)?;
    if metadata.permissions().readonly() {
        return Err(WriteError::ReadOnly);
    }
    // Opening for writing without truncating changes nothing, and asks the system whether this
    // user may write the file itself (root may; others per owner, group and mode).
    let in_place = match std::fs::OpenOptions::new().write(true).open(&target) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(WriteError::NotWritable {
                detail: ownership(&metadata),
            });
        }
        Err(error) => return Err(error.into()),
    };
    if std::fs::read(&target)? != original {
        return Err(WriteError::ChangedMeanwhile);
    }
    let folder = target
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temporary = tempfile::Builder::new()
        .prefix(".dfmigrate-")
        .tempfile_in(folder)?;
    if !give_owner(temporary.as_file(), &metadata) {
        drop(temporary);
        return write_in_place(in_place, text);
    }
    temporary.write_all(text.as_bytes())?;
    temporary.as_file().sync_all()?;
    std::fs::set_permissions(temporary.path(), metadata.permissions())?;
    temporary
        .persist(&target)
        .map_err(|error| WriteError::Io(error.error))?;
    Ok(())
}

/// The permissions of a file this run creates: `rw-r--r--`, as git checks files out.
#[cfg(unix)]
const CREATED_MODE: u32 = 0o644;

/// Creates the file at `path` with `text` atomically: a temporary file in the same folder,
/// given mode 0644, linked into place only if no file is there yet (it is never replaced).
pub fn create_atomically(path: &Path, text: &str) -> Result<(), WriteError> {
    let folder = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if std::fs::symlink_metadata(path).is_ok() {
        return Err(WriteError::AppearedMeanwhile);
    }
    let mut temporary = tempfile::Builder::new()
        .prefix(".dfmigrate-")
        .tempfile_in(folder)?;
    temporary.write_all(text.as_bytes())?;
    temporary.as_file().sync_all()?;
    set_created_mode(temporary.path())?;
    temporary
        .persist_noclobber(path)
        .map_err(|error| match error.error.kind() {
            std::io::ErrorKind::AlreadyExists => WriteError::AppearedMeanwhile,
            _ => WriteError::Io(error.error),
        })?;
    Ok(())
}

#[cfg(unix)]
fn set_created_mode(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(CREATED_MODE))
}

#[cfg(not(unix))]
fn set_created_mode(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Truncates and rewrites an open file.
fn write_in_place(mut file: File, text: &str) -> Result<(), WriteError> {
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

/// Gives `file` the owner and group in `metadata`; false when that is not allowed.
#[cfg(unix)]
fn give_owner(file: &File, metadata: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(current) = file.metadata() else {
        return false;
    };
    if (current.uid(), current.gid()) == (metadata.uid(), metadata.gid()) {
        return true;
    }
    std::os::unix::fs::fchown(file, Some(metadata.uid()), Some(metadata.gid())).is_ok()
}

#[cfg(not(unix))]
fn give_owner(_file: &File, _metadata: &Metadata) -> bool {
    true
}

/// `owner uid 0, mode 0644` for messages.
#[cfg(unix)]
fn ownership(metadata: &Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    format!(
        "owner uid {}, mode {:04o}",
        metadata.uid(),
        metadata.mode() & 0o7777
    )
}

#[cfg(not(unix))]
fn ownership(_metadata: &Metadata) -> String {
    "permission denied".to_owned()
}

/// The final target of a symbolic link, or the path itself.
fn resolve_symlink(path: &Path) -> std::io::Result<PathBuf> {
    if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        std::fs::canonicalize(path)
    } else {
        Ok(path.to_owned())
    }
}
