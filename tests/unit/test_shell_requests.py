"""Token requests typed in `tokenbot shell`, with fakes: the same use cases as Slack."""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from bot.domain.credentials import GitLabUser
from bot.domain.request_policy import RequestPolicy
from bot.domain.requests import RequestState
from bot.domain.tokens import AccessLevel
from bot.services.advisor import AdviceContext
from bot.services.conversations import ConversationDeps
from bot.services.gitlab_errors import ValidationError
from bot.services.token_requests import RequestDeps
from bot.shell.chat import ShellChat
from bot.shell.request_desk import RequestSetup
from tests.fake_gitlab import FakeGitLab
from tests.fakes import FakeRequestUnitOfWork

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
PROJECT = "acme/api"
PEOPLE = {"ada": 11, "mei": 12, "dev": 14, "ola": 13}


@dataclass
class PeopleGitLab(FakeGitLab):
    users: dict[str, int] = field(default_factory=lambda: dict(PEOPLE))

    def find_user(
        self, *, username: str | None = None, email: str | None = None
    ) -> GitLabUser | None:
        user_id = self.users.get(username or "")
        return GitLabUser(user_id, username or "", username or "") if user_id else None


@dataclass
class World:
    uow: FakeRequestUnitOfWork
    gitlab: PeopleGitLab
    deps: RequestDeps

    def chat(self, user: str, lines: list[str], user_map: dict[str, str] | None = None) -> str:
        """Type `lines` as `user`; the whole transcript, typed lines marked with `> `."""
        transcript: list[str] = []
        feed = iter(lines)

        def read(prompt: str) -> str:
            line = next(feed, None)
            if line is None:
                raise EOFError
            transcript.append(f"> {line}\n")
            return line

        setup = RequestSetup(self.deps, (), user_map or {}, 30)
        conversations = ConversationDeps(uow=self.uow, context=AdviceContext(), clock=lambda: NOW)
        chat = ShellChat(
            conversations, user=user, requests=setup, read=read, write=transcript.append
        )
        chat.run()
        return "".join(transcript)

    def only_request(self) -> str:
        (request_id,) = self.uow.store.requests
        return request_id


@pytest.fixture
def world() -> World:
    gitlab = PeopleGitLab()
    gitlab.project(PROJECT)
    roles = {"ada": AccessLevel.DEVELOPER, "mei": AccessLevel.MAINTAINER}
    roles |= {"dev": AccessLevel.DEVELOPER, "ola": AccessLevel.OWNER}
    for name, role in roles.items():
        gitlab.member(PEOPLE[name], PROJECT, role)
    uow = FakeRequestUnitOfWork()
    ids = (f"{n:04d}" + "c" * 28 for n in itertools.count(1))
    deps = RequestDeps(
        uow=uow, gitlab=gitlab, policy=RequestPolicy(), clock=lambda: NOW, new_id=lambda: next(ids)
    )
    return World(uow, gitlab, deps)


# path, type, name, scopes, role, expiry (Enter: +30 days), reason, delivery (Enter), submit
FORM = ["request", PROJECT, "1", "ci-reader", "read_api", "reporter", ""]
REASON = "CI reads the API to write release notes"


def test_only_the_fields_the_use_case_refuses_are_asked_again(world: World) -> None:
    out = world.chat("ada", [*FORM, "too short", "", "", "CI reads the API to build notes"])
    after = out.partition("Not submitted; please fix:")[2]
    assert "Reason: say in a sentence what the token is for" in after
    assert world.uow.store.requests.keys() == {"0001" + "c" * 28}
    asked_again = after.split("> CI reads the API to build notes")[0]
    assert asked_again.count("tokenbot> ") == 1  # after the problems: the reason, nothing else
    assert "tokenbot> Reason [too short]:" in asked_again
    assert "Request 0001cccc is submitted. It waits for approval by someone with Maintainer" in out


def test_nothing_is_stored_when_the_form_is_cancelled_or_input_ends(world: World) -> None:
    out = world.chat("ada", [*FORM, REASON, "", "cancel", "request", PROJECT])
    assert "Request abandoned; nothing was stored." in out
    assert out.count("Request abandoned; nothing was stored.") == 2  # end of input, too
    assert world.uow.store.requests == {}


def test_the_review_changes_any_field_before_submitting(world: World) -> None:
    out = world.chat("ada", [*FORM, REASON, "", "role", "guest", ""])
    assert out.count("Your request:") == 2
    request = world.uow.store.requests[world.only_request()]
    assert request.draft.access_level is AccessLevel.GUEST


def test_a_risky_request_waits_for_a_second_approver(world: World) -> None:
    out = world.chat("ada", [*FORM[:4], "api", "developer", "", REASON, "", ""])
    assert "It waits for approval by 2 different people with Maintainer or higher" in out
    request_id = world.only_request()
    first = world.chat("mei", [f"approve {request_id[:6]}", f"approve {request_id[:6]}"])
    assert "Approved 0001cccc (1 of 2 approvals); it needs 1 more, from someone else." in first
    assert "Not approved: you have approved this request already" in first
    second = world.chat("ola", [f"approve {request_id[:4]}"])
    assert "that was the last approval needed" in second
    assert world.uow.store.requests[request_id].state is RequestState.PROVISIONED


def test_a_gitlab_refusal_is_shown_and_an_approver_can_retry(world: World) -> None:
    world.chat("ada", [*FORM, REASON, "", ""])
    request_id = world.only_request()
    world.gitlab.fail_create = ValidationError("Name has already been taken")
    approved = world.chat("mei", [f"approve {request_id}"])
    assert "GitLab refused to create the Project access token 'ci-reader' on acme/api:" in approved
    assert "Name has already been taken" in approved
    assert "An approver can try again with: retry 0001cccc" in approved
    mine = world.chat("ada", ["mine", f"retry {request_id}"])
    assert "0001cccc  project_access_token  ci-reader  acme/api  failed" in mine
    assert "Not retried: you cannot decide on your own request" in mine
    assert "Not retried: deciding on this request needs Maintainer" in world.chat(
        "dev", [f"retry {request_id}"]
    )
    assert "0001cccc  ada   project_access_token  acme/api" in world.chat("ola", ["pending"])
    retried = world.chat("mei", [f"retry {request_id}", f"retry {request_id}"])
    assert "Created the Project access token 'ci-reader' on acme/api (GitLab id" in retried
    assert "Nothing to retry: this request is provisioned." in retried


def test_the_secret_is_printed_once_to_the_requester_and_nowhere_else(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    world.chat("ada", [*FORM, REASON, "", ""])
    request_id = world.only_request()
    approver = world.chat("mei", [f"approve {request_id}", f"reveal {request_id}"])
    requester = world.chat("ada", [f"reveal {request_id}", f"reveal {request_id}", "mine"])
    shown = [line.strip() for line in requester.splitlines() if "glpat-" in line]
    assert len(shown) == 1
    secret = shown[0]
    assert secret.startswith("glpat-fake")
    assert secret not in approver
    assert secret not in caplog.text
    assert requester.count(secret) == 1
    assert "Not revealed: only the requester can reveal this token" in approver
    assert "Not revealed: The token's secret was already revealed" in requester
    assert "type: rotate 0001cccc" in requester


def test_a_token_delivered_into_a_variable_is_not_revealed(world: World) -> None:
    world.gitlab.project("acme/deploy")
    world.gitlab.member(PEOPLE["ada"], "acme/deploy", AccessLevel.MAINTAINER)
    world.chat("ada", [*FORM, REASON, "2", "acme/deploy", "API_TOKEN", ""])
    request_id = world.only_request()
    approved = world.chat("mei", [f"approve {request_id}"])
    assert "Its secret is in the masked, protected CI/CD variable API_TOKEN of acme/deploy" in (
        approved
    )
    assert ("acme/deploy", "API_TOKEN") in world.gitlab.variables
    assert (
        "Not revealed: its secret went into the CI/CD variable API_TOKEN of acme/deploy;"
        " tokenbot does not show it" in world.chat("ada", [f"reveal {request_id}"])
    )


def test_deny_asks_for_the_reason_and_cancel_there_keeps_the_request(world: World) -> None:
    world.chat("ada", [*FORM, REASON, "", ""])
    request_id = world.only_request()
    kept = world.chat("mei", [f"deny {request_id}", "cancel"])
    assert "Not denied." in kept
    assert world.uow.store.requests[request_id].state is RequestState.PENDING
    refused = world.chat("dev", [f"deny {request_id}"])
    assert "Not denied: deciding on this request needs Maintainer" in refused
    assert "Why do you deny it?" not in refused
    world.chat("mei", [f"deny {request_id} use the CI job token instead"])
    assert world.uow.store.requests[request_id].deny_reason == "use the CI job token instead"


def test_commands_without_an_id_say_how_to_name_the_request(world: World) -> None:
    out = world.chat("mei", ["approve", "deny", "show 00"])
    assert "Not approved: say which request: approve ID (mine and pending list the ids)" in out
    assert "Not denied: say which request: deny ID REASON" in out
    assert "Cannot show it: type at least 4 characters of the request id" in out


def test_the_user_map_links_a_shell_name_to_a_gitlab_user(world: World) -> None:
    mapped = world.chat("ada.shell", ["whoami"], user_map={"ada.shell": "ada"})
    assert "You are ada.shell; in GitLab ada (from TOKENBOT_USER_MAP), user id 11." in mapped
    wrong = world.chat("ada.shell", ["request"], user_map={"ada.shell": "adah"})
    assert "Not requested: TOKENBOT_USER_MAP links you to GitLab user 'adah'" in wrong
    unknown = world.chat("zed", ["whoami", "as mei", "whoami"])
    assert "You are zed, but I cannot find you in GitLab. There is no GitLab user 'zed'." in unknown
    assert "You are now mei; in GitLab mei, user id 12." in unknown


def test_request_this_needs_a_recommendation_tokenbot_can_issue(world: World) -> None:
    out = world.chat("ada", ["request this"])
    assert "There is no recommendation to request yet" in out
    job_token = world.chat("ada", ["which token?", "1", "yes", "yes", "request this"])
    assert "tokenbot cannot create a ci/cd job token for you" in job_token.lower()
    assert world.uow.store.requests == {}


def test_a_requester_rotates_a_lost_secret_and_reveals_the_new_one(world: World) -> None:
    world.chat("ada", [*FORM, REASON, "", ""])
    request_id = world.only_request()
    world.chat("mei", [f"approve {request_id}"])
    out = world.chat(
        "ada", [f"reveal {request_id}", f"rotate {request_id} in-place", f"reveal {request_id}"]
    )
    shown = [line.strip() for line in out.splitlines() if "glpat-" in line]
    assert len(shown) == 2
    assert shown[0] != shown[1]
    assert "Rotated 0001cccc: the old secret no longer works." in out
    assert "See the new secret once, within 60 minutes: reveal 0001cccc" in out
    refused = world.chat("mei", [f"rotate {request_id}"])
    assert "Not rotated: only the requester can ask for a rotation of this token" in refused


def test_breakglass_in_the_shell_says_why_it_is_only_in_slack_and_stores_nothing(
    world: World,
) -> None:
    """The shell's user is not signed in (`as NAME`) and its requests reach no channel: a
    token made without approval there would be announced to nobody."""
    out = world.chat("ada", ["breakglass"])
    assert "Break-glass is only in Slack (/token breakglass)" in out
    assert world.uow.store.requests == {}
    assert world.gitlab.created == []
