"""Who is signed in, for views: the session cookie holds a signed random token, nothing else."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, g, request
from werkzeug.wrappers import Response

from surveys import clock
from surveys.cookies import clear_token_cookie, set_token_cookie
from surveys.extensions import db
from surveys.models import ShopperSession
from surveys.services import shopper_sessions

_UNSET = object()


def cookie_token() -> str | None:
    """The session token in this request's cookie; None if absent or forged."""
    value = request.cookies.get(shopper_sessions.COOKIE_NAME)
    if not value:
        return None
    return shopper_sessions.unsign(current_app.config["SECRET_KEY"], value)


def current_session() -> ShopperSession | None:
    """This browser's live session, looked up once per request."""
    found = g.get("shopper_session", _UNSET)
    if found is _UNSET:
        found = shopper_sessions.find(db.session, cookie_token(), clock.now())
        g.shopper_session = found
    return found  # type: ignore[return-value]


def signed_in_subject() -> str | None:
    found = current_session()
    return found.subject if found is not None else None


def remember(response: Response, token: str) -> None:
    config = current_app.config
    set_token_cookie(
        response,
        shopper_sessions.COOKIE_NAME,
        shopper_sessions.sign(config["SECRET_KEY"], token),
        timedelta(hours=config["SHOPPER_SESSION_HOURS"]),
    )


def forget(response: Response) -> None:
    clear_token_cookie(response, shopper_sessions.COOKIE_NAME)
