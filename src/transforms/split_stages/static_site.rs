//! Static file servers a Node.js image may run (`serve`, `http-server`): which folder they
//! serve and how, and the runtime stage on a web server image whose nginx site serves it the
//! same way.

use super::facts::Facts;
use super::render::{self, Plan};
use super::{checks, SiteDecline};
use crate::knowledge::runtime_stage::RuntimeStage;
use crate::knowledge::RuntimeHints;
use crate::model::paths::{is_within, resolve};

/// The image rule flavour of web server images for static front-end builds.
const STATIC_SITE: &str = "static-site";

/// Where the web server image serves files from and reads its site configuration.
pub(super) const SITE_ROOT: &str = "/usr/share/nginx/html";
pub(super) const SITE_CONFIG: &str = "/etc/nginx/conf.d/default.conf";

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
pub(super) fn read(words: &[String]) -> Option<Result<StaticSite, SiteDecline>> {
    let words = without_npx(words)?;
    let (program, arguments) = words.split_first()?;
    let name = program.rsplit('/').next().unwrap_or(program);
    let name = name.split('@').next().unwrap_or(name);
    let (server, options): (&'static str, _) = match name {
        "serve" => ("serve", read_serve(arguments)),
        "http-server" => ("http-server", read_http_server(arguments)),
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
        return Some(Err(SiteDecline::FolderPattern { server, folder }));
    }
    let Some(port) = options.port else {
        return Some(Err(SiteDecline::NoPort { server }));
    };
    if port < 1024 {
        return Some(Err(SiteDecline::PrivilegedPort { server, port }));
    }
    if let Some(target) = &options.proxy {
        if !is_self_fallback(target, port) {
            return Some(Err(SiteDecline::Proxy {
                server,
                target: target.clone(),
            }));
        }
    }
    Some(Ok(StaticSite {
        folder,
        port,
        single_page: options.single_page || options.proxy.is_some(),
        compress: options.compress,
        cors: options.cors,
        cache_control: options.cache_control,
        server,
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
        .take_while(|w| RuntimeStage::builtin().is_npx_flag(w))
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
    server: &'static str,
    name: &str,
    attached: Option<&str>,
    words: &mut impl Iterator<Item = &'w String>,
) -> Result<String, SiteDecline> {
    attached
        .map(str::to_owned)
        .or_else(|| words.next().cloned())
        .ok_or_else(|| SiteDecline::MissingValue {
            server,
            option: name.to_owned(),
        })
}

/// Splits `--name=value` into its name and value.
fn split_option(word: &str) -> (&str, Option<&str>) {
    match word.split_once('=') {
        Some((name, value)) if name.starts_with("--") => (name, Some(value)),
        _ => (word, None),
    }
}

/// `serve [options] [folder]` (vercel/serve); without a folder it serves the working directory.
fn read_serve(arguments: &[String]) -> Result<Options, SiteDecline> {
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
                    return Err(SiteDecline::SeveralEndpoints);
                }
                options.port = Some(listen_port(&value()?)?);
            }
            "-u" | "--no-compression" => options.compress = false,
            "-C" | "--cors" => options.cors = true,
            flag if RuntimeStage::builtin().is_inert_flag("serve", flag) => {}
            option if option.starts_with('-') => {
                return Err(SiteDecline::UnknownOption {
                    server: "serve",
                    option: option.to_owned(),
                })
            }
            folder => set_folder(&mut options, folder, "serve")?,
        }
    }
    Ok(options)
}

/// `http-server [folder] [options]`; without a folder it serves `./public` when that exists,
/// else the working directory, which the Dockerfile cannot tell apart. Its option parser
/// (minimist) declares no flags: a flag followed by a word takes that word as its value.
fn read_http_server(arguments: &[String]) -> Result<Options, SiteDecline> {
    let mut options = Options {
        cache_control: Some("max-age=3600".to_owned()),
        ..Options::default()
    };
    let mut words = arguments.iter().peekable();
    while let Some(word) = words.next() {
        let inert = |flag: &str| RuntimeStage::builtin().is_inert_flag("http-server", flag);
        if (inert(word) || word == "--cors")
            && words.peek().is_some_and(|next| !next.starts_with('-'))
        {
            return Err(SiteDecline::FlagTakesWord { flag: word.clone() });
        }
        let (name, attached) = split_option(word);
        let mut value = || option_value("http-server", name, attached, &mut words);
        match name {
            "-p" | "--port" => options.port = Some(port_number(&value()?)?),
            "-a" => {
                let address = value()?;
                if !is_any_address(&address) {
                    return Err(SiteDecline::OneAddress {
                        server: "http-server",
                        address,
                    });
                }
            }
            "-e" | "--ext" if value()? == "html" => {}
            "-P" | "--proxy" => options.proxy = Some(value()?),
            "--cors" if attached.is_none() => options.cors = true,
            // Logging and pre-compressed variants change no response body.
            flag if inert(flag) => {}
            option if option.starts_with("-c") && is_cache_time(&option[2..]) => {
                options.cache_control = Some(cache_control(&option[2..]));
            }
            "-c" => {
                let seconds = value()?;
                if !is_cache_time(&seconds) {
                    return Err(SiteDecline::CacheTime { seconds });
                }
                options.cache_control = Some(cache_control(&seconds));
            }
            option if option.starts_with('-') => {
                return Err(SiteDecline::UnknownOption {
                    server: "http-server",
                    option: option.to_owned(),
                })
            }
            folder => set_folder(&mut options, folder, "http-server")?,
        }
    }
    Ok(options)
}

fn set_folder(
    options: &mut Options,
    folder: &str,
    server: &'static str,
) -> Result<(), SiteDecline> {
    if options.folder.is_some() {
        return Err(SiteDecline::SeveralFolders { server });
    }
    options.folder = Some(folder.to_owned());
    Ok(())
}

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
fn listen_port(endpoint: &str) -> Result<u16, SiteDecline> {
    let Some(address) = endpoint.strip_prefix("tcp://") else {
        return port_number(endpoint);
    };
    let (host, port) =
        address
            .rsplit_once(':')
            .ok_or_else(|| SiteDecline::EndpointWithoutPort {
                endpoint: endpoint.to_owned(),
            })?;
    if !is_any_address(host) {
        return Err(SiteDecline::OneAddress {
            server: "serve",
            address: endpoint.to_owned(),
        });
    }
    port_number(port)
}

fn port_number(value: &str) -> Result<u16, SiteDecline> {
    value
        .parse::<u16>()
        .ok()
        .filter(|port| *port > 0)
        .ok_or_else(|| SiteDecline::NotAPort {
            value: value.to_owned(),
        })
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

/// A Node.js stage whose command only serves a folder of static files (`serve -s build`):
/// that folder on the web server image of the `static-site` image rule (an unprivileged
/// nginx) configured to serve it the same way. `None` when the command is no such server
/// or no web server image is known for the builder image.
pub(super) fn plan(
    facts: &Facts,
    command: &[String],
    workdir: Option<&str>,
) -> Result<Option<Plan>, SiteDecline> {
    let Some(site) = read(command) else {
        return Ok(None);
    };
    let web_hints = RuntimeHints {
        flavour: Some(STATIC_SITE.to_owned()),
        ..RuntimeHints::default()
    };
    let Some(web) = facts.knowledge.runtime_for(&facts.stage.base, &web_hints) else {
        return Ok(None);
    };
    let plain = facts
        .knowledge
        .runtime_for(&facts.stage.base, &RuntimeHints::default());
    if plain.as_ref() == Some(&web) {
        return Ok(None);
    }
    let site = site?;
    let Some(app) = workdir.filter(|w| *w != "/") else {
        return Err(SiteDecline::NoWorkdir {
            server: site.server,
            folder: site.folder,
        });
    };
    let folder = resolve(app, &site.folder);
    if folder == app {
        return Ok(None);
    }
    if !is_within(app, &folder) {
        return Err(SiteDecline::OutsideApplication {
            server: site.server,
            folder,
        });
    }
    checks::check_static_site(facts, &web, &site)?;
    Ok(Some(render::static_site_plan(facts, &web, &site, &folder)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(command: &str) -> Option<Result<StaticSite, SiteDecline>> {
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
