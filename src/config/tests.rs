use super::*;
use exclusions::excluded_by;

fn list(root: &str, patterns: &[&str]) -> PatternList {
    PatternList::new(Path::new(root), patterns.iter().copied()).expect("valid patterns")
}

#[test]
fn patterns_are_gitignore_style_relative_to_their_folder() {
    let patterns = list(
        "/repo",
        &["generated/", "/top", "sub/*.md", "!keep.md", "*.md"],
    );
    let verdict = |path: &str, is_dir| patterns.verdict(Path::new(path), is_dir);
    assert_eq!(verdict("/repo/a/generated", true), Verdict::Exclude);
    assert_eq!(verdict("/repo/a/generated", false), Verdict::Silent);
    assert_eq!(verdict("/repo/top", true), Verdict::Exclude);
    assert_eq!(verdict("/repo/a/top", true), Verdict::Silent);
    assert_eq!(verdict("/repo/sub/x.md", false), Verdict::Exclude);
    // The last matching pattern decides.
    assert_eq!(verdict("/repo/keep.md", false), Verdict::Exclude);
    // Outside the folder, only patterns without `/` match.
    assert_eq!(verdict("/elsewhere/x.md", false), Verdict::Exclude);
    assert_eq!(verdict("/elsewhere/top", true), Verdict::Silent);
    let keep = list("/repo", &["*.md", "!keep.md"]);
    assert_eq!(
        keep.verdict(Path::new("/repo/keep.md"), false),
        Verdict::Include
    );
}

#[test]
fn layers_base_then_configuration_then_command_line() {
    let config = Config::parse(
        "extend-exclude = [\"!Dockerfile.template\", \"gen\"]\n",
        Path::new("/repo/dfmigrate.toml"),
    )
    .expect("valid configuration");
    let none = CliExclusions::default();
    let excluded =
        |cli: &CliExclusions, path: &str| excluded_by(cli, Some(&config), Path::new(path), false);
    assert!(!excluded(&none, "/repo/Dockerfile.template"));
    assert!(excluded(&none, "/repo/Dockerfile.md"));
    assert!(excluded(&none, "/repo/gen"));
    let cli = CliExclusions {
        exclude: Some(list("/repo", &["other"])),
        extend_exclude: Some(list("/repo", &["Dockerfile.template"])),
    };
    // --exclude replaces the defaults; --extend-exclude comes last.
    assert!(!excluded(&cli, "/repo/Dockerfile.md"));
    assert!(excluded(&cli, "/repo/other"));
    assert!(excluded(&cli, "/repo/Dockerfile.template"));
    assert!(excluded(&cli, "/repo/gen"));
}

#[test]
fn invalid_patterns_name_the_line() {
    let error = Config::parse(
        "select = []\nextend-exclude = [\n  \"ok\",\n  \"{bad\",\n]\n",
        Path::new("dfmigrate.toml"),
    )
    .expect_err("invalid pattern");
    assert_eq!(error.line, 4);
    assert!(
        error
            .message
            .starts_with("invalid pattern in extend-exclude: `{bad`"),
        "{}",
        error.message
    );
}
