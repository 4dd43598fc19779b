"""The translation helper: English identity, catalogue lookup, formatting, language choice."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from retention import i18n
from retention.i18n import CATALOGUES, current_language, set_language, t

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def russian_entry(monkeypatch):
    """A temporary Russian catalogue with one entry, and the language restored afterwards."""
    monkeypatch.setitem(CATALOGUES, "ru", {"Customers": "Клиенты", "{n} orders": "{n} заказов"})
    token = i18n._language.set(current_language())
    yield
    i18n._language.reset(token)


def test_english_text_is_returned_unchanged():
    assert t("Repeat clients") == "Repeat clients"


def test_kwargs_are_formatted_into_the_text():
    assert t("Loaded {rows} rows from {name}", rows=12, name="sales.csv") == (
        "Loaded 12 rows from sales.csv"
    )


def test_braces_survive_when_no_kwargs_are_given():
    assert t("Use {role}=header to map a column") == "Use {role}=header to map a column"


def test_catalogues_have_english_and_an_empty_russian_entry():
    assert CATALOGUES["en"] == {}
    assert CATALOGUES["ru"] == {}


def test_russian_catalogue_translates_and_formats(russian_entry):
    set_language("ru")
    assert current_language() == "ru"
    assert t("Customers") == "Клиенты"
    assert t("{n} orders", n=5) == "5 заказов"


def test_missing_translation_falls_back_to_english(russian_entry):
    set_language("ru")
    assert t("Pareto share") == "Pareto share"


def test_empty_translation_falls_back_to_english(monkeypatch, russian_entry):
    monkeypatch.setitem(CATALOGUES["ru"], "Advocates", "")
    set_language("ru")
    assert t("Advocates") == "Advocates"


def test_region_and_case_variants_select_the_language(russian_entry):
    set_language("ru-RU")
    assert current_language() == "ru"
    set_language(" EN_gb ")
    assert current_language() == "en"


def test_unknown_language_is_refused_with_the_available_ones(russian_entry):
    set_language("ru")
    with pytest.raises(ValueError, match=r"No translations for language 'de'; available: en, ru\."):
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
