""".streamlit/config.toml names only options this Streamlit knows (a misspelt one is ignored
without a word), and keeps the session lifetime the README's hosting notes rely on."""

from __future__ import annotations

import tomllib

from streamlit import config

from tests.conftest import PROJECT_ROOT


def test_every_option_in_config_toml_exists_in_this_streamlit():
    settings = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text("utf-8"))
    names = {f"{section}.{option}" for section, options in settings.items() for option in options}
    known = set(config.get_config_options())
    assert names <= known, sorted(names - known)
    assert settings["server"]["disconnectedSessionTTL"] == 120
