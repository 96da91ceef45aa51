"""``flask clients ...``: the services allowed to call the profile API."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from surveys.extensions import db
from surveys.models.api import SCOPES
from surveys.services import api_clients
from surveys.services.api_clients import ClientError

clients_group = AppGroup("clients", help="Create, list and revoke profile API clients.")


def _fail(error: ClientError) -> None:
    db.session.rollback()
    click.echo(f"Nothing changed: {error}", err=True)
    raise SystemExit(1)


@clients_group.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(SCOPES),
    help="Repeat for several. Default: " + ", ".join(api_clients.DEFAULT_SCOPES) + ".",
)
@click.option("--webhook-url", help="Where to POST change events, signed (Standard Webhooks).")
@click.option(
    "--display-name",
    help='What shoppers see as the reader of their profile, e.g. "Product recommendations". '
    "Default: NAME.",
)
def create(
    name: str, scopes: tuple[str, ...], webhook_url: str | None, display_name: str | None
) -> None:
    """Create client NAME and print its bearer token (shown this once only)."""
    try:
        made = api_clients.create(
            db.session,
            name,
            scopes or api_clients.DEFAULT_SCOPES,
            datetime.now(UTC),
            webhook_url=webhook_url,
            display_name=display_name,
        )
    except ClientError as error:
        _fail(error)
        return
    db.session.commit()
    click.echo(f"Created client {name!r} with scopes: {made.client.scopes}")
    click.echo(f"Shoppers see it as: {made.client.display_name}")
    click.echo("Its bearer token (shown once; only its hash is kept). To use it in this shell:")
    click.echo(f"export TOKEN={made.token}")
    if made.webhook_secret:
        click.echo(f"Events will be POSTed to {webhook_url}, signed with this secret (shown once):")
        click.echo(f"  {made.webhook_secret}")


@clients_group.command("list")
def list_clients() -> None:
    """Show every client: name, token prefix, scopes, webhook and whether it is revoked."""
    rows = api_clients.all_clients(db.session)
    if not rows:
        click.echo("No API clients yet. Create one with: flask clients create NAME")
        return
    for client in rows:
        state = f"revoked {client.revoked_at:%Y-%m-%d %H:%M}Z" if client.revoked_at else "active"
        webhook = f" webhook={client.webhook_url}" if client.webhook_url else ""
        click.echo(
            f"{client.name:<24} {client.token_prefix}…  {state:<24} {client.scopes}{webhook}"
            f"  shown as {client.display_name!r}"
        )


@clients_group.command("revoke")
@click.argument("name")
def revoke(name: str) -> None:
    """Refuse NAME's token from now on and stop sending it events."""
    try:
        client = api_clients.revoke(db.session, name, datetime.now(UTC))
    except ClientError as error:
        _fail(error)
        return
    db.session.commit()
    click.echo(f"Client {name!r} revoked at {client.revoked_at:%Y-%m-%d %H:%M:%S}Z.")
