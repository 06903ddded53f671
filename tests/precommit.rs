//! The pre-commit hooks of `.pre-commit-hooks.yaml`, run by the real `pre-commit` (from PyPI) in a
//! scratch repository with `pre-commit try-repo`, which builds dfmigrate from this checkout with
//! cargo as a user's pre-commit would.
//!
//! The build takes minutes, so the test runs only when `DFMIGRATE_PRECOMMIT_E2E` is set (and
//! then requires `pre-commit` on `PATH`); otherwise it says SKIPPED.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

const FIXABLE: &str = "FROM node:20\nADD app.js /app/\nCMD node app.js\n";
const FIXED: &str = "FROM node:20\nCOPY app.js /app/\nCMD [\"node\", \"app.js\"]\n";

fn run(dir: &Path, program: &str, args: &[&str], home: &Path) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("PRE_COMMIT_HOME", home)
        .env("GIT_AUTHOR_NAME", "test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .unwrap_or_else(|error| panic!("run {program}: {error}"))
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

#[test]
fn hooks_check_and_fix_dockerfiles_under_real_pre_commit() {
    if std::env::var_os("DFMIGRATE_PRECOMMIT_E2E").is_none() {
        common::skipped(
            "hooks_check_and_fix_dockerfiles_under_real_pre_commit",
            "set DFMIGRATE_PRECOMMIT_E2E=1 (needs pre-commit on PATH; builds dfmigrate)",
        );
        return;
    }
    let scratch = tempfile::tempdir().expect("temp dir");
    let home = tempfile::tempdir().expect("pre-commit home");
    let repo = scratch.path();
    fs::create_dir(repo.join("svc")).expect("svc");
    fs::write(repo.join("svc/Dockerfile"), FIXABLE).expect("Dockerfile");
    fs::write(repo.join("svc/app.js"), "").expect("app.js");
    // A document named like a Dockerfile: the default exclusions keep the hooks off it.
    fs::write(repo.join("svc/Dockerfile.md"), "# notes\nADD x y\n").expect("notes");
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &["commit", "-q", "-m", "start"],
    ] {
        assert!(
            run(repo, "git", args, home.path()).status.success(),
            "git {args:?}"
        );
    }
    let this_checkout = env!("CARGO_MANIFEST_DIR");
    let try_hook = |hook: &str| {
        run(
            repo,
            "pre-commit",
            &["try-repo", this_checkout, hook, "--all-files"],
            home.path(),
        )
    };

    let check = try_hook("dfmigrate");
    let said = text(&check);
    assert!(!check.status.success(), "the check hook passed:\n{said}");
    assert!(
        said.contains("+COPY app.js /app/"),
        "no diff shown:\n{said}"
    );
    assert_eq!(
        fs::read_to_string(repo.join("svc/Dockerfile")).unwrap(),
        FIXABLE
    );

    let fix = try_hook("dfmigrate-fix");
    let said = text(&fix);
    assert!(
        !fix.status.success(),
        "pre-commit did not report the modified file:\n{said}"
    );
    assert_eq!(
        fs::read_to_string(repo.join("svc/Dockerfile")).unwrap(),
        FIXED
    );
    assert_eq!(
        fs::read_to_string(repo.join("svc/Dockerfile.md")).unwrap(),
        "# notes\nADD x y\n"
    );

    let again = try_hook("dfmigrate");
    assert!(
        again.status.success(),
        "the check hook failed on fixed files:\n{}",
        text(&again)
    );
}
