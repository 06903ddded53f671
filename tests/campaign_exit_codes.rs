//! `--detailed-exit-code` on the real binary: a campaign tells "nothing to do" (0), "changed"
//! (1), "needs a human" (3) and "error" (2) apart, in every mode.

use std::fs;
use std::path::Path;
use std::process::Command;

fn exit_code(dir: &Path, args: &[&str]) -> i32 {
    let output = Command::new(env!("CARGO_BIN_EXE_dfmigrate"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run dfmigrate");
    output.status.code().expect("exit code")
}

/// A folder holding one Dockerfile with this text.
fn project(dockerfile: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("Dockerfile"), dockerfile).expect("Dockerfile");
    dir
}

const NOTHING_TO_DO: &str = "FROM alpine:3.19\nUSER nobody\nCMD [\"echo\", \"hi\"]\n";
/// A safe fix only (exec form).
const SAFE_FIX: &str = "FROM alpine:3.19\nUSER nobody\nCMD echo hi\n";
/// A safe fix, and unsafe ones (split-stages, non-root-user) left for a person without --unsafe.
const MIXED: &str = "FROM node:20\nWORKDIR /app\nCOPY . .\nCMD node server.js\n";

#[test]
fn nothing_to_do_exits_0_in_every_mode() {
    let dir = project(NOTHING_TO_DO);
    for mode in [&[][..], &["--check"], &["--diff"], &["--write"]] {
        let args = [mode, &["--detailed-exit-code", "."]].concat();
        assert_eq!(exit_code(dir.path(), &args), 0, "{args:?}");
    }
}

#[test]
fn changes_with_nothing_left_exit_1_also_after_writing() {
    for mode in [&[][..], &["--check"], &["--diff"], &["--write"]] {
        let dir = project(SAFE_FIX);
        let args = [mode, &["--detailed-exit-code", "."]].concat();
        assert_eq!(exit_code(dir.path(), &args), 1, "{args:?}");
    }
    let dir = project(SAFE_FIX);
    exit_code(dir.path(), &["--write", "."]);
    assert_eq!(exit_code(dir.path(), &["--detailed-exit-code", "."]), 0);
}

#[test]
fn hidden_unsafe_fixes_and_findings_without_fix_need_a_human() {
    let dir = project(MIXED);
    assert_eq!(
        exit_code(dir.path(), &["--detailed-exit-code", "--check", "."]),
        3
    );
    assert_eq!(
        exit_code(dir.path(), &["--detailed-exit-code", "--write", "."]),
        3
    );
    let written = fs::read_to_string(dir.path().join("Dockerfile")).expect("read");
    assert!(
        written.contains("CMD [\"node\", \"server.js\"]"),
        "the safe fix is written: {written}"
    );
    let dir = project(MIXED);
    let with_unsafe = ["--detailed-exit-code", "--unsafe", "--check", "."];
    assert_eq!(
        exit_code(dir.path(), &with_unsafe),
        1,
        "every fix applies with --unsafe"
    );
}

#[test]
fn errors_exit_2_and_exit_zero_conflicts() {
    let dir = project("FROM alpine\nFROBNICATE x\n");
    assert_eq!(exit_code(dir.path(), &["--detailed-exit-code", "."]), 2);
    let dir = project(SAFE_FIX);
    assert_eq!(
        exit_code(dir.path(), &["--detailed-exit-code", "--exit-zero", "."]),
        2
    );
}
