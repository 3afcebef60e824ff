"""Job token access in `tokenbot shell --sandbox`: from the CI job token advice to an
allowlist entry and back, decided by the target's Maintainer (demo Acme: ivan Developer of
acme/web/storefront, grace Developer of acme/web, heidi Maintainer of acme/web)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.e2e.test_shell_requests import Chat

STOREFRONT, DESIGN = "acme/web/storefront", "acme/web/design-system"


@pytest.fixture
def chat() -> Iterator[Chat]:
    started = Chat("--user", "ivan")
    yield started
    if started.process.poll() is None:
        started.process.kill()
        started.process.wait(timeout=10)


def _default_permissions(chat: Chat, asked: str) -> str:
    """Once the shell has read the sandbox's version (18.6) it asks for the resources the jobs
    need (test_shell_job_token_policies.py); Enter keeps GitLab's default permissions."""
    return chat.type("") if "Resources the jobs need" in asked else ""


def test_ask_from_the_advice_approve_as_maintainer_and_remove(chat: Chat) -> None:
    advice = chat.script("which token should I use?", "1", "1", "1")
    assert "CI/CD job token" in advice
    assert "Type 'job-access request'" in advice
    assert "It cannot reach: issues, merge requests" in advice
    asked = chat.script("job-access request", "1", STOREFRONT, DESIGN)
    asked += _default_permissions(chat, asked)
    answer = chat.type("the storefront build pulls design-system packages")
    assert "Whose jobs need access?" in asked
    found = re.search(r"Job token access ([0-9a-f]{8}) is requested", answer)
    assert found, answer
    short = found.group(1)

    assert "your own request" in chat.type(f"job-access approve {short}")
    chat.type("as grace")
    assert "needs Maintainer or higher on acme/web/design-system" in chat.type(
        f"job-access approve {short}"
    )
    chat.type("as heidi")
    assert f"{short} is allowed" in chat.type(f"job-access approve {short}")
    listed = chat.type("job-access")
    assert f"{short}  allowed" in listed
    assert f"{short} is removed" in chat.type(f"job-access remove {short}")
    code, errors = chat.leave()
    assert code == 0, errors


def test_bad_answers_store_nothing(chat: Chat) -> None:
    assert "answer 1 or 2" in chat.script("job-access request", "3")
    asked = chat.script("job-access request", "1", "acme/nowhere", DESIGN)
    _default_permissions(chat, asked)
    refused = chat.type("a reason long enough")
    assert "cannot find that project or group" in refused
    assert "Nothing was stored" in refused
    assert "No job token access" in chat.type("job-access")
