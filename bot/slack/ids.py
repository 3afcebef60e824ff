"""Slack action ids, callback ids and the slash command (which bot/slack/manifest.py declares)."""

from __future__ import annotations

import re

COMMAND = "/token"

ANSWER = "advisor.answer"  # followed by ".<index>": action ids must be unique in a message
ANSWER_PATTERN = re.compile(r"^advisor\.answer\.\d+$")
CAPABILITIES_SELECT = "advisor.capabilities.select"
CAPABILITIES_DONE = "advisor.capabilities.done"
BACK = "advisor.back"
START_OVER = "advisor.start_over"

CAPABILITIES_BLOCK = "advisor.capabilities"

REQUEST_OPEN = "advisor.request"  # "Request this token" under a recommendation
REQUEST_SUBMIT = "request.submit"  # the request modal's callback id
REQUEST_APPROVE = "request.approve"
REQUEST_DENY = "request.deny"
REQUEST_RETRY = "request.retry"
REQUEST_REVEAL = "request.reveal"
REQUEST_CANCEL = "request.cancel"
REQUEST_ROTATE = "request.rotate"  # by hand-off where the type allows (docs/handoff.md)
REQUEST_ROTATE_IN_PLACE = "request.rotate_in_place"  # GitLab's rotation: the old one dies now
DENY_SUBMIT = "request.deny_submit"
ORPHAN_REVOKE = "reconciler.revoke"  # Revoke on a credential the reconciler reported
LINK_OPEN = "identity.link"  # the "Link your GitLab account" URL button (acked, nothing else)
HOME_ADVISE = "home.advise"  # "Which token should I use?" on the Home tab

# Buttons on expiry reminders; each carries the tracked token's key.
REMINDER_LET_EXPIRE = "reminder.let_expire"
REMINDER_REVOKE = "reminder.revoke"
REMINDER_CLAIM = "reminder.claim"
REMINDER_ROTATE = "reminder.rotate"  # a fresh secret for the owner, same expiry
REMINDER_RENEW = "reminder.renew"  # opens the Renew form
REMINDER_RENEW_SUBMIT = "reminder.renew_submit"  # the Renew form's callback id

# Hand-off rotations; each carries the rotation request's id.
HANDOFF_REVOKE_OLD = "handoff.revoke_old"  # "Revoke the old one now"
HANDOFF_CANCEL = "handoff.cancel"  # "Cancel hand-off": revoke the new one, keep the old
# CI/CD job token access (bot/slack/listeners/job_token.py); buttons carry the entry's id.
JOB_ACCESS_OPEN = "advisor.job_access"  # "Request job-token access" under the recommendation
JOB_ACCESS_SUBMIT = "job_access.submit"  # the form's callback id
JOB_ACCESS_APPROVE = "job_access.approve"
JOB_ACCESS_DENY = "job_access.deny"
JOB_ACCESS_REMOVE = "job_access.remove"
JOB_ACCESS_COMMAND = "job-access"  # `/token job-access` lists them
# Break-glass (bot/slack/listeners/breakglass.py); the button carries the request's id.
BREAKGLASS_COMMAND = "breakglass"  # `/token breakglass` opens the form
BREAKGLASS_SUBMIT = "breakglass.submit"  # the form's callback id
BREAKGLASS_ACKNOWLEDGE = "breakglass.acknowledge"  # on the review card
# Token hygiene (bot/slack/listeners/hygiene.py): buttons on the weekly digest and the Home
# tab. Revoke carries the token's key; Replace and Keep "<finding id> <token key>".
HYGIENE_REVOKE = "hygiene.revoke"
HYGIENE_REPLACE = "hygiene.replace"  # opens the request form with the narrower choice
HYGIENE_KEEP = "hygiene.keep"  # opens the Keep form
HYGIENE_KEEP_SUBMIT = "hygiene.keep_submit"  # the Keep form's callback id
