"""The answers store: what people answered, never who they are.

Nothing here can tie a row to a person or to the identity store. Rows are keyed by random
UUIDs (no sequence that reveals order), times are whole days, and a respondent is only the
SHA-256 of a random key that their browser alone holds.

Nor can the way rows are stored tie them to anyone: a visit never writes a clear row. It
appends one sealed entry to :class:`JournalEntry`, and the nightly settle
(:mod:`surveys.services.answers.settle`) writes the day's clear rows in one transaction, in a
random order. On SQLite every table here is ``WITHOUT ROWID`` (no hidden increasing row
number; the B-tree is ordered by the random key); see docs/privacy.md for what each engine
keeps and how the settle clears it.
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
    LargeBinary,
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
    #: Title and intro in other languages: ``{"ha": {"title": ..., "intro": ...}}``. A
    #: language (or a field) missing here falls back to the English ``title`` and ``intro``.
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)

    def title_in(self, language: str) -> str:
        return (self.translations or {}).get(language, {}).get("title") or self.title

    def intro_in(self, language: str) -> str:
        return (self.translations or {}).get(language, {}).get("intro") or self.intro

    @property
    def shown_title(self) -> str:
        """The title in the language of the page being shown."""
        from surveys.i18n import current_language

        return self.title_in(current_language())

    @property
    def shown_intro(self) -> str:
        from surveys.i18n import current_language

        return self.intro_in(current_language())

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
        # No hidden rowid whose order is the order of insertion (see the module docstring).
        {"sqlite_with_rowid": False},
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
    __table_args__ = (
        UniqueConstraint("survey_id", "respondent_hash"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    survey_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    respondent_hash: Mapped[str] = mapped_column(String(64), index=True)
    until: Mapped[date] = mapped_column(Date)


class FunnelCount(db.Model):  # type: ignore[name-defined]
    """Counts of survey events per day, with no respondent attached (shown, completed, ...)."""

    __bind_key__ = ANSWERS
    __tablename__ = "funnel_counts"
    __table_args__ = (
        UniqueConstraint("survey_id", "day", "event"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    survey_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    #: One of :data:`surveys.services.funnel.EVENTS`.
    event: Mapped[str] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(Integer, default=0)


#: How the dashboard's tables name a question the respondent skipped.
SKIPPED = "skipped"


class JournalEntry(db.Model):  # type: ignore[name-defined]
    """What one visit did to the answers store, sealed, until the nightly settle applies it.

    ``sealed`` is AES-GCM over a fixed-size padded payload (see
    :mod:`surveys.services.answers.sealing`): without ``ANSWERS_SEALING_KEY`` an entry says
    neither whose it is, nor what it holds, nor how much. ``tag`` lets the app find one
    browser's pending entries: an HMAC of the respondent hash under a key derived from the
    sealing key, so it cannot be computed from a ``respondent_hash`` without the key. Entries
    that change no browser's answers (a page view's funnel count) get a random tag.
    """

    __bind_key__ = ANSWERS
    __tablename__ = "answer_journal"
    __table_args__ = ({"sqlite_with_rowid": False},)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tag: Mapped[str] = mapped_column(String(64), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class FilesToClear(db.Model):  # type: ignore[name-defined]
    """Tables whose files may still hold rows the settle deleted: written in the settle's
    transaction, removed once the table has been rewritten. A rewrite that fails (a reader
    held the table too long) is so retried by the next run, however long that is, and even
    if autovacuum has meanwhile marked the space free (it does not wipe it)."""

    __bind_key__ = ANSWERS
    __tablename__ = "files_to_clear"
    __table_args__ = ({"sqlite_with_rowid": False},)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    #: A table of this store, by its name.
    relation: Mapped[str] = mapped_column(String(64), unique=True)
