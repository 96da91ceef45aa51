"""Errors under /api as ``application/problem+json`` (RFC 9457), never an HTML page.

Every problem has ``type``, ``title``, ``status`` and ``detail``. The type is ``about:blank``
(the status says what kind of problem it is) except where a client should act on something
more specific, which then has its own type URI and title.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import Response, request
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

PROBLEM_JSON = "application/problem+json"
API_PREFIX = "/api/"

#: What each status means for a client of this API, when the code raising it said nothing.
DETAILS = {
    400: "The request is not valid.",
    401: "Send a valid bearer token in the Authorization header.",
    403: "This client's token does not have the scope this request needs.",
    404: "There is nothing at this address.",
    405: "This address does not accept that method; the Allow header lists the ones it does.",
    413: "The request body is too large.",
    415: "Send the body as application/json.",
    429: "This client made too many requests; wait for the seconds in Retry-After.",
    500: "Something went wrong on our side. Nothing was changed; try again.",
    503: "A store is unavailable for a moment. Nothing was changed; retry after Retry-After.",
}


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX) or request.path == API_PREFIX.rstrip("/")


def problem(
    status: int,
    detail: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail or DETAILS.get(status, HTTP_STATUS_CODES.get(status, "Error")),
        **extra,
    }
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    if headers:
        response.headers.update(headers)
    return response


def from_http_exception(error: HTTPException) -> Response:
    """The problem for an HTTP error raised anywhere under /api (routing, limits, aborts)."""
    code = error.code or 500
    if isinstance(error, RateLimitExceeded):
        detail = f"This client is over its limit of {error.description}; see Retry-After."
    elif error.description and error.description != type(error).description:
        detail = error.description
    else:
        detail = None
    # Keep what the error itself says in headers (e.g. Allow on a 405), not its HTML body.
    headers = {
        name: value
        for name, value in error.get_headers()
        if name.lower() not in {"content-type", "content-length"}
    }
    return problem(code, detail, headers=headers)
