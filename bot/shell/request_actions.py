"""Commands on one token request, typed with its id: show, approve, deny, cancel, retry,
reveal, rotate, and a hand-off's revoke-old and cancel-handoff. Each calls the same use case
as the Slack button does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date

from bot.domain.credentials import Secret
from bot.domain.requests import Delivery, RequestError, RequestState, TokenRequest
from bot.services.credential_usage import usage_of
from bot.services.handoff_cancel import cancel_handoff
from bot.services.handoffs import HandoffDeps, revoke_old_now
from bot.services.provisioning import Provisioning, provision_request
from bot.services.reminder_actions import ActionDeps
from bot.services.renewals import RenewApproval, RenewDeps
from bot.services.request_handoff import hand_off_request_token
from bot.services.request_notices import RequestNotices
from bot.services.request_rotation import rotate_request_token
from bot.services.reveal import GONE, reveal_secret
from bot.services.token_requests import (
    Person,
    RequestDeps,
    approve_request,
    cancel_request,
    check_approver,
    deny_request,
)
from bot.shell.form_dialog import CANCEL_WORDS
from bot.shell.request_ids import IdError, resolve_id, short_id
from bot.shell.request_text import minutes, provisioning_outcome, request_details, reveal_text


class RequestActions:
    def __init__(
        self,
        deps: RequestDeps,
        *,
        person: Callable[[str], Person],
        read: Callable[[], str],
        say: Callable[[str], None],
        renew_approval: RenewApproval = RenewApproval.RISKY,
        notices: RequestNotices | None = None,
    ) -> None:
        self._deps = deps
        self._notices = notices
        self._person = person
        self._read = read
        self._say = say
        self._renew_approval = renew_approval

    def run(self, command: str, user: str, rest: str) -> None:
        """`rest` starts with the id (a unique start of it will do); deny's reason follows."""
        word, _, more = rest.strip().partition(" ")
        request_id = self._resolve(user, word, command)
        deps = self._deps
        if command == "show":
            self._say(request_details(self._request(request_id), today_of(deps)))
        elif command == "approve":
            self._approved(approve_request(request_id, self._person(user), deps=deps))
        elif command == "deny":
            self._deny(request_id, self._person(user), more.strip())
        elif command == "cancel":
            cancelled = cancel_request(request_id, user, deps=deps)
            self._say(f"Cancelled {short_id(request_id)}; nothing will be created.")
            self._tell_slack(lambda n: n.changed(cancelled))
        elif command == "retry":
            check_approver(request_id, self._person(user), deps=deps)
            self._provisioned(self._provision(request_id), "Nothing to retry")
        elif command == "reveal":
            self._reveal(request_id, user)
        elif command == "revoke-old":
            done = revoke_old_now(request_id, self._person(user), deps=HandoffDeps(deps))
            self._say(f"Revoked the old '{done.name}' on {done.target}; only the new one works.")
        elif command == "cancel-handoff":
            done = cancel_handoff(request_id, self._person(user), deps=HandoffDeps(deps))
            self._say(
                f"Hand-off cancelled: the new '{done.name}' on {done.target} is revoked, the"
                " old one keeps working."
            )
        else:
            self._rotate(request_id, user, in_place=more.strip().lower() == "in-place")

    def _request(self, request_id: str) -> TokenRequest:
        with self._deps.uow() as uow:
            request = uow.requests.get(request_id)
        if request is None:
            raise RequestError(f"there is no request {request_id}")
        return request

    def _approved(self, request: TokenRequest) -> None:
        sid, have, need = short_id(request.id), len(request.approvals), request.required_approvals
        self._tell_slack(lambda n: n.changed(request))
        if request.state is not RequestState.APPROVED:
            self._say(
                f"Approved {sid} ({have} of {need} approvals); it needs {need - have} more,"
                " from someone else."
            )
            return
        self._say(f"Approved {sid}: that was the last approval needed. Creating the token...")
        self._provisioned(self._provision(request.id), "Not created now")

    def _deny(self, request_id: str, person: Person, reason: str) -> None:
        if not reason:
            check_approver(request_id, person, deps=self._deps)  # refuse before asking why
            self._say("Why do you deny it? The requester reads this (or type cancel).")
            try:
                reason = self._read().strip()
            except (EOFError, KeyboardInterrupt):
                reason = "cancel"
            if reason.lower() in CANCEL_WORDS:
                self._say("Not denied.")
                return
        request = deny_request(request_id, person, reason, deps=self._deps)
        self._say(f"Denied {short_id(request.id)}; {request.requester} sees your reason.")
        self._tell_slack(lambda n: n.denied(request, person.chat_id))

    def _reveal(self, request_id: str, user: str) -> None:
        sid = short_id(request_id)

        def show(request: TokenRequest, secret: Secret) -> None:
            self._say(reveal_text(request, secret, usage_of(request, deps=self._deps)))

        try:
            reveal_secret(request_id, self._person(user), show=show, deps=self._deps)
        except RequestError as exc:
            if str(exc) != GONE:
                raise
            draft = self._request(request_id).draft
            if draft.delivery is Delivery.CI_VARIABLE:
                raise RequestError(
                    f"its secret went into the CI/CD variable {draft.variable_key} of"
                    f" {draft.variable_project}; tokenbot does not show it"
                ) from None
            raise RequestError(f"{exc} (type: rotate {sid})") from None
        self._say(f"If you lose it, type rotate {sid} for a fresh secret.")

    def _rotate(self, request_id: str, user: str, *, in_place: bool) -> None:
        deps = self._deps
        actions = ActionDeps(deps.uow, deps.gitlab, deps.clock, gate=deps.gate)
        renew = RenewDeps(actions, deps, self._renew_approval)
        handed = (
            None if in_place else hand_off_request_token(request_id, self._person(user), deps=renew)
        )
        if handed is not None:  # a successor beside the live token (docs/handoff.md)
            if handed.state is RequestState.APPROVED:
                self._provisioned(self._provision(handed.id), "Not rotated now")
            else:
                self._say(f"Rotation {short_id(handed.id)} waits for approval.")
            return
        rotation = rotate_request_token(request_id, self._person(user), deps=self._deps)
        if not rotation.rotated:
            raise RequestError(f"{rotation.problem} (the old secret still works)")
        sid, draft = short_id(request_id), rotation.request.draft
        said = f"Rotated {sid}: the old secret no longer works."
        if not rotation.to_reveal:
            self._say(
                f"{said} The new one is in the masked, protected CI/CD variable"
                f" {draft.variable_key} of {draft.variable_project}."
            )
            return
        if rotation.problem is not None:
            said += f" But {rotation.problem}: set the variable yourself."
        ttl = minutes(self._deps.secret_ttl)
        self._say(f"{said} See the new secret once, within {ttl} minutes: reveal {sid}")

    def _provision(self, request_id: str) -> Provisioning:
        return provision_request(request_id, deps=self._deps)

    def _provisioned(self, outcome: Provisioning, idle: str) -> None:
        if not outcome.started:
            self._say(f"{idle}: this request is {outcome.request.state.value}.")
            return
        usage = usage_of(outcome.request, deps=self._deps, in_variable=True)
        self._say(provisioning_outcome(outcome.request, self._deps.secret_ttl, usage))
        self._tell_slack(lambda n: n.provisioned(outcome))

    def _tell_slack(self, step: Callable[[RequestNotices], str | None]) -> None:
        """Show the change in Slack too, when it is configured; say so if Slack failed."""
        if self._notices is None:
            return
        problem = step(self._notices)
        if problem is not None:
            self._say(f"{problem}; the request itself is as said above.")

    def _resolve(self, user: str, word: str, command: str) -> str:
        if not word:
            usage = "deny ID REASON" if command == "deny" else f"{command} ID"
            raise IdError(f"say which request: {usage} (mine and pending list the ids)")
        with self._deps.uow() as uow:
            known = [*uow.requests.open_requests(), *uow.requests.of_requester(user)]
        return resolve_id(word, {r.id for r in known})


def today_of(deps: RequestDeps) -> date:
    return deps.clock().astimezone(UTC).date()
