"""Time in UTC: whole days for the answers store, exact times for the identity store.

Times are kept and exported in UTC; only what a person reads on a page is shown in
Nigerian time (:func:`shown`).
"""

from datetime import UTC, date, datetime, timedelta, timezone

#: West Africa Time, Nigeria's only zone: UTC+1 all year (no daylight saving), so a fixed
#: offset is exact and needs no time-zone database on the server.
WAT = timezone(timedelta(hours=1), "WAT")


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


#: How :func:`shown` writes a time: in a sentence, or in a table column.
SHOWN_FORMATS = {"long": "%-d %B %Y at %H:%M %Z", "short": "%Y-%m-%d %H:%M %Z"}


def shown(moment: datetime, style: str = "long") -> str:
    """``moment`` (timezone-aware) as a person in Nigeria reads it, the zone named:
    "3 December 2026 at 14:05 WAT" (long) or "2026-12-03 14:05 WAT" (short)."""
    if moment.tzinfo is None:
        raise ValueError("a time shown to people must be timezone-aware")
    return moment.astimezone(WAT).strftime(SHOWN_FORMATS[style])
