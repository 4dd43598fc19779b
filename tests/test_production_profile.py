"""The production profile (deploy/production.env), the Dockerfile that applies it and the README's
hosting notes agree with each other and with this Streamlit (issue 13, "Production"): each
setting the issue names is set under an option name Streamlit 1.67 knows, with the right value;
the image runs as a user other than root, checks its health, keeps its data on a volume and
installs only requirements.txt; the nginx example can carry the app's WebSocket."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib

from streamlit import config

from tests.conftest import PROJECT_ROOT
from tests.test_readme_environment import _documented

PROFILE = PROJECT_ROOT / "deploy" / "production.env"
DOCKERFILE = PROJECT_ROOT / "Dockerfile"

# What the issue asks of production, option by option. The host list and the upload limit are
# the operator's to choose, so only their presence is fixed here.
REQUIRED = {
    "client.showErrorDetails": "none",
    "client.toolbarMode": "viewer",
    "server.enableXsrfProtection": True,
    "server.fileWatcherType": "none",
    "browser.gatherUsageStats": False,
}
CHOSEN_BY_THE_OPERATOR = ("server.allowedHosts", "server.maxUploadSize")


def _profile() -> dict[str, str]:
    """The profile's variables, read as docker's --env-file and systemd read them."""
    variables = {}
    for line in PROFILE.read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, value = line.split("=", 1)
            variables[name] = value
    return variables


def _option_of_variable() -> dict[str, str]:
    """Every option of this Streamlit, keyed by the environment variable that sets it."""
    return {option.env_var: key for key, option in config.get_config_options().items()}


def _options_streamlit_reads(environment: dict[str, str]) -> dict[str, object]:
    """The options `streamlit config show` reports as set from the environment, with values.

    Streamlit applies STREAMLIT_* variables in its command line, not when the config module is
    imported, so the check goes through that command line exactly as a server start does.
    """
    shown = subprocess.run(
        [sys.executable, "-m", "streamlit", "config", "show"],
        env={**os.environ, **environment}, cwd=PROJECT_ROOT,
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout.splitlines()
    options: dict[str, object] = {}
    section = ""
    from_environment = False
    index = 0
    while index < len(shown):
        line = shown[index]
        if re.fullmatch(r"\[[\w.]+\]", line):
            section = line[1:-1]
        elif line.startswith("# The value below was set in"):
            from_environment = "environment variable" in line
        elif from_environment and re.match(r"\w+ = ", line):
            assignment = [line]
            if line.endswith("["):  # a list, one item a line up to a closing "]"
                while shown[index] != "]":
                    index += 1
                    assignment.append(shown[index])
            key, value = "\n".join(assignment).split(" = ", 1)
            options[f"{section}.{key}"] = tomllib.loads(f"value = {value}")["value"]
            from_environment = False
        index += 1
    return options


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text("utf-8"))
    instructions = []
    for line in joined.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            instruction, _, arguments = line.strip().partition(" ")
            instructions.append((instruction.upper(), arguments.strip()))
    return instructions


def _dockerfile_environment() -> dict[str, str]:
    return {
        name: value
        for instruction, arguments in _dockerfile_instructions() if instruction == "ENV"
        for name, value in re.findall(r"(\w+)=(\S+)", arguments)
    }


def _hosting_section() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text("utf-8")
    return readme.split("\n### Hosting in production\n", 1)[1].split("\n## ", 1)[0]


def test_every_variable_of_the_profile_names_an_option_of_this_streamlit():
    unknown = set(_profile()) - set(_option_of_variable())
    assert not unknown, sorted(unknown)


def test_the_profile_sets_each_production_setting_and_streamlit_reads_it():
    profile = _profile()
    named = {_option_of_variable()[name] for name in profile}
    assert set(REQUIRED) | set(CHOSEN_BY_THE_OPERATOR) <= named
    for value in profile.values():
        # One file serves docker --env-file, systemd and a shell only without quotes or spaces.
        assert value and not re.search(r"[\s'\"]", value), value

    read = _options_streamlit_reads(profile)
    assert {key: read.get(key) for key in REQUIRED} == REQUIRED
    assert read["server.allowedHosts"] == ["localhost"]
    assert read["server.maxUploadSize"] > 0
    assert named <= set(read)


def test_the_image_runs_as_a_user_other_than_root():
    instructions = _dockerfile_instructions()
    users = [arguments for instruction, arguments in instructions if instruction == "USER"]
    assert users and users[-1] not in {"root", "0", "0:0"}
    created = " ".join(arguments for instruction, arguments in instructions if instruction == "RUN")
    assert re.search(rf"useradd\b[^&]*\b{re.escape(users[-1])}\b", created)
    kinds = [instruction for instruction, _ in instructions]
    assert kinds.index("USER") < kinds.index("CMD")


def test_the_image_checks_its_health_and_keeps_its_data_on_a_volume():
    instructions = dict(_dockerfile_instructions())
    assert instructions["FROM"] == "python:3.11-slim"
    assert "/_stcore/health" in instructions["HEALTHCHECK"]
    assert "urllib.request" in instructions["HEALTHCHECK"]
    assert instructions["VOLUME"] == "/data"
    assert instructions["EXPOSE"] == "8501"
    assert instructions["CMD"] == '["streamlit", "run", "app.py"]'


def test_the_image_installs_requirements_txt_and_nothing_else():
    installs = [arguments for instruction, arguments in _dockerfile_instructions()
                if instruction == "RUN" and "install" in arguments]
    assert installs == ["pip install --no-cache-dir --disable-pip-version-check "
                        "-r requirements.txt"]


def test_the_image_applies_the_profile_and_only_documented_variables():
    environment = _dockerfile_environment()
    streamlit = {name: value for name, value in environment.items()
                 if name.startswith("STREAMLIT_")}
    assert streamlit == _profile()
    retention = {name: value for name, value in environment.items()
                 if name.startswith("RETENTION_")}
    assert set(environment) == set(streamlit) | set(retention)
    assert {"RETENTION_DB", "RETENTION_REGISTRY", "RETENTION_IMPORT_DIR"} <= set(retention)
    assert set(retention) <= _documented()
    # Whatever the dashboard writes lands on the volume.
    assert all(value.startswith("/data/") for value in retention.values())


def test_the_build_context_leaves_out_environments_data_and_secrets():
    ignored = set((PROJECT_ROOT / ".dockerignore").read_text("utf-8").splitlines())
    assert {".venv", ".git", "data", "workspaces", "tests", "**/secrets.toml"} <= ignored


def test_the_readme_nginx_example_carries_the_websocket_and_checks_the_host():
    section = _hosting_section()
    nginx = section.split("```nginx\n", 1)[1].split("```", 1)[0]
    stream = nginx.split("location /_stcore/stream {", 1)[1].split("}", 1)[0]
    for directive in ("proxy_http_version 1.1;", "proxy_set_header Upgrade $http_upgrade;",
                      'proxy_set_header Connection "upgrade";', "proxy_set_header Host $host;",
                      "proxy_read_timeout"):
        assert directive in stream, directive
    upload_limit = _profile()["STREAMLIT_SERVER_MAX_UPLOAD_SIZE"]
    assert f"client_max_body_size {upload_limit}m;" in nginx
    default_server = nginx.split("server_name _;", 1)[1].split("}", 1)[0]
    assert "return 444;" in default_server
    assert "listen 443 ssl default_server;" in nginx
    assert "server_name dash.example.com;" in nginx
