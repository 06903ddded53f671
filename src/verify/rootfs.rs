//! Reading an image's root filesystem from the host: paths resolved the way the container sees
//! them (symbolic links followed inside the root, never out of it), entries described without
//! following links, and file contents compared.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

/// Symbolic links followed while resolving one path before giving up (Linux's limit).
const MAX_LINK_HOPS: usize = 40;

/// The `PATH` a container gets when its image sets none.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// What is at a path, links not followed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    Dir,
    File { size: u64, executable: bool },
    Symlink(PathBuf),
    Other,
}

impl Entry {
    /// A short name for messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Entry::Dir => "folder",
            Entry::File { .. } => "file",
            Entry::Symlink(_) => "symbolic link",
            Entry::Other => "special file",
        }
    }
}

/// Describes the entry at a host path, or `None` when nothing is there.
pub fn entry(host_path: &Path) -> Option<Entry> {
    let meta = fs::symlink_metadata(host_path).ok()?;
    let kind = meta.file_type();
    Some(if kind.is_dir() {
        Entry::Dir
    } else if kind.is_file() {
        Entry::File {
            size: meta.len(),
            executable: meta.permissions().mode() & 0o111 != 0,
        }
    } else if kind.is_symlink() {
        Entry::Symlink(fs::read_link(host_path).unwrap_or_default())
    } else {
        Entry::Other
    })
}

/// The host path of `image_path` inside `root`, following every symbolic link the way the
/// container would (absolute targets are relative to `root`). `follow_last`: whether a link in
/// the last component is followed too. `None` when a link loops.
pub fn resolve(root: &Path, image_path: &Path, follow_last: bool) -> Option<PathBuf> {
    let mut resolved: Vec<OsString> = Vec::new();
    let mut pending: Vec<OsString> = components_reversed(image_path);
    let mut hops = 0;
    while let Some(part) = pending.pop() {
        if part == ".." {
            resolved.pop();
            continue;
        }
        let candidate = join(root, &resolved).join(&part);
        let is_last = pending.is_empty();
        match fs::read_link(&candidate) {
            Ok(target) if !is_last || follow_last => {
                hops += 1;
                if hops > MAX_LINK_HOPS {
                    return None;
                }
                if target.is_absolute() {
                    resolved.clear();
                }
                pending.extend(components_reversed(&target));
            }
            _ => resolved.push(part),
        }
    }
    Some(join(root, &resolved))
}

fn components_reversed(path: &Path) -> Vec<OsString> {
    let mut parts: Vec<OsString> = path
        .components()
        .filter_map(|component| match component {
            Component::Normal(part) => Some(part.to_owned()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect();
    parts.reverse();
    parts
}

fn join(root: &Path, parts: &[OsString]) -> PathBuf {
    let mut path = root.to_path_buf();
    path.extend(parts);
    path
}

/// Finds `program` the way `execve` via `PATH` would: a name with `/` is taken relative to
/// `workdir`; a bare name is looked up in each `PATH` folder. Returns the image path.
pub fn find_program(root: &Path, program: &str, path_var: &str, workdir: &Path) -> Option<PathBuf> {
    if program.contains('/') {
        let image_path = workdir.join(program);
        return is_executable_file(root, &image_path).then_some(image_path);
    }
    path_var
        .split(':')
        .filter(|folder| folder.starts_with('/'))
        .map(|folder| Path::new(folder).join(program))
        .find(|candidate| is_executable_file(root, candidate))
}

fn is_executable_file(root: &Path, image_path: &Path) -> bool {
    resolve(root, image_path, true)
        .and_then(|host| fs::metadata(host).ok())
        .is_some_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// The interpreter a `#!` line names: `["/bin/sh"]`, or `["/usr/bin/env", "python3"]`.
pub fn shebang(host_path: &Path) -> Option<Vec<String>> {
    let mut head = [0u8; 256];
    let read = File::open(host_path)
        .and_then(|mut file| file.read(&mut head))
        .ok()?;
    let text = std::str::from_utf8(head.get(..read)?).ok().or_else(|| {
        let end = head.iter().position(|byte| *byte == b'\n').unwrap_or(read);
        std::str::from_utf8(&head[..end]).ok()
    })?;
    let line = text.strip_prefix("#!")?.lines().next()?;
    let words: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
    (!words.is_empty()).then_some(words)
}

/// Whether two regular files have the same bytes.
pub fn same_content(a: &Path, b: &Path) -> io::Result<bool> {
    if fs::metadata(a)?.len() != fs::metadata(b)?.len() {
        return Ok(false);
    }
    let (mut a, mut b) = (File::open(a)?, File::open(b)?);
    let (mut left, mut right) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        let read = read_full(&mut a, &mut left)?;
        if read_full(&mut b, &mut right)? != read || left[..read] != right[..read] {
            return Ok(false);
        }
        if read == 0 {
            return Ok(true);
        }
    }
}

/// Reads until `buffer` is full or the file ends.
fn read_full(file: &mut File, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..])? {
            0 => break,
            read => filled += read,
        }
    }
    Ok(filled)
}

/// The names in a host folder, sorted; an unreadable folder has none.
pub fn children(host_dir: &Path) -> Vec<OsString> {
    let mut names: Vec<OsString> = fs::read_dir(host_dir)
        .map(|entries| entries.flatten().map(|entry| entry.file_name()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn executable(path: &Path, text: &str) {
        fs::write(path, text).unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn links_resolve_inside_the_root() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        fs::create_dir_all(root.join("usr/bin")).unwrap();
        symlink("usr/bin", root.join("bin")).unwrap();
        executable(&root.join("usr/bin/node"), "#!/bin/sh\n");
        symlink("/usr/bin/node", root.join("usr/bin/nodejs")).unwrap();
        assert_eq!(
            resolve(root, Path::new("/bin/nodejs"), true),
            Some(root.join("usr/bin/node"))
        );
        assert_eq!(
            resolve(root, Path::new("/bin/nodejs"), false),
            Some(root.join("usr/bin/nodejs"))
        );
        assert_eq!(
            resolve(root, Path::new("/usr/../../etc"), true),
            Some(root.join("etc"))
        );
    }

    #[test]
    fn link_loops_do_not_hang() {
        let root = tempfile::tempdir().unwrap();
        symlink("/b", root.path().join("a")).unwrap();
        symlink("/a", root.path().join("b")).unwrap();
        assert_eq!(resolve(root.path(), Path::new("/a/x"), true), None);
    }

    #[test]
    fn programs_are_found_on_path_and_by_relative_name() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        fs::create_dir_all(root.join("usr/local/bin")).unwrap();
        fs::create_dir_all(root.join("app")).unwrap();
        executable(&root.join("usr/local/bin/node"), "#!/bin/sh\n");
        executable(&root.join("app/run.sh"), "#!/usr/bin/env sh\n");
        fs::write(root.join("usr/local/bin/data"), "x").unwrap();
        let path = "/usr/bin:/usr/local/bin";
        assert_eq!(
            find_program(root, "node", path, Path::new("/")),
            Some(PathBuf::from("/usr/local/bin/node"))
        );
        assert_eq!(find_program(root, "data", path, Path::new("/")), None);
        assert_eq!(
            find_program(root, "./run.sh", path, Path::new("/app")),
            Some(PathBuf::from("/app/./run.sh"))
        );
        assert_eq!(
            shebang(&root.join("app/run.sh")),
            Some(vec!["/usr/bin/env".to_owned(), "sh".to_owned()])
        );
        assert_eq!(shebang(&root.join("usr/local/bin/data")), None);
    }

    #[test]
    fn compares_content() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("c"),
        );
        fs::write(&a, vec![7u8; 200_000]).unwrap();
        fs::write(&b, vec![7u8; 200_000]).unwrap();
        let mut other = vec![7u8; 200_000];
        other[150_000] = 8;
        fs::write(&c, other).unwrap();
        assert!(same_content(&a, &b).unwrap());
        assert!(!same_content(&a, &c).unwrap());
    }
}
