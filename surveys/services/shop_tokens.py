"""The shop's hand-off token: a short-lived HS256 JWT that says which customer is here.

The shop signs customers in; this service only checks the shop's signature, that the token is
meant for us, that it is fresh and short-lived, and that it is used once. The token is the
only thing that can start a session, so every failure is refused with its reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

import jwt
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from surveys.clock import next_whole_hour
from surveys.models import UsedToken

AUDIENCE = "surveys"
ALGORITHM = "HS256"
#: The longest a token may live (``exp - iat``), in seconds.
MAX_LIFETIME = 600
#: Clock difference between the shop and us that is forgiven, in seconds.
LEEWAY = 30
MAX_SUBJECT_LENGTH = 128
MAX_JTI_LENGTH = 128
#: A real token is a few hundred bytes; refuse anything far larger before parsing it.
MAX_TOKEN_LENGTH = 4096


class Failure(Enum):
    MISSING = "missing"
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    WRONG_AUDIENCE = "wrong_audience"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    TOO_LONG_LIVED = "too_long_lived"
    REPLAYED = "replayed"


class InvalidShopToken(ValueError):
    """The token cannot start a session; ``failure`` says why."""

    def __init__(self, failure: Failure):
        super().__init__(failure.value)
        self.failure = failure


def verify(session: Session, token: str | None, signing_key: str) -> str:
    """Check a hand-off token and use up its ``jti``; returns the subject.

    Raises :class:`InvalidShopToken`. Nothing is written unless the token is valid.
    """
    if not token:
        raise InvalidShopToken(Failure.MISSING)
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidShopToken(Failure.MALFORMED)
    try:
        claims = jwt.decode(
            token,
            signing_key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            leeway=LEEWAY,
            options={"require": ["sub", "aud", "iat", "exp", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidShopToken(Failure.EXPIRED) from None
    except jwt.ImmatureSignatureError:
        raise InvalidShopToken(Failure.NOT_YET_VALID) from None
    except (jwt.InvalidAudienceError, jwt.InvalidIssuerError):
        raise InvalidShopToken(Failure.WRONG_AUDIENCE) from None
    except jwt.InvalidSignatureError:
        raise InvalidShopToken(Failure.BAD_SIGNATURE) from None
    except jwt.InvalidTokenError:
        raise InvalidShopToken(Failure.MALFORMED) from None

    subject, jti, issued, expires = claims["sub"], claims["jti"], claims["iat"], claims["exp"]
    if claims["aud"] != AUDIENCE:
        # A list of audiences that merely includes ours is a token meant for someone else too.
        raise InvalidShopToken(Failure.WRONG_AUDIENCE)
    if not _printable(subject, MAX_SUBJECT_LENGTH) or not _printable(jti, MAX_JTI_LENGTH):
        raise InvalidShopToken(Failure.MALFORMED)
    if not isinstance(issued, int | float) or not isinstance(expires, int | float):
        raise InvalidShopToken(Failure.MALFORMED)
    if expires - issued > MAX_LIFETIME:
        raise InvalidShopToken(Failure.TOO_LONG_LIVED)

    # Kept until the token could no longer be used anyway; rounded up to the hour so that
    # the row does not say when the shopper was handed over (the token's own expiry would).
    _use_once(session, jti, next_whole_hour(datetime.fromtimestamp(expires + LEEWAY, UTC)))
    return subject


def _printable(value: object, max_length: int) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= max_length
        and value.isprintable()
        and value.strip() == value
    )


def _use_once(session: Session, jti: str, keep_until: datetime) -> None:
    if session.scalar(select(UsedToken.id).where(UsedToken.jti == jti)) is not None:
        raise InvalidShopToken(Failure.REPLAYED)
    try:
        with session.begin_nested():
            session.add(UsedToken(jti=jti, expires_at=keep_until))
    except IntegrityError:
        # The same token presented twice at once: only one of them wins.
        raise InvalidShopToken(Failure.REPLAYED) from None
    session.flush()


def purge_used(session: Session, now: datetime) -> int:
    """Forget token ids that have expired anyway: a replay of them is refused as expired."""
    result = session.execute(delete(UsedToken).where(UsedToken.expires_at < now))
    session.flush()
    return int(result.rowcount)  # type: ignore[attr-defined]


def sign(signing_key: str, subject: str, jti: str, now: datetime, lifetime: int = 300) -> str:
    """Make a hand-off token as the shop would: for the ``/demo`` stand-in shop and tests."""
    issued = int(now.timestamp())
    return jwt.encode(
        {"sub": subject, "aud": AUDIENCE, "iat": issued, "exp": issued + lifetime, "jti": jti},
        signing_key,
        algorithm=ALGORITHM,
    )
