//! The users and groups base images ship (`transforms/base-users.toml`), as `split-stages` asks
//! for them when a `USER` must exist in a runtime image.

use dfmigrate::knowledge::{AccountKind, BaseUsers, Distro, KnowledgeBase};
use dfmigrate::model::ImageRef;

fn has(image: &str, kind: AccountKind, name: &str) -> bool {
    let knowledge = KnowledgeBase::builtin();
    let image = ImageRef::parse(image);
    let distro = knowledge
        .image_info(&image)
        .map_or(Distro::Other, |i| i.distro);
    knowledge.image_has_account(&image, distro, kind, name)
}

#[test]
fn base_images_have_their_accounts() {
    use AccountKind::{Group, User};
    let cases: &[(&str, AccountKind, &str, bool)] = &[
        // Debian and Ubuntu: base-passwd.
        ("python:3.12-slim", User, "nobody", true),
        ("python:3.12-slim", Group, "nogroup", true),
        ("python:3.12-slim", User, "www-data", true),
        ("debian:bookworm-slim", User, "nobody", true),
        ("ubuntu:24.04", User, "nobody", true),
        ("eclipse-temurin:17-jre", User, "nobody", true),
        ("python:3.12-slim", User, "node", false),
        ("python:3.12-slim", User, "app", false),
        // Alpine: nobody and nogroup, a www-data group but no such user.
        ("python:3.12-alpine", User, "nobody", true),
        ("python:3.12-alpine", Group, "nogroup", true),
        ("python:3.12-alpine", Group, "nobody", true),
        ("python:3.12-alpine", Group, "www-data", true),
        ("python:3.12-alpine", User, "www-data", false),
        // Distroless: root, nobody and nonroot only.
        ("gcr.io/distroless/static-debian12", User, "nobody", true),
        ("gcr.io/distroless/static-debian12", User, "nonroot", true),
        (
            "gcr.io/distroless/base-debian12:nonroot",
            Group,
            "nonroot",
            true,
        ),
        ("gcr.io/distroless/static-debian12", User, "www-data", false),
        ("gcr.io/distroless/static-debian12", Group, "nogroup", false),
        // Image-specific users, on every variant.
        ("node:20-slim", User, "node", true),
        ("node:20-alpine", Group, "node", true),
        ("node:20-alpine", User, "nobody", true),
        (
            "nginxinc/nginx-unprivileged:stable-alpine-slim",
            User,
            "nginx",
            true,
        ),
        // Unknown families know nothing.
        ("amazoncorretto:17", User, "nobody", false),
    ];
    for (image, kind, name, expected) in cases {
        assert_eq!(
            has(image, *kind, name),
            *expected,
            "{image} {kind:?} {name}"
        );
    }
}

#[test]
fn account_programs() {
    let knowledge = KnowledgeBase::builtin();
    assert!(knowledge.creates_accounts(AccountKind::User, "useradd"));
    assert!(knowledge.creates_accounts(AccountKind::User, "/usr/sbin/adduser"));
    assert!(knowledge.creates_accounts(AccountKind::Group, "addgroup"));
    assert!(!knowledge.creates_accounts(AccountKind::Group, "useradd"));
}

#[test]
fn invalid_data_is_rejected() {
    assert!(BaseUsers::parse("user_programs = []\ngroup_programs = []\n").is_ok());
    let unknown_family =
        "user_programs = []\ngroup_programs = []\n[distros.gentoo]\nusers = [\"root\"]\n";
    assert!(BaseUsers::parse(unknown_family).is_err());
    let unknown_key =
        "user_programs = []\ngroup_programs = []\n[[images]]\nimage = \"x\"\nuser = [\"a\"]\n";
    assert!(BaseUsers::parse(unknown_key).is_err());
}
