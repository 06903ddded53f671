//! Static file servers a Node.js image may run (`serve`, `http-server`): which folder they
//! serve and how, and the runtime stage on a web server image whose nginx site serves it the
//! same way.

use super::{Plan, Split, STATIC_SITE};
use crate::knowledge::{image_name, RuntimeHints, RuntimeImage};
use crate::model::paths::{copy_arguments, is_within, resolve};
use crate::model::ImageRef;
use crate::style::Style;
use crate::syntax::InstructionKind;
use crate::transforms::Edit;

/// Where the web server image serves files from and reads its site configuration.
const SITE_ROOT: &str = "/usr/share/nginx/html";
const SITE_CONFIG: &str = "/etc/nginx/conf.d/default.conf";

/// How a static file server command serves its folder.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct StaticSite {
    /// The served folder as written: relative to the working directory, or absolute.
    pub folder: String,
    pub port: u16,
    /// Paths that name no file get `index.html` (client-side routes of a single-page app).
    pub single_page: bool,
    /// Responses are compressed (`serve` does so unless `--no-compression`).
    pub compress: bool,
    /// `Access-Control-Allow-Origin: *` on every response.
    pub cors: bool,
    /// The `Cache-Control` header the server sends (http-server's `-c`).
    pub cache_control: Option<String>,
    /// The server the command runs, for messages.
    pub server: &'static str,
}

/// A static file server command: `None` when the command runs something else or serves its
/// working directory (the whole application, not a build output); `Err` when it is one whose
/// options have no known nginx equivalent, or that takes its port from `$PORT` (set at run
/// time by many platforms) or from a default that depends on its version.
pub(super) fn read(words: &[String]) -> Option<Result<StaticSite, String>> {
    let words = without_npx(words)?;
    let (program, arguments) = words.split_first()?;
    let name = program.rsplit('/').next().unwrap_or(program);
    let name = name.split('@').next().unwrap_or(name);
    let options = match name {
        "serve" => read_serve(arguments),
        "http-server" => read_http_server(arguments),
        _ => return None,
    };
    let options = match options {
        Ok(options) => options,
        Err(reason) => return Some(Err(reason)),
    };
    let folder = options.folder?;
    if matches!(folder.trim_end_matches('/'), "" | ".") {
        return None;
    }
    if folder.contains(['$', '*', '?', '[']) {
        return Some(Err(format!(
            "{name} serves {folder}, a folder named by a variable or a pattern"
        )));
    }
    let Some(port) = options.port else {
        return Some(Err(format!(
            "{name} is given no port, so it listens on $PORT when set at run time, else on its version's default"
        )));
    };
    if port < 1024 {
        return Some(Err(format!(
            "{name} listens on port {port}, which only root may bind and the web server runs as its own user"
        )));
    }
    if let Some(target) = &options.proxy {
        if !is_self_fallback(target, port) {
            return Some(Err(format!("{name} proxies to {target}")));
        }
    }
    Some(Ok(StaticSite {
        folder,
        port,
        single_page: options.single_page || options.proxy.is_some(),
        compress: options.compress,
        cors: options.cors,
        cache_control: options.cache_control,
        server: if name == "serve" {
            "serve"
        } else {
            "http-server"
        },
    }))
}

/// The command after `npx` and its options (`npx --yes serve …`), or the command itself.
fn without_npx(words: &[String]) -> Option<&[String]> {
    let Some((first, rest)) = words.split_first() else {
        return Some(words);
    };
    if first.rsplit('/').next() != Some("npx") {
        return Some(words);
    }
    let skipped = rest
        .iter()
        .take_while(|w| matches!(w.as_str(), "-y" | "--yes" | "-q" | "--quiet"))
        .count();
    let rest = &rest[skipped..];
    // Other npx options (`-p PACKAGE`, `--`) choose what runs: not read.
    (!rest.first()?.starts_with('-')).then_some(rest)
}

/// What the options of a server command say.
#[derive(Default)]
struct Options {
    folder: Option<String>,
    port: Option<u16>,
    single_page: bool,
    compress: bool,
    cors: bool,
    cache_control: Option<String>,
    /// http-server's `--proxy` target, checked once the port is known.
    proxy: Option<String>,
}

/// The value of option `name`: attached (`--name=value`) or the next word.
fn option_value<'w>(
    server: &str,
    name: &str,
    attached: Option<&str>,
    words: &mut impl Iterator<Item = &'w String>,
) -> Result<String, String> {
    attached
        .map(str::to_owned)
        .or_else(|| words.next().cloned())
        .ok_or_else(|| format!("{server}'s {name} has no value"))
}

/// Splits `--name=value` into its name and value.
fn split_option(word: &str) -> (&str, Option<&str>) {
    match word.split_once('=') {
        Some((name, value)) if name.starts_with("--") => (name, Some(value)),
        _ => (word, None),
    }
}

/// `serve [options] [folder]` (vercel/serve); without a folder it serves the working directory.
fn read_serve(arguments: &[String]) -> Result<Options, String> {
    let mut options = Options {
        compress: true,
        ..Options::default()
    };
    let mut words = arguments.iter();
    while let Some(word) = words.next() {
        let (name, attached) = split_option(word);
        let mut value = || option_value("serve", name, attached, &mut words);
        match name {
            "-s" | "--single" => options.single_page = true,
            "-l" | "--listen" => {
                if options.port.is_some() {
                    return Err("serve listens on more than one endpoint".to_owned());
                }
                options.port = Some(listen_port(&value()?)?);
            }
            "-u" | "--no-compression" => options.compress = false,
            "-C" | "--cors" => options.cors = true,
            "-d"
            | "--debug"
            | "-n"
            | "--no-clipboard"
            | "-L"
            | "--no-request-logging"
            | "--no-port-switching"
            | "--no-etag"
            | "-S"
            | "--symlinks" => {}
            option if option.starts_with('-') => {
                return Err(format!(
                    "serve's option {option} has no known nginx equivalent"
                ))
            }
            folder => set_folder(&mut options, folder, "serve")?,
        }
    }
    Ok(options)
}

/// `http-server [folder] [options]`; without a folder it serves `./public` when that exists,
/// else the working directory, which the Dockerfile cannot tell apart. Its option parser
/// (minimist) declares no flags: a flag followed by a word takes that word as its value.
fn read_http_server(arguments: &[String]) -> Result<Options, String> {
    let mut options = Options {
        cache_control: Some("max-age=3600".to_owned()),
        ..Options::default()
    };
    let mut words = arguments.iter().peekable();
    while let Some(word) = words.next() {
        if (HTTP_SERVER_FLAGS.contains(&word.as_str()) || word == "--cors")
            && words.peek().is_some_and(|next| !next.starts_with('-'))
        {
            return Err(format!(
                "http-server takes the word after {word} as its value, not as the folder"
            ));
        }
        let (name, attached) = split_option(word);
        let mut value = || option_value("http-server", name, attached, &mut words);
        match name {
            "-p" | "--port" => options.port = Some(port_number(&value()?)?),
            "-a" => {
                let address = value()?;
                if !is_any_address(&address) {
                    return Err(format!(
                        "http-server listens on {address} only, which nginx would not copy"
                    ));
                }
            }
            "-e" | "--ext" if value()? == "html" => {}
            "-P" | "--proxy" => options.proxy = Some(value()?),
            "--cors" if attached.is_none() => options.cors = true,
            // Logging and pre-compressed variants change no response body.
            flag if HTTP_SERVER_FLAGS.contains(&flag) => {}
            option if option.starts_with("-c") && is_cache_time(&option[2..]) => {
                options.cache_control = Some(cache_control(&option[2..]));
            }
            "-c" => {
                let seconds = value()?;
                if !is_cache_time(&seconds) {
                    return Err(format!(
                        "http-server's -c {seconds} is not a number of seconds"
                    ));
                }
                options.cache_control = Some(cache_control(&seconds));
            }
            option if option.starts_with('-') => {
                return Err(format!(
                    "http-server's option {option} has no known nginx equivalent"
                ))
            }
            folder => set_folder(&mut options, folder, "http-server")?,
        }
    }
    Ok(options)
}

fn set_folder(options: &mut Options, folder: &str, server: &str) -> Result<(), String> {
    if options.folder.is_some() {
        return Err(format!("{server} is given more than one folder"));
    }
    options.folder = Some(folder.to_owned());
    Ok(())
}

/// http-server flags that change no response body (logging, pre-compressed variants); `--cors`
/// is read on its own.
const HTTP_SERVER_FLAGS: &[&str] = &[
    "-s",
    "--silent",
    "-g",
    "--gzip",
    "-b",
    "--brotli",
    "-U",
    "--utc",
    "--log-ip",
    "--no-dotfiles",
];

/// `-c-1`, `-c3600`: http-server's cache time glued to its option.
fn is_cache_time(value: &str) -> bool {
    let digits = value.strip_prefix('-').unwrap_or(value);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

/// The `Cache-Control` http-server sends for a cache time: none kept for a negative one.
fn cache_control(seconds: &str) -> String {
    if seconds.starts_with('-') {
        "no-cache, no-store, must-revalidate".to_owned()
    } else {
        format!("max-age={seconds}")
    }
}

/// The port of a `serve --listen` endpoint: `3000`, or `tcp://HOST:3000` on every interface.
fn listen_port(endpoint: &str) -> Result<u16, String> {
    let Some(address) = endpoint.strip_prefix("tcp://") else {
        return port_number(endpoint);
    };
    let (host, port) = address
        .rsplit_once(':')
        .ok_or_else(|| format!("serve listens on {endpoint}, which names no port"))?;
    if !is_any_address(host) {
        return Err(format!(
            "serve listens on {endpoint} only, which nginx would not copy"
        ));
    }
    port_number(port)
}

fn port_number(value: &str) -> Result<u16, String> {
    value
        .parse::<u16>()
        .ok()
        .filter(|port| *port > 0)
        .ok_or_else(|| format!("the port {value} is not a literal port number"))
}

fn is_any_address(host: &str) -> bool {
    matches!(host, "" | "0.0.0.0" | "::" | "[::]")
}

/// `http://localhost:8080?`: http-server's way to answer unknown paths with `index.html`.
fn is_self_fallback(target: &str, port: u16) -> bool {
    ["localhost", "127.0.0.1"]
        .iter()
        .any(|host| target == format!("http://{host}:{port}?"))
}

/// The lines of an nginx site that serves the site's files like its server did: on its port
/// (IPv4), `/about` answered with `about.html`, a single-page app's unknown paths with
/// `index.html`, else a `404.html` of the site; UTF-8 text, `.mjs` as JavaScript; compression,
/// CORS and caching headers as it had them; redirects relative to the request (the container's
/// port is not the one clients use).
pub(super) fn nginx_config(site: &StaticSite) -> Vec<String> {
    let mut lines = vec![
        "server {".to_owned(),
        format!("    listen {};", site.port),
        format!("    root {SITE_ROOT};"),
        "    index index.html;".to_owned(),
        "    absolute_redirect off;".to_owned(),
        "    charset utf-8;".to_owned(),
        "    include /etc/nginx/mime.types;".to_owned(),
        "    types { application/javascript mjs; }".to_owned(),
    ];
    if site.compress {
        lines.extend([
            "    gzip on;".to_owned(),
            "    gzip_vary on;".to_owned(),
            "    gzip_types text/css application/javascript application/json image/svg+xml;"
                .to_owned(),
        ]);
    }
    if !site.single_page {
        lines.push("    error_page 404 /404.html;".to_owned());
    }
    lines.push("    location / {".to_owned());
    if site.cors {
        lines.push("        add_header Access-Control-Allow-Origin *;".to_owned());
    }
    if let Some(cache) = &site.cache_control {
        lines.push(format!("        add_header Cache-Control \"{cache}\";"));
    }
    lines.push(if site.single_page {
        "        try_files $uri $uri/index.html /index.html;".to_owned()
    } else {
        "        try_files $uri $uri.html $uri/ =404;".to_owned()
    });
    lines.push("    }".to_owned());
    lines.push("}".to_owned());
    lines
}

impl Split<'_, '_> {
    /// A Node.js stage whose command only serves a folder of static files (`serve -s build`):
    /// that folder on the web server image of the `static-site` image rule (an unprivileged
    /// nginx) configured to serve it the same way. `None` when the command is no such server
    /// or no web server image is known for the builder image.
    pub(super) fn static_site_plan(
        &self,
        command: &[String],
        workdir: Option<&str>,
    ) -> Result<Option<Plan>, String> {
        let Some(site) = read(command) else {
            return Ok(None);
        };
        let web_hints = RuntimeHints {
            flavour: Some(STATIC_SITE.to_owned()),
            ..RuntimeHints::default()
        };
        let Some(web) = self.knowledge.runtime_for(&self.stage.base, &web_hints) else {
            return Ok(None);
        };
        let plain = self
            .knowledge
            .runtime_for(&self.stage.base, &RuntimeHints::default());
        if plain.as_ref() == Some(&web) {
            return Ok(None);
        }
        let site = site?;
        let Some(app) = workdir.filter(|w| *w != "/") else {
            return Err(format!(
                "{} serves {} and the stage sets no WORKDIR, so whether the build made it is unknown",
                site.server, site.folder
            ));
        };
        let folder = resolve(app, &site.folder);
        if folder == app {
            return Ok(None);
        }
        if !is_within(app, &folder) {
            return Err(format!(
                "{} serves {folder}, outside the application folder, which may be mounted at run time",
                site.server
            ));
        }
        self.check_static_site(&web, &site)?;
        let style = Style::detect(self.file.parse());
        let builder = self.builder_name();
        let mut edits: Vec<Edit> = self.name_builder(&builder, &style).into_iter().collect();
        let keyword = |kind| style.keyword(kind);
        let config: Vec<String> = nginx_config(&site)
            .iter()
            .map(|line| format!("'{line}'"))
            .collect();
        let body = [
            format!(
                "{} --from={builder} {}",
                keyword(InstructionKind::Copy),
                copy_arguments(std::slice::from_ref(&folder), SITE_ROOT)
            ),
            format!(
                "{} printf '%s\\n'{}{} > {}",
                keyword(InstructionKind::Run),
                style.line_break(),
                config.join(&style.line_break()),
                SITE_CONFIG
            ),
            format!("{} {}", keyword(InstructionKind::Expose), site.port),
        ];
        // Labels only; the environment too when they use variables.
        let labels_use_variables = self
            .of_kind(InstructionKind::Label)
            .any(|label| label.logical_text().contains('$'));
        let stage = self.stage_text(
            &web.reference,
            &body,
            &[InstructionKind::Label],
            labels_use_variables,
            &style,
        );
        self.append_stage(&mut edits, stage, &style);
        let fallback = if site.single_page {
            ", unknown paths answered with index.html"
        } else {
            ""
        };
        let message = format!(
            "{} ships Node.js to serve static files: build there and serve {folder} with nginx on {} (port {}{fallback}); nginx's own CMD, user and STOPSIGNAL replace the stage's, and its EXPOSE 8080 stays; review the generated site configuration",
            self.stage.base.raw, web.reference, site.port
        ) + &self.pin_note(&web.reference);
        Ok(Some(Plan { message, edits }))
    }

    /// What the web server stage cannot carry over or check: an image other than
    /// nginx-unprivileged (whose configuration is written), an unknown build context or a
    /// serve configuration file in it (headers, rewrites), http-server's basic auth,
    /// SHELL/ONBUILD, a VOLUME or a HEALTHCHECK.
    fn check_static_site(&self, web: &RuntimeImage, site: &StaticSite) -> Result<(), String> {
        if !image_name(&ImageRef::parse(&web.reference)).ends_with("nginx-unprivileged") {
            return Err(format!(
                "the static-site image {} is not nginx-unprivileged, whose configuration dfmigrate writes",
                web.reference
            ));
        }
        if !self.context.has_files() {
            return Err(format!(
                "the build context is not known, so whether a configuration file changes what {} serves is unknown",
                site.server
            ));
        }
        // serve reads rewrites, headers and redirects from serve.json or now.json in the served
        // folder, where front-end builds copy them from anywhere in the sources.
        let configs = ["serve.json", "now.json"];
        let in_context = self
            .context
            .find_files(|name| configs.contains(&name), 20_000)
            .ok_or("the build context has too many files to look for serve.json")?;
        let in_runs = self
            .run_texts()
            .into_iter()
            .any(|text| configs.iter().any(|config| text.contains(config)));
        if site.server == "serve" && (!in_context.is_empty() || in_runs) {
            let named = in_context.first().map_or("serve.json", String::as_str);
            return Err(format!(
                "{named} may configure serve in ways the generated nginx site would not follow"
            ));
        }
        let auth = ["NODE_HTTP_SERVER_USERNAME", "NODE_HTTP_SERVER_PASSWORD"];
        if site.server == "http-server" && auth.iter().any(|name| self.sets_variable(name)) {
            return Err("http-server asks for a password, which nginx would not".to_owned());
        }
        for kind in [
            InstructionKind::Shell,
            InstructionKind::Onbuild,
            InstructionKind::Volume,
            InstructionKind::Healthcheck,
        ] {
            if let Some(instruction) = self.of_kind(kind).next() {
                return Err(format!(
                    "the {} on line {} does not carry over to the web server image",
                    instruction.keyword().value.to_ascii_uppercase(),
                    instruction.start_line()
                ));
            }
        }
        Ok(())
    }

    /// Whether the stage (or a global ARG) defines the variable `name`.
    pub(super) fn sets_variable(&self, name: &str) -> bool {
        let globals = self
            .file
            .instructions()
            .iter()
            .take_while(|i| i.stage.is_none());
        let arguments = globals
            .chain(self.of_kind(InstructionKind::Arg))
            .flat_map(|i| i.arg_definitions())
            .any(|(key, _)| key == name);
        arguments
            || self
                .of_kind(InstructionKind::Env)
                .flat_map(|env| env.pairs())
                .any(|(key, _, _)| key.value == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(command: &str) -> Option<Result<StaticSite, String>> {
        let words: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
        read(&words)
    }

    #[test]
    fn reads_serve_commands() {
        let found = site("npx --yes serve@14 -s build -l tcp://0.0.0.0:5000").unwrap();
        assert_eq!(
            found,
            Ok(StaticSite {
                folder: "build".to_owned(),
                port: 5000,
                single_page: true,
                compress: true,
                cors: false,
                cache_control: None,
                server: "serve",
            })
        );
        assert!(site("serve -s").is_none(), "the working directory");
        assert!(site("serve . -l 3000").is_none());
        assert!(site("node server.js").is_none());
        assert!(site("npx -p serve serve build").is_none());
        for declined in [
            "serve dist",
            "serve -s build -l tcp://localhost:3000",
            "serve build -l 3000 --ssl-cert cert.pem",
            "serve build -l $PORT",
            "serve build -p 3000",
            "serve build -l 80",
            "serve build[1] -l 3000",
            "serve -l 3000 -l 4000 build",
        ] {
            assert!(site(declined).unwrap().is_err(), "{declined}");
        }
    }

    #[test]
    fn reads_http_server_commands() {
        let found = site("http-server ./dist --proxy http://localhost:8081? -p 8081 -c-1")
            .unwrap()
            .unwrap();
        assert_eq!((found.folder.as_str(), found.port), ("./dist", 8081));
        assert!(found.single_page && !found.compress);
        assert_eq!(
            found.cache_control.as_deref(),
            Some("no-cache, no-store, must-revalidate")
        );
        let plain = site("http-server dist -p 8080").unwrap().unwrap();
        assert_eq!(plain.cache_control.as_deref(), Some("max-age=3600"));
        assert!(site("http-server -p 8080").is_none(), "./public or ./");
        for declined in [
            "http-server dist",
            "http-server dist -p 9000 --proxy http://localhost:8080?",
            "http-server dist -p 8080 --proxy http://api:9000",
            "http-server dist -p 8080 -a 127.0.0.1",
            "http-server dist -p 8080 -S",
            "http-server -s dist -p 8080",
            "http-server -p 8080 --cors dist",
        ] {
            assert!(site(declined).unwrap().is_err(), "{declined}");
        }
    }

    #[test]
    fn writes_an_nginx_site() {
        let spa = site("serve -s build -C -l 3000").unwrap().unwrap();
        let config = nginx_config(&spa).join("\n");
        assert!(config.contains("listen 3000;"));
        assert!(config.contains("try_files $uri $uri/index.html /index.html;"));
        assert!(config.contains("add_header Access-Control-Allow-Origin *;"));
        assert!(config.contains("gzip on;") && config.contains("gzip_vary on;"));
        assert!(!config.contains("error_page"));
        let pages = site("http-server public -p 8080").unwrap().unwrap();
        let config = nginx_config(&pages).join("\n");
        assert!(config.contains("error_page 404 /404.html;"));
        assert!(config.contains("try_files $uri $uri.html $uri/ =404;"));
        assert!(config.contains("add_header Cache-Control \"max-age=3600\";"));
        assert!(!config.contains("gzip"));
        assert!(nginx_config(&pages).iter().all(|line| !line.contains('\'')));
    }
}
