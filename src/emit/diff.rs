//! Unified diffs `git apply` and `patch -p1` accept, and the combined edits of a whole file,
//! both from one checked line diff.

use super::Paint;
use crate::diagnostics::Edit;
use similar::{Algorithm, DiffOp, DiffTag};

/// Lines of unchanged context around each hunk, as `diff -u`.
const CONTEXT_LINES: usize = 3;

/// A unified diff from `old` to `new` with headers `--- a/PATH` and `+++ b/PATH`.
///
/// Lines end at `\n` only, as `git apply` and `patch` read them: a CRLF line keeps its `\r`, a
/// lone `\r` stays inside its line. A last line without a line break is followed by
/// `\ No newline at end of file`. Colour codes are added only around whole lines, never inside
/// them. The hunks are checked before they are written (see [`diff_ops`]), so a faulty diff
/// algorithm can make a patch larger, never wrong.
pub fn unified_diff(path: &str, old: &str, new: &str, paint: Paint) -> String {
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let groups = similar::group_diff_ops(diff_ops(&old_lines, &new_lines), CONTEXT_LINES);
    let mut out = String::new();
    if groups.is_empty() {
        return out;
    }
    // An absolute path (outside the current folder) is written from the root, so the patch
    // applies with `patch -p1` or `git apply` run in `/`.
    let path = path.trim_start_matches('/');
    out.push_str(&paint.bold(&format!("--- a/{path}")));
    out.push('\n');
    out.push_str(&paint.bold(&format!("+++ b/{path}")));
    out.push('\n');
    for group in &groups {
        out.push_str(&paint.cyan(&hunk_header(group)));
        out.push('\n');
        for op in group {
            for line in &old_lines[op.old_range()] {
                let sign = if op.tag() == DiffTag::Equal { ' ' } else { '-' };
                push_line(&mut out, sign, line, paint);
            }
            if op.tag() != DiffTag::Equal {
                for line in &new_lines[op.new_range()] {
                    push_line(&mut out, '+', line, paint);
                }
            }
        }
    }
    out
}

/// A unified diff that creates the file `path` with `content`: headers `--- /dev/null` and
/// `+++ b/PATH`, one hunk `@@ -0,0 +1,N @@`, as `git apply` and `patch -p1` take a new file.
pub fn new_file_diff(path: &str, content: &str, paint: Paint) -> String {
    let diff = unified_diff(path, "", content, paint);
    let path = path.trim_start_matches('/');
    diff.replacen(
        &paint.bold(&format!("--- a/{path}")),
        &paint.bold("--- /dev/null"),
        1,
    )
}

/// The line-level edit script from `old` to `new`: Myers' diff when its operations tile both
/// texts in order, else one replacement between the common first and last lines.
///
/// similar 2.7's compaction pass emitted operations whose cursors overlapped (a `Delete` at
/// new line 12 followed by an `Equal` at new line 11), and the hunk headers computed from them
/// counted one line too few; `git apply` rejected those patches. The check keeps any such fault
/// in a diff library from reaching a patch.
fn diff_ops(old: &[&str], new: &[&str]) -> Vec<DiffOp> {
    let ops = similar::capture_diff_slices(Algorithm::Myers, old, new);
    if tiles_both(&ops, old.len(), new.len()) {
        return ops;
    }
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let mut ops = Vec::new();
    if prefix > 0 {
        ops.push(DiffOp::Equal {
            old_index: 0,
            new_index: 0,
            len: prefix,
        });
    }
    ops.push(DiffOp::Replace {
        old_index: prefix,
        old_len: old.len() - prefix - suffix,
        new_index: prefix,
        new_len: new.len() - prefix - suffix,
    });
    if suffix > 0 {
        ops.push(DiffOp::Equal {
            old_index: old.len() - suffix,
            new_index: new.len() - suffix,
            len: suffix,
        });
    }
    ops
}

/// True when each operation starts where the one before it ended, on both sides, and together
/// they cover exactly `old_len` and `new_len` lines.
fn tiles_both(ops: &[DiffOp], old_len: usize, new_len: usize) -> bool {
    let (mut old_at, mut new_at) = (0, 0);
    for op in ops {
        let (old, new) = (op.old_range(), op.new_range());
        if old.start != old_at || new.start != new_at {
            return false;
        }
        (old_at, new_at) = (old.end, new.end);
    }
    old_at == old_len && new_at == new_len
}

/// Writes one diff line: its sign, the line without its `\n`, a line break, and the marker
/// when the text's last line has no line break.
fn push_line(out: &mut String, sign: char, line: &str, paint: Paint) {
    let rendered = format!("{sign}{}", line.strip_suffix('\n').unwrap_or(line));
    match sign {
        '-' => out.push_str(&paint.red(&rendered)),
        '+' => out.push_str(&paint.green(&rendered)),
        _ => out.push_str(&rendered),
    }
    out.push('\n');
    if !line.ends_with('\n') {
        out.push_str("\\ No newline at end of file\n");
    }
}

/// `@@ -a,b +c,d @@` for a group of diff operations.
fn hunk_header(group: &[DiffOp]) -> String {
    let (Some(first), Some(last)) = (group.first(), group.last()) else {
        return String::from("@@ -0,0 +0,0 @@");
    };
    let old = first.old_range().start..last.old_range().end;
    let new = first.new_range().start..last.new_range().end;
    format!(
        "@@ -{} +{} @@",
        hunk_range(old.start, old.len()),
        hunk_range(new.start, new.len())
    )
}

/// A hunk range: the 1-based first line and the count; for an empty range, the line before it.
fn hunk_range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start},0"),
        _ => format!("{},{len}", start + 1),
    }
}

/// The edits that turn `old` into `new`, at line granularity: byte ranges of `old`, sorted,
/// neither overlapping nor touching, so they apply together (in any order from the end, or
/// front to back keeping track of the shift). Computed from the same line diff as
/// [`unified_diff`].
pub fn combined_edits(old: &str, new: &str) -> Vec<Edit> {
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let mut offsets = Vec::with_capacity(old_lines.len() + 1);
    let mut offset = 0;
    offsets.push(0);
    for line in &old_lines {
        offset += line.len();
        offsets.push(offset);
    }
    let mut edits: Vec<Edit> = Vec::new();
    for op in diff_ops(&old_lines, &new_lines) {
        if op.tag() == DiffTag::Equal {
            continue;
        }
        let (start, end) = (offsets[op.old_range().start], offsets[op.old_range().end]);
        let content = new_lines[op.new_range()].concat();
        match edits.last_mut() {
            Some(last) if last.end == start => {
                last.end = end;
                last.content.push_str(&content);
            }
            _ => edits.push(Edit {
                start,
                end,
                content,
            }),
        }
    }
    edits
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn combined_edits_apply_together() {
        let old = "a\nb\nc\nd\ne\n";
        let new = "a\nB\nc\nd\nx\ne\nf";
        let edits = combined_edits(old, new);
        let mut out = String::new();
        let mut cursor = 0;
        for edit in &edits {
            out.push_str(&old[cursor..edit.start]);
            out.push_str(&edit.content);
            cursor = edit.end;
        }
        out.push_str(&old[cursor..]);
        assert_eq!(out, new);
        assert!(
            edits.windows(2).all(|pair| pair[0].end < pair[1].start),
            "{edits:?}"
        );
        assert_eq!(combined_edits(old, old), []);
    }

    #[test]
    fn diff_keeps_crlf_and_marks_missing_newline() {
        let diff = unified_diff(
            "d/Dockerfile",
            "FROM a\r\nRUN x",
            "FROM a\r\nRUN y",
            Paint::default(),
        );
        assert_eq!(
            diff,
            "--- a/d/Dockerfile\n+++ b/d/Dockerfile\n@@ -1,2 +1,2 @@\n FROM a\r\n-RUN x\n\\ No newline at end of file\n+RUN y\n\\ No newline at end of file\n"
        );
    }

    #[test]
    fn diff_of_the_reported_gradle_split_counts_every_line() {
        let old = "FROM g\nUSER root\nWORKDIR /w\nCOPY a a\nCOPY b b\nCOPY c c\nCOPY d d\nCOPY e e\nRUN g\n\nEXPOSE 9000\n\nCMD [\"j\"]\n";
        let new = "FROM g AS builder\nUSER root\nWORKDIR /w\nEXPOSE 9000\nCOPY a a\nCOPY b b\nCOPY c c\nCOPY d d\nCOPY e e\nRUN g\n\n\nCMD [\"j\"]\n\nFROM r\nWORKDIR /w\nCOPY x x\nUSER root\nEXPOSE 9000\nCMD [\"j\"]\n";
        let diff = unified_diff("x", old, new, Paint::default());
        assert!(diff.contains("@@ -8,6 +9,12 @@\n"), "{diff}");
        assert!(!diff.contains("No newline"), "{diff}");
    }

    #[test]
    fn operations_that_do_not_tile_become_one_replacement() {
        let old = ["a\n", "b\n", "c\n", "d\n"];
        let new = ["a\n", "x\n", "d\n"];
        let overlapping = [
            DiffOp::Equal {
                old_index: 0,
                new_index: 0,
                len: 1,
            },
            DiffOp::Delete {
                old_index: 1,
                old_len: 1,
                new_index: 2,
            },
            DiffOp::Equal {
                old_index: 2,
                new_index: 1,
                len: 2,
            },
        ];
        assert!(!tiles_both(&overlapping, old.len(), new.len()));
        assert!(tiles_both(&diff_ops(&old, &new), old.len(), new.len()));
    }

    #[test]
    fn lone_carriage_return_stays_inside_its_line() {
        let diff = unified_diff("x", "a\rb\nc\n", "a\rb\nd\n", Paint::default());
        assert_eq!(diff, "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\rb\n-c\n+d\n");
    }

    #[test]
    fn diff_of_equal_texts_is_empty() {
        assert_eq!(unified_diff("x", "a\n", "a\n", Paint::default()), "");
    }

    #[test]
    fn a_new_file_comes_from_dev_null() {
        let diff = new_file_diff(
            "app/.dockerignore",
            "# version control\n.git\n",
            Paint::default(),
        );
        assert_eq!(
            diff,
            "--- /dev/null\n+++ b/app/.dockerignore\n@@ -0,0 +1,2 @@\n+# version control\n+.git\n"
        );
    }

    #[test]
    fn hunk_of_pure_insertion_names_the_line_before() {
        let diff = unified_diff("x", "", "a\n", Paint::default());
        assert!(diff.contains("@@ -0,0 +1,1 @@\n+a\n"), "{diff}");
    }

    #[test]
    fn colour_wraps_whole_lines_only() {
        let diff = unified_diff("x", "a\n", "b\n", Paint { enabled: true });
        assert!(diff.contains("\x1b[31m-a\x1b[0m\n"), "{diff:?}");
        assert!(diff.contains("\x1b[32m+b\x1b[0m\n"), "{diff:?}");
    }
}
