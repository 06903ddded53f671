use super::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;

fn write(root: &Path, path: &str, text: &str) {
    let host = root.join(path.trim_start_matches('/'));
    fs::create_dir_all(host.parent().unwrap()).unwrap();
    fs::write(&host, text).unwrap();
}

fn executable(root: &Path, path: &str, text: &str) {
    write(root, path, text);
    let host = root.join(path.trim_start_matches('/'));
    fs::set_permissions(host, fs::Permissions::from_mode(0o755)).unwrap();
}

fn config(cmd: &[&str], workdir: &str) -> ImageConfig {
    ImageConfig {
        cmd: Some(cmd.iter().map(|s| (*s).to_owned()).collect()),
        working_dir: Some(workdir.to_owned()),
        env: Some(vec!["PATH=/usr/local/bin:/bin".to_owned()]),
        ..ImageConfig::default()
    }
}

struct Pair {
    before: tempfile::TempDir,
    after: tempfile::TempDir,
}

impl Pair {
    fn new() -> Pair {
        let pair = Pair {
            before: tempfile::tempdir().unwrap(),
            after: tempfile::tempdir().unwrap(),
        };
        for root in [pair.before.path(), pair.after.path()] {
            executable(root, "/usr/local/bin/node", "#!/bin/sh\necho node\n");
            executable(root, "/bin/sh", "binary");
        }
        pair
    }

    fn compare(
        &self,
        before: &ImageConfig,
        after: &ImageConfig,
        base_changed: bool,
    ) -> FileComparison {
        compare(&Images {
            before_root: self.before.path(),
            after_root: self.after.path(),
            before,
            after,
            app_paths: &[PathBuf::from("/app")],
            base_changed,
            build_files_dropped: false,
            cache_folders: &[],
            excluded: None,
        })
    }
}

#[test]
fn identical_images_have_no_problems() {
    let pair = Pair::new();
    for root in [pair.before.path(), pair.after.path()] {
        write(root, "/app/app.js", "console.log(1)");
    }
    let cmd = config(&["node", "app.js"], "/app");
    assert_eq!(pair.compare(&cmd, &cmd, false), FileComparison::default());
}

#[test]
fn missing_script_and_changed_file_are_problems() {
    let pair = Pair::new();
    write(pair.before.path(), "/app/app.js", "a");
    write(pair.before.path(), "/app/lib.js", "a");
    write(pair.after.path(), "/app/lib.js", "b");
    let cmd = config(&["node", "app.js"], "/app");
    let found = pair.compare(&cmd, &cmd, false);
    assert_eq!(
        found.problems,
        [
            "missing /app/app.js (referenced by the command)",
            "changed /app/lib.js (content)"
        ]
    );
}

#[test]
fn sources_caches_and_dev_dependencies_are_expected_drops() {
    let pair = Pair::new();
    let before = pair.before.path();
    write(before, "/app/main.go", "package main");
    write(before, "/app/go.mod", "module x");
    write(before, "/app/__pycache__/x.pyc", "");
    write(
        before,
        "/app/package.json",
        r#"{"dependencies":{"express":"1"},"devDependencies":{"jest":"1"}}"#,
    );
    write(before, "/app/node_modules/jest/index.js", "");
    write(before, "/app/node_modules/express/index.js", "");
    for path in ["/app/package.json", "/app/node_modules/express/index.js"] {
        write(
            pair.after.path(),
            path,
            &fs::read_to_string(before.join(&path[1..])).unwrap(),
        );
    }
    let cmd = config(&["node", "--version"], "/app");
    let found = pair.compare(&cmd, &cmd, false);
    assert!(found.problems.is_empty(), "{:?}", found.problems);
    let reasons: Vec<DropReason> = found.dropped.iter().map(|(_, reason)| *reason).collect();
    assert_eq!(
        reasons,
        [
            DropReason::Cache,
            DropReason::BuildFile,
            DropReason::Source,
            DropReason::DevDependency
        ]
    );
}

#[test]
fn packages_the_npm_lock_marks_dev_are_expected_drops() {
    let before = tempfile::tempdir().unwrap();
    let root = before.path();
    write(
        root,
        "/app/package.json",
        r#"{"dependencies":{"express":"4"},"devDependencies":{"nodemon":"3"}}"#,
    );
    write(
        root,
        "/app/node_modules/.package-lock.json",
        r#"{"lockfileVersion":3,"packages":{
            "node_modules/express":{"version":"4.22.3"},
            "node_modules/undefsafe":{"version":"2.0.5","dev":true},
            "node_modules/@types/node":{"version":"20.0.0","dev":true},
            "node_modules/chokidar/node_modules/glob-parent":{"version":"5.1.2","dev":true},
            "node_modules/fsevents":{"version":"2.3.3","devOptional":true}}}"#,
    );
    let reason = |path: &str| drop_reason(root, Path::new(path), false);
    // Build files no application reads: expected drops only when a transform intends them.
    assert_eq!(reason("/app/README.md"), None);
    assert_eq!(
        drop_reason(root, Path::new("/app/README.md"), true),
        Some(DropReason::BuildFile)
    );
    assert_eq!(
        drop_reason(root, Path::new("/app/.github"), true),
        Some(DropReason::BuildFile)
    );
    assert_eq!(
        drop_reason(root, Path::new("/app/docs/index.md"), true),
        None
    );
    for dev in [
        "/app/node_modules/nodemon/lib/nodemon.js",
        "/app/node_modules/undefsafe/package.json",
        "/app/node_modules/@types/node/index.d.ts",
        "/app/node_modules/chokidar/node_modules/glob-parent/index.js",
    ] {
        assert_eq!(reason(dev), Some(DropReason::DevDependency), "{dev}");
    }
    for kept in [
        "/app/node_modules/express/index.js",
        "/app/node_modules/fsevents/fsevents.js",
        "/app/node_modules/unknown/index.js",
    ] {
        assert_eq!(reason(kept), None, "{kept}");
    }
    // npm's links to the programs of packages: dev when the package is.
    let bin = root.join("app/node_modules/.bin");
    fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink("../undefsafe/lib/cli.js", bin.join("undefsafe")).unwrap();
    std::os::unix::fs::symlink("../express/bin/x.js", bin.join("x")).unwrap();
    std::os::unix::fs::symlink("/usr/bin/env", bin.join("abs")).unwrap();
    assert_eq!(
        reason("/app/node_modules/.bin/undefsafe"),
        Some(DropReason::DevDependency)
    );
    assert_eq!(reason("/app/node_modules/.bin/x"), None);
    assert_eq!(reason("/app/node_modules/.bin/abs"), None);
    assert_eq!(reason("/app/node_modules/.bin/missing"), None);
    // npm's hidden lock file changes with every prune: a cache.
    assert_eq!(
        reason("/app/node_modules/.package-lock.json"),
        Some(DropReason::Cache)
    );
    assert_eq!(reason("/app/.package-lock.json"), None);
    // Without the hidden lock file, the project's package-lock.json says the same.
    let lock = root.join("app/node_modules/.package-lock.json");
    fs::rename(&lock, root.join("app/package-lock.json")).unwrap();
    assert_eq!(
        reason("/app/node_modules/undefsafe/package.json"),
        Some(DropReason::DevDependency)
    );
}

#[test]
fn missing_program_and_changed_interpreter() {
    let pair = Pair::new();
    fs::remove_file(pair.after.path().join("usr/local/bin/node")).unwrap();
    let cmd = config(&["node", "x"], "/");
    assert_eq!(
        pair.compare(&cmd, &cmd, false).problems,
        ["program `node` (/usr/local/bin/node) not found"]
    );
    executable(
        pair.after.path(),
        "/usr/local/bin/node",
        "#!/bin/sh\necho other\n",
    );
    assert_eq!(
        pair.compare(&cmd, &cmd, false).problems,
        ["program `node` differs (/usr/local/bin/node → /usr/local/bin/node)"]
    );
    let intended = pair.compare(&cmd, &cmd, true);
    assert!(intended.problems.is_empty());
    assert_eq!(intended.notes.len(), 1);
}

#[test]
fn shell_form_scripts_are_checked_command_by_command() {
    let pair = Pair::new();
    write(pair.before.path(), "/app/run.js", "x");
    let cmd = config(
        &["/bin/sh", "-c", "node run.js > /dev/null && echo $X"],
        "/app",
    );
    let found = pair.compare(&cmd, &cmd, false);
    assert_eq!(
        found.problems,
        ["missing /app/run.js (referenced by the command)"]
    );
}

#[test]
fn build_outputs_may_go_but_referenced_artifacts_may_not() {
    let pair = Pair::new();
    write(pair.before.path(), "/app/target/classes/Main.class", "x");
    write(pair.before.path(), "/app/target/app.jar", "jar");
    let cmd = config(&["java", "-jar", "target/app.jar"], "/app");
    executable(pair.before.path(), "/usr/local/bin/java", "j");
    executable(pair.after.path(), "/usr/local/bin/java", "j");
    let found = pair.compare(&cmd, &cmd, false);
    assert_eq!(
        found.problems,
        ["missing /app/target/app.jar (referenced by the command)"]
    );
    assert_eq!(
        found.dropped,
        [(PathBuf::from("/app/target"), DropReason::BuildOutput)]
    );
}
