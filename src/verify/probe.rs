//! `verify --probe PORT[/PATH]`: behaviour, not only files. Each image runs its own command
//! (ENTRYPOINT + CMD) as its own USER in its own WORKDIR, one image at a time on the host's
//! network; once PORT answers, PATH is requested with an HTTP GET, and the status, Content-Type
//! and body of the original and of the rewrite must be the same. A rewrite that never answers
//! (it exits, for example because its user cannot write its pid file, or a native library is
//! missing) is a difference that quotes how it ended and the last lines it printed.
//!
//! The HTTP client is deliberately small (std::net): one `GET` with `Connection: close`, the
//! response read to its end, `Content-Length` and chunked bodies understood.

use super::engines::{ContainerEngine, Service};
use super::image::ImageConfig;
use super::process;
use super::report::{self, Verdict};
use anyhow::{bail, Result};
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::str::FromStr;
use std::time::{Duration, Instant};

/// The longest a single request may take once the port accepts connections.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection attempt to a port may take.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// Pause between two attempts while the server starts.
const RETRY_PAUSE: Duration = Duration::from_millis(250);
/// How long a stopped server may take to release its ports.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(15);
/// The largest response read (a probe compares pages, not downloads).
const MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;
/// Lines of a server's output quoted when it does not answer.
const OUTPUT_LINES: usize = 10;

/// One `--probe PORT[/PATH]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    pub port: u16,
    /// Starts with `/`.
    pub path: String,
}

impl FromStr for Probe {
    type Err = String;

    fn from_str(text: &str) -> Result<Probe, String> {
        let (port, path) = match text.find('/') {
            Some(at) => (&text[..at], &text[at..]),
            None => (text, "/"),
        };
        let port: u16 = port
            .parse()
            .ok()
            .filter(|port| *port != 0)
            .ok_or_else(|| format!("`{text}`: expected PORT[/PATH] with PORT in 1-65535"))?;
        if let Some(bad) = path
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || *c == '#')
        {
            return Err(format!(
                "`{text}`: the path may not contain {bad:?} (encode it as %XX)"
            ));
        }
        Ok(Probe {
            port,
            path: path.to_owned(),
        })
    }
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.port, self.path)
    }
}

/// An HTTP response, as far as it is compared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// What one image did for one probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Response(Response),
    /// It did not answer: why, and the last lines the server printed.
    Silent {
        reason: String,
        output: Vec<String>,
    },
}

/// Runs the probes against the original, then against the rewrite, and records what differs.
/// An original that does not answer is an error: there is nothing to compare with.
pub fn probe_both(
    engine: &dyn ContainerEngine,
    probes: &[Probe],
    timeout: Duration,
    before: (&str, &ImageConfig),
    after: (&str, &ImageConfig),
    verdict: &mut Verdict,
) -> Result<()> {
    let before_answers = run_image(engine, before.0, before.1, probes, timeout)?;
    for (probe, answer) in probes.iter().zip(&before_answers) {
        if let Answer::Silent { reason, output } = answer {
            bail!(
                "probe {probe}: the original does not answer ({reason}){}",
                output_block(output)
            );
        }
    }
    let after_answers = run_image(engine, after.0, after.1, probes, timeout)?;
    for ((probe, before), after) in probes.iter().zip(&before_answers).zip(&after_answers) {
        compare(probe, before, after, verdict);
    }
    Ok(())
}

/// Starts an image's own command, asks every probe, stops it and waits for its ports to close.
fn run_image(
    engine: &dyn ContainerEngine,
    image: &str,
    config: &ImageConfig,
    probes: &[Probe],
    timeout: Duration,
) -> Result<Vec<Answer>> {
    let argv = command_line(config);
    if argv.is_empty() {
        bail!("--probe: the image has no ENTRYPOINT or CMD to run");
    }
    let mut ports: Vec<u16> = probes.iter().map(|probe| probe.port).collect();
    ports.sort_unstable();
    ports.dedup();
    for &port in &ports {
        if port_answers(port) {
            bail!(
                "--probe: port {port} already answers on this machine before the image runs; \
                 stop what listens there or probe another port"
            );
        }
    }
    let mut service = engine.serve(image, &argv)?;
    let deadline = Instant::now() + timeout;
    let answers = probes
        .iter()
        .map(|probe| ask(&mut service, probe, deadline, timeout))
        .collect();
    service.stop();
    let released = Instant::now() + RELEASE_TIMEOUT;
    for &port in &ports {
        while port_answers(port) {
            if Instant::now() > released {
                bail!("--probe: port {port} still answers after the server was stopped");
            }
            std::thread::sleep(RETRY_PAUSE);
        }
    }
    Ok(answers)
}

/// The command a container of the image runs: ENTRYPOINT followed by CMD, as given.
pub fn command_line(config: &ImageConfig) -> Vec<String> {
    let mut argv = config.entrypoint.clone().unwrap_or_default();
    argv.extend(config.cmd.clone().unwrap_or_default());
    argv
}

/// Waits for the probe's port and requests its path, until the server exits or time runs out.
fn ask(service: &mut Service, probe: &Probe, deadline: Instant, timeout: Duration) -> Answer {
    let mut last_error: Option<String> = None;
    loop {
        if let Some(code) = service.exit_code() {
            return Answer::Silent {
                reason: format!(
                    "it exited ({}) before port {} answered",
                    process::exit_description(code),
                    probe.port
                ),
                output: last_lines(&service.output(), OUTPUT_LINES),
            };
        }
        match get(probe) {
            Ok(response) => return Answer::Response(response),
            Err(error) => {
                if error.kind() != io::ErrorKind::ConnectionRefused {
                    last_error = Some(error.to_string());
                }
            }
        }
        if Instant::now() >= deadline {
            let detail = last_error.map_or_else(String::new, |error| format!(" (last: {error})"));
            return Answer::Silent {
                reason: format!(
                    "port {} did not answer within {}s{detail}",
                    probe.port,
                    timeout.as_secs()
                ),
                output: last_lines(&service.output(), OUTPUT_LINES),
            };
        }
        std::thread::sleep(RETRY_PAUSE);
    }
}

/// The loopback addresses a server bound to this machine answers on.
fn loopback(port: u16) -> [SocketAddr; 2] {
    [
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
        SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
    ]
}

/// Connects to the port on 127.0.0.1, else on ::1.
fn connect(port: u16) -> io::Result<TcpStream> {
    let mut last = io::Error::from(io::ErrorKind::ConnectionRefused);
    for address in loopback(port) {
        match TcpStream::connect_timeout(&address, CONNECT_TIMEOUT) {
            Ok(stream) => return Ok(stream),
            Err(error) => last = error,
        }
    }
    Err(last)
}

/// Whether something accepts connections on the port of this machine.
fn port_answers(port: u16) -> bool {
    connect(port).is_ok()
}

/// `GET PATH` on the port, read to the end of the response.
fn get(probe: &Probe) -> io::Result<Response> {
    let mut stream = connect(probe.port)?;
    stream.set_read_timeout(Some(REQUEST_TIMEOUT))?;
    stream.set_write_timeout(Some(REQUEST_TIMEOUT))?;
    stream.write_all(request_text(probe).as_bytes())?;
    let mut bytes = Vec::new();
    stream.take(MAX_RESPONSE_BYTES).read_to_end(&mut bytes)?;
    parse_response(&bytes).map_err(|message| io::Error::new(io::ErrorKind::InvalidData, message))
}

/// The request: HTTP/1.1, one connection per request.
pub fn request_text(probe: &Probe) -> String {
    format!(
        "GET {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nUser-Agent: dfmigrate-verify\r\n\
         Accept: */*\r\nConnection: close\r\n\r\n",
        probe.path, probe.port
    )
}

/// Reads a whole response: status line, headers, and a body delimited by `Content-Length`,
/// chunked encoding or the end of the connection.
pub fn parse_response(bytes: &[u8]) -> Result<Response, String> {
    if bytes.is_empty() {
        return Err("empty response (the connection was closed)".to_owned());
    }
    let head_end = find(bytes, b"\r\n\r\n").ok_or("incomplete response head")?;
    let head = std::str::from_utf8(&bytes[..head_end]).map_err(|_| "response head is not text")?;
    let rest = &bytes[head_end + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let (version, code) = (parts.next().unwrap_or_default(), parts.next());
    if !version.starts_with("HTTP/") {
        return Err(format!(
            "not an HTTP response: {:?}",
            report::excerpt(status_line)
        ));
    }
    let status = code
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let mut content_type = None;
    let mut length = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-type" => content_type = Some(value.to_owned()),
            "content-length" => {
                length = Some(
                    value
                        .parse::<usize>()
                        .map_err(|_| format!("bad Content-Length {value:?}"))?,
                );
            }
            "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
            _ => {}
        }
    }
    let body = if chunked {
        decode_chunked(rest)?
    } else if let Some(length) = length {
        if rest.len() < length {
            return Err(format!("body cut short: {} of {length} bytes", rest.len()));
        }
        rest[..length].to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Response {
        status,
        content_type,
        body,
    })
}

/// A chunked body's data.
fn decode_chunked(mut bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = find(bytes, b"\r\n").ok_or("chunked body cut short")?;
        let size_text = std::str::from_utf8(&bytes[..line_end]).map_err(|_| "bad chunk size")?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        bytes = &bytes[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        if bytes.len() < size + 2 {
            return Err("chunked body cut short".to_owned());
        }
        body.extend_from_slice(&bytes[..size]);
        bytes = &bytes[size + 2..];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Compares one probe's answers and records differences or a note on the verdict.
pub fn compare(probe: &Probe, before: &Answer, after: &Answer, verdict: &mut Verdict) {
    let (before, after) = match (before, after) {
        (Answer::Response(before), Answer::Response(after)) => (before, after),
        (Answer::Response(before), Answer::Silent { reason, output }) => {
            verdict.differences.push(format!(
                "probe {probe}: status {} → no answer ({reason}{})",
                before.status,
                last_line_quoted(output)
            ));
            for line in output {
                let note = format!("the rewrite's server printed: {line}");
                if !verdict.notes.contains(&note) {
                    verdict.notes.push(note);
                }
            }
            return;
        }
        (Answer::Silent { reason, .. }, _) => {
            verdict.differences.push(format!(
                "probe {probe}: the original did not answer ({reason})"
            ));
            return;
        }
    };
    let mut same = true;
    if before.status != after.status {
        same = false;
        verdict.differences.push(format!(
            "probe {probe}: status {} → {}",
            before.status, after.status
        ));
    }
    if before.content_type != after.content_type {
        same = false;
        let shown = |value: &Option<String>| value.clone().unwrap_or_else(|| "(none)".to_owned());
        verdict.differences.push(format!(
            "probe {probe}: Content-Type {} → {}",
            shown(&before.content_type),
            shown(&after.content_type)
        ));
    }
    if before.body != after.body {
        same = false;
        verdict.differences.push(format!(
            "probe {probe}: body {:?} → {:?}",
            body_excerpt(&before.body),
            body_excerpt(&after.body)
        ));
    }
    if same {
        verdict.notes.push(format!(
            "probe {probe}: same response (status {}, {} bytes{})",
            before.status,
            before.body.len(),
            before
                .content_type
                .as_deref()
                .map_or_else(String::new, |kind| format!(", {kind}"))
        ));
    }
}

fn body_excerpt(body: &[u8]) -> String {
    report::excerpt(&String::from_utf8_lossy(body))
}

/// `: "LAST LINE"` when the server printed something.
fn last_line_quoted(output: &[String]) -> String {
    output
        .last()
        .map_or_else(String::new, |line| format!(": {:?}", report::excerpt(line)))
}

fn output_block(output: &[String]) -> String {
    if output.is_empty() {
        return String::new();
    }
    let mut text = String::from("; its output ends with:");
    for line in output {
        text.push_str("\n  ");
        text.push_str(line);
    }
    text
}

/// The last `count` non-empty lines of a server's output, without the engine's own messages.
fn last_lines(text: &str, count: usize) -> Vec<String> {
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim().is_empty() && !is_engine_message(line))
        .collect();
    lines[lines.len().saturating_sub(count)..]
        .iter()
        .map(|line| (*line).to_owned())
        .collect()
}

/// What the engine itself prints about a container whose process ended (buildah:
/// `subprocess exited with status 1`, `Error: exit status 1`, and its `level=…` log lines).
fn is_engine_message(line: &str) -> bool {
    let line = line.trim();
    let status = |prefix: &str| {
        line.strip_prefix(prefix)
            .is_some_and(|code| !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()))
    };
    status("subprocess exited with status ")
        || status("Error: exit status ")
        || (line.starts_with("time=\"") && line.contains(" level="))
}

#[cfg(test)]
mod tests;
