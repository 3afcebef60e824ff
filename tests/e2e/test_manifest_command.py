"""`tokenbot manifest`: the Socket Mode manifest is manifest.yml; --http-url gives HTTP mode."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from tests.cli_runner import run_tokenbot

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tests/data/slack-manifest.schema.1.0.0.json").read_text())


def test_manifest_prints_manifest_yml_byte_for_byte() -> None:
    printed = run_tokenbot("manifest")
    assert (printed.code, printed.err) == (0, "")
    assert printed.out == (ROOT / "manifest.yml").read_text()


def test_http_url_gives_an_http_mode_manifest_slack_accepts() -> None:
    printed = run_tokenbot("manifest", "--http-url", "https://bot.example.com")
    assert (printed.code, printed.err) == (0, "")
    manifest = yaml.safe_load(printed.out)
    jsonschema.validate(manifest, SCHEMA)
    url = "https://bot.example.com/slack/events"
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is False
    assert settings["event_subscriptions"]["request_url"] == url
    assert settings["interactivity"]["request_url"] == url
    assert [c["url"] for c in manifest["features"]["slash_commands"]] == [url]
    assert printed.out.startswith("# Slack app manifest for tokenbot, HTTP mode")


def test_json_is_the_same_manifest() -> None:
    as_yaml = run_tokenbot("manifest", "--http-url", "https://bot.example.com/")
    as_json = run_tokenbot("manifest", "--http-url", "https://bot.example.com/", "--json")
    assert as_json.code == 0
    assert json.loads(as_json.out) == yaml.safe_load(as_yaml.out)
    assert json.loads(run_tokenbot("manifest", "--json").out) == yaml.safe_load(
        (ROOT / "manifest.yml").read_text()
    )


def test_a_bad_url_is_a_usage_error_in_one_line() -> None:
    refused = run_tokenbot("manifest", "--http-url", "http://bot.example.com")
    assert (refused.code, refused.out) == (2, "")
    assert refused.err == (
        'tokenbot: --http-url: "http://bot.example.com" must use https://'
        " (http:// only for localhost and 127.0.0.1)\n"
    )
    with_password = run_tokenbot("manifest", "--http-url", "https://me:hunter2@bot.example.com")
    assert with_password.code == 2
    assert with_password.err.startswith("tokenbot: --http-url: ")
    assert "user name or password" in with_password.err
    assert "hunter2" not in with_password.err
    assert with_password.err.count("\n") == 1


def test_loopback_http_is_allowed_for_a_tunnel_or_a_test() -> None:
    printed = run_tokenbot("manifest", "--http-url", "http://127.0.0.1:3000")
    assert printed.code == 0
    manifest = yaml.safe_load(printed.out)
    assert manifest["settings"]["interactivity"]["request_url"] == (
        "http://127.0.0.1:3000/slack/events"
    )
