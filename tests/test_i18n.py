"""The translation helper: English identity, catalogue lookup, formatting, language choice."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from retention import i18n
from retention.i18n import current_language, set_language, t, tn
from tests.conftest import use_russian_catalogue

PROJECT_ROOT = Path(__file__).resolve().parents[1]

RUSSIAN_ENTRIES = r"""

msgid "Customers"
msgstr "Клиенты"

msgid "{n} orders in all"
msgstr "всего заказов: {n}"

msgid "Advocates"
msgstr ""

#, fuzzy
msgid "Regular"
msgstr "Постоянный (не проверено)"

msgid "{n} customer"
msgid_plural "{n} customers"
msgstr[0] "{n} клиент"
msgstr[1] "{n} клиента"
msgstr[2] "{n} клиентов"
"""


@pytest.fixture
def russian_entry(tmp_path, monkeypatch):
    """A temporary Russian catalogue (a .po file in the standard layout), and the language
    restored afterwards."""
    use_russian_catalogue(tmp_path, monkeypatch, RUSSIAN_ENTRIES)
    token = i18n._language.set(current_language())
    yield
    i18n._language.reset(token)
    i18n.translations.cache_clear()


def test_english_text_is_returned_unchanged():
    assert t("Repeat clients") == "Repeat clients"


def test_kwargs_are_formatted_into_the_text():
    assert t("Loaded {rows} rows from {name}", rows=12, name="sales.csv") == (
        "Loaded 12 rows from sales.csv"
    )


def test_braces_survive_when_no_kwargs_are_given():
    assert t("Use {role}=header to map a column") == "Use {role}=header to map a column"


def test_the_languages_of_the_markets_are_offered():
    assert i18n.LANGUAGES == ("en", "ru", "mn", "uz", "hy", "ka")


def test_the_russian_catalogue_translates_and_formats(russian_entry):
    set_language("ru")
    assert current_language() == "ru"
    assert t("Customers") == "Клиенты"
    assert t("{n} orders in all", n=5) == "всего заказов: 5"


def test_a_missing_translation_falls_back_to_english(russian_entry):
    set_language("ru")
    assert t("Pareto share") == "Pareto share"


def test_an_empty_or_fuzzy_translation_falls_back_to_english(russian_entry):
    set_language("ru")
    assert t("Advocates") == "Advocates"
    assert t("Regular") == "Regular"  # a translator's unchecked guess is not shown


@pytest.mark.parametrize(("n", "expected"), [
    (1, "1 клиент"), (2, "2 клиента"), (4, "4 клиента"), (5, "5 клиентов"), (11, "11 клиентов"),
    (21, "21 клиент"), (22, "22 клиента"), (111, "111 клиентов"), (0, "0 клиентов")])
def test_plurals_follow_the_catalogues_rule(russian_entry, n, expected):
    set_language("ru")
    assert tn("{n} customer", "{n} customers", n) == expected


def test_english_plurals_have_two_forms():
    assert tn("{n} customer", "{n} customers", 1) == "1 customer"
    assert tn("{n} customer", "{n} customers", 0) == "0 customers"


def test_region_and_case_variants_select_the_language(russian_entry):
    set_language("ru-RU")
    assert current_language() == "ru"
    set_language(" EN_gb ")
    assert current_language() == "en"


def test_unknown_language_is_refused_with_the_available_ones(russian_entry):
    set_language("ru")
    with pytest.raises(ValueError,
                       match=r"No translations for language 'de'; available: en, ru, mn, uz, "
                             r"hy, ka\."):
        set_language("de")
    assert current_language() == "ru"


def test_language_set_in_one_thread_does_not_leak_into_another(russian_entry):
    # Streamlit sessions run in separate threads; one user's language must not switch another's.
    set_language("en")
    seen: list[str] = []

    def other_session():
        set_language("ru")
        seen.append(current_language())

    worker = threading.Thread(target=other_session)
    worker.start()
    worker.join()
    assert seen == ["ru"]
    assert current_language() == "en"


@pytest.mark.parametrize(
    ("env_value", "expected"),
    [(None, "en"), ("ru", "ru"), ("ru_RU.UTF-8", "ru"), ("de", "en"), ("", "en")],
)
def test_language_comes_from_retention_lang_defaulting_to_english(env_value, expected):
    env = {key: value for key, value in os.environ.items() if key != "RETENTION_LANG"}
    if env_value is not None:
        env["RETENTION_LANG"] = env_value
    result = subprocess.run(
        [sys.executable, "-c", "from retention.i18n import current_language as c; print(c())"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == expected


def test_a_value_ending_in_a_full_stop_closes_the_sentence_without_a_second_one():
    assert t("Numbers as of {as_of}.", as_of="1 мар. 2025 г.") == "Numbers as of 1 мар. 2025 г."
    assert t("As of {as_of}. Then {n}.", as_of="May 2", n=3) == "As of May 2. Then 3."
    assert t("{name}.{ext}", name="a.", ext="csv") == "a.csv"
