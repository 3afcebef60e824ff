"""`tokenbot remind --hygiene`: post this week's hygiene digest now (once per channel a week)."""

from __future__ import annotations

import sys
from datetime import timedelta

from bot.bootstrap import bootstrap, slack_app
from bot.commands import EXIT_FAILED, EXIT_OK
from bot.config import Settings
from bot.hygiene_slack_wiring import hygiene_digest_deps
from bot.services.hygiene_digest import send_hygiene_digests
from bot.services.leases import run_exclusively
from bot.slack.hygiene_digest import SlackHygieneDigestPoster


def run_hygiene_digest(settings: Settings) -> int:
    settings.require("SLACK_BOT_TOKEN", "TOKENBOT_REMINDERS_CHANNEL")
    container = bootstrap(settings)
    try:
        app = slack_app(settings, container, None)
        deps = hygiene_digest_deps(settings, container, SlackHygieneDigestPoster(app.client))
        # The scheduled job's lease; the (week, channel) claims keep each digest single anyway.
        run = run_exclusively(
            "hygiene-digest",
            lambda: send_hygiene_digests(deps=deps),
            uow=deps.uow,
            clock=deps.clock,
            longest=timedelta(hours=1),
        )
    finally:
        container.close()
    if run is None:
        print("tokenbot: another process is posting the digest right now", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"hygiene digest for the week of {run.week_start.isoformat()}: {len(run.posted)} posted"
        f" ({len(run.without_chart)} without the chart), {len(run.already)} posted already"
    )
    for failure in run.failed:
        print(f"not posted: {failure}", file=sys.stderr)
    return EXIT_FAILED if run.failed else EXIT_OK
