//! The users and groups base images ship (`transforms/base-users.toml`), so a transform can tell
//! whether a `USER` names an account an image has or one the build creates.

use super::{image_name, Distro, NameGlob, TagPattern};
use crate::model::ImageRef;
use serde::Deserialize;
use std::sync::OnceLock;

/// The embedded data.
const BASE_USERS: &str = include_str!("../../transforms/base-users.toml");

/// The layout of `base-users.toml`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseUsers {
    /// Programs that create users in a `RUN` (`useradd`, `adduser`).
    pub user_programs: Vec<String>,
    /// Programs that create groups (`groupadd`, `addgroup`).
    pub group_programs: Vec<String>,
    /// How user-creating commands leave the user without a home folder.
    #[serde(default)]
    pub no_home: Vec<NoHome>,
    /// Home folders that do not exist (`/nonexistent`).
    #[serde(default)]
    pub missing_homes: Vec<String>,
    /// Accounts of every image of a distro family.
    #[serde(default)]
    pub distros: Distros,
    /// Accounts particular images add.
    #[serde(default)]
    pub images: Vec<ImageAccounts>,
}

/// Accounts by distro family (the `distro` of images.toml's `[[runtimes]]`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Distros {
    #[serde(default)]
    pub debian: Accounts,
    #[serde(default)]
    pub alpine: Accounts,
    #[serde(default)]
    pub distroless: Accounts,
    #[serde(default)]
    pub other: Accounts,
}

impl Distros {
    fn of(&self, distro: Distro) -> &Accounts {
        match distro {
            Distro::Debian => &self.debian,
            Distro::Alpine => &self.alpine,
            Distro::Distroless => &self.distroless,
            Distro::Other => &self.other,
        }
    }
}

/// User and group names.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accounts {
    #[serde(default)]
    pub users: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
}

/// How one user-creating program says the user gets no home folder.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoHome {
    pub programs: Vec<String>,
    /// Options that create no home.
    pub options: Vec<String>,
    /// Options that make a system user, which gets no home unless `unless` is given too.
    #[serde(default)]
    pub system: Vec<String>,
    /// Options that create the home whatever else is given.
    #[serde(default)]
    pub unless: Vec<String>,
    /// Options that set the home folder.
    #[serde(default)]
    pub home_options: Vec<String>,
    /// Options that take a value.
    #[serde(default)]
    pub value_options: Vec<String>,
    /// Options that set the user id.
    #[serde(default)]
    pub uid_options: Vec<String>,
    /// Whether the program creates the home without being asked (`unless`): shadow's `useradd`
    /// does only where `login.defs` says `CREATE_HOME yes` (RHEL, Fedora), not on Debian and
    /// Ubuntu, so it is `false` there.
    #[serde(default = "creates_home_by_default")]
    pub creates_home: bool,
}

fn creates_home_by_default() -> bool {
    true
}

/// The accounts the images a name glob and tag pattern match have.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageAccounts {
    pub image: NameGlob,
    #[serde(default)]
    pub tag: TagPattern,
    #[serde(flatten)]
    pub accounts: Accounts,
    /// The user id and home folder of its users, where every version of the image agrees.
    #[serde(default)]
    pub ids: std::collections::BTreeMap<String, UserIds>,
}

/// A user's numeric id and home folder.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct UserIds {
    pub uid: u32,
    pub home: String,
}

/// An account kind, for [`KnowledgeBase::image_has_account`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountKind {
    User,
    Group,
}

impl BaseUsers {
    /// The embedded data, parsed on first use.
    pub fn builtin() -> &'static BaseUsers {
        static BUILTIN: OnceLock<BaseUsers> = OnceLock::new();
        BUILTIN.get_or_init(|| match BaseUsers::parse(BASE_USERS) {
            Ok(users) => users,
            // The embedded data is checked by the test suite; failing here is a build defect.
            Err(error) => panic!("transforms/base-users.toml is invalid: {error}"),
        })
    }

    /// Reads a `base-users.toml`.
    pub fn parse(text: &str) -> Result<BaseUsers, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Whether an image of the distro family `distro` has the account `name`.
    pub fn has(&self, image: &ImageRef, distro: Distro, kind: AccountKind, name: &str) -> bool {
        let names = |accounts: &Accounts| match kind {
            AccountKind::User => accounts.users.iter().any(|n| n == name),
            AccountKind::Group => accounts.groups.iter().any(|n| n == name),
        };
        let family = names(self.distros.of(distro));
        let tag = image.tag.as_deref().unwrap_or("latest");
        let name_of_image = image_name(image);
        family
            || self.images.iter().any(|entry| {
                entry.image.matches(&name_of_image)
                    && entry.tag.regex().is_match(tag)
                    && names(&entry.accounts)
            })
    }

    /// The id and home folder of the user `name` an image ships, when known.
    pub fn ids(&self, image: &ImageRef, name: &str) -> Option<&UserIds> {
        let tag = image.tag.as_deref().unwrap_or("latest");
        let name_of_image = image_name(image);
        self.images
            .iter()
            .filter(|entry| entry.image.matches(&name_of_image) && entry.tag.regex().is_match(tag))
            .find_map(|entry| entry.ids.get(name))
    }

    /// How `program` (a base name) says it creates no home, if it creates users.
    pub fn no_home(&self, program: &str) -> Option<&NoHome> {
        self.no_home
            .iter()
            .find(|rule| rule.programs.iter().any(|p| p == program))
    }

    /// Whether `program` (a file name or path) creates accounts of this kind.
    pub fn creates(&self, kind: AccountKind, program: &str) -> bool {
        let name = program.rsplit('/').next().unwrap_or(program);
        let programs = match kind {
            AccountKind::User => &self.user_programs,
            AccountKind::Group => &self.group_programs,
        };
        programs.iter().any(|p| p == name)
    }
}
