"""Mixed load, with faults, against production over HTTPS: does anything get lost?

Run from the repository root (PostgreSQL on 127.0.0.1 with trust auth, and redis-server
installed; not part of the test suite):

    .venv/bin/python bench/load.py                        # 120 s of mixed load
    .venv/bin/python bench/load.py --faults               # ... with faults injected under load
    .venv/bin/python bench/load.py --duration 300 --faults

Two gunicorn instances with ``SURVEYS_ENV=production`` and TLS (a self-signed certificate made
here) on two fresh PostgreSQL databases (``<prefix>_answers``, ``<prefix>_identity``) and a
redis-server of the run's own on a spare port: nothing else on the machine is touched.

Four kinds of client run at once, each in its own threads, each "from" its own address
(X-Forwarded-For, trusted with TRUSTED_PROXIES=1; header values only, all traffic is loopback),
each posting forms with an ``Origin`` as browsers do: shoppers answering "About you" (a fresh
browser each time), the recommendation service reading profiles and the change feed, a
product manager refreshing the dashboard, and a stream of malformed and oversized requests.
With --faults, under that load, in this order: a gunicorn worker is killed with SIGKILL; an
instance's master is killed with SIGKILL and a new one started on the same port at once (as
a supervisor would); Redis is stopped for a fifth of the run and one address floods the
survey meanwhile; both stores refuse connections for 8 s (ALLOW_CONNECTIONS false and every
connection cut: a restart, on this run's databases only); one address floods the survey again.

Afterwards it checks that every answer the service acknowledged (a 303) is in the store
exactly once and that the dashboard's weekly release job runs cleanly afterwards, and it
prints, per kind of request, throughput, p50/p99 latency and status codes. A 5xx other than a
503 with Retry-After is an error; connections refused or cut while an instance restarts are
counted apart. It exits non-zero if an answer is lost, such a 5xx is seen, the release
job fails, the restarted master cannot take its port, or the logs hold a traceback, a client
address or a customer id.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import itertools
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import requests
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from api_profiles import postgres_binds, seed, start_gunicorn  # noqa: E402

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
STATES = {"NG-LA": 20, "NG-KN": 44, "NG-OY": 33, "NG-RI": 23, "NG-FC": 6}
PASSWORD = "a-long-bench-password"
#: X-Forwarded-For values of the fixed clients; shoppers use random 10.x.y.z addresses.
FIXED_ADDRESSES = ["192.0.2.10", "192.0.2.20", "192.0.2.30", "198.51.100.66", "198.51.100.67"]


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


def browser(certificate: Path, address: str) -> requests.Session:
    session = requests.Session()
    # Not from the environment: REQUESTS_CA_BUNDLE there would override this certificate,
    # and a proxy there has no business with loopback traffic.
    session.trust_env = False
    session.verify = str(certificate)
    session.headers["X-Forwarded-For"] = address
    return session


def post_form(session: requests.Session, base: str, path: str, data: dict, **kwargs):  # type: ignore[no-untyped-def]
    """As a browser posts a form: with the Origin of the page it came from."""
    return session.post(f"{base}{path}", data=data, headers={"Origin": base}, timeout=10, **kwargs)


def shopper(
    pick: Callable[[], str],
    stop: threading.Event,
    recorder: Recorder,
    acknowledged: list[str],
    secret: str,
    certificate: Path,
) -> None:
    from surveys.services.respondents import respondent_hash, unsign

    rng = random.Random()
    while not stop.is_set():
        address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        session = browser(certificate, address)
        page = timed(
            recorder,
            "shopper: open survey",
            lambda: session.get(f"{pick()}/surveys/about-you", timeout=10),
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
            lambda: post_form(
                session, pick(), "/surveys/about-you", answers, allow_redirects=False
            ),
        )
        if sent is not None and sent.status_code == 303:
            key = unsign(secret, session.cookies["respondent"])
            with recorder.lock:
                acknowledged.append(respondent_hash(key))


def recommender(
    pick: Callable[[], str],
    stop: threading.Event,
    recorder: Recorder,
    token: str,
    subjects: list[str],
    certificate: Path,
) -> None:
    client = browser(certificate, "192.0.2.10")
    client.headers["Authorization"] = f"Bearer {token}"
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


def product_manager(
    pick: Callable[[], str], stop: threading.Event, recorder: Recorder, certificate: Path
) -> None:
    staff = browser(certificate, "192.0.2.20")
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
                lambda: post_form(staff, pick(), "/dashboard/login", data),
            )
            signed_in = done is not None and done.status_code == 200 and "Sign out" in done.text
            continue
        page = timed(
            recorder, "dashboard: page", lambda: staff.get(f"{pick()}/dashboard/", timeout=30)
        )
        time.sleep(0.5)  # a person reading the charts
        if page is not None and "Sign in" in page.text and "Sign out" not in page.text:
            signed_in = False


def junk(
    pick: Callable[[], str], stop: threading.Event, recorder: Recorder, certificate: Path
) -> None:
    """Malformed and oversized requests: each must get a clean 4xx."""
    client = browser(certificate, "192.0.2.30")
    nested = '{"subjects": ' + "[" * 5000 + "]" * 5000 + "}"
    calls = [
        lambda: post_form(client, pick(), "/surveys/about-you", {"state": "NG-LA"}),  # no CSRF
        lambda: post_form(client, pick(), "/surveys/about-you", {"x": "y" * 40_000}),  # too big
        lambda: client.get(f"{pick()}/surveys/%00%ff", timeout=10),
        lambda: client.head(f"{pick()}/surveys/about-you", timeout=10),
        lambda: client.post(
            f"{pick()}/api/v1/profiles/batch",
            data="{not json",
            headers={"Content-Type": "application/json"},
            timeout=10,
        ),
        lambda: client.post(
            f"{pick()}/api/v1/profiles/batch",
            data=nested,
            headers={"Content-Type": "application/json", "Authorization": "Bearer nope"},
            timeout=10,
        ),
        lambda: client.get(
            f"{pick()}/api/v1/profiles/x", headers={"Authorization": "Bearer nope"}, timeout=10
        ),
        lambda: client.get(f"{pick()}/api/v1/profile/cust-typo", timeout=10),
        lambda: client.get(f"{pick()}/auth/shop", params={"token": "a.b.c"}, timeout=10),
    ]
    while not stop.is_set():
        for call in calls:
            timed(recorder, "junk: malformed or oversized", call)
        time.sleep(0.05)


def flood(
    pick: Callable[[], str], recorder: Recorder, kind: str, address: str, certificate: Path
) -> None:
    """One address sends far more survey writes than its limit allows."""
    session = browser(certificate, address)
    for _ in range(80):
        page = timed(
            recorder,
            f"{kind}: open survey",
            lambda: session.get(f"{pick()}/surveys/about-you", timeout=10),
        )
        if page is None or page.status_code != 200:
            continue
        data = {"csrf_token": CSRF.search(page.text).group(1), "gender": "male"}
        timed(
            recorder,
            f"{kind}: submit",
            lambda: post_form(session, pick(), "/surveys/about-you", data, allow_redirects=False),
        )


def run_flood(  # type: ignore[no-untyped-def]
    pick: Callable[[], str], recorder: Recorder, kind: str, address: str, certificate: Path
):
    """In the background, so that the faults keep to their schedule."""
    thread = threading.Thread(target=flood, args=(pick, recorder, kind, address, certificate))
    thread.start()
    return thread


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(line) for line in found.stdout.split()]


def running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, for gunicorn to end TLS with."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "surveys load run")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )  # fmt: skip
    return cert_path, key_path


class OwnRedis:
    """A redis-server of this run's own, on a spare port, to stop and start at will."""

    def __init__(self, folder: Path):
        self.binary = shutil.which("redis-server") or sys.exit("redis-server is needed")
        self.port, self.folder = free_port(), folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                sys.exit("redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


def lock_out(admin_url: str, databases: list[str], seconds: float) -> None:
    """The stores go down as in a restart: connections cut, new ones refused, then back."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as admin:
        try:
            for name in databases:
                admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ANY(%s)",
                (databases,),
            )
            time.sleep(seconds)
        finally:
            for name in databases:
                admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')


def wait_ready(url: str, certificate: Path, seconds: float = 60) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            if requests.get(url, timeout=5, verify=str(certificate)).status_code == 200:
                return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(0.1)
    return -1.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=120, help="seconds of load")
    parser.add_argument("--faults", action="store_true", help="inject faults under load")
    parser.add_argument("--profiles", type=int, default=1000)
    parser.add_argument("--demo-responses", type=int, default=20000)
    parser.add_argument("--postgres", default="postgresql://127.0.0.1:5432/test")
    parser.add_argument(
        "--prefix",
        default=f"{os.environ.get('TEST_DATABASE_PREFIX', 'bench')}_load",
        help="names of the two databases this run creates (default: $TEST_DATABASE_PREFIX_load)",
    )
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="load-"))
    certificate, key = make_certificate(folder)
    redis = OwnRedis(folder)
    redis.start()
    binds = postgres_binds(args.postgres, args.prefix)
    env = {
        **{k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")},
        "SURVEYS_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SHOP_SIGNING_KEY": secrets.token_urlsafe(48),
        "LINK_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ANSWERS_SEALING_KEY": Fernet.generate_key().decode(),
        "ANSWERS_DATABASE_URL": binds["answers"],
        "IDENTITY_DATABASE_URL": binds["identity"],
        "RATELIMIT_STORAGE_URI": redis.url,
        "RATELIMIT_KEY_PREFIX": f"load-{secrets.token_hex(4)}",
        "SUBMIT_RATE_LIMIT": "30 per minute",
        "TRUSTED_PROXIES": "1",
        "WEB_CONCURRENCY": "4",
        "TLS_CERTFILE": str(certificate),
        "TLS_KEYFILE": str(key),
    }
    started = time.monotonic()
    _, subjects = seed(env, args.profiles)
    flask = [str(ROOT / ".venv/bin/flask")]
    made = subprocess.run(
        [*flask, "clients", "create", "load-recommender"],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    # profiles:read and changes:read; the token comes as a line to paste into a shell
    token = re.search(r"^export TOKEN=(svy_\S+)$", made.stdout, re.M).group(1)
    # Synthetic answers are refused in production: seeded as development, on the same stores.
    subprocess.run(
        [*flask, "demo", "seed", "--responses", str(args.demo_responses), "--seed", "3"],
        env={**env, "SURVEYS_ENV": "development"}, cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        [*flask, "staff", "create", "pm@example.com", "--role", "analyst"],
        input=f"{PASSWORD}\n", text=True, env=env, cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    seeded = count_responses(binds["answers"])
    print(
        f"seeded {args.profiles} consenting profiles and {seeded} responses in {time.monotonic() - started:.0f} s"
    )

    # Two instances, as behind a load balancer: every request goes to the next one in turn.
    ports = [free_port(), free_port()]
    bases = [f"https://127.0.0.1:{port}" for port in ports]
    logs = [folder / f"gunicorn-{n}.log" for n in range(2)]
    servers = [
        start_gunicorn("wsgi:app", port, env, log) for port, log in zip(ports, logs, strict=True)
    ]
    for base in bases:
        if wait_ready(f"{base}/readyz", certificate) < 0:
            sys.exit(f"{base} did not become ready")
    turns, turn_lock = itertools.cycle(bases), threading.Lock()

    def pick() -> str:
        with turn_lock:
            return next(turns)

    recorder, acknowledged, stop = Recorder(), [], threading.Event()
    secret = env["SECRET_KEY"]
    threads = [
        threading.Thread(
            target=shopper, args=(pick, stop, recorder, acknowledged, secret, certificate)
        )
        for _ in range(4)
    ]
    threads += [
        threading.Thread(
            target=recommender, args=(pick, stop, recorder, token, subjects, certificate)
        )
        for _ in range(2)
    ]
    threads += [threading.Thread(target=product_manager, args=(pick, stop, recorder, certificate))]
    threads += [threading.Thread(target=junk, args=(pick, stop, recorder, certificate))]
    for thread in threads:
        thread.start()
    events: list[str] = []
    load_started = time.monotonic()
    restart_ok = True

    def note(text: str) -> None:
        events.append(f"{time.monotonic() - load_started:6.1f} s  {text}")

    def until(fraction: float) -> None:
        time.sleep(max(0.0, load_started + args.duration * fraction - time.monotonic()))

    if args.faults:
        until(0.10)
        victim = children(servers[0].pid)[0]
        os.kill(victim, signal.SIGKILL)
        note(f"SIGKILL gunicorn worker {victim} (instance 1)")

        until(0.15)
        master = servers[1]
        workers = children(master.pid)
        master.send_signal(signal.SIGKILL)
        master.wait()
        note(f"SIGKILL gunicorn master {master.pid} (instance 2); starting a new one at once")
        logs.append(folder / "gunicorn-1-restarted.log")
        servers[1] = start_gunicorn("wsgi:app", ports[1], env, logs[-1])
        ready = wait_ready(f"{bases[1]}/readyz", certificate)
        restart_ok = ready >= 0
        orphans = [pid for pid in workers if running(pid)]
        note(
            f"new master {'ready' if restart_ok else 'NOT READY'} after {ready:.1f} s on the same "
            f"port; old workers still running: {len(orphans)}"
        )

        until(0.30)
        redis.stop()
        note("Redis stopped; one address floods the survey")
        floods = [run_flood(pick, recorder, "flood, Redis down", "198.51.100.66", certificate)]
        until(0.50)
        redis.start()
        note("Redis started again (empty)")

        until(0.60)
        note("both stores refuse connections, every connection cut")
        lock_out(args.postgres, [f"{args.prefix}_answers", f"{args.prefix}_identity"], 8)
        note("stores back")

        until(0.75)
        note("another address floods the survey")
        floods.append(run_flood(pick, recorder, "flood, Redis up", "198.51.100.67", certificate))
        until(1.0)
        for thread in floods:
            thread.join()
    else:
        until(1.0)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - load_started
    for server in servers:
        server.send_signal(signal.SIGTERM)
    for server in servers:
        server.wait(timeout=30)
    redis.stop()

    # The acknowledged answers are sealed journal entries until the nightly settle: run it
    # (today's entries too) so that they can be counted as clear rows.
    settled = subprocess.run(
        [*flask, "answers", "settle", "--include-today"],
        env=env, cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    stored = stored_hashes(binds["answers"])
    lost = [h for h in acknowledged if h not in stored]
    check = subprocess.run(
        [*flask, "dashboard", "release"],
        env=env, cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    log_text = "".join(log.read_text() for log in logs)
    people = [a for a in FIXED_ADDRESSES if a in log_text]
    people += re.findall(r"\b10\.\d+\.\d+\.\d+\b", log_text) + re.findall(r"cust-\d+", log_text)
    went_down = log_text.count("rate limit storage unreachable")
    came_back = log_text.count("rate limit storage recovered")

    print(
        f"load: {elapsed:.0f} s, production over TLS, 2 gunicorn instances x 4 sync workers, "
        f"PostgreSQL + Redis, {'with' if args.faults else 'no'} faults"
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
    print(f"dashboard release: {check.stdout.strip() or check.stderr.strip()}")
    print(
        f"log lines: 'rate limit storage unreachable' {went_down} (one per process that noticed), "
        f"'recovered' {came_back}"
    )
    print(
        f"5xx other than 503 with Retry-After: {len(recorder.bad)}; tracebacks in the logs: "
        f"{log_text.count('Traceback')}; addresses or customer ids in the logs: {len(people)}"
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
        and restart_ok
        and not people
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
