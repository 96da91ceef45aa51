"""Pages for shoppers: the surveys, "Not now", and their own answers in this browser."""

from flask import Blueprint

bp = Blueprint("shopper", __name__)

from surveys.shopper import invitation, language, theme, views  # noqa: E402, F401
