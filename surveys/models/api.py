"""The identity store's side of the profile API: clients, the change feed and the webhook outbox.

Everything here lives in the identity store: it names subjects and clients, never answers.
The change feed may number its rows in order (the no-sequential-ids rule is the answers
store's); that order is what lets a client page through it with a cursor.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from surveys.extensions import db
from surveys.models.identity import IDENTITY, UtcDateTime

#: Read profiles (single and batch).
PROFILES_READ = "profiles:read"
#: Read the change feed and receive its events by webhook.
CHANGES_READ = "changes:read"
SCOPES = (PROFILES_READ, CHANGES_READ)

UPDATED = "updated"
WITHDRAWN = "withdrawn"
CHANGE_TYPES = (UPDATED, WITHDRAWN)


class ApiClient(db.Model):  # type: ignore[name-defined]
    """A service allowed to call the API, e.g. the shop's recommender.

    Only the SHA-256 of its bearer token is kept: the token itself is shown once, when the
    client is made, so a copy of this table cannot call the API.
    """

    __bind_key__ = IDENTITY
    __tablename__ = "api_clients"
    __table_args__ = (
        # A webhook cannot be signed without its secret, and a secret without a URL is no use.
        CheckConstraint(
            "(webhook_url IS NULL) = (webhook_secret IS NULL)", name="webhook_has_secret"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    #: The operator's short name for it (``flask clients ...``, the API's logs, profile reads).
    name: Mapped[str] = mapped_column(String(64), unique=True)
    #: What shoppers see on "My survey data" as the reader of their profile, e.g. "Product
    #: recommendations"; the name unless the operator gives one.
    display_name: Mapped[str] = mapped_column(String(100))
    #: SHA-256 (hex) of the bearer token.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The token's first characters, to recognise it in a list; too short to be used.
    token_prefix: Mapped[str] = mapped_column(String(16))
    #: Space-separated, as in OAuth: see :data:`SCOPES`.
    scopes: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    webhook_url: Mapped[str | None] = mapped_column(String(2048))
    #: ``whsec_`` + base64 key, kept as is because every delivery is signed with it.
    webhook_secret: Mapped[str | None] = mapped_column(String(100))

    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class ProfileChange(db.Model):  # type: ignore[name-defined]
    """One entry of the change feed: this subject's profile changed or was withdrawn.

    The id is the feed's cursor. Writers take a lock before inserting (see
    :func:`surveys.services.profile_changes.record`), so ids become visible in the order
    they were given and a reader that pages by id never skips a late commit.
    """

    __bind_key__ = IDENTITY
    __tablename__ = "profile_changes"
    __table_args__ = (
        CheckConstraint("type IN ('updated', 'withdrawn')", name="type_known"),
        # SQLite would otherwise reuse the highest id after a purge, moving cursors backwards.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    subject: Mapped[str] = mapped_column(String(128), index=True)
    #: ``updated`` or ``withdrawn``; the event never carries the profile itself.
    type: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class WebhookDelivery(db.Model):  # type: ignore[name-defined]
    """The outbox: one change to push to one client's webhook, until it is delivered.

    Written in the same transaction as the change, so an event is never lost; sent by
    ``flask webhooks run``, so the shopper's request never waits on a recommender. A row is
    deleted once delivered; one whose retries ran out stays, marked failed, for an operator.
    """

    __bind_key__ = IDENTITY
    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("client_id", "change_id"),)

    #: Also the ``webhook-id`` header: the same on every retry, so receivers can deduplicate.
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_clients.id", ondelete="CASCADE"))
    change_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("profile_changes.id", ondelete="CASCADE"),
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: When the worker should next try; NULL once given up.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    #: Set when the retries ran out; the row stays so an operator can see it.
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    #: What the last failed attempt got: an HTTP status or an error class name, never a body.
    last_error: Mapped[str | None] = mapped_column(String(64))
