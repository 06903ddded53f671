//! Image references as `FROM` names them: `[registry/]repository[:tag][@digest]`.

use serde::Serialize;

/// A parsed image reference. Fields are as written (no defaults filled in); see
/// [`ImageRef::family`] for the normalised repository.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImageRef {
    pub raw: String,
    /// `ghcr.io`, `localhost:5000`, … when the first path component names a registry.
    pub registry: Option<String>,
    /// The path without registry, tag or digest: `node`, `library/node`, `org/app`.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    pub fn parse(raw: &str) -> ImageRef {
        let (name, digest) = match raw.split_once('@') {
            Some((name, digest)) => (name, Some(digest.to_owned())),
            None => (raw, None),
        };
        let (registry, path) = match name.split_once('/') {
            Some((first, rest)) if is_registry(first) => (Some(first.to_owned()), rest),
            _ => (None, name),
        };
        let last_slash = path.rfind('/').map_or(0, |i| i + 1);
        let (repository, tag) = match path[last_slash..].rfind(':') {
            Some(colon) => (
                path[..last_slash + colon].to_owned(),
                Some(path[last_slash + colon + 1..].to_owned()),
            ),
            None => (path.to_owned(), None),
        };
        ImageRef {
            raw: raw.to_owned(),
            registry,
            repository,
            tag,
            digest,
        }
    }

    /// The repository without Docker Hub's implicit `library/` (`docker.io/library/node` → `node`).
    pub fn family(&self) -> &str {
        let hub = matches!(
            self.registry.as_deref(),
            None | Some("docker.io" | "index.docker.io")
        );
        match self.repository.strip_prefix("library/") {
            Some(short) if hub => short,
            _ => &self.repository,
        }
    }

    /// True when the reference uses build arguments (`${BASE}`), so it is only known at build time.
    pub fn has_variables(&self) -> bool {
        self.raw.contains('$')
    }

    /// True for `scratch`, the empty image.
    pub fn is_scratch(&self) -> bool {
        self.registry.is_none()
            && self.repository.eq_ignore_ascii_case("scratch")
            && self.tag.is_none()
    }
}

fn is_registry(component: &str) -> bool {
    component.contains(['.', ':']) || component == "localhost"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_references() {
        let image = ImageRef::parse("ghcr.io/org/app:1.2@sha256:abc");
        assert_eq!(image.registry.as_deref(), Some("ghcr.io"));
        assert_eq!(image.repository, "org/app");
        assert_eq!(image.tag.as_deref(), Some("1.2"));
        assert_eq!(image.digest.as_deref(), Some("sha256:abc"));

        let image = ImageRef::parse("localhost:5000/app");
        assert_eq!(image.registry.as_deref(), Some("localhost:5000"));
        assert_eq!(image.repository, "app");
        assert_eq!(image.tag, None);

        let image = ImageRef::parse("docker.io/library/node:20-slim");
        assert_eq!(image.family(), "node");
        assert_eq!(image.tag.as_deref(), Some("20-slim"));

        assert_eq!(
            ImageRef::parse("mcr.microsoft.com/dotnet/sdk:8.0").family(),
            "dotnet/sdk"
        );
        assert!(ImageRef::parse("scratch").is_scratch());
        assert!(ImageRef::parse("${BASE}:latest").has_variables());
    }
}
