//! The command line: `dfmigrate [--diff | --check | --write] [OPTIONS] PATH...` and the
//! subcommands `transforms`, `explain ID` and `parse FILE`.
//!
//! Exit codes: 0 nothing to report (or everything written), 1 findings (no mode flag,
//! `--statistics`) or changes found (`--diff`, `--check`), 2 any error. `--exit-zero` turns 1
//! into 0; errors still exit 2. `--detailed-exit-code` tells campaigns apart: 0 nothing to do, 1
//! changes and nothing left, 3 something needs a human, 2 an error. Every file is processed even when some fail; errors go to
//! stderr as `PATH:LINE: error: message` (`PATH: error: message` without a line).
//!
//! Output: findings, `Would fix:` lines, diffs or the JSON document per chunk of files, in path
//! order; then `--statistics`, `--show-fixes`' listing and the summary line (which counts the
//! unsafe fixes left hidden), all but the findings and diffs left out by `--quiet`. The summary
//! goes to stderr when stdout carries a diff or the fixed text of stdin.

mod beside;
mod changed;
mod commands;
mod interactive;
mod output;
mod run;

use commands::{explain, list_transforms, parse_command};

use crate::config::CommandLine;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::num::NonZeroUsize;
use std::path::PathBuf;

/// Exit code: nothing to report.
pub const EXIT_OK: i32 = 0;
/// Exit code: findings or changes found.
pub const EXIT_FOUND: i32 = 1;
/// Exit code with `--detailed-exit-code`: something needs a human (a finding without a fix, or
/// an unsafe fix not applied).
pub const EXIT_NEEDS_HUMAN: i32 = 3;
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
    /// Findings as `PATH:LINE:COLUMN: [ID] message (applicability)`.
    #[default]
    Text,
    /// One JSON document: files, findings with their edits, the combined fix, a summary.
    Json,
    /// A SARIF 2.1.0 log for code scanning: a rule per transform, fixes as replacements.
    Sarif,
    /// GitHub Actions workflow commands that annotate the lines of a pull request.
    Github,
    /// A GitLab Code Quality report (JSON array of issues) for merge request widgets.
    Gitlab,
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
    /// With --diff: before each file's diff, the fixes applied and why, as `#` lines that
    /// `git apply` and `patch` skip.
    #[arg(long, requires = "diff")]
    explain: bool,
    /// List the files fixes would change.
    #[arg(long, group = "mode")]
    check: bool,
    /// Apply the fixes to the files.
    #[arg(long, group = "mode")]
    write: bool,
    /// Review each fix (its reason and diff) and apply it or not, as `git add -p` does; then
    /// write each file with what was accepted. Unsafe fixes are offered with --unsafe.
    #[arg(long, group = "mode")]
    interactive: bool,
    #[command(flatten)]
    selection: CommandLine,
    /// Only the Dockerfiles changed since this git revision, or whose build context has a changed
    /// file (uncommitted and untracked files count).
    #[arg(long, value_name = "REV")]
    changed_since: Option<String>,
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
    #[arg(long, conflicts_with = "detailed_exit_code")]
    exit_zero: bool,
    /// Exit codes for campaigns: 0 nothing to do, 1 changes (made, or that would be made) and
    /// nothing left, 3 something needs a human (a finding without a fix, or an unsafe fix not
    /// applied), with or without changes; 2 an error.
    #[arg(long)]
    detailed_exit_code: bool,
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
    /// With --write: write to FILE a commit message describing the change (the transforms
    /// applied with what each does, then each file's fixes and why), for `git commit -F FILE`.
    /// Not written when nothing changed.
    #[arg(long, requires = "write", value_name = "FILE")]
    commit_message: Option<PathBuf>,
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
        None => run::run(cli.run),
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
