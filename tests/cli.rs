//! The real binary, run as a user runs it: exit codes, diffs that `git apply` takes, atomic
//! writes, byte-exact line endings, stdin, configuration, inline suppressions, subcommands,
//! walk exclusions, summaries, statistics, the progress bar.

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The transforms these tests rely on, so new transforms landing do not change their output.
const SELECT: &str = "--select=exec-form,copy-over-add";

/// A file that both selected transforms fix.
const FIXABLE: &str = "FROM node:20\nADD app.js /app/\nCMD node app.js\n";
const FIXED: &str = "FROM node:20\nCOPY app.js /app/\nCMD [\"node\", \"app.js\"]\n";
/// A file nothing applies to.
const CLEAN: &str = "FROM node:20\nCOPY app.js /app/\nCMD [\"node\", \"app.js\"]\n";
/// FIXABLE fixed from standard input: without a build context, ADD → COPY is not safe.
const STDIN_FIXED: &str = "FROM node:20\nADD app.js /app/\nCMD [\"node\", \"app.js\"]\n";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn dfmigrate_with_input(dir: &Path, args: &[&str], input: Option<&[u8]>) -> Run {
    run_command(
        Command::new(env!("CARGO_BIN_EXE_dfmigrate")),
        dir,
        args,
        input,
    )
}

fn run_command(mut command: Command, dir: &Path, args: &[&str], input: Option<&[u8]>) -> Run {
    let mut child = command
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dfmigrate");
    let mut stdin = child.stdin.take().expect("stdin");
    // A run that refuses its arguments exits before reading standard input: the pipe closes
    // under the writer, which is not the test's failure (the exit code and stderr say what happened).
    match stdin.write_all(input.unwrap_or_default()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
        written => written.expect("write stdin"),
    }
    drop(stdin);
    let output = child.wait_with_output().expect("run dfmigrate");
    Run {
        code: output.status.code().expect("exit code"),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

fn dfmigrate(dir: &Path, args: &[&str]) -> Run {
    dfmigrate_with_input(dir, args, None)
}

/// Writes a file, with an `app.js` beside it: the build context `ADD app.js` reads, so
/// copy-over-add can see it is not an archive (its fix is safe only then).
fn write(dir: &Path, relative: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(relative);
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(&path, content).expect("write fixture");
    let app = path.with_file_name("app.js");
    if !app.exists() {
        fs::write(app, "console.log('hi');\n").expect("write app.js");
    }
    path
}

fn read(dir: &Path, relative: &str) -> Vec<u8> {
    fs::read(dir.join(relative)).expect("read back")
}

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Files with every line-ending quirk the tool must keep.
fn write_quirky_tree(dir: &Path) {
    write(dir, "Dockerfile", FIXABLE);
    write(dir, "crlf/Dockerfile", FIXABLE.replace('\n', "\r\n"));
    write(dir, "bom/Dockerfile", format!("\u{feff}{FIXABLE}"));
    write(dir, "no-newline/app.dockerfile", FIXABLE.trim_end());
    write(dir, "clean/Containerfile", CLEAN);
    write(dir, "mixed/Dockerfile", "FROM a\r\nRUN x\nCMD run  it\r\n");
}

#[test]
fn exit_codes() {
    let dir = temp();
    write(dir.path(), "fix/Dockerfile", FIXABLE);
    write(dir.path(), "clean/Dockerfile", CLEAN);
    let code = |args: &[&str]| dfmigrate(dir.path(), args).code;
    assert_eq!(code(&[SELECT, "clean"]), 0);
    assert_eq!(code(&[SELECT, "fix"]), 1);
    assert_eq!(code(&[SELECT, "--check", "clean"]), 0);
    assert_eq!(code(&[SELECT, "--check", "fix"]), 1);
    assert_eq!(code(&[SELECT, "--diff", "clean"]), 0);
    assert_eq!(code(&[SELECT, "--diff", "fix"]), 1);
    assert_eq!(code(&["--no-such-flag", "fix"]), 2);
    assert_eq!(code(&["--select=no-such-transform", "fix"]), 2);
    assert_eq!(code(&["--check", "--write", "fix"]), 2);
    assert_eq!(code(&["--diff", "--format=json", "fix"]), 2);
    assert_eq!(code(&["missing/Dockerfile"]), 2);
    assert_eq!(code(&["--help"]), 0);
    assert_eq!(code(&[SELECT, "--write", "fix"]), 0);
    assert_eq!(read(dir.path(), "fix/Dockerfile"), FIXED.as_bytes());
    assert_eq!(code(&[SELECT, "--check", "fix"]), 0);
}

#[test]
fn findings_are_listed_with_position_id_and_applicability() {
    let dir = temp();
    write(dir.path(), "Dockerfile", FIXABLE);
    let run = dfmigrate(dir.path(), &[SELECT, "."]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0].starts_with("Dockerfile:2:1: [copy-over-add] "),
        "{}",
        run.stdout
    );
    assert!(lines[0].ends_with("(safe)"), "{}", run.stdout);
    assert!(
        lines[1].starts_with("Dockerfile:3:1: [exec-form] "),
        "{}",
        run.stdout
    );
    assert_eq!(
        lines[2],
        "Found 2 findings in 1 file; 1 file would be changed by fixes."
    );
}

#[test]
fn diff_applied_by_git_equals_write_and_keeps_line_endings() {
    let diffed = temp();
    let written = temp();
    write_quirky_tree(diffed.path());
    write_quirky_tree(written.path());
    let diff = dfmigrate(diffed.path(), &[SELECT, "--diff", "."]);
    assert_eq!(diff.code, 1, "{}", diff.stderr);
    assert!(diff
        .stdout
        .contains("--- a/crlf/Dockerfile\n+++ b/crlf/Dockerfile\n"));
    assert!(diff.stdout.contains("\\ No newline at end of file\n"));
    let write_run = dfmigrate(written.path(), &[SELECT, "--write", "."]);
    assert_eq!(write_run.code, 0, "{}", write_run.stderr);

    git_apply(diffed.path(), &diff.stdout);
    for file in [
        "Dockerfile",
        "crlf/Dockerfile",
        "bom/Dockerfile",
        "no-newline/app.dockerfile",
        "clean/Containerfile",
        "mixed/Dockerfile",
    ] {
        assert_eq!(
            read(diffed.path(), file),
            read(written.path(), file),
            "{file}"
        );
    }
    let crlf = FIXED.replace('\n', "\r\n");
    assert_eq!(read(written.path(), "crlf/Dockerfile"), crlf.as_bytes());
    assert_eq!(
        read(written.path(), "bom/Dockerfile"),
        format!("\u{feff}{FIXED}").as_bytes()
    );
    assert_eq!(
        read(written.path(), "no-newline/app.dockerfile"),
        FIXED.trim_end().as_bytes()
    );
    assert_eq!(
        read(written.path(), "mixed/Dockerfile"),
        b"FROM a\r\nRUN x\nCMD [\"run\", \"it\"]\r\n"
    );
    let check = dfmigrate(written.path(), &[SELECT, "--check", "."]);
    assert_eq!(
        (check.code, check.stdout.as_str()),
        (0, "0 files would be changed, 6 unchanged.\n")
    );
}

#[test]
fn diff_is_accepted_by_patch_p1() {
    let dir = temp();
    write_quirky_tree(dir.path());
    let diff = dfmigrate(dir.path(), &[SELECT, "--diff", "."]);
    let patch_file = write(dir.path(), "changes.patch", &diff.stdout);
    let status = Command::new("patch")
        .args(["-p1", "--quiet", "--binary", "-i"])
        .arg(&patch_file)
        .current_dir(dir.path())
        .status()
        .expect("run patch");
    assert!(status.success());
    let check = dfmigrate(dir.path(), &[SELECT, "--check", "."]);
    assert_eq!(check.code, 0, "{}", check.stdout);
}

fn git_apply(dir: &Path, diff: &str) {
    let git = |args: &[&str]| {
        let output = Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("run git");
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    git(&["init", "-q"]);
    write(dir, ".git/changes.patch", diff);
    git(&["apply", "--whitespace=nowarn", ".git/changes.patch"]);
}

#[cfg(unix)]
#[test]
fn problem_files_beside_good_ones_fail_cleanly_and_the_rest_is_written() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = temp();
    let root = dir.path();
    write(root, "good/Dockerfile", FIXABLE);
    let read_only = write(root, "readonly/Dockerfile", FIXABLE);
    fs::set_permissions(&read_only, fs::Permissions::from_mode(0o444)).expect("chmod");
    write(root, "target/Dockerfile.real", FIXABLE);
    symlink(
        "../target/Dockerfile.real",
        root.join("good/Dockerfile.link"),
    )
    .expect("symlink");
    write(root, "binary/Dockerfile", b"FROM a\n\xff\xfe\n");
    write(root, "unknown/Dockerfile", "FROM a\nFOO bar\nCMD run it\n");
    let run = dfmigrate(
        root,
        &[
            SELECT,
            "--write",
            "good/Dockerfile",
            "good/Dockerfile.link",
            "readonly",
            "binary",
            "unknown",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(
        run.stderr,
        "binary/Dockerfile: error: not valid UTF-8\n\
         readonly/Dockerfile: error: file is read-only; not written\n\
         unknown/Dockerfile:2: error: unknown instruction: FOO\n"
    );
    assert_eq!(read(root, "good/Dockerfile"), FIXED.as_bytes());
    assert_eq!(read(root, "readonly/Dockerfile"), FIXABLE.as_bytes());
    assert_eq!(read(root, "target/Dockerfile.real"), FIXED.as_bytes());
    let link = fs::symlink_metadata(root.join("good/Dockerfile.link")).expect("link");
    assert!(link.file_type().is_symlink(), "the symlink was replaced");
    let mode = fs::metadata(&read_only).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o444);
}

#[cfg(unix)]
#[test]
fn write_keeps_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp();
    let file = write(dir.path(), "Dockerfile", FIXABLE);
    fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).expect("chmod");
    assert_eq!(dfmigrate(dir.path(), &[SELECT, "--write", "."]).code, 0);
    let mode = fs::metadata(&file).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
    let leftovers: Vec<_> = fs::read_dir(dir.path()).expect("list").collect();
    assert_eq!(
        leftovers.len(),
        2,
        "temporary files left behind (Dockerfile, app.js)"
    );
}

#[test]
fn output_is_identical_for_any_thread_count() {
    let dir = temp();
    for index in 0..60 {
        let content = if index % 3 == 0 { CLEAN } else { FIXABLE };
        write(
            dir.path(),
            &format!("svc{}/part{index}/Dockerfile", index % 7),
            content,
        );
        write(
            dir.path(),
            &format!("svc{}/part{index}.dockerfile", index % 5),
            FIXABLE,
        );
    }
    write(dir.path(), "svc1/broken/Dockerfile", "FROM a\nRUN <<EOF\n");
    for mode in ["--diff", "--check", "--format=json"] {
        let one = dfmigrate(dir.path(), &[SELECT, mode, "-j", "1", "."]);
        let two = dfmigrate(dir.path(), &[SELECT, mode, "-j", "2", "."]);
        assert_eq!(one.code, 2, "{}", one.stderr);
        assert_eq!(one.stdout, two.stdout, "{mode}");
        assert_eq!(one.stderr, two.stderr, "{mode}");
    }
}

#[test]
fn walking_picks_dockerfile_names_and_honours_ignore_files() {
    let dir = temp();
    let root = dir.path();
    for name in [
        "Dockerfile",
        "a/dockerfile.prod",
        "a/Dockerfile-dev",
        "a/api.Dockerfile",
        "a/Containerfile.arm",
        "a/x.containerfile",
        ".devcontainer/Dockerfile",
    ] {
        write(root, name, FIXABLE);
    }
    for name in [
        "a/Dockerfile.dockerignore",
        "a/notes.txt",
        ".git/Dockerfile",
        "node_modules/pkg/Dockerfile",
        "ignored/Dockerfile",
        "hidden/Dockerfile",
    ] {
        write(root, name, FIXABLE);
    }
    write(root, ".gitignore", "ignored/\n");
    write(root, ".ignore", "hidden/\n");
    let run = dfmigrate(root, &[SELECT, "--check", "."]);
    assert_eq!(
        run.stdout,
        "Would fix: .devcontainer/Dockerfile\n\
         Would fix: Dockerfile\n\
         Would fix: a/Containerfile.arm\n\
         Would fix: a/Dockerfile-dev\n\
         Would fix: a/api.Dockerfile\n\
         Would fix: a/dockerfile.prod\n\
         Would fix: a/x.containerfile\n\
         7 files would be changed, 0 unchanged.\n"
    );
    let explicit = dfmigrate(root, &[SELECT, "--check", "a/notes.txt"]);
    assert_eq!(
        explicit.stdout.lines().next(),
        Some("Would fix: a/notes.txt")
    );
}

#[test]
fn stdin_modes() {
    let dir = temp();
    let input = Some(FIXABLE.as_bytes());
    let diff = dfmigrate_with_input(dir.path(), &[SELECT, "--diff", "-"], input);
    assert_eq!(diff.code, 1);
    assert!(
        diff.stdout.starts_with("--- a/-\n+++ b/-\n"),
        "{}",
        diff.stdout
    );
    let named = dfmigrate_with_input(
        dir.path(),
        &[SELECT, "--diff", "--stdin-filename", "svc/Dockerfile", "-"],
        input,
    );
    assert!(
        named.stdout.starts_with("--- a/svc/Dockerfile\n"),
        "{}",
        named.stdout
    );
    // On stdin there is no build context to show app.js is not an archive: that fix is unsafe.
    let written = dfmigrate_with_input(dir.path(), &[SELECT, "--write", "-"], input);
    assert_eq!(
        (written.code, written.stdout.as_str()),
        (0, FIXED.replace("COPY", "ADD").as_str())
    );
    let written = dfmigrate_with_input(dir.path(), &[SELECT, "--unsafe", "--write", "-"], input);
    assert_eq!((written.code, written.stdout.as_str()), (0, FIXED));
    let unchanged = dfmigrate_with_input(
        dir.path(),
        &[SELECT, "--write", "-"],
        Some(CLEAN.as_bytes()),
    );
    assert_eq!(unchanged.stdout, CLEAN);
    let report = dfmigrate_with_input(dir.path(), &[SELECT, "-"], input);
    assert!(
        report.stdout.starts_with("-:2:1: [copy-over-add]"),
        "{}",
        report.stdout
    );
    let binary = dfmigrate_with_input(dir.path(), &[SELECT, "-"], Some(b"\xff"));
    assert_eq!(
        (binary.code, binary.stderr.as_str()),
        (2, "-: error: not valid UTF-8\n")
    );
    write(
        dir.path(),
        "quiet/dfmigrate.toml",
        "select = [\"exec-form\"]\n",
    );
    let configured = dfmigrate_with_input(
        dir.path(),
        &["--stdin-filename=quiet/Dockerfile", "-"],
        input,
    );
    assert!(
        configured
            .stdout
            .starts_with("quiet/Dockerfile:3:1: [exec-form]"),
        "{}",
        configured.stdout
    );
    let mixed = dfmigrate_with_input(dir.path(), &[SELECT, "-", "."], input);
    assert_eq!(mixed.code, 2);
}

#[test]
fn configuration_is_discovered_upward_and_overrides_apply() {
    let dir = temp();
    let root = dir.path();
    write(root, "dfmigrate.toml", "select = [\"exec-form\", \"copy-over-add\"]\nignore = [\"exec-form\"]\n[[overrides]]\npaths = [\"legacy/**\"]\nignore = [\"copy-over-add\"]\n");
    write(root, "app/Dockerfile", FIXABLE);
    write(root, "legacy/old/Dockerfile", FIXABLE);
    write(root, "team/dfmigrate.toml", "select = [\"exec-form\"]\n");
    write(root, "team/svc/Dockerfile", FIXABLE);
    let ids = |args: &[&str]| -> Vec<String> {
        let run = dfmigrate(root, args);
        run.stdout
            .lines()
            .filter_map(|line| {
                line.split_once(": [").map(|(path, rest)| {
                    let id = rest.split(']').next().unwrap_or_default();
                    format!("{} {id}", path.split(':').next().unwrap_or_default())
                })
            })
            .collect()
    };
    assert_eq!(
        ids(&["."]),
        [
            "app/Dockerfile copy-over-add",
            "team/svc/Dockerfile exec-form"
        ]
    );
    assert_eq!(
        ids(&["--isolated", SELECT, "legacy"]),
        [
            "legacy/old/Dockerfile copy-over-add",
            "legacy/old/Dockerfile exec-form"
        ]
    );
    assert_eq!(
        ids(&["--select=exec-form", "app"]),
        ["app/Dockerfile exec-form"]
    );
    assert_eq!(
        ids(&["--config", "team/dfmigrate.toml", "app"]),
        ["app/Dockerfile exec-form"]
    );
}

#[test]
fn invalid_configuration_is_an_error_naming_the_file() {
    let dir = temp();
    write(
        dir.path(),
        "bad/dfmigrate.toml",
        "select = [\"exec-form\"]\nunknown-key = 1\n",
    );
    write(dir.path(), "bad/Dockerfile", FIXABLE);
    write(
        dir.path(),
        "typo/dfmigrate.toml",
        "ignore = [\"exec-from\"]\n",
    );
    write(dir.path(), "typo/Dockerfile", FIXABLE);
    write(dir.path(), "fine/Dockerfile", FIXABLE);
    let run = dfmigrate(dir.path(), &[SELECT, "--check", "."]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stdout.lines().next(),
        Some("Would fix: fine/Dockerfile")
    );
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(
        lines[0].starts_with("bad/dfmigrate.toml:2: error: unknown field `unknown-key`"),
        "{}",
        run.stderr
    );
    assert!(
        lines[1].starts_with("typo/dfmigrate.toml: error: unknown transform `exec-from`"),
        "{}",
        run.stderr
    );
    assert_eq!(
        lines[2],
        "bad/Dockerfile: error: not processed: invalid configuration bad/dfmigrate.toml"
    );
    let explicit = dfmigrate(dir.path(), &["--config", "bad/dfmigrate.toml", "fine"]);
    assert_eq!(explicit.code, 2);
    assert!(
        explicit.stderr.starts_with("bad/dfmigrate.toml:2: error:"),
        "{}",
        explicit.stderr
    );
}

#[test]
fn inline_suppressions() {
    let dir = temp();
    write(
        dir.path(),
        "Dockerfile",
        "FROM node:20\n# dfmigrate: ignore=copy-over-add\nADD app.js /app/\n# dfmigrate: ignore\nCMD node app.js\n",
    );
    write(
        dir.path(),
        "skip/Dockerfile",
        format!("# dfmigrate: skip-file\n{FIXABLE}"),
    );
    let run = dfmigrate(dir.path(), &[SELECT, "--format=json", "."]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let document: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(document["files"][0]["findings"], serde_json::json!([]));
    assert_eq!(document["files"][1]["status"], "skipped");
}

#[test]
fn parse_json_tokens_concatenate_to_the_input() {
    let dir = temp();
    let text = "\u{feff}# syntax=docker/dockerfile:1\r\nFROM a AS b\r\nRUN <<EOF\necho \\\n  hi\nEOF\nCMD [\"x\"]";
    write(dir.path(), "parse", text);
    let run = dfmigrate(dir.path(), &["parse", "--format", "json", "./parse"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let document: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON object");
    let tokens = document["tokens"].as_array().expect("tokens");
    let joined: String = tokens
        .iter()
        .map(|token| token["text"].as_str().expect("text"))
        .collect();
    assert_eq!(joined, text);
    assert_eq!(tokens[0]["kind"], "bom");
    assert_eq!(document["instructions"][1]["heredocs"][0]["name"], "EOF");
    assert_eq!(document["errors"], serde_json::json!([]));
    let piped = dfmigrate_with_input(dir.path(), &["parse", "-"], Some(text.as_bytes()));
    assert_eq!(piped.stdout, run.stdout);
    let tree = dfmigrate(dir.path(), &["parse", "--format=tree", "parse"]);
    assert!(tree.stdout.starts_with("file@0.."), "{}", tree.stdout);
    let broken = dfmigrate_with_input(dir.path(), &["parse", "-"], Some(b"FROM a\nRUN <<EOF\n"));
    let document: serde_json::Value = serde_json::from_str(&broken.stdout).expect("json");
    assert_eq!(document["errors"][0]["line"], 2);
}

#[test]
fn parse_rejects_unreadable_and_non_utf8_input() {
    let dir = temp();
    write(dir.path(), "latin1", b"FROM caf\xe9\n");
    let run = dfmigrate(dir.path(), &["parse", "latin1"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (2, "latin1: error: not valid UTF-8\n")
    );
    let missing = dfmigrate(dir.path(), &["parse", "nope"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.starts_with("nope: error: cannot read:"),
        "{}",
        missing.stderr
    );
}

#[test]
fn transforms_and_explain() {
    let dir = temp();
    let table = dfmigrate(dir.path(), &["transforms"]);
    assert_eq!(table.code, 0);
    assert!(table.stdout.starts_with("ID "), "{}", table.stdout);
    assert!(table
        .stdout
        .lines()
        .any(|line| line.starts_with("exec-form ") && line.contains(" on ")));
    let explain = dfmigrate(dir.path(), &["explain", "exec-form"]);
    assert_eq!(explain.code, 0);
    assert!(explain.stdout.len() > 100, "{}", explain.stdout);
    let unknown = dfmigrate(dir.path(), &["explain", "nope"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("unknown transform `nope` (known: "),
        "{}",
        unknown.stderr
    );
    assert!(unknown.stderr.contains("exec-form"), "{}", unknown.stderr);
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let dir = temp();
    write(dir.path(), "Dockerfile", FIXABLE);
    let plain = dfmigrate(dir.path(), &[SELECT, "--diff", "."]);
    assert!(!plain.stdout.contains('\x1b'));
    let coloured = dfmigrate(dir.path(), &[SELECT, "--diff", "--color=always", "."]);
    assert!(
        coloured.stdout.contains("\x1b[31m-ADD app.js /app/\x1b[0m"),
        "{}",
        coloured.stdout
    );
    let findings = dfmigrate(dir.path(), &[SELECT, "--color=always", "."]);
    assert!(
        findings.stdout.contains("\x1b[31m[exec-form]\x1b[0m"),
        "{}",
        findings.stdout
    );
}

#[test]
fn json_document_snapshot() {
    let dir = temp();
    write(dir.path(), "app/Dockerfile", FIXABLE);
    write(dir.path(), "broken/Dockerfile", "FROM a\nFOO bar\n");
    write(dir.path(), "clean/Dockerfile", CLEAN);
    let run = dfmigrate(dir.path(), &[SELECT, "--format", "json", "--isolated", "."]);
    assert_eq!(run.code, 2);
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!("cli__json_document", run.stdout);
    });
}

#[test]
fn text_report_snapshot() {
    let dir = temp();
    write(dir.path(), "app/Dockerfile", FIXABLE);
    write(
        dir.path(),
        "ops/Dockerfile.worker",
        "FROM python:3.12\nENTRYPOINT [\"python\", \"worker.py\"]\nCMD run --fast\n",
    );
    let run = dfmigrate(dir.path(), &[SELECT, "--isolated", "."]);
    let diff = dfmigrate(
        dir.path(),
        &[SELECT, "--isolated", "--unsafe", "--diff", "."],
    );
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!("cli__text_report", format!("exit {}\n{}", run.code, run.stdout));
        insta::assert_snapshot!("cli__unsafe_diff", format!("exit {}\n{}", diff.code, diff.stdout));
    });
}

#[test]
fn configuration_adds_an_ecosystem_that_deps_first_uses() {
    let dir = temp();
    write(
        dir.path(),
        "dfmigrate.toml",
        r#"
[ecosystems.shards]
name = "Crystal shards"
[ecosystems.shards.files]
manifests = ["shard.yml"]
locks = ["shard.lock"]
[ecosystems.shards.detect]
all = ["shard.yml"]
[[ecosystems.shards.commands]]
match = ["shards", "install"]
needs = "manifests"
"#,
    );
    write(dir.path(), "shard.yml", "name: app\n");
    write(dir.path(), "shard.lock", "");
    write(dir.path(), "src/app.cr", "");
    write(
        dir.path(),
        "Dockerfile",
        "FROM crystallang/crystal:1.12\nWORKDIR /app\nCOPY . .\nRUN shards install\n",
    );
    let run = dfmigrate(dir.path(), &["--select", "deps-first", "--write", "."]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        String::from_utf8(read(dir.path(), "Dockerfile")).expect("utf-8"),
        "FROM crystallang/crystal:1.12\nWORKDIR /app\nCOPY shard.yml shard.lock ./\nRUN shards install\nCOPY . .\n"
    );

    write(
        dir.path(),
        "dfmigrate.toml",
        "[ecosystems.shards]\nname = 1\n",
    );
    let run = dfmigrate(dir.path(), &["--check", "."]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("dfmigrate.toml: error: ecosystems.shards"),
        "{}",
        run.stderr
    );
}

#[test]
fn diff_of_an_absolute_path_applies_from_the_root() {
    let dir = temp();
    let elsewhere = temp();
    let file = write(dir.path(), "svc/Dockerfile", FIXABLE);
    let absolute = file.to_str().expect("utf-8 path");
    let run = dfmigrate(elsewhere.path(), &[SELECT, "--diff", absolute]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let header = format!(
        "--- a/{}\n+++ b/{}\n",
        absolute.trim_start_matches('/'),
        absolute.trim_start_matches('/')
    );
    assert!(run.stdout.starts_with(&header), "{}", run.stdout);
}

/// The `Would fix:` paths of a `--check` run.
fn would_fix(run: &Run) -> Vec<&str> {
    run.stdout
        .lines()
        .filter_map(|line| line.strip_prefix("Would fix: "))
        .collect()
}

#[test]
fn walks_leave_out_source_files_documents_and_templates() {
    let dir = temp();
    let root = dir.path();
    let taken = [
        "Containerfile",
        "Dockerfile.dev",
        "Dockerfile.ltsc2019",
        "Dockerfile.prod",
        "api.Dockerfile",
        "examples/next.js/Dockerfile",
        "win/Dockerfile.windows",
    ];
    let left_out = [
        "frontend/dockerfile/dockerfile.go",
        "man/Dockerfile.5.md",
        "docs/dockerfile-llb.md",
        "Dockerfile.template",
        "Dockerfile.tmpl",
        "Dockerfile.j2",
        "Dockerfile.orig",
        "Dockerfile.json",
    ];
    for name in taken.iter().chain(&left_out) {
        write(root, name, FIXABLE);
    }
    let run = dfmigrate(root, &[SELECT, "--check", "."]);
    assert_eq!(would_fix(&run), taken, "{}", run.stdout);
    // A file named on the command line is always processed, as ruff does.
    let explicit = dfmigrate(
        root,
        &[SELECT, "--check", "frontend/dockerfile/dockerfile.go"],
    );
    assert_eq!(
        would_fix(&explicit),
        ["frontend/dockerfile/dockerfile.go"],
        "{}",
        explicit.stderr
    );
    // --force-exclude applies the exclusions to it too.
    let forced = dfmigrate(
        root,
        &[
            SELECT,
            "--check",
            "--force-exclude",
            "frontend/dockerfile/dockerfile.go",
            "Dockerfile.prod",
        ],
    );
    assert_eq!(would_fix(&forced), ["Dockerfile.prod"], "{}", forced.stdout);
}

#[test]
fn configuration_exclude_replaces_and_extend_exclude_adds() {
    let dir = temp();
    let root = dir.path();
    for name in [
        "svc/Dockerfile",
        "generated/Dockerfile",
        "deep/generated/Dockerfile",
        "only-here/Dockerfile",
        "deep/only-here/Dockerfile",
        "Dockerfile.template",
        "docs/Dockerfile.md",
        "team/app/Dockerfile",
        "team/vendor/Dockerfile",
        "team/node_modules/x/Dockerfile",
        "team/Dockerfile.md",
    ] {
        write(root, name, FIXABLE);
    }
    // Relative to the configuration's folder: `generated/` anywhere, `/only-here` only at the
    // top; `!` re-includes what the defaults leave out.
    write(
        root,
        "dfmigrate.toml",
        "extend-exclude = [\"generated/\", \"/only-here\", \"!Dockerfile.template\"]\n",
    );
    // A nearer configuration governs its folder: its `exclude` replaces the defaults.
    write(root, "team/dfmigrate.toml", "exclude = [\"vendor\"]\n");
    let run = dfmigrate(root, &[SELECT, "--check", "."]);
    assert_eq!(
        would_fix(&run),
        [
            "Dockerfile.template",
            "deep/only-here/Dockerfile",
            "svc/Dockerfile",
            "team/Dockerfile.md",
            "team/app/Dockerfile",
            "team/node_modules/x/Dockerfile",
        ],
        "{}",
        run.stderr
    );
    // Walking a subfolder finds the same configuration.
    let sub = dfmigrate(&root.join("deep"), &[SELECT, "--check", "."]);
    assert_eq!(would_fix(&sub), ["only-here/Dockerfile"], "{}", sub.stderr);
    // --isolated: the defaults only.
    let isolated = dfmigrate(root, &[SELECT, "--check", "--isolated", "."]);
    assert_eq!(
        would_fix(&isolated),
        [
            "deep/generated/Dockerfile",
            "deep/only-here/Dockerfile",
            "generated/Dockerfile",
            "only-here/Dockerfile",
            "svc/Dockerfile",
            "team/app/Dockerfile",
            "team/vendor/Dockerfile",
        ]
    );
    // --config: that file's exclusions everywhere.
    let fixed = dfmigrate(
        root,
        &[SELECT, "--check", "--config", "team/dfmigrate.toml", "deep"],
    );
    assert_eq!(
        would_fix(&fixed),
        ["deep/generated/Dockerfile", "deep/only-here/Dockerfile"]
    );

    write(
        root,
        "team/dfmigrate.toml",
        "select = [\"exec-form\"]\nexclude = [\"ok\",\n  \"bad{\"]\n",
    );
    let invalid = dfmigrate(root, &[SELECT, "--check", "team"]);
    assert_eq!(invalid.code, 2);
    assert!(
        invalid
            .stderr
            .starts_with("team/dfmigrate.toml:3: error: invalid pattern in exclude: `bad{`"),
        "{}",
        invalid.stderr
    );
}

#[test]
fn command_line_exclusions() {
    let dir = temp();
    let root = dir.path();
    for name in [
        "a/Dockerfile",
        "b/Dockerfile",
        "b/c/Dockerfile",
        "node_modules/x/Dockerfile",
        "Dockerfile.md",
    ] {
        write(root, name, FIXABLE);
    }
    write(root, "dfmigrate.toml", "extend-exclude = [\"a\"]\n");
    let extended = dfmigrate(root, &[SELECT, "--check", "--extend-exclude", "c", "."]);
    assert_eq!(would_fix(&extended), ["b/Dockerfile"]);
    // --exclude replaces the configured `exclude` and the defaults, not `extend-exclude`.
    let replaced = dfmigrate(root, &[SELECT, "--check", "--exclude", "b/c,*.md", "."]);
    assert_eq!(
        would_fix(&replaced),
        ["b/Dockerfile", "node_modules/x/Dockerfile"]
    );
    let nothing = dfmigrate(root, &[SELECT, "--check", "--isolated", "--exclude=", "."]);
    assert_eq!(would_fix(&nothing).len(), 5, "{}", nothing.stdout);
    // A folder named on the command line is walked even when excluded, unless forced.
    let named = dfmigrate(root, &[SELECT, "--check", "a"]);
    assert_eq!(would_fix(&named), ["a/Dockerfile"]);
    let forced = dfmigrate(root, &[SELECT, "--check", "--force-exclude", "a", "b"]);
    assert_eq!(would_fix(&forced), ["b/Dockerfile", "b/c/Dockerfile"]);
    let inside = dfmigrate(
        root,
        &[SELECT, "--check", "--force-exclude", "a/Dockerfile"],
    );
    assert_eq!(inside.code, 0, "{}", inside.stdout);
    assert!(would_fix(&inside).is_empty());
    let invalid = dfmigrate(root, &[SELECT, "--extend-exclude", "x{", "."]);
    assert_eq!(invalid.code, 2);
    assert!(
        invalid
            .stderr
            .starts_with("error: invalid pattern in --extend-exclude: `x{`"),
        "{}",
        invalid.stderr
    );
}

#[test]
fn force_exclude_applies_to_the_stdin_filename() {
    let dir = temp();
    write(
        dir.path(),
        "dfmigrate.toml",
        "extend-exclude = [\"legacy/\"]\n",
    );
    let input = Some(FIXABLE.as_bytes());
    let args = |extra: &[&'static str]| {
        let mut args = vec![SELECT, "--stdin-filename", "legacy/Dockerfile"];
        args.extend_from_slice(extra);
        args.push("-");
        args
    };
    let excluded = dfmigrate_with_input(dir.path(), &args(&["--force-exclude", "--write"]), input);
    assert_eq!((excluded.code, excluded.stdout.as_str()), (0, FIXABLE));
    let report = dfmigrate_with_input(dir.path(), &args(&["--force-exclude"]), input);
    assert_eq!(report.code, 0);
    assert!(!report.stdout.contains("[exec-form]"), "{}", report.stdout);
    let processed = dfmigrate_with_input(dir.path(), &args(&["--write"]), input);
    assert_eq!(
        (processed.code, processed.stdout.as_str()),
        (0, STDIN_FIXED)
    );
}

/// The progress bar, drawn on a pseudo-terminal by `script` (util-linux).
#[test]
fn one_progress_bar_counts_every_file() {
    if Command::new("script").arg("--version").output().is_err() {
        common::skipped(
            "one_progress_bar_counts_every_file",
            "no `script` command to give dfmigrate a terminal",
        );
        return;
    }
    let dir = temp();
    // More than one chunk of 512 files.
    for index in 0..700 {
        write(dir.path(), &format!("s{index}/Dockerfile"), CLEAN);
    }
    let on_terminal = |args: &str| {
        let command = format!(
            "{} {SELECT} --check {args} . >/dev/null",
            env!("CARGO_BIN_EXE_dfmigrate")
        );
        let output = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .current_dir(dir.path())
            .env_remove("NO_COLOR")
            .stdin(Stdio::null())
            .output()
            .expect("run script");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let drawn = on_terminal("");
    let totals: Vec<&str> = drawn
        .split(['\r', '\n', '\x1b'])
        .filter_map(|part| part.strip_suffix(" files"))
        .filter_map(|part| part.rsplit_once('/'))
        .map(|(_, total)| total)
        .collect();
    assert!(!totals.is_empty(), "no progress bar drawn: {drawn:?}");
    assert!(totals.iter().all(|total| *total == "700"), "{totals:?}");
    let quiet = on_terminal("--quiet");
    assert!(!quiet.contains(" files"), "{quiet:?}");
}

/// Whether the tests run as root, from the owner of a file they create.
#[cfg(unix)]
fn running_as_root(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let probe = write(dir, "uid-probe", "");
    let uid = fs::metadata(&probe).expect("probe").uid();
    fs::remove_file(probe).expect("remove probe");
    uid == 0
}

/// dfmigrate run as the user `nobody` (65534), with these supplementary groups.
#[cfg(unix)]
fn as_nobody(dir: &Path, groups: &str, args: &[&str]) -> Run {
    let mut command = Command::new("setpriv");
    command.args(["--reuid=65534", "--regid=65534"]);
    if groups.is_empty() {
        command.arg("--clear-groups");
    } else {
        command.arg(format!("--groups={groups}"));
    }
    command.arg(env!("CARGO_BIN_EXE_dfmigrate"));
    run_command(command, dir, args, None)
}

#[cfg(unix)]
#[test]
fn write_refuses_files_the_user_may_not_write_and_keeps_owners() {
    use std::os::unix::fs::{chown, MetadataExt, PermissionsExt};
    let dir = temp();
    let root = dir.path();
    let mode = |path: &Path| fs::metadata(path).expect("meta").mode() & 0o7777;
    if !running_as_root(root) {
        // The owner may not write a 0466 file (others may): the mode is not read-only, but the
        // owner's own bits decide.
        let file = write(root, "Dockerfile", FIXABLE);
        fs::set_permissions(&file, fs::Permissions::from_mode(0o466)).expect("chmod");
        let run = dfmigrate(root, &[SELECT, "--write", "Dockerfile"]);
        assert_eq!(run.code, 2, "{}", run.stdout);
        assert!(
            run.stderr
                .starts_with("Dockerfile: error: file is not writable by this user"),
            "{}",
            run.stderr
        );
        assert_eq!(read(root, "Dockerfile"), FIXABLE.as_bytes());
        common::skipped(
            "write_refuses_files_the_user_may_not_write_and_keeps_owners",
            "not root: files of other users cannot be created; only the 0466 case ran",
        );
        return;
    }
    // As root: a file of another user keeps its owner and mode.
    let theirs = write(root, "theirs/Dockerfile", FIXABLE);
    chown(&theirs, Some(65534), Some(65534)).expect("chown");
    fs::set_permissions(&theirs, fs::Permissions::from_mode(0o640)).expect("chmod");
    let run = dfmigrate(root, &[SELECT, "--write", "theirs"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(read(root, "theirs/Dockerfile"), FIXED.as_bytes());
    let meta = fs::metadata(&theirs).expect("meta");
    assert_eq!(
        (meta.uid(), meta.gid(), mode(&theirs)),
        (65534, 65534, 0o640)
    );

    assert!(
        Command::new("setpriv").arg("--version").output().is_ok(),
        "running as root, the rest of this test needs setpriv (util-linux) to run as nobody"
    );
    // A world-writable folder lets anyone rename over a file in it: `nobody` must still not
    // replace root's 0644 file.
    fs::set_permissions(root, fs::Permissions::from_mode(0o777)).expect("chmod");
    let rooted = write(root, "Dockerfile", FIXABLE);
    fs::set_permissions(&rooted, fs::Permissions::from_mode(0o644)).expect("chmod");
    let refused = as_nobody(root, "", &[SELECT, "--write", "Dockerfile"]);
    assert_eq!(refused.code, 2, "{}", refused.stdout);
    assert_eq!(
        refused.stderr,
        "Dockerfile: error: file is not writable by this user (owner uid 0, mode 0644); not written\n"
    );
    assert_eq!(read(root, "Dockerfile"), FIXABLE.as_bytes());
    let meta = fs::metadata(&rooted).expect("meta");
    assert_eq!((meta.uid(), mode(&rooted)), (0, 0o644));

    // A file `nobody` may write through its group is rewritten in place: its owner stays root.
    let shared_dir = root.join("shared");
    fs::create_dir(&shared_dir).expect("mkdir");
    fs::set_permissions(&shared_dir, fs::Permissions::from_mode(0o777)).expect("chmod");
    let shared = write(root, "shared/Dockerfile", FIXABLE);
    chown(&shared, Some(0), Some(4242)).expect("chown");
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o664)).expect("chmod");
    let written = as_nobody(root, "4242", &[SELECT, "--write", "shared"]);
    assert_eq!(written.code, 0, "{}", written.stderr);
    assert_eq!(read(root, "shared/Dockerfile"), FIXED.as_bytes());
    let meta = fs::metadata(&shared).expect("meta");
    assert_eq!((meta.uid(), meta.gid(), mode(&shared)), (0, 4242, 0o664));
    let leftovers: Vec<_> = fs::read_dir(&shared_dir)
        .expect("list")
        .map(|entry| entry.expect("entry").file_name())
        .filter(|name| name != "Dockerfile" && name != "app.js")
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files left behind: {leftovers:?}"
    );
}

/// A file with a safe fix (exec-form) and an unsafe one (non-root-user, whose message states
/// why it is unsafe).
const MIXED: &str = "FROM node:20\nWORKDIR /app\nCOPY . .\nCMD node app.js\n";
const MIXED_SELECT: &str = "--select=exec-form,non-root-user";

#[test]
fn summaries_count_hidden_unsafe_fixes_and_state_applicability_once() {
    let dir = temp();
    write(dir.path(), "Dockerfile", MIXED);
    let hidden = "(1 hidden fix can be enabled with the `--unsafe` option).";
    let report = dfmigrate(dir.path(), &[MIXED_SELECT, "."]);
    assert_eq!(report.code, 1, "{}", report.stderr);
    let lines: Vec<&str> = report.stdout.lines().collect();
    let non_root = lines
        .iter()
        .find(|line| line.contains("[non-root-user]"))
        .expect("non-root-user finding");
    assert!(non_root.contains("; review: "), "{non_root}");
    assert!(!non_root.ends_with(") (unsafe)"), "{non_root}");
    assert_eq!(non_root.matches("unsafe").count(), 1, "{non_root}");
    let exec_form = lines
        .iter()
        .find(|line| line.contains("[exec-form]"))
        .expect("exec-form finding");
    assert!(exec_form.ends_with("(safe)"), "{exec_form}");
    assert_eq!(
        lines.last().copied(),
        Some(
            format!("Found 2 findings in 1 file; 1 file would be changed by fixes {hidden}")
                .as_str()
        )
    );
    let check = dfmigrate(dir.path(), &[MIXED_SELECT, "--check", "."]);
    assert!(
        check
            .stdout
            .ends_with(&format!("1 file would be changed, 0 unchanged {hidden}\n")),
        "{}",
        check.stdout
    );
    let diff = dfmigrate(dir.path(), &[MIXED_SELECT, "--diff", "."]);
    assert!(
        diff.stderr.ends_with(&format!("{hidden}\n")),
        "{}",
        diff.stderr
    );
    let with_unsafe = dfmigrate(dir.path(), &[MIXED_SELECT, "--unsafe", "--check", "."]);
    assert_eq!(
        with_unsafe.stdout,
        "Would fix: Dockerfile\n1 file would be changed, 0 unchanged.\n"
    );
    write(dir.path(), "dfmigrate.toml", "unsafe = true\n");
    let configured = dfmigrate(dir.path(), &[MIXED_SELECT, "--check", "."]);
    assert!(
        !configured.stdout.contains("hidden"),
        "{}",
        configured.stdout
    );
    fs::remove_file(dir.path().join("dfmigrate.toml")).expect("rm");
    let write_run = dfmigrate(dir.path(), &[MIXED_SELECT, "--write", "."]);
    assert_eq!(
        write_run.stdout,
        format!("Fixed 1 file, 0 unchanged {hidden}\n")
    );
}

#[test]
fn exit_zero_and_quiet() {
    let dir = temp();
    write(dir.path(), "fix/Dockerfile", FIXABLE);
    write(dir.path(), "broken/Dockerfile", "FROM a\nFOO bar\n");
    let run = |args: &[&str]| dfmigrate(dir.path(), args);
    for mode in [None, Some("--check"), Some("--diff")] {
        let mut args = vec![SELECT, "fix"];
        args.extend(mode);
        assert_eq!(run(&args).code, 1, "{mode:?}");
        args.push("--exit-zero");
        assert_eq!(run(&args).code, 0, "{mode:?}");
    }
    // Errors still exit 2.
    assert_eq!(run(&[SELECT, "--exit-zero", "."]).code, 2);

    let quiet_report = run(&[SELECT, "-q", "fix"]);
    assert_eq!(quiet_report.code, 1);
    assert_eq!(
        quiet_report.stdout.lines().count(),
        2,
        "{}",
        quiet_report.stdout
    );
    assert!(
        !quiet_report.stdout.contains("Found"),
        "{}",
        quiet_report.stdout
    );
    let quiet_check = run(&[SELECT, "--quiet", "--check", "fix"]);
    assert_eq!(quiet_check.stdout, "Would fix: fix/Dockerfile\n");
    let quiet_diff = run(&[SELECT, "--quiet", "--diff", "fix"]);
    assert!(quiet_diff.stdout.starts_with("--- a/fix/Dockerfile\n"));
    assert_eq!(quiet_diff.stderr, "");
    let quiet_errors = run(&[SELECT, "--quiet", "--check", "broken"]);
    assert_eq!(
        (quiet_errors.stdout.as_str(), quiet_errors.stderr.as_str()),
        ("", "broken/Dockerfile:2: error: unknown instruction: FOO\n")
    );
    let quiet_write = run(&[SELECT, "--quiet", "--write", "fix"]);
    assert_eq!((quiet_write.code, quiet_write.stdout.as_str()), (0, ""));
    assert_eq!(read(dir.path(), "fix/Dockerfile"), FIXED.as_bytes());
}

#[test]
fn statistics_count_findings_per_transform() {
    let dir = temp();
    write(dir.path(), "a/Dockerfile", MIXED);
    write(dir.path(), "b/Dockerfile", MIXED);
    write(
        dir.path(),
        "c/Dockerfile",
        "FROM node:20\nADD app.js /app/\n",
    );
    let select = "--select=exec-form,non-root-user,copy-over-add";
    let run = dfmigrate(dir.path(), &[select, "--statistics", "."]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "3  non-root-user  2 unsafe, 1 display-only\n\
         2  exec-form      2 safe\n\
         1  copy-over-add  1 safe\n\
         Found 6 findings in 3 files; 3 files would be changed by fixes \
         (2 hidden fixes can be enabled with the `--unsafe` option).\n"
    );
    let quiet = dfmigrate(dir.path(), &[select, "--statistics", "-q", "."]);
    assert_eq!(quiet.stdout.lines().count(), 3, "{}", quiet.stdout);
    let json = dfmigrate(dir.path(), &[select, "--statistics", "--format=json", "."]);
    let rows: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(
        rows[0],
        serde_json::json!({"transform": "non-root-user", "count": 3, "safe": 0, "unsafe": 2, "display_only": 1})
    );
    assert_eq!(rows.as_array().map(Vec::len), Some(3));
    let with_mode = dfmigrate(dir.path(), &[select, "--statistics", "--check", "."]);
    assert_eq!(with_mode.code, 2);
}

#[test]
fn show_fixes_lists_what_write_applied() {
    let dir = temp();
    write(dir.path(), "app/Dockerfile", FIXABLE);
    write(
        dir.path(),
        "ops/Dockerfile",
        "FROM node:20\nCMD node app.js\n",
    );
    write(dir.path(), "clean/Dockerfile", CLEAN);
    let run = dfmigrate(dir.path(), &[SELECT, "--write", "--show-fixes", "."]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "Applied 3 fixes:\n\
         - app/Dockerfile:\n    1 × copy-over-add\n    1 × exec-form\n\
         - ops/Dockerfile:\n    1 × exec-form\n\
         Fixed 2 files, 1 unchanged.\n"
    );
    // Standard input: the fixed text on stdout, the listing with the summary on stderr.
    let piped = dfmigrate_with_input(
        dir.path(),
        &[SELECT, "--write", "--show-fixes", "-"],
        Some(FIXABLE.as_bytes()),
    );
    assert_eq!(piped.stdout, STDIN_FIXED);
    assert_eq!(
        piped.stderr,
        "Applied 1 fix:\n- -:\n    1 × exec-form\nFixed 1 file, 0 unchanged (1 hidden fix can be enabled with the `--unsafe` option).\n"
    );
    let without_write = dfmigrate(dir.path(), &[SELECT, "--show-fixes", "."]);
    assert_eq!(without_write.code, 2);
}

/// Applies non-overlapping edits (sorted by start) to `text`.
fn apply_edits(text: &str, edits: &serde_json::Value) -> String {
    let mut out = String::new();
    let mut cursor = 0;
    for edit in edits.as_array().expect("edits") {
        let start = edit["start"].as_u64().expect("start") as usize;
        let end = edit["end"].as_u64().expect("end") as usize;
        assert!(start >= cursor, "edits overlap or are not sorted: {edits}");
        out.push_str(&text[cursor..start]);
        out.push_str(edit["content"].as_str().expect("content"));
        cursor = end;
    }
    out.push_str(&text[cursor..]);
    out
}

#[test]
fn json_fix_edits_apply_together_and_give_what_write_writes() {
    let dir = temp();
    // apt-hygiene folds the update RUN into the install RUN and reorder-layers moves it before
    // the COPY: the findings' own edits overlap.
    let text = "FROM node:16\r\nWORKDIR /app\r\nCOPY . .\r\nRUN apt-get update\r\nRUN apt-get install imagemagick\r\nRUN npm install\r\nEXPOSE 3000\r\nCMD node app.js";
    write(dir.path(), "Dockerfile", text);
    write(dir.path(), "package.json", "{\"name\": \"app\"}\n");
    let select = "--select=exec-form,apt-hygiene,reorder-layers,deps-first";
    let run = dfmigrate(dir.path(), &[select, "--format=json", "--isolated", "."]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let document: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let file = &document["files"][0];
    let findings = file["findings"].as_array().expect("findings");
    let mut ranges: Vec<(u64, u64)> = findings
        .iter()
        .flat_map(|finding| finding["edits"].as_array().cloned().unwrap_or_default())
        .map(|edit| {
            (
                edit["start"].as_u64().unwrap_or(0),
                edit["end"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    ranges.sort_unstable();
    assert!(
        ranges.windows(2).any(|pair| pair[1].0 < pair[0].1),
        "the findings' edits no longer overlap; pick another example: {ranges:?}"
    );
    let combined = apply_edits(text, &file["fix"]["edits"]);
    let written = dfmigrate(dir.path(), &[select, "--write", "--isolated", "."]);
    assert_eq!(written.code, 0, "{}", written.stderr);
    assert_eq!(combined.as_bytes(), read(dir.path(), "Dockerfile"));
    let unchanged = dfmigrate(dir.path(), &[select, "--format=json", "--isolated", "."]);
    let document: serde_json::Value = serde_json::from_str(&unchanged.stdout).expect("json");
    assert_eq!(document["files"][0]["fix"], serde_json::Value::Null);
}

/// Run by `corpus_skips_show_in_a_plain_test_run` in a child process; does nothing otherwise.
#[test]
fn corpus_skip_probe() {
    if std::env::var_os("DFMIGRATE_CORPUS_PROBE").is_some() {
        assert!(common::corpus("corpus_skip_probe").is_none());
    }
}

#[test]
fn corpus_skips_show_in_a_plain_test_run() {
    let this = std::env::current_exe().expect("test binary");
    let probe = |require: bool| {
        let mut command = Command::new(&this);
        command
            .args(["--exact", "corpus_skip_probe", "--test-threads=1"])
            .env("DFMIGRATE_CORPUS_PROBE", "1")
            .env("DFMIGRATE_CORPUS", "/nonexistent/corpus")
            .env_remove("DFMIGRATE_REQUIRE_CORPUS");
        if require {
            command.env("DFMIGRATE_REQUIRE_CORPUS", "1");
        }
        command.output().expect("run the test binary")
    };
    let skipped = probe(false);
    assert!(skipped.status.success());
    let stderr = String::from_utf8_lossy(&skipped.stderr);
    assert!(
        stderr.contains(
            "SKIPPED corpus_skip_probe: no corpus at /nonexistent/corpus (set DFMIGRATE_CORPUS)"
        ),
        "the skip is not shown without --nocapture: {stderr}"
    );
    let required = probe(true);
    assert!(
        !required.status.success(),
        "a missing required corpus must fail"
    );
}

#[test]
fn narrow_copy_narrows_a_cargo_builder_with_unsafe_and_says_why_a_node_one_is_not() {
    let dir = temp();
    let cargo = "FROM rust:1.79 AS build\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\n\nFROM debian:bookworm-slim\nCOPY --from=build /app/target/release/app /app\nCMD [\"/app\"]\n";
    let files = [
        ("rust/Dockerfile", cargo),
        (
            "rust/Cargo.toml",
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\n",
        ),
        ("rust/src/main.rs", "fn main() {}\n"),
        ("rust/README.md", "# app\n"),
    ];
    for (path, text) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write fixture");
    }
    let select = "--select=narrow-copy";
    let safe = dfmigrate(dir.path(), &[select, "rust"]);
    assert!(
        safe.stdout.contains("rust/Dockerfile:3:1: [narrow-copy] ")
            && safe
                .stdout
                .contains("1 hidden fix can be enabled with the `--unsafe` option"),
        "{}",
        safe.stdout
    );
    let written = dfmigrate(dir.path(), &[select, "--unsafe", "--write", "rust"]);
    assert_eq!(written.code, 0, "{}", written.stderr);
    let narrowed = String::from_utf8(read(dir.path(), "rust/Dockerfile")).expect("UTF-8");
    assert!(
        narrowed.contains("COPY Cargo.toml ./\nCOPY src ./src/\nRUN cargo build --release\n"),
        "{narrowed}"
    );
    let node = "FROM node:20 AS build\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\n\nFROM nginx:1.27\nCOPY --from=build /app/dist /usr/share/nginx/html\n";
    let path = dir.path().join("web/Dockerfile");
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(&path, node).expect("write fixture");
    fs::write(dir.path().join("web/package.json"), "{}\n").expect("write fixture");
    let declined = dfmigrate(dir.path(), &[select, "--unsafe", "web"]);
    assert!(
        declined
            .stdout
            .contains("not narrowed: builds with npm are not narrowed: ")
            && declined.stdout.contains("(display-only)"),
        "{}",
        declined.stdout
    );
}
