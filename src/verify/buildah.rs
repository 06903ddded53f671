//! buildah: builds without a daemon. As root with no other configuration it uses the `vfs`
//! storage driver (works on every filesystem, including inside containers) and `chroot`
//! isolation (needs no OCI runtime); `STORAGE_DRIVER`, `CONTAINERS_STORAGE_CONF` and
//! `BUILDAH_ISOLATION` override these choices the way they do for buildah itself.

use super::engines::{BuildRequest, ContainerEngine, RootFs, Service};
use super::image::{ImageConfig, ImageInfo};
use super::process::{self, CommandLine, Finished};
use anyhow::{bail, Context as _, Result};
use serde::Deserialize;
use std::ffi::OsString;
use std::path::PathBuf;

/// The storage driver chosen when the user configured none.
const DEFAULT_STORAGE_DRIVER: &str = "vfs";
/// The isolation chosen when the user configured none.
const DEFAULT_ISOLATION: &str = "chroot";
/// What a build failed by a condition of this machine rather than of the Dockerfile prints:
/// with chroot isolation, another build running on the machine at the same moment can make a
/// step's setup fail with EBUSY. Such a build is run once more.
const TRANSIENT_FAILURES: &[&str] = &["Device or resource busy"];

/// The buildah engine and the settings it runs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Buildah {
    /// `--storage-driver`, or `None` to let buildah read its configuration.
    storage_driver: Option<String>,
    isolation: String,
    description: String,
}

/// The user's storage and isolation configuration, from the environment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Environment {
    pub storage_configured: bool,
    pub isolation: Option<String>,
}

impl Environment {
    /// Reads `STORAGE_DRIVER`, `CONTAINERS_STORAGE_CONF` and `BUILDAH_ISOLATION`.
    pub fn current() -> Environment {
        let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
        Environment {
            storage_configured: set("STORAGE_DRIVER") || set("CONTAINERS_STORAGE_CONF"),
            isolation: std::env::var("BUILDAH_ISOLATION")
                .ok()
                .filter(|value| !value.is_empty()),
        }
    }
}

impl Buildah {
    /// Buildah with settings chosen for this environment; fails when buildah is missing or
    /// cannot work here (not root).
    pub fn detect() -> Result<Buildah> {
        if !process::on_path("buildah") {
            bail!("buildah is not installed (Debian: apt-get install buildah)");
        }
        if !running_as_root() {
            bail!("buildah needs root to mount images: run as root or under `buildah unshare`");
        }
        let mut buildah = Buildah::with_settings(&Environment::current());
        let info = process::stdout_of(&buildah.command(["info"]))?;
        let version = process::stdout_of(&buildah.command(["--version"]))?;
        buildah.description = describe(&version, &info, &buildah.isolation)?;
        Ok(buildah)
    }

    /// The settings for an environment (the description is filled in by [`Buildah::detect`]).
    pub fn with_settings(environment: &Environment) -> Buildah {
        Buildah {
            storage_driver: (!environment.storage_configured)
                .then(|| DEFAULT_STORAGE_DRIVER.to_owned()),
            isolation: environment
                .isolation
                .clone()
                .unwrap_or_else(|| DEFAULT_ISOLATION.to_owned()),
            description: "buildah".to_owned(),
        }
    }

    /// `buildah [--storage-driver D] ARGS...`.
    pub fn command<I, S>(&self, args: I) -> CommandLine
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut all: Vec<OsString> = Vec::new();
        if let Some(driver) = &self.storage_driver {
            all.push("--storage-driver".into());
            all.push(driver.into());
        }
        all.extend(args.into_iter().map(Into::into));
        CommandLine::new("buildah", all)
    }

    /// The build command: Docker image format (so HEALTHCHECK is kept), no pulls, the ignore
    /// file named when the Dockerfile has its own.
    pub fn build_command(&self, request: &BuildRequest) -> CommandLine {
        let mut args: Vec<OsString> = vec![
            "bud".into(),
            "--format".into(),
            "docker".into(),
            "--isolation".into(),
            self.isolation.clone().into(),
            "--pull=never".into(),
        ];
        if let Some(ignore_file) = request.ignore_file {
            args.extend(["--ignorefile".into(), ignore_file.into()]);
        }
        args.extend(secret_args(request));
        args.extend([
            "-f".into(),
            request.dockerfile.into(),
            "-t".into(),
            request.tag.into(),
            request.context.into(),
        ]);
        self.command(args)
    }

    /// A new working container of `image`; returns its id.
    fn create_container(&self, image: &str) -> Result<String> {
        let out = process::stdout_of(&self.command(["from", "--pull=never", "--quiet", image]))?;
        last_line(&out).context("`buildah from` printed no container id")
    }

    fn remove_container_command(&self, container: &str) -> CommandLine {
        self.command(["rm", container])
    }

    /// `buildah run --isolation I CONTAINER -- ARGV...`: runs as the container's configured
    /// user, in its working directory, with its environment.
    pub fn run_command(&self, container: &str, argv: &[String]) -> CommandLine {
        let mut args: Vec<OsString> = vec![
            "run".into(),
            "--isolation".into(),
            self.isolation.clone().into(),
            container.into(),
            "--".into(),
        ];
        args.extend(argv.iter().map(OsString::from));
        self.command(args)
    }
}

/// Whether a failed build's output shows a condition of the machine (see
/// [`TRANSIENT_FAILURES`]).
fn is_transient(finished: &Finished) -> bool {
    TRANSIENT_FAILURES
        .iter()
        .any(|marker| finished.stderr.contains(marker) || finished.stdout.contains(marker))
}

impl ContainerEngine for Buildah {
    fn description(&self) -> &str {
        &self.description
    }

    fn build(&self, request: &BuildRequest) -> Result<Finished> {
        let first = process::run(&self.build_command(request))?;
        if first.code == Some(0) || !is_transient(&first) {
            return Ok(first);
        }
        eprintln!(
            "note: buildah failed on a busy resource building {}; building it once more",
            request.dockerfile.display()
        );
        process::run(&self.build_command(request))
    }

    fn inspect(&self, image: &str) -> Result<ImageInfo> {
        let json = process::stdout_of(&self.command(["inspect", "--type", "image", image]))?;
        parse_inspect(&json).with_context(|| format!("cannot read `buildah inspect {image}`"))
    }

    fn filesystem(&self, image: &str) -> Result<RootFs> {
        let container = self.create_container(image)?;
        let remove = self.remove_container_command(&container);
        let mounted = process::stdout_of(&self.command(["mount", &container]));
        let path = match mounted {
            Ok(path) => path,
            Err(error) => {
                let _ = process::run(&remove);
                return Err(error);
            }
        };
        let cleanup = vec![self.command(["umount", &container]), remove];
        Ok(RootFs::new(PathBuf::from(path), cleanup, None))
    }

    fn run(&self, image: &str, argv: &[String]) -> Result<Finished> {
        let container = self.create_container(image)?;
        let finished = process::run(&self.run_command(&container, argv));
        let removed = process::run_ok(&self.remove_container_command(&container));
        let finished = finished?;
        removed?;
        Ok(finished)
    }

    fn serve(&self, image: &str, argv: &[String]) -> Result<Service> {
        // With chroot isolation the container shares this machine's network, so its ports are
        // this machine's ports; the process is stopped through its process group.
        let container = self.create_container(image)?;
        Service::spawn(
            &self.run_command(&container, argv),
            true,
            Vec::new(),
            vec![self.remove_container_command(&container)],
        )
    }

    fn remove_image(&self, image: &str) -> Result<()> {
        process::run_ok(&self.command(["rmi", image])).map(|_| ())
    }
}

/// Whether this process runs as root (user id 0, possibly inside a user namespace).
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|line| line.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            == Some("0")
    })
}

fn last_line(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .rfind(|line| !line.is_empty())
        .map(str::to_owned)
}

/// `buildah info` as far as the description needs it.
#[derive(Deserialize)]
struct Info {
    store: StoreInfo,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StoreInfo {
    graph_driver_name: String,
}

/// `buildah 1.28.2 (storage vfs, isolation chroot)` from `buildah --version` and `buildah info`.
pub fn describe(version: &str, info: &str, isolation: &str) -> Result<String> {
    let info: Info = serde_json::from_str(info).context("cannot read `buildah info`")?;
    let version = version
        .split_whitespace()
        .nth(2)
        .unwrap_or("(unknown version)");
    Ok(format!(
        "buildah {version} (storage {}, isolation {isolation})",
        info.store.graph_driver_name
    ))
}

/// The parts of `buildah inspect --type image` that are read.
#[derive(Deserialize)]
struct Inspect {
    #[serde(rename = "Docker", default)]
    docker: Option<ConfigHolder>,
    #[serde(rename = "OCIv1", default)]
    oci: Option<ConfigHolder>,
    #[serde(rename = "Manifest", default)]
    manifest: String,
}

#[derive(Deserialize)]
struct ConfigHolder {
    #[serde(default)]
    config: Option<ImageConfig>,
}

#[derive(Deserialize)]
struct Manifest {
    #[serde(default)]
    layers: Vec<Layer>,
}

#[derive(Deserialize)]
struct Layer {
    size: u64,
}

/// The configuration (Docker's when present, it keeps HEALTHCHECK; else OCI's) and the size
/// (the sum of the manifest's layer sizes).
pub fn parse_inspect(json: &str) -> Result<ImageInfo> {
    let inspect: Inspect = serde_json::from_str(json)?;
    let config = [inspect.docker, inspect.oci]
        .into_iter()
        .flatten()
        .find_map(|holder| holder.config)
        .context("no image configuration")?;
    let manifest: Manifest =
        serde_json::from_str(&inspect.manifest).context("cannot read the image manifest")?;
    Ok(ImageInfo {
        config,
        size: manifest.layers.iter().map(|layer| layer.size).sum(),
    })
}

/// `--build-arg NAME` and `--secret id=NAME,env=NAME` for the values a build takes from the
/// environment (never written on the command line).
pub(super) fn secret_args(request: &BuildRequest) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    for name in request.build_args {
        args.extend(["--build-arg".into(), name.into()]);
    }
    for name in request.secrets {
        args.extend(["--secret".into(), format!("id={name},env={name}").into()]);
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn only_a_busy_resource_is_a_transient_failure() {
        let failed = |stderr: &str| Finished {
            stdout: String::new(),
            stderr: stderr.to_owned(),
            code: Some(1),
            elapsed: std::time::Duration::ZERO,
        };
        assert!(is_transient(&failed(
            "error running container: mount /proc: Device or resource busy"
        )));
        assert!(!is_transient(&failed(
            "npm ERR! enoent Could not read package.json"
        )));
    }

    fn text(line: &CommandLine) -> String {
        line.display()
    }

    #[test]
    fn unconfigured_root_gets_vfs_and_chroot() {
        let buildah = Buildah::with_settings(&Environment::default());
        let request = BuildRequest {
            dockerfile: Path::new("/tmp/x/Dockerfile"),
            context: Path::new("app"),
            tag: "dfmigrate-verify-1-original",
            ignore_file: None,
            build_args: &[],
            secrets: &[],
        };
        assert_eq!(
            text(&buildah.build_command(&request)),
            "buildah --storage-driver vfs bud --format docker --isolation chroot --pull=never \
             -f /tmp/x/Dockerfile -t dfmigrate-verify-1-original app"
        );
    }

    #[test]
    fn configured_storage_and_isolation_are_respected() {
        let buildah = Buildah::with_settings(&Environment {
            storage_configured: true,
            isolation: Some("oci".to_owned()),
        });
        assert_eq!(text(&buildah.command(["images"])), "buildah images");
        let request = BuildRequest {
            dockerfile: Path::new("D"),
            context: Path::new("."),
            tag: "t",
            ignore_file: Some(Path::new("/tmp/x/D.dockerignore")),
            build_args: &[],
            secrets: &["NPM_TOKEN".to_owned()],
        };
        let line = text(&buildah.build_command(&request));
        assert!(line.contains("--isolation oci"));
        assert!(
            line.contains(
                "--ignorefile /tmp/x/D.dockerignore --secret id=NPM_TOKEN,env=NPM_TOKEN -f D"
            ),
            "{line}"
        );
    }

    #[test]
    fn run_keeps_the_containers_user_and_passes_argv_verbatim() {
        let buildah = Buildah::with_settings(&Environment::default());
        let argv = [
            "docker-entrypoint.sh".to_owned(),
            "node".to_owned(),
            "a b.js".to_owned(),
        ];
        let line = buildah.run_command("c1", &argv);
        assert_eq!(
            text(&line),
            "buildah --storage-driver vfs run --isolation chroot c1 -- docker-entrypoint.sh node a b.js"
        );
        assert_eq!(line.args.last().unwrap(), "a b.js");
    }

    #[test]
    fn reads_inspect_output() {
        let json = r#"{"Type":"buildah 0.0.1",
            "OCIv1":{"config":{"Cmd":["oci"]}},
            "Docker":{"config":{"Cmd":["node","app.js"],"Healthcheck":{"Test":["NONE"]}}},
            "Manifest":"{\"layers\":[{\"size\":100},{\"size\":23}]}"}"#;
        let info = parse_inspect(json).unwrap();
        assert_eq!(info.size, 123);
        assert_eq!(
            info.config.cmd,
            Some(vec!["node".to_owned(), "app.js".to_owned()])
        );
        assert!(info.config.healthcheck.is_some());
    }

    #[test]
    fn inspect_without_docker_config_uses_oci() {
        let json = r#"{"OCIv1":{"config":{"User":"app"}},"Manifest":"{\"layers\":[]}"}"#;
        assert_eq!(
            parse_inspect(json).unwrap().config.user.as_deref(),
            Some("app")
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse_inspect("not json").is_err());
        assert!(parse_inspect(r#"{"Manifest":"{}"}"#).is_err());
    }

    #[test]
    fn describes_version_and_settings() {
        let info = r#"{"host":{},"store":{"GraphDriverName":"vfs"}}"#;
        assert_eq!(
            describe(
                "buildah version 1.28.2 (image-spec 1.1.0-rc2)",
                info,
                "chroot"
            )
            .unwrap(),
            "buildah 1.28.2 (storage vfs, isolation chroot)"
        );
    }
}
