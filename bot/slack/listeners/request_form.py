"""The request form in Slack: opening it, redrawing it as it is filled in, and its submit.

The submit acks at once whatever GitLab's latency: what needs no GitLab (the form's own
answers, the policy, what the form already learned about the target) is answered in the ack
as field errors, all together; otherwise the ack shows "Checking with GitLab…", and after it
the form comes back with every problem marked (`views.update`), or the confirmation does.
One submit stores one request even when it arrives twice (see `submission_key`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.request_policy import REQUESTABLE, Problem
from bot.domain.requests import RequestDraft, RequestError, TokenRequest
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.services.form_facts import TargetFacts, known_problems, learn_target, typed_path
from bot.services.gitlab_errors import GitLabError
from bot.services.hygiene_replacement import replacement_of
from bot.services.identity import IdentityError
from bot.services.request_checks import platform_problems
from bot.services.token_requests import RequestRejected, submit_once
from bot.slack import ids
from bot.slack.after_ack import after_ack, queue
from bot.slack.blocks import notices
from bot.slack.blocks.request_forms import FIELD_LABELS
from bot.slack.blocks.request_status import checking_modal, sent_modal
from bot.slack.blocks.requests import waiting_message
from bot.slack.flow import RequestFlow, known_person, person, tell
from bot.slack.form_metadata import decode_facts, decode_replaces
from bot.slack.parse import action_value, form_value, subcommand, trigger_id, user_id, view_of
from bot.slack.request_form import (
    FormState,
    OpeningForms,
    form_values,
    problem_map,
    read_draft,
    slack_errors,
    state_form,
)
from bot.slack.work import WorkQueue

log = logging.getLogger(__name__)
# The inputs whose change redraws the form (they dispatch block actions).
REDRAWN_BY = ("target", "token_type", "delivery")
_SCOPE_VALUES = frozenset(s.value for s in Scope)
_ROLE_VALUES = frozenset(int(r) for r in AccessLevel)
_OPENING = OpeningForms()  # the form as it first opens, drawn once (2 ms of an ack's CPU)


CardPoster = Callable[[RequestFlow, WebClient, TokenRequest], "str | None"]


def register(app: App, flow: RequestFlow, post_card: CardPoster, work: WorkQueue) -> None:
    """`post_card`: posts the approval card, its channel or None (requests.py). What needs
    GitLab runs on the work queue, after the ack."""

    @app.action(ids.REQUEST_OPEN)
    def handle_request_button(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        ack()
        _open_form(flow, client, trigger_id(body), _prefill(action_value(body)))

    @app.command(ids.COMMAND, matchers=[lambda command: subcommand(command) == "request"])
    def handle_request_command(ack: Ack, command: Mapping[str, Any], client: WebClient) -> None:
        ack()
        _open_form(flow, client, trigger_id(command), {})

    @after_ack(work)
    def handle_form_changed(body: Mapping[str, Any], client: WebClient, _: BoltContext) -> None:
        """A path given, a type or a delivery chosen: the form offers what fits now."""
        view = view_of(body)
        if view.get("callback_id") != ids.REQUEST_SUBMIT:
            return
        facts = _facts_for(flow, client, user_id(body), view)
        try:
            client.views_update(
                view_id=str(view.get("id") or ""),
                hash=str(view.get("hash") or "") or None,
                view=_redrawn(flow, view, facts),
            )
        except SlackApiError as exc:  # submitted or changed meanwhile (hash_conflict): fine
            log.info("the request form was not redrawn: %s", exc.response.get("error"))

    for block in REDRAWN_BY:
        app.action({"block_id": block, "action_id": "value"})(handle_form_changed)

    @app.view(ids.REQUEST_SUBMIT)
    def handle_request_submit(
        ack: Ack, body: Mapping[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        view, requester = view_of(body), user_id(body)
        draft = read_draft(view)
        problems = draft if isinstance(draft, list) else _known(flow, draft, view, requester)
        if problems:
            ack(response_action="errors", errors=slack_errors(problems, view))
            return
        assert isinstance(draft, RequestDraft)  # noqa: S101 - no problems: a draft
        ack(response_action="update", view=checking_modal(str(view.get("private_metadata") or "")))

        def check(body: Mapping[str, Any], client: WebClient, _: BoltContext) -> None:
            _check_and_send(flow, client, body, draft, post_card)

        queue(work, check, body, client, context)


def submission_key(body: Mapping[str, Any]) -> str | None:
    """What makes a submit this one: the team, the person, the view and its hash. Slack
    sends the same view id and hash again when the same form is submitted again unchanged
    (the ack was lost, or Submit pressed twice); any change to the form changes the hash."""
    view = view_of(body)
    team = body.get("team")
    team_id = team.get("id") if isinstance(team, Mapping) else ""
    view_id, view_hash = view.get("id"), view.get("hash")
    if not isinstance(view_id, str) or not view_id or not isinstance(view_hash, str):
        return None
    return f"slack:{team_id}:{user_id(body)}:{view_id}:{view_hash}"


def _known(
    flow: RequestFlow, draft: RequestDraft, view: Mapping[str, Any], requester: str
) -> list[Problem]:
    """Every problem found without asking GitLab: policy, platform, the learned facts."""
    deps = flow.deps
    return [
        *platform_problems(draft, deps),
        *deps.policy.shape_problems(draft, today=flow.today()),
        *known_problems(draft, decode_facts(view), requester, deps),
    ]


def _check_and_send(
    flow: RequestFlow,
    client: WebClient,
    body: Mapping[str, Any],
    draft: RequestDraft,
    post: CardPoster,
) -> None:
    """After the ack: GitLab's checks, then the form with its problems or the confirmation."""
    view = view_of(body)
    view_id = str(view.get("id") or "")
    try:
        someone = person(flow, client, user_id(body))
        replaced = decode_replaces(view)
        renews = replacement_of(replaced, someone, draft, deps=flow.actions()) if replaced else None
        request, new = submit_once(
            someone, draft, deps=flow.deps, submission=submission_key(body), replaces=renews
        )
    except RequestRejected as exc:
        _show_problems(flow, client, body, exc.problems)
        return
    except (IdentityError, GitLabError, RequestError) as exc:
        _show_problems(flow, client, body, [Problem("target", f"not sent: {exc}")])
        return
    if not new:  # the same submit again: its request and card exist already
        _show(client, view_id, sent_modal(request, flow.channel_for(request.draft.target)))
        return
    channel = post(flow, client, request)
    _show(client, view_id, sent_modal(request, channel))
    if channel is None:
        client.chat_postMessage(channel=request.requester, text=notices.withdrawn())
        return
    blocks, text = waiting_message(request, channel)
    client.chat_postMessage(channel=request.requester, blocks=blocks, text=text)


def _show_problems(
    flow: RequestFlow, client: WebClient, body: Mapping[str, Any], problems: list[Problem]
) -> None:
    """The form again with every problem marked; a DM listing them if it was closed."""
    view = view_of(body)
    redrawn = _redrawn(flow, view, decode_facts(view), problems)
    if not _show(client, str(view.get("id") or ""), redrawn):
        listed = "; ".join(f"{FIELD_LABELS.get(p.field, p.field)}: {p.message}" for p in problems)
        tell(client, body, f"Your token request was not sent: {listed}")


def _show(client: WebClient, view_id: str, view: dict[str, Any]) -> bool:
    """Put `view` in the modal (False: the person closed it meanwhile)."""
    try:
        client.views_update(view_id=view_id, view=view)
    except SlackApiError as exc:
        log.info("the request modal was not updated: %s", exc.response.get("error"))
        return False
    return True


def _redrawn(
    flow: RequestFlow,
    view: Mapping[str, Any],
    facts: TargetFacts | None,
    problems: list[Problem] | None = None,
) -> dict[str, Any]:
    """The form again, as filled in, offering what fits `facts`, with `problems` marked."""
    chosen = form_value(view, "token_type")
    scopes = form_value(view, "scopes")
    picked = scopes if isinstance(scopes, list) else []
    state = FormState(
        token_type=TokenType(chosen) if chosen in REQUESTABLE else None,
        scopes=tuple(Scope(s) for s in picked if isinstance(s, str) and s in _SCOPE_VALUES),
        role=role_of(form_value(view, "role")),
        values=form_values(view),
        facts=facts,
        problems=problem_map(problems or []),
        replaces=decode_replaces(view),
    )
    offered = flow.deps.offered()
    return state_form(offered, today=flow.today(), default_days=flow.lifetime_days, state=state)


def _facts_for(
    flow: RequestFlow, client: WebClient, chat_id: str, view: Mapping[str, Any]
) -> TargetFacts | None:
    """What GitLab says of the path now in the form; kept while the path is the same."""
    typed = form_value(view, "target")
    path = typed_path(typed) if isinstance(typed, str) else ""
    known = decode_facts(view)
    if known is not None and known.typed == path and known.requester.chat_id == chat_id:
        return known
    if not path:
        return None
    try:
        someone = known_person(flow, client, chat_id)
    except (IdentityError, GitLabError):
        return None  # the submit says who tokenbot cannot place
    return learn_target(someone, path, flow.deps)


def _open_form(
    flow: RequestFlow, client: WebClient, trigger: str, prefill: Mapping[str, Any]
) -> None:
    token_type, listed = prefill.get("t"), prefill.get("s")
    scopes: list[Any] = listed if isinstance(listed, list) else []
    role, days = prefill.get("r"), prefill.get("l")
    state = FormState(
        token_type=TokenType(token_type) if token_type in REQUESTABLE else None,
        scopes=tuple(Scope(s) for s in scopes if isinstance(s, str) and s in _SCOPE_VALUES),
        role=AccessLevel(role) if isinstance(role, int) and role in _ROLE_VALUES else None,
        lifetime_days=days if isinstance(days, int) and 0 < days <= 3650 else None,
    )
    deps = flow.deps
    view = _OPENING.form(
        deps.policy,
        deps.offered(),
        today=flow.today(),
        default_days=flow.lifetime_days,
        state=state,
    )
    client.views_open(trigger_id=trigger, view=view)


def _prefill(raw: str) -> Mapping[str, Any]:
    """What the advisor's "Request this token" button carries; anything else prefills nothing."""
    try:
        found = json.loads(raw)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def role_of(value: object) -> AccessLevel | None:
    """A role the form's select can hold ("30"); anything else (forged) is no role."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return None
    return AccessLevel(int(value)) if int(value) in _ROLE_VALUES else None
