"""CI/CD job token access typed at the terminal: `job-access` and its subcommands.

The same use cases as Slack (bot/services/job_token_access.py): ask, approve, deny, remove,
list. Ids are the first characters of an entry's id, as for token requests.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.domain.job_token_access import JobAccessDraft, JobAccessState, JobTokenAccess, SourceKind
from bot.domain.job_token_policies import JobResource
from bot.domain.requests import RequestError
from bot.services.gitlab_errors import GitLabError
from bot.services.identity import IdentityError
from bot.services.job_token_access import (
    approve_job_access,
    deny_job_access,
    fine_grained_verdict,
    job_access_for,
    remove_job_access,
    submit_job_access,
)
from bot.services.people import Person
from bot.services.ports import ConcurrentUpdateError
from bot.services.request_deps import RequestDeps, RequestRejected
from bot.shell.people import shell_person
from bot.shell.request_desk import RequestSetup
from bot.shell.request_ids import IdError, resolve_id, short_id

COMMAND = "job-access"
HELP = (
    "job-access: CI/CD job token access you asked for or manage;"
    " job-access request | approve ID | deny ID | remove ID"
)
_REFUSALS = (RequestError, IdentityError, GitLabError, ConcurrentUpdateError, IdError)
_KINDS = {"1": SourceKind.PROJECT, "2": SourceKind.GROUP}
_DONE = {"approve": "Not approved", "deny": "Not denied", "remove": "Not removed"}


class JobAccessDesk:
    def __init__(
        self,
        deps: RequestDeps | None,
        *,
        person: Callable[[str], Person],
        read: Callable[[], str],
        say: Callable[[str], None],
    ) -> None:
        self._deps, self._person, self._read, self._say = deps, person, read, say

    def handle(self, user: str, rest: str) -> None:
        if self._deps is None:
            self._say("Job token access needs token requests set up (see docs/configuration.md).")
            return
        verb, _, arg = rest.strip().partition(" ")
        verb = verb.lower()
        try:
            if verb == "request":
                self._request(user, self._deps)
            elif verb in _DONE:
                self._decide(user, verb, arg, self._deps)
            elif verb in {"", "list"}:
                self._list(user, self._deps)
            else:
                self._say(f"I don't know job-access {verb}. {HELP}")
        except _REFUSALS as exc:
            self._say(f"{_DONE.get(verb, 'Not done')}: {exc}")

    def _request(self, user: str, deps: RequestDeps) -> None:
        person = self._person(user)
        self._say(
            "Whose jobs need access? 1. The jobs of one project 2. Of every project in a group"
        )
        kind = _KINDS.get(self._read().strip())
        if kind is None:
            self._say("Not requested: answer 1 or 2. Nothing was stored.")
            return
        self._say("Project or group whose jobs need access (its full path):")
        source = self._read()
        self._say("Project the jobs need to reach (its full path):")
        target = self._read()
        resources = self._resources(deps)
        self._say("Reason:")
        reason = self._read().strip()
        draft = JobAccessDraft(kind, source.strip(), target.strip(), reason, resources=resources)
        try:
            access = submit_job_access(person, draft, deps=deps)
        except RequestRejected as exc:
            problems = "; ".join(f"{p.field}: {p.message}" for p in exc.problems)
            self._say(f"Not requested: {problems} Nothing was stored.")
            return
        self._say(
            f"Job token access {short_id(access.id)} is requested: {access.describe}"
            f" ({access.policies.describe}). A"
            f" Maintainer of {access.target.path} approves it (job-access approve"
            f" {short_id(access.id)})."
        )

    def _resources(self, deps: RequestDeps) -> tuple[str, ...]:
        """Where GitLab has fine-grained job token permissions, which resources the jobs need."""
        verdict = fine_grained_verdict(deps)
        if not verdict.yes:
            self._say(
                f"Fine-grained job token permissions {verdict.reason}: the entry gets GitLab's"
                " default permissions."
            )
            return ()
        offered = ", ".join(f"{r.value}:read|write" for r in JobResource)
        self._say(
            "Resources the jobs need, separated by commas, or Enter for GitLab's default"
            f" permissions ({offered}; write means read and write):"
        )
        return tuple(c for c in re.split(r"[,\s]+", self._read().strip()) if c)

    def _decide(self, user: str, verb: str, arg: str, deps: RequestDeps) -> None:
        person = self._person(user)
        with deps.uow() as uow:
            known = [a.id for a in uow.job_access.in_states(*JobAccessState)]
        access_id = resolve_id(arg, known)
        step = {"approve": approve_job_access, "deny": deny_job_access}.get(verb, remove_job_access)
        done = step(access_id, person, deps=deps)
        self._say(f"Job token access {short_id(done.id)} is {done.state.value}: {done.describe}.")

    def _list(self, user: str, deps: RequestDeps) -> None:
        entries = job_access_for(self._person(user), deps=deps)
        if not entries:
            self._say("No job token access that you asked for or manage. Type job-access request.")
            return
        self._say("Job token access:\n" + "\n".join(_line(a) for a in entries))


def _line(access: JobTokenAccess) -> str:
    return (
        f"  {short_id(access.id)}  {access.state.value:<9} {access.describe}"
        f"  [{access.policies.describe}]"
    )


def job_access_desk(
    setup: RequestSetup, *, read: Callable[[], str], say: Callable[[str], None]
) -> JobAccessDesk:
    """The desk over the shell's request settings (people found as the request desk finds them)."""
    deps = setup.deps

    def person(user: str) -> Person:
        assert deps is not None  # noqa: S101 - the desk asks only when deps are set
        return shell_person(user, gitlab=deps.gitlab, user_map=setup.user_map)

    return JobAccessDesk(deps, person=person, read=read, say=say)
