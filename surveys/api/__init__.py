"""The profile API for the shop's recommendation service: JSON under /api, bearer tokens.

CSRF does not apply (no cookies are read here; a token in a header is the credential), and
every error is ``application/problem+json``.
"""

from flask import Blueprint, current_app

from surveys.extensions import csrf, limiter

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)

from surveys.api import auth, connections  # noqa: E402, F401

# One budget per client for the whole API, counted by client name (in Redis when configured,
# so that every worker counts together). Requests without a valid token are refused before
# they could spend anyone's budget.
limiter.shared_limit(
    lambda: current_app.config["API_RATE_LIMIT"],
    scope="api",
    key_func=auth.rate_limit_key,
    exempt_when=auth.has_no_caller,
)(bp)

from surveys.api import views  # noqa: E402, F401
