"""Instance-wide switches: application settings (admin API) and feature flags (Python only)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class ApplicationSettings:
    """The `application_settings` the simulator enforces, with a self-managed GitLab's defaults."""

    # Off by default on self-managed: only administrators create group service accounts.
    allow_top_level_group_owners_to_create_service_accounts: bool = False
    # On by default (`oauth_provider` jsonb default in app/models/application_setting.rb): with
    # it, `/oauth/revoke` does not insist on client credentials before looking at the token.
    ropc_without_client_credentials: bool = True


@dataclass
class FeatureFlags:
    """GitLab 18.10 feature flags the simulator honours; both are off by default there."""

    # Service accounts in subgroups (generally available, flag removed, in 18.11).
    allow_subgroups_to_create_service_accounts: bool = False
    # `POST /projects/:id/service_accounts` (404 while off).
    allow_projects_to_create_service_accounts: bool = False


SETTING_KEYS = tuple(asdict(ApplicationSettings()))


def settings_entity(settings: ApplicationSettings) -> dict[str, Any]:
    """The slice of `API::Entities::ApplicationSetting` the simulator models."""
    return {"id": 1, **asdict(settings)}
