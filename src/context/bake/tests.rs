use super::*;
use crate::context::compose::{ComposeIndex, ComposeMapping};

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn root() -> (tempfile::TempDir, PathBuf) {
    let folder = tempfile::tempdir().unwrap();
    let root = folder.path().canonicalize().unwrap();
    (folder, root)
}

fn context_of(index: &ComposeIndex, dockerfile: &Path) -> Option<(String, PathBuf)> {
    match index.mapping_of(dockerfile) {
        ComposeMapping::One(build) => Some((build.service, build.context)),
        _ => None,
    }
}

#[test]
fn hcl_targets_resolve_as_bake_resolves_them() {
    let (_folder, root) = root();
    write(
        &root,
        "docker-bake.hcl",
        r#"
variable "TAG" { default = "latest" }
group "default" { targets = ["api", "web"] }
target "_common" {
  context = "."
}
target "api" {
  inherits = ["_common"]
  dockerfile = "services/api/Dockerfile"
  tags = ["example/api:${TAG}"]
}
target "web" {
  context = "./web"
}
target "templated" {
  context = "${CONTEXT}"
  dockerfile = "tpl/Dockerfile"
}
target "remote" {
  context = "https://github.com/example/repo.git"
  dockerfile = "remote/Dockerfile"
}
target "inline" {
  context = "inline"
  dockerfile-inline = "FROM scratch"
}
target "orphan" {
  inherits = ["missing"]
  dockerfile = "orphan/Dockerfile"
}
"#,
    );
    let index = ComposeIndex::default();
    assert_eq!(
        context_of(&index, &root.join("services/api/Dockerfile")),
        Some(("api".to_owned(), root.clone()))
    );
    assert_eq!(
        context_of(&index, &root.join("web/Dockerfile")),
        Some(("web".to_owned(), root.join("web")))
    );
    for unmapped in [
        "tpl/Dockerfile",
        "remote/Dockerfile",
        "inline/Dockerfile",
        "orphan/Dockerfile",
    ] {
        assert_eq!(
            index.mapping_of(&root.join(unmapped)),
            ComposeMapping::None,
            "{unmapped}"
        );
    }
    assert!(index.problems().is_empty(), "{:?}", index.problems());
}

#[test]
fn override_files_win_attribute_by_attribute() {
    let (_folder, root) = root();
    write(
        &root,
        "docker-bake.hcl",
        "target \"app\" {\n  context = \"app\"\n  dockerfile = \"docker/Dockerfile\"\n}\n",
    );
    write(
        &root,
        "docker-bake.override.json",
        r#"{"target": {"app": {"context": "."}}}"#,
    );
    let index = ComposeIndex::default();
    assert_eq!(
        context_of(&index, &root.join("docker/Dockerfile")),
        Some(("app".to_owned(), root.clone()))
    );
    assert_eq!(
        index.mapping_of(&root.join("app/docker/Dockerfile")),
        ComposeMapping::None
    );
}

#[test]
fn json_targets_and_a_compose_service_that_agrees() {
    let (_folder, root) = root();
    write(
        &root,
        "docker-bake.json",
        r#"{"target": {"api": {"context": "api", "dockerfile": "Dockerfile.prod"},
            "vars": {"context": "${CTX}", "dockerfile": "vars/Dockerfile"}}}"#,
    );
    write(
        &root,
        "compose.yaml",
        "services:\n  api:\n    build:\n      context: api\n      dockerfile: Dockerfile.prod\n",
    );
    let index = ComposeIndex::default();
    assert_eq!(
        context_of(&index, &root.join("api/Dockerfile.prod")),
        Some(("api".to_owned(), root.join("api")))
    );
    assert_eq!(
        index.mapping_of(&root.join("vars/Dockerfile")),
        ComposeMapping::None
    );
}

#[test]
fn a_bake_target_and_a_compose_service_that_disagree_conflict() {
    let (_folder, root) = root();
    write(
        &root,
        "docker-bake.hcl",
        "target \"api\" {\n  context = \".\"\n  dockerfile = \"api/Dockerfile\"\n}\n",
    );
    write(
        &root,
        "compose.yaml",
        "services:\n  api:\n    build: ./api\n",
    );
    let index = ComposeIndex::default();
    let ComposeMapping::Conflicting(builds) = index.mapping_of(&root.join("api/Dockerfile")) else {
        panic!("not a conflict");
    };
    assert_eq!(builds.len(), 2);
    assert_eq!(index.context_of(&root.join("api/Dockerfile")), None);
    let problems = index.problems();
    assert!(
        problems[0].contains("Compose services or Bake targets build it"),
        "{problems:?}"
    );
}

#[test]
fn invalid_files_are_problems_with_their_line() {
    let (_folder, root) = root();
    write(
        &root,
        "docker-bake.hcl",
        "target \"a\" {\n  context = \n}\n",
    );
    write(&root, "docker-bake.override.json", "{\"target\": [\n");
    let index = ComposeIndex::default();
    assert_eq!(
        index.mapping_of(&root.join("a/Dockerfile")),
        ComposeMapping::None
    );
    let problems = index.problems();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].contains("docker-bake.hcl:") && problems[0].contains("not valid HCL"),
        "{problems:?}"
    );
    assert!(
        problems[1].contains("docker-bake.override.json:2")
            && problems[1].contains("not valid JSON"),
        "{problems:?}"
    );
}

#[test]
fn inheritance_cycles_leave_targets_out() {
    let (_folder, root) = root();
    write(
        &root,
        "docker-bake.hcl",
        "target \"a\" {\n  inherits = [\"b\"]\n  dockerfile = \"a/Dockerfile\"\n}\n\
         target \"b\" {\n  inherits = [\"a\"]\n}\n",
    );
    let index = ComposeIndex::default();
    assert_eq!(
        index.mapping_of(&root.join("a/Dockerfile")),
        ComposeMapping::None
    );
}
