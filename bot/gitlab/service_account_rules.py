"""What GitLab shows tokenbot about creating service accounts (see domain/service_accounts.py).

The instance setting is read where GitLab lets tokenbot read it (`GET /application/settings`,
administrators only); GitLab's refusal of a creation is remembered for an hour, so the next
request is refused at submit instead of after its approval.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import gitlab

from bot.domain.credentials import IssuedToken, Namespace, TokenSpec
from bot.domain.platform import parse_version
from bot.domain.service_accounts import ADMIN_FIX, OWNERS_MAY_CREATE, AccountFacts
from bot.domain.tokens import TokenType
from bot.gitlab import check_reads
from bot.gitlab.inventory import Caller
from bot.services.gitlab_errors import GitLabError, PermissionDeniedError

REMEMBER_REFUSAL_SECONDS = 3600.0
_REFUSAL_WORDS = "permission to create a service account"


class RefusalMemory:
    """Groups where GitLab refused tokenbot a service account, and when (monotonic)."""

    def __init__(self) -> None:
        self._at: dict[str, float] = {}
        self._lock = threading.Lock()

    def note(self, group: str, message: str) -> bool:
        """Remember a refusal if `message` is GitLab's "no permission to create" one."""
        if _REFUSAL_WORDS not in message.lower():
            return False
        with self._lock:
            self._at[group.lower()] = time.monotonic()
        return True

    def recent(self, group: str) -> bool:
        with self._lock:
            at = self._at.get(group.lower())
        return at is not None and time.monotonic() - at < REMEMBER_REFUSAL_SECONDS

    def forget(self, group: str) -> None:
        with self._lock:
            self._at.pop(group.lower(), None)


def noting_refusals(
    refusals: RefusalMemory, ns: Namespace, spec: TokenSpec, create: Callable[[], IssuedToken]
) -> IssuedToken:
    """Run `create`; GitLab's refusal of a new service account is remembered and explained."""
    try:
        return create()
    except PermissionDeniedError as exc:
        if spec.token_type is TokenType.SERVICE_ACCOUNT_PAT and refusals.note(ns.path, str(exc)):
            raise PermissionDeniedError(
                f"GitLab refused tokenbot a service account in {ns.path}. {ADMIN_FIX}"
            ) from None
        raise


def account_facts(
    caller: Caller, gl: gitlab.Gitlab, group: str, refusals: RefusalMemory
) -> AccountFacts:
    """Everything `creation_verdict` weighs, read from GitLab (GitLabError if it cannot)."""
    me = check_reads.current_account(caller, gl)
    role = check_reads.group_role(caller, gl, group, me.id)
    try:
        version = parse_version(check_reads.instance_metadata(caller, gl).version)
    except GitLabError:
        version = None
    return AccountFacts(
        group=group,
        admin=me.is_admin,
        role=role,
        version=version,
        owners_may_create=_instance_setting(caller, gl) if me.is_admin else None,
        refused_recently=refusals.recent(group),
        gitlab_com=(urlsplit(gl.url).hostname or "").lower() == "gitlab.com",
    )


def _instance_setting(caller: Caller, gl: gitlab.Gitlab) -> bool | None:
    try:
        settings = caller.call("GitLab's instance settings", gl.settings.get)
    except GitLabError:
        return None
    value = settings.attributes.get(OWNERS_MAY_CREATE)
    return value if isinstance(value, bool) else None
