"""The request form for Replace with a narrower token: the old token's kind and place, the
advisor's narrower scopes and role, and which token it replaces (kept in the form's metadata,
checked again with the gate when it is submitted)."""

from __future__ import annotations

from typing import Any

from bot.domain.reminders import TrackedToken
from bot.domain.request_policy import REQUESTABLE
from bot.services.form_facts import learn_target
from bot.services.hygiene_replacement import narrower_choice
from bot.services.people import Person
from bot.slack.blocks.request_forms import FormValues
from bot.slack.flow import RequestFlow
from bot.slack.request_form import FormState, state_form


def replacement_form(flow: RequestFlow, token: TrackedToken, person: Person) -> dict[str, Any]:
    """The request modal filled in for a narrower successor of `token` (GitLab is asked what
    the person may do there, so the roles offered fit)."""
    choice = narrower_choice(token)
    path = token.namespace.path
    state = FormState(
        token_type=token.token_type if token.token_type in REQUESTABLE else None,
        scopes=choice.scopes,
        role=choice.role,
        values=FormValues(target=path, name=token.name),
        facts=learn_target(person, path, flow.deps),
        replaces=token.key,
    )
    offered = flow.deps.offered()
    return state_form(offered, today=flow.today(), default_days=flow.lifetime_days, state=state)
