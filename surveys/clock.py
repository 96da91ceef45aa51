"""Today's date in UTC: the only time the answers store knows."""

from datetime import UTC, date, datetime


def today() -> date:
    return datetime.now(UTC).date()


def now() -> datetime:
    return datetime.now(UTC)
