"""Staff accounts and their sign-in sessions, kept in the identity store.

Passwords are hashed with Argon2id. A signed-in browser holds a random token; the store keeps
only its SHA-256, so neither a copy of the database nor Flask's session cookie carries the
staff member's id. Every sign-in makes a new token, so the session id changes at login.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from surveys.models import StaffSession, StaffUser
from surveys.models.identity import ROLES

#: Long enough that a pass-phrase, not a word, is needed.
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHasher()  # argon2-cffi's defaults: Argon2id, RFC 9106 low-memory profile
#: Checked when the email is unknown, so that a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class StaffError(ValueError):
    """The account cannot be created as asked; the message says why."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create(session: Session, email: str, role: str, password: str, now: datetime) -> StaffUser:
    email = normalise_email(email)
    if not EMAIL.match(email) or len(email) > 254:
        raise StaffError("That is not an email address.")
    if role not in ROLES:
        raise StaffError(f"The role must be one of: {', '.join(ROLES)}.")
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise StaffError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if find(session, email) is not None:
        raise StaffError("A staff account with that email already exists.")
    user = StaffUser(
        email=email, role=role, password_hash=_hasher.hash(password), active=True, created_at=now
    )
    session.add(user)
    session.flush()
    return user


def find(session: Session, email: str) -> StaffUser | None:
    return session.scalars(
        select(StaffUser).where(StaffUser.email == normalise_email(email))
    ).one_or_none()


def authenticate(session: Session, email: str, password: str) -> StaffUser | None:
    """The active account with this email and password, or None (same cost either way)."""
    user = find(session, email) if len(password) <= MAX_PASSWORD_LENGTH else None
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: StaffUser, now: datetime, hours: int) -> str:
    """A new random session token for ``user``; expired sessions are swept on the way."""
    session.execute(delete(StaffSession).where(StaffSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            token_hash=_token_hash(token),
            staff_id=user.id,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    session.flush()
    return token


def user_for_token(session: Session, token: str, now: datetime) -> StaffUser | None:
    if not token or len(token) > 128:
        return None
    found = session.scalars(
        select(StaffSession).where(StaffSession.token_hash == _token_hash(token))
    ).one_or_none()
    if found is None or _aware(found.expires_at) <= now or not found.staff.active:
        return None
    return found.staff


def end_session(session: Session, token: str) -> None:
    session.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
    session.flush()


def all_staff(session: Session) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.email)))


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes even for timezone-aware columns; they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
