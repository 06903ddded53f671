//! Property tests over generated Dockerfiles that the transforms act on (several stages,
//! toolchain images, package installs, `COPY . .`, shell-form commands, comments and blank
//! lines, CRLF, a missing final newline): with and without unsafe fixes, the unified diff of the
//! result applies strictly to the input and gives exactly the fixed text, the fixed text parses
//! without errors, and a second run changes nothing.

use dfmigrate::emit::{unified_diff, Paint};
use dfmigrate::engine::{run, Job, TransformOptions};
use dfmigrate::transforms;
use proptest::prelude::*;
use proptest::sample::select;

const IMAGES: &[&str] = &[
    "node:16",
    "node:20-alpine",
    "python:3.12",
    "golang:1.22",
    "gradle:8.7.0-jdk21",
    "ubuntu:22.04",
    "debian:bookworm",
    "alpine:3.19",
    "nginx",
    "mcr.microsoft.com/dotnet/sdk:8.0",
];

const BODY: &[&str] = &[
    "WORKDIR /app",
    "WORKDIR /w",
    "COPY . .",
    "COPY . ./",
    "COPY a a",
    "COPY package.json ./",
    "ADD app.tar.gz /opt/",
    "ADD src /src",
    "RUN apt-get update",
    "RUN apt-get install curl",
    "RUN apt-get update && apt-get install -y git",
    "RUN apk add git",
    "RUN npm install",
    "RUN npm install --production",
    "RUN pip install -r requirements.txt",
    "RUN go build -o /app/server .",
    "RUN gradle --no-daemon e:shadowJar",
    "RUN make \\\n    && make install",
    "ENV NODE_ENV=production",
    "ARG VERSION=1",
    "EXPOSE 3000",
    "EXPOSE 9000",
    "LABEL a=b",
    "USER root",
    "USER node",
    "CMD node app.js",
    "CMD [\"java\", \"-jar\", \"e/build/libs/x.jar\"]",
    "CMD python app.py",
    "ENTRYPOINT ./run.sh",
    "ENTRYPOINT [\"/app/server\"]",
    "HEALTHCHECK CMD curl -f http://localhost/",
    "# a comment",
    "",
];

/// One generated Dockerfile: stages of a FROM and body lines, joined with `newline`.
fn dockerfile() -> impl Strategy<Value = String> {
    let stage = (select(IMAGES), prop::collection::vec(select(BODY), 1..12));
    (
        prop::collection::vec(stage, 1..3),
        prop::bool::ANY,
        prop::bool::ANY,
    )
        .prop_map(|(stages, crlf, final_newline)| {
            let newline = if crlf { "\r\n" } else { "\n" };
            let mut lines = Vec::new();
            for (index, (image, body)) in stages.iter().enumerate() {
                lines.push(format!("FROM {image} AS s{index}"));
                lines.extend(body.iter().map(|line| line.replace('\n', newline)));
            }
            let mut text = lines.join(newline);
            if final_newline {
                text.push_str(newline);
            }
            text
        })
}

fn fix(text: &str, apply_unsafe: bool) -> Option<String> {
    let options = TransformOptions::new();
    run(&Job {
        text,
        transforms: transforms::all(),
        path: None,
        build_context: None,
        other_dockerfiles: None,
        change_files: true,
        options: &options,
        apply_unsafe,
        knowledge: None,
    })
    .fixed
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn diffs_apply_strictly_and_fixes_converge(text in dockerfile(), apply_unsafe in prop::bool::ANY) {
        let Some(fixed) = fix(&text, apply_unsafe) else {
            return Ok(());
        };
        prop_assert!(!dfmigrate::syntax::parse(&fixed).has_errors(), "fixed text has errors:\n{fixed}");
        let diff = unified_diff("Dockerfile", &text, &fixed, Paint::default());
        let applied = apply_strictly(&text, &diff);
        prop_assert_eq!(applied.as_deref(), Ok(fixed.as_str()), "diff:\n{}", diff);
        prop_assert_eq!(fix(&fixed, apply_unsafe), None, "a second run changes:\n{}", fixed);
    }
}

/// Applies a unified diff the way `git apply` does without fuzz: each hunk's counts must match
/// its lines, and its context and removed lines must equal the original at its position.
fn apply_strictly(old: &str, diff: &str) -> Result<String, String> {
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let mut lines = diff.split_inclusive('\n').peekable();
    for header in ["--- a/Dockerfile\n", "+++ b/Dockerfile\n"] {
        if lines.next() != Some(header) {
            return Err(format!("missing header {header:?}"));
        }
    }
    let mut out = String::new();
    let mut copied = 0;
    while let Some(hunk) = lines.next() {
        let (old_start, old_count, new_count) = hunk_numbers(hunk)?;
        let start = if old_count == 0 {
            old_start
        } else {
            old_start - 1
        };
        if start < copied || start > old_lines.len() {
            return Err(format!("hunk {hunk:?} out of order"));
        }
        out.extend(old_lines[copied..start].iter().copied());
        copied = start;
        let (mut seen_old, mut seen_new) = (0, 0);
        while seen_old < old_count || seen_new < new_count {
            let line = lines.next().ok_or("hunk ends early")?;
            let (sign, body) = line.split_at(1);
            let mut body = body.to_owned();
            if lines.peek() == Some(&"\\ No newline at end of file\n") {
                lines.next();
                body.pop();
            }
            if sign != "+" {
                if old_lines.get(copied) != Some(&body.as_str()) {
                    return Err(format!("line {} is not {body:?}", copied + 1));
                }
                copied += 1;
                seen_old += 1;
            }
            if sign != "-" {
                out.push_str(&body);
                seen_new += 1;
            }
        }
        if seen_old != old_count || seen_new != new_count {
            return Err(format!("hunk {hunk:?} counts {seen_old}/{seen_new} lines"));
        }
        if lines.peek().is_some_and(|next| !next.starts_with("@@")) {
            return Err(format!("hunk {hunk:?} has more lines than it counts"));
        }
    }
    out.extend(old_lines[copied..].iter().copied());
    Ok(out)
}

/// `(old start, old count, new count)` of `@@ -a,b +c,d @@`.
fn hunk_numbers(header: &str) -> Result<(usize, usize, usize), String> {
    let inner = header
        .strip_prefix("@@ -")
        .and_then(|rest| rest.strip_suffix(" @@\n"))
        .ok_or_else(|| format!("not a hunk header: {header:?}"))?;
    let (old, new) = inner.split_once(" +").ok_or("no new range")?;
    let range = |text: &str| -> Result<(usize, usize), String> {
        let (start, count) = text.split_once(',').unwrap_or((text, "1"));
        Ok((
            start
                .parse()
                .map_err(|_| format!("bad start in {header:?}"))?,
            count
                .parse()
                .map_err(|_| format!("bad count in {header:?}"))?,
        ))
    };
    let ((old_start, old_count), (_, new_count)) = (range(old)?, range(new)?);
    Ok((old_start, old_count, new_count))
}

#[test]
fn strict_apply_rejects_a_short_hunk() {
    let old = "a\nb\nc\n";
    let short = "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,2 +1,3 @@\n a\n-b\n c\n+d\n";
    assert!(apply_strictly(old, short).is_err());
    let right = "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,3 +1,3 @@\n a\n-b\n c\n+d\n";
    assert_eq!(apply_strictly(old, right).as_deref(), Ok("a\nc\nd\n"));
}
