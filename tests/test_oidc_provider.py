"""The test OpenID provider (tests/oidc_provider.py) is strict where a real one is, so the
browser journey through it can fail: an unregistered redirect_uri is never redirected to, a
code is single use and needs its PKCE verifier and the client's secret, and the id token it
signs verifies against its JWK set with the request's nonce."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.oidc_provider import OpenIDProvider, running_provider

REDIRECT = "http://127.0.0.1:8501/oauth2callback"
VERIFIER = "a-code-verifier-of-enough-length-0123456789abcdef"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(
    b"=").decode()


@pytest.fixture
def provider() -> Iterator[OpenIDProvider]:
    with running_provider() as running:
        running.redirect_uris.add(REDIRECT)
        yield running


def request(provider: OpenIDProvider, method: str, path: str, form: dict[str, str] | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    host = urlsplit(provider.issuer).netloc
    connection = http.client.HTTPConnection(host, timeout=10)
    body = urlencode(form) if form is not None else None
    sent = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
    connection.request(method, path, body=body, headers=sent)
    response = connection.getresponse()
    answer = response.status, dict(response.getheaders()), response.read()
    connection.close()
    return answer


def authorization(**changes: str) -> dict[str, str]:
    return {"response_type": "code", "client_id": "retention-dashboard-tests",
            "redirect_uri": REDIRECT, "scope": "openid email profile", "state": "s1",
            "nonce": "n1", "code_challenge": CHALLENGE, "code_challenge_method": "S256",
            **changes}


def code_for(provider: OpenIDProvider, email: str = "ann@example.org",
             verified: bool = True) -> str:
    form = {**authorization(), "email": email, **({"email_verified": "true"} if verified else {})}
    status, headers, _ = request(provider, "POST", "/authorize", form)
    assert status == 302
    location = urlsplit(headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    answer = parse_qs(location.query)
    assert answer["state"] == ["s1"]
    return answer["code"][0]


def exchange(provider: OpenIDProvider, code: str, verifier: str = VERIFIER,
             secret: str | None = None) -> tuple[int, dict]:
    basic = base64.b64encode(
        f"{provider.client_id}:{secret or provider.client_secret}".encode()).decode()
    status, _, body = request(provider, "POST", "/token",
                              {"grant_type": "authorization_code", "code": code,
                               "redirect_uri": REDIRECT, "code_verifier": verifier},
                              {"Authorization": f"Basic {basic}"})
    return status, json.loads(body)


def test_discovery_names_the_endpoints_and_s256() -> None:
    with running_provider() as provider:
        status, _, body = request(provider, "GET", "/.well-known/openid-configuration")
        metadata = json.loads(body)
    assert status == 200 and metadata["issuer"] == provider.issuer
    assert metadata["token_endpoint"] == f"{provider.issuer}/token"
    assert metadata["code_challenge_methods_supported"] == ["S256"]


@pytest.mark.parametrize("changes", [{"redirect_uri": "https://evil.example/oauth2callback"},
                                     {"client_id": "someone-else"}, {"scope": "email"},
                                     {"code_challenge_method": "plain"}])
def test_a_bad_authorization_request_gets_an_error_page_never_a_redirect(provider, changes):
    query = urlencode(authorization(**changes))
    status, headers, _ = request(provider, "GET", f"/authorize?{query}")
    assert status == 400 and "Location" not in headers
    status, headers, _ = request(provider, "POST", "/authorize",
                                 {**authorization(**changes), "email": "ann@example.org"})
    assert status == 400 and "Location" not in headers


def test_a_code_signs_in_once_with_its_verifier_and_the_clients_secret(provider) -> None:
    code = code_for(provider)
    assert exchange(provider, code, secret="wrong")[0] == 401
    assert exchange(provider, code_for(provider), verifier="another verifier")[0] == 400
    status, token = exchange(provider, code)
    assert status == 200 and token["token_type"] == "Bearer"
    assert exchange(provider, code)[0] == 400  # used
    assert (provider.token_exchanges, provider.pkce_exchanges) == (1, 1)

    _, _, jwks = request(provider, "GET", "/jwks")
    claims = jwt.decode(token["id_token"], KeySet.import_key_set(json.loads(jwks))).claims
    assert {name: claims[name] for name in ("iss", "aud", "email", "email_verified", "nonce")} \
        == {"iss": provider.issuer, "aud": provider.client_id, "email": "ann@example.org",
            "email_verified": True, "nonce": "n1"}
    assert claims["exp"] - claims["iat"] == 300

    status, _, body = request(provider, "GET", "/userinfo",
                              headers={"Authorization": f"Bearer {token['access_token']}"})
    assert status == 200 and json.loads(body)["sub"] == claims["sub"]
    assert request(provider, "GET", "/userinfo",
                   headers={"Authorization": "Bearer not-a-token"})[0] == 401


def test_an_unticked_verification_box_says_email_verified_false(provider) -> None:
    _, token = exchange(provider, code_for(provider, "bob@example.org", verified=False))
    _, _, jwks = request(provider, "GET", "/jwks")
    claims = jwt.decode(token["id_token"], KeySet.import_key_set(json.loads(jwks))).claims
    assert (claims["email"], claims["email_verified"]) == ("bob@example.org", False)
