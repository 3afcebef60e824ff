"""The gateway methods `tokenbot check` uses, against the simulator and a few non-GitLabs."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bot.domain.tokens import AccessLevel
from bot.gitlab.client import ClientOptions
from bot.gitlab.gateway import PythonGitlabGateway, build_gateway
from bot.sandbox.endpoints.metadata import VERSION
from bot.services.checks import GitLabAccount
from bot.services.gitlab_errors import (
    BotCredentialError,
    GitLabError,
    MissingScopeError,
    NotFoundError,
    UnavailableError,
)
from tests.integration.gitlab.conftest import FAST_RETRY, Company


def test_instance_metadata_names_the_version(company: Company) -> None:
    instance = company.gateway().instance_metadata()
    assert instance.version == VERSION
    assert instance.enterprise is True


def test_instance_metadata_with_a_bad_token_is_a_credential_error(company: Company) -> None:
    with pytest.raises(BotCredentialError):
        company.gateway("glpat-unknown").instance_metadata()


def test_instance_metadata_with_a_token_that_may_not_read_is_a_scope_error(
    company: Company,
) -> None:
    token = company.token(company.bot, scopes=("read_repository",))
    with pytest.raises(MissingScopeError):
        company.gateway(token).instance_metadata()


def test_current_account_is_the_user_behind_the_token(company: Company) -> None:
    assert company.gateway().current_account() == GitLabAccount(company.bot.id, "tokenbot")


@pytest.mark.parametrize(
    ("group", "level"),
    [
        ("acme", AccessLevel.OWNER),
        ("acme/platform", AccessLevel.OWNER),  # inherited from acme
        ("elsewhere", AccessLevel.DEVELOPER),
    ],
)
def test_group_role_is_the_effective_role(company: Company, group: str, level: AccessLevel) -> None:
    assert company.gateway().group_role(group, company.bot.id) is level


def test_group_role_of_a_non_member_is_none(company: Company) -> None:
    company.sim.state.add_group("public-ish")
    admin = company.sim.state.add_user("root", is_admin=True)
    admin_token = company.token(admin)
    assert company.gateway(admin_token).group_role("public-ish", company.bot.id) is None


def test_group_role_of_a_missing_group_is_not_found(company: Company) -> None:
    with pytest.raises(NotFoundError):
        company.gateway().group_role("no/such/group", company.bot.id)


# ---------------------------------------------------------------- not GitLab at all
class _Page(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        body = b"<html>a web page</html>"
        self.send_response(self.status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


class _Missing(_Page):
    status = 404


@pytest.fixture
def web_page(request: pytest.FixtureRequest) -> Iterator[tuple[ThreadingHTTPServer, str]]:
    handler = getattr(request, "param", _Page)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _gateway(url: str) -> PythonGitlabGateway:
    return build_gateway(
        ClientOptions(url, "glpat-anything", timeout_seconds=2.0, retry=FAST_RETRY)
    )


def test_a_web_page_instead_of_gitlab_is_said_to_be_elsewhere(
    web_page: tuple[ThreadingHTTPServer, str],
) -> None:
    with pytest.raises(GitLabError, match="GITLAB_URL may point elsewhere"):
        _gateway(web_page[1]).instance_metadata()


@pytest.mark.parametrize("web_page", [_Missing], indirect=True)
def test_a_server_without_the_api_is_not_found(
    web_page: tuple[ThreadingHTTPServer, str],
) -> None:
    with pytest.raises(NotFoundError):
        _gateway(web_page[1]).instance_metadata()


def test_nothing_listening_is_unavailable() -> None:
    with pytest.raises(UnavailableError, match="could not be reached"):
        _gateway("http://127.0.0.1:1").instance_metadata()


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_an_untrusted_certificate_points_at_the_ca_bundle_setting(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"https://127.0.0.1:{server.server_address[1]}"
        with pytest.raises(UnavailableError, match="TOKENBOT_GITLAB_CA_BUNDLE"):
            _gateway(url).instance_metadata()
    finally:
        server.shutdown()
        server.server_close()
