"""One outcome per submit: a form that arrives twice (Slack retried it, or the same form was
submitted again unchanged) acts once.

The front end names each submit with a key, the same when the same submit arrives again
(bot/slack/listeners/request_form.py `submission_key`). What the submit stores gets its id
from that key, so a second arrival finds it instead of acting again, and one that raced the
first (checked at the same moment, in this process or another) is stopped by the database's
primary key and finds it then. The request form's own is `submit_once` (token_requests).

Denying needs no key: the request's state machine lets a request be denied once, and the
same person's second denial is reported as the first (bot/slack/listeners/requests.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from bot.domain.job_token_access import JobAccessDraft, JobTokenAccess
from bot.domain.requests import RequestDraft, TokenRequest
from bot.services.breakglass import submit_break_glass
from bot.services.job_token_access import submit_job_access
from bot.services.people import Person
from bot.services.renewals import RenewDeps, renew_tracked_token
from bot.services.request_deps import RequestDeps
from bot.services.token_requests import submission_id

T = TypeVar("T")


def once(
    submission: str | None,
    stored: Callable[[str], T | None],
    act: Callable[[str | None], T],
) -> tuple[T, bool]:
    """`act(id)` once per `submission`: what it made, and whether this call made it. Without
    a key `act` runs with no id (a generated one). A failure is the first arrival's success
    when what the key names exists by then (the second arrival lost the race)."""
    keyed = submission_id(submission) if submission else None
    if keyed is not None:
        found = stored(keyed)
        if found is not None:
            return found, False
    try:
        return act(keyed), True
    except Exception:
        found = stored(keyed) if keyed is not None else None
        if found is None:
            raise
        return found, False


def job_access_once(
    requester: Person, draft: JobAccessDraft, *, deps: RequestDeps, submission: str | None
) -> tuple[JobTokenAccess, bool]:
    """`submit_job_access`, once per submission."""

    def stored(access_id: str) -> JobTokenAccess | None:
        with deps.uow() as uow:
            return uow.job_access.get(access_id)

    def act(access_id: str | None) -> JobTokenAccess:
        return submit_job_access(requester, draft, deps=deps, access_id=access_id)

    return once(submission, stored, act)


def renewal_once(
    key: str,
    person: Person,
    *,
    expires_on: date,
    reason: str,
    deps: RenewDeps,
    submission: str | None,
) -> tuple[TokenRequest, bool]:
    """`renew_tracked_token`, once per submission."""

    def act(request_id: str | None) -> TokenRequest:
        return renew_tracked_token(
            key, person, expires_on=expires_on, reason=reason, deps=deps, request_id=request_id
        )

    return once(submission, lambda found: _request(found, deps.requests), act)


def break_glass_once(
    requester: Person, draft: RequestDraft, *, deps: RequestDeps, submission: str | None
) -> tuple[TokenRequest, bool]:
    """`submit_break_glass`, once per submission."""

    def act(request_id: str | None) -> TokenRequest:
        return submit_break_glass(requester, draft, deps=deps, request_id=request_id)

    return once(submission, lambda found: _request(found, deps), act)


def _request(request_id: str, deps: RequestDeps) -> TokenRequest | None:
    with deps.uow() as uow:
        return uow.requests.get(request_id)
