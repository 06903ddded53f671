//! Property tests: on any text, and on generated Dockerfile-shaped text, the parser never panics,
//! prints the input back, and builds a well-formed tree (see `syntax_support::check_invariants`).

mod common;
mod syntax_support;

use proptest::prelude::*;
use proptest::sample::select;
use syntax_support::check_invariants;

const KEYWORDS: &[&str] = &[
    "from",
    "run",
    "cmd",
    "label",
    "maintainer",
    "expose",
    "env",
    "add",
    "copy",
    "entrypoint",
    "volume",
    "user",
    "workdir",
    "arg",
    "onbuild",
    "stopsignal",
    "healthcheck",
    "shell",
    "nosuch",
];

const FRAGMENTS: &[&str] = &[
    "--from=build",
    "--chown=a:b",
    "--chmod=755",
    "--link",
    "--mount=type=cache,target=/x",
    "--platform=$P",
    "--network=none",
    "--security=insecure",
    "--parents",
    "--exclude=*.md",
    "--checksum=sha256:0",
    "--keep-git-dir",
    "--",
    "--\"q x\"",
    "\\",
    "`",
    "\\\\",
    "``",
    "<<EOF",
    "<<-EOF",
    "<<'EOF'",
    "<<\"E F\"",
    "3<<X",
    "<<",
    "EOF",
    "\tEOF",
    "X",
    "[\"a\", \"b\"]",
    "[\"a\",",
    "[1]",
    "[\"\\u00e9\"]",
    "[]",
    "]",
    "\"quoted word\"",
    "'single'",
    "\"",
    "'",
    "A=1",
    "B=\"x y\"",
    "=",
    "CMD",
    "NONE",
    "# comment",
    "#",
    "$HOME",
    "${X:-y}",
    "é",
    "日本",
    "\u{a0}",
    "\u{2028}",
    "\u{feff}",
    "\t",
    "",
];

const DIRECTIVES: &[&str] = &[
    "# escape=`",
    "# escape=\\",
    "#ESCAPE = x",
    "# syntax=docker/dockerfile:1",
    "# check=skip=all",
    "# unknown=1",
];

const LINE_ENDINGS: &[&str] = &["\n", "\n", "\n", "\r\n", "\r", "\r\r\n"];

/// A keyword in random letter case.
fn keyword() -> impl Strategy<Value = String> {
    (select(KEYWORDS), any::<u32>()).prop_map(|(word, mask)| {
        word.chars()
            .enumerate()
            .map(|(i, c)| {
                if mask >> (i % 32) & 1 == 1 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect()
    })
}

fn separator() -> impl Strategy<Value = &'static str> {
    select(&[" ", " ", "  ", "\t", ""][..])
}

/// One physical line: an instruction-like line, a directive, a comment or blank, or fragments.
fn line() -> impl Strategy<Value = String> {
    let words = || prop::collection::vec((select(FRAGMENTS), separator()), 0..6);
    let indent = || select(&["", "", "  ", "\t"][..]);
    prop_oneof![
        4 => (indent(), keyword(), separator(), words()).prop_map(
            |(indent, keyword, sep, words)| {
                let mut line = format!("{indent}{keyword}{sep}");
                for (word, sep) in words {
                    line.push_str(word);
                    line.push_str(sep);
                }
                line
            }
        ),
        1 => select(DIRECTIVES).prop_map(str::to_owned),
        2 => (indent(), words()).prop_map(|(indent, words)| {
            words.into_iter().fold(indent.to_owned(), |mut line, (word, sep)| {
                line.push_str(word);
                line.push_str(sep);
                line
            })
        }),
    ]
}

/// A Dockerfile-shaped file: an optional BOM, then lines with mixed line endings.
fn dockerfile() -> impl Strategy<Value = String> {
    let lines = prop::collection::vec((line(), select(LINE_ENDINGS)), 0..14);
    (any::<bool>(), lines, any::<bool>()).prop_map(|(bom, lines, final_newline)| {
        let mut text = if bom {
            "\u{feff}".to_owned()
        } else {
            String::new()
        };
        let count = lines.len();
        for (i, (line, ending)) in lines.into_iter().enumerate() {
            text.push_str(&line);
            if final_newline || i + 1 < count {
                text.push_str(ending);
            }
        }
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_keeps_invariants(text in any::<String>()) {
        check_invariants(&text);
    }

    #[test]
    fn text_from_dockerfile_characters_keeps_invariants(
        text in "[ \t\r\n\\\\`#<>\\-\"'\\[\\],=a-zA-Z0-9é\u{feff}]{0,80}"
    ) {
        check_invariants(&text);
    }

    #[test]
    fn dockerfile_shaped_text_keeps_invariants(text in dockerfile()) {
        check_invariants(&text);
    }
}

#[test]
fn fixtures_keep_invariants() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/syntax");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).expect("fixture folder") {
        let path = entry.expect("fixture entry").path();
        if path.extension().is_some_and(|ext| ext == "Dockerfile") {
            check_invariants(&std::fs::read_to_string(&path).expect("UTF-8 fixture"));
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} fixtures found");
}

#[test]
fn corpus_files_keep_invariants() {
    let Some(corpus) = common::corpus("corpus_files_keep_invariants") else {
        return;
    };
    let mut checked = 0;
    for set in ["public", "buildkit-parser", "buildkit-parser-negative"] {
        for row in common::oracle(&corpus, set) {
            let path = corpus.join(set).join(&row.file);
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue; // not UTF-8: BuildKit rejects it and so does `parse`'s &str input
            };
            check_invariants(&text);
            checked += 1;
        }
    }
    assert!(checked > 1000, "only {checked} corpus files checked");
}
