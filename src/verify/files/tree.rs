//! Folders of the two images compared entry by entry: what the rewrite lacks or changed, and
//! which of those are expected drops.

use super::{drop_reason, DropReason, FileComparison, Images};
use crate::verify::rootfs::{self, Entry};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// An application folder (or file) of the original, compared with the rewrite's.
pub(super) fn compare_tree(
    images: &Images,
    image_path: &Path,
    checked: &BTreeSet<PathBuf>,
    out: &mut FileComparison,
) {
    let before = rootfs::resolve(images.before_root, image_path, true);
    let after = rootfs::resolve(images.after_root, image_path, true);
    let (Some(before), Some(after)) = (before, after) else {
        return;
    };
    if rootfs::entry(&before).is_some() {
        TreeWalk { images, checked }.compare_entry(image_path, &before, &after, out);
    }
}

/// A comparison of the original's entries with the rewrite's, below one path; `checked` are the
/// paths already compared as references, skipped here.
pub(super) struct TreeWalk<'a> {
    pub(super) images: &'a Images<'a>,
    pub(super) checked: &'a BTreeSet<PathBuf>,
}

impl TreeWalk<'_> {
    /// Compares one entry (recursing into folders) and records what differs. `before` and
    /// `after` are `image_path` on the host, in each image's root.
    fn compare_entry(
        &self,
        image_path: &Path,
        before: &Path,
        after: &Path,
        out: &mut FileComparison,
    ) {
        if self.checked.contains(image_path) {
            return;
        }
        let Some(a) = rootfs::entry(before) else {
            return;
        };
        let Some(b) = rootfs::entry(after) else {
            self.missing(image_path, before, &a, out);
            return;
        };
        if a == Entry::Dir && b == Entry::Dir {
            self.walk(image_path, before, after, out);
            return;
        }
        if let Some(problem) = entry_difference(image_path, before, after, &a, &b) {
            match drop_reason(
                self.images.before_root,
                image_path,
                self.images.build_files_dropped,
            ) {
                Some(DropReason::Cache) => out.dropped.push((image_path.into(), DropReason::Cache)),
                _ => out.problems.push(problem),
            }
        }
    }

    /// Compares each entry of the folder `image_path`.
    pub(super) fn walk(
        &self,
        image_path: &Path,
        before: &Path,
        after: &Path,
        out: &mut FileComparison,
    ) {
        for name in rootfs::children(before) {
            self.compare_entry(
                &image_path.join(&name),
                &before.join(&name),
                &after.join(&name),
                out,
            );
        }
    }

    /// A file or folder of the original missing in the rewrite: an expected drop, or a problem.
    fn missing(&self, image_path: &Path, before: &Path, entry: &Entry, out: &mut FileComparison) {
        if self.checked.contains(image_path) {
            return;
        }
        if self
            .images
            .excluded
            .is_some_and(|exclusion| exclusion.excludes(image_path))
        {
            out.dropped
                .push((image_path.to_path_buf(), DropReason::Excluded));
            return;
        }
        if let Some(reason) = drop_reason(
            self.images.before_root,
            image_path,
            self.images.build_files_dropped,
        ) {
            out.dropped.push((image_path.to_path_buf(), reason));
            return;
        }
        if *entry != Entry::Dir {
            out.problems
                .push(format!("missing {}", image_path.display()));
            return;
        }
        let children = rootfs::children(before);
        if children.is_empty() {
            out.problems
                .push(format!("missing {}/", image_path.display()));
        }
        for name in children {
            let child = before.join(&name);
            if let Some(child_entry) = rootfs::entry(&child) {
                self.missing(&image_path.join(&name), &child, &child_entry, out);
            }
        }
    }
}

/// How two entries at the same path differ, if they do.
pub(super) fn entry_difference(
    image_path: &Path,
    before: &Path,
    after: &Path,
    a: &Entry,
    b: &Entry,
) -> Option<String> {
    let path = image_path.display();
    match (a, b) {
        (
            Entry::File {
                executable: exec_a, ..
            },
            Entry::File {
                executable: exec_b, ..
            },
        ) => {
            if !rootfs::same_content(before, after).unwrap_or(false) {
                Some(format!("changed {path} (content)"))
            } else if exec_a != exec_b {
                Some(format!("changed {path} (executable bit)"))
            } else {
                None
            }
        }
        (Entry::Symlink(x), Entry::Symlink(y)) if x != y => Some(format!(
            "changed {path} (link to {} → {})",
            x.display(),
            y.display()
        )),
        _ if std::mem::discriminant(a) != std::mem::discriminant(b) => Some(format!(
            "changed {path} ({} → {})",
            a.kind_name(),
            b.kind_name()
        )),
        _ => None,
    }
}
