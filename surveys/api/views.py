"""API views: parse the request, call a service, answer in JSON. No rules live here."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import yaml
from flask import Response, abort, current_app, request

from surveys.api import bp
from surveys.api.auth import requires
from surveys.api.problems import problem
from surveys.extensions import db
from surveys.models.api import CHANGES_READ
from surveys.services import profile_changes

JSON = "application/json"


@cache
def openapi_document() -> bytes:
    text = resources.files("surveys.api").joinpath("openapi.yaml").read_text("utf-8")
    return json.dumps(yaml.safe_load(text), separators=(",", ":")).encode("utf-8")


def _json(body: Any, status: int = 200) -> Response:
    return current_app.response_class(
        json.dumps(body, separators=(",", ":")), status=status, mimetype=JSON
    )


def _only_params(*names: str) -> None:
    """Refuse parameters we do not know: a typo like ``afer=`` must not pass unnoticed."""
    unknown = sorted(set(request.args) - set(names))
    if unknown:
        abort(problem(400, f"Unknown query parameter {unknown[0]!r}."))


def _int_arg(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not minimum <= int(raw) <= maximum:
        abort(problem(400, f"{name!r} must be a whole number from {minimum} to {maximum}."))
    return int(raw)


@bp.after_request
def never_cache(response: Response) -> Response:
    """Subjects and profiles are personal data: no cache on the way may keep them."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.get("/openapi.json")
def openapi() -> Response:
    response = Response(openapi_document(), mimetype=JSON)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/v1/changes")
@requires(CHANGES_READ)
def changes() -> Response:
    _only_params("after", "limit")
    after = _int_arg("after", 0, 0, 2**63 - 1)
    limit = _int_arg("limit", 100, 1, profile_changes.MAX_PAGE)
    page = profile_changes.page(db.session, after, limit)
    return _json(
        {
            "changes": [change.as_json() for change in page.changes],
            "next_cursor": page.next_cursor,
            "has_more": page.has_more,
        }
    )
