"""The bot rotating its own token against the simulated GitLab, and the file it keeps it in."""

from __future__ import annotations

import logging
import os
import stat
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
import requests

from bot.domain.credentials import Secret, TokenRef
from bot.domain.tokens import TokenType
from bot.gitlab import token_file
from bot.gitlab.gateway import PythonGitlabGateway
from bot.gitlab.token_file import (
    SecretFileError,
    check_writable,
    writable_problem,
    write_secret_file,
)
from bot.sandbox import add_resource_token
from bot.services.gitlab_errors import BotCredentialError, OutcomeUnknownError
from bot.services.own_credential import (
    OwnCredentialReport,
    OwnCredentialState,
    check_own_credential,
)
from tests.integration.gitlab.conftest import TODAY, Company

ROTATE = "*/personal_access_tokens/self/rotate"
IN_90 = TODAY + timedelta(days=90)


@pytest.fixture
def token_path(company: Company, tmp_path: Path) -> Path:
    path = tmp_path / "secrets" / "gitlab_token"
    path.parent.mkdir()
    path.write_text(company.bot_token + "\n", encoding="utf-8")
    path.chmod(0o644)
    return path


def _check(
    gateway: PythonGitlabGateway,
    path: Path | None,
    *,
    within: int | None = 60,
) -> OwnCredentialReport:
    """What `tokenbot run` does daily: GITLAB_TOKEN_FILE (or None) is `path`."""
    return check_own_credential(
        gateway,
        today=TODAY,
        rotate_within_days=within,
        lifetime_days=90,
        save_secret=partial(write_secret_file, path) if path else None,
        can_save=partial(writable_problem, path) if path else None,
    )


def _status_with(company: Company, secret: str) -> int:
    url = f"{company.url}/api/v4/personal_access_tokens/self"
    return requests.get(url, headers={"PRIVATE-TOKEN": secret}, timeout=5).status_code


def _rotations(company: Company) -> int:
    return company.sim.requests.count(method="POST", path=ROTATE)


# ---------------------------------------------------------------- the gateway
def test_rotating_its_own_token_gives_a_new_working_token_and_revokes_the_old(
    company: Company,
) -> None:
    gateway = company.gateway()
    before = gateway.bot_credential()
    issued = gateway.rotate_own_token(expires_on=IN_90)
    assert issued.record.gitlab_id != before.gitlab_id
    assert (issued.record.name, issued.record.scopes) == ("tokenbot", ("api",))
    assert issued.record.expires_on == IN_90
    assert issued.record.user_id == company.bot.id
    assert _status_with(company, issued.secret.reveal()) == 200
    assert _status_with(company, company.bot_token) == 401
    new = company.sim.state.tokens[issued.record.gitlab_id]
    assert new.previous_id == before.gitlab_id  # one token family: GitLab's reuse detection


def test_the_gateway_keeps_working_with_the_new_secret_after_rotating(company: Company) -> None:
    gateway = company.gateway()
    issued = gateway.rotate_own_token(expires_on=IN_90)
    after = gateway.bot_credential()
    assert (after.gitlab_id, after.expires_on) == (issued.record.gitlab_id, IN_90)
    assert gateway.namespace("acme/platform/api").path == "acme/platform/api"
    assert company.sim.requests.count(status=401) == 0


def test_the_new_secret_appears_in_no_log_record_or_repr(
    company: Company, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    issued = company.gateway().rotate_own_token(expires_on=IN_90)
    assert issued.secret.reveal() not in caplog.text
    assert issued.secret.reveal() not in repr(issued)


def test_a_lost_answer_to_the_rotation_is_not_repeated(company: Company) -> None:
    company.sim.faults.drop_connection(path=ROTATE, method="POST", after=True)
    with pytest.raises(OutcomeUnknownError, match="may have happened"):
        company.gateway().rotate_own_token(expires_on=IN_90)
    assert _rotations(company) == 1


def test_a_second_gateway_still_holding_the_old_value_would_revoke_the_new_token(
    company: Company,
) -> None:
    """Why one process must share one gateway: GitLab's reuse detection."""
    project_token, _ = add_resource_token(company.sim.state, company.api, name="ci")
    rotated_by = company.gateway()
    stale = company.gateway()
    api = stale.namespace("acme/platform/api")
    issued = rotated_by.rotate_own_token(expires_on=IN_90)
    with pytest.raises(BotCredentialError, match="was revoked"):
        stale.rotate_token(TokenRef(TokenType.PROJECT_ACCESS_TOKEN, project_token.id, api))
    assert _status_with(company, issued.secret.reveal()) == 401


# ---------------------------------------------------------------- the use case
def test_the_check_rotates_and_replaces_the_file_atomically_with_mode_0600(
    company: Company, token_path: Path
) -> None:
    gateway = company.gateway()
    inode_before = token_path.stat().st_ino
    report = _check(gateway, token_path)
    assert report.state is OwnCredentialState.ROTATED
    assert (report.expires_on, report.days_left, report.problem) == (IN_90, 90, None)
    saved = token_path.read_text(encoding="utf-8").strip()
    assert saved != company.bot_token
    assert _status_with(company, saved) == 200
    assert _status_with(company, company.bot_token) == 401
    assert stat.S_IMODE(token_path.stat().st_mode) == 0o600
    assert token_path.stat().st_ino != inode_before  # renamed over, not rewritten in place
    assert os.listdir(token_path.parent) == ["gitlab_token"]  # no temporary file left
    assert gateway.bot_credential().gitlab_id == report.gitlab_id


def test_no_rotation_while_more_days_are_left_than_the_threshold(
    company: Company, token_path: Path
) -> None:
    report = _check(company.gateway(), token_path, within=59)
    assert report.state is OwnCredentialState.OK
    assert report.days_left == 60
    assert _rotations(company) == 0
    assert token_path.read_text(encoding="utf-8").strip() == company.bot_token


def test_no_rotation_when_the_token_was_not_read_from_a_file(company: Company) -> None:
    report = _check(company.gateway(), None)
    assert report.state is OwnCredentialState.ROTATION_BLOCKED
    assert report.problem is not None
    assert "GITLAB_TOKEN_FILE" in report.problem
    assert _rotations(company) == 0
    assert _status_with(company, company.bot_token) == 200


def test_no_rotation_when_the_file_is_gone(company: Company, token_path: Path) -> None:
    token_path.unlink()
    report = _check(company.gateway(), token_path)
    assert report.state is OwnCredentialState.ROTATION_BLOCKED
    assert report.problem is not None
    assert "no longer exists" in report.problem
    assert _rotations(company) == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any directory")
def test_no_rotation_when_the_directory_is_read_only(company: Company, token_path: Path) -> None:
    token_path.parent.chmod(0o500)
    try:
        report = _check(company.gateway(), token_path)
    finally:
        token_path.parent.chmod(0o700)
    assert report.state is OwnCredentialState.ROTATION_BLOCKED
    assert report.problem is not None
    assert "cannot create files" in report.problem
    assert _rotations(company) == 0


def test_no_rotation_when_no_file_can_be_created_next_to_it(
    company: Company, token_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a read-only mount or directory does, also when the tests run as root.
    def refuse(**_: object) -> tuple[int, str]:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(token_file.tempfile, "mkstemp", refuse)
    report = _check(company.gateway(), token_path)
    assert report.state is OwnCredentialState.ROTATION_BLOCKED
    assert report.problem is not None
    assert "cannot create files in" in report.problem
    assert "Read-only file system" in report.problem
    assert _rotations(company) == 0


def test_no_rotation_when_the_file_is_mounted_on_its_own(
    company: Company, token_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        f"36 35 98:0 /run/secrets/token {os.path.realpath(token_path)} ro,noatime master:1"
        " - ext4 /dev/root rw\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(token_file, "_MOUNTINFO", mountinfo)
    report = _check(company.gateway(), token_path)
    assert report.state is OwnCredentialState.ROTATION_BLOCKED
    assert report.problem is not None
    assert "mounted on its own" in report.problem
    assert _rotations(company) == 0


def test_a_rotation_gitlab_refuses_is_reported_with_gitlabs_reason(
    company: Company, token_path: Path
) -> None:
    read_only = company.token(company.bot, scopes=("read_api",), days=10)
    report = _check(company.gateway(read_only), token_path)
    assert report.state is OwnCredentialState.ROTATION_BLOCKED
    assert report.problem is not None
    assert "GitLab refused to rotate it" in report.problem
    assert "lacks the scope this needs (api self_rotate)" in report.problem
    assert company.sim.requests.count(method="POST", path=ROTATE, status=403) == 1
    assert _status_with(company, read_only) == 200


def test_an_expired_own_token_is_reported_and_not_rotated(
    company: Company, token_path: Path
) -> None:
    report = _check(company.gateway(company.token(company.bot, days=0)), token_path)
    assert report.state is OwnCredentialState.UNUSABLE
    assert report.urgent
    assert report.problem is not None
    assert "has expired" in report.problem
    assert _rotations(company) == 0


def test_an_unconfirmed_rotation_is_urgent_and_the_next_check_sends_no_revoked_token_to_rotate(
    company: Company, token_path: Path
) -> None:
    gateway = company.gateway()
    company.sim.faults.drop_connection(path=ROTATE, method="POST", after=True)
    first = _check(gateway, token_path)
    assert first.state is OwnCredentialState.UNCONFIRMED
    assert first.urgent
    second = _check(gateway, token_path)
    assert second.state is OwnCredentialState.UNUSABLE
    assert second.problem is not None
    assert "was revoked" in second.problem
    assert _rotations(company) == 1
    # GitLab's reuse detection was not set off: the successor made by the lost rotation lives.
    successor = max(company.sim.state.tokens.values(), key=lambda t: t.id)
    assert not successor.revoked


def test_a_file_that_cannot_be_saved_after_rotation_is_urgent_and_keeps_the_bot_working(
    company: Company, token_path: Path
) -> None:
    gateway = company.gateway()

    def save_fails(secret: Secret) -> None:
        write_secret_file(token_path.parent / "gone" / "gitlab_token", secret)

    report = check_own_credential(
        gateway,
        today=TODAY,
        rotate_within_days=60,
        lifetime_days=90,
        save_secret=save_fails,
        can_save=lambda: None,
    )
    assert report.state is OwnCredentialState.UNSAVED
    assert report.urgent
    assert report.problem is not None
    assert "update it by hand" in report.problem
    assert "No such file or directory" in report.problem
    assert "glpat-" not in report.problem
    assert gateway.bot_credential().gitlab_id == report.gitlab_id
    assert token_path.read_text(encoding="utf-8").strip() == company.bot_token


# ---------------------------------------------------------------- the token file
def test_a_failed_replace_leaves_the_old_file_and_no_temporary_file(
    token_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = token_path.read_text(encoding="utf-8")

    def refuse(src: object, dst: object) -> None:
        raise OSError(16, "Device or resource busy")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(SecretFileError, match="Device or resource busy") as caught:
        write_secret_file(token_path, Secret("glpat-new-value"))
    assert "glpat-new-value" not in str(caught.value)
    assert token_path.read_text(encoding="utf-8") == before
    assert os.listdir(token_path.parent) == ["gitlab_token"]


def test_a_symbolic_link_is_followed_and_kept(tmp_path: Path, token_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(token_path)
    check_writable(link)
    write_secret_file(link, Secret("glpat-new-value"))
    assert link.is_symlink()
    assert token_path.read_text(encoding="utf-8") == "glpat-new-value\n"
    assert stat.S_IMODE(token_path.stat().st_mode) == 0o600


def test_a_directory_is_not_a_token_file(tmp_path: Path) -> None:
    with pytest.raises(SecretFileError, match="not a regular file"):
        check_writable(tmp_path)


def test_mount_points_with_spaces_are_recognised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spaced = tmp_path / "my secrets" / "token"
    spaced.parent.mkdir()
    spaced.write_text("x\n", encoding="utf-8")
    escaped = os.path.realpath(spaced).replace(" ", "\\040")
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(f"1 2 0:1 / {escaped} rw - tmpfs tmpfs rw\n", encoding="utf-8")
    monkeypatch.setattr(token_file, "_MOUNTINFO", mountinfo)
    assert writable_problem(spaced) is not None
    assert writable_problem(tmp_path / "mountinfo") is None


def test_expired_credential_errors_name_no_secret(company: Company) -> None:
    expired = company.token(company.bot, days=0)
    with pytest.raises(BotCredentialError) as caught:
        company.gateway(expired).rotate_own_token(expires_on=IN_90)
    assert expired not in str(caught.value)
