"""The Slack stand-in's external file upload, driven by slack_sdk's own `files_upload_v2`.

Slack's flow (https://docs.slack.dev/reference/methods/files.getUploadURLExternal and
https://docs.slack.dev/reference/methods/files.completeUploadExternal): files.getUploadURLExternal
takes `filename` and `length` (bytes) and answers `upload_url` and `file_id`; the bytes are
POSTed to `upload_url`; files.completeUploadExternal takes `files` (a JSON array of `id` and
`title`) and `channel_id`, `thread_ts` and `initial_comment` to share it. A `length` of 0 is
`missing_argument`; an `alt_txt` over 1,000 characters is `alt_txt_too_large`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.support.slack_api import SlackRecorder

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))  # binary, not UTF-8


@pytest.fixture
def slack() -> Iterator[SlackRecorder]:
    with SlackRecorder() as recorder:
        yield recorder


def _client(slack: SlackRecorder) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.url)


def test_files_upload_v2_uploads_the_bytes_and_shares_them_in_the_thread(
    slack: SlackRecorder,
) -> None:
    answer = _client(slack).files_upload_v2(
        channel="C0REMINDERS",
        thread_ts="1700000000.000001",
        file=PNG,
        filename="token-hygiene.png",
        title="Token hygiene by week",
        alt_txt="A bar chart",
        initial_comment="The chart",
    )
    (upload,) = slack.shared_files("C0REMINDERS")
    assert upload.data == PNG
    assert upload.length == len(PNG)
    assert upload.filename == "token-hygiene.png"
    assert upload.title == "Token hygiene by week"
    assert upload.alt_txt == "A bar chart"
    assert upload.shared_to == [
        {
            "channel_id": "C0REMINDERS",
            "thread_ts": "1700000000.000001",
            "initial_comment": "The chart",
        }
    ]
    assert answer["file"]["id"] == upload.file_id
    (asked,) = slack.calls_to("files.getUploadURLExternal")
    assert asked.answer["upload_url"].startswith("http://127.0.0.1:")
    assert asked.authorization == "Bearer xoxb-test"


def test_an_empty_file_is_refused_like_slack_does(slack: SlackRecorder) -> None:
    with pytest.raises(SlackApiError) as refused:
        _client(slack).files_upload_v2(channel="C0X", content=b"", filename="empty.png")
    assert refused.value.response["error"] == "missing_argument"
    assert slack.shared_files("C0X") == []


def test_a_long_alt_text_is_refused_like_slack_does(slack: SlackRecorder) -> None:
    with pytest.raises(SlackApiError) as refused:
        _client(slack).files_upload_v2(
            channel="C0X", file=PNG, filename="chart.png", alt_txt="x" * 1001
        )
    assert refused.value.response["error"] == "alt_txt_too_large"


def test_completing_an_upload_whose_bytes_never_came_is_refused(slack: SlackRecorder) -> None:
    client = _client(slack)
    asked = client.files_getUploadURLExternal(filename="chart.png", length=10)
    with pytest.raises(SlackApiError):
        client.files_completeUploadExternal(
            files=[{"id": asked["file_id"], "title": "chart"}], channel_id="C0X"
        )
    assert slack.shared_files("C0X") == []


def test_a_scripted_failure_of_the_upload_url_reaches_the_caller(slack: SlackRecorder) -> None:
    slack.fail_next("files.getUploadURLExternal", error="file_uploads_disabled")
    with pytest.raises(SlackApiError) as refused:
        _client(slack).files_upload_v2(channel="C0X", file=PNG, filename="chart.png")
    assert refused.value.response["error"] == "file_uploads_disabled"
