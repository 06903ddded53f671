//! The command line: `dfmigrate [--diff | --check | --write] [OPTIONS] PATH...` and the
//! subcommands `transforms`, `explain ID` and `parse FILE`.
//!
//! Exit codes: 0 nothing to report (or everything written), 1 findings (no mode flag,
//! `--statistics`) or changes found (`--diff`, `--check`), 2 any error. `--exit-zero` turns 1
//! into 0; errors still exit 2. Every file is processed even when some fail; errors go to
//! stderr as `PATH:LINE: error: message` (`PATH: error: message` without a line).
//!
//! Output: findings, `Would fix:` lines, diffs or the JSON document per chunk of files, in path
//! order; then `--statistics`, `--show-fixes`' listing and the summary line (which counts the
//! unsafe fixes left hidden), all but the findings and diffs left out by `--quiet`. The summary
//! goes to stderr when stdout carries a diff or the fixed text of stdin.

use crate::config::{self, CommandLine, Config, Discovery, Lookup};
use crate::emit::{self, FileReport, Paint, Status, Summary};
use crate::engine::{self, Job, TransformOptions};
use crate::syntax::{self, Token, TokenKind};
use crate::transforms;
use crate::walk::{self, display_path};
use clap::{Args, Parser, Subcommand, ValueEnum};
use rayon::prelude::*;
use serde::Serialize;
use std::io::{IsTerminal, Read, Write};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Exit code: nothing to report.
pub const EXIT_OK: i32 = 0;
/// Exit code: findings or changes found.
pub const EXIT_FOUND: i32 = 1;
/// Exit code: an error (bad flag, unreadable or unparsable file, bad configuration, failed write).
pub const EXIT_ERROR: i32 = 2;

/// Below this many files no progress bar is shown.
const PROGRESS_MIN_FILES: usize = 200;

#[derive(Parser, Debug)]
#[command(
    name = "dfmigrate",
    version,
    about = "Refactors Dockerfiles: lossless parsing, reviewable diffs, safe rewrites",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List every transform: id, whether it runs by default, its strongest fix, what it does.
    Transforms,
    /// Print a transform's documentation.
    Explain {
        /// The transform id.
        id: String,
    },
    /// Print the lossless syntax tree of a file (`-` for stdin).
    Parse {
        #[arg(long, value_enum, default_value_t = ParseFormat::Json)]
        format: ParseFormat,
        /// The file to parse, or `-` for stdin.
        file: PathBuf,
    },
    /// Build each Dockerfile and its rewrite, and compare the images.
    Verify(crate::verify::VerifyArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ParseFormat {
    /// `{"tokens", "instructions", "errors"}`.
    Json,
    /// An indented dump of nodes and tokens.
    Tree,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    #[default]
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    /// Colour when writing to a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug)]
struct RunArgs {
    /// Print a unified diff of the fixes instead of findings.
    #[arg(long, group = "mode")]
    diff: bool,
    /// List the files fixes would change.
    #[arg(long, group = "mode")]
    check: bool,
    /// Apply the fixes to the files.
    #[arg(long, group = "mode")]
    write: bool,
    #[command(flatten)]
    selection: CommandLine,
    /// Output format.
    #[arg(long, value_enum)]
    format: Option<OutputFormat>,
    /// When to colour the output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Worker threads (default: all cores).
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    jobs: Option<NonZeroUsize>,
    /// Use this configuration file for every file instead of discovering `dfmigrate.toml`.
    #[arg(long, value_name = "FILE", conflicts_with = "isolated")]
    config: Option<PathBuf>,
    /// Ignore all configuration files.
    #[arg(long)]
    isolated: bool,
    /// The name of the file read from stdin (`-`), for messages and configuration lookup.
    #[arg(long, value_name = "NAME")]
    stdin_filename: Option<PathBuf>,
    /// Leave out of folder walks the files and folders matching these gitignore-style patterns
    /// (comma-separated, relative to the current folder), instead of the configured `exclude`
    /// or the defaults; `--exclude=` excludes nothing.
    #[arg(long, value_delimiter = ',', value_name = "PATTERNS")]
    exclude: Option<Vec<String>>,
    /// Leave these out too (comma-separated gitignore-style patterns, relative to the current
    /// folder; `!PATTERN` re-includes).
    #[arg(long, value_delimiter = ',', value_name = "PATTERNS")]
    extend_exclude: Vec<String>,
    /// Apply the exclusions to paths named on the command line (and `--stdin-filename`) too.
    #[arg(long)]
    force_exclude: bool,
    /// Exit 0 even when findings or changes remain; errors still exit 2.
    #[arg(long)]
    exit_zero: bool,
    /// Print only findings, diffs or `Would fix:` lines (and errors): no summary, no progress bar.
    #[arg(short, long)]
    quiet: bool,
    /// Count the findings of each transform, with how many have safe and unsafe fixes, instead of
    /// listing them.
    #[arg(long, conflicts_with_all = ["diff", "check", "write"])]
    statistics: bool,
    /// With --write: list the fixes applied to each file.
    #[arg(long, requires = "write")]
    show_fixes: bool,
    /// Files and folders to process (`-` for stdin); default: the current folder.
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
}

/// What to do with the fixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Report,
    Diff,
    Check,
    Write,
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return match error.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    EXIT_OK
                }
                _ => EXIT_ERROR,
            };
        }
    };
    match cli.command {
        Some(Command::Transforms) => list_transforms(),
        Some(Command::Explain { id }) => explain(&id),
        Some(Command::Parse { format, file }) => parse_command(&file, format),
        Some(Command::Verify(args)) => crate::verify::run(args),
        None => run(cli.run),
    }
}

fn list_transforms() -> i32 {
    let rows: Vec<[String; 4]> = transforms::all()
        .iter()
        .map(|transform| {
            [
                transform.id().to_owned(),
                if transform.enabled_by_default() {
                    "on"
                } else {
                    "off"
                }
                .to_owned(),
                transform.max_applicability().as_str().to_owned(),
                transform.summary().to_owned(),
            ]
        })
        .collect();
    let header = ["ID", "DEFAULT", "FIX", "SUMMARY"].map(str::to_owned);
    let widths: Vec<usize> = (0..3)
        .map(|column| {
            std::iter::once(&header)
                .chain(&rows)
                .map(|row| row[column].len())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        out.push_str(&format!(
            "{:w0$}  {:w1$}  {:w2$}  {}\n",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        ));
    }
    print_stdout(&out);
    EXIT_OK
}

fn explain(id: &str) -> i32 {
    match transforms::by_id(id) {
        Some(transform) => {
            let mut text = transform.documentation().to_owned();
            if !text.ends_with('\n') {
                text.push('\n');
            }
            print_stdout(&text);
            EXIT_OK
        }
        None => {
            eprintln!(
                "error: unknown transform `{id}` (known: {})",
                config::known_transform_ids()
            );
            EXIT_ERROR
        }
    }
}

/// One token of `parse --format json`.
#[derive(Serialize)]
struct JsonToken<'t> {
    kind: TokenKind,
    text: &'t str,
}

#[derive(Serialize)]
struct ParseDocument<'t> {
    tokens: Vec<JsonToken<'t>>,
    instructions: Vec<syntax::BuildkitInstruction>,
    errors: &'t [syntax::SyntaxError],
}

fn parse_command(file: &Path, format: ParseFormat) -> i32 {
    let name = input_name(file, None);
    let text = match read_input(file) {
        Ok(text) => text,
        Err(message) => {
            eprintln!("{name}: error: {message}");
            return EXIT_ERROR;
        }
    };
    let parse = syntax::parse_owned(text);
    let out = match format {
        ParseFormat::Tree => parse.tree.dump(),
        ParseFormat::Json => {
            let tokens = parse.tree.root().tokens();
            let document = ParseDocument {
                tokens: tokens
                    .iter()
                    .map(|token| json_token(&parse, *token))
                    .collect(),
                instructions: parse.buildkit_instructions(),
                errors: &parse.errors,
            };
            let mut json = serde_json::to_string(&document).unwrap_or_default();
            json.push('\n');
            json
        }
    };
    print_stdout(&out);
    EXIT_OK
}

fn json_token(parse: &syntax::Parse, token: Token) -> JsonToken<'_> {
    JsonToken {
        kind: token.kind,
        text: parse.tree.token_text(token),
    }
}

/// The name of an input in messages: the path, or the stdin name (`-` by default).
fn input_name(path: &Path, stdin_name: Option<&Path>) -> String {
    match (is_stdin(path), stdin_name) {
        (true, Some(name)) => display_path(name),
        (true, None) => "-".to_owned(),
        (false, _) => display_path(path),
    }
}

fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Reads a file (or stdin for `-`) as UTF-8 text.
fn read_input(path: &Path) -> Result<String, String> {
    let bytes = read_bytes(path)?;
    String::from_utf8(bytes).map_err(|_| "not valid UTF-8".to_owned())
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, String> {
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
struct RunOptions {
    mode: Mode,
    command_line: CommandLine,
    paint: Paint,
    stdin_name: Option<PathBuf>,
    /// Whether reports carry the combined edits of their fixes (JSON output).
    combined_edits: bool,
}

fn run(args: RunArgs) -> i32 {
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

fn run_in_pool(args: RunArgs, threads: usize) -> i32 {
    let mode = match (args.diff, args.check, args.write) {
        (true, _, _) => Mode::Diff,
        (_, true, _) => Mode::Check,
        (_, _, true) => Mode::Write,
        _ => Mode::Report,
    };
    let format = args.format.unwrap_or_default();
    if mode == Mode::Diff && format == OutputFormat::Json {
        eprintln!("error: --diff prints a diff; it cannot be combined with --format json");
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
    };
    let mut output = Output::new(&args, mode, format);
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
    let config_errors = distinct_config_errors(&lookups);
    print_stderr(&setup_errors(&config_errors, &inputs.errors));
    let progress = Progress::new(
        inputs.files.len(),
        !args.quiet && std::io::stderr().is_terminal(),
    );
    for (files, lookups) in inputs.files.chunks(CHUNK).zip(lookups.chunks(CHUNK)) {
        let reports = process_all(files, lookups, &options, &progress);
        progress.suspend(|| output.chunk(&reports, &options));
    }
    progress.finish();
    output.finish(!inputs.errors.is_empty() || !config_errors.is_empty())
}

/// Standard input as the one file to process, or nothing when `--force-exclude` excludes its
/// `--stdin-filename`: as ruff, `--write` then passes the input through unchanged.
fn stdin_inputs(excluded: bool, options: &RunOptions, output: &mut Output) -> Result<Inputs, i32> {
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
const CHUNK: usize = 512;

/// `--config FILE` loaded once (`Some`), or `None` when configs are discovered or ignored.
fn load_fixed_config(args: &RunArgs) -> Result<Option<Arc<Config>>, config::ConfigError> {
    match (&args.config, args.isolated) {
        (Some(path), false) => Config::load(path).map(|config| Some(Arc::new(config))),
        _ => Ok(None),
    }
}

/// Files to process and the problems met finding them.
#[derive(Default)]
struct Inputs {
    files: Vec<PathBuf>,
    errors: Vec<walk::WalkError>,
}

/// The configuration of each file, looked up once per folder (`discovery` already holds the
/// folders the walk looked up).
fn resolve_configs(
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
fn folder_of(file: &Path) -> PathBuf {
    file.parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_owned)
}

/// Each broken configuration file once.
fn distinct_config_errors(lookups: &[Lookup]) -> Vec<Arc<config::ConfigError>> {
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
fn process_all(
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
struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    fn new(files: usize, terminal: bool) -> Progress {
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

    fn with_bar(bar: indicatif::ProgressBar) -> Progress {
        let style = indicatif::ProgressStyle::with_template("{wide_bar} {pos}/{len} files")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        Progress {
            bar: Some(bar.with_style(style)),
        }
    }

    fn inc(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// Runs `print` with the bar hidden, so printed lines do not mix with it.
    fn suspend<R>(&self, print: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Reads, fixes and renders one file.
fn process_file(file: &Path, lookup: &Lookup, options: &RunOptions) -> FileReport {
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
    let (outcome, apply_unsafe) = fix_text(file, text, config, options);
    let mut report = finish(file, name, &bytes, text, outcome, options);
    report.apply_unsafe = apply_unsafe;
    report
}

/// Runs the engine on one file's text with the file's settings; also says whether unsafe fixes
/// were applied.
fn fix_text(
    file: &Path,
    text: &str,
    config: Option<&Config>,
    options: &RunOptions,
) -> (engine::Outcome, bool) {
    let named = if is_stdin(file) {
        options.stdin_name.as_deref()
    } else {
        Some(file)
    };
    let settings_path = named.unwrap_or(Path::new("-"));
    let settings = config::settings_for(settings_path, config, &options.command_line);
    let build_context = named.map(|path| {
        settings
            .build_context
            .clone()
            .unwrap_or_else(|| folder_of(path))
    });
    let no_options = TransformOptions::new();
    let outcome = engine::run(&Job {
        text,
        transforms: &settings.transforms,
        path: named,
        build_context: build_context.as_deref(),
        options: config.map_or(&no_options, Config::options),
        apply_unsafe: settings.apply_unsafe,
        knowledge: config.and_then(Config::knowledge),
    });
    (outcome, settings.apply_unsafe)
}

/// Turns the engine's outcome into a report: diff, write or nothing, per mode.
fn finish(
    file: &Path,
    name: String,
    bytes: &[u8],
    text: &str,
    outcome: engine::Outcome,
    options: &RunOptions,
) -> FileReport {
    let mut report = FileReport::new(name, status_of(&outcome));
    report.findings = outcome.findings;
    report.errors = outcome.errors;
    let Some(fixed) = outcome.fixed else {
        if options.mode == Mode::Write && is_stdin(file) {
            report.output = Some(text.to_owned());
        }
        return report;
    };
    if options.combined_edits {
        report.fix_edits = Some(emit::combined_edits(text, &fixed));
    }
    match options.mode {
        Mode::Diff => {
            report.diff = Some(emit::unified_diff(
                &report.path,
                text,
                &fixed,
                options.paint,
            ));
        }
        Mode::Write if is_stdin(file) => report.output = Some(fixed),
        Mode::Write => match emit::write_atomically(file, bytes, &fixed) {
            Ok(()) => report.status = Status::Written,
            Err(error) => {
                report.status = Status::Error;
                report.errors.push(engine::FileError {
                    line: 0,
                    message: error.to_string(),
                });
            }
        },
        Mode::Report | Mode::Check => {}
    }
    report
}

fn status_of(outcome: &engine::Outcome) -> Status {
    match (&outcome.fixed, outcome.skipped, outcome.errors.is_empty()) {
        (_, true, _) => Status::Skipped,
        (Some(_), _, _) => Status::Changed,
        (None, _, false) => Status::Error,
        (None, _, true) => Status::Unchanged,
    }
}

/// Whether to colour output going to a stream (`terminal`: whether it is one).
fn use_color(choice: ColorChoice, terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
            terminal && !no_color
        }
    }
}

/// Prints everything, once, in path order: results on stdout, errors and notes on stderr.
/// Configuration and walking errors, printed before anything else.
fn setup_errors(
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

/// Prints reports chunk by chunk, in path order, keeping only counts between chunks.
struct Output {
    mode: Mode,
    quiet: bool,
    exit_zero: bool,
    summary: Summary,
    json: Option<emit::JsonStream>,
    /// `--statistics`: counts per transform, printed instead of the findings.
    statistics: Option<emit::Statistics>,
    /// `--show-fixes`: the fixes applied to each written file, printed before the summary.
    applied: Option<emit::AppliedFixes>,
    /// Fixed texts for `--write -` (standard input), printed after the summary goes to stderr.
    stdin_outputs: String,
    any_error: bool,
    any_finding: bool,
    any_change: bool,
}

impl Output {
    fn new(args: &RunArgs, mode: Mode, format: OutputFormat) -> Output {
        let json = (format == OutputFormat::Json).then(emit::JsonStream::default);
        Output {
            mode,
            quiet: args.quiet,
            exit_zero: args.exit_zero,
            summary: Summary::default(),
            json,
            statistics: args.statistics.then(emit::Statistics::default),
            applied: args.show_fixes.then(emit::AppliedFixes::default),
            stdin_outputs: String::new(),
            any_error: false,
            any_finding: false,
            any_change: false,
        }
    }

    fn chunk(&mut self, reports: &[FileReport], options: &RunOptions) {
        let mut errors = String::new();
        for report in reports {
            for error in &report.errors {
                errors.push_str(&emit::error_line(&report.path, error));
                errors.push('\n');
            }
        }
        print_stderr(&errors);
        self.summary.add(reports);
        self.any_error |= reports.iter().any(|report| !report.errors.is_empty());
        self.any_finding |= reports.iter().any(|report| !report.findings.is_empty());
        self.any_change |= reports.iter().any(FileReport::changes);
        if let Some(applied) = &mut self.applied {
            applied.add(reports.iter().filter(|report| report.changes()));
        }
        if let Some(statistics) = &mut self.statistics {
            statistics.add(reports);
            return;
        }
        if let Some(json) = &mut self.json {
            print_stdout(&json.entries(reports));
            return;
        }
        let stdout = match self.mode {
            Mode::Report => emit::findings_text(reports, options.paint),
            Mode::Check => would_fix_lines(reports),
            Mode::Diff => reports
                .iter()
                .filter_map(|report| report.diff.as_deref())
                .collect(),
            Mode::Write => {
                let outputs = reports.iter().filter_map(|report| report.output.as_deref());
                self.stdin_outputs.extend(outputs);
                String::new()
            }
        };
        print_stdout(&stdout);
    }

    /// Prints what comes after the files (statistics, applied fixes, the summary) and returns
    /// the exit code.
    fn finish(self, other_errors: bool) -> i32 {
        let summary = &self.summary;
        // The summary and notes go to stderr when stdout carries a diff or a fixed text.
        let to_stderr = self.mode == Mode::Diff || !self.stdin_outputs.is_empty();
        let print_note = |text: &str| {
            if to_stderr {
                print_stderr(text);
            } else {
                print_stdout(text);
            }
        };
        if let (Some(applied), None) = (&self.applied, &self.json) {
            print_note(&applied.text());
        }
        let line = match self.mode {
            Mode::Report => summary.findings_line(),
            Mode::Check | Mode::Diff => summary.check_line(),
            Mode::Write => summary.write_line(),
        };
        match (&self.statistics, &self.json) {
            (Some(statistics), Some(_)) => print_stdout(&statistics.json()),
            (Some(statistics), None) => {
                print_stdout(&statistics.text());
                if !self.quiet {
                    print_stdout(&format!("{line}\n"));
                }
            }
            (None, Some(_)) => {}
            (None, None) if self.quiet => {}
            (None, None) => print_note(&format!("{line}\n")),
        }
        if let (None, Some(json)) = (&self.statistics, self.json) {
            print_stdout(&json.finish(summary));
        }
        print_stdout(&self.stdin_outputs);
        if other_errors || self.any_error {
            return EXIT_ERROR;
        }
        let found = match self.mode {
            Mode::Report => self.any_finding,
            Mode::Diff | Mode::Check => self.any_change,
            Mode::Write => false,
        };
        if found && !self.exit_zero {
            EXIT_FOUND
        } else {
            EXIT_OK
        }
    }
}

fn would_fix_lines(reports: &[FileReport]) -> String {
    reports
        .iter()
        .filter(|report| report.changes())
        .map(|report| format!("Would fix: {}\n", report.path))
        .collect()
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth reporting.
fn print_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

fn print_stderr(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
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
