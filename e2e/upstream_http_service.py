#!/usr/bin/env python3
"""A stand-in for an SMS service's HTTP API, for smppd's HTTP upstream carrier tests.

It answers POSTs of message batches in the format of docs/upstream-http.md. It prints the
port it listens on as the first line of stdout once it accepts connections, so the process
that starts it waits for that line instead of sleeping.

Behaviour is chosen by flags at start-up and can be changed later through the control
endpoint. Endpoints:

  POST <any other path>  a batch: {"messages":[...]} -> {"results":[...]}
  GET  /_requests        every batch request received so far, as JSON (see below)
  POST /_control         JSON object of settings to change (same names as the flags, with
                         underscores: {"fail_first": 2, "delay_ms": 0, ...}); answers the settings
  POST /_reset           forget the recorded requests and the request counter

Each recorded request: {"n": 1, "path": "/sms", "peer": "127.0.0.1:40000", "at_ms": <unix ms>,
"headers": {lower-case name: value}, "status": <answered status>, "answer": <the JSON answered, or null>,
"body": <parsed JSON or null>,
"raw": <body text when it was not JSON>}.

Messages are accepted with upstream ids "up-<n>" (n counts accepted messages from 1; the prefix
is --id-prefix) unless a
rule below refuses them, in this order: --status (every message, every request), --fail-first
(500s), --malformed-first, --refuse-suffix, --omit-suffix.
"""
import argparse
import base64
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class State:
    """Settings and records, shared by the handler threads (one lock for all)."""

    SETTINGS = ("bearer", "basic", "refuse_suffix", "refuse_state", "refuse_code", "omit_suffix",
                "fail_first", "fail_status", "malformed_first", "delay_ms", "status", "id_prefix")

    def __init__(self, args):
        self.lock = threading.Lock()
        self.settings = {name: getattr(args, name) for name in self.SETTINGS}
        self.requests = []
        self.posts = 0
        self.next_upstream_id = 1

    def snapshot(self):
        with self.lock:
            return dict(self.settings)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the carrier expects
    server_version = "upstream-http-service"

    def log_message(self, fmt, *args):  # quiet: the tests read /_requests instead
        pass

    @property
    def state(self):
        return self.server.state

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status, obj=None, raw=None):
        data = raw if raw is not None else (json.dumps(obj).encode() if obj is not None else b"")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/_requests":
            with self.state.lock:
                self._send(200, self.state.requests)
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self):
        body = self._body()
        if self.path == "/_control":
            changes = json.loads(body or b"{}")
            unknown = [k for k in changes if k not in State.SETTINGS]
            if unknown:
                return self._send(400, {"error": "unknown settings", "names": unknown})
            with self.state.lock:
                self.state.settings.update(changes)
            return self._send(200, self.state.snapshot())
        if self.path == "/_reset":
            with self.state.lock:
                self.state.requests.clear()
                self.state.posts = 0
            return self._send(200, {})
        self._batch(body)

    def _batch(self, body):
        s = self.state
        with s.lock:
            s.posts += 1
            n = s.posts
            settings = dict(s.settings)
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        record = {"n": n, "path": self.path, "peer": "%s:%d" % self.client_address[:2],
                  "at_ms": int(time.time() * 1000),
                  "headers": {k.lower(): v for k, v in self.headers.items()},
                  "body": parsed}
        if parsed is None:
            record["raw"] = body.decode("utf-8", "replace")
        status, answer, raw = self._decide(n, settings, parsed)
        record["status"] = status
        record["answer"] = answer
        with s.lock:
            s.requests.append(record)
        if settings["delay_ms"]:
            time.sleep(settings["delay_ms"] / 1000.0)
        try:
            self._send(status, answer, raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def _decide(self, n, settings, parsed):
        """(status, JSON answer or None, raw bytes or None) for POST number n."""
        if not self._authorized(settings):
            return 401, {"error": "unauthorized"}, None
        if settings["status"]:
            return settings["status"], {"error": "configured status"}, None
        if n <= settings["fail_first"]:
            return settings["fail_status"], {"error": "failing on purpose"}, None
        if n <= settings["fail_first"] + settings["malformed_first"]:
            return 200, None, b'{"results": [ {"id": '
        if not isinstance(parsed, dict) or not isinstance(parsed.get("messages"), list):
            return 400, {"error": "expected {\"messages\": [...]}"}, None
        results = []
        for m in parsed["messages"]:
            to = str(m.get("to", ""))
            if settings["refuse_suffix"] and to.endswith(settings["refuse_suffix"]):
                results.append({"id": m.get("id"), "status": "refused", "reason": "refused on purpose",
                                "state": settings["refuse_state"], "error_code": settings["refuse_code"]})
            elif settings["omit_suffix"] and to.endswith(settings["omit_suffix"]):
                continue
            else:
                with self.state.lock:
                    upstream_id = "%s%d" % (settings["id_prefix"], self.state.next_upstream_id)
                    self.state.next_upstream_id += 1
                results.append({"id": m.get("id"), "status": "accepted", "upstream_id": upstream_id})
        return 200, {"results": results}, None

    def _authorized(self, settings):
        given = self.headers.get("Authorization", "")
        if settings["bearer"]:
            return given == "Bearer " + settings["bearer"]
        if settings["basic"]:
            return given == "Basic " + base64.b64encode(settings["basic"].encode()).decode()
        return True


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that fails the TLS handshake (the certificate tests do, on purpose) or drops
        # its connection is no error of the service's: say so in one line, without a traceback.
        error = sys.exc_info()[1]
        if isinstance(error, (ssl.SSLError, ConnectionError)):
            print("%s:%d: %s" % (client_address[0], client_address[1], error), file=sys.stderr)
        else:
            super().handle_error(request, client_address)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 (default): any free port")
    p.add_argument("--tls-cert", help="serve https with this PEM certificate (chain)")
    p.add_argument("--tls-key", help="the certificate's PEM private key")
    p.add_argument("--bearer", help="answer 401 unless 'Authorization: Bearer BEARER'")
    p.add_argument("--basic", metavar="USER:PASSWORD", help="answer 401 unless this basic auth")
    p.add_argument("--refuse-suffix", default="", help="refuse messages whose 'to' ends with this")
    p.add_argument("--refuse-state", default="REJECTED", choices=["REJECTED", "UNDELIVERABLE"])
    p.add_argument("--refuse-code", type=int, default=13, help="error_code of refusals (default 13)")
    p.add_argument("--omit-suffix", default="", help="leave messages whose 'to' ends with this out of the results")
    p.add_argument("--fail-first", type=int, default=0, help="answer the first N batch POSTs with --fail-status")
    p.add_argument("--fail-status", type=int, default=500)
    p.add_argument("--malformed-first", type=int, default=0,
                   help="after the failures, answer N batch POSTs 200 with a truncated body")
    p.add_argument("--delay-ms", type=int, default=0, help="wait this long before each batch answer")
    p.add_argument("--status", type=int, default=0, help="answer every batch POST with this status")
    p.add_argument("--id-prefix", default="up-", help="accepted ids are this followed by a count from 1 "
                   "(a restarted service that must not reuse ids takes another prefix)")
    args = p.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")

    server = Server((args.host, args.port), Handler)
    server.state = State(args)
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        # The handshake runs in the connection's own thread (on its first read), so a client
        # that fails it (the certificate tests) never holds up the accepting thread.
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
