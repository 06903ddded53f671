//! Fixes that create or rewrite a build context's ignore file (`dockerignore`,
//! `secrets-in-context`), on the real binary: `--diff` prints a new file as `--- /dev/null` that
//! `git apply` creates, byte for byte what `--write` writes (mode 0644, atomically); `--check`
//! and JSON list it; a second run changes nothing; two Dockerfiles of one context never write
//! one file twice; an existing file keeps its permissions; standard input never writes beside
//! the Dockerfile, and `--interactive` writes the file when its fix is accepted.

mod common;

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Stdio};

const SELECT: &str = "--select=dockerignore,secrets-in-context";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn dfmigrate(dir: &Path, args: &[&str]) -> Run {
    dfmigrate_with_input(dir, args, b"")
}

fn dfmigrate_with_input(dir: &Path, args: &[&str], input: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dfmigrate"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dfmigrate");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    let output = child.wait_with_output().expect("run dfmigrate");
    Run {
        code: output.status.code().expect("exit code"),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

fn write(dir: &Path, relative: &str, content: &str) {
    let path = dir.join(relative);
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, content).expect("write");
}

fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git is needed for this test")
}

/// A Node.js app whose context holds a checkout's `.git`, a host `node_modules` and an `.env`.
fn node_app(root: &Path) {
    write(
        root,
        "app/Dockerfile",
        "FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci --omit=dev\nCMD [\"node\", \"server.js\"]\n",
    );
    write(root, "app/package.json", "{}\n");
    write(root, "app/package-lock.json", "{}\n");
    write(root, "app/server.js", "require('http')\n");
    write(root, "app/node_modules/express/index.js", "x\n");
    write(root, "app/.env", "SESSION_SECRET=not-for-images\n");
    assert!(git(&root.join("app"), &["init", "-q"]).status.success());
}

/// Every file below `dir` by relative path, with its bytes (`.git` left out).
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(folder) = pending.pop() {
        for entry in fs::read_dir(&folder).expect("read folder") {
            let path = entry.expect("entry").path();
            if path.file_name().is_some_and(|name| name == ".git") {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).expect("under dir");
                files.push((
                    relative.display().to_string(),
                    fs::read(&path).expect("read"),
                ));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn diff_creates_the_ignore_file_as_git_apply_and_write_do() {
    let patched = tempfile::tempdir().expect("temp dir");
    let written = tempfile::tempdir().expect("temp dir");
    for root in [patched.path(), written.path()] {
        node_app(root);
    }
    let diff = dfmigrate(patched.path(), &["--diff", "--unsafe", SELECT, "app"]);
    assert_eq!(diff.code, 1, "{}", diff.stderr);
    assert!(
        diff.stdout
            .starts_with("--- /dev/null\n+++ b/app/.dockerignore\n@@ -0,0 +1,"),
        "{}",
        diff.stdout
    );
    assert!(
        diff.stderr
            .contains("1 ignore file would be created or changed"),
        "{}",
        diff.stderr
    );
    let check = git_apply(patched.path(), &diff.stdout, true);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(git_apply(patched.path(), &diff.stdout, false)
        .status
        .success());
    let write = dfmigrate(written.path(), &["--write", "--unsafe", SELECT, "app"]);
    assert_eq!(write.code, 0, "{}", write.stderr);
    assert!(
        write.stdout.contains("1 ignore file written"),
        "{}",
        write.stdout
    );
    assert_eq!(tree(patched.path()), tree(written.path()));
    let ignore = fs::read_to_string(written.path().join("app/.dockerignore")).expect("created");
    assert_eq!(
        ignore,
        "# version control\n.git\n# container build files\nDockerfile\n# dependencies the image installs\nnode_modules\n\n# secrets\n.env\n"
    );
    let mode = fs::metadata(written.path().join("app/.dockerignore"))
        .expect("metadata")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
    let leftovers: Vec<String> = tree(written.path())
        .into_iter()
        .map(|(path, _)| path)
        .filter(|path| path.contains(".dfmigrate-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let again = dfmigrate(written.path(), &["--diff", "--unsafe", SELECT, "app"]);
    assert_eq!(
        (again.code, again.stdout.as_str()),
        (0, ""),
        "{}",
        again.stderr
    );
}

fn git_apply(dir: &Path, patch: &str, check: bool) -> std::process::Output {
    let mut args = vec!["apply"];
    if check {
        args.push("--check");
    }
    let mut child = Command::new("git")
        .args(&args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("git is needed for this test");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(patch.as_bytes())
        .expect("write patch");
    child.wait_with_output().expect("git apply")
}

#[test]
fn check_and_json_list_the_file_beside_the_dockerfile() {
    let dir = tempfile::tempdir().expect("temp dir");
    node_app(dir.path());
    let check = dfmigrate(dir.path(), &["--check", "--unsafe", SELECT, "app"]);
    assert_eq!(check.code, 1);
    assert_eq!(
        check.stdout,
        "Would create: app/.dockerignore\n0 files would be changed, 1 unchanged, 1 ignore file would be created or changed.\n"
    );
    let json = dfmigrate(dir.path(), &["--format", "json", "--unsafe", SELECT, "app"]);
    let document: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let file = &document["files"][0];
    assert_eq!(file["status"], "changed");
    assert_eq!(file["fix"]["edits"], serde_json::json!([]));
    assert_eq!(file["fix"]["files"][0]["path"], "app/.dockerignore");
    assert_eq!(file["fix"]["files"][0]["action"], "create");
    assert!(file["fix"]["files"][0]["content"]
        .as_str()
        .is_some_and(|content| content.ends_with("# secrets\n.env\n")));
    let findings = file["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 2);
    assert_eq!(findings[0]["files"][0]["path"], "app/.dockerignore");
    assert_eq!(document["summary"]["beside"], 1);
    assert!(!dir.path().join("app/.dockerignore").exists());
}

#[test]
fn an_existing_ignore_file_gets_a_hunk_and_keeps_its_bytes() {
    let dir = tempfile::tempdir().expect("temp dir");
    node_app(dir.path());
    write(dir.path(), "app/.dockerignore", "*.log\r\nnode_modules\r\n");
    let diff = dfmigrate(dir.path(), &["--diff", "--unsafe", SELECT, "app"]);
    assert!(
        diff.stdout
            .starts_with("--- a/app/.dockerignore\n+++ b/app/.dockerignore\n"),
        "{}",
        diff.stdout
    );
    assert!(git_apply(dir.path(), &diff.stdout, false).status.success());
    let ignore = fs::read(dir.path().join("app/.dockerignore")).expect("read");
    assert_eq!(
        String::from_utf8_lossy(&ignore),
        "*.log\r\nnode_modules\r\n\r\n# version control\r\n.git\r\n# container build files\r\nDockerfile\r\n\r\n# secrets\r\n.env\r\n"
    );
}

#[test]
fn history_read_by_the_build_stays() {
    let dir = tempfile::tempdir().expect("temp dir");
    node_app(dir.path());
    write(
        dir.path(),
        "app/Dockerfile",
        "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN git describe --always > VERSION && npm ci\n",
    );
    let write_run = dfmigrate(dir.path(), &["--write", "--unsafe", SELECT, "app"]);
    assert_eq!(write_run.code, 0, "{}", write_run.stderr);
    let ignore = fs::read_to_string(dir.path().join("app/.dockerignore")).expect("created");
    assert!(!ignore.contains(".git\n"), "{ignore}");
    assert!(ignore.contains("node_modules\n"), "{ignore}");
}

#[test]
fn dockerfiles_sharing_a_context_never_share_a_new_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "compose.yaml",
        "services:\n  api:\n    build: {context: ., dockerfile: services/api/Dockerfile}\n  web:\n    build: {context: ., dockerfile: services/web/Dockerfile}\n",
    );
    for service in ["api", "web"] {
        write(
            dir.path(),
            &format!("services/{service}/Dockerfile"),
            "FROM python:3.12-slim\nWORKDIR /srv\nCOPY . .\nCMD [\"python\", \"main.py\"]\n",
        );
    }
    write(dir.path(), ".idea/workspace.xml", "<project/>\n");
    write(dir.path(), "main.py", "print(1)\n");
    let check = dfmigrate(dir.path(), &["--check", SELECT, "."]);
    assert_eq!(
        check
            .stdout
            .lines()
            .filter(|line| line.starts_with("Would create"))
            .collect::<Vec<_>>(),
        [
            "Would create: services/api/Dockerfile.dockerignore",
            "Would create: services/web/Dockerfile.dockerignore"
        ],
        "{}",
        check.stdout
    );
    let write_run = dfmigrate(dir.path(), &["--write", SELECT, "."]);
    assert_eq!(write_run.code, 0, "{}", write_run.stderr);
    assert!(!dir.path().join(".dockerignore").exists());
    let again = dfmigrate(dir.path(), &["--check", SELECT, "."]);
    assert_eq!(again.code, 0, "{}", again.stdout);
}

#[test]
fn a_context_read_by_the_run_alone_gets_a_shared_file_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "Dockerfile",
        "FROM nginx:1.27\nCOPY . /usr/share/nginx/html\n",
    );
    write(dir.path(), ".vscode/settings.json", "{}\n");
    write(dir.path(), "index.html", "<h1>hi</h1>\n");
    let diff = dfmigrate(dir.path(), &["--diff", SELECT, "."]);
    assert_eq!(
        diff.stdout.matches("+++ b/.dockerignore").count(),
        1,
        "{}",
        diff.stdout
    );
}

#[test]
fn standard_input_never_writes_beside_the_dockerfile() {
    let dir = tempfile::tempdir().expect("temp dir");
    node_app(dir.path());
    let dockerfile = fs::read(dir.path().join("app/Dockerfile")).expect("read");
    let run = dfmigrate_with_input(
        dir.path(),
        &[
            "--write",
            "--unsafe",
            SELECT,
            "--stdin-filename",
            "app/Dockerfile",
            "-",
        ],
        &dockerfile,
    );
    assert_eq!(
        run.stdout.as_bytes(),
        dockerfile.as_slice(),
        "{}",
        run.stderr
    );
    assert!(!dir.path().join("app/.dockerignore").exists());
}

#[test]
fn interactive_offers_the_ignore_file_first_and_writes_what_is_accepted() {
    let dir = tempfile::tempdir().expect("temp dir");
    node_app(dir.path());
    // Declined: nothing is written.
    let declined = dfmigrate_with_input(
        dir.path(),
        &["--interactive", "--unsafe", SELECT, "app"],
        b"n\nn\n",
    );
    assert!(
        declined
            .stdout
            .contains("--- /dev/null\n+++ b/app/.dockerignore\n"),
        "{}",
        declined.stdout
    );
    assert!(!dir.path().join("app/.dockerignore").exists());
    // Accepted: the file is created, and the next fix extends it.
    let accepted = dfmigrate_with_input(
        dir.path(),
        &["--interactive", "--unsafe", SELECT, "app"],
        b"y\ny\n",
    );
    assert_eq!(accepted.code, 0, "{}{}", accepted.stdout, accepted.stderr);
    assert!(
        accepted.stdout.contains("Created app/.dockerignore")
            && accepted.stdout.contains("Wrote app/.dockerignore")
            && accepted
                .stdout
                .contains("--- a/app/.dockerignore\n+++ b/app/.dockerignore\n"),
        "{}",
        accepted.stdout
    );
    let ignore = fs::read_to_string(dir.path().join("app/.dockerignore")).expect("created");
    assert!(
        ignore.contains("node_modules\n") && ignore.ends_with("# secrets\n.env\n"),
        "{ignore}"
    );
    let mode = fs::metadata(dir.path().join("app/.dockerignore"))
        .expect("metadata")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
    let again = dfmigrate(dir.path(), &["--check", "--unsafe", SELECT, "app"]);
    assert_eq!(again.code, 0, "{}", again.stdout);
}

#[test]
fn write_keeps_an_existing_ignore_file_s_permissions() {
    let dir = tempfile::tempdir().expect("temp dir");
    node_app(dir.path());
    let ignore = dir.path().join("app/.dockerignore");
    write(dir.path(), "app/.dockerignore", "*.log\n");
    fs::set_permissions(&ignore, fs::Permissions::from_mode(0o600)).expect("chmod");
    let run = dfmigrate(dir.path(), &["--write", "--unsafe", SELECT, "app"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = fs::read_to_string(&ignore).expect("read");
    assert!(text.starts_with("*.log\n\n# version control\n"), "{text}");
    let mode = fs::metadata(&ignore)
        .expect("metadata")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn an_ignore_file_that_cannot_be_written_keeps_the_dockerfile_too() {
    let dir = tempfile::tempdir().expect("temp dir");
    node_app(dir.path());
    // A folder where the file would be created: the creation fails, whoever runs the test.
    fs::create_dir_all(dir.path().join("app/.dockerignore")).expect("mkdir");
    let before = fs::read(dir.path().join("app/Dockerfile")).expect("read");
    let run = dfmigrate(dir.path(), &["--write", "--unsafe", "app"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("app/.dockerignore: file appeared on disk"),
        "{}",
        run.stderr
    );
    assert_eq!(
        fs::read(dir.path().join("app/Dockerfile")).expect("read"),
        before
    );
}
