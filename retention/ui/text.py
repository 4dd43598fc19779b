"""Showing text that came from users or files without letting it act as markup.

``st.markdown``, ``st.error`` and friends interpret Markdown, Streamlit directives
(``:red[...]``, ``:material/...:``) and LaTeX (``$...$``). A file name, header or cell value is
data, so before it is placed in such an element every ASCII punctuation character gets a
backslash, which CommonMark defines as "this character, literally". Tables go through
``st.dataframe``, which never interprets its cells.
"""

from __future__ import annotations

import datetime as dt
import re

from babel.dates import format_date as babel_format_date

from retention.formatting import MISSING
from retention.i18n import current_language

_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# Streamlit's markdown (remark-gfm) turns "www.x", "http://x" and "a@b.c" into links *after*
# backslash escapes are resolved, so escaping alone does not stop them. An invisible word
# joiner before every escaped ".", ":" and "@" breaks each of those patterns; the text reads
# the same, and only a copy of it carries the invisible character.
_LINK_PUNCTUATION = re.compile(r"\\([.:@])")
WORD_JOINER = "\u2060"
_UNSAFE_FILE_CHARS = re.compile(r"[^\w\-. ]+")


def md_escape(text: object) -> str:
    """``text`` with every ASCII punctuation character backslash-escaped for Markdown.

    ``md_escape("a_b *c* :red[x]")`` -> ``"a\\_b \\*c\\* \\:red\\[x\\]"``; it renders as the
    original characters, never as emphasis, colour or a link.
    """
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", str(text))
    return _LINK_PUNCTUATION.sub(WORD_JOINER + r"\\\1", escaped)


def format_day(value: dt.date | None) -> str:
    """A date the way the interface language writes it (``"May 2, 2024"``); ``"—"`` if None."""
    if value is None:
        return MISSING
    return babel_format_date(value, format="medium", locale=current_language())


def safe_file_stem(name: str) -> str:
    """A download file name stem made from user text: letters, digits, ``-``, ``_``, ``.``."""
    stem = _UNSAFE_FILE_CHARS.sub("_", name).strip(" ._")
    return stem[:80] or "data"
