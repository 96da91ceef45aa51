"""Security headers, all set in one place, and where a form may be posted from.

CSRF is checked twice on every form post: Flask-WTF's signed token, bound to the session,
and then the request's origin. Flask-WTF's own origin check (``WTF_CSRF_SSL_STRICT``) asks
for a same-origin ``Referer`` over HTTPS, which browsers leave out under a strict referrer
policy, and some privacy extensions strip. We check ``Origin`` instead, which every current
browser sends with a form post, and fall back to ``Referer`` only when ``Origin`` is absent.
Over HTTPS a post with neither is refused, as Flask-WTF would: the check is as strict, only
satisfiable by the header browsers really send. (docs/deployment.md says why.)
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request
from flask_wtf.csrf import CSRFError, CSRFProtect

log = logging.getLogger("surveys.security")

#: Shopper pages need only their own CSS, JS and the LGA list; nothing inline, nothing remote.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


#: The only statuses where Retry-After means something (RFC 9110 §10.2.3).
RETRY_AFTER_STATUSES = frozenset({429, 503})


def note_retry_after(response: Response) -> Response:
    """Runs before the limiter's hook: remember what the app itself said (a 503's 5 s)."""
    g.app_retry_after = response.headers.get("Retry-After")
    return response


def drop_stray_retry_after(response: Response) -> Response:
    """Flask-Limiter puts Retry-After on every limited response, 200s included, and on a 503
    replaces ours with when its window resets (up to a minute for survey writes). A 429 keeps
    the limiter's; a 503 gets back the app's own; nothing else has one."""
    if response.status_code == 503 and g.get("app_retry_after"):
        response.headers["Retry-After"] = g.app_retry_after
    elif response.status_code not in RETRY_AFTER_STATUSES:
        response.headers.pop("Retry-After", None)
    return response


def retry_after_on_429(response: Response) -> Response:
    """A 429 says when the client may try again: when the limit it broke resets.

    The limiter's own headers are off (``RATELIMIT_HEADERS_ENABLED``): its ``X-RateLimit-*``
    headers on every response asked the storage for the window's state a second time per
    request, a second round trip to Redis that no client was promised. Only a refusal needs
    to know, so only a refusal asks."""
    if response.status_code != 429 or "Retry-After" in response.headers:
        return response
    from surveys.extensions import limiter  # (extensions imports this module)

    broken = limiter.current_limit
    if broken is None:
        return response
    try:
        seconds = int(broken.reset_at - time.time())  # as Flask-Limiter computed it
    except Exception:  # noqa: BLE001  (the storage went away since the check: the whole window)
        seconds = broken.limit.get_expiry()
    response.headers["Retry-After"] = str(max(1, seconds))
    return response


def init_app(app: Flask) -> None:
    # Flask runs after-request hooks last-registered first, and the limiter registered its
    # own earlier: this one runs before it, and the one put at the front of the list after.
    app.after_request(note_retry_after)
    app.after_request(retry_after_on_429)
    app.after_request_funcs.setdefault(None, []).insert(0, drop_stray_retry_after)

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        # Survey URLs must not leak to other sites: a Referer goes only to this site. Not
        # "no-referrer": under it browsers send "Origin: null" even with a same-site form
        # post, and the origin check below could not tell our own pages from anyone's.
        headers["Referrer-Policy"] = "same-origin"
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Permissions-Policy"] = (
            "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        )
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if request.is_secure:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response


class CrossSiteRequest(CSRFError):
    """A form post with a valid token, but not sent from one of this site's pages."""


Origin = tuple[str, str, int]
DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of a URL, or None if it has no such thing (``null``, garbage)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or DEFAULT_PORTS[parts.scheme]


#: Form posts the shop's own pages may also send (the invitation's "Not now"), still with
#: the CSRF token: from SHOP_URL's origin when the service runs on a subdomain of the shop.
SHOP_MAY_POST = frozenset({"shopper.not_now"})


def cross_origin_problem() -> str | None:
    """Why this request may not come from this site's own pages, or None if it does.

    "This site" is the scheme and host the browser used: behind a reverse proxy, those it
    reports in X-Forwarded-Proto and X-Forwarded-Host (trusted with TRUSTED_PROXIES only).
    """
    allowed = {origin_of(request.host_url)}
    if request.endpoint in SHOP_MAY_POST and current_app.config["SHOP_URL"]:
        allowed.add(origin_of(current_app.config["SHOP_URL"]))
    allowed.discard(None)
    origin = request.headers.get("Origin")
    if origin is not None:
        return None if origin_of(origin) in allowed else "cross-site origin"
    referrer = request.headers.get("Referer")
    if referrer:
        return None if origin_of(referrer) in allowed else "cross-site referrer"
    # Browsers that predate Origin on form posts send a Referer to the same site (our
    # policy allows it). Over HTTPS, a post that says neither is refused, as Flask-WTF's
    # strict mode does; plain HTTP (development, tests) has no stronger proof to ask for.
    return "no origin or referrer" if request.is_secure else None


class SameOriginCSRFProtect(CSRFProtect):
    """Flask-WTF's token check, then the origin check above, on every post it protects."""

    def init_app(self, app: Flask) -> None:
        # Replaced by the Origin check: see the module docstring.
        app.config.setdefault("WTF_CSRF_SSL_STRICT", False)
        super().init_app(app)

    def protect(self, apply_exemptions: bool = False) -> Any:
        super().protect(apply_exemptions)
        if not g.get("csrf_valid"):
            return  # exempt (the shop's sign-in hand-off), or not a post
        problem = cross_origin_problem()
        if problem:
            log.info("form post refused", extra={"fields": {"reason": problem}})
            raise CrossSiteRequest(problem)
