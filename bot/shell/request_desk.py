"""Token requests typed at the terminal: the same use cases as Slack, answered in plain text."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bot.domain.advice import Recommendation
from bot.domain.handoff import HandoffError
from bot.domain.profiles import PROFILES
from bot.domain.request_policy import approver_role
from bot.domain.requests import RequestError
from bot.services.gitlab_errors import GitLabError, NotFoundError
from bot.services.identity import IdentityError
from bot.services.ports import ConcurrentUpdateError
from bot.services.renewals import RenewApproval
from bot.services.request_notices import RequestNotices
from bot.services.token_requests import (
    Person,
    RequestDeps,
    requests_of,
    submit_request,
    waiting_for,
)
from bot.shell.form_dialog import FormCancelled, FormDialog
from bot.shell.people import gitlab_username, shell_person
from bot.shell.request_actions import RequestActions, today_of
from bot.shell.request_form import RequestForm, new_form
from bot.shell.request_ids import IdError, short_id
from bot.shell.request_text import mine_table, pending_table, slack_announced

_REFUSALS = (
    RequestError,
    IdentityError,
    GitLabError,
    ConcurrentUpdateError,
    IdError,
    HandoffError,
)
_NOT_DONE = {
    "request": "Not requested",
    "mine": "Cannot list your requests",
    "pending": "Cannot list pending requests",
    "show": "Cannot show it",
    "approve": "Not approved",
    "deny": "Not denied",
    "cancel": "Not cancelled",
    "retry": "Not retried",
    "reveal": "Not revealed",
    "rotate": "Not rotated",
    "revoke-old": "Old token not revoked",
    "cancel-handoff": "Hand-off not cancelled",
}
COMMANDS = frozenset({*_NOT_DONE, "whoami", "breakglass"})
NO_BREAKGLASS = (
    "Break-glass is only in Slack (/token breakglass): a token made without approval must be"
    " announced in the approvals channel and reviewed there, and the shell's user is not"
    " signed in (anyone here can be anyone with `as NAME`). Type request to ask for a token."
)


@dataclass(frozen=True, slots=True)
class RequestSetup:
    """What the shell needs for token requests; `deps` is None when settings are missing."""

    deps: RequestDeps | None
    missing: tuple[str, ...] = ()
    user_map: Mapping[str, str] = field(default_factory=dict)
    lifetime_days: int = 90
    renew_approval: RenewApproval = RenewApproval.RISKY  # TOKENBOT_RENEW_NEEDS_APPROVAL
    notices: RequestNotices | None = None  # Slack, when it is configured too


class RequestDesk:
    def __init__(
        self, setup: RequestSetup, *, read: Callable[[], str], say: Callable[[str], None]
    ) -> None:
        self._setup = setup
        self._read = read
        self._say = say

    @property
    def enabled(self) -> bool:
        return self._setup.deps is not None

    def can_request(self, rec: Recommendation) -> bool:
        """Can tokenbot create what the advisor recommended?"""
        deps = self._setup.deps
        return deps is not None and rec.token_type in deps.offered().rules

    def off_notice(self) -> str:
        return (
            f"Token requests are off here: set {', '.join(self._setup.missing)}"
            " (see docs/configuration.md), or try them with `tokenbot shell --sandbox`."
        )

    def handle(self, user: str, command: str, rest: str, rec: Recommendation | None) -> None:
        """Run one request command for `user`; every refusal is one clear line."""
        deps = self._setup.deps
        if command == "whoami":
            self.whoami(user)
            return
        if command == "breakglass":
            self._say(NO_BREAKGLASS)
            return
        if deps is None:
            self._say(self.off_notice())
            return
        try:
            if command == "request":
                self._request(user, rest.strip().lower() == "this", rec, deps)
            elif command == "mine":
                self._mine(user, deps)
            elif command == "pending":
                self._pending(user, deps)
            else:
                actions = RequestActions(
                    deps,
                    person=lambda u: self._person(u, deps),
                    read=self._read,
                    say=self._say,
                    renew_approval=self._setup.renew_approval,
                    notices=self._setup.notices,
                )
                actions.run(command, user, rest)
        except FormCancelled:
            self._say("Request abandoned; nothing was stored.")
        except _REFUSALS as exc:
            self._say(f"{_NOT_DONE[command]}: {exc}")

    def whoami(self, user: str, *, now: bool = False) -> None:
        you = f"You are {'now ' if now else ''}{user}"
        deps = self._setup.deps
        if deps is None:
            self._say(f"{you}." if now else f"{you}. {self.off_notice()}")
            return
        try:
            person = self._person(user, deps)
        except (IdentityError, GitLabError) as exc:
            self._say(f"{you}, but I cannot find you in GitLab. {exc}")
            return
        username = gitlab_username(user, self._setup.user_map)
        mapped = " (from TOKENBOT_USER_MAP)" if user in self._setup.user_map else ""
        self._say(f"{you}; in GitLab {username}{mapped}, user id {person.gitlab_id}.")

    def _request(
        self, user: str, this: bool, rec: Recommendation | None, deps: RequestDeps
    ) -> None:
        if this and not self._requestable(rec, deps):
            return
        person = self._person(user, deps)
        form = new_form(
            deps.offered(),
            today=today_of(deps),
            lifetime_days=self._setup.lifetime_days,
            recommendation=rec if this else None,
        )
        checks = {"target": _target_check(deps, form)}
        dialog = FormDialog(form, read=self._read, say=self._say, checks=checks)
        request = dialog.run(lambda draft: submit_request(person, draft, deps=deps))
        sid, need = short_id(request.id), request.required_approvals
        who = "someone" if need == 1 else f"{need} different people"
        self._say(
            f"Request {sid} is submitted. It waits for approval by {who} with"
            f" {approver_role(request.draft).label} or higher on {request.draft.target}"
            f" (they type: approve {sid}). Type mine to see where it stands."
        )
        if self._setup.notices is not None:
            self._say(slack_announced(*self._setup.notices.submitted(request)))

    def _requestable(self, rec: Recommendation | None, deps: RequestDeps) -> bool:
        if rec is None:
            self._say(
                "There is no recommendation to request yet: ask me which token to use first,"
                " or type request for an empty form."
            )
            return False
        if rec.token_type not in deps.offered().rules:
            kinds = ", ".join(PROFILES[t].title.lower() for t in deps.offered().rules)
            self._say(
                f"tokenbot cannot create a {rec.title.lower()} for you; it creates: {kinds}."
                " Follow the recommendation's How steps instead."
            )
            return False
        return True

    def _mine(self, user: str, deps: RequestDeps) -> None:
        requests = requests_of(user, deps=deps)
        if not requests:
            self._say("You have no token requests. Type request to ask for a token.")
            return
        self._say("Your requests, newest first:\n" + mine_table(requests, today_of(deps)))

    def _pending(self, user: str, deps: RequestDeps) -> None:
        waiting = waiting_for(self._person(user, deps), deps=deps)
        if not waiting:
            self._say("No open request is waiting for you to decide on.")
            return
        self._say(
            "Open requests you may decide on:\n"
            + pending_table(waiting)
            + "\nType show ID, approve ID, deny ID REASON, or retry ID for a failed one."
        )

    def _person(self, user: str, deps: RequestDeps) -> Person:
        return shell_person(user, gitlab=deps.gitlab, user_map=self._setup.user_map)


def _target_check(deps: RequestDeps, form: RequestForm) -> Callable[[str], str | None]:
    """Say at once when GitLab has no such path, instead of after the whole form; a path it
    knows tells the form what it is, so only the types that fit there are offered."""

    def check(path: str) -> str | None:
        try:
            where = deps.gitlab.namespace(path)
        except NotFoundError as exc:
            form.place_is(None)
            return str(exc)
        except GitLabError:
            form.place_is(None)
            return None  # GitLab is unwell; submitting will say so
        form.place_is(where.kind)
        return None

    return check
