"""manifest.yml: valid for Slack, and declaring exactly what the code registers and calls."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.slack import ids

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tests/data/slack-manifest.schema.1.0.0.json").read_text())


def _manifest() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "manifest.yml").read_text()))


def test_the_manifest_follows_slacks_schema() -> None:
    jsonschema.validate(_manifest(), SCHEMA)


def test_the_schema_catches_what_slack_would_refuse() -> None:
    misspelt = _manifest()
    misspelt["settings"]["socket_mode_enabld"] = True
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(misspelt, SCHEMA)
    slashless = _manifest()
    slashless["features"]["slash_commands"][0]["command"] = "token"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(slashless, SCHEMA)


def test_commands_events_and_scopes_match_the_code() -> None:
    manifest = _manifest()
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert commands == {ids.COMMAND}
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == ids.BOT_EVENTS
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == ids.BOT_SCOPES
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_people_can_write_to_the_bot_directly() -> None:
    app_home = _manifest()["features"]["app_home"]
    assert app_home["messages_tab_enabled"] is True
    assert app_home["messages_tab_read_only_enabled"] is False
