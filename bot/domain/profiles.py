"""What the seeds' comparison tables say about each credential, and how to create and use it."""

from __future__ import annotations

from bot.domain.tokens import TokenProfile
from bot.domain.tokens import TokenType as T

PROFILES: dict[T, TokenProfile] = {
    T.CI_JOB_TOKEN: TokenProfile(
        "CI/CD job token",
        "automatic: a new one for every job",
        "the job's project plus projects that allowlist it; limited endpoints",
        "built-in job logs",
        "low",
        rotates_automatically=True,
    ),
    T.PROJECT_ACCESS_TOKEN: TokenProfile(
        "Project access token",
        "manual or through the API",
        "one project",
        "expiry e-mails to the project's Maintainers and Owners",
        "low",
    ),
    T.GROUP_ACCESS_TOKEN: TokenProfile(
        "Group access token",
        "manual or through the API",
        "every project and subgroup of the group (high risk)",
        "expiry e-mails to the group's Owners",
        "high",
    ),
    T.SERVICE_ACCOUNT_PAT: TokenProfile(
        "Service account personal access token",
        "manual or through the API",
        "only the projects and groups the service account is added to",
        "expiry e-mail possible to the service account's address",
        "medium",
    ),
    T.BOT_USER_PAT: TokenProfile(
        "Bot user personal access token",
        "manual only",
        "everything the bot user can reach",
        "only if the bot user has a shared, read mailbox",
        "high",
    ),
    T.PERSONAL_ACCESS_TOKEN: TokenProfile(
        "Personal access token",
        "manual or through the API",
        "everything you can reach",
        "expiry e-mails to you",
        "high",
    ),
    T.DEPLOY_TOKEN: TokenProfile(
        "Deploy token",
        "manual (create a new one, then revoke the old)",
        "repositories, registries and packages of one project or group; no API",
        "no expiry e-mails",
        "low",
    ),
    T.DEPLOY_KEY: TokenProfile(
        "Deploy key",
        "manual (add a new key, then remove the old)",
        "one repository over SSH; no API, no registries",
        "none",
        "low",
    ),
    T.PIPELINE_TRIGGER_TOKEN: TokenProfile(
        "Pipeline trigger token",
        "manual (create a new one, then delete the old)",
        "starting pipelines of one project",
        "last use shown in CI/CD settings",
        "medium",
    ),
    T.RUNNER_AUTHENTICATION_TOKEN: TokenProfile(
        "Runner authentication token",
        "automatic if the instance sets a runner token expiry; otherwise by re-creating the runner",
        "picking up jobs for the runner's projects",
        "runner list in CI/CD settings",
        "medium",
    ),
    T.OAUTH_APPLICATION: TokenProfile(
        "OAuth application",
        "automatic: short-lived access tokens with refresh tokens",
        "what each user grants, limited by the app's scopes",
        "authorized applications page",
        "medium",
        rotates_automatically=True,
    ),
    T.CI_ID_TOKEN: TokenProfile(
        "CI/CD ID token (JWT)",
        "automatic: a new one for every job",
        "whatever Vault or the cloud role bound to its claims allows",
        "the job and Vault's audit log",
        "low",
        rotates_automatically=True,
    ),
}

HOW_TO: dict[T, tuple[str, ...]] = {
    T.CI_JOB_TOKEN: (
        "Use $CI_JOB_TOKEN in the job: header `JOB-TOKEN: $CI_JOB_TOKEN`, or Git over HTTPS"
        " as user `gitlab-ci-token`.",
        "For another project, add this project to that project's job token allowlist"
        " (Settings > CI/CD > Job token permissions), or ask tokenbot: Request job-token"
        " access, approved by that project's Maintainers.",
        # GitLab's "CI/CD job token" page (docs.gitlab.com/ci/jobs/ci_job_token/), its table
        # of the resources a job token can access.
        "It reaches: Git clone and fetch over HTTPS, the container and package registries,"
        " releases, deployments and environments, job artifacts and `GET /job`, pipeline"
        " triggers, secure files, Terraform state, and reading branches, commits and tags.",
        "It cannot reach: issues, merge requests, users, groups, members, tokens, CI/CD"
        " variables or project settings; and no Git push unless the project allows it.",
        "To start a downstream pipeline, use the `trigger:` keyword or the trigger API with"
        " `token=$CI_JOB_TOKEN`.",
    ),
    T.PROJECT_ACCESS_TOKEN: (
        "Create it in the project (Settings > Access tokens) or with"
        " `POST /projects/:id/access_tokens`.",
        "API: header `PRIVATE-TOKEN: <token>` or `Authorization: Bearer <token>`.",
        "Git over HTTPS: any non-empty username, the token as password.",
    ),
    T.GROUP_ACCESS_TOKEN: (
        "A group Owner creates it (group Settings > Access tokens) or with"
        " `POST /groups/:id/access_tokens`.",
        "API: header `PRIVATE-TOKEN: <token>`; Git over HTTPS: any username, token as password.",
    ),
    T.SERVICE_ACCOUNT_PAT: (
        "Create the service account (`POST /groups/:id/service_accounts`), add it to each"
        " project or group it needs with the role below, then create its token"
        " (`POST /groups/:id/service_accounts/:user_id/personal_access_tokens`).",
        "API: header `PRIVATE-TOKEN: <token>`; Git over HTTPS: the service account's"
        " username, token as password.",
    ),
    T.BOT_USER_PAT: (
        "Create a dedicated user with a shared team e-mail, add it to the projects it needs,"
        " then create its personal access token (administrators on Self-Managed can use"
        " `POST /users/:id/personal_access_tokens`).",
        "API: header `PRIVATE-TOKEN: <token>`; Git over HTTPS: the bot's username, token as"
        " password.",
    ),
    T.PERSONAL_ACCESS_TOKEN: (
        "Create it under your avatar > Edit profile > Access tokens: tokenbot does not make"
        " people's own tokens (GitLab.com has no API for that).",
        "API: header `PRIVATE-TOKEN: <token>`; Git over HTTPS: your username, token as password.",
        "tokenbot reminds you before it expires where its inventory can list people's tokens"
        " (an administrator's account on Self-Managed, the credentials inventory on GitLab.com"
        " Ultimate).",
    ),
    T.DEPLOY_TOKEN: (
        "A Maintainer creates it in Settings > Repository > Deploy tokens (group deploy tokens:"
        " a group Owner).",
        "Use its username (default gitlab+deploy-token-N) and the token as password for Git,"
        " `docker login` and package managers. It cannot call the REST API.",
    ),
    T.DEPLOY_KEY: (
        "Generate a key pair (`ssh-keygen -t ed25519`) on the machine that needs it.",
        "A Maintainer adds the public key in Settings > Repository > Deploy keys (tick 'Grant"
        " write permissions' only for push).",
    ),
    T.PIPELINE_TRIGGER_TOKEN: (
        "A Maintainer creates it in Settings > CI/CD > Pipeline trigger tokens.",
        "Start a pipeline: `POST /projects/:id/trigger/pipeline` with form fields `token` and"
        " `ref`.",
    ),
    T.RUNNER_AUTHENTICATION_TOKEN: (
        "Create the runner in Settings > CI/CD > Runners > New project runner (or group"
        " runner, as Owner).",
        "Register it: `gitlab-runner register --url <GitLab URL> --token <glrt- token>`.",
    ),
    T.OAUTH_APPLICATION: (
        "A group Owner or administrator adds the application (Settings > Applications) with"
        " its redirect URI and the fewest scopes it needs.",
        "The application stores the client secret; users authorize it in their browser.",
    ),
    T.CI_ID_TOKEN: (
        "In .gitlab-ci.yml: `id_tokens: {VAULT_ID_TOKEN: {aud: <Vault URL>}}`.",
        "In Vault: JWT auth with `jwks_url=<GitLab URL>/-/jwks` and a role bound to claims such"
        " as project_path, ref and ref_protected.",
    ),
}


def how_to_use(token_type: T) -> tuple[str, ...]:
    """How to use a credential that exists already: HOW_TO without its first line, which
    always says how to create it (a test keeps it so)."""
    return HOW_TO[token_type][1:]
