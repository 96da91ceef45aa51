"""``flask answers settle``: the nightly job that alone writes the answers store's clear rows."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from surveys import clock
from surveys.extensions import db
from surveys.services import retention
from surveys.services.answers import journal, settle
from surveys.services.answers.scrub import ScrubError
from surveys.services.answers.sealing import UnreadableEntry
from surveys.services.consent import cipher_for

answers_group = AppGroup("answers", help="The answers store's nightly settle.")


@answers_group.command("settle")
@click.option(
    "--include-today",
    is_flag=True,
    help="Also settle today's entries (maintenance only, e.g. before a downgrade: it splits "
    "today's answers between two settles).",
)
def settle_command(include_today: bool) -> None:
    """Apply the journal entries of earlier days to the clear rows, in one transaction and a
    random order; delete answers past ANSWER_RETENTION_DAYS that no consent links and
    expired "Not now"s; then clear deleted rows from the files. Run it daily just after
    00:00 UTC (deploy/systemd/), as the role that owns the tables. Safe to run again."""
    config = current_app.config
    keep = retention.linked_respondent_hashes(db.session, cipher_for(config["LINK_ENCRYPTION_KEY"]))
    try:
        done = settle.settle(
            db.session,
            clock.today(),
            sealer=journal.sealer(),
            # As /privacy states it: both read it through retention.Periods.
            retention_days=retention.Periods.from_config(config).answer_days,
            keep=keep,
            include_today=include_today,
        )
    except settle.SettleBusy as error:
        click.echo(f"Nothing done: {error}. Try again when it has finished.", err=True)
        raise SystemExit(1) from None
    except (ScrubError, UnreadableEntry) as error:
        click.echo(f"Settle failed: {error}", err=True)
        raise SystemExit(1) from None
    click.echo(
        f"Journal entries settled: {done.entries} ({done.pending} of today left for tomorrow)"
    )
    click.echo(f"Answers written: {done.responses_written}; deleted: {done.responses_deleted} "
               f"(of which past retention: {done.purged})")  # fmt: skip
    click.echo(f"“Not now”s written: {done.dismissals_written}; deleted: {done.dismissals_deleted}")
    click.echo(f"Funnel counters written: {done.funnel_rows}")
    for line in done.scrubbed:
        click.echo(f"Remnants: {line}")
    click.echo("Took: " + ", ".join(f"{name} {s:.1f} s" for name, s in done.seconds.items()))
