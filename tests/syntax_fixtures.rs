//! Tree snapshots of small hand-written Dockerfiles (`tests/fixtures/syntax/*.Dockerfile`), one per
//! case: the input, the tree dump, the errors and BuildKit's reading of every instruction.
//!
//! Snapshots live in `snapshots/syntax__NAME.snap`; accept changes with
//! `INSTA_UPDATE=always cargo test --test syntax_fixtures` and read them before committing.
//! The expected BuildKit fields were checked with `../shared/tools/buildkit-parse`.

use dfmigrate::syntax::{parse, Parse, TokenKind};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/syntax")
}

fn read_fixture(name: &str) -> String {
    let path = fixture_dir().join(format!("{name}.Dockerfile"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The input, one escaped line per row, so line endings, tabs and the BOM stay visible (insta
/// normalises line endings in snapshots).
fn render_input(text: &str, out: &mut String) {
    out.push_str("--- input\n");
    for (number, line) in text.split_inclusive('\n').enumerate() {
        let _ = writeln!(out, "{:>3} {line:?}", number + 1);
    }
}

fn render_errors(parse: &Parse, out: &mut String) {
    out.push_str("--- errors\n");
    for error in &parse.errors {
        let _ = writeln!(
            out,
            "line {}, {}..{}: {}",
            error.line, error.range.start, error.range.end, error.message
        );
    }
}

fn render_buildkit(parse: &Parse, out: &mut String) {
    out.push_str("--- buildkit instructions\n");
    for instruction in parse.buildkit_instructions() {
        let json = serde_json::to_string(&instruction).expect("serialisable");
        let _ = writeln!(out, "{json}");
    }
}

fn render(text: &str) -> String {
    let parse = parse(text);
    assert_eq!(parse.tree.print(), text, "the tree prints the input back");
    let mut out = String::new();
    render_input(text, &mut out);
    let _ = writeln!(out, "--- escape {:?}", parse.escape);
    out.push_str("--- tree\n");
    out.push_str(&parse.tree.dump());
    render_errors(&parse, &mut out);
    render_buildkit(&parse, &mut out);
    out
}

fn check_fixture(name: &str) {
    let rendered = render(&read_fixture(name));
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(format!("syntax__{name}"), rendered);
    });
}

macro_rules! fixtures {
    ($($name:ident),* $(,)?) => {
        const FIXTURES: &[&str] = &[$(stringify!($name)),*];
        $(
            #[test]
            fn $name() {
                check_fixture(stringify!($name));
            }
        )*
    };
}

fixtures! {
    all_instructions,
    bom,
    bom_instruction,
    comments_only,
    continuation_at_eof,
    continuation_comments_blanks,
    copy_add_flags,
    crlf,
    directive_after_blank,
    directive_after_comment,
    directive_after_instruction,
    directive_unknown_ends_directives,
    directives,
    duplicate_directive,
    empty,
    escape_backtick,
    escaped_escape_at_eol,
    exec_and_shell_form,
    healthcheck,
    heredoc_basic,
    heredoc_chomp,
    heredoc_fd,
    heredoc_ignored,
    heredoc_instruction_lookalikes,
    heredoc_multiple,
    heredoc_onbuild,
    heredoc_quoted,
    heredoc_unterminated,
    invalid_escape,
    json_fallback,
    json_non_string,
    key_value_errors,
    mixed_line_endings,
    no_final_newline,
    onbuild,
    run_flags,
    stray_lines,
    tabs,
    unknown_instruction,
    whitespace_after_escape,
}

#[test]
fn every_fixture_file_has_a_test() {
    let mut unlisted = Vec::new();
    for entry in std::fs::read_dir(fixture_dir()).expect("fixture folder") {
        let path = entry.expect("fixture entry").path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".Dockerfile"))
        else {
            continue;
        };
        if !FIXTURES.contains(&name) {
            unlisted.push(name.to_owned());
        }
    }
    assert!(unlisted.is_empty(), "fixtures without a test: {unlisted:?}");
}

// Byte-exact checks: snapshots normalise line endings, these do not.

fn token_texts(parse: &Parse, kind: TokenKind) -> Vec<&str> {
    parse
        .tree
        .root()
        .tokens()
        .into_iter()
        .filter(|token| token.kind == kind)
        .map(|token| parse.tree.token_text(token))
        .collect()
}

#[test]
fn crlf_round_trips_with_crlf_newline_tokens() {
    let text = read_fixture("crlf");
    assert!(text.contains("\r\n"), "the fixture keeps its CRLF bytes");
    let parse = parse(&text);
    assert_eq!(parse.tree.print().as_bytes(), text.as_bytes());
    assert!(parse.errors.is_empty(), "{:?}", parse.errors);
    let newlines = token_texts(&parse, TokenKind::Newline);
    assert_eq!(
        newlines.len(),
        5,
        "four header lines and the terminator line"
    );
    assert!(newlines.iter().all(|newline| *newline == "\r\n"));
    assert_eq!(token_texts(&parse, TokenKind::LineContinuation), ["\\"]);
    assert_eq!(
        token_texts(&parse, TokenKind::HeredocBody),
        ["body\r\n"],
        "the body keeps its CRLF"
    );
    assert_eq!(token_texts(&parse, TokenKind::HeredocTerminator), ["EOF"]);
    let instructions = parse.buildkit_instructions();
    assert_eq!(instructions[1].value, ["echo a     b"]);
    assert_eq!(instructions[2].heredocs[0].content, "body\r\n");
}

#[test]
fn mixed_line_endings_round_trip_byte_for_byte() {
    let text = read_fixture("mixed_line_endings");
    let parse = parse(&text);
    assert_eq!(parse.tree.print().as_bytes(), text.as_bytes());
    assert_eq!(
        token_texts(&parse, TokenKind::Newline),
        ["\n", "\r\n", "\n", "\r\r\n", "\r"]
    );
}

#[test]
fn bom_is_the_first_token_and_round_trips() {
    for name in ["bom", "bom_instruction"] {
        let text = read_fixture(name);
        assert!(text.starts_with('\u{feff}'), "{name} keeps its BOM");
        let parse = parse(&text);
        assert_eq!(parse.tree.print().as_bytes(), text.as_bytes());
        let tokens = parse.tree.root().tokens();
        assert_eq!(tokens[0].kind, TokenKind::Bom, "{name}");
        assert_eq!(parse.tree.token_text(tokens[0]), "\u{feff}");
        assert_eq!(token_texts(&parse, TokenKind::Bom).len(), 1);
        assert!(parse.errors.is_empty(), "{name}: {:?}", parse.errors);
    }
}

#[test]
fn bom_does_not_hide_a_directive() {
    let parse = parse(&read_fixture("bom"));
    assert_eq!(parse.directives.len(), 1);
    assert_eq!(parse.directives[0].name, "syntax");
}

#[test]
fn no_final_newline_keeps_last_line_as_is() {
    let text = read_fixture("no_final_newline");
    assert!(!text.ends_with('\n'));
    let parse = parse(&text);
    assert_eq!(parse.tree.print(), text);
    let last = *parse.tree.root().tokens().last().expect("tokens");
    assert_eq!(parse.tree.token_text(last), "newline");
}
