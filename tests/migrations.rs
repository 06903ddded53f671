//! Whole migrations: every transform together, unsafe fixes included, on small applications.
//! The classic Node.js tutorial (issue #5) must come out as a build stage plus a `node:16-slim`
//! runtime, with the manifests copied first, `npm ci` with npm's cache in a BuildKit cache mount,
//! production dependencies only, `USER node`, and the same command and port. A single-stage Go
//! server comes out split, with the modules downloaded first and the build stage's copy narrowed
//! to what the build reads; so does a single-stage Cargo server, its dependencies built first
//! from stub sources.

use dfmigrate::engine::{run, Job, TransformOptions};
use dfmigrate::syntax::parse;
use dfmigrate::transforms;
use std::path::Path;

fn migrate(folder: &str) -> String {
    let context = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/migrations")
        .join(folder);
    let dockerfile = context.join("Dockerfile");
    let text = std::fs::read_to_string(&dockerfile).expect("fixture");
    let options = TransformOptions::new();
    let job = |text: &str| {
        run(&Job {
            text,
            transforms: transforms::all(),
            path: Some(&dockerfile),
            build_context: Some(&context),
            other_dockerfiles: None,
            change_files: true,
            options: &options,
            apply_unsafe: true,
            knowledge: None,
        })
    };
    let outcome = job(&text);
    assert!(
        outcome.errors.is_empty(),
        "{:?}",
        outcome
            .errors
            .iter()
            .map(|e| &e.message)
            .collect::<Vec<_>>()
    );
    let fixed = outcome.fixed.expect("the tutorial is migrated");
    assert!(!parse(&fixed).has_errors(), "output parses");
    assert_eq!(job(&fixed).fixed, None, "a second run changes nothing");
    fixed
}

#[test]
fn node_express_tutorial() {
    let fixed = migrate("node-express-tutorial");
    for expected in [
        "FROM node:16 AS builder",
        "package.json package-lock.json ./\nRUN --mount=type=cache,target=/root/.npm npm ci\n",
        "npm prune --omit=dev",
        "FROM node:16-slim",
        "EXPOSE 3000",
    ] {
        assert!(
            fixed.contains(expected),
            "missing {expected:?} in:\n{fixed}"
        );
    }
    let position = |text: &str| fixed.find(text).unwrap_or(usize::MAX);
    assert!(
        position(" npm ci\n") < position(" . .\n")
            && position(" . .\n") < position("FROM node:16-slim"),
        "dependencies are installed before the sources are copied:\n{fixed}"
    );
    assert!(
        fixed.ends_with("USER node\nCMD [\"node\", \"app.js\"]\n"),
        "same command, as the node user:\n{fixed}"
    );
    insta::with_settings!({snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"), prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("migrations__node_express_tutorial", fixed);
    });
}

/// A single-stage Go web server that reads its templates at start-up: deps-first downloads the
/// modules first (with Go's caches mounted), split-stages makes a build stage and a distroless
/// runtime that receives the binary and `templates/`, and narrow-copy then narrows the build
/// stage's copy to the module files, the packages the server imports and the templates the
/// runtime copies out of it.
#[test]
fn go_web_app() {
    let fixed = migrate("go-web-app");
    for expected in [
        "FROM golang:1.22 AS builder",
        "COPY go.mod ./\nRUN --mount=type=cache,target=/go/pkg/mod \\\n    --mount=type=cache,target=/root/.cache/go-build \\\n    go mod download\n",
        "COPY go.mod ./\nCOPY cmd/server ./cmd/server/\nCOPY internal/handlers ./internal/handlers/\nCOPY templates ./templates/\n",
        "COPY --from=builder /app/templates /app/templates",
        "FROM gcr.io/distroless/static-debian12",
    ] {
        assert!(
            fixed.contains(expected),
            "missing {expected:?} in:\n{fixed}"
        );
    }
    assert!(
        !fixed.contains("COPY . ."),
        "the build stage's copy is narrowed:\n{fixed}"
    );
    insta::with_settings!({snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"), prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("migrations__go_web_app", fixed);
    });
}

#[test]
fn rust_web_app() {
    let fixed = migrate("rust-web-app");
    for expected in [
        "FROM rust:1.79 AS builder",
        "COPY Cargo.toml Cargo.lock ./\nRUN --mount=type=cache,target=/usr/local/cargo/registry \\\n    --mount=type=cache,target=/usr/local/cargo/git \\\n    mkdir -p src && echo 'fn main() {}' > src/main.rs && cargo build --release && rm -f src/main.rs\n",
        "COPY Cargo.toml Cargo.lock ./\nCOPY src ./src/\n",
        "touch src/main.rs && cargo build --release",
        "COPY --from=builder /app/target/release/web /app/target/release/web",
    ] {
        assert!(
            fixed.contains(expected),
            "missing {expected:?} in:\n{fixed}"
        );
    }
    assert!(
        !fixed.contains("COPY . ."),
        "the build stage's copy is narrowed:\n{fixed}"
    );
    insta::with_settings!({snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"), prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("migrations__rust_web_app", fixed);
    });
}

/// apt-hygiene appends `rm -rf /var/lib/apt/lists/*` to a RUN that cache-mounts mounts in the
/// same round; the next round must drop it again, also when another command of the RUN is in a
/// pipe (it used to stay, emptying the mounted lists on every build), and in the stage's other
/// apt RUNs.
#[test]
fn apt_cleanup_and_cache_mounts_agree_around_pipes() {
    let text = "# syntax=docker/dockerfile:1\nFROM debian:bookworm AS tools\n\
        RUN apt-get update && apt-get install -y --no-install-recommends wget curl && echo hi | tee /tmp/x\n\
        RUN apt-get update && apt-get install -y --no-install-recommends make\n\
        FROM debian:bookworm-slim\nCOPY --from=tools /tmp/x /x\n";
    let options = TransformOptions::new();
    let selected = ["apt-hygiene", "cache-mounts"].map(|id| transforms::by_id(id).expect("id"));
    let outcome = run(&Job {
        text,
        transforms: &selected,
        path: None,
        build_context: None,
        other_dockerfiles: None,
        change_files: false,
        options: &options,
        apply_unsafe: true,
        knowledge: None,
    });
    let fixed = outcome.fixed.expect("mounted");
    assert_eq!(
        fixed
            .matches("--mount=type=cache,target=/var/lib/apt ")
            .count(),
        2,
        "{fixed}"
    );
    assert!(!fixed.contains("rm -rf /var/lib/apt/lists"), "{fixed}");
}
