"""The dashboard's released numbers: noisy counts, drawn once per closed week and then fixed.

They live in the answers store (so that a read replica of it serves the dashboard), but hold
no person: each row is a week's noisy table of counts for a survey (or of consent choices),
with the noise scale it was drawn at, so every margin of error can be worked out from it.
See :mod:`surveys.services.reporting`.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveys.extensions import db
from surveys.models.answers import ANSWERS

SURVEY = "survey"
CONSENT = "consent"


class Release(db.Model):  # type: ignore[name-defined]
    """One week's release: of one survey's answers, or of the week's consent choices.

    Written once by :func:`surveys.services.reporting.release.release_due_weeks` and never
    changed: a change or deletion of answers after the week closed does not reopen it.
    """

    __bind_key__ = ANSWERS
    __tablename__ = "releases"
    __table_args__ = (
        # A week is released once per scope; a second release job finds it taken.
        UniqueConstraint("scope", "week", name="uq_releases_scope_week"),
        CheckConstraint("kind IN ('survey', 'consent')", name="known_kind"),
        CheckConstraint("(kind = 'survey') = (survey_id IS NOT NULL)", name="survey_iff_kind"),
        CheckConstraint("rho > 0", name="positive_rho"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(16))
    survey_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), index=True
    )
    #: The survey's id as text, or "consent": what makes a week's release unique.
    scope: Mapped[str] = mapped_column(String(40))
    #: The Monday of the ISO week (UTC) whose data this is.
    week: Mapped[date] = mapped_column(Date)
    #: The day the release was made (days only, like everything in this store).
    released_on: Mapped[date] = mapped_column(Date)
    #: Privacy loss of this release for one response (or one subject's week of consent
    #: choices), in zero-concentrated DP: the sum of its tables' ``rho`` per that unit.
    rho: Mapped[float] = mapped_column(Float)

    tables: Mapped[list[ReleaseTable]] = relationship(
        back_populates="release", cascade="all, delete-orphan"
    )


class ReleaseTable(db.Model):  # type: ignore[name-defined]
    """One noisy table of a release: a vector of counts over a fixed public list of cells."""

    __bind_key__ = ANSWERS
    __tablename__ = "release_tables"
    __table_args__ = (
        UniqueConstraint("release_id", "table_key", name="uq_release_tables_release_table"),
        CheckConstraint("sigma > 0", name="positive_sigma"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    release_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("releases.id", ondelete="CASCADE"), index=True
    )
    #: Which table, e.g. "state", "lga", "age_band@state", "age_band+gender@national".
    table_key: Mapped[str] = mapped_column(String(64))
    #: Fingerprint of the table's cell list, so that a later change of the public lists can
    #: never misread an old vector.
    layout: Mapped[str] = mapped_column(String(16))
    #: Scale of the discrete Gaussian noise added to every cell.
    sigma: Mapped[float] = mapped_column(Float)
    #: Privacy loss of this table for one unit (``unit``), zCDP.
    rho: Mapped[float] = mapped_column(Float)
    #: Whose privacy ``rho`` is stated for: "response", "subject" (a consent week) or "event".
    unit: Mapped[str] = mapped_column(String(16))
    #: The noisy counts, in the layout's cell order.
    counts: Mapped[list[int]] = mapped_column(JSON)

    release: Mapped[Release] = relationship(back_populates="tables")
