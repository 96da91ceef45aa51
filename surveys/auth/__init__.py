"""Signing in from the shop: the hand-off token, sign-out, and the ``/demo`` stand-in shop."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
#: Registered only when ``DEMO`` is on; otherwise ``/demo`` does not exist.
demo_bp = Blueprint("demo", __name__)

from surveys.auth import demo, views  # noqa: E402, F401
