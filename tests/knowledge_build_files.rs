//! Build-only files of build contexts (`build_files` in images.toml and the profiles'
//! `[runtime]`): what a split's runtime stage does not receive from the build stage.

use dfmigrate::knowledge::{ContextPattern, KnowledgeBase};

fn build_only(profile: &str, path: &str) -> bool {
    let knowledge = KnowledgeBase::builtin();
    knowledge.is_build_file(path, knowledge.profile(profile))
}

#[test]
fn patterns_match_names_anywhere_or_paths_from_the_root() {
    let name = ContextPattern::try_from("*.go".to_owned()).expect("valid");
    assert!(name.matches("main.go"));
    assert!(name.matches("internal/web/handlers.go"));
    assert!(!name.matches("templates/index.tmpl"));
    let folder = ContextPattern::try_from("testdata".to_owned()).expect("valid");
    assert!(folder.matches("pkg/testdata/golden.json"));
    let rooted = ContextPattern::try_from("/vendor".to_owned()).expect("valid");
    assert!(rooted.matches("vendor/github.com/x/x.go"));
    assert!(!rooted.matches("static/vendor/jquery.js"));
    let path = ContextPattern::try_from("src/test".to_owned()).expect("valid");
    assert!(path.matches("src/test/resources/data.json"));
    assert!(!path.matches("core/src/test/x.json"));
    assert!(!path.matches("src/main/resources/app.yml"));
}

#[test]
fn sources_build_files_and_tests_stay_behind() {
    for (profile, path) in [
        ("go", "cmd/api/main.go"),
        ("go", "go.sum"),
        ("go", "vendor/modules.txt"),
        ("go", "internal/parse/testdata/in.txt"),
        ("cargo", "src/main.rs"),
        ("cargo", "Cargo.lock"),
        ("cargo", "target/release/app"),
        ("maven", "src/main/java/App.java"),
        ("maven", "src/test/resources/fixture.json"),
        ("maven", ".mvn/wrapper/maven-wrapper.properties"),
        ("gradle", "app/build.gradle.kts"),
        ("gradle", "gradle/wrapper/gradle-wrapper.jar"),
        ("dotnet", "Api/Api.csproj"),
        ("dotnet", "Api/obj/project.assets.json"),
        ("dotnet", "Api/Properties/launchSettings.json"),
        ("go", "Dockerfile"),
        ("go", "api.Dockerfile"),
        ("go", ".dockerignore"),
        ("cargo", "README.md"),
        ("cargo", ".github/workflows/ci.yml"),
        ("go", "docs/index.md"),
        ("go", "tests/e2e.sh"),
        ("pip", "requirements.txt"),
        ("npm", "package-lock.json"),
    ] {
        assert!(build_only(profile, path), "{profile}: {path}");
    }
}

#[test]
fn what_applications_read_at_run_time_goes_to_the_runtime() {
    for (profile, path) in [
        ("go", "templates/index.tmpl"),
        ("go", "static/vendor/jquery.js"),
        ("go", ".env"),
        ("go", "config.yaml"),
        ("go", "migrations/0001_init.sql"),
        ("cargo", "Rocket.toml"),
        ("cargo", "src/schema.sql"),
        ("maven", "conf/application.conf"),
        ("maven", "src/main/resources/application.yml"),
        ("gradle", "public/index.html"),
        ("dotnet", "appsettings.json"),
        ("dotnet", "wwwroot/css/site.css"),
        ("go", "web/docs/index.html"),
        ("pip", "app/settings.toml"),
    ] {
        assert!(!build_only(profile, path), "{profile}: {path}");
    }
}
