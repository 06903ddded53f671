//! `KnowledgeBase::with_overrides`: user profiles and image rules from `dfmigrate.toml`.

use dfmigrate::knowledge::{Distro, KnowledgeBase, RuntimeHints};
use dfmigrate::model::ImageRef;

fn overrides(text: &str) -> Result<KnowledgeBase, String> {
    let table: toml::Table = text.parse().expect("test TOML");
    KnowledgeBase::with_overrides(&table).map_err(|e| e.to_string())
}

#[test]
fn adds_image_rules_before_builtin_ones() {
    let knowledge = overrides(
        r#"
        [[images]]
        image = "registry.corp/node"
        runtime = "registry.corp/node-runtime:{tag}"
        user = "app"
        distro = "debian"

        [[images]]
        image = "python"
        tag = '3\.12'
        runtime = "registry.corp/python:3.12-hardened"
        "#,
    )
    .expect("valid");
    let runtime = knowledge
        .runtime_for(
            &ImageRef::parse("registry.corp/node:20"),
            &RuntimeHints::default(),
        )
        .expect("mapped");
    assert_eq!(runtime.reference, "registry.corp/node-runtime:20");
    assert_eq!(runtime.user.as_deref(), Some("app"));
    assert_eq!(runtime.distro, Distro::Debian);
    let python = knowledge.runtime_for(&ImageRef::parse("python:3.12"), &RuntimeHints::default());
    assert_eq!(
        python.map(|r| r.reference).as_deref(),
        Some("registry.corp/python:3.12-hardened")
    );
    let node = knowledge.runtime_for(&ImageRef::parse("node:20"), &RuntimeHints::default());
    assert_eq!(node.map(|r| r.reference).as_deref(), Some("node:20-slim"));
}

#[test]
fn adds_and_replaces_profiles() {
    let knowledge = overrides(
        r#"
        [ecosystems.bun]
        name = "Bun"
        images = ["oven/bun"]
        files = { manifests = ["package.json"], locks = ["bun.lockb", "bun.lock"] }
        detect = { all = ["package.json"], any = ["bun.lockb", "bun.lock"] }

        [[ecosystems.bun.commands]]
        match = ["bun", "install"]
        needs = "manifests"
        positionals = "none"

        [ecosystems.npm]
        name = "npm (corp)"
        files = { manifests = ["package.json"] }
        detect = { all = ["package.json"] }
        "#,
    )
    .expect("valid");
    let builtin = KnowledgeBase::builtin();
    assert_eq!(knowledge.profiles().len(), builtin.profiles().len() + 1);
    assert_eq!(
        knowledge.profile("npm").map(|p| p.name.as_str()),
        Some("npm (corp)")
    );
    let text = "bun install --frozen-lockfile";
    let script = dfmigrate::model::shell::lex(text);
    let found = knowledge
        .match_command(&script.commands[0], text)
        .expect("bun matches");
    assert_eq!(found.profile.id, "bun");
    assert!(builtin.profile("bun").is_none());
}

#[test]
fn ignores_unrelated_keys() {
    let knowledge = overrides("[transforms.deps-first]\nenabled = true\n").expect("valid");
    assert_eq!(
        knowledge.profiles().len(),
        KnowledgeBase::builtin().profiles().len()
    );
}

#[test]
fn errors_name_the_key() {
    let cases = [
        ("ecosystems = 3", "ecosystems:"),
        ("[ecosystems.bun]\nname = \"Bun\"\n", "ecosystems.bun:"),
        (
            "[ecosystems.bun]\nname = \"Bun\"\nfiles = {}\ndetect = { all = [\"a\"] }\ncolour = 1\n",
            "ecosystems.bun:",
        ),
        (
            "[ecosystems.bun]\nid = \"x\"\nname = \"Bun\"\nfiles = {}\ndetect = { all = [\"a\"] }\n",
            "ecosystems.bun.id:",
        ),
        (
            "[ecosystems.bun]\nname = \"Bun\"\nfiles = {}\ndetect = {}\n",
            "ecosystems.bun.detect:",
        ),
        (
            "[ecosystems.bun]\nname = \"Bun\"\nfiles = { manifests = [\"[x\"] }\ndetect = { all = [\"a\"] }\n",
            "ecosystems.bun.files.manifests:",
        ),
        (
            "[ecosystems.bun]\nname = \"Bun\"\nfiles = {}\ndetect = { all = [\"a\"] }\n[[ecosystems.bun.commands]]\nmatch = []\nneeds = \"manifests\"\n",
            "ecosystems.bun.commands[0].match:",
        ),
        (
            "[ecosystems.bun]\nname = \"Bun\"\nfiles = {}\ndetect = { all = [\"a\"] }\n[[ecosystems.bun.commands]]\nmatch = [\"bun\"]\nneeds = \"everything\"\n",
            "ecosystems.bun:",
        ),
        (
            "[ecosystems.bun]\nname = \"Bun\"\nfiles = {}\ndetect = { all = [\"a\"] }\n[[ecosystems.bun.commands]]\nmatch = [\"bun\", \"build\"]\nneeds = \"sources\"\nsplit = { before = [\"bun install {flags}\"] }\n",
            "ecosystems.bun.commands[0].split:",
        ),
        ("images = 1", "images:"),
        ("[[images]]\nimage = \"node\"\nruntime = \"node:{version}-slim\"\n", "images[0].runtime:"),
        ("[[images]]\nimage = \"node\"\ntag = '(unclosed'\nruntime = \"x\"\n", "images[0]:"),
        ("[[images]]\nimage = \"[node\"\nruntime = \"x\"\n", "images[0]:"),
        ("[[images]]\nruntime = \"x\"\n", "images[0]:"),
        ("[[runtimes]]\nimage = \"x\"\ndistro = \"gentoo\"\n", "runtimes[0]:"),
    ];
    for (text, key) in cases {
        let error = overrides(text).expect_err(text);
        assert!(
            error.starts_with(key),
            "{text}\n→ {error}\n(expected key {key})"
        );
    }
}

#[test]
fn artifact_paths_read_values_from_context_files() {
    use dfmigrate::context::BuildContext;
    use dfmigrate::model::shell::lex;
    let knowledge = overrides(
        r#"
        [ecosystems.cargo-named]
        name = "Cargo, binary named after the package"
        files = { manifests = ["Cargo.toml"] }
        detect = { all = ["Cargo.toml"] }
        commands = [{ match = ["cargo", "build"], role = "build", needs = "sources", artifacts = { paths = ["target/release/{toml:Cargo.toml:package.name}"], exact = true } }]
        "#,
    )
    .expect("valid");
    let profile = knowledge.profile("cargo-named").expect("added");
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/context/rust-bin");
    let context = BuildContext::open(&root, None).expect("fixture context");
    let text = "cargo build --release";
    let found = profile
        .match_command(&lex(text).commands[0], text)
        .expect("matches");
    let artifacts = found.artifacts(&context).expect("resolved from Cargo.toml");
    assert_eq!(
        (artifacts.paths, artifacts.exact),
        (vec!["target/release/hello-bin".to_owned()], true)
    );
    assert!(
        found.artifacts(&BuildContext::without_files()).is_none(),
        "no Cargo.toml, no value"
    );
}
