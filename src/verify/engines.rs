//! The container engines `verify` can build with, behind one trait: buildah (no daemon), Docker
//! and podman. Each engine turns its operations into explicit command lines; parsing of their
//! output lives next to them so it is unit-tested without an engine installed.

use super::buildah::Buildah;
use super::docker::DockerLike;
use super::image::ImageInfo;
use super::process::{self, CommandLine, Finished};
use anyhow::{bail, Result};
use clap::ValueEnum;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// Which engine the user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EngineChoice {
    Buildah,
    Docker,
    Podman,
}

/// One image build: `FILE` built from `CONTEXT` and tagged `TAG`.
#[derive(Clone, Debug)]
pub struct BuildRequest<'a> {
    pub dockerfile: &'a Path,
    pub context: &'a Path,
    pub tag: &'a str,
}

/// A container engine.
pub trait ContainerEngine {
    /// What runs, with the settings chosen, e.g. `buildah 1.28.2 (storage vfs, isolation chroot)`.
    fn description(&self) -> &str;
    /// Builds an image; a failed build is returned (not an error) so callers can quote it.
    fn build(&self, request: &BuildRequest) -> Result<Finished>;
    /// The image's configuration and size.
    fn inspect(&self, image: &str) -> Result<ImageInfo>;
    /// The image's files, readable on this machine until the returned value is dropped.
    fn filesystem(&self, image: &str) -> Result<RootFs>;
    /// Runs `argv` (no shell) in a new container of the image, then removes the container.
    fn run(&self, image: &str, argv: &[String]) -> Result<Finished>;
    /// Removes an image.
    fn remove_image(&self, image: &str) -> Result<()>;
}

/// An image's root filesystem on this machine. Dropping it runs the cleanup commands (unmount,
/// remove the container) and deletes any temporary copy.
pub struct RootFs {
    pub path: PathBuf,
    cleanup: Vec<CommandLine>,
    _copy: Option<TempDir>,
}

impl RootFs {
    /// A root filesystem at `path` that `cleanup` releases, in order.
    pub fn new(path: PathBuf, cleanup: Vec<CommandLine>, copy: Option<TempDir>) -> RootFs {
        RootFs {
            path,
            cleanup,
            _copy: copy,
        }
    }
}

impl Drop for RootFs {
    fn drop(&mut self) {
        for line in &self.cleanup {
            if let Err(error) = process::run_ok(line) {
                eprintln!("warning: cleanup failed: {error:#}");
            }
        }
    }
}

/// The engine asked for, or the first one available: buildah, then podman, then Docker.
pub fn select(choice: Option<EngineChoice>) -> Result<Box<dyn ContainerEngine>> {
    let choice = match choice {
        Some(choice) => choice,
        None => detect()?,
    };
    Ok(match choice {
        EngineChoice::Buildah => Box::new(Buildah::detect()?),
        EngineChoice::Docker => Box::new(DockerLike::detect("docker")?),
        EngineChoice::Podman => Box::new(DockerLike::detect("podman")?),
    })
}

fn detect() -> Result<EngineChoice> {
    let candidates = [
        ("buildah", EngineChoice::Buildah),
        ("podman", EngineChoice::Podman),
        ("docker", EngineChoice::Docker),
    ];
    match candidates
        .iter()
        .find(|(program, _)| process::on_path(program))
    {
        Some((_, choice)) => Ok(*choice),
        None => bail!("no container engine found: install buildah, podman or docker"),
    }
}
