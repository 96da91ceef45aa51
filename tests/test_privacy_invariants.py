"""The answers store cannot tie a row to a person: each rule of docs/privacy.md."""

import logging
import re

from sqlalchemy import Date, DateTime, Integer, inspect

from surveys.extensions import db
from surveys.services.respondents import respondent_hash, unsign

ANSWERS = {
    "state": "NG-KN",
    "lga": "NG-KN-05",
    "age_band": "age_45_54",
    "income_band": "income_600k_1m",
    "gender": "another_gender",
}

IDENTIFYING_COLUMN = re.compile(
    r"user|email|e_mail|name|phone|msisdn|ip|addr|agent|device|subject|account|customer|session",
    re.IGNORECASE,
)


def _answers_tables(app):
    with app.app_context():
        return [
            (table.name, column)
            for table in db.metadatas["answers"].sorted_tables
            for column in table.columns
        ]


def test_no_answers_column_can_name_or_reach_a_person(app):
    for table, column in _answers_tables(app):
        assert not IDENTIFYING_COLUMN.search(column.name), f"{table}.{column.name}"


def test_no_answers_column_keeps_a_time_finer_than_a_day(app):
    for table, column in _answers_tables(app):
        assert not isinstance(column.type, DateTime), f"{table}.{column.name} keeps a time"
    day_columns = {
        column.name for _, column in _answers_tables(app) if isinstance(column.type, Date)
    }
    assert {"submitted_on", "updated_on", "until", "day"} <= day_columns


def test_no_answers_row_has_a_sequential_id(app):
    with app.app_context():
        for table in db.metadatas["answers"].sorted_tables:
            for column in table.primary_key.columns:
                assert not isinstance(column.type, Integer), f"{table.name} has a sequential key"
                assert column.default is not None and column.default.is_callable


def test_row_ids_are_random_uuids_not_in_submission_order(shopper, make_shopper, stored_responses):
    for _ in range(5):
        make_shopper().submit("where-you-shop", {"state": "NG-OY"})
    ids = [row.id for row in stored_responses()]
    assert len(set(ids)) == 5
    assert all(row_id.version == 4 for row_id in ids)


def test_no_foreign_key_reaches_from_the_answers_store_into_the_identity_store(app):
    with app.app_context():
        identity_tables = set(db.metadatas["identity"].tables)
        for table in db.metadatas["answers"].sorted_tables:
            for key in table.foreign_keys:
                assert key.column.table.name not in identity_tables
        assert identity_tables.isdisjoint(db.metadatas["answers"].tables)
        # The stores are separate databases: the answers engine cannot see identity tables.
        names = inspect(db.engines["answers"]).get_table_names()
        assert identity_tables.isdisjoint(names)


def test_the_store_keeps_only_a_hash_of_the_browsers_key(app, shopper, stored_responses):
    shopper.submit("about-you", ANSWERS)
    key = unsign(app.config["SECRET_KEY"], shopper.respondent_cookie())
    (row,) = stored_responses()
    assert row.respondent_hash == respondent_hash(key)
    assert key not in repr(vars(row))


def test_the_respondent_cookie_is_signed_http_only_same_site_and_holds_only_the_key(app, shopper):
    shopper.submit("about-you", ANSWERS)
    cookie = shopper.client.get_cookie("respondent")
    assert cookie.http_only and cookie.same_site == "Lax"
    key = unsign(app.config["SECRET_KEY"], cookie.value)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", key)
    for code in ANSWERS.values():
        assert code not in cookie.value


def test_no_cookie_is_set_for_just_looking(client):
    client.get("/")
    client.get("/surveys/about-you")
    client.get("/privacy")
    assert client.get_cookie("respondent") is None


def test_the_session_cookie_carries_only_a_random_csrf_token(app, shopper):
    shopper.submit("about-you", ANSWERS)
    session_cookie = shopper.client.get_cookie("session")
    with app.test_request_context():
        session = app.session_interface.get_signing_serializer(app).loads(session_cookie.value)
    assert set(session) == {"csrf_token"}
    assert re.fullmatch(r"[0-9a-f]{40}", session["csrf_token"])


def test_logs_carry_no_answers_keys_cookies_or_addresses(app, shopper, caplog):
    caplog.set_level(logging.DEBUG)
    shopper.submit("about-you", ANSWERS)
    shopper.client.get("/surveys/about-you/thanks")
    shopper.client.get("/me")
    shopper.submit("about-you", {**ANSWERS, "lga": "NG-LA-01"})  # refused: logged as a 400
    shopper.not_now("where-you-shop")
    # Addresses that match no route, each holding an identifier a client mistyped around
    # (with letters in it: digits alone turn up in the log records' own timestamps).
    shopper.client.get("/api/v1/profile/customer-qz8841", headers={"Authorization": "Bearer x"})
    shopper.client.post("/api/v1/profiles/customer-qz8841/batch")
    shopper.client.get("/surveys/about-you/customer-qz8841")
    shopper.client.put("/me/customer-qz8841")
    key = unsign(app.config["SECRET_KEY"], shopper.respondent_cookie())
    logged = "\n".join(record.getMessage() + repr(vars(record)) for record in caplog.records)
    assert "request" in logged  # the access log did run
    forbidden = [
        *ANSWERS.values(),
        "NG-LA-01",
        key,
        respondent_hash(key),
        shopper.respondent_cookie(),
    ]
    forbidden += [shopper.client.get_cookie("session").value, "127.0.0.1", "Kano", "qz8841"]
    for value in forbidden:
        assert value not in logged, f"{value!r} reached the logs"


def test_a_request_that_matches_no_route_is_logged_with_a_fixed_placeholder(client, caplog):
    caplog.set_level(logging.INFO, logger="surveys.access")
    client.get("/api/v1/profile/customer-8841")  # a client's typo: profile, not profiles
    client.delete("/surveys/about-you")  # a route, but not for this method
    paths = [r.fields["path"] for r in caplog.records if r.name == "surveys.access"]
    assert paths == ["(no route)", "(no route)"]


def test_access_log_lines_name_the_route_not_the_url(app, client, caplog):
    caplog.set_level(logging.INFO, logger="surveys.access")
    client.get("/surveys/where-you-shop?utm_source=newsletter")
    (record,) = [r for r in caplog.records if r.name == "surveys.access"]
    assert record.fields["path"] == "/surveys/<slug>"
    assert record.fields["status"] == 200
    assert set(record.fields) == {"request_id", "method", "path", "status", "duration_ms"}
