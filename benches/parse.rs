//! Parser throughput and scaling: `cargo bench --bench parse`.
//!
//! 1. Every file of `$DFMIGRATE_CORPUS/public` (default `../shared/corpus/public`), read into
//!    memory first, parsed on one thread; only parsing is timed. With the argument `corpus`,
//!    only this part runs.
//! 2. Pathological inputs generated in memory at growing sizes, to show parse time grows
//!    linearly with input size.

use dfmigrate::syntax::parse;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const CORPUS_ITERATIONS: usize = 10;
/// Each scaling measurement repeats until it has run at least this long, and keeps the fastest run.
const MIN_MEASURE_TIME: Duration = Duration::from_millis(300);

fn main() {
    // `cargo bench --bench parse -- corpus` runs only the corpus pass (for `perf stat`).
    let corpus_only = std::env::args().skip(1).any(|arg| arg == "corpus");
    corpus_throughput();
    if corpus_only {
        return;
    }
    println!();
    scaling(
        "RUN with N continuation lines",
        "line",
        &[1_000, 10_000, 100_000, 300_000],
        continuation_lines,
    );
    scaling(
        "one line of N bytes",
        "byte",
        &[10_000, 100_000, 1_000_000, 4_000_000],
        long_line,
    );
    scaling(
        "one RUN opening N heredocs",
        "heredoc",
        &[100, 1_000, 10_000],
        many_heredocs,
    );
    scaling(
        "file of N instructions",
        "instruction",
        &[1_000, 10_000, 100_000, 300_000],
        many_instructions,
    );
}

fn corpus_dir() -> PathBuf {
    std::env::var_os("DFMIGRATE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"))
        .join("public")
}

/// Every UTF-8 file under `dir`, in a stable order.
fn read_files(dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            read_files(&path, out);
        } else if let Ok(text) = std::fs::read_to_string(&path) {
            out.push(text);
        }
    }
}

fn corpus_throughput() {
    let dir = corpus_dir();
    let mut files = Vec::new();
    read_files(&dir, &mut files);
    if files.is_empty() {
        println!(
            "corpus: no files at {} (set DFMIGRATE_CORPUS); skipped",
            dir.display()
        );
        return;
    }
    let bytes: usize = files.iter().map(String::len).sum();
    let mut times = Vec::with_capacity(CORPUS_ITERATIONS);
    parse_all(&files); // warm-up
    for _ in 0..CORPUS_ITERATIONS {
        let start = Instant::now();
        parse_all(&files);
        times.push(start.elapsed());
    }
    times.sort();
    let (best, median) = (times[0], times[times.len() / 2]);
    let mb = bytes as f64 / 1e6;
    println!(
        "corpus {}: {} files, {:.2} MB, {CORPUS_ITERATIONS} iterations, one thread",
        dir.display(),
        files.len(),
        mb
    );
    for (label, time) in [("best", best), ("median", median)] {
        let secs = time.as_secs_f64();
        println!(
            "  {label:<6} {:>8.2} ms  {:>8.1} MB/s  {:>9.0} files/s",
            secs * 1e3,
            mb / secs,
            files.len() as f64 / secs
        );
    }
}

fn parse_all(files: &[String]) {
    for text in files {
        black_box(parse(black_box(text)));
    }
}

/// Prints a table of size, fastest parse time, time per unit and throughput.
fn scaling(title: &str, unit: &str, sizes: &[usize], generate: fn(usize) -> String) {
    println!("{title}");
    println!(
        "  {:>10} {:>12} {:>12} {:>14} {:>10}",
        "N",
        "bytes",
        "time (ms)",
        format!("ns/{unit}"),
        "MB/s"
    );
    for &n in sizes {
        let text = generate(n);
        let time = fastest_parse(&text);
        let secs = time.as_secs_f64();
        println!(
            "  {n:>10} {:>12} {:>12.3} {:>14.1} {:>10.1}",
            text.len(),
            secs * 1e3,
            secs * 1e9 / n as f64,
            text.len() as f64 / 1e6 / secs
        );
    }
}

fn fastest_parse(text: &str) -> Duration {
    let mut best = Duration::MAX;
    let started = Instant::now();
    while started.elapsed() < MIN_MEASURE_TIME || best == Duration::MAX {
        let start = Instant::now();
        black_box(parse(black_box(text)));
        best = best.min(start.elapsed());
    }
    best
}

fn continuation_lines(n: usize) -> String {
    let mut text = String::from("FROM alpine\nRUN set -e \\\n");
    for i in 0..n {
        text.push_str(&format!("    && echo line{i} \\\n"));
    }
    text.push_str("    && true\n");
    text
}

fn long_line(n: usize) -> String {
    let mut text = String::from("FROM alpine\nRUN ");
    while text.len() < n {
        text.push_str("echo word ");
    }
    text.push('\n');
    text
}

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
