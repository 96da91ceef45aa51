"""The identity store: who a signed-in shopper is, and what they consented to.

It never holds answers. The consent work (issue 3) fills it; for now it holds the shop's
single-use token ids so that the store, its bind and its migrations exist from day one.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

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
