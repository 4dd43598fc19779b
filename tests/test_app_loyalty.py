"""The loyalty programme page: renders on the sample and on an empty workspace; its inputs,
presets, saved scenarios and links change what it shows."""

from __future__ import annotations

PAGE = "views/loyalty.py"


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def open_page(at):
    at.run()
    return at.switch_page(PAGE).run()


def test_the_page_renders_on_the_sample(app_test, workspace, with_sample):
    at = open_page(app_test())
    assert not at.exception, at.exception
    print(metrics(at))
