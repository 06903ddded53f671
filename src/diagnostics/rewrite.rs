//! The edits transforms make, written once in the file's own style: whole instructions inserted
//! after another one, a command appended to a RUN in its own continuation style, an
//! instruction's arguments replaced, a stage appended at the end of the file.
//!
//! Every method keeps the file's line ending and keyword case, and a missing final newline stays
//! missing where the insertion does not end the file. Insertions at the same offset are joined
//! in the order they were made, and an insertion where a deletion or replacement starts goes
//! before its text, so a fix never holds two edits the engine would find ambiguous.

use super::Edit;
use crate::model::{Dockerfile, Instruction};
use crate::style::Style;
use crate::syntax::{InstructionKind, TextRange};

/// Collects the edits of one fix.
#[derive(Debug)]
pub struct Rewriter<'f> {
    text: &'f str,
    style: Style,
    edits: Vec<Edit>,
}

impl<'f> Rewriter<'f> {
    /// A rewriter for one file, in the file's style.
    pub fn new(file: &Dockerfile<'f>) -> Rewriter<'f> {
        Rewriter {
            text: file.text(),
            style: file.style().clone(),
            edits: Vec::new(),
        }
    }

    /// The file's style.
    pub fn style(&self) -> &Style {
        &self.style
    }

    /// `KEYWORD arguments`, the keyword in the file's case (one line, no newline).
    pub fn instruction(&self, kind: InstructionKind, arguments: &str) -> String {
        format!("{} {arguments}", self.style.keyword(kind))
    }

    /// Inserts whole lines (each without its newline) at `at`: a line start, or the end of a
    /// last line that has no newline (the lines then go after a newline and the file still
    /// ends without one).
    pub fn insert_lines(&mut self, at: usize, lines: &[String]) {
        let newline = self.style.newline;
        let text: String = if self.is_line_start(at) {
            lines
                .iter()
                .map(|line| format!("{line}{newline}"))
                .collect()
        } else {
            lines
                .iter()
                .map(|line| format!("{newline}{line}"))
                .collect()
        };
        self.insert(at, text);
    }

    /// Whether `at` starts a line: the start of the file, or right after a newline.
    pub fn is_line_start(&self, at: usize) -> bool {
        at == 0 || self.text[..at].ends_with('\n')
    }

    /// Inserts a block of whole lines, each ending in a newline, after an instruction (after its
    /// heredoc bodies); after a last line without newline, the block's line break goes first
    /// so the file still ends without one.
    pub fn insert_block_after(&mut self, instruction: &Instruction, block: &str) {
        let end = instruction.range().end;
        if self.text[..end].ends_with('\n') {
            return self.insert(end, block);
        }
        let trimmed = block.strip_suffix(self.style.newline).unwrap_or(block);
        self.insert(end, format!("{}{trimmed}", self.style.newline));
    }

    /// Moves the whole lines of `block` to `at` (a line start before it). A block that is the
    /// last line of a file without a final newline takes the line break before it along, so
    /// the file still ends without one.
    pub fn move_lines(&mut self, mut block: TextRange, at: usize) {
        let mut text = block.slice(self.text).to_owned();
        if !text.ends_with('\n') {
            text.push_str(self.style.newline);
            let before = &self.text[..block.start];
            block.start -= ["\r\n", "\n"]
                .iter()
                .find(|end| before.ends_with(*end))
                .map_or(0, |end| end.len());
        }
        self.insert(at, text);
        self.delete(block);
    }

    /// Inserts whole lines after an instruction (after its heredoc bodies).
    pub fn insert_after(&mut self, instruction: &Instruction, lines: &[String]) {
        self.insert_lines(instruction.range().end, lines);
    }

    /// Appends ` && COMMAND` at `at` (the end of a RUN's last command), breaking the line the
    /// way the RUN's last continuation line does: `… && \` + newline + indent + `COMMAND`, or
    /// the indent + `&& COMMAND` when the RUN puts its operators first.
    pub fn append_command(&mut self, run: &Instruction, at: usize, command: &str) {
        let text = self.appended_command(run.source(), command);
        self.insert(at, text);
    }

    fn appended_command(&self, source: &str, command: &str) -> String {
        let continuation = format!("{}{}", self.style.escape, self.style.newline);
        let Some(last_break) = source.rfind(&continuation) else {
            return format!(" && {command}");
        };
        let last_line = &source[last_break + continuation.len()..];
        let indent =
            &last_line[..last_line.len() - last_line.trim_start_matches([' ', '\t']).len()];
        let line_break = format!(" {}{}{indent}", self.style.escape, self.style.newline);
        if last_line.trim_start().starts_with("&&") {
            format!("{line_break}&& {command}")
        } else {
            format!(" &&{line_break}{command}")
        }
    }

    /// Replaces an instruction's arguments (everything after its keyword and flags).
    pub fn replace_arguments(&mut self, instruction: &Instruction, arguments: impl Into<String>) {
        self.replace(instruction.args_range(), arguments);
    }

    /// Appends a stage (its text, each line ending in the file's newline, usually starting with
    /// a blank line) at the end of the file.
    pub fn append_stage(&mut self, stage: &str) {
        let end = self.text.len();
        let line_break = if self.text.ends_with('\n') {
            ""
        } else {
            self.style.newline
        };
        self.insert(end, format!("{line_break}{stage}"));
    }

    /// Inserts `content` at `at`, after what earlier calls inserted there.
    pub fn insert(&mut self, at: usize, content: impl Into<String>) {
        let content = content.into();
        match self
            .edits
            .iter_mut()
            .find(|edit| edit.start == at && edit.end == at)
        {
            Some(earlier) => earlier.content.push_str(&content),
            None => self.edits.push(Edit::insert(at, content)),
        }
    }

    /// Replaces `range` with `content`.
    pub fn replace(&mut self, range: TextRange, content: impl Into<String>) {
        self.edits.push(Edit::replace(range, content));
    }

    /// Deletes `range`.
    pub fn delete(&mut self, range: TextRange) {
        self.edits.push(Edit::delete(range));
    }

    /// Deletes an instruction's lines; the last line of a file without a final newline takes
    /// the line break before it along, so the file still ends without one.
    pub fn delete_instruction(&mut self, instruction: &Instruction) {
        let mut range = instruction.range();
        if range.end == self.text.len() && !self.text.ends_with('\n') {
            let before = &self.text[..range.start];
            range.start -= ["\r\n", "\n"]
                .iter()
                .find(|end| before.ends_with(*end))
                .map_or(0, |end| end.len());
        }
        self.delete(range);
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    /// The edits, in the order they were made; an insertion at the offset where a deletion or
    /// replacement starts is put at the start of that edit's text instead.
    pub fn finish(self) -> Vec<Edit> {
        let mut edits = self.edits;
        let mut index = 0;
        while index < edits.len() {
            let edit = &edits[index];
            let covering = (edit.start == edit.end)
                .then(|| {
                    edits
                        .iter()
                        .position(|other| other.start == edit.start && other.end > other.start)
                })
                .flatten();
            match covering {
                Some(target) => {
                    let insertion = edits.remove(index);
                    let target = if target > index { target - 1 } else { target };
                    edits[target].content.insert_str(0, &insertion.content);
                }
                None => index += 1,
            }
        }
        edits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn apply(text: &str, edits: &[Edit]) -> String {
        let mut sorted: Vec<&Edit> = edits.iter().collect();
        sorted.sort_by_key(|edit| std::cmp::Reverse(edit.start));
        let mut out = text.to_owned();
        for edit in sorted {
            out.replace_range(edit.start..edit.end, &edit.content);
        }
        out
    }

    fn rewrite(text: &str, write: impl Fn(&mut Rewriter, &Dockerfile)) -> String {
        let parse = parse(text);
        let file = Dockerfile::new(&parse);
        let mut rewriter = Rewriter::new(&file);
        write(&mut rewriter, &file);
        apply(text, &rewriter.finish())
    }

    #[test]
    fn inserts_lines_in_the_file_style_and_keeps_a_missing_final_newline_missing() {
        let insert_user = |rewriter: &mut Rewriter, file: &Dockerfile| {
            let line = rewriter.instruction(InstructionKind::User, "app");
            rewriter.insert_after(&file.instructions()[0], &[line]);
        };
        assert_eq!(
            rewrite("from x\r\nrun a\r\n", insert_user),
            "from x\r\nuser app\r\nrun a\r\n"
        );
        assert_eq!(rewrite("FROM x", insert_user), "FROM x\nUSER app");
    }

    #[test]
    fn puts_an_insertion_before_a_deletion_that_starts_there() {
        let text = "FROM x\nRUN a\nCMD b\n";
        let parse = parse(text);
        let file = Dockerfile::new(&parse);
        let mut rewriter = Rewriter::new(&file);
        let run = &file.instructions()[1];
        let line = rewriter.instruction(InstructionKind::Run, "c");
        rewriter.insert_after(run, &[line]);
        rewriter.delete(file.instructions()[2].range());
        let edits = rewriter.finish();
        assert_eq!(edits.len(), 1);
        assert_eq!(apply(text, &edits), "FROM x\nRUN a\nRUN c\n");
    }

    #[test]
    fn appends_a_command_in_the_run_continuation_style() {
        let append = |rewriter: &mut Rewriter, file: &Dockerfile| {
            let run = &file.instructions()[1];
            rewriter.append_command(run, run.content_end(), "rm -rf /tmp/x");
        };
        assert_eq!(
            rewrite("FROM x\nRUN a\n", append),
            "FROM x\nRUN a && rm -rf /tmp/x\n"
        );
        assert_eq!(
            rewrite("FROM x\nRUN a \\\n  && b\n", append),
            "FROM x\nRUN a \\\n  && b \\\n  && rm -rf /tmp/x\n"
        );
        assert_eq!(
            rewrite("FROM x\nRUN a && \\\n\tb\n", append),
            "FROM x\nRUN a && \\\n\tb && \\\n\trm -rf /tmp/x\n"
        );
    }

    #[test]
    fn joins_insertions_at_one_offset_in_order() {
        let text = "FROM x\nRUN a";
        let output = rewrite(text, |rewriter, file| {
            rewriter.insert_after(&file.instructions()[1], &["RUN b".to_owned()]);
            rewriter.append_stage("\nFROM y\n");
        });
        assert_eq!(output, "FROM x\nRUN a\nRUN b\n\nFROM y\n");
    }

    #[test]
    fn replaces_arguments() {
        let output = rewrite("FROM x\nCMD node app.js\n", |rewriter, file| {
            rewriter.replace_arguments(&file.instructions()[1], r#"["node", "app.js"]"#);
        });
        assert_eq!(output, "FROM x\nCMD [\"node\", \"app.js\"]\n");
    }
}
