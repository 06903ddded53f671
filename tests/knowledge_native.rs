//! `Profile::native_needs`: dependencies that link system libraries, found in a build context's
//! manifests and lock files, and the Debian packages they need by release.

use dfmigrate::context::BuildContext;
use dfmigrate::knowledge::{Distro, ImageRelease, KnowledgeBase, NativePackages, Profile};
use dfmigrate::model::ImageRef;
use std::fs;
use std::path::Path;

fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
    fs::write(full, text).expect("write");
}

fn profile(id: &str) -> &'static Profile {
    KnowledgeBase::builtin().profile(id).expect("profile")
}

/// `(dependency, file)` for each need `profile` finds in a context holding `files`.
fn found(profile: &Profile, files: &[(&str, &str)]) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, text) in files {
        write(dir.path(), path, text);
    }
    let context = BuildContext::open(dir.path(), None).expect("context");
    profile
        .native_needs(&context)
        .expect("readable")
        .into_iter()
        .map(|need| (need.dependency, need.file.to_string_lossy().into_owned()))
        .collect()
}

fn names(profile: &Profile, files: &[(&str, &str)]) -> Vec<String> {
    found(profile, files)
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

#[test]
fn requirement_lines_match_whole_names() {
    let pip = profile("pip");
    for line in [
        "psycopg2==2.9.9",
        "psycopg2 >= 2",
        "psycopg2",
        "  psycopg2[pool]~=2.9 ; python_version >= '3.8'",
        "Psycopg2==2.9",
        "psycopg2 @ https://example.invalid/psycopg2-2.9.tar.gz",
    ] {
        assert_eq!(
            names(pip, &[("requirements.txt", line)]),
            ["psycopg2"],
            "{line}"
        );
    }
    for line in [
        "psycopg2-binary==2.9.9",
        "psycopg2_pool==1.1",
        "psycopg2.extras",
        "# psycopg2==2.9",
        "    # via psycopg2",
        "--hash=sha256:psycopg2",
        "-r psycopg2.txt",
        "django  # psycopg2 comes later",
    ] {
        let hits = names(pip, &[("requirements.txt", line)]);
        assert!(!hits.contains(&"psycopg2".to_owned()), "{line}: {hits:?}");
    }
}

#[test]
fn python_names_compare_normalized() {
    let pip = profile("pip");
    let text = "MySQLclient==2.2\nPython_Magic==0.4.27\npsycopg2.binary==2.9\n";
    assert_eq!(
        names(pip, &[("requirements/prod.txt", text)]),
        ["mysqlclient", "psycopg2-binary", "python-magic"]
    );
}

#[test]
fn each_dependency_once_with_the_first_file() {
    let pip = profile("pip");
    let hits = found(
        pip,
        &[
            ("requirements.txt", "psycopg2==2.9\n"),
            ("requirements-dev.txt", "psycopg2==2.9\nmysqlclient\n"),
            ("constraints.txt", "psycopg2==2.9.9\n"),
        ],
    );
    assert_eq!(
        hits,
        [
            ("mysqlclient".to_owned(), "requirements-dev.txt".to_owned()),
            ("psycopg2".to_owned(), "requirements-dev.txt".to_owned()),
        ]
    );
}

#[test]
fn pipfile_and_its_lock() {
    let pipenv = profile("pipenv");
    let pipfile = "[[source]]\nurl = \"https://pypi.org/simple\"\n\n[packages]\nflask = \"*\"\n\"psycopg2\" = \"==2.9.9\"\n\n[dev-packages]\npytest = \"*\"\n\n[requires]\npython_version = \"3.12\"\n";
    assert_eq!(
        found(pipenv, &[("Pipfile", pipfile)]),
        [("psycopg2".to_owned(), "Pipfile".to_owned())]
    );
    let lock = r#"{
        "_meta": {"hash": {"sha256": "mysqlclient"}},
        "default": {"mysqlclient": {"version": "==2.2.4"}, "flask": {"version": "==3.0.0"}},
        "develop": {}
    }"#;
    assert_eq!(
        found(
            pipenv,
            &[
                ("Pipfile", "[packages]\nflask = \"*\"\n"),
                ("Pipfile.lock", lock)
            ]
        ),
        [("mysqlclient".to_owned(), "Pipfile.lock".to_owned())]
    );
}

#[test]
fn pyproject_and_uv_lock() {
    let uv = profile("uv");
    let pyproject = r#"
[project]
name = "app"
description = "talks to psycopg2 and mysqlclient"
dependencies = ["django>=5", "psycopg2-binary>=2.9"]

[project.optional-dependencies]
magic = ["python-magic>=0.4"]

[build-system]
requires = ["mysqlclient"]
"#;
    let lock = r#"
version = 1

[[package]]
name = "psycopg"
version = "3.2.1"
dependencies = [{ name = "typing-extensions" }]

[[package]]
name = "sqlalchemy"
version = "2.0.30"

[package.optional-dependencies]
mysql = [{ name = "mysqlclient" }]
postgresql = [{ name = "psycopg2" }]
"#;
    assert_eq!(
        found(uv, &[("pyproject.toml", pyproject), ("uv.lock", lock)]),
        [
            ("psycopg2-binary".to_owned(), "pyproject.toml".to_owned()),
            ("python-magic".to_owned(), "pyproject.toml".to_owned()),
            ("psycopg".to_owned(), "uv.lock".to_owned()),
        ]
    );
}

#[test]
fn gemfile_and_its_lock() {
    let bundler = profile("bundler");
    let gemfile = "source \"https://rubygems.org\"\n# gem 'mysql2'\ngem \"rails\", \"~> 7.1\"\ngem('sqlite3', '~> 1.4')\ngems 'pg'\ngem 'pg_search'\n";
    assert_eq!(
        found(bundler, &[("Gemfile", gemfile)]),
        [("sqlite3".to_owned(), "Gemfile".to_owned())]
    );
    let lock = "GEM\n  remote: https://rubygems.org/\n  specs:\n    activerecord-pg (1.0.0)\n    pg (1.5.4)\n    pg_search (2.3.6)\n      activerecord (>= 6.1)\n    mysql2 (0.5.6-x86_64-linux)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  pg (~> 1.5)\n  sqlite3\n\nBUNDLED WITH\n   2.5.3\n";
    assert_eq!(
        found(
            bundler,
            &[("Gemfile", "gem 'rails'\n"), ("Gemfile.lock", lock)]
        ),
        [
            ("mysql2".to_owned(), "Gemfile.lock".to_owned()),
            ("pg".to_owned(), "Gemfile.lock".to_owned()),
        ]
    );
}

#[test]
fn cargo_manifest_and_lock() {
    let cargo = profile("cargo");
    let manifest = r#"
[package]
name = "app"
description = "uses openssl-sys"

[dependencies]
ssl = { package = "openssl-sys", version = "0.9" }

[dev-dependencies]
pq-sys = "0.6"

[build-dependencies]
mysqlclient-sys = "0.4"
"#;
    assert_eq!(
        found(cargo, &[("Cargo.toml", manifest)]),
        [("openssl-sys".to_owned(), "Cargo.toml".to_owned())]
    );
    let lock = "version = 4\n\n[[package]]\nname = \"openssl-probe\"\nversion = \"0.1.5\"\n\n[[package]]\nname = \"pq-sys\"\nversion = \"0.6.1\"\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"libsqlite3-sys\"]\n";
    assert_eq!(
        found(
            cargo,
            &[
                ("Cargo.toml", "[package]\nname = \"app\"\n"),
                ("Cargo.lock", lock)
            ]
        ),
        [("pq-sys".to_owned(), "Cargo.lock".to_owned())]
    );
}

#[test]
fn cargo_manifest_features() {
    let cargo = profile("cargo");
    // Without a lock, the crates and features that build a -sys crate count: diesel's postgres
    // backend links libpq; sqlx's native-tls runtime links OpenSSL, its postgres driver nothing.
    let manifest = r#"
[package]
name = "app"

[dependencies]
diesel = { version = "2", features = ["postgres", "r2d2"] }
sqlx = { version = "0.7", features = ["postgres", "runtime-tokio-native-tls"] }
"#;
    assert_eq!(
        names(cargo, &[("Cargo.toml", manifest)]),
        ["diesel/postgres", "sqlx/runtime-tokio-native-tls"]
    );
    // `default` is a feature unless `default-features = false`: reqwest's default TLS is
    // native-tls.
    let reqwest = |spec: &str| {
        names(
            cargo,
            &[("Cargo.toml", &format!("[dependencies]\nreqwest = {spec}\n"))],
        )
    };
    assert_eq!(reqwest(r#""0.12""#), ["reqwest/default"]);
    assert_eq!(
        reqwest(r#"{ version = "0.12", features = ["json"] }"#),
        ["reqwest/default"]
    );
    assert!(reqwest(
        r#"{ version = "0.12", default-features = false, features = ["rustls-tls"] }"#
    )
    .is_empty());
    assert_eq!(
        reqwest(r#"{ version = "0.12", default_features = false, features = ["native-tls"] }"#),
        ["reqwest/native-tls"]
    );
    // The package's own features name `CRATE/FEATURE` (renamed crates followed), enabled by
    // default or not; a workspace dependency takes the workspace's default-features.
    let manifest = r#"
[package]
name = "app"

[features]
default = []
pg = ["orm/postgres"]
tls = ["http?/native-tls"]

[dependencies]
orm = { package = "diesel", version = "2", default-features = false }
http = { workspace = true, optional = true }

[workspace.dependencies]
http = { package = "reqwest", version = "0.12", default-features = false }
"#;
    assert_eq!(
        names(cargo, &[("Cargo.toml", manifest)]),
        ["diesel/postgres", "reqwest/native-tls"]
    );
    // Development and build dependencies do not count, nor do their features.
    let manifest = "[dev-dependencies]\ndiesel = { version = \"2\", features = [\"postgres\"] }\n";
    assert!(names(cargo, &[("Cargo.toml", manifest)]).is_empty());
}

#[test]
fn package_json_and_npm_locks() {
    let npm = profile("npm");
    let manifest = r#"{
        "name": "app",
        "description": "libpq",
        "dependencies": {"pg": "^8.11"},
        "peerDependencies": {"libpq": "*"},
        "optionalDependencies": {"pg-native": "^3.0"}
    }"#;
    assert_eq!(
        found(npm, &[("package.json", manifest)]),
        [("pg-native".to_owned(), "package.json".to_owned())]
    );
    let lock = r#"{
        "lockfileVersion": 3,
        "packages": {
            "": {"dependencies": {"pg": "^8.11"}},
            "node_modules/pg": {"peerDependencies": {"pg-native": ">=3.0.1"}, "peerDependenciesMeta": {"pg-native": {"optional": true}}},
            "node_modules/@acme/libpq": {"version": "1.0.0"},
            "node_modules/pg/node_modules/libpq": {"version": "1.8.13"}
        }
    }"#;
    let package = r#"{"dependencies": {"pg": "^8.11"}}"#;
    assert_eq!(
        found(
            npm,
            &[("package.json", package), ("package-lock.json", lock)]
        ),
        [("libpq".to_owned(), "package-lock.json".to_owned())]
    );
    let version_1 = r#"{
        "lockfileVersion": 1,
        "dependencies": {"pg": {"version": "8.11.0", "dependencies": {"pg-native": {"version": "3.0.1"}}}}
    }"#;
    assert_eq!(
        names(
            npm,
            &[
                ("package.json", package),
                ("npm-shrinkwrap.json", version_1)
            ]
        ),
        ["pg-native"]
    );
}

#[test]
fn yarn_locks() {
    let classic = "# yarn lockfile v1\n\n\"@acme/libpq@^1.0.0\":\n  version \"1.0.0\"\n\nlibpq@^1.8.12, libpq@^1.8.13:\n  version \"1.8.13\"\n  dependencies:\n    pg-native \"^3\"\n";
    assert_eq!(
        names(
            profile("yarn-classic"),
            &[("package.json", "{}"), ("yarn.lock", classic)]
        ),
        ["libpq"]
    );
    let berry = "__metadata:\n  version: 8\n\n\"pg@npm:^8.11.3\":\n  version: 8.11.3\n  peerDependencies:\n    pg-native: \">=3.0.1\"\n  peerDependenciesMeta:\n    pg-native:\n      optional: true\n\n\"pg-native@npm:^3.0.1, pg-native@npm:3.0.1\":\n  version: 3.0.1\n";
    assert_eq!(
        names(
            profile("yarn-berry"),
            &[
                ("package.json", "{}"),
                ("yarn.lock", berry),
                (".yarnrc.yml", "")
            ]
        ),
        ["pg-native"]
    );
}

#[test]
fn pnpm_locks() {
    let pnpm = profile("pnpm");
    let version_6 = "lockfileVersion: '6.0'\n\ndependencies:\n  pg-native:\n    specifier: ^3.0.1\n    version: 3.0.1\n\npackages:\n\n  /@acme/libpq@1.0.0:\n    resolution: {integrity: sha512-x}\n\n  /pg@8.11.3:\n    peerDependencies:\n      libpq: '*'\n";
    assert!(names(
        pnpm,
        &[("package.json", "{}"), ("pnpm-lock.yaml", version_6)]
    )
    .is_empty());
    let version_9 = "lockfileVersion: '9.0'\n\npackages:\n\n  libpq@1.8.13:\n    resolution: {integrity: sha512-x}\n\nsnapshots:\n\n  '@acme/pg-native@1.0.0(pg@8.11.3)':\n    dependencies:\n      libpq: 1.8.13\n";
    assert_eq!(
        names(
            pnpm,
            &[("package.json", "{}"), ("pnpm-lock.yaml", version_9)]
        ),
        ["libpq"]
    );
    let version_5 = "lockfileVersion: 5.4\n\npackages:\n\n  /pg-native/3.0.1:\n    dev: false\n";
    assert_eq!(
        names(
            pnpm,
            &[("package.json", "{}"), ("pnpm-lock.yaml", version_5)]
        ),
        ["pg-native"]
    );
}

fn with_overrides(text: &str) -> KnowledgeBase {
    let table: toml::Table = text.parse().expect("test TOML");
    KnowledgeBase::with_overrides(&table).expect("valid overrides")
}

#[test]
fn user_profiles_add_native_entries_and_unknown_formats_match_words() {
    let knowledge = with_overrides(
        r#"
        [ecosystems.poetry]
        name = "Poetry with a runtime"
        images = ["python"]
        files = { manifests = ["pyproject.toml", "deps.list"], locks = ["poetry.lock"] }
        detect = { all = ["pyproject.toml"] }

        [ecosystems.poetry.runtime]
        shape = "app-folder"
        keep = ["/usr/local"]

        [ecosystems.poetry.runtime.native]
        psycopg2 = "libpq5"
        corp-geo = { bookworm = "libgeos-c1v5 libproj25", trixie = "libgeos-c1t64 libproj25" }
        "#,
    );
    let poetry = knowledge.profile("poetry").expect("replaced");
    let pyproject = "[tool.poetry.dependencies]\npython = \"^3.12\"\n\n[tool.poetry.group.geo.dependencies]\nCorp_Geo = \"^1\"\n";
    let lock = "[[package]]\nname = \"psycopg2\"\nversion = \"2.9.9\"\n\n[[package]]\nname = \"sqlalchemy\"\n\n[package.extras]\npostgresql = [\"psycopg2 (>=2.7)\"]\n";
    assert_eq!(
        found(
            poetry,
            &[("pyproject.toml", pyproject), ("poetry.lock", lock)]
        ),
        [
            ("corp-geo".to_owned(), "pyproject.toml".to_owned()),
            ("psycopg2".to_owned(), "poetry.lock".to_owned()),
        ]
    );
    let extras_only = "[[package]]\nname = \"sqlalchemy\"\n\n[package.extras]\npostgresql = [\"psycopg2 (>=2.7)\"]\n";
    assert!(names(
        poetry,
        &[("pyproject.toml", ""), ("poetry.lock", extras_only)]
    )
    .is_empty());
    // A file of no known format: whole words outside comment lines.
    for (text, expected) in [
        ("\"psycopg2\": 1\n", true),
        ("use psycopg2.\n", true),
        ("psycopg2-binary psycopg2_pool\n", false),
        ("# psycopg2\n// psycopg2\n", false),
    ] {
        let hits = names(poetry, &[("pyproject.toml", ""), ("deps.list", text)]);
        assert_eq!(hits.contains(&"psycopg2".to_owned()), expected, "{text}");
    }
}

#[test]
fn overrides_check_native_entries() {
    let base = "[ecosystems.x]\nname = \"X\"\nfiles = {}\ndetect = { all = [\"a\"] }\n[ecosystems.x.runtime]\nshape = \"app-folder\"\n[ecosystems.x.runtime.native]\n";
    for (entry, message) in [
        ("pg = \"libpq5; rm -rf /\"", "is not a Debian package name"),
        ("pg = \"LibPQ5\"", "is not a Debian package name"),
        (
            "pg = { Bookworm = \"libpq5\" }",
            "is not a Debian release codename",
        ),
        ("pg = {}", "needs at least one Debian release"),
        ("pg = 5", "expected Debian package names"),
        ("pg = { bookworm = 5 }", "expected Debian package names"),
    ] {
        let table: toml::Table = format!("{base}{entry}\n").parse().expect("test TOML");
        let error = KnowledgeBase::with_overrides(&table)
            .expect_err(entry)
            .to_string();
        assert!(error.starts_with("ecosystems.x"), "{entry} → {error}");
        assert!(error.contains(message), "{entry} → {error}");
    }
    let table: toml::Table = format!("{base}pg = \"libpq5 libssl3\"\nnone = \"\"\n")
        .parse()
        .expect("test TOML");
    assert!(KnowledgeBase::with_overrides(&table).is_ok());
}

#[test]
fn packages_by_release() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "Cargo.lock",
        "[[package]]\nname = \"openssl-sys\"\n\n[[package]]\nname = \"pq-sys\"\n",
    );
    write(dir.path(), "Cargo.toml", "[package]\nname = \"app\"\n");
    let context = BuildContext::open(dir.path(), None).expect("context");
    let needs = profile("cargo").native_needs(&context).expect("readable");
    let [openssl, pq] = needs.as_slice() else {
        panic!("{needs:?}");
    };
    assert_eq!(openssl.dependency, "openssl-sys");
    assert!(matches!(openssl.needs, NativePackages::ByRelease(_)));
    let on = |image: &str| release(image, Distro::Debian);
    assert_eq!(
        openssl.packages(Some(&on("debian:bullseye-slim"))),
        Ok(vec!["libssl1.1".into()])
    );
    assert_eq!(
        openssl.packages(Some(&on("python:3.12-slim-bookworm"))),
        Ok(vec!["libssl3".into()])
    );
    assert_eq!(
        openssl.packages(Some(&on("debian:13-slim"))),
        Ok(vec!["libssl3t64".into()])
    );
    let unknown = openssl
        .packages(Some(&on("python:3.12-slim")))
        .expect_err("release needed");
    assert!(unknown.contains("openssl-sys"), "{unknown}");
    assert!(unknown.contains("built on is not known"), "{unknown}");
    let unlisted = openssl
        .packages(Some(&on("debian:buster-slim")))
        .expect_err("not listed");
    assert!(unlisted.contains("not for buster"), "{unlisted}");
    assert_eq!(pq.packages(None), Ok(vec!["libpq5".into()]));
    assert_eq!(
        pq.packages(Some(&on("python:3.12-slim"))),
        Ok(vec!["libpq5".into()])
    );
    assert_eq!(
        pq.packages(Some(&on("eclipse-temurin:21-jre-jammy"))),
        Ok(vec!["libpq5".into()])
    );
    // A plain name is known for the releases marked `plain`, not for older ones.
    let old = pq
        .packages(Some(&on("python:3.7-slim-stretch")))
        .expect_err("not a plain release");
    assert!(old.contains("other releases than debian stretch"), "{old}");
}

fn release(image: &str, distro: Distro) -> ImageRelease {
    KnowledgeBase::builtin()
        .image_release(&ImageRef::parse(image), distro)
        .expect("a distribution with packages")
}

#[test]
fn releases_of_images() {
    let on = |image: &str, distro| {
        let found = release(image, distro);
        (found.family, found.name, found.archived, found.plain)
    };
    let named = |family: &str, name: &str, archived, plain| {
        (family.to_owned(), Some(name.to_owned()), archived, plain)
    };
    assert_eq!(
        on("python:2.7.15-slim-stretch", Distro::Debian),
        named("debian", "stretch", true, false)
    );
    assert_eq!(
        on("node:20-bookworm-slim", Distro::Debian),
        named("debian", "bookworm", false, true)
    );
    assert_eq!(
        on("debian:10-slim", Distro::Debian),
        named("debian", "buster", true, false)
    );
    assert_eq!(
        on("ubuntu:23.10", Distro::Debian),
        named("ubuntu", "mantic", true, false)
    );
    assert_eq!(
        on("eclipse-temurin:21-jre-noble", Distro::Debian),
        named("ubuntu", "noble", false, true)
    );
    assert_eq!(
        on("alpine:3.16", Distro::Alpine),
        named("alpine", "3.16", false, false)
    );
    assert_eq!(
        on("node:22-alpine3.20", Distro::Alpine),
        named("alpine", "3.20", false, true)
    );
    // Newer than the last listed: like it.
    assert_eq!(
        on("python:3.14.7-alpine3.24", Distro::Alpine),
        named("alpine", "3.24", false, true)
    );
    // No release in the tag: the family's current one, or what [[tag_releases]] knows.
    assert_eq!(
        on("python:3.12-slim", Distro::Debian),
        ("debian".to_owned(), None, false, true)
    );
    assert_eq!(
        on("eclipse-temurin:21-jre", Distro::Debian),
        ("ubuntu".to_owned(), None, false, true)
    );
    assert_eq!(
        on("mcr.microsoft.com/dotnet/aspnet:10.0", Distro::Debian),
        ("ubuntu".to_owned(), None, false, true)
    );
    let old = release("python:2.7.15-slim", Distro::Debian);
    assert_eq!(
        (old.name.as_deref(), old.or_older, old.archived),
        (Some("buster"), true, true)
    );
    assert_eq!(
        old.describe(KnowledgeBase::builtin()),
        "Debian 10 (buster) or an older release"
    );
    assert!(release("mcr.microsoft.com/dotnet/core/aspnet:3.1", Distro::Debian).archived);
    assert!(!release("mcr.microsoft.com/dotnet/aspnet:6.0", Distro::Debian).archived);
    assert!(!release("node:12-slim", Distro::Debian).archived);
    assert!(release("node:10-slim", Distro::Debian).archived);
    assert_eq!(
        KnowledgeBase::builtin().image_release(
            &ImageRef::parse("gcr.io/distroless/static-debian12"),
            Distro::Distroless
        ),
        None
    );
}

#[test]
fn package_names_by_distribution_and_release() {
    let knowledge = KnowledgeBase::builtin();
    let names = |dev: &str, image: &str, distro| {
        knowledge
            .runtime_package_for(dev)
            .expect("mapped")
            .for_release(dev, Some(&release(image, distro)))
    };
    assert_eq!(
        names("libjpeg-dev", "python:3.12-slim", Distro::Debian),
        Ok(vec!["libjpeg62-turbo".to_owned()])
    );
    assert_eq!(
        names("libjpeg-dev", "eclipse-temurin:21-jre", Distro::Debian),
        Ok(vec!["libjpeg-turbo8".to_owned()])
    );
    assert_eq!(
        names("openssl-dev", "alpine:3.16", Distro::Alpine),
        Ok(vec!["libssl1.1".to_owned()])
    );
    assert_eq!(
        names("openssl-dev", "alpine:3.20", Distro::Alpine),
        Ok(vec!["libssl3".to_owned()])
    );
    assert_eq!(
        names("openssl-dev", "rust:1.80-alpine", Distro::Alpine),
        Ok(vec!["libssl3".to_owned()])
    );
    assert!(names("openssl-dev", "alpine:3.8", Distro::Alpine).is_err());
    assert_eq!(
        names("libffi-dev", "eclipse-temurin:21-jre-noble", Distro::Debian),
        Ok(vec!["libffi8".to_owned()])
    );
    assert_eq!(
        names(
            "libmariadb-dev",
            "python:3.11-slim-bullseye",
            Distro::Debian
        ),
        Ok(vec!["libmariadb3".to_owned()])
    );
    let stretch = names("libmariadb-dev", "python:3.6-slim-stretch", Distro::Debian)
        .expect_err("libmariadb3 is not a stretch package");
    assert!(stretch.contains("stretch"), "{stretch}");
}

/// Every release key of the package tables is a release [releases] lists or a distribution.
#[test]
fn package_tables_name_known_releases() {
    let knowledge = KnowledgeBase::builtin();
    let images = include_str!("../transforms/images.toml");
    let table: toml::Table = images.parse().expect("TOML");
    let releases = table["releases"].as_table().expect("releases");
    let mut known: Vec<String> = releases.keys().cloned().collect();
    for distribution in releases.values() {
        for entry in distribution["releases"].as_array().expect("list") {
            known.push(entry["name"].as_str().expect("name").to_owned());
        }
    }
    let mut tables = Vec::new();
    for (dev, packages) in table["runtime_packages"].as_table().expect("table") {
        if let Some(by_release) = packages.as_table() {
            tables.push((dev.clone(), by_release.keys().cloned().collect::<Vec<_>>()));
        }
    }
    for profile in knowledge.profiles() {
        for (dependency, packages) in profile.runtime.iter().flat_map(|r| &r.native) {
            if let NativePackages::ByRelease(by_release) = packages {
                tables.push((dependency.clone(), by_release.keys().cloned().collect()));
            }
        }
    }
    for (what, keys) in tables {
        for key in keys {
            assert!(known.contains(&key), "{what}: unknown release {key}");
        }
    }
}

#[test]
fn nothing_needed_and_no_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "requirements.txt", "psycopg2-binary==2.9\n");
    write(
        dir.path(),
        "pyproject.toml",
        "[tool.poetry.dependencies]\npsycopg2 = \"*\"\n",
    );
    write(
        dir.path(),
        "poetry.lock",
        "[[package]]\nname = \"psycopg2\"\n",
    );
    write(dir.path(), "go.mod", "module psycopg2\n");
    let context = BuildContext::open(dir.path(), None).expect("context");
    let needs = profile("pip").native_needs(&context).expect("readable");
    assert_eq!(needs.len(), 1);
    assert_eq!(needs[0].packages(None), Ok(Vec::new()));
    // Poetry reads its own files (psycopg2 from source needs libpq5); Go has no `native`.
    let poetry = profile("poetry").native_needs(&context).expect("readable");
    assert_eq!(poetry.len(), 1);
    assert_eq!(poetry[0].packages(None), Ok(vec!["libpq5".to_owned()]));
    assert!(profile("go")
        .native_needs(&context)
        .expect("readable")
        .is_empty());
}

#[test]
fn context_without_files_and_ignored_files() {
    let unknown = BuildContext::without_files();
    assert!(profile("pip")
        .native_needs(&unknown)
        .expect("nothing read")
        .is_empty());
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "requirements.txt", "flask\n");
    write(dir.path(), "requirements-old.txt", "mysqlclient\n");
    write(dir.path(), ".dockerignore", "requirements-old.txt\n");
    let context = BuildContext::open(dir.path(), None).expect("context");
    assert!(profile("pip")
        .native_needs(&context)
        .expect("readable")
        .is_empty());
}

#[test]
fn invalid_files_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "package.json", "{\"dependencies\": ");
    let context = BuildContext::open(dir.path(), None).expect("context");
    let error = profile("npm")
        .native_needs(&context)
        .expect_err("invalid JSON")
        .to_string();
    assert!(
        error.contains("package.json") && error.contains("invalid JSON"),
        "{error}"
    );
}

#[test]
fn embedded_entries_cover_every_release() {
    for profile in KnowledgeBase::builtin().profiles() {
        let Some(runtime) = &profile.runtime else {
            continue;
        };
        for (dependency, packages) in &runtime.native {
            if let NativePackages::ByRelease(table) = packages {
                let releases: Vec<&str> = table.keys().map(String::as_str).collect();
                assert_eq!(
                    releases,
                    ["bookworm", "bullseye", "trixie"],
                    "{}: {dependency}",
                    profile.id
                );
            }
        }
    }
    let pip = profile("pip");
    let python = &pip.runtime.as_ref().expect("runtime").native;
    for id in ["pipenv", "uv"] {
        let other = &profile(id).runtime.as_ref().expect("runtime").native;
        assert_eq!(other, python, "{id} lists the same Python projects as pip");
    }
}
