"""A stand-in for the Cognito hosted UI, as the staff pages use it: /oauth2/authorize (a sign-in form), /oauth2/token
(authorization code with PKCE, refresh), /oauth2/revoke and /logout.

It holds the pages to what Cognito checks: the client id, the registered callback and sign-out URLs, S256 and the
code verifier against the challenge, single-use codes, revoked refresh tokens. The ID tokens it hands out are the
local stack's own (POST /_local/token), so the stack accepts them as it accepts Cognito's on AWS.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import requests


@dataclass
class HostedUi:
    client_id: str
    stack_url: str = ""  # set once the stack serves: the callback URLs and where tokens are minted
    users: dict[str, list[str]] = field(default_factory=dict)  # email -> groups
    id_token_ttl: int = 3600
    calls: list[tuple[str, str, dict]] = field(default_factory=list)  # (method, path, parameters)
    codes: dict[str, dict] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh token -> email
    revoked: set[str] = field(default_factory=set)

    def allowed_return(self, url: str) -> bool:
        return url in (f"{self.stack_url}/console", f"{self.stack_url}/leads")

    def id_token(self, email: str) -> str:
        response = requests.post(f"{self.stack_url}/_local/token", timeout=10, json={
            "sub": email.split("@")[0], "email": email, "groups": self.users[email], "ttl": self.id_token_ttl})
        response.raise_for_status()
        return response.json()["token"]

    def calls_to(self, path: str) -> list[dict]:
        return [params for _, p, params in self.calls if p == path]


def _challenge_of(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def serve(ui: HostedUi) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def _params(self) -> dict:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            return {k: v[-1] for k, v in {**parse_qs(url.query), **parse_qs(body)}.items()}

        def _answer(self, status: int, body: str = "", content_type: str = "application/json", headers=()):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            # Cognito's token and revoke endpoints answer cross-origin calls from the registered pages.
            self.send_header("Access-Control-Allow-Origin", ui.stack_url)
            for key, value in headers:
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, error: str):
            self._answer(status, json.dumps({"error": error}))

        def do_GET(self):
            path, params = urlsplit(self.path).path, self._params()
            ui.calls.append(("GET", path, params))
            if path == "/oauth2/authorize":
                if (params.get("client_id") != ui.client_id or params.get("response_type") != "code"
                        or not ui.allowed_return(params.get("redirect_uri", ""))
                        or params.get("code_challenge_method") != "S256" or not params.get("code_challenge")
                        or "openid" not in params.get("scope", "").split()):
                    return self._error(400, "invalid_request")
                hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                                 for k, v in params.items())
                return self._answer(200, f'<!doctype html><title>Sign in</title><form method="post" action="/login">'
                                         f'{hidden}<label>Email <input name="email"></label>'
                                         f'<button>Sign in</button></form>', "text/html")
            if path == "/logout":
                if params.get("client_id") != ui.client_id or not ui.allowed_return(params.get("logout_uri", "")):
                    return self._error(400, "invalid_request")
                return self._answer(302, headers=[("Location", params["logout_uri"])])
            return self._error(404, "not_found")

        def do_POST(self):
            path, params = urlsplit(self.path).path, self._params()
            ui.calls.append(("POST", path, params))
            if path == "/login":  # the person signed in on the form: back to the page with a code
                if params.get("email") not in ui.users:
                    return self._answer(200, "Incorrect username or password.", "text/plain")
                code = secrets.token_urlsafe(16)
                ui.codes[code] = params
                query = urlencode({"code": code, "state": params.get("state", "")})
                return self._answer(302, headers=[("Location", f"{params['redirect_uri']}?{query}")])
            if path == "/oauth2/token":
                if params.get("client_id") != ui.client_id:
                    return self._error(400, "invalid_client")
                if params.get("grant_type") == "authorization_code":
                    signed_in = ui.codes.pop(params.get("code", ""), None)  # single-use
                    if (signed_in is None or params.get("redirect_uri") != signed_in["redirect_uri"]
                            or _challenge_of(params.get("code_verifier", "")) != signed_in["code_challenge"]):
                        return self._error(400, "invalid_grant")
                    refresh = secrets.token_urlsafe(24)
                    ui.refresh_tokens[refresh] = signed_in["email"]
                    return self._answer(200, json.dumps({
                        "id_token": ui.id_token(signed_in["email"]), "access_token": "unused",
                        "refresh_token": refresh, "expires_in": ui.id_token_ttl, "token_type": "Bearer"}))
                if params.get("grant_type") == "refresh_token":
                    email = ui.refresh_tokens.get(params.get("refresh_token", ""))
                    if email is None or params["refresh_token"] in ui.revoked:
                        return self._error(400, "invalid_grant")
                    return self._answer(200, json.dumps({"id_token": ui.id_token(email), "access_token": "unused",
                                                         "expires_in": ui.id_token_ttl, "token_type": "Bearer"}))
                return self._error(400, "unsupported_grant_type")
            if path == "/oauth2/revoke":
                ui.revoked.add(params.get("token", ""))
                return self._answer(200, "")
            return self._error(404, "not_found")

        def log_message(self, fmt, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="hosted-ui", daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
