"""Dashboard cost at 10k / 100k / 1M responses, on SQLite and PostgreSQL, in one run.

For each size and database this script fills fresh stores with `flask demo seed`'s synthetic
answers (26 weeks), then times, as the median of several warm runs:

- ``rollup data``: every query and all disclosure control behind the default dashboard view
  (last 12 complete weeks, all of Nigeria), i.e. :func:`surveys.services.reports.build_report`;
- ``page``: the whole signed-in ``GET /dashboard/`` (data, Plotly figures, HTML);
- ``raw GROUP BY``: the same counts (state x age x income x gender, per week, per LGA of
  Lagos) taken straight from the responses table with plain ``GROUP BY`` queries, which is what
  the dashboard would cost without rollups (and before any noise or suppression).

Usage (not part of the test suite)::

    .venv/bin/python bench/dashboard_bench.py --sizes 10000 100000 1000000 \
        [--postgres postgresql://127.0.0.1/test]

PostgreSQL databases are created as ``<prefix>_answers`` and ``<prefix>_identity``
(``--prefix``, default ``dashboard_bench``) and dropped and re-created for each size.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from surveys import clock, create_app
from surveys.extensions import db
from surveys.models import Response, StaffUser
from surveys.services import catalogue, demo, reports, staff
from surveys.services.rollups import week_of

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
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
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


def _raw_group_by(view: reports.View) -> None:
    """The dashboard's counts straight from the answers, with plain GROUP BY."""
    r = Response
    first, last = view.first_week, view.last_week + timedelta(days=6)
    in_view = (r.survey_id == view.survey.id, r.submitted_on.between(first, last))
    db.session.execute(
        select(r.state_code, r.age_band, r.income_band, r.gender, func.count())
        .where(*in_view)
        .group_by(r.state_code, r.age_band, r.income_band, r.gender)
    ).all()
    db.session.execute(
        select(r.submitted_on, func.count()).where(*in_view).group_by(r.submitted_on)
    ).all()
    db.session.execute(
        select(r.lga_code, func.count())
        .where(*in_view, r.state_code == "NG-LA")
        .group_by(r.lga_code)
    ).all()


def measure(app, runs: int) -> dict[str, float]:
    results: dict[str, float] = {}
    with app.app_context():
        survey = catalogue.find(db.session, "about-you")
        view = reports.make_view(survey, clock.today())
        assert week_of(view.last_week) == view.last_week

        def data() -> None:
            report = reports.build_report(
                db.session, view, min_cell=10, epsilon=0.5, secret=app.config["SECRET_KEY"]
            )
            assert report.withheld is None

        results["rollup data"] = _time(data, runs)
        results["raw GROUP BY"] = _time(lambda: _raw_group_by(view), runs)
        results["responses"] = db.session.scalar(select(func.count()).select_from(Response))
        assert db.session.scalar(select(func.count()).select_from(StaffUser)) == 1
    client = app.test_client()
    client.post("/dashboard/login", data={"email": "bench@example.com", "password": PASSWORD})

    def page() -> None:
        response = client.get("/dashboard/")
        assert response.status_code == 200
        assert b'id="figures"' in response.data

    results["page"] = _time(page, runs)
    with app.app_context():
        from surveys.models import RollupCell

        results["rollup rows"] = db.session.scalar(select(func.count()).select_from(RollupCell))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--postgres", default="", help="e.g. postgresql://127.0.0.1/test")
    parser.add_argument("--prefix", default="dashboard_bench")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

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
                f"{size:>9,} {backend:<10} seed {seeded:6.1f}s  "
                f"rollup data {result['rollup data']:7.1f} ms  page {result['page']:7.1f} ms  "
                f"raw GROUP BY {result['raw GROUP BY']:8.1f} ms  "
                f"({result['rollup rows']:,} rollup rows)",
                flush=True,
            )

    print("\n| responses | database | rollup data (ms) | whole page (ms) | raw GROUP BY (ms) "
          "| raw / rollup | rollup rows |")  # fmt: skip
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for size, backend, _, r in rows:
        ratio = r["raw GROUP BY"] / r["rollup data"]
        print(
            f"| {size:,} | {backend} | {r['rollup data']:.1f} | {r['page']:.1f} "
            f"| {r['raw GROUP BY']:.1f} | {ratio:.1f}x | {r['rollup rows']:,} |"
        )


if __name__ == "__main__":
    main()
