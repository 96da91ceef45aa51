"""The floors' single reads one after another, interleaved: latency per read, in one process.

Run from the repository root (not part of the test suite):

    .venv/bin/python bench/floor_latency.py --backend postgresql --db-prefix mine
    .venv/bin/python bench/floor_latency.py                                   # SQLite

Throughput under wrk (bench/api_profiles.py) says what a saturated machine serves, and on a
busy shared machine it moves with everyone else's load. This says what one read of each of
bench/floor_app.py's floors costs on its own: it seeds the stores as api_profiles.py does,
then reads random subjects through each floor's Flask app in process, the floors taking
turns read by read (so that a burst of someone else's load falls on all of them alike), and
prints each floor's median and 90th percentile. Nothing but the floors' statements and
Flask's test client runs, so the differences are the statements' round trips.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api_profiles import bench_stores_and_keys, seed  # noqa: E402

FLOORS = {"floor": "app", "floor 3 st": "joined", "floor 2 RT": "logged_first"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--profiles", type=int, default=1000)
    parser.add_argument("--reads", type=int, default=3000, help="per floor")
    parser.add_argument("--postgres-url", default="postgresql://127.0.0.1/test")
    parser.add_argument("--db-prefix", default="floor_latency")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="floor-latency-"))
    env = bench_stores_and_keys(args.backend, args.postgres_url, args.db_prefix, folder)
    token, subjects = seed(env, args.profiles)
    os.environ.update(env)
    from bench import floor_app

    clients = {name: getattr(floor_app, app).test_client() for name, app in FLOORS.items()}
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(7)
    for client in clients.values():  # connections opened, statements prepared
        for subject in rng.sample(subjects, 20):
            assert client.get(f"/api/v1/profiles/{subject}", headers=headers).status_code == 200
    times: dict[str, list[float]] = {name: [] for name in clients}
    for _ in range(args.reads):
        subject = rng.choice(subjects)
        for name in rng.sample(list(clients), len(clients)):
            started = time.perf_counter()
            response = clients[name].get(f"/api/v1/profiles/{subject}", headers=headers)
            times[name].append(time.perf_counter() - started)
            assert response.status_code == 200, (name, response.status_code)
    if args.backend == "postgresql":
        _round_trips(env["IDENTITY_DATABASE_URL"], args.reads)
    print(f"{args.backend}: {args.reads} reads per floor, interleaved, one process")
    print(f"{'floor':<12} {'median ms':>10} {'p90 ms':>8} {'of floor':>9}")
    base = statistics.median(times["floor"])
    for name, taken in times.items():
        median = statistics.median(taken)
        p90 = statistics.quantiles(taken, n=10)[-1]
        print(f"{name:<12} {median * 1000:>10.3f} {p90 * 1000:>8.3f} {median / base:>9.0%}")


def _round_trips(url: str, count: int) -> None:
    """What a floor is made of on PostgreSQL: one round trip that reads, and one that
    inserts a log row and waits for its commit to be flushed, taking turns."""
    import uuid
    from datetime import UTC, datetime

    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    times: dict[str, list[float]] = {"SELECT 1": [], "INSERT, committed": []}
    with psycopg.connect(dsn, autocommit=True) as connection:
        for _ in range(count):
            started = time.perf_counter()
            connection.execute("SELECT 1").fetchall()
            times["SELECT 1"].append(time.perf_counter() - started)
            started = time.perf_counter()
            connection.execute(
                "INSERT INTO profile_reads (id, subject, client, attributes, read_at)"
                " VALUES (%s, 'rt', 'rt', '[]', %s)",
                (uuid.uuid4(), datetime.now(UTC)),
            )
            times["INSERT, committed"].append(time.perf_counter() - started)
        connection.execute("DELETE FROM profile_reads WHERE client = 'rt'")
    for name, taken in times.items():
        print(f"one round trip, {name:<18} median {statistics.median(taken) * 1000:.3f} ms")


if __name__ == "__main__":
    main()
