"""Mixed load, with faults, against gunicorn + PostgreSQL + Redis: does anything get lost?

Run from the repository root (PostgreSQL on 127.0.0.1 with trust auth, Redis on 6379; not part
of the test suite):

    .venv/bin/python bench/load.py                    # 120 s of mixed load
    .venv/bin/python bench/load.py --faults           # ... with faults injected under load
    .venv/bin/python bench/load.py --duration 300 --faults

Four kinds of client run at once, each in its own threads, each "from" its own address
(X-Forwarded-For, trusted with TRUSTED_PROXIES=1; header values only, all traffic is loopback):
shoppers answering "About you" (a fresh browser each time), the recommendation service reading
profiles and the change feed, a product manager refreshing the dashboard, and a stream of
malformed and oversized requests. With --faults, under that load: a gunicorn worker is killed
with SIGKILL, PostgreSQL is restarted, and one address floods the survey to fill its rate limit.

Afterwards it checks that every answer the service acknowledged (a 303) is in the store exactly
once and that the dashboard's rollups equal a recount of the raw answers, and it prints, per
kind of request, throughput, p50/p99 latency and status codes. A 5xx other than a 503 with
Retry-After is an error; a connection cut by the killed worker is counted apart.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import requests
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from api_profiles import postgres_binds, seed, start_gunicorn, wait_ready  # noqa: E402

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
STATES = {"NG-LA": 20, "NG-KN": 44, "NG-OY": 33, "NG-RI": 23, "NG-FC": 6}
PASSWORD = "a-long-bench-password"


class Recorder:
    """Latency and status per kind of request, shared by all threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter[str]] = defaultdict(Counter)
        self.bad: list[str] = []

    def record(
        self, kind: str, started: float, status: str, retry_after: str | None = None
    ) -> None:
        with self.lock:
            self.latencies[kind].append(time.perf_counter() - started)
            self.statuses[kind][status] += 1
            if status.startswith("5") and not (status == "503" and retry_after):
                self.bad.append(f"{kind}: {status}")


def timed(recorder: Recorder, kind: str, call):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    try:
        response = call()
    except requests.RequestException as error:
        recorder.record(kind, started, f"cut:{type(error).__name__}")
        return None
    recorder.record(kind, started, str(response.status_code), response.headers.get("Retry-After"))
    return response


def shopper(
    pick: Callable[[], str],
    stop: threading.Event,
    recorder: Recorder,
    acknowledged: list[str],
    secret: str,
) -> None:
    from surveys.services.respondents import respondent_hash, unsign

    rng = random.Random()
    while not stop.is_set():
        browser = requests.Session()
        browser.headers["X-Forwarded-For"] = (
            f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        )
        page = timed(
            recorder,
            "shopper: open survey",
            lambda: browser.get(f"{pick()}/surveys/about-you", timeout=10),
        )
        if page is None or page.status_code != 200:
            continue
        state = rng.choice(list(STATES))
        answers = {
            "csrf_token": CSRF.search(page.text).group(1),
            "state": state,
            "lga": f"{state}-{rng.randint(1, STATES[state]):02d}",
            "age_band": rng.choice(["age_18_24", "age_25_34", "age_35_44", "age_45_54"]),
            "gender": rng.choice(["female", "male", "prefer_not_to_say"]),
        }
        sent = timed(
            recorder,
            "shopper: submit",
            lambda: browser.post(
                f"{pick()}/surveys/about-you", data=answers, allow_redirects=False, timeout=10
            ),
        )
        if sent is not None and sent.status_code == 303:
            key = unsign(secret, browser.cookies["respondent"])
            with recorder.lock:
                acknowledged.append(respondent_hash(key))


def recommender(
    pick: Callable[[], str],
    stop: threading.Event,
    recorder: Recorder,
    token: str,
    subjects: list[str],
) -> None:
    client = requests.Session()
    client.headers.update({"Authorization": f"Bearer {token}", "X-Forwarded-For": "192.0.2.10"})
    rng = random.Random()
    cursor = 0
    while not stop.is_set():
        subject = rng.choice(subjects)
        timed(
            recorder,
            "recommender: profile",
            lambda: client.get(f"{pick()}/api/v1/profiles/{subject}", timeout=10),
        )
        if rng.random() < 0.1:
            feed = timed(
                recorder,
                "recommender: change feed",
                lambda: client.get(
                    f"{pick()}/api/v1/changes", params={"after": cursor, "limit": 100}, timeout=10
                ),
            )
            if feed is not None and feed.status_code == 200:
                cursor = feed.json()["next_cursor"] or cursor


def product_manager(pick: Callable[[], str], stop: threading.Event, recorder: Recorder) -> None:
    staff = requests.Session()
    staff.headers["X-Forwarded-For"] = "192.0.2.20"
    signed_in = False
    while not stop.is_set():
        if not signed_in:
            login = timed(
                recorder,
                "dashboard: sign in",
                lambda: staff.get(f"{pick()}/dashboard/login", timeout=10),
            )
            if login is None or login.status_code != 200:
                time.sleep(0.5)
                continue
            data = {
                "csrf_token": CSRF.search(login.text).group(1),
                "email": "pm@example.com",
                "password": PASSWORD,
            }
            done = timed(
                recorder,
                "dashboard: sign in",
                lambda: staff.post(f"{pick()}/dashboard/login", data=data, timeout=10),
            )
            signed_in = done is not None and done.status_code == 200 and "Sign out" in done.text
            continue
        page = timed(
            recorder, "dashboard: page", lambda: staff.get(f"{pick()}/dashboard/", timeout=30)
        )
        time.sleep(0.5)  # a person reading the charts
        if page is not None and "Sign in" in page.text and "Sign out" not in page.text:
            signed_in = False


def junk(pick: Callable[[], str], stop: threading.Event, recorder: Recorder) -> None:
    """Malformed and oversized requests: each must get a clean 4xx."""
    client = requests.Session()
    client.headers["X-Forwarded-For"] = "192.0.2.30"
    calls = [
        lambda: client.post(
            f"{pick()}/surveys/about-you", data={"state": "NG-LA"}, timeout=10
        ),  # no CSRF
        lambda: client.post(
            f"{pick()}/surveys/about-you", data={"x": "y" * 40_000}, timeout=10
        ),  # too big
        lambda: client.get(f"{pick()}/surveys/%00%ff", timeout=10),
        lambda: client.post(
            f"{pick()}/api/v1/profiles/batch",
            data="{not json",
            headers={"Content-Type": "application/json"},
            timeout=10,
        ),
        lambda: client.get(
            f"{pick()}/api/v1/profiles/x", headers={"Authorization": "Bearer nope"}, timeout=10
        ),
        lambda: client.get(f"{pick()}/auth/shop", params={"token": "a.b.c"}, timeout=10),
    ]
    while not stop.is_set():
        for call in calls:
            timed(recorder, "junk: malformed or oversized", call)
        time.sleep(0.05)


def flood(pick: Callable[[], str], recorder: Recorder) -> None:
    """One address sends far more survey writes than its limit allows."""
    browser = requests.Session()
    browser.headers["X-Forwarded-For"] = "198.51.100.66"
    for _ in range(80):
        page = timed(
            recorder,
            "flood: open survey",
            lambda: browser.get(f"{pick()}/surveys/about-you", timeout=10),
        )
        if page is None or page.status_code != 200:
            continue
        data = {"csrf_token": CSRF.search(page.text).group(1), "gender": "male"}
        timed(
            recorder,
            "flood: submit",
            lambda: browser.post(
                f"{pick()}/surveys/about-you", data=data, allow_redirects=False, timeout=10
            ),
        )


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(line) for line in found.stdout.split()]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=120, help="seconds of load")
    parser.add_argument("--faults", action="store_true", help="inject faults under load")
    parser.add_argument("--profiles", type=int, default=1000)
    parser.add_argument("--demo-responses", type=int, default=20000)
    parser.add_argument("--postgres", default="postgresql://127.0.0.1:5432/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()

    binds = postgres_binds(args.postgres)
    env = {
        **os.environ,
        "SURVEYS_ENV": "development",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "SHOP_SIGNING_KEY": secrets.token_urlsafe(32),
        "LINK_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ANSWERS_SEALING_KEY": Fernet.generate_key().decode(),
        "ANSWERS_DATABASE_URL": binds["answers"],
        "IDENTITY_DATABASE_URL": binds["identity"],
        "RATELIMIT_STORAGE_URI": args.redis,
        "RATELIMIT_KEY_PREFIX": f"load-{secrets.token_hex(4)}",
        "SUBMIT_RATE_LIMIT": "30 per minute",
        "TRUSTED_PROXIES": "1",
        "WEB_CONCURRENCY": "4",
    }
    started = time.monotonic()
    _, subjects = seed(env, args.profiles)
    made = subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "clients", "create", "load-recommender"],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    token = re.search(r"^\s+(svy_\S+)$", made.stdout, re.M).group(1)  # profiles and changes
    flask = [str(ROOT / ".venv/bin/flask")]
    subprocess.run(
        [*flask, "demo", "seed", "--responses", str(args.demo_responses), "--seed", "3"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [*flask, "staff", "create", "pm@example.com", "--role", "analyst"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    seeded = count_responses(binds["answers"])
    print(
        f"seeded {args.profiles} consenting profiles and {seeded} responses in {time.monotonic() - started:.0f} s"
    )

    folder = Path(tempfile.mkdtemp())
    # Two instances, as behind a load balancer: every request goes to the next one in turn.
    ports = [8700 + secrets.randbelow(100), 8800 + secrets.randbelow(100)]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    servers = [
        start_gunicorn("wsgi:app", port, env, folder / f"gunicorn-{n}.log")
        for n, port in enumerate(ports)
    ]
    for base in bases:
        wait_ready(f"{base}/readyz", {})
    turns, turn_lock = itertools.cycle(bases), threading.Lock()

    def pick() -> str:
        with turn_lock:
            return next(turns)

    recorder, acknowledged, stop = Recorder(), [], threading.Event()
    threads = [
        threading.Thread(
            target=shopper, args=(pick, stop, recorder, acknowledged, env["SECRET_KEY"])
        )
        for _ in range(4)
    ]
    threads += [
        threading.Thread(target=recommender, args=(pick, stop, recorder, token, subjects))
        for _ in range(2)
    ]
    threads += [threading.Thread(target=product_manager, args=(pick, stop, recorder))]
    threads += [threading.Thread(target=junk, args=(pick, stop, recorder))]
    for thread in threads:
        thread.start()
    events = []
    load_started = time.monotonic()
    if args.faults:
        time.sleep(args.duration * 0.25)
        victim = children(servers[0].pid)[0]
        os.kill(victim, signal.SIGKILL)
        events.append(f"{time.monotonic() - load_started:5.1f} s  SIGKILL gunicorn worker {victim}")
        time.sleep(args.duration * 0.25)
        cluster = sorted(os.listdir("/etc/postgresql"))[0]
        events.append(f"{time.monotonic() - load_started:5.1f} s  restarting PostgreSQL")
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart"], check=True
        )
        events.append(f"{time.monotonic() - load_started:5.1f} s  PostgreSQL is back")
        time.sleep(args.duration * 0.2)
        events.append(
            f"{time.monotonic() - load_started:5.1f} s  flooding the survey from one address"
        )
        flood(pick, recorder)
        time.sleep(max(0.0, args.duration - (time.monotonic() - load_started)))
    else:
        time.sleep(args.duration)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - load_started
    for server in servers:
        server.send_signal(signal.SIGTERM)
    for server in servers:
        server.wait(timeout=30)

    # The acknowledged answers are sealed journal entries until the nightly settle: run it
    # (today's entries too) so that they can be counted as clear rows.
    settled = subprocess.run(
        [*flask, "answers", "settle", "--include-today"],
        env=env, cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    stored = stored_hashes(binds["answers"])
    lost = [h for h in acknowledged if h not in stored]
    check = subprocess.run(
        [*flask, "dashboard", "check-rollups"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    log_text = "".join((folder / f"gunicorn-{n}.log").read_text() for n in range(len(servers)))

    print(
        f"load: {elapsed:.0f} s, 2 gunicorn instances x 4 sync workers, PostgreSQL + Redis, {'with' if args.faults else 'no'} faults"
    )
    for line in events:
        print("  " + line)
    print(f"{'kind':34} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8}  statuses")
    for kind in sorted(recorder.latencies):
        samples = recorder.latencies[kind]
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(recorder.statuses[kind].items()))
        print(
            f"{kind:34} {len(samples):8d} {len(samples) / elapsed:7.1f} {percentile(samples, 0.5):8.1f} {percentile(samples, 0.99):8.1f}  {statuses}"
        )
    print(
        f"answers acknowledged: {len(acknowledged)}; in the store: {len(acknowledged) - len(lost)}; lost: {len(lost)}"
    )
    print(
        f"responses in the store: {count_responses(binds['answers'])} (seeded {seeded} + acknowledged {len(acknowledged)})"
    )
    print(f"rollups vs recount: {check.stdout.strip() or check.stderr.strip()}")
    print(
        f"5xx other than 503 with Retry-After: {len(recorder.bad)}; tracebacks in the logs: {log_text.count('Traceback')}"
    )
    print(
        f"settle: {settled.stdout.splitlines()[0] if settled.returncode == 0 else settled.stderr}"
    )
    healthy = (
        not lost
        and not recorder.bad
        and check.returncode == 0
        and settled.returncode == 0
        and "Traceback" not in log_text
    )
    sys.exit(0 if healthy else 1)


def count_responses(url: str) -> int:
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as connection:
        return connection.execute("SELECT count(*) FROM responses").fetchone()[0]


def stored_hashes(url: str) -> set[str]:
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as connection:
        return {row[0] for row in connection.execute("SELECT respondent_hash FROM responses")}


if __name__ == "__main__":
    main()
