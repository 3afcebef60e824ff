"""Deploy keys: SSH keys enabled in projects, read-only or with push, optionally expiring."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class DeployKey:
    """A `keys` row of type DeployKey; `projects` maps project id -> can_push."""

    id: int
    title: str
    key: str
    created_at: datetime
    expires_at: datetime | None = None
    user_id: int | None = None  # who added it
    last_used_at: datetime | None = None  # GitLab keeps it; the API does not show it
    projects: dict[int, bool] = field(default_factory=dict)

    @property
    def fingerprint_sha256(self) -> str:
        blob = base64.b64decode(self.key.split()[1])
        digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
        return f"SHA256:{digest}"
