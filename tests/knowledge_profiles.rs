//! Ecosystem profiles: the embedded data, command matching, split techniques, artifacts, hooks
//! and build-only packages.

use dfmigrate::context::BuildContext;
use dfmigrate::knowledge::{KnowledgeBase, Needs, NoSplit, ReadFiles, Role};
use dfmigrate::model::shell::lex;
use std::path::Path;

fn fixture(name: &str) -> BuildContext {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/context")
        .join(name);
    BuildContext::open(&root, None).expect("fixture context")
}

#[test]
fn every_data_file_is_embedded() {
    let knowledge = KnowledgeBase::builtin();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("transforms/ecosystems");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .expect("ecosystems folder")
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".toml").map(str::to_owned)
        })
        .collect();
    on_disk.sort();
    let mut embedded: Vec<String> = knowledge.profiles().iter().map(|p| p.id.clone()).collect();
    embedded.sort();
    assert_eq!(on_disk, embedded);
    let orders: Vec<u32> = knowledge.profiles().iter().map(|p| p.order).collect();
    let distinct = orders.windows(2).all(|pair| pair[0] < pair[1]);
    assert!(
        distinct && orders[0] > 0,
        "each file has its own `order`: {orders:?}"
    );
}

/// (command, profile, needs, role)
const MATCHES: &[(&str, &str, Needs, Role)] = &[
    ("npm ci", "npm", Needs::Manifests, Role::Install),
    (
        "npm install --production",
        "npm",
        Needs::Manifests,
        Role::Install,
    ),
    (
        "NODE_ENV=production npm ci --omit dev",
        "npm",
        Needs::Manifests,
        Role::Install,
    ),
    ("npm install express", "npm", Needs::Sources, Role::Install),
    ("npm run build", "npm", Needs::Sources, Role::Build),
    (
        "yarn install --frozen-lockfile",
        "yarn-classic",
        Needs::Manifests,
        Role::Install,
    ),
    ("yarn", "yarn-classic", Needs::Manifests, Role::Install),
    (
        "pnpm install --frozen-lockfile",
        "pnpm",
        Needs::Manifests,
        Role::Install,
    ),
    (
        "pip install --no-cache-dir -r requirements.txt",
        "pip",
        Needs::Manifests,
        Role::Install,
    ),
    (
        "/usr/local/bin/pip3 install -r requirements/prod.txt",
        "pip",
        Needs::Manifests,
        Role::Install,
    ),
    (
        "python -m pip install -r requirements.txt",
        "pip",
        Needs::Manifests,
        Role::Install,
    ),
    ("pip install -e .", "pip", Needs::Sources, Role::Install),
    (
        "pip install -r requirements.txt -e .",
        "pip",
        Needs::Sources,
        Role::Install,
    ),
    ("pip install .", "pip", Needs::Sources, Role::Install),
    // Package names and local paths, told apart as pip does.
    ("pip3 install -U pip", "pip", Needs::Nothing, Role::Install),
    (
        "pip install --no-cache-dir gunicorn==23.0.0 'uvicorn[standard]>=0.30'",
        "pip",
        Needs::Nothing,
        Role::Install,
    ),
    (
        "python -m pip install --upgrade pip setuptools wheel",
        "pip",
        Needs::Nothing,
        Role::Install,
    ),
    (
        "pip install torch -f https://download.pytorch.org/whl/torch_stable.html",
        "pip",
        Needs::Nothing,
        Role::Install,
    ),
    (
        "pip install -e git+https://github.com/org/lib.git#egg=lib",
        "pip",
        Needs::Nothing,
        Role::Install,
    ),
    (
        "pip install 'lib @ git+https://github.com/org/lib.git'",
        "pip",
        Needs::Nothing,
        Role::Install,
    ),
    (
        "pip install ./libs/shared",
        "pip",
        Needs::Sources,
        Role::Install,
    ),
    ("pip install libs/", "pip", Needs::Sources, Role::Install),
    (
        "pip install ./wheels/app.whl",
        "pip",
        Needs::Sources,
        Role::Install,
    ),
    // An absolute path may come from another stage: deps-first checks it against the copy.
    (
        "pip install /wheels/app.whl",
        "pip",
        Needs::Nothing,
        Role::Install,
    ),
    (
        "pip install app-1.0.tar.gz",
        "pip",
        Needs::Sources,
        Role::Install,
    ),
    (
        "pip install App-1.0-py3-none-any.WHL",
        "pip",
        Needs::Sources,
        Role::Install,
    ),
    (
        "pip install 'app @ file:///src/app'",
        "pip",
        Needs::Nothing,
        Role::Install,
    ),
    (
        "pip install --no-index -f ./wheels flask",
        "pip",
        Needs::Sources,
        Role::Install,
    ),
    (
        "pip install --find-links=wheels/ flask",
        "pip",
        Needs::Sources,
        Role::Install,
    ),
    (
        "pip install ~/src/app",
        "pip",
        Needs::Sources,
        Role::Install,
    ),
    (
        "pip install -r requirements.txt gunicorn",
        "pip",
        Needs::Manifests,
        Role::Install,
    ),
    (
        "pip install -c constraints.txt flask",
        "pip",
        Needs::Manifests,
        Role::Install,
    ),
    (
        "uv pip install --system -r requirements.txt",
        "pip",
        Needs::Manifests,
        Role::Install,
    ),
    (
        "pipenv install --deploy --system",
        "pipenv",
        Needs::Manifests,
        Role::Install,
    ),
    (
        "poetry install --no-root --only main",
        "poetry",
        Needs::Manifests,
        Role::Install,
    ),
    (
        "poetry install --no-interaction",
        "poetry",
        Needs::Sources,
        Role::Install,
    ),
    (
        "uv sync --frozen --no-install-project",
        "uv",
        Needs::Manifests,
        Role::Install,
    ),
    ("uv sync --frozen", "uv", Needs::Sources, Role::Install),
    ("go mod download", "go", Needs::Manifests, Role::Install),
    (
        "CGO_ENABLED=0 go build -o /bin/app ./cmd/app",
        "go",
        Needs::Sources,
        Role::Build,
    ),
    (
        "mvn -B dependency:go-offline",
        "maven",
        Needs::Manifests,
        Role::Install,
    ),
    (
        "mvn -B -DskipTests clean package",
        "maven",
        Needs::Sources,
        Role::Build,
    ),
    (
        "./mvnw -f pom.xml package",
        "maven",
        Needs::Sources,
        Role::Build,
    ),
    (
        "./gradlew build --no-daemon",
        "gradle",
        Needs::Sources,
        Role::Build,
    ),
    (
        "gradle bootJar -x test",
        "gradle",
        Needs::Sources,
        Role::Build,
    ),
    (
        "cargo build --release --locked",
        "cargo",
        Needs::Sources,
        Role::Build,
    ),
    ("cargo fetch", "cargo", Needs::Sources, Role::Install),
    (
        "cargo install cargo-watch",
        "cargo",
        Needs::Nothing,
        Role::Install,
    ),
    (
        "bundle install --jobs 4",
        "bundler",
        Needs::Manifests,
        Role::Install,
    ),
    (
        "composer install --no-dev --optimize-autoloader",
        "composer",
        Needs::Sources,
        Role::Install,
    ),
    ("dotnet restore", "dotnet", Needs::Manifests, Role::Install),
    (
        "dotnet publish -c Release -o /app",
        "dotnet",
        Needs::Sources,
        Role::Build,
    ),
];

#[test]
fn recognises_commands() {
    let knowledge = KnowledgeBase::builtin();
    for (text, profile, needs, role) in MATCHES {
        let script = lex(text);
        let found = knowledge
            .match_command(&script.commands[0], text)
            .unwrap_or_else(|| panic!("no match for {text}"));
        assert_eq!(
            (found.profile.id.as_str(), found.needs(), found.rule.role),
            (*profile, *needs, *role),
            "{text}"
        );
    }
}

#[test]
fn ignores_other_commands() {
    let knowledge = KnowledgeBase::builtin();
    for text in [
        "apt-get install -y gcc",
        "echo npm ci",
        "npm test",
        "go test ./...",
        "mvn -v",
    ] {
        let script = lex(text);
        assert!(
            knowledge.match_command(&script.commands[0], text).is_none(),
            "{text}"
        );
    }
}

fn split_of(text: &str, context: &BuildContext) -> (Vec<String>, String) {
    let script = lex(text);
    let found = KnowledgeBase::builtin()
        .match_command(&script.commands[0], text)
        .unwrap_or_else(|| panic!("no match for {text}"));
    let split = found
        .split(context)
        .unwrap_or_else(|why| panic!("no split for {text}: {why:?}"));
    (split.before, split.after)
}

#[test]
fn renders_split_techniques() {
    let none = BuildContext::without_files();
    let cases: &[(&str, &str, &str)] = &[
        (
            "go build -o /bin/app .",
            "go mod download",
            "go build -o /bin/app .",
        ),
        (
            "mvn -B -DskipTests clean package",
            "mvn -B -DskipTests dependency:go-offline",
            "mvn -B -DskipTests clean package",
        ),
        (
            "./gradlew build --no-daemon",
            "./gradlew dependencies --no-daemon",
            "./gradlew build --no-daemon",
        ),
        (
            "poetry install --no-interaction",
            "poetry install --no-root --no-interaction",
            "poetry install --no-interaction",
        ),
        (
            "uv sync --frozen",
            "uv sync --no-install-project --frozen",
            "uv sync --frozen",
        ),
        (
            "composer install --no-dev",
            "composer install --no-scripts --no-autoloader --no-dev",
            "composer install --no-dev",
        ),
        (
            "dotnet publish src/App/App.csproj -c Release -o /app",
            "dotnet restore src/App/App.csproj",
            "dotnet publish src/App/App.csproj -c Release -o /app",
        ),
        (
            "dotnet publish -c Release -r linux-x64 -o out",
            "dotnet restore -r linux-x64",
            "dotnet publish -c Release -r linux-x64 -o out",
        ),
    ];
    for (command, before, after) in cases {
        assert_eq!(
            split_of(command, &none),
            (vec![before.to_string()], after.to_string()),
            "{command}"
        );
    }
}

#[test]
fn cargo_stub_split_needs_the_packages_targets() {
    let text = "cargo build --release";
    let (before, after) = split_of(text, &fixture("rust-bin"));
    assert_eq!(
        before,
        ["mkdir -p src && echo 'fn main() {}' > src/main.rs && cargo build --release && rm -f src/main.rs"]
    );
    assert_eq!(after, "touch src/main.rs && cargo build --release");
    let script = lex(text);
    let found = KnowledgeBase::builtin()
        .match_command(&script.commands[0], text)
        .expect("match");
    assert_eq!(
        found.split(&BuildContext::without_files()).err(),
        Some(NoSplit::Unfit("Cargo.toml cannot be read".to_owned()))
    );
}

/// `pip install -e .` splits only with a `pyproject.toml` that lists its dependencies: without
/// one in the context, the reason says so.
#[test]
fn a_project_install_without_its_manifest_declines_naming_it() {
    let text = "pip install -e .";
    let script = lex(text);
    let found = KnowledgeBase::builtin()
        .match_command(&script.commands[0], text)
        .expect("match");
    assert_eq!(found.needs(), Needs::Sources);
    match found.split(&BuildContext::without_files()).err() {
        Some(NoSplit::Unfit(reason)) => assert!(reason.contains("pyproject.toml"), "{reason}"),
        other => panic!("expected a reason naming pyproject.toml, got {other:?}"),
    }
}

#[test]
fn commands_without_split_decline() {
    for text in [
        "npm install left-pad",
        "cargo build --target x86_64-unknown-linux-musl --release",
    ] {
        let script = lex(text);
        let found = KnowledgeBase::builtin()
            .match_command(&script.commands[0], text)
            .expect("match");
        assert_eq!(found.needs(), Needs::Sources, "{text}");
        assert_eq!(
            found.split(&BuildContext::without_files()).err(),
            Some(NoSplit::NoTechnique),
            "{text}"
        );
    }
}

fn artifacts_of(text: &str, context: &BuildContext) -> Option<(Vec<String>, bool)> {
    let script = lex(text);
    let found = KnowledgeBase::builtin().match_command(&script.commands[0], text)?;
    found.artifacts(context).map(|a| (a.paths, a.exact))
}

#[test]
fn resolves_artifacts() {
    let none = BuildContext::without_files();
    let owned = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        artifacts_of(
            "CGO_ENABLED=0 go build -ldflags '-s -w' -o /bin/app ./cmd/app",
            &none
        ),
        Some((owned(&["/bin/app"]), true))
    );
    assert_eq!(artifacts_of("go build ./...", &none), None);
    assert_eq!(
        artifacts_of("npm run build", &none),
        Some((owned(&["dist", "build"]), false))
    );
    assert_eq!(
        artifacts_of("mvn package", &none),
        Some((owned(&["target"]), false))
    );
    assert_eq!(
        artifacts_of("gradle --no-daemon with-db:r2dbc:installDist", &none),
        Some((owned(&["**/build"]), false))
    );
    assert_eq!(artifacts_of("gradle tasks", &none), None);
    // sbt: the target folder of the project or of a subproject the task is scoped to.
    assert_eq!(
        artifacts_of("sbt clean assembly -batch", &none),
        Some((
            owned(&[
                "target/scala-*/*.jar",
                "*/target/scala-*/*.jar",
                "*/*/target/scala-*/*.jar"
            ]),
            false
        ))
    );
    assert_eq!(
        artifacts_of("sbt clean compile api/stage", &none).map(|(paths, _)| paths[1].clone()),
        Some("*/target/universal/stage".to_owned())
    );
    assert_eq!(
        artifacts_of("sbt pack", &none).map(|(paths, _)| paths[0].clone()),
        Some("target/pack".to_owned())
    );
    assert_eq!(artifacts_of("sbt package", &none), None);
    assert_eq!(
        artifacts_of("dotnet publish -c Release --output=/out", &none),
        Some((owned(&["/out"]), true))
    );
    // `--bin NAME` may build any binary of the package: every file is a candidate and the
    // command that runs it says which.
    assert_eq!(
        artifacts_of(
            "cargo build --release --bin hello-bin",
            &fixture("rust-bin")
        ),
        Some((owned(&["target/release/*"]), false))
    );
}

#[test]
fn detects_profiles_in_contexts() {
    let knowledge = KnowledgeBase::builtin();
    let ids = |context: &BuildContext| -> Vec<String> {
        knowledge
            .detect(context)
            .iter()
            .map(|p| p.id.clone())
            .collect()
    };
    assert_eq!(ids(&fixture("node-hooks")), ["npm"]);
    assert_eq!(ids(&fixture("python-editable")), ["pip"]);
    assert_eq!(ids(&fixture("rust-bin")), ["cargo"]);
    assert!(ids(&BuildContext::without_files()).is_empty());
    let npm = knowledge.profile("npm").expect("npm");
    assert_eq!(
        npm.dependency_files(&fixture("node-hooks")),
        [Path::new("package.json"), Path::new("package-lock.json")]
    );
}

#[test]
fn reports_hooks() {
    let knowledge = KnowledgeBase::builtin();
    let hooks = |id: &str, fixture_name: &str| {
        knowledge
            .profile(id)
            .expect("profile")
            .hooks_present(&fixture(fixture_name))
    };
    assert_eq!(
        hooks("npm", "node-hooks"),
        ["package.json: scripts.postinstall"]
    );
    assert!(hooks("cargo", "rust-bin").is_empty());

    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[workspace]\nmembers = [\"a\"]\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("package.json"), "{ not json").expect("write");
    std::fs::write(
        dir.path().join("Gemfile"),
        "source 'https://rubygems.org'\ngemspec\n",
    )
    .expect("write");
    let context = BuildContext::open(dir.path(), None).expect("open");
    let found = |id: &str| {
        knowledge
            .profile(id)
            .expect("profile")
            .hooks_present(&context)
    };
    // A workspace is not a hook; one whose member has no manifest does not fit Cargo's stub
    // sources.
    assert!(found("cargo").is_empty());
    let stubs = knowledge
        .profile("cargo")
        .and_then(|profile| profile.stubs.as_ref())
        .expect("cargo stubs");
    assert_eq!(
        stubs.stubs(&context).map(|stubs| stubs.stubs),
        Err("a/Cargo.toml cannot be read".to_owned())
    );
    assert!(found("npm")[0].starts_with("package.json: invalid JSON"));
    assert_eq!(found("bundler"), ["Gemfile: line 2: gemspec"]);
}

#[test]
fn build_only_packages() {
    let knowledge = KnowledgeBase::builtin();
    let npm = knowledge.profile("npm");
    let pip = knowledge.profile("pip");
    for package in ["gcc", "build-essential", "libpq-dev", "git", "make", "g++"] {
        assert!(knowledge.is_build_only_package(package, None), "{package}");
    }
    assert!(knowledge.is_build_only_package("python3", npm));
    assert!(!knowledge.is_build_only_package("python3", pip));
    assert!(!knowledge.is_build_only_package("curl", None));
    assert!(!knowledge.is_build_only_package("libpq5", pip));
}

#[test]
fn builder_images_name_profiles() {
    let knowledge = KnowledgeBase::builtin();
    let ids = |image: &str| -> Vec<String> {
        knowledge
            .profiles_for_image(&dfmigrate::model::ImageRef::parse(image))
            .iter()
            .map(|p| p.id.clone())
            .collect()
    };
    assert_eq!(ids("golang:1.22"), ["go"]);
    assert_eq!(
        ids("sbtscala/scala-sbt:eclipse-temurin-21.0.6_7_1.10.11_2.13.16"),
        ["sbt"]
    );
    assert_eq!(ids("mcr.microsoft.com/dotnet/sdk:8.0"), ["dotnet"]);
    assert!(ids("docker.io/library/node:20").contains(&"npm".to_owned()));
    assert!(ids("debian:bookworm").is_empty());
}

/// A context in a temporary folder holding `files` (path, content).
fn temporary_context(files: &[(&str, &str)]) -> (tempfile::TempDir, BuildContext) {
    let dir = tempfile::tempdir().expect("temporary folder");
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("a parent")).expect("folders");
        std::fs::write(full, text).expect("a file");
    }
    let context = BuildContext::open(dir.path(), None).expect("context");
    (dir, context)
}

#[test]
fn dotnet_console_projects_ask_for_the_runtime_flavour() {
    let dotnet = KnowledgeBase::builtin().profile("dotnet").expect("dotnet");
    let console = r#"<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><OutputType>Exe</OutputType></PropertyGroup></Project>"#;
    let web = r#"<Project Sdk="Microsoft.NET.Sdk.Web"></Project>"#;
    let flavour = |files: &[(&str, &str)]| dotnet.runtime_flavour(&temporary_context(files).1, &[]);
    assert_eq!(
        flavour(&[
            ("src/Tool/Tool.csproj", console),
            ("Tool.Tests.csproj", console)
        ])
        .as_deref(),
        Some("runtime")
    );
    assert_eq!(
        flavour(&[("Tool.csproj", console), ("web/Web.csproj", web)]),
        None
    );
    let shared_framework = r#"<Project><ItemGroup><FrameworkReference Include="Microsoft.AspNetCore.App" /></ItemGroup></Project>"#;
    assert_eq!(
        flavour(&[
            ("Tool.csproj", console),
            ("Directory.Build.props", shared_framework)
        ]),
        None,
        "a props file that brings in ASP.NET Core"
    );
    assert_eq!(
        flavour(&[(
            "Tool.csproj",
            "<Project><Sdk Name=\"Microsoft.NET.Sdk\" /></Project>"
        )]),
        None,
        "an SDK named another way"
    );
    assert_eq!(flavour(&[("Program.cs", "")]), None, "no project file");
    let package = r#"<Project Sdk="Microsoft.NET.Sdk"><ItemGroup><PackageReference Include="Yarp.ReverseProxy" Version="2.2.0" /></ItemGroup></Project>"#;
    assert_eq!(
        flavour(&[("Proxy.csproj", package)]),
        None,
        "a package may reference the ASP.NET Core shared framework"
    );
    let (_dir, context) = temporary_context(&[("Tool.csproj", console)]);
    assert_eq!(
        dotnet.runtime_flavour(
            &context,
            &["dotnet add package Swashbuckle.AspNetCore && dotnet publish"]
        ),
        None,
        "a package added by the Dockerfile"
    );
    // A .dockerignore'd project is not part of the build.
    assert_eq!(
        flavour(&[
            ("Tool.csproj", console),
            ("samples/Web.csproj", web),
            (".dockerignore", "samples\n"),
        ])
        .as_deref(),
        Some("runtime")
    );
}

/// What `text` (run in `/app`, where the build context is copied) reads through `[includes]`.
fn files_read(text: &str, context: &BuildContext) -> Option<ReadFiles> {
    let script = lex(text);
    let found = KnowledgeBase::builtin()
        .match_command(&script.commands[0], text)
        .unwrap_or_else(|| panic!("no match for {text}"));
    found.profile.files_read(&found, context, "/app", "/app")
}

#[test]
fn a_name_that_is_a_context_path_may_be_local() {
    let context = fixture("python-editable");
    let text = "pip install setup.py flask";
    let script = lex(text);
    let found = KnowledgeBase::builtin()
        .match_command(&script.commands[0], text)
        .expect("match");
    assert_eq!(found.needs(), Needs::Nothing);
    assert_eq!(found.context_reads(&context, None, None), ["setup.py"]);
    assert_eq!(
        found.context_reads(&context, Some("/app"), Some("/app")),
        ["setup.py"]
    );
    assert!(found
        .context_reads(&context, Some("/"), Some("/app"))
        .is_empty());
    // Absolute paths are checked against where the build context is copied.
    let text = "pip install --no-index --find-links=/wheels -r requirements.txt";
    let script = lex(text);
    let found = KnowledgeBase::builtin()
        .match_command(&script.commands[0], text)
        .expect("match");
    assert_eq!(found.needs(), Needs::Manifests);
    assert!(found
        .context_reads(&context, Some("/app"), Some("/app"))
        .is_empty());
    assert_eq!(
        found.context_reads(&context, Some("/"), Some("/")),
        ["/wheels"]
    );
    assert_eq!(found.context_reads(&context, None, None), ["/wheels"]);
}

#[test]
fn requirement_files_are_followed() {
    let read = files_read(
        "pip install -r requirements.txt",
        &fixture("python-editable"),
    )
    .expect("names files");
    assert_eq!(read.files, ["requirements.txt"]);
    assert_eq!(read.local, ["requirements.txt line 2 (`-e .`)"]);

    let dir = tempfile::tempdir().expect("tempdir");
    let write = |path: &str, text: &str| {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("folder");
        std::fs::write(full, text).expect("write");
    };
    write(
        "requirements/prod.txt",
        "-r base.txt\n-c ../constraints.txt   # pins\n-r https://example.com/extra.txt\ngunicorn\n",
    );
    write(
        "requirements/base.txt",
        "--requirement=common.txt\n--requirement ${EXTRA}.txt\nflask\n",
    );
    write(
        "requirements/common.txt",
        "# a cycle back\n-rprod.txt\n-r /etc/pip/other.txt\n-c missing.txt\nrequests \\\n  >=2\n",
    );
    write("constraints.txt", "flask==3.0.3\n");
    write("requirements/dev.txt", "-r prod.txt\n./tools\n");
    let context = BuildContext::open(dir.path(), None).expect("open");
    let read = files_read(
        "pip install -r requirements/prod.txt --no-cache-dir",
        &context,
    )
    .expect("names files");
    assert_eq!(
        read.files,
        [
            "requirements/prod.txt",
            "requirements/base.txt",
            "constraints.txt",
            "requirements/common.txt",
        ]
    );
    assert!(read.local.is_empty(), "{:?}", read.local);
    assert_eq!(
        read.missing,
        ["requirements/missing.txt (named by requirements/common.txt line 4)"]
    );
    assert_eq!(
        read.unknown,
        [
            "requirements/base.txt line 2 names `${EXTRA}.txt` through a variable",
            "requirements/common.txt line 3 names /etc/pip/other.txt, which the copy of the build context does not provide",
        ]
    );
    let dev = files_read("pip install -r requirements/dev.txt", &context).expect("names files");
    assert_eq!(dev.local, ["requirements/dev.txt line 2 (`./tools`)"]);
    // Absolute paths count only inside the copy of the build context (`/app` here).
    write(
        "requirements/wheels.txt",
        "--find-links file:///wheels\r\n/wheels/lib-1.0-py3-none-any.whl\r\nlib @ file:///app/libs/lib\r\n-e git+https://github.com/org/x.git#egg=x\r\n",
    );
    let wheels =
        files_read("pip install -r requirements/wheels.txt", &context).expect("names files");
    assert_eq!(
        wheels.local,
        ["requirements/wheels.txt line 3 (`lib @ file:///app/libs/lib`)"]
    );
    assert!(files_read("pip install flask", &context).is_none());
    assert!(files_read("npm ci", &context).is_none());
}

#[test]
fn cargo_stubs_cover_every_target_the_package_has() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write(
        "Cargo.toml",
        "[package]\nname = \"ledger\"\n\n[[bin]]\nname = \"import\"\n\n[[bin]]\nname = \"ledger\"\npath = \"./src/cli.rs\"\n\n[dependencies]\nserde = \"1\"\n",
    );
    for file in [
        "src/lib.rs",
        "src/cli.rs",
        "src/bin/import.rs",
        "build.rs",
        "src/main.rs",
    ] {
        write(file, "");
    }
    let context = BuildContext::open(dir.path(), None).expect("open");
    let spec = KnowledgeBase::builtin()
        .profile("cargo")
        .and_then(|profile| profile.stubs.as_ref())
        .expect("cargo stubs");
    let stubs = spec.stubs(&context).expect("stubs");
    assert!(stubs.manifests.is_empty());
    let stubs = stubs.stubs;
    let paths: Vec<&str> = stubs.iter().map(|stub| stub.path.as_str()).collect();
    // Declared bins replace the discovered src/main.rs; the library and build script are found.
    assert_eq!(
        paths,
        ["src/lib.rs", "src/bin/import.rs", "src/cli.rs", "build.rs"]
    );
    assert_eq!(stubs[0].content, "");
    assert_eq!(stubs[1].content, "fn main() {}");

    write(
        "Cargo.toml",
        "[package]\nname = \"ledger\"\n\n[[bin]]\nname = \"gone\"\npath = \"src/gone.rs\"\n",
    );
    let context = BuildContext::open(dir.path(), None).expect("open");
    assert_eq!(
        spec.stubs(&context).map(|stubs| stubs.stubs),
        Err("Cargo.toml: bin root file src/gone.rs is not in the build context".to_owned())
    );

    write(
        "Cargo.toml",
        "[package]\nname = \"ledger\"\n\n[patch.crates-io]\nserde = { path = \"../serde\" }\n",
    );
    let context = BuildContext::open(dir.path(), None).expect("open");
    assert_eq!(
        spec.stubs(&context).map(|stubs| stubs.stubs),
        Err("Cargo.toml: patch.crates-io.serde.path is a local path dependency".to_owned())
    );
}
