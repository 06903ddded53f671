//! Logical lines: an instruction's physical lines joined the way BuildKit joins them (line
//! continuations removed, comment and blank lines inside a continuation skipped), with a map from
//! every logical byte back to its byte in the source.

use super::tree::TextRange;

/// One run of source bytes copied verbatim into the logical line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Segment {
    logical: usize,
    source: usize,
    len: usize,
}

/// An instruction's text as BuildKit sees it, with its way back to the source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogicalLine {
    text: String,
    segments: Vec<Segment>,
}

impl LogicalLine {
    pub fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.segments.clear();
    }

    pub(crate) fn push(&mut self, source_text: &str, range: TextRange) {
        if range.is_empty() {
            return;
        }
        self.segments.push(Segment {
            logical: self.text.len(),
            source: range.start,
            len: range.len(),
        });
        self.text.push_str(range.slice(source_text));
    }

    /// The source ranges of the logical range's pieces (more than one when it crosses a continuation).
    pub fn source_pieces(&self, range: TextRange) -> impl Iterator<Item = TextRange> + '_ {
        self.segments.iter().filter_map(move |segment| {
            let start = range.start.max(segment.logical);
            let end = range.end.min(segment.logical + segment.len);
            (start < end).then(|| {
                TextRange::new(
                    segment.source + start - segment.logical,
                    segment.source + end - segment.logical,
                )
            })
        })
    }

    /// The source byte of a logical position, where a position at a segment boundary belongs to
    /// the segment that starts there (use for the start of a range).
    pub fn source_start(&self, logical: usize) -> usize {
        let index = self
            .segments
            .partition_point(|segment| segment.logical + segment.len <= logical);
        match self.segments.get(index) {
            Some(segment) => segment.source + logical.saturating_sub(segment.logical),
            None => self.source_end(logical),
        }
    }

    /// The source byte of a logical position, where a position at a segment boundary belongs to
    /// the segment that ends there (use for the end of a range).
    pub fn source_end(&self, logical: usize) -> usize {
        let index = self
            .segments
            .partition_point(|segment| segment.logical < logical);
        match index.checked_sub(1).and_then(|i| self.segments.get(i)) {
            Some(segment) => segment.source + (logical - segment.logical).min(segment.len),
            None => self.segments.first().map_or(0, |segment| segment.source),
        }
    }

    /// The source range spanning a logical range (continuations inside it included).
    pub fn source_range(&self, range: TextRange) -> TextRange {
        if range.is_empty() {
            let at = self.source_start(range.start);
            return TextRange::empty(at);
        }
        TextRange::new(self.source_start(range.start), self.source_end(range.end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_across_segments() {
        let source = "RUN a \\\n  b\n";
        let mut line = LogicalLine::default();
        line.push(source, TextRange::new(0, 6));
        line.push(source, TextRange::new(8, 11));
        assert_eq!(line.text(), "RUN a   b");
        assert_eq!(
            line.source_range(TextRange::new(4, 9)),
            TextRange::new(4, 11)
        );
        assert_eq!(line.source_start(6), 8);
        assert_eq!(line.source_end(6), 6);
        let pieces: Vec<_> = line.source_pieces(TextRange::new(4, 9)).collect();
        assert_eq!(pieces, vec![TextRange::new(4, 6), TextRange::new(8, 11)]);
    }
}
