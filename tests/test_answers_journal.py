"""A visit writes one sealed journal entry; every reader sees it at once; the nightly settle
alone writes clear rows, once, in one transaction."""

from __future__ import annotations

import threading
import uuid
from datetime import date, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import event, func, select, text

from surveys import clock
from surveys.extensions import db
from surveys.models import Dismissal, FunnelCount, Release, Response, Survey
from surveys.models.answers import FilesToClear, JournalEntry
from surveys.services import answers, catalogue, funnel
from surveys.services.answers import journal, settle
from surveys.services.answers.sealing import BLOCK, Sealer, UnreadableEntry, sealed_size
from surveys.services.respondents import new_key, respondent_hash
from tests.conftest import settle_now

ABOUT_YOU = {"state": "NG-LA", "lga": "NG-LA-11", "age_band": "age_25_34", "gender": "female"}


def count(app, model) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def answers_store_rows(app) -> dict[str, int]:
    return {
        model.__tablename__: count(app, model)
        for model in (Response, Dismissal, FunnelCount, Release, JournalEntry)
    }


# --- one visit, one entry ------------------------------------------------------------------


def test_a_visit_writes_one_sealed_entry_and_nothing_else(app, shopper):
    shopper.open("about-you")  # a page view: its funnel count
    assert answers_store_rows(app) == {
        "responses": 0, "dismissals": 0, "funnel_counts": 0, "releases": 0,
        "answer_journal": 1,
    }  # fmt: skip
    page = shopper.client.get("/surveys/about-you")
    from tests.conftest import csrf_token

    before = count(app, JournalEntry)
    shopper.client.post("/surveys/about-you", data={"csrf_token": csrf_token(page), **ABOUT_YOU})
    # The answers, "started" and "completed" together: one entry for the visit.
    assert count(app, JournalEntry) == before + 1
    assert answers_store_rows(app)["responses"] == 0
    with app.app_context():
        sizes = {len(entry.sealed) for entry in db.session.scalars(select(JournalEntry))}
    assert sizes == {sealed_size()}


def test_refused_answers_write_nothing_at_all(app, shopper):
    shopper.open("about-you")
    before = answers_store_rows(app)
    page = shopper.submit("about-you", {"state": "NG-KN", "lga": "NG-LA-01"})
    assert page.status_code == 400
    # The form was shown again (one more page view's entry), but the refused answers and
    # their "started" wrote nothing.
    assert answers_store_rows(app) == {**before, "answer_journal": before["answer_journal"] + 1}


# --- every reader sees the entry at once ----------------------------------------------------


def test_a_change_and_a_deletion_are_seen_everywhere_before_the_settle(app, shopper):
    shopper.submit("about-you", ABOUT_YOU)
    settle_now(app)
    shopper.submit("about-you", {**ABOUT_YOU, "gender": "male"})
    page = shopper.open("about-you").get_data(as_text=True)
    assert 'value="male" checked' in page and 'value="female" checked' not in page
    me = shopper.client.get("/me").get_data(as_text=True)
    assert "Male" in me and "Female" not in me
    export = shopper.client.get("/me/export.json").get_json()
    (answer,) = export["answers_from_this_browser"]
    assert answer["answers"]["gender"]["code"] == "male"
    assert answer["answered_on"] == answer["changed_on"] == clock.today().isoformat()
    shopper.post_action("/surveys/about-you", "/surveys/about-you/delete")
    assert "Female" not in shopper.client.get("/me").get_data(as_text=True)
    assert shopper.client.get("/me/export.json").get_json()["answers_from_this_browser"] == []
    assert count(app, Response) == 1  # the clear row goes at the settle
    settle_now(app)
    assert count(app, Response) == 0


def test_not_now_is_seen_at_once_and_kept_by_the_settle(app, shopper):
    shopper.not_now("about-you")
    assert shopper.client.get("/").headers["Location"] == "/surveys/where-you-shop"
    settle_now(app)
    assert count(app, Dismissal) == 1 and count(app, JournalEntry) == 0
    assert shopper.client.get("/").headers["Location"] == "/surveys/where-you-shop"


def test_the_profile_read_is_one_statement_against_the_answers_store(app):
    """The hot path reads the clear rows and the pending entries in one UNION ALL."""
    from surveys.services import consent, profiles

    with app.app_context():
        survey = catalogue.find(db.session, "about-you")
        key = new_key()
        answers.save_answers(db.session, survey, respondent_hash(key), ABOUT_YOU, clock.today())
        cipher = consent.cipher_for(app.config["LINK_ENCRYPTION_KEY"])
        consent.give(db.session, "s1", ["state"], "privacy-page", key, cipher, clock.now())
        db.session.commit()
        engine = db.engines["answers"]
        seen: list[str] = []

        def note(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", note)
        try:
            assert profiles.profile_of(db.session, "s1", cipher).attributes == {"state": "NG-LA"}
        finally:
            event.remove(engine, "before_cursor_execute", note)
    assert len(seen) == 1 and "UNION ALL" in seen[0]


# --- the settle ------------------------------------------------------------------------------


def _save(app, who: str, answers_: dict, day: date, slug: str = "about-you") -> None:
    with app.app_context():
        survey = catalogue.find(db.session, slug)
        full = {k: answers_.get(k) for k in survey.questions}
        answers.save_answers(db.session, survey, who, full, day)
        db.session.commit()


def _settle(app, today: date, **options) -> settle.Settled:
    with app.app_context():
        return settle.settle(
            db.session, today, sealer=journal.sealer(), retention_days=730, **options
        )


def test_the_settle_takes_earlier_days_and_leaves_today_for_tomorrow(app):
    today = clock.today()
    who = respondent_hash(new_key())
    _save(app, who, ABOUT_YOU, today - timedelta(days=1))
    _save(app, who, {**ABOUT_YOU, "gender": "male"}, today)
    done = _settle(app, today)
    assert (done.entries, done.pending, done.responses_written) == (1, 1, 1)
    with app.app_context():
        (row,) = db.session.scalars(select(Response)).all()
        assert (row.gender, row.submitted_on, row.updated_on) == (
            "female",
            today - timedelta(1),
            today - timedelta(1),
        )
    # The next night: the change, on top; the first day stays the day first submitted.
    done = _settle(app, today + timedelta(days=1))
    assert (done.entries, done.pending, done.responses_deleted) == (1, 0, 1)
    with app.app_context():
        (row,) = db.session.scalars(select(Response)).all()
        assert (row.gender, row.submitted_on, row.updated_on) == (
            "male",
            today - timedelta(1),
            today,
        )
    # Again: nothing left to do.
    again = _settle(app, today + timedelta(days=1))
    assert (again.entries, again.responses_written, again.responses_deleted) == (0, 0, 0)


def test_a_browsers_entries_are_applied_in_the_order_they_were_made(app):
    today = clock.today()
    who = respondent_hash(new_key())
    _save(app, who, ABOUT_YOU, today)
    with app.app_context():
        answers.delete_answers(db.session, who, today=today)
        db.session.commit()
    _save(app, who, {"state": "NG-KN"}, today)
    _settle(app, today, include_today=True)
    with app.app_context():
        assert db.session.scalars(select(Response.state_code)).all() == ["NG-KN"]


def test_answers_to_a_survey_deleted_before_the_settle_are_dropped(app, only_survey):
    who = respondent_hash(new_key())
    _save(app, who, {"state": "NG-KN"}, clock.today(), slug="where-you-shop")
    only_survey("about-you")
    done = _settle(app, clock.today(), include_today=True)
    assert done.responses_written == 0 and count(app, JournalEntry) == 0


def test_an_entry_no_key_opens_stops_the_settle_and_changes_nothing(make_app):
    app = make_app()
    with app.app_context():
        catalogue.load_defaults(db.session)
        db.session.commit()
    _save(app, respondent_hash(new_key()), ABOUT_YOU, clock.today())
    app.config["ANSWERS_SEALING_KEY"] = Fernet.generate_key().decode()  # the old key lost
    with pytest.raises(UnreadableEntry):
        _settle(app, clock.today(), include_today=True)
    assert count(app, JournalEntry) == 1 and count(app, Response) == 0
    result = app.test_cli_runner().invoke(args=["answers", "settle", "--include-today"])
    assert result.exit_code == 1 and "no key in ANSWERS_SEALING_KEY opens" in result.output


def test_a_rotated_key_still_opens_what_the_old_one_sealed(make_app):
    old = Fernet.generate_key().decode()
    app = make_app(ANSWERS_SEALING_KEY=old)
    with app.app_context():
        catalogue.load_defaults(db.session)
        db.session.commit()
    who = respondent_hash(new_key())
    _save(app, who, ABOUT_YOU, clock.today())
    app.config["ANSWERS_SEALING_KEY"] = f"{Fernet.generate_key().decode()},{old}"
    with app.app_context():  # reads find the entry under the old key's tag too
        survey = catalogue.find(db.session, "about-you")
        assert answers.find_response(db.session, survey, who).answers()["state"] == "NG-LA"
    _settle(app, clock.today(), include_today=True)
    assert count(app, Response) == 1


def test_the_settle_cli_says_what_it_did(app, runner, shopper):
    shopper.submit("about-you", ABOUT_YOU)
    result = runner.invoke(args=["answers", "settle"])
    assert result.exit_code == 0, result.output
    assert "Journal entries settled: 0 (2 of today left for tomorrow)" in result.output
    result = runner.invoke(args=["answers", "settle", "--include-today"])
    assert "Journal entries settled: 2" in result.output
    assert "Answers written: 1; deleted: 0" in result.output
    assert "Remnants:" in result.output


def test_two_settles_cannot_overlap(app, runner, monkeypatch):
    """PostgreSQL: an advisory lock held by the running settle; SQLite: the write lock,
    which the settle takes up front (here another writer holds it)."""
    monkeypatch.setattr(settle, "SQLITE_LOCK_WAIT_MS", 50)
    with app.app_context():
        engine = db.engines["answers"]
        postgres = engine.dialect.name == "postgresql"
        with engine.connect() as holder:
            if postgres:
                holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": settle.SETTLE_LOCK})
            else:
                holder.exec_driver_sql("BEGIN IMMEDIATE")
            result = runner.invoke(args=["answers", "settle"])
            if postgres:
                holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": settle.SETTLE_LOCK})
            else:
                holder.rollback()
    assert result.exit_code == 1
    assert "Nothing done: another settle is running" in result.output or (
        "Nothing done: the answers store is locked by another writer" in result.output
    )
    assert runner.invoke(args=["answers", "settle"]).exit_code == 0  # once it is free


def test_entries_written_while_a_settle_runs_wait_for_the_next_one(app):
    """A visit during the settle is neither lost nor half-applied."""
    today = clock.today()
    for _ in range(30):
        _save(app, respondent_hash(new_key()), ABOUT_YOU, today - timedelta(days=1))
    late = respondent_hash(new_key())
    writer = threading.Thread(target=lambda: _save(app, late, {"state": "NG-KN"}, today))
    with app.app_context():
        engine = db.engines["answers"]
    started = threading.Event()

    def on_delete(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.startswith("DELETE FROM answer_journal") and not started.is_set():
            started.set()
            writer.start()

    event.listen(engine, "before_cursor_execute", on_delete)
    try:
        done = _settle(app, today)
    finally:
        event.remove(engine, "before_cursor_execute", on_delete)
    writer.join()
    assert done.entries == 30
    assert count(app, Response) == 30 and count(app, JournalEntry) == 1
    assert _settle(app, today, include_today=True).responses_written == 1


def test_one_settles_rows_share_one_transaction(app):
    """PostgreSQL: every row a settle writes carries the same xmin (nothing to order by)."""
    with app.app_context():
        if db.engines["answers"].dialect.name != "postgresql":
            pytest.skip("xmin is PostgreSQL's")
    today = clock.today()
    for day in (3, 2, 1):
        for _ in range(4):
            _save(app, respondent_hash(new_key()), ABOUT_YOU, today - timedelta(days=day))
    _settle(app, today)
    with app.app_context(), db.engines["answers"].connect() as connection:
        writers = connection.execute(text("SELECT DISTINCT xmin::text FROM responses")).all()
    assert len(writers) == 1


# --- sealing ---------------------------------------------------------------------------------


def test_a_sealed_entry_opens_only_under_its_own_tag_and_unchanged():
    sealer = Sealer(Fernet.generate_key().decode())
    tag = sealer.tag(respondent_hash(new_key()))
    sealed = sealer.seal({"v": 1, "answers": "x"}, tag)
    assert sealer.open(sealed, tag) == {"v": 1, "answers": "x"}
    with pytest.raises(UnreadableEntry):
        sealer.open(sealed, sealer.tag(respondent_hash(new_key())))  # moved to another browser
    tampered = bytearray(sealed)
    tampered[-1] ^= 1
    with pytest.raises(UnreadableEntry):
        sealer.open(bytes(tampered), tag)


def test_every_entry_is_the_same_size_however_much_it_holds():
    sealer = Sealer(Fernet.generate_key().decode())
    small = sealer.seal({"v": 1}, "t")
    large = sealer.seal({"v": 1, "filler": "x" * (BLOCK - 100)}, "t")
    assert len(small) == len(large) == sealed_size()
    assert len(sealer.seal({"filler": "x" * BLOCK}, "t")) == sealed_size(2)


def test_a_tag_is_keyed_and_a_page_view_gets_a_random_one():
    sealer = Sealer(Fernet.generate_key().decode())
    hashed = respondent_hash(new_key())
    assert sealer.tag(hashed) == sealer.tag(hashed) != hashed
    assert Sealer(Fernet.generate_key().decode()).tag(hashed) != sealer.tag(hashed)
    assert sealer.tag(None) != sealer.tag(None)


def test_the_largest_entry_a_visit_can_make_fits_one_block(app):
    """Longest codes, a slug of 64 characters, answers, a "Not now" and the counts."""
    longest = {
        "state": "prefer_not_to_say", "lga": "prefer_not_to_say", "age_band": "prefer_not_to_say",
        "income_band": "income_150k_300k", "gender": "prefer_not_to_say",
    }  # fmt: skip
    with app.app_context():
        survey = Survey(id=uuid.uuid4(), slug="s" * 64, questions=list(longest))
        draft = journal.new_draft(db.session, "h" * 64, clock.today(), journal.BrowserState())
        draft.delete(None)
        draft.save(survey, longest)
        draft.dismiss(survey, clock.today())
        draft.clear_dismissals()
        draft.dismiss(survey, clock.today())
        for name in ("shown", "started", "completed", "not_now"):
            draft.count(survey, name)
        assert len(draft.row.sealed) == sealed_size(1)
        db.session.rollback()


def test_the_privacy_page_says_when_a_deletion_counts_and_when_it_leaves_the_files(make_app):
    app = make_app(BACKUP_RETENTION_DAYS=21)
    page = app.test_client().get("/privacy").get_data(as_text=True)
    assert "A change or a deletion counts at once" in page
    assert "leave our database files that night (within 24 hours)" in page
    assert "our backups within 21 days" in page


def test_counts_made_twice_in_one_visit_are_both_kept(app):
    """The second count of the same event changes the sealed entry too."""
    with app.app_context():
        survey = catalogue.find(db.session, "about-you")
        funnel.record(db.session, survey, funnel.SHOWN, clock.today())
        funnel.record(db.session, survey, funnel.SHOWN, clock.today())
        db.session.commit()
    settle_now(app)
    with app.app_context():
        survey = catalogue.find(db.session, "about-you")
        assert funnel.totals(db.session, survey)["shown"] == 2


def test_a_reader_that_holds_a_table_too_long_gets_the_settle_to_say_so_and_try_again(
    app, runner, shopper, monkeypatch
):
    """PostgreSQL: VACUUM FULL waits a bounded time for its lock (so that it never sits
    queued in front of every other reader), then the run fails loudly; the answers were
    settled, and the next run clears the files."""
    from surveys.services.answers import scrub

    with app.app_context():
        engine = db.engines["answers"]
        if engine.dialect.name != "postgresql":
            pytest.skip("VACUUM FULL is PostgreSQL's")
    monkeypatch.setattr(scrub, "LOCK_TIMEOUT", "50ms")
    monkeypatch.setattr(scrub, "ATTEMPTS", 2)
    shopper.submit("about-you", ABOUT_YOU)
    with engine.connect() as reader:
        reader.exec_driver_sql("SELECT count(*) FROM answer_journal")  # holds it until rollback
        result = runner.invoke(args=["answers", "settle", "--include-today"])
        reader.rollback()
    assert result.exit_code == 1
    assert "answer_journal: could not be rewritten" in result.output
    assert "Run `flask answers settle` again" in result.output
    assert count(app, Response) == 1 and count(app, JournalEntry) == 0
    # Nothing left to settle, but the table still to clear was recorded with the answers.
    again = runner.invoke(args=["answers", "settle"])
    assert again.exit_code == 0 and "answer_journal: rewritten (VACUUM FULL)" in again.output
    assert count(app, FilesToClear) == 0
