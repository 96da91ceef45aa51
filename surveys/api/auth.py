"""Bearer tokens (RFC 6750): who is calling, and may they do this?

The caller is looked up once per request (one indexed query on the token's hash, on the
request's autocommit connection) and kept in ``g``, so that the views share the lookup; the
caller's request is then counted against its budget (rate_limits.py), here, before any view.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, request

from surveys.api import bp, connections, rate_limits
from surveys.api.problems import problem
from surveys.services import api_clients, profiles
from surveys.services.api_clients import Caller

F = TypeVar("F", bound=Callable[..., Any])

REALM = 'Bearer realm="surveys"'
#: Endpoints anyone may read: the API's own description.
PUBLIC_ENDPOINTS = frozenset({"api.openapi"})
#: The single profile read, whose consent query is run with the token's (see caller()).
SINGLE_READ = "api.profile"


def _bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def caller() -> Caller | None:
    """The authenticated client of this request, or None (looked up at most once)."""
    if "api_caller" not in g:
        token = _bearer_token()
        subject = _single_read_subject()
        if token and subject is not None:
            # A single profile read: the subject's consent comes with the caller, in one
            # statement (one round trip fewer); the view uses it once the scope is checked.
            g.api_caller, g.api_consents = api_clients.authenticate_reading(
                connections.identity(), token, subject
            )
        else:
            g.api_caller = (
                api_clients.authenticate(connections.identity(), token) if token else None
            )
    return g.api_caller  # type: ignore[no-any-return]


def _single_read_subject() -> str | None:
    if request.endpoint != SINGLE_READ or not request.view_args:
        return None
    subject = request.view_args.get("subject")
    return subject if isinstance(subject, str) and profiles.subject_could_exist(subject) else None


@bp.before_request
def require_caller() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return
    found = caller()
    if found is not None:
        breach = rate_limits.spend(found.name)
        if breach is not None:
            abort(
                problem(
                    429,
                    f"This client is over its limit of {breach.limit}; see Retry-After.",
                    headers={"Retry-After": str(breach.retry_after)},
                )
            )
        return
    if _bearer_token() is None:
        abort(problem(401, headers={"WWW-Authenticate": REALM}))
    abort(
        problem(
            401,
            "This bearer token is not valid: it is unknown or was revoked.",
            headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
        )
    )


def requires(scope: str) -> Callable[[F], F]:
    """Refuse the request with 403 unless the caller's token has ``scope``."""

    def decorate(view: F) -> F:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            found = caller()
            if found is None or scope not in found.scopes:
                abort(
                    problem(
                        403,
                        f"This client's token does not have the {scope!r} scope.",
                        headers={
                            "WWW-Authenticate": f'{REALM}, error="insufficient_scope", '
                            f'scope="{scope}"'
                        },
                    )
                )
            return view(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorate
