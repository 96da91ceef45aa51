"""Clear error pages: every 4xx says what happened and what to do; no stack trace ever."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DataError, InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from surveys.api import problems as api_problems
from surveys.i18n import current_language
from surveys.security import CrossSiteRequest

log = logging.getLogger("surveys.errors")

MESSAGES = {
    400: (_l("Something in that request was wrong"), _l("Go back, reload the page and try again.")),
    403: (_l("You cannot open this page"), _l("It is not meant for your account.")),
    404: (
        _l("Page not found"),
        _l("The survey or page you asked for does not exist or is closed."),
    ),
    405: (_l("That action is not allowed here"), _l("Use the buttons on the page.")),
    413: (
        _l("That was too much to send"),
        _l("A survey answer is small; reload the page and try again."),
    ),
    429: (_l("Too many tries"), _l("Wait a minute, then try again.")),
    500: (
        _l("Something went wrong on our side"),
        _l("Nothing was saved. Please try again in a minute."),
    ),
    503: (
        _l("We are busy for a moment"),
        _l("Nothing was saved. Please try again in a few seconds."),
    ),
}

#: Seconds a client should wait before retrying when a store is unreachable.
RETRY_AFTER_SECONDS = 5


#: The page when even the error template cannot be rendered (it may need a store that is down).
PLAIN_PAGE = (
    '<!doctype html><html lang="{lang}"><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{title}</title><h1>{title}</h1><p>{advice}</p></html>"
)


def _rollback_quietly() -> None:
    """Roll back this request's work; on a dead connection, rolling back can fail too."""
    from surveys.extensions import db

    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.close()


def _page(status: int, title: str | None = None, advice: str | None = None) -> str:
    """The error page; a plain one if rendering needs a store that is not answering."""
    default_title, default_advice = MESSAGES.get(status, MESSAGES[500])
    title, advice = str(title or default_title), str(advice or default_advice)
    try:
        return render_template("errors/error.html", status=status, title=title, advice=advice)
    except SQLAlchemyError:
        _rollback_quietly()
        return PLAIN_PAGE.format(
            lang=current_language(), title=escape(title), advice=escape(advice)
        )


def init_app(app: Flask) -> None:
    from surveys.extensions import db

    # Runs before Flask-SQLAlchemy's own teardown (registered earlier, so run later).
    @app.teardown_appcontext
    def end_the_session_even_on_a_dead_connection(error: BaseException | None) -> None:
        """A connection cut after a request's last statement (a database restart) fails only
        when the session is closed and its empty transaction rolled back: after the
        response was made. Left alone, that error escaped to gunicorn as a 500 in place of
        the response (found by bench/load.py). Such a connection is just thrown away.

        A request that never used the session (every profile read: the API has connections
        of its own) has nothing to end: making a session only to close it cost ~5 % of a
        read."""
        if not db.session.registry.has():
            return
        try:
            db.session.close()
        except SQLAlchemyError:
            db.session().invalidate()  # (the scoped proxy does not pass this one on)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        if isinstance(error, CrossSiteRequest):
            page = _page(
                400,
                gettext("This form was not sent from our site"),
                gettext(
                    "For your safety, answers are only taken from this site's own pages. Open "
                    "the page here and send it again; nothing was saved. If a browser "
                    "extension hides where pages come from, allow it for this site."
                ),
            )
            return page, 400
        return (
            render_template(
                "errors/error.html",
                status=400,
                title=gettext("This form has expired"),
                advice=gettext(
                    "For your safety, forms work for a few hours only. Reload the page and "
                    "answer again; nothing was saved."
                ),
            ),
            400,
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        if api_problems.is_api_request():
            return api_problems.from_http_exception(error)
        code = error.code or 500
        title, advice = MESSAGES.get(code, (error.name, error.description or ""))
        response = error.get_response()
        response.set_data(
            render_template("errors/error.html", status=code, title=title, advice=advice)
        )
        response.content_type = "text/html; charset=utf-8"
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def store_unavailable(error: OperationalError | InterfaceError):  # type: ignore[no-untyped-def]
        """A store is down or restarting: say so, roll back, and let the client retry."""
        _rollback_quietly()
        log.warning(
            "store unavailable", extra={"fields": {"error_type": type(error.orig).__name__}}
        )
        if api_problems.is_api_request():
            return api_problems.problem(503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        return _page(503), 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}

    @app.errorhandler(DataError)
    def unstorable_input(error: DataError):  # type: ignore[no-untyped-def]
        """Input the database cannot hold (a NUL byte, say): the request's fault, not ours."""
        _rollback_quietly()
        log.warning("unstorable input", extra={"fields": {"error_type": type(error.orig).__name__}})
        return _page(400), 400

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):  # type: ignore[no-untyped-def]
        # Only the exception type: its message could carry submitted values.
        original = getattr(error, "original_exception", None)
        log.error("unhandled error", extra={"fields": {"error_type": type(original).__name__}})
        if api_problems.is_api_request():
            return api_problems.problem(500), 500
        return _page(500), 500
