"""Time in UTC: whole days for the answers store, exact times for the identity store."""

from datetime import UTC, date, datetime


def today() -> date:
    return datetime.now(UTC).date()


def now() -> datetime:
    """The current time, timezone-aware UTC: for the identity store only."""
    return datetime.now(UTC)
