"""Deleted and replaced answers leave nothing readable in the stores' files, and answers not
yet settled leave nothing in clear.

Threat: an insider with a raw copy of the files (SQLite: the database and its -wal;
PostgreSQL: each table's and index's relation file after a CHECKPOINT, and ``pg_dump``), but
none of the app's keys, looks for answers that shoppers deleted or changed. Within a day the
clear rows are untouched (deletions are sealed tombstones in the journal, immediate for every
reader); the nightly settle deletes them and clears its remnants: SQLite zeroes deleted cells
(``secure_delete``) and empties the log (``wal_checkpoint(TRUNCATE)``); PostgreSQL rewrites
every table it deleted from (``VACUUM FULL``). Not covered here, and said in docs/privacy.md:
PostgreSQL's own write-ahead log and backups keep old rows until they are recycled.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from surveys.extensions import db
from surveys.models import ConsentLink, Response
from surveys.models.answers import FilesToClear, JournalEntry
from surveys.services.answers import journal, scrub
from surveys.services.answers.sealing import sealed_size
from tests.consent.consent_helpers import Customer
from tests.privacy import rawfiles

ANSWER_TABLES = ("responses", "dismissals", "funnel_counts", "answer_journal")


def raw_files(app: Flask, bind: str, tables: tuple[str, ...]) -> dict[str, bytes]:
    """Everything an insider can read of one store's files, by file (or dump)."""
    with app.app_context():
        engine = db.engines[bind]
        if engine.dialect.name == "sqlite":
            return {"database file": rawfiles.sqlite_file_bytes(Path(engine.url.database))}
        files = rawfiles.relation_files(engine, tables)
        return {**files, "pg_dump": rawfiles.pg_dump(engine, tables).encode()}


def raw_bytes(app: Flask, bind: str, tables: tuple[str, ...]) -> bytes:
    return b"".join(raw_files(app, bind, tables).values())


def holding(files: dict[str, bytes], needle: bytes) -> list[str]:
    """The files that hold ``needle``: what a failing assertion names."""
    return [name for name, content in files.items() if needle in content]


def id_bytes(app: Flask, row_id: uuid.UUID) -> bytes:
    """How a Uuid column holds an id: 32 hex characters on SQLite, 16 bytes on PostgreSQL."""
    with app.app_context():
        sqlite = db.engines["answers"].dialect.name == "sqlite"
    return row_id.hex.encode() if sqlite else row_id.bytes


def next_to(blob: bytes, anchor: str, value: str, window: int = 90) -> bool:
    """Whether ``value`` follows ``anchor`` closely enough to be in the same row. Both
    engines store a row's columns in order, and the answer columns come right after the
    respondent hash (about 70 bytes of codes); the next row's answers come only after its
    own id, survey id and hash (over 120 bytes), so a 90-byte window sees only this row's."""
    needle, start = anchor.encode(), 0
    while (found := blob.find(needle, start)) != -1:
        end = found + len(needle)
        if value.encode() in blob[end : end + window]:
            return True
        start = end
    return False


def rows(app: Flask) -> dict[str, Response]:
    with app.app_context():
        found = {row.respondent_hash: row for row in db.session.scalars(select(Response))}
        db.session.expunge_all()
        return found


def test_deleted_and_changed_answers_leave_no_remnant_after_the_settle(app, make_customer, settle):
    keeps, deletes, changes, wipes = (make_customer() for _ in range(4))
    everything, withdraws = make_customer(), make_customer()
    keeps.submit("about-you", {"state": "NG-KN", "income_band": "income_1m_plus"})
    deletes.submit("about-you", {"state": "NG-OY", "income_band": "income_600k_1m"})
    changes.submit("about-you", {"state": "NG-EK", "income_band": "income_300k_600k"})
    wipes.submit("about-you", {"state": "NG-BY", "income_band": "income_70k_150k"})
    everything.sign_in("cust-everything")
    everything.submit("about-you", {"state": "NG-FC", "income_band": "income_150k_300k"})
    _post(everything, "/surveys/where-you-shop", "/surveys/where-you-shop/not-now")
    withdraws.sign_in("cust-withdraws")
    withdraws.submit("about-you", {"state": "NG-AB", "income_band": "income_below_70k"})
    assert withdraws.consent(["state"]).status_code == 303
    settle()
    before = rows(app)
    hashes = {c: _hash(c) for c in (keeps, deletes, changes, wipes, everything, withdraws)}
    with app.app_context():
        (link,) = db.session.scalars(select(ConsentLink)).all()
        link_secrets = [link.encrypted_key, link.respondent_lookup]

    # The day's deletions and changes, each from the shopper's own pages.
    _post(deletes, "/me", "/surveys/about-you/delete")
    changes.submit("about-you", {"state": "NG-EK", "income_band": "income_1m_plus"})
    wipes.submit("about-you", {"age_band": "under_18"})
    _post(everything, "/me", "/me/delete", confirm="yes")
    assert withdraws.withdraw("delete").status_code == 303

    # Until the settle the clear rows stand (the readers see the tombstones already) and
    # the change is nowhere in clear: only sealed entries, all the same size.
    pending = raw_bytes(app, "answers", ANSWER_TABLES)
    assert not next_to(pending, hashes[changes], "income_1m_plus")
    with app.app_context():
        entries = db.session.scalars(select(JournalEntry)).all()
        assert {len(entry.sealed) for entry in entries} == {sealed_size()}
        assert not {entry.tag for entry in entries} & set(hashes.values())
        opened = [journal.sealer().open(e.sealed, e.tag) for e in entries]
    # The under-18 answer never reached even the sealed journal: only "delete everything".
    (wipe,) = [p for p in opened if p["h"] == hashes[wipes]]
    assert wipe["ra"] is True and wipe["r"] == {}

    settle()
    after = rows(app)
    assert set(after) == {hashes[keeps], hashes[changes]}
    by_file = raw_files(app, "answers", ANSWER_TABLES)
    answers_files = b"".join(by_file.values())
    for gone in (deletes, wipes, everything, withdraws):
        assert holding(by_file, hashes[gone].encode()) == []
        assert holding(by_file, id_bytes(app, before[hashes[gone]].id)) == []
    # The changed row was written afresh: its old id and its old answer are gone too.
    assert holding(by_file, id_bytes(app, before[hashes[changes]].id)) == []
    assert not next_to(answers_files, hashes[changes], "income_300k_600k")
    assert next_to(answers_files, hashes[changes], "income_1m_plus")
    # Control: the scan does see what is there.
    assert next_to(answers_files, hashes[keeps], "income_1m_plus")
    assert id_bytes(app, after[hashes[keeps]].id) in answers_files
    # The withdrawn consent's link is gone from the identity store's files as well.
    identity_files = raw_bytes(app, "identity", ("consent_links",))
    for secret in link_secrets:
        assert secret.encode() not in identity_files


def test_an_answer_not_yet_settled_is_nowhere_in_clear(app, make_customer, settle):
    """Mid-day: a new shopper's answers and even their respondent hash are only in the
    sealed journal; the settle writes them in clear."""
    settle()  # an empty store's files, checkpointed
    shopper = make_customer()
    shopper.submit("about-you", {"state": "NG-ZA", "income_band": "income_600k_1m"})
    hashed = _hash(shopper)
    assert hashed.encode() not in raw_bytes(app, "answers", ANSWER_TABLES)
    settle()
    assert next_to(raw_bytes(app, "answers", ANSWER_TABLES), hashed, "income_600k_1m")


def _hash(customer: Customer) -> str:
    from surveys.services.respondents import respondent_hash

    key = customer.respondent_key()
    assert key is not None
    return respondent_hash(key)


def _token(customer: Customer, page: str) -> str:
    from tests.conftest import csrf_token

    return csrf_token(customer.client.get(page))


def _post(customer: Customer, page: str, action: str, **data: str) -> None:
    response = customer.client.post(action, data={"csrf_token": _token(customer, page), **data})
    assert response.status_code == 303


@pytest.mark.parametrize("holder", ["a snapshot in the answers store", "a write elsewhere"])
def test_a_transaction_older_than_a_deletion_holds_the_rewrite_back_until_it_ends(
    app, make_customer, settle, monkeypatch, holder
):
    """PostgreSQL's VACUUM FULL copies a deleted row that an older transaction might still
    see: an open snapshot in the same database, or an open transaction with an id anywhere
    on the server (here: in the identity store's database). The settle waits for them; if
    one outlasts the wait it rewrites nothing, says so, and the next settle clears the files."""
    with app.app_context():
        engine = db.engines["answers"]
        elsewhere = db.engines["identity"]
    if engine.dialect.name != "postgresql":
        pytest.skip("recently dead rows are PostgreSQL's")
    gone = make_customer()
    gone.submit("about-you", {"state": "NG-OY", "income_band": "income_600k_1m"})
    settle()
    if holder == "a snapshot in the answers store":
        old = engine.connect()
        old.exec_driver_sql("BEGIN ISOLATION LEVEL REPEATABLE READ")
        old.exec_driver_sql("SELECT 1")  # the snapshot is taken here, before the deletion
    else:
        old = elsewhere.connect()
        old.exec_driver_sql("SELECT pg_current_xact_id()")  # a transaction id, kept open
    _post(gone, "/me", "/surveys/about-you/delete")
    monkeypatch.setattr(scrub, "OLDER_TRANSACTIONS_WAIT", 0.5)
    with pytest.raises(scrub.ScrubError, match="can still see the deleted rows"):
        settle()
    # What the wait prevents: a rewrite now keeps the row the old transaction holds back.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM FULL responses")
    assert "responses" in holding(raw_files(app, "answers", ("responses",)), _hash(gone).encode())

    old.rollback()
    old.close()
    monkeypatch.undo()  # the full wait: other work on the server may hold the rewrite briefly
    settle()
    assert holding(raw_files(app, "answers", ANSWER_TABLES), _hash(gone).encode()) == []
    with app.app_context():
        assert db.session.scalars(select(FilesToClear)).all() == []


def test_a_rewrite_that_had_to_keep_deleted_rows_says_so_and_stays_listed(
    app, make_customer, settle, monkeypatch
):
    """Some holders are not sessions the wait can see (a standby's feedback, a replication
    slot, a prepared transaction): the rewrite's own count of the rows it had to keep is the
    last word. Here the wait is taken out and an open transaction elsewhere stands in."""
    with app.app_context():
        engine, elsewhere = db.engines["answers"], db.engines["identity"]
    if engine.dialect.name != "postgresql":
        pytest.skip("recently dead rows are PostgreSQL's")
    gone = make_customer()
    gone.submit("about-you", {"state": "NG-OY", "income_band": "income_600k_1m"})
    settle()
    old = elsewhere.connect()
    old.exec_driver_sql("SELECT pg_current_xact_id()")
    _post(gone, "/me", "/surveys/about-you/delete")
    monkeypatch.setattr(scrub, "_wait_for_older_transactions", lambda *arguments: None)
    with pytest.raises(scrub.ScrubError, match="could not be removed yet"):
        settle()
    with app.app_context():
        assert "responses" in db.session.scalars(select(FilesToClear.relation)).all()
    assert "responses" in holding(raw_files(app, "answers", ("responses",)), _hash(gone).encode())

    old.rollback()
    old.close()
    monkeypatch.undo()
    settle()
    assert holding(raw_files(app, "answers", ANSWER_TABLES), _hash(gone).encode()) == []
    with app.app_context():
        assert db.session.scalars(select(FilesToClear)).all() == []
