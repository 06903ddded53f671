//! The container engines `verify` can build with, behind one trait: buildah (no daemon), Docker
//! and podman. Each engine turns its operations into explicit command lines; parsing of their
//! output lives next to them so it is unit-tested without an engine installed.

use super::buildah::Buildah;
use super::docker::DockerLike;
use super::image::ImageInfo;
use super::process::{self, CommandLine, Finished};
use anyhow::{bail, Context as _, Result};
use clap::ValueEnum;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::{NamedTempFile, TempDir};

/// How long a server may take to exit after it is asked to stop, before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

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
    /// The ignore file the build reads instead of the context's `.dockerignore`: the
    /// Dockerfile's own (`<Dockerfile>.dockerignore`, beside it, where BuildKit reads it;
    /// buildah and podman are given it with `--ignorefile`).
    pub ignore_file: Option<&'a Path>,
    /// Build arguments whose values the build takes from this process's environment
    /// (`--build-arg NAME`).
    pub build_args: &'a [String],
    /// Build secrets whose values the build takes from the environment variable of the same
    /// name (`--secret id=NAME,env=NAME`).
    pub secrets: &'a [String],
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
    /// Starts the image's own command `argv` (its ENTRYPOINT and CMD) in a new container, as the
    /// image's USER in its WORKDIR, on this machine's network, and leaves it running.
    fn serve(&self, image: &str, argv: &[String]) -> Result<Service>;
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

/// A container running in the background (`verify --probe`). Its output goes to a temporary
/// file; [`Service::stop`] (or dropping it) stops it and removes the container.
pub struct Service {
    child: Child,
    /// Signal the child's whole process group (it was started as its leader).
    group: bool,
    /// Commands that ask the server to stop (before signals).
    stop: Vec<CommandLine>,
    /// Commands run once it has ended (remove the container).
    cleanup: Vec<CommandLine>,
    output: NamedTempFile,
    exit: Option<Option<i32>>,
    stopped: bool,
}

impl Service {
    /// Spawns `line` with its output in a temporary file. `group`: as the leader of a new process
    /// group, which [`Service::stop`] signals as a whole.
    pub fn spawn(
        line: &CommandLine,
        group: bool,
        stop: Vec<CommandLine>,
        cleanup: Vec<CommandLine>,
    ) -> Result<Service> {
        let output =
            NamedTempFile::new().context("cannot create a file for the server's output")?;
        // One open file for both streams: they share its offset, so neither overwrites the other.
        let stdout = output.reopen()?;
        let stderr = stdout.try_clone()?;
        let mut command = Command::new(&line.program);
        command
            .args(&line.args)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr);
        if group {
            command.process_group(0);
        }
        let child = match command.spawn() {
            Ok(child) => child,
            Err(error) => {
                run_all(&cleanup);
                return Err(error).with_context(|| format!("cannot run `{}`", line.display()));
            }
        };
        Ok(Service {
            child,
            group,
            stop,
            cleanup,
            output,
            exit: None,
            stopped: false,
        })
    }

    /// `Some(code)` once the server has exited (`Some(None)`: killed by a signal).
    pub fn exit_code(&mut self) -> Option<Option<i32>> {
        if self.exit.is_none() {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.exit = Some(status.code());
            }
        }
        self.exit
    }

    /// What the server printed so far (stdout and stderr, interleaved).
    pub fn output(&self) -> String {
        std::fs::read(self.output.path())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// Stops the server: the stop commands, then SIGTERM, then after a grace period SIGKILL;
    /// then removes the container. A cleanup that fails is a warning, as for [`RootFs`]: it
    /// does not change what the server answered.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        if self.exit_code().is_none() {
            run_all(&self.stop);
            self.signal("TERM");
            let deadline = Instant::now() + STOP_GRACE;
            while self.exit_code().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
            if self.exit_code().is_none() {
                self.signal("KILL");
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
        if self.group {
            // Whatever the server left behind in its group goes too.
            self.signal("KILL");
        }
        for line in &self.cleanup {
            if let Err(error) = process::run_ok(line) {
                eprintln!("warning: cleanup failed: {error:#}");
            }
        }
    }

    /// Sends a signal to the server (its whole process group when it leads one).
    fn signal(&self, name: &str) {
        let target = if self.group {
            format!("-{}", self.child.id())
        } else {
            self.child.id().to_string()
        };
        let line = CommandLine::new("kill", ["-s", name, "--", &target]);
        let _ = process::run(&line);
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// Runs commands, ignoring their failures (best-effort cleanup).
fn run_all(lines: &[CommandLine]) {
    for line in lines {
        let _ = process::run(line);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(script: &str) -> CommandLine {
        CommandLine::new("sh", ["-c", script])
    }

    fn wait_for_exit(service: &mut Service) -> Option<Option<i32>> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while service.exit_code().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        service.exit_code()
    }

    #[test]
    fn a_server_that_exits_reports_its_code_and_output() {
        let mut service = Service::spawn(
            &shell("echo starting; echo 'cannot write pid' >&2; exit 3"),
            true,
            Vec::new(),
            Vec::new(),
        )
        .unwrap();
        assert_eq!(wait_for_exit(&mut service), Some(Some(3)));
        assert_eq!(service.output(), "starting\ncannot write pid\n");
        service.stop();
    }

    #[test]
    fn stop_ends_the_whole_process_group_and_runs_the_cleanup() {
        let dir = tempfile::tempdir().unwrap();
        let child_pid = dir.path().join("child.pid");
        let cleaned = dir.path().join("cleaned");
        // A server that leaves a grandchild behind, as `buildah run` does with the real process.
        let script = format!(
            "sleep 300 & echo $! > {}; wait",
            child_pid.to_str().unwrap()
        );
        let mut service = Service::spawn(
            &shell(&script),
            true,
            Vec::new(),
            vec![CommandLine::new("touch", [cleaned.as_os_str()])],
        )
        .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::fs::read_to_string(&child_pid).map_or(true, |pid| pid.trim().is_empty()) {
            assert!(Instant::now() < deadline, "the server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(service.exit_code(), None);
        let started = Instant::now();
        service.stop();
        assert!(started.elapsed() < STOP_GRACE, "SIGTERM was not enough");
        let pid = std::fs::read_to_string(&child_pid).unwrap();
        // Gone, or a zombie waiting for init to reap it; the signal reaches it asynchronously,
        // so a loaded machine gets a few seconds.
        let ended = || {
            std::fs::read_to_string(format!("/proc/{}/status", pid.trim()))
                .map_or(true, |status| status.contains("State:\tZ"))
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while !ended() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(ended(), "the grandchild survived");
        assert!(cleaned.exists(), "the cleanup did not run");
    }

    #[test]
    fn dropping_a_service_stops_it() {
        let service =
            Service::spawn(&shell("exec sleep 300"), false, Vec::new(), Vec::new()).unwrap();
        let pid = service.child.id();
        drop(service);
        assert!(std::fs::read_to_string(format!("/proc/{pid}/status"))
            .map_or(true, |status| status.contains("State:\tZ")));
    }
}
