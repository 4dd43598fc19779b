"""A small OpenID Connect provider on 127.0.0.1 for the sign-in journeys (issue 13).

Real enough for Streamlit's ``st.login`` (Authlib's client): discovery, the authorization code
flow with PKCE (S256), client authentication (``client_secret_basic`` or ``_post``), an
RS256-signed id token (joserfc, Authlib's JOSE library) with the nonce of the authorization
request, a JWK set and a userinfo endpoint. Its one shortcut is the sign-in itself: /authorize
shows a form asking which email to sign in as and whether the provider has verified it, so a
test chooses the person (and an unverified address) by filling it in, as a user would.

A code is single use and lives a minute, and the checks a real provider makes on the client
are made here too (client id and secret, the registered redirect_uri — an unregistered one is
answered with an error page, never a redirect — and the PKCE verifier), so a dashboard that
cut a corner would fail its journey.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

CODE_SECONDS = 60
TOKEN_SECONDS = 300
KEY_ID = "test-provider-1"


@dataclass(frozen=True)
class Identity:
    email: str
    email_verified: bool

    @property
    def subject(self) -> str:
        # stable per address, as a real provider's subject is per account
        return "user-" + hashlib.sha256(self.email.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class _Grant:
    client_id: str
    redirect_uri: str
    nonce: str | None
    code_challenge: str | None
    identity: Identity
    expires: float


@dataclass
class OpenIDProvider:
    """The provider's state; :func:`running_provider` serves it. Register the client's
    redirect_uri in :attr:`redirect_uris` before a sign-in."""

    client_id: str = "retention-dashboard-tests"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    redirect_uris: set[str] = field(default_factory=set)
    issuer: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(
        2048, parameters={"kid": KEY_ID, "use": "sig", "alg": "RS256"}, private=True))
    token_exchanges: int = 0  # successful code exchanges, for the tests to check
    pkce_exchanges: int = 0  # of those, the ones whose code_verifier was checked
    _codes: dict[str, _Grant] = field(default_factory=dict)
    _access_tokens: dict[str, tuple[Identity, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nonce", "email",
                                 "email_verified"],
            "code_challenge_methods_supported": ["S256"],
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}

    # -- the authorization code flow ------------------------------------------------------------

    def authorization_error(self, query: dict[str, str]) -> str | None:
        """Why an authorization request cannot be served, or None. A bad client or
        redirect_uri is never redirected to (that would make this an open redirector)."""
        if query.get("client_id") != self.client_id:
            return "unknown client_id"
        if query.get("redirect_uri") not in self.redirect_uris:
            return "redirect_uri is not registered for this client"
        if query.get("response_type") != "code":
            return "only response_type=code is supported"
        if "openid" not in query.get("scope", "").split():
            return "the scope must include openid"
        if query.get("code_challenge") and query.get("code_challenge_method") != "S256":
            return "only the S256 code challenge method is supported"
        return None

    def issue_code(self, query: dict[str, str], identity: Identity) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Grant(query["client_id"], query["redirect_uri"],
                                       query.get("nonce"), query.get("code_challenge"),
                                       identity, time.time() + CODE_SECONDS)
        return code

    def exchange(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict]:
        """The token endpoint: (HTTP status, JSON body)."""
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[6:]).decode("utf-8")
            client_id, _, client_secret = decoded.partition(":")
        if client_id != self.client_id or not secrets.compare_digest(
                client_secret or "", self.client_secret):
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)  # single use
        if grant is None or grant.expires < time.time() or grant.client_id != client_id:
            return 400, {"error": "invalid_grant"}
        if form.get("redirect_uri") != grant.redirect_uri:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri differs"}
        if grant.code_challenge is not None:
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(
                hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode("ascii")
            if not secrets.compare_digest(digest, grant.code_challenge):
                return 400, {"error": "invalid_grant", "error_description": "PKCE failed"}
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": client_id, "sub": grant.identity.subject,
                  "email": grant.identity.email,
                  "email_verified": grant.identity.email_verified,
                  "iat": now, "auth_time": now, "exp": now + TOKEN_SECONDS}
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        id_token = jwt.encode({"alg": "RS256", "kid": KEY_ID}, claims, self.key)
        access_token = secrets.token_urlsafe(32)
        with self._lock:
            self._access_tokens[access_token] = (grant.identity, now + TOKEN_SECONDS)
            self.token_exchanges += 1
            self.pkce_exchanges += grant.code_challenge is not None
        return 200, {"access_token": access_token, "token_type": "Bearer",
                     "expires_in": TOKEN_SECONDS, "scope": "openid email profile",
                     "id_token": id_token}

    def userinfo(self, authorization: str | None) -> tuple[int, dict]:
        token = authorization[7:] if authorization and authorization.startswith("Bearer ") \
            else ""
        with self._lock:
            found = self._access_tokens.get(token)
        if found is None or found[1] < time.time():
            return 401, {"error": "invalid_token"}
        identity = found[0]
        return 200, {"sub": identity.subject, "email": identity.email,
                     "email_verified": identity.email_verified}


_SIGN_IN_FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test identity provider</title></head>
<body><h1>Test identity provider</h1>
<form method="post" action="/authorize">{hidden}
<label>Email <input type="email" name="email" required></label>
<label><input type="checkbox" name="email_verified" value="true" checked>
The provider has verified this address</label>
<button type="submit">Continue</button>
</form></body></html>
"""


def _handler(provider: OpenIDProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # the base class's names
            pass  # the journeys' output stays readable; failures say enough

        def _send(self, status: int, body: bytes, content_type: str,
                  headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, payload: dict) -> None:
            self._send(status, json.dumps(payload).encode("utf-8"), "application/json")

        def _form(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8")
            return {name: values[0] for name, values in parse_qs(body).items()}

        def do_GET(self) -> None:  # http.server's name for it
            parts = urlsplit(self.path)
            query = {name: values[0] for name, values in parse_qs(parts.query).items()}
            if parts.path == "/.well-known/openid-configuration":
                self._json(200, provider.metadata())
            elif parts.path == "/jwks":
                self._json(200, provider.jwks())
            elif parts.path == "/userinfo":
                self._json(*provider.userinfo(self.headers.get("Authorization")))
            elif parts.path == "/authorize":
                error = provider.authorization_error(query)
                if error:
                    self._send(400, html.escape(error).encode("utf-8"), "text/plain")
                    return
                hidden = "".join(
                    f'<input type="hidden" name="{html.escape(name)}" '
                    f'value="{html.escape(value)}">' for name, value in query.items())
                self._send(200, _SIGN_IN_FORM.format(hidden=hidden).encode("utf-8"),
                           "text/html; charset=utf-8")
            else:
                self._send(404, b"not found", "text/plain")

        def do_POST(self) -> None:  # http.server's name for it
            path = urlsplit(self.path).path
            form = self._form()
            if path == "/token":
                self._json(*provider.exchange(form, self.headers.get("Authorization")))
            elif path == "/authorize":
                email = form.pop("email", "")
                verified = form.pop("email_verified", "") == "true"
                error = provider.authorization_error(form) or (None if email else "no email")
                if error:
                    self._send(400, html.escape(error).encode("utf-8"), "text/plain")
                    return
                code = provider.issue_code(form, Identity(email, verified))
                answer = {"code": code, **({"state": form["state"]} if "state" in form else {})}
                self._send(302, b"", "text/plain",
                           {"Location": f"{form['redirect_uri']}?{urlencode(answer)}"})
            else:
                self._send(404, b"not found", "text/plain")

    return Handler


@contextmanager
def running_provider() -> Iterator[OpenIDProvider]:
    """A provider served on a free port of 127.0.0.1 in a daemon thread, stopped at the end."""
    provider = OpenIDProvider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    server.daemon_threads = True
    provider.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="test-oidc-provider",
                              daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
