"""`POST /api/graphql`: the few GraphQL documents tokenbot sends, answered like GitLab.

Not a GraphQL engine: a document is recognised by its root field, and its arguments come from
`variables` (mutations take `input: $input`, as GitLab's own clients send them). GitLab's shape
is kept: HTTP 200 with `data`, and `errors: [{"message": ...}]` for document, variable and
authorization errors; a mutation's own refusals are in its payload's `errors` array
(graphql-ruby and app/graphql/mutations/base_mutation.rb in gitlab-org/gitlab).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from bot.sandbox.auth import Caller, authenticate
from bot.sandbox.messages import ApiRequest, ApiResponse
from bot.sandbox.state import SandboxState

GRAPHQL_PATH = "/api/graphql"
# Gitlab::Graphql::Authorize::AuthorizeResource::RESOURCE_ACCESS_ERROR
RESOURCE_ACCESS_ERROR = (
    "The resource that you are attempting to access does not exist or you don't have"
    " permission to perform this action"
)


class GraphqlError(Exception):
    """A top-level error: `{"errors": [{"message": ...}]}`, with `data` for `field` if given."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


Resolver = Callable[["Operation"], Any]


class Operation:
    """One request: the document, its variables, the caller and the simulator's state."""

    def __init__(
        self, document: str, variables: Mapping[str, Any], caller: Caller, state: SandboxState
    ) -> None:
        self.document, self.variables, self.caller, self.state = document, variables, caller, state

    def variable(self, name: str) -> Any:
        return self.variables.get(name)

    def argument(self, name: str) -> Any:
        """`name: $var` or `name: "literal"` / `name: 100` in the document."""
        found = re.search(rf"\b{name}\s*:\s*(\$\w+|\"[^\"]*\"|-?\d+)", self.document)
        if found is None:
            return None
        raw = found.group(1)
        if raw.startswith("$"):
            return self.variables.get(raw[1:])
        return raw.strip('"') if raw.startswith('"') else int(raw)

    def asks(self, name: str) -> bool:
        return re.search(rf"\b{name}\b", self.document) is not None


def respond_graphql(
    state: SandboxState, request: ApiRequest, resolvers: Mapping[str, Resolver]
) -> ApiResponse:
    """Authenticate (an `api` token, as for any write), then resolve the one root field."""
    caller = authenticate(state, request, ())
    document = request.params.get("query")
    variables = request.params.get("variables") or {}
    if not isinstance(document, str) or not document.strip():
        return _errors("No query string was present")
    if not isinstance(variables, Mapping):
        return _errors("Variables must be an object")
    root = next((name for name in resolvers if re.search(rf"\b{name}\s*\(", document)), None)
    if root is None:
        return _errors("tokenbot's GitLab simulator does not answer this document")
    try:
        with state.lock:
            value = resolvers[root](Operation(document, variables, caller, state))
    except GraphqlError as error:
        data = None if error.field is None else {error.field: None}
        return ApiResponse(200, {"data": data, "errors": [{"message": error.message}]})
    return ApiResponse(200, {"data": {root: value}})


def _errors(message: str) -> ApiResponse:
    return ApiResponse(200, {"errors": [{"message": message}]})
