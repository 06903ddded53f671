//! The files beside the Dockerfile (its build context's ignore file) as the fixes of one run
//! leave them, in memory: what each holds now, as transforms see it, and what it held first.

use super::ChangedFile;
use crate::context::{BuildContext, PendingFiles};
use crate::diagnostics::FileChange;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// The files beside the Dockerfile as the fixes left them, and what they held before.
#[derive(Clone, Debug, Default)]
pub(super) struct SideFiles {
    /// Their content now, as transforms see them.
    pub(super) now: PendingFiles,
    /// What each held when first changed (`None`: it did not exist).
    before: BTreeMap<PathBuf, Option<String>>,
    /// The build context as these files show it, opened on first use and shared by every
    /// round of transforms until a file changes (its globs, listings and survey are then
    /// read once per Dockerfile, not once per round).
    opened: Arc<OnceLock<Option<BuildContext>>>,
}

impl SideFiles {
    /// Applies a change made against what the file holds now.
    pub(super) fn apply(&mut self, change: &FileChange) -> Result<(), String> {
        match self.now.get(&change.path) {
            Some(current) if change.replaces.as_deref() != Some(current.as_str()) => {
                return Err(format!(
                    "{} changed since the fix was made",
                    change.path.display()
                ));
            }
            Some(_) => {}
            None => {
                self.before
                    .insert(change.path.clone(), change.replaces.clone());
            }
        }
        self.now.insert(change.path.clone(), change.content.clone());
        self.opened = Arc::default();
        Ok(())
    }

    /// The build context as the files show it now (see [`crate::transforms::Context`]).
    pub(super) fn opened_context(&self) -> &OnceLock<Option<BuildContext>> {
        &self.opened
    }

    /// Whether applying the change would change the file.
    pub(super) fn would_change(&self, change: &FileChange) -> bool {
        match self.now.get(&change.path) {
            Some(current) => *current != change.content,
            None => change.replaces.as_deref() != Some(change.content.as_str()),
        }
    }

    /// The files whose content now differs from what they held.
    pub(super) fn changed_files(self) -> Vec<ChangedFile> {
        let mut before = self.before;
        self.now
            .into_iter()
            .filter_map(|(path, content)| {
                let original = before.remove(&path).flatten();
                (original.as_deref() != Some(content.as_str())).then_some(ChangedFile {
                    path,
                    original,
                    content,
                })
            })
            .collect()
    }
}
