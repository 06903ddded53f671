//! Campaign steps on the real binary: `--detailed-exit-code` tells "nothing to do" (0), "changed"
//! (1), "needs a human" (3) and "error" (2) apart, in every mode; `--write --commit-message FILE`
//! describes the change it wrote.

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

#[test]
fn commit_message_lists_the_transforms_and_each_files_reasons() {
    let dir = project(MIXED);
    let message = dir.path().join("message.txt");
    let message_arg = message.to_str().expect("utf-8 path");
    let args = ["--write", "--unsafe", "--commit-message", message_arg, "."];
    assert_eq!(exit_code(dir.path(), &args), 0);
    let text = fs::read_to_string(&message).expect("the message is written");
    let subject = text.lines().next().expect("a subject");
    assert!(
        subject.starts_with("dfmigrate: ") && subject.ends_with(" in 1 Dockerfile"),
        "{subject}"
    );
    for expected in [
        "\n\nTransforms applied:\n- exec-form (1 file): ",
        "\nWhy, file by file:\n\nDockerfile:\n- line 1 [split-stages] ",
        "\n- line 4 [exec-form] shell-form CMD runs under /bin/sh",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
}

#[test]
fn no_commit_message_when_nothing_changed_and_only_with_write() {
    let dir = project(NOTHING_TO_DO);
    let message = dir.path().join("message.txt");
    let message_arg = message.to_str().expect("utf-8 path");
    assert_eq!(
        exit_code(
            dir.path(),
            &["--write", "--commit-message", message_arg, "."]
        ),
        0
    );
    assert!(!message.exists(), "nothing changed, so no message");
    assert_eq!(
        exit_code(
            dir.path(),
            &["--check", "--commit-message", message_arg, "."]
        ),
        2
    );
    let unwritable = [
        "--write",
        "--commit-message",
        "/nonexistent/folder/msg",
        ".",
    ];
    let dir = project(SAFE_FIX);
    assert_eq!(
        exit_code(dir.path(), &unwritable),
        2,
        "a message that cannot be written is an error"
    );
}
