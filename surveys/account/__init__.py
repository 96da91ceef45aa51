"""The "My survey data" page: answers, consents, receipts, profile reads, export, deletion."""

from flask import Blueprint

bp = Blueprint("account", __name__)

from surveys.account import views  # noqa: E402, F401


@bp.app_context_processor
def consent_notice_version() -> dict[str, str]:
    from surveys.services.consent import NOTICE_VERSION

    return {"consent_notice_version": NOTICE_VERSION}


@bp.app_template_filter("shown")
def shown_time(moment, style: str = "long") -> str:  # type: ignore[no-untyped-def]
    """``{{ record.given_at|shown }}``: a time in Nigerian time (WAT), the zone named."""
    from surveys.clock import shown

    return shown(moment, style)
