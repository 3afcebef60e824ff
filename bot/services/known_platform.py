"""The GitLab tokenbot serves, as configured and as GitLab itself last said (`/metadata`).

The configured platform (TOKENBOT_GITLAB_OFFERING, _TIER, _VERSION) holds until GitLab has
answered; from then on GitLab's own version wins. Reading never blocks the readers: the
version is asked for on start-up and on a timer, off the paths that answer people.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace

from bot.domain.platform import Platform, Version, parse_version
from bot.services.gitlab_errors import GitLabError

log = logging.getLogger(__name__)
REFRESH_SECONDS = 6 * 3600  # GitLab upgrades are rare; an upgrade is seen within this time


class KnownPlatform:
    def __init__(self, configured: Platform) -> None:
        self._configured = configured
        self._read: Version | None = None
        self._lock = threading.Lock()

    @property
    def configured(self) -> Platform:
        return self._configured

    @property
    def read_version(self) -> Version | None:
        """What GitLab last said its version is; None until it has answered."""
        with self._lock:
            return self._read

    def current(self) -> Platform:
        """The platform as best known now: GitLab's version over the configured one."""
        version = self.read_version
        return self._configured if version is None else replace(self._configured, version=version)

    def refresh(self, read_version_text: Callable[[], str]) -> Version | None:
        """Ask GitLab; on failure keep what is known and say so in the log."""
        try:
            text = read_version_text()
        except GitLabError as exc:
            log.warning(
                "GitLab's version could not be read (%s); keeping %s",
                exc.__class__.__name__,
                self.current().version_label,
            )
            return None
        version = parse_version(text)
        if version is None:
            log.warning("GitLab answered /metadata with an unreadable version; ignored")
            return None
        self._note_difference(version)
        with self._lock:
            changed, self._read = self._read != version, version
        if changed:
            log.info("GitLab's version is %d.%d", *version)
        return version

    def refresh_in_background(self, read_version_text: Callable[[], str]) -> None:
        threading.Thread(
            target=self.refresh, args=(read_version_text,), name="read-gitlab-version", daemon=True
        ).start()

    def _note_difference(self, version: Version) -> None:
        configured = self._configured.version
        if configured is not None and configured != version:
            log.info(
                "GitLab says it is %d.%d; TOKENBOT_GITLAB_VERSION says %s: GitLab's own wins",
                *version,
                self._configured.version_label,
            )
