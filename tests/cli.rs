//! The real binary, run as a user runs it: exit codes, diffs that `git apply` takes, atomic
//! writes, byte-exact line endings, stdin, configuration, inline suppressions, subcommands.

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

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn dfmigrate_with_input(dir: &Path, args: &[&str], input: Option<&[u8]>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dfmigrate"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dfmigrate");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(input.unwrap_or_default())
        .expect("write stdin");
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
