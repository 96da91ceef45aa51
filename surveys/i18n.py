"""The five languages shoppers read: which one a request gets, and the link that changes it.

A shopper page is in the language its address asks for (``?lang=ha``: the language links,
and the survey link the invitation gives in the shop page's language), else the one the
shopper chose before (remembered in a ``lang`` cookie that holds the language code and
nothing else), else the first of the five in the browser's ``Accept-Language``, else English.
The staff dashboard and the API stay English: they are not for shoppers, and the API's
labels are a contract.

Answers never depend on the language: every stored answer is a language-neutral code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from babel import Locale
from babel.lists import format_list
from babel.numbers import format_currency
from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    has_app_context,
    has_request_context,
    render_template,
    request,
    url_for,
)
from flask_babel import Babel, force_locale, get_locale, get_translations
from jinja2.ext import GETTEXT_FUNCTIONS, babel_extract
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from surveys.cookies import cookie_path

#: Code -> the language's name in itself, as the language link shows it. Codes are CLDR's
#: (Babel has a locale, plural rules and number formats for each).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "pcm": "Naijá (Pidgin)",
    "ha": "Hausa",
    "yo": "Yorùbá",
    "ig": "Igbo",
}
DEFAULT_LANGUAGE = "en"
#: Holds only a code from LANGUAGES (issue 14 allows this one cookie that is not a token).
LANGUAGE_COOKIE = "lang"
#: Long enough not to ask again; it says nothing about the shopper but a language.
LANGUAGE_COOKIE_AGE = timedelta(days=365)
#: Blueprints whose readers are not shoppers (and the stand-in demo shop): always English.
ENGLISH_ONLY_BLUEPRINTS = frozenset({"dashboard", "api", "health", "demo"})


def language_from(value: str | None) -> str | None:
    """A code from LANGUAGES for a tag like ``ha``, ``ha-NG`` or ``HA_ng``; None otherwise."""
    if not value or len(value) > 35:
        return None
    primary = value.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else None


def naira(amount: int) -> str:
    """A whole naira amount the way the request's language writes money: ``₦70,000``,
    ``₦ 70,000`` (Hausa). CLDR has no ₦ symbol for English without a territory or for
    Pidgin (it writes ``NGN``); a shop in Nigeria writes ₦ in every language."""
    locale = get_locale() or Locale.parse(DEFAULT_LANGUAGE)
    pattern = locale.currency_formats["standard"].pattern.replace(".00", "")
    text = format_currency(amount, "NGN", format=pattern, locale=locale, currency_digits=False)
    return text.replace("NGN", "₦")


def in_english(text: object) -> str:
    """``text`` (a lazy translation, or plain text) in English whatever the request's
    language: for the dashboard, its exports and anything cached across requests."""
    if not has_app_context():
        return str(text)
    with force_locale(DEFAULT_LANGUAGE):
        return str(text)


def set_language_cookie(response: Response, code: str) -> None:
    """The ``lang`` cookie: a language code only, scoped and flagged like our other cookies
    (:mod:`surveys.cookies`). HttpOnly too: no script of ours needs to read it."""
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=LANGUAGE_COOKIE_AGE,
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
        path=cookie_path(),
    )


def select_language() -> str:
    """The language of this request (see the module's docstring for the order)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    if request.blueprint in ENGLISH_ONLY_BLUEPRINTS:
        return DEFAULT_LANGUAGE
    # Asked for in the address (?lang=ha: the invitation and the survey link it gives).
    chosen: str | None = g.get("language")
    if chosen:
        return chosen
    remembered = language_from(request.cookies.get(LANGUAGE_COOKIE))
    if remembered:
        return remembered
    # In the browser's order of preference, the first whose language is one of ours:
    # "en-GB,ha;q=0.4" is English (Werkzeug's best_match would take the exact "ha" first).
    # A language at q=0 is one the browser refuses (RFC 9110 §12.4.2), never a choice.
    for tag, quality in request.accept_languages:
        if quality > 0 and (found := language_from(tag)):
            return found
    return DEFAULT_LANGUAGE


def current_language() -> str:
    """The code of the language this request is rendered in (``en``, ``pcm``, ...)."""
    locale = get_locale()
    return str(locale.language) if locale is not None else DEFAULT_LANGUAGE


#: The hidden field of each consent form: the language of the page that showed it.
SHOWN_LANGUAGE_FIELD = "notice_language"


def language_shown() -> str:
    """The language of the page a consent form was sent from: the notice the shopper read.

    Not the language of the request that sends it: the shopper may have chosen another
    language in another tab since, and the record must name the text they agreed to. A form
    without the field (one shown before it existed) was shown in the request's language; a
    value that is not one of our codes is refused (400) before anything is written.
    """
    shown = request.form.get(SHOWN_LANGUAGE_FIELD)
    if shown is None:
        return current_language()
    if shown not in LANGUAGES:
        abort(400)
    return shown


#: The consent notice: shown whole in one language, never half in two.
NOTICE_TEMPLATE = "account/_notice.html"


@cache
def _notice_sentences(path: Path) -> tuple[str, ...]:
    """Every string of the notice, as ``pybabel extract`` reads them from its template."""
    with path.open("rb") as template:
        found = babel_extract(template, GETTEXT_FUNCTIONS, [], {"trimmed": "true"})
        return tuple(
            message for _line, _function, message, _comments in found if isinstance(message, str)
        )


def notice_language() -> str:
    """The language the consent notice is shown in, and so the one a consent records: the
    page's when its catalogue translates every sentence of the notice, else English (a
    sentence added since, a draft not finished, a catalogue not compiled)."""
    language = current_language()
    if language == DEFAULT_LANGUAGE:
        return language
    folder = Path(current_app.root_path) / str(current_app.template_folder)
    # The compiled catalogue's own table (gettext's): it holds only translated, non-fuzzy
    # strings, and a translation may rightly read as the English does (Pidgin often will).
    translated = getattr(get_translations(), "_catalog", {})
    for sentence in _notice_sentences(folder / NOTICE_TEMPLATE):
        if sentence not in translated:
            return DEFAULT_LANGUAGE
    return language


def consent_notice() -> Markup:
    """The notice, rendered in :func:`notice_language` (marked with ``lang`` when that is
    not the page's)."""
    page, shown = current_language(), notice_language()
    from surveys.services.consent import NOTICE_VERSIONS

    with force_locale(shown):
        html = render_template(
            NOTICE_TEMPLATE,
            notice_lang=shown,
            page_lang=page,
            notice_version=NOTICE_VERSIONS[shown],
        )
    # An autoescaped template rendered whole: already HTML, nothing in it left unescaped.
    return Markup(html)  # noqa: S704  # nosec B704


def safe_next(value: str | None) -> str | None:
    """``value`` if it is a path on this site (``/surveys/about-you?x=1``), else None.

    The same care as :mod:`surveys.shopper.return_to`: anything a browser might read as
    another site (``//evil.example``, ``/\\evil.example``, a scheme, control characters) is
    refused outright, never cleaned up.
    """
    if not value or len(value) > 2000 or not value.startswith("/"):
        return None
    if not value.isascii() or any(c <= " " or c in "\\\x7f" for c in value):
        return None
    if value.startswith("//"):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def here() -> str:
    """This page's address inside the app, for the language link to come back to.

    A page shown in answer to a form post (a survey with errors, a confirmation) comes back
    to the page a GET of the same address shows, or else to the page it belongs to. Of the
    query only a ``return_to`` the shop may use is kept: nothing else from the address is
    echoed into the page.
    """
    from surveys.shopper.return_to import safe_return_to

    path = request.path
    return_to = safe_return_to(_return_to_asked(), current_app.config["SHOP_URL"])
    if return_to:
        path += "?" + urlencode({"return_to": return_to})
    adapter = current_app.url_map.bind("localhost")
    try:
        adapter.match(request.path, method="GET")
    except RequestRedirect:
        pass
    except (NotFound, MethodNotAllowed):
        return "/me" if request.blueprint == "account" else "/"
    return path


def _return_to_asked() -> str | None:
    """``return_to`` from the address, or from the form just posted, if it can be read: an
    error page about the form itself (too large, say) must not fail reading it again."""
    if "return_to" in request.args or request.method != "POST":
        return request.args.get("return_to")
    try:
        return request.form.get("return_to")
    except HTTPException:
        return None


def language_links() -> list[tuple[str, str, str, bool]]:
    """(code, own name, address, is current) for the language list on every shopper page.

    On a page that a plain GET of its own address shows again, the link is just ``?lang=ha``
    (the page itself, in Hausa, remembered): a few bytes, where the survey page has few to
    spare. Elsewhere (a page shown after a form post, or one carrying the shop's return_to)
    it goes through ``/language/<code>?next=`` back to the right page.
    """
    current = current_language()
    back = here()
    same_page = request.method == "GET" and back == request.path
    return [
        (
            code,
            name,
            f"?lang={code}"
            if same_page
            else url_for("shopper.choose_language", code=code, next=back),
            code == current,
        )
        for code, name in LANGUAGES.items()
    ]


def init_app(app: Flask) -> None:
    # One Babel per app, not one at module level: Flask-Babel caches the loaded catalogues
    # on its instance by language alone, so two apps in one process (the tests) with
    # different catalogues would otherwise read each other's.
    Babel(
        app,
        locale_selector=select_language,
        default_locale=DEFAULT_LANGUAGE,
        default_translation_directories="translations",
    )
    # Whitespace inside {% trans %} blocks collapsed: the msgids stay one line each.
    app.jinja_env.policies["ext.i18n.trimmed"] = True

    @app.before_request
    def language_in_the_address() -> None:
        """``?lang=ha`` on a shopper page: the shop's invitation passes on its own page's
        language this way. Anything but one of our codes is ignored."""
        if request.blueprint not in ENGLISH_ONLY_BLUEPRINTS:
            g.language = language_from(request.args.get("lang"))

    @app.after_request
    def remember_the_language(response: Response) -> Response:
        """A page opened with ``?lang=`` remembers it as the language link would. Only
        pages: the invitation's JSON sets no cookie for it (it sets none when it says no)."""
        if g.get("language") and response.mimetype == "text/html":
            set_language_cookie(response, g.language)
        if response.mimetype == "text/html" and request.blueprint not in ENGLISH_ONLY_BLUEPRINTS:
            # The same address is another page in another language: no cache may mix them.
            response.vary.add("Accept-Language")
            response.vary.add("Cookie")
        return response

    @app.template_filter("listed")
    def listed(items: Iterable[object]) -> str:
        """``a, b and c`` the way the page's language writes a list (CLDR's patterns)."""
        names = [str(item) for item in items]
        return format_list(names, locale=get_locale() or DEFAULT_LANGUAGE) if names else ""

    @app.template_filter("attribute_name")
    def attribute_name(key: str, questions: Mapping[str, Any]) -> str:
        """A question key as its short label, or the key itself for a question since retired."""
        return str(questions[key].short_label) if key in questions else key

    @app.template_filter("language_name")
    def language_name(code: str | None) -> str:
        """A language code as that language's own name (``ha`` -> Hausa)."""
        return LANGUAGES.get(code or DEFAULT_LANGUAGE, code or "")

    @app.context_processor
    def languages() -> dict[str, object]:
        if not has_request_context():
            return {}
        return {
            "html_lang": current_language(),
            "language_links": language_links,
            "notice_language": notice_language,
            "consent_notice": consent_notice,
        }
