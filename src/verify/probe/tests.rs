use super::*;
use std::net::TcpListener;
use std::sync::{Mutex, MutexGuard};

/// The tests that open ports run one at a time: a port one of them frees could otherwise be
/// handed to another one's server, which would then answer the first one's checks.
fn network() -> MutexGuard<'static, ()> {
    static NETWORK: Mutex<()> = Mutex::new(());
    NETWORK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn response(status: u16, body: &str) -> Answer {
    Answer::Response(Response {
        status,
        content_type: Some("text/html; charset=utf-8".to_owned()),
        body: body.as_bytes().to_vec(),
    })
}

#[test]
fn probes_are_a_port_and_an_optional_path() {
    assert_eq!(
        "3000".parse::<Probe>().unwrap(),
        Probe {
            port: 3000,
            path: "/".to_owned()
        }
    );
    let probe: Probe = "8000/health?full=1".parse().unwrap();
    assert_eq!((probe.port, probe.path.as_str()), (8000, "/health?full=1"));
    assert_eq!(probe.to_string(), "8000/health?full=1");
    assert_eq!("80/".parse::<Probe>().unwrap().path, "/");
}

#[test]
fn bad_probes_are_rejected() {
    for bad in [
        "", "0", "65536", "http://x", "/health", "3000 /", "80/a b", "80/#x",
    ] {
        assert!(bad.parse::<Probe>().is_err(), "{bad}");
    }
}

#[test]
fn the_request_closes_its_connection() {
    let probe: Probe = "3000/x".parse().unwrap();
    assert_eq!(
        request_text(&probe),
        "GET /x HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nUser-Agent: dfmigrate-verify\r\n\
         Accept: */*\r\nConnection: close\r\n\r\n"
    );
}

#[test]
fn reads_responses_by_length_chunks_or_end() {
    let sized = parse_response(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello+junk",
    )
    .unwrap();
    assert_eq!(sized.status, 200);
    assert_eq!(sized.content_type.as_deref(), Some("text/plain"));
    assert_eq!(sized.body, b"hello");
    let chunked = parse_response(
        b"HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n\
          5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    )
    .unwrap();
    assert_eq!(
        (chunked.status, chunked.body.as_slice()),
        (404, &b"hello world"[..])
    );
    assert_eq!(chunked.content_type, None);
    let to_end = parse_response(b"HTTP/1.0 500 Oops\r\n\r\nall of it").unwrap();
    assert_eq!(to_end.body, b"all of it");
}

#[test]
fn broken_responses_are_errors() {
    for bad in [
        &b""[..],
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n",
        b"SSH-2.0-OpenSSH\r\n\r\n",
        b"HTTP/1.1 abc\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
    ] {
        assert!(
            parse_response(bad).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn same_responses_are_a_note() {
    let probe: Probe = "3000".parse().unwrap();
    let mut verdict = Verdict::default();
    compare(
        &probe,
        &response(200, "hi"),
        &response(200, "hi"),
        &mut verdict,
    );
    assert!(verdict.differences.is_empty());
    assert_eq!(
        verdict.notes,
        ["probe 3000/: same response (status 200, 2 bytes, text/html; charset=utf-8)"]
    );
}

#[test]
fn status_type_and_body_differences_show_both_sides() {
    let probe: Probe = "3000/".parse().unwrap();
    let mut verdict = Verdict::default();
    let after = Answer::Response(Response {
        status: 500,
        content_type: Some("application/json".to_owned()),
        body: b"{\"error\":1}".to_vec(),
    });
    compare(&probe, &response(200, "hello"), &after, &mut verdict);
    assert_eq!(
        verdict.differences,
        [
            "probe 3000/: status 200 → 500",
            "probe 3000/: Content-Type text/html; charset=utf-8 → application/json",
            r#"probe 3000/: body "hello" → "{\"error\":1}""#,
        ]
    );
    assert!(verdict.notes.is_empty());
}

#[test]
fn a_silent_rewrite_quotes_how_it_ended() {
    let probe: Probe = "8000/".parse().unwrap();
    let mut verdict = Verdict::default();
    let silent = Answer::Silent {
        reason: "it exited (exit code 1) before port 8000 answered".to_owned(),
        output: vec![
            "Traceback (most recent call last):".to_owned(),
            "PermissionError: [Errno 13] Permission denied: '/srv/gunicorn.pid'".to_owned(),
        ],
    };
    compare(&probe, &response(200, "ok"), &silent, &mut verdict);
    let other: Probe = "8000/versions".parse().unwrap();
    compare(&other, &response(200, "{}"), &silent, &mut verdict);
    assert_eq!(
        verdict.differences,
        [
            "probe 8000/: status 200 → no answer (it exited (exit code 1) before port 8000 \
             answered: \"PermissionError: [Errno 13] Permission denied: '/srv/gunicorn.pid'\")",
            "probe 8000/versions: status 200 → no answer (it exited (exit code 1) before port \
             8000 answered: \"PermissionError: [Errno 13] Permission denied: '/srv/gunicorn.pid'\")"
        ]
    );
    // The server's output is shown once, not once per probe.
    assert_eq!(
        verdict.notes,
        [
            "the rewrite's server printed: Traceback (most recent call last):",
            "the rewrite's server printed: PermissionError: [Errno 13] Permission denied: \
             '/srv/gunicorn.pid'"
        ]
    );
}

#[test]
fn last_lines_skip_blank_ones_and_the_engines_messages() {
    assert_eq!(last_lines("a\n\nb\nc\n\n", 2), ["b", "c"]);
    assert_eq!(last_lines("", 3), Vec::<String>::new());
    let buildah = "Traceback (most recent call last):\n\
                   ImportError: libpq.so.5: cannot open shared object file\n\
                   subprocess exited with status 1\n\
                   subprocess exited with status 1\n\
                   time=\"2026-12-07T04:14:59Z\" level=error msg=\"exit status 1\"\n\
                   Error: exit status 1\n";
    assert_eq!(
        last_lines(buildah, 1),
        ["ImportError: libpq.so.5: cannot open shared object file"]
    );
    assert!(!is_engine_message("Error: exit status of the job"));
}

/// An engine whose "containers" are servers in this process: image `serve:BODY` answers
/// BODY to `answers` requests on `port`, then closes; image `exit` prints an error and exits.
struct FakeEngine {
    port: u16,
    answers: usize,
}

impl ContainerEngine for FakeEngine {
    fn description(&self) -> &str {
        "fake"
    }
    fn build(&self, _: &super::super::engines::BuildRequest) -> Result<process::Finished> {
        unreachable!()
    }
    fn inspect(&self, _: &str) -> Result<super::super::image::ImageInfo> {
        unreachable!()
    }
    fn filesystem(&self, _: &str) -> Result<super::super::engines::RootFs> {
        unreachable!()
    }
    fn run(&self, _: &str, _: &[String]) -> Result<process::Finished> {
        unreachable!()
    }
    fn remove_image(&self, _: &str) -> Result<()> {
        unreachable!()
    }
    fn serve(&self, image: &str, argv: &[String]) -> Result<Service> {
        assert_eq!(argv, ["docker-entrypoint.sh", "node", "app.js"]);
        let script = match image.strip_prefix("serve:") {
            Some(body) => {
                let listener = TcpListener::bind(("127.0.0.1", self.port)).unwrap();
                let (body, answers) = (body.to_owned(), self.answers);
                std::thread::spawn(move || {
                    for _ in 0..answers {
                        let (mut stream, _) = listener.accept().unwrap();
                        let mut request = [0u8; 1024];
                        let _ = stream.read(&mut request);
                        let reply = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\
                             Content-Length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        stream.write_all(reply.as_bytes()).unwrap();
                    }
                });
                "exec sleep 300"
            }
            None => "echo 'PermissionError: [Errno 13] Permission denied' >&2; exit 1",
        };
        Service::spawn(
            &process::CommandLine::new("sh", ["-c", script]),
            true,
            Vec::new(),
            Vec::new(),
        )
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn node_config() -> ImageConfig {
    ImageConfig {
        entrypoint: Some(vec!["docker-entrypoint.sh".to_owned()]),
        cmd: Some(vec!["node".to_owned(), "app.js".to_owned()]),
        ..ImageConfig::default()
    }
}

fn probe_images(before: &str, after: &str) -> (Result<()>, Verdict) {
    let _network = network();
    let port = free_port();
    let probes: Vec<Probe> = vec![
        format!("{port}/").parse().unwrap(),
        format!("{port}/versions").parse().unwrap(),
    ];
    let engine = FakeEngine { port, answers: 2 };
    let config = node_config();
    let mut verdict = Verdict::default();
    let result = probe_both(
        &engine,
        &probes,
        Duration::from_secs(10),
        (before, &config),
        (after, &config),
        &mut verdict,
    );
    (result, verdict)
}

#[test]
fn both_images_answer_the_same() {
    let (result, verdict) = probe_images("serve:hello", "serve:hello");
    result.unwrap();
    assert!(verdict.differences.is_empty(), "{:?}", verdict.differences);
    assert_eq!(verdict.notes.len(), 2);
    assert!(verdict.notes[0].ends_with("same response (status 200, 5 bytes, text/plain)"));
}

#[test]
fn a_different_body_and_a_dead_rewrite_are_differences() {
    let (result, verdict) = probe_images("serve:hello", "serve:bye");
    result.unwrap();
    assert_eq!(verdict.differences.len(), 2);
    assert!(verdict.differences[0].ends_with(r#"/: body "hello" → "bye""#));
    let (result, verdict) = probe_images("serve:hello", "exit");
    result.unwrap();
    assert_eq!(verdict.differences.len(), 2);
    assert!(
        verdict.differences[0]
            .contains("status 200 → no answer (it exited (exit code 1) before port"),
        "{:?}",
        verdict.differences
    );
    assert!(verdict.differences[0].ends_with("\"PermissionError: [Errno 13] Permission denied\")"));
}

#[test]
fn a_silent_original_is_an_error() {
    let (result, _) = probe_images("exit", "serve:hello");
    let error = format!("{:#}", result.unwrap_err());
    assert!(
        error.contains("the original does not answer (it exited (exit code 1)"),
        "{error}"
    );
    assert!(error.contains("PermissionError"), "{error}");
}

#[test]
fn a_port_already_in_use_is_an_error() {
    let _network = network();
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let engine = FakeEngine { port, answers: 1 };
    let probes: Vec<Probe> = vec![format!("{port}").parse().unwrap()];
    let config = node_config();
    let error = probe_both(
        &engine,
        &probes,
        Duration::from_secs(5),
        ("serve:x", &config),
        ("serve:x", &config),
        &mut Verdict::default(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("already answers"), "{error}");
}

#[test]
fn gets_from_a_local_server() {
    let _network = network();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 512];
        let read = stream.read(&mut request).unwrap();
        let text = String::from_utf8_lossy(&request[..read]).into_owned();
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            .unwrap();
        text
    });
    let probe: Probe = format!("{port}/ping").parse().unwrap();
    let response = get(&probe).unwrap();
    assert_eq!(
        (response.status, response.body.as_slice()),
        (200, &b"ok"[..])
    );
    assert!(server.join().unwrap().starts_with("GET /ping HTTP/1.1\r\n"));
    assert!(!port_answers(port));
}
