"""``flask demo ...`` and ``flask dashboard ...``: synthetic data and rollup upkeep."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import delete, insert, select

from surveys import clock
from surveys.extensions import db
from surveys.models import FunnelCount, Response, Survey
from surveys.services import catalogue, demo, funnel, rollups

demo_group = AppGroup("demo", help="Synthetic data for trying the dashboard (never in production).")
dashboard_group = AppGroup("dashboard", help="Keep the dashboard's rollups in step.")


@demo_group.command("seed")
@click.option("--responses", type=click.IntRange(min=1), default=5000, show_default=True)
@click.option("--weeks", type=click.IntRange(min=1, max=104), default=26, show_default=True)
@click.option("--seed", "seed_value", type=int, default=None, help="For repeatable data.")
@click.option("--if-empty", is_flag=True, help="Only when the answers store has no answers yet.")
def seed(responses: int, weeks: int, seed_value: int | None, if_empty: bool) -> None:
    """Add N synthetic responses over the last WEEKS weeks, with a funnel to match."""
    if current_app.config["SURVEYS_ENV"] == "production":
        click.echo("Refusing to add synthetic answers in production.", err=True)
        raise SystemExit(1)
    if if_empty and db.session.scalar(select(Response.id).limit(1)) is not None:
        click.echo("The answers store already has answers: no demo data added.")
        return
    catalogue.load_defaults(db.session)
    surveys = catalogue.all_surveys(db.session)
    today = clock.today()
    with click.progressbar(length=responses, label="Adding responses") as bar:
        done = demo.seed(
            db.session, surveys, responses, today, weeks=weeks, seed_value=seed_value,
            progress=bar.update,
        )  # fmt: skip
    _seed_funnel(surveys, done, today, weeks)
    db.session.commit()
    click.echo(f"Added {done} responses to {len(surveys)} surveys; rollups rebuilt.")


def _seed_funnel(surveys: list[Survey], responses: int, today: date, weeks: int) -> None:
    """Plausible funnel counters: about three showings and 1.2 starts per completion."""
    factors = {funnel.SHOWN: 3.0, funnel.STARTED: 1.2, funnel.COMPLETED: 1.0, funnel.NOT_NOW: 0.6}
    days = weeks * 7
    per_day = max(1, responses // days // len(surveys))
    rows = [
        {
            "id": uuid.uuid4(),
            "survey_id": survey.id,
            "day": today - timedelta(days=days_ago),
            "event": event,
            "count": int(per_day * factor * (0.5 + (days - days_ago) / days)),
        }
        for survey in surveys
        for days_ago in range(days)
        for event, factor in factors.items()
    ]
    db.session.execute(delete(FunnelCount).where(FunnelCount.day > today - timedelta(days=days)))
    db.session.execute(insert(FunnelCount), rows)


@dashboard_group.command("rebuild-rollups")
def rebuild_rollups() -> None:
    """Recount every rollup from the raw answers (after a restore, or if a check fails)."""
    counted = rollups.rebuild(db.session)
    db.session.commit()
    click.echo(f"Rollups rebuilt from {counted} responses.")


@dashboard_group.command("check-rollups")
def check_rollups() -> None:
    """Compare the rollups with a recount of the raw answers; exit 1 if they differ."""
    if rollups.stored(db.session) != rollups.recount(db.session):
        click.echo("The rollups differ from the raw answers: run flask dashboard rebuild-rollups")
        raise SystemExit(1)
    click.echo("The rollups match the raw answers.")
