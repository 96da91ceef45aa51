"""The floor: a profile read's database work alone, with nothing of the app around it.

A bare Flask endpoint that runs the profile API's own four statements (the caller's token,
the consents, the answers, the access-log insert), compiled once from the app's SQLAlchemy
statements, on one raw DB-API connection per store in autocommit, and answers with the
attribute codes. No rate limiter, no hooks, no logging, no SQLAlchemy execution layer, no
checks. No implementation of the read that keeps the same data design and the same durable
log can be faster, so the floor's throughput over the bare endpoint's bounds the ratio that
the real endpoint could reach on this machine. It is a yardstick, never a server to deploy.

    gunicorn -c gunicorn.conf.py bench.floor_app:app   (with the app's *_DATABASE_URL set)
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, request
from sqlalchemy import create_engine, insert

from surveys.models import ANSWER_COLUMNS, ProfileRead
from surveys.services import api_clients, profiles
from surveys.services.answers import reading
from surveys.services.answers.sealing import sealer_for
from surveys.services.consent import cipher_for

app = Flask(__name__)
_cipher = cipher_for(os.environ["LINK_ENCRYPTION_KEY"])
_sealer = sealer_for(os.environ["ANSWERS_SEALING_KEY"])


class SharedBudget:
    """With ``FLOOR_COUNTS_LIMIT=1``, the "floor + shared limit": each read also spends one
    hit of the client's budget with ``limits``, in RATELIMIT_STORAGE_URI with the app's
    strategy and API_RATE_LIMIT, as the design requires (one round trip to Redis as deployed,
    per limit). Still no fallback, no error handling: only the work itself."""

    def __init__(self) -> None:
        from limits import parse_many
        from limits.storage import storage_from_string
        from limits.strategies import STRATEGIES

        storage = storage_from_string(os.environ.get("RATELIMIT_STORAGE_URI", "memory://"))
        self.counter = STRATEGIES["sliding-window-counter"](storage)
        self.limits = parse_many(os.environ["API_RATE_LIMIT"])
        self.prefix = os.environ.get("RATELIMIT_KEY_PREFIX", "")

    def spend(self, client: str) -> bool:
        return all(self.counter.hit(limit, self.prefix, client, "floor") for limit in self.limits)


_budget = SharedBudget() if os.environ.get("FLOOR_COUNTS_LIMIT") == "1" else None


class Store:
    """One raw DB-API connection in autocommit, and the app's statements compiled for it."""

    def __init__(self, url: str):
        engine = create_engine(url)
        self.dialect = engine.dialect
        self.postgres = engine.dialect.name == "postgresql"
        self.connection: Any = engine.raw_connection().dbapi_connection
        if self.postgres:
            self.connection.autocommit = True
        else:
            self.connection.isolation_level = None

    def prepare(self, statement: Any) -> tuple[str, Any, dict[str, Any]]:
        compiled = statement.compile(dialect=self.dialect)
        # The statement's own literals (a subquery's LIMIT 1, a status) come with it.
        return str(compiled), compiled.positiontup, dict(compiled.params)

    def run(self, prepared: tuple[str, Any, dict[str, Any]], values: dict[str, Any]) -> list[Any]:
        sql, positions, defaults = prepared
        values = {**defaults, **values}
        parameters = [values[name] for name in positions] if positions else values
        cursor = self.connection.cursor()
        cursor.execute(sql, parameters)
        return cursor.fetchall() if cursor.description else []


_stores: dict[str, Any] = {}


def _setup() -> dict[str, Any]:
    if not _stores:
        identity = Store(os.environ["IDENTITY_DATABASE_URL"])
        answers = Store(os.environ["ANSWERS_DATABASE_URL"])
        consents = profiles._ONE  # noqa: SLF001  (the app's own statements)
        # The clear rows and the pending journal entries, in one statement (no dismissals).
        answer_rows = reading._STATEMENTS[(False, False)]  # noqa: SLF001
        _stores.update(
            identity=identity,
            answers=answers,
            token=identity.prepare(api_clients._FIND_CALLER),  # noqa: SLF001
            consents=identity.prepare(consents),
            answer_rows=answers.prepare(answer_rows),
            log=identity.prepare(insert(ProfileRead.__table__)),
        )
    return _stores


KEYS = list(ANSWER_COLUMNS)


@app.get("/api/v1/profiles/<path:subject>")
def profile(subject: str) -> Response:
    s = _setup()
    identity: Store = s["identity"]
    token = request.headers.get("Authorization", "").partition(" ")[2]
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    caller = identity.run(s["token"], {"token_hash": token_hash})
    if not caller:
        return Response(status=401)
    if _budget is not None and not _budget.spend(caller[0][0]):
        return Response(status=429)
    consents = identity.run(s["consents"], {"subjects": subject, "status_1": "given"})
    if not consents:
        return Response(status=404)
    shared = consents[0][2] if identity.postgres else json.loads(consents[0][2])
    hashed = _cipher.respondent_hash_of(consents[0][1])
    rows = s["answers"].run(s["answer_rows"], {"hashes": hashed, "tags": _sealer.tags(hashed)[0]})
    # Clear rows only: the benchmark's profiles are settled, so no entry waits to be opened.
    rows = [row for row in rows if row[0] == reading.CLEAR]
    attributes = {}
    for index, key in enumerate(KEYS, start=6):
        if key in shared:
            attributes[key] = next((row[index] for row in rows if row[index]), None)
    now = datetime.now(UTC)
    identity.run(
        s["log"],
        {
            "id": uuid.uuid4() if identity.postgres else uuid.uuid4().hex,
            "subject": subject,
            "client": caller[0][0],
            "attributes": json.dumps(list(attributes)),
            "read_at": now if identity.postgres else now.strftime("%Y-%m-%d %H:%M:%S.%f"),
        },
    )
    body = {"subject": subject, "attributes": attributes}
    return Response(json.dumps(body), mimetype="application/json")
