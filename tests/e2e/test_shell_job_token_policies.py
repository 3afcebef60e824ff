"""Fine-grained job token permissions in `tokenbot shell --sandbox`: the request names the
resources the jobs need, approval sets the least policies, the list shows them; a choice the
shell does not offer is refused and nothing is stored. TOKENBOT_GITLAB_VERSION says 18.6 (the
sandbox's own version), so the shell asks from the first request."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.e2e.test_shell_job_token_access import DESIGN, STOREFRONT
from tests.e2e.test_shell_requests import Chat


@pytest.fixture
def chat(monkeypatch: pytest.MonkeyPatch) -> Iterator[Chat]:
    monkeypatch.setenv("TOKENBOT_GITLAB_VERSION", "18.6")  # the child's environment
    started = Chat("--user", "ivan")
    yield started
    if started.process.poll() is None:
        started.process.kill()
        started.process.wait(timeout=10)


def test_the_request_sets_the_least_policies_and_the_list_shows_them(chat: Chat) -> None:
    asked = chat.script("job-access request", "1", STOREFRONT, DESIGN)
    assert "Resources the jobs need" in asked
    chat.type("packages:read, releases:read releases:write")
    answer = chat.type("the storefront release job publishes design-system releases")
    found = re.search(r"Job token access ([0-9a-f]{8}) is requested", answer)
    assert found, answer
    assert "Releases: read and write (ADMIN_RELEASES)" in answer
    assert "ADMIN_PACKAGES" not in answer
    short = found.group(1)
    chat.type("as heidi")
    assert f"{short} is allowed" in chat.type(f"job-access approve {short}")
    listed = chat.type("job-access")
    assert "[fine-grained: Releases: read and write (ADMIN_RELEASES);" in listed
    assert "Packages (package registry): read (READ_PACKAGES)]" in listed
    code, errors = chat.leave()
    assert code == 0, errors


def test_a_choice_the_shell_does_not_offer_stores_nothing(chat: Chat) -> None:
    chat.script("job-access request", "1", STOREFRONT, DESIGN, "variables:write")
    refused = chat.type("the storefront build reads design-system variables")
    assert "resources: variables:write is not a resource tokenbot offers" in refused
    assert "Nothing was stored" in refused
    assert "No job token access" in chat.type("job-access")
