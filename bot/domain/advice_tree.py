"""The advisor's decision tree as data: seed 000's flowchart, behind a first "what for?" question.

Question ids are a public contract (scripts and docs use them): change texts freely, never ids.
"""

from __future__ import annotations

from bot.domain.capabilities import Capability
from bot.domain.tokens import TokenType as T
from bot.domain.tree import Choice, DecisionTree, Leaf, Question, Target

YES, NO = "yes", "no"


def _yes_no(yes: str, no: str) -> tuple[Choice, ...]:
    return (Choice(YES, "Yes", yes), Choice(NO, "No", no))


_QUESTIONS = (
    Question(
        "need",
        "need",
        "What do you need the credential for?",
        (
            Choice(
                "gitlab_api",
                "Automation that calls the GitLab API (bots, integrations, CI jobs)",
                "in_ci",
            ),
            Choice(
                "repository",
                "Clone or push a repository from a server, without the API",
                "repo_push",
            ),
            Choice(
                "registry",
                "Pull or push container images or packages from outside GitLab",
                "registry_group",
            ),
            Choice(
                "trigger", "Start a pipeline from another system or pipeline", "trigger_from_ci"
            ),
            Choice("runner", "Connect a GitLab Runner", "leaf_runner"),
            Choice(
                "oauth",
                "Let another application act for GitLab users (OAuth, e.g. Jira)",
                "leaf_oauth",
            ),
            Choice(
                "secrets",
                "Fetch secrets from Vault or a cloud provider in a CI job",
                "leaf_ci_id_token",
            ),
            Choice("personal", "My own scripts and tools, acting as me", "leaf_personal"),
        ),
        help="Pick the closest match; you can go back at any step.",
    ),
    # --- seed 000: "Need GitLab API access?" -------------------------------------------------
    Question(
        "in_ci",
        "in_ci",
        "Will it run inside a GitLab CI/CD pipeline?",
        _yes_no("limited_api", "single_project"),
        seed_node="B",
    ),
    Question(
        "limited_api",
        "limited_api",
        "Does the job need only the limited API a CI job token can use: Git repositories,"
        " package and container registries, releases, deployments, environments and some"
        " job and pipeline endpoints?",
        _yes_no("leaf_ci_limited", "ci_multi_project"),
        help="CI job tokens cannot reach most of the API: issues, merge requests, users,"
        " groups, or creating tokens.",
        seed_node="C",
    ),
    Question(
        "ci_multi_project",
        "multi_project",
        "Does the job need access to more than one project?",
        _yes_no("leaf_ci_many_projects", "leaf_ci_one_project"),
        seed_node="E",
    ),
    Question(
        "single_project",
        "single_project",
        "Is the automation about a single project only?",
        _yes_no("admin_actions", "multi_project"),
        seed_node="H",
    ),
    Question(
        "admin_actions",
        "admin_actions",
        "Does it need administrative actions, such as creating other access tokens?",
        _yes_no("leaf_one_project_admin", "leaf_one_project"),
        seed_node="I",
    ),
    Question(
        "multi_project",
        "multi_project",
        "Does it need access to several projects?",
        _yes_no("large_group", "can_create_service_account"),
        help="Answer no when it works on GitLab as a whole (users, groups, the instance)"
        " rather than on projects.",
        seed_node="L",
    ),
    Question(
        "large_group",
        "large_group",
        "Are those projects in a large group with many projects (more than 10 to 20)?",
        _yes_no("leaf_large_group", "small_group"),
        seed_node="M",
    ),
    Question(
        "small_group",
        "small_group",
        "Is it a small, well-defined group whose projects share the same security needs?",
        _yes_no("leaf_small_group", "leaf_loose_projects"),
        seed_node="O",
    ),
    Question(
        "can_create_service_account",
        "can_create_service_account",
        "Can you (or an administrator) create a service account?",
        _yes_no("leaf_service_account", "leaf_bot_user"),
        help="Every tier has service accounts from GitLab 18.11 (before that, Premium and"
        " Ultimate). A group Owner creates them on GitLab.com; elsewhere an administrator, or"
        " an Owner where an administrator allows it.",
        seed_node="R",
    ),
    # --- the other credentials ----------------------------------------------------------------
    Question(
        "repo_push",
        "repo_push",
        "Does it need to push to the repository, not only read it?",
        _yes_no("repo_push_protocol", "repo_protocol"),
    ),
    Question(
        "repo_protocol",
        "repo_protocol",
        "Will it clone over HTTPS or over SSH?",
        (
            Choice("https", "HTTPS", "leaf_deploy_token_clone"),
            Choice("ssh", "SSH", "leaf_deploy_key_read"),
        ),
    ),
    Question(
        "repo_push_protocol",
        "repo_push_protocol",
        "Will it push over HTTPS or over SSH?",
        (
            Choice("https", "HTTPS", "leaf_https_push"),
            Choice("ssh", "SSH", "leaf_deploy_key_write"),
        ),
    ),
    Question(
        "registry_group",
        "registry_group",
        "Do the images or packages come from several projects of one group?",
        _yes_no("leaf_registry_group", "leaf_registry_project"),
    ),
    Question(
        "trigger_from_ci",
        "trigger_from_ci",
        "Is the pipeline started from another GitLab CI/CD job?",
        _yes_no("leaf_trigger_in_ci", "leaf_trigger_external"),
    ),
)

_SA = (
    "A service account is a user for machines: add it only to the projects or groups it"
    " needs, with the least role; its tokens are managed through the API."
)
_LEAVES = (
    # --- seed 000's ten leaves ------------------------------------------------------------------
    Leaf(
        "leaf_ci_limited",
        T.CI_JOB_TOKEN,
        Target.PIPELINE,
        "CI job token: rotates by itself, nothing to manage, limited API only",
        (
            "It exists only while the job runs and needs no rotation or storage.",
            "Other projects it reads must add your project to their job token allowlist.",
        ),
        ask_capabilities=False,
        seed_node="D",
    ),
    Leaf(
        "leaf_ci_one_project",
        T.PROJECT_ACCESS_TOKEN,
        Target.PROJECT,
        "Project access token: one project, full API, e-mail expiry notices",
        (
            "The job needs more API than a job token allows, and only in one project.",
            "Its bot user is a member of that project only, so a leak stays there.",
        ),
        seed_node="F",
    ),
    Leaf(
        "leaf_ci_many_projects",
        T.SERVICE_ACCOUNT_PAT,
        Target.GROUP,
        "Service account PAT: added to specific projects only, precise permissions",
        ("The job needs several projects; a service account can be added to exactly those.", _SA),
        seed_node="G",
    ),
    Leaf(
        "leaf_one_project",
        T.PROJECT_ACCESS_TOKEN,
        Target.PROJECT,
        "Project access token: scoped to one project, e-mail notices, API manageable",
        (
            "The automation touches one project and creates no tokens.",
            "Its bot user is a member of that project only, so a leak stays there.",
        ),
        seed_node="J",
    ),
    Leaf(
        "leaf_one_project_admin",
        T.SERVICE_ACCOUNT_PAT,
        Target.PROJECT,
        "Service account PAT: can hold admin rights on one project, better than a group token",
        (
            "Project access tokens cannot create other tokens (bootstrapping problem); a"
            " service account can.",
            _SA,
        ),
        implied=frozenset({Capability.CREATE_TOKENS}),
        seed_node="K",
    ),
    Leaf(
        "leaf_large_group",
        T.SERVICE_ACCOUNT_PAT,
        Target.GROUP,
        "Service account PAT: add it to specific projects only, avoid over-broad group tokens",
        ("A group token in a large group reaches every project: a huge blast radius.", _SA),
        seed_node="N",
    ),
    Leaf(
        "leaf_small_group",
        T.GROUP_ACCESS_TOKEN,
        Target.GROUP,
        "Consider a group access token: only for small groups, high privilege risk",
        (
            "The group is small and its projects share security needs, so one token for the"
            " group is manageable.",
        ),
        caveats=(
            "A group access token reaches every project and subgroup of the group: if"
            " it leaks, all of them are exposed. Prefer a service account when in doubt.",
        ),
        seed_node="P",
    ),
    Leaf(
        "leaf_loose_projects",
        T.SERVICE_ACCOUNT_PAT,
        Target.GROUP,
        "Service account PAT: selective project membership, a better security boundary",
        ("The projects differ in security needs, so one group-wide token would over-reach.", _SA),
        seed_node="Q",
    ),
    Leaf(
        "leaf_service_account",
        T.SERVICE_ACCOUNT_PAT,
        Target.INSTANCE,
        "Service account PAT: API manageable, proper user separation, precise permissions",
        (
            "The automation is not tied to projects; a service account keeps it apart from"
            " any person's account.",
            _SA,
        ),
        seed_node="S",
    ),
    Leaf(
        "leaf_bot_user",
        T.BOT_USER_PAT,
        Target.USER,
        "Bot user PAT: manual rotation, shared e-mail for notices, last resort",
        ("No service account can be created, so a dedicated bot user is the fallback.",),
        caveats=(
            "Rotate it by hand before it expires, give the bot user a shared team e-mail"
            " so expiry notices reach someone, document the rotation, and plan a move"
            " to a service account.",
        ),
        seed_node="T",
    ),
    # --- the other seeds' credentials ----------------------------------------------------------
    Leaf(
        "leaf_deploy_token_clone",
        T.DEPLOY_TOKEN,
        Target.PROJECT,
        "Deploy token with read_repository: clone over HTTPS without a user",
        (
            "It reads the repository over HTTPS and cannot call the API.",
            "For many repositories of one group, a group deploy token covers them all.",
        ),
        implied=frozenset({Capability.CLONE}),
        ask_capabilities=False,
    ),
    Leaf(
        "leaf_deploy_key_read",
        T.DEPLOY_KEY,
        Target.PROJECT,
        "Read-only deploy key: clone over SSH without a user",
        ("An SSH public key added to the project; it cannot use the API or the registries.",),
        implied=frozenset({Capability.CLONE}),
        ask_capabilities=False,
    ),
    Leaf(
        "leaf_deploy_key_write",
        T.DEPLOY_KEY,
        Target.PROJECT,
        "Deploy key with write access: push over SSH without a user",
        ("An SSH key with write access pushes without a user account or API access.",),
        caveats=(
            "Write access lets anyone holding the private key push to the repository;"
            " protect it like a password.",
        ),
        implied=frozenset({Capability.CLONE, Capability.PUSH}),
        ask_capabilities=False,
    ),
    Leaf(
        "leaf_https_push",
        T.PROJECT_ACCESS_TOKEN,
        Target.PROJECT,
        "Project access token with write_repository: push over HTTPS",
        (
            "Deploy tokens cannot push to Git; a project access token with write_repository"
            " can, and reaches that project only.",
        ),
        implied=frozenset({Capability.PUSH}),
        ask_capabilities=False,
    ),
    Leaf(
        "leaf_registry_project",
        T.DEPLOY_TOKEN,
        Target.PROJECT,
        "Project deploy token: registries and packages of one project, no user needed",
        (
            "Deploy tokens are the default for registry and package access from outside"
            " GitLab; they cannot call the API.",
        ),
    ),
    Leaf(
        "leaf_registry_group",
        T.DEPLOY_TOKEN,
        Target.GROUP,
        "Group deploy token: registries and packages of every project in a group",
        ("One group deploy token serves many projects' registries without a user.",),
        caveats=(
            "A group deploy token reaches every project in the group; a group Owner creates it.",
        ),
    ),
    Leaf(
        "leaf_trigger_in_ci",
        T.CI_JOB_TOKEN,
        Target.PIPELINE,
        "CI job token: start downstream pipelines with `trigger:` or CI_JOB_TOKEN",
        (
            "A job can trigger another project's pipeline with its own job token; no stored"
            " secret is needed.",
        ),
        ask_capabilities=False,
    ),
    Leaf(
        "leaf_trigger_external",
        T.PIPELINE_TRIGGER_TOKEN,
        Target.PROJECT,
        "Pipeline trigger token: lets another system start this project's pipelines",
        ("It can only start pipelines (with a ref and variables) and nothing else.",),
        caveats=(
            "Pipelines run with the rights of the token's owner: give it to a"
            " dedicated or least-privileged owner.",
        ),
        ask_capabilities=False,
    ),
    Leaf(
        "leaf_runner",
        T.RUNNER_AUTHENTICATION_TOKEN,
        Target.PROJECT,
        "Runner authentication token: created with the runner, kept in its config.toml",
        (
            "Create the runner in GitLab (or with a create_runner token) and register it with"
            " the glrt- token it gives you; registration tokens are deprecated.",
        ),
        caveats=(
            "Anyone who reads config.toml can clone the runner and receive jobs: keep"
            " runner hosts locked down.",
        ),
        ask_capabilities=False,
    ),
    Leaf(
        "leaf_oauth",
        T.OAUTH_APPLICATION,
        Target.INSTANCE,
        "OAuth application: the other app gets short-lived tokens per user",
        (
            "Each user grants access with OAuth; tokens are short-lived and refreshable, and"
            " scopes limit what the app can do.",
        ),
        ask_capabilities=False,
    ),
    Leaf(
        "leaf_ci_id_token",
        T.CI_ID_TOKEN,
        Target.PIPELINE,
        "CI/CD ID token (JWT): the job proves who it is to Vault or a cloud, no stored secret",
        (
            "The job requests an id_token with an audience; Vault or the cloud checks it"
            " against GitLab's JWKS and issues short-lived secrets.",
        ),
        ask_capabilities=False,
    ),
    Leaf(
        "leaf_personal",
        T.PERSONAL_ACCESS_TOKEN,
        Target.USER,
        "Personal access token: your own scripts, acting as you",
        (
            "It acts with your own permissions everywhere you have access, so keep its scopes"
            " small and its life short.",
        ),
        caveats=(
            "Never put a personal token into shared automation: when you leave or"
            " change teams, it breaks or over-reaches.",
        ),
    ),
)

ADVICE_TREE = DecisionTree(
    root="need",
    questions={q.key: q for q in _QUESTIONS},
    leaves={leaf.key: leaf for leaf in _LEAVES},
    version=1,
)
