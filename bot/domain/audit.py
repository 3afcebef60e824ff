"""Audit events: an append-only record of every step a token request takes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class AuditAction(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    DENIED = "denied"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    PROVISIONING = "provisioning"
    PROVISIONED = "provisioned"
    FAILED = "failed"
    DELIVERED = "delivered"  # written into a CI/CD variable
    REVEALED = "revealed"
    ROTATED = "rotated"  # a fresh secret for a provisioned token; the old one stops working
    ROTATION_FAILED = "rotation_failed"
    ROTATION_REQUESTED = "rotation_requested"  # Rotate on a reminder: a request that rotates
    RENEWAL_REQUESTED = "renewal_requested"  # Renew on a reminder: rotate with a new expiry
    # On a tracked token (the event's request_id is then the token's key):
    CLAIMED = "claimed"
    LET_EXPIRE = "let_expire"
    REVOKED_NOW = "revoked"
    HYGIENE_KEPT = "hygiene_kept"  # a finding silenced: "keep, it is right" (with the reason)
    SECRET_DISCARDED = "secret_discarded"  # not revealed in time
    # Exactly once (bot/services/minting.py, reconciler.py):
    ADOPTED = "adopted"  # a credential GitLab made although its answer was lost, taken over
    REVOKE_PENDING = "revoke_pending"  # a credential that must go, recorded before the revoke
    COMPENSATED = "compensated"  # GitLab confirmed that revoke
    RECONCILED = "reconciled"  # the reconciler finished or rolled back a request
    ORPHAN_REPORTED = "orphan_reported"  # a marked credential tokenbot cannot account for
    # Hand-off rotation (bot/services/handoff*.py); request_id is the rotation's request:
    HANDOFF_STARTED = "handoff_started"  # a successor minted beside the live old token
    HANDOFF_SUCCESSOR_USED = "handoff_successor_used"  # GitLab saw the successor in use
    HANDOFF_COMPLETED = "handoff_completed"  # the old token revoked (used, deadline, at once)
    HANDOFF_CANCELLED = "handoff_cancelled"  # the successor revoked, the old one kept
    # CI/CD job token access (request_id is the access request's id):
    JOB_TOKEN_ALLOWED = "job_token_allowed"  # a source added to a project's allowlist
    JOB_TOKEN_REMOVED = "job_token_removed"  # that entry removed again
    # Webhooks (request_id is "group:<path>"):
    WEBHOOK_INSTALLED = "webhook_installed"  # tokenbot registered its hook on a group
    # Break-glass (bot/services/breakglass*.py); request_id is the break-glass request's:
    BREAK_GLASS_REQUESTED = "break_glass_requested"  # made at once, without approval
    BREAK_GLASS_ACKNOWLEDGED = "break_glass_acknowledged"  # an approver reviewed it
    BREAK_GLASS_ESCALATED = "break_glass_escalated"  # its review was overdue
    BREAK_GLASS_ENDED = "break_glass_ended"  # its lifetime was over: tokenbot revoked it
    # On a person (the event's request_id is then "person:<chat id>"):
    LINKED = "linked"  # linked to the GitLab user who signed in
    UNLINKED = "unlinked"
    LINK_REFUSED = "link_refused"  # a sign-in that could not be finished (and why)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    at: datetime
    action: AuditAction
    request_id: str
    actor: str  # chat id of the person, or "tokenbot"
    details: Mapping[str, str] = field(default_factory=dict)  # never a secret
