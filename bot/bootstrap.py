"""The composition root: the only place that picks adapters and wires them together."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from slack_bolt import App
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings, SettingsError
from bot.db.engine import create_db_engine
from bot.db.migrate import upgrade
from bot.db.secret_box import FernetBox
from bot.db.sqlite_files import private_directory
from bot.db.unit_of_work import SqlUnitOfWork
from bot.gitlab.client import ClientOptions
from bot.gitlab.gateway import PythonGitlabGateway, build_gateway
from bot.gitlab.http import RetryPolicy
from bot.gitlab.token_file import writable_problem, write_secret_file
from bot.services.advisor import AdviceContext
from bot.services.conversations import ConversationDeps
from bot.services.gate import BotIdentitySource, Gate
from bot.services.handoffs import HandoffDeps, HandoffNotifier
from bot.services.inventory_sync import SyncDeps
from bot.services.known_platform import KnownPlatform
from bot.services.own_credential import OwnCredentialReport, check_own_credential
from bot.services.ports import Clock, UnitOfWork
from bot.services.reconciler import ReconcileDeps, ReconcileNotifier
from bot.services.reminder_actions import ActionDeps
from bot.services.renewals import RenewApproval
from bot.services.token_requests import RequestDeps
from bot.sign_in_wiring import link_deps
from bot.slack.app import create_app, create_client
from bot.slack.flow import ReminderFlow, RequestFlow
from bot.slack.work import WorkLimits, WorkQueue

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Container:
    settings: Settings
    db: Engine
    advice: AdviceContext
    conversations: ConversationDeps
    uow: Callable[[], UnitOfWork]
    clock: Clock
    # One gateway per process: after the bot rotates its own token, a second gateway would
    # still send the old, revoked value, and GitLab's reuse detection would revoke the new one.
    gitlab: Callable[[], PythonGitlabGateway]
    # One authorization gate per process, knowing who tokenbot is in GitLab.
    gate: Callable[[], Gate]

    def close(self) -> None:
        self.db.dispose()

    def ready(self) -> bool:
        """Can this process do its work: is the database answering?"""
        try:
            with self.db.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True


def advice_context(settings: Settings, known: KnownPlatform | None = None) -> AdviceContext:
    """What the stateless advisor needs; no database involved."""
    return AdviceContext(platform=settings.platform, policy=settings.lifetime_policy, known=known)


def learn_gitlab_version(settings: Settings, container: Container) -> None:
    """Ask GitLab its version in the background (the advice uses it once it has answered)."""
    known = container.advice.known
    if known is None or settings.gitlab_url is None or settings.gitlab_token is None:
        return
    known.refresh_in_background(lambda: container.gitlab().instance_metadata().version)


def gitlab_gateway(settings: Settings) -> PythonGitlabGateway:
    """The GitLab gateway for GITLAB_URL and GITLAB_TOKEN (SettingsError if either is unset)."""
    settings.require("GITLAB_URL", "GITLAB_TOKEN")
    assert settings.gitlab_url is not None  # noqa: S101 - require() checked it
    assert settings.gitlab_token is not None  # noqa: S101
    options = ClientOptions(
        url=settings.gitlab_url,
        token=settings.gitlab_token.get_secret_value(),
        ca_bundle=str(settings.tokenbot_gitlab_ca_bundle or "") or None,
        timeout_seconds=settings.tokenbot_gitlab_timeout_seconds,
        requests_per_second=settings.tokenbot_gitlab_requests_per_second,
        retry=RetryPolicy(total_seconds=settings.tokenbot_gitlab_retry_seconds),
        pool_size=max(10, settings.tokenbot_inventory_concurrency * 2),
    )
    return build_gateway(options, inventory_workers=settings.tokenbot_inventory_concurrency)


def slack_app(
    settings: Settings,
    container: Container,
    flow: RequestFlow | None,
    *,
    app_class: type[App] = App,
) -> App:
    """The Bolt app for SLACK_BOT_TOKEN; SettingsError if Slack refuses the token."""
    settings.require("SLACK_BOT_TOKEN")
    assert settings.slack_bot_token is not None  # noqa: S101 - require() checked it
    client = create_client(
        token=settings.slack_bot_token.get_secret_value(), api_url=settings.slack_api_url
    )
    try:
        client.auth_test()
    except SlackApiError as exc:
        reason = exc.response.get("error", "refused") if exc.response is not None else "refused"
        raise SettingsError(f"SLACK_BOT_TOKEN was refused by Slack ({reason})") from None
    except OSError as exc:
        raise SettingsError(
            f"SLACK_API_URL {settings.slack_api_url} cannot be reached: {exc.__class__.__name__}"
        ) from None
    secret = settings.slack_signing_secret
    # It needs this module's Container (through bot.hygiene_wiring): imported once it exists.
    from bot.hygiene_slack_wiring import hygiene_flow  # noqa: PLC0415

    reminders = reminder_flow(settings, container, flow)
    return create_app(
        client=client,
        signing_secret=secret.get_secret_value() if secret else "",
        deps=container.conversations,
        requests=flow,
        reminders=reminders,
        hygiene=hygiene_flow(settings, container, reminders, flow),
        listener_threads=settings.tokenbot_slack_ack_threads,
        work=WorkQueue(
            WorkLimits(
                workers=settings.tokenbot_slack_work_threads,
                waiting=settings.tokenbot_slack_work_queue,
                still_working_seconds=settings.tokenbot_slack_still_working_seconds,
            )
        ),
        app_class=app_class,
    )


def reminder_flow(
    settings: Settings, container: Container, requests: RequestFlow | None = None
) -> ReminderFlow | None:
    """The reminder buttons act through GitLab; without it they are not registered.

    Rotate and Renew need token requests (`requests`): they deliver secrets the same way.
    """
    if settings.gitlab_url is None or settings.gitlab_token is None:
        return None
    actions = action_deps(settings, container)
    return ReminderFlow(
        actions,
        settings.user_map,
        requests,
        RenewApproval(settings.tokenbot_renew_needs_approval),
    )


def action_deps(settings: Settings, container: Container, clock: Clock | None = None) -> ActionDeps:
    """What the reminder actions need (on `clock`, the shell's movable one, if given)."""
    return ActionDeps(
        container.uow,
        container.gitlab(),
        clock or container.clock,
        frozenset(settings.tokenbot_admins),
        gate=container.gate(),
    )


REQUEST_SETTINGS = ("GITLAB_URL", "GITLAB_TOKEN", "TOKENBOT_SECRET_KEY")


def missing_for_requests(settings: Settings, *, in_slack: bool = True) -> list[str]:
    """Settings token requests need and lack; Slack also needs the approvals channel."""
    names = [*REQUEST_SETTINGS, "TOKENBOT_APPROVALS_CHANNEL"] if in_slack else REQUEST_SETTINGS
    return [n for n in names if getattr(settings, n.lower()) is None]


def request_deps(settings: Settings, container: Container) -> RequestDeps | None:
    """What the request use cases need, or None when a setting they need is missing."""
    if missing_for_requests(settings, in_slack=False):
        return None
    return RequestDeps(
        uow=container.uow,
        gitlab=container.gitlab(),
        policy=settings.request_policy,
        clock=container.clock,
        new_id=lambda: uuid.uuid4().hex,
        secret_ttl=timedelta(minutes=settings.tokenbot_secret_ttl_minutes),
        gate=container.gate(),
        platform=container.advice.current_platform,
        handoff_hours=settings.tokenbot_handoff_hours,
        breakglass=settings.breakglass_policy,
        gitlab_url=settings.gitlab_url or "",
    )


def reconcile_deps(
    settings: Settings, container: Container, notify: ReconcileNotifier | None = None
) -> ReconcileDeps | None:
    """The reconciler's wiring, or None when token requests are off."""
    deps = request_deps(settings, container)
    if deps is None:
        return None
    timeout = timedelta(seconds=settings.tokenbot_provisioning_timeout_seconds)
    return ReconcileDeps(deps, timeout=timeout, notify=notify)


def request_flow(settings: Settings, container: Container) -> RequestFlow | None:
    """Token requests need GitLab, an approvals channel and a key for pending secrets."""
    deps = request_deps(settings, container)
    if deps is None or settings.tokenbot_approvals_channel is None:
        return None
    assert settings.tokenbot_approvals_channel is not None  # noqa: S101 - checked above
    return RequestFlow(
        deps,
        settings.tokenbot_approvals_channel,
        settings.user_map,
        settings.tokenbot_default_lifetime_days,
        settings.approvals_routes,
        settings.tokenbot_provisioning_timeout_seconds,
        link_deps(settings, container.uow, container.clock),
        RenewApproval(settings.tokenbot_renew_needs_approval),
        settings.tokenbot_fallback_approvers,
        settings.approver_groups,
        settings.tokenbot_approval_reminder_hours,
    )


def sync_deps(
    settings: Settings, container: Container, notify: HandoffNotifier | None = None
) -> SyncDeps:
    """What an inventory sync needs (SettingsError without GitLab or watched groups); with
    token requests on, it also moves hand-offs on and tells their owners (`notify`)."""
    settings.require("GITLAB_URL", "GITLAB_TOKEN")
    requests = request_deps(settings, container)
    handoffs = HandoffDeps(requests, notify) if requests is not None else None
    return SyncDeps(container.uow, container.gitlab(), container.clock, settings.owners, handoffs)


def own_token_check(settings: Settings, container: Container) -> Callable[[], OwnCredentialReport]:
    """The check of the bot's own token, saving a rotated value to GITLAB_TOKEN_FILE."""
    path = settings.secret_file("GITLAB_TOKEN")

    def check() -> OwnCredentialReport:
        report = check_own_credential(
            container.gitlab(),
            today=container.clock().astimezone(UTC).date(),
            rotate_within_days=settings.tokenbot_self_rotate_days,
            lifetime_days=settings.tokenbot_default_lifetime_days,
            save_secret=functools.partial(write_secret_file, path) if path else None,
            can_save=functools.partial(writable_problem, path) if path else None,
        )
        if report.rotated:
            container.gate().identity.forget()  # its token id changed with the rotation
        return report

    return check


def bootstrap(settings: Settings, *, clock: Clock = utc_now, migrate: bool = True) -> Container:
    """Build everything a command needs; migrations run first so the schema is current."""
    if settings.database_url is None:  # the default: a SQLite file in tokenbot's own directory
        private_directory(settings.tokenbot_data_dir)
    db = create_db_engine(settings.effective_database_url)
    if migrate:
        upgrade(db)

    key = settings.tokenbot_secret_key
    box = FernetBox(key.get_secret_value()) if key is not None else None

    def uow() -> UnitOfWork:
        return SqlUnitOfWork(db, box)

    advice = advice_context(settings, KnownPlatform(settings.platform))
    deps = ConversationDeps(uow=uow, context=advice, clock=clock)
    gateway = functools.cache(lambda: gitlab_gateway(settings))

    @functools.cache
    def gate() -> Gate:
        return Gate(
            gateway(),
            BotIdentitySource(lambda: gateway().bot_credential()),
            admins=frozenset(settings.tokenbot_admins),
            approvers=settings.request_policy.approvers,
            breakglass_groups=settings.tokenbot_breakglass_groups,
        )

    return Container(settings, db, advice, deps, uow, clock, gateway, gate)
