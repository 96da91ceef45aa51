"""The "My survey data" page: answers, consents, receipts, profile reads, export, deletion."""

from flask import Blueprint

bp = Blueprint("account", __name__)

from surveys.account import views  # noqa: E402, F401


@bp.app_template_filter("shown")
def shown_time(moment, style: str = "long") -> str:  # type: ignore[no-untyped-def]
    """``{{ record.given_at|shown }}``: a time in Nigerian time (WAT), the zone named, with
    the month's name in the page's language ("3 December 2026 at 14:05 WAT")."""
    from flask_babel import format_date, gettext

    from surveys.clock import WAT, shown

    if style != "long" or moment.tzinfo is None:
        return shown(moment, style)  # all digits (or the error for a naive time)
    local = moment.astimezone(WAT)
    return gettext(
        "%(date)s at %(time)s WAT",
        date=format_date(local.date(), "d MMMM y"),
        time=local.strftime("%H:%M"),
    )
