"""The bulk sync: a recommender starting from nothing pages through every consenting
customer's profile, then follows the change feed from the cursor it was given, and ends up
with exactly what customers share now, having been given nothing else."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime

import pytest

from examples import recommender_sync
from surveys import clock
from surveys.api import sync_cursor
from surveys.extensions import db
from surveys.models.api import CHANGES_READ, PROFILES_READ
from surveys.services import answers, catalogue, profiles
from surveys.services import consent as consent_service
from surveys.services.answers import journal
from surveys.services.respondents import new_key, respondent_hash
from tests.api.conftest import ApiCaller
from tests.api.test_profiles import access_log_broken
from tests.consent.consent_helpers import ABOUT_YOU

LISTING = "/api/v1/profiles"
ALL = ["state", "lga", "age_band", "income_band", "gender"]


def _walk(api: ApiCaller, limit: int) -> tuple[list[dict], int]:
    """Every page, as a client would: the profiles in order, and the changes cursor."""
    pages, query, cursors = [], {"limit": limit}, set()
    while True:
        body = api.get(LISTING, query_string=query).json
        pages += body["profiles"]
        cursors.add(body["changes_cursor"])
        if not body["has_more"]:
            assert len(cursors) == 1, "the changes cursor changed between pages"
            return pages, cursors.pop()
        query = {"limit": limit, "after": body["next_cursor"]}


@pytest.fixture
def shoppers(app):
    """Consenting shoppers made straight through the services (quicker than their browsers):
    ``give(subject, attributes)``, ``withdraw(subject)``, ``change(subject, attributes)``."""
    keys: dict[str, str] = {}

    class Shoppers:
        def give(self, subject, attributes, target=None):
            with (target or app).app_context():
                cipher = consent_service.cipher_for(app.config["LINK_ENCRYPTION_KEY"])
                key = keys.setdefault(subject, new_key())
                survey = catalogue.find(db.session, "about-you")
                answers.save_answers(db.session, survey, respondent_hash(key), ABOUT_YOU,
                                     clock.today())  # fmt: skip
                consent_service.give(db.session, subject, attributes, "privacy-page", key,
                                     cipher, datetime.now(UTC))  # fmt: skip
                db.session.commit()

        def withdraw(self, subject):
            with app.app_context():
                cipher = consent_service.cipher_for(app.config["LINK_ENCRYPTION_KEY"])
                consent_service.withdraw(db.session, subject, False, "privacy-page", cipher,
                                         datetime.now(UTC))  # fmt: skip
                db.session.commit()

        def change(self, subject, attributes):
            with app.app_context():
                consent_service.change(db.session, subject, attributes, "privacy-page",
                                       datetime.now(UTC))  # fmt: skip
                db.session.commit()

        def truth(self, subjects):
            """What each subject shares now, read straight from the service."""
            with app.app_context():
                cipher = consent_service.cipher_for(app.config["LINK_ENCRYPTION_KEY"])
                found = {}
                for subject in subjects:
                    profile = profiles.profile_of(db.session, subject, cipher)
                    if profile is not None:
                        found[subject] = sorted(profile.attributes)
                return found

    return Shoppers()


def test_paging_gives_every_consenting_customer_once_in_order_and_only_what_they_share(
    api, consenting, make_customer
):
    consenting("cust-c", ["state", "age_band"])
    consenting("cust-a", ALL)
    consenting("cust-e", ["gender"])
    consenting("cust-b", ["income_band"], {**ABOUT_YOU, "income_band": "prefer_not_to_say"})
    consenting("cust-d", ["state"]).withdraw("keep")
    answered_only = make_customer()
    answered_only.sign_in("cust-f")
    answered_only.submit("about-you", ABOUT_YOU)

    listed, _ = _walk(api, limit=1)
    assert [p["subject"] for p in listed] == ["cust-a", "cust-c", "cust-e"]
    assert {p["subject"]: set(p["attributes"]) for p in listed} == {
        "cust-a": set(ALL),
        "cust-c": {"state", "age_band"},
        "cust-e": {"gender"},
    }
    # The same profile as a single read gives, in the same shape.
    for profile in listed:
        assert api.get(f"/api/v1/profiles/{profile['subject']}").json == profile


def _page_shapes(api, limit: int) -> list[tuple[list[str], bool]]:
    """What a walk shows besides the (encrypted) cursors: each page's subjects, and has_more."""
    shapes, after = [], None
    while True:
        query = {"limit": limit, **({"after": after} if after else {})}
        body = api.get(LISTING, query_string=query).json
        shapes.append(([p["subject"] for p in body["profiles"]], body["has_more"]))
        if not body["has_more"]:
            return shapes
        after = body["next_cursor"]


def test_a_consent_with_nothing_to_share_leaves_no_trace_in_the_pages(api, consenting):
    """The recommender knows its own customer ids: a short or empty page between two it is
    given would point at the customers in between. Pages stay full, and the walk is the same
    as if those customers had never consented."""
    nothing = {**ABOUT_YOU, "income_band": "prefer_not_to_say"}
    consenting("cust-a", ["state"])
    consenting("cust-b", ["income_band"], nothing)
    consenting("cust-c", ["income_band"], nothing)
    consenting("cust-d", ["state"])
    assert _page_shapes(api, limit=1) == [(["cust-a"], True), (["cust-d"], False)]
    assert _page_shapes(api, limit=2) == [(["cust-a", "cust-d"], False)]


def test_a_walk_ending_in_consents_with_nothing_to_share_ends_on_the_last_profile(api, consenting):
    consenting("cust-a", ["state"])
    consenting("cust-z", ["income_band"], {**ABOUT_YOU, "income_band": "prefer_not_to_say"})
    assert _page_shapes(api, limit=1) == [(["cust-a"], False)]


def test_an_empty_service_gives_one_empty_page_and_the_feed_start(api):
    body = api.get(LISTING).json
    assert body["profiles"] == [] and body["has_more"] is False
    assert body["changes_cursor"] == 0


def test_every_profile_given_out_is_logged_in_one_go_and_shown_to_the_shopper(
    api, consenting, store
):
    customer = consenting("cust-1", ["state", "age_band"])
    consenting("cust-2", ["gender"])
    consenting("cust-3", ["state"]).withdraw("keep")
    _walk(api, limit=1000)
    reads = store.reads()
    assert sorted((r.subject, r.client, tuple(r.attributes)) for r in reads) == [
        ("cust-1", "recommender", ("state", "age_band")),
        ("cust-2", "recommender", ("gender",)),
    ]
    assert len({r.read_at for r in reads}) == 1  # one statement for the page
    page = customer.me()
    assert page.count("<td>recommender</td>") == 1
    assert "State and Age band" in page


def test_the_changes_cursor_is_the_feed_position_before_the_first_page(
    api, consenting, record_change
):
    consenting("cust-1", ["state"])
    last = record_change("someone-else")
    first = api.get(LISTING, query_string={"limit": 1}).json
    assert first["changes_cursor"] == last
    later = record_change("cust-2")
    assert later > first["changes_cursor"]
    feed = api.get("/api/v1/changes", query_string={"after": first["changes_cursor"]}).json
    assert [c["subject"] for c in feed["changes"]] == ["cust-2"]


def test_a_consent_behind_the_walk_and_a_withdrawal_after_listing_come_through_the_feed(
    app, api, shoppers
):
    for subject in ["cust-b", "cust-c", "cust-d"]:
        shoppers.give(subject, ["state"])
    replica = recommender_sync.Replica()
    first = api.get(LISTING, query_string={"limit": 2}).json
    assert [p["subject"] for p in first["profiles"]] == ["cust-b", "cust-c"]
    shoppers.give("cust-a", ["gender"])  # behind the walk: no page will show it
    shoppers.withdraw("cust-b")  # already given out
    shoppers.change("cust-d", ["state", "age_band"])  # ahead: the page shows the new consent
    rest = api.get(LISTING, query_string={"limit": 2, "after": first["next_cursor"]}).json
    assert [p["subject"] for p in rest["profiles"]] == ["cust-d"]
    assert set(rest["profiles"][0]["attributes"]) == {"state", "age_band"}
    for profile in first["profiles"] + rest["profiles"]:
        replica.profiles[profile["subject"]] = profile
    replica.changes_cursor = rest["changes_cursor"]

    recommender_sync.follow(_caller(api), replica)
    assert (
        {s: sorted(p["attributes"]) for s, p in replica.profiles.items()}
        == shoppers.truth(["cust-a", "cust-b", "cust-c", "cust-d"])
        == {"cust-a": ["gender"], "cust-c": ["state"], "cust-d": ["age_band", "state"]}
    )


def _caller(api: ApiCaller) -> recommender_sync.Call:
    """The example client's transport, over the test client (each response still checked
    against the OpenAPI document)."""

    def call(method, path, query, body):
        if method == "GET":
            response = api.get(path, query_string=query)
        else:
            response = api.post(path, json=body)
        assert response.status_code == 200, response.json
        return response.json

    return call


def test_bootstrap_then_follow_during_concurrent_consent_changes_misses_nothing(app, api, shoppers):
    """Steady customers are on exactly one page; customers who give, change and withdraw
    consent while the walk runs end up in the copy exactly as they are now."""
    steady = [f"cust-{n:03d}-a" for n in range(30)]
    churning = [f"cust-{n:03d}-b" for n in range(0, 30, 2)]
    for subject in steady + churning[::2]:
        shoppers.give(subject, ["state", "gender"])
    errors, stop = [], threading.Event()

    def churn():
        rng = random.Random(15)
        try:
            while not stop.is_set():
                subject = rng.choice(churning)
                action = rng.choice(["give", "change", "withdraw"])
                if action == "give":
                    shoppers.give(subject, rng.sample(ALL[2:], 1) + ["state"])
                elif action == "change" and shoppers.truth([subject]):
                    shoppers.change(subject, rng.sample(ALL[2:], 2))
                elif action == "withdraw":
                    shoppers.withdraw(subject)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    writer = threading.Thread(target=churn)
    writer.start()
    calls = []
    caller = _caller(api)

    def counting(method, path, query, body):
        calls.append(path)
        return caller(method, path, query, body)

    try:
        replica = recommender_sync.bootstrap(counting, page_size=3)
        listed = [p for p in replica.profiles]
    finally:
        stop.set()
        writer.join(60)
    assert errors == []
    assert calls.count(LISTING) >= 10  # the writer had time to interleave
    assert set(steady) <= set(listed)
    recommender_sync.follow(caller, replica)
    held = {s: sorted(p["attributes"]) for s, p in replica.profiles.items()}
    assert held == shoppers.truth(steady + churning)


def test_no_steady_customer_is_listed_twice_while_others_churn(app, api, shoppers):
    steady = [f"cust-{n:02d}-a" for n in range(20)]
    for subject in steady:
        shoppers.give(subject, ["state"])
    seen: list[str] = []
    query = {"limit": 2}
    n = 0
    while True:
        body = api.get(LISTING, query_string=query).json
        seen += [p["subject"] for p in body["profiles"]]
        # Between pages, customers come and go around the walk's position.
        shoppers.give(f"cust-{n:02d}-b", ["state"])
        shoppers.give(f"cust-{19 - n:02d}-c", ["state"])
        if n % 3 == 0:
            shoppers.withdraw(f"cust-{n:02d}-b")
        n += 1
        if not body["has_more"]:
            break
        query = {"limit": 2, "after": body["next_cursor"]}
    assert [s for s in seen if s.endswith("-a")] == steady
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ({"limit": "0"}, "'limit'"),
        ({"limit": "1001"}, "'limit'"),
        ({"limit": "ten"}, "'limit'"),
        ({"after": "not-a-cursor"}, "'after'"),
        ({"after": ""}, "'after'"),
        ({"after": "ü"}, "'after'"),
        ({"after": "A" * 2049}, "'after'"),
        ({"afer": "x"}, "'afer'"),
    ],
)
def test_bad_paging_parameters_get_a_400_problem_naming_them(api, query, name):
    response = api.get(LISTING, query_string=query)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert name in response.json["detail"]


def test_a_cursor_made_with_another_key_or_altered_is_refused(app, api, consenting):
    consenting("cust-1", ["state"])
    consenting("cust-2", ["state"])
    good = api.get(LISTING, query_string={"limit": 1}).json["next_cursor"]
    elsewhere = sync_cursor.encode(sync_cursor.Position(0, "cust-1"), "another secret key")
    altered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    for cursor in (elsewhere, altered):
        response = api.get(LISTING, query_string={"after": cursor})
        assert response.status_code == 400, cursor
    assert api.get(LISTING, query_string={"after": good}).status_code == 200


def test_every_cursor_has_one_length_whatever_the_subject(app):
    """A cursor names no subject, not even by its length."""
    key = app.config["SECRET_KEY"]
    lengths = {
        len(sync_cursor.encode(sync_cursor.Position(changes, subject), key))
        for changes, subject in [(0, "a"), (7, "cust-20-characters.."), (2**62, "𝄞" * 128)]
    }
    assert len(lengths) == 1
    raw = sync_cursor.encode(sync_cursor.Position(3, "cust-a"), key)
    assert "cust-a" not in _padded_b64decode(raw)
    assert sync_cursor.decode(raw, key) == sync_cursor.Position(3, "cust-a")


def _padded_b64decode(raw: str) -> str:
    import base64

    return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("latin-1")


def test_a_cursor_round_trips_under_its_key_only():
    position = sync_cursor.Position(42, "cust-ü/1" + "𝄞" * 119)
    raw = sync_cursor.encode(position, "key-1")
    assert len(raw) <= sync_cursor.MAX_LENGTH
    assert sync_cursor.decode(raw, "key-1") == position
    for bad, key in [(raw, "key-2"), (raw + "A", "key-1"), (raw[:-4], "key-1"), ("W10", "key-1")]:
        with pytest.raises(ValueError, match="not a cursor"):
            sync_cursor.decode(bad, key)


def test_listing_needs_the_profiles_scope_and_a_valid_token(app, make_api_client):
    feed_only = make_api_client("feed-only", scopes=(CHANGES_READ,)).token
    response = ApiCaller(app, feed_only).get(LISTING)
    assert response.status_code == 403
    assert 'scope="profiles:read"' in response.headers["WWW-Authenticate"]
    assert ApiCaller(app, "svy_nope").get(LISTING).status_code == 401
    reader = make_api_client("reader", scopes=(PROFILES_READ,)).token
    assert ApiCaller(app, reader).get(LISTING).status_code == 200


def test_a_read_log_that_cannot_be_written_gives_out_nothing(app, token, shoppers, store):
    """The whole page's log is one statement: it fails whole, and no profile leaves."""
    shoppers.give("cust-1", ["state"])
    shoppers.give("cust-2", ["gender"])
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as production would, not raise
    with access_log_broken(app):
        response = app.test_client().get(LISTING, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code >= 500
    assert response.mimetype == "application/problem+json"
    assert b"cust-1" not in response.get_data() and b"NG-LA" not in response.get_data()
    assert store.reads() == []


def test_the_bulk_reads_stay_out_of_the_single_reads_link_cache(app, shoppers):
    """A walk over every link would evict the links hot single reads keep decrypted."""
    for n in range(profiles.BULK_UNCACHED + 1):
        shoppers.give(f"cust-{n:03d}", ["state"])
    with app.app_context():
        cipher = consent_service.cipher_for(app.config["LINK_ENCRYPTION_KEY"])
        cipher.respondent_hash_of.cache_clear()
        identity = db.session.connection(bind_arguments={"bind": db.engines["identity"]})
        answers_store = db.session.connection(bind_arguments={"bind": db.engines["answers"]})
        listing = profiles.consented_after(identity, answers_store, "", 1000, cipher,
                                           journal.sealer())  # fmt: skip
        assert len(listing.profiles) == profiles.BULK_UNCACHED + 1
        assert cipher.respondent_hash_of.cache_info().currsize == 0


def test_pages_read_settled_answers_and_the_changes_made_since_as_single_reads_do(
    api, consenting, settle
):
    """A page reads the clear rows the nightly settle wrote, overlaid with what shoppers
    changed since (entries still sealed in the journal): the same profiles as single reads."""
    steady = consenting("cust-a", ALL)
    moved = consenting("cust-b", ["state", "lga", "income_band"])
    consenting("cust-c", ["gender", "age_band"])
    settle()
    moved.submit("about-you", {**ABOUT_YOU, "state": "NG-KN", "lga": "NG-KN-01",
                               "income_band": "prefer_not_to_say"})  # fmt: skip
    consenting("cust-d", ["state"])  # only in the journal
    assert steady is not None

    listed, _ = _walk(api, limit=2)
    assert [p["subject"] for p in listed] == ["cust-a", "cust-b", "cust-c", "cust-d"]
    by_subject = {p["subject"]: p for p in listed}
    assert {k: v["code"] for k, v in by_subject["cust-b"]["attributes"].items()} == {
        "state": "NG-KN",
        "lga": "NG-KN-01",
    }
    for profile in listed:
        assert api.get(f"/api/v1/profiles/{profile['subject']}").json == profile


@pytest.mark.parametrize(
    "subject", ["cust-1", 'a "quoted" id', "back\\slash", "Adébáyọ̀ 北京", "</script>\n\t"]
)
def test_a_page_body_is_the_json_the_profiles_make_whatever_the_subject(subject):
    """A page's body is written from pieces made once per attribute value: byte for byte
    what json.dumps makes of the same profiles."""
    import json

    from surveys.api import views
    from surveys.services.profiles import Profile

    at = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    found = {
        subject: Profile(
            {"state": "NG-LA", "lga": "NG-LA-11", "gender": "female"},
            "2026-11-v1",
            at,
            at.date(),
            at,
        ),  # fmt: skip
        subject + "2": Profile(
            {"income_band": "income_150k_300k"}, "v\u00e9", at, at.date(), at.replace(microsecond=5)
        ),  # fmt: skip
    }
    tail = {"next_cursor": "abc", "has_more": True, "changes_cursor": 12}
    expected = {"profiles": [views._profile_json(s, p) for s, p in found.items()], **tail}
    body = views._listing_json(found, tail)
    assert body == json.dumps(expected, separators=(",", ":")).encode()
    assert views._listing_json({}, tail) == json.dumps({"profiles": [], **tail},
                                                        separators=(",", ":")).encode()  # fmt: skip


def test_log_ids_are_uuid7_in_the_order_of_their_reads_and_unique():
    """Appended at the end of the log's primary key index, not scattered through it."""
    import uuid
    from datetime import timedelta

    start = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    times = [start + timedelta(milliseconds=n) for n in range(200)]
    ids = [profiles.read_id(at) for at in times]
    assert all(made.version == 7 and made.variant == "specified in RFC 4122" for made in ids)
    assert ids == sorted(ids)
    assert len({profiles.read_id(start) for _ in range(1000)}) == 1000
    assert {made.int >> 80 for made in ids} == {int(at.timestamp() * 1000) for at in times}
    # A page's ids, drawn together: the same shape, all different, after the page before.
    page = [uuid.UUID(int=made) for made in profiles._read_ids(start, 1000)]
    assert all(made.version == 7 and made.variant == "specified in RFC 4122" for made in page)
    assert len(set(page)) == 1000
    assert {made.int >> 80 for made in page} == {int(start.timestamp() * 1000)}
    later = profiles._read_ids(times[-1] + timedelta(milliseconds=1), 1000)
    assert min(later) > max(made.int for made in ids)


def test_a_link_whose_newest_record_is_not_a_consent_is_passed_over_without_ending_the_walk(
    app, api, shoppers
):
    """Between a withdrawal's record and its link's deletion (one transaction, but a page may
    read in between on another store's timeline), a link's newest record says "withdrawn":
    that subject is not listed, and the walk goes on to the subjects after it. PostgreSQL
    reads a window of links and drops such rows itself; SQLite filters them in the query."""
    from datetime import timedelta

    from surveys.models import ConsentRecord

    for subject in ("cust-1", "cust-2", "cust-3", "cust-4"):
        shoppers.give(subject, ["state"])
    with app.app_context():
        later = datetime.now(UTC) + timedelta(seconds=1)
        for subject in ("cust-2", "cust-3"):
            db.session.add(
                ConsentRecord(subject=subject, purpose=consent_service.PURPOSE, attributes=[],
                              notice_version=consent_service.NOTICE_VERSION, given_at=later,
                              method="privacy-page", status="withdrawn",
                              answers_after=consent_service.KEPT_ANONYMOUS)
            )  # fmt: skip
        db.session.commit()
    for limit in (1, 2, 1000):
        listed, _ = _walk(api, limit=limit)
        assert [p["subject"] for p in listed] == ["cust-1", "cust-4"], limit
