"""``GET /invitation.json``: whether the shop's snippet (``static/js/invite.js``) should invite
this browser now, and to which survey.

Said yes at most once per ``INVITE_EVERY_DAYS`` per browser, and the browser itself keeps
that: the answer "yes" sets an ``invited`` cookie whose value is the constant ``1`` and which
expires after ``INVITE_EVERY_DAYS``. It carries no key, no time and nothing that tells one
browser from another, and nothing about it is stored here (docs/privacy.md, rule 5). A browser
with no respondent cookie is not given one for being invited.

The answer "no" sets no cookie at all, and no answer carries anything about the shopper. Both
are ``no-store``. The snippet sends the shop page's ``<html lang>`` as ``?lang=``: the words
come back in that language when it is one of ours (else as any shopper page would choose),
and the survey link carries it on, so the survey opens in the shop page's language.

When the service runs on another origin than the shop (a subdomain), the shop's origin
(``SHOP_URL``'s), and only it, may read the answer with credentials (CORS).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Response, current_app, g, jsonify, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf

from surveys import clock
from surveys.cookies import set_token_cookie
from surveys.extensions import db
from surveys.i18n import current_language
from surveys.security import origin_of
from surveys.services import answers as answer_service
from surveys.shopper import bp
from surveys.shopper.respondent import current_hash_or_none

INVITED_COOKIE = "invited"
#: The shopper endpoints the shop's own pages call from its origin, with credentials.
SHOP_CALLABLE = frozenset({"shopper.invitation", "shopper.not_now"})


#: "Five quick, optional questions": the count as a word, up to nine.
NUMBER_WORDS = (
    # TRANSLATORS: how many questions, as a word: "One quick, optional question to tailor ..."
    _l("One"),
    _l("Two"),
    _l("Three"),
    _l("Four"),
    _l("Five"),
    _l("Six"),
    _l("Seven"),
    _l("Eight"),
    _l("Nine"),
)


def _words(count: int) -> dict[str, str]:
    """What the snippet shows, in the request's language (it has no words of its own)."""
    number = str(NUMBER_WORDS[count - 1]) if 0 < count <= len(NUMBER_WORDS) else str(count)
    shop = current_app.config["SHOP_NAME"] or gettext("the shop")
    return {
        "invitation": ngettext(
            "%(number)s quick, optional question to tailor %(shop)s",
            "%(number)s quick, optional questions to tailor %(shop)s",
            count,
            number=number,
            shop=shop,
        ),
        "answer": gettext("Answer"),
        "not_now": gettext("Not now"),
    }


def _invitation(survey: Any) -> dict[str, Any]:
    language = current_language()
    # Asked in the shop page's language: the survey opens in it too.
    lang = {"lang": language} if g.get("language") else {}
    return {
        "invite": True,
        "lang": language,
        "shop": current_app.config["SHOP_NAME"],
        "text": _words(len(survey.questions)),
        "survey": {
            "slug": survey.slug,
            "title": survey.title_in(language),
            "questions": len(survey.questions),
            "url": url_for("shopper.survey", slug=survey.slug, _external=True, **lang),
        },
        # "Not now" in the invitation is the survey page's own form post, token included.
        "not_now": {
            "url": url_for("shopper.not_now", slug=survey.slug, _external=True),
            "csrf_token": generate_csrf(),
        },
    }


@bp.get("/invitation.json")
def invitation() -> Response:
    survey = None
    if not request.cookies.get(INVITED_COOKIE):
        survey = answer_service.next_survey(db.session, current_hash_or_none(), clock.today())
    response = jsonify(_invitation(survey) if survey else {"invite": False})
    response.cache_control.no_store = True
    if survey is not None:
        days = current_app.config["INVITE_EVERY_DAYS"]
        set_token_cookie(response, INVITED_COOKIE, "1", timedelta(days=days))
    return response


@bp.after_app_request
def allow_the_shop(response: Response) -> Response:
    """CORS for the shop's origin only, on the two endpoints its pages call."""
    if request.endpoint not in SHOP_CALLABLE:
        return response
    response.vary.add("Origin")
    origin = request.headers.get("Origin")
    shop = origin_of(current_app.config["SHOP_URL"] or "")
    if origin and shop and origin_of(origin) == shop:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
    return response
