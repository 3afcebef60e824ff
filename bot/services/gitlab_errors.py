"""What can go wrong when talking to GitLab, in words a person can act on.

Adapters raise these (translated from their library's exceptions); use cases and front ends
show `str(error)` to people. Messages never contain a token value.
"""

from __future__ import annotations


class GitLabError(Exception):
    """Base class; `str()` is the message for a person."""


class BotCredentialError(GitLabError):
    """The bot's own GitLab credential is expired, revoked or unknown."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"tokenbot's GitLab credential {reason}: replace GITLAB_TOKEN with a valid"
            " service-account token (see docs/getting-started.md)."
        )
        self.reason = reason


class MissingScopeError(GitLabError):
    def __init__(self, required: str) -> None:
        super().__init__(
            f"tokenbot's GitLab credential lacks the scope this needs ({required}); create it"
            " again with that scope."
        )
        self.required = required


class NotFoundError(GitLabError):
    """The thing does not exist, or the bot's credential cannot see it (GitLab says 404)."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what} was not found in GitLab, or tokenbot's account cannot see it: check the"
            " path and that the bot is a member there."
        )
        self.what = what


class PermissionDeniedError(GitLabError):
    """GitLab refused the action for lack of rights (401/403 on an otherwise valid token)."""


class ValidationError(GitLabError):
    """GitLab refused the request's content; its own message is passed through."""


class UnavailableError(GitLabError):
    """GitLab kept failing (5xx, 429, timeouts, dropped connections) past the retry budget."""


class OutcomeUnknownError(UnavailableError):
    """A change was sent but GitLab's answer was lost: it may or may not have happened."""
