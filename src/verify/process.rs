//! Running the container engine's commands: explicit argument vectors, captured output, and
//! errors that say which command failed and how.

use anyhow::{bail, Context as _, Result};
use std::ffi::OsString;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How many trailing lines of a failed command's output an error message quotes.
const TAIL_LINES: usize = 15;
/// How many trailing lines of each output stream a failed build's verdict quotes.
const FAILURE_LINES: usize = 6;

/// A command line: a program and its arguments, never a shell string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandLine {
    pub program: OsString,
    pub args: Vec<OsString>,
}

impl CommandLine {
    /// A command line of `program` and `args`.
    pub fn new<I, S>(program: impl Into<OsString>, args: I) -> CommandLine
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        CommandLine {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
        }
    }

    /// The command line as one line of text, for messages.
    pub fn display(&self) -> String {
        std::iter::once(&self.program)
            .chain(&self.args)
            .map(|part| part.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args).stdin(Stdio::null());
        command
    }
}

/// What a finished command printed, its exit code and how long it took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finished {
    pub stdout: String,
    pub stderr: String,
    /// `None` when the process was killed by a signal.
    pub code: Option<i32>,
    pub elapsed: Duration,
}

impl Finished {
    /// The last lines of stderr (or stdout when stderr is empty), for error messages.
    pub fn tail(&self) -> String {
        let text = if self.stderr.trim().is_empty() {
            &self.stdout
        } else {
            &self.stderr
        };
        let lines: Vec<&str> = text.lines().collect();
        let start = lines.len().saturating_sub(TAIL_LINES);
        lines[start..].join("\n")
    }

    /// What a failed build printed before its final error line: the last lines of stdout (a
    /// RUN step's own output) then of stderr, so the reason a step failed is shown with it.
    pub fn failure_output(&self) -> Vec<String> {
        let last_lines = |text: &str| {
            let lines: Vec<String> = text
                .lines()
                .filter(|line| !line.trim().is_empty())
                .map(str::to_owned)
                .collect();
            let start = lines.len().saturating_sub(FAILURE_LINES);
            lines[start..].to_vec()
        };
        let mut lines = last_lines(&self.stdout);
        lines.extend(last_lines(&self.stderr));
        lines.pop();
        lines
    }

    fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// Runs a command to completion, whatever its exit code.
pub fn run(line: &CommandLine) -> Result<Finished> {
    let started = Instant::now();
    let output: Output = line
        .command()
        .output()
        .with_context(|| format!("cannot run `{}`", line.display()))?;
    Ok(Finished {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code(),
        elapsed: started.elapsed(),
    })
}

/// Runs a command and fails, quoting its output, unless it exits 0.
pub fn run_ok(line: &CommandLine) -> Result<Finished> {
    let finished = run(line)?;
    if !finished.success() {
        bail!(
            "`{}` failed ({}):\n{}",
            line.display(),
            exit_description(finished.code),
            finished.tail()
        );
    }
    Ok(finished)
}

/// Runs a command and returns its stdout, trimmed, when it exits 0.
pub fn stdout_of(line: &CommandLine) -> Result<String> {
    Ok(run_ok(line)?.stdout.trim().to_owned())
}

/// "exit code N" or "killed by a signal".
pub fn exit_description(code: Option<i32>) -> String {
    code.map_or_else(
        || "killed by a signal".to_owned(),
        |code| format!("exit code {code}"),
    )
}

/// Whether `program` is an executable file on `$PATH`.
pub fn on_path(program: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|folder| is_executable(&folder.join(program)))
}

fn is_executable(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_joins_program_and_arguments() {
        let line = CommandLine::new("buildah", ["inspect", "--type", "image", "x"]);
        assert_eq!(line.display(), "buildah inspect --type image x");
    }

    #[test]
    fn failed_command_reports_exit_code_and_output() {
        let line = CommandLine::new("sh", ["-c", "echo out; echo err >&2; exit 3"]);
        let error = run_ok(&line).unwrap_err().to_string();
        assert!(error.contains("exit code 3"), "{error}");
        assert!(error.contains("err"), "{error}");
    }

    #[test]
    fn failure_output_quotes_the_step_output_before_the_error_line() {
        let finished = Finished {
            stdout: (1..=10).map(|n| format!("step {n}\n")).collect(),
            stderr: "rm: can't remove 'Dockerfile': Device or resource busy\n\nError: building at STEP\n"
                .to_owned(),
            code: Some(1),
            elapsed: Duration::ZERO,
        };
        let lines = finished.failure_output();
        assert_eq!(lines.first().map(String::as_str), Some("step 5"));
        assert_eq!(
            lines.last().map(String::as_str),
            Some("rm: can't remove 'Dockerfile': Device or resource busy")
        );
        assert_eq!(lines.len(), 7);
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let finished = Finished {
            stdout: String::new(),
            stderr: (1..=20).map(|n| format!("line {n}\n")).collect(),
            code: Some(1),
            elapsed: Duration::ZERO,
        };
        assert!(finished.tail().starts_with("line 6\n"));
        assert!(finished.tail().ends_with("line 20"));
    }
}
