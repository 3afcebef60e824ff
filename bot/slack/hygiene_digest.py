"""Posting the weekly hygiene digest to Slack, with its chart uploaded into the digest's thread.

The chart goes through Slack's external upload flow (files.getUploadURLExternal, a POST of
the bytes to the URL it returns, files.completeUploadExternal), which slack_sdk's
`files_upload_v2` performs; the app needs the `files:write` scope for it.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.domain.hygiene_report import HygieneReport
from bot.services.hygiene_digest import DigestTarget
from bot.services.reminders import PostError
from bot.slack.blocks.hygiene import digest_message

CHART_ALT = (
    "Bar chart: how many tracked credentials had each kind of finding, week by week"
    " (the digest's text lists this week's numbers)."
)
CHART_FILENAME = "token-hygiene.png"
CHART_MISSING = (
    ":warning: The chart could not be attached to this digest; the numbers above are complete."
)


class SlackHygieneDigestPoster:
    """`HygieneDigestPoster` on the Web API (the client waits out 429s itself)."""

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def post_digest(self, target: DigestTarget, report: HygieneReport) -> str:
        blocks, text = digest_message(report, team=_team(target))
        try:
            answer = self._client.chat_postMessage(
                channel=target.channel, blocks=blocks, text=text, unfurl_links=False
            )
        except SlackApiError as exc:
            raise PostError(f"Slack refused the digest ({_error(exc)})") from None
        except (SlackClientError, OSError) as exc:
            raise PostError(f"Slack could not be reached ({exc.__class__.__name__})") from None
        return str(answer["ts"])

    def attach_chart(self, target: DigestTarget, ts: str, chart: bytes) -> None:
        try:
            self._client.files_upload_v2(
                channel=target.channel,
                thread_ts=ts,
                file=chart,
                filename=CHART_FILENAME,
                title="Token hygiene by week",
                alt_txt=CHART_ALT,
                initial_comment="This week's token hygiene, as a chart.",
            )
        except SlackApiError as exc:
            raise PostError(f"Slack refused the chart ({_error(exc)})") from None
        except (SlackClientError, OSError) as exc:
            raise PostError(f"the chart did not upload ({exc.__class__.__name__})") from None

    def chart_missing(self, target: DigestTarget, ts: str, report: HygieneReport) -> None:
        blocks, text = digest_message(report, note=CHART_MISSING, team=_team(target))
        try:
            self._client.chat_update(channel=target.channel, ts=ts, blocks=blocks, text=text)
        except (SlackClientError, OSError) as exc:
            raise PostError(f"the digest was not updated ({exc.__class__.__name__})") from None


def _team(target: DigestTarget) -> str | None:
    return ", ".join(target.teams) or None


def _error(exc: SlackApiError) -> str:
    response = exc.response
    return str(response.get("error", "error")) if response is not None else "error"
