//! `BuildContext`: existence, ignore files, `COPY` globs and reads, on temporary folders, small
//! fixtures and real skeleton contexts from the corpus.

mod common;

use dfmigrate::context::BuildContext;
use std::fs;
use std::path::{Path, PathBuf};

fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
    fs::write(full, text).expect("write");
}

fn sample() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    for path in [
        "Dockerfile",
        "package.json",
        "package-lock.json",
        "README.md",
        "CHANGELOG.md",
        "requirements.txt",
        "requirements-dev.txt",
        "src/index.js",
        "src/lib/util.js",
        "node_modules/x/index.js",
        ".git/HEAD",
        ".gitignore",
        "deploy/prod.Dockerfile",
    ] {
        write(root, path, "x");
    }
    write(
        root,
        ".dockerignore",
        "node_modules\n*.md\n!README.md\n.git\n",
    );
    write(root, "deploy/prod.Dockerfile.dockerignore", "src\n");
    dir
}

fn paths(list: &[&str]) -> Vec<PathBuf> {
    list.iter().map(PathBuf::from).collect()
}

#[test]
fn existence_ignore_and_availability() {
    let dir = sample();
    let context =
        BuildContext::open(dir.path(), Some(&dir.path().join("Dockerfile"))).expect("open");
    assert!(context.has_files());
    assert_eq!(
        context.ignore_file(),
        Some(dir.path().join(".dockerignore").as_path())
    );
    assert!(context.exists("node_modules/x/index.js"));
    assert!(context.is_ignored("node_modules/x/index.js"));
    assert!(!context.is_available("node_modules/x/index.js"));
    assert!(context.is_available("README.md"));
    assert!(!context.is_available("CHANGELOG.md"));
    assert!(context.is_ignored(".git/HEAD"));
    assert!(context.is_available(".gitignore"));
    assert!(context.is_available("/package.json"));
    assert!(context.is_available("./src/../package.json"));
    assert!(!context.exists("../outside"));
    assert!(!context.exists("missing.txt"));
    assert!(context.is_dir("src"));
    assert!(!context.is_ignored("."));
}

#[test]
fn globs_list_available_matches() {
    let dir = sample();
    let context = BuildContext::open(dir.path(), None).expect("open");
    assert_eq!(context.glob("*.md"), paths(&["README.md"]));
    assert_eq!(
        context.glob("requirements*.txt"),
        paths(&["requirements-dev.txt", "requirements.txt"])
    );
    assert_eq!(context.glob("src/*.js"), paths(&["src/index.js"]));
    assert_eq!(context.glob("src/*/*.js"), paths(&["src/lib/util.js"]));
    assert_eq!(
        context.glob("package*.json"),
        paths(&["package-lock.json", "package.json"])
    );
    assert_eq!(context.glob("/package.json"), paths(&["package.json"]));
    assert_eq!(context.glob("./package.json"), paths(&["package.json"]));
    assert_eq!(context.glob("s*"), paths(&["src"]));
    assert!(context.glob("node_modules/*").is_empty());
    assert!(context.glob("../*").is_empty());
    assert!(context.glob("[").is_empty());
    assert!(context.glob("missing*").is_empty());
}

#[test]
fn dockerfile_specific_ignore_file_wins() {
    let dir = sample();
    let dockerfile = dir.path().join("deploy/prod.Dockerfile");
    let context = BuildContext::open(dir.path(), Some(&dockerfile)).expect("open");
    assert_eq!(
        context.ignore_file(),
        Some(
            dir.path()
                .join("deploy/prod.Dockerfile.dockerignore")
                .as_path()
        )
    );
    assert!(context.is_ignored("src/index.js"));
    assert!(!context.is_ignored("node_modules/x/index.js"));
    assert!(context.is_available("CHANGELOG.md"));
}

#[test]
fn reads_only_available_files() {
    let dir = sample();
    write(dir.path(), "package.json", "{\"name\": \"x\"}");
    let context = BuildContext::open(dir.path(), None).expect("open");
    assert_eq!(
        context.read_to_string("package.json").expect("read"),
        "{\"name\": \"x\"}"
    );
    assert!(context.read_to_string("CHANGELOG.md").is_err());
    assert!(context.read_to_string("missing").is_err());
}

#[test]
fn errors_on_missing_folder_and_bad_patterns() {
    assert!(BuildContext::open(Path::new("/definitely/not/here"), None).is_err());
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), ".dockerignore", "[unclosed\n");
    let error = BuildContext::open(dir.path(), None).expect_err("bad pattern");
    assert!(error.to_string().contains("[unclosed"), "{error}");
}

#[test]
fn without_files_knows_nothing() {
    let context = BuildContext::without_files();
    assert!(!context.has_files());
    assert!(!context.exists("package.json"));
    assert!(!context.is_available("package.json"));
    assert!(!context.is_ignored("package.json"));
    assert!(context.glob("*").is_empty());
    assert!(context.read_to_string("package.json").is_err());
}

#[test]
fn fixture_context() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/context/node-hooks");
    let context = BuildContext::open(&root, None).expect("open");
    assert_eq!(context.glob("*.md"), paths(&["README.md"]));
    assert!(context.is_available("src/index.js"));
}

/// Real `.dockerignore` files: every pattern parses, and when a file has no exceptions, each
/// plain path it lists that exists is ignored.
#[test]
fn corpus_dockerignore_files() {
    let Some(corpus) = common::corpus("corpus_dockerignore_files") else {
        return;
    };
    let contexts = corpus.join("contexts");
    if !contexts.join("CONTEXTS.tsv").is_file() {
        eprintln!(
            "SKIPPED corpus_dockerignore_files: no contexts in {}",
            corpus.display()
        );
        return;
    }
    let (mut files, mut checked) = (0, 0);
    for dir in context_dirs(&contexts) {
        let Ok(text) = fs::read_to_string(dir.join(".dockerignore")) else {
            continue;
        };
        files += 1;
        let context =
            BuildContext::open(&dir, None).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        if text.lines().any(|line| line.trim_start().starts_with('!')) {
            continue;
        }
        for line in text.lines().map(str::trim) {
            let plain =
                !line.is_empty() && !line.starts_with('#') && !line.contains(['*', '?', '[', '\\']);
            if plain && context.exists(line) {
                assert!(context.is_ignored(line), "{}: {line}", dir.display());
                assert!(!context.is_available(line));
                checked += 1;
            }
        }
    }
    println!("corpus .dockerignore files: {files}, plain existing paths checked: {checked}");
    assert!(files > 0);
}

fn context_dirs(contexts: &Path) -> Vec<PathBuf> {
    let index = fs::read_to_string(contexts.join("CONTEXTS.tsv")).expect("CONTEXTS.tsv");
    let mut dirs: Vec<PathBuf> = index
        .lines()
        .skip(1)
        .filter_map(|line| line.split('\t').next())
        .map(|dir| contexts.join(dir))
        .collect();
    dirs.dedup();
    dirs
}
