"""Server-side sessions of signed-in shoppers.

The browser's cookie holds a random token (signed, so a made-up one is refused before any
database work); the store keeps the token's SHA-256, the subject and the expiry. The subject is
never in a cookie, and a new token is made at every sign-in so that a token planted before
sign-in is worthless after it.

The expiry is rounded up to a whole hour: stored to the microsecond, expiry minus the session
length was the moment of sign-in, for every signed-in shopper, consenting or not. A session
is deleted when its shopper signs out, and expired ones are deleted at every sign-in (and by
``flask retention purge``), so the table holds only live sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from surveys.clock import next_whole_hour
from surveys.models import ShopperSession

COOKIE_NAME = "signin"
_SALT = "shopper-session"
_TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def start(
    session: Session, subject: str, now: datetime, lifetime: timedelta, replacing: str | None
) -> str:
    """Start a session for ``subject``; returns the new token. ``replacing`` is ended first,
    and so is every expired session (one indexed delete: nothing lingers to be read)."""
    if replacing:
        end(session, replacing)
    purge_expired(session, now)
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    expires_at = next_whole_hour(now + lifetime)
    session.add(
        ShopperSession(token_hash=token_hash(token), subject=subject, expires_at=expires_at)
    )
    session.flush()
    return token


def find(session: Session, token: str | None, now: datetime) -> ShopperSession | None:
    """The live session for ``token``, or None (unknown, ended or expired)."""
    if not token:
        return None
    return session.scalars(
        select(ShopperSession).where(
            ShopperSession.token_hash == token_hash(token), ShopperSession.expires_at > now
        )
    ).one_or_none()


def end(session: Session, token: str) -> None:
    session.execute(delete(ShopperSession).where(ShopperSession.token_hash == token_hash(token)))
    session.flush()


def purge_expired(session: Session, now: datetime) -> int:
    result = session.execute(delete(ShopperSession).where(ShopperSession.expires_at <= now))
    session.flush()
    return int(result.rowcount)  # type: ignore[attr-defined]


def sign(secret_key: str, token: str) -> str:
    return URLSafeSerializer(secret_key, salt=_SALT).dumps(token)


def unsign(secret_key: str, cookie_value: str) -> str | None:
    """The token inside a cookie value; None if the cookie is forged or malformed."""
    try:
        token = URLSafeSerializer(secret_key, salt=_SALT).loads(cookie_value)
    except BadSignature:
        return None
    if not isinstance(token, str) or not 40 <= len(token) <= 64:
        return None
    return token
