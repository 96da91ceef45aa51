"""The identity store: who a signed-in shopper is, and what they consented to.

It never holds answers. A shopper is known only by the shop's customer id (the *subject*). The
one way from a subject to answers is :class:`ConsentLink`, which exists only while a consent is
active and holds the respondent key encrypted; the answers store is never told about it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    String,
    Text,
    TypeDecorator,
    Uuid,
    event,
)
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, relationship

from surveys.extensions import db

IDENTITY = "identity"


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC time on every backend (SQLite forgets the zone; this restores it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("times in the identity store must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UsedToken(db.Model):  # type: ignore[name-defined]
    """A shop hand-off token id (``jti``) already used: a replay is refused."""

    __bind_key__ = IDENTITY
    __tablename__ = "used_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    jti: Mapped[str] = mapped_column(String(128), unique=True)
    #: Kept until the token would have expired anyway, then purged.
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ShopperSession(db.Model):  # type: ignore[name-defined]
    """A signed-in shopper's session, kept here so that no cookie ever carries the subject.

    The browser holds a signed random token; only its SHA-256 is stored, so a copy of this
    table cannot be turned back into a working cookie.
    """

    __bind_key__ = IDENTITY
    __tablename__ = "shopper_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(String(128), index=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    #: "No thanks" to the personalisation offer: not offered again after surveys this session.
    declined_offer: Mapped[bool] = mapped_column(Boolean, default=False)


GIVEN = "given"
WITHDRAWN = "withdrawn"


class ConsentRecord(db.Model):  # type: ignore[name-defined]
    """One consent event, never changed or deleted: the history is the proof.

    Giving, changing and withdrawing each add a record; the newest one is the shopper's
    current choice. It says *which* attributes, never their values.
    """

    __bind_key__ = IDENTITY
    __tablename__ = "consent_records"
    __table_args__ = (
        CheckConstraint("status IN ('given', 'withdrawn')", name="status_known"),
        CheckConstraint("purpose = 'personalisation'", name="purpose_known"),
        # What happened to the answers is said exactly when consent is withdrawn.
        CheckConstraint(
            "(status = 'given' AND answers_after IS NULL) OR "
            "(status = 'withdrawn' AND answers_after IS NOT NULL "
            "AND answers_after IN ('kept_anonymous', 'deleted'))",
            name="answers_after_on_withdrawal",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    #: The id printed on the shopper's consent receipt.
    receipt_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    subject: Mapped[str] = mapped_column(String(128), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    #: Question keys (see :data:`surveys.questions.QUESTIONS`) the shopper ticked.
    attributes: Mapped[list[str]] = mapped_column(JSON)
    #: Version of the consent text the shopper was shown.
    notice_version: Mapped[str] = mapped_column(String(32))
    #: The language of that text the shopper read (``en``, ``pcm``, ``ha``, ``yo``, ``ig``):
    #: each language's notice is its own text, under the same version. A record made without
    #: saying (a script, a test) is on the English text, as every record before 0009 was.
    notice_language: Mapped[str] = mapped_column(String(8), default="en")
    given_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    #: How it was given, e.g. ``web-form-after-survey`` or ``privacy-page``.
    method: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    #: On withdrawal: ``kept_anonymous`` or ``deleted``.
    answers_after: Mapped[str | None] = mapped_column(String(16))


class ConsentLink(db.Model):  # type: ignore[name-defined]
    """The only path from a subject to answers; exists only while a consent is active.

    It holds the respondent key (whose SHA-256 finds the answers) encrypted with
    ``LINK_ENCRYPTION_KEY``, so that neither store alone can join a person to answers.
    """

    __bind_key__ = IDENTITY
    __tablename__ = "consent_links"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    subject: Mapped[str] = mapped_column(String(128), unique=True)
    #: Fernet token of the respondent key.
    encrypted_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: HMAC of the respondent hash under a key derived from ``LINK_ENCRYPTION_KEY``: lets a
    #: change to answers find the consenting subject (for the profile API's change feed)
    #: without a scan, while neither store alone can still join a person to answers.
    respondent_lookup: Mapped[str | None] = mapped_column(String(64), index=True)


class ProfileRead(db.Model):  # type: ignore[name-defined]
    """A read of a shopper's profile by an API client, shown to the shopper on ``/me``."""

    __bind_key__ = IDENTITY
    __tablename__ = "profile_reads"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    subject: Mapped[str] = mapped_column(String(128), index=True)
    #: The API client's name, as the shopper should see it.
    client: Mapped[str] = mapped_column(String(64))
    #: Question keys whose values were returned (never the values).
    attributes: Mapped[list[str]] = mapped_column(JSON)
    read_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class AppendOnlyViolation(RuntimeError):
    """Something tried to change or delete a consent record."""


@event.listens_for(Session, "before_flush")
def _refuse_changed_consent_records(session: Session, flush_context: Any, instances: Any) -> None:
    for record in list(session.dirty) + list(session.deleted):
        if isinstance(record, ConsentRecord) and (
            record in session.deleted or session.is_modified(record)
        ):
            raise AppendOnlyViolation("consent records are never changed or deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_consent_changes(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is ConsentRecord for mapper in state.all_mappers
    ):
        raise AppendOnlyViolation("consent records are never changed or deleted")


#: Staff roles: analysts read the dashboard; admins also see the staff list.
ANALYST = "analyst"
ADMIN = "admin"
ROLES = (ANALYST, ADMIN)


class StaffUser(db.Model):  # type: ignore[name-defined]
    """A member of staff who may read the dashboard's aggregates (never a single response)."""

    __bind_key__ = IDENTITY
    __tablename__ = "staff_users"
    __table_args__ = (CheckConstraint("role IN ('analyst', 'admin')", name="known_role"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    #: Lower-cased when stored, so that sign-in does not depend on capitals.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    #: Argon2id hash, with its parameters, as argon2-cffi writes it.
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StaffSession(db.Model):  # type: ignore[name-defined]
    """One signed-in browser. The cookie holds a random token; only its SHA-256 is kept here,
    so a copy of this table cannot be turned back into a session."""

    __bind_key__ = IDENTITY
    __tablename__ = "staff_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: Absolute end of the session, whatever the activity.
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    staff: Mapped[StaffUser] = relationship(lazy="joined")
