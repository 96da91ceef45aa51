"""Security headers, all set in one place."""

from __future__ import annotations

from flask import Flask, Response, request

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


def drop_stray_retry_after(response: Response) -> Response:
    """Flask-Limiter adds Retry-After to every limited response, 200s included; a client
    that honours it would wait for nothing. Keep it only where it means "come back later"."""
    if response.status_code not in RETRY_AFTER_STATUSES:
        response.headers.pop("Retry-After", None)
    return response


def init_app(app: Flask) -> None:
    # Flask runs after-request hooks last-registered first, and the limiter registered its
    # own earlier: put this one at the front of the list so that it runs after the limiter.
    app.after_request_funcs.setdefault(None, []).insert(0, drop_stray_retry_after)

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        # Survey URLs must not leak to other sites.
        headers["Referrer-Policy"] = "no-referrer"
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Permissions-Policy"] = (
            "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        )
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if request.is_secure:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response
