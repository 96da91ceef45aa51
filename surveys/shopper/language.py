"""``GET /language/<code>?next=<path>``: the language link on every shopper page."""

from __future__ import annotations

from flask import Response, abort, make_response, redirect, render_template, request
from flask_babel import gettext

from surveys.i18n import LANGUAGES, safe_next, set_language_cookie
from surveys.shopper import bp


@bp.get("/language/<code>")
def choose_language(code: str) -> Response:
    """``GET /language/<code>?next=<path>``: remember the language and go back.

    A plain link, so it works without JavaScript. An unknown code changes nothing.
    """
    if code not in LANGUAGES:
        page = render_template(
            "errors/error.html",
            status=404,
            title=gettext("We do not have that language"),
            advice=gettext(
                "Choose one of the languages listed at the top of the page. Nothing was changed."
            ),
        )
        abort(make_response(page, 404))
    target = safe_next(request.args.get("next")) or "/"
    # ``next`` is a path inside the app; under a prefix (/surveys behind the shop's proxy)
    # the browser needs the prefix in front of it.
    response = redirect(request.script_root + target, code=303)
    set_language_cookie(response, code)
    response.cache_control.no_store = True
    return response
