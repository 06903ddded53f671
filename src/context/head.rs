//! The first bytes of a file, where archive and executable formats put their magic numbers.

use std::io::Read;
use std::path::Path;

/// How many leading bytes of a file are read: one tar header block.
pub const HEAD_LEN: usize = 512;

/// The first [`HEAD_LEN`] bytes of a regular file (fewer when it is shorter), following
/// symbolic links; `None` when it is not a regular file or cannot be read.
pub fn read_head(path: &Path) -> Option<Vec<u8>> {
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let mut file = std::fs::File::open(path).ok()?;
    let mut head = Vec::with_capacity(HEAD_LEN);
    file.by_ref()
        .take(HEAD_LEN as u64)
        .read_to_end(&mut head)
        .ok()?;
    Some(head)
}
