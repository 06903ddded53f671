//! A run over files: inputs, configurations, the worker pool in chunks under one progress
//! bar, and each file read, fixed and rendered.

use super::beside::{other_readers, readers_by_context, write_all, Readers};
use super::changed::ChangedFiles;
use super::interactive;
use super::output::{print_stderr, Output};
use super::{use_color, Mode, OutputFormat, RunArgs, EXIT_ERROR, PROGRESS_MIN_FILES};
use crate::config::{self, CommandLine, Config, Discovery, Lookup};
use crate::context::compose::ComposeIndex;
use crate::emit::{self, BesideFile, FileReport, Paint, Status};
use crate::engine::{self, Job, TransformOptions};
use crate::walk::{self, display_path};
use rayon::prelude::*;
use std::collections::HashMap;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The name of an input in messages: the path, or the stdin name (`-` by default).
pub(super) fn input_name(path: &Path, stdin_name: Option<&Path>) -> String {
    match (is_stdin(path), stdin_name) {
        (true, Some(name)) => display_path(name),
        (true, None) => "-".to_owned(),
        (false, _) => display_path(path),
    }
}

pub(super) fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Reads a file (or stdin for `-`) as UTF-8 text.
pub(super) fn read_input(path: &Path) -> Result<String, String> {
    let bytes = read_bytes(path)?;
    String::from_utf8(bytes).map_err(|_| "not valid UTF-8".to_owned())
}

pub(super) fn read_bytes(path: &Path) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let result = if is_stdin(path) {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::read(path).map(|read| bytes = read)
    };
    result.map_err(|error| format!("cannot read: {error}"))?;
    Ok(bytes)
}

/// Everything a worker needs that is the same for every file.
pub(super) struct RunOptions {
    pub(super) mode: Mode,
    pub(super) command_line: CommandLine,
    pub(super) paint: Paint,
    pub(super) stdin_name: Option<PathBuf>,
    /// Whether reports carry the combined edits of their fixes (JSON output).
    pub(super) combined_edits: bool,
    /// `--diff --explain`: each file's diff preceded by what was applied and why.
    pub(super) explain: bool,
    /// The SARIF rules, when the findings are rendered as SARIF results.
    pub(super) sarif_rules: Option<Vec<emit::SarifRule>>,
    /// The build contexts Compose files declare, read once per folder.
    pub(super) compose: ComposeIndex,
    /// The Dockerfiles of the run by build context (absolute), so each knows the others that
    /// would read a `.dockerignore` at its context's root.
    pub(super) readers: Readers,
    /// The files beside Dockerfiles written so far (absolute path → content), so a file two
    /// Dockerfiles of a context propose is written once, and never with two contents.
    pub(super) written_beside: Mutex<HashMap<PathBuf, String>>,
}

pub(super) fn run(args: RunArgs) -> i32 {
    if let Err(message) = args.selection.check_ids() {
        eprintln!("error: {message}");
        return EXIT_ERROR;
    }
    let threads = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, usize::from),
        usize::from,
    );
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool,
        Err(error) => {
            eprintln!("error: cannot start worker threads: {error}");
            return EXIT_ERROR;
        }
    };
    pool.install(|| run_in_pool(args, threads))
}

/// Why the options cannot go together, if they cannot: an output format that cannot serve the
/// mode, or an option of `--write` without it (clap's `requires` counts a flag's default as
/// given).
fn format_conflict(args: &RunArgs, mode: Mode, format: OutputFormat) -> Option<String> {
    if args.interactive && (format != OutputFormat::Text || args.statistics || args.quiet) {
        return Some(
            "--interactive asks on the terminal; it takes no --format, --statistics or --quiet"
                .to_owned(),
        );
    }
    if args.interactive && (args.show_fixes || args.commit_message.is_some()) {
        return Some(
            "--interactive says what it writes; it takes no --show-fixes or --commit-message"
                .to_owned(),
        );
    }
    let write_only = [
        (args.show_fixes, "--show-fixes"),
        (args.commit_message.is_some(), "--commit-message"),
    ];
    if let Some((_, option)) = write_only
        .iter()
        .find(|(given, _)| *given && mode != Mode::Write)
    {
        return Some(format!(
            "{option} describes the fixes written; it needs --write"
        ));
    }
    let name = match format {
        OutputFormat::Text => return None,
        OutputFormat::Json => "json",
        OutputFormat::Sarif => "sarif",
        OutputFormat::Github => "github",
        OutputFormat::Gitlab => "gitlab",
    };
    if mode == Mode::Diff {
        return Some(format!(
            "--diff prints a diff; it cannot be combined with --format {name}"
        ));
    }
    (args.statistics && format != OutputFormat::Json).then(|| {
        format!("--statistics prints counts (as text or json); it cannot be combined with --format {name}")
    })
}

/// One SARIF rule per transform, in registry order.
fn sarif_rules() -> Vec<emit::SarifRule> {
    crate::transforms::all()
        .iter()
        .map(|transform| {
            let metadata = transform.metadata();
            emit::SarifRule {
                id: metadata.id,
                summary: metadata.summary,
                documentation: metadata.documentation,
            }
        })
        .collect()
}

pub(super) fn run_in_pool(args: RunArgs, threads: usize) -> i32 {
    let mode = match (args.diff, args.check, args.write || args.interactive) {
        (true, _, _) => Mode::Diff,
        (_, true, _) => Mode::Check,
        (_, _, true) => Mode::Write,
        _ => Mode::Report,
    };
    let format = args.format.unwrap_or_default();
    if let Some(message) = format_conflict(&args, mode, format) {
        eprintln!("error: {message}");
        return EXIT_ERROR;
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let reading_stdin = paths.iter().any(|path| is_stdin(path));
    if reading_stdin && paths.len() > 1 {
        eprintln!("error: `-` (stdin) cannot be combined with other paths");
        return EXIT_ERROR;
    }
    if reading_stdin && args.interactive {
        eprintln!("error: --interactive reads its answers from stdin; it cannot also read a Dockerfile there");
        return EXIT_ERROR;
    }
    if reading_stdin && args.changed_since.is_some() {
        eprintln!("error: --changed-since selects files in a git repository; it cannot read stdin");
        return EXIT_ERROR;
    }
    let changed = match args.changed_since.as_deref().map(ChangedFiles::since) {
        Some(Err(message)) => {
            eprintln!("error: {message}");
            return EXIT_ERROR;
        }
        Some(Ok(changed)) => Some(changed),
        None => None,
    };
    let fixed_config = match load_fixed_config(&args) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{error}");
            return EXIT_ERROR;
        }
    };
    let cli_exclusions =
        match config::CliExclusions::new(args.exclude.as_deref(), &args.extend_exclude) {
            Ok(exclusions) => exclusions,
            Err(message) => {
                eprintln!("error: {message}");
                return EXIT_ERROR;
            }
        };
    let exclusions = if args.isolated {
        config::WalkExclusions::isolated(cli_exclusions)
    } else if args.config.is_some() {
        config::WalkExclusions::fixed(fixed_config.clone(), cli_exclusions)
    } else {
        config::WalkExclusions::discover(cli_exclusions)
    };
    let options = RunOptions {
        mode,
        command_line: args.selection.clone(),
        paint: Paint {
            enabled: use_color(args.color, std::io::stdout().is_terminal()),
        },
        stdin_name: args.stdin_filename.clone(),
        combined_edits: format == OutputFormat::Json,
        explain: args.explain,
        sarif_rules: (format == OutputFormat::Sarif).then(sarif_rules),
        compose: ComposeIndex::default(),
        readers: Readers::default(),
        written_beside: Mutex::new(HashMap::new()),
    };
    let mut output = Output::new(&args, mode, format, &options);
    let inputs = if reading_stdin {
        let excluded = args.force_exclude
            && options.stdin_name.as_deref().is_some_and(|name| {
                walk::Exclude::excluded_explicit(&exclusions, &walk::absolute(name), false)
            });
        match stdin_inputs(excluded, &options, &mut output) {
            Ok(inputs) => inputs,
            Err(code) => return code,
        }
    } else {
        let (files, errors) = walk::collect_with(&paths, threads, &exclusions, args.force_exclude);
        Inputs { files, errors }
    };
    let lookups = resolve_configs(
        &inputs.files,
        &args,
        fixed_config,
        exclusions.into_discovery().unwrap_or_default(),
        options.stdin_name.as_deref(),
    );
    let (files, lookups) = match &changed {
        Some(changed) => keep_changed(inputs.files, lookups, changed, &options),
        None => (inputs.files, lookups),
    };
    let config_errors = distinct_config_errors(&lookups);
    print_stderr(&setup_errors(&config_errors, &inputs.errors));
    let options = RunOptions {
        readers: readers_by_context(&files, &lookups, &options),
        ..options
    };
    if args.interactive {
        let (stdin, stdout) = (std::io::stdin(), std::io::stdout());
        let code = interactive::review(
            &files,
            &lookups,
            &options,
            &mut stdin.lock(),
            &mut stdout.lock(),
        );
        let setup_failed = !inputs.errors.is_empty() || !config_errors.is_empty();
        return if setup_failed { EXIT_ERROR } else { code };
    }
    let progress = Progress::new(files.len(), !args.quiet && std::io::stderr().is_terminal());
    for (files, lookups) in files.chunks(CHUNK).zip(lookups.chunks(CHUNK)) {
        let reports = process_all(files, lookups, &options, &progress);
        progress.suspend(|| output.chunk(&reports, &options));
    }
    progress.finish();
    if !args.quiet {
        print_stderr(&compose_warnings(&options.compose));
    }
    output.finish(!inputs.errors.is_empty() || !config_errors.is_empty())
}

/// Standard input as the one file to process, or nothing when `--force-exclude` excludes its
/// `--stdin-filename`: as ruff, `--write` then passes the input through unchanged.
pub(super) fn stdin_inputs(
    excluded: bool,
    options: &RunOptions,
    output: &mut Output,
) -> Result<Inputs, i32> {
    if !excluded {
        return Ok(Inputs {
            files: vec![PathBuf::from("-")],
            errors: Vec::new(),
        });
    }
    if options.mode == Mode::Write {
        let stdin = Path::new("-");
        match read_input(stdin) {
            Ok(text) => output.stdin_outputs.push_str(&text),
            Err(message) => {
                let name = input_name(stdin, options.stdin_name.as_deref());
                eprintln!("{name}: error: {message}");
                return Err(EXIT_ERROR);
            }
        }
    }
    Ok(Inputs::default())
}

/// Files processed together; each chunk's reports are printed and dropped before the next, so
/// memory does not grow with the number of files.
pub(super) const CHUNK: usize = 512;

/// `--config FILE` loaded once (`Some`), or `None` when configs are discovered or ignored.
pub(super) fn load_fixed_config(
    args: &RunArgs,
) -> Result<Option<Arc<Config>>, config::ConfigError> {
    match (&args.config, args.isolated) {
        (Some(path), false) => Config::load(path).map(|config| Some(Arc::new(config))),
        _ => Ok(None),
    }
}

/// Files to process and the problems met finding them.
#[derive(Default)]
pub(super) struct Inputs {
    pub(super) files: Vec<PathBuf>,
    pub(super) errors: Vec<walk::WalkError>,
}

/// The configuration of each file, looked up once per folder (`discovery` already holds the
/// folders the walk looked up).
pub(super) fn resolve_configs(
    files: &[PathBuf],
    args: &RunArgs,
    fixed: Option<Arc<Config>>,
    mut discovery: Discovery,
    stdin_name: Option<&Path>,
) -> Vec<Lookup> {
    if args.isolated {
        return vec![Ok(None); files.len()];
    }
    if let Some(config) = fixed {
        return vec![Ok(Some(config)); files.len()];
    }
    files
        .iter()
        .map(|file| {
            let named = if is_stdin(file) {
                stdin_name.unwrap_or(Path::new("-"))
            } else {
                file.as_path()
            };
            discovery.for_folder(&walk::absolute(&folder_of(named)))
        })
        .collect()
}

/// The folder holding a file (`.` for a bare file name).
pub(super) fn folder_of(file: &Path) -> PathBuf {
    file.parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_owned)
}

/// Each broken configuration file once.
pub(super) fn distinct_config_errors(lookups: &[Lookup]) -> Vec<Arc<config::ConfigError>> {
    let mut errors: Vec<Arc<config::ConfigError>> = Vec::new();
    for lookup in lookups {
        if let Err(error) = lookup {
            if !errors.iter().any(|known| known.path == error.path) {
                errors.push(error.clone());
            }
        }
    }
    errors
}

/// Processes every file in parallel; the reports come back in the order of `files`.
pub(super) fn process_all(
    files: &[PathBuf],
    lookups: &[Lookup],
    options: &RunOptions,
    progress: &Progress,
) -> Vec<FileReport> {
    files
        .par_iter()
        .zip(lookups.par_iter())
        .map(|(file, lookup)| {
            let report = process_file(file, lookup, options);
            progress.inc();
            report
        })
        .collect()
}

/// One progress bar over every file of the run (not one per chunk), on stderr, only when it is
/// a terminal, there are many files and `--quiet` is not given.
pub(super) struct Progress {
    pub(super) bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    pub(super) fn new(files: usize, terminal: bool) -> Progress {
        if files < PROGRESS_MIN_FILES || !terminal {
            return Progress { bar: None };
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(files as u64),
            indicatif::ProgressDrawTarget::stderr(),
        );
        let progress = Progress::with_bar(bar);
        // Drawn at once (0/TOTAL), not only after the first file.
        if let Some(bar) = &progress.bar {
            bar.tick();
        }
        progress
    }

    pub(super) fn with_bar(bar: indicatif::ProgressBar) -> Progress {
        let style = indicatif::ProgressStyle::with_template("{wide_bar} {pos}/{len} files")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        Progress {
            bar: Some(bar.with_style(style)),
        }
    }

    pub(super) fn inc(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// Runs `print` with the bar hidden, so printed lines do not mix with it.
    pub(super) fn suspend<R>(&self, print: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    pub(super) fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Reads, fixes and renders one file.
pub(super) fn process_file(file: &Path, lookup: &Lookup, options: &RunOptions) -> FileReport {
    let name = input_name(file, options.stdin_name.as_deref());
    let config = match lookup {
        Ok(config) => config.as_deref(),
        Err(error) => {
            let message = format!(
                "not processed: invalid configuration {}",
                display_path(&error.path)
            );
            return FileReport::failed(name, 0, message);
        }
    };
    let bytes = match read_bytes(file) {
        Ok(bytes) => bytes,
        Err(message) => return FileReport::failed(name, 0, message),
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return FileReport::failed(name, 0, "not valid UTF-8".to_owned());
    };
    let change_files = !is_stdin(file);
    let (outcome, apply_unsafe) = fix_text(file, text, config, options, change_files);
    finish(file, name, &bytes, text, (outcome, apply_unsafe), options)
}

/// Runs the engine on one file's text with the file's settings; also says whether unsafe fixes
/// were applied. `change_files`: whether fixes may create or rewrite files beside it.
pub(super) fn fix_text(
    file: &Path,
    text: &str,
    config: Option<&Config>,
    options: &RunOptions,
    change_files: bool,
) -> (engine::Outcome, bool) {
    let named = if is_stdin(file) {
        options.stdin_name.as_deref()
    } else {
        Some(file)
    };
    let settings_path = named.unwrap_or(Path::new("-"));
    let settings = config::settings_for(settings_path, config, &options.command_line);
    let build_context = named.map(|path| build_context_of(path, &settings, &options.compose));
    let others = match (named, &build_context) {
        (Some(path), Some(context)) if !is_stdin(file) => {
            Some(other_readers(options, path, context))
        }
        _ => None,
    };
    let no_options = TransformOptions::new();
    let outcome = engine::run(&Job {
        text,
        transforms: &settings.transforms,
        path: named,
        build_context: build_context.as_deref(),
        other_dockerfiles: others.as_deref(),
        options: config.map_or(&no_options, Config::options),
        apply_unsafe: settings.apply_unsafe,
        change_files,
        knowledge: config.and_then(Config::knowledge),
    });
    (outcome, settings.apply_unsafe)
}

/// The file's build context folder: its configured `build-context`, else the one the Compose
/// files give it, else its folder.
pub(super) fn build_context_of(
    file: &Path,
    settings: &config::FileSettings,
    compose: &ComposeIndex,
) -> PathBuf {
    settings
        .build_context
        .clone()
        .or_else(|| compose.context_of(file))
        .unwrap_or_else(|| folder_of(file))
}

/// The Compose files that could not be read and the Dockerfiles they give several contexts.
fn compose_warnings(compose: &ComposeIndex) -> String {
    compose
        .problems()
        .iter()
        .map(|problem| format!("warning: {problem}\n"))
        .collect()
}

/// Keeps the files (and their configurations) that the change touched: the Dockerfile or a
/// file of its build context.
fn keep_changed(
    files: Vec<PathBuf>,
    lookups: Vec<Lookup>,
    changed: &ChangedFiles,
    options: &RunOptions,
) -> (Vec<PathBuf>, Vec<Lookup>) {
    files
        .into_iter()
        .zip(lookups)
        .filter(|(file, lookup)| {
            let config = lookup.as_ref().ok().and_then(|config| config.as_deref());
            let settings = config::settings_for(file, config, &options.command_line);
            changed.touches(file, &build_context_of(file, &settings, &options.compose))
        })
        .unzip()
}

/// Turns the engine's outcome into a report: diff, write or nothing, per mode.
pub(super) fn finish(
    file: &Path,
    name: String,
    bytes: &[u8],
    text: &str,
    (outcome, apply_unsafe): (engine::Outcome, bool),
    options: &RunOptions,
) -> FileReport {
    let mut report = FileReport::new(name, status_of(&outcome));
    report.apply_unsafe = apply_unsafe;
    report.findings = outcome.findings;
    report.errors = outcome.errors;
    report.beside = outcome
        .files
        .into_iter()
        .map(|changed| BesideFile {
            path: display_path(&changed.path),
            location: changed.path,
            original: changed.original,
            content: changed.content,
        })
        .collect();
    if let Some(rules) = &options.sarif_rules {
        report.sarif_results = emit::sarif_results(&report.path, text, &report.findings, rules);
    }
    let fixed = outcome.fixed;
    report.only_beside = fixed.is_none() && !report.beside.is_empty();
    if fixed.is_none() && report.beside.is_empty() {
        if options.mode == Mode::Write && is_stdin(file) {
            report.output = Some(text.to_owned());
        }
        return report;
    }
    if options.combined_edits {
        report.fix_edits = fixed
            .as_deref()
            .map(|fixed| emit::combined_edits(text, fixed));
    }
    match options.mode {
        Mode::Diff => {
            let diff = fixed.as_deref().map_or_else(String::new, |fixed| {
                emit::unified_diff(&report.path, text, fixed, options.paint)
            });
            report.diff = Some(match options.explain {
                true => emit::explanation(&report) + &diff,
                false => diff,
            });
        }
        Mode::Write if is_stdin(file) => {
            report.output = Some(fixed.unwrap_or_else(|| text.to_owned()))
        }
        Mode::Write => match write_all(file, bytes, fixed.as_deref(), &report.beside, options) {
            Ok(()) => report.status = Status::Written,
            Err(message) => {
                report.status = Status::Error;
                report.errors.push(engine::FileError { line: 0, message });
            }
        },
        Mode::Report | Mode::Check => {}
    }
    report
}

pub(super) fn status_of(outcome: &engine::Outcome) -> Status {
    match (
        outcome.changes(),
        outcome.skipped,
        outcome.errors.is_empty(),
    ) {
        (_, true, _) => Status::Skipped,
        (true, _, _) => Status::Changed,
        (false, _, false) => Status::Error,
        (false, _, true) => Status::Unchanged,
    }
}

pub(super) fn setup_errors(
    config_errors: &[Arc<config::ConfigError>],
    walk_errors: &[walk::WalkError],
) -> String {
    let mut errors = String::new();
    for error in config_errors {
        errors.push_str(&format!("{error}\n"));
    }
    for error in walk_errors {
        errors.push_str(&format!(
            "{}: error: {}\n",
            display_path(&error.path),
            error.message
        ));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_progress_bar_spans_every_chunk() {
        let files: Vec<PathBuf> = (0..CHUNK + 100)
            .map(|index| PathBuf::from(format!("/nonexistent/{index}/Dockerfile")))
            .collect();
        let lookups = vec![Ok(None); files.len()];
        let options = RunOptions {
            mode: Mode::Check,
            command_line: CommandLine::default(),
            paint: Paint::default(),
            stdin_name: None,
            combined_edits: false,
            explain: false,
            sarif_rules: None,
            compose: ComposeIndex::default(),
            readers: Readers::default(),
            written_beside: Mutex::new(HashMap::new()),
        };
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(files.len() as u64),
            indicatif::ProgressDrawTarget::hidden(),
        );
        let progress = Progress::with_bar(bar.clone());
        for (files, lookups) in files.chunks(CHUNK).zip(lookups.chunks(CHUNK)) {
            let reports = process_all(files, lookups, &options, &progress);
            assert_eq!(reports.len(), files.len());
            assert_eq!(bar.length(), Some((CHUNK + 100) as u64));
        }
        assert_eq!(bar.position(), (CHUNK + 100) as u64);
        assert!(Progress::new(CHUNK, false).bar.is_none());
        assert!(Progress::new(PROGRESS_MIN_FILES - 1, true).bar.is_none());
    }
}
