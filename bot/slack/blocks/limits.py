"""How much each form input accepts: GitLab's own limits, or what every rendering can show.

The policy (bot.domain) holds the limits of what is stored, so a forged request that skips
the form is held to them too; the forms declare the same numbers as `max_length`.
"""

from __future__ import annotations

from bot.domain.request_policy import NAME_MAX_LENGTH, PATH_MAX_LENGTH, REASON_MAX_LENGTH
from bot.domain.requests import DENY_REASON_MAX_LENGTH

__all__ = ["DENY_REASON_MAX_LENGTH", "NAME_MAX_LENGTH", "REASON_MAX_LENGTH"]
TARGET_MAX_LENGTH = PATH_MAX_LENGTH  # a project or group path
VARIABLE_PROJECT_MAX_LENGTH = 255
VARIABLE_KEY_MAX_LENGTH = 255  # GitLab's limit for a CI/CD variable's key
