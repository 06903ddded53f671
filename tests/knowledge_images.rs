//! Builder → runtime image mappings on realistic tags, and image facts (distro, user).

use dfmigrate::knowledge::{Distro, KnowledgeBase, RuntimeHints};
use dfmigrate::model::ImageRef;

fn runtime(image: &str, hints: &RuntimeHints) -> Option<(String, Option<String>, Distro)> {
    KnowledgeBase::builtin()
        .runtime_for(&ImageRef::parse(image), hints)
        .map(|r| (r.reference, r.user, r.distro))
}

/// (builder, runtime, user, distro) with no hints.
const MAPPINGS: &[(&str, &str, Option<&str>, Distro)] = &[
    ("node:16", "node:16-slim", Some("node"), Distro::Debian),
    (
        "node:20.16",
        "node:20.16-slim",
        Some("node"),
        Distro::Debian,
    ),
    (
        "node:20-alpine",
        "node:20-alpine",
        Some("node"),
        Distro::Alpine,
    ),
    (
        "node:8.2.1-alpine",
        "node:8.2.1-alpine",
        Some("node"),
        Distro::Alpine,
    ),
    (
        "node:22-bookworm",
        "node:22-bookworm-slim",
        Some("node"),
        Distro::Debian,
    ),
    (
        "node:lts-buster",
        "node:lts-buster-slim",
        Some("node"),
        Distro::Debian,
    ),
    (
        "node:24-trixie-slim",
        "node:24-trixie-slim",
        Some("node"),
        Distro::Debian,
    ),
    ("node:lts", "node:lts-slim", Some("node"), Distro::Debian),
    ("node", "node:slim", Some("node"), Distro::Debian),
    (
        "docker.io/library/node:22",
        "node:22-slim",
        Some("node"),
        Distro::Debian,
    ),
    ("python:3.12", "python:3.12-slim", None, Distro::Debian),
    (
        "python:3.9.2-alpine",
        "python:3.9.2-alpine",
        None,
        Distro::Alpine,
    ),
    (
        "python:3.11-bullseye",
        "python:3.11-slim-bullseye",
        None,
        Distro::Debian,
    ),
    (
        "python:3.13-slim-bookworm",
        "python:3.13-slim-bookworm",
        None,
        Distro::Debian,
    ),
    (
        "python:3.14.7-alpine3.24",
        "python:3.14.7-alpine3.24",
        None,
        Distro::Alpine,
    ),
    ("ruby:3.3", "ruby:3.3-slim", None, Distro::Debian),
    (
        "ruby:4.0.5-alpine3.22",
        "ruby:4.0.5-alpine3.22",
        None,
        Distro::Alpine,
    ),
    (
        "php:8.3-cli",
        "php:8.3-cli",
        Some("www-data"),
        Distro::Debian,
    ),
    ("golang:1.22", "debian:bookworm-slim", None, Distro::Debian),
    ("golang:1.25", "debian:trixie-slim", None, Distro::Debian),
    // Built on Debian 12 or 13 (or older): the newest release runs what either linked.
    ("golang:1.24.2", "debian:trixie-slim", None, Distro::Debian),
    ("golang:1.19", "debian:trixie-slim", None, Distro::Debian),
    ("golang", "debian:trixie-slim", None, Distro::Debian),
    ("rust:1.58", "debian:trixie-slim", None, Distro::Debian),
    (
        "golang:1.25-bookworm",
        "debian:bookworm-slim",
        None,
        Distro::Debian,
    ),
    ("golang:1.25.6-alpine", "alpine:3", None, Distro::Alpine),
    (
        "golang:1.22-alpine3.19",
        "alpine:3.19",
        None,
        Distro::Alpine,
    ),
    ("rust:1.79", "debian:bookworm-slim", None, Distro::Debian),
    ("rust:1.93", "debian:trixie-slim", None, Distro::Debian),
    (
        "rust:1.82-slim-bookworm",
        "debian:bookworm-slim",
        None,
        Distro::Debian,
    ),
    ("rust:1.89-alpine3.22", "alpine:3.22", None, Distro::Alpine),
    (
        "maven:3.9-eclipse-temurin-21",
        "eclipse-temurin:21-jre",
        None,
        Distro::Debian,
    ),
    (
        "maven:3-eclipse-temurin-17-alpine",
        "eclipse-temurin:17-jre-alpine",
        None,
        Distro::Alpine,
    ),
    (
        "maven:3.9.9-eclipse-temurin-24-noble",
        "eclipse-temurin:24-jre-noble",
        None,
        Distro::Debian,
    ),
    (
        "maven:3.6.1-jdk-11-slim",
        "eclipse-temurin:11-jre",
        None,
        Distro::Debian,
    ),
    (
        "maven:3.8.4-openjdk-17-slim",
        "eclipse-temurin:17-jre",
        None,
        Distro::Debian,
    ),
    // PyPy: the slim variant of the same tag.
    (
        "pypy:3.9-bullseye",
        "pypy:3.9-slim-bullseye",
        None,
        Distro::Debian,
    ),
    (
        "pypy:3.10-7.3.17-bookworm",
        "pypy:3.10-7.3.17-slim-bookworm",
        None,
        Distro::Debian,
    ),
    ("pypy:3.11", "pypy:3.11-slim", None, Distro::Debian),
    ("pypy", "pypy:slim", None, Distro::Debian),
    // sbt images: the JRE of the same JDK build, on the same system.
    (
        "sbtscala/scala-sbt:eclipse-temurin-21.0.6_7_1.10.11_2.13.16",
        "eclipse-temurin:21.0.6_7-jre",
        None,
        Distro::Debian,
    ),
    (
        "sbtscala/scala-sbt:eclipse-temurin-jammy-17.0.10_7_1.10.0_3.4.0",
        "eclipse-temurin:17.0.10_7-jre-jammy",
        None,
        Distro::Debian,
    ),
    (
        "sbtscala/scala-sbt:eclipse-temurin-alpine-21.0.6_7_1.10.11_3.6.4",
        "eclipse-temurin:21.0.6_7-jre-alpine",
        None,
        Distro::Alpine,
    ),
    (
        "maven:3.9.7-amazoncorretto-21",
        "amazoncorretto:21",
        None,
        Distro::Other,
    ),
    (
        "gradle:8-jdk17",
        "eclipse-temurin:17-jre",
        None,
        Distro::Debian,
    ),
    (
        "gradle:8.7.0-jdk21",
        "eclipse-temurin:21-jre",
        None,
        Distro::Debian,
    ),
    (
        "gradle:jdk25",
        "eclipse-temurin:25-jre",
        None,
        Distro::Debian,
    ),
    (
        "eclipse-temurin:17-jdk-jammy",
        "eclipse-temurin:17-jre-jammy",
        None,
        Distro::Debian,
    ),
    (
        "eclipse-temurin:21",
        "eclipse-temurin:21-jre",
        None,
        Distro::Debian,
    ),
    (
        "openjdk:11.0.3-jdk-slim",
        "eclipse-temurin:11-jre",
        None,
        Distro::Debian,
    ),
    (
        "openjdk:8-jdk-alpine",
        "eclipse-temurin:8-jre-alpine",
        None,
        Distro::Alpine,
    ),
    (
        "mcr.microsoft.com/dotnet/sdk:8.0",
        "mcr.microsoft.com/dotnet/aspnet:8.0",
        Some("app"),
        Distro::Debian,
    ),
    (
        "mcr.microsoft.com/dotnet/sdk:8.0.204",
        "mcr.microsoft.com/dotnet/aspnet:8.0",
        Some("app"),
        Distro::Debian,
    ),
    (
        "mcr.microsoft.com/dotnet/sdk:9.0-alpine",
        "mcr.microsoft.com/dotnet/aspnet:9.0-alpine",
        Some("app"),
        Distro::Alpine,
    ),
    (
        "mcr.microsoft.com/dotnet/sdk:6.0",
        "mcr.microsoft.com/dotnet/aspnet:6.0",
        None,
        Distro::Debian,
    ),
    (
        "mcr.microsoft.com/dotnet/sdk:9.0-azurelinux3.0",
        "mcr.microsoft.com/dotnet/aspnet:9.0-azurelinux3.0",
        Some("app"),
        Distro::Other,
    ),
    (
        "mcr.microsoft.com/dotnet/core/sdk:3.1",
        "mcr.microsoft.com/dotnet/core/aspnet:3.1",
        None,
        Distro::Debian,
    ),
];

#[test]
fn maps_builders_to_runtimes() {
    let none = RuntimeHints::default();
    let mut failures = Vec::new();
    for (builder, reference, user, distro) in MAPPINGS {
        let expected = Some((reference.to_string(), user.map(str::to_owned), *distro));
        let got = runtime(builder, &none);
        if got != expected {
            failures.push(format!("{builder}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn hints_choose_static_and_flavour() {
    let static_binary = RuntimeHints {
        static_binary: true,
        flavour: None,
    };
    for builder in ["golang:1.22", "golang:1.25.6-alpine", "golang:1.19"] {
        assert_eq!(
            runtime(builder, &static_binary),
            Some((
                "gcr.io/distroless/static-debian12".to_owned(),
                Some("nonroot".to_owned()),
                Distro::Distroless
            )),
            "{builder}"
        );
    }
    let console = RuntimeHints {
        static_binary: false,
        flavour: Some("runtime".to_owned()),
    };
    assert_eq!(
        runtime("mcr.microsoft.com/dotnet/sdk:8.0", &console).map(|r| r.0),
        Some("mcr.microsoft.com/dotnet/runtime:8.0".to_owned())
    );
}

#[test]
fn declines_when_unsure() {
    let none = RuntimeHints::default();
    for builder in [
        "golang:${GO_VERSION}-alpine",
        "golang:1.22-windowsservercore",
        "maven:3.6.3",
        "gradle:9.2-jdk25-corretto",
        "python:3.6-windowsservercore",
        "php@sha256:13813f20fec7ded7bf3a4305ea0ccd4df3cea900e263f7f86c3d5737f86669eb",
        "mcr.microsoft.com/dotnet/sdk:10.0-nanoserver-ltsc2022",
        "composer:2",
        "pypy:3.10-windowsservercore-ltsc2022",
        "sbtscala/scala-sbt:graalvm-community-21.0.2_1.10.0_3.3.1",
        "ubuntu:22.04",
        "scratch",
        "registry.corp/node:20",
    ] {
        assert_eq!(runtime(builder, &none), None, "{builder}");
    }
}

#[test]
fn digests_do_not_carry_over() {
    let got = runtime(
        "python:3.12-alpine@sha256:236173eb74001afe2f60862de935b74fcbd00adfca247b2c27051a70a6a39a2d",
        &RuntimeHints::default(),
    );
    assert_eq!(got.map(|r| r.0), Some("python:3.12-alpine".to_owned()));
}

#[test]
fn image_facts() {
    let knowledge = KnowledgeBase::builtin();
    let info = |image: &str| knowledge.image_info(&ImageRef::parse(image));
    assert_eq!(
        info("gcr.io/distroless/java21-debian12").map(|i| i.user),
        Some(Some("nonroot".to_owned()))
    );
    assert_eq!(info("alpine:3.20").map(|i| i.distro), Some(Distro::Alpine));
    assert_eq!(
        info("eclipse-temurin:21-jre").map(|i| (i.distro, i.user)),
        Some((Distro::Debian, None))
    );
    assert_eq!(
        info("someorg/tool:1.0-alpine").map(|i| i.distro),
        Some(Distro::Alpine)
    );
    assert_eq!(info("someorg/tool:1.0"), None);
    let non_root = |image: &str| info(image).map(|i| i.non_root);
    assert_eq!(
        non_root("gcr.io/distroless/static-debian12:nonroot"),
        Some(true)
    );
    assert_eq!(
        non_root("gcr.io/distroless/nodejs22-debian12:debug-nonroot"),
        Some(true)
    );
    assert_eq!(non_root("gcr.io/distroless/static-debian12"), Some(false));
    assert_eq!(non_root("node:20"), Some(false));
    // PyPy installs into its own prefix, which replaces the pip profile's /usr/local.
    let pypy = knowledge
        .image_path(&ImageRef::parse("pypy:3.10"))
        .expect("pypy's PATH");
    assert_eq!(pypy.path, ["/opt/pypy/bin"]);
    assert_eq!(pypy.keep.as_deref(), Some(&["/opt/pypy".to_owned()][..]));
    assert_eq!(
        knowledge
            .image_path(&ImageRef::parse("golang:1.22"))
            .and_then(|image| image.keep.clone()),
        None
    );
}

/// Every builder-looking FROM image of the public corpus: mapping never panics, and the
/// share that maps is printed.
#[test]
fn corpus_from_lines() {
    let Some(corpus) = common::corpus("corpus_from_lines") else {
        return;
    };
    let public = corpus.join("public");
    if !public.is_dir() {
        eprintln!(
            "SKIPPED corpus_from_lines: no public/ in {}",
            corpus.display()
        );
        return;
    }
    let knowledge = KnowledgeBase::builtin();
    let (mut builders, mut mapped) = (0, 0);
    for path in files_under(&public) {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        for image in text.lines().filter_map(from_image) {
            let image = ImageRef::parse(image);
            if knowledge.profiles_for_image(&image).is_empty() {
                continue;
            }
            builders += 1;
            mapped += usize::from(
                knowledge
                    .runtime_for(&image, &RuntimeHints::default())
                    .is_some(),
            );
        }
    }
    println!(
        "corpus FROM images of builder families: {builders}, with a runtime mapping: {mapped}"
    );
    assert!(builders > 0 && mapped > 0);
}

mod common;

fn from_image(line: &str) -> Option<&str> {
    let mut words = line.split_whitespace();
    if !words.next()?.eq_ignore_ascii_case("FROM") {
        return None;
    }
    words.find(|word| !word.starts_with("--"))
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
        {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn compiled_language_runtimes_get_certificates_and_time_zones() {
    let packages = |image: &str| {
        KnowledgeBase::builtin()
            .runtime_for(&ImageRef::parse(image), &RuntimeHints::default())
            .map(|r| r.packages)
    };
    let expected = Some(vec!["ca-certificates".to_owned(), "tzdata".to_owned()]);
    for builder in [
        "golang:1.22",
        "golang:1.25-alpine",
        "rust:1.58",
        "rust:1.89-alpine3.22",
    ] {
        assert_eq!(packages(builder), expected, "{builder}");
    }
    assert_eq!(packages("node:20"), Some(Vec::new()));
}

#[test]
fn pinned_versions() {
    let knowledge = KnowledgeBase::builtin();
    let pinned = |image: &str| knowledge.pinned_version(&ImageRef::parse(image));
    for (image, version) in [
        ("golang:1.22.5", "1.22.5"),
        ("golang:1.22.5-alpine3.20", "1.22.5"),
        ("python:2.7.15-slim-stretch", "2.7.15"),
        ("eclipse-temurin:21.0.3_9-jdk-jammy", "21.0.3_9"),
        ("eclipse-temurin:8u402-b06-jdk", "8u402-b06"),
        ("maven:3.9.9-eclipse-temurin-21", "3.9.9"),
        ("debian:bookworm-20240701-slim", "20240701"),
        ("alpine:3.20.1", "3.20.1"),
    ] {
        assert_eq!(pinned(image).as_deref(), Some(version), "{image}");
    }
    for image in [
        "golang:1.22",
        "python:3.12-slim",
        "node:20-alpine3.20",
        "debian:bookworm-slim",
        "rust",
        "gradle:jdk21",
    ] {
        assert_eq!(pinned(image), None, "{image}");
    }
    let same = |a: &str, b: &str| knowledge.same_image(&ImageRef::parse(a), &ImageRef::parse(b));
    assert!(same(
        "docker.io/library/python:3.12-alpine@sha256:abc",
        "python:3.12-alpine"
    ));
    assert!(same("node", "node:latest"));
    assert!(!same("python:3.12", "python:3.12-slim"));
}
