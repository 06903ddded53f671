//! `--interactive` through a pseudo-terminal, as a user runs it: each fix shown with its reason
//! and diff, answered with y (apply), n (skip), a (apply every fix of the transform), d (skip
//! every fix of the transform), q (quit) or ? (help); files are written with what was accepted.

use rexpect::process::WaitStatus;
use rexpect::session::{spawn_command, PtySession};
use std::fs;
use std::path::Path;
use std::process::Command;

const PROMPT: &str = "Apply this fix [y,n,a,d,q,?]? ";

/// `ADD` of a local file (copy-over-add) and a shell-form CMD (exec-form), both safe.
const TWO_FIXES: &str = "FROM node:20\nWORKDIR /app\nADD server.js .\nCMD node server.js\n";

/// Folders `a/` and `b/`, each with `TWO_FIXES` and its `server.js`.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for service in ["a", "b"] {
        let folder = dir.path().join(service);
        fs::create_dir(&folder).expect("folder");
        fs::write(folder.join("Dockerfile"), TWO_FIXES).expect("Dockerfile");
        fs::write(folder.join("server.js"), "").expect("server.js");
    }
    dir
}

fn start(dir: &Path, extra: &[&str]) -> PtySession {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dfmigrate"));
    command
        .args(["--interactive", "--color", "never"])
        .args(extra)
        .arg(".")
        .current_dir(dir);
    spawn_command(command, Some(30_000)).expect("start dfmigrate in a pseudo-terminal")
}

/// Waits for the fix of `transform` in `path` and answers it.
fn answer(session: &mut PtySession, path: &str, transform: &str, reply: &str) {
    session
        .exp_string(&format!("{path}:"))
        .unwrap_or_else(|error| panic!("no fix offered in {path}: {error}"));
    session
        .exp_string(&format!("[{transform}]"))
        .unwrap_or_else(|error| panic!("no {transform} fix offered in {path}: {error}"));
    session.exp_string(PROMPT).expect("the prompt");
    session.send_line(reply).expect("answer");
}

fn finish(mut session: PtySession) -> String {
    let rest = session.exp_eof().expect("dfmigrate ends");
    let status = session.process().wait().expect("exit status");
    assert!(
        matches!(status, WaitStatus::Exited(_, 0)),
        "{status:?}\n{rest}"
    );
    rest
}

fn read(dir: &Path, service: &str) -> String {
    fs::read_to_string(dir.join(service).join("Dockerfile")).expect("read Dockerfile")
}

#[test]
fn yes_and_no_per_fix_write_only_what_was_accepted() {
    let dir = project();
    let mut session = start(dir.path(), &[]);
    answer(&mut session, "a/Dockerfile", "copy-over-add", "n");
    answer(&mut session, "a/Dockerfile", "exec-form", "y");
    answer(&mut session, "b/Dockerfile", "copy-over-add", "y");
    answer(&mut session, "b/Dockerfile", "exec-form", "n");
    let rest = finish(session);
    assert!(
        rest.contains("Applied 2 of 4 fixes reviewed; wrote 2 files."),
        "{rest}"
    );
    let a = read(dir.path(), "a");
    assert!(
        a.contains("ADD server.js .") && a.contains("CMD [\"node\", \"server.js\"]"),
        "{a}"
    );
    let b = read(dir.path(), "b");
    assert!(
        b.contains("COPY server.js .") && b.contains("CMD node server.js"),
        "{b}"
    );
}

#[test]
fn a_and_d_decide_every_later_fix_of_the_transform() {
    let dir = project();
    let mut session = start(dir.path(), &[]);
    answer(&mut session, "a/Dockerfile", "copy-over-add", "d");
    answer(&mut session, "a/Dockerfile", "exec-form", "a");
    let rest = finish(session);
    assert!(!rest.contains(PROMPT), "nothing more is asked:\n{rest}");
    for service in ["a", "b"] {
        let text = read(dir.path(), service);
        assert!(
            text.contains("ADD server.js .") && text.contains("CMD [\""),
            "{text}"
        );
    }
}

#[test]
fn quit_keeps_what_was_accepted_and_leaves_the_rest() {
    let dir = project();
    let mut session = start(dir.path(), &[]);
    answer(&mut session, "a/Dockerfile", "copy-over-add", "y");
    answer(&mut session, "a/Dockerfile", "exec-form", "q");
    let rest = finish(session);
    assert!(
        rest.contains("Applied 1 of 1 fixes reviewed; wrote 1 file."),
        "{rest}"
    );
    assert!(read(dir.path(), "a").contains("COPY server.js .\nCMD node server.js\n"));
    assert_eq!(read(dir.path(), "b"), TWO_FIXES);
}

#[test]
fn help_then_ask_again_and_unsafe_fixes_only_with_unsafe() {
    let dir = project();
    let mut session = start(dir.path(), &["--unsafe"]);
    answer(&mut session, "a/Dockerfile", "split-stages", "?");
    session
        .exp_string("a - apply this fix and every later fix")
        .expect("help");
    session.exp_string(PROMPT).expect("asked again");
    session.send_line("q").expect("quit");
    finish(session);
    assert_eq!(read(dir.path(), "a"), TWO_FIXES, "nothing accepted");

    let mut session = start(dir.path(), &[]);
    answer(&mut session, "a/Dockerfile", "copy-over-add", "n");
    answer(&mut session, "a/Dockerfile", "exec-form", "q");
    let rest = finish(session);
    assert!(!rest.contains("[split-stages]"), "{rest}");
}
