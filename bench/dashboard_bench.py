"""Dashboard cost at 10k / 100k / 1M responses, side by side with the previous implementation.

For each size and database this script fills fresh stores with `flask demo seed`'s synthetic
answers (26 weeks), runs the weekly release job over all of them, and times, as the median of
several warm runs:

- ``data``: the numbers behind the default dashboard view (last 12 released weeks, all of
  Nigeria), i.e. :func:`surveys.services.reporting.report.build_report`;
- ``page``: the whole signed-in ``GET /dashboard/`` (data, Plotly figures, HTML);
- ``csv``: one export (the state table);
- ``release, 26 weeks``: the release job from nothing (every week of every survey, and consent);
- ``release, 1 week``: what the daily job costs when a week closes (one week of each survey).

In the same run, the same sizes are measured with the implementation this branch replaced
(rollups and cell-key noise), by running that commit's own ``bench/dashboard_bench.py`` from a
temporary ``git worktree`` (``--baseline``, default: where this branch left main), so the two
are compared on the same machine under the same load.

Usage (not part of the test suite)::

    .venv/bin/python bench/dashboard_bench.py --sizes 10000 100000 1000000 \\
        [--postgres postgresql://127.0.0.1/test] [--prefix wt11_bench] [--no-baseline]

PostgreSQL databases are created as ``<prefix>_answers`` and ``<prefix>_identity`` (the
baseline uses ``<prefix>_old_...``) and dropped and re-created for each size.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.engine import make_url

from surveys import clock, create_app
from surveys.extensions import db
from surveys.models import Release, ReleaseTable, Response
from surveys.services import catalogue, demo, staff
from surveys.services.reporting import release
from surveys.services.reporting import report as reports

ROOT = Path(__file__).resolve().parent.parent
BINDS = ("answers", "identity")
PASSWORD = "benchmark pass phrase"  # noqa: S105  (a throw-away local account)


def _time(fn, runs: int) -> float:
    fn()  # warm: first-use imports and caches are not what a busy service pays
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _postgres_binds(url: str, prefix: str) -> dict[str, str]:
    import psycopg

    admin = make_url(url).set(drivername="postgresql").render_as_string(False)
    names = {bind: f"{prefix}_{bind}" for bind in BINDS}
    with psycopg.connect(admin, autocommit=True) as connection:
        for name in names.values():
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
    return {
        bind: make_url(url)
        .set(drivername="postgresql+psycopg", database=name)
        .render_as_string(False)
        for bind, name in names.items()
    }


def _app(binds: dict[str, str]):
    app = create_app(
        {"TESTING": True, "SURVEYS_ENV": "test", "SECRET_KEY": "bench", "SQLALCHEMY_BINDS": binds,
         "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False}
    )  # fmt: skip
    with app.app_context():
        db.drop_all(bind_key=list(BINDS))
        db.create_all(bind_key=list(BINDS))
        catalogue.load_defaults(db.session)
        staff.create(db.session, "bench@example.com", "analyst", PASSWORD, clock.now())
        db.session.commit()
    return app


def _seed(app, responses: int) -> float:
    started = time.perf_counter()
    with app.app_context():
        demo.seed(db.session, catalogue.all_surveys(db.session), responses, clock.today(),
                  weeks=26, seed_value=1)  # fmt: skip
        db.session.commit()
        if db.engines["answers"].dialect.name == "postgresql":
            with db.engines["answers"].connect() as connection:
                connection.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


def measure(app, runs: int) -> dict[str, float]:
    results: dict[str, float] = {}
    with app.app_context():
        started = time.perf_counter()
        release.release_due_weeks(db.session, clock.today())
        db.session.commit()
        results["release all"] = time.perf_counter() - started
        # The daily job's usual work: the week that just closed, for every survey.
        last = release.last_closed_week(clock.today())
        db.session.execute(delete(Release).where(Release.week == last))
        db.session.commit()
        started = time.perf_counter()
        assert release.release_due_weeks(db.session, clock.today()) == [last]
        db.session.commit()
        results["release week"] = time.perf_counter() - started

        survey = catalogue.find(db.session, "about-you")

        def data() -> None:
            view = reports.make_view(
                survey, clock.today(), reports.released_weeks(db.session, survey.id)
            )
            assert view.last_week == last
            report = reports.build_report(db.session, view, min_cell=10)
            assert report.withheld is None

        results["data"] = _time(data, runs)
        results["responses"] = db.session.scalar(select(func.count()).select_from(Response))
        results["release rows"] = db.session.scalar(select(func.count()).select_from(ReleaseTable))
    client = app.test_client()
    client.post("/dashboard/login", data={"email": "bench@example.com", "password": PASSWORD})

    def page() -> None:
        response = client.get("/dashboard/")
        assert response.status_code == 200
        assert b'id="figures"' in response.data

    def export() -> None:
        response = client.get("/dashboard/export/state.csv")
        assert response.status_code == 200

    results["page"] = _time(page, runs)
    results["csv"] = _time(export, runs)
    return results


def _baseline_commit() -> str:
    found = subprocess.run(
        ["git", "merge-base", "HEAD", "main"], cwd=ROOT, capture_output=True, text=True
    )
    if found.returncode == 0:
        return found.stdout.strip()
    return "HEAD~1"


LINE = re.compile(
    r"^\s*([\d,]+) (\w+)\s+seed\s+[\d.]+s\s+rollup data\s+([\d.]+) ms\s+page\s+([\d.]+) ms"
)


def baseline(commit: str, sizes: list[int], postgres: str, prefix: str, runs: int) -> dict:
    """The previous implementation's own benchmark, from a temporary worktree of ``commit``."""
    folder = Path(tempfile.mkdtemp(prefix="dashboard-baseline-"))
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(folder / "tree"), commit],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    tree = folder / "tree"
    try:
        command = [sys.executable, str(tree / "bench" / "dashboard_bench.py"), "--runs",
                   str(runs), "--prefix", f"{prefix}_old", "--sizes", *map(str, sizes)]  # fmt: skip
        if postgres:
            command += ["--postgres", postgres]
        # The worktree's package first on the path: it imports the old code, not this one.
        env = {**os.environ, "PYTHONPATH": str(tree)}
        result = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"the baseline benchmark failed:\n{result.stderr[-2000:]}")
        found = {}
        for line in result.stdout.splitlines():
            match = LINE.match(line)
            if match:
                size = int(match.group(1).replace(",", ""))
                found[(size, match.group(2))] = (float(match.group(3)), float(match.group(4)))
        return found
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                       capture_output=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--postgres", default="", help="e.g. postgresql://127.0.0.1/test")
    parser.add_argument("--prefix", default="dashboard_bench")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline", default="", help="commit to compare with")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    logging.getLogger("surveys.access").setLevel(logging.WARNING)  # one line per request

    old: dict = {}
    if not args.no_baseline:
        commit = args.baseline or _baseline_commit()
        print(f"baseline: {commit[:12]} (rollups and cell-key noise), same sizes", flush=True)
        old = baseline(commit, args.sizes, args.postgres, args.prefix, args.runs)

    rows = []
    backends = ["sqlite"] + (["postgresql"] if args.postgres else [])
    for size in args.sizes:
        for backend in backends:
            if backend == "sqlite":
                folder = Path(tempfile.mkdtemp(prefix="dashboard-bench-"))
                binds = {bind: f"sqlite:///{folder / bind}.db" for bind in BINDS}
            else:
                binds = _postgres_binds(args.postgres, args.prefix)
            app = _app(binds)
            seeded = _seed(app, size)
            result = measure(app, args.runs)
            with app.app_context():
                for engine in db.engines.values():
                    engine.dispose()
            rows.append((size, backend, seeded, result))
            print(
                f"{size:>9,} {backend:<10} seed {seeded:6.1f}s  data {result['data']:6.1f} ms  "
                f"page {result['page']:6.1f} ms  csv {result['csv']:6.1f} ms  "
                f"release 26 weeks {result['release all']:6.1f} s, 1 week "
                f"{result['release week']:5.1f} s  ({result['release rows']:,} release tables)",
                flush=True,
            )

    print("\n| responses | database | page before (ms) | page now (ms) | now / before "
          "| data now (ms) | CSV now (ms) | release, 26 weeks (s) | release, 1 week (s) |")  # fmt: skip
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size, backend, _, r in rows:
        before = old.get((size, backend), (float("nan"), float("nan")))[1]
        print(
            f"| {size:,} | {backend} | {before:.1f} | {r['page']:.1f} | {r['page'] / before:.2f} "
            f"| {r['data']:.1f} | {r['csv']:.1f} | {r['release all']:.1f} "
            f"| {r['release week']:.1f} |"
        )


if __name__ == "__main__":
    main()
