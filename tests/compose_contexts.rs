//! Build contexts from Compose files, on the real binary: a Dockerfile kept apart from its
//! context (`build: {context: ., dockerfile: docker/api.Dockerfile}`) is transformed against
//! that context; an explicit `build-context` in dfmigrate.toml wins; services that disagree, and
//! a Compose file that is not valid YAML, leave the Dockerfile on its own folder with a warning.
//! Bake files (`docker-bake.hcl`) map Dockerfiles to contexts the same way.

use std::fs;
use std::path::Path;
use std::process::Command;

const DOCKERFILE: &str =
    "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD [\"node\", \"server.js\"]\n";

const COMPOSE: &str =
    "services:\n  api:\n    build:\n      context: .\n      dockerfile: docker/api.Dockerfile\n";

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

/// A monorepo whose Node manifests are at the root and whose Dockerfile is in `docker/`.
fn monorepo(compose: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    fs::create_dir(root.join("docker")).expect("docker folder");
    fs::write(root.join("docker/api.Dockerfile"), DOCKERFILE).expect("Dockerfile");
    let package = r#"{"name":"api","version":"1.0.0","dependencies":{"express":"4"}}"#;
    fs::write(root.join("package.json"), package).expect("package.json");
    let lock = r#"{"name":"api","lockfileVersion":3,"packages":{"":{"name":"api","dependencies":{"express":"4"}}}}"#;
    fs::write(root.join("package-lock.json"), lock).expect("lock");
    fs::write(root.join("server.js"), "").expect("server.js");
    fs::write(root.join("compose.yaml"), compose).expect("compose.yaml");
    dir
}

const DEPS_FIRST: [&str; 4] = ["--diff", "--select", "deps-first", "."];

#[test]
fn a_compose_build_context_is_the_dockerfiles_context() {
    let dir = monorepo(COMPOSE);
    let (code, diff, stderr) = dfmigrate(dir.path(), &DEPS_FIRST);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        diff.contains("+COPY package.json package-lock.json ./\n"),
        "the manifests at the compose context's root are copied first:\n{diff}"
    );
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("warning")).count(),
        0
    );
}

#[test]
fn without_compose_the_dockerfiles_folder_is_its_context() {
    let dir = monorepo("services: {}\n");
    let (code, diff, stderr) = dfmigrate(dir.path(), &DEPS_FIRST);
    assert_eq!((code, diff.as_str()), (0, ""), "{stderr}");
}

#[test]
fn a_configured_build_context_wins_over_compose() {
    let dir = monorepo(COMPOSE);
    let config = "[[overrides]]\npaths = [\"docker/api.Dockerfile\"]\nbuild-context = \"docker\"\n";
    fs::write(dir.path().join("dfmigrate.toml"), config).expect("config");
    let (code, diff, stderr) = dfmigrate(dir.path(), &DEPS_FIRST);
    assert_eq!((code, diff.as_str()), (0, ""), "{stderr}");
}

#[test]
fn services_building_it_from_different_contexts_leave_its_folder_with_a_warning() {
    let dir = monorepo(COMPOSE);
    let other = "services:\n  api-docker:\n    build:\n      context: docker\n      dockerfile: api.Dockerfile\n";
    fs::write(dir.path().join("docker-compose.dev.yml"), other).expect("second compose file");
    let (code, diff, stderr) = dfmigrate(dir.path(), &DEPS_FIRST);
    assert_eq!((code, diff.as_str()), (0, ""), "{stderr}");
    let warning = stderr
        .lines()
        .find(|line| line.starts_with("warning: "))
        .unwrap_or_else(|| panic!("no warning:\n{stderr}"));
    for expected in [
        "api.Dockerfile",
        "`api`",
        "`api-docker`",
        "different contexts",
    ] {
        assert!(warning.contains(expected), "{expected} not in {warning}");
    }
}

#[test]
fn a_compose_file_that_is_not_yaml_is_named_with_its_line() {
    let dir = monorepo(COMPOSE);
    fs::write(
        dir.path().join("docker-compose.ci.yml"),
        "services:\n  - [\n",
    )
    .expect("bad");
    let (code, diff, stderr) = dfmigrate(dir.path(), &DEPS_FIRST);
    assert_eq!(
        code, 1,
        "the valid compose file still maps the context: {stderr}"
    );
    assert!(diff.contains("+COPY package.json"), "{diff}");
    assert!(
        stderr.contains("docker-compose.ci.yml:") && stderr.contains("not valid YAML"),
        "{stderr}"
    );
    let (_, _, quiet) = dfmigrate(
        dir.path(),
        &["--diff", "--quiet", "--select", "deps-first", "."],
    );
    assert!(
        !quiet.contains("warning"),
        "--quiet hides warnings: {quiet}"
    );
}

#[test]
fn a_bake_target_context_is_the_dockerfiles_context() {
    let dir = monorepo("services: {}\n");
    let bake = "target \"api\" {\n  context = \".\"\n  dockerfile = \"docker/api.Dockerfile\"\n}\n";
    fs::write(dir.path().join("docker-bake.hcl"), bake).expect("docker-bake.hcl");
    let (code, diff, stderr) = dfmigrate(dir.path(), &DEPS_FIRST);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        diff.contains("+COPY package.json package-lock.json ./\n"),
        "the manifests at the Bake target's context are copied first:\n{diff}"
    );
}

#[test]
fn a_bake_file_that_is_not_hcl_is_named_with_its_line() {
    let dir = monorepo("services: {}\n");
    fs::write(
        dir.path().join("docker-bake.hcl"),
        "target \"api\" {\n  context =\n}\n",
    )
    .expect("docker-bake.hcl");
    let (code, diff, stderr) = dfmigrate(dir.path(), &DEPS_FIRST);
    assert_eq!((code, diff.as_str()), (0, ""), "{stderr}");
    assert!(
        stderr.contains("docker-bake.hcl:") && stderr.contains("not valid HCL"),
        "{stderr}"
    );
}
