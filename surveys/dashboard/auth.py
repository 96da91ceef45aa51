"""Flask-Login glue: the session cookie carries a random session token, never a staff id."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, redirect, request, session, url_for
from flask_login import UserMixin, current_user, login_user, logout_user

from surveys import clock
from surveys.extensions import db, login
from surveys.models import StaffUser
from surveys.models.identity import ADMIN
from surveys.services import staff


class StaffPrincipal(UserMixin):
    """The signed-in staff member, as Flask-Login sees them."""

    def __init__(self, user: StaffUser, token: str):
        self.user = user
        self.token = token

    def get_id(self) -> str:
        # What Flask-Login puts in the cookie: the random session token.
        return self.token

    @property
    def is_admin(self) -> bool:
        return self.user.role == ADMIN


@login.user_loader
def load_principal(token: str) -> StaffPrincipal | None:
    user = staff.user_for_token(db.session, token, clock.now())
    return StaffPrincipal(user, token) if user else None


@login.unauthorized_handler
def unauthorized() -> Any:
    if request.path.endswith((".csv", ".json")):
        abort(401)
    return redirect(url_for("dashboard.login"))


def sign_in(user: StaffUser, hours: int) -> None:
    """A new session: the old cookie's contents (CSRF token too) are dropped first."""
    session.clear()
    token = staff.start_session(db.session, user, clock.now(), hours)
    login_user(StaffPrincipal(user, token))
    # Flask-Login also stores a hash of the client's address and browser ("_id"); we keep
    # nothing derived from a person's address in a cookie.
    session.pop("_id", None)


def sign_out() -> None:
    if current_user.is_authenticated:
        staff.end_session(db.session, current_user.token)
    logout_user()
    session.clear()


def staff_required(role: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Signed-in staff only; with ``role="admin"``, admins only (others get 403)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login.unauthorized()
            if role == ADMIN and not current_user.is_admin:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
