"""The service's own cookies, set one way: signed random token, HttpOnly, SameSite=Lax.

Two cookies use this: ``respondent`` (the anonymous respondent key) and ``signin`` (a
signed-in shopper's session token). Neither ever holds anything but a random token.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from werkzeug.wrappers import Response


def set_token_cookie(response: Response, name: str, signed_value: str, max_age: timedelta) -> None:
    response.set_cookie(
        name,
        signed_value,
        max_age=max_age,
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
        path="/",
    )


def clear_token_cookie(response: Response, name: str) -> None:
    response.delete_cookie(
        name,
        path="/",
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
    )
