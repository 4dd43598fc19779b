"""Back to the link's view after an OpenID Connect sign-in (DESIGN §9, "Links").

Streamlit's callback (``/oauth2callback``) always redirects to the app's root, whatever
address the person started from, so a colleague's link such as
``/ltv?ws=1&dataset=1&as_of=2024-05-01&window=60`` opened while signed out would end on the
Home page of their first workspace. So, when the sign-in button is clicked (:func:`sign_in`),
the page and the link's parameters of the address are kept on the server, under a key that
only this browser holds across the round trip to the provider; on the first signed-in run of
the next session (:func:`land_after_sign_in`) they are taken, once, and the app switches there.

The key is a digest of the token in Streamlit's XSRF cookie (``_streamlit_xsrf``, on whenever
``[auth]`` is configured): each page load re-masks the cookie, but the token under the mask
stays the browser's until the cookie goes, and it cannot be read by another site or chosen
by a link. A script cannot set a cookie of its own (see the README, "Sharing the dashboard").
What is kept lives in this server process for :data:`RETURN_SECONDS`: a provider round trip
that ends on another process (several behind one address) lands on Home, as without this.

Nothing from the address is trusted: it must be on the origin and path of ``redirect_uri``,
its page one of the app's page addresses, and only the link's parameter names with short
values are kept (never ``session``), so the landing can only be one of this app's pages —
no open redirect, and nothing of the address is ever written into HTML.
"""

from __future__ import annotations

import binascii
import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import streamlit as st

from retention.i18n import t
from retention.loyalty import LoyaltyProgramme
from retention.ui import links

RETURN_SECONDS = 600.0  # a sign-in at the provider takes seconds; a stale return is dropped
MAX_PENDING = 10_000  # returns kept at once on one server (beyond: the oldest go first)
MAX_VALUE_CHARS = 64  # a dataset id, a date, a number, a tier list: all far shorter
XSRF_COOKIE = "_streamlit_xsrf"
CALLBACK_PATH = "oauth2callback"
_CHECKED_KEY = "_return_link_checked"
# The link's parameters (DESIGN §9): workspace, dataset, dates, language, and the loyalty
# page's programme (its settings travel in the link). The sign-in token is never among them.
LINK_PARAMETERS = frozenset({"ws", *links.VIEW_PARAMETERS, *LoyaltyProgramme().as_strings()})
_PRINTABLE = re.compile(r"[\x21-\x7e]+")  # visible ASCII: ids, dates, numbers, names


@dataclass(frozen=True)
class ReturnLink:
    """Where to land after signing in: a page's ``url_path`` ("" for Home) and the link's
    query parameters."""

    page: str
    query: Mapping[str, str] = field(default_factory=dict)


def app_root(redirect_uri: str, port: int) -> str | None:
    """The app's root address (``scheme://host[:port]/base/``) from ``[auth] redirect_uri``,
    with Streamlit's ``{port}`` placeholder filled in; None when it is not an absolute http(s)
    address ending in ``/oauth2callback`` (Streamlit's own sign-in refuses those too)."""
    parts = urlsplit(redirect_uri.replace("{port}", str(port)))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    base, _, last = parts.path.rstrip("/").rpartition("/")
    if last != CALLBACK_PATH:
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}{base}/"


def return_link_from(url: str, query: Mapping[str, object], *, root: str,
                     page_paths: Iterable[str]) -> ReturnLink | None:
    """The :class:`ReturnLink` of the address ``url`` (no query: Streamlit's ``st.context.url``)
    with ``query``, or None when there is nothing to return to or it is refused: another
    origin or base path than ``root``, or a page not in ``page_paths``. Of the query only
    :data:`LINK_PARAMETERS` with a single printable value of at most :data:`MAX_VALUE_CHARS`
    characters are kept; the rest is dropped, and the page shows its defaults for those."""
    parts = urlsplit(url)
    address = f"{parts.scheme}://{parts.netloc.lower()}{parts.path}"
    if not address.startswith(root) and address != root.rstrip("/"):
        return None  # a foreign host or another app under the same host
    page = address[len(root):].strip("/")
    if page not in set(page_paths):
        return None
    kept = {name: value for name, value in query.items()
            if name in LINK_PARAMETERS and isinstance(value, str)
            and len(value) <= MAX_VALUE_CHARS and _PRINTABLE.fullmatch(value)}
    if not page and not kept:
        return None  # Home without parameters: where the callback lands anyway
    return ReturnLink(page, kept)


def browser_key(xsrf_cookie: str | None) -> str | None:
    """A digest of the token in Streamlit's XSRF cookie, the same on every page load of this
    browser (only the mask around it changes); None when there is none or it is not of the
    form Streamlit writes (``2|mask|masked token|time``, hex)."""
    if not xsrf_cookie:
        return None
    pieces = xsrf_cookie.strip("\"'").split("|")
    if len(pieces) != 4 or pieces[0] != "2":
        return None
    try:
        mask, masked = binascii.a2b_hex(pieces[1]), binascii.a2b_hex(pieces[2])
    except (binascii.Error, ValueError):
        return None
    if len(mask) != 4 or len(masked) < 16:
        return None
    token = bytes(byte ^ mask[i % 4] for i, byte in enumerate(masked))
    return hashlib.sha256(b"retention return link\0" + token).hexdigest()


class PendingReturns:
    """Return links by browser key, each taken at most once and only within ``seconds``."""

    def __init__(self, *, seconds: float = RETURN_SECONDS, limit: int = MAX_PENDING,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self.limit, self.clock = seconds, limit, clock
        self._lock = threading.Lock()
        self._links: dict[str, tuple[float, ReturnLink]] = {}  # insertion order: oldest first

    def remember(self, key: str, link: ReturnLink) -> None:
        now = self.clock()
        with self._lock:
            self._links.pop(key, None)  # a second click: the newer address wins
            self._links[key] = (now + self.seconds, link)
            for stale in [k for k, (expires, _) in self._links.items() if expires <= now]:
                del self._links[stale]
            while len(self._links) > self.limit:
                del self._links[next(iter(self._links))]

    def __len__(self) -> int:
        with self._lock:
            return len(self._links)

    def take(self, key: str) -> ReturnLink | None:
        with self._lock:
            found = self._links.pop(key, None)
        if found is None or found[0] <= self.clock():
            return None
        return found[1]


@st.cache_resource(show_spinner=False)
def pending_returns() -> PendingReturns:
    """The return links of this server process, shared by every session."""
    return PendingReturns()


def _pages() -> dict[str, st.Page]:
    # imported here: the frame imports team, which imports this module for its sign-in button
    from retention.ui import frame

    # every page a link can name, the Team page too (registered only for an admin)
    pages = [*frame.navigation_pages(), st.Page(frame.TEAM_PAGE, title=t("Team"))]
    return {page.url_path: page for page in pages}


def _root() -> str | None:
    auth = st.secrets.get("auth")
    redirect_uri = auth.get("redirect_uri") if auth is not None else None
    if not isinstance(redirect_uri, str):
        return None
    return app_root(redirect_uri, int(st.get_option("server.port")))


def sign_in(provider: str | None = None) -> None:
    """The sign-in button's callback: keep this address's view for this browser, then
    ``st.login``."""
    key, root, url = browser_key(st.context.cookies.get(XSRF_COOKIE)), _root(), st.context.url
    if key and root and url:
        link = return_link_from(url, st.query_params.to_dict(), root=root,
                                page_paths=_pages())
        if link is not None:
            pending_returns().remember(key, link)
    st.login(provider)


def land_after_sign_in() -> None:
    """On a session's first signed-in run, switch to the view this browser asked for before
    it went to sign in, if it did so within :data:`RETURN_SECONDS` (called after
    ``st.navigation``, which must have registered the pages)."""
    state = st.session_state
    if state.get(_CHECKED_KEY):
        return
    state[_CHECKED_KEY] = True
    key = browser_key(st.context.cookies.get(XSRF_COOKIE))
    link = pending_returns().take(key) if key else None
    if link is None:
        return
    page = _pages().get(link.page)
    if page is not None:  # else the app no longer has that page
        from retention.ui import frame

        # this session's first run, on the callback's bare address, has followed an empty
        # link: the returned one is followed on the run the switch starts
        state.pop(links.FOLLOWED_KEY, None)
        language = link.query.get(frame.LANGUAGE_PARAM)
        if language:
            state[frame.PENDING_LANGUAGE_KEY] = language
        st.switch_page(page, query_params=dict(link.query))
