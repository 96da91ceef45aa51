"""`flask staff create` and `flask demo seed` from the command line."""

from __future__ import annotations

from sqlalchemy import func, select

from surveys.extensions import db
from surveys.models import Response, StaffUser
from surveys.services import rollups


def _accounts(app):
    with app.app_context():
        rows = db.session.scalars(select(StaffUser)).all()
        db.session.expunge_all()
        return rows


def test_staff_create_reads_the_password_from_stdin_and_stores_only_an_argon2id_hash(app, runner):
    result = runner.invoke(
        args=["staff", "create", "Ada@Example.com", "--role", "admin"],
        input="a long enough pass phrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin account ada@example.com" in result.output
    (account,) = _accounts(app)
    assert account.email == "ada@example.com" and account.role == "admin"
    assert account.password_hash.startswith("$argon2id$")
    assert "a long enough pass phrase" not in account.password_hash


def test_staff_create_takes_no_password_argument(runner):
    result = runner.invoke(
        args=["staff", "create", "a@example.com", "--role", "analyst", "--password", "x" * 20]
    )
    assert result.exit_code != 0
    assert "No such option" in result.output


def test_staff_create_refuses_bad_input_and_creates_nothing(app, runner):
    cases = [
        (["not-an-email", "--role", "analyst"], "a long enough pass phrase", "not an email"),
        (["b@example.com", "--role", "analyst"], "too short", "at least 12"),
        (["b@example.com", "--role", "boss"], "a long enough pass phrase", "Invalid value"),
        (["b@example.com"], "a long enough pass phrase", "Missing option"),
    ]
    for args, password, message in cases:
        result = runner.invoke(args=["staff", "create", *args], input=password + "\n")
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)
    assert _accounts(app) == []


def test_staff_create_refuses_a_second_account_with_the_same_email(app, runner):
    args = ["staff", "create", "c@example.com", "--role", "analyst"]
    assert runner.invoke(args=args, input="a long enough pass phrase\n").exit_code == 0
    again = runner.invoke(args=[*args[:2], "C@EXAMPLE.COM", "--role", "admin"], input="x" * 13)
    assert again.exit_code == 1 and "already exists" in again.output
    assert [a.role for a in _accounts(app)] == ["analyst"]


def test_staff_list_shows_accounts_without_hashes(app, runner):
    runner.invoke(args=["staff", "create", "d@example.com", "--role", "analyst"], input="y" * 14)
    output = runner.invoke(args=["staff", "list"]).output
    assert "d@example.com" in output and "analyst" in output and "argon2" not in output


def test_demo_seed_adds_realistic_answers_with_rollups_that_match(app, runner):
    result = runner.invoke(args=["demo", "seed", "--responses", "400", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "Adding responses" in result.output and "Added 400 responses" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 400
        assert rollups.stored(db.session) == rollups.recount(db.session)
        lagos = db.session.scalar(select(func.count()).where(Response.state_code == "NG-LA"))
        bayelsa = db.session.scalar(select(func.count()).where(Response.state_code == "NG-BY"))
        assert lagos > bayelsa  # weighted by population
    check = runner.invoke(args=["dashboard", "check-rollups"])
    assert check.exit_code == 0 and "match" in check.output


def test_demo_seed_if_empty_adds_answers_only_to_an_empty_store(app, runner):
    first = runner.invoke(args=["demo", "seed", "--responses", "30", "--seed", "1", "--if-empty"])
    assert first.exit_code == 0 and "Added 30 responses" in first.output
    again = runner.invoke(args=["demo", "seed", "--responses", "30", "--if-empty"])
    assert again.exit_code == 0 and "no demo data added" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 30


def test_demo_seed_on_a_store_that_has_answers_keeps_the_rollups_exact(
    app, runner, shopper, settle
):
    shopper.submit("about-you", {"state": "NG-LA", "gender": "female"})
    settle()
    for seed in ("4", "5"):
        result = runner.invoke(args=["demo", "seed", "--responses", "20", "--seed", seed])
        assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 41
        assert rollups.stored(db.session) == rollups.recount(db.session)


def test_check_rollups_notices_a_rollup_out_of_step_and_rebuild_repairs_it(app, runner):
    runner.invoke(args=["demo", "seed", "--responses", "50", "--seed", "3"])
    with app.app_context():
        from surveys.models import RollupCell

        row = db.session.scalars(select(RollupCell)).first()
        row.count += 5
        db.session.commit()
    assert runner.invoke(args=["dashboard", "check-rollups"]).exit_code == 1
    rebuilt = runner.invoke(args=["dashboard", "rebuild-rollups"])
    assert "from 50 responses" in rebuilt.output
    assert runner.invoke(args=["dashboard", "check-rollups"]).exit_code == 0


def test_demo_seed_refuses_zero_responses(runner):
    result = runner.invoke(args=["demo", "seed", "--responses", "0"])
    assert result.exit_code != 0 and "Invalid value" in result.output
