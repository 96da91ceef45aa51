"""Time in UTC: whole days for the answers store, exact times for the identity store."""

from datetime import UTC, date, datetime, timedelta


def today() -> date:
    return datetime.now(UTC).date()


def now() -> datetime:
    """The current time, timezone-aware UTC: for the identity store only."""
    return datetime.now(UTC)


def next_whole_hour(moment: datetime) -> datetime:
    """``moment`` rounded up to the hour: for expiry times in the identity store, which must
    not say to the second when someone signed in (rounding up never ends anything early)."""
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(hours=1)
