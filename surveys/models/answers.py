"""The answers store: what people answered, never who they are.

Nothing here can tie a row to a person or to the identity store. Rows are keyed by random
UUIDs (no sequence that reveals order), times are whole days, and a respondent is only the
SHA-256 of a random key that their browser alone holds.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveys.extensions import db

ANSWERS = "answers"


class Survey(db.Model):  # type: ignore[name-defined]
    """A survey is data: which questions, in what order, and when it is offered."""

    __bind_key__ = ANSWERS
    __tablename__ = "surveys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    intro: Mapped[str] = mapped_column(Text, default="")
    #: Ordered list of question keys from :data:`surveys.questions.QUESTIONS`.
    questions: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Optional window, in whole days; outside it the survey is not offered.
    opens_on: Mapped[date | None] = mapped_column(Date)
    closes_on: Mapped[date | None] = mapped_column(Date)

    def is_open(self, today: date) -> bool:
        if not self.active:
            return False
        if self.opens_on and today < self.opens_on:
            return False
        return not (self.closes_on and today > self.closes_on)


class Response(db.Model):  # type: ignore[name-defined]
    """One browser's answers to one survey. A skipped question is NULL."""

    __bind_key__ = ANSWERS
    __tablename__ = "responses"
    __table_args__ = (
        UniqueConstraint("survey_id", "respondent_hash"),
        # Children's answers are never kept: the schema refuses them too.
        CheckConstraint("age_band IS NULL OR age_band <> 'under_18'", name="no_minors"),
        # An LGA is only ever stored inside the state it belongs to.
        CheckConstraint(
            "lga_code IS NULL OR lga_code = 'prefer_not_to_say' "
            "OR (state_code IS NOT NULL AND lga_code LIKE state_code || '-%')",
            name="lga_in_state",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    survey_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    #: SHA-256 of the random respondent key in the browser's cookie; the key itself is not kept.
    respondent_hash: Mapped[str] = mapped_column(String(64), index=True)
    state_code: Mapped[str | None] = mapped_column(String(32))
    lga_code: Mapped[str | None] = mapped_column(String(32))
    age_band: Mapped[str | None] = mapped_column(String(32))
    income_band: Mapped[str | None] = mapped_column(String(32))
    gender: Mapped[str | None] = mapped_column(String(32))
    #: Days only: a finer time could be matched against the shop's own logs.
    submitted_on: Mapped[date] = mapped_column(Date)
    updated_on: Mapped[date] = mapped_column(Date)

    survey: Mapped[Survey] = relationship(lazy="joined")

    def answers(self) -> dict[str, str | None]:
        return {key: getattr(self, column) for key, column in ANSWER_COLUMNS.items()}


#: Question key -> column of :class:`Response`.
ANSWER_COLUMNS: dict[str, str] = {
    "state": "state_code",
    "lga": "lga_code",
    "age_band": "age_band",
    "income_band": "income_band",
    "gender": "gender",
}


class Dismissal(db.Model):  # type: ignore[name-defined]
    """'Not now': this browser is not offered this survey again until a day has passed."""

    __bind_key__ = ANSWERS
    __tablename__ = "dismissals"
    __table_args__ = (UniqueConstraint("survey_id", "respondent_hash"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    survey_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    respondent_hash: Mapped[str] = mapped_column(String(64), index=True)
    until: Mapped[date] = mapped_column(Date)


class FunnelCount(db.Model):  # type: ignore[name-defined]
    """Counts of survey events per day, with no respondent attached (shown, completed, ...)."""

    __bind_key__ = ANSWERS
    __tablename__ = "funnel_counts"
    __table_args__ = (UniqueConstraint("survey_id", "day", "event"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    survey_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    #: One of :data:`surveys.services.funnel.EVENTS`.
    event: Mapped[str] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(Integer, default=0)


#: How the dashboard's tables name a question the respondent skipped.
SKIPPED = "skipped"
