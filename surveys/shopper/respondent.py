"""Reading and setting the respondent cookie from views."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, make_response, render_template, request
from flask_babel import gettext
from werkzeug.wrappers import Response

from surveys.cookies import clear_token_cookie, set_token_cookie
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


def key_for_write() -> str | None:
    """The respondent key for a request that writes; a forged cookie stops the request.

    The shopper gets a 400 page saying so and the cookie is cleared; nothing is written.
    """
    try:
        return current_key()
    except TamperedCookie:
        response = make_response(
            render_template(
                "errors/error.html",
                status=400,
                title=gettext("Your survey cookie could not be read"),
                advice=gettext(
                    "It may have been changed or damaged, so nothing was saved and we have "
                    "cleared it. Reload the page to start again."
                ),
            ),
            400,
        )
        forget(response)
        abort(response)


def remember(response: Response, key: str) -> None:
    config = current_app.config
    set_token_cookie(
        response,
        respondents.COOKIE_NAME,
        respondents.sign(config["SECRET_KEY"], key),
        timedelta(days=config["RESPONDENT_COOKIE_DAYS"]),
    )


def forget(response: Response) -> None:
    clear_token_cookie(response, respondents.COOKIE_NAME)
