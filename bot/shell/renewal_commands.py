"""Rotate and Renew typed about a tracked token: the same use cases as the reminder buttons.

`rotate-token N` gives token `N` a successor by hand-off where its type allows (the old one
keeps working until the new one is used or the deadline passes), else, and with
`rotate-token N in-place`, a fresh secret with the same expiry (after a yes: the old secret
stops at once); `renew N YYYY-MM-DD REASON` a fresh secret until that date. The new secret
goes to whoever typed it, behind `reveal ID`; a rotation above their role, or a renewal that
policy wants approved, waits for approvers (`approve ID`, as for any request).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from bot.domain.handoff import IN_PLACE_ONLY, can_hand_off
from bot.domain.requests import RequestError, RequestState, TokenRequest
from bot.services.credential_usage import usage_of
from bot.services.people import Person
from bot.services.provisioning import provision_request
from bot.services.renewals import RenewDeps, renew_tracked_token, rotate_tracked_token
from bot.services.token_requests import RequestRejected
from bot.shell.request_ids import short_id
from bot.shell.request_text import provisioning_outcome

ROTATE, RENEW = "rotate-token", "renew"
USAGE = {ROTATE: f"{ROTATE} N [in-place]", RENEW: f"{RENEW} N YYYY-MM-DD REASON"}
IN_PLACE = "in-place"
IN_PLACE_CHOSEN = (
    "In place, the old secret stops working the moment the new one exists: update everything"
    " that uses it straight away."
)


class RenewalCommands:
    def __init__(
        self,
        deps: RenewDeps,
        *,
        say: Callable[[str], None],
        confirm: Callable[[str], bool] = lambda question: True,
    ) -> None:
        self._deps = deps
        self._say = say
        self._confirm = confirm

    def run(self, command: str, key: str, person: Person, rest: str) -> None:
        """`rest` is what followed the token number; RequestError says why nothing changed."""
        if command == ROTATE:
            hands_off = self._hands_off(key)
            in_place = rest.strip().lower() == IN_PLACE or not hands_off
            why = IN_PLACE_CHOSEN if hands_off else IN_PLACE_ONLY
            if in_place and not self._confirm(f"{why} Rotate it in place now? (yes/no)"):
                self._say("Not rotated; the token is as it was.")
                return
            request = rotate_tracked_token(key, person, deps=self._deps, in_place=in_place)
        else:
            request = self._renew(key, person, rest)
        self._after(request)

    def _hands_off(self, key: str) -> bool:
        with self._deps.requests.uow() as uow:
            token = uow.inventory.get(key)
        return token is not None and can_hand_off(token)

    def _renew(self, key: str, person: Person, rest: str) -> TokenRequest:
        day, _, reason = rest.strip().partition(" ")
        try:
            expires_on = date.fromisoformat(day)
        except ValueError:
            raise RequestError(f"give the new expiry date and why: {USAGE[RENEW]}") from None
        try:
            return renew_tracked_token(
                key, person, expires_on=expires_on, reason=reason, deps=self._deps
            )
        except RequestRejected as exc:
            raise RequestError("; ".join(p.message for p in exc.problems)) from None

    def _after(self, request: TokenRequest) -> None:
        sid = short_id(request.id)
        if request.state is RequestState.PENDING:
            have, need = len(request.approvals), request.required_approvals
            self._say(
                f"Renewal {sid} of '{request.draft.name}' waits for {need - have} approval(s)"
                f" from someone who may decide on {request.draft.target} (approve {sid});"
                " its new secret then comes to you."
            )
            return
        outcome = provision_request(request.id, deps=self._deps.requests)
        requests = self._deps.requests
        usage = usage_of(outcome.request, deps=requests, in_variable=True)
        self._say(provisioning_outcome(outcome.request, requests.secret_ttl, usage))
