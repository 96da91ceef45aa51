"""Staff pages: sign-in and the dashboard of protected aggregates. Views only; the rules are
in surveys/services/reporting/ (release, report, charts, exports) and services/staff.py."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

from surveys.dashboard import auth, views  # noqa: E402, F401
