"""The interface language per person (issue 15): the sidebar picker and the link's ``lang``,
every page in every language, and two sessions in two languages on one server that never see
each other's words, in what they draw or in what they read from the caches."""

from __future__ import annotations

import re

import pytest

from retention import i18n
from retention.i18n import LANGUAGES
from retention.ingest import load_file
from retention.ui.frame import LANGUAGE_KEY
from tests.conftest import use_russian_catalogue
from tests.test_app_churn import CDNOW
from tests.test_catalogues import INCOMPLETE

PAGES = ["views/home.py", "views/ladder.py", "views/ltv.py", "views/abc_xyz.py",
         "views/portraits.py", "views/churn.py", "views/loyalty.py", "views/audiences.py",
         "views/data.py"]
# Pages whose messages the Russian catalogue does not hold yet (issue 15's note says which).
UNTRANSLATED_IN_RUSSIAN: set[str] = set()

# A Russian catalogue of a few messages: the page title, a sidebar label, and a word the
# domain writes into a cached result (the churn page's risk groups).
RUSSIAN_ENTRIES = r"""

msgid "Language"
msgstr "Язык"

msgid "Customers"
msgstr "Клиенты"

msgid "Probably lost"
msgstr "Вероятно, ушли"
"""


@pytest.fixture
def tiny(workspace, no_sample, tiny_purchases_csv):
    return load_file(workspace, tiny_purchases_csv, dataset="Tiny", currency="USD")


@pytest.fixture
def russian(tmp_path, monkeypatch):
    """Only the catalogue above for Russian, for this test."""
    use_russian_catalogue(tmp_path, monkeypatch, RUSSIAN_ENTRIES)
    yield
    i18n.translations.cache_clear()


def opened(app_test, page: str, query: dict[str, str]):
    at = app_test()
    at.switch_page(page)
    at.query_params.update(query)
    return at.run()


def labels(at) -> list[str]:
    return [m.label for m in at.metric]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_in_every_language(app_test, tiny, page, language):
    at = opened(app_test, page, {"lang": language})

    assert not at.exception, at.exception
    assert at.sidebar.selectbox(key=LANGUAGE_KEY).value == language
    assert at.query_params["lang"] == language


def test_every_page_renders_in_every_language_on_an_empty_workspace(app_test, workspace,
                                                                     no_sample):
    for language in LANGUAGES:
        for page in PAGES:
            at = opened(app_test, page, {"lang": language})
            assert not at.exception, (page, language, at.exception)


def test_the_picker_changes_the_words_and_the_link(app_test, tiny, russian):
    at = opened(app_test, "views/home.py", {})
    assert "Customers" in labels(at) and at.query_params["lang"] == "en"

    at.sidebar.selectbox(key=LANGUAGE_KEY).set_value("ru").run()

    assert not at.exception
    assert "Клиенты" in labels(at) and "Customers" not in labels(at)
    assert at.sidebar.selectbox(key=LANGUAGE_KEY).label.endswith("Язык")
    assert at.query_params["lang"] == "ru"


def test_an_unknown_language_in_a_link_means_the_default(app_test, tiny, monkeypatch):
    monkeypatch.delenv("RETENTION_LANG", raising=False)
    at = opened(app_test, "views/home.py", {"lang": "klingon"})

    assert not at.exception
    assert at.sidebar.selectbox(key=LANGUAGE_KEY).value == "en"
    assert at.query_params["lang"] == "en"


def test_two_sessions_in_two_languages_never_see_each_others_words(app_test, workspace,
                                                                   no_sample, russian):
    """The risk groups' names are written by the domain into the churn page's cached tables:
    a Russian session and an English one, interleaved on one server process (one cache), each
    read them in their own language."""
    load_file(workspace, CDNOW, dataset="cdnow", currency="USD",
              mapping={"customer_id": "column2", "date": "column3", "amount": "column5"})
    english = opened(app_test, "views/churn.py", {"lang": "en"})
    russian_session = opened(app_test, "views/churn.py", {"lang": "ru"})
    for _ in range(2):
        for at in (english, russian_session):
            at.run()
            assert not at.exception
        english_text = " ".join(str(df.value.to_dict()) for df in english.dataframe)
        russian_text = " ".join(str(df.value.to_dict()) for df in russian_session.dataframe)
        assert "Probably lost" in english_text and "Вероятно, ушли" not in english_text
        assert "Вероятно, ушли" in russian_text and "Probably lost" not in russian_text


ENGLISH_RUN = re.compile(r"[A-Za-z][a-z]+(?:[ ,'’-]+[A-Za-z][a-z]+){2,}")
# Latin words that may stand in a Russian page: data, codes, units and names of things.
ALLOWED_LATIN = {"Tiny", "CSV", "XLSX", "Parquet", "Excel", "DuckDB", "BG/NBD", "Gamma-Gamma",
                 "CRR", "LTV", "ABC", "XYZ", "USD", "US Dollar", "Mailchimp", "Klaviyo",
                 "SendGrid"}


def visible_texts(at) -> list[str]:
    """What a reader sees as sentences and labels (not table cells: data)."""
    texts = [e.value for group in (at.title, at.header, at.subheader, at.markdown, at.caption,
                                   at.info, at.warning, at.error, at.success) for e in group]
    texts += [m.label for m in at.metric]
    texts += [w.label for group in (at.button, at.selectbox, at.number_input, at.date_input,
                                    at.radio, at.text_input) for w in group]
    return [str(text) for text in texts if text]


def english_sentences(texts: list[str]) -> list[str]:
    found = []
    for text in texts:
        for allowed in ALLOWED_LATIN:
            text = text.replace(allowed, "")
        text = re.sub(r"\S*_\S*", "", text)  # column names (birth_date, share_of_wallet)
        found += ENGLISH_RUN.findall(text)
    return found


@pytest.mark.parametrize("page", [
    pytest.param(page, marks=pytest.mark.xfail(
        "ru" in INCOMPLETE and page in UNTRANSLATED_IN_RUSSIAN, strict=True,
        reason="the Russian catalogue does not hold this page's messages yet"))
    for page in PAGES])
def test_a_russian_page_holds_no_english_sentence(app_test, tiny, page):
    at = opened(app_test, page, {"lang": "ru"})
    assert not at.exception
    assert english_sentences(visible_texts(at)) == []
