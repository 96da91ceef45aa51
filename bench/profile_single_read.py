"""Where a single profile read's time goes, in-process, under cProfile.

    .venv/bin/python bench/profile_single_read.py                              # SQLite, memory limits
    .venv/bin/python bench/profile_single_read.py --storage redis://127.0.0.1:6379/0
    .venv/bin/python bench/profile_single_read.py --backend postgresql
    .venv/bin/python bench/profile_single_read.py --storage redis://127.0.0.1:6379/0 --compare-limits

Seeds consenting shoppers as ``bench/bulk_sync.py`` does, then calls the app's WSGI callable
directly (no server, no socket) for ``GET /api/v1/profiles/<subject>``, with the JSON access
log written to /dev/null as gunicorn would write it to a file. It prints the time per read
without the profiler, then each part's share of the profiled time: the first-line costs
of the request (what issue 15 asks to cut toward the floor), whatever their order.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api_profiles import BENCH_RATE_LIMIT, bench_stores_and_keys  # noqa: E402
from bench.bulk_sync import seed  # noqa: E402

#: Functions whose cumulative time is one part of a read (file suffix, function name).
PARTS = {
    "Flask-Limiter (check before the view; it leaves /api alone)": ("flask_limiter/_extension.py", "_check_request_limit"),
    "  of which the memory storage's expiry timer threads": ("limits/storage/memory.py", "__schedule_expiry"),
    "Flask-Limiter (headers after the view)": ("flask_limiter/_extension.py", "__inject_headers"),
    "the API's auth hook (token + consent, then the rate limit)": ("surveys/api/auth.py", "require_caller"),
    "  of which the rate limit (limits, surveys/api/rate_limits.py)": ("surveys/api/rate_limits.py", "spend"),
    "the view (consent read with the token, in the auth hook)": ("surveys/api/views.py", "profile"),
    "SQL statements (all of them)": ("sqlalchemy/engine/base.py", "_execute_context"),
    "  of which every hit of limits (one Redis round trip per limit)": ("limits/strategies.py", "hit"),
    "the JSON access log": ("surveys/logs.py", "log_request"),
    "request teardown (connections kept for the next request)": ("flask/app.py", "do_teardown_request"),
    "app-context teardown (ORM session)": ("flask/app.py", "do_teardown_appcontext"),
}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--storage", default="memory://", help="RATELIMIT_STORAGE_URI")
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument(
        "--compare-headers",
        action="store_true",
        help="measure with the limiter's X-RateLimit-* headers on, then off, in one run",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://127.0.0.1/test"),
    )
    parser.add_argument(
        "--compare-limits",
        action="store_true",
        help="measure with two limits (the old default's shape), then one (today's), in one run",
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="single-read-"))
    env = {
        **bench_stores_and_keys(args.backend, args.postgres_url, "single_read_bench", folder),
        "API_RATE_LIMIT": BENCH_RATE_LIMIT,
        "RATELIMIT_STORAGE_URI": args.storage,
        "RATELIMIT_KEY_PREFIX": secrets.token_hex(6),
    }
    token, subjects = seed(env, 1000)
    if args.compare_limits:
        two, one = f"1000000 per second; {BENCH_RATE_LIMIT}", BENCH_RATE_LIMIT
        interleaved(token, subjects, args, {"two limits": two, "one limit": one})
        return
    # Before and after in one run: the limiter's X-RateLimit-* headers on, then off.
    for headers in (True, False, True, False) if args.compare_headers else (False,):
        measure(token, subjects, args, {"RATELIMIT_HEADERS_ENABLED": headers})


def _quiet_app(config: dict) -> Any:
    """The app with ``config``, its JSON access log written to /dev/null (as gunicorn writes
    it to a file; the migrations' logging set-up would otherwise echo it on the terminal)."""
    from surveys import create_app
    from surveys.extensions import limiter

    # The limiter is one object per process and keeps the first app's choice of headers.
    limiter._headers_enabled = None  # noqa: SLF001  (so this app's config is read again)
    app = create_app(config)
    devnull = open(os.devnull, "w")  # noqa: SIM115  (for the whole run)
    for logger in (logging.getLogger(), logging.getLogger("surveys")):
        for handler in logger.handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(devnull)
    return app


def interleaved(
    token: str, subjects: list[str], args: argparse.Namespace, limits: dict[str, str]
) -> None:
    """One app per API_RATE_LIMIT, read in turn one read at a time, so that a burst of load
    on the shared machine falls on all of them alike; the median time per read of each."""
    from werkzeug.test import EnvironBuilder

    apps = {name: _quiet_app({"API_RATE_LIMIT": value}) for name, value in limits.items()}
    headers = {"Authorization": f"Bearer {token}"}
    environs = [
        EnvironBuilder(f"/api/v1/profiles/{subject}", headers=headers).get_environ()
        for subject in subjects
    ]
    times: dict[str, list[float]] = {name: [] for name in apps}
    statuses: set[str] = set()

    def start_response(status: str, *_: object) -> None:
        statuses.add(status)

    for n in range(300 + args.reads):
        for name, app in apps.items():
            started = time.perf_counter()
            b"".join(app.wsgi_app(dict(environs[n % len(environs)]), start_response))
            if n >= 300:
                times[name].append(time.perf_counter() - started)
    assert statuses == {"200 OK"}, statuses
    first = statistics.median(times[next(iter(apps))])
    print(f"{args.backend}, limits in {args.storage.split(':')[0]}, {args.reads} reads each, "
          "interleaved:")  # fmt: skip
    for name, value in limits.items():
        per_read = statistics.median(times[name])
        print(f"  {name:<12} {value:<45} median {per_read * 1e6:7.0f} µs per read  "
              f"{per_read / first:5.0%}")  # fmt: skip


def measure(token: str, subjects: list[str], args: argparse.Namespace, config: dict) -> None:
    from werkzeug.test import EnvironBuilder

    app = _quiet_app(config)
    headers = {"Authorization": f"Bearer {token}"}
    environs = [
        EnvironBuilder(f"/api/v1/profiles/{subject}", headers=headers).get_environ()
        for subject in subjects
    ]
    statuses: list[str] = []

    def start_response(status: str, *_: object) -> None:
        statuses.append(status)

    def read(count: int) -> None:
        for n in range(count):
            b"".join(app.wsgi_app(dict(environs[n % len(environs)]), start_response))

    read(300)
    started = time.perf_counter()
    read(args.reads)
    per_read = (time.perf_counter() - started) / args.reads * 1e6
    assert set(statuses) == {"200 OK"}, set(statuses)
    profiler = cProfile.Profile()
    profiler.enable()
    read(args.reads)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(ct for (_, _, name), (_, _, _, ct, _) in stats.items() if name == "wsgi_app")
    shown = ", ".join(f"{key}={value}" for key, value in config.items())
    print(f"{args.backend}, limits in {args.storage.split(':')[0]}, {shown}: {per_read:.0f} µs "
          f"per read unprofiled; shares of the profiled time "
          f"({total / args.reads * 1e6:.0f} µs per read):")  # fmt: skip
    for title, (suffix, function) in PARTS.items():
        spent = sum(
            cumulative
            for (path, _, name), (_, _, _, cumulative, _) in stats.items()
            if path.endswith(suffix) and name == function
        )
        print(f"  {title:<52} {spent / total:>6.0%}")


if __name__ == "__main__":
    main()
