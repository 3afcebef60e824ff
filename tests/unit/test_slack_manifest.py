"""bot/slack/manifest.py and its YAML writer: the request URL, and YAML that reads back."""

from __future__ import annotations

import pytest
import yaml

from bot.slack.manifest import RequestUrlError, build_manifest, events_url, render_yaml
from bot.slack.manifest_yaml import scalar, to_yaml


@pytest.mark.parametrize(
    ("given", "url"),
    [
        ("https://bot.example.com", "https://bot.example.com/slack/events"),
        ("https://bot.example.com/", "https://bot.example.com/slack/events"),
        ("https://bot.example.com/slack/events", "https://bot.example.com/slack/events"),
        ("https://example.com/tokenbot/", "https://example.com/tokenbot/slack/events"),
        ("HTTPS://Bot.Example.com:8443", "https://Bot.Example.com:8443/slack/events"),
        ("  https://bot.example.com  ", "https://bot.example.com/slack/events"),
        ("http://localhost:3000", "http://localhost:3000/slack/events"),
        ("http://127.0.0.1:3000/", "http://127.0.0.1:3000/slack/events"),
        ("http://[::1]:3000", "http://[::1]:3000/slack/events"),
    ],
)
def test_the_request_url_is_tokenbots_events_path_under_the_public_url(
    given: str, url: str
) -> None:
    assert events_url(given) == url


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("http://bot.example.com", "must use https://"),
        ("http://10.0.0.5:3000", "must use https://"),
        ("http://localhost.example.com", "must use https://"),
        ("ftp://bot.example.com", "must start with https://"),
        ("bot.example.com", "must start with https://"),
        ("https://", "must start with https://"),
        ("", "is not a URL"),
        ("https://bot.example.com/a b", "is not a URL"),
        ("https://bot.example.com/\x1b[31m", "is not a URL"),
        ("https://user:secret@bot.example.com", "user name or password"),
        ("https://bot.example.com/?x=1", "query"),
        ("https://bot.example.com/#top", "fragment"),
        ("https://bot.example.com?", "query"),
        ("https://bot.example.com:99999", "port"),
        ("https://bot.example.com:http", "port"),
        ("http://[::1", "IPv6"),
        ("https://bot.example.com/" + "p" * 3000, "too long"),
    ],
)
def test_a_url_slack_cannot_or_should_not_use_is_refused_with_why(given: str, why: str) -> None:
    with pytest.raises(RequestUrlError, match=why) as refused:
        events_url(given)
    message = str(refused.value)
    assert "\n" not in message
    assert len(message) < 200
    assert "\x1b" not in message


@pytest.mark.parametrize(
    "given",
    [
        "http://me:hunter2@bot.example.com",
        "https://me:hunter2@bot.example.com:bad",
        "https://me:hunter2@bot.example.com/a b",
        "ftp://me:hunter2@bot.example.com",
    ],
)
def test_a_url_with_a_password_is_refused_without_showing_it(given: str) -> None:
    with pytest.raises(RequestUrlError, match="user name or password") as refused:
        events_url(given)
    assert "hunter2" not in str(refused.value)


def test_http_mode_puts_the_url_where_slack_sends_each_kind_of_request() -> None:
    url = "https://bot.example.com/slack/events"
    manifest = build_manifest(url)
    assert manifest["settings"]["event_subscriptions"]["request_url"] == url
    assert manifest["settings"]["interactivity"]["request_url"] == url
    assert [c["url"] for c in manifest["features"]["slash_commands"]] == [url]
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert "redirect_urls" not in manifest["oauth_config"]


def test_socket_mode_has_no_urls() -> None:
    text = render_yaml(build_manifest())
    assert "://" not in "".join(line for line in text.splitlines() if not line.startswith("#"))
    assert yaml.safe_load(text)["settings"]["socket_mode_enabled"] is True


@pytest.mark.parametrize(
    "text",
    [
        "plain words, with a comma.",
        "#2f2a6b",
        "yes",
        "No",
        "null",
        "~",
        "true",
        "1.0",
        "0x1f",
        "2026-01-01",
        "",
        " leading space",
        "trailing space ",
        "key: value",
        "ends with colon:",
        "a # not a comment",
        "- looks like an item",
        "which | request",
        "{flow}",
        "[list]",
        "*alias",
        "&anchor",
        "!tag",
        "@at",
        "`backtick`",
        "'quoted'",
        '"double"',
        "tab\there",
        "line\nbreak",
        "ünïcode ✓",
        "/token",
        "https://bot.example.com/slack/events",
    ],
)
def test_every_string_reads_back_as_itself(text: str) -> None:
    document = {"key": text, "list": [text]}
    assert yaml.safe_load(to_yaml(document)) == document
    assert yaml.safe_load(f"k: {scalar(text)}") == {"k": text}


def test_nesting_empty_values_and_comments_read_back() -> None:
    document = {
        "a": {"b": [{"c": 1, "d": {"e": True}}, {"c": 2}], "f": None},
        "empty": {},
        "none": [],
        "items": ["x", "z"],
    }
    text = to_yaml(document, header=["first", ""], notes={("items",): {"x": "why x"}})
    assert text.startswith("# first\n#\n")
    assert "  - x  # why x\n  - z\n" in text
    assert yaml.safe_load(text) == document


def test_a_key_that_would_need_quoting_is_refused() -> None:
    with pytest.raises(ValueError, match="not a plain YAML key"):
        to_yaml({"a: b": 1})
