//! End-to-end tests of `dfmigrate verify` with real buildah builds of the apps in
//! `tests/e2e/apps/` on stand-in base images (`tests/e2e/stand-in-images.sh`).
//!
//! They need root, buildah and busybox-static. Without them they print `SKIPPED …` and pass,
//! unless `DFMIGRATE_REQUIRE_BUILDAH` is set (CI sets it), in which case they fail.
//! Builds use their own image storage in a temporary folder (`CONTAINERS_STORAGE_CONF`), so
//! they neither see nor touch the machine's images.

mod common;

use dfmigrate::model::Dockerfile;
use dfmigrate::syntax::parse;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Instant;

/// The shared image storage, with every stand-in image the apps and their rewrites use.
struct Storage {
    _dir: tempfile::TempDir,
    conf: PathBuf,
}

fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e")
}

/// Why buildah builds cannot run here, if they cannot.
fn missing_requirement() -> Option<String> {
    let on_path = |program: &str| {
        std::env::var_os("PATH").is_some_and(|path| {
            std::env::split_paths(&path).any(|folder| folder.join(program).is_file())
        })
    };
    if !on_path("buildah") {
        return Some("buildah is not installed (apt-get install buildah)".to_owned());
    }
    if !Path::new("/bin/busybox").is_file() {
        return Some("no /bin/busybox (apt-get install busybox-static)".to_owned());
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let root = status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        == Some("0");
    (!root).then(|| "not running as root".to_owned())
}

/// Builds run one at a time: the machine has few cores, and concurrent `buildah run`s in one
/// storage were once seen to lose a smoke command's output.
static SERIAL: Mutex<()> = Mutex::new(());

/// The storage and the build lock, or `None` (with a printed reason) when builds cannot run
/// here.
fn storage(test: &str) -> Option<(&'static Storage, MutexGuard<'static, ()>)> {
    if let Some(reason) = missing_requirement() {
        common::skipped(test, &reason);
        assert!(
            std::env::var_os("DFMIGRATE_REQUIRE_BUILDAH").is_none(),
            "DFMIGRATE_REQUIRE_BUILDAH is set but {reason}"
        );
        return None;
    }
    static STORAGE: OnceLock<Storage> = OnceLock::new();
    let guard = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Some((STORAGE.get_or_init(make_storage), guard))
}

fn make_storage() -> Storage {
    let dir = tempfile::tempdir().expect("temporary folder");
    let conf = dir.path().join("storage.conf");
    let text = format!(
        "[storage]\ndriver = \"vfs\"\ngraphroot = \"{root}/graph\"\nrunroot = \"{root}/run\"\n",
        root = dir.path().display()
    );
    std::fs::write(&conf, text).expect("storage.conf");
    let images: Vec<String> = base_images().into_iter().collect();
    let started = Instant::now();
    let output = Command::new(e2e_dir().join("stand-in-images.sh"))
        .args(&images)
        .env("CONTAINERS_STORAGE_CONF", &conf)
        .output()
        .expect("run stand-in-images.sh");
    assert!(
        output.status.success(),
        "stand-in-images.sh failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!(
        "{} stand-in images in {:.1}s",
        images.len(),
        started.elapsed().as_secs_f64()
    );
    Storage { _dir: dir, conf }
}

/// Every Dockerfile the tests build: the apps, their rewrites, the negative cases.
fn all_dockerfiles() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    for app in apps() {
        let path = app.join("Dockerfile");
        let text = std::fs::read_to_string(&path).expect("app Dockerfile");
        files.push((path.clone(), rewrite(&path)));
        files.push((path, text));
    }
    for folder in ["negative", "broken-original"] {
        for entry in std::fs::read_dir(e2e_dir().join(folder)).expect("e2e folder") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|ext| ext == "Dockerfile")
                || path.file_name().is_some_and(|name| name == "Dockerfile")
            {
                let text = std::fs::read_to_string(&path).expect("Dockerfile");
                files.push((path, text));
            }
        }
    }
    files
}

/// The base images of all of them (stages and `scratch` excluded).
fn base_images() -> BTreeSet<String> {
    let mut images = BTreeSet::new();
    for (_, text) in all_dockerfiles() {
        let parsed = parse(&text);
        let file = Dockerfile::new(&parsed);
        for stage in file.stages() {
            if stage.base_stage.is_none() && !stage.base.is_scratch() {
                images.insert(stage.base.raw.clone());
            }
        }
    }
    images
}

/// The app folders, sorted.
fn apps() -> Vec<PathBuf> {
    let mut apps: Vec<PathBuf> = std::fs::read_dir(e2e_dir().join("apps"))
        .expect("apps folder")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.join("Dockerfile").is_file())
        .collect();
    apps.sort();
    apps
}

/// What `dfmigrate --unsafe` makes of a Dockerfile.
fn rewrite(path: &Path) -> String {
    let text = std::fs::read(path).expect("Dockerfile");
    let mut child = Command::new(env!("CARGO_BIN_EXE_dfmigrate"))
        .args(["--write", "--unsafe", "--stdin-filename"])
        .arg(path)
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run dfmigrate");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&text)
        .expect("write stdin");
    let output = child.wait_with_output().expect("dfmigrate output");
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// The smoke command of an app, from `tests/e2e/smoke.tsv`.
fn smoke_of(app: &str) -> String {
    let table = std::fs::read_to_string(e2e_dir().join("smoke.tsv")).expect("smoke.tsv");
    table
        .lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| line.split_once('\t').filter(|(name, _)| *name == app))
        .map(|(_, command)| command.to_owned())
        .unwrap_or_else(|| panic!("no smoke command for {app} in smoke.tsv"))
}

fn verify(storage: &Storage, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dfmigrate"))
        .arg("verify")
        .args(args)
        .env("CONTAINERS_STORAGE_CONF", &storage.conf)
        .output()
        .expect("run dfmigrate verify")
}

/// `dfmigrate verify` with one more variable in its environment.
fn verify_with_env(storage: &Storage, args: &[&str], (name, value): (&str, &str)) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dfmigrate"))
        .arg("verify")
        .args(args)
        .env("CONTAINERS_STORAGE_CONF", &storage.conf)
        .env(name, value)
        .output()
        .expect("run dfmigrate verify")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The images in the test storage whose name contains `part`.
fn images_named(storage: &Storage, part: &str) -> Vec<String> {
    let output = Command::new("buildah")
        .args(["images", "--format", "{{.Name}}"])
        .env("CONTAINERS_STORAGE_CONF", &storage.conf)
        .output()
        .expect("buildah images");
    text(&output.stdout)
        .lines()
        .filter(|line| line.contains(part))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_app_verifies_equivalent_after_unsafe_rewrites() {
    let Some((storage, _serial)) = storage("every_app_verifies_equivalent_after_unsafe_rewrites")
    else {
        return;
    };
    let mut failures = Vec::new();
    for app in apps() {
        let dockerfile = app.join("Dockerfile");
        let name = app.file_name().expect("app name").to_string_lossy();
        let smoke = smoke_of(&name);
        let args = [
            "--unsafe",
            "--smoke",
            smoke.trim(),
            dockerfile.to_str().expect("UTF-8 path"),
        ];
        let equivalent = |output: &Output| {
            output.status.code() == Some(0) && text(&output.stdout).contains(": equivalent (")
        };
        let mut output = verify(storage, &args);
        if !equivalent(&output) {
            // buildah's chroot runs were seen to lose a command's output, or fail a step without
            // a message, when the machine was busy: a rewrite that is really different stays
            // different the second time, and the first verdict is printed.
            eprintln!(
                "{}: not equivalent on the first run, verifying once more:\n{}",
                app.display(),
                text(&output.stdout)
            );
            output = verify(storage, &args);
        }
        let stdout = text(&output.stdout);
        eprint!("{stdout}");
        if !equivalent(&output) {
            failures.push(format!(
                "{}: exit {:?}\n{stdout}{}",
                app.display(),
                output.status.code(),
                text(&output.stderr)
            ));
        }
        failures.extend(missing_cache_drops(&name, &stdout));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        images_named(storage, "dfmigrate-verify"),
        Vec::<String>::new()
    );
}

/// Apps whose final image kept a package cache that the rewrite mounts instead (cache-mounts),
/// and the folder verify must report gone from the rewrite.
const CACHES_LEFT_OUT: &[(&str, &str)] = &[
    ("python-cache", "/root/.cache/pip"),
    ("debian-worker", "/var/lib/apt"),
];

/// Why an app's verdict does not show its package cache left out of the rewrite, if it should.
fn missing_cache_drops(app: &str, stdout: &str) -> Option<String> {
    let (_, folder) = CACHES_LEFT_OUT.iter().find(|(name, _)| *name == app)?;
    let note = stdout
        .lines()
        .find(|line| line.contains(&format!("note: package cache {folder}: ")));
    let listed = stdout.contains(&format!("package cache: {folder}/"));
    let gone = note.is_some_and(|note| note.contains("files in the original, none in the rewrite"));
    (!(listed && gone))
        .then(|| format!("{app}: the {folder} cache is not reported left out:\n{stdout}"))
}

/// `node-context` holds an editor folder, a host `node_modules` and an `.env`: the fixes create a
/// `.dockerignore`, which verify builds the rewrite with (never writing it into the app folder),
/// listing what it leaves out of the image as expected.
#[test]
fn a_new_ignore_file_is_built_with_and_what_it_excludes_is_expected() {
    let Some((storage, _serial)) =
        storage("a_new_ignore_file_is_built_with_and_what_it_excludes_is_expected")
    else {
        return;
    };
    let app = e2e_dir().join("apps/node-context");
    let output = verify(
        storage,
        &[
            "--unsafe",
            "--select",
            "dockerignore,secrets-in-context",
            "--smoke",
            "node server.js",
            app.join("Dockerfile").to_str().expect("UTF-8 path"),
        ],
    );
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    for expected in [
        ": equivalent (",
        "note: built with the created ignore file",
        "excluded by the new ignore file: /app/.env, /app/.idea",
    ] {
        assert!(stdout.contains(expected), "no `{expected}` in:\n{stdout}");
    }
    assert!(
        !app.join(".dockerignore").exists(),
        "verify wrote into the build context"
    );
}

/// `alpine-token` reads `$DOWNLOAD_TOKEN` from its environment in a RUN: with the variable set,
/// verify builds the original with `--build-arg` and the rewrite (the build argument made a
/// build secret, read from `/run/secrets`) with `--secret`; the smoke command prints what the
/// RUN received, so a rewrite that mounts the secret without reading it is DIFFERENT.
#[test]
fn a_build_argument_made_a_secret_reaches_the_rewrite() {
    let Some((storage, _serial)) = storage("a_build_argument_made_a_secret_reaches_the_rewrite")
    else {
        return;
    };
    let app = e2e_dir().join("apps/alpine-token/Dockerfile");
    let app = app.to_str().expect("UTF-8 path");
    let smoke = "cat /opt/tool/manifest.txt";
    let token = ("DOWNLOAD_TOKEN", "s3cret");
    let select = [
        "--unsafe",
        "--select",
        "secrets-in-args",
        "--smoke",
        smoke,
        app,
    ];
    let output = verify_with_env(storage, &select, token);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    for expected in [
        ": equivalent (",
        "build argument DOWNLOAD_TOKEN given from the environment",
    ] {
        assert!(stdout.contains(expected), "no `{expected}` in:\n{stdout}");
    }
    let broken = e2e_dir().join("negative/alpine-token-secret-not-read.Dockerfile");
    let against = [
        "--against",
        broken.to_str().expect("UTF-8 path"),
        "--smoke",
        smoke,
        app,
    ];
    let output = verify_with_env(storage, &against, token);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("DIFFERENT")
            && stdout.contains("token of 6 characters")
            && stdout.contains("token of 0 characters"),
        "{stdout}"
    );
}

#[test]
fn broken_rewrites_are_reported_different() {
    let Some((storage, _serial)) = storage("broken_rewrites_are_reported_different") else {
        return;
    };
    let cases = [
        (
            "go-api-missing-artifact",
            "go-api",
            "missing /usr/local/bin/api",
        ),
        (
            "python-flask-lost-env",
            "python-flask",
            "ENV APP_ENV: production → (unset)",
        ),
        (
            "node-express-changed-cmd",
            "node-express",
            r#"CMD: ["/bin/sh","-c","node server.js"] → ["node","routes.js"]"#,
        ),
        (
            "node-express-lost-modules",
            "node-express",
            "missing /app/node_modules/express/index.js",
        ),
        (
            "java-maven-does-not-build",
            "java-maven",
            "the rewrite does not build",
        ),
        (
            "debian-pidfile-workdir-not-writable",
            "debian-pidfile",
            "smoke `./run.sh`: exit code 0 → exit code 1",
        ),
    ];
    let mut failures = Vec::new();
    for (case, app, expected) in cases {
        let broken = e2e_dir().join(format!("negative/{case}.Dockerfile"));
        let original = e2e_dir().join(format!("apps/{app}/Dockerfile"));
        let smoke = smoke_of(app);
        let output = verify(
            storage,
            &[
                "--against",
                broken.to_str().expect("UTF-8 path"),
                "--smoke",
                smoke.trim(),
                original.to_str().expect("UTF-8 path"),
            ],
        );
        let stdout = text(&output.stdout);
        eprint!("{stdout}");
        if output.status.code() != Some(1)
            || !stdout.contains("DIFFERENT")
            || !stdout.contains(expected)
        {
            failures.push(format!(
                "{case}: expected exit 1 and `{expected}`, got {:?}:\n{stdout}{}",
                output.status.code(),
                text(&output.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        images_named(storage, "dfmigrate-verify"),
        Vec::<String>::new()
    );
}

#[test]
fn smoke_catches_a_changed_runtime_and_keep_keeps_images() {
    let Some((storage, _serial)) = storage("smoke_catches_a_changed_runtime_and_keep_keeps_images")
    else {
        return;
    };
    let app = e2e_dir().join("apps/python-flask");
    let broken = e2e_dir().join("negative/python-flask-lost-env.Dockerfile");
    let output = verify(
        storage,
        &[
            "--keep",
            "--against",
            broken.to_str().expect("UTF-8 path"),
            "--smoke",
            "python app.py",
            app.join("Dockerfile").to_str().expect("UTF-8 path"),
        ],
    );
    let stdout = text(&output.stdout);
    assert!(stdout.contains("smoke `python app.py`: output"), "{stdout}");
    let kept = images_named(
        storage,
        &format!("dfmigrate-verify-{}", output_pid(&output)),
    );
    assert_eq!(kept.len(), 2, "{kept:?}\n{}", text(&output.stderr));
    let removed = Command::new("buildah")
        .arg("rmi")
        .args(&kept)
        .env("CONTAINERS_STORAGE_CONF", &storage.conf)
        .status()
        .expect("buildah rmi");
    assert!(removed.success());
}

/// The process id in the kept image names printed on stderr.
fn output_pid(output: &Output) -> String {
    let stderr = text(&output.stderr);
    stderr
        .split("dfmigrate-verify-")
        .nth(1)
        .and_then(|rest| rest.split('-').next())
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_failing_original_is_an_error_naming_the_build() {
    let Some((storage, _serial)) = storage("a_failing_original_is_an_error_naming_the_build")
    else {
        return;
    };
    let dockerfile = e2e_dir().join("broken-original/Dockerfile");
    let output = verify(storage, &[dockerfile.to_str().expect("UTF-8 path")]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("build of the original failed"), "{stderr}");
    assert!(
        stderr.contains("npm ci needs a package-lock.json"),
        "{stderr}"
    );
    assert!(stderr.contains("engine: buildah"), "{stderr}");
}
