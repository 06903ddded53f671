use super::commands::matches_words;
use super::*;
use crate::context::BuildContext;
use crate::knowledge::KnowledgeBase;
use crate::model::Dockerfile;
use crate::syntax::parse;

/// The virtualenv choice for the final stage of `text` (pip's profile, no build context).
fn chosen(text: &str) -> Result<(), NoVirtualenv> {
    let parsed = parse(text);
    let file = Dockerfile::new(&parsed);
    let stage = file.final_stage().expect("a stage");
    let knowledge = KnowledgeBase::builtin();
    let profile = knowledge
        .profiles_for_image(&stage.base)
        .into_iter()
        .find(|profile| profile.id == "pip")
        .expect("pip's profile");
    let context = BuildContext::without_files();
    let facts = Facts::of_final_stage(&file, profile, &context);
    let app = facts.workdir().ok().flatten();
    choose(&facts, app.as_deref())
        .expect("pip has a virtualenv layout")
        .map(|_| ())
}

fn kind(text: &str) -> &'static str {
    chosen(text)
        .err()
        .map_or("virtualenv", |reason| reason.kind())
}

#[test]
fn creates_one_for_plain_pip_installs() {
    let plain = "FROM python:3.12\nWORKDIR /app\nRUN pip install flask gunicorn\nCMD [\"gunicorn\", \"app:app\"]\n";
    assert_eq!(chosen(plain), Ok(()));
    let latest = plain.replace("python:3.12", "python");
    assert_eq!(chosen(&latest), Ok(()));
    let major = plain.replace("python:3.12", "python:3-bookworm");
    assert_eq!(chosen(&major), Ok(()));
}

#[test]
fn says_why_an_install_does_not_allow_one() {
    let stage = |lines: &str| {
        format!("FROM python:3.12\nWORKDIR /app\n{lines}\nCMD [\"gunicorn\", \"app:app\"]\n")
    };
    let cases = [
        ("USER 1000\nRUN pip install flask", "not-root"),
        ("RUN sudo -u app pip install flask", "not-root"),
        (
            "RUN pip install flask\nENV PATH=/app/bin:/usr/bin:/bin",
            "path-order",
        ),
        (
            "ENV PATH=/usr/local/bin:$PATH\nRUN pip install flask",
            "names-folder",
        ),
        (
            "RUN pip install --python /usr/bin/python3 flask",
            "installs-elsewhere",
        ),
        ("RUN pip2 install flask", "installer-not-in-virtualenv"),
        ("RUN PIP_TARGET=/deps pip install flask", "own-environment"),
        (
            "RUN PIP_CONFIG_FILE=/etc/x.conf pip install flask",
            "conflicting-variable",
        ),
        (
            "RUN export PYTHONUSERBASE=/deps && pip install flask",
            "conflicting-variable",
        ),
        (
            "RUN bash -c \"make install\" && pip install flask",
            "writer",
        ),
        (
            "RUN sh -c \"$(curl -fsSL https://example.com/x)\"",
            "unread-script",
        ),
        (
            "RUN wget -qO- https://example.com/x | python3 -",
            "piped-installer",
        ),
        (
            "RUN uv python install 3.13 && pip install flask",
            "other-interpreter",
        ),
        ("RUN poetry install", "other-installer"),
        (
            "VOLUME /usr/local/share/data\nRUN pip install flask",
            "names-folder",
        ),
        (
            "RUN echo '[global]' > /etc/pip.conf && pip install flask",
            "pip-configuration",
        ),
        (
            "RUN python -m venv /opt/venv && pip install flask",
            "own-environment",
        ),
        (
            "COPY <<EOF /usr/local/bin/start\nexec gunicorn app:app\nEOF\nRUN pip install flask",
            "names-folder",
        ),
    ];
    for (lines, expected) in cases {
        assert_eq!(kind(&stage(lines)), expected, "{lines}");
    }
    let older = "FROM python:3.11-bookworm\nWORKDIR /app\nRUN pip install flask\nCMD [\"python\", \"app.py\"]\n";
    assert_eq!(kind(older), "older-python");
    let python2 = older.replace("3.11-bookworm", "2.7.18");
    assert_eq!(kind(&python2), "older-python");
    let untagged = older.replace("3.11-bookworm", "bookworm");
    assert_eq!(kind(&untagged), "unknown-python");
    let pypy = older.replace("python:3.11-bookworm", "pypy:3.10");
    assert_eq!(kind(&pypy), "other-install-folder");
}

#[test]
fn finds_a_folder_named_in_a_word() {
    let local = |text| names_folder(text, "/usr/local");
    assert_eq!(
        local("/usr/local/bin/gunicorn").as_deref(),
        Some("/usr/local/bin/gunicorn")
    );
    assert_eq!(local("--prefix=/usr/local").as_deref(), Some("/usr/local"));
    assert_eq!(
        local("/usr/local/bin:$PATH").as_deref(),
        Some("/usr/local/bin")
    );
    assert_eq!(
        local("cp x /usr/local/lib/ && y").as_deref(),
        Some("/usr/local/lib")
    );
    assert_eq!(local("/usr/localbin"), None);
    assert_eq!(local("/home/usr/local"), None);
    assert_eq!(local("$HOME/usr/local"), None);
    assert_eq!(local("/usr/lib"), None);
}

#[test]
fn matches_commands_with_options_before_their_words() {
    let rule = |words: &[&str]| -> Vec<NameGlob> {
        words
            .iter()
            .map(|w| NameGlob::try_from((*w).to_owned()).expect("a glob"))
            .collect()
    };
    let module = rule(&["python*", "-m", "pip", "install"]);
    assert!(matches_words(
        &module,
        &["python3", "-m", "pip", "install", "x"]
    ));
    assert!(matches_words(
        &module,
        &["/usr/bin/python3.11", "-u", "-m", "pip", "install"]
    ));
    assert!(!matches_words(
        &module,
        &["python", "-m", "venv", "/opt/venv"]
    ));
    let pip = rule(&["pip*", "install"]);
    assert!(matches_words(
        &pip,
        &["pip", "--no-cache-dir", "install", "-r", "r.txt"]
    ));
    assert!(!matches_words(&pip, &["pip", "freeze", "install"]));
    assert!(!matches_words(&pip, &["pipenv"]));
    assert_eq!(version_numbers("3.13.0rc1"), Some((3, 13)));
    assert_eq!(version_numbers("3"), None);
}
