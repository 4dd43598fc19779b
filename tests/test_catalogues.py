"""The translation catalogues stay complete (issue 15): the template holds every message of the
code, every language's catalogue holds exactly the template's messages, each translated, with
the same placeholders, and a glossary of the domain words lies beside it."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from retention.i18n import DEFAULT_LANGUAGE, LANGUAGES, LOCALE_DIR, catalogue_path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"t": None, "tn": (1, 2), "N_": None}  # as in the README's extract command
TRANSLATED = [language for language in LANGUAGES if language != DEFAULT_LANGUAGE]
# Languages whose catalogue is not complete yet: their "every message translated" check is an
# expected failure, strict, so finishing a catalogue turns it into a plain test (issue 15's note
# says how far each one is).
INCOMPLETE: set[str] = set()
NO_GLOSSARY: set[str] = set()
PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_][a-z0-9_]*)[^{}]*\}(?!\})")
# The domain words every glossary gives one translation for (DESIGN §10).
GLOSSARY_TERMS = {"loyalty ladder", "one-time buyer", "repeat buyer", "regular", "loyal",
                  "advocate", "CRR", "LTV", "ABC/XYZ", "customer portraits", "churn risk"}


def _key(message_id: str | tuple[str, ...]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def code_messages() -> set[str]:
    with (LOCALE_DIR / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    return {_key(message) for _, _, message, *_ in extract_from_dir(
        PROJECT_ROOT, method_map, options_map, keywords=KEYWORDS)}


def catalogue(path: Path):
    with path.open("rb") as source:
        return read_po(source)


def messages(path: Path) -> set[str]:
    return {_key(m.id) for m in catalogue(path) if m.id}


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_the_template_holds_every_message_of_the_code():
    template = messages(LOCALE_DIR / "messages.pot")
    found = code_messages()
    assert found - template == set(), "new messages: run the README's extract command"
    assert template - found == set(), "messages no longer in the code: extract again"


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_catalogue_holds_exactly_the_templates_messages(language):
    template = messages(LOCALE_DIR / "messages.pot")
    held = messages(catalogue_path(language))
    assert template - held == set(), "missing: run the README's update command"
    assert held - template == set(), "stale entries: run the update command with its options"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_translation_keeps_the_placeholders_of_its_message(language):
    wrong = []
    for message in catalogue(catalogue_path(language)):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        wanted = set().union(*(placeholders(i) for i in ids))
        for string in strings:
            if string and placeholders(string) != wanted:
                wrong.append((ids[0], string))
    assert wrong == []


@pytest.mark.parametrize("language", [
    pytest.param(language, marks=pytest.mark.xfail(
        language in INCOMPLETE, reason="catalogue not complete yet", strict=True))
    for language in TRANSLATED])
def test_every_message_is_translated(language):
    untranslated = [_key(m.id) for m in catalogue(catalogue_path(language))
                    if m.id and (not m.string or (not isinstance(m.string, str)
                                                   and not all(m.string)) or m.fuzzy)]
    assert untranslated == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_catalogue_states_its_language_and_plural_rule(language):
    po = catalogue(catalogue_path(language))
    assert str(po.locale) == language
    assert po.num_plurals >= 1 and "plural=" in po.plural_forms


@pytest.mark.parametrize("language", [
    pytest.param(language, marks=pytest.mark.xfail(
        language in NO_GLOSSARY, reason="glossary not written yet", strict=True))
    for language in TRANSLATED])
def test_a_glossary_of_the_domain_words_lies_beside_the_catalogue(language):
    path = LOCALE_DIR / language / "glossary.csv"
    with path.open(encoding="utf-8") as source:
        rows = {row["term"]: row["translation"] for row in csv.DictReader(source)}
    assert set(rows) >= GLOSSARY_TERMS
    assert all(rows[term].strip() for term in GLOSSARY_TERMS)
