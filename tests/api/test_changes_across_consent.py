"""The change feed follows consent and answers: given, changed, answered, withdrawn."""

from sqlalchemy import select
from standardwebhooks import Webhook

from surveys.extensions import db
from surveys.models import ConsentLink
from surveys.models.api import UPDATED, WITHDRAWN
from surveys.services import answers
from surveys.services.consent import cipher_for
from tests.consent.consent_helpers import ABOUT_YOU, csrf_token

PROFILE = "/api/v1/profiles/{}"


def _sign_out(customer):
    token = csrf_token(customer.client.get("/auth/logout"))
    assert customer.client.post("/auth/logout", data={"csrf_token": token}).status_code == 303
    assert customer.session_cookie() is None


def test_giving_changing_and_withdrawing_consent_each_add_an_event(consenting, feed):
    customer = consenting("cust-1", ["state"])
    assert feed() == [("cust-1", UPDATED)]
    customer.change(["state", "gender"])
    assert feed() == [("cust-1", UPDATED), ("cust-1", UPDATED)]
    customer.withdraw("delete")
    assert feed() == [("cust-1", UPDATED), ("cust-1", UPDATED), ("cust-1", WITHDRAWN)]
    customer.withdraw("keep")  # nothing left to withdraw: no event
    assert len(feed()) == 3


def test_a_consent_with_nothing_to_share_leaves_the_feed_as_no_consent_would(
    api, consenting, make_customer, feed
):
    """An event that a client follows to a 404 would tell a consent with nothing to share from
    no consent at all (found by review): the feed speaks only of profiles a client can read."""
    nothing = {"state": "NG-LA", "income_band": "prefer_not_to_say"}
    customer = consenting("cust-1", ["income_band"], nothing)
    never = make_customer()
    never.sign_in("cust-2")
    never.submit("about-you", nothing)
    customer.change(["income_band", "age_band"])  # never answered: still nothing
    assert feed() == []
    assert api.get(PROFILE.format("cust-1")).status_code == 404
    customer.withdraw("keep")
    assert feed() == []


def test_the_feed_follows_what_a_client_can_read_of_a_consent(api, consenting, feed):
    customer = consenting(
        "cust-1", ["income_band"], {**ABOUT_YOU, "income_band": "prefer_not_to_say"}
    )
    customer.submit("about-you", {**ABOUT_YOU, "income_band": "income_150k_300k"})
    assert feed() == [("cust-1", UPDATED)]  # now there is something to read
    assert api.get(PROFILE.format("cust-1")).status_code == 200
    customer.submit("about-you", {**ABOUT_YOU, "income_band": "prefer_not_to_say"})
    assert feed() == [("cust-1", UPDATED), ("cust-1", WITHDRAWN)]  # and now there is not
    customer.withdraw("keep")
    assert len(feed()) == 2  # the client already knows there is nothing


def test_a_declined_offer_and_answers_without_consent_add_nothing(make_customer, feed):
    customer = make_customer()
    customer.sign_in("cust-1")
    customer.submit("about-you", ABOUT_YOU)
    customer.decline()
    customer.submit("about-you", {**ABOUT_YOU, "gender": "male"})
    assert feed() == []


def test_changing_a_shared_answer_adds_an_event_and_an_unshared_one_does_not(consenting, feed):
    customer = consenting("cust-1", ["state", "lga"])
    customer.submit("about-you", {**ABOUT_YOU, "gender": "male", "age_band": "age_35_44"})
    assert feed() == [("cust-1", UPDATED)]  # the recommender learns nothing of unshared ones
    customer.submit("about-you", {**ABOUT_YOU, "gender": "male", "age_band": "age_35_44"})
    assert len(feed()) == 1  # the same answers again change nothing
    customer.submit("about-you", {**ABOUT_YOU, "state": "NG-KN", "lga": "NG-KN-01"})
    assert feed() == [("cust-1", UPDATED), ("cust-1", UPDATED)]


def test_linked_answers_changed_from_a_signed_out_browser_still_add_an_event(api, consenting, feed):
    customer = consenting("cust-1", ["state"])
    _sign_out(customer)
    customer.submit("about-you", {**ABOUT_YOU, "state": "NG-OY", "lga": "NG-OY-01"})
    assert feed() == [("cust-1", UPDATED), ("cust-1", UPDATED)]
    assert api.get(PROFILE.format("cust-1")).json["attributes"]["state"]["code"] == "NG-OY"


def test_a_signed_out_under_18_answer_deletes_linked_answers_and_says_so(api, consenting, feed):
    customer = consenting("cust-1", ["state", "age_band"])
    _sign_out(customer)
    customer.submit("about-you", {**ABOUT_YOU, "age_band": "under_18"})
    assert feed()[-1] == ("cust-1", WITHDRAWN)  # nothing is left to read
    assert api.get(PROFILE.format("cust-1")).status_code == 404


def test_deleting_everything_withdraws_with_an_event(consenting, feed):
    customer = consenting("cust-1", ["state"])
    token = csrf_token(customer.client.get("/me"))
    assert (
        customer.client.post("/me/delete", data={"csrf_token": token, "confirm": "yes"}).status_code
        == 303
    )
    assert feed()[-1] == ("cust-1", WITHDRAWN)


def test_a_rolled_back_change_leaves_no_event(app, consenting, feed):
    """The event commits with the change or not at all."""
    consenting("cust-1", ["state"])
    before = feed()
    with app.app_context():
        link = db.session.scalars(select(ConsentLink)).one()
        cipher = cipher_for(app.config["LINK_ENCRYPTION_KEY"])
        answers.delete_answers(db.session, cipher.respondent_hash_of(link.encrypted_key))
        db.session.rollback()
        db.session.commit()  # a later commit in the same session publishes nothing stale
    assert feed() == before


def test_a_withdrawal_is_pushed_to_the_webhook_by_the_worker(
    app, runner, consenting, make_api_client, receiver
):
    made = make_api_client(webhook_url=receiver.url)
    customer = consenting("cust-1", ["state"])
    customer.withdraw("keep")
    assert receiver.received == []  # the shopper's request did not wait for the recommender
    assert "Delivered 2" in runner.invoke(args=["webhooks", "run", "--once"]).output
    events = [Webhook(made.webhook_secret).verify(r.body, r.headers) for r in receiver.received]
    assert sorted((e["type"], e["data"]["subject"]) for e in events) == [
        ("profile.updated", "cust-1"),
        ("profile.withdrawn", "cust-1"),
    ]


def test_a_recommender_sees_the_withdrawal_and_never_gets_more(api, consenting):
    """The story of the issue, told from the client's side, using only documented calls."""
    customer = consenting("cust-1", ["state", "age_band"])
    cache, cursor = {}, 0

    def catch_up():
        nonlocal cursor
        while True:
            page = api.get("/api/v1/changes", query_string={"after": cursor}).json
            for change in page["changes"]:
                if change["type"] == "withdrawn":
                    cache.pop(change["subject"], None)
                else:
                    response = api.get(PROFILE.format(change["subject"]))
                    if response.status_code == 200:
                        cache[change["subject"]] = response.json["attributes"]
                    else:
                        cache.pop(change["subject"], None)
            cursor = page["next_cursor"]
            if not page["has_more"]:
                return

    catch_up()
    assert cache == {
        "cust-1": {
            "state": {"code": "NG-LA", "label": "Lagos"},
            "age_band": {"code": "age_25_34", "label": "25–34"},
        }
    }
    customer.withdraw("keep")
    catch_up()
    assert cache == {}
    assert api.get(PROFILE.format("cust-1")).status_code == 404
