"""``flask staff ...``: staff accounts for the dashboard."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from surveys import clock
from surveys.extensions import db
from surveys.models.identity import ROLES
from surveys.services import staff

staff_group = AppGroup("staff", help="Create and list staff accounts for the dashboard.")


def _read_password() -> str:
    """From a prompt on a terminal (typed twice), else the first line of standard input.

    Never from an argument: arguments end up in shell history and process lists.
    """
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@staff_group.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="analyst or admin")
def create(email: str, role: str) -> None:
    """Create a staff account for EMAIL; the password is asked for (or read from stdin)."""
    password = _read_password()
    try:
        user = staff.create(db.session, email, role, password, clock.now())
    except staff.StaffError as error:
        db.session.rollback()
        click.echo(f"No account created: {error}", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    click.echo(f"Created {user.role} account {user.email}.")


@staff_group.command("list")
def list_staff() -> None:
    """Show every staff account and its role."""
    people = staff.all_staff(db.session)
    if not people:
        click.echo("No staff accounts yet. Create one with: flask staff create EMAIL --role admin")
    for person in people:
        click.echo(f"{person.email:<40} {person.role:<8} {'active' if person.active else 'off'}")
