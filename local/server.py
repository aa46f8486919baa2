"""The local HTTP server: the API of template.yaml plus /_local helpers, on 127.0.0.1."""
from __future__ import annotations

import json
import logging
import re
import threading
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .apigateway import ApiGateway, HttpResponse, _json
from .engine import LocalEngine
from .inbound import InboundError, ses_event_message, sns_event, sns_message

log = logging.getLogger("local.engine")
_LINK_PATH = re.compile(r"/c/[^/?\s]+")


def redact(text: str) -> str:
    """Customer link ids never reach a log line."""
    return _LINK_PATH.sub("/c/<link>", text)


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links += [v for k, v in attrs if k == "href" and v]


def outbox_items(engine: LocalEngine, since: int = 0) -> list[dict]:
    """What was sent, oldest first, from the `since`-th message on (a poller reads only what is new)."""
    items = []
    for message in engine.outbox[since:]:
        text, links = message.body, re.findall(r"https?://\S+", message.body)
        if message.channel == "email" and "<" in message.body:
            parser = _Text()
            parser.feed(message.body)
            text, links = " ".join(p.strip() for p in parser.parts if p.strip()), parser.links
        items.append({"caseId": message.case_id, "channel": message.channel, "recipient": message.recipient,
                      "subject": message.subject,
                      "body": text, "links": links, "at": message.at})
    return items


# The /_local helpers and their methods (OPTIONS lists them as it lists the API's).
LOCAL_ROUTES = {"/_local/token": ("POST",), "/_local/outbox": ("GET",), "/_local/events": ("GET",),
                "/_local/inbound": ("POST",), "/_local/ses-event": ("POST",), "/_local/clock": ("GET", "POST")}
_RUN_PATH = re.compile(r"^/_local/run/([A-Za-z0-9]+)$")


class _HttpServer(ThreadingHTTPServer):
    # The listen backlog: socketserver's default of 5 makes the kernel drop or reset connections when a burst
    # (a test, a load generator, a page's parallel fetches) arrives faster than the accept loop takes them.
    request_queue_size = 1024
    daemon_threads = True


class LocalServer:
    def __init__(self, engine: LocalEngine, gateway: ApiGateway, host: str = "127.0.0.1", port: int = 3000):
        self.engine = engine
        self.gateway = gateway
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    response = server.respond(self.command, self.path, dict(self.headers.items()), body,
                                              self.client_address[0])
                except Exception:  # every request gets an answer, as API Gateway always gives one
                    log.exception("%s %s: the local server failed", self.command, redact(self.path))
                    response = _json(500, {"message": "Internal server error"})
                self.send_response(response.status)
                for key, value in response.headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(response.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

            def __getattr__(self, name: str):
                # Any other method (TRACE, QUERY, ...) too: API Gateway answers it, never http.server's HTML 501.
                if name.startswith("do_"):
                    return self._serve
                raise AttributeError(name)

            def log_message(self, fmt, *args):
                log.info(redact(fmt % args))

        self.httpd = _HttpServer((host, port), Handler)
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        self._thread: threading.Thread | None = None

    def respond(self, method: str, target: str, headers: dict[str, str], body: bytes,
                source_ip: str = "127.0.0.1") -> HttpResponse:
        """HEAD answers as GET would (the server leaves out the body); OPTIONS lists what a path allows."""
        if method == "OPTIONS":
            path = urlsplit(target).path.rstrip("/") or "/"
            methods = LOCAL_ROUTES.get(path) or self.gateway.methods_for(path)
            if not methods:
                return _json(404, {"message": "Not Found"})
            allowed = sorted({*methods, *(("HEAD",) if "GET" in methods else ()), "OPTIONS"})
            return HttpResponse(204, [("Allow", ", ".join(allowed))], b"")
        as_method = "GET" if method == "HEAD" else method
        return self.local(as_method, target, body) or self.gateway.handle(as_method, target, headers, body,
                                                                            source_ip)

    def local(self, method: str, target: str, body: bytes) -> HttpResponse | None:
        """The /_local helpers: never deployed, never part of template.yaml."""
        path, query = urlsplit(target).path, parse_qs(urlsplit(target).query)
        if method == "POST" and path == "/_local/token":
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                return _json(400, {"error": "(body): must be JSON", "field": "(body)"})
            sub, groups = request.get("sub"), request.get("groups", ["reviewers"])
            if not isinstance(sub, str) or not sub:
                return _json(400, {"error": "sub: required, a non-empty string", "field": "sub"})
            if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
                return _json(400, {"error": "groups: must be a list of strings", "field": "groups"})
            ttl = request.get("ttl", 12 * 3600)  # seconds; short ones let a test see a page renew its token
            if type(ttl) is not int or not 1 <= ttl <= 12 * 3600:
                return _json(400, {"error": "ttl: seconds, from 1 to 43200", "field": "ttl"})
            mfa = request.get("mfa", True)  # false: a lead or supervisor without an authenticator app
            if not isinstance(mfa, bool):
                return _json(400, {"error": "mfa: true or false", "field": "mfa"})
            return _json(200, {"token": self.gateway.mint_token(sub, groups, request.get("email"), ttl=ttl, mfa=mfa),
                               "sub": sub, "groups": groups})
        if method == "POST" and path == "/_local/inbound":
            return self.inbound(body)
        if method == "POST" and path == "/_local/ses-event":
            return self.ses_event(body)
        if method == "GET" and path == "/_local/outbox":
            since = (query.get("since") or ["0"])[0]
            if not since.isdigit():
                return _json(400, {"error": "since: a message count (the `next` of an earlier answer)",
                                   "field": "since"})
            items = outbox_items(self.engine, int(since))
            # `next`: where a poller goes on from; re-reading all of a long run's messages each time was quadratic.
            return _json(200, {"items": items, "next": int(since) + len(items)})
        if method == "GET" and path == "/_local/events":
            return _json(200, {"items": self.engine.downstream_events()})
        if path == "/_local/clock" and method in ("GET", "POST"):
            return self._clock(method, body)
        run = _RUN_PATH.match(path)
        if run and method == "POST":
            # A scheduled job now (the follow-ups after a jump of the clock): no waiting for its next tick.
            fn = self.engine.functions.get(run.group(1))
            if fn is None or not fn.schedules:
                return _json(404, {"error": f"{run.group(1)}: no scheduled function of that name"})
            return _json(200, {"function": fn.logical_id, "result": self.engine.run_scheduled(fn.logical_id)})
        return None

    def inbound(self, body: bytes) -> HttpResponse:
        """A customer's SMS or email reply, handed to the inbound function as SNS would hand it."""
        try:
            request = json.loads(body or b"{}")
            if not isinstance(request, dict):
                raise ValueError
        except ValueError:
            return _json(400, {"error": "(body): must be a JSON object", "field": "(body)"})
        try:
            topic, message = sns_message(request)
        except InboundError as exc:
            return _json(400, {"error": str(exc), "field": exc.field})
        result = self.engine.invoke("InboundFunction",
                                    sns_event(self.engine.template.physical[topic]["Ref"], message))
        return _json(200, {"outcome": result["outcomes"][0]})

    def ses_event(self, body: bytes) -> HttpResponse:
        """A bounce or complaint of the newest email to an address, handed to the inbound function as SES's event
        publishing hands it (through the EmailEventsTopic)."""
        try:
            request = json.loads(body or b"{}")
            if not isinstance(request, dict):
                raise ValueError
        except ValueError:
            return _json(400, {"error": "(body): must be a JSON object", "field": "(body)"})
        template = self.engine.template
        try:
            message = ses_event_message(request, list(self.engine.outbox), template.ref("SenderEmail"),
                                        template.account,
                                        self.engine.clock.now().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z")
        except InboundError as exc:
            return _json(400, {"error": str(exc), "field": exc.field})
        result = self.engine.invoke("InboundFunction",
                                    sns_event(template.physical["EmailEventsTopic"]["Ref"], message))
        return _json(200, {"outcome": result["outcomes"][0]})

    def _clock(self, method: str, body: bytes) -> HttpResponse:
        """Days pass in a request: a follow-up due in 3 days is due now. The workflow's running waits keep their
        own timers; due times, link expiry and the scheduled jobs read this clock."""
        if method == "POST":
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                return _json(400, {"error": "(body): must be JSON", "field": "(body)"})
            seconds = request.get("advanceSeconds") if isinstance(request, dict) else None
            if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 < seconds <= 366 * 86400:
                return _json(400, {"error": "advanceSeconds: a whole number of seconds, 1 to 31622400",
                                   "field": "advanceSeconds"})
            self.engine.clock.advance(seconds)
        return _json(200, {"now": self.engine.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")})

    def start(self) -> LocalServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="loopgate-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
