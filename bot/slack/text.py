"""Text for Slack: what came from people or GitLab made inert (escaped) and bounded (clipped).

Slack reads `&`, `<` and `>` as control characters in mrkdwn: `<!channel>`, `<@U…>`, `<#C…>`
and `<url|label>` come from them, so text from anyone but tokenbot is escaped before it is put
into mrkdwn, and mentions and links are only ever built from values checked here. Lengths are
counted in characters (code points), as slack_sdk counts them when it validates a block.
"""

from __future__ import annotations

import re
import unicodedata

# Slack's limits, in characters. slack_sdk checks most of them when a block becomes a dict
# (and raises); it does not check section fields, so those are bounded here as well.
SECTION_TEXT = 3000
SECTION_FIELD = 2000
CONTEXT_TEXT = 3000
CONTEXT_ELEMENTS = 10
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
OPTION_TEXT = 75
OPTION_VALUE = 150
CONFIRM_TITLE = 100
CONFIRM_TEXT = 300
CONFIRM_BUTTON = 30
INPUT_LABEL = 2000
INPUT_HINT = 2000
PLACEHOLDER = 150
INPUT_MAX_LENGTH = 3000  # the largest max_length a plain-text input may declare
MODAL_TITLE = 24
MODAL_BUTTON = 24
PRIVATE_METADATA = 3000
MESSAGE_TEXT = 4000  # a message's fallback `text`: Slack advises at most 4,000

ELLIPSIS = "…"
EMPTY = "—"  # what an empty value is shown as: a text object may not be empty

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ENTITY = re.compile(r"&(?:amp|lt|gt);")
_ENTITY_LONGEST = len("&amp;")
_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,30}")
_SLACK_CHANNEL = re.compile(r"[CG][A-Z0-9]{2,30}")
_SLACK_SUBTEAM = re.compile(r"S[A-Z0-9]{2,30}")
_LINK_URL = re.compile(r"https?://[^\s<>|`\x00-\x1f\x7f]+")
# Marks that reorder the text around them (embeddings, overrides, isolates): shown as U+FFFD
# so a name cannot make the sentence it sits in read backwards.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ZWJ = "\u200d"
_REPLACEMENT = "\ufffd"
_ANGLE_LOOKALIKES = str.maketrans({"<": "\u2039", ">": "\u203a"})  # ‹ and ›
_BACKTICK_LOOKALIKE = "\u02cb"  # MODIFIER LETTER GRAVE ACCENT: looks like ` but closes nothing


def escape(text: str) -> str:
    """`&`, `<` and `>` as Slack's entities, so the text cannot mention, broadcast or link."""
    return text.translate(_ESCAPES)


def clip(text: str, limit: int) -> str:
    """At most `limit` characters: cut with an ellipsis where nothing is split.

    The cut never falls inside an entity (`&amp;`), a `<…>` of trusted markup, or between a
    character and the combining marks, joiners or variation selectors that belong to it.
    """
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    return text[: _safe_cut(text, limit - len(ELLIPSIS))] + ELLIPSIS


def prose(text: str, limit: int) -> str:
    """A person's or GitLab's words as mrkdwn: neutralised, escaped, then clipped."""
    return clip(escape(_neutral(text, keep="\n\t")), limit)


def code(text: str, limit: int | None = None) -> str:
    """A name or path as inline code that nothing inside it can close or break out of."""
    flat = _neutral(text, keep="").replace("`", _BACKTICK_LOOKALIKE)
    if not flat.strip():
        return EMPTY
    inner = escape(flat)
    if limit is not None:
        inner = clip(inner, max(limit - 2, 1))
    return f"`{inner}`"


def code_block(text: str, limit: int) -> str:
    """Lines as a preformatted block that nothing inside it can close or break out of."""
    flat = _neutral(text, keep="\n").replace("`", _BACKTICK_LOOKALIKE)
    inner = clip(escape(flat.strip()), max(limit - 6, 1)) or EMPTY
    return f"```{inner}```"


def plain(text: str, limit: int) -> str:
    """Text for a plain_text object: bounded and never empty.

    Slack does not parse plain_text, so nothing is escaped (an entity would show as typed);
    `<` and `>` still become look-alikes, so no payload carries a control sequence anywhere.
    """
    flat = _neutral(text, keep="\n").strip().translate(_ANGLE_LOOKALIKES)
    return clip(flat, limit) if flat else EMPTY


def mention(user_id: str | None) -> str:
    """`<@U…>` for a real Slack user id; anything else is shown, escaped, as code."""
    if not user_id:
        return "someone"
    if _SLACK_USER.fullmatch(user_id):
        return f"<@{user_id}>"
    return code(user_id, limit=40)


def is_user_id(text: str) -> bool:
    """Does it look like a Slack user id (`U…`, `W…`)? The shell's user names do not."""
    return _SLACK_USER.fullmatch(text) is not None


def group_mention(subteam_id: str) -> str:
    """`<!subteam^S…>` for a Slack user group id; anything else is shown, escaped, as code."""
    if _SLACK_SUBTEAM.fullmatch(subteam_id):
        return f"<!subteam^{subteam_id}>"
    return code(subteam_id, limit=40)


def channel_link(channel_id: str) -> str:
    """`<#C…>` for a real Slack channel id; anything else is shown, escaped, as code."""
    if _SLACK_CHANNEL.fullmatch(channel_id):
        return f"<#{channel_id}>"
    return code(channel_id, limit=80)


def link(url: str, label: str, *, limit: int = 600) -> str:
    """`<url|label>` for a plain http(s) URL that leaves room for the label; else code."""
    if len(url) > limit // 2 or not _LINK_URL.fullmatch(url):
        return code(label, limit=limit)
    shown = clip(escape(_neutral(label, keep="").strip()), limit - len(url) - 3)
    return f"<{url}|{shown or EMPTY}>"


def _neutral(text: str, *, keep: str) -> str:
    """Control characters (but those in `keep`) and bidi overrides replaced or flattened."""
    out = []
    for char in text:
        if char in keep:
            out.append(char)
        elif char in "\r\n\t\v\f":
            out.append(" ")
        elif char in _BIDI_CONTROLS or unicodedata.category(char) == "Cc":
            out.append(_REPLACEMENT)
        else:
            out.append(char)
    return "".join(out)


def _safe_cut(text: str, cut: int) -> int:
    entity = text.rfind("&", max(0, cut - _ENTITY_LONGEST + 1), cut)
    if entity != -1:
        match = _ENTITY.match(text, entity)
        if match is not None and match.end() > cut:
            cut = entity
    opened = text.rfind("<", 0, cut)
    if opened > text.rfind(">", 0, cut):
        cut = opened
    while cut > 0 and (_extends(text[cut]) or text[cut - 1] == _ZWJ):
        cut -= 1
    return cut


def _extends(char: str) -> bool:
    """A character that belongs to the one before it (a combining mark, joiner or selector)."""
    return (
        unicodedata.combining(char) != 0
        or char == _ZWJ
        or "\ufe00" <= char <= "\ufe0f"
        or "\U0001f3fb" <= char <= "\U0001f3ff"
        or unicodedata.category(char) == "Me"
    )
