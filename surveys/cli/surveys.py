"""``flask surveys ...``: surveys are data, managed from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from surveys import clock
from surveys.extensions import db
from surveys.services import catalogue

surveys_group = AppGroup("surveys", help="List, load, activate and deactivate surveys.")


@surveys_group.command("list")
def list_surveys() -> None:
    """Show every survey with its questions and whether it is offered today."""
    rows = catalogue.all_surveys(db.session)
    if not rows:
        click.echo("No surveys yet. Load the defaults with: flask surveys load-defaults")
        return
    today = clock.today()
    for survey in rows:
        state = "open" if survey.is_open(today) else ("inactive" if not survey.active else "closed")
        window = ""
        if survey.opens_on or survey.closes_on:
            window = f" [{survey.opens_on or '…'} to {survey.closes_on or '…'}]"
        click.echo(f"{survey.slug:<24} {state:<8} {', '.join(survey.questions)}{window}")


@surveys_group.command("load")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def load(file: Path) -> None:
    """Create or update surveys from a YAML or JSON FILE (all or nothing)."""
    try:
        specs = catalogue.read_file(file)
    except catalogue.InvalidSurveyFile as error:
        click.echo(f"Nothing loaded: {file} has problems:", err=True)
        for problem in error.problems:
            click.echo(f"  - {problem}", err=True)
        raise SystemExit(1) from None
    created, updated = catalogue.apply(db.session, specs)
    db.session.commit()
    click.echo(f"Loaded {file}: {created} created, {updated} updated.")


@surveys_group.command("load-defaults")
def load_defaults() -> None:
    """Create the shipped surveys that do not exist yet (safe to run again)."""
    created = catalogue.load_defaults(db.session)
    db.session.commit()
    click.echo(
        f"Default surveys: {created} created." if created else "Default surveys already loaded."
    )


def _set_active(slug: str, active: bool) -> None:
    survey = catalogue.find(db.session, slug)
    if survey is None:
        click.echo(f"No survey with slug {slug!r}. See: flask surveys list", err=True)
        raise SystemExit(1)
    survey.active = active
    db.session.commit()
    click.echo(f"{slug} is now {'active' if active else 'inactive'}.")


@surveys_group.command("activate")
@click.argument("slug")
def activate(slug: str) -> None:
    """Offer SLUG to shoppers (within its date window, if it has one)."""
    _set_active(slug, True)


@surveys_group.command("deactivate")
@click.argument("slug")
def deactivate(slug: str) -> None:
    """Stop offering SLUG; its answers are kept."""
    _set_active(slug, False)
