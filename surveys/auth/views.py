"""Sign-in from the shop and sign-out. Views parse and render; the rules are in services."""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from surveys import clock
from surveys.auth import bp
from surveys.auth.session import cookie_token, forget, remember
from surveys.extensions import csrf, db, limiter
from surveys.services import shop_tokens, shopper_sessions
from surveys.services.shop_tokens import Failure, InvalidShopToken
from surveys.shopper.forms import ActionForm

log = logging.getLogger("surveys.auth")

#: What the shopper reads when the shop's hand-off fails: what happened, what to do.
FAILURE_PAGES: dict[Failure, tuple[LazyString, LazyString]] = {
    Failure.MISSING: (
        _l("No sign-in from the shop"),
        _l("Open the surveys from your account on the shop's site; the shop signs you in."),
    ),
    Failure.MALFORMED: (
        _l("This sign-in link is incomplete"),
        _l(
            "It may have been cut short when it was copied. Go back to the shop and open the "
            "surveys again."
        ),
    ),
    Failure.BAD_SIGNATURE: (
        _l("This sign-in link is not from the shop"),
        _l(
            "We could not confirm that the shop made it, so you are not signed in. Go back to "
            "the shop and open the surveys from there."
        ),
    ),
    Failure.WRONG_AUDIENCE: (
        _l("This sign-in link is meant for another service"),
        _l("You are not signed in. Go back to the shop and open the surveys from there."),
    ),
    Failure.EXPIRED: (
        _l("This sign-in link has expired"),
        _l(
            "Sign-in links from the shop work for a few minutes only. Go back to the shop and "
            "open the surveys again."
        ),
    ),
    Failure.NOT_YET_VALID: (
        _l("This sign-in link is not valid yet"),
        _l(
            "The shop's clock and ours disagree. Wait a minute, then go back to the shop and try "
            "again."
        ),
    ),
    Failure.TOO_LONG_LIVED: (
        _l("This sign-in link lasts too long to be safe"),
        _l("Links must expire within 10 minutes. Go back to the shop and open the surveys again."),
    ),
    Failure.REPLAYED: (
        _l("This sign-in link was already used"),
        _l("Each link works once. Go back to the shop and open the surveys again."),
    ),
}


def safe_next(target: str | None) -> str:
    """A path on this site to go to after sign-in; anything else becomes the home page.

    Only a relative path is accepted: no scheme, no host, and nothing a browser might read
    as one (``//host``, ``/\\host``, control characters).
    """
    if not target or len(target) > 512 or not target.startswith("/"):
        return "/"
    if target.startswith("//") or "\\" in target or not target.isprintable():
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


# The shop posts here from its own site, so there is no CSRF token to check: the signed,
# single-use, short-lived token is itself the proof that the shop sent the shopper.
@bp.route("/auth/shop", methods=["GET", "POST"])
@limiter.limit("30 per minute")
@csrf.exempt
def shop_sign_in() -> Response | tuple[str, int]:
    source = request.form if request.method == "POST" else request.args
    try:
        subject = shop_tokens.verify(
            db.session, source.get("token"), current_app.config["SHOP_SIGNING_KEY"]
        )
    except InvalidShopToken as error:
        db.session.rollback()
        log.info("shop sign-in refused", extra={"fields": {"reason": error.failure.value}})
        title, advice = FAILURE_PAGES[error.failure]
        page = render_template("errors/error.html", status=400, title=title, advice=advice)
        return page, 400
    token = shopper_sessions.start(
        db.session,
        subject,
        clock.now(),
        timedelta(hours=current_app.config["SHOPPER_SESSION_HOURS"]),
        replacing=cookie_token(),
    )
    db.session.commit()
    log.info("shop sign-in")
    response = redirect(safe_next(source.get("next")), code=303)
    remember(response, token)
    return response


@bp.route("/auth/logout", methods=["GET", "POST"])
def logout() -> Response | str:
    if request.method != "POST":  # GET, or HEAD (Flask answers it with this view too)
        return render_template("auth/logout.html", form=ActionForm())
    if not ActionForm().validate_on_submit():
        abort(400)
    token = cookie_token()
    if token:
        shopper_sessions.end(db.session, token)
        db.session.commit()
    response = redirect(url_for("auth.signed_out"), code=303)
    forget(response)
    return response


@bp.get("/auth/signed-out")
def signed_out() -> str:
    return render_template("auth/signed_out.html")
