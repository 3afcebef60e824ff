"""sqlmodel tables. Rows stay in this package; repositories turn them into domain objects."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bot.db.types import UTCDateTime


class ConversationRow(SQLModel, table=True):
    __tablename__ = "conversations"

    key: str = Field(primary_key=True, max_length=255)
    answers: list[list[str]] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    tree_version: int
    revision: int = Field(default=0)
    started_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class TokenRequestRow(SQLModel, table=True):
    __tablename__ = "token_requests"

    id: str = Field(primary_key=True, max_length=64)
    requester: str = Field(max_length=64, index=True)
    requester_gitlab_id: int
    token_type: str = Field(max_length=64)
    target: str = Field(max_length=512)
    name: str = Field(max_length=255)
    scopes: list[str] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    access_level: int | None = None
    expires_on: date | None = None  # None: GitLab does not expire it (a trigger token)
    reason: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    delivery: str = Field(max_length=32)
    variable_project: str | None = Field(default=None, max_length=512)
    variable_key: str | None = Field(default=None, max_length=255)
    state: str = Field(max_length=32, index=True)
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    pending_until: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    required_approvals: int
    risk_flags: list[str] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    approvals: list[list[str]] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    decided_by: str | None = Field(default=None, max_length=64)
    deny_reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    gitlab_token_id: int | None = None
    failure: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    token_user_id: int | None = None
    token_account: str = Field(default="", max_length=255)  # a username, never a secret
    card_channel: str | None = Field(default=None, max_length=64)
    card_ts: str | None = Field(default=None, max_length=64)
    renews_key: str | None = Field(default=None, max_length=64)
    renews_gitlab_id: int | None = None
    renews_user_id: int | None = None
    renews_asked_by: str | None = Field(default=None, max_length=64)
    renews_handoff: bool = Field(default=False)
    renewal_lock: str | None = Field(default=None, max_length=96, unique=True)
    claimed_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    unsure_since: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime, index=True)
    )
    revision: int = Field(default=0)


class PendingSecretRow(SQLModel, table=True):
    """A provisioned token's secret, encrypted, until its requester reveals it (or it expires)."""

    __tablename__ = "pending_secrets"

    request_id: str = Field(primary_key=True, foreign_key="token_requests.id", max_length=64)
    ciphertext: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    expires_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class AuditEventRow(SQLModel, table=True):
    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))
    action: str = Field(max_length=32)
    request_id: str = Field(max_length=64, index=True)
    actor: str = Field(max_length=64)
    details: dict[str, str] = Field(sa_column=sa.Column(sa.JSON, nullable=False))


class TrackedTokenRow(SQLModel, table=True):
    """A credential in a watched group, as the last sync saw it; never its secret."""

    __tablename__ = "tracked_tokens"
    __table_args__ = (
        sa.Index("ix_tracked_tokens_due", "status", "expires_on"),
        sa.Index("ix_tracked_tokens_owner", "owner"),  # a person's findings (the Home tab)
    )

    key: str = Field(primary_key=True, max_length=96)
    token_type: str = Field(max_length=64)
    gitlab_id: int
    name: str = Field(max_length=255)
    place_key: str = Field(max_length=64, index=True)
    namespace_kind: str = Field(max_length=16)
    namespace_id: int
    namespace_path: str = Field(max_length=512)
    namespace_url: str = Field(default="", max_length=1024)
    scopes: list[str] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    access_level: int | None = None
    expires_on: date | None = None
    last_used_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    user_id: int | None = None
    status: str = Field(max_length=16)
    owner: str | None = Field(default=None, max_length=64)
    owner_source: str | None = Field(default=None, max_length=16)
    muted: bool = Field(default=False)
    request_id: str | None = Field(default=None, max_length=64)
    first_seen_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    account: str = Field(default="", max_length=255)  # username behind a person's PAT
    last_used_ips: list[str] | None = Field(default=None, sa_column=sa.Column(sa.JSON))
    created_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))


class SyncRunRow(SQLModel, table=True):
    __tablename__ = "sync_runs"

    id: int | None = Field(default=None, primary_key=True)
    groups: str = Field(max_length=2048)
    state: str = Field(max_length=16, index=True)  # running, done, failed
    started_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))


class SyncPlaceRow(SQLModel, table=True):
    """A place (group or project) a sync run has read completely."""

    __tablename__ = "sync_places"

    run_id: int = Field(primary_key=True, foreign_key="sync_runs.id")
    place_key: str = Field(primary_key=True, max_length=64)
    readable: bool = Field(default=True)


class ReminderPostRow(SQLModel, table=True):
    """One reminder for one token, expiry date and threshold: the unique key makes it once."""

    __tablename__ = "reminder_posts"
    __table_args__ = (
        sa.UniqueConstraint("token_key", "expires_on", "level", name="uq_reminder_once"),
    )

    id: int | None = Field(default=None, primary_key=True)
    token_key: str = Field(max_length=96, index=True)
    expires_on: date
    level: int
    state: str = Field(max_length=16)  # claimed, posted
    claimed_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    channel: str | None = Field(default=None, max_length=64)
    ts: str | None = Field(default=None, max_length=64)


class JobLeaseRow(SQLModel, table=True):
    """Which process runs a scheduled job right now, until when."""

    __tablename__ = "job_leases"

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=128)
    expires_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class MintedCredentialRow(SQLModel, table=True):
    """Each credential tokenbot minted or must revoke (no secret: GitLab holds that)."""

    __tablename__ = "minted_credentials"

    token_type: str = Field(primary_key=True, max_length=64)
    gitlab_id: int = Field(primary_key=True)
    request_id: str = Field(max_length=64, index=True)
    namespace_kind: str | None = Field(default=None, max_length=16)
    namespace_id: int | None = None
    namespace_path: str | None = Field(default=None, max_length=512)
    user_id: int | None = None
    status: str = Field(max_length=16, index=True)
    exposed: bool = Field(default=False)
    reason: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    recorded_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class AccountLinkRow(SQLModel, table=True):
    """A Slack user linked to the GitLab user who signed in (no OAuth token is kept)."""

    __tablename__ = "account_links"

    chat_id: str = Field(primary_key=True, max_length=64)
    team_id: str = Field(max_length=64)
    gitlab_user_id: int = Field(index=True)
    gitlab_username: str = Field(max_length=255)
    linked_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class LinkStateRow(SQLModel, table=True):
    """A GitLab sign-in that was started; only the state's digest, used once."""

    __tablename__ = "link_states"

    digest: str = Field(primary_key=True, max_length=64)
    chat_id: str = Field(max_length=64, index=True)
    team_id: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))
    chat_name: str = Field(default="", max_length=255)
    gitlab_user_id: int | None = None
    gitlab_username: str | None = Field(default=None, max_length=255)


class HandoffRow(SQLModel, table=True):
    """A hand-off rotation: the old token stays live beside its successor until one goes."""

    __tablename__ = "handoffs"

    request_id: str = Field(primary_key=True, max_length=64)
    token_type: str = Field(max_length=64)
    target: str = Field(max_length=512)
    name: str = Field(default="", max_length=255)
    old_key: str = Field(max_length=96, index=True)
    old_gitlab_id: int
    old_user_id: int | None = None
    successor_key: str = Field(max_length=96, index=True)
    successor_gitlab_id: int
    successor_user_id: int | None = None
    owner: str = Field(max_length=64)
    started_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    deadline: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    state: str = Field(max_length=16, index=True)  # active, completed, cancelled
    outcome: str | None = Field(default=None, max_length=16)  # used, deadline, now, cancelled
    successor_used_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    finished_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    finished_by: str | None = Field(default=None, max_length=64)
    version: int = Field(default=1)


class BreakGlassReviewRow(SQLModel, table=True):
    """The review of a break-glass request: acknowledged, escalated, ended (each once)."""

    __tablename__ = "breakglass_reviews"

    request_id: str = Field(primary_key=True, max_length=64)
    requester: str = Field(max_length=64)
    target: str = Field(max_length=512)
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    review_due: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))
    ends_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))
    acknowledged_by: str | None = Field(default=None, max_length=64)
    acknowledged_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    escalated_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    ended_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    card_channel: str | None = Field(default=None, max_length=64)
    card_ts: str | None = Field(default=None, max_length=64)


class JobTokenAccessRow(SQLModel, table=True):
    """A job token allowlist entry tokenbot was asked for, added, or removed again."""

    __tablename__ = "job_token_access"

    id: str = Field(primary_key=True, max_length=64)
    requester: str = Field(max_length=64, index=True)
    requester_gitlab_id: int
    source_kind: str = Field(max_length=16)
    source: str = Field(max_length=512)
    source_id: int
    target: str = Field(max_length=512)
    target_id: int
    reason: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    state: str = Field(max_length=16, index=True)
    # target:kind:source while the entry is live, else NULL: one live entry per source
    live_key: str | None = Field(default=None, max_length=96, unique=True, index=True)
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    removed_by: str | None = Field(default=None, max_length=64)
    finished_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    failure: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    card_channel: str | None = Field(default=None, max_length=64)
    card_ts: str | None = Field(default=None, max_length=64)
    revision: int = Field(default=0)
    # GitLab policy names, comma-separated; NULL: GitLab's default permissions (migration 0012)
    job_token_policies: str | None = Field(default=None, sa_column=sa.Column(sa.Text))


class ApprovalNoticeRow(SQLModel, table=True):
    """Who was told about a request waiting for approval, and when it was chased."""

    __tablename__ = "approval_notices"

    request_id: str = Field(primary_key=True, max_length=64)
    surface: str = Field(max_length=16)  # where it was asked for: "slack" or "shell"
    requester_chat: str | None = Field(default=None, max_length=64)  # their Slack id, if any
    # who the card mentions: Slack user ids and user group ids ("subteam:S...")
    asked: list[str] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    reminded_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    escalated_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))


class ApproverMessageRow(SQLModel, table=True):
    """A direct message that asked someone to approve a request (updated once it is decided)."""

    __tablename__ = "approver_messages"

    request_id: str = Field(primary_key=True, max_length=64)
    approver: str = Field(primary_key=True, max_length=64)
    channel: str = Field(max_length=64)
    ts: str = Field(max_length=64)


class HygieneDigestRow(SQLModel, table=True):
    """One weekly hygiene digest for one channel: the unique key makes it once a week."""

    __tablename__ = "hygiene_digests"
    __table_args__ = (sa.UniqueConstraint("week_start", "channel", name="uq_hygiene_digest_once"),)

    id: int | None = Field(default=None, primary_key=True)
    week_start: date  # the Monday of the week, in the reminder time zone
    channel: str = Field(max_length=64)
    state: str = Field(max_length=16)  # claimed, posted
    claimed_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    ts: str | None = Field(default=None, max_length=64)
