//! The reports describe the final text: a fix a later round declines (or undoes) is not claimed
//! by `--diff --explain`, `--show-fixes`, `--commit-message` or the JSON document.
//!
//! The fixture (`tests/fixtures/reports/secret-then-cache`) passes a token as a build argument to
//! `go mod download`. In the first round secrets-in-args and cache-mounts both fix that RUN;
//! their edits overlap, secrets-in-args goes first, and on the new text cache-mounts declines (the
//! download now has credentials the later `go build` lacks). The first-round cache-mounts finding
//! must not be reported as applied.
//!
//! A fix a later round makes may also differ from the one the first round proposed: on
//! `tests/fixtures/reports/split-then-user`, split-stages moves the final stage onto distroless,
//! where non-root-user takes the image's `nonroot` user instead of creating `app` as it proposed
//! for the single-stage file. The reports say what was written.

use std::fs;
use std::path::Path;
use std::process::Command;

const FIXTURE: &str = "tests/fixtures/reports/secret-then-cache";
const SELECT: &str = "--select=secrets-in-args,cache-mounts";

struct Run {
    stdout: String,
    stderr: String,
}

fn dfmigrate(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_dfmigrate"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run dfmigrate");
    Run {
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

/// A copy of the fixture in a temporary folder, for `--write`.
fn fixture_copy() -> tempfile::TempDir {
    copy_of(FIXTURE)
}

/// A copy of a fixture folder in a temporary folder.
fn copy_of(fixture: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    copy_folder(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(fixture)
            .as_path(),
        dir.path(),
    );
    dir
}

fn copy_folder(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("fixture entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            fs::create_dir_all(&target).expect("mkdir");
            copy_folder(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy fixture file");
        }
    }
}

/// The fixture's Dockerfile as `--write --unsafe` leaves it.
fn written(dir: &Path) -> String {
    fs::read_to_string(dir.join("Dockerfile")).expect("read back")
}

#[test]
fn the_rewrite_has_the_secret_mount_and_no_cache_mount() {
    let dir = fixture_copy();
    dfmigrate(dir.path(), &[SELECT, "--unsafe", "--write", "."]);
    let text = written(dir.path());
    assert!(
        text.contains("--mount=type=secret,id=GITHUB_TOKEN"),
        "{text}"
    );
    assert!(!text.contains("type=cache"), "{text}");
}

#[test]
fn diff_explain_claims_only_the_secret() {
    let dir = fixture_copy();
    let run = dfmigrate(
        dir.path(),
        &[SELECT, "--unsafe", "--diff", "--explain", "."],
    );
    assert!(run.stdout.contains("[secrets-in-args]"), "{}", run.stdout);
    assert!(!run.stdout.contains("[cache-mounts]"), "{}", run.stdout);
    assert!(!run.stdout.contains("type=cache"), "{}", run.stdout);
}

#[test]
fn show_fixes_counts_only_the_secret() {
    let dir = fixture_copy();
    let run = dfmigrate(
        dir.path(),
        &[SELECT, "--unsafe", "--write", "--show-fixes", "."],
    );
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("1 × secrets-in-args"), "{all}");
    assert!(!all.contains("× cache-mounts"), "{all}");
}

#[test]
fn commit_message_names_only_the_secret() {
    let dir = fixture_copy();
    let message = dir.path().join("message.txt");
    let message_arg = message.to_str().expect("utf-8 path");
    dfmigrate(
        dir.path(),
        &[
            SELECT,
            "--unsafe",
            "--write",
            "--commit-message",
            message_arg,
            "Dockerfile",
        ],
    );
    let text = fs::read_to_string(&message).expect("commit message");
    assert!(text.contains("secrets-in-args (1 file)"), "{text}");
    assert!(!text.contains("cache-mounts"), "{text}");
}

#[test]
fn json_says_the_cache_mounts_fix_is_not_applied() {
    let dir = fixture_copy();
    let run = dfmigrate(
        dir.path(),
        &[SELECT, "--unsafe", "--format", "json", "Dockerfile"],
    );
    let document: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let findings = document["files"][0]["findings"]
        .as_array()
        .expect("findings");
    let left_out = |transform: &str| {
        findings
            .iter()
            .filter(|finding| finding["transform"] == transform)
            .all(|finding| finding.get("not_applied").is_some())
    };
    assert!(
        findings.iter().any(|f| f["transform"] == "cache-mounts"),
        "{}",
        run.stdout
    );
    assert!(left_out("cache-mounts"), "{}", run.stdout);
    assert!(
        findings
            .iter()
            .any(|f| f["transform"] == "secrets-in-args" && f.get("not_applied").is_none()),
        "{}",
        run.stdout
    );
}

#[test]
fn a_later_rounds_fix_is_reported_with_its_own_message() {
    let dir = copy_of("tests/fixtures/reports/split-then-user");
    let select = "--select=split-stages,non-root-user";
    let explain = dfmigrate(
        dir.path(),
        &[select, "--unsafe", "--diff", "--explain", "."],
    );
    assert!(
        explain.stdout.contains("+USER nonroot"),
        "{}",
        explain.stdout
    );
    assert!(
        explain
            .stdout
            .contains("the image's non-root user `nonroot`"),
        "{}",
        explain.stdout
    );
    assert!(
        !explain.stdout.contains("new system user"),
        "{}",
        explain.stdout
    );
    let message = dir.path().join("message.txt");
    let message_arg = message.to_str().expect("utf-8 path");
    let args = [
        select,
        "--unsafe",
        "--write",
        "--commit-message",
        message_arg,
        "Dockerfile",
    ];
    dfmigrate(dir.path(), &args);
    let text = fs::read_to_string(&message).expect("commit message");
    assert!(text.contains("`nonroot`"), "{text}");
    assert!(!text.contains("new system user"), "{text}");
    assert!(written(dir.path()).contains("USER nonroot"));
}
