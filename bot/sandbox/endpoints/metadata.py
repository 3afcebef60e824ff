"""`/metadata` and its older mirror `/version`: which GitLab this is.

GitLab (`lib/api/metadata.rb`) answers both for any authenticated user; besides `api` and
`read_api`, a `read_user` token may read them.
"""

from __future__ import annotations

from bot.sandbox.messages import ApiResponse
from bot.sandbox.routing import Context, Router

VERSION = "18.6.0-ee"
REVISION = "sandbox"  # a real GitLab sends its commit; this says what answered
_READ_USER = ("read_user",)


def show_metadata(ctx: Context) -> ApiResponse:
    return ApiResponse(
        200,
        {
            "version": VERSION,
            "revision": REVISION,
            "kas": {
                "enabled": False,
                "externalUrl": None,
                "externalK8sProxyUrl": None,
                "version": None,
            },
            "enterprise": True,
        },
    )


def register(router: Router) -> None:
    router.get("/metadata", show_metadata, extra_scopes=_READ_USER)
    router.get("/version", show_metadata, extra_scopes=_READ_USER)
