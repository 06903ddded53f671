//! Where a cache folder is for one RUN: the first variable of the profile that places it and is
//! set (by `ENV`, or by the image), else its default under the user's home folder.

use super::environment::Environment;
use crate::knowledge::{CacheFolder, FolderSource};
use crate::model::paths;

/// The folder as an absolute path, or why it cannot be told.
pub(super) fn resolve(
    folder: &CacheFolder,
    environment: &Environment,
    home: &str,
) -> Result<String, String> {
    for (variable, why) in &folder.unknown_env {
        if environment.value(variable).is_some() {
            return Err(format!("{variable} is set: {why}"));
        }
    }
    for source in &folder.from {
        match environment.value(&source.env) {
            None => {}
            Some(Err(why)) => return Err(why),
            Some(Ok(value)) => {
                if let Some(path) = placed_by(source, &value)? {
                    return absolute(&path, home);
                }
            }
        }
    }
    match (&folder.default, &folder.unknown) {
        (Some(default), _) => absolute(default, home),
        (None, Some(why)) => Err(why.clone()),
        (None, None) => Err("the folder is not known".to_owned()),
    }
}

/// Whether the image may place the folder where the Dockerfile does not show: no variable that
/// places it is set (by `ENV`, `ARG` or what the data says the image sets), and its default is
/// under the home folder, or a variable the image may set would move it.
pub(super) fn placed_by_image(folder: &CacheFolder, environment: &Environment) -> bool {
    let set = (folder.from.iter()).any(|source| environment.value(&source.env).is_some());
    let home = folder
        .default
        .as_deref()
        .is_some_and(|d| d.starts_with('~'));
    !set && (home || !folder.from.is_empty())
}

/// The folder a variable's value places: the value, a subfolder of it, or the value of a
/// `-Dproperty=` word in it (`None` when the value has no such word).
fn placed_by(source: &FolderSource, value: &str) -> Result<Option<String>, String> {
    let base = match &source.property {
        Some(property) => {
            let prefix = format!("-D{property}=");
            let word = value
                .split_whitespace()
                .find_map(|w| w.strip_prefix(&prefix));
            match word {
                Some(word) => word.trim_matches(|c| c == '"' || c == '\'').to_owned(),
                None => return Ok(None),
            }
        }
        None => value.to_owned(),
    };
    if base.contains(':') {
        return Err(format!("{} (`{value}`) lists several folders", source.env));
    }
    Ok(Some(match &source.join {
        Some(join) => format!("{}/{join}", base.trim_end_matches('/')),
        None => base,
    }))
}

/// `path` with a leading `~` or `$HOME` replaced by the home folder, normalized; an error for a
/// relative path or one a `--mount` value cannot hold as written.
fn absolute(path: &str, home: &str) -> Result<String, String> {
    let expanded = ["~", "$HOME", "${HOME}"]
        .iter()
        .find_map(|prefix| {
            let rest = path.strip_prefix(prefix)?;
            (rest.is_empty() || rest.starts_with('/')).then(|| format!("{home}{rest}"))
        })
        .unwrap_or_else(|| path.to_owned());
    if !expanded.starts_with('/') {
        return Err(format!("the cache folder `{path}` is relative"));
    }
    if expanded.contains(['$', ',', '"', '\'', ' ', '\t', '=']) {
        return Err(format!(
            "the cache folder `{path}` cannot be told or written in a --mount"
        ));
    }
    Ok(paths::normalize(&expanded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homes_and_variables_place_folders() {
        assert_eq!(
            absolute("~/.npm", "/home/node").as_deref(),
            Ok("/home/node/.npm")
        );
        assert_eq!(absolute("${HOME}/x/", "/root").as_deref(), Ok("/root/x"));
        assert!(absolute("cache", "/root").is_err());
        assert!(absolute("/a b", "/root").is_err());
        let maven = FolderSource {
            env: "MAVEN_OPTS".to_owned(),
            join: None,
            property: Some("maven.repo.local".to_owned()),
        };
        assert_eq!(
            placed_by(&maven, "-Xmx1g -Dmaven.repo.local=/cache/m2"),
            Ok(Some("/cache/m2".to_owned()))
        );
        assert_eq!(placed_by(&maven, "-Xmx1g"), Ok(None));
        let gopath = FolderSource {
            env: "GOPATH".to_owned(),
            join: Some("pkg/mod".to_owned()),
            property: None,
        };
        assert_eq!(
            placed_by(&gopath, "/go/"),
            Ok(Some("/go/pkg/mod".to_owned()))
        );
        assert!(placed_by(&gopath, "/go:/other").is_err());
    }
}
