//! Hostile inputs cost time in proportion to their size (ARCHITECTURE.md, invariant 3), checked
//! by counts rather than timings: the heap allocations and the bytes allocated while parsing a
//! file and running every transform over it (unsafe fixes included, to the fixed point), at one
//! size and at ten times that size. A linear pass allocates about ten times as much at ten
//! times the input; a quadratic one, a hundred times. Timings are in BENCHMARKS.md
//! (`cargo bench --bench parse`), not asserted here.

use dfmigrate::engine::{self, Job, TransformOptions};
use dfmigrate::transforms;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;

/// Counts this thread's allocations (calls and bytes); tests run on threads of their own.
struct Counting;

thread_local! {
    static COUNTS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

fn record(bytes: usize) {
    // `try_with`: nothing is counted while the thread's locals are being torn down.
    let _ = COUNTS.try_with(|counts| {
        let (calls, total) = counts.get();
        counts.set((calls + 1, total + bytes as u64));
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // A growing buffer counts the bytes it grows by: its total is its final capacity.
        record(new_size.saturating_sub(layout.size()));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocation calls and bytes of one engine run over `text`.
fn cost(text: &str, folder: &Path) -> (u64, u64) {
    let options = TransformOptions::new();
    let path = folder.join("Dockerfile");
    let job = Job {
        text,
        transforms: transforms::all(),
        path: Some(&path),
        build_context: Some(folder),
        other_dockerfiles: None,
        options: &options,
        apply_unsafe: true,
        change_files: true,
        knowledge: None,
    };
    let before = COUNTS.with(Cell::get);
    let outcome = engine::run(&job);
    let after = COUNTS.with(Cell::get);
    assert!(
        outcome.errors.is_empty(),
        "the input parses and its fixes apply: {:?}",
        outcome.errors.first()
    );
    drop(outcome);
    (after.0 - before.0, after.1 - before.1)
}

/// At ten times the input, at most `CALLS` times the allocations: 10 for linear work plus
/// slack for the per-file constant, far below a quadratic 100.
const CALLS: f64 = 12.0;
/// And at most `BYTES` times the bytes: a buffer that doubles as it grows ends anywhere between
/// its length and twice it, so linear work shows between ×5 and ×20; a quadratic one ×100.
const BYTES: f64 = 25.0;

fn assert_linear(name: &str, generate: fn(usize) -> String, n: usize) {
    let folder = tempfile::tempdir().expect("a temporary folder");
    cost(&generate(n / 10), folder.path()); // warm-up: the knowledge base is read once
    let small = cost(&generate(n), folder.path());
    let large = cost(&generate(10 * n), folder.path());
    let calls = large.0 as f64 / small.0 as f64;
    let bytes = large.1 as f64 / small.1 as f64;
    println!("{name}: n={n} {small:?}, 10n {large:?}: ×{calls:.2} allocations, ×{bytes:.2} bytes");
    assert!(
        calls <= CALLS && bytes <= BYTES,
        "{name}: ten times the input cost ×{calls:.2} allocations (at most ×{CALLS}) and ×{bytes:.2} bytes (at most ×{BYTES})"
    );
}

/// `RUN set -e \` then N lines `    && echo lineI \`.
fn continuation_lines(n: usize) -> String {
    let mut text = String::from("FROM alpine\nRUN set -e \\\n");
    for i in 0..n {
        text.push_str(&format!("    && echo line{i} \\\n"));
    }
    text.push_str("    && true\n");
    text
}

/// The same, each continuation line indented differently (tabs and spaces).
fn distinct_indents(n: usize) -> String {
    let mut text = String::from("FROM alpine\nRUN set -e \\\n");
    for i in 0..n {
        let indent: String = (0..20)
            .map(|bit| if (i >> bit) & 1 == 1 { ' ' } else { '\t' })
            .collect();
        text.push_str(&format!("{indent}&& echo line{i} \\\n"));
    }
    text.push_str("    && true\n");
    text
}

/// One RUN line of about N bytes.
fn long_line(n: usize) -> String {
    let mut text = String::from("FROM alpine\nRUN ");
    while text.len() < n {
        text.push_str("echo word ");
    }
    text.push('\n');
    text
}

/// One RUN opening N heredocs, then their bodies.
fn many_heredocs(n: usize) -> String {
    let mut text = String::from("FROM alpine\nRUN");
    for i in 0..n {
        text.push_str(&format!(" <<E{i}"));
    }
    text.push('\n');
    for i in 0..n {
        text.push_str(&format!("echo {i}\nE{i}\n"));
    }
    text
}

/// N instructions of every common shape.
fn many_instructions(n: usize) -> String {
    let mut text = String::from("# syntax=docker/dockerfile:1\nFROM alpine AS base\n");
    for i in 0..n {
        let line = match i % 5 {
            0 => format!("RUN --mount=type=cache,target=/c{i} make step{i} && echo ok\n"),
            1 => format!("COPY --from=base --chown=app:app /src/{i} /dst/{i}\n"),
            2 => format!("ENV KEY{i}=\"value {i}\" OTHER{i}=x\n"),
            3 => format!("CMD [\"/bin/app\", \"--id\", \"{i}\"]\n"),
            _ => format!("# comment {i}\nLABEL n{i}=v\n"),
        };
        text.push_str(&line);
    }
    text
}

#[test]
fn continuation_lines_are_linear() {
    assert_linear("continuation lines", continuation_lines, 2_000);
}

#[test]
fn distinct_indents_are_linear() {
    assert_linear("distinct indents", distinct_indents, 2_000);
}

#[test]
fn a_long_line_is_linear() {
    assert_linear("one long line", long_line, 40_000);
}

#[test]
fn heredocs_are_linear() {
    assert_linear("heredocs", many_heredocs, 200);
}

#[test]
fn instructions_are_linear() {
    assert_linear("instructions", many_instructions, 500);
}
