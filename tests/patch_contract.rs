//! The CLI contract for patches, on the real binary over every corpus Dockerfile: the output of
//! `--diff` (with and without `--unsafe`) applied by `git apply` and by `patch -p1` gives exactly
//! the files `--write` writes — the ignore files fixes create beside the Dockerfiles
//! (`--- /dev/null`) and rewrite included — and a second run over the written files changes
//! nothing.
//!
//! Two trees are checked: the public corpus laid out as the repositories it came from
//! (`MANIFEST.tsv` gives each file's repository and path), and the build contexts of
//! `contexts/`, so transforms that read manifests and lock files fire as they do for users.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BINARY: &str = env!("CARGO_BIN_EXE_dfmigrate");

#[test]
fn public_corpus_patches_apply_and_equal_write() {
    let Some(corpus) = common::corpus("public_corpus_patches_apply_and_equal_write") else {
        return;
    };
    let scratch = tempfile::tempdir().expect("temporary folder");
    let tree = scratch.path().join("original");
    lay_out_public_corpus(&corpus, &tree);
    for unsafe_fixes in [false, true] {
        check_contract(&tree, scratch.path(), unsafe_fixes, 400);
    }
}

#[test]
fn context_corpus_patches_apply_and_equal_write() {
    let Some(corpus) = common::corpus("context_corpus_patches_apply_and_equal_write") else {
        return;
    };
    let scratch = tempfile::tempdir().expect("temporary folder");
    let tree = scratch.path().join("original");
    copy_tree(&corpus.join("contexts"), &tree);
    for unsafe_fixes in [false, true] {
        check_contract(&tree, scratch.path(), unsafe_fixes, 100);
    }
}

/// Contexts whose fixes create ignore files (one alone in its folder, two Dockerfiles sharing a
/// folder: one `<Dockerfile>.dockerignore` each) and extend one (CRLF, kept byte for byte):
/// the contract holds for files beside the Dockerfiles, whatever the corpus holds.
#[test]
fn ignore_file_patches_apply_and_equal_write() {
    let scratch = tempfile::tempdir().expect("temporary folder");
    let tree = scratch.path().join("original");
    let files: &[(&str, &str)] = &[
        (
            "created/Dockerfile",
            "FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD [\"node\", \"server.js\"]\n",
        ),
        ("created/package.json", "{}\n"),
        ("created/package-lock.json", "{}\n"),
        ("created/server.js", "require('http')\n"),
        ("created/node_modules/x/index.js", "x\n"),
        ("created/.idea/workspace.xml", "<project/>\n"),
        ("created/.env", "SESSION_SECRET=abc\n"),
        (
            "changed/Dockerfile",
            "FROM python:3.12-slim\r\nWORKDIR /app\r\nCOPY . .\r\nCMD [\"python\", \"app.py\"]\r\n",
        ),
        ("changed/.dockerignore", "*.log\r\n!keep.log"),
        ("changed/app.py", "print(1)\n"),
        ("changed/__pycache__/app.cpython-312.pyc", "x"),
        (
            "shared/Dockerfile",
            "FROM nginx:1.27\nCOPY . /usr/share/nginx/html\n",
        ),
        (
            "shared/Dockerfile.dev",
            "FROM nginx:1.27\nCOPY . /usr/share/nginx/html\nRUN echo dev > /usr/share/nginx/html/env\n",
        ),
        ("shared/index.html", "<h1>hi</h1>\n"),
        ("shared/.vscode/settings.json", "{}\n"),
    ];
    for (path, content) in files {
        let target = tree.join(path);
        fs::create_dir_all(target.parent().expect("a parent")).expect("create folder");
        fs::write(target, content).expect("write");
    }
    for unsafe_fixes in [false, true] {
        let patch = check_contract(&tree, scratch.path(), unsafe_fixes, 3);
        for header in [
            "--- /dev/null\n+++ b/shared/Dockerfile.dockerignore\n",
            "--- /dev/null\n+++ b/shared/Dockerfile.dev.dockerignore\n",
            "--- a/changed/.dockerignore\n+++ b/changed/.dockerignore\n",
        ] {
            assert!(patch.contains(header), "no `{header}` in:\n{patch}");
        }
        let created = "--- /dev/null\n+++ b/created/.dockerignore\n";
        assert_eq!(patch.contains(created), unsafe_fixes, "{patch}");
    }
}

/// Runs `--diff` on `tree`, applies the patch with `git apply` and with `patch -p1` to copies of
/// the files it names, runs `--write` on a copy of the whole tree, and compares: each patched
/// file equals the written one, every other file is unchanged. Then a second run is empty.
/// Returns the patch.
fn check_contract(tree: &Path, scratch: &Path, unsafe_fixes: bool, at_least: usize) -> String {
    let mode = if unsafe_fixes { "unsafe" } else { "safe" };
    let patch = dfmigrate(tree, "--diff", unsafe_fixes);
    let patched: Vec<PathBuf> = patch
        .lines()
        .filter_map(|line| line.strip_prefix("+++ b/"))
        .map(PathBuf::from)
        .collect();
    assert!(
        patched.len() >= at_least,
        "{mode}: only {} files changed; expected at least {at_least}",
        patched.len()
    );
    let by_git = scratch.join(format!("git-apply-{mode}"));
    let by_patch = scratch.join(format!("patch-{mode}"));
    let created = patch.matches("--- /dev/null\n").count();
    for copy in [&by_git, &by_patch] {
        fs::create_dir_all(copy).expect("create folder");
        for file in &patched {
            let target = copy.join(file);
            fs::create_dir_all(target.parent().expect("a parent")).expect("create folder");
            if tree.join(file).exists() {
                copy_writable(&tree.join(file), &target);
            }
        }
    }
    apply(
        &by_git,
        "git",
        &["apply", "--whitespace=nowarn", "-"],
        &patch,
    );
    apply(
        &by_patch,
        "patch",
        &[
            "-p1",
            "--forward",
            "--batch",
            "--silent",
            "--no-backup-if-mismatch",
        ],
        &patch,
    );
    let written = scratch.join(format!("write-{mode}"));
    copy_tree(tree, &written);
    dfmigrate(&written, "--write", unsafe_fixes);
    let original = read_tree(tree);
    let mut differing = Vec::new();
    for (path, bytes) in read_tree(&written) {
        let matches = if patched.contains(&path) {
            [&by_git, &by_patch]
                .iter()
                .all(|copy| fs::read(copy.join(&path)).ok().as_ref() == Some(&bytes))
        } else {
            original.get(&path) == Some(&bytes)
        };
        if !matches {
            differing.push(path);
        }
    }
    assert!(
        differing.is_empty(),
        "{mode}: --diff applied by git apply or patch -p1 differs from --write in {} files, \
         first {:?}",
        differing.len(),
        &differing[..differing.len().min(5)]
    );
    let second = dfmigrate(&written, "--diff", unsafe_fixes);
    assert!(
        second.is_empty(),
        "{mode}: a second run still changes files:\n{}",
        &second[..second.len().min(4000)]
    );
    eprintln!(
        "{mode}: {} files changed ({created} created); git apply, patch -p1 and --write agree",
        patched.len()
    );
    patch
}

/// Runs the binary on the folder `.` inside `dir` and returns its standard output. Exit code 2
/// is expected too: the corpus holds BuildKit's negative parser tests and empty placeholder
/// files, which are reported and never changed; anything else (a crash) fails.
fn dfmigrate(dir: &Path, mode: &str, unsafe_fixes: bool) -> String {
    let mut command = Command::new(BINARY);
    command
        .current_dir(dir)
        .args([mode, "--isolated", "--color", "never"]);
    if unsafe_fixes {
        command.arg("--unsafe");
    }
    let output = command.arg(".").output().expect("run dfmigrate");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        matches!(output.status.code(), Some(0..=2)),
        "dfmigrate {mode} failed ({:?}):\n{stderr}",
        output.status
    );
    String::from_utf8(output.stdout).expect("diff is UTF-8")
}

/// Feeds `patch` to `program args` run in `dir`; it must succeed.
fn apply(dir: &Path, program: &str, args: &[&str], patch: &str) {
    let mut child = Command::new(program)
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} is needed for this test: {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(patch.as_bytes())
        .expect("write the patch");
    let output = child.wait_with_output().expect("wait");
    assert!(
        output.status.success(),
        "{program} rejected the patch:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Copies `public/OWNER__REPO/FILE` to `OWNER__REPO/PATH_IN_REPO` under `tree`.
fn lay_out_public_corpus(corpus: &Path, tree: &Path) {
    let manifest = fs::read_to_string(corpus.join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    let mut files = 0;
    for row in manifest.lines().skip(1) {
        let fields: Vec<&str> = row.split('\t').collect();
        let [file, _, path_in_repo, ..] = fields[..] else {
            continue;
        };
        let Some(rest) = file.strip_prefix("public/") else {
            continue;
        };
        let Some((repository, _)) = rest.split_once('/') else {
            continue;
        };
        let target = tree.join(repository).join(path_in_repo);
        fs::create_dir_all(target.parent().expect("a parent")).expect("create folder");
        copy_writable(&corpus.join(file), &target);
        files += 1;
    }
    assert!(files > 1000, "MANIFEST.tsv lists only {files} public files");
}

/// Copies a folder recursively (regular files and folders; links are copied as files).
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create folder");
    for entry in fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            copy_writable(&entry.path(), &target);
        }
    }
}

/// Copies a file and makes the copy writable: the corpus is read-only, and `--write` rightly
/// refuses read-only files.
fn copy_writable(from: &Path, to: &Path) {
    fs::copy(from, to).expect("copy file");
    let mut permissions = fs::metadata(to).expect("copied file").permissions();
    permissions.set_mode(0o644);
    fs::set_permissions(to, permissions).expect("make the copy writable");
}

/// Every file under `root` by relative path, with its bytes.
fn read_tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).expect("read folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(root).expect("under root").to_owned();
                files.insert(relative, fs::read(&path).expect("read file"));
            }
        }
    }
    files
}
