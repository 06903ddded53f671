//! A small HTTP server on tiny_http (from crates.io), as in its README.
use tiny_http::{Header, Response, Server};

fn main() {
    let port = std::env::var("PORT").unwrap_or_else(|_| "8000".to_string());
    let server = Server::http(format!("0.0.0.0:{port}")).expect("bind");
    eprintln!("listening on {port}");
    let text = Header::from_bytes(&b"Content-Type"[..], &b"text/plain; charset=utf-8"[..]).unwrap();
    for request in server.incoming_requests() {
        let (status, body) = match request.url() {
            "/" => (200, format!("Hello from tiny_http {}!\n", env!("CARGO_PKG_VERSION"))),
            "/healthz" => (200, "ok\n".to_string()),
            _ => (404, "not found\n".to_string()),
        };
        let response = Response::from_string(body).with_status_code(status).with_header(text.clone());
        let _ = request.respond(response);
    }
}
