"""The one translation helper every user-facing string passes through.

    >>> t("Loaded {rows} rows", rows=12)
    'Loaded 12 rows'

The English text is the message id (gettext style), so code reads naturally and a missing
translation falls back to English instead of showing a key. The catalogues are standard gettext
files, ``retention/locale/<lang>/LC_MESSAGES/messages.po``, which translators edit with Poedit
or Weblate; Babel extracts the messages from the code into ``retention/locale/messages.pot``
(the README's "Languages" says how). A ``.po`` file is compiled in memory, with Babel, the first
time its language is used in a process, so there is no build step and no ``.mo`` file to keep
in step with its source. Plurals (:func:`tn`) follow each catalogue's ``Plural-Forms``.

The current language lives in a ``ContextVar``, not a module global: Streamlit runs every
session's script in its own thread, and a global would let one user's choice switch the language
for everybody. A new thread starts from the default, taken from ``RETENTION_LANG`` (else
``"en"``), so the UI frame calls :func:`set_language` at the top of each run with the session's
choice.
"""

from __future__ import annotations

import gettext
import io
import os
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

DEFAULT_LANGUAGE = "en"
# The interface languages (DESIGN §10), each with its name as its speakers write it.
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "ru": "Русский",
    "mn": "Монгол",
    "uz": "Oʻzbekcha",
    "hy": "Հայերեն",
    "ka": "ქართული",
}
LANGUAGES = tuple(LANGUAGE_NAMES)
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"


def catalogue_path(language: str) -> Path:
    """Where ``language``'s gettext catalogue lives (the standard layout)."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> gettext.NullTranslations:
    """``language``'s catalogue, compiled once per process; English (and a language whose
    file is missing) is the identity. Fuzzy entries are left out, as gettext does."""
    path = catalogue_path(language)
    if language == DEFAULT_LANGUAGE or not path.is_file():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def _normalise(code: str) -> str:
    """``"ru_RU"``, ``"ru-RU"`` and ``" RU "`` all mean ``"ru"``."""
    return code.strip().replace("-", "_").split("_")[0].split(".")[0].lower()


def language_or_none(code: str | None) -> str | None:
    """The interface language ``code`` names (``"ru_RU"`` → ``"ru"``), or None."""
    if not code:
        return None
    language = _normalise(code)
    return language if language in LANGUAGE_NAMES else None


def _language_from_env() -> str:
    return language_or_none(os.environ.get("RETENTION_LANG")) or DEFAULT_LANGUAGE


_STARTUP_LANGUAGE = _language_from_env()
_language: ContextVar[str] = ContextVar("retention_language", default=_STARTUP_LANGUAGE)


def set_language(code: str) -> None:
    """Make ``code`` (e.g. ``"ru"``, ``"ru_RU"``) the language for the current context.

    Raises ``ValueError`` naming the available languages when there is no such language.
    """
    language = language_or_none(code)
    if language is None:
        available = ", ".join(LANGUAGES)
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
    translated = translations(current_language()).gettext(text)
    return _fill(translated, kwargs) if kwargs else translated


def _fill(template: str, values: dict[str, object]) -> str:
    """``template.format(**values)``, without a second full stop where a value that ends in
    one (a Russian date, "1 мар. 2025 г.") closes a sentence."""
    for name, value in values.items():
        if isinstance(value, str) and value.endswith("."):
            template = template.replace("{" + name + "}.", "{" + name + "}")
    return template.format(**values)


def tn(singular: str, plural: str, n: int, **kwargs: object) -> str:
    """The form of a message for the count ``n`` (``{n}`` is filled in with it): English has
    two forms, Russian three, Georgian and Uzbek their own; each catalogue says which."""
    translated = translations(current_language()).ngettext(singular, plural, n)
    return _fill(translated, {"n": n, **kwargs})


def N_(text: str) -> str:  # noqa: N802 - gettext's conventional name for the marker
    """Mark ``text`` for extraction where it is defined (a label in the domain, say) and
    translated later with :func:`t`; returns it unchanged."""
    return text
