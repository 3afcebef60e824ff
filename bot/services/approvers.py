"""Who is asked to approve a request: the people the gate would let approve it, minus the
requester, and what the fallback approvers are told.

tokenbot knows people in GitLab through its identity links: TOKENBOT_USER_MAP and the links
made by GitLab sign-in. Each known person is put to the gate (`Action.APPROVE`), exactly as
their click would be, so the list is never wider nor narrower than the decision. Someone
found only by e-mail at click time is not known in advance and is not named.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from bot.domain.access import Action
from bot.domain.requests import TokenRequest
from bot.domain.tokens import AccessLevel
from bot.services.gate import Gate, approval_subject
from bot.services.gitlab_errors import GitLabError
from bot.services.gitlab_port import GitLabGateway
from bot.services.people import Person
from bot.services.ports import UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class Refusal:
    """A fallback approver the gate would not let approve, and why."""

    chat_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Roster:
    approvers: tuple[str, ...]  # chat ids the gate lets approve; never the requester
    role: AccessLevel = AccessLevel.MAINTAINER  # the GitLab role that may approve it there
    # fallback approvers to ask: the gate lets them approve, or tokenbot cannot place them
    # in GitLab before they click (their click is identified and decided then)
    fallback: tuple[str, ...] = ()
    refused: tuple[Refusal, ...] = ()  # fallback approvers the gate would not let approve

    @property
    def nobody(self) -> bool:
        """Nobody but the requester could approve it (fallback approvers aside)."""
        return not self.approvers


def known_people(
    *,
    uow: UnitOfWorkFactory,
    gitlab: GitLabGateway,
    user_map: Mapping[str, str],
    is_chat_id: Callable[[str], bool],
) -> list[Person]:
    """Everyone tokenbot can tell in GitLab before they act: TOKENBOT_USER_MAP first (as at
    click time), then GitLab sign-in links. `is_chat_id` keeps the map's chat users (the
    shell's user names share the map)."""
    people: dict[str, Person] = {}
    for chat_id, username in user_map.items():
        if not is_chat_id(chat_id):
            continue
        try:
            user = gitlab.find_user(username=username)
        except GitLabError:
            continue  # not known now; their click is still decided by the gate
        if user is not None:
            people[chat_id] = Person(chat_id, user.id)
    with uow() as found:
        links = found.links.all()
    for link in links:
        if is_chat_id(link.chat_id) and link.chat_id not in people:
            people[link.chat_id] = Person(link.chat_id, link.gitlab_user_id)
    return list(people.values())


def roster(
    request: TokenRequest,
    people: Sequence[Person],
    *,
    gate: Gate,
    fallback: Collection[str] = (),
) -> Roster:
    """Who may approve `request`, each decided by the gate; the fallback approvers apart."""
    asking = gate.remembering()  # one GitLab look-up per person and place
    power = asking.power_of_request(request)
    target = request.draft.target
    by_chat = {p.chat_id: p for p in people}

    def verdict(person: Person) -> tuple[bool, str]:
        subject = approval_subject(request, power, person)
        checked = asking.check(Action.APPROVE, person, subject, target)
        return checked.allowed, checked.reason

    approvers = tuple(p.chat_id for p in people if verdict(p)[0])
    asked, refused = [], []
    for chat_id in dict.fromkeys(fallback):
        person = by_chat.get(chat_id)
        ok, reason = verdict(person) if person is not None else (True, "")
        if ok:
            asked.append(chat_id)
        else:
            refused.append(Refusal(chat_id, reason))
    return Roster(approvers, power.manager_role, tuple(asked), tuple(refused))
