"""The attacker's tools for the dashboard attack tests: a seeded store, released, and the
dashboard's numbers exactly as its CSV exports give them (the same service calls the export
route makes, without the HTTP round trip, so that hundreds of exports fit in the suite)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from flask import Flask

from surveys import clock
from surveys.extensions import db
from surveys.services import catalogue
from surveys.services.reporting import exports
from surveys.services.reporting import release as releasing
from surveys.services.reporting import report as reports
from tests.conftest import settle_now

#: No noise at all (σ ≈ 0.0007): what the attacks get from raw counts, the control.
RAW_COUNTS = {"DASHBOARD_RHO": 1e6, "DASHBOARD_EVENT_RHO": 1e6, "DASHBOARD_CONSENT_RHO": 1e6}


def monday(weeks_ago: int) -> date:
    return releasing.week_of(clock.today()) - timedelta(weeks=weeks_ago)


def release_all(app: Flask) -> None:
    """What the nightly job does: settle the visits' journal entries, release ended weeks.
    (Without clearing the files of deleted rows: no dashboard attack reads the files, and on
    PostgreSQL the rewrite is most of a settle's time.)"""
    settle_now(app, clear_remnants=False)
    with app.app_context():
        releasing.release_due_weeks(db.session, clock.today())
        db.session.commit()


def export(app: Flask, key: str, slug: str = "about-you", **filters: str | None) -> list[list[str]]:
    """One CSV export, as the analyst downloads it (must be called in an app context); just
    the header when the view is withheld (the route answers 404 then)."""
    return exports_of(app, [key], slug, **filters)[key]


def exports_of(
    app: Flask,
    keys: list[str],
    slug: str = "about-you",
    weeks: list[date] | None = None,
    **filters: str | None,
) -> dict[str, list[list[str]]]:
    """Several CSV exports of one view at once (one report, as many files). ``weeks``: the
    released weeks, as the page's week filter lists them (read afresh when not given)."""
    survey = catalogue.find(db.session, slug)
    if weeks is None:
        weeks = reports.released_weeks(db.session, survey.id)
    view = reports.make_view(survey, clock.today(), weeks, **filters)
    report = reports.build_report(
        db.session, view, min_cell=app.config["DASHBOARD_MIN_CELL"], keys=set(keys)
    )
    if report.withheld:
        return {key: [[]] for key in keys}
    return {key: list(csv.reader(io.StringIO(exports.to_csv(report, key)))) for key in keys}


def number(text: str) -> int | None:
    """A CSV value as the attacker reads it: a count, or None for "fewer than 10"."""
    return int(text) if text.lstrip("-").isdigit() else None
