"""The bulk sync against 100-subject batches: a recommender loading every consented profile.

Run from the repository root (not part of the test suite):

    .venv/bin/python bench/bulk_sync.py                                # SQLite
    .venv/bin/python bench/bulk_sync.py --backend postgresql           # PostgreSQL (local)
    .venv/bin/python bench/bulk_sync.py --profiles 100000 --backend postgresql

It migrates fresh stores and writes N consenting shoppers straight into them (settled clear
rows, links, consent records, one feed event each: what N consents and a nightly settle
leave behind, written in bulk because the services would take hours), then serves the app
with the repository's gunicorn.conf.py and, in one run, loads everyone three ways:

- **bulk sync**: ``examples/recommender_sync.py``'s bootstrap, one client, pages of 1,000;
- **batches, one client**: the same client asking ``POST /api/v1/profiles/batch`` for 100
  subjects at a time until it has everyone (it must already know every subject);
- **batches, saturating**: wrk with 16 connections asking for 100 random subjects each
  (``bench/api_profiles.py``'s scenario, the issue's "today's batches").

Every profile given out goes through auth, the rate limiter and the durable access log.
While the sync pages, it samples the resident memory (RSS) of every gunicorn worker after
each page: flat means a page's work is freed before the next one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api_profiles import (  # noqa: E402
    ATTRIBUTES,
    BENCH_RATE_LIMIT,
    STATES,
    bench_stores_and_keys,
    ensure_wrk,
    lua_script,
    run_wrk,
    start_gunicorn,
    wait_ready,
)
from examples import recommender_sync  # noqa: E402

CHUNK = 5000


def seed(env: dict[str, str], count: int) -> tuple[str, list[str]]:
    """``count`` consenting shoppers, written in bulk; an API client; its token."""
    os.environ.update(env)
    from flask_migrate import upgrade

    from surveys import create_app, reference
    from surveys.extensions import db
    from surveys.models import ConsentLink, ConsentRecord, ProfileChange, Response
    from surveys.services import api_clients, catalogue
    from surveys.services import consent as consent_service
    from surveys.services.respondents import new_key, respondent_hash

    app = create_app()
    rng = random.Random(7)
    subjects = [f"cust-{n:06d}" for n in range(count)]
    now = datetime.now(UTC)
    today = date.today()
    with app.app_context():
        upgrade()
        catalogue.load_defaults(db.session)
        survey_id = catalogue.find(db.session, "about-you").id
        made = api_clients.create(db.session, "recommender", ["profiles:read", "changes:read"],
                                  now)  # fmt: skip
        db.session.commit()
        cipher = consent_service.cipher_for(app.config["LINK_ENCRYPTION_KEY"])
        tables = [t.__table__ for t in (Response, ConsentLink, ConsentRecord, ProfileChange)]
        for start in range(0, count, CHUNK):
            rows: list[list[dict[str, Any]]] = [[], [], [], []]
            for subject in subjects[start : start + CHUNK]:
                key = new_key()
                hashed = respondent_hash(key)
                state = rng.choice(list(STATES))
                rows[0].append({
                    "id": uuid.uuid4(), "survey_id": survey_id, "respondent_hash": hashed,
                    "state_code": state,
                    "lga_code": f"{state}-{rng.randint(1, STATES[state]):02d}",
                    "age_band": rng.choice(list(reference.AGE_BANDS)[1:]),
                    "income_band": rng.choice(list(reference.INCOME_BANDS)),
                    "gender": rng.choice(list(reference.GENDERS)),
                    "submitted_on": today, "updated_on": today,
                })  # fmt: skip
                rows[1].append({
                    "id": uuid.uuid4(), "subject": subject, "encrypted_key": cipher.encrypt(key),
                    "created_at": now, "respondent_lookup": cipher.lookups(hashed)[0],
                })  # fmt: skip
                shared = rng.sample(ATTRIBUTES[2:], rng.randint(0, 3)) + ["state", "lga"]
                rows[2].append({
                    "id": uuid.uuid4(), "receipt_id": uuid.uuid4(), "subject": subject,
                    "purpose": consent_service.PURPOSE,
                    "attributes": [k for k in ATTRIBUTES if k in shared],
                    "notice_version": consent_service.NOTICE_VERSION, "given_at": now,
                    "method": "privacy-page", "status": "given", "answers_after": None,
                })  # fmt: skip
                rows[3].append({"subject": subject, "type": "updated", "at": now})
            with db.engines["answers"].begin() as answers:
                answers.execute(tables[0].insert(), rows[0])
            with db.engines["identity"].begin() as identity:
                for table, chunk in zip(tables[1:], rows[1:], strict=True):
                    identity.execute(table.insert(), chunk)
        for engine in db.engines.values():
            # Fresh statistics, as autovacuum would have after a real import: without them
            # PostgreSQL may plan the listing as a scan per subject.
            with engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
                connection.commit()
            engine.dispose()
    return made.token, subjects


def worker_rss_kib(master: int) -> dict[int, int]:
    """The resident memory of each child of the gunicorn master, in KiB, by process id."""
    sizes = {}
    for child in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes[int(child)] = int(line.split()[1])
    return sizes


def post_json(base: str, token: str, path: str, body: Any) -> Any:
    request = urllib.request.Request(  # noqa: S310  (loopback only)
        base + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return json.load(response)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--profiles", type=int, default=100_000, help="consenting shoppers")
    parser.add_argument("--duration", type=int, default=15, help="seconds of saturating batches")
    parser.add_argument("--connections", type=int, default=16, help="for saturating batches")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://127.0.0.1/test"),
        help="a database to connect to while creating the two bench databases",
    )
    parser.add_argument(
        "--db-prefix",
        default="bulk_sync_bench",
        help="the bench databases are <prefix>_answers and <prefix>_identity (PostgreSQL)",
    )
    args = parser.parse_args()
    wrk = ensure_wrk()
    folder = Path(tempfile.mkdtemp(prefix="bulk-sync-bench-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")},
        **bench_stores_and_keys(args.backend, args.postgres_url, args.db_prefix, folder),
        "API_RATE_LIMIT": BENCH_RATE_LIMIT,
    }
    started = time.perf_counter()
    token, subjects = seed(env, args.profiles)
    print(f"seeded {len(subjects)} consenting profiles on {args.backend} "
          f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
    port = 8741
    base = f"http://127.0.0.1:{port}"
    server = start_gunicorn("wsgi:app", port, env, folder / "app.log")
    try:
        wait_ready(f"{base}/api/v1/profiles/{subjects[0]}", {"Authorization": f"Bearer {token}"})
        call = recommender_sync.http_caller(base, token)
        rss: list[dict[int, int]] = [worker_rss_kib(server.pid)]

        def sampling(method: str, path: str, query: dict[str, Any], body: Any) -> Any:
            answer = call(method, path, query, body)
            rss.append(worker_rss_kib(server.pid))
            return answer

        started = time.perf_counter()
        replica = recommender_sync.bootstrap(sampling)
        sync_seconds = time.perf_counter() - started
        assert len(replica.profiles) == len(subjects), len(replica.profiles)
        sync_rate = len(replica.profiles) / sync_seconds

        started = time.perf_counter()
        got = 0
        for at in range(0, len(subjects), 100):
            got += len(post_json(base, token, "/api/v1/profiles/batch",
                                 {"subjects": subjects[at : at + 100]})["profiles"])  # fmt: skip
        batch_seconds = time.perf_counter() - started
        assert got == len(subjects), got
        batch_rate = got / batch_seconds

        script = lua_script(folder, "batch", token, subjects[:5000], batch=True)
        saturating = run_wrk(wrk, base, script, args.connections, args.duration)
        saturating_rate = saturating.requests_per_second * 100
    finally:
        server.terminate()
        server.wait(30)

    workers = os.environ.get("WEB_CONCURRENCY", str((os.cpu_count() or 1) * 2 + 1))
    print(f"gunicorn.conf.py: {workers} sync workers; {os.cpu_count()} cores shared by everything")
    print(f"{'how':<44} {'profiles':>9} {'seconds':>8} {'profiles/s':>11} {'sync is':>8}")
    rows = [
        ("bulk sync, pages of 1,000, one client", len(subjects), sync_seconds, sync_rate),
        ("100-subject batches, one client", got, batch_seconds, batch_rate),
        (f"100-subject batches, wrk {args.connections} connections", None, args.duration,
         saturating_rate),
    ]  # fmt: skip
    for how, count, seconds, rate in rows:
        shown = f"{count:>9}" if count is not None else f"{'':>9}"
        print(f"{how:<44} {shown} {seconds:>8.1f} {rate:>11,.0f} {sync_rate / rate:>7.1f}×")
    if saturating.errors:
        print(f"  ({saturating.errors} non-2xx responses in the saturating run!)")
    # All workers together: each grows once, on the first page it serves (imports, caches);
    # flat after that means a page's rows and JSON are freed before the next page.
    total = [sum(sample.values()) / 1024 for sample in rss]
    marks = [1, 10, 25, 50, len(total) - 1]
    print(f"RSS of all {len(rss[-1])} workers while paging (MiB): before {total[0]:.1f}, "
          + ", ".join(f"after page {n} {total[n]:.1f}" for n in marks if n < len(total)))  # fmt: skip


if __name__ == "__main__":
    main()
