//! Whether a stage runs on Windows, decided from its base images where they are known.
//!
//! A Windows image runs shell-form commands with `cmd /S /C` and has no `/bin/sh`, `useradd` or
//! `apt-get`, so transforms that write POSIX shell or Linux users stand back. `# escape=`` ` is
//! a hint of Windows, not proof: it only counts when the image the stage chain starts from is not
//! known to be a Linux one.

use crate::knowledge::{KnowledgeBase, Platform};
use crate::model::{Dockerfile, Stage};

/// Why `stage` may run on Windows, or `None` when it runs on Linux as far as can be told.
///
/// A `--platform` flag on a FROM of the chain decides first; then the image the chain starts
/// from ([`KnowledgeBase::image_platform`]); then the escape directive.
pub fn windows_reason(
    file: &Dockerfile,
    stage: &Stage,
    knowledge: &KnowledgeBase,
) -> Option<String> {
    let chain = file.stage_chain(stage);
    for link in &chain {
        if let Some(platform) = link.platform.as_deref() {
            if platform.starts_with("windows") {
                return Some(format!("the stage is built for `--platform={platform}`"));
            }
            if platform.starts_with("linux") {
                return None;
            }
        }
    }
    let root = chain.last().map_or(stage, |s| *s);
    match knowledge.image_platform(&root.base) {
        Some(Platform::Windows) => Some(format!("`{}` is a Windows image", root.base.raw)),
        Some(Platform::Linux) => None,
        None if file.escape() == '`' => Some(format!(
            "`# escape=`` ` suggests Windows and `{}` is not known to be a Linux image",
            root.base.raw
        )),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn reason(text: &str) -> Option<String> {
        let parse = parse(text);
        let file = Dockerfile::new(&parse);
        let stage = file.final_stage().expect("a stage");
        windows_reason(&file, stage, KnowledgeBase::builtin())
    }

    #[test]
    fn backtick_escape_on_a_linux_image_is_linux() {
        assert_eq!(reason("# escape=`\nFROM node:20\nCMD node app.js\n"), None);
        assert_eq!(
            reason("# escape=`\nFROM node:20 AS base\nFROM base\n"),
            None
        );
    }

    #[test]
    fn backtick_escape_on_an_unknown_image_is_a_hint() {
        let why = reason("# escape=`\nFROM example.com/team/base:1\nCMD x\n");
        assert!(why.is_some_and(|w| w.contains("suggests Windows")));
        assert_eq!(reason("FROM example.com/team/base:1\nCMD x\n"), None);
    }

    #[test]
    fn windows_repositories_and_tags_are_windows() {
        for image in [
            "mcr.microsoft.com/dotnet/framework/runtime:4.8.1",
            "mcr.microsoft.com/dotnet/framework/sdk:4.8",
            "mcr.microsoft.com/windows/servercore:ltsc2022",
            "mcr.microsoft.com/dotnet/sdk:8.0-nanoserver-ltsc2022",
            "golang:1.22-windowsservercore",
            "$REPO:8.0.30-nanoserver-ltsc2022",
        ] {
            let why = reason(&format!("FROM {image}\nCMD x\n"));
            assert!(why.is_some_and(|w| w.contains("Windows image")), "{image}");
        }
        assert_eq!(
            reason("FROM mcr.microsoft.com/dotnet/aspnet:8.0\nCMD x\n"),
            None
        );
    }

    #[test]
    fn platform_flag_decides_first() {
        let why = reason("# escape=`\nFROM --platform=windows/amd64 example.com/x\nCMD x\n");
        assert!(why.is_some_and(|w| w.contains("--platform=windows/amd64")));
        assert_eq!(
            reason("# escape=`\nFROM --platform=linux/amd64 example.com/x\n"),
            None
        );
    }
}
