"""The portrait cards in AppTest (issue 10, points 16 and 21): values from the data are shown as
plain text, never as Markdown that could turn them into links, and every word of a card's name
is borne out by the numbers printed on the same card."""

from __future__ import annotations

import re

import pytest

from retention.ingest import load_file
from tests.test_portrait_names import parse
from tests.test_portraits import planted_purchases

PAGE = "views/portraits.py"
NUMBER = r"-?[\d,]+(?:\.\d+)?"


def open_page(at):
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def number(text: str) -> float:
    return float(text.replace(",", "").replace("$", ""))


def cards(at) -> list[dict]:
    """Each card's name, the lines that explain it, and its "Medians" line, in page order."""
    found: list[dict] = []
    for node in at.main:
        kind, value = type(node).__name__, getattr(node, "value", None)
        if kind == "Markdown" and value.startswith("#### "):
            found.append({"name": value.removeprefix("#### ").replace("\\", ""),
                          "reasons": {}, "medians": None})
        elif found and kind == "Caption" and value.startswith("**") and not found[-1]["reasons"]:
            for line in value.split("  \n"):
                word, _, reason = line.removeprefix("**").partition("**: ")
                found[-1]["reasons"][word] = reason
        elif found and kind == "Markdown" and value.startswith("**Medians:**"):
            found[-1]["medians"] = value
    return found


def check_card(card: dict, window: int) -> None:
    name, reasons = card["name"], card["reasons"]
    recency, tenure, orders = (number(v) for v in re.search(
        rf"last order ({NUMBER}) days ago · first order ({NUMBER}) days ago · "
        rf"orders: ({NUMBER})", card["medians"]).groups())
    lifecycle, habit, trait = parse(name)
    if lifecycle is not None:
        assert lifecycle in reasons, (name, reasons)
        assert {
            "New": tenure < window,
            "Active": recency < window,
            "Drifting": window <= recency < 2 * window,
            "Lapsed": recency >= 2 * window,
            "Loyal": True,  # checked with the ladder counts below
        }[lifecycle], (name, recency, tenure)
    if habit != "shoppers":
        reason = reasons[habit[:1].upper() + habit[1:]]
        if habit == "one-timers":
            assert orders == 1, name
        elif habit in ("big spenders", "small spenders"):
            check, base = (number(v) for v in re.findall(rf"\$({NUMBER})", reason))
            assert check >= 1.5 * base if habit == "big spenders" else check <= base * 2 / 3
        elif habit == "returners":
            assert number(re.search(rf"({NUMBER})%", reason).group(1)) >= 20
    for word in ("Loyal", "Regulars", "Repeat buyers"):
        if word in reasons:
            count, customers = (number(v) for v in re.search(
                rf"({NUMBER}) of ({NUMBER}) are", reasons[word]).groups())
            assert 2 * count > customers, (name, reasons[word])
    if trait is not None:
        values = [number(v) for v in re.findall(rf"({NUMBER})(?: days|,| for)",
                                               reasons[trait].replace("$", ""))]
        mine, others = values[0], values[1:]
        assert others, (name, reasons[trait])
        highest = trait in ("longer gone", "more orders", "bigger baskets", "longer-standing",
                            "higher spend")
        assert mine > max(others) if highest else mine < min(others), (name, reasons[trait])


def test_every_card_on_the_sample_shop_bears_out_its_name(app_test, with_sample):
    at = open_page(app_test())

    found = cards(at)
    assert len(found) >= 3
    for card in found:
        check_card(card, window=90)


@pytest.fixture
def planted(workspace, tmp_path, no_sample):
    """tests.test_portraits' planted groups; most customers live in a "city" that is a URL and
    buy most from a "category" that is a bare www address."""
    text, _ = planted_purchases()
    header, *rows = text.splitlines()
    lines = [f"{header},city,category"]
    for i, row in enumerate(rows):
        city = "http://evil.example/win" if i % 5 else "Springfield"
        lines.append(f"{row},{city},www.evil-shop.example")
    path = tmp_path / "planted.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_file(workspace, path, dataset="Planted", currency="USD")


def test_planted_cards_bear_out_their_names_for_the_sidebar_s_window(app_test, planted):
    at = open_page(app_test())

    found = cards(at)
    assert sorted(card["name"] for card in found) == [
        "Active regulars", "Lapsed one-timers", "New big spenders"]
    for card in found:
        check_card(card, window=90)

    # a 14-day window: the big spenders' median last order, 16 days ago, is past it
    at.sidebar.number_input(key="window_days").set_value(14).run()
    assert not at.exception, at.exception
    found = cards(at)
    assert "Drifting big spenders" in [card["name"] for card in found]
    for card in found:
        check_card(card, window=14)


def test_urls_in_the_data_are_shown_as_text_never_as_markdown(app_test, planted):
    at = open_page(app_test())

    typical = [text.value for text in at.text if text.value.startswith("Typically:")]
    assert len(typical) == 3
    assert all("City http://evil.example/win (" in line for line in typical)
    assert all("Top category www.evil-shop.example (100%)" in line for line in typical)
    # Streamlit's Markdown links "http://…" and "www.…" even when every character is
    # backslash-escaped, so the values must not reach a Markdown element at all
    markdown = [m.value for m in (*at.markdown, *at.caption)]
    assert not [value for value in markdown if "evil" in value]
