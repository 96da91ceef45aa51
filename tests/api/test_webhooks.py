"""Events are pushed to clients' webhooks from an outbox, signed as Standard Webhooks says,
retried with backoff until the receiver takes them; the shopper's request never waits."""

import json
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from openapi_core.datatypes import RequestParameters
from sqlalchemy import func, select
from standardwebhooks import Webhook, WebhookVerificationError
from werkzeug.datastructures import Headers

from surveys.extensions import db
from surveys.models import WebhookDelivery
from surveys.models.api import PROFILES_READ
from surveys.services import webhooks
from tests.api.conftest import openapi_spec


@dataclass
class ReceivedWebhook:
    """What arrived, in the shape openapi-core checks against the document's ``webhooks``."""

    body: bytes
    headers: dict[str, str]
    name: str = "profileChanged"
    method: str = "post"
    content_type: str = "application/json"

    @property
    def parameters(self):
        return RequestParameters(header=Headers(self.headers))


def _deliveries(app):
    with app.app_context():
        rows = list(db.session.scalars(select(WebhookDelivery)))
        db.session.expunge_all()
        return rows


def _closed_port_url():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"


@pytest.fixture
def fast_retries(app, make_app):
    """The same stores, with retries due at once, so ``--once`` runs can show each attempt."""
    return make_app(create_schema=False, WEBHOOK_BACKOFF_SECONDS=0, WEBHOOK_MAX_ATTEMPTS=3)


def test_an_event_reaches_the_webhook_signed_and_as_documented(
    app, runner, make_api_client, record_change, receiver
):
    made = make_api_client(webhook_url=receiver.url)
    cursor = record_change("customer-1", "withdrawn")
    assert receiver.received == []  # recording an event sends nothing: the worker does

    result = runner.invoke(args=["webhooks", "run", "--once"])
    assert result.exit_code == 0 and "Delivered 1, to retry 0, given up 0." in result.output

    [got] = receiver.received
    payload = Webhook(made.webhook_secret).verify(got.body, got.headers)
    assert payload["type"] == "profile.withdrawn"
    assert payload["data"] == {
        "cursor": cursor,
        "subject": "customer-1",
        "type": "withdrawn",
        "at": payload["timestamp"],
    }
    assert got.headers["webhook-id"].startswith("msg_")
    assert got.headers["content-type"] == "application/json"
    openapi_spec().validate_webhook_request(ReceivedWebhook(got.body, got.headers))

    tampered = got.body.replace(b"withdrawn", b"updated")
    with pytest.raises(WebhookVerificationError):
        Webhook(made.webhook_secret).verify(tampered, got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks_secret_of_another_client()).verify(got.body, got.headers)

    assert _deliveries(app) == []
    assert "Delivered 0" in runner.invoke(args=["webhooks", "run", "--once"]).output
    assert len(receiver.received) == 1


def webhooks_secret_of_another_client():
    from surveys.services.api_clients import new_webhook_secret

    return new_webhook_secret()


def test_every_webhook_client_gets_each_event_once(app, runner, make_api_client, record_change,
                                                  receiver):  # fmt: skip
    make_api_client("first", webhook_url=receiver.url)
    make_api_client("second", webhook_url=receiver.url + "?from=second")
    make_api_client("puller")  # no webhook: reads the feed instead
    make_api_client("reader", scopes=(PROFILES_READ,))
    record_change("customer-1")
    record_change("customer-2")
    assert len(_deliveries(app)) == 4
    assert "Delivered 4" in runner.invoke(args=["webhooks", "run", "--once"]).output
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) == len(set(ids)) == 4
    cursors = sorted(json.loads(r.body)["data"]["cursor"] for r in receiver.received)
    assert cursors[0] == cursors[1] and cursors[2] == cursors[3] and cursors[0] < cursors[2]


def test_a_failing_receiver_is_retried_with_the_same_id_until_it_takes_the_event(
    fast_retries, make_api_client, record_change, receiver
):
    made = make_api_client(webhook_url=receiver.url)
    record_change("customer-1", "withdrawn")
    receiver.statuses = [503, 500]
    runner = fast_retries.test_cli_runner()
    assert "to retry 1" in runner.invoke(args=["webhooks", "run", "--once"]).output
    [pending] = _deliveries(fast_retries)
    assert pending.attempts == 1 and pending.last_error == "HTTP 503"
    assert "to retry 1" in runner.invoke(args=["webhooks", "run", "--once"]).output
    assert "Delivered 1" in runner.invoke(args=["webhooks", "run", "--once"]).output
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert len(receiver.received) == 3
    for got in receiver.received:  # each attempt is signed afresh, and verifies
        Webhook(made.webhook_secret).verify(got.body, got.headers)
    assert _deliveries(fast_retries) == []


def test_a_receiver_that_is_down_backs_off_exponentially_then_is_given_up(
    app, runner, make_api_client, record_change
):
    make_api_client(webhook_url=_closed_port_url())
    record_change("customer-1")
    settings = webhooks.Settings(timeout=2, backoff=5, max_attempts=4)
    now = datetime.now(UTC)
    schedule = []
    with app.app_context():
        for _ in range(4):
            delivery = webhooks.next_due(db.session, now)
            assert delivery is not None
            outcome = webhooks.attempt(db.session, delivery, now, settings)
            db.session.commit()
            schedule.append((outcome, delivery.next_attempt_at and delivery.next_attempt_at - now))
            assert webhooks.next_due(db.session, now) is None  # not due again yet
            now = delivery.next_attempt_at or now
    assert schedule == [
        (webhooks.Outcome.RETRY, timedelta(seconds=5)),
        (webhooks.Outcome.RETRY, timedelta(seconds=10)),
        (webhooks.Outcome.RETRY, timedelta(seconds=20)),
        (webhooks.Outcome.FAILED, None),
    ]
    [given_up] = _deliveries(app)
    assert given_up.failed_at is not None and given_up.last_error == "ConnectionRefusedError"
    assert "pending=0      failed=1" in runner.invoke(args=["webhooks", "status"]).output


def test_backoff_doubles_and_is_capped_at_an_hour():
    assert [webhooks.backoff_delay(n, 5).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert webhooks.backoff_delay(12, 5) == timedelta(hours=1)
    assert webhooks.backoff_delay(10_000, 5) == timedelta(hours=1)


def test_a_redirect_is_a_failure_and_is_not_followed(
    fast_retries, make_api_client, record_change, receiver
):
    make_api_client(webhook_url=receiver.url)
    receiver.redirect_to = receiver.url + "/elsewhere"
    record_change("customer-1")
    output = fast_retries.test_cli_runner().invoke(args=["webhooks", "run", "--once"]).output
    assert "to retry 1" in output
    assert len(receiver.received) == 1
    assert _deliveries(fast_retries)[0].last_error == "HTTP 307"


def test_revoking_a_client_stops_its_deliveries(app, runner, make_api_client, record_change,
                                               receiver):  # fmt: skip
    make_api_client(webhook_url=receiver.url)
    record_change("customer-1")
    assert runner.invoke(args=["clients", "revoke", "recommender"]).exit_code == 0
    record_change("customer-2")  # a revoked client gets no new deliveries either
    assert "Delivered 0" in runner.invoke(args=["webhooks", "run", "--once"]).output
    assert receiver.received == []
    [stopped] = _deliveries(app)
    assert stopped.last_error == "client revoked" and stopped.failed_at is not None


def test_the_worker_takes_each_due_delivery_once_per_pass(
    fast_retries, make_api_client, record_change
):
    """With retries due at once, one pass still tries each delivery only once."""
    make_api_client(webhook_url=_closed_port_url())
    record_change("customer-1")
    output = fast_retries.test_cli_runner().invoke(args=["webhooks", "run", "--once"]).output
    assert "to retry 1" in output
    with fast_retries.app_context():
        attempts = db.session.scalar(select(func.sum(WebhookDelivery.attempts)))
    assert attempts == 1


def test_the_signature_matches_the_reference_implementation():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"type":"profile.updated"}'
    stamp = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    expected = Webhook(secret).sign("msg_1", stamp, body.decode())
    assert webhooks.sign(secret, "msg_1", int(stamp.timestamp()), body) == expected
