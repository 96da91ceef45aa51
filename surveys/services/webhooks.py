"""Pushing change events to clients' webhooks, signed as the Standard Webhooks spec says.

The outbox (:class:`WebhookDelivery`) is filled in the same transaction as the change; a
worker (``flask webhooks run``) sends each row, deletes it once the receiver answers 2xx,
and otherwise tries again later with exponential backoff, so a receiver that is down loses
nothing. The body names the subject and the kind of change only, never the profile.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys.models import ApiClient, ProfileChange, WebhookDelivery
from surveys.services.api_clients import WEBHOOK_SECRET_PREFIX

log = logging.getLogger("surveys.webhooks")

#: Retries are never further apart than this.
MAX_BACKOFF = timedelta(hours=1)
USER_AGENT = "surveys-webhooks/1"

#: ``send(url, body, headers, timeout)`` returns None on a 2xx, else what went wrong.
Sender = Callable[[str, bytes, Mapping[str, str], float], str | None]


@dataclass(frozen=True, slots=True)
class Settings:
    timeout: float
    #: Seconds before the first retry; each later retry waits twice as long.
    backoff: int
    max_attempts: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        return cls(
            config["WEBHOOK_TIMEOUT_SECONDS"],
            config["WEBHOOK_BACKOFF_SECONDS"],
            config["WEBHOOK_MAX_ATTEMPTS"],
        )


class Outcome(Enum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body`` under the secret's key."""
    key = base64.b64decode(secret.removeprefix(WEBHOOK_SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def message_id(delivery: WebhookDelivery) -> str:
    return f"msg_{delivery.id.hex}"


def body_for(change: ProfileChange) -> bytes:
    """The Standard Webhooks payload shape: ``type``, ``timestamp`` and ``data``."""
    data = {
        "cursor": change.id,
        "subject": change.subject,
        "type": change.type,
        "at": change.at.isoformat(),
    }
    payload = {"type": f"profile.{change.type}", "timestamp": change.at.isoformat(), "data": data}
    return json.dumps(payload, separators=(",", ":")).encode("utf-8")


def backoff_delay(attempts: int, base: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: base, 2 x base, 4 x base, ..."""
    return min(timedelta(seconds=base * 2 ** min(attempts - 1, 30)), MAX_BACKOFF)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is a failure: the signed event goes to the URL the operator gave, or nowhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> str | None:
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310  (http(s) only: checked when the client was made)
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read(4096)
            status = response.status
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return type(reason).__name__ if isinstance(reason, BaseException) else type(error).__name__
    return None if 200 <= status < 300 else f"HTTP {status}"


def next_due(
    session: Session, now: datetime, skip: Collection[uuid.UUID] = ()
) -> WebhookDelivery | None:
    """The oldest delivery that is due (less ``skip``), locked so that another worker skips it."""
    return session.scalars(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.next_attempt_at <= now,
            WebhookDelivery.failed_at.is_(None),
            WebhookDelivery.id.not_in(skip),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.change_id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()


def attempt(
    session: Session,
    delivery: WebhookDelivery,
    now: datetime,
    settings: Settings,
    send: Sender = post,
) -> Outcome:
    """Send one delivery once, and record what happened."""
    client = session.get(ApiClient, delivery.client_id)
    change = session.get(ProfileChange, delivery.change_id)
    if change is None or client is None:  # pragma: no cover - foreign keys cascade deletes
        session.delete(delivery)
        session.flush()
        return Outcome.FAILED
    if client.revoked_at is not None or not client.webhook_url or not client.webhook_secret:
        return _give_up(session, delivery, now, "client revoked")

    body = body_for(change)
    identifier = message_id(delivery)
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": identifier,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(client.webhook_secret, identifier, timestamp, body),
    }
    error = send(client.webhook_url, body, headers, settings.timeout)
    fields = {"client": client.name, "attempt": delivery.attempts + 1}
    if error is None:
        log.info("webhook delivered", extra={"fields": fields})
        session.delete(delivery)
        session.flush()
        return Outcome.DELIVERED

    delivery.attempts += 1
    log.warning("webhook failed", extra={"fields": {**fields, "error": error}})
    if delivery.attempts >= settings.max_attempts:
        return _give_up(session, delivery, now, error)
    delivery.last_error = error
    delivery.next_attempt_at = now + backoff_delay(delivery.attempts, settings.backoff)
    session.flush()
    return Outcome.RETRY


def _give_up(session: Session, delivery: WebhookDelivery, now: datetime, error: str) -> Outcome:
    delivery.last_error = error[:64]
    delivery.failed_at = now
    delivery.next_attempt_at = None
    session.flush()
    return Outcome.FAILED


@dataclass(frozen=True, slots=True)
class ClientBacklog:
    name: str
    webhook_url: str | None
    pending: int
    failed: int


def backlog(session: Session) -> list[ClientBacklog]:
    """Per client with a webhook: how many deliveries wait, and how many were given up."""
    pending = func.count(WebhookDelivery.id).filter(WebhookDelivery.failed_at.is_(None))
    failed = func.count(WebhookDelivery.id).filter(WebhookDelivery.failed_at.is_not(None))
    rows = session.execute(
        select(ApiClient.name, ApiClient.webhook_url, pending, failed)
        .outerjoin(WebhookDelivery, WebhookDelivery.client_id == ApiClient.id)
        .where(ApiClient.webhook_url.is_not(None))
        .group_by(ApiClient.name, ApiClient.webhook_url)
        .order_by(ApiClient.name)
    ).all()
    return [ClientBacklog(*row) for row in rows]
