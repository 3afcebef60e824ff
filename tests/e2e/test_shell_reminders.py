"""Expiry reminders in `tokenbot shell --sandbox`, with the sandbox's own clock moved forward.

The chat runs as a real child process against the built-in GitLab simulator and its demo
company Acme, whose tokens expire relative to the day the sandbox starts (day 0):

    release-bot          project token, acme/web/storefront          expired 3 days ago
    nightly-sync         service account token, acme (group)          2 days left
    ci-deploy            project token, acme/payments/checkout-api    5 days left
    bob-laptop           bob's own PAT, kept under acme               6 days left
    k8s-pull             deploy token, acme/payments/checkout-api     10 days left
    k8s-deploy           deploy key, acme/payments/checkout-api       12 days left
    platform-automation  group token, acme/platform                   14 days left
    carol-old-script     carol's own PAT, kept under acme             20 days left
    reporting            project token, acme/payments/ledger          25 days left

With the default thresholds (30, 14, 7, 3, 1 and the expiry day), which reminder prints on
which day follows from that table alone; the tests check it day by day.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from tests.cli_runner import run_tokenbot
from tests.e2e.test_shell_requests import Chat, submitted_id

DAY = re.compile(
    r"^tokenbot> (\d{4}-\d{2}-\d{2}) \(\w{3}, day (\d+)\): the daily sweep"
    r" (posts \d+ reminders?|has nothing to post)",
    re.MULTILINE,
)
CARD = re.compile(
    r"\[(\d+)\] [A-Za-z ]+ '([^']+)' in (\S+)"
    r" (expires in \d+ days|expires tomorrow|expired today|expired on \S+ \d+ days ago)"
)
DEMO_DAY_0 = [
    ("release-bot", None),  # expired on ..., 3 days ago: filled in with the start date
    ("nightly-sync", "expires in 2 days"),
    ("ci-deploy", "expires in 5 days"),
    ("bob-laptop", "expires in 6 days"),
    ("k8s-pull", "expires in 10 days"),
    ("k8s-deploy", "expires in 12 days"),
    ("platform-automation", "expires in 14 days"),
    ("carol-old-script", "expires in 20 days"),
    ("reporting", "expires in 25 days"),
]
Posted = dict[int, list[tuple[str, str]]]


@pytest.fixture
def chats() -> Iterator[list[Chat]]:
    started: list[Chat] = []
    yield started
    for chat in started:
        if chat.process.poll() is None:
            chat.process.kill()
            chat.process.wait(timeout=10)


def start(chats: list[Chat], user: str) -> tuple[Chat, date]:
    chat = Chat("--user", user)
    chats.append(chat)
    found = DAY.search(chat.greeting)
    assert found is not None, chat.greeting
    assert found.group(2) == "0", chat.greeting
    return chat, date.fromisoformat(found.group(1))


def posted(answer: str, day_0: date) -> Posted:
    """Day -> [(token name, when)] for every day's sweep printed in `answer`."""
    days: Posted = {}
    headers = list(DAY.finditer(answer))
    for index, header in enumerate(headers):
        day = int(header.group(2))
        assert date.fromisoformat(header.group(1)) == day_0 + timedelta(days=day), header
        end = headers[index + 1].start() if index + 1 < len(headers) else len(answer)
        flat = re.sub(r"\s+", " ", answer[header.end() : end])
        days[day] = [(card.group(2), card.group(4)) for card in CARD.finditer(flat)]
        count = re.match(r"posts (\d+)", header.group(3))
        assert len(days[day]) == (int(count.group(1)) if count else 0), flat
    return days


def numbers(answer: str) -> dict[str, int]:
    """Token name -> its number, from the reminder cards in `answer`."""
    flat = re.sub(r"\s+", " ", answer)
    return {card.group(2): int(card.group(1)) for card in CARD.finditer(flat)}


def card_of(answer: str, name: str) -> str:
    """The whole card of token `name` (the last one in `answer`), lines joined by spaces."""
    flat = re.sub(r"\s+", " ", answer)
    cards = re.findall(
        rf"\[\d+\] [A-Za-z ]+ '{re.escape(name)}' .*?Type: [a-z-]+ \d+(?: \| [a-z-]+ \d+)*", flat
    )
    assert cards, f"no card for {name} in:\n{answer}"
    return str(cards[-1])


def test_each_day_prints_exactly_the_reminders_its_sweep_posts(chats: list[Chat]) -> None:
    chat, day_0 = start(chats, "frank")

    def on(days: int) -> str:
        return (day_0 + timedelta(days=days)).isoformat()

    assert "Synced the watched groups (acme) from GitLab: 15 places, 27 credentials" in (
        chat.greeting
    )
    first = posted(chat.greeting, day_0)
    expected_0 = [(name, when or f"expired on {on(-3)}, 3 days ago") for name, when in DEMO_DAY_0]
    assert first == {0: expected_0}
    assert "(in Slack, one digest: more than 5 for one channel)" in chat.greeting
    assert numbers(chat.greeting) == {name: n for n, (name, _) in enumerate(DEMO_DAY_0, 1)}
    card = card_of(chat.greeting, "ci-deploy")
    assert card.startswith(
        f"[3] Project access token 'ci-deploy' in acme/payments/checkout-api expires in 5 days"
        f" (on {on(5)}, 00:00 UTC)."
    )
    for field in (
        "Scopes: api",
        "Role: Maintainer",
        f"Expires on: {on(5)}",
        "Days left: 5",
        "Last used: never, or not known",
        "Owner: no known owner",
        "Type: renew 3 | rotate-token 3 | let-expire 3 | revoke 3 | claim 3",
    ):
        assert field in card, card
    assert f"It is {on(0)} (" in chat.type("time")

    assert posted(chat.type("time +1d"), day_0) == {1: [("nightly-sync", "expires tomorrow")]}
    week = chat.type(f"time {on(12)}")
    assert posted(week, day_0) == {
        2: [("nightly-sync", "expired today"), ("ci-deploy", "expires in 3 days")],
        3: [("bob-laptop", "expires in 3 days"), ("k8s-pull", "expires in 7 days")],
        4: [("ci-deploy", "expires tomorrow")],
        5: [
            ("ci-deploy", "expired today"),
            ("bob-laptop", "expires tomorrow"),
            ("k8s-deploy", "expires in 7 days"),
        ],
        6: [("bob-laptop", "expired today"), ("carol-old-script", "expires in 14 days")],
        7: [("k8s-pull", "expires in 3 days"), ("platform-automation", "expires in 7 days")],
        9: [("k8s-pull", "expires tomorrow"), ("k8s-deploy", "expires in 3 days")],
        10: [("k8s-pull", "expired today")],
        11: [
            ("k8s-deploy", "expires tomorrow"),
            ("platform-automation", "expires in 3 days"),
            ("reporting", "expires in 14 days"),
        ],
        12: [("k8s-deploy", "expired today")],
    }
    assert f"It is now {on(12)} (" in week
    assert "11 daily sweeps ran, 10 with reminders." in week
    later = chat.type("time +2w")
    assert posted(later, day_0) == {
        13: [
            ("platform-automation", "expires tomorrow"),
            ("carol-old-script", "expires in 7 days"),
        ],
        14: [("platform-automation", "expired today")],
        17: [("carol-old-script", "expires in 3 days")],
        18: [("reporting", "expires in 7 days")],
        19: [("carol-old-script", "expires tomorrow")],
        20: [("carol-old-script", "expired today")],
        22: [("reporting", "expires in 3 days")],
        24: [("reporting", "expires tomorrow")],
        25: [("reporting", "expired today")],
    }
    assert "14 daily sweeps ran, 9 with reminders." in later
    quiet = chat.type("time +1w")  # everything was reminded of once per threshold already
    assert posted(quiet, day_0) == {}
    assert "7 daily sweeps ran; none had anything to post." in quiet
    assert f"It is {on(33)} (" in chat.type("time")

    refused = {  # time only moves forward: what was posted stays posted
        "time -1d": f"Time did not move: time only moves forward here: it is {on(33)}",
        f"time {on(12)}": f"it is {on(33)} already, after {on(12)}",
        "time tomorrow": "'tomorrow' is not a move: type time +7d, time +2w or time YYYY-MM-DD",
        "time +400d": "that is 400 days ahead; move at most 366 days at a time",
        f"time {on(33)}": f"It is {on(33)} (",
    }
    for line, said in refused.items():
        answer = chat.type(line)
        assert said in answer, answer
        assert posted(answer, day_0) == {}
    assert f"It is {on(33)} (" in chat.type("time")

    listed = chat.type("reminders")
    assert re.search(
        rf"^9 +expired +{on(25)} +project_access_token +reporting .* expiry$", listed, re.M
    )
    assert re.search(
        r"^21 +57d +\S+ +group_access_token +payments-audit .* active +-$", listed, re.M
    )
    code, err = chat.leave()
    assert code == 0, err


def test_a_developer_is_refused_and_a_maintainer_silences_and_claims(chats: list[Chat]) -> None:
    chat, day_0 = start(chats, "erin")  # Developer of acme/payments/checkout-api
    ids = numbers(chat.greeting)
    ci_deploy, reporting = ids["ci-deploy"], ids["reporting"]
    refusal = (
        "Nothing changed: to act on it you must own the token, be Maintainer or higher on"
        " acme/payments/checkout-api in GitLab, or be a tokenbot admin"
    )
    assert refusal in chat.type(f"let-expire {ci_deploy}")
    assert "Nothing changed: to claim it you must be Maintainer or higher" in chat.type(
        f"claim {ci_deploy}"
    )
    assert "Nothing changed: there is no token [99] here" in chat.type("claim 99")
    assert "Nothing changed: say which token: claim N" in chat.type("claim")

    chat.type("as dave")  # Maintainer of acme/payments
    assert (
        f"[{ci_deploy}] dave chose to let 'ci-deploy' in acme/payments/checkout-api expire:"
        " no more reminders for it."
    ) in chat.type(f"let-expire {ci_deploy}")
    assert f"[{reporting}] dave owns 'reporting' in acme/payments/ledger now" in chat.type(
        f"claim {reporting}"
    )
    chat.type("as grace")
    assert "Nothing changed: this token has an owner already" in chat.type(f"claim {reporting}")

    days = posted(chat.type("time +11d"), day_0)
    assert [name for day in days.values() for name, _ in day if name == "ci-deploy"] == []
    assert days[3] == [  # the others go on as before
        ("bob-laptop", "expires in 3 days"),
        ("k8s-pull", "expires in 7 days"),
    ]
    assert days[11] == [
        ("k8s-deploy", "expires tomorrow"),
        ("platform-automation", "expires in 3 days"),
        ("reporting", "expires in 14 days"),
    ]
    card = card_of(chat.transcript, "reporting")
    assert "Owner: dave" in card
    assert card.endswith(f"| let-expire {reporting} | revoke {reporting}")  # no claim
    listed = chat.type("reminders")
    assert re.search(
        rf"^{ci_deploy} +expired +\S+ +project_access_token +ci-deploy .* - +expired", listed, re.M
    )
    assert re.search(
        rf"^{reporting} +14d .* reporting +acme/payments/ledger +dave +active +14d$", listed, re.M
    )
    code, err = chat.leave()
    assert code == 0, err


def test_revoke_asks_first_then_revokes_in_gitlab(chats: list[Chat]) -> None:
    chat, day_0 = start(chats, "erin")
    ci_deploy = numbers(chat.greeting)["ci-deploy"]
    question = chat.type(f"revoke {ci_deploy}")
    assert (
        "Revoke 'ci-deploy' in acme/payments/checkout-api now? It stops working at once;"
        " anything still using it will fail. Type y to revoke it [y/N]"
    ) in question
    assert "Nothing changed: to act on it you must own the token" in chat.type("y")

    chat.type("as dave")
    chat.type(f"revoke {ci_deploy}")
    assert "Not revoked; it still works." in chat.type("")
    chat.type(f"revoke {ci_deploy}")
    assert "Not revoked; it still works." in chat.type("no")
    assert "Revoke 'ci-deploy'" in chat.type(f"revoke {ci_deploy}")
    assert (
        f"[{ci_deploy}] dave revoked 'ci-deploy' in acme/payments/checkout-api in GitLab;"
        " it no longer works."
    ) in chat.type("y")
    assert "Nothing changed: it is revoked already" in chat.type(f"revoke {ci_deploy}")

    # Each day syncs GitLab first: were the token still active there, it would be again here.
    days = posted(chat.type("time +5d"), day_0)
    assert days == {
        1: [("nightly-sync", "expires tomorrow")],
        2: [("nightly-sync", "expired today")],  # ci-deploy's 3 days left: not reminded
        3: [("bob-laptop", "expires in 3 days"), ("k8s-pull", "expires in 7 days")],
        5: [("bob-laptop", "expires tomorrow"), ("k8s-deploy", "expires in 7 days")],
    }
    assert re.search(
        rf"^{ci_deploy} +expired +\S+ +project_access_token +ci-deploy .* revoked +7d$",
        chat.type("reminders"),
        re.M,
    )
    code, err = chat.leave()
    assert code == 0, err


def test_a_token_requested_later_is_created_by_gitlab_on_the_same_day(chats: list[Chat]) -> None:
    chat, day_0 = start(chats, "carol")
    chat.type("time +10d")
    # The longest lifetime GitLab allows is 365 days from *its* today: had the simulator kept
    # the real date, this expiry would be 375 days away for it and refused.
    chat.script("request", "acme/platform/infra/terraform", "1", "tf-yearly", "read_repository")
    chat.script("developer", "+365", "Reads the Terraform modules for a yearly audit", "")
    request_id = submitted_id(chat.type(""))
    yearly = (day_0 + timedelta(days=375)).isoformat()
    assert yearly in chat.type(f"show {request_id}")
    chat.type("as bob")  # a long lifetime needs two approvals
    assert "it needs 1 more, from someone else" in chat.type(f"approve {request_id}")
    chat.type("as olivia")
    approved = chat.type(f"approve {request_id}")
    assert "Created the Project access token 'tf-yearly'" in approved, approved

    synced = chat.type("time +1d")
    assert re.search(r"GitLab sync on \S+ \(\w{3}, day 11\): 1 new token, 0 gone\.", synced)
    listed = chat.type("reminders")
    assert re.search(
        rf"^\d+ +364d +{yearly} +project_access_token +tf-yearly"
        r" +acme/platform/infra/terraform +carol +active +-$",
        listed,
        re.M,
    ), listed
    code, err = chat.leave()
    assert code == 0, err


def test_without_gitlab_tracked_tokens_say_what_they_need() -> None:
    result = run_tokenbot("shell", "--user", "ada", stdin="reminders\ntime +7d\nquit\n")
    assert result.code == 0, result.err
    assert result.out.count("Tracked tokens need GitLab: set GITLAB_URL and GITLAB_TOKEN") == 2
    assert "daily sweep" not in result.out
