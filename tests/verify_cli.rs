//! `dfmigrate verify` behaviour that needs no container engine: unchanged files, argument errors.

use std::process::{Command, Output};

fn dfmigrate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dfmigrate"))
        .args(args)
        .env("PATH", "/nonexistent")
        .output()
        .expect("run dfmigrate")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn unchanged_files_need_no_engine() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = dir.path().join("Dockerfile");
    std::fs::write(&file, "FROM alpine:3.19\nCMD [\"sh\"]\n").expect("write");
    let output = dfmigrate(&["verify", file.to_str().expect("UTF-8")]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        format!("{}: unchanged (nothing to verify)\n", file.display())
    );
}

#[test]
fn a_changed_file_without_any_engine_is_an_error() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = dir.path().join("Dockerfile");
    std::fs::write(&file, "FROM alpine:3.19\nCMD sh\n").expect("write");
    let output = dfmigrate(&["verify", file.to_str().expect("UTF-8")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("no container engine found"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn against_takes_exactly_one_dockerfile() {
    let output = dfmigrate(&["verify", "--against", "new", "a/Dockerfile", "b/Dockerfile"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("exactly one PATH"));
}

#[test]
fn unknown_transform_ids_are_rejected() {
    let output = dfmigrate(&["verify", "--select", "no-such-transform", "."]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("no-such-transform"));
}

#[test]
fn unknown_engines_are_rejected_by_the_parser() {
    let output = dfmigrate(&["verify", "--engine", "lxc", "."]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_path_is_required() {
    assert_eq!(dfmigrate(&["verify"]).status.code(), Some(2));
}
