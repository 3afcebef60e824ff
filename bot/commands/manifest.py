"""`tokenbot manifest`: print the Slack app manifest, Socket Mode or (`--http-url`) HTTP mode.

Nothing is read but the arguments: the manifest comes from bot/slack/manifest.py, which
declares what the app's listeners take. `manifest.yml` is this command's output, unchanged.
"""

from __future__ import annotations

import argparse
import sys

from bot.commands import EXIT_OK, UsageError
from bot.config import Settings
from bot.slack.manifest import (
    RequestUrlError,
    build_manifest,
    events_url,
    render_json,
    render_yaml,
)


def add_manifest_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `tokenbot manifest [--http-url URL] [--json]`."""
    manifest_cmd = commands.add_parser(
        "manifest",
        help="print the Slack app manifest (Socket Mode, or HTTP mode with --http-url)",
        description="Prints the manifest to create the Slack app from (api.slack.com/apps,"
        " From an app manifest). Without --http-url it is manifest.yml, for Socket Mode.",
    )
    manifest_cmd.add_argument(
        "--http-url",
        metavar="URL",
        help="HTTP mode, for tokenbot at this public https:// URL: Slack sends to URL/slack/events"
        " (e.g. https://tokenbot.example.com)",
    )
    manifest_cmd.add_argument("--json", action="store_true", help="print JSON instead of YAML")


def run_manifest(args: argparse.Namespace, settings: Settings) -> int:
    try:
        request_url = None if args.http_url is None else events_url(args.http_url)
    except RequestUrlError as exc:
        raise UsageError(f"--http-url: {exc}") from None
    manifest = build_manifest(request_url)
    sys.stdout.write(render_json(manifest) if args.json else render_yaml(manifest))
    return EXIT_OK
