"""Reports which libpq psycopg2 was compiled against and which one it loaded, over HTTP."""

import json
import platform
from http.server import BaseHTTPRequestHandler, HTTPServer

import psycopg2
import psycopg2.extensions


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps(
            {
                "python": platform.python_version(),
                "psycopg2": psycopg2.__version__.split()[0],
                "libpq_compiled": psycopg2.__libpq_version__,
                "libpq_loaded": psycopg2.extensions.libpq_version(),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    server = HTTPServer(("127.0.0.1", 8080), Handler)
    print("serving on 127.0.0.1:8080", flush=True)
    server.serve_forever()
