"""Token requests in `tokenbot shell --sandbox`: request, approve as someone else, reveal once.

The chat runs as a real child process against the built-in GitLab simulator (demo company
Acme: carol Developer of acme/platform/infra, bob Maintainer of acme/platform, ivan Developer
of acme/web/storefront, grace Developer of acme/web, heidi Maintainer of acme/web). Request
ids are random, so the test types each line only after reading the answer to the one before.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_runner import run_tokenbot

PROMPT = "you> "
TERRAFORM = "acme/platform/infra/terraform"


class Chat:
    """`tokenbot shell` in a child process, one typed line and its answer at a time."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "shell", "--sandbox", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.transcript = ""
        self._read_to = 0
        self._ended = False
        self._changed = threading.Condition()
        threading.Thread(target=self._pump, daemon=True).start()
        self.greeting = self._answer()

    def type(self, line: str) -> str:
        """Type one line; what tokenbot answers before it asks again."""
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self._answer()

    def script(self, *lines: str) -> str:
        return "".join(self.type(line) for line in lines)

    def leave(self) -> tuple[int, str]:
        """Type quit; the exit code and everything written to standard error."""
        self.type("quit")
        code = self.process.wait(timeout=30)
        assert self.process.stderr is not None
        return code, self.process.stderr.read()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        while True:
            char = self.process.stdout.read(1)
            with self._changed:
                self._ended = not char
                self.transcript += char
                self._changed.notify_all()
            if not char:
                return

    def _answer(self) -> str:
        with self._changed:
            ready = self._changed.wait_for(
                lambda: PROMPT in self.transcript[self._read_to :] or self._ended, timeout=30
            )
            assert ready, f"no answer within 30 s; so far:\n{self.transcript[-2000:]}"
            end = self.transcript.find(PROMPT, self._read_to)
            end = len(self.transcript) if end < 0 else end
            answer = self.transcript[self._read_to : end]
            self._read_to = end + len(PROMPT)
            return answer


@pytest.fixture
def chats() -> Iterator[list[Chat]]:
    started: list[Chat] = []
    yield started
    for chat in started:
        if chat.process.poll() is None:
            chat.process.kill()
            chat.process.wait(timeout=10)


def start(chats: list[Chat], user: str) -> Chat:
    chat = Chat("--user", user)
    chats.append(chat)
    return chat


def submitted_id(answer: str) -> str:
    found = re.search(r"Request ([0-9a-f]{8}) is submitted", answer)
    assert found, answer
    return found.group(1)


def test_the_sandbox_says_what_it_is_and_leaves_nothing_behind(chats: list[Chat]) -> None:
    chat = start(chats, "carol")
    assert "a simulated GitLab with the demo company Acme" in chat.greeting
    assert "gone when you leave" in chat.greeting
    assert re.search(r"bob +Maintainer of acme/platform\n", chat.greeting)
    assert re.search(r"carol +Developer of acme/platform/infra\n", chat.greeting)
    data_dir = re.search(r"a temporary database in (\S+)", chat.greeting)
    assert data_dir is not None
    assert Path(data_dir.group(1)).is_dir()
    assert "You are carol; in GitLab carol, user id" in chat.type("whoami")
    code, err = chat.leave()
    assert code == 0, err
    assert "The sandbox and everything in it are gone now." in chat.transcript
    assert not Path(data_dir.group(1)).exists()


def test_a_request_is_approved_by_a_maintainer_and_revealed_once(chats: list[Chat]) -> None:
    chat = start(chats, "carol")
    chat.script("request", TERRAFORM, "1", "terraform-ci", "read_repository")
    chat.script("maintainer", "", "Read the Terraform modules from CI jobs", "")
    refused = chat.type("")  # submit: the role is above carol's own
    assert "Not submitted; please fix:" in refused
    assert f"Role: you are Developer on {TERRAFORM}" in refused
    assert "Role [Maintainer]:" in refused
    request_id = submitted_id(chat.type("developer"))

    assert "Not approved: you cannot decide on your own request" in chat.type(
        f"approve {request_id}"
    )
    chat.type("as bob")
    assert request_id in chat.type("pending")
    assert "Not revealed: only the requester can reveal" in chat.type(f"reveal {request_id}")
    approved = chat.type(f"approve {request_id[:4]}")
    assert f"Approved {request_id}: that was the last approval needed" in approved
    assert re.search(
        r"Created the Project access token 'terraform-ci' .*\(GitLab id \d+\)", approved
    )
    assert f"reveal {request_id}" in approved

    chat.type("as carol")
    revealed = chat.type(f"reveal {request_id}")
    secret = re.search(r"^ {4}(glpat-\S+)$", revealed, re.MULTILINE)
    assert secret, revealed
    bot_user = re.search(r"^  Username: (project_\d+_bot_\w+) \(Its bot user's", revealed, re.M)
    assert bot_user, revealed  # GitLab's name for the token's bot user, read after creating it
    assert re.search(
        rf"^      git clone https://{bot_user.group(1)}@\S+/{TERRAFORM}\.git$", revealed, re.M
    )
    again = chat.type(f"reveal {request_id}")
    assert "Not revealed: The token's secret was already revealed" in again
    mine = chat.type("mine")
    assert re.search(
        rf"{request_id} +project_access_token +terraform-ci +{TERRAFORM} +provisioned", mine
    )
    code, err = chat.leave()
    assert code == 0, err
    assert chat.transcript.count(secret.group(1)) == 1
    assert secret.group(1) not in err


def test_a_developer_cannot_approve_and_a_maintainer_denies_with_a_reason(
    chats: list[Chat],
) -> None:
    chat = start(chats, "ivan")
    chat.script("which token should I use?", "1", "no", "yes", "2")
    assert "Type 'request this' to ask for it." in chat.type("1")  # clone only
    form = chat.script("request this", "acme/web/storefront")
    assert "Token type [Project access token]:" in form
    form = chat.script("", "storefront-docs")
    assert "Scopes [read_repository]:" in form
    assert "Role [Reporter]:" in chat.type("")
    chat.script("", "", "Clones the storefront for the nightly docs build")
    review = chat.type("")
    assert "Role:                   Reporter" in review
    request_id = submitted_id(chat.type(""))

    chat.type("as grace")  # Developer of acme/web
    assert (
        "Not approved: deciding on this request needs Maintainer or higher on"
        " acme/web/storefront in GitLab"
    ) in chat.type(f"approve {request_id}")
    chat.type("as heidi")  # Maintainer of acme/web
    assert "Why do you deny it?" in chat.type(f"deny {request_id}")
    assert f"Denied {request_id}; ivan sees your reason." in chat.type("a deploy token will do")
    chat.type("as ivan")
    assert "denied by heidi: a deploy token will do" in chat.type(f"show {request_id}")
    assert "Not approved" in chat.script("as heidi", f"approve {request_id}")
    code, err = chat.leave()
    assert code == 0, err


def test_a_cancelled_request_can_no_longer_be_approved(chats: list[Chat]) -> None:
    chat = start(chats, "olivia")  # Owner there: a trigger runs as tokenbot's account
    chat.script("request", TERRAFORM, "pipeline_trigger_token", "nightly-plan")  # no expiry date
    chat.script("Starts the nightly terraform plan from a cron job", "")
    request_id = submitted_id(chat.type(""))
    assert f"Cancelled {request_id}; nothing will be created." in chat.type(f"cancel {request_id}")
    assert "Not cancelled: this request is cancelled" in chat.type(f"cancel {request_id}")
    chat.type("as bob")
    assert "No open request is waiting for you" in chat.type("pending")
    assert "Not approved:" in chat.type(f"approve {request_id}")
    code, err = chat.leave()
    assert code == 0, err


def test_bad_answers_are_asked_again_and_a_cancelled_form_stores_nothing(
    chats: list[Chat],
) -> None:
    chat = start(chats, "carol")
    chat.type("request")
    assert "'acme/nope' was not found in GitLab" in chat.type("acme/nope")
    assert "Token type:" in chat.type(TERRAFORM)
    assert "'9' is not one of the choices" in chat.type("9")
    chat.script("1", "plan-reader")
    assert "'write_everything' is not one of the choices" in chat.type("2,write_everything")
    chat.script("read_api", "reporter")
    assert "'soon' is not a date" in chat.type("soon")
    assert "Reason:" in chat.type("+30")
    assert "Reason cannot be left empty" in chat.type("")
    assert "Request abandoned; nothing was stored." in chat.type("cancel")
    assert "You have no token requests." in chat.type("mine")
    code, err = chat.leave()
    assert code == 0, err


def test_someone_gitlab_does_not_know_is_told_so(chats: list[Chat]) -> None:
    chat = start(chats, "zed")
    assert "There is no GitLab user 'zed'" in chat.type("whoami")
    assert "Not requested: There is no GitLab user 'zed'" in chat.type("request")
    assert "You are now carol; in GitLab carol" in chat.type("as carol")
    code, err = chat.leave()
    assert code == 0, err


def test_without_gitlab_settings_request_commands_say_what_is_missing(tmp_path: Path) -> None:
    result = run_tokenbot(
        "shell",
        "--user",
        "ada",
        stdin="request\npending\nhelp\nquit\n",
        env={"TOKENBOT_DATA_DIR": str(tmp_path)},
    )
    assert result.code == 0, result.err
    missing = "Token requests are off here: set GITLAB_URL, GITLAB_TOKEN, TOKENBOT_SECRET_KEY"
    assert result.out.count(missing) == 3
    assert "tokenbot shell --sandbox" in result.out


def test_a_group_path_offers_only_group_types_and_problems_come_in_one_round(
    chats: list[Chat],
) -> None:
    """Issue 15, in the terminal: a group's path never offers a project-only type, and the
    policy's and GitLab's problems are listed together (here: an Owner role above carol's
    Developer and a reason too short), then only those fields are asked again."""
    chat = start(chats, "carol")
    chat.type("request")
    offered = chat.type("acme/platform/infra")
    assert "Group access token" in offered
    assert "Project access token" not in offered
    assert "Pipeline trigger token" not in offered
    # ...then the expiry and the delivery kept as they are (Enter): the review
    review = chat.script("group_access_token", "infra-reader", "read_api", "owner", "", "short", "")
    assert "Your request:" in review
    refused = chat.type("")  # submit
    assert "Not submitted; please fix:" in refused
    assert "Role: you are Developer on acme/platform/infra" in refused
    assert "Reason: say in a sentence what the token is for" in refused
    assert "nothing was stored" in chat.type("cancel")
    assert "You have no token requests." in chat.type("mine")
    code, err = chat.leave()
    assert code == 0, err
