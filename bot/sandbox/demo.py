"""Demo data: the fictional company Acme, with people, nested groups, projects and tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from bot.sandbox.app import GitlabSimulator
from bot.sandbox.credential_seed import add_deploy_key
from bot.sandbox.models import AccessLevel, Group, Project
from bot.sandbox.seed import (
    add_deploy_token,
    add_personal_token,
    add_resource_token,
    add_service_account,
    add_trigger,
    add_variable,
)
from bot.sandbox.state import SandboxState

ADMIN_USERNAME = "acme-admin"
# Every demo person (and the admin) signs in on the OAuth pages with this password.
DEMO_PASSWORD = "acme-sandbox"  # noqa: S105 - a documented demo password
# People who made their e-mail address public (their primary one), as tokenbot can match it.
PUBLIC_EMAILS = ("alice", "bob", "dave", "grace")
GROUPS = ("acme", "acme/platform", "acme/platform/infra", "acme/payments", "acme/web", "acme/data")
WATCHED_GROUPS = ("acme",)  # what tokenbot inventories and reminds of: everything under acme
PROJECTS = (
    "acme/platform/ci-templates",
    "acme/platform/infra/terraform",
    "acme/platform/infra/k8s-clusters",
    "acme/payments/checkout-api",
    "acme/payments/ledger",
    "acme/web/storefront",
    "acme/web/design-system",
    "acme/data/etl-pipelines",
)
L = AccessLevel
# (username, display name, [(group or project path, role)])
PEOPLE = (
    ("alice", "Alice Anders", [("acme", L.OWNER)]),
    ("bob", "Bob Brennan", [("acme/platform", L.MAINTAINER)]),
    ("carol", "Carol Chen", [("acme/platform/infra", L.DEVELOPER)]),
    ("dave", "Dave Dumont", [("acme/payments", L.MAINTAINER)]),
    ("erin", "Erin Eze", [("acme/payments/checkout-api", L.DEVELOPER)]),
    ("frank", "Frank Fischer", [("acme", L.REPORTER)]),
    ("grace", "Grace Gupta", [("acme/payments", L.OWNER), ("acme/web", L.DEVELOPER)]),
    ("heidi", "Heidi Halvorsen", [("acme/web", L.MAINTAINER)]),
    ("ivan", "Ivan Ivanov", [("acme/web/storefront", L.DEVELOPER)]),
    ("judy", "Judy Jensen", [("acme/data", L.GUEST)]),
    ("niaj", "Niaj Nakamura", [("acme/data", L.MAINTAINER)]),
    ("olivia", "Olivia Ortiz", [("acme/platform", L.DEVELOPER), ("acme/platform/infra", L.OWNER)]),
)

# (project or group path, token name, role, scopes, expires in N days, revoked)
ACCESS_TOKENS = (
    ("acme/payments/checkout-api", "ci-deploy", L.MAINTAINER, ("api",), 5, False),
    ("acme/payments/ledger", "reporting", L.REPORTER, ("read_api",), 25, False),
    ("acme/platform/infra/terraform", "terraform-state", L.MAINTAINER, ("api",), 200, False),
    ("acme/web/storefront", "release-bot", L.DEVELOPER, ("api",), -3, False),
    ("acme/platform/infra/k8s-clusters", "old-deployer", L.MAINTAINER, ("api",), 40, True),
    ("acme/platform", "platform-automation", L.MAINTAINER, ("api",), 14, False),
    ("acme/payments", "payments-audit", L.REPORTER, ("read_api",), 90, False),
)


@dataclass(frozen=True)
class DemoInfo:
    """What someone trying the sandbox needs: who to log in as and what exists."""

    admin_username: str
    admin_token: str
    user_tokens: dict[str, str] = field(default_factory=dict)
    group_paths: tuple[str, ...] = GROUPS
    project_paths: tuple[str, ...] = PROJECTS
    watched_groups: tuple[str, ...] = WATCHED_GROUPS
    demo_password: str = DEMO_PASSWORD


@dataclass(frozen=True)
class _Tree:
    groups: dict[str, Group]
    projects: dict[str, Project]

    def node(self, path: str) -> Group | Project:
        return self.groups[path] if path in self.groups else self.projects[path]


def _tree(state: SandboxState) -> _Tree:
    groups: dict[str, Group] = {}
    for path in GROUPS:
        parent_path, _, leaf = path.rpartition("/")
        groups[path] = state.add_group(leaf, parent=groups.get(parent_path))
    projects = {}
    for path in PROJECTS:
        group_path, _, leaf = path.rpartition("/")
        projects[path] = state.add_project(leaf, group=groups[group_path])
    return _Tree(groups, projects)


def _people(state: SandboxState, tree: _Tree, today: date) -> dict[str, str]:
    tokens: dict[str, str] = {}
    for username, name, roles in PEOPLE:
        user = state.add_user(username, name=name, password=DEMO_PASSWORD)
        if username in PUBLIC_EMAILS:
            user.public_email = user.email
        for path, level in roles:
            state.add_member(user, tree.node(path), level)
        _, secret = add_personal_token(
            state, user, name=f"{username}-cli", expires_at=today + timedelta(days=90)
        )
        tokens[username] = secret
    return tokens


def _access_tokens(state: SandboxState, tree: _Tree, today: date) -> None:
    for path, name, level, scopes, days, revoked in ACCESS_TOKENS:
        add_resource_token(
            state,
            tree.node(path),
            name=name,
            level=level,
            scopes=scopes,
            expires_at=today + timedelta(days=days),
            revoked=revoked,
        )


def _machines(state: SandboxState, tree: _Tree, today: date) -> None:
    acme, platform = tree.groups["acme"], tree.groups["acme/platform"]
    robot = add_service_account(state, acme, "service_account_group_acme_ci_robot", name="CI robot")
    state.add_member(robot, platform, L.MAINTAINER)
    add_personal_token(state, robot, name="nightly-sync", expires_at=today + timedelta(days=2))
    add_personal_token(state, robot, name="backup", expires_at=today + timedelta(days=300))
    midnight = datetime.combine(today, time(), tzinfo=UTC)
    checkout = tree.projects["acme/payments/checkout-api"]
    ledger = tree.projects["acme/payments/ledger"]
    etl = tree.projects["acme/data/etl-pipelines"]
    add_deploy_token(
        state,
        checkout,
        name="k8s-pull",
        scopes=["read_registry"],
        expires_at=midnight + timedelta(days=10),
    )
    add_deploy_token(state, platform, name="helm-charts", scopes=["read_package_registry"])
    people = {u.username: u for u in state.users.values()}
    add_trigger(state, ledger, people["dave"], description="nightly reconciliation")
    upstream = add_trigger(state, etl, people["niaj"], description="upstream trigger")
    upstream.created_at = upstream.updated_at = state.now() - timedelta(days=200)  # never used
    add_variable(state, checkout, "DEPLOY_REGION", "eu-west-1")
    add_variable(
        state, checkout, "REGISTRY_PASSWORD", "s3cr3t-Registry-Pw", masked=True, protected=True
    )
    checkout.job_token_project_allowlist.append(ledger.id)
    checkout.job_token_group_allowlist.append(platform.id)


def _people_credentials(state: SandboxState, tree: _Tree, today: date) -> None:
    """PATs people made themselves and deploy keys: tokenbot only watches these."""
    people = {u.username: u for u in state.users.values()}
    laptop, _ = add_personal_token(
        state, people["bob"], name="bob-laptop", expires_at=today + timedelta(days=6)
    )
    laptop.last_used_at = state.now() - timedelta(hours=20)
    laptop.last_used_ips = ["203.0.113.7"]
    old_script, _ = add_personal_token(  # made months ago and never used
        state,
        people["carol"],
        name="carol-old-script",
        scopes=["read_api"],
        expires_at=today + timedelta(days=20),
    )
    old_script.created_at = state.now() - timedelta(days=120)
    midnight = datetime.combine(today, time(), tzinfo=UTC)
    add_deploy_key(
        state,
        tree.projects["acme/payments/checkout-api"],
        title="k8s-deploy",
        can_push=True,
        expires_at=midnight + timedelta(days=12),
        added_by=people["dave"],
    )
    add_deploy_key(state, tree.projects["acme/web/storefront"], title="ci-pull")


def load_demo_data(sim: GitlabSimulator, *, admin_token: str | None = None) -> DemoInfo:
    """Populate `sim` with Acme; expiry dates are relative to the simulator clock's today."""
    state = sim.state
    with state.lock:
        today = state.today()
        admin = state.add_user(
            ADMIN_USERNAME, name="Acme Administrator", is_admin=True, password=DEMO_PASSWORD
        )
        # tokenbot's service-account flows need group Owners (alice) to create them.
        state.settings.allow_top_level_group_owners_to_create_service_accounts = True
        _, admin_secret = add_personal_token(
            state,
            admin,
            name="sandbox-admin",
            scopes=["api", "admin_mode"],
            expires_at=today + timedelta(days=365),
            secret=admin_token,
        )
        tree = _tree(state)
        user_tokens = _people(state, tree, today)
        _access_tokens(state, tree, today)
        _machines(state, tree, today)
        _people_credentials(state, tree, today)
    return DemoInfo(ADMIN_USERNAME, admin_secret, user_tokens)
