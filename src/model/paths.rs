//! Paths inside the image, as WORKDIR, COPY destinations and commands use them.

/// The PATH of a Linux image that sets none (BuildKit's default), in order; the toolchain and
/// runtime images keep these folders after their own.
pub const DEFAULT_PATH: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// `path` resolved against the working directory `cwd`, normalized.
pub fn resolve(cwd: &str, path: &str) -> String {
    if path.starts_with('/') {
        normalize(path)
    } else {
        normalize(&format!("{}/{path}", cwd.trim_end_matches('/')))
    }
}

/// An absolute path with `.`, `..` and repeated or trailing slashes resolved: `/app/./x/../y/`
/// → `/app/y`.
pub fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

/// A COPY/ADD source that is not in the build context: a URL or a Git repository.
pub fn is_remote(source: &str) -> bool {
    let lower = source.to_ascii_lowercase();
    ["http://", "https://", "git@", "git://", "ssh://"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
        || lower.contains(".git#")
        || lower.ends_with(".git")
}

/// `path` is `folder` or inside it.
pub fn is_within(folder: &str, path: &str) -> bool {
    let folder = normalize(folder);
    let path = normalize(path);
    folder == "/" || path == folder || path.starts_with(&format!("{folder}/"))
}

/// The sources and destination of a COPY/ADD: as written when no path holds blanks or quotes,
/// else in JSON array form (`["my app", "/srv/my app"]`), the only form BuildKit reads them from.
pub fn copy_arguments(sources: &[String], destination: &str) -> String {
    let mut all: Vec<&str> = sources.iter().map(String::as_str).collect();
    all.push(destination);
    if all
        .iter()
        .any(|path| path.contains(|c: char| c.is_whitespace() || c == '"' || c == '\''))
    {
        let quoted: Vec<String> = all
            .iter()
            .map(|path| serde_json::Value::String((*path).to_owned()).to_string())
            .collect();
        format!("[{}]", quoted.join(", "))
    } else {
        all.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_and_compares() {
        assert_eq!(resolve("/app", "./src/../bin/"), "/app/bin");
        assert_eq!(resolve("/app", "/etc/x"), "/etc/x");
        assert_eq!(normalize("a//b/."), "/a/b");
        assert!(is_within("/app", "/app/x") && is_within("/app/", "/app") && is_within("/", "/x"));
        assert!(!is_within("/app", "/application"));
        let one = |path: &str| vec![path.to_owned()];
        assert_eq!(copy_arguments(&one("/app"), "/app"), "/app /app");
        assert_eq!(
            copy_arguments(&one("my app"), "/srv/"),
            r#"["my app", "/srv/"]"#
        );
    }
}
