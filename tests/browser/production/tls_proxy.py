"""A small TLS-terminating reverse proxy, as nginx is in deploy/nginx.conf.

It ends TLS, then forwards each request over plain HTTP to one upstream, replacing the
X-Forwarded-* headers (never passing on a client's own): X-Forwarded-Proto ``https``,
X-Forwarded-Host the Host the browser used, X-Forwarded-For a stand-in client address. The
upstream sees its own address in Host, as behind a proxy that does not pass Host on.
"""

from __future__ import annotations

import http.client
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

#: Headers about one connection, not the message (RFC 9110 §7.6.1): never forwarded.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}
FORWARDED = {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded", "host"}


class TlsProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: tuple[str, int], cert: Path, key: Path, client_address: str):
        super().__init__(("127.0.0.1", 0), _Forward)
        self.upstream = upstream
        #: What X-Forwarded-For says (the proxy and browser both run on loopback here).
        self.forwarded_for = client_address
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(cert, key)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}"

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The handshake happens in the connection's own thread, never in the accept loop.
        try:
            tls = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            self.shutdown_request(tls)  # the TLS socket; the plain one it wrapped is spent

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Browsers drop idle keep-alive connections: nothing to report."""

    def __enter__(self) -> TlsProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=5)


class _Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # an idle keep-alive connection's thread ends after this
    server: TlsProxy

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {
            name: value
            for name, value in self.headers.items()
            if name.lower() not in HOP_BY_HOP | FORWARDED
        }
        headers["X-Forwarded-For"] = self.server.forwarded_for
        headers["X-Forwarded-Proto"] = "https"
        headers["X-Forwarded-Host"] = self.headers.get("Host", "")
        upstream = http.client.HTTPConnection(*self.server.upstream, timeout=60)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
        except (OSError, http.client.HTTPException):
            self.send_error(502)
            return
        finally:
            upstream.close()
        self.send_response_only(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        if self.command == "HEAD":
            self.send_header("Content-Length", answer.getheader("Content-Length", "0"))
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_OPTIONS = _forward  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: a proxy's access log would hold addresses, and the tests read the app's."""

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError, ssl.SSLError):
            self.close_connection = True
