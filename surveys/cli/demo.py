"""``flask demo ...`` and ``flask dashboard ...``: synthetic data and the weekly release."""

from __future__ import annotations

from datetime import date, datetime

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from surveys import clock
from surveys.extensions import db
from surveys.models import Response
from surveys.services import catalogue, demo
from surveys.services.answers import journal, settle
from surveys.services.reporting import release

demo_group = AppGroup("demo", help="Synthetic data for trying the dashboard (never in production).")
dashboard_group = AppGroup("dashboard", help="Release the dashboard's numbers for closed weeks.")


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
    # The funnel's counters from the same answers: completions per survey and day match.
    demo.seed_funnel(db.session, today, weeks)
    db.session.flush()
    released = release.release_due_weeks(db.session, _settled_until(today))
    db.session.commit()
    click.echo(f"Added {done} responses to {len(surveys)} surveys.")
    click.echo(_released_text(released))


def _settled_until(day: date) -> date:
    """``day``, or the first day whose answers still wait in the journal if that is earlier:
    a week released before all its answers are settled would be released without them, for
    good. The nightly settle releases such weeks itself once it has settled them."""
    pending = settle.earliest_pending_day(db.session, journal.sealer())
    if pending is not None and pending < day:
        click.echo(
            f"Answers from {pending:%d %b %Y} on are not settled yet: weeks from then on wait "
            "for `flask answers settle`."
        )
        return pending
    return day


def _released_text(weeks: list[date]) -> str:
    if not weeks:
        return "No week was due for release."
    span = (
        f"{weeks[0]:%d %b %Y}"
        if len(weeks) == 1
        else f"{weeks[0]:%d %b %Y} to {weeks[-1]:%d %b %Y}"
    )
    return f"Released {len(weeks)} week(s): the weeks of {span}."


@dashboard_group.command("release")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Release as of this day (UTC) instead of today; for catching up, never the future.",
)
def release_command(today: datetime | None) -> None:
    """Release every week that has ended, is wholly settled and is not released yet. The
    nightly `flask answers settle` does this itself; this is for catching up. A week is
    released once, with noise, and never again."""
    now = clock.today()
    day = today.date() if today else now
    if day > now:
        click.echo(
            "--today cannot be in the future: a week is released once it has ended.", err=True
        )
        raise SystemExit(2)
    released = release.release_due_weeks(db.session, _settled_until(day))
    db.session.commit()
    click.echo(_released_text(released))
