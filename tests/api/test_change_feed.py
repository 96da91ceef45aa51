"""The change feed: every event once, in order, paged by a cursor that never skips a late commit."""

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from surveys.extensions import db
from surveys.services import profile_changes

FEED = "/api/v1/changes"


def _read_all(api, after=0, limit=100):
    seen, pages = [], 0
    while True:
        body = api.get(FEED, query_string={"after": after, "limit": limit}).json
        seen += body["changes"]
        pages += 1
        after = body["next_cursor"]
        if not body["has_more"]:
            return seen, after, pages


def test_an_empty_feed_returns_no_events_and_the_same_cursor(api):
    assert api.get(FEED).json == {"changes": [], "next_cursor": 0, "has_more": False}
    assert api.get(FEED, query_string={"after": 42}).json["next_cursor"] == 42


def test_events_come_in_order_with_subject_type_and_time(api, record_change):
    before = datetime.now(UTC)
    first = record_change("customer-1", "updated")
    second = record_change("customer-2", "updated")
    third = record_change("customer-1", "withdrawn")
    body = api.get(FEED).json
    assert [c["cursor"] for c in body["changes"]] == [first, second, third]
    assert first < second < third
    assert [(c["subject"], c["type"]) for c in body["changes"]] == [
        ("customer-1", "updated"),
        ("customer-2", "updated"),
        ("customer-1", "withdrawn"),
    ]
    for change in body["changes"]:
        assert set(change) == {"cursor", "subject", "type", "at"}
        assert before <= datetime.fromisoformat(change["at"]) <= datetime.now(UTC)
    assert body["next_cursor"] == third and body["has_more"] is False


def test_paging_with_next_cursor_returns_every_event_exactly_once(api, record_change):
    cursors = [record_change(f"customer-{n}") for n in range(7)]
    seen, last, pages = _read_all(api, limit=3)
    assert [c["cursor"] for c in seen] == cursors
    assert last == cursors[-1] and pages == 3
    newer = record_change("customer-late", "withdrawn")
    late = _read_all(api, after=last)[0]
    assert [(c["cursor"], c["subject"], c["type"]) for c in late] == [
        (newer, "customer-late", "withdrawn")
    ]


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"after": -1}, "after"),
        ({"after": "1.5"}, "after"),
        ({"after": "٣"}, "after"),
        ({"after": str(2**63)}, "after"),
        ({"afer": 3}, "afer"),
    ],
)
def test_bad_paging_parameters_get_a_400_problem_naming_them(api, query, name):
    response = api.get(FEED, query_string=query, validate=False)
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert repr(name) in response.json["detail"]


def test_the_service_refuses_unknown_event_types(app):
    with app.app_context(), pytest.raises(ValueError, match="unknown change type"):
        profile_changes.record(db.session, "customer-1", "deleted", datetime.now(UTC))


def _postgres_only(app):
    with app.app_context():
        if db.engines["identity"].dialect.name != "postgresql":
            pytest.skip("the interleaving is forced through PostgreSQL's lock table")


def _wait_until(condition, what, timeout=20.0):
    """Poll for a state another thread reaches; fails (not hangs) if it never comes."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.01)


def test_a_later_event_waits_for_an_earlier_uncommitted_one(app, api):
    """Without the feed lock, B would commit cursor n+1 while A still held n: a reader at n+1
    would then never see A's event. With it, B waits and the reader sees both, in order."""
    _postgres_only(app)
    a_inserted, release_a, b_done = threading.Event(), threading.Event(), threading.Event()
    errors = []

    def writer(subject, inserted=None, release=None, done=None):
        try:
            with app.app_context():
                profile_changes.record(db.session, subject, "updated", datetime.now(UTC))
                if inserted:
                    inserted.set()
                if release:
                    release.wait(30)
                db.session.commit()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            if done:
                done.set()

    a = threading.Thread(target=writer, args=("customer-a", a_inserted, release_a))
    b = threading.Thread(target=writer, args=("customer-b", None, None, b_done))
    a.start()
    assert a_inserted.wait(30)
    b.start()

    def b_is_waiting_for_the_feed_lock():
        with app.app_context():
            waiting = db.session.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"),
                bind_arguments={"bind": db.engines["identity"]},
            ).scalar_one()
            db.session.rollback()
        return waiting > 0 or b_done.is_set()

    _wait_until(b_is_waiting_for_the_feed_lock, "B waits for the feed lock")
    assert not b_done.is_set(), "B committed its event while an earlier one was uncommitted"
    assert api.get(FEED).json["changes"] == []
    release_a.set()
    a.join(30)
    b.join(30)
    assert errors == []
    assert [c["subject"] for c in api.get(FEED).json["changes"]] == ["customer-a", "customer-b"]


def test_a_reader_paging_during_concurrent_writes_misses_nothing(app, api):
    writers, per_writer = 4, 8
    collected, after = [], 0
    stop = threading.Event()
    errors = []

    def write(n):
        try:
            for i in range(per_writer):
                with app.app_context():
                    profile_changes.record(db.session, f"w{n}-{i}", "updated", datetime.now(UTC))
                    db.session.commit()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    while not stop.is_set():
        finished = not any(thread.is_alive() for thread in threads)
        body = api.get(FEED, query_string={"after": after, "limit": 5}).json
        collected += body["changes"]
        after = body["next_cursor"]
        if finished and not body["has_more"]:
            stop.set()
    assert errors == []
    cursors = [c["cursor"] for c in collected]
    assert cursors == sorted(set(cursors))
    assert len(cursors) == writers * per_writer
    assert {c["subject"] for c in collected} == {
        f"w{n}-{i}" for n in range(writers) for i in range(per_writer)
    }
