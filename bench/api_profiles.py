"""The profile API under gunicorn against a bare Flask endpoint, side by side, in one run.

Run from the repository root (not part of the test suite; it takes four to seven minutes):

    .venv/bin/python bench/api_profiles.py                        # SQLite
    .venv/bin/python bench/api_profiles.py --backend postgresql   # PostgreSQL (local, trust)
    .venv/bin/python bench/api_profiles.py --limits-storage redis://127.0.0.1:6379/0  # as deployed
    git worktree add /tmp/main-app main && ln -s "$PWD/.venv" /tmp/main-app/.venv
    .venv/bin/python bench/api_profiles.py --compare main=/tmp/main-app   # before/after, one run

It migrates fresh stores, seeds N consenting shoppers with answers, makes an API client, then
starts gunicorns with the repository's gunicorn.conf.py: the real app (wsgi:app),
bench/bare_app.py, which returns a constant JSON body, and bench/floor_app.py's floors, which
run only a read's own statements on raw connections (the fastest any implementation of each
design could be): the four statements of before issue 15 ("floor"), the app's three since
("floor 3 st": token and consent in one), two round trips on PostgreSQL ("floor 2 RT":
token, consent and the log row in one statement, then the answers), and the floor plus one
hit of the shared budget ("floor + limit"). wrk (Debian's package; installed here if missing and running as root)
loads each in turn with the same settings: single profile reads of random seeded subjects,
saturating and at a moderate load, and 100-subject batches. Every read of the real app goes
through auth, the rate limit (counted in memory unless --limits-storage says where) and the
durable access log, as in production. Each row says its share of the bare endpoint's and of
the floor's throughput.

A fourth server, "floor + limit", is the floor plus one ``limits`` hit per read in the app's
storage: the shared budget the design requires on top of the statements. Every server is
loaded in turn, --rounds times in a rotated order, each run on a checkpointed SQLite store;
a row is the median of its rounds, its shares the medians of each round's own ratios.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STATES = {"NG-LA": 20, "NG-KN": 44, "NG-FC": 6, "NG-OY": 33, "NG-RI": 23}
ATTRIBUTES = ["state", "lga", "age_band", "income_band", "gender"]
#: The budget every bench counts: as many limits as the deployed default
#: (``surveys.config.DEFAULT_API_RATE_LIMIT``: one, so one round trip to Redis per request),
#: set so high that no bench is ever refused by it.
BENCH_RATE_LIMIT = "1000000000 per hour"


@dataclass
class Result:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("wrk is needed: apt-get install wrk")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)
    return shutil.which("wrk") or sys.exit("wrk did not install")


def postgres_binds(admin_url: str, prefix: str = "api_bench") -> dict[str, str]:
    """Two fresh databases named ``<prefix>_answers`` and ``<prefix>_identity``."""
    import psycopg
    from sqlalchemy.engine import make_url

    names = {bind: f"{prefix}_{bind}" for bind in ("answers", "identity")}
    with psycopg.connect(admin_url, autocommit=True) as connection:
        for name in names.values():
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
    base = make_url(admin_url).set(drivername="postgresql+psycopg")
    return {
        bind: base.set(database=name).render_as_string(hide_password=False)
        for bind, name in names.items()
    }


def bench_stores_and_keys(
    backend: str, postgres_url: str, prefix: str, folder: Path
) -> dict[str, str]:
    """The settings every bench's app runs with: fresh stores (SQLite files in ``folder``, or
    two new PostgreSQL databases named by ``prefix``) and random keys of the recommended
    length (production refuses placeholders)."""
    from cryptography.fernet import Fernet

    if backend == "sqlite":
        binds = {bind: f"sqlite:///{folder}/{bind}.db" for bind in ("answers", "identity")}
    else:
        binds = postgres_binds(postgres_url, prefix=prefix)
    return {
        "SURVEYS_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SHOP_SIGNING_KEY": secrets.token_urlsafe(48),
        "LINK_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ANSWERS_SEALING_KEY": Fernet.generate_key().decode(),
        "ANSWERS_DATABASE_URL": binds["answers"],
        "IDENTITY_DATABASE_URL": binds["identity"],
    }


def seed(env: dict[str, str], profiles: int) -> tuple[str, list[str]]:
    """Migrate, load the surveys, and make ``profiles`` consenting shoppers and a client."""
    os.environ.update(env)
    from flask_migrate import upgrade

    from surveys import clock, create_app, reference
    from surveys.extensions import db
    from surveys.services import answers, api_clients, catalogue
    from surveys.services import consent as consent_service
    from surveys.services.respondents import new_key, respondent_hash

    app = create_app()
    random.seed(7)
    subjects = [f"cust-{n:06d}" for n in range(profiles)]
    with app.app_context():
        upgrade()
        catalogue.load_defaults(db.session)
        survey = catalogue.find(db.session, "about-you")
        cipher = consent_service.cipher_for(app.config["LINK_ENCRYPTION_KEY"])
        for index, subject in enumerate(subjects):
            state = random.choice(list(STATES))
            key = new_key()
            answers.save_answers(
                db.session,
                survey,
                respondent_hash(key),
                {
                    "state": state,
                    "lga": f"{state}-{random.randint(1, STATES[state]):02d}",
                    "age_band": random.choice(list(reference.AGE_BANDS)[1:]),
                    "income_band": random.choice(list(reference.INCOME_BANDS)),
                    "gender": random.choice(list(reference.GENDERS)),
                },
                clock.today(),
            )
            shared = random.sample(ATTRIBUTES[2:], random.randint(0, 3)) + ["state", "lga"]
            consent_service.give(
                db.session, subject, shared, "privacy-page", key, cipher, clock.now()
            )
            if index % 500 == 499:
                db.session.commit()
        made = api_clients.create(db.session, "recommender", ["profiles:read"], datetime.now(UTC))
        db.session.commit()
        # The nightly settle, as in production: reads then find clear rows, not entries.
        from surveys.services.answers import journal, settle

        settle.settle(
            db.session,
            clock.today(),
            sealer=journal.sealer(),
            retention_days=730,
            include_today=True,
        )
        token = made.token
        for engine in db.engines.values():
            engine.dispose()
    return token, subjects


BARE = "bench.bare_app:app"
LIMITED_FLOOR = "floor + limit"
#: The floors of fewer round trips (bench/floor_app.py): label, port offset, app.
FLOORS = [("floor 3 st", 4, "joined"), ("floor 2 RT", 5, "logged_first")]
#: The app's own design since issue 15 (token and consent in one statement): its floor.
NEW_FLOOR = "floor 3 st"


def start_gunicorn(
    app_path: str, port: int, env: dict[str, str], log: Path, root: Path = ROOT
) -> subprocess.Popen:
    command = [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), app_path]
    return subprocess.Popen(
        command,
        cwd=root,  # gunicorn imports the app from here (another checkout with --compare)
        env={**env, "BIND": f"127.0.0.1:{port}"},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def wait_ready(url: str, headers: dict[str, str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        request = urllib.request.Request(url, headers=headers)  # noqa: S310  (loopback only)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    sys.exit(f"{url} did not become ready")


def lua_script(folder: Path, name: str, token: str, subjects: list[str], batch: bool) -> Path:
    listed = ",".join(f'"{s}"' for s in subjects)
    if batch:
        body = """
request = function()
  local picked = {}
  for i = 1, 100 do picked[i] = '"' .. subjects[math.random(#subjects)] .. '"' end
  return wrk.format("POST", "/api/v1/profiles/batch", headers,
                    '{"subjects":[' .. table.concat(picked, ",") .. ']}')
end
"""
    else:
        body = """
request = function()
  return wrk.format("GET", "/api/v1/profiles/" .. subjects[math.random(#subjects)], headers)
end
"""
    script = f"""
subjects = {{{listed}}}
headers = {{["Authorization"] = "Bearer {token}", ["Content-Type"] = "application/json"}}
math.randomseed(7)
{body}
"""
    path = folder / f"{name}.lua"
    path.write_text(script)
    return path


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(wrk: str, url: str, script: Path, connections: int, duration: int) -> Result:
    output = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout

    def latency(percent: str) -> float:
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        assert match, output
        return float(match.group(1)) * UNITS[match.group(2)]

    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert rate, output
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: .*", output)
    if socket_errors:
        print(f"    ({url}: {socket_errors.group(0)})")
    return Result(
        float(rate.group(1)), latency("50"), latency("99"), int(errors.group(1)) if errors else 0
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--profiles", type=int, default=5000, help="consenting shoppers")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="every server, in turn, this often")
    parser.add_argument("--connections", type=int, default=16, help="for the saturating runs")
    parser.add_argument("--moderate", type=int, default=2, help="connections, moderate load")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://127.0.0.1/test"),
        help="a database to connect to while creating the two bench databases",
    )
    parser.add_argument(
        "--db-prefix",
        default="api_bench",
        help="the bench databases are <prefix>_answers and <prefix>_identity (PostgreSQL)",
    )
    parser.add_argument(
        "--first-port",
        type=int,
        default=8731,
        help="the servers listen from this port on (two runs at once need ports apart)",
    )
    parser.add_argument(
        "--limits-storage",
        default="memory://",
        help="where the app counts its rate limits (production: redis://127.0.0.1:6379/0)",
    )
    parser.add_argument(
        "--group-commit-us",
        type=int,
        default=0,
        metavar="MICROSECONDS",
        help="PostgreSQL: also run the app and the floor with group commit (commit_delay of "
        "this many microseconds, commit_siblings 1, set per connection), beside them as they are",
    )
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="LABEL=PATH",
        help="also run the app of another checkout (e.g. main's, by git worktree or git "
        "archive) side by side, on the same stores, under this label",
    )
    args = parser.parse_args()
    others = dict(item.split("=", 1) for item in args.compare)
    wrk = ensure_wrk()
    folder = Path(tempfile.mkdtemp(prefix="api-bench-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")},
        **bench_stores_and_keys(args.backend, args.postgres_url, args.db_prefix, folder),
        # The limiter stays in the path, set high enough not to refuse the benchmark itself.
        "API_RATE_LIMIT": BENCH_RATE_LIMIT,
        "RATELIMIT_STORAGE_URI": args.limits_storage,
        "RATELIMIT_KEY_PREFIX": f"bench-{secrets.token_hex(4)}",
    }
    started = time.perf_counter()
    token, subjects = seed(env, args.profiles)
    print(f"seeded {len(subjects)} consenting profiles on {args.backend} "
          f"in {time.perf_counter() - started:.0f} s")  # fmt: skip

    auth = {"Authorization": f"Bearer {token}"}
    first = args.first_port
    ports = {"profile API": first, "floor": first + 2, "bare Flask": first + 1}
    apps = {"profile API": "wsgi:app", "floor": "bench.floor_app:app", "bare Flask": BARE}
    # The floor plus the shared budget's one `limits` hit per read (floor_app.SharedBudget).
    ports[LIMITED_FLOOR], apps[LIMITED_FLOOR] = first + 3, "bench.floor_app:app"
    for name, offset, app in FLOORS:
        ports[name], apps[name] = first + offset, f"bench.floor_app:{app}"
    envs = {name: env for name in ports} | {LIMITED_FLOOR: {**env, "FLOOR_COUNTS_LIMIT": "1"}}
    grouped: list[str] = []
    if args.group_commit_us and args.backend == "postgresql":
        # The server flushes the commits of concurrent reads together: the lever the read
        # log's durable commit leaves (docs/benchmarks.md). A deployment sets it server-wide.
        url = with_group_commit(env["IDENTITY_DATABASE_URL"], args.group_commit_us)
        for offset, (name, app) in enumerate(
            [("API, grouped", "wsgi:app"), ("floor, grouped", "bench.floor_app:app")]
        ):
            ports[name], apps[name] = first + 6 + offset, app
            envs[name] = {**env, "IDENTITY_DATABASE_URL": url}
            grouped.append(name)
    roots = {name: ROOT for name in ports}
    for index, (label, path) in enumerate(others.items()):
        ports[label], apps[label], roots[label] = (
            first + 9 + index,
            "wsgi:app",
            Path(path).resolve(),
        )
        envs[label] = env
    servers = {
        name: start_gunicorn(apps[name], port, envs[name], folder / f"{port}.log", roots[name])
        for name, port in ports.items()
    }
    try:
        for port in ports.values():
            wait_ready(f"http://127.0.0.1:{port}/api/v1/profiles/{subjects[0]}", auth)
        single = lua_script(folder, "single", token, subjects, batch=False)
        batch = lua_script(folder, "batch", token, subjects, batch=True)
        floors = [LIMITED_FLOOR, "floor", *(name for name, _, _ in FLOORS)]
        everyone = ["profile API", *others, *floors, *grouped, "bare Flask"]
        scenarios = [
            ("single reads, saturating", single, args.connections, everyone),
            (f"single reads, moderate ({args.moderate} connections)", single, args.moderate,
             everyone),
            ("100-subject batches, saturating", batch, args.connections,
             ["profile API", *others, "bare Flask"]),
        ]  # fmt: skip
        workers = os.environ.get("WEB_CONCURRENCY", str((os.cpu_count() or 1) * 2 + 1))
        print(f"gunicorn.conf.py: {workers} sync workers each; wrk 1 thread, {args.duration} s "
              f"per run; {os.cpu_count()} cores shared by everything")  # fmt: skip
        print(f"{args.rounds} rounds in turn; medians of each round's figures and ratios")
        print(f"{'scenario':<44} {'server':<13} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
              f"{'of bare':>8} {'of floor':>8} {'of floor+limit':>8} {'of ' + NEW_FLOOR:>8}")  # fmt: skip
        for title, script, connections, names in scenarios:
            rounds = []
            for turn in range(args.rounds):
                # Each round in another order (rotated, every other one reversed), each run
                # on a checkpointed store: no server always runs right after another's burst
                # of log inserts, nor always on the longest write-ahead log.
                order = list(reversed(names))
                order = order[turn % len(order) :] + order[: turn % len(order)]
                if turn % 2:
                    order.reverse()
                results = {}
                for name in order:
                    checkpoint(env)
                    results[name] = run_wrk(wrk, f"http://127.0.0.1:{ports[name]}", script,
                                            connections, args.duration)  # fmt: skip
                rounds.append(results)
            for name in names:
                print_row(title, name, rounds)
        reads = count_reads(env)
        print(f"access-log rows written during the run: {reads}")
    finally:
        for server in servers.values():
            server.terminate()
        for server in servers.values():
            server.wait(30)


def with_group_commit(url: str, microseconds: int) -> str:
    """``url`` with libpq options that make its connections' commits wait up to
    ``microseconds`` for others to flush with (``commit_delay`` needs a superuser, as the
    local bench's role is; ``commit_siblings`` 1: one other open transaction is enough)."""
    from sqlalchemy.engine import make_url

    options = f"-c commit_delay={microseconds} -c commit_siblings=1"
    return (
        make_url(url).update_query_dict({"options": options}).render_as_string(hide_password=False)
    )


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def print_row(title: str, name: str, rounds: list[dict[str, Result]]) -> None:
    """Medians over the rounds; the shares are the medians of each round's own ratios."""
    mine = [results[name] for results in rounds]
    rate = median([r.requests_per_second for r in mine])
    shares = []
    for base in ("bare Flask", "floor", LIMITED_FLOOR, NEW_FLOOR):
        ratios = [
            results[name].requests_per_second / results[base].requests_per_second
            for results in rounds
            if base in results and results[base].requests_per_second
        ]
        shares.append(f"{median(ratios):>8.0%}" if ratios else f"{'':>8}")
    errors = sum(r.errors for r in mine)
    print(f"{title:<44} {name:<13} {rate:>8.0f} {median([r.p50_ms for r in mine]):>8.2f} "
          f"{median([r.p99_ms for r in mine]):>8.2f} {' '.join(shares)}"
          + (f"  ({errors} non-2xx!)" if errors else ""))  # fmt: skip


def checkpoint(env: dict[str, str]) -> None:
    """SQLite: fold the write-ahead log back into the file, so every run starts on an empty
    one (five workers reading without pause keep SQLite's own checkpoints from ever resetting
    it, and reads slow down as it grows). PostgreSQL: nothing to do."""
    for bind in ("ANSWERS_DATABASE_URL", "IDENTITY_DATABASE_URL"):
        url = env[bind]
        if url.startswith("sqlite:///"):
            with sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30) as connection:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def count_reads(env: dict[str, str]) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(env["IDENTITY_DATABASE_URL"])
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM profile_reads")).scalar_one()
    engine.dispose()
    return int(count)


if __name__ == "__main__":
    main()
