"""API clients: made and revoked from the command line, recognised by the hash of their token.

A token is 32 random bytes, so one SHA-256 of it is as good as a password hash for finding
it and costs a microsecond on the hot path; the token itself is printed once and never kept.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, Row, bindparam, select, true, update
from sqlalchemy.orm import Session

from surveys.models import ApiClient, WebhookDelivery
from surveys.models.api import CHANGES_READ, PROFILES_READ, SCOPES
from surveys.services import profiles

# Prefixes only, so that a leaked token or secret is recognisable (e.g. by secret scanners).
TOKEN_PREFIX = "svy_"  # noqa: S105  # nosec B105
WEBHOOK_SECRET_PREFIX = "whsec_"  # noqa: S105  # nosec B105
#: What the scopes default to: everything a recommender needs, reading and keeping up to date.
DEFAULT_SCOPES = (PROFILES_READ, CHANGES_READ)
NAME = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$")
#: Longer than any token we issue: such a header is refused before it is hashed.
MAX_TOKEN_LENGTH = 128


class ClientError(ValueError):
    """The client cannot be made or changed; the message says why, for the operator."""


@dataclass(frozen=True, slots=True)
class NewClient:
    client: ApiClient
    #: Shown once; only its hash is stored.
    token: str
    #: Shown once too (but kept, since every delivery is signed with it).
    webhook_secret: str | None


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated client, as much as a request needs to know about it."""

    name: str
    scopes: frozenset[str]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise ClientError(
            "A client name is 1 to 64 lower-case letters, digits, '.', '_' or '-', "
            "starting and ending with a letter or digit (e.g. 'recommender')."
        )
    return name


#: The longest display name: it has to fit in a table cell on a phone.
DISPLAY_NAME_LENGTH = 100


def check_display_name(display_name: str) -> str:
    """What shoppers will read: 1 to 100 printable characters, spaces trimmed."""
    cleaned = " ".join(display_name.split())
    if not cleaned or len(cleaned) > DISPLAY_NAME_LENGTH or not cleaned.isprintable():
        raise ClientError(
            f"A display name is 1 to {DISPLAY_NAME_LENGTH} printable characters that say to a "
            "shopper who reads their profile (e.g. 'Product recommendations')."
        )
    return cleaned


def check_scopes(scopes: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(scopes))
    unknown = [scope for scope in chosen if scope not in SCOPES]
    if unknown:
        raise ClientError(f"Unknown scope {unknown[0]!r}; the scopes are: {', '.join(SCOPES)}.")
    if not chosen:
        raise ClientError(f"Give at least one scope: {', '.join(SCOPES)}.")
    return [scope for scope in SCOPES if scope in chosen]


def check_webhook_url(url: str) -> str:
    """An absolute http(s) URL without credentials in it (the signature is the credential)."""
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise ClientError("The webhook URL must be an absolute http:// or https:// URL.")
    if parts.username or parts.password:
        raise ClientError("Put no user name or password in the webhook URL.")
    if len(url) > 2048:
        raise ClientError("The webhook URL is longer than 2048 characters.")
    return url


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def find(session: Session, name: str) -> ApiClient | None:
    return session.scalars(select(ApiClient).where(ApiClient.name == name)).one_or_none()


def create(
    session: Session,
    name: str,
    scopes: Iterable[str],
    now: datetime,
    webhook_url: str | None = None,
    display_name: str | None = None,
) -> NewClient:
    """Make a client and its token; :class:`ClientError` (and nothing written) if it cannot.

    ``display_name`` is what shoppers see as the reader of their profile (default: ``name``).
    """
    check_name(name)
    shown_as = check_display_name(display_name) if display_name is not None else name
    chosen = check_scopes(scopes)
    if webhook_url is not None:
        check_webhook_url(webhook_url)
        if CHANGES_READ not in chosen:
            raise ClientError(f"A client with a webhook needs the {CHANGES_READ!r} scope.")
    if find(session, name) is not None:
        raise ClientError(f"A client named {name!r} already exists.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    secret = new_webhook_secret() if webhook_url is not None else None
    client = ApiClient(
        name=name,
        display_name=shown_as,
        token_hash=hash_token(token),
        token_prefix=token[:8],
        scopes=" ".join(chosen),
        created_at=now,
        webhook_url=webhook_url,
        webhook_secret=secret,
    )
    session.add(client)
    session.flush()
    return NewClient(client, token, secret)


def display_names(session: Session) -> dict[str, str]:
    """Client name -> what shoppers see (revoked clients too: their past reads stay listed)."""
    rows = session.execute(select(ApiClient.name, ApiClient.display_name))
    return {name: display_name for name, display_name in rows}


def all_clients(session: Session) -> list[ApiClient]:
    return list(session.scalars(select(ApiClient).order_by(ApiClient.name)))


def revoke(session: Session, name: str, now: datetime) -> ApiClient:
    """Refuse the client's token from now on and stop pushing events to it.

    Revoking twice is harmless: the first time stands.
    """
    client = find(session, name)
    if client is None:
        raise ClientError(f"There is no client named {name!r}. See: flask clients list")
    if client.revoked_at is None:
        client.revoked_at = now
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.client_id == client.id, WebhookDelivery.failed_at.is_(None))
            .values(next_attempt_at=None, failed_at=now, last_error="client revoked")
        )
    session.flush()
    return client


def authenticate(identity: Connection, token: str) -> Caller | None:
    """The client holding ``token``, or None if it is unknown or revoked (one indexed query).

    No cache: a revoked token is refused from the very next request, in every worker."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = identity.execute(_FIND_CALLER, {"token_hash": hash_token(token)}).first()
    if row is None:
        return None
    return Caller(row[0], frozenset(row[1].split()))


def authenticate_reading(
    identity: Connection, token: str, subject: str
) -> tuple[Caller | None, list[Row[Any]]]:
    """The client holding ``token`` (as :func:`authenticate`) and, in the same statement, the
    consent of ``subject`` as :func:`surveys.services.profiles.profiles_of` reads it (no row:
    no profile). One round trip instead of two for a single profile read; the consent is only
    used once the caller is known to have the scope, and never when it is not."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None, []
    row = identity.execute(
        _FIND_CALLER_AND_CONSENT, {"token_hash": hash_token(token), "subjects": subject}
    ).first()
    if row is None:
        return None, []
    consent = row[2:]
    return Caller(row[0], frozenset(row[1].split())), [consent] if consent[0] is not None else []


_clients = ApiClient.__table__
#: Built once: the hot path only binds the hash.
_FIND_CALLER = select(_clients.c.name, _clients.c.scopes).where(
    _clients.c.token_hash == bindparam("token_hash"), _clients.c.revoked_at.is_(None)
)
_one_consent = profiles.ONE_CONSENT.subquery("consent")
#: The caller, and the subject's consent row (all NULL when there is none) beside it.
_FIND_CALLER_AND_CONSENT = (
    select(_clients.c.name, _clients.c.scopes, *_one_consent.c)
    .select_from(_clients.outerjoin(_one_consent, true()))
    .where(_clients.c.token_hash == bindparam("token_hash"), _clients.c.revoked_at.is_(None))
)
