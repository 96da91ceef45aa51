"""Reading and setting the respondent cookie from views."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, request
from werkzeug.wrappers import Response

from surveys.services import respondents
from surveys.services.respondents import TamperedCookie


def current_key() -> str | None:
    """This browser's respondent key, None if it has none; TamperedCookie if forged."""
    value = request.cookies.get(respondents.COOKIE_NAME)
    if not value:
        return None
    return respondents.unsign(current_app.config["SECRET_KEY"], value)


def current_hash_or_none() -> str | None:
    """For pages that only read: a forged cookie is treated as no cookie."""
    try:
        key = current_key()
    except TamperedCookie:
        return None
    return respondents.respondent_hash(key) if key else None


def remember(response: Response, key: str) -> None:
    config = current_app.config
    response.set_cookie(
        respondents.COOKIE_NAME,
        respondents.sign(config["SECRET_KEY"], key),
        max_age=timedelta(days=config["RESPONDENT_COOKIE_DAYS"]),
        httponly=True,
        secure=config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
        path="/",
    )


def forget(response: Response) -> None:
    response.delete_cookie(
        respondents.COOKIE_NAME,
        path="/",
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
    )
