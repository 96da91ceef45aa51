"""Profiles: only consented attributes, an identical 404 for everyone else, ETags, batches,
and every read in the shopper's own access log."""

import json
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from surveys.models.api import CHANGES_READ
from surveys.services.consent import NOTICE_VERSION
from tests.api.conftest import ApiCaller
from tests.consent.consent_helpers import ABOUT_YOU

PROFILE = "/api/v1/profiles/{}"
BATCH = "/api/v1/profiles/batch"
LAGOS = {"code": "NG-LA", "label": "Lagos"}
AGE = {"code": "age_25_34", "label": "25–34"}


def test_a_profile_holds_only_the_consented_attributes_as_codes_and_labels(api, consenting):
    before = datetime.now(UTC)
    consenting("cust-1", ["state", "age_band"])
    response = api.get(PROFILE.format("cust-1"))
    assert response.status_code == 200
    body = response.json
    assert body["subject"] == "cust-1"
    assert body["attributes"] == {"state": LAGOS, "age_band": AGE}
    assert body["notice_version"] == NOTICE_VERSION
    assert before <= datetime.fromisoformat(body["last_changed"]) <= datetime.now(UTC)
    assert set(body) == {"subject", "attributes", "notice_version", "last_changed"}
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["ETag"]


def test_every_attribute_can_be_shared_and_each_has_its_stable_code(api, consenting):
    consenting("cust-1", ["state", "lga", "age_band", "income_band", "gender"])
    attributes = api.get(PROFILE.format("cust-1")).json["attributes"]
    assert {key: value["code"] for key, value in attributes.items()} == ABOUT_YOU
    assert attributes["lga"]["label"] == "Ikeja"
    assert attributes["income_band"]["label"] == "₦150,000 – ₦299,999"


def _comparable(response):
    headers = {k: v for k, v in response.headers.items() if k not in {"X-Request-Id"}}
    return response.status_code, response.get_data(), headers


def test_unknown_no_consent_withdrawn_and_nothing_to_share_look_exactly_alike(
    api, consenting, make_customer
):
    answered_only = make_customer()
    answered_only.sign_in("cust-no-consent")
    answered_only.submit("about-you", ABOUT_YOU)
    consenting("cust-withdrawn", ["state"]).withdraw("keep")
    # Shared income, but answered "prefer not to say": nothing to give.
    consenting("cust-nothing", ["income_band"], {**ABOUT_YOU, "income_band": "prefer_not_to_say"})
    declined = make_customer()
    declined.sign_in("cust-declined")
    declined.submit("about-you", ABOUT_YOU)
    declined.decline()

    subjects = ["cust-never-seen", "cust-no-consent", "cust-withdrawn", "cust-nothing",
                "cust-declined", "x" * 129]  # fmt: skip
    responses = [api.get(PROFILE.format(subject)) for subject in subjects]
    assert responses[0].status_code == 404
    assert responses[0].mimetype == "application/problem+json"
    assert all(_comparable(r) == _comparable(responses[0]) for r in responses)
    assert api.post(BATCH, json={"subjects": subjects}).json == {"profiles": []}


def test_the_read_after_a_withdrawal_already_has_nothing(api, consenting):
    customer = consenting("cust-1", ["state", "gender"])
    assert api.get(PROFILE.format("cust-1")).status_code == 200
    customer.withdraw("keep")
    assert api.get(PROFILE.format("cust-1")).status_code == 404


def test_a_changed_consent_changes_the_very_next_read(api, consenting):
    customer = consenting("cust-1", ["state", "age_band"])
    customer.change(["gender"])
    assert api.get(PROFILE.format("cust-1")).json["attributes"] == {
        "gender": {"code": "female", "label": "Female"}
    }


def test_a_changed_answer_shows_in_the_next_read(api, consenting):
    customer = consenting("cust-1", ["state", "lga"])
    customer.submit("about-you", {**ABOUT_YOU, "state": "NG-KN", "lga": "NG-KN-01"})
    attributes = api.get(PROFILE.format("cust-1")).json["attributes"]
    assert attributes["state"] == {"code": "NG-KN", "label": "Kano"}
    assert attributes["lga"]["code"] == "NG-KN-01"


def test_if_none_match_gets_304_until_the_profile_changes(api, consenting):
    customer = consenting("cust-1", ["state"])
    first = api.get(PROFILE.format("cust-1"))
    etag = first.headers["ETag"]
    again = api.get(PROFILE.format("cust-1"), headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    customer.change(["state", "gender"])
    changed = api.get(PROFILE.format("cust-1"), headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "gender" in changed.json["attributes"]


def test_subjects_are_taken_literally_even_with_slashes_and_spaces(api, consenting):
    consenting("shop/eu cust#7", ["state"])
    # (Not checked against the document: an OpenAPI path parameter cannot hold a slash.)
    encoded = api.get(PROFILE.format("shop%2Feu%20cust%237"), validate=False)
    assert encoded.json["subject"] == "shop/eu cust#7"
    assert api.get(PROFILE.format("shop/eu cust%237"), validate=False).status_code == 200


def test_reading_profiles_needs_the_profiles_scope(app, make_api_client, consenting):
    consenting("cust-1", ["state"])
    feed_only = ApiCaller(app, make_api_client("feed-only", scopes=(CHANGES_READ,)).token)
    assert feed_only.get(PROFILE.format("cust-1")).status_code == 403
    assert feed_only.post(BATCH, json={"subjects": ["cust-1"]}).status_code == 403
    assert ApiCaller(app).get(PROFILE.format("cust-1")).status_code == 401


def test_a_batch_returns_the_profiles_that_exist_in_the_order_asked(api, consenting):
    consenting("cust-1", ["state"])
    consenting("cust-2", ["age_band"])
    response = api.post(BATCH, json={"subjects": ["cust-2", "nobody", "cust-1", "cust-2"]})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    profiles = response.json["profiles"]
    assert [p["subject"] for p in profiles] == ["cust-2", "cust-1"]
    assert profiles[0]["attributes"] == {"age_band": AGE}
    assert profiles[1]["attributes"] == {"state": LAGOS}
    assert api.post(BATCH, json={"subjects": []}).json == {"profiles": []}


def test_a_batch_of_100_is_served_and_101_is_refused(api, consenting):
    consenting("cust-1", ["state"])
    hundred = ["cust-1"] + [f"nobody-{n}" for n in range(99)]
    assert len(api.post(BATCH, json={"subjects": hundred}).json["profiles"]) == 1
    too_many = api.post(BATCH, json={"subjects": [*hundred, "one-more"]})
    assert too_many.status_code == 400 and too_many.mimetype == "application/problem+json"
    assert "at most 100" in too_many.json["detail"]


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ({"subjects": "cust-1"}, "application/json", 400),
        ({"subjects": [1, 2]}, "application/json", 400),
        ({"subjects": [""]}, "application/json", 400),
        ({"subjects": ["a"], "fields": ["state"]}, "application/json", 400),
        (["cust-1"], "application/json", 400),
        ("not json", "application/json", 400),
        ("subjects=cust-1", "application/x-www-form-urlencoded", 415),
        # Deep enough for the parser's RecursionError, small enough to pass the size limit.
        ('{"subjects": ' + "[" * 5000 + "]" * 5000 + "}", "application/json", 400),
        ("[" * 5000 + "]" * 5000, "application/json", 400),
        ('{"subjects": ["\\ud800"]}', "application/json", 400),  # a lone surrogate
        ('{"subjects": ["cust-1", "x\\udfff"]}', "application/json", 400),
        (b'{"subjects": ["\xff"]}', "application/json", 400),  # not UTF-8 at all
    ],
)
def test_a_bad_batch_gets_a_clear_problem_and_logs_nothing(
    api, consenting, store, body, content_type, status
):
    consenting("cust-1", ["state"])
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    response = api.post(BATCH, data=data, content_type=content_type, validate=status != 415)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json" and response.json["detail"]
    assert store.reads() == []


def test_the_batch_address_is_never_taken_for_a_subject(api, consenting, store):
    """GET on it is not a read of a customer called "batch" (schemathesis' ST205)."""
    consenting("batch", ["state"])
    for method in ("get", "head", "put", "delete"):
        response = getattr(api.client, method)(
            BATCH, headers={"Authorization": f"Bearer {api.token}"}
        )
        assert response.status_code == 405, method
        assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    options = api.client.options(BATCH, headers={"Authorization": f"Bearer {api.token}"})
    assert set(options.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    assert store.reads() == []
    # Such a customer is read through the batch; look-alike subjects are subjects.
    found = api.post(BATCH, json={"subjects": ["batch"]}).json["profiles"]
    assert [p["subject"] for p in found] == ["batch"]
    for lookalike in ("batch2", "a-batch", "batch/more"):
        assert api.get(PROFILE.format(lookalike), validate=False).status_code == 404


def test_a_batch_needs_no_csrf_token_and_a_huge_body_gets_413(api):
    response = api.post(BATCH, data=b"{" + b" " * 20_000 + b"}", content_type="application/json")
    assert response.status_code == 413 and response.mimetype == "application/problem+json"


def test_every_read_is_in_the_shoppers_access_log_on_me(api, consenting, store):
    customer = consenting("cust-1", ["state", "age_band"])
    consenting("cust-2", ["gender"])
    etag = api.get(PROFILE.format("cust-1")).headers["ETag"]
    api.get(PROFILE.format("cust-1"), headers={"If-None-Match": etag})  # 304: a read too
    api.post(BATCH, json={"subjects": ["cust-1", "cust-2", "nobody"]})
    api.get(PROFILE.format("nobody"))  # nothing given, nothing logged

    reads = store.reads()
    assert sorted((r.subject, r.client, tuple(r.attributes)) for r in reads) == [
        ("cust-1", "recommender", ("state", "age_band")),
        ("cust-1", "recommender", ("state", "age_band")),
        ("cust-1", "recommender", ("state", "age_band")),
        ("cust-2", "recommender", ("gender",)),
    ]
    page = customer.me()
    assert page.count("<td>recommender</td>") == 3
    assert "State and Age band" in page
    exported = customer.client.get("/me/export.json").json["profile_reads"]
    assert len(exported) == 3 and exported[0]["client"] == "recommender"


def test_a_single_reads_log_row_is_stored_as_the_orm_would_store_it(api, consenting, store):
    """However the single read's insert is run (it was once tried as driver SQL), its id, keys
    and time go through the columns' own conversions (a UUID as hex on SQLite, JSON, UTC)."""
    consenting("cust-1", ["state", "age_band"])
    before = datetime.now(UTC)
    assert api.get(PROFILE.format("cust-1")).status_code == 200
    [read] = store.reads()
    assert isinstance(read.id, uuid.UUID) and read.id.version == 7
    assert read.attributes == ["state", "age_band"]
    assert read.read_at.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= read.read_at <= datetime.now(UTC)


def test_a_subject_no_store_could_hold_is_simply_not_found(api, consenting):
    """Found by schemathesis: a NUL in a subject once made PostgreSQL fail with a 500."""
    consenting("cust-1", ["state"])
    assert api.get(PROFILE.format("cust%001"), validate=False).status_code == 404
    batch = api.post(BATCH, json={"subjects": ["cust\x001", "cust-1"]})
    assert [p["subject"] for p in batch.json["profiles"]] == ["cust-1"]


@contextmanager
def access_log_broken(app):
    """Make every access-log write fail for real: the table is not where the app expects."""
    from sqlalchemy import text

    from surveys.extensions import db

    def rename(old: str, new: str) -> None:
        with app.app_context(), db.engines["identity"].begin() as connection:
            connection.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))

    rename("profile_reads", "profile_reads_away")
    try:
        yield
    finally:
        rename("profile_reads_away", "profile_reads")


def test_a_read_that_cannot_be_logged_gives_out_nothing(app, token, consenting, store):
    consenting("cust-1", ["state", "age_band"])
    consenting("cust-2", ["state"])
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as production would, not raise
    client, auth = app.test_client(), {"Authorization": f"Bearer {token}"}
    with access_log_broken(app):  # a 503 on SQLite ("no such table"), a 500 on PostgreSQL
        single = client.get(PROFILE.format("cust-1"), headers=auth)
        batch = client.post(BATCH, json={"subjects": ["cust-1", "cust-2"]}, headers=auth)
    for response in (single, batch):
        assert response.status_code >= 500
        assert response.mimetype == "application/problem+json"
        assert "NG-LA" not in response.get_data(as_text=True)
    assert store.reads() == []


@contextmanager
def _statements_run():
    """Every SQL statement sent to a database while the block runs."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", note)


def test_a_single_read_checks_the_token_and_reads_the_consent_in_one_statement(
    app, api, consenting, make_api_client
):
    """Three statements per read (each a round trip on PostgreSQL): the token with the
    subject's consent, the answers, the access-log insert; the same answer as before."""
    consenting("cust-1", ["state"])
    with _statements_run() as seen:
        response = api.get(PROFILE.format("cust-1"))
    assert response.status_code == 200 and response.json["attributes"] == {"state": LAGOS}
    queries = [s for s in seen if not s.lstrip().upper().startswith(("PRAGMA", "SELECT 1"))]
    assert len(queries) == 3, queries
    assert "api_clients" in queries[0] and "consent_records" in queries[0]
    # Without the scope, the consent read with the token is not given out.
    changes_only = ApiCaller(app, make_api_client("feed-only", (CHANGES_READ,)).token)
    assert changes_only.get(PROFILE.format("cust-1")).status_code == 403
    assert api.get(PROFILE.format("nobody")).status_code == 404
