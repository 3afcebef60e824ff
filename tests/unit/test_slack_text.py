"""The Slack text module: people's and GitLab's text made inert, and cut where nothing breaks."""

from __future__ import annotations

import re

import pytest

from bot.slack import text as t
from bot.slack.blocks.approvals import mentions

HOSTILE = "<!channel> <!here> <@U123> <https://evil.example|click> &amp; `"
_BROKEN_ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")


def test_escape_turns_slacks_control_characters_into_entities() -> None:
    assert t.escape("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    assert t.escape("&amp;") == "&amp;amp;"  # typed by a person, shown as typed
    assert t.escape("") == ""


def test_escaped_hostile_text_has_no_control_sequence_left() -> None:
    escaped = t.escape(HOSTILE)
    assert "<" not in escaped
    assert ">" not in escaped
    assert "&lt;!channel&gt;" in escaped
    assert "&amp;amp;" in escaped


def test_prose_escapes_then_clips() -> None:
    assert t.prose(HOSTILE, 3000) == t.escape(HOSTILE)
    assert len(t.prose("x" * 5000, 3000)) == 3000
    assert t.prose("x" * 5000, 3000).endswith(t.ELLIPSIS)


def test_prose_keeps_line_breaks_and_neutralises_other_controls() -> None:
    assert t.prose("one\ntwo\tthree\x00four\rfive", 100) == "one\ntwo\tthree\ufffdfour five"


def test_prose_neutralises_bidi_overrides() -> None:
    assert "\u202e" not in t.prose("abc\u202edef", 100)
    assert t.prose("שלום \u200f", 100) == "שלום \u200f"  # an RTL mark is ordinary text


def test_clip_leaves_short_text_alone() -> None:
    assert t.clip("short", 5) == "short"
    assert t.clip("", 0) == ""


def test_clip_cuts_to_the_limit_with_an_ellipsis() -> None:
    clipped = t.clip("abcdefghij", 5)
    assert clipped == "abcd…"
    assert len(clipped) == 5


def test_clip_with_no_room_returns_what_fits() -> None:
    assert t.clip("abcdef", 1) == "…"
    assert t.clip("abcdef", 0) == ""


@pytest.mark.parametrize("limit", range(1, 40))
def test_a_clipped_escaped_string_never_ends_in_a_broken_entity(limit: int) -> None:
    clipped = t.clip(t.escape("a&b<c>d" * 6), limit)
    assert len(clipped) <= limit
    assert not _BROKEN_ENTITY.search(clipped), clipped


@pytest.mark.parametrize("limit", range(2, 30))
def test_clip_never_splits_trusted_markup(limit: int) -> None:
    clipped = t.clip("see <@U0ADA1> and <#C0APPROVALS> now", limit)
    assert clipped.count("<") == clipped.count(">")


@pytest.mark.parametrize(
    "text",
    [
        "e\u0301" * 10,  # e + combining acute
        "👍🏽" * 10,  # thumbs up + skin tone
        "👩\u200d💻" * 10,  # woman, joiner, laptop
        "✔\ufe0f" * 10,  # check mark + emoji presentation
    ],
)
def test_clip_does_not_separate_a_character_from_what_belongs_to_it(text: str) -> None:
    for limit in range(2, len(text)):
        kept = t.clip(text, limit)[:-1]
        rest = text[len(kept) :]
        assert text.startswith(kept)
        assert not rest or not _belongs_to_previous(rest[0]), (limit, kept)
        assert not kept.endswith("\u200d")


def _belongs_to_previous(char: str) -> bool:
    return char in "\u0301\u200d\ufe0f" or "\U0001f3fb" <= char <= "\U0001f3ff"


def test_code_shows_a_name_as_inline_code() -> None:
    assert t.code("ci-release") == "`ci-release`"


def test_code_cannot_be_closed_early_or_broken_across_lines() -> None:
    shown = t.code("a`b\nc\r\nd")
    assert shown.startswith("`")
    assert shown.endswith("`")
    assert shown.count("`") == 2
    assert "\n" not in shown
    assert "\r" not in shown


def test_code_escapes_what_is_inside() -> None:
    shown = t.code(HOSTILE)
    assert "<" not in shown
    assert ">" not in shown
    assert shown.count("`") == 2


def test_code_of_nothing_is_a_dash() -> None:
    assert t.code("") == t.EMPTY
    assert t.code("  \n") == t.EMPTY


def test_code_with_a_limit_stays_within_it_and_stays_closed() -> None:
    shown = t.code("&" * 255, 80)
    assert len(shown) <= 80
    assert shown.startswith("`")
    assert shown.endswith("`")
    assert not _BROKEN_ENTITY.search(shown[1:-1])


def test_plain_is_bounded_never_empty_and_not_escaped() -> None:
    assert t.plain("a & b", 75) == "a & b"  # plain_text is not parsed: an entity would show
    assert len(t.plain("x" * 500, 75)) == 75
    assert t.plain("", 75) == t.EMPTY
    assert t.plain("  ", 75) == t.EMPTY


def test_plain_leaves_no_angle_bracket_to_read_as_markup() -> None:
    assert t.plain("<!here> <@U123>", 75) == "\u2039!here\u203a \u2039@U123\u203a"


@pytest.mark.parametrize("user", ["U0ADA", "W012ABC", "U0123456789"])
def test_mention_is_built_only_from_a_slack_user_id(user: str) -> None:
    assert t.mention(user) == f"<@{user}>"


@pytest.mark.parametrize(
    "user", ["U123> <!channel", "<!here>", "u0ada", "shell:ada", "C0CHANNEL", "U", "U0 ADA"]
)
def test_anything_else_is_shown_as_code_not_mentioned(user: str) -> None:
    shown = t.mention(user)
    assert "<" not in shown
    assert shown.startswith("`")


def test_a_missing_user_is_someone() -> None:
    assert t.mention(None) == "someone"
    assert t.mention("") == "someone"


def test_channel_link_is_built_only_from_a_channel_id() -> None:
    assert t.channel_link("C0APPROVALS") == "<#C0APPROVALS>"
    assert t.channel_link("G0PRIVATE") == "<#G0PRIVATE>"
    assert "<" not in t.channel_link("#approvals> <!channel")


def test_link_is_built_only_from_a_plain_http_url() -> None:
    assert t.link("https://gitlab.example/acme", "acme") == "<https://gitlab.example/acme|acme>"
    assert t.link("javascript:alert(1)", "acme") == "`acme`"
    assert t.link("https://x.example/a|<!channel>", "acme") == "`acme`"
    assert t.link("https://x.example/a b", "acme") == "`acme`"


def test_a_link_label_is_escaped_and_bounded() -> None:
    shown = t.link("https://gitlab.example/acme", "<!channel>" + "x" * 900, limit=200)
    assert "<!channel>" not in shown
    assert len(shown) <= 200
    assert shown.startswith("<https://gitlab.example/acme|&lt;!channel&gt;")
    assert shown.endswith(">")


def test_a_url_too_long_for_the_limit_falls_back_to_the_label() -> None:
    assert t.link("https://gitlab.example/" + "a" * 500, "acme", limit=200) == "`acme`"


def test_a_user_group_mentions_only_when_its_id_is_a_real_one() -> None:
    shown = mentions(["subteam:S0PLATFORM", "subteam:S0X> <!here", "U0ADA", "<!channel>"])
    assert shown.startswith("<!subteam^S0PLATFORM>, ")
    assert "<@U0ADA>" in shown
    assert "<!here" not in shown
    assert "<!channel>" not in shown
    assert t.group_mention("s0lower") == "`s0lower`"
