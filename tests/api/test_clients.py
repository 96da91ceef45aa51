"""Operators make, list and revoke API clients from the command line; tokens are shown once."""

import re

from sqlalchemy import select

from surveys.extensions import db
from surveys.models import ApiClient
from surveys.services.api_clients import hash_token

#: The token is printed as a line to paste into a shell, as the docs' examples use it.
TOKEN_LINE = re.compile(r"^export TOKEN=(svy_[A-Za-z0-9_-]{43})$", re.MULTILINE)
SECRET_LINE = re.compile(r"^\s+(whsec_[A-Za-z0-9+/]{43}=)$", re.MULTILINE)


def _stored(app):
    with app.app_context():
        rows = list(db.session.scalars(select(ApiClient).order_by(ApiClient.name)))
        db.session.expunge_all()
        return rows


def test_create_prints_a_token_once_and_keeps_only_its_hash(app, runner):
    result = runner.invoke(args=["clients", "create", "recommender"])
    assert result.exit_code == 0, result.output
    token = TOKEN_LINE.search(result.output).group(1)
    [client] = _stored(app)
    assert client.name == "recommender"
    assert client.token_hash == hash_token(token)
    assert token not in repr(vars(client))
    assert client.scopes == "profiles:read changes:read"
    assert client.webhook_url is None and client.webhook_secret is None
    assert client.display_name == "recommender"  # shoppers see the name unless told otherwise


def test_create_with_a_display_name_keeps_it_for_shoppers(app, runner):
    result = runner.invoke(
        args=["clients", "create", "reco", "--display-name", "  Product   recommendations "]
    )
    assert result.exit_code == 0, result.output
    assert "Shoppers see it as: Product recommendations" in result.output
    [client] = _stored(app)
    assert client.name == "reco" and client.display_name == "Product recommendations"
    assert "shown as 'Product recommendations'" in runner.invoke(args=["clients", "list"]).output


def test_the_printed_export_line_sets_a_token_the_api_accepts(app, runner, tmp_path):
    import subprocess

    result = runner.invoke(args=["clients", "create", "recommender"])
    line = next(line for line in result.output.splitlines() if line.startswith("export "))
    # Pasted into a shell, the line sets $TOKEN to the token, nothing more or less.
    shell = subprocess.run(
        ["/bin/sh", "-c", f'{line}\nprintf %s "$TOKEN"'],  # noqa: S603
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    token = shell.stdout
    caller = app.test_client()
    page = caller.get("/api/v1/changes", headers={"Authorization": f"Bearer {token}"})
    assert page.status_code == 200, page.get_data(as_text=True)


def test_create_with_one_scope_gives_only_that_scope(app, runner):
    result = runner.invoke(args=["clients", "create", "reader", "--scope", "profiles:read"])
    assert result.exit_code == 0, result.output
    assert _stored(app)[0].scopes == "profiles:read"


def test_create_with_a_webhook_prints_a_standard_webhooks_secret_once(app, runner):
    url = "https://recommender.example/hooks/surveys"
    result = runner.invoke(args=["clients", "create", "recommender", "--webhook-url", url])
    assert result.exit_code == 0, result.output
    secret = SECRET_LINE.search(result.output).group(1)
    [client] = _stored(app)
    assert client.webhook_url == url and client.webhook_secret == secret


def test_bad_client_requests_are_refused_with_a_reason_and_write_nothing(app, runner):
    cases = {
        ("Recommender",): "lower-case",
        ("recommender-",): "starting and ending",
        ("x" * 65,): "1 to 64",
        ("rec", "--webhook-url", "ftp://example.org/hook"): "http:// or https://",
        ("rec", "--webhook-url", "/relative/hook"): "http:// or https://",
        ("rec", "--webhook-url", "https://user:pw@example.org/hook"): "no user name",
        ("rec", "--scope", "profiles:read", "--webhook-url", "https://example.org/h"): (
            "needs the 'changes:read' scope"
        ),
        ("rec", "--display-name", "   "): "A display name is 1 to 100",
        ("rec", "--display-name", "x" * 101): "A display name is 1 to 100",
        ("rec", "--display-name", "Reco\x1b[31m"): "printable",
    }
    for args, reason in cases.items():
        result = runner.invoke(args=["clients", "create", *args])
        assert result.exit_code == 1, args
        assert "Nothing changed" in result.output and reason in result.output, result.output
    unknown_scope = runner.invoke(args=["clients", "create", "rec", "--scope", "profiles:write"])
    assert unknown_scope.exit_code == 2 and "profiles:write" in unknown_scope.output
    assert _stored(app) == []


def test_a_name_is_taken_only_once(app, runner):
    assert runner.invoke(args=["clients", "create", "recommender"]).exit_code == 0
    again = runner.invoke(args=["clients", "create", "recommender"])
    assert again.exit_code == 1 and "already exists" in again.output
    assert len(_stored(app)) == 1


def test_list_shows_clients_without_their_tokens(app, runner):
    assert "No API clients yet" in runner.invoke(args=["clients", "list"]).output
    created = runner.invoke(args=["clients", "create", "recommender"]).output
    token = TOKEN_LINE.search(created).group(1)
    listing = runner.invoke(args=["clients", "list"]).output
    assert "recommender" in listing and "active" in listing and token[:8] in listing
    assert token not in listing


def test_revoke_marks_the_client_and_is_harmless_twice(app, runner):
    runner.invoke(args=["clients", "create", "recommender"])
    first = runner.invoke(args=["clients", "revoke", "recommender"])
    assert first.exit_code == 0 and "revoked" in first.output
    revoked_at = _stored(app)[0].revoked_at
    assert revoked_at is not None and revoked_at.tzinfo is not None
    assert runner.invoke(args=["clients", "revoke", "recommender"]).exit_code == 0
    assert _stored(app)[0].revoked_at == revoked_at
    assert "revoked" in runner.invoke(args=["clients", "list"]).output


def test_revoking_an_unknown_client_says_so(runner):
    result = runner.invoke(args=["clients", "revoke", "nobody"])
    assert result.exit_code == 1 and "no client named 'nobody'" in result.output
