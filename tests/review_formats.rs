//! The review outputs on the real binary: `--format sarif` (checked with Microsoft's SARIF
//! Multitool: no error and no warning, on fixtures and on the whole public corpus),
//! `--format github` (workflow-command annotations) and `--format gitlab` (Code Quality).
//!
//! The Multitool is `sarif-multitool` on `PATH` or `$DFMIGRATE_SARIF_MULTITOOL`; without it the
//! validation tests say SKIPPED, unless `DFMIGRATE_REQUIRE_SARIF` is set (CI sets it), in which
//! case they fail.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const FIXABLE: &str = "FROM node:20\nADD app.js /app/\nCMD node app.js\n";

fn dfmigrate(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_dfmigrate"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run dfmigrate");
    (
        output.status.code().expect("exit code"),
        String::from_utf8(output.stdout).expect("utf-8"),
        String::from_utf8(output.stderr).expect("utf-8"),
    )
}

/// A project with one fixable Dockerfile (and its build context file) in a folder with a space.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let service = dir.path().join("web app");
    fs::create_dir(&service).expect("service folder");
    fs::write(service.join("Dockerfile"), FIXABLE).expect("Dockerfile");
    fs::write(service.join("app.js"), "").expect("app.js");
    dir
}

/// The Multitool, or `None` (reported) when it is not installed and not required.
fn multitool(test: &str) -> Option<PathBuf> {
    let configured = std::env::var_os("DFMIGRATE_SARIF_MULTITOOL").map(PathBuf::from);
    let found = configured.or_else(|| {
        Command::new("sarif-multitool")
            .arg("--version")
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|_| PathBuf::from("sarif-multitool"))
    });
    if found.is_none() {
        let reason = "the SARIF Multitool is not installed (npm install @microsoft/sarif-multitool; set DFMIGRATE_SARIF_MULTITOOL)";
        assert!(
            std::env::var_os("DFMIGRATE_REQUIRE_SARIF").is_none(),
            "DFMIGRATE_REQUIRE_SARIF is set but {reason}"
        );
        common::skipped(test, reason);
    }
    found
}

/// Validates a SARIF log and returns the Multitool's error and warning lines.
fn validation_problems(tool: &Path, log: &Path) -> Vec<String> {
    let output = Command::new(tool)
        .args(["validate", "--max-file-size-in-kb", "100000"])
        .arg(log)
        .output()
        .expect("run the SARIF Multitool");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        text.contains("Analysis completed successfully"),
        "the Multitool did not analyse {}:\n{text}",
        log.display()
    );
    text.lines()
        .filter(|line| line.contains(": error ") || line.contains(": warning "))
        .map(str::to_owned)
        .collect()
}

#[test]
fn sarif_has_rules_results_regions_and_fixes() {
    let dir = project();
    let (code, stdout, stderr) = dfmigrate(dir.path(), &["--format", "sarif", "--unsafe"]);
    assert_eq!(code, 1, "{stderr}");
    let log: serde_json::Value = serde_json::from_str(&stdout).expect("SARIF is JSON");
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert!(rules.iter().any(|rule| rule["id"] == "exec-form"
        && rule["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("exec form")));
    let results = run["results"].as_array().expect("results");
    let exec_form = results
        .iter()
        .find(|result| result["ruleId"] == "exec-form")
        .expect("an exec-form result");
    let index = exec_form["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "exec-form");
    let location = &exec_form["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "web%20app/Dockerfile");
    assert_eq!(location["region"]["startLine"], 3);
    let replacement = &exec_form["fixes"][0]["artifactChanges"][0]["replacements"][0];
    assert_eq!(replacement["deletedRegion"]["startLine"], 3);
    assert_eq!(replacement["deletedRegion"]["startColumn"], 5);
    assert_eq!(
        replacement["insertedContent"]["text"],
        "[\"node\", \"app.js\"]"
    );
}

#[test]
fn sarif_of_a_clean_run_is_a_valid_empty_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").expect("Dockerfile");
    let (code, stdout, _) = dfmigrate(dir.path(), &["--format", "sarif", "--select", "exec-form"]);
    assert_eq!(code, 0);
    let log: serde_json::Value = serde_json::from_str(&stdout).expect("SARIF is JSON");
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn sarif_passes_the_multitool_on_fixtures_and_the_public_corpus() {
    let Some(tool) = multitool("sarif_passes_the_multitool_on_fixtures_and_the_public_corpus")
    else {
        return;
    };
    let dir = project();
    let log = dir.path().join("fixture.sarif");
    let (_, stdout, _) = dfmigrate(dir.path(), &["--format", "sarif", "--unsafe"]);
    fs::write(&log, stdout).expect("write log");
    assert_eq!(validation_problems(&tool, &log), Vec::<String>::new());
    let Some(corpus) =
        common::corpus("sarif_passes_the_multitool_on_fixtures_and_the_public_corpus")
    else {
        return;
    };
    let (_, stdout, _) = dfmigrate(
        &corpus,
        &["--format", "sarif", "--unsafe", "--quiet", "public"],
    );
    let results = serde_json::from_str::<serde_json::Value>(&stdout).expect("SARIF is JSON")
        ["runs"][0]["results"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(
        results > 1000,
        "only {results} results over the public corpus"
    );
    let log = dir.path().join("public.sarif");
    fs::write(&log, stdout).expect("write log");
    assert_eq!(validation_problems(&tool, &log), Vec::<String>::new());
}

#[test]
fn github_annotations_name_file_line_and_transform() {
    let dir = project();
    let (code, stdout, _) = dfmigrate(dir.path(), &["--format", "github", "--quiet"]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains(
            "::warning file=web app/Dockerfile,line=3,endLine=3,col=1,title=dfmigrate (exec-form)::"
        ),
        "{stdout}"
    );
    assert!(
        stdout.lines().all(|line| line.starts_with("::")),
        "{stdout}"
    );
}

#[test]
fn gitlab_code_quality_is_a_json_array_of_issues() {
    let dir = project();
    let (code, stdout, _) = dfmigrate(dir.path(), &["--format", "gitlab"]);
    assert_eq!(code, 1);
    let issues: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let issue = issues
        .as_array()
        .expect("an array")
        .iter()
        .find(|issue| issue["check_name"] == "exec-form")
        .expect("an exec-form issue");
    assert_eq!(issue["location"]["path"], "web app/Dockerfile");
    assert_eq!(issue["location"]["lines"]["begin"], 3);
    assert_eq!(issue["severity"], "minor");
    assert_eq!(issue["fingerprint"].as_str().map(str::len), Some(16));
}

#[test]
fn review_formats_refuse_diff_and_statistics() {
    let dir = project();
    for format in ["sarif", "github", "gitlab"] {
        let (code, _, stderr) = dfmigrate(dir.path(), &["--diff", "--format", format]);
        assert_eq!(code, 2, "{format}");
        assert!(stderr.contains("cannot be combined"), "{stderr}");
        let (code, _, _) = dfmigrate(dir.path(), &["--statistics", "--format", format]);
        assert_eq!(code, 2, "{format}");
    }
}

#[test]
fn explained_diffs_still_apply_and_equal_write() {
    let dir = project();
    let other = dir.path().join("worker");
    fs::create_dir(&other).expect("worker folder");
    fs::write(
        other.join("Dockerfile"),
        "FROM python:3.12\nCMD python worker.py\n",
    )
    .expect("Dockerfile");
    let (code, diff, stderr) = dfmigrate(dir.path(), &["--diff", "--explain", "--unsafe"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        diff.starts_with("# dfmigrate: web app/Dockerfile\n#   line "),
        "{diff}"
    );
    assert!(diff.contains("#   line 2 [copy-over-add] "), "{diff}");
    assert!(diff.contains("#   line 2 [exec-form] "), "{diff}");
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .status()
            .expect("run git");
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    fs::write(dir.path().join("explained.diff"), &diff).expect("write diff");
    git(&["apply", "explained.diff"]);
    let applied: Vec<String> = ["web app/Dockerfile", "worker/Dockerfile"]
        .iter()
        .map(|path| fs::read_to_string(dir.path().join(path)).expect("read"))
        .collect();
    let written = project();
    fs::create_dir(written.path().join("worker")).expect("worker folder");
    fs::write(
        written.path().join("worker/Dockerfile"),
        "FROM python:3.12\nCMD python worker.py\n",
    )
    .expect("Dockerfile");
    let (code, _, stderr) = dfmigrate(written.path(), &["--write", "--unsafe"]);
    assert_eq!(code, 0, "{stderr}");
    for (path, applied) in ["web app/Dockerfile", "worker/Dockerfile"]
        .iter()
        .zip(applied)
    {
        let written = fs::read_to_string(written.path().join(path)).expect("read");
        assert_eq!(applied, written, "{path}");
    }
}

/// Runs git in `dir`, failing the test when git fails.
fn git_in(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.email=test@example.com", "-c", "user.name=test"])
        .args(args)
        .current_dir(dir)
        .status()
        .expect("run git");
    assert!(status.success(), "git {args:?}");
}

#[test]
fn changed_since_runs_on_changed_dockerfiles_and_changed_contexts_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    for service in ["api", "web", "worker", "docs"] {
        let folder = dir.path().join(service);
        fs::create_dir(&folder).expect("service folder");
        fs::write(folder.join("Dockerfile"), "FROM node:20\nCMD node app.js\n")
            .expect("Dockerfile");
        fs::write(folder.join("app.js"), "").expect("app.js");
    }
    git_in(dir.path(), &["init", "-q"]);
    git_in(dir.path(), &["add", "-A"]);
    git_in(dir.path(), &["commit", "-q", "-m", "start"]);
    fs::write(
        dir.path().join("api/Dockerfile"),
        "FROM node:22\nCMD node app.js\n",
    )
    .expect("edit");
    git_in(dir.path(), &["commit", "-q", "-am", "api"]);
    fs::write(dir.path().join("web/app.js"), "console.log(1)\n").expect("edit");
    fs::write(dir.path().join("worker/new.js"), "").expect("untracked");
    let (code, stdout, stderr) = dfmigrate(
        dir.path(),
        &["--check", "--quiet", "--changed-since", "HEAD~1"],
    );
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        stdout,
        "Would fix: api/Dockerfile\nWould fix: web/Dockerfile\nWould fix: worker/Dockerfile\n"
    );
    let (code, stdout, _) = dfmigrate(
        dir.path(),
        &["--check", "--quiet", "--changed-since", "HEAD"],
    );
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "Would fix: web/Dockerfile\nWould fix: worker/Dockerfile\n"
    );
    let (code, _, stderr) = dfmigrate(dir.path(), &["--changed-since", "no-such-revision"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--changed-since no-such-revision: git diff"),
        "{stderr}"
    );
}
