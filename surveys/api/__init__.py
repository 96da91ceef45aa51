"""The profile API for the shop's recommendation service: JSON under /api, bearer tokens.

CSRF does not apply (no cookies are read here; a token in a header is the credential), and
every error is ``application/problem+json``.
"""

from flask import Blueprint, request
from werkzeug.routing import PathConverter

from surveys.extensions import csrf, limiter

#: The last part of the batch endpoint's address, which is therefore never a subject.
BATCH = "batch"


class SubjectConverter(PathConverter):
    """A shop customer id in a path: any text, slashes included, but not ``batch``.

    Without this, ``GET /api/v1/profiles/batch`` would read a subject called "batch" and
    ``OPTIONS`` there would offer GET. Refused in the pattern itself (not in ``to_python``,
    which the router consults only after it has listed a rule's methods as allowed), the
    batch address is matched by the batch route alone: 405 with ``Allow: POST`` for the
    rest. A customer whose id is literally "batch" can still be read through the batch.
    """

    regex = rf"(?!{BATCH}\Z)[^/].*?"


bp = Blueprint("api", __name__, url_prefix="/api")
# Before the routes below: the converter must be known when their rules are added.
bp.record_once(lambda state: state.app.url_map.converters.setdefault("subject", SubjectConverter))
csrf.exempt(bp)

from surveys.api import app_hooks, auth, connections, rate_limits  # noqa: E402, F401

# One budget per client for the whole API, counted by client name in the auth hook
# (rate_limits.py; in Redis when configured, so that every worker counts together). Requests
# without a valid token are refused before they could spend anyone's budget. Flask-Limiter,
# which counts the shopper routes, leaves the API alone.
limiter.request_filter(lambda: request.blueprint == "api")
bp.record_once(lambda state: rate_limits.init_app(state.app))
# Nor do its hooks, nor Flask-Login's, run at all on API requests (app_hooks.py). The
# extensions are attached before the blueprints are registered, so their hooks are there.
bp.record_once(lambda state: app_hooks.skip_in(state.app, bp.name))

from surveys.api import views  # noqa: E402, F401
