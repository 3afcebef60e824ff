"""Seeding and acting for each cell of the authorization matrix (see matrix_effects.py for
how a verdict is read): the state a cell starts from, then one click, form or typed line.

Every cell works under a name of its own (its token, its request, its CI/CD variable). The
tokens of reminder cells exist before the one `tokenbot sync`; requests are stored as
submitting the form stores them; a RETRY cell's request failed for real: approved through
the endpoint while the simulator refused to create tokens.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
import requests

from bot.domain.request_policy import RequestPolicy
from bot.domain.requests import RequestState, TokenRequest
from tests.support.matrix_effects import ANSWER_WITHIN, REMINDER_ACTIONS, Answer, Cell, Subject
from tests.support.matrix_world import (
    API,
    APPROVALS,
    POWERS,
    REMINDERS,
    SEEDERS,
    MatrixWorld,
    today,
    wait_until,
)
from tests.support.shell_terminal import Terminal
from tests.support.slack_requests import submit

# ----------------------------------------------------------------- seeding


def make_reminder_tokens(world: MatrixWorld, cells: list[Cell]) -> None:
    """Before the one sync: a project access token for each reminder cell."""
    for cell in cells:
        if cell.action in REMINDER_ACTIONS and not POWERS[cell.power].own:
            world.add_token(cell.name, POWERS[cell.power])


def fail_retry_requests(world: MatrixWorld, cells: list[Cell]) -> None:
    """Each RETRY cell's request, approved by Owners while GitLab refuses to create tokens:
    failed the way a GitLab fault leaves a request."""
    policy = RequestPolicy()
    seeded = []
    for cell in cells:
        if cell.action == "RETRY":
            power = POWERS[cell.power]
            flags = policy.risk_flags(power.draft(cell.name), today=today())
            need = policy.required_approvals(flags)  # all but the last one are given already
            seeded.append(world.seed_request(cell.name, power, approvals=SEEDERS[1:need]))
    world.sim.faults.error(403, path="*/access_tokens", method="POST", count=None)
    try:
        for request in seeded:
            _url, answer = _click(world, SEEDERS[0], APPROVALS, "request.approve", request.id)
            assert answer.status_code == 200, answer.text

        def failed() -> bool:
            return all(world.request(r.id).state is RequestState.FAILED for r in seeded)

        wait_until(failed)
    finally:
        world.sim.faults.clear()


def seed_cell(world: MatrixWorld, cell: Cell, own_key: str) -> Subject:
    power = POWERS[cell.power]
    subject = Subject(cell.name, cell.variable if cell.action == "DELIVER" else None)
    if cell.action == "APPROVE":
        subject.request_id = world.seed_request(cell.name, power).id
    elif cell.action == "RETRY":
        (request,) = world.requests_named(cell.name)
        assert request.state is RequestState.FAILED, request
        subject.request_id = request.id
    elif cell.action in {"REVEAL", "REQUEST_ROTATE"}:
        request = world.seed_request(cell.name, power, state=RequestState.PROVISIONED)
        subject.request_id, subject.token_id = request.id, request.gitlab_token_id or 0
        if cell.action == "REQUEST_ROTATE":
            world.forget_secret(request.id)  # revealed already: the Rotate button is shown
        else:
            subject.secret = _secret_of(world, request)
    elif cell.action in REMINDER_ACTIONS:
        if power.own:
            subject.name = "seeded"  # tokenbot's own token, as acme.py names it
            subject.key = own_key
        else:
            (tracked,) = world.tracked(cell.name)
            subject.key = tracked.key
        owner = None if cell.action == "CLAIM" else power.requester.slack_id
        tracked = world.set_owner(subject.key, owner)
        subject.token_id = tracked.gitlab_id
        if cell.action == "RENEW":  # 50 days out, or past its date (the own token has 60)
            assert tracked.expires_on is not None
            later = max(today() + timedelta(days=50), tracked.expires_on + timedelta(days=10))
            subject.renew_to = later.isoformat()
    subject.before = world.fingerprint(subject.name, subject.variable)
    return subject


def _secret_of(world: MatrixWorld, request: TokenRequest) -> str:
    with world.uow() as uow:
        secret = uow.secrets.take(request.id, now=request.created_at)
        assert secret is not None
        uow.rollback()  # only read: it stays for the reveal
    return secret.reveal()


# ----------------------------------------------------------------- acting in Slack


def act_in_slack(world: MatrixWorld, cell: Cell, subject: Subject) -> Answer:
    user = cell.who.slack_id
    answer = Answer(world.mark(), time.monotonic())
    if cell.action in {"REQUEST", "DELIVER"}:
        answers = _form_answers(cell)
        forged = _variable_fields(answers)
        answer.http = submit(world.driver, user, world.form, answers, forged=forged)
    elif cell.action in {"APPROVE", "RETRY"}:
        action = "request.approve" if cell.action == "APPROVE" else "request.retry"
        answer.response_url, answer.http = _click(
            world, user, APPROVALS, action, subject.request_id
        )
    elif cell.action in {"REVEAL", "REQUEST_ROTATE"}:
        requester = POWERS[cell.power].requester.slack_id
        action = "request.reveal" if cell.action == "REVEAL" else "request.rotate"
        answer.response_url, answer.http = _click(
            world, user, requester, action, subject.request_id
        )
    elif cell.action == "RENEW":
        _renew(world, user, subject, answer)
    else:
        action = f"reminder.{cell.action.lower()}"
        answer.response_url, answer.http = _click(world, user, REMINDERS, action, subject.key)
    return answer


def _form_answers(cell: Cell) -> dict[str, Any]:
    power = POWERS[cell.power]
    answers: dict[str, Any] = {
        "target": API,
        "token_type": "project_access_token",
        "name": cell.name,
        "scopes": [s.value for s in power.scopes],
        "role": str(int(power.role or 0)),
        "expires_on": (today() + timedelta(days=30)).isoformat(),
        "reason": "the matrix asks for a token of this power",
        "delivery": "reveal",
    }
    if cell.action == "DELIVER":
        answers |= {
            "delivery": "ci_variable",
            "variable_project": API,
            "variable_key": cell.variable,
        }
    return answers


def _variable_fields(answers: dict[str, Any]) -> dict[str, Any]:
    """The variable's fields as Slack sends them once the form shows them (it does after
    the delivery into a variable is chosen; the form the matrix holds was opened before)."""
    return {
        name: {"value": {"type": "plain_text_input", "value": answers[name]}}
        for name in ("variable_project", "variable_key")
        if name in answers
    }


def _click(
    world: MatrixWorld, user: str, channel: str, action_id: str, value: str
) -> tuple[str, requests.Response]:
    """Click the button `action_id` carrying `value` (a request id or a token key), as Slack
    sends it from the message the bot posted in `channel`."""
    url = world.response_url()
    world.driver.response_url = url
    button = {
        "type": "button",
        "action_id": action_id,
        "value": value,
        "text": {"type": "plain_text", "text": action_id},
    }
    message = {
        "channel": channel,
        "ts": "1700000999.000999",
        "blocks": [{"type": "actions", "block_id": "matrix", "elements": [button]}],
    }
    return url, world.driver.click(user, message, action_id)


def _renew(world: MatrixWorld, user: str, subject: Subject, answer: Answer) -> None:
    answer.response_url, opened = _click(world, user, REMINDERS, "reminder.renew", subject.key)
    answer.extra.append(opened)

    def form() -> dict[str, Any] | None:
        for call in world.calls_since(answer.since):
            view = call.args.get("view") or {}
            if call.method == "views.open" and str(view.get("private_metadata", "")).startswith(
                subject.key
            ):
                return dict(view)
        return None

    deadline = answer.started + ANSWER_WITHIN
    while (view := form()) is None and not world.told(user, answer.since, answer.response_url):
        if time.monotonic() > deadline:
            return
        time.sleep(0.01)
    if view is not None:
        reason = "the matrix still needs this token for a while"
        answers = {"expires_on": subject.renew_to, "reason": reason}
        answer.http = submit(world.driver, user, view, answers)


# ----------------------------------------------------------------- acting in the shell

SHELL_COMMANDS = {
    "APPROVE": "approve",
    "RETRY": "retry",
    "REVEAL": "reveal",
    "REQUEST_ROTATE": "rotate",
}
SHELL_REMINDER_COMMANDS = {
    "ROTATE": "rotate-token {n}",
    "RENEW": "renew {n} {date} {reason}",
    "CLAIM": "claim {n}",
    "LET_EXPIRE": "let-expire {n}",
    "REVOKE": "revoke {n}",
}
NOT_IN_SHELL_WORLD = (
    "tokenbot shell offers its tracked-token commands (rotate-token N, renew N, claim N,"
    " let-expire N, revoke N) only with --sandbox, whose GitLab is the built-in demo company;"
    " with GITLAB_URL and GITLAB_TOKEN it answers 'Reminders and time travel are in the sandbox'"
)


def act_in_shell(world: MatrixWorld, shell: Terminal, cell: Cell, subject: Subject) -> Answer:
    shell.become(cell.who.slack_id)
    number = _number(shell, subject) if cell.action in REMINDER_ACTIONS else ""
    answer = Answer(world.mark(), time.monotonic())
    if cell.action in {"REQUEST", "DELIVER"}:
        answer.text = _fill_in_form(shell, cell)
    elif cell.action in SHELL_COMMANDS:
        answer.text = shell.type(f"{SHELL_COMMANDS[cell.action]} {subject.request_id}")
    else:
        command = SHELL_REMINDER_COMMANDS[cell.action].format(
            n=number, date=subject.renew_to, reason="the matrix still needs this token"
        )
        answer.text = shell.type(command)
        if cell.action == "REVOKE" and "[y/N]" in answer.text:
            answer.text += shell.type("y")
    return answer


def _number(shell: Terminal, subject: Subject) -> str:
    """The session's number of the subject's tracked token, from `reminders` (once)."""
    kind = subject.key.partition(":")[0]
    if (kind, subject.name) not in shell.numbers:
        listed = shell.type("reminders")
        if "Reminders and time travel are in the sandbox" in listed:
            pytest.skip(NOT_IN_SHELL_WORLD)
        for row in re.finditer(r"^ *(\d+) +\S+ +\S+ +(\S+) +(\S+) ", listed, re.MULTILINE):
            shell.numbers[(row.group(2), row.group(3))] = row.group(1)
    number = shell.numbers.get((kind, subject.name))
    assert number is not None, f"{kind} {subject.name} is not listed"
    return number


_QUESTION = re.compile(r"tokenbot> (?P<label>[A-Z][^\[:\n]*?)(?: \[[^\]\n]*\])?:")


def _fill_in_form(shell: Terminal, cell: Cell) -> str:
    power = POWERS[cell.power]
    fields = {
        "Project or group path": API,
        "Token type": "project_access_token",
        "Name": cell.name,
        "Scopes": ",".join(s.value for s in power.scopes),
        "Role": str(int(power.role or 0)),
        "Expires on": "+30",
        "Reason": "the matrix asks for a token of this power",
        "Delivery": "ci_variable" if cell.action == "DELIVER" else "reveal",
        "CI/CD variable project": API,
        "CI/CD variable name": cell.variable,
    }
    said = shell.type("request")
    transcript = said
    for _ in range(20):
        if re.search(r"is submitted|Not requested:|Request abandoned", said):
            return transcript
        if "Not submitted" in said:
            return transcript + shell.type("cancel")
        asked = list(_QUESTION.finditer(said))
        if "Your request:" in said.rsplit("tokenbot> ", 1)[-1]:
            said = shell.type("")
        elif asked and asked[-1].group("label") in fields:
            said = shell.type(fields[asked[-1].group("label")])
        else:
            raise AssertionError(f"an unexpected question:\n{said}")
        transcript += said
    raise AssertionError(f"the form did not end:\n{transcript}")
