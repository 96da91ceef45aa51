"""The floor: a profile read's database work alone, with nothing of the app around it.

A bare Flask endpoint that runs the profile API's own four statements (the caller's token,
the consents, the answers, the access-log insert), compiled once from the app's SQLAlchemy
statements, on one raw DB-API connection per store in autocommit, and answers with the
attribute codes. No rate limiter, no hooks, no logging, no SQLAlchemy execution layer, no
checks. No implementation of the read that keeps the same data design and the same durable
log can be faster, so the floor's throughput over the bare endpoint's bounds the ratio that
the real endpoint could reach on this machine. It is a yardstick, never a server to deploy.

Two more floors, for designs with fewer round trips (issue 15: a higher floor):

- ``joined``: the app's design since issue 15, three statements: the token and the consent
  in one (``api_clients``' own statement), the answers, the log.
- ``logged_first``: two round trips on PostgreSQL. One statement checks the token, reads the
  consent and writes the log row (a data-modifying CTE, committed before anything is read
  from the answers store), then the answers. The row names the *consented* attributes, so
  when the answers give out fewer (a consented question since answered "Prefer not to say",
  or nothing at all) a third statement corrects or deletes it before the profile leaves:
  the log is never short of what was given, and exact once the response is sent. The
  seeded profiles share only answered questions, so the bench never needs the correction.
  On SQLite (no data-modifying CTE) the same order takes three statements.

    gunicorn -c gunicorn.conf.py bench.floor_app:app            (with the app's *_DATABASE_URL)
    gunicorn -c gunicorn.conf.py bench.floor_app:joined
    gunicorn -c gunicorn.conf.py bench.floor_app:logged_first
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, request
from sqlalchemy import bindparam, create_engine, delete, insert, select, true

from surveys.models import ANSWER_COLUMNS, ProfileRead
from surveys.services import api_clients, profiles
from surveys.services.answers import reading
from surveys.services.answers.sealing import sealer_for
from surveys.services.consent import cipher_for

app = Flask(__name__)
joined = Flask(__name__)
logged_first = Flask(__name__)
_cipher = cipher_for(os.environ["LINK_ENCRYPTION_KEY"])
_sealer = sealer_for(os.environ["ANSWERS_SEALING_KEY"])


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
            caller_and_consent=identity.prepare(api_clients._FIND_CALLER_AND_CONSENT),  # noqa: SLF001
            unlog=identity.prepare(
                delete(ProfileRead.__table__).where(ProfileRead.id == bindparam("id"))
            ),
        )
        if identity.postgres:
            _stores["log_first"] = identity.prepare(_logging_read())
    return _stores


def _logging_read() -> Any:
    """The caller, the subject's consent, and the log row of the consented attributes, in
    one statement (PostgreSQL: a data-modifying CTE; autocommit commits it at once)."""
    clients, reads = api_clients._clients, ProfileRead.__table__  # noqa: SLF001
    caller = (
        select(clients.c.name, clients.c.scopes)
        .where(clients.c.token_hash == bindparam("token_hash"), clients.c.revoked_at.is_(None))
        .cte("caller")
    )
    consent = profiles.ONE_CONSENT.cte("consent")
    logged = (
        insert(reads)
        .from_select(
            ["id", "subject", "client", "attributes", "read_at"],
            select(
                bindparam("id", type_=reads.c.id.type),
                consent.c.subject,
                caller.c.name,
                consent.c.attributes,
                bindparam("read_at", type_=reads.c.read_at.type),
            ).select_from(caller.join(consent, true())),
        )
        .returning(reads.c.id)
        .cte("logged")
    )
    return (
        select(caller.c.name, *consent.c)
        .select_from(caller.outerjoin(consent, true()))
        .add_cte(logged)
    )


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


KEYS = list(ANSWER_COLUMNS)


def _attributes(s: dict[str, Any], shared: Any, link: str) -> dict[str, Any]:
    identity: Store = s["identity"]
    shared = shared if identity.postgres else json.loads(shared)
    hashed = _cipher.respondent_hash_of(link)
    rows = s["answers"].run(s["answer_rows"], {"hashes": hashed, "tags": _sealer.tags(hashed)[0]})
    # Clear rows only: the benchmark's profiles are settled, so no entry waits to be opened.
    rows = [row for row in rows if row[0] == reading.CLEAR]
    attributes = {}
    for index, key in enumerate(KEYS, start=6):
        if key in shared:
            attributes[key] = next((row[index] for row in rows if row[index]), None)
    return attributes


def _log_values(identity: Store, subject: str, client: str, keys: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "id": profiles.read_id(now) if identity.postgres else profiles.read_id(now).hex,
        "subject": subject,
        "client": client,
        "attributes": keys if isinstance(keys, str) else json.dumps(list(keys)),
        "read_at": now if identity.postgres else now.strftime("%Y-%m-%d %H:%M:%S.%f"),
    }


def _token_hash() -> str:
    token = request.headers.get("Authorization", "").partition(" ")[2]
    return hashlib.sha256(token.encode()).hexdigest()


def _answer(subject: str, attributes: dict[str, Any]) -> Response:
    body = {"subject": subject, "attributes": attributes}
    return Response(json.dumps(body), mimetype="application/json")


@app.get("/api/v1/profiles/<path:subject>")
def profile(subject: str) -> Response:
    """Four statements: the token, the consent, the answers, the log."""
    s = _setup()
    identity: Store = s["identity"]
    caller = identity.run(s["token"], {"token_hash": _token_hash()})
    if not caller:
        return Response(status=401)
    if _budget is not None and not _budget.spend(caller[0][0]):
        return Response(status=429)
    consents = identity.run(s["consents"], {"subjects": subject, "status_1": "given"})
    if not consents:
        return Response(status=404)
    attributes = _attributes(s, consents[0][2], consents[0][1])
    identity.run(s["log"], _log_values(identity, subject, caller[0][0], attributes))
    return _answer(subject, attributes)


@joined.get("/api/v1/profiles/<path:subject>")
def profile_joined(subject: str) -> Response:
    """Three: the token and the consent in one statement, the answers, the log."""
    s = _setup()
    identity: Store = s["identity"]
    found = identity.run(
        s["caller_and_consent"], {"token_hash": _token_hash(), "subjects": subject}
    )
    if not found:
        return Response(status=401)
    if found[0][2] is None:
        return Response(status=404)
    attributes = _attributes(s, found[0][4], found[0][3])
    identity.run(s["log"], _log_values(identity, subject, found[0][0], attributes))
    return _answer(subject, attributes)


@logged_first.get("/api/v1/profiles/<path:subject>")
def profile_logged_first(subject: str) -> Response:
    """Two round trips on PostgreSQL: token, consent and log row in one statement, then the
    answers (and a correction of the row in the rare case they give out less)."""
    s = _setup()
    identity: Store = s["identity"]
    now_id = _log_values(identity, subject, "", ())
    if identity.postgres:
        found = identity.run(
            s["log_first"],
            {"token_hash": _token_hash(), "subjects": subject, "id": now_id["id"],
             "read_at": now_id["read_at"]},
        )  # fmt: skip
        if not found:
            return Response(status=401)
        if found[0][1] is None:
            return Response(status=404)
        client, link, shared = found[0][0], found[0][2], found[0][3]
    else:
        found = identity.run(
            s["caller_and_consent"], {"token_hash": _token_hash(), "subjects": subject}
        )
        if not found:
            return Response(status=401)
        if found[0][2] is None:
            return Response(status=404)
        client, link, shared = found[0][0], found[0][3], found[0][4]
        logged = {**now_id, "client": client, "attributes": shared}
        identity.run(s["log"], logged)
    attributes = _attributes(s, shared, link)
    consented = shared if identity.postgres else json.loads(shared)
    if {k for k, v in attributes.items() if v} != set(consented):
        # Fewer given out than consented to: delete the row and log what was given (never
        # taken by the bench, whose shoppers share only what they answered).
        identity.run(s["unlog"], {"id": now_id["id"]})
        identity.run(s["log"], _log_values(identity, subject, client, attributes))
    return _answer(subject, attributes)
