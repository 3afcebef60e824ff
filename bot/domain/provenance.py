"""The mark tokenbot leaves on every credential it mints, tying it to its request.

GitLab keeps a free-text description on project, group and service-account access tokens:
the mark leads it (`tokenbot:<request id> …`), so clipping the description to GitLab's 255
characters never cuts it. Deploy tokens have no description and a trigger's only text is its
description-as-name: there the mark ends the name (`<name> [tokenbot:<request id>]`). Each
form is read only at its fixed place, so a name or reason a person typed cannot pose as
another request's mark.
"""

from __future__ import annotations

import re

from bot.domain.tokens import TokenType

TEXT_LIMIT = 255  # GitLab's limit on a token's name and description
_ID = r"[0-9A-Za-z_.-]{1,64}"  # uuid4 hex in production
_LEADING = re.compile(rf"^tokenbot:({_ID})(?:\s|$)")
_TRAILING = re.compile(rf"\[tokenbot:({_ID})\]$")

# Types whose description carries the mark; the others carry it in their name.
DESCRIBED = frozenset(
    {
        TokenType.PROJECT_ACCESS_TOKEN,
        TokenType.GROUP_ACCESS_TOKEN,
        TokenType.SERVICE_ACCOUNT_PAT,
    }
)


def marked_description(request_id: str, text: str) -> str:
    """A description that starts with the request's mark; `text` is clipped to fit."""
    return f"tokenbot:{request_id} {text}"[:TEXT_LIMIT].rstrip()


def marked_name(name: str, request_id: str) -> str:
    """A name that ends with the request's mark; `name` is clipped to fit."""
    suffix = f" [tokenbot:{request_id}]"
    return name[: TEXT_LIMIT - len(suffix)] + suffix


def unmarked_name(name: str) -> str:
    """`name` without the mark at its end: a successor's name bears its own request's mark."""
    return _TRAILING.sub("", name).rstrip()


def marks_name(token_type: TokenType) -> bool:
    return token_type not in DESCRIBED


def request_of(token_type: TokenType, name: str, description: str) -> str | None:
    """The request id a credential's mark names, or None if it bears none."""
    if token_type in DESCRIBED:
        found = _LEADING.match(description or "")
        return found.group(1) if found else None
    return request_in_name(name)


def request_in_name(name: str) -> str | None:
    """The request id at the end of a name (a deploy token, trigger or service account)."""
    found = _TRAILING.search(name or "")
    return found.group(1) if found else None
