//! Docker's `.dockerignore` matching (moby/patternmatcher) and `COPY` glob matching
//! (`filepath.Match`), table-driven.

use dfmigrate::context::pattern::{clean, path_matches, IgnorePatterns};

/// (ignore file lines, path, excluded?)
const IGNORE_CASES: &[(&[&str], &str, bool)] = &[
    (&["*.md"], "README.md", true),
    (&["*.md"], "docs/README.md", false),
    (&["*.md", "!important.md"], "important.md", false),
    (&["*.md", "!important.md"], "other.md", true),
    (&["!important.md", "*.md"], "important.md", true),
    (&["**/*.go"], "main.go", true),
    (&["**/*.go"], "a/b/c.go", true),
    (&["**/*.go"], "a/b/c.txt", false),
    (&["/node_modules"], "node_modules", true),
    (&["/node_modules"], "node_modules/x/index.js", true),
    (&["/node_modules"], "sub/node_modules/x", false),
    (&["node_modules"], "sub/node_modules", false),
    (&["**/node_modules"], "sub/node_modules/a.js", true),
    (&["dir/"], "dir", true),
    (&["dir/"], "dir/file", true),
    (&["dir"], "dir/sub/file", true),
    (&["dir"], "dirt", false),
    (&[".git"], ".git/HEAD", true),
    (&[".git"], ".gitignore", false),
    (&[".git*"], ".gitignore", true),
    (&["docs", "!docs/keep.md"], "docs/keep.md", false),
    (&["docs", "!docs/keep.md"], "docs/other.md", true),
    (&["*", "!src"], "src/main.go", false),
    (&["*", "!src"], "Makefile", true),
    (&["a?c"], "abc", true),
    (&["a?c"], "a/c", false),
    (&["[a-c]at"], "bat", true),
    (&["[a-c]at"], "dat", false),
    (&["[^a]at"], "bat", true),
    (&["[^a]at"], "aat", false),
    (&["# comment", "", "  foo.txt   "], "foo.txt", true),
    (&["# comment"], "# comment", false),
    (&["./build/../dist"], "dist/app.js", true),
    (&["**"], "anything/at/all", true),
    (&["foo/**"], "foo/a/b", true),
    (&["foo/**"], "foo", false),
    (&["**/temp*"], "temp1", true),
    (&["**/temp*"], "a/temp2/x", true),
    (&["*/temp*"], "somedir/temporary.txt", true),
    (&["*/temp*"], "somedir/sub/temp.txt", false),
    (&["*/*/temp*"], "a/b/temp.txt", true),
    (&["temp?"], "tempa", true),
    (&["temp?"], "temp", false),
    (&["a\\*b"], "a*b", true),
    (&["a\\*b"], "axb", false),
    (&["*.log", "!keep/*.log"], "keep/a.log", false),
    (&["**/*.pyc"], "pkg/__pycache__/m.pyc", true),
    (&["src/**/*.test.js"], "src/a.test.js", true),
    (&["src/**/*.test.js"], "src/x/y/a.test.js", true),
    (&["src/**/*.test.js"], "lib/a.test.js", false),
    (&[".env*", "!.env.example"], ".env.local", true),
    (&[".env*", "!.env.example"], ".env.example", false),
    (&["Dockerfile*"], "Dockerfile.prod", true),
    (&["/a/b"], "a/b/c", true),
    (&["a.b"], "axb", false),
    (&["(x)+"], "(x)+", true),
];

#[test]
fn dockerignore_matching_follows_moby() {
    let mut failures = Vec::new();
    for (lines, path, expected) in IGNORE_CASES {
        let patterns = IgnorePatterns::parse(&lines.join("\n")).expect("valid patterns");
        if patterns.matches(path) != *expected {
            failures.push(format!("{lines:?} on {path}: expected {expected}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn ignore_file_details() {
    let with_bom = IgnorePatterns::parse("\u{feff}secret\r\n").expect("valid");
    assert!(with_bom.matches("secret"));
    assert!(IgnorePatterns::parse("# only a comment\n\n")
        .expect("valid")
        .is_empty());
    assert!(IgnorePatterns::parse("[abc").is_err());
    assert!(IgnorePatterns::parse("trailing\\").is_err());
}

#[test]
fn exceptions_that_reinclude_are_told_apart() {
    let patterns = IgnorePatterns::parse("*\n!src\n!config/.env.defaults\n").expect("valid");
    assert!(patterns.reincludes("src"));
    // Inside a re-included folder: the exception names the folder, not what it holds.
    assert!(!patterns.reincludes("src/.vscode"));
    assert!(!patterns.matches("src/.vscode"));
    assert!(patterns.reincludes("config/.env.defaults"));
    assert!(!patterns.reincludes("config/.env"));
    assert!(patterns.matches("config/.env"));
    let plain = IgnorePatterns::parse("*.log\n").expect("valid");
    assert!(!plain.reincludes("src"));
    assert!(!plain.reincludes("a.log"));
    // An exception that re-includes nothing excluded still says the file keeps the path.
    let noop = IgnorePatterns::parse("*.log\n!docs/.idea\n").expect("valid");
    assert!(noop.reincludes("docs/.idea"));
    let inside = IgnorePatterns::parse("!node_modules/local-lib\n!**/keep\n").expect("valid");
    assert!(inside.may_reinclude_within("node_modules"));
    assert!(inside.may_reinclude_within("target"));
    let literal = IgnorePatterns::parse("*.log\n!node_modules/local-lib\n").expect("valid");
    assert!(literal.may_reinclude_within("node_modules"));
    assert!(!literal.may_reinclude_within("web/node_modules"));
    assert!(!literal.may_reinclude_within(".git"));
    assert!(!plain.may_reinclude_within("node_modules"));
}

/// (`filepath.Match` pattern, path, matches?)
const MATCH_CASES: &[(&str, &str, bool)] = &[
    ("requirements*.txt", "requirements.txt", true),
    ("requirements*.txt", "requirements-dev.txt", true),
    ("requirements*.txt", "requirements/base.txt", false),
    ("*.csproj", "App.csproj", true),
    ("*.csproj", "src/App.csproj", false),
    ("*/*.csproj", "src/App.csproj", true),
    ("**/*.csproj", "src/App.csproj", true),
    ("**/*.csproj", "a/b/App.csproj", false),
    ("?.txt", "a.txt", true),
    ("[0-9].txt", "5.txt", true),
    ("[^0-9].txt", "5.txt", false),
    ("*", ".hidden", true),
    ("\\[x\\]", "[x]", true),
];

#[test]
fn copy_globs_follow_filepath_match() {
    for (pattern, path, expected) in MATCH_CASES {
        let got = path_matches(pattern, path).expect("valid pattern");
        assert_eq!(got, *expected, "{pattern} on {path}");
    }
    assert!(path_matches("[", "x").is_err());
}

#[test]
fn cleans_like_go() {
    let cases = [
        ("", "."),
        (".", "."),
        ("./a/./b/", "a/b"),
        ("a/../b", "b"),
        ("../a", "../a"),
        ("a/../../b", "../b"),
        ("/../a", "/a"),
        ("//a//b", "/a/b"),
        ("/", "/"),
    ];
    for (input, expected) in cases {
        assert_eq!(clean(input), expected, "clean({input:?})");
    }
}
