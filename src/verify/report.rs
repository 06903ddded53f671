//! Verdicts: what was found for one file and how it is printed.

use super::dockerfile::Facts;
use super::files::{DropReason, FileComparison};
use super::image::{ConfigChange, ConfigComparison, Field};
use super::intent::Intent;
use crate::knowledge::KnowledgeBase;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

/// Differences named on the verdict line; the rest follow on their own lines.
const DIFFERENCES_ON_LINE: usize = 3;
/// Example paths shown per drop reason.
const DROP_EXAMPLES: usize = 3;
/// Characters of smoke output quoted in a difference.
const EXCERPT_CHARS: usize = 80;

/// The result for one file.
#[derive(Debug)]
pub enum Outcome {
    Equivalent(Verdict),
    Different(Verdict),
    /// The comparison could not be made (e.g. the original does not build).
    Error(String),
}

/// A value before and after the rewrite.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Measure<T> {
    pub before: T,
    pub after: T,
}

impl<T> Measure<T> {
    pub fn new(before: T, after: T) -> Measure<T> {
        Measure { before, after }
    }
}

/// Everything found comparing one file's two images.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Configuration, smoke and build differences (file problems are in `files`).
    pub differences: Vec<String>,
    /// Differences a transform made on purpose.
    pub intended: Vec<String>,
    pub notes: Vec<String>,
    pub files: FileComparison,
    /// Both images were built and measured.
    pub built: bool,
    pub size: Measure<u64>,
    pub seconds: Measure<Duration>,
}

impl Verdict {
    /// The verdict for a rewrite that does not build, with what the build printed before its
    /// error as notes.
    pub fn not_built(message: String, build_output: Vec<String>) -> Verdict {
        Verdict {
            differences: vec![message],
            notes: build_output
                .into_iter()
                .map(|line| format!("build output: {line}"))
                .collect(),
            ..Verdict::default()
        }
    }

    /// Equivalent when nothing differs.
    pub fn into_outcome(mut self) -> Outcome {
        self.built = true;
        let problems = std::mem::take(&mut self.files.problems);
        self.differences.extend(problems);
        if self.differences.is_empty() {
            Outcome::Equivalent(self)
        } else {
            Outcome::Different(self)
        }
    }

    /// The verdict line and the detail lines under it.
    pub fn render(&self, name: &str, equivalent: bool) -> String {
        let mut out = String::new();
        if equivalent {
            let _ = writeln!(out, "{name}: equivalent ({})", self.measures());
        } else {
            let shown: Vec<&str> = self
                .differences
                .iter()
                .take(DIFFERENCES_ON_LINE)
                .map(String::as_str)
                .collect();
            let more = self.differences.len().saturating_sub(DIFFERENCES_ON_LINE);
            let _ = write!(out, "{name}: DIFFERENT: {}", shown.join("; "));
            if more > 0 {
                let _ = write!(out, " (and {more} more)");
            }
            out.push('\n');
            for difference in self.differences.iter().skip(DIFFERENCES_ON_LINE) {
                let _ = writeln!(out, "  difference: {difference}");
            }
            if self.built {
                let _ = writeln!(out, "  {}", self.measures());
            }
        }
        for intended in &self.intended {
            let _ = writeln!(out, "  intended: {intended}");
        }
        for note in self.notes.iter().chain(&self.files.notes) {
            let _ = writeln!(out, "  note: {note}");
        }
        if let Some(dropped) = dropped_line(&self.files.dropped) {
            let _ = writeln!(out, "  {dropped}");
        }
        out
    }

    fn measures(&self) -> String {
        format!(
            "size {} → {}, build {:.1}s → {:.1}s",
            human_size(self.size.before),
            human_size(self.size.after),
            self.seconds.before.as_secs_f64(),
            self.seconds.after.as_secs_f64()
        )
    }
}

/// Sorts configuration changes into differences and intended changes.
pub fn judge_config(
    verdict: &mut Verdict,
    comparison: ConfigComparison,
    intents: &BTreeSet<Intent>,
    base_changed: bool,
    facts: &[&Facts],
) {
    verdict.notes.extend(comparison.notes);
    let virtualenv = intents
        .contains(&Intent::Virtualenv)
        .then(|| created_virtualenv(&comparison.changes))
        .flatten();
    let set_by_dockerfile = |field: Field, key: &str| {
        facts.iter().any(|facts| match field {
            Field::Env => facts.env_names.contains(key),
            Field::Labels => facts.label_names.contains(key),
            _ => true,
        })
    };
    for change in comparison.changes {
        let from_base = base_changed
            && matches!(change.field, Field::Env | Field::Labels)
            && change
                .key
                .as_deref()
                .is_some_and(|key| !set_by_dockerfile(change.field, key));
        if change.field == Field::User && intents.contains(&Intent::User) {
            verdict.intended.push(format!("{change} (non-root user)"));
        } else if virtualenv
            .as_deref()
            .is_some_and(|folder| activates_virtualenv(&change, folder))
        {
            verdict
                .intended
                .push(format!("{change} (installs in a virtualenv)"));
        } else if intents.contains(&Intent::ProductionSettings) && is_production_setting(&change) {
            verdict.intended.push(format!(
                "{change} (production setting of the runtime stage)"
            ));
        } else if base_changed && only_drops_path_folders(&change) {
            verdict
                .intended
                .push(format!("{change} (folders of the old base image left out)"));
        } else if from_base {
            verdict
                .intended
                .push(format!("{change} (from the new base image)"));
        } else {
            verdict.differences.push(change.to_string());
        }
    }
}

/// The folder of a virtualenv the rewrite activates: `VIRTUAL_ENV` set where it was not.
fn created_virtualenv(changes: &[ConfigChange]) -> Option<String> {
    changes
        .iter()
        .find(|change| {
            change.field == Field::Env
                && change.key.as_deref() == Some("VIRTUAL_ENV")
                && change.before == "(unset)"
        })
        .map(|change| change.after.clone())
}

/// The change that activates the virtualenv in `folder`: `VIRTUAL_ENV` set to it, or its `bin`
/// added to the same `PATH` (in front of the image's folders, after those the Dockerfile's own
/// `ENV PATH` puts first: `/app/bin:/opt/venv/bin:/usr/local/bin:…`).
fn activates_virtualenv(change: &ConfigChange, folder: &str) -> bool {
    match (change.field, change.key.as_deref()) {
        (Field::Env, Some("VIRTUAL_ENV")) => change.after == folder,
        (Field::Env, Some("PATH")) => {
            let bin = format!("{}/bin", folder.trim_end_matches('/'));
            let mut after: Vec<&str> = change.after.split(':').collect();
            let Some(at) = after.iter().position(|entry| *entry == bin) else {
                return false;
            };
            after.remove(at);
            after.join(":") == change.before
        }
        _ => false,
    }
}

/// An `ENV` that was unset and now has the value an ecosystem's runtime stage gives it for
/// production (`NODE_ENV=production`).
fn is_production_setting(change: &ConfigChange) -> bool {
    let (Field::Env, Some(key)) = (change.field, change.key.as_deref()) else {
        return false;
    };
    change.before == "(unset)"
        && KnowledgeBase::builtin()
            .profiles()
            .iter()
            .filter_map(|profile| profile.runtime.as_ref()?.production.as_ref())
            .any(|production| production.env.get(key) == Some(&change.after))
}

/// A `PATH` that keeps its other folders in order and only leaves out some of the old one's
/// (the toolchain's `/usr/local/go/bin`): only programs found in those folders are looked up
/// differently, and the checks of the programs the image runs report those.
fn only_drops_path_folders(change: &ConfigChange) -> bool {
    if change.field != Field::Env || change.key.as_deref() != Some("PATH") {
        return false;
    }
    let mut before = change.before.split(':');
    change
        .after
        .split(':')
        .all(|folder| before.any(|old| old == folder))
}

/// `dropped as expected: 4 paths (cache: /app/.cache; source: /app/main.go, …)`.
fn dropped_line(dropped: &[(PathBuf, DropReason)]) -> Option<String> {
    if dropped.is_empty() {
        return None;
    }
    let mut by_reason: BTreeMap<DropReason, Vec<String>> = BTreeMap::new();
    for (path, reason) in dropped {
        by_reason
            .entry(*reason)
            .or_default()
            .push(path.display().to_string());
    }
    let groups: Vec<String> = by_reason
        .iter()
        .map(|(reason, paths)| {
            let mut shown = paths
                .iter()
                .take(DROP_EXAMPLES)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if paths.len() > DROP_EXAMPLES {
                let _ = write!(shown, ", … {} more", paths.len() - DROP_EXAMPLES);
            }
            format!("{reason}: {shown}")
        })
        .collect();
    Some(format!(
        "dropped as expected: {} {} ({})",
        dropped.len(),
        if dropped.len() == 1 { "path" } else { "paths" },
        groups.join("; ")
    ))
}

/// Bytes in decimal units, as container engines print them, to three significant digits
/// (`1.99 MB`, `21.4 MB`, `512 MB`).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = "B";
    for next in UNITS {
        if value < 1000.0 {
            break;
        }
        value /= 1000.0;
        unit = next;
    }
    let decimals = match value {
        v if v < 10.0 => 2,
        v if v < 100.0 => 1,
        _ => 0,
    };
    format!("{value:.decimals$} {unit}")
}

/// The start of a command's output, for messages.
pub fn excerpt(text: &str) -> String {
    let trimmed = text.trim_end();
    match trimmed.char_indices().nth(EXCERPT_CHARS) {
        Some((at, _)) => format!("{}…", &trimmed[..at]),
        None => trimmed.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::image::ConfigChange;
    use super::*;

    #[test]
    fn sizes_in_decimal_units() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1_994_000), "1.99 MB");
        assert_eq!(human_size(21_449_000), "21.4 MB");
        assert_eq!(human_size(123_456_789_000), "123 GB");
    }

    #[test]
    fn equivalent_line_with_details() {
        let mut verdict = Verdict {
            notes: vec!["CMD: shell form → exec form (same command)".to_owned()],
            size: Measure::new(2_000_000, 1_500_000),
            seconds: Measure::new(Duration::from_millis(1500), Duration::from_millis(900)),
            ..Verdict::default()
        };
        verdict.files.dropped = vec![
            (PathBuf::from("/app/main.go"), DropReason::Source),
            (PathBuf::from("/app/.cache"), DropReason::Cache),
        ];
        let Outcome::Equivalent(verdict) = verdict.into_outcome() else {
            panic!("not equivalent");
        };
        assert_eq!(
            verdict.render("app/Dockerfile", true),
            "app/Dockerfile: equivalent (size 2.00 MB → 1.50 MB, build 1.5s → 0.9s)\n  \
             note: CMD: shell form → exec form (same command)\n  \
             dropped as expected: 2 paths (cache: /app/.cache; source: /app/main.go)\n"
        );
    }

    #[test]
    fn different_line_names_the_first_differences() {
        let verdict = Verdict {
            differences: (1..=4).map(|n| format!("d{n}")).collect(),
            ..Verdict::default()
        };
        let Outcome::Different(verdict) = verdict.into_outcome() else {
            panic!("not different");
        };
        let text = verdict.render("D", false);
        assert!(text.starts_with("D: DIFFERENT: d1; d2; d3 (and 1 more)\n  difference: d4\n"));
    }

    #[test]
    fn intended_changes_are_not_differences() {
        let change = |field, key: Option<&str>| ConfigChange {
            field,
            key: key.map(str::to_owned),
            before: "a".to_owned(),
            after: "b".to_owned(),
        };
        let comparison = ConfigComparison {
            changes: vec![
                change(Field::User, None),
                change(Field::Env, Some("GOPATH")),
                change(Field::Env, Some("APP_MODE")),
            ],
            notes: Vec::new(),
        };
        let facts = Facts {
            env_names: BTreeSet::from(["APP_MODE".to_owned()]),
            ..Facts::default()
        };
        let mut verdict = Verdict::default();
        let intents = BTreeSet::from([Intent::User, Intent::BaseImage]);
        judge_config(&mut verdict, comparison, &intents, true, &[&facts]);
        assert_eq!(verdict.differences, ["ENV APP_MODE: a → b"]);
        assert_eq!(
            verdict.intended,
            [
                "USER: a → b (non-root user)",
                "ENV GOPATH: a → b (from the new base image)"
            ]
        );
    }

    #[test]
    fn a_production_setting_is_intended_only_from_unset_to_its_value() {
        let env = |before: &str, after: &str| ConfigChange {
            field: Field::Env,
            key: Some("NODE_ENV".to_owned()),
            before: before.to_owned(),
            after: after.to_owned(),
        };
        let comparison = ConfigComparison {
            changes: vec![
                env("(unset)", "production"),
                env("development", "production"),
                env("(unset)", "staging"),
            ],
            notes: Vec::new(),
        };
        let facts = Facts {
            env_names: BTreeSet::from(["NODE_ENV".to_owned()]),
            ..Facts::default()
        };
        let mut verdict = Verdict::default();
        let intents = BTreeSet::from([Intent::ProductionSettings]);
        judge_config(&mut verdict, comparison, &intents, false, &[&facts]);
        assert_eq!(
            verdict.intended,
            ["ENV NODE_ENV: (unset) → production (production setting of the runtime stage)"]
        );
        assert_eq!(
            verdict.differences,
            [
                "ENV NODE_ENV: development → production",
                "ENV NODE_ENV: (unset) → staging"
            ]
        );
    }

    #[test]
    fn a_path_without_old_base_folders_is_intended() {
        let path = |before: &str, after: &str| ConfigChange {
            field: Field::Env,
            key: Some("PATH".to_owned()),
            before: before.to_owned(),
            after: after.to_owned(),
        };
        assert!(only_drops_path_folders(&path(
            "/go/bin:/usr/local/go/bin:/usr/bin:/bin",
            "/go/bin:/usr/bin:/bin"
        )));
        assert!(!only_drops_path_folders(&path(
            "/usr/bin:/bin",
            "/opt/bin:/usr/bin:/bin"
        )));
        assert!(!only_drops_path_folders(&path("/a:/b", "/b:/a")));
    }

    #[test]
    fn a_virtualenv_the_rewrite_activates_is_intended() {
        let env = |key: &str, before: &str, after: &str| ConfigChange {
            field: Field::Env,
            key: Some(key.to_owned()),
            before: before.to_owned(),
            after: after.to_owned(),
        };
        let comparison = || ConfigComparison {
            changes: vec![
                env(
                    "PATH",
                    "/usr/local/bin:/usr/bin",
                    "/opt/venv/bin:/usr/local/bin:/usr/bin",
                ),
                env("VIRTUAL_ENV", "(unset)", "/opt/venv"),
                env("APP_MODE", "a", "b"),
            ],
            notes: Vec::new(),
        };
        let facts = Facts {
            env_names: BTreeSet::from(["VIRTUAL_ENV", "PATH", "APP_MODE"].map(str::to_owned)),
            ..Facts::default()
        };
        let mut verdict = Verdict::default();
        let intents = BTreeSet::from([Intent::BaseImage, Intent::Virtualenv]);
        judge_config(&mut verdict, comparison(), &intents, true, &[&facts]);
        assert_eq!(verdict.intended.len(), 2, "{:?}", verdict.intended);
        assert_eq!(verdict.differences, ["ENV APP_MODE: a → b"]);
        let mut without = Verdict::default();
        let intents = BTreeSet::from([Intent::BaseImage]);
        judge_config(&mut without, comparison(), &intents, true, &[&facts]);
        assert_eq!(without.differences.len(), 3);
        let path = |before: &str, after: &str| env("PATH", before, after);
        let folder = "/opt/venv";
        assert!(activates_virtualenv(
            &path("/app/bin:/usr/bin", "/app/bin:/opt/venv/bin:/usr/bin"),
            folder
        ));
        assert!(!activates_virtualenv(
            &path("/usr/bin", "/opt/venv/bin:/opt/other/bin:/usr/bin"),
            folder
        ));
        assert!(!activates_virtualenv(&path("/usr/bin", "/usr/bin"), folder));
    }

    #[test]
    fn excerpts_are_short() {
        assert_eq!(excerpt("ok\n"), "ok");
        assert_eq!(excerpt(&"x".repeat(100)).chars().count(), EXCERPT_CHARS + 1);
    }
}
