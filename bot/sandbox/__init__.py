"""A GitLab REST API (v4) simulator for trying the bot and for tests."""

from __future__ import annotations

from bot.sandbox.app import GitlabSimulator
from bot.sandbox.bench_tree import TreeInfo, generate_tree
from bot.sandbox.credential_seed import (
    add_deploy_key,
    enable_deploy_key,
    make_ultimate_on_gitlab_com,
)
from bot.sandbox.demo import DemoInfo, load_demo_data
from bot.sandbox.faults import FaultInjector, FaultKind, FaultRule
from bot.sandbox.instance import ApplicationSettings, FeatureFlags
from bot.sandbox.models import AccessLevel, Group, Project, User, UserType
from bot.sandbox.oauth_models import OAuthApplication
from bot.sandbox.request_log import RequestLog, RequestRecord
from bot.sandbox.seed import (
    add_deploy_token,
    add_oauth_application,
    add_personal_token,
    add_project_service_account,
    add_resource_token,
    add_service_account,
    add_trigger,
    add_variable,
    set_password,
)
from bot.sandbox.serve import serve_sandbox
from bot.sandbox.server import SandboxServer
from bot.sandbox.state import Clock, SandboxState

__all__ = [
    "AccessLevel",
    "ApplicationSettings",
    "Clock",
    "DemoInfo",
    "FaultInjector",
    "FaultKind",
    "FaultRule",
    "FeatureFlags",
    "GitlabSimulator",
    "Group",
    "OAuthApplication",
    "Project",
    "RequestLog",
    "RequestRecord",
    "SandboxServer",
    "SandboxState",
    "TreeInfo",
    "User",
    "UserType",
    "add_deploy_key",
    "add_deploy_token",
    "add_oauth_application",
    "add_personal_token",
    "add_project_service_account",
    "add_resource_token",
    "add_service_account",
    "add_trigger",
    "add_variable",
    "enable_deploy_key",
    "generate_tree",
    "load_demo_data",
    "make_ultimate_on_gitlab_com",
    "serve_sandbox",
    "set_password",
]
