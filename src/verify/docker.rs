//! Docker and podman: the same command-line interface (`build`, `image inspect`, `create` +
//! `export`, `run`, `rmi`), talking to a daemon (Docker) or not (podman).

use super::engines::{BuildRequest, ContainerEngine, RootFs, Service};
use super::image::{ImageConfig, ImageInfo};
use super::process::{self, CommandLine, Finished};
use anyhow::{bail, Context as _, Result};
use serde::Deserialize;
use std::ffi::OsString;

/// `docker` or `podman`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DockerLike {
    program: &'static str,
    description: String,
}

impl DockerLike {
    /// The engine `program` (`docker` or `podman`), checked to be installed and answering.
    pub fn detect(program: &'static str) -> Result<DockerLike> {
        if !process::on_path(program) {
            bail!("{program} is not installed");
        }
        let engine = DockerLike::new(program);
        let version = process::stdout_of(&engine.version_command())
            .with_context(|| format!("{program} does not answer (is its daemon running?)"))?;
        Ok(DockerLike {
            description: format!("{program} {version}"),
            ..engine
        })
    }

    /// The engine without checking it (for command construction).
    pub fn new(program: &'static str) -> DockerLike {
        DockerLike {
            program,
            description: program.to_owned(),
        }
    }

    fn command<I, S>(&self, args: I) -> CommandLine
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        CommandLine::new(self.program, args)
    }

    /// The server's version for Docker (the daemon builds), the client's for podman.
    pub fn version_command(&self) -> CommandLine {
        let format = if self.program == "docker" {
            "{{.Server.Version}}"
        } else {
            "{{.Client.Version}}"
        };
        self.command(["version", "--format", format])
    }

    /// `build -f FILE -t TAG CONTEXT`; podman also keeps Docker's image format (HEALTHCHECK)
    /// and is given the Dockerfile's own ignore file, which Docker's BuildKit finds beside it.
    pub fn build_command(&self, request: &BuildRequest) -> CommandLine {
        let mut args: Vec<OsString> = vec!["build".into()];
        if self.program == "podman" {
            args.extend(["--format".into(), "docker".into()]);
            if let Some(ignore_file) = request.ignore_file {
                args.extend(["--ignorefile".into(), ignore_file.into()]);
            }
        }
        args.extend(super::buildah::secret_args(request));
        args.extend([
            "-f".into(),
            request.dockerfile.into(),
            "-t".into(),
            request.tag.into(),
            request.context.into(),
        ]);
        self.command(args)
    }

    /// `run --rm --entrypoint PROGRAM IMAGE ARGS...`: runs exactly `argv`, not the image's
    /// entrypoint.
    pub fn run_command(&self, image: &str, argv: &[String]) -> Result<CommandLine> {
        let Some((program, args)) = argv.split_first() else {
            bail!("nothing to run");
        };
        let mut all: Vec<OsString> = vec![
            "run".into(),
            "--rm".into(),
            "--entrypoint".into(),
            program.into(),
            image.into(),
        ];
        all.extend(args.iter().map(OsString::from));
        Ok(self.command(all))
    }

    /// `run --network host --name NAME IMAGE`: the image's own ENTRYPOINT and CMD, as its USER,
    /// on this machine's network (as buildah's chroot isolation runs it), in the foreground.
    pub fn serve_command(&self, image: &str, name: &str) -> CommandLine {
        self.command(["run", "--network", "host", "--name", name, image])
    }
}

impl ContainerEngine for DockerLike {
    fn description(&self) -> &str {
        &self.description
    }

    fn build(&self, request: &BuildRequest) -> Result<Finished> {
        process::run(&self.build_command(request))
    }

    fn inspect(&self, image: &str) -> Result<ImageInfo> {
        let json = process::stdout_of(&self.command(["image", "inspect", image]))?;
        parse_inspect(&json)
            .with_context(|| format!("cannot read `{} image inspect {image}`", self.program))
    }

    fn filesystem(&self, image: &str) -> Result<RootFs> {
        let container = process::stdout_of(&self.command(["create", image]))?;
        let container = container
            .lines()
            .last()
            .context("no container id printed")?
            .to_owned();
        let exported = export(self, &container);
        let removed = process::run_ok(&self.command(["rm", &container]));
        let copy = exported?;
        removed?;
        let path = copy.path().join("rootfs");
        Ok(RootFs::new(path, Vec::new(), Some(copy)))
    }

    fn run(&self, image: &str, argv: &[String]) -> Result<Finished> {
        process::run(&self.run_command(image, argv)?)
    }

    fn serve(&self, image: &str, _argv: &[String]) -> Result<Service> {
        let name = format!("{}-probe", image.replace(['/', ':', '@'], "-"));
        Service::spawn(
            &self.serve_command(image, &name),
            false,
            vec![self.command(["stop", "--time", "10", &name])],
            vec![self.command(["rm", "--force", &name])],
        )
    }

    fn remove_image(&self, image: &str) -> Result<()> {
        process::run_ok(&self.command(["rmi", image])).map(|_| ())
    }
}

/// Exports a container's files into a new temporary folder (`rootfs/` inside it).
fn export(engine: &DockerLike, container: &str) -> Result<tempfile::TempDir> {
    let copy = tempfile::tempdir()?;
    let archive = copy.path().join("rootfs.tar");
    let rootfs = copy.path().join("rootfs");
    std::fs::create_dir(&rootfs)?;
    process::run_ok(&engine.command([
        OsString::from("export"),
        "-o".into(),
        archive.clone().into(),
        container.into(),
    ]))?;
    process::run_ok(&CommandLine::new(
        "tar",
        [
            OsString::from("-x"),
            "-f".into(),
            archive.clone().into(),
            "-C".into(),
            rootfs.into(),
        ],
    ))?;
    std::fs::remove_file(&archive)?;
    Ok(copy)
}

/// One entry of `docker image inspect`'s array.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InspectEntry {
    #[serde(default)]
    config: Option<ImageConfig>,
    #[serde(default)]
    size: u64,
}

/// The configuration and size from `docker image inspect` / `podman image inspect`.
pub fn parse_inspect(json: &str) -> Result<ImageInfo> {
    let entries: Vec<InspectEntry> = serde_json::from_str(json)?;
    let entry = entries
        .into_iter()
        .next()
        .context("no image in the output")?;
    Ok(ImageInfo {
        config: entry.config.unwrap_or_default(),
        size: entry.size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn request() -> BuildRequest<'static> {
        BuildRequest {
            dockerfile: Path::new("/tmp/d/Dockerfile"),
            context: Path::new("app"),
            tag: "dfmigrate-verify-1-rewrite",
            ignore_file: Some(Path::new("/tmp/d/Dockerfile.dockerignore")),
            build_args: &[],
            secrets: &[],
        }
    }

    #[test]
    fn docker_build_command() {
        assert_eq!(
            DockerLike::new("docker")
                .build_command(&request())
                .display(),
            "docker build -f /tmp/d/Dockerfile -t dfmigrate-verify-1-rewrite app"
        );
    }

    #[test]
    fn podman_build_keeps_docker_format() {
        assert_eq!(
            DockerLike::new("podman")
                .build_command(&request())
                .display(),
            "podman build --format docker --ignorefile /tmp/d/Dockerfile.dockerignore -f /tmp/d/Dockerfile -t dfmigrate-verify-1-rewrite app"
        );
    }

    #[test]
    fn run_replaces_the_entrypoint_with_the_program() {
        let argv = ["node".to_owned(), "--version".to_owned()];
        assert_eq!(
            DockerLike::new("docker")
                .run_command("img", &argv)
                .unwrap()
                .display(),
            "docker run --rm --entrypoint node img --version"
        );
        assert!(DockerLike::new("docker").run_command("img", &[]).is_err());
    }

    #[test]
    fn serve_runs_the_images_own_command_on_the_host_network() {
        assert_eq!(
            DockerLike::new("podman")
                .serve_command("dfmigrate-verify-1-0-rewrite", "n")
                .display(),
            "podman run --network host --name n dfmigrate-verify-1-0-rewrite"
        );
    }

    #[test]
    fn version_asks_the_daemon_for_docker() {
        assert!(DockerLike::new("docker")
            .version_command()
            .display()
            .contains("{{.Server.Version}}"));
        assert!(DockerLike::new("podman")
            .version_command()
            .display()
            .contains("{{.Client.Version}}"));
    }

    #[test]
    fn reads_image_inspect() {
        let json = r#"[{"Id":"sha256:1","Size":4096,
            "Config":{"Cmd":["nginx","-g","daemon off;"],"StopSignal":"SIGQUIT",
                      "ExposedPorts":{"80/tcp":{}},"Env":null}}]"#;
        let info = parse_inspect(json).unwrap();
        assert_eq!(info.size, 4096);
        assert_eq!(info.config.stop_signal.as_deref(), Some("SIGQUIT"));
        assert!(info.config.exposed_ports.is_some());
    }

    #[test]
    fn empty_or_bad_inspect_is_an_error() {
        assert!(parse_inspect("[]").is_err());
        assert!(parse_inspect("{").is_err());
    }
}
