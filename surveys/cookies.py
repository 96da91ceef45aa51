"""The service's own cookies, set one way: signed random token, HttpOnly, SameSite=Lax.

Three cookies use this: ``respondent`` (the anonymous respondent key) and ``signin`` (a
signed-in shopper's session token), which never hold anything but a random token, and
``invited`` (the invitation snippet asked this browser lately), which holds the constant ``1``.
The ``lang`` cookie (:mod:`surveys.i18n`) holds a language code only, with the same flags and
path.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, has_request_context, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from werkzeug.wrappers import Request, Response

#: Where the API's addresses start (surveys.api): no cookie session there.
API_PREFIX = "/api/"


def cookie_path() -> str:
    """Where the browser sends our cookies back: the app's own path only. Served under the
    shop's origin (``/surveys/`` behind its proxy), our cookies never reach the shop's pages
    or its servers' logs."""
    return (request.script_root if has_request_context() else "") + "/"


def set_token_cookie(response: Response, name: str, signed_value: str, max_age: timedelta) -> None:
    response.set_cookie(
        name,
        signed_value,
        max_age=max_age,
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
        path=cookie_path(),
    )


def clear_token_cookie(response: Response, name: str) -> None:
    response.delete_cookie(
        name,
        path=cookie_path(),
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
    )


class SignedCookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie session (it holds the CSRF token, or a staff session token),
    with its signer made once per key rather than on every request."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """No cookie is read or set under /api: a caller there is its bearer token alone.
        API requests get Flask's null session, which refuses writes, is never saved, and
        costs nothing to open."""
        if request.path.startswith(API_PREFIX):
            return self.make_null_session(app)
        return super().open_session(app, request)

    def get_cookie_path(self, app: Flask) -> str:
        return app.config["SESSION_COOKIE_PATH"] or cookie_path()

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        made = app.extensions.get("surveys.session_signer")
        if made is None or made[0] != keys:
            made = (keys, super().get_signing_serializer(app))
            app.extensions["surveys.session_signer"] = made
        return made[1]  # type: ignore[no-any-return]
