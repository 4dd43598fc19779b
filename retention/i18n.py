"""The one translation helper every user-facing string passes through.

    >>> t("Loaded {rows} rows", rows=12)
    'Loaded 12 rows'

The English text is the catalogue key (gettext style), so code reads naturally and a missing
translation falls back to English instead of showing a key. Catalogues are plain dicts here
rather than gettext ``.po``/``.mo`` files: one planned language does not justify a compile step.

The current language lives in a ``ContextVar``, not a module global: Streamlit runs every
session's script in its own thread, and a global would let one user's choice switch the language
for everybody. A new thread starts from the default, taken from ``RETENTION_LANG`` (else
``"en"``), so the UI frame calls :func:`set_language` at the top of each run.
"""

from __future__ import annotations

import os
from contextvars import ContextVar

DEFAULT_LANGUAGE = "en"

# English text -> translation, per language. English is the identity, hence empty.
CATALOGUES: dict[str, dict[str, str]] = {
    "en": {},
    "ru": {},
}


def _normalise(code: str) -> str:
    """``"ru_RU"``, ``"ru-RU"`` and ``" RU "`` all mean ``"ru"``."""
    return code.strip().replace("-", "_").split("_")[0].lower()


def _language_from_env() -> str:
    code = _normalise(os.environ.get("RETENTION_LANG", ""))
    return code if code in CATALOGUES else DEFAULT_LANGUAGE


_STARTUP_LANGUAGE = _language_from_env()
_language: ContextVar[str] = ContextVar("retention_language", default=_STARTUP_LANGUAGE)


def set_language(code: str) -> None:
    """Make ``code`` (e.g. ``"ru"``, ``"ru_RU"``) the language for the current context.

    Raises ``ValueError`` naming the available languages when there is no catalogue for it.
    """
    language = _normalise(code)
    if language not in CATALOGUES:
        available = ", ".join(sorted(CATALOGUES))
        raise ValueError(f"No translations for language {code!r}; available: {available}.")
    _language.set(language)


def current_language() -> str:
    """The language code in effect for the current context, e.g. ``"en"``."""
    return _language.get()


def t(text: str, **kwargs: object) -> str:
    """Translate the English ``text`` into the current language, then fill in ``kwargs``.

    Falls back to ``text`` when the catalogue has no (or an empty) entry. ``str.format`` is
    applied only when keyword arguments are given, so literal braces in a plain message survive.
    """
    translated = CATALOGUES.get(current_language(), {}).get(text) or text
    return translated.format(**kwargs) if kwargs else translated
