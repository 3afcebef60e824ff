"""How much each form input accepts: GitLab's own limits, or what every rendering can show.

One place for the forms, the listeners that read them and the request policy. They are
plain numbers (no Slack import) so the domain can take them over as they are.
"""

from __future__ import annotations

NAME_MAX_LENGTH = 255  # GitLab's limit for a token's name
TARGET_MAX_LENGTH = 255  # a project or group path
REASON_MAX_LENGTH = 1000  # a request's or renewal's reason: fits its card section even escaped 2.9x
DENY_REASON_MAX_LENGTH = 500
VARIABLE_PROJECT_MAX_LENGTH = 255
VARIABLE_KEY_MAX_LENGTH = 255  # GitLab's limit for a CI/CD variable's key
