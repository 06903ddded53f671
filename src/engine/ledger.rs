//! The fixes the rounds applied, followed to the final text, so the reports claim exactly the
//! fixes whose edits the final text holds.
//!
//! Each applied fix is recorded with its transform, where its finding lies in the original text
//! (mapped back through the earlier rounds' edits) and the spans its edits wrote. Every later
//! round carries those spans through its own edits: a later edit that touches a span undoes it
//! unless its new text carries the span's text along (for a deletion: unless it writes the
//! deleted text back); an edit inside a span, or over part of it, leaves it. A fix is in the
//! final text when none of its spans was undone and every file beside the Dockerfile it changed
//! still differs from its first content. The first-round findings are then claimed one to one
//! by those fixes: same transform and range, else an overlapping range. A fix made on text that
//! another fix wrote (non-root-user on split-stages' runtime stage) is also placed where the
//! writer's finding is; one that no finding's range meets claims none: a report may leave a change
//! unexplained, never claim one the text lacks. A claimed finding whose fix was made on text
//! another fix wrote is reported with that fix's own message: it may not be the one the first
//! round proposed (non-root-user on split-stages' runtime stage on distroless takes its `nonroot`
//! user).

use super::Candidate;
use crate::diagnostics::Edit;
use crate::syntax::TextRange;
use std::path::PathBuf;

/// The fixes applied so far and the edits of each round.
#[derive(Default)]
pub(super) struct Ledger {
    entries: Vec<Entry>,
    /// Each round's edits, sorted, in the coordinates of the text the round started from.
    rounds: Vec<Vec<Shift>>,
}

/// One applied fix.
struct Entry {
    transform: &'static str,
    /// Its finding's message, as the round that applied it made it.
    message: String,
    /// Where its finding is in the original text: its range mapped back through the earlier
    /// rounds' edits, and, when it lies in text another fix wrote, that fix's place too.
    places: Vec<TextRange>,
    spans: Vec<Span>,
    files: Vec<PathBuf>,
    undone: bool,
}

/// What one edit of an applied fix wrote, where it is now.
struct Span {
    at: TextRange,
    written: String,
    removed: String,
}

/// One applied edit: the range it replaced and the length of its new text.
#[derive(Clone, Copy)]
struct Shift {
    start: usize,
    end: usize,
    written: usize,
}

/// A first-round finding the ledger may say was applied: its transform, its range in the
/// original text, and whether its fix qualifies under the job's settings.
pub(super) struct Claimable<'f> {
    pub transform: &'static str,
    pub range: TextRange,
    pub message: &'f str,
    pub qualifies: bool,
}

impl Entry {
    /// What the report says of the fix that claims `finding`: its own message when it was made
    /// on text another fix wrote (its places hold that fix's too), where it may differ from the
    /// one the first round proposed; else the first round's, whose line numbers are the
    /// original text's (a fix that only waited for a round names the lines of the text it was
    /// made on).
    fn reported_message<'m>(&'m self, finding: &Claimable<'m>) -> &'m str {
        match self.places.len() > 1 {
            true => &self.message,
            false => finding.message,
        }
    }
}

impl Ledger {
    /// Records the fixes a round applied to `before` (those changing only files too).
    pub(super) fn record(&mut self, before: &str, applied: &[&Candidate]) {
        let mut edits: Vec<&Edit> = applied
            .iter()
            .flat_map(|c| c.edits.iter().copied())
            .collect();
        edits.sort_by_key(|edit| (edit.start, edit.end));
        let new_entries: Vec<Entry> = applied
            .iter()
            .map(|candidate| Entry {
                transform: candidate.transform,
                message: candidate.message.to_owned(),
                places: self.places_of(candidate.found_at),
                spans: spans_written(before, &candidate.edits, &edits),
                files: candidate.files.iter().map(|f| f.path.clone()).collect(),
                undone: false,
            })
            .collect();
        for entry in self.entries.iter_mut().filter(|entry| !entry.undone) {
            entry.carry_through(&edits);
        }
        self.entries.extend(new_entries);
        if !edits.is_empty() {
            self.rounds
                .push(edits.iter().copied().map(shift_of).collect());
        }
    }

    /// For each finding, the message of the fix the final text holds that claims it (`None`:
    /// none does); `changed_files` are the
    /// files beside the Dockerfile whose final content differs from their first.
    pub(super) fn claims(
        &self,
        findings: &[Claimable],
        changed_files: &[PathBuf],
    ) -> Vec<Option<String>> {
        let kept: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|entry| entry.holds(changed_files))
            .collect();
        let mut claimed: Vec<Option<String>> = vec![None; findings.len()];
        let mut used = vec![false; kept.len()];
        // The same fix first (several findings of one transform may share a range), then the
        // same place, then an overlapping one.
        let rules: [fn(&Entry, &Claimable) -> bool; 3] = [
            |entry, finding| {
                entry.places.contains(&finding.range) && entry.message == finding.message
            },
            |entry, finding| entry.places.contains(&finding.range),
            |entry, finding| entry.places.iter().any(|at| touches(*at, finding.range)),
        ];
        for rule in rules {
            for (index, finding) in findings.iter().enumerate() {
                if claimed[index].is_some() || !finding.qualifies {
                    continue;
                }
                let claimer = kept.iter().enumerate().position(|(at, entry)| {
                    !used[at] && entry.transform == finding.transform && rule(entry, finding)
                });
                if let Some(at) = claimer {
                    used[at] = true;
                    claimed[index] = Some(kept[at].reported_message(finding).to_owned());
                }
            }
        }
        claimed
    }

    /// Where a range of the current text is in the original text: mapped back through every
    /// round's edits, and the places of the fix that wrote the text holding it.
    fn places_of(&self, range: TextRange) -> Vec<TextRange> {
        let writer = self
            .entries
            .iter()
            .filter(|entry| !entry.undone)
            .filter_map(|entry| Some((entry.span_holding(range)?, &entry.places)))
            .min_by_key(|(span, _)| span.len());
        let mut places = vec![self.to_original(range)];
        places.extend(writer.into_iter().flat_map(|(_, at)| at.iter().copied()));
        places
    }

    /// A range of the current text, mapped back to the original text through every round.
    fn to_original(&self, range: TextRange) -> TextRange {
        let (mut start, mut end) = (range.start, range.end);
        for shifts in self.rounds.iter().rev() {
            start = back(start, shifts, false);
            end = back(end, shifts, true).max(start);
        }
        TextRange::new(start, end)
    }
}

impl Entry {
    /// Whether the final text still holds this fix.
    fn holds(&self, changed_files: &[PathBuf]) -> bool {
        !self.undone && self.files.iter().all(|path| changed_files.contains(path))
    }

    /// The span of its text that holds a range of the current text.
    fn span_holding(&self, range: TextRange) -> Option<TextRange> {
        self.spans
            .iter()
            .map(|span| span.at)
            .find(|at| !at.is_empty() && at.start <= range.start && range.end <= at.end)
    }

    /// Moves the spans through a later round's edits, or marks the fix undone.
    fn carry_through(&mut self, edits: &[&Edit]) {
        for span in &mut self.spans {
            match carried(span, edits) {
                Some(at) => span.at = at,
                None => {
                    self.undone = true;
                    return;
                }
            }
        }
    }
}

/// Where a span is after a round's edits; `None` when an edit undid it: replaced all of its
/// text without carrying it along (a deletion: wrote the deleted text back). An edit inside a
/// span, or over a part of it, changes the fix's text without undoing it.
fn carried(span: &Span, edits: &[&Edit]) -> Option<TextRange> {
    if let Some(edit) = edits.iter().find(|edit| replaces(edit, span.at)) {
        let new_start = forward(edit.start, edits, false);
        return carried_by(span, edit, new_start);
    }
    Some(TextRange::new(
        forward(span.at.start, edits, false),
        forward(span.at.end, edits, true),
    ))
}

/// A span an edit replaces: still there when the edit's text carries the span's text along (a
/// deletion: when it does not write the deleted text back).
fn carried_by(span: &Span, edit: &Edit, new_start: usize) -> Option<TextRange> {
    if span.at.is_empty() {
        let restored = !span.removed.is_empty() && edit.content.contains(&span.removed);
        return (!restored).then(|| TextRange::new(new_start, new_start));
    }
    let inside = edit.content.find(&span.written)?;
    let start = new_start + inside;
    Some(TextRange::new(start, start + span.written.len()))
}

/// Whether an edit replaces the whole of a span (for a deletion's empty span: touches its
/// place).
fn replaces(edit: &Edit, span: TextRange) -> bool {
    if span.is_empty() {
        return edit.start <= span.start && span.start <= edit.end;
    }
    edit.start <= span.start && span.end <= edit.end
}

/// A position after a round's (sorted) edits: an insertion at a span's start goes before it, one
/// at its end (`end`) after it; a position inside a replaced range goes to the replacement's
/// start (`end`: its end).
fn forward(position: usize, edits: &[&Edit], end: bool) -> usize {
    let mut delta: isize = 0;
    for edit in edits {
        let insertion = edit.start == edit.end;
        let before = edit.end < position || (edit.end == position && !(insertion && end));
        if before {
            delta += edit.content.len() as isize - (edit.end - edit.start) as isize;
            continue;
        }
        if edit.start < position {
            let new_start = offset(edit.start, delta);
            return if end {
                new_start + edit.content.len()
            } else {
                new_start
            };
        }
        break;
    }
    offset(position, delta)
}

/// Whether two ranges of the original text overlap or meet.
fn touches(a: TextRange, b: TextRange) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// The spans a fix's edits wrote in the round's result (`all` are the round's edits, sorted).
fn spans_written(before: &str, own: &[&Edit], all: &[&Edit]) -> Vec<Span> {
    own.iter()
        .map(|edit| {
            let shift: isize = all
                .iter()
                .take_while(|other| (other.start, other.end) < (edit.start, edit.end))
                .map(|other| other.content.len() as isize - (other.end - other.start) as isize)
                .sum();
            let start = offset(edit.start, shift);
            Span {
                at: TextRange::new(start, start + edit.content.len()),
                written: edit.content.clone(),
                removed: before
                    .get(edit.start..edit.end)
                    .unwrap_or_default()
                    .to_owned(),
            }
        })
        .collect()
}

fn shift_of(edit: &Edit) -> Shift {
    Shift {
        start: edit.start,
        end: edit.end,
        written: edit.content.len(),
    }
}

/// A position of a round's result mapped back to the text the round started from: a position
/// inside new text goes to the start of what it replaced (`end`: to its end).
fn back(position: usize, shifts: &[Shift], end: bool) -> usize {
    let mut delta: isize = 0;
    for shift in shifts {
        let new_start = offset(shift.start, delta);
        if position < new_start {
            break;
        }
        if position <= new_start + shift.written {
            return if end { shift.end } else { shift.start };
        }
        delta += shift.written as isize - (shift.end - shift.start) as isize;
    }
    offset(position, -delta)
}

fn offset(position: usize, delta: isize) -> usize {
    position.saturating_add_signed(delta)
}
