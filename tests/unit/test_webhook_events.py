"""Reading GitLab's webhook deliveries as untrusted JSON, and the secret check.

Payload shapes from gitlab-org/gitlab `doc/user/project/integrations/webhook_events.md`
("Project and group access token events", "Project and group deploy token events",
"Group member events", "Project events", "Subgroup events").
"""

from __future__ import annotations

import hmac
import io
import json
from typing import Any
from unittest import mock

import pytest

from bot.domain.webhook_events import (
    IGNORED,
    MAX_PATH,
    EventKind,
    WebhookEvent,
    groups_to_refresh,
    parse_event,
)
from bot.slack.webhook_endpoint import MAX_WEBHOOK_BYTES, WebhookEndpoint, secret_matches

ACCESS = "Resource Access Token Hook"
PROJECT_TOKEN = {
    "object_kind": "access_token",
    "project": {"id": 7, "name": "Flight", "path_with_namespace": "flightjs/Flight"},
    "object_attributes": {
        "user_id": 90,
        "created_at": "2024-01-24 16:27:40 UTC",
        "id": 25,
        "name": "acd",
        "expires_at": "2024-01-26",
    },
    "event_name": "expiring_access_token",
}
GROUP_TOKEN = {
    "object_kind": "access_token",
    "group": {
        "group_name": "Twitter",
        "group_path": "twitter",
        "group_id": 35,
        "full_path": "twitter",
    },
    "object_attributes": {"user_id": 90, "id": 25, "name": "acd", "expires_at": "2024-01-26"},
    "event_name": "expiring_access_token",
}
DEPLOY_TOKEN = {
    "object_kind": "deploy_token",
    "project": {"path_with_namespace": "gitlab-org/gitlab-test"},
    "object_attributes": {
        "id": 79,
        "name": "seven-days-6days",
        "expires_at": "2025-08-03 07:57:25 UTC",
    },
    "event_name": "expiring_deploy_token",
}


def _parse(header: str, payload: Any) -> WebhookEvent:
    return parse_event(header, json.dumps(payload).encode())


def test_a_project_access_token_hook_names_its_project() -> None:
    event = _parse(ACCESS, PROJECT_TOKEN)
    assert event == WebhookEvent(
        EventKind.EXPIRING_ACCESS_TOKEN, "expiring_access_token", ("flightjs/Flight",), 25, "acd"
    )


def test_a_group_access_token_hook_names_its_group() -> None:
    assert _parse(ACCESS, GROUP_TOKEN).paths == ("twitter",)


def test_a_deploy_token_hook_names_its_project() -> None:
    event = _parse("Resource Deploy Token Hook", DEPLOY_TOKEN)
    assert event.kind is EventKind.EXPIRING_DEPLOY_TOKEN
    assert event.paths == ("gitlab-org/gitlab-test",)


def test_member_project_and_subgroup_events_name_their_places() -> None:
    member = _parse("Member Hook", {"event_name": "user_add_to_group", "group_path": "acme"})
    assert member.paths == ("acme",)
    moved = _parse(
        "Project Hook",
        {
            "event_name": "project_transfer",
            "path_with_namespace": "acme/new/api",
            "old_path_with_namespace": "other/api",
        },
    )
    assert moved.paths == ("acme/new/api", "other/api")
    sub = _parse(
        "Subgroup Hook",
        {"event_name": "subgroup_create", "full_path": "acme/x", "parent_full_path": "acme"},
    )
    assert sub.paths == ("acme/x", "acme")


@pytest.mark.parametrize(
    ("header", "body"),
    [
        ("Push Hook", json.dumps({"object_kind": "push"}).encode()),  # unknown event
        ("", json.dumps(PROJECT_TOKEN).encode()),  # no header
        (ACCESS, b"not json"),
        (ACCESS, b"\xff\xfe\x00"),  # not UTF-8
        (ACCESS, b"[]"),
        (ACCESS, b"null"),
        (ACCESS, json.dumps({**PROJECT_TOKEN, "event_name": "something_else"}).encode()),
        (ACCESS, json.dumps({**PROJECT_TOKEN, "event_name": ["expiring_access_token"]}).encode()),
        (ACCESS, json.dumps({**PROJECT_TOKEN, "project": "flightjs/Flight"}).encode()),
        (ACCESS, json.dumps({**PROJECT_TOKEN, "project": {"path_with_namespace": 7}}).encode()),
        (
            ACCESS,
            json.dumps({**PROJECT_TOKEN, "project": {"path_with_namespace": "../etc"}}).encode(),
        ),
        (
            ACCESS,
            json.dumps({**PROJECT_TOKEN, "project": {"path_with_namespace": "a/<!here>"}}).encode(),
        ),
        (ACCESS, b"[" * 100_000 + b"]" * 100_000),  # deep nesting
        (
            ACCESS,
            json.dumps(
                {**PROJECT_TOKEN, "project": {"path_with_namespace": "a" * (MAX_PATH + 1)}}
            ).encode(),
        ),
    ],
)
def test_anything_malformed_or_unknown_is_ignored_without_raising(header: str, body: bytes) -> None:
    event = parse_event(header, body)
    assert not event.acts


def test_wrong_types_in_the_attributes_are_dropped_not_trusted() -> None:
    payload = {**PROJECT_TOKEN, "object_attributes": {"id": "25; drop", "name": {"x": 1}}}
    event = _parse(ACCESS, payload)
    assert event.acts
    assert event.credential_id is None
    assert event.credential_name == ""
    assert (
        _parse(ACCESS, {**PROJECT_TOKEN, "object_attributes": {"id": True}}).credential_id is None
    )
    assert _parse(ACCESS, {**PROJECT_TOKEN, "object_attributes": []}).credential_id is None


def test_long_names_are_clipped() -> None:
    payload = {**PROJECT_TOKEN, "object_attributes": {"id": 1, "name": "n" * 10_000}}
    assert len(_parse(ACCESS, payload).credential_name) == 255


def test_only_watched_groups_are_refreshed_each_once() -> None:
    watched = ("acme", "beta/inner")
    assert groups_to_refresh(
        _parse(ACCESS, {**PROJECT_TOKEN, "project": {"path_with_namespace": "Acme/platform/api"}}),
        watched,
    ) == ("acme",)
    assert groups_to_refresh(_parse(ACCESS, PROJECT_TOKEN), watched) == ()
    assert (
        groups_to_refresh(
            _parse(ACCESS, {**PROJECT_TOKEN, "project": {"path_with_namespace": "acmex/api"}}),
            watched,
        )
        == ()
    )
    sub = _parse(
        "Subgroup Hook",
        {"event_name": "subgroup_destroy", "full_path": "acme/x", "parent_full_path": "acme"},
    )
    assert groups_to_refresh(sub, watched) == ("acme",)
    assert groups_to_refresh(IGNORED, watched) == ()


def test_the_secret_must_be_configured_and_equal() -> None:
    assert secret_matches("s3cret", "s3cret")
    assert not secret_matches("s3cret", None)
    assert not secret_matches("", "")
    assert not secret_matches(None, "s3cret")
    assert not secret_matches("s3cre", "s3cret")
    assert not secret_matches("s3cret" * 1000, "s3cret")
    assert not secret_matches("s3crét", "s3cret")


def test_the_secret_check_is_hmac_compare_digest() -> None:
    """Constant time is `hmac.compare_digest`'s promise (its time depends on the length, not on
    where the bytes differ); this pins that every comparison goes through it, wrong lengths
    included, instead of `==`, which stops at the first difference."""
    with mock.patch("hmac.compare_digest", wraps=hmac.compare_digest) as spy:
        assert not secret_matches("y" + "x" * 63, "x" * 64)
        assert not secret_matches("short", "x" * 64)
        assert secret_matches("x" * 64, "x" * 64)
    assert spy.call_count == 3
    assert all(isinstance(a, bytes) for call in spy.call_args_list for a in call.args)


def _call(
    endpoint: WebhookEndpoint, body: bytes, headers: dict[str, str], method: str = "POST"
) -> tuple[str, bytes]:
    statuses: list[str] = []
    environ = {
        "REQUEST_METHOD": method,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()},
    }
    answer = endpoint(environ, lambda status, _headers: statuses.append(status))  # type: ignore[arg-type,return-value]
    return statuses[0], b"".join(answer)


def test_the_endpoint_queues_only_authenticated_known_events() -> None:
    seen: list[WebhookEvent] = []
    endpoint = WebhookEndpoint(secret="s3cret", on_event=seen.append)
    body = json.dumps(PROJECT_TOKEN).encode()
    ok = {"X-Gitlab-Event": ACCESS, "X-Gitlab-Token": "s3cret"}
    assert _call(endpoint, body, {"X-Gitlab-Event": ACCESS})[0].startswith("401")
    assert _call(endpoint, body, {**ok, "X-Gitlab-Token": "nope"})[0].startswith("401")
    assert _call(endpoint, body, ok, method="GET")[0].startswith("405")
    assert _call(endpoint, b"x" * (MAX_WEBHOOK_BYTES + 1), ok)[0].startswith("413")
    assert _call(endpoint, b"{}", {**ok, "X-Gitlab-Event": "Push Hook"}) == (
        "200 OK",
        b'{"status": "ignored"}',
    )
    assert seen == []
    assert _call(endpoint, body, ok) == ("200 OK", b'{"status": "queued"}')
    assert [e.paths for e in seen] == [("flightjs/Flight",)]


def test_without_a_configured_secret_everything_is_refused() -> None:
    seen: list[WebhookEvent] = []
    endpoint = WebhookEndpoint(secret=None, on_event=seen.append)
    headers = {"X-Gitlab-Event": ACCESS, "X-Gitlab-Token": ""}
    assert _call(endpoint, json.dumps(PROJECT_TOKEN).encode(), headers)[0].startswith("401")
    assert seen == []


def test_a_member_event_from_a_subgroup_refreshes_every_watched_group() -> None:
    member = _parse("Member Hook", {"event_name": "user_add_to_group", "group_path": "platform"})
    assert groups_to_refresh(member, ("acme", "beta")) == ("acme", "beta")
