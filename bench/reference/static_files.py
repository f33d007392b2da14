"""The files workload's reference (bench/files_workload.ts): a plain static
file server on the same machine, what `python3 -m http.server` is (its
ThreadingHTTPServer and SimpleHTTPRequestHandler for GET), plus a POST sink
that streams the body to a file in 1 MiB reads, as a bare upload endpoint.

Run: python3 bench/reference/static_files.py <port> <directory> [<cert.pem> <key.pem>]

With a certificate and key, it serves HTTPS (the same handler, the listening
socket wrapped by python's ssl module): the TLS reference next to lanchat's.
"""

import functools
import http.server
import os
import ssl
import sys
import tempfile


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        left = int(self.headers.get("Content-Length", "0"))
        fd, path = tempfile.mkstemp(dir=self.directory, prefix="upload-")
        with os.fdopen(fd, "wb") as out:
            while left > 0:
                chunk = self.rfile.read(min(left, 1 << 20))
                if not chunk:
                    break
                out.write(chunk)
                left -= len(chunk)
        os.remove(path)
        body = b'{"ok":true}\n'
        self.send_response(201 if left == 0 else 400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True


if __name__ == "__main__":
    port, directory = int(sys.argv[1]), sys.argv[2]
    handler = functools.partial(Handler, directory=directory)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    if len(sys.argv) > 4:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[3], sys.argv[4])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()
