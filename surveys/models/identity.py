"""The identity store: who a signed-in shopper is, and what they consented to.

It never holds answers. The consent work (issue 3) fills it; for now it holds the shop's
single-use token ids so that the store, its bind and its migrations exist from day one.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveys.extensions import db

IDENTITY = "identity"


class UsedToken(db.Model):  # type: ignore[name-defined]
    """A shop hand-off token id (``jti``) already used: a replay is refused."""

    __bind_key__ = IDENTITY
    __tablename__ = "used_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    jti: Mapped[str] = mapped_column(String(128), unique=True)
    #: Kept until the token would have expired anyway, then purged.
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


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
