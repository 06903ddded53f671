//! The parser's invariants, checked on any input. Shared by `tests/syntax_properties.rs` and the
//! fuzz target (`fuzz/fuzz_targets/parse.rs` includes this file by path).

use dfmigrate::syntax::{parse, Node, Parse};

/// Parses `text` and panics with a description of the first broken invariant.
pub fn check_invariants(text: &str) {
    let parse = parse(text);
    assert_eq!(parse.tree.print(), text, "print(parse(x)) == x");
    check_tokens(&parse, text);
    check_node(parse.tree.root(), true);
    check_lines(&parse, text);
    // The other views must not panic either.
    let _ = parse.tree.dump();
    let _ = parse.buildkit_instructions();
}

/// Tokens are non-empty, contiguous, cover the text exactly and cut it on char boundaries.
fn check_tokens(parse: &Parse, text: &str) {
    let mut at = 0;
    for token in parse.tree.root().tokens() {
        assert_eq!(
            token.range.start, at,
            "token {token:?} leaves a gap or overlaps"
        );
        assert!(!token.range.is_empty(), "empty token {token:?}");
        assert!(
            text.is_char_boundary(token.range.start) && text.is_char_boundary(token.range.end),
            "token {token:?} splits a character"
        );
        at = token.range.end;
    }
    assert_eq!(at, text.len(), "tokens stop before the end of the text");
}

/// Every node spans exactly its children; the root spans the whole file.
fn check_node(node: Node<'_>, is_root: bool) {
    match (node.children().next(), node.children().last()) {
        (Some(first), Some(last)) => {
            assert_eq!(
                node.range.start,
                first.range().start,
                "{:?} start",
                node.kind
            );
            assert_eq!(node.range.end, last.range().end, "{:?} end", node.kind);
        }
        _ => assert!(
            is_root || node.range.is_empty(),
            "childless {:?} has range {:?}",
            node.kind,
            node.range
        ),
    }
    for child in node.child_nodes() {
        check_node(child, false);
    }
}

/// Error and instruction line numbers lie within the file.
fn check_lines(parse: &Parse, text: &str) {
    let line_count = text.matches('\n').count() + 1;
    for error in &parse.errors {
        assert!(
            (1..=line_count).contains(&error.line),
            "error line {} outside 1..={line_count}: {error:?}",
            error.line
        );
        assert!(error.range.start <= error.range.end && error.range.end <= text.len());
    }
    for instruction in &parse.instructions {
        let (start, end) = (instruction.start_line, instruction.end_line);
        assert!(
            1 <= start && start <= end && end <= line_count,
            "instruction lines {start}..={end} outside 1..={line_count}"
        );
        assert!(instruction.range.end <= text.len());
    }
}
